/* BIP141 witness commitments without script execution (chain/primitives/witness.h). */
#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/primitives/witness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const uint8_t op_true[] = { 0x51 };
/* The BIP173 example key and its hash160. */
static const char *g_pubkey = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
static const char *g_hash160 = "751e76e8199196d454941c45d1b3a323f1433bd6";

struct fixture {
    uint8_t prev[64];
    size_t prev_len;
    uint8_t sigscript[64];
    struct tx_witem wit[2];
    struct tx_in in;
};

static void p2wsh_of(struct fixture *f, const uint8_t *script, size_t len)
{
    f->prev[0] = 0x00;
    f->prev[1] = 32;
    hash_sha256(script, len, f->prev + 2);
    f->prev_len = 34;
}

static void set_witness(struct fixture *f, size_t n, const uint8_t *a, size_t alen,
                        const uint8_t *b, size_t blen)
{
    f->wit[0] = (struct tx_witem){ a, alen };
    f->wit[1] = (struct tx_witem){ b, blen };
    f->in.wit = f->wit;
    f->in.wit_count = n;
}

static bool check(struct fixture *f, const char **why, bool *stripped)
{
    *why = NULL;
    return witness_check_input(&f->in, f->prev, f->prev_len, why, stripped);
}

static void test_hash160_vectors(void **state)
{
    (void)state;
    uint8_t h[20], key[33], want[20];
    char hex[41];
    hash_hash160("", 0, h);
    hex_encode(h, 20, hex);
    assert_string_equal(hex, "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb");
    assert_int_equal(hex_decode(g_pubkey, key, sizeof(key)), 33);
    assert_int_equal(hex_decode(g_hash160, want, sizeof(want)), 20);
    hash_hash160(key, 33, h);
    assert_memory_equal(h, want, 20);
}

static void test_p2wsh(void **state)
{
    (void)state;
    struct fixture f = {0};
    const char *why;
    bool stripped;
    p2wsh_of(&f, op_true, 1);

    set_witness(&f, 1, op_true, 1, NULL, 0);
    assert_true(check(&f, &why, &stripped));

    set_witness(&f, 0, NULL, 0, NULL, 0); /* stripped */
    assert_false(check(&f, &why, &stripped));
    assert_true(stripped);
    assert_non_null(strstr(why, "empty witness"));

    static const uint8_t op_2[] = { 0x52 }; /* swapped script */
    set_witness(&f, 1, op_2, 1, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_false(stripped);
    assert_string_equal(why, "mandatory-script-verify-flag-failed (Witness program hash mismatch)");

    set_witness(&f, 1, op_true, 1, NULL, 0);
    f.sigscript[0] = 0x51;
    f.in.script = f.sigscript;
    f.in.script_len = 1;
    assert_false(check(&f, &why, &stripped));
    assert_non_null(strstr(why, "empty scriptSig"));
}

static void test_p2wpkh(void **state)
{
    (void)state;
    struct fixture f = {0};
    const char *why;
    bool stripped;
    uint8_t key[33], sig[72] = { 0x30 };
    hex_decode(g_pubkey, key, sizeof(key));
    f.prev[0] = 0x00;
    f.prev[1] = 20;
    hex_decode(g_hash160, f.prev + 2, 20);
    f.prev_len = 22;

    set_witness(&f, 2, sig, sizeof(sig), key, sizeof(key));
    assert_true(check(&f, &why, &stripped)); /* the signature itself is not checked */

    key[5] ^= 1;
    assert_false(check(&f, &why, &stripped));
    assert_non_null(strstr(why, "hash mismatch"));

    set_witness(&f, 1, sig, sizeof(sig), NULL, 0);
    assert_false(check(&f, &why, &stripped));

    set_witness(&f, 0, NULL, 0, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_true(stripped);
}

static void test_p2sh_wrapped(void **state)
{
    (void)state;
    struct fixture f = {0};
    const char *why;
    bool stripped;
    /* The program P2WSH(OP_TRUE) pushed in the scriptSig; the output is
     * P2SH of that program. */
    uint8_t program[34];
    program[0] = 0x00;
    program[1] = 32;
    hash_sha256(op_true, 1, program + 2);
    f.sigscript[0] = 34;
    memcpy(f.sigscript + 1, program, 34);
    f.in.script = f.sigscript;
    f.in.script_len = 35;
    f.prev[0] = 0xa9;
    f.prev[1] = 20;
    hash_hash160(program, 34, f.prev + 2);
    f.prev[22] = 0x87;
    f.prev_len = 23;

    set_witness(&f, 1, op_true, 1, NULL, 0);
    assert_true(check(&f, &why, &stripped));
    set_witness(&f, 0, NULL, 0, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_true(stripped);
}

static void test_non_witness_and_future_versions(void **state)
{
    (void)state;
    struct fixture f = {0};
    const char *why;
    bool stripped;
    /* P2PKH: no witness allowed. */
    static const uint8_t p2pkh[25] = { 0x76, 0xa9, 20, [23] = 0x88, [24] = 0xac };
    memcpy(f.prev, p2pkh, sizeof(p2pkh));
    f.prev_len = sizeof(p2pkh);
    assert_true(check(&f, &why, &stripped));
    set_witness(&f, 1, op_true, 1, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_non_null(strstr(why, "non-witness script"));

    /* Taproot: a witness is required, its contents are signature rules. */
    memset(f.prev, 0, sizeof(f.prev));
    f.prev[0] = 0x51;
    f.prev[1] = 32;
    f.prev_len = 34;
    set_witness(&f, 1, op_true, 1, NULL, 0);
    assert_true(check(&f, &why, &stripped));
    set_witness(&f, 0, NULL, 0, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_true(stripped);

    /* Version 2: upgradable, anything goes. */
    f.prev[0] = 0x52;
    assert_true(check(&f, &why, &stripped));

    /* Version 0 with a program of neither 20 nor 32 bytes. */
    f.prev[0] = 0x00;
    f.prev[1] = 24;
    f.prev_len = 26;
    set_witness(&f, 1, op_true, 1, NULL, 0);
    assert_false(check(&f, &why, &stripped));
    assert_non_null(strstr(why, "incorrect length"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash160_vectors),
        cmocka_unit_test(test_p2wsh),
        cmocka_unit_test(test_p2wpkh),
        cmocka_unit_test(test_p2sh_wrapped),
        cmocka_unit_test(test_non_witness_and_future_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
