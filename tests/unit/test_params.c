/* Chain parameters against Bitcoin Core's chainparams.cpp. */
#include "chain/primitives/hash.h"
#include "chain/primitives/params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

static void assert_magic(const struct chain_params *p, uint32_t be)
{
    uint8_t want[4] = { (uint8_t)(be >> 24), (uint8_t)(be >> 16), (uint8_t)(be >> 8),
                        (uint8_t)be };
    assert_memory_equal(p->magic, want, 4);
}

static void test_network(void **state)
{
    (void)state;
    const struct chain_params *m = params_get(CHAIN_MAIN), *t3 = params_get(CHAIN_TESTNET3),
                              *t4 = params_get(CHAIN_TESTNET4), *s = params_get(CHAIN_SIGNET),
                              *r = params_get(CHAIN_REGTEST);
    assert_magic(m, 0xf9beb4d9);
    assert_magic(t3, 0x0b110907);
    assert_magic(t4, 0x1c163f28);
    assert_magic(s, 0x0a03cf40); /* derived from the default challenge */
    assert_magic(r, 0xfabfb5da);
    assert_int_equal(m->default_port, 8333);
    assert_int_equal(m->rpc_port, 8332);
    assert_int_equal(t3->default_port, 18333);
    assert_int_equal(t3->rpc_port, 18332);
    assert_int_equal(t4->default_port, 48333);
    assert_int_equal(t4->rpc_port, 48332);
    assert_int_equal(s->default_port, 38333);
    assert_int_equal(s->rpc_port, 38332);
    assert_int_equal(r->default_port, 18444);
    assert_int_equal(r->rpc_port, 18443);
    assert_string_equal(m->subdir, "");
    assert_string_equal(t3->subdir, "testnet3");
    assert_string_equal(r->subdir, "regtest");
    assert_string_equal(m->bech32_hrp, "bc");
    assert_string_equal(t4->bech32_hrp, "tb");
    assert_string_equal(r->bech32_hrp, "bcrt");
    assert_int_equal(m->base58_pubkey, 0);
    assert_int_equal(m->base58_script, 5);
    assert_int_equal(m->base58_secret, 128);
    assert_int_equal(r->base58_pubkey, 111);
    assert_int_equal(r->base58_script, 196);
    assert_int_equal(r->base58_secret, 239);
    assert_null(params_get((enum chain_type)42));
}

static void test_names(void **state)
{
    (void)state;
    assert_ptr_equal(params_by_name("main"), params_get(CHAIN_MAIN));
    assert_ptr_equal(params_by_name("test"), params_get(CHAIN_TESTNET3));
    assert_ptr_equal(params_by_name("testnet3"), params_get(CHAIN_TESTNET3));
    assert_ptr_equal(params_by_name("testnet4"), params_get(CHAIN_TESTNET4));
    assert_ptr_equal(params_by_name("signet"), params_get(CHAIN_SIGNET));
    assert_ptr_equal(params_by_name("regtest"), params_get(CHAIN_REGTEST));
    assert_null(params_by_name("mainnet"));
    assert_null(params_by_name(""));
    assert_null(params_by_name(NULL));
    for (int t = CHAIN_MAIN; t <= CHAIN_REGTEST; t++)
        assert_int_equal(params_get((enum chain_type)t)->type, t);
}

static void test_pow(void **state)
{
    (void)state;
    const struct chain_params *m = params_get(CHAIN_MAIN), *t3 = params_get(CHAIN_TESTNET3),
                              *t4 = params_get(CHAIN_TESTNET4), *s = params_get(CHAIN_SIGNET),
                              *r = params_get(CHAIN_REGTEST);
    test_assert_hash_hex(&m->pow_limit,
                    "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    test_assert_hash_hex(&s->pow_limit,
                    "00000377ae000000000000000000000000000000000000000000000000000000");
    test_assert_hash_hex(&r->pow_limit,
                    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    /* Little-endian: the most significant byte is last. */
    assert_int_equal(r->pow_limit.b[31], 0x7f);
    assert_int_equal(m->pow_limit_bits, 0x1d00ffff);
    assert_int_equal(s->pow_limit_bits, 0x1e0377ae);
    assert_int_equal(r->pow_limit_bits, 0x207fffff);
    assert_int_equal(m->pow_target_spacing, 600);
    assert_int_equal(m->pow_target_timespan, 14 * 24 * 3600);
    assert_int_equal(r->pow_target_timespan, 24 * 3600);
    assert_false(m->pow_allow_min_difficulty);
    assert_true(t3->pow_allow_min_difficulty);
    assert_true(t4->pow_allow_min_difficulty);
    assert_false(s->pow_allow_min_difficulty);
    assert_true(r->pow_allow_min_difficulty);
    assert_true(r->pow_no_retargeting);
    assert_false(m->pow_no_retargeting);
    assert_true(t4->enforce_bip94);
    assert_false(t3->enforce_bip94);
    assert_int_equal(m->genesis.bits, 0x1d00ffff);
    assert_int_equal(r->genesis.nonce, 2);
    assert_int_equal(r->genesis.time, 1296688602);
}

static void test_heights(void **state)
{
    (void)state;
    const struct chain_params *m = params_get(CHAIN_MAIN), *t3 = params_get(CHAIN_TESTNET3),
                              *r = params_get(CHAIN_REGTEST), *s = params_get(CHAIN_SIGNET);
    assert_int_equal(m->bip34_height, 227931);
    assert_int_equal(m->bip65_height, 388381);
    assert_int_equal(m->bip66_height, 363725);
    assert_int_equal(m->csv_height, 419328);
    assert_int_equal(m->segwit_height, 481824);
    assert_int_equal(t3->bip34_height, 21111);
    assert_int_equal(t3->segwit_height, 834624);
    assert_int_equal(s->segwit_height, 1);
    assert_int_equal(r->bip34_height, 1);
    assert_int_equal(r->bip65_height, 1);
    assert_int_equal(r->bip66_height, 1);
    assert_int_equal(r->csv_height, 1);
    assert_int_equal(r->segwit_height, 0);
    assert_int_equal(m->subsidy_halving_interval, 210000);
    assert_int_equal(r->subsidy_halving_interval, 150);
}

static void test_subsidy(void **state)
{
    (void)state;
    const struct chain_params *m = params_get(CHAIN_MAIN), *r = params_get(CHAIN_REGTEST);
    assert_int_equal(params_block_subsidy(m, 0), 50 * TX_COIN);
    assert_int_equal(params_block_subsidy(m, 209999), 50 * TX_COIN);
    assert_int_equal(params_block_subsidy(m, 210000), 25 * TX_COIN);
    assert_int_equal(params_block_subsidy(m, 840000), 312500000);
    assert_int_equal(params_block_subsidy(m, 210000 * 33), 0);
    assert_int_equal(params_block_subsidy(m, 210000 * 64), 0);
    assert_int_equal(params_block_subsidy(r, 149), 50 * TX_COIN);
    assert_int_equal(params_block_subsidy(r, 150), 25 * TX_COIN);
    assert_int_equal(params_block_subsidy(r, 150 * 64), 0);
    assert_int_equal(params_block_subsidy(r, 150 * 1000), 0);
    assert_int_equal(params_block_subsidy(r, -1), 0);
    /* The sum of all subsidies stays below 21 million coins. */
    int64_t total = 0;
    for (int era = 0; era < 64; era++)
        total += params_block_subsidy(m, era * 210000) * 210000;
    assert_true(total <= TX_MAX_MONEY);
    assert_int_equal(total, 2099999997690000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network), cmocka_unit_test(test_names),
        cmocka_unit_test(test_pow),     cmocka_unit_test(test_heights),
        cmocka_unit_test(test_subsidy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
