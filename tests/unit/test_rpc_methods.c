/* The RPC methods' shared helpers: script disassembly as Core's
 * ScriptToAsmStr, descriptor checksums (BIP380 vectors), inferred
 * descriptors, difficulty, and a transaction decoded as TxToUniv. */
#include "node/rpc/rpc_util.h"

#include "chain/util/hex.h"
#include "node/rpc/rpc_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void check_asm(const char *hex, bool sighash, const char *want)
{
    uint8_t buf[256];
    ssize_t n = hex_decode(hex, buf, sizeof(buf));
    assert_true(n >= 0);
    char *s = rpc_util_script_asm(buf, (size_t)n, sighash);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_asm(void **state)
{
    (void)state;
    check_asm("76a914000102030405060708090a0b0c0d0e0f1011121388ac", false,
              "OP_DUP OP_HASH160 000102030405060708090a0b0c0d0e0f10111213 OP_EQUALVERIFY "
              "OP_CHECKSIG");
    /* Small pushes are CScriptNums: OP_0, OP_1NEGATE, OP_16, 255, -1, negative zero. */
    check_asm("004f6002ff0001810180", false, "0 -1 16 255 -1 0");
    check_asm("0004ffffff7f", false, "0 2147483647");
    check_asm("6a0b68656c6c6f20776f726c64", false, "OP_RETURN 68656c6c6f20776f726c64");
    check_asm("b1b2ba61ffbb", false,
              "OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY OP_CHECKSIGADD OP_NOP "
              "OP_INVALIDOPCODE OP_UNKNOWN");
    /* A push running past the end. */
    check_asm("5105010203", false, "1 [error]");
    check_asm("4c", false, "[error]");
    check_asm("", false, "");
    /* A DER signature with SIGHASH_ALL, decoded only in scriptSigs. */
    const char *sig = "3006020101020101";
    char hex[64];
    strcpy(hex, "09");
    strcat(hex, sig);
    strcat(hex, "01");
    check_asm(hex, true, "3006020101020101[ALL]");
    check_asm(hex, false, "300602010102010101");
    /* An undefined hash type stays hex. */
    hex[strlen(hex) - 1] = '4';
    check_asm(hex, true, "300602010102010104");
}

static void test_desc_checksum(void **state)
{
    (void)state;
    char sum[9];
    assert_int_equal(rpc_util_desc_checksum("raw(deadbeef)", 13, sum), 0);
    assert_string_equal(sum, "89f8spxm");
    const char *a = "addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)";
    assert_int_equal(rpc_util_desc_checksum(a, strlen(a), sum), 0);
    assert_string_equal(sum, "02wpgw69");
    assert_int_equal(rpc_util_desc_checksum("raw(\x01)", 6, sum), -1);
}

static void check_desc(const char *script_hex, const char *want)
{
    uint8_t buf[128];
    ssize_t n = hex_decode(script_hex, buf, sizeof(buf));
    assert_true(n >= 0);
    char *d = rpc_util_infer_descriptor(params_get(CHAIN_REGTEST), buf, (size_t)n);
    char sum[9];
    assert_non_null(d);
    size_t body = strlen(d) - 9;
    assert_int_equal(d[body], '#');
    assert_int_equal(rpc_util_desc_checksum(d, body, sum), 0);
    assert_string_equal(d + body + 1, sum);
    d[body] = '\0';
    assert_string_equal(d, want);
    free(d);
}

static void test_infer_descriptor(void **state)
{
    (void)state;
    /* P2WSH(OP_TRUE), what the functional tests mine to. */
    check_desc("00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260",
               "addr(bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85)");
    check_desc("6a0100", "raw(6a0100)");
    check_desc("51", "raw(51)");
    check_desc("21020000000000000000000000000000000000000000000000000000000000000001ac",
               "pk(020000000000000000000000000000000000000000000000000000000000000001)");
}

static void test_difficulty(void **state)
{
    (void)state;
    assert_true(rpc_util_difficulty(0x1d00ffff) == 1.0);
    double regtest = rpc_util_difficulty(0x207fffff);
    assert_true(regtest > 4.6565423739e-10 && regtest < 4.6565423740e-10);
}

/* Bitcoin Core's decoderawtransaction doc example shape: one P2WSH(OP_TRUE)
 * spend with a witness, paying the same script. */
static void test_tx_json(void **state)
{
    (void)state;
    const char *hex =
        "02000000000101"
        "1111111111111111111111111111111111111111111111111111111111111111" "00000000"
        "00" "fdffffff" "01" "18ddf50500000000"
        "22" "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260"
        "01" "01" "51" "00000000";
    uint8_t raw[256];
    ssize_t n = hex_decode(hex, raw, sizeof(raw));
    const char *why;
    struct tx *tx = tx_from_bytes(raw, (size_t)n, &why);
    assert_non_null(tx);
    json_t *j = rpc_util_tx_json(params_get(CHAIN_REGTEST), tx, false);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 99);
    assert_int_equal(json_integer_value(json_object_get(j, "weight")), 94 * 3 + 99);
    assert_int_equal(json_integer_value(json_object_get(j, "vsize")), 96);
    json_t *in = json_array_get(json_object_get(j, "vin"), 0);
    assert_string_equal(json_string_value(json_object_get(in, "txid")),
                        "1111111111111111111111111111111111111111111111111111111111111111");
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "txinwitness"), 0)),
                        "51");
    assert_int_equal(json_integer_value(json_object_get(in, "sequence")), 0xfffffffd);
    json_t *out = json_array_get(json_object_get(j, "vout"), 0);
    assert_true(json_real_value(json_object_get(out, "value")) == 0.99999000);
    json_t *spk = json_object_get(out, "scriptPubKey");
    assert_string_equal(json_string_value(json_object_get(spk, "type")), "witness_v0_scripthash");
    assert_string_equal(json_string_value(json_object_get(spk, "address")),
                        "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85");
    assert_null(json_object_get(j, "hex"));
    json_decref(j);
    rpc_amounts_release();
    tx_free(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asm),
        cmocka_unit_test(test_desc_checksum),
        cmocka_unit_test(test_infer_descriptor),
        cmocka_unit_test(test_difficulty),
        cmocka_unit_test(test_tx_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
