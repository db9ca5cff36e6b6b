/* The mempool subsystem of hearsayd: its options and start-up row.
 *
 * It starts after the chain: confirmed coins come from the chainstate's
 * UTXO set, and the chainstate's connect/disconnect callbacks keep the
 * mempool in step with the active chain (reorgs included). */
#ifndef HEARSAY_NODE_MEMPOOL_GLUE_H
#define HEARSAY_NODE_MEMPOOL_GLUE_H

#include "chain/mempool/mempool.h"
#include "node/config.h"
#include "node/node.h"

struct chainstate;

/* -minrelaytxfee, -maxmempool, -mempoolexpiry, -persistmempool. */
extern const struct config_option mempool_options[];
extern const struct node_subsystem mempool_subsystem;

/* "0.00001" (BTC per kvB) -> 1000 sat/kvB; -1 if not a valid amount. */
int64_t mempool_glue_parse_feerate(const char *btc_per_kvb);

/* <chaindir>/mempool.dat (malloc'd), where the mempool is saved. */
char *mempool_glue_dump_path(const struct node *node);

#endif
