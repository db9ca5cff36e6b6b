#include "chain/primitives/muhash.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MUHASH_BYTES 384 /* 3072 bits */
#define MUHASH_PRIME_DIFF 1103717

struct muhash {
    BIGNUM *num; /* product of inserted elements */
    BIGNUM *den; /* product of removed elements */
    BIGNUM *prime;
    BIGNUM *elem; /* scratch */
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
    check(m->num && m->den && m->prime && m->elem && m->ctx, "BN_new");
    /* 2^3072 - 1103717, the largest 3072-bit safe prime. */
    check(BN_set_bit(m->prime, 3072) && BN_sub_word(m->prime, MUHASH_PRIME_DIFF) &&
              BN_one(m->num) && BN_one(m->den),
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
}

void muhash_insert(struct muhash *m, const void *data, size_t len)
{
    element(m, data, len);
    check(BN_mod_mul(m->num, m->num, m->elem, m->prime, m->ctx), "BN_mod_mul");
}

void muhash_remove(struct muhash *m, const void *data, size_t len)
{
    element(m, data, len);
    check(BN_mod_mul(m->den, m->den, m->elem, m->prime, m->ctx), "BN_mod_mul");
}

void muhash_finalize(struct muhash *m, struct hash256 *out)
{
    uint8_t bytes[MUHASH_BYTES];
    BIGNUM *inv = BN_mod_inverse(NULL, m->den, m->prime, m->ctx);
    check(inv != NULL, "BN_mod_inverse");
    /* Fold the quotient into the numerator, as Core's Finalize does. */
    check(BN_mod_mul(m->num, m->num, inv, m->prime, m->ctx) && BN_one(m->den) &&
              BN_bn2lebinpad(m->num, bytes, MUHASH_BYTES) == MUHASH_BYTES,
          "BN finalize");
    BN_free(inv);
    hash_sha256(bytes, MUHASH_BYTES, out->b);
}
