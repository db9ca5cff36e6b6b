#include "chain/primitives/muhash.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MUHASH_BYTES 384 /* 3072 bits */
#define MUHASH_PRIME_DIFF 1103717

/* Products are kept with Montgomery multiplication, which needs no
 * division: each one leaves a factor R^-1 (R = 2^3072 here), so the
 * counts of products say what to multiply back when finalizing. */
struct muhash {
    BIGNUM *num; /* product of inserted elements, times R^-num_n */
    BIGNUM *den; /* product of removed elements, times R^-den_n */
    int64_t num_n, den_n;
    BIGNUM *prime;
    BIGNUM *elem; /* scratch */
    BN_MONT_CTX *mont;
    BN_CTX *ctx;
};

/* OpenSSL failing here means memory is exhausted: as xmalloc does. */
static void check(int ok, const char *what)
{
    if (!ok) {
        LOG_ERROR("muhash: %s failed (out of memory)", what);
        abort();
    }
}

struct muhash *muhash_new(void)
{
    struct muhash *m = xcalloc(1, sizeof(*m));
    m->num = BN_new();
    m->den = BN_new();
    m->prime = BN_new();
    m->elem = BN_new();
    m->ctx = BN_CTX_new();
    m->mont = BN_MONT_CTX_new();
    check(m->num && m->den && m->prime && m->elem && m->ctx && m->mont, "BN_new");
    /* 2^3072 - 1103717, the largest 3072-bit safe prime. */
    check(BN_set_bit(m->prime, 3072) && BN_sub_word(m->prime, MUHASH_PRIME_DIFF) &&
              BN_MONT_CTX_set(m->mont, m->prime, m->ctx) && BN_one(m->num) && BN_one(m->den),
          "BN setup");
    return m;
}

void muhash_free(struct muhash *m)
{
    if (!m)
        return;
    BN_free(m->num);
    BN_free(m->den);
    BN_free(m->prime);
    BN_free(m->elem);
    BN_MONT_CTX_free(m->mont);
    BN_CTX_free(m->ctx);
    free(m);
}

/* Core's MuHash3072::ToNum3072: SHA-256 of the data keys ChaCha20 (zero
 * nonce, counter from 0); 384 bytes of keystream, little-endian. */
static void element(struct muhash *m, const void *data, size_t len)
{
    static const uint8_t zeros[MUHASH_BYTES];
    static const uint8_t iv[16]; /* 32-bit counter then 96-bit nonce, all zero */
    uint8_t key[32], stream[MUHASH_BYTES];
    int n = 0, fin = 0;
    hash_sha256(data, len, key);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    check(c && EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, key, iv) &&
              EVP_EncryptUpdate(c, stream, &n, zeros, MUHASH_BYTES) &&
              EVP_EncryptFinal_ex(c, stream + n, &fin) && n + fin == MUHASH_BYTES,
          "ChaCha20");
    EVP_CIPHER_CTX_free(c);
    check(BN_lebin2bn(stream, MUHASH_BYTES, m->elem) != NULL, "BN_lebin2bn");
    /* Montgomery products need factors below the prime (2^3072 - 1103717
     * and above is almost never drawn). */
    if (BN_cmp(m->elem, m->prime) >= 0)
        check(BN_sub(m->elem, m->elem, m->prime), "BN_sub");
}

void muhash_insert(struct muhash *m, const void *data, size_t len)
{
    element(m, data, len);
    check(BN_mod_mul_montgomery(m->num, m->num, m->elem, m->mont, m->ctx), "BN_mod_mul");
    m->num_n++;
}

void muhash_remove(struct muhash *m, const void *data, size_t len)
{
    element(m, data, len);
    check(BN_mod_mul_montgomery(m->den, m->den, m->elem, m->mont, m->ctx), "BN_mod_mul");
    m->den_n++;
}

/* R^k mod p for k of either sign. */
static BIGNUM *r_power(struct muhash *m, int64_t k)
{
    BIGNUM *r = BN_new(), *e = BN_new();
    check(r && e && BN_one(r) && BN_to_montgomery(r, r, m->mont, m->ctx) &&
              BN_set_word(e, (BN_ULONG)(k < 0 ? -k : k)) &&
              BN_mod_exp(r, r, e, m->prime, m->ctx),
          "BN_mod_exp");
    if (k < 0)
        check(BN_mod_inverse(r, r, m->prime, m->ctx) != NULL, "BN_mod_inverse");
    BN_free(e);
    return r;
}

void muhash_finalize(struct muhash *m, struct hash256 *out)
{
    uint8_t bytes[MUHASH_BYTES];
    BIGNUM *inv = BN_mod_inverse(NULL, m->den, m->prime, m->ctx);
    check(inv != NULL, "BN_mod_inverse");
    BIGNUM *r = r_power(m, m->num_n - m->den_n);
    /* Fold the quotient into the numerator, as Core's Finalize does. */
    check(BN_mod_mul(m->num, m->num, inv, m->prime, m->ctx) &&
              BN_mod_mul(m->num, m->num, r, m->prime, m->ctx) && BN_one(m->den) &&
              BN_bn2lebinpad(m->num, bytes, MUHASH_BYTES) == MUHASH_BYTES,
          "BN finalize");
    m->num_n = m->den_n = 0;
    BN_free(inv);
    BN_free(r);
    hash_sha256(bytes, MUHASH_BYTES, out->b);
}
