/* The pruning decisions against Bitcoin Core's FindFilesToPrune and
 * FindFilesToPruneManual: oldest files first, down to the target less the
 * allocation buffer (plus a megabyte per block still to come during
 * initial download), never a file holding one of the last 288 blocks, and
 * nothing until the tip passes the chain's prune-after height. */
#include "chain/storage/prune.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define MIB ((uint64_t)1 << 20)

/* Six full files of 128 MiB (120 blk + 8 rev), 100 blocks each from
 * height 0: 768 MiB. */
static void six_files(struct prune_file f[6])
{
    for (int i = 0; i < 6; i++)
        f[i] = (struct prune_file){120 * MIB, 8 * MIB, i * 100, i * 100 + 99};
}

static const struct prune_chain synced = {.tip_height = 2000, .best_header_height = 2000,
                                          .prune_after = 1000};

static void test_usage(void **state)
{
    struct prune_file f[6];
    six_files(f);
    assert_int_equal(prune_usage(f, 6), 768 * MIB);
    f[2].size = f[2].undo_size = 0;
    assert_int_equal(prune_usage(f, 6), 640 * MIB);
}

/* 768 + 17 >= 550: file 0 goes (657), file 1 goes (529 < 550), stop. */
static void test_oldest_first_to_target(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &synced, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    /* 750 MiB: 768 + 17 is over, 640 + 17 is not: one file. */
    assert_int_equal(prune_find_files(f, 6, 750 * MIB, &synced, out), 1);
    /* 800 MiB: 785 is under: nothing. */
    assert_int_equal(prune_find_files(f, 6, 800 * MIB, &synced, out), 0);
}

/* The buffer counts: usage 768 with a 784 MiB target still prunes (Core
 * compares usage + buffer with the target). */
static void test_buffer_counts(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    assert_int_equal(prune_find_files(f, 6, 784 * MIB, &synced, out), 1);
    assert_int_equal(prune_find_files(f, 6, 785 * MIB + 1, &synced, out), 0);
}

/* Tip 387: only blocks up to 99 may go (387 - 288), so only file 0 is
 * pruned although usage stays above the target. */
static void test_keeps_last_288(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    struct prune_chain c = synced;
    c.prune_after = 100;
    c.tip_height = 387;
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 1);
    assert_int_equal(out[0], 0);
    c.tip_height = 386; /* block 99 is among the last 288 */
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 0);
}

/* Nothing before the tip passes the chain's prune-after height. */
static void test_prune_after_height(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    struct prune_chain c = synced;
    c.tip_height = 1000;
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 0);
    c.tip_height = 1001;
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 2);
    c.tip_height = -1;
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 0);
}

/* Pruned files are skipped and the next ones considered. */
static void test_skips_pruned(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    f[0].size = f[0].undo_size = 0; /* 640 MiB left */
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &synced, out), 1);
    assert_int_equal(out[0], 1);
}

/* During initial download with 100 blocks still to come, 100 MB more
 * of buffer (95.4 MiB): 384 + 17 + 95.4 is the first total under 550,
 * three files out. */
static void test_ibd_buffer(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    struct prune_chain c = synced;
    c.ibd = true;
    c.best_header_height = c.tip_height + 100;
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 3);
    assert_int_equal(out[2], 2);
    c.ibd = false; /* the buffer applies to initial download only */
    assert_int_equal(prune_find_files(f, 6, PRUNE_MIN_TARGET, &c, out), 2);
}

/* -prune=1 never prunes by itself. */
static void test_manual_target_never_automatic(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    assert_int_equal(prune_find_files(f, 6, PRUNE_TARGET_MANUAL, &synced, out), 0);
    assert_int_equal(prune_find_files(f, 6, 0, &synced, out), 0);
}

/* pruneblockchain(250): files whose last block is at most 250 (0, 1);
 * a height near the tip is held back to tip - 288. */
static void test_manual(void **state)
{
    struct prune_file f[6];
    int out[6];
    six_files(f);
    assert_int_equal(prune_find_files_manual(f, 6, 2000, 250, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(prune_find_files_manual(f, 6, 2000, 299, out), 3);
    /* tip 587: 587 - 288 = 299 caps a request for 2000 */
    assert_int_equal(prune_find_files_manual(f, 6, 587, 2000, out), 3);
    assert_int_equal(prune_find_files_manual(f, 6, 586, 2000, out), 2);
    f[0].size = 0;
    assert_int_equal(prune_find_files_manual(f, 6, 2000, 250, out), 1);
    assert_int_equal(out[0], 1);
    assert_int_equal(prune_find_files_manual(f, 6, 2000, 0, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_oldest_first_to_target),
        cmocka_unit_test(test_buffer_counts),
        cmocka_unit_test(test_keeps_last_288),
        cmocka_unit_test(test_prune_after_height),
        cmocka_unit_test(test_skips_pruned),
        cmocka_unit_test(test_ibd_buffer),
        cmocka_unit_test(test_manual_target_never_automatic),
        cmocka_unit_test(test_manual),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
