/* Fee estimation from confirmation times, as Bitcoin Core's
 * CBlockPolicyEstimator: mempool transactions are grouped into feerate
 * buckets (100 sat/kvB to 1e7, 5% apart), and three horizons (short,
 * medium, long: different decays and resolutions) keep moving averages of
 * how many of each bucket confirmed within N blocks, how many left the
 * mempool unconfirmed, and how many are still waiting. An estimate is the
 * lowest group of buckets that still confirmed often enough.
 *
 * Pure state: the caller feeds it transactions entering and leaving the
 * mempool and connected blocks, with heights; no clock, no I/O besides
 * the explicit file functions. */
#ifndef HEARSAY_CHAIN_MEMPOOL_FEEEST_H
#define HEARSAY_CHAIN_MEMPOOL_FEEEST_H

#include "chain/primitives/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum feeest_horizon { FEEEST_SHORT, FEEEST_MEDIUM, FEEEST_LONG };
#define FEEEST_HORIZONS 3
const char *feeest_horizon_name(enum feeest_horizon h); /* "short", "medium", "long" */

/* Core's success thresholds. */
#define FEEEST_HALF_SUCCESS 0.6
#define FEEEST_SUCCESS 0.85
#define FEEEST_DOUBLE_SUCCESS 0.95
/* A file older than this is not read (Core's MAX_FILE_AGE), in seconds. */
#define FEEEST_MAX_FILE_AGE (60 * 3600)

struct feeest;
struct feeest *feeest_new(void);
void feeest_free(struct feeest *fe); /* accepts NULL */

/* A transaction entered the mempool at tip height `height`, paying fee for
 * vsize. valid: it may count (no in-mempool parents, the chain is synced,
 * not re-added by a reorg, not part of a package). Ignored when height is
 * not the last block seen, as Core. */
void feeest_tx_added(struct feeest *fe, const struct hash256 *txid, int64_t fee, size_t vsize,
                     unsigned height, bool valid);
/* A transaction left the mempool without confirming (replaced, evicted,
 * expired, conflicted): counts as a failure for the periods it waited.
 * false when it was not tracked. */
bool feeest_tx_removed(struct feeest *fe, const struct hash256 *txid);
/* A block at height connected with these transactions: ages the averages
 * and records the confirmations of the tracked ones. Heights at or below
 * the last seen are ignored (reorgs). */
void feeest_block(struct feeest *fe, unsigned height, const struct hash256 *txids, size_t n);

/* The bucket range an estimate passed or failed at (Core's EstimatorBucket;
 * start and end -1 when there is none). */
struct feeest_bucket {
    double start, end;
    double within_target, total_confirmed, in_mempool, left_mempool;
};
struct feeest_result {
    struct feeest_bucket pass, fail;
    double decay;
    unsigned scale;
};

/* The highest confirmation target a horizon tracks (12, 48, 1008). */
unsigned feeest_max_target(const struct feeest *fe, enum feeest_horizon h);
/* Core's estimateRawFee: sat/kvB, 0 when there is no answer. result (may be
 * NULL) gets the pass/fail buckets. */
int64_t feeest_raw(const struct feeest *fe, int target, double threshold,
                   enum feeest_horizon h, struct feeest_result *result);
/* Core's estimateSmartFee: sat/kvB, 0 when there is no answer; *returned
 * gets the target the answer is for (clamped to what the history covers). */
int64_t feeest_smart(const struct feeest *fe, int target, bool conservative, int *returned);

unsigned feeest_best_height(const struct feeest *fe);
size_t feeest_tracked(const struct feeest *fe); /* mempool transactions tracked */

/* Counts every tracked transaction as having left the mempool (Core's
 * FlushUnconfirmed, at shutdown before writing). */
void feeest_flush_unconfirmed(struct feeest *fe);
/* fee_estimates.dat in our own versioned format: the history (not the
 * unconfirmed transactions). write is atomic; read replaces the history
 * only when the whole file is valid. 0, or -1 and *err (malloc'd). */
int feeest_write(const struct feeest *fe, const char *path, char **err);
int feeest_read(struct feeest *fe, const char *path, char **err);

#endif
