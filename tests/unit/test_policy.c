/* Policy on the transaction alone: output script classes as Core's
 * Solver sees them, dust thresholds, push-only scripts, fee arithmetic,
 * locktime finality. (The reject reasons are tested through the mempool
 * in test_mempool.) */
#include "chain/util/hex.h"
#include "chain/mempool/policy.h"
#include "chain/script/interpreter.h"
#include "chain/validation/locktime.h"
#include "chain/validation/sigops.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_script_types(void **state)
{
    static const struct {
        const char *hex;
        enum policy_script_type type;
    } cases[] = {
        {"76a914000000000000000000000000000000000000000088ac", POLICY_PUBKEYHASH},
        {"a914000000000000000000000000000000000000000087", POLICY_SCRIPTHASH},
        {"0014751e76e8199196d454941c45d1b3a323f1433bd6", POLICY_WITNESS_V0_KEYHASH},
        {"00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
         POLICY_WITNESS_V0_SCRIPTHASH},
        {"512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
         POLICY_WITNESS_V1_TAPROOT},
        {"51024e73", POLICY_ANCHOR},
        {"6002751e", POLICY_WITNESS_UNKNOWN},
        {"0013751e76e8199196d454941c45d1b3a323f1433b", POLICY_NONSTANDARD}, /* v0, 19 bytes */
        {"6a", POLICY_NULL_DATA},
        {"6a0568656c6c6f", POLICY_NULL_DATA},
        {"6a76", POLICY_NONSTANDARD}, /* OP_RETURN OP_DUP: not push-only */
        {"21020000000000000000000000000000000000000000000000000000000000000000ac",
         POLICY_PUBKEY},
        {"5121020000000000000000000000000000000000000000000000000000000000000000"
         "2103000000000000000000000000000000000000000000000000000000000000000052ae",
         POLICY_MULTISIG},
        {"5121050000000000000000000000000000000000000000000000000000000000000000"
         "51ae", POLICY_NONSTANDARD}, /* 0x05 is no key prefix */
        {"76", POLICY_NONSTANDARD},
        {"", POLICY_NONSTANDARD},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        uint8_t s[128];
        ssize_t n = hex_decode(cases[i].hex, s, sizeof(s));
        assert_true(n >= 0);
        if (policy_script_type(s, (size_t)n) != cases[i].type)
            fail_msg("%s: got %s", cases[i].hex,
                     policy_script_type_name(policy_script_type(s, (size_t)n)));
    }
    assert_string_equal(policy_script_type_name(POLICY_WITNESS_V0_KEYHASH), "witness_v0_keyhash");
    assert_string_equal(policy_script_type_name(POLICY_NULL_DATA), "nulldata");
}

static void test_dust_and_fees(void **state)
{
    uint8_t p2pkh[25];
    assert_int_equal(hex_decode("76a914000000000000000000000000000000000000000088ac", p2pkh, 25),
                     25);
    struct tx_out o = {0, p2pkh, sizeof(p2pkh)};
    assert_int_equal(policy_dust_threshold(&o, POLICY_DUST_RELAY_FEERATE), 546);
    o.script = tb_p2wpkh;
    o.script_len = sizeof(tb_p2wpkh);
    assert_int_equal(policy_dust_threshold(&o, POLICY_DUST_RELAY_FEERATE), 294);
    static const uint8_t ret[] = {0x6a, 0x00};
    o.script = ret;
    o.script_len = sizeof(ret);
    assert_int_equal(policy_dust_threshold(&o, POLICY_DUST_RELAY_FEERATE), 0);
    assert_int_equal(policy_fee_at(1000, 250), 250);
    assert_int_equal(policy_fee_at(1, 250), 1); /* never rounds to nothing */
    assert_int_equal(policy_fee_at(0, 250), 0);
}

static void test_push_only(void **state)
{
    static const uint8_t pushes[] = {0x00, 0x01, 0xaa, 0x4c, 0x01, 0xbb, 0x4d, 0x01, 0x00,
                                     0xcc, 0x4f, 0x51, 0x60};
    assert_true(policy_is_push_only(pushes, sizeof(pushes)));
    static const uint8_t trunc_push[] = {0x4c, 5, 1};
    assert_false(policy_is_push_only(trunc_push, sizeof(trunc_push)));
    static const uint8_t op_nop[] = {0x61};
    assert_false(policy_is_push_only(op_nop, sizeof(op_nop)));
    assert_true(policy_is_push_only(NULL, 0));
}

static void test_finality(void **state)
{
    struct outpoint op = {{{1}}, 0};
    struct tb_in in = {op, 0, NULL, 0, NULL, 0};
    struct tb_out out = {1000, NULL, 0};
    struct tx *by_height = tb_tx(2, &in, 1, &out, 1, 100);
    assert_false(locktime_tx_final(by_height, 100, 0));
    assert_true(locktime_tx_final(by_height, 101, 0));
    struct tx *by_time = tb_tx(2, &in, 1, &out, 1, 1600000000);
    assert_false(locktime_tx_final(by_time, 1000000, 1600000000));
    assert_true(locktime_tx_final(by_time, 0, 1600000001));
    in.sequence = LOCKTIME_SEQUENCE_FINAL; /* every input final: locktime ignored */
    struct tx *seq_final = tb_tx(2, &in, 1, &out, 1, 100);
    assert_true(locktime_tx_final(seq_final, 1, 0));
    tx_free(by_height);
    tx_free(by_time);
    tx_free(seq_final);
}

static uint8_t *unhex(const char *hex, size_t *len)
{
    uint8_t *buf;
    ssize_t n = hex_decode_alloc(hex, &buf);
    assert_true(n >= 0);
    *len = (size_t)n;
    return buf;
}

/* Sigop cost by kind of spend, and which spends are standard. */
static void test_sigops_and_inputs(void **state)
{
    size_t plen, rlen, wlen;
    uint8_t *p2sh = unhex("a914000000000000000000000000000000000000000087", &plen);
    /* 2-of-3 multisig redeem script: 3 accurate sigops. */
    uint8_t *redeem = unhex("5221020000000000000000000000000000000000000000000000000000000000000000"
                            "2102000000000000000000000000000000000000000000000000000000000000000021"
                            "020000000000000000000000000000000000000000000000000000000000000000"
                            "53ae", &rlen);
    uint8_t sig[200];
    sig[0] = 0x00;          /* OP_0 (multisig dummy) */
    sig[1] = 0x4c;          /* OP_PUSHDATA1 redeem */
    sig[2] = (uint8_t)rlen;
    memcpy(sig + 3, redeem, rlen);
    struct outpoint op = {{{1}}, 0};
    struct tb_in in = {op, 0, sig, 3 + rlen, NULL, 0};
    struct tb_out out = {1000, NULL, 0};
    struct tx *tx = tb_tx(2, &in, 1, &out, 1, 0);
    struct tx_out prev[1] = {{0, p2sh, plen}};
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_STANDARD_FLAGS), 3 * 4);
    /* Before BIP16 the redeem script counts nothing (Core's flags test). */
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_VERIFY_NONE), 0);
    assert_true(policy_inputs_standard(tx, prev));
    tx_free(tx);

    /* P2WSH with a one-CHECKSIG witness script: 1, at witness weight. */
    uint8_t *p2wsh = unhex("00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
                           &wlen);
    static const uint8_t wscript[] = {0x21, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xac};
    struct tb_in win = {op, 0, NULL, 0, wscript, sizeof(wscript)};
    tx = tb_tx(2, &win, 1, &out, 1, 0);
    prev[0].script = p2wsh;
    prev[0].script_len = wlen;
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_STANDARD_FLAGS), 1);
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_VERIFY_P2SH), 0);
    /* P2WPKH: 1; an output paying P2PKH adds 4 (legacy). */
    prev[0].script = tb_p2wpkh;
    prev[0].script_len = sizeof(tb_p2wpkh);
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_STANDARD_FLAGS), 1);
    tx_free(tx);
    uint8_t *p2pkh = unhex("76a914000000000000000000000000000000000000000088ac", &plen);
    struct tb_out pkh_out = {1000, p2pkh, 25};
    tx = tb_tx(2, &in, 1, &pkh_out, 1, 0);
    prev[0].script = tb_p2wpkh;
    assert_int_equal(sigops_tx_cost(tx, prev, SCRIPT_STANDARD_FLAGS), 4 + 1);
    assert_int_equal(policy_vsize(400, 100), 500); /* 100 sigops at 20 bytes outweigh 400 WU */

    /* Spending unknown witness versions or nonstandard scripts is not standard. */
    static const uint8_t v2[] = {0x52, 0x02, 0xaa, 0xbb}, odd[] = {0x76};
    prev[0].script = v2;
    prev[0].script_len = sizeof(v2);
    assert_false(policy_inputs_standard(tx, prev));
    prev[0].script = odd;
    prev[0].script_len = sizeof(odd);
    assert_false(policy_inputs_standard(tx, prev));
    tx_free(tx);
    free(p2sh);
    free(redeem);
    free(p2wsh);
    free(p2pkh);
}

/* A one-input transaction whose witness is items[0..n) (a test vector). */
static struct tx *with_witness(const struct tb_in *proto, const size_t *sizes, size_t n,
                               uint8_t first_byte_of_last)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_u8(&w, 0);
    wbuf_u8(&w, 1);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, proto->op.hash.b, 32);
    wbuf_u32(&w, proto->op.n);
    wbuf_varbytes(&w, proto->sig, proto->sig_len);
    wbuf_u32(&w, 0);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, 1000);
    wbuf_varbytes(&w, tb_p2wpkh, sizeof(tb_p2wpkh));
    wbuf_compact(&w, n);
    uint8_t *zeros = calloc(1, 4000);
    for (size_t i = 0; i < n; i++) {
        zeros[0] = i + 1 == n ? first_byte_of_last : 0;
        wbuf_varbytes(&w, zeros, sizes[i]);
    }
    wbuf_u32(&w, 0);
    free(zeros);
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    assert_non_null(tx);
    return tx;
}

static bool witness_ok(const char *prev_hex, const struct tb_in *in, const size_t *sizes,
                       size_t n, uint8_t last_first)
{
    size_t plen;
    uint8_t *prev = unhex(prev_hex, &plen);
    struct tx_out pv[1] = {{0, prev, plen}};
    struct tx *tx = with_witness(in, sizes, n, last_first);
    bool ok = policy_witness_standard(tx, pv);
    tx_free(tx);
    free(prev);
    return ok;
}

static void test_witness_standard(void **state)
{
    static const char p2wsh[] =
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262";
    static const char p2tr[] =
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    struct tb_in in = {{{{1}}, 0}, 0, NULL, 0, NULL, 0};
    size_t s1[] = {80, 80, 100};
    assert_true(witness_ok(p2wsh, &in, s1, 3, 0x51));
    size_t s2[] = {81, 100};
    assert_false(witness_ok(p2wsh, &in, s2, 2, 0x51)); /* stack item over 80 */
    size_t s3[] = {3601};
    assert_false(witness_ok(p2wsh, &in, s3, 1, 0x51)); /* script over 3600 */
    size_t key[] = {64};
    assert_true(witness_ok(p2tr, &in, key, 1, 0));
    size_t annex[] = {64, 10};
    assert_false(witness_ok(p2tr, &in, annex, 2, 0x50));
    size_t leaf[] = {81, 40, 33};
    assert_false(witness_ok(p2tr, &in, leaf, 3, 0xc0)); /* tapscript item over 80 */
    assert_true(witness_ok(p2tr, &in, leaf, 3, 0xc2)); /* unknown leaf version: free */
    size_t one[] = {1};
    assert_false(witness_ok("51024e73", &in, one, 1, 0)); /* pay-to-anchor */
    assert_false(witness_ok("76a914000000000000000000000000000000000000000088ac", &in, one, 1,
                            0)); /* not a witness program */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_types),
        cmocka_unit_test(test_dust_and_fees),
        cmocka_unit_test(test_push_only),
        cmocka_unit_test(test_finality),
        cmocka_unit_test(test_sigops_and_inputs),
        cmocka_unit_test(test_witness_standard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
