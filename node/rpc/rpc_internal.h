/* Shared between the RPC registry's own files; not for other areas. */
#ifndef HEARSAY_NODE_RPC_INTERNAL_H
#define HEARSAY_NODE_RPC_INTERNAL_H

#include <jansson.h>

struct wbuf;

/* Appends v as compact JSON (amounts with 8 decimals). */
void rpc_json_write(struct wbuf *w, const json_t *v);
/* Forgets the amounts made so far (after their reply is written). */
void rpc_amounts_release(void);

#endif
