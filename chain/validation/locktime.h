/* Lock times, as consensus reads them, for blocks and the mempool alike:
 * a transaction's own lock time (Core's IsFinalTx) and BIP68 relative
 * lock times (Core's CalculateSequenceLocks / EvaluateSequenceLocks). */
#ifndef HEARSAY_CHAIN_LOCKTIME_H
#define HEARSAY_CHAIN_LOCKTIME_H

#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stdint.h>

/* Lock times below this are heights, others UNIX times. */
#define LOCKTIME_THRESHOLD 500000000u
#define LOCKTIME_SEQUENCE_FINAL 0xffffffffu

/* True if tx may be in a block at height whose lock time cutoff is time
 * (the parent's median time past once BIP113 is active). */
bool locktime_tx_final(const struct tx *tx, int64_t height, int64_t time);

/* The last height and median time past at which a transaction is still
 * locked by BIP68; -1 for no lock. */
struct locktime_seq {
    int32_t height;
    int64_t time;
};

/* Median time past of the block at height in the chain being judged. */
typedef int64_t (*locktime_mtp_fn)(void *ctx, int32_t height);

/* Core's CalculateSequenceLocks with LOCKTIME_VERIFY_SEQUENCE: heights[i]
 * is the height of the coin input i spends; a time lock counts from the
 * median time past of the block before that coin's (mtp_at). Versions
 * below 2, read unsigned as Core does, have no relative locks. */
void locktime_sequence_locks(const struct tx *tx, const int32_t *heights, locktime_mtp_fn mtp_at,
                             void *ctx, struct locktime_seq *out);

/* Core's EvaluateSequenceLocks: true if a block at height whose parent's
 * median time past is mtp may include the transaction. */
bool locktime_sequence_passed(const struct locktime_seq *l, int32_t height, int64_t mtp);

#endif
