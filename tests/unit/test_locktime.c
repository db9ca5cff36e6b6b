/* Lock times: IsFinalTx's cases and BIP68's relative locks by height and
 * by time, the disable flag, the version rule (read unsigned, as Core
 * does) and the boundary of EvaluateSequenceLocks. */
#include "chain/validation/locktime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define SEQ_TIME (1u << 22)
#define SEQ_DISABLE (1u << 31)

/* A transaction of two inputs as the lock rules see it. */
struct two_in {
    struct tx tx;
    struct tx_in in[2];
};

static void make(struct two_in *t, int32_t version, uint32_t seq0, uint32_t seq1)
{
    memset(t, 0, sizeof(*t));
    t->tx.version = version;
    t->tx.vin = t->in;
    t->tx.vin_count = 2;
    t->in[0].sequence = seq0;
    t->in[1].sequence = seq1;
}

/* Median time past of the block at height h: 1000 s per block. */
static int64_t mtp_by_height(void *ctx, int32_t h)
{
    int *calls = ctx;
    (*calls)++;
    return 1600000000 + 1000 * (int64_t)h;
}

static void test_tx_final(void **state)
{
    (void)state;
    struct two_in t;
    make(&t, 2, 0, LOCKTIME_SEQUENCE_FINAL);
    assert_true(locktime_tx_final(&t.tx, 10, 0)); /* no lock time */
    t.tx.locktime = 10;
    assert_false(locktime_tx_final(&t.tx, 10, 0));
    assert_true(locktime_tx_final(&t.tx, 11, 0));
    t.tx.locktime = LOCKTIME_THRESHOLD + 5; /* a time: judged by the cutoff */
    assert_false(locktime_tx_final(&t.tx, 1000000, LOCKTIME_THRESHOLD + 5));
    assert_true(locktime_tx_final(&t.tx, 0, LOCKTIME_THRESHOLD + 6));
    t.in[0].sequence = LOCKTIME_SEQUENCE_FINAL;
    assert_true(locktime_tx_final(&t.tx, 0, 0));
}

static void test_height_locks(void **state)
{
    (void)state;
    struct two_in t;
    int calls = 0;
    int32_t heights[2] = {100, 90};
    struct locktime_seq l;
    /* Input 0: 5 blocks after 100; input 1: 20 after 90; the later wins. */
    make(&t, 2, 5, 20);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.height, 109);
    assert_int_equal(l.time, -1);
    assert_int_equal(calls, 0);
    assert_false(locktime_sequence_passed(&l, 109, INT64_MAX));
    assert_true(locktime_sequence_passed(&l, 110, 0));
    /* The disable flag turns an input's lock off. */
    make(&t, 2, 5, SEQ_DISABLE | 20);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.height, 104);
    /* Version 1 has no relative locks; version -1 is 0xffffffff, >= 2. */
    make(&t, 1, 5, 20);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.height, -1);
    assert_true(locktime_sequence_passed(&l, 0, 0));
    make(&t, -1, 5, 20);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.height, 109);
    /* Bits outside the type flag and the 16-bit value are ignored. */
    make(&t, 2, (1u << 20) | 3, SEQ_DISABLE);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.height, 102);
}

static void test_time_locks(void **state)
{
    (void)state;
    struct two_in t;
    int calls = 0;
    int32_t heights[2] = {100, 0};
    struct locktime_seq l;
    /* 3 units of 512 s from the median time past of block 99 (the one
     * before the coin's); a coin at height 0 counts from block 0. */
    make(&t, 2, SEQ_TIME | 3, SEQ_TIME | 1);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    int64_t until = 1600000000 + 1000 * 99 + 3 * 512 - 1;
    assert_int_equal(l.time, until);
    assert_int_equal(l.height, -1);
    assert_int_equal(calls, 2);
    assert_false(locktime_sequence_passed(&l, 1000, until));
    assert_true(locktime_sequence_passed(&l, 1000, until + 1));
    heights[0] = 0;
    make(&t, 2, SEQ_TIME | 1, SEQ_DISABLE);
    locktime_sequence_locks(&t.tx, heights, mtp_by_height, &calls, &l);
    assert_int_equal(l.time, 1600000000 + 511);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tx_final),
        cmocka_unit_test(test_height_locks),
        cmocka_unit_test(test_time_locks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
