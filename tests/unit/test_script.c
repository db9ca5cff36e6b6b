/* What Core's vectors reach poorly: FindAndDelete, the size limits at
 * their exact edges, tapscript's own errors, script numbers and the
 * signature cache (hit, miss, store or not, eviction). */
#include "chain/script/interp_internal.h"
#include "chain/script/pubkey.h"
#include "chain/script/sigcache.h"
#include "chain/script/taproot.h"
#include "tests/unit/script_testutil.h"

#include <secp256k1.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

#define AMOUNT 100000

static enum script_error run(const uint8_t *sig, size_t sig_len, const uint8_t *spk,
                             size_t spk_len, const struct tx_witem *wit, size_t nwit,
                             uint32_t flags)
{
    struct script_test_spend t;
    assert_true(script_test_build(&t, sig, sig_len, spk, spk_len, wit, nwit, AMOUNT));
    enum script_error e = script_test_verify(&t, flags, NULL, false);
    script_test_free(&t);
    return e;
}

static void check_fad(const char *script_hex, const char *sig_hex, const char *want_hex,
                      size_t want_found)
{
    size_t len, sig_len, want_len;
    uint8_t *s = test_unhex(script_hex, &len), *sig = test_unhex(sig_hex, &sig_len);
    uint8_t *want = test_unhex(want_hex, &want_len);
    assert_int_equal(script_find_and_delete(s, len, NULL, NULL, sig, sig_len), want_found);
    assert_int_equal(script_find_and_delete(s, len, s, &len, sig, sig_len), want_found);
    assert_int_equal(len, want_len);
    assert_memory_equal(s, want, len);
    free(s);
    free(sig);
    free(want);
}

static void test_find_and_delete(void **state)
{
    (void)state;
    /* Both aligned copies go; consecutive matches are found in one pass. */
    check_fad("0302ff030302ff03", "02ff03", "", 2);
    /* Only at operation boundaries: inside another push it stays. */
    check_fad("050302ff0399", "02ff03", "050302ff0399", 0);
    /* An empty signature is the push OP_0. */
    check_fad("0003feed", "", "03feed", 1);
    /* Core keeps a truncated tail as it is. */
    check_fad("0302ff034c", "02ff03", "4c", 1);
    check_fad("510302ff03ac", "02ff03", "51ac", 1);
    /* A PUSHDATA1 form is not the canonical push: kept. */
    check_fad("4c0302ff03", "02ff03", "4c0302ff03", 0);
}

/* n copies of op followed by tail. */
static uint8_t *repeat(uint8_t op, size_t n, const uint8_t *tail, size_t tail_len, size_t *len)
{
    uint8_t *s = malloc(n + tail_len + 1);
    memset(s, op, n);
    if (tail_len)
        memcpy(s + n, tail, tail_len);
    *len = n + tail_len;
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = repeat(OP_1, 1000, NULL, 0, &len);
    assert_int_equal(run(NULL, 0, s, len, NULL, 0, 0), SCRIPT_ERR_OK);
    free(s);
    s = repeat(OP_1, 1001, NULL, 0, &len);
    assert_int_equal(run(NULL, 0, s, len, NULL, 0, 0), SCRIPT_ERR_STACK_SIZE);
    free(s);
    /* The altstack counts too: 999 + TOALTSTACK'd one + one more. */
    s = repeat(OP_1, 1000, (const uint8_t[]){OP_TOALTSTACK, OP_1}, 2, &len);
    assert_int_equal(run(NULL, 0, s, len, NULL, 0, 0), SCRIPT_ERR_STACK_SIZE);
    free(s);
    /* 201 non-push operations are fine, the 202nd is not. */
    s = repeat(OP_NOP, 201, (const uint8_t[]){OP_1}, 1, &len);
    assert_int_equal(run(NULL, 0, s, len, NULL, 0, 0), SCRIPT_ERR_OK);
    free(s);
    s = repeat(OP_NOP, 202, (const uint8_t[]){OP_1}, 1, &len);
    assert_int_equal(run(NULL, 0, s, len, NULL, 0, 0), SCRIPT_ERR_OP_COUNT);
    free(s);
    /* 10,000 bytes of script pass the size check, one more does not. */
    uint8_t big[SCRIPT_MAX_SIZE + 1];
    memset(big, 1, sizeof(big));
    big[0] = OP_1;
    for (size_t at = 1; at < SCRIPT_MAX_SIZE; at += 76)
        big[at] = (uint8_t)(SCRIPT_MAX_SIZE - at < 76 ? SCRIPT_MAX_SIZE - at - 1 : 75);
    assert_int_equal(run(NULL, 0, big, SCRIPT_MAX_SIZE, NULL, 0, 0), SCRIPT_ERR_OK);
    memset(big, OP_NOP, sizeof(big));
    big[sizeof(big) - 1] = OP_1;
    assert_int_equal(run(NULL, 0, big, SCRIPT_MAX_SIZE + 1, NULL, 0, 0),
                     SCRIPT_ERR_SCRIPT_SIZE);
    /* 520-byte elements, not 521. */
    uint8_t push[3 + 521] = {OP_PUSHDATA2, 0x08, 0x02};
    memset(push + 3, 1, 521);
    assert_int_equal(run(NULL, 0, push, 3 + 520, NULL, 0, 0), SCRIPT_ERR_OK);
    push[1] = 0x09;
    assert_int_equal(run(NULL, 0, push, 3 + 521, NULL, 0, 0), SCRIPT_ERR_PUSH_SIZE);
}

static void test_upgradable_nops(void **state)
{
    (void)state;
    const uint32_t disc = SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS;
    const uint8_t nop4[] = {OP_NOP4, OP_1}, cltv[] = {OP_0, OP_CHECKLOCKTIMEVERIFY},
                  csv[] = {OP_0, OP_CHECKSEQUENCEVERIFY};
    assert_int_equal(run(NULL, 0, nop4, 2, NULL, 0, 0), SCRIPT_ERR_OK);
    assert_int_equal(run(NULL, 0, nop4, 2, NULL, 0, disc), SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS);
    /* Without their flags CLTV and CSV are NOPs even when NOPs are
     * discouraged (so that removing a flag never invalidates). */
    assert_int_equal(run(NULL, 0, cltv, 2, NULL, 0, disc), SCRIPT_ERR_EVAL_FALSE);
    assert_int_equal(run(NULL, 0, csv, 2, NULL, 0, disc), SCRIPT_ERR_EVAL_FALSE);
    /* With them: the spend is final (sequence 0xffffffff), version 1. */
    assert_int_equal(run(NULL, 0, cltv, 2, NULL, 0, SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run(NULL, 0, csv, 2, NULL, 0, SCRIPT_VERIFY_CHECKSEQUENCEVERIFY),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
}

static void test_script_numbers(void **state)
{
    (void)state;
    uint8_t b[9];
    int64_t v;
    enum script_error e;
    static const int64_t cases[] = {0, 1, -1, 127, 128, -128, 255, 32767, -32768,
                                    2147483647, -2147483647, 549755813887LL};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = scriptnum_encode(cases[i], b);
        assert_true(scriptnum_decode(b, n, true, 8, &v, &e));
        assert_int_equal(v, cases[i]);
    }
    assert_int_equal(scriptnum_encode(128, b), 2); /* 0x80 0x00: room for the sign */
    assert_false(scriptnum_decode((const uint8_t[]){0x01, 0x00}, 2, true, 4, &v, &e));
    assert_true(scriptnum_decode((const uint8_t[]){0x01, 0x00}, 2, false, 4, &v, &e));
    assert_int_equal(v, 1);
    assert_false(scriptnum_decode((const uint8_t[]){1, 2, 3, 4, 5}, 5, false, 4, &v, &e));
    assert_true(scriptnum_decode((const uint8_t[]){0x80}, 1, false, 4, &v, &e)); /* -0 */
    assert_int_equal(v, 0);
    assert_false(script_cast_bool((const uint8_t[]){0, 0, 0x80}, 3));
    assert_true(script_cast_bool((const uint8_t[]){0, 0x80, 0}, 3));
}

/* A taproot output committing to one leaf; the spend's witness is items,
 * the script and a control block (control_len bytes: 33 is right). */
static enum script_error run_tapscript(uint8_t leaf, const uint8_t *script, size_t len,
                                       const struct tx_witem *items, size_t n,
                                       size_t control_len, uint32_t flags)
{
    static const uint8_t internal[32] = {
        0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62,
        0x95, 0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce,
        0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};
    uint8_t leaf_hash[32], spk[34] = {OP_1, 32}, control[TAPROOT_CONTROL_BASE_SIZE + 1] = {0};
    int parity;
    taproot_leaf_hash(leaf_hash, leaf, script, len);
    assert_true(pubkey_taproot_output(spk + 2, &parity, internal, leaf_hash));
    control[0] = (uint8_t)(leaf | parity);
    memcpy(control + 1, internal, 32);
    struct tx_witem *wit = calloc(n + 2, sizeof(*wit));
    if (n)
        memcpy(wit, items, n * sizeof(*wit));
    wit[n] = (struct tx_witem){script, len};
    wit[n + 1] = (struct tx_witem){control, control_len};
    enum script_error e = run(NULL, 0, spk, sizeof(spk), wit, n + 2, flags);
    free(wit);
    return e;
}

static void test_tapscript_errors(void **state)
{
    (void)state;
    const uint32_t std = SCRIPT_STANDARD_FLAGS, cons = SCRIPT_MANDATORY_FLAGS;
    const uint8_t two = 2, one = 1;
    const struct tx_witem arg2 = {&two, 1}, arg1 = {&one, 1};
    const uint8_t if_script[] = {OP_IF, OP_1, OP_ELSE, OP_1, OP_ENDIF};
    assert_int_equal(run_tapscript(0xc0, if_script, sizeof(if_script), &arg1, 1, 33, cons),
                     SCRIPT_ERR_OK);
    /* MINIMALIF is consensus in tapscript. */
    assert_int_equal(run_tapscript(0xc0, if_script, sizeof(if_script), &arg2, 1, 33, cons),
                     SCRIPT_ERR_TAPSCRIPT_MINIMALIF);
    const uint8_t empty_key[] = {OP_0, OP_0, OP_CHECKSIG, OP_NOT};
    assert_int_equal(run_tapscript(0xc0, empty_key, sizeof(empty_key), NULL, 0, 33, cons),
                     SCRIPT_ERR_TAPSCRIPT_EMPTY_PUBKEY);
    /* An unknown key type (33 bytes) with an empty signature: false, and
     * discouraged by policy. */
    uint8_t unknown_key[37] = {OP_0, 33};
    memset(unknown_key + 2, 2, 33);
    unknown_key[35] = OP_CHECKSIG, unknown_key[36] = OP_NOT;
    assert_int_equal(run_tapscript(0xc0, unknown_key, 37, NULL, 0, 33, cons), SCRIPT_ERR_OK);
    assert_int_equal(run_tapscript(0xc0, unknown_key, 37, NULL, 0, 33, std),
                     SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE);
    const uint8_t multisig[] = {OP_0, OP_0, OP_0, OP_CHECKMULTISIG};
    assert_int_equal(run_tapscript(0xc0, multisig, sizeof(multisig), NULL, 0, 33, cons),
                     SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG);
    /* OP_SUCCESSx wins even over a bad opcode later; policy discourages it. */
    const uint8_t success[] = {OP_RETURN, 0x50, OP_VERIF};
    assert_int_equal(run_tapscript(0xc0, success, sizeof(success), NULL, 0, 33, cons),
                     SCRIPT_ERR_OK);
    assert_int_equal(run_tapscript(0xc0, success, sizeof(success), NULL, 0, 33, std),
                     SCRIPT_ERR_DISCOURAGE_OP_SUCCESS);
    /* Unknown leaf versions succeed unless discouraged. */
    const uint8_t ret[] = {OP_RETURN};
    assert_int_equal(run_tapscript(0xc2, ret, 1, NULL, 0, 33, cons), SCRIPT_ERR_OK);
    assert_int_equal(run_tapscript(0xc2, ret, 1, NULL, 0, 33, std),
                     SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION);
    assert_int_equal(run_tapscript(0xc0, ret, 1, NULL, 0, 34, cons),
                     SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE);
    /* The initial stack is limited to 1000 items in tapscript. */
    struct tx_witem many[1001];
    for (size_t i = 0; i < 1001; i++)
        many[i] = arg1;
    const uint8_t depth[] = {OP_DEPTH, OP_TOALTSTACK, OP_2DROP, OP_1};
    assert_int_equal(run_tapscript(0xc0, depth, sizeof(depth), many, 1001, 33, cons),
                     SCRIPT_ERR_STACK_SIZE);
    /* Without TAPROOT a v1 program is anyone-can-spend. */
    assert_int_equal(run_tapscript(0xc0, ret, 1, NULL, 0, 33, cons & ~SCRIPT_VERIFY_TAPROOT),
                     SCRIPT_ERR_OK);
}

/* A P2WPKH spend signed with libsecp256k1 (the test's own context). */
struct signed_spend {
    uint8_t spk[22], pub[33], sig[80], hash[32];
    size_t sig_len;
};

static void sign_p2wpkh(struct signed_spend *s)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t sec[32];
    memset(sec, 0x42, 32);
    secp256k1_pubkey pk;
    assert_true(secp256k1_ec_pubkey_create(ctx, &pk, sec));
    size_t pub_len = 33;
    secp256k1_ec_pubkey_serialize(ctx, s->pub, &pub_len, &pk, SECP256K1_EC_COMPRESSED);
    s->spk[0] = OP_0, s->spk[1] = 20;
    hash_hash160(s->pub, 33, s->spk + 2);
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, s->spk + 2, 20);
    code[23] = OP_EQUALVERIFY, code[24] = OP_CHECKSIG;
    /* The witness is not part of the BIP143 hash: sign a dummy spend. */
    struct tx_witem wit[2] = {{s->pub, 1}, {s->pub, 33}};
    struct script_test_spend t;
    assert_true(script_test_build(&t, NULL, 0, s->spk, 22, wit, 2, AMOUNT));
    sighash_segwit_v0(s->hash, &t.d, 0, code, sizeof(code), AMOUNT, SIGHASH_ALL);
    script_test_free(&t);
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(ctx, &sig, s->hash, sec, NULL, NULL));
    s->sig_len = 72;
    assert_true(secp256k1_ecdsa_signature_serialize_der(ctx, s->sig, &s->sig_len, &sig));
    s->sig[s->sig_len++] = SIGHASH_ALL;
    secp256k1_context_destroy(ctx);
}

static enum script_error verify_signed(const struct signed_spend *s, const uint8_t *sig,
                                       struct sigcache *c, bool store)
{
    struct tx_witem wit[2] = {{sig, s->sig_len}, {s->pub, 33}};
    struct script_test_spend t;
    assert_true(script_test_build(&t, NULL, 0, s->spk, 22, wit, 2, AMOUNT));
    enum script_error e = script_test_verify(&t, SCRIPT_STANDARD_FLAGS, c, store);
    script_test_free(&t);
    return e;
}

static void test_sigcache_verify(void **state)
{
    (void)state;
    struct signed_spend s;
    sign_p2wpkh(&s);
    struct sigcache *c = sigcache_new(4096), *other = sigcache_new(4096);
    assert_non_null(c);
    assert_int_equal(verify_signed(&s, s.sig, NULL, false), SCRIPT_ERR_OK);
    /* Blocks only read the cache; the mempool stores. */
    assert_int_equal(verify_signed(&s, s.sig, c, false), SCRIPT_ERR_OK);
    assert_int_equal(sigcache_count(c), 0);
    assert_int_equal(verify_signed(&s, s.sig, c, true), SCRIPT_ERR_OK);
    assert_int_equal(sigcache_count(c), 1);
    /* A changed S fails (NULLFAIL under policy)... */
    uint8_t bad[80];
    memcpy(bad, s.sig, s.sig_len);
    bad[s.sig_len - 2] ^= 1;
    assert_int_equal(verify_signed(&s, bad, c, true), SCRIPT_ERR_SIG_NULLFAIL);
    assert_int_equal(sigcache_count(c), 1);
    /* ...unless the cache says it was verified: lookups are trusted, and
     * keyed by exactly (hash, key, signature) under this cache's salt. */
    uint8_t entry[32];
    sigcache_entry_ecdsa(c, entry, s.hash, s.pub, 33, bad, s.sig_len - 1);
    sigcache_insert(c, entry);
    assert_int_equal(verify_signed(&s, bad, c, false), SCRIPT_ERR_OK);
    assert_int_equal(verify_signed(&s, bad, other, false), SCRIPT_ERR_SIG_NULLFAIL);
    /* Schnorr entries live in their own domain. */
    uint8_t e2[32];
    sigcache_entry_schnorr(c, e2, s.hash, s.pub, bad);
    assert_memory_not_equal(entry, e2, 32);
    sigcache_free(c);
    sigcache_free(other);
    sigcache_free(NULL);
}

static void test_sigcache_eviction(void **state)
{
    (void)state;
    struct sigcache *c = sigcache_new(64 * 32);
    assert_int_equal(sigcache_capacity(c), 64);
    uint8_t e[32];
    for (uint32_t i = 0; i < 5000; i++) {
        hash_sha256(&i, sizeof(i), e);
        sigcache_insert(c, e);
        assert_true(sigcache_contains(c, e)); /* the newest is always there */
        assert_true(sigcache_count(c) <= 64);
    }
    assert_true(sigcache_count(c) > 32); /* the table fills up */
    size_t kept = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        hash_sha256(&i, sizeof(i), e);
        kept += sigcache_contains(c, e);
    }
    assert_int_equal(kept, sigcache_count(c));
    hash_sha256("miss", 4, e);
    assert_false(sigcache_contains(c, e));
    assert_false(sigcache_take(c, e));
    /* Taken: gone, and counted out. */
    uint32_t last = 4999;
    hash_sha256(&last, sizeof(last), e);
    assert_true(sigcache_take(c, e));
    assert_false(sigcache_contains(c, e));
    assert_int_equal(sigcache_count(c), kept - 1);
    sigcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_and_delete),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_upgradable_nops),
        cmocka_unit_test(test_script_numbers),
        cmocka_unit_test(test_tapscript_errors),
        cmocka_unit_test(test_sigcache_verify),
        cmocka_unit_test(test_sigcache_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
