/* Pruning a real chainstate (-fastprune files of 64 KiB): pruneblockchain's
 * removal up to a height but never into the last 288 blocks, the prune
 * height and pruned-block checks that getblockchaininfo and getblock use,
 * automatic pruning under a target, the state after reopening, and a
 * reorganization deeper than what is kept failing with a clear error
 * before anything is disconnected. */
#include "chain/storage/blockfile.h"
#include "chain/validation/chainprune.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define TIP 1200 /* about 250 blocks a 64 KiB file: 5 files */
#define FORK 5

static struct chainstate *open_pruned(const char *dir)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = 4 << 20;
    o.fast_prune = true;
    char *err = NULL;
    struct chainstate *cs = chainstate_open(params_get(CHAIN_REGTEST), dir, &o, &err);
    if (!cs)
        fail_msg("chainstate_open: %s", err);
    return cs;
}

/* count coinbase-only blocks on prev from height h; tag keeps branches
 * apart. Each must be accepted; with expect_error, until one fails with
 * the pruned-reorganization error (and the test fails if none does). */
static void extend(struct chainstate *cs, struct hash256 prev, int h, int count, uint32_t tag,
                   bool expect_error)
{
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    uint32_t time = p->genesis.time + (uint32_t)h * 600 + tag;
    for (int i = 0; i < count; i++, h++) {
        struct tx *cb = testutil_coinbase(h, params_block_subsidy(p, h), tag << 16 | (uint32_t)h);
        struct block *b = testutil_block(&prev, time += 600, &cb, 1);
        const char *reason = NULL;
        char *err = NULL;
        enum chainstate_status st = chainstate_process_block(cs, b, &reason, &err);
        prev = b->hash;
        block_free(b);
        if (expect_error && st == CHAINSTATE_ERROR) {
            assert_non_null(strstr(err, "Failed to disconnect block"));
            assert_non_null(strstr(err, "pruned"));
            free(err);
            return;
        }
        if (st != CHAINSTATE_ACCEPTED)
            fail_msg("block %d: status %d (%s)", h, st, err ? err : reason ? reason : "");
        free(err);
    }
    if (expect_error)
        fail_msg("the deep reorganization did not fail");
}

static bool readable(struct chainstate *cs, int height)
{
    struct block *b = chainstate_get_block(cs, &chainstate_at(cs, height)->hash, NULL);
    block_free(b);
    return b != NULL;
}

static void test_manual_and_reopen(void **state)
{
    char *dir = testutil_tmpdir("chainprune");
    struct chainstate *cs = open_pruned(dir);
    extend(cs, chainstate_at(cs, 0)->hash, 1, TIP, 1, false);
    const struct blockfile *bf = chainstate_block_files(cs);
    assert_true(blockfile_count(bf) >= 3);
    assert_int_equal(chainprune_height(cs), -1);
    /* Up to the last block of file 0: that file goes, file 1 stays. */
    int32_t last0 = blockfile_info(bf, 0)->height_last;
    char *err = NULL;
    assert_int_equal(chainprune_manual(cs, last0 + 1, &err), 1);
    int32_t h = chainprune_height(cs);
    assert_int_equal(h, last0);
    assert_false(readable(cs, h));
    assert_true(readable(cs, h + 1));
    assert_true(chainprune_block_pruned(cs, chainstate_at(cs, 1)));
    assert_false(chainprune_block_pruned(cs, chainstate_at(cs, h + 1)));
    assert_false(blockfile_exists(bf, 0));
    /* Asked for the tip: held back to tip - 288. */
    assert_true(chainprune_manual(cs, TIP, &err) > 0);
    h = chainprune_height(cs);
    assert_true(h <= TIP - PRUNE_MIN_BLOCKS_TO_KEEP);
    for (int k = TIP - PRUNE_MIN_BLOCKS_TO_KEEP + 1; k <= TIP; k++)
        assert_true(readable(cs, k));
    chainstate_close(cs);
    cs = open_pruned(dir); /* what was pruned stays pruned, the rest readable */
    assert_int_equal(chainstate_height(cs), TIP);
    assert_int_equal(chainprune_height(cs), h);
    assert_true(readable(cs, h + 1));
    /* The pruned blocks still link the tip to genesis: the chain grows. */
    extend(cs, chainstate_at(cs, TIP)->hash, TIP + 1, 2, 1, false);
    assert_int_equal(chainstate_height(cs), TIP + 2);
    chainstate_close(cs);
    testutil_rmtree(dir);
}

/* Automatic pruning with a 1 MiB target (below the option's minimum: the
 * decisions take any): everything but the files of the last 288 blocks
 * goes, nothing before the tip passes 100 (-fastprune's prune-after). */
static void test_automatic(void **state)
{
    char *dir = testutil_tmpdir("chainprune");
    struct chainstate *cs = open_pruned(dir);
    extend(cs, chainstate_at(cs, 0)->hash, 1, TIP, 1, false);
    char *err = NULL;
    assert_int_equal(chainprune_auto(cs, 1 << 20, TIP, &err), 0); /* tip not past it */
    assert_int_equal(chainprune_auto(cs, PRUNE_TARGET_MANUAL, 100, &err), 0);
    uint64_t before = blockfile_usage(chainstate_block_files(cs));
    /* Two files in one pass (one index write for both), every block of
     * theirs gone. */
    assert_int_equal(chainprune_auto(cs, 1 << 20, 100, &err), 2);
    assert_true(blockfile_usage(chainstate_block_files(cs)) < before);
    assert_false(blockfile_exists(chainstate_block_files(cs), 0));
    assert_false(blockfile_exists(chainstate_block_files(cs), 1));
    int32_t h = chainprune_height(cs);
    assert_true(h > 0 && h <= TIP - PRUNE_MIN_BLOCKS_TO_KEEP);
    for (int k = 1; k <= h; k++)
        assert_false(readable(cs, k));
    assert_true(readable(cs, h + 1));
    /* The file holding block h + 1 also holds an older one or a block of
     * the last 288: nothing more can go. */
    assert_int_equal(chainprune_auto(cs, 1 << 20, 100, &err), 0);
    chainstate_close(cs);
    testutil_rmtree(dir);
}

/* A branch from height 5 with more work than the pruned main chain: the
 * switch needs blocks that are gone, so it fails with the reason, and the
 * tip has not moved. */
static void test_deep_reorg_fails(void **state)
{
    char *dir = testutil_tmpdir("chainprune");
    struct chainstate *cs = open_pruned(dir);
    extend(cs, chainstate_at(cs, 0)->hash, 1, TIP, 1, false);
    char *err = NULL;
    assert_true(chainprune_manual(cs, TIP, &err) > 0);
    struct hash256 tip = chainstate_tip(cs)->hash;
    extend(cs, chainstate_at(cs, FORK)->hash, FORK + 1, TIP, 2, true);
    assert_true(hash_eq(&chainstate_tip(cs)->hash, &tip));
    chainstate_close(cs);
    testutil_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manual_and_reopen),
        cmocka_unit_test(test_automatic),
        cmocka_unit_test(test_deep_reorg_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
