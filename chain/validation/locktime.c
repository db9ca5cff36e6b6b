#include "chain/validation/locktime.h"

/* BIP68's fields of an input's nSequence. */
#define SEQ_DISABLE (1u << 31)
#define SEQ_TYPE_TIME (1u << 22)
#define SEQ_MASK 0xffffu
#define SEQ_GRANULARITY 9

bool locktime_tx_final(const struct tx *tx, int64_t height, int64_t time)
{
    if (tx->locktime == 0)
        return true;
    int64_t limit = tx->locktime < LOCKTIME_THRESHOLD ? height : time;
    if ((int64_t)tx->locktime < limit)
        return true;
    /* A lock time is only enforced when some input is not final. */
    for (size_t i = 0; i < tx->vin_count; i++)
        if (tx->vin[i].sequence != LOCKTIME_SEQUENCE_FINAL)
            return false;
    return true;
}

void locktime_sequence_locks(const struct tx *tx, const int32_t *heights, locktime_mtp_fn mtp_at,
                             void *ctx, struct locktime_seq *out)
{
    out->height = -1;
    out->time = -1;
    if ((uint32_t)tx->version < 2)
        return;
    for (size_t i = 0; i < tx->vin_count; i++) {
        uint32_t seq = tx->vin[i].sequence;
        if (seq & SEQ_DISABLE)
            continue;
        int32_t h = heights[i];
        if (seq & SEQ_TYPE_TIME) {
            int64_t start = mtp_at(ctx, h > 0 ? h - 1 : 0);
            int64_t until = start + ((int64_t)(seq & SEQ_MASK) << SEQ_GRANULARITY) - 1;
            if (until > out->time)
                out->time = until;
        } else {
            int32_t until = h + (int32_t)(seq & SEQ_MASK) - 1;
            if (until > out->height)
                out->height = until;
        }
    }
}

bool locktime_sequence_passed(const struct locktime_seq *l, int32_t height, int64_t mtp)
{
    return l->height < height && l->time < mtp;
}
