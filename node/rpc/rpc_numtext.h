/* The text of each non-integer JSON number of a request, as the client
 * wrote it: jansson keeps only a double, and Core reads amounts from the
 * text (AmountFromValue), so "0.000000001" must stay distinguishable from
 * "0.00000000100000000000000001" and never be rounded. */
#ifndef HEARSAY_NODE_RPC_NUMTEXT_H
#define HEARSAY_NODE_RPC_NUMTEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct rpc_numtext {
    const json_t **val;
    const char **text; /* into the request body: valid while it is */
    size_t *len;
    size_t n, cap;
};

/* Binds each real in root (parsed from body) to its text, in document
 * order. Binds nothing when the two disagree (an object with a duplicate
 * key keeps one value of several). */
void rpc_numtext_bind(struct rpc_numtext *nt, const char *body, size_t len, const json_t *root);
/* Forgets the bindings; keeps the arrays for the next request. */
void rpc_numtext_clear(struct rpc_numtext *nt);
void rpc_numtext_free(struct rpc_numtext *nt);
/* The text of v; false when v is not a bound real. */
bool rpc_numtext_find(const struct rpc_numtext *nt, const json_t *v, const char **text,
                      size_t *len);

#endif
