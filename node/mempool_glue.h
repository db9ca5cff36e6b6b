/* The mempool subsystem of hearsayd: its options and start-up row.
 *
 * The mempool asks the chain for confirmed coins and the tip through a
 * source the chain subsystem registers before the mempool starts (it
 * starts earlier in node/init.c's table). */
#ifndef HEARSAY_NODE_MEMPOOL_GLUE_H
#define HEARSAY_NODE_MEMPOOL_GLUE_H

#include "chain/mempool.h"
#include "node/config.h"
#include "node/node.h"

/* -minrelaytxfee, -maxmempool, -mempoolexpiry, -persistmempool. */
extern const struct config_option mempool_options[];
extern const struct node_subsystem mempool_subsystem;

struct mempool_chain_source {
    coin_lookup_fn lookup;
    void (*tip)(void *ctx, struct mempool_tip *out);
    void *ctx;
};

/* Registers where confirmed coins and the tip come from. Without one the
 * mempool starts knowing no confirmed coins (and logs a warning). */
void mempool_glue_set_chain(const struct mempool_chain_source *src);

/* "0.00001" (BTC per kvB) -> 1000 sat/kvB; -1 if not a valid amount. */
int64_t mempool_glue_parse_feerate(const char *btc_per_kvb);

#endif
