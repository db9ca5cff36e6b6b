/* chain/script/pubkey: BIP340's own test vectors (verification rows, and
 * signing rows through libsecp256k1's signer to check the vectors are
 * read right), ECDSA with Core's lax DER parser and low-S rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/script/pubkey.h"
#include "tests/unit/chain_testutil.h"
#include "tests/unit/taproot_testutil.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <string.h>

static secp256k1_context *sign_ctx;

static int setup(void **state)
{
    sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    return sign_ctx ? 0 : -1;
}

static int teardown(void **state)
{
    secp256k1_context_destroy(sign_ctx);
    return 0;
}

static FILE *open_data(const char *rel)
{
    const char *src = getenv("HEARSAY_SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    return f;
}

/* One row: index, seckey, pubkey, aux_rand, msg, sig, result, comment. */
struct bip340_row {
    char field[8][256];
};

static bool split_row(char *line, struct bip340_row *r)
{
    line[strcspn(line, "\r\n")] = 0;
    char *p = line;
    for (int i = 0; i < 8; i++) {
        size_t n = i == 7 ? strlen(p) : strcspn(p, ",");
        if (n >= sizeof(r->field[i]) || (i < 7 && p[n] != ','))
            return false;
        memcpy(r->field[i], p, n);
        r->field[i][n] = 0;
        p += n + (i < 7);
    }
    return true;
}

static void unhex_exact(const char *hex, uint8_t *out, size_t n)
{
    assert_int_equal(hex_decode(hex, out, n), (ssize_t)n);
}

/* Signs with the row's key and aux_rand: the signature must be the row's. */
static void bip340_sign_row(const struct bip340_row *r, const uint8_t pub[32],
                            const uint8_t msg[32], const uint8_t sig[64])
{
    uint8_t sec[32], aux[32], got[64], xonly[32];
    secp256k1_keypair kp;
    unhex_exact(r->field[1], sec, 32);
    unhex_exact(r->field[3], aux, 32);
    test_keypair(sign_ctx, sec, &kp, xonly);
    assert_memory_equal(xonly, pub, 32);
    assert_true(secp256k1_schnorrsig_sign32(sign_ctx, got, msg, &kp, aux));
    assert_memory_equal(got, sig, 64);
}

static void test_bip340_vectors(void **state)
{
    FILE *f = open_data("tests/data/bip340/test-vectors.csv");
    char line[2048];
    struct bip340_row r;
    int verified = 0, signed_rows = 0, rejected = 0;
    assert_non_null(fgets(line, sizeof(line), f)); /* header */
    while (fgets(line, sizeof(line), f)) {
        uint8_t pub[32], msg[32], sig[64];
        assert_true(split_row(line, &r));
        unhex_exact(r.field[2], pub, 32);
        unhex_exact(r.field[4], msg, 32);
        unhex_exact(r.field[5], sig, 64);
        bool want = strcmp(r.field[6], "TRUE") == 0;
        bool got = pubkey_schnorr_verify(pub, sig, msg);
        if (got != want)
            fail_msg("BIP340 vector %s: verify %d, expected %d (%s)", r.field[0], got, want,
                     r.field[7]);
        verified++;
        rejected += !want;
        if (r.field[1][0]) {
            bip340_sign_row(&r, pub, msg, sig);
            signed_rows++;
        }
    }
    fclose(f);
    /* The file's 15 rows: 5 valid (4 with a secret key), 10 invalid. */
    assert_int_equal(verified, 15);
    assert_int_equal(rejected, 10);
    assert_int_equal(signed_rows, 4);
}

/* A DER-encoded integer, with Core's minimal rule: leading zeros dropped,
 * one zero added when the top bit is set. */
static size_t der_int(uint8_t *out, const uint8_t v[32])
{
    size_t i = 0;
    while (i < 31 && v[i] == 0)
        i++;
    size_t n = 0;
    out[n++] = 0x02;
    size_t len = 32 - i + (v[i] & 0x80 ? 1 : 0);
    out[n++] = (uint8_t)len;
    if (v[i] & 0x80)
        out[n++] = 0;
    memcpy(out + n, v + i, 32 - i);
    return n + 32 - i;
}

static size_t der_sig(uint8_t *out, const uint8_t r[32], const uint8_t s[32])
{
    size_t n = 2;
    n += der_int(out + n, r);
    n += der_int(out + n, s);
    out[0] = 0x30;
    out[1] = (uint8_t)(n - 2);
    return n;
}

/* n - s over the group order: the high-S twin of a signature. */
static void negate_s(uint8_t out[32], const uint8_t s[32])
{
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
        0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = order[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

struct ecdsa_case {
    uint8_t hash[32];
    uint8_t pub33[33], pub65[65];
    uint8_t r[32], s[32];
};

static void make_ecdsa_case(struct ecdsa_case *c)
{
    uint8_t sec[32], compact[64];
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    size_t n33 = 33, n65 = 65;
    memset(sec, 0x42, 32);
    hash_sha256("hearsay ecdsa test", 18, c->hash);
    assert_true(secp256k1_ec_pubkey_create(sign_ctx, &pk, sec));
    assert_true(secp256k1_ec_pubkey_serialize(sign_ctx, c->pub33, &n33, &pk,
                                              SECP256K1_EC_COMPRESSED));
    assert_true(secp256k1_ec_pubkey_serialize(sign_ctx, c->pub65, &n65, &pk,
                                              SECP256K1_EC_UNCOMPRESSED));
    assert_true(secp256k1_ecdsa_sign(sign_ctx, &sig, c->hash, sec, NULL, NULL));
    assert_true(secp256k1_ecdsa_signature_serialize_compact(sign_ctx, compact, &sig));
    memcpy(c->r, compact, 32);
    memcpy(c->s, compact + 32, 32);
}

static void test_ecdsa_strict_and_keys(void **state)
{
    struct ecdsa_case c;
    uint8_t der[80], other[32], hybrid[65];
    make_ecdsa_case(&c);
    size_t n = der_sig(der, c.r, c.s);
    assert_true(pubkey_ecdsa_verify(c.pub33, 33, der, n, c.hash));
    assert_true(pubkey_ecdsa_verify(c.pub65, 65, der, n, c.hash));
    /* Hybrid encoding: 0x06/0x07 by the parity of Y, as libsecp256k1. */
    memcpy(hybrid, c.pub65, 65);
    hybrid[0] = (uint8_t)(0x06 | (c.pub65[64] & 1));
    assert_true(pubkey_ecdsa_verify(hybrid, 65, der, n, c.hash));
    hybrid[0] ^= 1;
    assert_false(pubkey_is_valid(hybrid, 65));
    memcpy(other, c.hash, 32);
    other[0] ^= 1;
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, der, n, other));
    /* The header byte fixes the length (CPubKey). */
    assert_true(pubkey_is_valid(c.pub33, 33));
    assert_false(pubkey_is_valid(c.pub33, 32));
    assert_false(pubkey_is_valid(c.pub65, 33));
    assert_false(pubkey_is_valid(c.pub33, 0));
    assert_false(pubkey_ecdsa_verify(c.pub33, 32, der, n, c.hash));
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, der, 0, c.hash));
    uint8_t wrong_key[33];
    memcpy(wrong_key, c.pub33, 33);
    wrong_key[0] ^= 1; /* the other point with this X */
    assert_false(pubkey_ecdsa_verify(wrong_key, 33, der, n, c.hash));
}

static void test_ecdsa_low_s(void **state)
{
    struct ecdsa_case c;
    uint8_t der[80], high[32];
    make_ecdsa_case(&c);
    size_t n = der_sig(der, c.r, c.s);
    assert_true(pubkey_ecdsa_low_s(der, n));
    negate_s(high, c.s);
    n = der_sig(der, c.r, high);
    /* Consensus accepts high S (normalised before verifying); policy not. */
    assert_true(pubkey_ecdsa_verify(c.pub33, 33, der, n, c.hash));
    assert_false(pubkey_ecdsa_low_s(der, n));
    assert_false(pubkey_ecdsa_low_s(der, 5));
    assert_false(pubkey_ecdsa_low_s(der, 0));
}

/* Encodings BIP66 forbids but the lax parser (pre-BIP66 consensus) takes. */
static void test_ecdsa_lax_der(void **state)
{
    struct ecdsa_case c;
    uint8_t strict[80], lax[100];
    make_ecdsa_case(&c);
    size_t n = der_sig(strict, c.r, c.s);
    size_t rl = strict[3];

    /* Wrong sequence length, and trailing garbage. */
    memcpy(lax, strict, n);
    lax[1] = 0x7f;
    lax[n] = 0xab;
    assert_true(pubkey_ecdsa_verify(c.pub33, 33, lax, n + 1, c.hash));
    /* Long-form sequence length (skipped) and R length with zero padding. */
    size_t k = 0;
    lax[k++] = 0x30;
    lax[k++] = 0x82;
    lax[k++] = 0x00;
    lax[k++] = 0x00;
    lax[k++] = 0x02;
    lax[k++] = 0x83;
    lax[k++] = 0x00;
    lax[k++] = 0x00;
    lax[k++] = (uint8_t)(rl + 3);
    lax[k++] = 0x00;
    lax[k++] = 0x00;
    lax[k++] = 0x00; /* R zero-padded: still R */
    memcpy(lax + k, strict + 4, n - 4);
    k += n - 4;
    assert_true(pubkey_ecdsa_verify(c.pub33, 33, lax, k, c.hash));
    /* Broken structure: not a sequence, a missing S, an R past the end. */
    memcpy(lax, strict, n);
    lax[0] = 0x31;
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, lax, n, c.hash));
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, strict, 4 + rl, c.hash));
    memcpy(lax, strict, n);
    lax[3] = 0x7f;
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, lax, n, c.hash));
    /* A length of four bytes or more after its zeros is refused; fewer,
     * after zero padding, is read. */
    const uint8_t long_len[] = {0x30, 0x0a, 0x02, 0x84, 0x01, 0x00, 0x00, 0x01, 0x01,
                                0x02, 0x01, 0x01};
    assert_false(pubkey_ecdsa_low_s(long_len, sizeof(long_len)));
    const uint8_t short_len[] = {0x30, 0x0a, 0x02, 0x83, 0x00, 0x00, 0x01, 0x01,
                                 0x02, 0x01, 0x01};
    assert_true(pubkey_ecdsa_low_s(short_len, sizeof(short_len)));
    /* R of 33 significant bytes parses but never verifies. */
    k = 0;
    lax[k++] = 0x30;
    lax[k++] = 0x44;
    lax[k++] = 0x02;
    lax[k++] = 0x21;
    lax[k++] = 0x01;
    memcpy(lax + k, c.r, 32);
    k += 32;
    k += der_int(lax + k, c.s);
    assert_true(pubkey_ecdsa_low_s(lax, k));
    assert_false(pubkey_ecdsa_verify(c.pub33, 33, lax, k, c.hash));
}

static void test_taproot_tweak(void **state)
{
    uint8_t internal[32], out[32], root[32];
    int parity;
    /* BIP340 vector 1's key, as an internal key without and with a tree. */
    unhex_exact("DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", internal, 32);
    memset(root, 0x11, 32);
    for (int with_root = 0; with_root < 2; with_root++) {
        const uint8_t *mr = with_root ? root : NULL;
        assert_true(pubkey_taproot_output(out, &parity, internal, mr));
        assert_true(pubkey_taproot_check_tweak(out, parity, internal, mr));
        assert_false(pubkey_taproot_check_tweak(out, !parity, internal, mr));
        assert_false(pubkey_taproot_check_tweak(out, parity, internal, with_root ? NULL : root));
    }
    /* Not an X coordinate on the curve (BIP340 vector 5's key). */
    unhex_exact("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34", internal, 32);
    assert_false(pubkey_taproot_output(out, &parity, internal, NULL));
    assert_false(pubkey_taproot_check_tweak(out, 0, internal, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip340_vectors),
        cmocka_unit_test(test_ecdsa_strict_and_keys),
        cmocka_unit_test(test_ecdsa_low_s),
        cmocka_unit_test(test_ecdsa_lax_der),
        cmocka_unit_test(test_taproot_tweak),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
