/* Block statistics (Core's getblockstats) of a real block with the coins
 * it spends, and Core's median and percentile rules on small inputs. */
#include "chain/validation/blockstats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "chain/util/xmalloc.h"
#include "tests/unit/blockcoins_testutil.h"

/* Mainnet block 300,025: 461 transactions, 1,427 inputs, 25 BTC subsidy. */
static void test_block_300025(void **state)
{
    (void)state;
    const char *src = getenv("HEARSAY_SRCDIR");
    char bpath[1024], upath[1024];
    char *err = NULL;
    snprintf(bpath, sizeof(bpath), "%s/tests/data/blocks/block300025.raw", src ? src : ".");
    snprintf(upath, sizeof(upath), "%s/tests/data/blocks/block300025-undo.raw", src ? src : ".");
    struct blockcoins *bc = blockcoins_load(bpath, upath, &err);
    if (!bc)
        fail_msg("%s", err);
    struct coin *spent = xcalloc(bc->input_count, sizeof(*spent));
    for (size_t i = 0; i < bc->input_count; i++)
        spent[i] = (struct coin){ bc->spent[i].value, (uint8_t *)bc->spent[i].script,
                                  bc->spent[i].script_len, 0, false };
    struct blockstats s;
    assert_int_equal(blockstats_compute(bc->block, spent, bc->input_count - 1, false, &s), -1);
    assert_int_equal(blockstats_compute(bc->block, spent, bc->input_count, false, &s), 0);
    assert_int_equal(s.txs, 461);
    assert_int_equal(s.ins, 1427);
    /* The miner claimed every fee: the coinbase pays subsidy + fees. */
    int64_t coinbase_out = 0;
    const struct tx *cb = bc->block->txs[0];
    for (size_t o = 0; o < cb->vout_count; o++)
        coinbase_out += cb->vout[o].value;
    assert_int_equal(s.totalfee, coinbase_out - 2500000000LL);
    assert_int_equal(s.avgfee, s.totalfee / 460);
    /* 2014: no segwit; sizes equal weights / 4. */
    assert_int_equal(s.swtxs, 0);
    assert_int_equal(s.total_weight, 4 * s.total_size);
    assert_int_equal(s.total_size + (int64_t)cb->size + 80 + 3, (int64_t)bc->block->size);
    assert_true(s.minfee <= s.medianfee && s.medianfee <= s.maxfee);
    assert_true(s.minfeerate <= s.feerate_percentiles[0]);
    for (int i = 1; i < BLOCKSTATS_PERCENTILES; i++)
        assert_true(s.feerate_percentiles[i - 1] <= s.feerate_percentiles[i]);
    assert_true(s.feerate_percentiles[4] <= s.maxfeerate);
    assert_int_equal(s.utxo_increase, s.outs - 1427);
    /* The genesis rule: nothing enters the UTXO set. */
    struct blockstats g;
    assert_int_equal(blockstats_compute(bc->block, spent, bc->input_count, true, &g), 0);
    assert_int_equal(g.utxo_increase_actual, -1427);
    assert_int_equal(g.utxo_increase, s.utxo_increase);
    free(spent);
    blockcoins_free(bc);
}

static void test_median(void **state)
{
    (void)state;
    int64_t odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, neg[] = { -3, 2 };
    assert_int_equal(blockstats_truncated_median(odd, 3), 3);
    assert_int_equal(blockstats_truncated_median(even, 4), 2); /* (2 + 3) / 2 */
    assert_int_equal(blockstats_truncated_median(neg, 2), 0);  /* -1 / 2 rounds to 0 */
    assert_int_equal(blockstats_truncated_median(NULL, 0), 0);
}

/* Feerates 1, 2, 10 with weights 100, 100, 800: 10% of 1000 falls in the
 * first, 25% in the third (cumulative 200 < 250). */
static void test_percentiles(void **state)
{
    (void)state;
    struct blockstats_feerate v[] = { { 10, 800 }, { 1, 100 }, { 2, 100 } };
    int64_t out[BLOCKSTATS_PERCENTILES];
    blockstats_percentiles(v, 3, 1000, out);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 10);
    assert_int_equal(out[2], 10);
    assert_int_equal(out[4], 10);
    /* Weight exactly at a boundary counts (cumulative >= target). */
    struct blockstats_feerate w[] = { { 3, 10 }, { 7, 30 } };
    blockstats_percentiles(w, 2, 40, out);
    assert_int_equal(out[0], 3); /* 10 >= 4 */
    assert_int_equal(out[1], 3); /* 10 >= 10 */
    assert_int_equal(out[2], 7);
    blockstats_percentiles(w, 0, 0, out);
    assert_int_equal(out[2], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_300025),
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_percentiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
