/* Pruning in the RPC interface, as Bitcoin Core: pruneblockchain, the
 * storage fields of getblockchaininfo and the errors for pruned blocks. */
#ifndef HEARSAY_NODE_RPC_PRUNE_H
#define HEARSAY_NODE_RPC_PRUNE_H

#include "chain/validation/blockindex.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

#include <jansson.h>
#include <stdbool.h>

/* pruneblockchain. */
extern const struct rpc_method_set prune_rpc_methods;

/* getblockchaininfo's size_on_disk, pruned and, in prune mode,
 * pruneheight, automatic_pruning and prune_target_size. */
void rpc_prune_storage_fields(struct node *node, json_t *o);
/* Whether n's data is gone to pruning (Core's "... (pruned data)"). */
bool rpc_prune_block_pruned(struct node *node, const struct bindex_node *n);

#endif
