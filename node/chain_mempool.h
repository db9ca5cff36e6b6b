/* The link between the chain and the mempool in hearsayd: the mempool
 * learns confirmed coins and the tip from the chainstate, and follows every
 * block the active chain connects or disconnects.
 *
 * Its start-up row sits between the chain and the mempool in node/init.c:
 * the coin source must be registered before the mempool starts, and the
 * chain callbacks look node->mempool up when they fire, so blocks
 * connected before the mempool exists are simply not forwarded. */
#ifndef HEARSAY_NODE_CHAIN_MEMPOOL_H
#define HEARSAY_NODE_CHAIN_MEMPOOL_H

#include "chain/mempool.h"
#include "node/node.h"

extern const struct node_subsystem chain_mempool_subsystem;

/* The active tip as the mempool judges transactions against it (height
 * and median time past; mtp_at reads the active chain). */
void chain_mempool_tip(struct node *node, struct mempool_tip *out);

#endif
