/* The text of each non-integer JSON number of a request, as the client
 * wrote it: jansson keeps only a double, and Core reads amounts from the
 * text (AmountFromValue), so "0.000000001" must stay distinguishable from
 * "0.00000000100000000000000001" and never be rounded. Only methods that
 * read an amount need it: the body is scanned on the first look-up, so
 * the others (nearly all, some with large bodies) never pay for it. */
#ifndef HEARSAY_NODE_RPC_NUMTEXT_H
#define HEARSAY_NODE_RPC_NUMTEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct rpc_numtext {
    const char *body; /* the request: valid until rpc_numtext_clear */
    size_t body_len;
    const json_t *root;
    bool scanned;
    const json_t **val;
    const char **text; /* into body */
    size_t *len;
    size_t n, cap;
};

/* The request body and root, parsed from it, for look-ups to come;
 * nothing is scanned yet. */
void rpc_numtext_set(struct rpc_numtext *nt, const char *body, size_t len, const json_t *root);
/* Forgets the request; keeps the arrays for the next one. */
void rpc_numtext_clear(struct rpc_numtext *nt);
void rpc_numtext_free(struct rpc_numtext *nt);
/* The text of v; false when v is not a real of the request. The first
 * call binds each real of root to its text, in document order; none when
 * the two disagree (an object with a duplicate key keeps one value of
 * several). */
bool rpc_numtext_find(struct rpc_numtext *nt, const json_t *v, const char **text, size_t *len);

#endif
