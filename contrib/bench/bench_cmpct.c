/* Short-id cost: BIP152 short ids of a mempool's wtxids with hearsay's
 * SipHash-2-4 (chain/primitives/siphash.h) against OpenSSL's EVP_MAC "SIPHASH"
 * (8-byte output, one context re-initialised per id), as a node
 * computes them for every mempool transaction on each cmpctblock.
 *
 *   contrib/bench/bench_cmpct [n_ids]     (default 2000; prints figures) */
#include "net/wire/cmpct.h"

#include "chain/util/xmalloc.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t ours(const struct cmpct_key *k, const struct hash256 *ids, size_t n)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc ^= cmpct_shortid(k, &ids[i]);
    return acc;
}

static uint64_t openssl(const struct cmpct_key *k, const struct hash256 *ids, size_t n)
{
    uint8_t key[16], out[8];
    ser_put_le64(key, k->k0);
    ser_put_le64(key + 8, k->k1);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    size_t size = 8, outl;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_end()};
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (EVP_MAC_init(ctx, key, 16, params) != 1 || EVP_MAC_update(ctx, ids[i].b, 32) != 1 ||
            EVP_MAC_final(ctx, out, &outl, sizeof(out)) != 1)
            abort();
        acc ^= ser_le64(out) & CMPCT_SHORTID_MASK;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return acc;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000;
    if (n == 0 || n > 10000000)
        return 2;
    struct hash256 *ids = xreallocarray(NULL, n, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        hash_sha256(&i, sizeof(i), ids[i].b);
    struct block_header h = {.version = 0x20000000, .time = 1700000000, .bits = 0x207fffff};
    struct cmpct_key k;
    cmpct_key_init(&k, &h, 42);
    int rounds = (int)(2000000 / n) + 1;
    double t0 = now_s();
    uint64_t a = 0, b = 0;
    for (int r = 0; r < rounds; r++)
        a ^= ours(&k, ids, n);
    double t1 = now_s();
    for (int r = 0; r < rounds; r++)
        b ^= openssl(&k, ids, n);
    double t2 = now_s();
    if (a != b) {
        fprintf(stderr, "bench_cmpct: the two SipHash implementations disagree\n");
        return 1;
    }
    double per_ours = (t1 - t0) / rounds / (double)n * 1e9;
    double per_ssl = (t2 - t1) / rounds / (double)n * 1e9;
    printf("short ids of %zu wtxids: hearsay SipHash %.1f ns/id (%.3f ms per mempool pass), "
           "OpenSSL EVP_MAC %.1f ns/id (%.3f ms): %.1fx\n",
           n, per_ours, per_ours * (double)n / 1e6, per_ssl, per_ssl * (double)n / 1e6,
           per_ssl / per_ours);
    free(ids);
    return 0;
}
