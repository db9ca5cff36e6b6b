/* Per-block statistics as Bitcoin Core's getblockstats computes them
 * (src/rpc/blockchain.cpp): fees from the coins the block spent (its undo
 * data), sizes, weights, feerates in satoshis per virtual byte and the
 * feerate percentiles by weight. Amounts are satoshis. */
#ifndef HEARSAY_CHAIN_BLOCKSTATS_H
#define HEARSAY_CHAIN_BLOCKSTATS_H

#include "chain/primitives/block.h"
#include "chain/primitives/coin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKSTATS_PERCENTILES 5 /* 10th, 25th, 50th, 75th, 90th */

struct blockstats {
    int64_t avgfee, avgfeerate, avgtxsize;
    int64_t feerate_percentiles[BLOCKSTATS_PERCENTILES];
    int64_t ins, outs, txs;
    int64_t maxfee, minfee, medianfee, totalfee;
    int64_t maxfeerate, minfeerate;
    int64_t maxtxsize, mintxsize, mediantxsize;
    int64_t swtotal_size, swtotal_weight, swtxs;
    int64_t total_out, total_size, total_weight;
    int64_t utxo_increase, utxo_size_inc, utxo_increase_actual, utxo_size_inc_actual;
};

/* spent: the coins the block spent, one per input of its transactions
 * after the coinbase, in order (n_spent of them). genesis: the block's
 * outputs never entered the UTXO set. -1 if n_spent does not match the
 * block's inputs. */
int blockstats_compute(const struct block *b, const struct coin *spent, size_t n_spent,
                       bool genesis, struct blockstats *out);

/* Core's CalculateTruncatedMedian: sorts v; the mean of the two middle
 * values (rounded toward zero) for an even count; 0 when empty. */
int64_t blockstats_truncated_median(int64_t *v, size_t n);

/* Core's CalculatePercentilesByWeight over (feerate, weight) pairs (sorted
 * here): the feerate at 10%, 25%, 50%, 75% and 90% of total_weight. All
 * zero when n is 0. */
struct blockstats_feerate {
    int64_t feerate;
    int64_t weight;
};
void blockstats_percentiles(struct blockstats_feerate *v, size_t n, int64_t total_weight,
                            int64_t out[BLOCKSTATS_PERCENTILES]);

#endif
