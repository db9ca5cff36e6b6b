#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* Each thread's own contexts, freed when it exits (verification workers
 * come and go, and blocks are parsed on worker threads): one shared by
 * the one-shot helpers, and one kept for callers (hash_ctx_thread). */
struct thread_ctxs {
    EVP_MD_CTX *scratch;
    struct hash_ctx *kept;
};

static pthread_key_t ctxs_key;

static void ctxs_free(void *arg)
{
    struct thread_ctxs *t = arg;
    EVP_MD_CTX_free(t->scratch);
    hash_ctx_free(t->kept);
    free(t);
}

static void ctxs_key_create(void)
{
    if (pthread_key_create(&ctxs_key, ctxs_free) != 0) {
        fprintf(stderr, "hash: pthread_key_create failed\n");
        abort();
    }
}

static struct thread_ctxs *thread_ctxs(void)
{
    static _Thread_local struct thread_ctxs *t;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (!t) {
        pthread_once(&once, ctxs_key_create);
        t = xcalloc(1, sizeof(*t));
        pthread_setspecific(ctxs_key, t);
    }
    return t;
}

static EVP_MD_CTX *scratch(void)
{
    struct thread_ctxs *t = thread_ctxs();
    if (!t->scratch)
        t->scratch = new_md_ctx();
    else
        EVP_DigestInit_ex2(t->scratch, NULL, NULL);
    return t->scratch;
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

struct hash_ctx *hash_ctx_thread(void)
{
    struct thread_ctxs *t = thread_ctxs();
    if (!t->kept)
        t->kept = hash_ctx_new();
    return t->kept;
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

/* The midstate is published with a compare-and-swap: threads racing on
 * first use each compute it, one wins, the others free theirs. */
static EVP_MD_CTX *tag_midstate(struct hash_tag *tag)
{
    EVP_MD_CTX *mid = atomic_load_explicit(&tag->mid, memory_order_acquire);
    if (mid)
        return mid;
    uint8_t th[32];
    hash_sha256(tag->name, strlen(tag->name), th);
    mid = new_md_ctx();
    EVP_DigestUpdate(mid, th, 32);
    EVP_DigestUpdate(mid, th, 32);
    void *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&tag->mid, &expected, mid,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        EVP_MD_CTX_free(mid);
        mid = expected;
    }
    return mid;
}

static void copy_midstate(EVP_MD_CTX *dst, struct hash_tag *tag)
{
    if (!EVP_MD_CTX_copy_ex(dst, tag_midstate(tag))) {
        fprintf(stderr, "hash: EVP_MD_CTX_copy_ex failed\n");
        abort();
    }
}

void hash_tagged(uint8_t out[32], struct hash_tag *tag, const void *msg, size_t len)
{
    EVP_MD_CTX *c = scratch();
    copy_midstate(c, tag);
    EVP_DigestUpdate(c, msg, len);
    EVP_DigestFinal_ex(c, out, NULL);
}

void hash_ctx_init_tagged(struct hash_ctx *ctx, struct hash_tag *tag)
{
    copy_midstate(ctx->md, tag);
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

void hash_to_display(const struct hash256 *h, uint8_t out[32])
{
    for (int i = 0; i < 32; i++)
        out[i] = h->b[31 - i];
}

void hash_to_hex(const struct hash256 *h, char out[HASH_HEX_LEN + 1])
{
    uint8_t rev[32];
    hash_to_display(h, rev);
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

bool hash_from_user_hex(const char *hex, struct hash256 *out)
{
    if (strncmp(hex, "0x", 2) == 0)
        hex += 2;
    size_t len = strlen(hex);
    if (len > HASH_HEX_LEN)
        return false;
    char padded[HASH_HEX_LEN + 1];
    memset(padded, '0', HASH_HEX_LEN - len);
    memcpy(padded + HASH_HEX_LEN - len, hex, len + 1);
    return hash_from_hex(padded, out);
}

static EVP_MD *sha1_fetched;

static void fetch_sha1(void)
{
    sha1_fetched = fetch_or_die("SHA1");
}

static void digest_or_die(const void *data, size_t len, uint8_t *out, const EVP_MD *md)
{
    if (!EVP_Digest(data, len, out, NULL, md, NULL)) {
        fprintf(stderr, "hash: digest failed\n");
        abort();
    }
}

static EVP_MD *ripemd160_fetched;

static void fetch_ripemd160(void)
{
    ripemd160_fetched = fetch_or_die("RIPEMD160");
}

void hash_ripemd160(const void *data, size_t len, uint8_t out[20])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_ripemd160);
    digest_or_die(data, len, out, ripemd160_fetched);
}

void hash_hash160(const void *data, size_t len, uint8_t out[20])
{
    uint8_t sha[32];
    hash_sha256(data, len, sha);
    hash_ripemd160(sha, 32, out);
}

void hash_sha1(const void *data, size_t len, uint8_t out[20])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_sha1);
    digest_or_die(data, len, out, sha1_fetched);
}
