#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct hash_ctx {
    EVP_MD_CTX *md;
};

/* Fetching the algorithm once avoids a provider lookup per digest, which
 * otherwise dominates the cost of hashing small inputs. Once per process,
 * so that threads (the simulator's, say) cannot race on it. */
static EVP_MD *sha256_fetched;

static EVP_MD *fetch_or_die(const char *name)
{
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    if (!md) {
        fprintf(stderr, "hash: OpenSSL has no %s\n", name);
        abort();
    }
    return md;
}

static void fetch_sha256(void)
{
    sha256_fetched = fetch_or_die("SHA256");
}

static const EVP_MD *sha256_md(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_sha256);
    return sha256_fetched;
}

static EVP_MD_CTX *new_md_ctx(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex2(c, sha256_md(), NULL)) {
        fprintf(stderr, "hash: EVP_DigestInit failed\n");
        abort();
    }
    return c;
}

/* One context shared by the one-shot helpers of each thread. */
static EVP_MD_CTX *scratch(void)
{
    static _Thread_local EVP_MD_CTX *c;
    if (!c)
        c = new_md_ctx();
    else
        EVP_DigestInit_ex2(c, NULL, NULL);
    return c;
}

void hash_sha256(const void *data, size_t len, uint8_t out[32])
{
    EVP_MD_CTX *c = scratch();
    EVP_DigestUpdate(c, data, len);
    EVP_DigestFinal_ex(c, out, NULL);
}

void hash_sha256d(const void *data, size_t len, struct hash256 *out)
{
    uint8_t first[32];
    hash_sha256(data, len, first);
    hash_sha256(first, 32, out->b);
}

void hash_sha256d_pair(const struct hash256 *a, const struct hash256 *b, struct hash256 *out)
{
    uint8_t buf[64];
    memcpy(buf, a->b, 32);
    memcpy(buf + 32, b->b, 32);
    hash_sha256d(buf, 64, out);
}

struct hash_ctx *hash_ctx_new(void)
{
    struct hash_ctx *ctx = xmalloc(sizeof(*ctx));
    ctx->md = new_md_ctx();
    return ctx;
}

void hash_ctx_free(struct hash_ctx *ctx)
{
    if (!ctx)
        return;
    EVP_MD_CTX_free(ctx->md);
    free(ctx);
}

void hash_ctx_update(struct hash_ctx *ctx, const void *data, size_t len)
{
    EVP_DigestUpdate(ctx->md, data, len);
}

void hash_ctx_final(struct hash_ctx *ctx, uint8_t out[32])
{
    EVP_DigestFinal_ex(ctx->md, out, NULL);
    EVP_DigestInit_ex2(ctx->md, NULL, NULL);
}

void hash_ctx_final_d(struct hash_ctx *ctx, struct hash256 *out)
{
    uint8_t first[32];
    hash_ctx_final(ctx, first);
    hash_sha256(first, 32, out->b);
}

static EVP_MD *ripemd160_fetched;

static void fetch_ripemd160(void)
{
    ripemd160_fetched = fetch_or_die("RIPEMD160");
}

void hash_hash160(const void *data, size_t len, uint8_t out[20])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_ripemd160);
    uint8_t sha[32];
    hash_sha256(data, len, sha);
    if (!EVP_Digest(sha, 32, out, NULL, ripemd160_fetched, NULL)) {
        fprintf(stderr, "hash: RIPEMD160 failed\n");
        abort();
    }
}

void hash_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                      uint8_t out[32])
{
    unsigned int n = 32;
    if (!HMAC(sha256_md(), key, (int)key_len, msg, msg_len, out, &n)) {
        fprintf(stderr, "hash: HMAC failed\n");
        abort();
    }
}

void hash_to_hex(const struct hash256 *h, char out[HASH_HEX_LEN + 1])
{
    uint8_t rev[32];
    for (int i = 0; i < 32; i++)
        rev[i] = h->b[31 - i];
    hex_encode(rev, 32, out);
}

bool hash_from_hex(const char *hex, struct hash256 *out)
{
    uint8_t rev[32];
    if (strlen(hex) != HASH_HEX_LEN || hex_decode(hex, rev, 32) != 32)
        return false;
    for (int i = 0; i < 32; i++)
        out->b[i] = rev[31 - i];
    return true;
}
