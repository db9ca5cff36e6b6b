/* P2WSH(OP_TRUE) transactions: byte-exact against an independent builder,
 * sizes and fees exact, standard by Core's rules, and accepted by our
 * mempool (which applies Core's policy) as chains and fan-outs. */
#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/mempool/mempool.h"
#include "chain/primitives/optrue.h"
#include "chain/mempool/policy.h"
#include "chain/primitives/tx.h"
#include "chain/validation/validation.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

#define TXID_A "1111111111111111111111111111111122222222222222222222222222222222"

/* tests/functional/txtools.py's spend(TXID_A, 3, 50 BTC, fee=96): the
 * Python builder the functional tests use, written independently. */
#define SPEND_A_HEX                                                                            \
    "0200000000010122222222222222222222222222222222111111111111111111111111111111110300000000" \
    "fdffffff01a0f1052a010000002200204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b" \
    "8cc3326001015100000000"

static struct optrue_coin coin(const char *txid, uint32_t n, int64_t value)
{
    struct optrue_coin c = {.op.n = n, .value = value};
    assert_true(hash_from_hex(txid, &c.op.hash));
    return c;
}

static void test_script(void **state)
{
    (void)state;
    uint8_t h[32];
    const uint8_t op_true = 0x51;
    hash_sha256(&op_true, 1, h);
    assert_int_equal(optrue_script[0], 0x00);
    assert_int_equal(optrue_script[1], 0x20);
    assert_memory_equal(optrue_script + 2, h, 32);
    assert_int_equal(policy_script_type(optrue_script, sizeof(optrue_script)),
                     POLICY_WITNESS_V0_SCRIPTHASH);
}

static void test_matches_python_builder(void **state)
{
    (void)state;
    struct optrue_coin c = coin(TXID_A, 3, 50 * TX_COIN);
    char *err = NULL;
    struct tx *tx = optrue_spend(&c, 1, 1, OPTRUE_FEERATE_DEFAULT, &err);
    assert_non_null(tx);
    char *hex = optrue_hex(tx);
    assert_string_equal(hex, SPEND_A_HEX);
    assert_int_equal(tx->vout[0].value, 50 * TX_COIN - 96);
    free(hex);
    tx_free(tx);
}

/* Everything Core checks without the coins, plus the P2WSH input rules. */
static void assert_standard(const struct tx *tx, int64_t in_value, int64_t feerate)
{
    const char *reason = NULL;
    assert_int_equal(tx->version, 2);
    assert_true(validation_check_transaction(tx, &reason));
    struct policy_standard ps;
    policy_standard_default(&ps);
    assert_true(policy_is_standard_tx(tx, &ps, &reason));
    struct tx_out prev[OPTRUE_MAX_INPUTS];
    for (size_t i = 0; i < tx->vin_count; i++) {
        prev[i] = (struct tx_out){0, optrue_script, sizeof(optrue_script)};
        assert_int_equal(tx->vin[i].script_len, 0);
        assert_int_equal(tx->vin[i].wit_count, 1);
        assert_int_equal(tx->vin[i].wit[0].len, 1);
        assert_int_equal(tx->vin[i].wit[0].data[0], 0x51);
    }
    assert_true(policy_inputs_standard(tx, prev));
    int64_t out = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        assert_true(tx->vout[i].value >= policy_dust_threshold(&tx->vout[i], 3000));
        assert_memory_equal(tx->vout[i].script, optrue_script, sizeof(optrue_script));
        out += tx->vout[i].value;
    }
    size_t vsize = tx_vsize(tx);
    assert_int_equal(vsize, optrue_vsize(tx->vin_count, tx->vout_count));
    assert_true(in_value - out >= policy_fee_at(feerate, vsize));
    assert_int_equal(in_value - out, optrue_fee(tx->vin_count, tx->vout_count, feerate));
}

static void test_sizes_and_standardness(void **state)
{
    (void)state;
    static const size_t shapes[][2] = {{1, 1}, {1, 2}, {2, 1}, {3, 7}, {1, 252}, {1, 253},
                                       {253, 1}, {OPTRUE_MAX_INPUTS, OPTRUE_MAX_OUTPUTS}};
    static struct optrue_coin in[OPTRUE_MAX_INPUTS];
    for (size_t i = 0; i < OPTRUE_MAX_INPUTS; i++)
        in[i] = coin(TXID_A, (uint32_t)i, TX_COIN);
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        for (int64_t rate = 1000; rate <= 2500; rate += 1500) {
            char *err = NULL;
            struct tx *tx = optrue_spend(in, shapes[s][0], shapes[s][1], rate, &err);
            assert_non_null(tx);
            assert_true(tx_weight(tx) <= POLICY_MAX_STANDARD_TX_WEIGHT);
            assert_standard(tx, (int64_t)shapes[s][0] * TX_COIN, rate);
            tx_free(tx);
        }
    }
}

static void test_dust_matches_policy(void **state)
{
    (void)state;
    struct tx_out o = {.value = 0, .script = optrue_script, .script_len = sizeof(optrue_script)};
    assert_int_equal(optrue_dust(), policy_dust_threshold(&o, POLICY_DUST_RELAY_FEERATE));
    assert_int_equal(optrue_dust(), 330);
}

static void expect_error(const struct optrue_coin *in, size_t n_in, size_t n_out, int64_t rate)
{
    char *err = NULL;
    assert_null(optrue_spend(in, n_in, n_out, rate, &err));
    assert_non_null(err);
    free(err);
}

static void test_errors(void **state)
{
    (void)state;
    struct optrue_coin c = coin(TXID_A, 0, TX_COIN);
    expect_error(&c, 0, 1, 1000);
    expect_error(&c, 1, 0, 1000);
    expect_error(&c, OPTRUE_MAX_INPUTS + 1, 1, 1000);
    expect_error(&c, 1, OPTRUE_MAX_OUTPUTS + 1, 1000);
    expect_error(&c, 1, 1, -1);
    /* Just enough for one non-dust output, and one satoshi short of it. */
    c.value = optrue_dust() + optrue_fee(1, 1, 1000);
    char *err = NULL;
    struct tx *tx = optrue_spend(&c, 1, 1, 1000, &err);
    assert_non_null(tx);
    assert_int_equal(tx->vout[0].value, optrue_dust());
    tx_free(tx);
    c.value--;
    expect_error(&c, 1, 1, 1000);
    c.value = TX_MAX_MONEY + 1;
    expect_error(&c, 1, 1, 1000);
    struct optrue_coin two[2] = {coin(TXID_A, 0, TX_MAX_MONEY), coin(TXID_A, 1, 1)};
    expect_error(two, 2, 1, 1000);
    /* A chain whose value runs out part way: nothing is left allocated. */
    struct tx *txs[40];
    c.value = 20 * optrue_fee(1, 1, 1000) + optrue_dust();
    assert_int_equal(optrue_chain(&c, 40, 1, 1000, txs, &err), -1);
    assert_non_null(err);
    free(err);
}

/* One confirmed coin of 50 BTC behind the mempool's lookup. */
static struct optrue_coin funding;

static bool lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    (void)ctx;
    if (!hash_eq(&op->hash, &funding.op.hash) || op->n != funding.op.n)
        return false;
    out->value = funding.value;
    out->height = 1;
    out->coinbase = true;
    out->script_len = sizeof(optrue_script);
    out->script = malloc(sizeof(optrue_script));
    memcpy(out->script, optrue_script, sizeof(optrue_script));
    return true;
}

static void accept_all(struct tx **txs, size_t n)
{
    struct mempool_options o;
    mempool_options_default(&o);
    struct mempool *mp = mempool_new(&o, lookup, NULL);
    struct mempool_tip tip = {.height = 200, .mtp = 1700000000};
    for (size_t i = 0; i < n; i++) {
        struct mempool_reject rej;
        enum mempool_status st = mempool_accept(mp, txs[i], &tip, 1700000000, &rej);
        if (st != MEMPOOL_ACCEPTED)
            fail_msg("tx %zu rejected: %s %s", i, rej.reason, rej.detail);
    }
    assert_int_equal(mempool_count(mp), n);
    mempool_free(mp);
}

static void test_chain_accepted(void **state)
{
    (void)state;
    funding = coin(TXID_A, 0, 50 * TX_COIN);
    struct tx *txs[MEMPOOL_DEFAULT_ANCESTOR_COUNT];
    char *err = NULL;
    /* Two outputs each for the first 20 (output 0 halves at every step),
     * then one: Core's longest unconfirmed chain. */
    if (optrue_chain(&funding, 20, 2, 1000, txs, &err) != 0)
        fail_msg("%s", err);
    struct optrue_coin next = optrue_coin_of(txs[19], 0);
    if (optrue_chain(&next, 5, 1, 1000, txs + 20, &err) != 0)
        fail_msg("%s", err);
    for (size_t i = 1; i < MEMPOOL_DEFAULT_ANCESTOR_COUNT; i++) {
        assert_true(hash_eq(&txs[i]->vin[0].prevout.hash, &txs[i - 1]->txid));
        assert_int_equal(txs[i]->vin[0].prevout.n, 0);
        assert_int_equal(txs[i]->vout_count, i < 20 ? 2 : 1);
    }
    accept_all(txs, MEMPOOL_DEFAULT_ANCESTOR_COUNT);
    for (size_t i = 0; i < MEMPOOL_DEFAULT_ANCESTOR_COUNT; i++)
        tx_free(txs[i]);
}

static void test_fanout_accepted(void **state)
{
    (void)state;
    enum { CHILDREN = MEMPOOL_DEFAULT_ANCESTOR_COUNT - 1 };
    funding = coin(TXID_A, 1, 50 * TX_COIN);
    struct tx *txs[1 + CHILDREN];
    char *err = NULL;
    assert_int_equal(optrue_fanout(&funding, CHILDREN, 1000, txs, &err), 0);
    assert_int_equal(txs[0]->vout_count, CHILDREN);
    for (size_t i = 0; i < CHILDREN; i++) {
        assert_true(hash_eq(&txs[1 + i]->vin[0].prevout.hash, &txs[0]->txid));
        assert_int_equal(txs[1 + i]->vin[0].prevout.n, i);
        assert_standard(txs[1 + i], txs[0]->vout[i].value, 1000);
    }
    accept_all(txs, 1 + CHILDREN);
    for (size_t i = 0; i < 1 + CHILDREN; i++)
        tx_free(txs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_matches_python_builder),
        cmocka_unit_test(test_sizes_and_standardness),
        cmocka_unit_test(test_dust_matches_policy),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_chain_accepted),
        cmocka_unit_test(test_fanout_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
