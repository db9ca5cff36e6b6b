/* What the mining methods (node/rpc/rpc_mining.c) share with
 * getblocktemplate (node/rpc/rpc_gbt.c). */
#ifndef HEARSAY_NODE_RPC_MINING_H
#define HEARSAY_NODE_RPC_MINING_H

#include "chain/mempool/miner.h"
#include "node/node.h"

/* The template for a block on the current tip paying script, as Core's
 * CreateNewBlock: time is now, but after the median time past; bits as
 * the next block needs. */
void rpc_mining_template(struct node *node, const uint8_t *script, size_t len,
                         struct miner_template *t);

/* A block from hex (Core's DecodeHexBlk); NULL when it does not parse. */
struct block *rpc_mining_decode_block(const char *hex);

#endif
