/* -assumevalid as Bitcoin Core's ConnectBlock applies it: a block with a
 * failing script is accepted only when it is an ancestor of the assumed-
 * valid block in the best header chain and more than two weeks of work
 * (2,016 regtest blocks) below that chain's tip; otherwise, or with
 * -assumevalid=0, its scripts are checked and it is invalid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/params.h"
#include "chain/validation/chainstate.h"
#include "tests/unit/chainstate_util.h"

#include <stdlib.h>
#include <string.h>

#define BAD_HEIGHT 102
#define CHAIN_LEN 2150 /* BAD_HEIGHT + 2048: beyond the two-weeks rule */

static struct block *blocks[CHAIN_LEN + 1]; /* [h] at height h; [0] unused */

/* Blocks 1..CHAIN_LEN; BAD_HEIGHT holds a transaction paying to
 * OP_TRUE OP_0 and one spending that output, whose script leaves false. */
static int build_chain(void **state)
{
    (void)state;
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct hash256 prev = p->genesis_hash;
    uint32_t time = p->genesis.time;
    for (int h = 1; h <= CHAIN_LEN; h++) {
        struct tx *txs[3];
        size_t n = 1;
        txs[0] = testutil_coinbase(h, params_block_subsidy(p, h), (uint32_t)h);
        if (h == BAD_HEIGHT) {
            struct outpoint cb1 = {blocks[1]->txs[0]->txid, 0};
            int64_t v = params_block_subsidy(p, 1);
            txs[n++] = testutil_spend(&cb1, 1, &v, 1, 1); /* OP_TRUE OP_0 */
            struct outpoint bad = {txs[1]->txid, 0};
            txs[n++] = testutil_spend(&bad, 1, &v, 1, 0);
        }
        time += 600;
        blocks[h] = testutil_block(&prev, time, txs, n);
        prev = blocks[h]->hash;
    }
    return 0;
}

static int free_chain(void **state)
{
    (void)state;
    for (int h = 1; h <= CHAIN_LEN; h++)
        block_free(blocks[h]);
    return 0;
}

/* A fresh chainstate that knows the headers up to `headers`, assuming
 * valid the block at av_height (0: -assumevalid=0), then given the blocks
 * up to BAD_HEIGHT. Returns the status of the bad block, with its reason. */
static enum chainstate_status run(int headers, int av_height, const char **reason)
{
    char *dir = testutil_tmpdir("assumevalid"), *err = NULL;
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = 8u << 20;
    o.script_threads = 2;
    o.assumevalid_given = true;
    if (av_height)
        o.assumevalid = blocks[av_height]->hash;
    struct chainstate *cs = chainstate_open(params_get(CHAIN_REGTEST), dir, &o, &err);
    assert_non_null(cs);
    struct block_header *hdrs = calloc((size_t)headers, sizeof(*hdrs));
    for (int h = 1; h <= headers; h++)
        hdrs[h - 1] = blocks[h]->hdr;
    const char *r = NULL;
    assert_int_equal(chainstate_process_headers(cs, hdrs, (size_t)headers, NULL, &r, &err),
                     CHAINSTATE_ACCEPTED);
    free(hdrs);
    enum chainstate_status st = CHAINSTATE_ACCEPTED;
    for (int h = 1; h <= BAD_HEIGHT; h++) {
        st = chainstate_process_block(cs, blocks[h], &r, &err);
        assert_int_equal(st, h < BAD_HEIGHT ? CHAINSTATE_ACCEPTED : st);
    }
    *reason = st == CHAINSTATE_INVALID ? r : NULL;
    /* The reason lives in the block index: compare before closing. */
    static char saved[128];
    if (*reason) {
        strncpy(saved, *reason, sizeof(saved) - 1);
        *reason = saved;
    }
    assert_int_equal(chainstate_height(cs), st == CHAINSTATE_ACCEPTED ? BAD_HEIGHT
                                                                       : BAD_HEIGHT - 1);
    chainstate_close(cs);
    testutil_rmtree(dir);
    return st;
}

static const char eval_false[] = "block-script-verify-flag-failed (Script evaluated without "
                                 "error but finished with a false/empty top stack element)";

static void test_skipped_deep_below_assumed_valid(void **state)
{
    (void)state;
    const char *r;
    assert_int_equal(run(CHAIN_LEN, CHAIN_LEN, &r), CHAINSTATE_ACCEPTED);
}

static void test_checked_with_zero(void **state)
{
    (void)state;
    const char *r;
    assert_int_equal(run(CHAIN_LEN, 0, &r), CHAINSTATE_INVALID);
    assert_string_equal(r, eval_false);
}

static void test_checked_when_too_recent(void **state)
{
    (void)state;
    const char *r;
    /* The best header only 2,000 blocks above: less than two weeks of work. */
    assert_int_equal(run(BAD_HEIGHT + 2000, BAD_HEIGHT + 2000, &r), CHAINSTATE_INVALID);
    assert_string_equal(r, eval_false);
}

static void test_checked_when_not_in_headers(void **state)
{
    (void)state;
    const char *r;
    /* The assumed-valid block's header is unknown. */
    assert_int_equal(run(CHAIN_LEN - 1, CHAIN_LEN, &r), CHAINSTATE_INVALID);
    assert_string_equal(r, eval_false);
}

static void test_checked_when_not_an_ancestor(void **state)
{
    (void)state;
    const char *r;
    /* Assumed valid: a block below the bad one, which is then above it. */
    assert_int_equal(run(CHAIN_LEN, BAD_HEIGHT - 1, &r), CHAINSTATE_INVALID);
    assert_string_equal(r, eval_false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_deep_below_assumed_valid),
        cmocka_unit_test(test_checked_with_zero),
        cmocka_unit_test(test_checked_when_too_recent),
        cmocka_unit_test(test_checked_when_not_in_headers),
        cmocka_unit_test(test_checked_when_not_an_ancestor),
    };
    return cmocka_run_group_tests(tests, build_chain, free_chain);
}
