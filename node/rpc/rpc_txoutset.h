/* gettxoutsetinfo's walk of the UTXO set, which takes minutes on main:
 * started on the event loop (the cache written out and a LevelDB snapshot
 * taken, as Core flushes first), run on its own thread, answered through
 * the RPC server's parking (rpc_wait) when the thread is done, so the
 * loop serves peers and other calls meanwhile. */
#ifndef HEARSAY_NODE_RPC_TXOUTSET_H
#define HEARSAY_NODE_RPC_TXOUTSET_H

#include "chain/validation/coinstats.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

struct rpc_txoutset;

/* NULL and *err when the wake-up pipe cannot be made. delay_ms holds each
 * walk back that long (a test option, so a walk can be caught running). */
struct rpc_txoutset *rpc_txoutset_new(struct node *node, int64_t delay_ms, char **err);
/* Stops and waits for the walks still running; accepts NULL. */
void rpc_txoutset_free(struct rpc_txoutset *t);

/* Starts a walk for req: rpc_wait's NULL, or NULL after rpc_fail. The
 * answer has Core's fields, with the hash named name. */
json_t *rpc_txoutset_start(struct rpc_txoutset *t, struct rpc_request *req,
                           enum coinstats_hash type, const char *name);

#endif
