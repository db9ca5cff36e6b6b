/* SHA-256 (FIPS 180 vectors), double SHA-256, the incremental interface,
 * HMAC-SHA256 (RFC 4231), SipHash-2-4, and hex. */
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/primitives/siphash.h"
#include "chain/util/hex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <secp256k1.h>

#include "tests/unit/chain_testutil.h"

/* Plain (not reversed) hex of a 32-byte digest. */
static void assert_digest(const uint8_t d[32], const char *hex)
{
    char got[65];
    hex_encode(d, 32, got);
    assert_string_equal(got, hex);
}

static void test_fips180(void **state)
{
    (void)state;
    uint8_t d[32];
    hash_sha256("abc", 3, d);
    assert_digest(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256("", 0, d);
    assert_digest(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hash_sha256(two_blocks, strlen(two_blocks), d);
    assert_digest(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed incrementally in uneven pieces. */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    hash_sha256(a, 1000000, d);
    assert_digest(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    struct hash_ctx *ctx = hash_ctx_new();
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 9973 + 1)
        hash_ctx_update(ctx, a + off, off + step > 1000000 ? 1000000 - off : step);
    uint8_t inc[32];
    hash_ctx_final(ctx, inc);
    assert_memory_equal(inc, d, 32);
    hash_ctx_free(ctx);
    hash_ctx_free(NULL);
    free(a);
}

static void test_sha256d(void **state)
{
    (void)state;
    struct hash256 h;
    hash_sha256d("", 0, &h);
    assert_digest(h.b, "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
    hash_sha256d("hello", 5, &h);
    assert_digest(h.b, "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
    /* The pair helper is sha256d of the 64-byte concatenation. */
    struct hash256 a, b, p, q;
    hash_sha256d("a", 1, &a);
    hash_sha256d("b", 1, &b);
    uint8_t cat[64];
    memcpy(cat, a.b, 32);
    memcpy(cat + 32, b.b, 32);
    hash_sha256d(cat, 64, &p);
    hash_sha256d_pair(&a, &b, &q);
    assert_true(hash_eq(&p, &q));
    assert_false(hash_eq(&a, &b));
}

static void test_incremental(void **state)
{
    (void)state;
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    struct hash_ctx *ctx = hash_ctx_new();
    /* Every split point of a 1000-byte message, reusing one context. */
    for (size_t cut = 0; cut <= sizeof(data); cut += 37) {
        struct hash256 one, inc;
        hash_sha256d(data, sizeof(data), &one);
        hash_ctx_update(ctx, data, cut);
        hash_ctx_update(ctx, data + cut, sizeof(data) - cut);
        hash_ctx_final_d(ctx, &inc);
        assert_true(hash_eq(&one, &inc));
    }
    hash_ctx_free(ctx);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t key[131], d[32];
    /* Test case 1. */
    memset(key, 0x0b, 20);
    hash_hmac_sha256(key, 20, "Hi There", 8, d);
    assert_digest(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 2. */
    static const char msg2[] = "what do ya want for nothing?";
    hash_hmac_sha256("Jefe", 4, msg2, strlen(msg2), d);
    assert_digest(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 6: a key longer than the block size is hashed first. */
    static const char msg6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof(key));
    hash_hmac_sha256(key, sizeof(key), msg6, strlen(msg6), d);
    assert_digest(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_reversed_hex(void **state)
{
    (void)state;
    static const char genesis[] =
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    struct hash256 h;
    assert_true(hash_from_hex(genesis, &h));
    assert_int_equal(h.b[0], 0x6f); /* internal order is reversed */
    assert_int_equal(h.b[31], 0x00);
    test_assert_hash_hex(&h, genesis);
    struct hash256 upper;
    assert_true(hash_from_hex("000000000019D6689C085AE165831E934FF763AE46A2A6C172B3F1B60A8CE26F",
                              &upper));
    assert_true(hash_eq(&h, &upper));
    assert_false(hash_from_hex("00", &h));
    assert_false(hash_from_hex(genesis + 1, &h));                  /* 63 digits */
    assert_false(hash_from_hex("0000000000000000000000000000000000000000000000000000000000000000"
                               "0",
                               &h));                               /* 65 digits */
    assert_false(hash_from_hex("g00000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                               &h));
    assert_true(hash_eq(&h, &upper)); /* failures leave it alone */
    assert_false(hash_is_zero(&h));
    memset(h.b, 0, 32);
    assert_true(hash_is_zero(&h));
}

/* Core's FromUserHex, as -minimumchainwork takes it. */
static void test_user_hex(void **state)
{
    (void)state;
    struct hash256 h;
    assert_true(hash_from_user_hex("0x1Ab", &h));
    assert_int_equal(h.b[0], 0xab);
    assert_int_equal(h.b[1], 0x01);
    for (int i = 2; i < 32; i++)
        assert_int_equal(h.b[i], 0);
    assert_true(hash_from_user_hex("", &h));
    assert_true(hash_is_zero(&h));
    assert_true(hash_from_user_hex("0x", &h));
    assert_true(hash_is_zero(&h));
    static const char genesis[] =
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    assert_true(hash_from_user_hex(genesis, &h));
    test_assert_hash_hex(&h, genesis);
    assert_false(hash_from_user_hex("0X10", &h)); /* the prefix is lowercase only */
    assert_false(hash_from_user_hex("test", &h));
    assert_false(hash_from_user_hex("-1", &h));
    assert_false(hash_from_user_hex("0x0000000000000000000000000000000000000000000000000000000000000000"
                                    "0",
                                    &h)); /* 65 digits */
}

/* BIP340 tagged hashes against libsecp256k1's own, one-shot and fed in
 * pieces; and several threads racing on a tag's first use agree. */
static struct hash_tag race_tag = HASH_TAG("hearsay/race");

static void *race(void *out)
{
    hash_tagged(out, &race_tag, "x", 1);
    return NULL;
}

static void test_tagged(void **state)
{
    static struct hash_tag tags[] = {HASH_TAG("TapLeaf"), HASH_TAG("TapSighash"), HASH_TAG("")};
    uint8_t msg[300], got[32], want[32];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7);
    for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
        for (size_t len = 0; len <= sizeof(msg); len += 75) {
            assert_true(secp256k1_tagged_sha256(secp256k1_context_static, want,
                                                (const uint8_t *)tags[t].name,
                                                strlen(tags[t].name), msg, len));
            hash_tagged(got, &tags[t], msg, len);
            assert_memory_equal(got, want, 32);
            struct hash_ctx *h = hash_ctx_new();
            hash_ctx_init_tagged(h, &tags[t]);
            hash_ctx_update(h, msg, len / 2);
            hash_ctx_update(h, msg + len / 2, len - len / 2);
            hash_ctx_final(h, got);
            hash_ctx_free(h);
            assert_memory_equal(got, want, 32);
        }
    }
    pthread_t th[4];
    uint8_t out[4][32];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race, out[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 1; i < 4; i++)
        assert_memory_equal(out[i], out[0], 32);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t out[4];
    assert_int_equal(hex_decode("0aFf", out, sizeof(out)), 2);
    assert_int_equal(out[0], 0x0a);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(hex_decode("abc", out, sizeof(out)), -1);
    assert_int_equal(hex_decode("zz", out, sizeof(out)), -1);
    assert_int_equal(hex_decode("0011223344", out, sizeof(out)), -1);
    assert_int_equal(hex_decode("", out, sizeof(out)), 0);
    char s[9];
    hex_encode("\x01\xab\x00\xff", 4, s);
    assert_string_equal(s, "01ab00ff");
    uint8_t *p = NULL;
    assert_int_equal(hex_decode_alloc("x1", &p), -1);
    assert_null(p);
    assert_int_equal(hex_decode_alloc("beef", &p), 2);
    assert_int_equal(p[1], 0xef);
    free(p);
}

/* SipHash-2-4: the reference implementation's vectors (key 00..0f,
 * message 00..len-1), Bitcoin Core's SipHashUint256 vector (32 bytes),
 * and every length to 64 against OpenSSL's SIPHASH (8-byte output). */
static const uint64_t sip_vectors[] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
};

static uint64_t openssl_siphash(const uint8_t key[16], const uint8_t *m, size_t n)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    assert_non_null(mac);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    size_t size = 8;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_end()};
    uint8_t out[8];
    size_t outl = 0;
    assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
    assert_int_equal(EVP_MAC_update(ctx, m, n), 1);
    assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
    assert_int_equal(outl, 8);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ser_le64(out);
}

static void test_siphash(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    uint64_t k0 = ser_le64(key), k1 = ser_le64(key + 8);
    assert_true(k0 == 0x0706050403020100ULL && k1 == 0x0F0E0D0C0B0A0908ULL);
    for (size_t n = 0; n < sizeof(sip_vectors) / sizeof(sip_vectors[0]); n++)
        assert_true(siphash24(k0, k1, msg, n) == sip_vectors[n]);
    assert_true(siphash24(k0, k1, msg, 32) == 0x7127512f72f27cceULL);
    for (size_t n = 0; n <= 64; n++)
        assert_true(siphash24(k0, k1, msg, n) == openssl_siphash(key, msg, n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips180),      cmocka_unit_test(test_sha256d),
        cmocka_unit_test(test_incremental),  cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_reversed_hex), cmocka_unit_test(test_user_hex),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_tagged),
        cmocka_unit_test(test_siphash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
