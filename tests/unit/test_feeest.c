/* The fee estimator in scenarios whose answer is known: a fast class of
 * transactions confirming in the next block and a slow class confirming
 * after exactly SLOW_WAIT blocks, each class at one feerate, so every
 * estimate must be exactly one of the two feerates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/mempool/feeest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAST_RATE 10000 /* sat/kvB */
#define SLOW_RATE 2000
#define VSIZE 200
#define PER_BLOCK 10
#define SLOW_WAIT 5
#define BLOCKS 120

/* A distinct txid per (height, class, index). */
static struct hash256 txid_of(unsigned height, int cls, int i)
{
    struct hash256 h;
    memset(&h, 0, sizeof(h));
    memcpy(h.b, &height, sizeof(height));
    h.b[4] = (uint8_t)cls;
    h.b[5] = (uint8_t)i;
    h.b[31] = 0x5a;
    return h;
}

/* Heights 1..blocks: each block confirms the fast transactions of the
 * height before and the slow ones of SLOW_WAIT heights before, then new
 * transactions of both classes arrive at the new tip. */
static void run(struct feeest *fe, unsigned from, unsigned blocks)
{
    struct hash256 conf[2 * PER_BLOCK];
    for (unsigned h = from; h < from + blocks; h++) {
        size_t n = 0;
        for (int i = 0; i < PER_BLOCK; i++) {
            if (h > from)
                conf[n++] = txid_of(h - 1, 0, i);
            if (h >= from + SLOW_WAIT)
                conf[n++] = txid_of(h - SLOW_WAIT, 1, i);
        }
        feeest_block(fe, h, conf, n);
        for (int i = 0; i < PER_BLOCK; i++) {
            struct hash256 f = txid_of(h, 0, i), s = txid_of(h, 1, i);
            feeest_tx_added(fe, &f, FAST_RATE * VSIZE / 1000, VSIZE, h, true);
            feeest_tx_added(fe, &s, SLOW_RATE * VSIZE / 1000, VSIZE, h, true);
        }
    }
}

static void test_no_data(void **state)
{
    (void)state;
    struct feeest *fe = feeest_new();
    int blocks = -1;
    assert_int_equal(feeest_smart(fe, 6, false, &blocks), 0);
    assert_int_equal(blocks, 0); /* no history: the usable target is 0 */
    assert_int_equal(feeest_max_target(fe, FEEEST_SHORT), 12);
    assert_int_equal(feeest_max_target(fe, FEEEST_MEDIUM), 48);
    assert_int_equal(feeest_max_target(fe, FEEEST_LONG), 1008);
    assert_int_equal(feeest_smart(fe, 1009, false, &blocks), 0);
    struct feeest_result r;
    assert_int_equal(feeest_raw(fe, 2, 0.95, FEEEST_SHORT, &r), 0);
    assert_true(r.pass.start == -1 && r.pass.end == -1);
    assert_true(r.decay == 0.962 && r.scale == 1);
    feeest_free(fe);
    feeest_free(NULL);
}

static void test_two_classes(void **state)
{
    (void)state;
    struct feeest *fe = feeest_new();
    run(fe, 1, BLOCKS);
    assert_int_equal(feeest_best_height(fe), BLOCKS);
    /* Waiting: the fast ones of the tip and the slow ones of SLOW_WAIT heights. */
    assert_int_equal(feeest_tracked(fe), PER_BLOCK * (1 + SLOW_WAIT));
    int blocks;
    /* Within 2 blocks (half target 1 at 60%): only the fast class. */
    assert_int_equal(feeest_smart(fe, 2, false, &blocks), FAST_RATE);
    assert_int_equal(blocks, 2);
    assert_int_equal(feeest_smart(fe, 1, false, &blocks), FAST_RATE);
    assert_int_equal(blocks, 2); /* 1 is raised to 2, as Core */
    /* Target 10: the slow class confirms within 5, 10 and 20 blocks. */
    assert_int_equal(feeest_smart(fe, 10, false, &blocks), SLOW_RATE);
    assert_int_equal(feeest_smart(fe, 10, true, &blocks), SLOW_RATE);
    assert_int_equal(blocks, 10);
    /* Below SLOW_WAIT blocks the slow class fails. */
    assert_int_equal(feeest_raw(fe, SLOW_WAIT - 1, 0.85, FEEEST_SHORT, NULL), FAST_RATE);
    assert_int_equal(feeest_raw(fe, SLOW_WAIT, 0.85, FEEEST_SHORT, NULL), SLOW_RATE);
    /* A target beyond half the history is clamped to it. */
    assert_int_equal(feeest_smart(fe, 500, false, &blocks), SLOW_RATE);
    assert_int_equal(blocks, (BLOCKS - 2) / 2);
    feeest_free(fe);
}

static void test_raw_buckets(void **state)
{
    (void)state;
    struct feeest *fe = feeest_new();
    run(fe, 1, BLOCKS);
    struct feeest_result r;
    assert_int_equal(feeest_raw(fe, 1, 0.95, FEEEST_SHORT, &r), FAST_RATE);
    assert_true(r.pass.start < FAST_RATE && r.pass.end >= FAST_RATE);
    assert_true(r.pass.within_target > 0 && r.pass.within_target == r.pass.total_confirmed);
    /* The slow class is the failing range: none within one block, its
     * waiting transactions counted as in the mempool. */
    assert_true(r.fail.start < SLOW_RATE && r.fail.end >= SLOW_RATE && r.fail.end < FAST_RATE);
    assert_true(r.fail.within_target == 0 && r.fail.total_confirmed > 0);
    assert_true(r.fail.in_mempool == PER_BLOCK * (SLOW_WAIT - 1));
    assert_true(r.decay == 0.962 && r.scale == 1);
    assert_int_equal(feeest_raw(fe, 13, 0.95, FEEEST_SHORT, &r), 0); /* beyond 12 */
    assert_int_equal(feeest_raw(fe, 13, 0.95, FEEEST_MEDIUM, &r), SLOW_RATE);
    /* Everything with data passed; the empty buckets below are the fail range. */
    assert_true(r.scale == 2 && r.fail.start == 0 && r.fail.end < SLOW_RATE);
    assert_true(r.fail.total_confirmed == 0 && r.fail.in_mempool == 0);
    feeest_free(fe);
}

/* Transactions that leave unconfirmed count as failures once they waited
 * a whole period. */
static void test_evictions_fail(void **state)
{
    (void)state;
    struct feeest *fe = feeest_new();
    for (unsigned h = 1; h <= BLOCKS; h++) {
        struct hash256 conf[PER_BLOCK];
        for (int i = 0; i < PER_BLOCK; i++)
            conf[i] = txid_of(h - 1, 0, i);
        feeest_block(fe, h, conf, h > 1 ? PER_BLOCK : 0);
        for (int i = 0; i < PER_BLOCK; i++) {
            struct hash256 old = txid_of(h - 3, 1, i);
            if (h > 3)
                assert_true(feeest_tx_removed(fe, &old));
            struct hash256 f = txid_of(h, 0, i), s = txid_of(h, 1, i);
            feeest_tx_added(fe, &f, FAST_RATE * VSIZE / 1000, VSIZE, h, true);
            feeest_tx_added(fe, &s, SLOW_RATE * VSIZE / 1000, VSIZE, h, true);
        }
    }
    struct hash256 unknown = txid_of(9999, 3, 0);
    assert_false(feeest_tx_removed(fe, &unknown));
    int blocks;
    /* The slow class never confirms: every target answers the fast rate. */
    assert_int_equal(feeest_smart(fe, 2, false, &blocks), FAST_RATE);
    assert_int_equal(feeest_smart(fe, 30, false, &blocks), FAST_RATE);
    struct feeest_result r;
    assert_int_equal(feeest_raw(fe, 2, 0.5, FEEEST_SHORT, &r), FAST_RATE);
    assert_true(r.fail.left_mempool > 0 && r.fail.within_target == 0);
    feeest_free(fe);
}

static void test_ignored(void **state)
{
    (void)state;
    struct feeest *fe = feeest_new();
    struct hash256 a = txid_of(1, 0, 0), b = txid_of(1, 0, 1);
    feeest_block(fe, 5, NULL, 0);
    feeest_tx_added(fe, &a, 1000, 100, 4, true); /* not the tip height */
    feeest_tx_added(fe, &b, 1000, 100, 5, false); /* has parents, or a package */
    assert_int_equal(feeest_tracked(fe), 0);
    feeest_tx_added(fe, &a, 1000, 100, 5, true);
    feeest_tx_added(fe, &a, 1000, 100, 5, true); /* twice: once */
    assert_int_equal(feeest_tracked(fe), 1);
    feeest_block(fe, 5, &a, 1); /* not above the best seen: ignored */
    assert_int_equal(feeest_tracked(fe), 1);
    feeest_flush_unconfirmed(fe);
    assert_int_equal(feeest_tracked(fe), 0);
    feeest_free(fe);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/hearsay-feeest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/fee_estimates.dat", dir);
    struct feeest *fe = feeest_new();
    run(fe, 1, BLOCKS);
    char *err = NULL;
    assert_int_equal(feeest_write(fe, path, &err), 0);
    struct feeest *back = feeest_new();
    assert_int_equal(feeest_read(back, path, &err), 0);
    assert_int_equal(feeest_best_height(back), BLOCKS);
    int b1, b2;
    for (int t = 2; t <= 40; t++) {
        assert_int_equal(feeest_smart(back, t, false, &b1), feeest_smart(fe, t, false, &b2));
        assert_int_equal(b1, b2);
    }
    /* History continues after a restart. */
    run(back, BLOCKS + 1, 20);
    assert_int_equal(feeest_smart(back, 10, false, &b1), SLOW_RATE);
    /* A flipped byte: refused, the state kept. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc(0x77, f);
    fclose(f);
    assert_int_equal(feeest_read(back, path, &err), -1);
    assert_non_null(strstr(err, "not a valid"));
    free(err);
    err = NULL;
    assert_int_equal(feeest_smart(back, 10, false, &b1), SLOW_RATE);
    assert_int_equal(feeest_read(back, "/nonexistent/fee_estimates.dat", &err), -1);
    free(err);
    unlink(path);
    rmdir(dir);
    feeest_free(fe);
    feeest_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_data),
        cmocka_unit_test(test_two_classes),
        cmocka_unit_test(test_raw_buckets),
        cmocka_unit_test(test_evictions_fail),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
