/* Script verification benchmark over a real block and the coins it spends
 * (the undo format of tests/data/blocks/README):
 *
 *   bench_verify BLOCK.raw UNDO.raw [-par=N] [-flags=BITS] [-runs=R]
 *
 * Prints whether every input verifies, then for -par=1, -par=2 (and -par=N
 * when given): milliseconds per block and signature checks per second,
 * cold (no signature cache) and warm (the cache filled by a mempool-style
 * pass that stores, as when every transaction was in the mempool first).
 * Beside them, libsecp256k1's own rate in the same run: ECDSA verify over
 * the very signatures the block checks (captured on their way into the
 * library), Schnorr verify over signatures made here. The captures come
 * from the link (--wrap of the two verify functions), which also times
 * the library inside a block run. -flags defaults to Core's mandatory set
 * (state the block's own with -flags, e.g. 0x1 for BIP16 only). Figures
 * are the best of R runs (default 5): elapsed time, and the CPU time of
 * the verifying threads (inside libsecp256k1 and in all), which a busy
 * machine does not inflate. Nothing here fails on timing. */
#define _GNU_SOURCE
#include "chain/script/interpreter.h"
#include "chain/script/sigcache.h"
#include "chain/util/xmalloc.h"
#include "tests/unit/blockcoins_testutil.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCHNORR_SAMPLES 1000
#define SIGCACHE_BYTES (32u << 20)

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Wall time for the parallel figures; the calling thread's CPU time for
 * shares (the library's part, the overhead), which the other programs
 * on a busy machine do not inflate. */
static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static double cpu_ms(void)
{
    return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

/* --- the library seen from the link: counts, time, captured calls --- */

struct ecdsa_call {
    secp256k1_ecdsa_signature sig;
    secp256k1_pubkey pub;
    uint8_t msg[32];
};

static atomic_ulong ecdsa_calls, schnorr_calls;
/* CPU time in the library's verify calls, its public-key parsing, and
 * in the workers altogether. */
static _Atomic double lib_ms, parse_ms, work_ms;
static struct ecdsa_call *captured;
static size_t captured_n, captured_cap; /* capture on when cap > n */

int __real_secp256k1_ecdsa_verify(const secp256k1_context *ctx,
                                  const secp256k1_ecdsa_signature *sig,
                                  const unsigned char *msghash32,
                                  const secp256k1_pubkey *pubkey);
int __wrap_secp256k1_ecdsa_verify(const secp256k1_context *ctx,
                                  const secp256k1_ecdsa_signature *sig,
                                  const unsigned char *msghash32,
                                  const secp256k1_pubkey *pubkey);
int __real_secp256k1_ec_pubkey_parse(const secp256k1_context *ctx, secp256k1_pubkey *pubkey,
                                     const unsigned char *input, size_t inputlen);
int __wrap_secp256k1_ec_pubkey_parse(const secp256k1_context *ctx, secp256k1_pubkey *pubkey,
                                     const unsigned char *input, size_t inputlen);
int __real_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey);
int __wrap_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey);

static void add_ms(_Atomic double *sum, double ms)
{
    double old = atomic_load(sum);
    while (!atomic_compare_exchange_weak(sum, &old, old + ms))
        ;
}

int __wrap_secp256k1_ecdsa_verify(const secp256k1_context *ctx,
                                  const secp256k1_ecdsa_signature *sig,
                                  const unsigned char *msghash32,
                                  const secp256k1_pubkey *pubkey)
{
    /* Capturing happens on one thread only (the recording pass). */
    if (captured_n < captured_cap) {
        struct ecdsa_call *c = &captured[captured_n++];
        c->sig = *sig;
        c->pub = *pubkey;
        memcpy(c->msg, msghash32, 32);
    }
    double t = cpu_ms();
    int r = __real_secp256k1_ecdsa_verify(ctx, sig, msghash32, pubkey);
    add_ms(&lib_ms, cpu_ms() - t);
    atomic_fetch_add(&ecdsa_calls, 1);
    return r;
}

/* Compressed keys cost a square root to parse: library work outside
 * verification, reported apart. */
int __wrap_secp256k1_ec_pubkey_parse(const secp256k1_context *ctx, secp256k1_pubkey *pubkey,
                                     const unsigned char *input, size_t inputlen)
{
    double t = cpu_ms();
    int r = __real_secp256k1_ec_pubkey_parse(ctx, pubkey, input, inputlen);
    add_ms(&parse_ms, cpu_ms() - t);
    return r;
}

int __wrap_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey)
{
    double t = cpu_ms();
    int r = __real_secp256k1_schnorrsig_verify(ctx, sig64, msg, msglen, pubkey);
    add_ms(&lib_ms, cpu_ms() - t);
    atomic_fetch_add(&schnorr_calls, 1);
    return r;
}

/* --- verifying a block on N threads --- */

struct run {
    const struct blockcoins *bc;
    uint32_t flags;
    struct sigcache *cache;
    bool store;
    atomic_size_t next; /* the next input to take */
    atomic_size_t failed;
    size_t first_bad;   /* an input that failed, when failed > 0 */
};

static void *worker(void *arg)
{
    struct run *r = arg;
    double t = cpu_ms();
    size_t k;
    while ((k = atomic_fetch_add(&r->next, 1)) < r->bc->input_count) {
        const struct blockcoins_input *p = &r->bc->inputs[k];
        enum script_error err;
        if (!script_verify_input_ex(&r->bc->txdata[p->tx], p->in, r->flags, r->cache, r->store,
                                    &err)) {
            r->first_bad = k;
            atomic_fetch_add(&r->failed, 1);
        }
    }
    add_ms(&work_ms, cpu_ms() - t);
    return NULL;
}

struct timing {
    double wall, cpu, lib, parse; /* ms: elapsed; CPU of the workers, in verify calls,
                                   * in public-key parsing */
};

/* One pass over every input on par threads (par 1: this thread); the
 * number of failed inputs in *failed. */
static struct timing verify_pass(struct run *r, int par, size_t *failed)
{
    pthread_t th[64];
    atomic_store(&r->next, 0);
    atomic_store(&r->failed, 0);
    atomic_store(&lib_ms, 0);
    atomic_store(&parse_ms, 0);
    atomic_store(&work_ms, 0);
    double t = now_ms();
    if (par <= 1) {
        worker(r);
    } else {
        for (int i = 0; i < par; i++)
            pthread_create(&th[i], NULL, worker, r);
        for (int i = 0; i < par; i++)
            pthread_join(th[i], NULL);
    }
    *failed = atomic_load(&r->failed);
    return (struct timing){now_ms() - t, atomic_load(&work_ms), atomic_load(&lib_ms),
                           atomic_load(&parse_ms)};
}

/* The shortest elapsed time of the runs, and the run that used the least
 * CPU for the shares. */
static struct timing best_of(struct run *r, int par, int runs)
{
    struct timing best = {1e300, 1e300, 0, 0};
    size_t failed;
    for (int i = 0; i < runs; i++) {
        struct timing t = verify_pass(r, par, &failed);
        if (t.wall < best.wall)
            best.wall = t.wall;
        if (t.cpu < best.cpu) {
            double wall = best.wall;
            best = t;
            best.wall = wall;
        }
    }
    return best;
}

/* --- libsecp256k1 alone --- */

static double raw_ecdsa_us(int runs)
{
    double best = 1e300;
    for (int i = 0; i < runs; i++) {
        double t = cpu_ms();
        for (size_t k = 0; k < captured_n; k++)
            (void)__real_secp256k1_ecdsa_verify(secp256k1_context_static, &captured[k].sig,
                                                captured[k].msg, &captured[k].pub);
        t = cpu_ms() - t;
        best = t < best ? t : best;
    }
    return best * 1e3 / (double)captured_n;
}

static double raw_schnorr_us(int runs)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    static uint8_t sigs[SCHNORR_SAMPLES][64], msgs[SCHNORR_SAMPLES][32];
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey pub;
    uint8_t sec[32];
    memset(sec, 0x5a, 32);
    if (!secp256k1_keypair_create(ctx, &kp, sec) ||
        !secp256k1_keypair_xonly_pub(ctx, &pub, NULL, &kp))
        abort();
    for (int i = 0; i < SCHNORR_SAMPLES; i++) {
        memset(msgs[i], i & 0xff, 32);
        msgs[i][0] = (uint8_t)(i >> 8);
        if (!secp256k1_schnorrsig_sign32(ctx, sigs[i], msgs[i], &kp, NULL))
            abort();
    }
    double best = 1e300;
    for (int r = 0; r < runs; r++) {
        double t = cpu_ms();
        for (int i = 0; i < SCHNORR_SAMPLES; i++)
            if (!__real_secp256k1_schnorrsig_verify(ctx, sigs[i], msgs[i], 32, &pub))
                abort();
        t = cpu_ms() - t;
        best = t < best ? t : best;
    }
    secp256k1_context_destroy(ctx);
    return best * 1e3 / SCHNORR_SAMPLES;
}

/* --- report --- */

struct opts {
    const char *block, *undo;
    int par, runs;
    uint32_t flags;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.par = 0, .runs = 5, .flags = SCRIPT_MANDATORY_FLAGS};
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "-par=", 5))
            o->par = atoi(argv[i] + 5);
        else if (!strncmp(argv[i], "-runs=", 6))
            o->runs = atoi(argv[i] + 6);
        else if (!strncmp(argv[i], "-flags=", 7))
            o->flags = (uint32_t)strtoul(argv[i] + 7, NULL, 0);
        else if (pos == 0 && ++pos)
            o->block = argv[i];
        else if (pos == 1 && ++pos)
            o->undo = argv[i];
        else
            return -1;
    }
    if (pos != 2 || o->par < 0 || o->par > 64 || o->runs < 1)
        return -1;
    return 0;
}

/* The validity pass, which also counts the library calls of one block,
 * then a second pass capturing the ECDSA calls for the raw rate. */
static bool validity(struct run *r, unsigned long *sigs)
{
    size_t failed;
    verify_pass(r, 1, &failed);
    *sigs = atomic_load(&ecdsa_calls) + atomic_load(&schnorr_calls);
    unsigned long ecdsa = atomic_load(&ecdsa_calls);
    captured = xcalloc(ecdsa, sizeof(*captured));
    captured_cap = ecdsa;
    verify_pass(r, 1, &failed);
    captured_cap = 0;
    if (failed) {
        const struct blockcoins_input *p = &r->bc->inputs[r->first_bad];
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&r->bc->block->txs[p->tx]->txid, hex);
        printf("valid: NO (%zu inputs fail, e.g. tx %s input %zu)\n", failed, hex, p->in);
        return false;
    }
    printf("valid: yes (%zu of %zu inputs)\n", r->bc->input_count, r->bc->input_count);
    return true;
}

static void report_par(struct run *cold, struct run *warm, int par, int runs,
                       unsigned long sigs, double raw_us)
{
    struct timing c = best_of(cold, par, runs);
    unsigned long before = atomic_load(&ecdsa_calls) + atomic_load(&schnorr_calls);
    struct timing w = best_of(warm, par, runs);
    unsigned long warm_calls = atomic_load(&ecdsa_calls) + atomic_load(&schnorr_calls) - before;
    printf("-par=%d cold: %8.2f ms/block (CPU %8.2f ms), %6.0f sig/s\n", par, c.wall, c.cpu,
           sigs / (c.wall / 1e3));
    /* The interpreter's share: CPU outside the library over CPU inside
     * it, and block CPU over what the raw ECDSA loop predicts. */
    if (par == 1 && sigs && raw_us > 0)
        printf("  interpreter+sighash overhead: +%.1f%% over the %.2f ms of CPU inside "
               "libsecp256k1's verify (+%.1f%% not counting its key parsing, %.2f ms); "
               "+%.1f%% over the raw loop's %lu x %.2f us\n",
               100.0 * (c.cpu - c.lib) / c.lib, c.lib,
               100.0 * (c.cpu - c.lib - c.parse) / c.lib, c.parse,
               100.0 * (c.cpu - sigs * raw_us / 1e3) / (sigs * raw_us / 1e3), sigs, raw_us);
    printf("-par=%d warm: %8.2f ms/block (CPU %8.2f ms), %.1fx faster than cold (CPU %.1fx; "
           "%lu library calls in %d runs)\n",
           par, w.wall, w.cpu, c.wall / w.wall, c.cpu / w.cpu, warm_calls, runs);
}

int main(int argc, char **argv)
{
    struct opts o;
    char *err = NULL;
    if (parse_args(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: bench_verify BLOCK.raw UNDO.raw [-par=N] [-flags=BITS] "
                        "[-runs=R]\n");
        return 2;
    }
    struct blockcoins *bc = blockcoins_load(o.block, o.undo, &err);
    if (!bc) {
        fprintf(stderr, "bench_verify: %s\n", err);
        free(err);
        return 1;
    }
    char hex[HASH_HEX_LEN + 1];
    hash_to_hex(&bc->block->hash, hex);
    printf("block %s height %u: %zu txs, %zu inputs, flags %#x\n", hex, bc->height,
           bc->block->tx_count, bc->input_count, o.flags);
    struct run cold = {.bc = bc, .flags = o.flags};
    unsigned long sigs;
    bool ok = validity(&cold, &sigs);
    double ecdsa_us = captured_n ? raw_ecdsa_us(o.runs) : 0;
    double schnorr_us = raw_schnorr_us(o.runs);
    printf("signature checks per block: %lu (ECDSA %zu)\n", sigs, captured_n);
    printf("libsecp256k1 raw: ECDSA verify %.2f us (%.0f/s) over the block's own signatures; "
           "Schnorr verify %.2f us (%.0f/s) over %d made here\n",
           ecdsa_us, ecdsa_us ? 1e6 / ecdsa_us : 0, schnorr_us, 1e6 / schnorr_us,
           SCHNORR_SAMPLES);

    struct sigcache *cache = sigcache_new(SIGCACHE_BYTES);
    struct run fill = {.bc = bc, .flags = o.flags, .cache = cache, .store = true};
    struct run warm = {.bc = bc, .flags = o.flags, .cache = cache};
    size_t failed;
    verify_pass(&fill, 1, &failed);
    printf("sigcache filled by a storing pass: %zu entries\n", sigcache_count(cache));
    report_par(&cold, &warm, 1, o.runs, sigs, ecdsa_us);
    report_par(&cold, &warm, 2, o.runs, sigs, ecdsa_us);
    if (o.par > 2)
        report_par(&cold, &warm, o.par, o.runs, sigs, ecdsa_us);
    sigcache_free(cache);
    free(captured);
    blockcoins_free(bc);
    return ok ? 0 : 1;
}
