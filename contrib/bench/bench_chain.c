/* Chain benchmark: headers validated per second, blocks connected per
 * second and MB/s, and resident memory, for a generated regtest chain
 * (default 10,000 blocks of 200 transactions; every input is looked up in
 * the UTXO set). Prints figures; never fails on timing.
 *
 *   bench_chain [blocks] [txs-per-block] [dbcache-MiB]
 *
 * A child process generates the chain into a file first, so the parent's
 * resident memory is the chainstate's, not the generator's. Times cover
 * parsing and processing only. */
#define _GNU_SOURCE
#include "chain/validation/chainstate.h"
#include "chain/validation/pow.h"
#include "chain/validation/validation.h"
#include "chain/util/xmalloc.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCRIPT_SIG_LEN 107 /* a typical signature and public key push */
/* P2PKH: the inputs carry a scriptSig, so they must not spend witness
 * programs (blocks check witness commitments). */
#define OUT_SCRIPT_LEN 25

struct pool_coin {
    struct outpoint op;
    int64_t value;
};

/* FIFO of spendable outputs: the oldest are spent first. */
struct pool {
    struct pool_coin *v;
    size_t head, tail, cap;
};

static void pool_push(struct pool *p, const struct hash256 *txid, uint32_t n, int64_t value)
{
    if (p->tail == p->cap) {
        if (p->head > p->cap / 2) {
            memmove(p->v, p->v + p->head, (p->tail - p->head) * sizeof(*p->v));
            p->tail -= p->head;
            p->head = 0;
        } else {
            p->cap = p->cap ? 2 * p->cap : 4096;
            p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
        }
    }
    p->v[p->tail++] = (struct pool_coin){{*txid, n}, value};
}

static void out_script(struct wbuf *w, uint32_t seed)
{
    uint8_t s[OUT_SCRIPT_LEN] = {0x76, 0xa9, 0x14, [23] = 0x88, [24] = 0xac};
    for (int i = 3; i < 23; i += 4)
        memcpy(s + i, &seed, 4);
    wbuf_varbytes(w, s, sizeof(s));
}

/* Appends a transaction spending in (a copy: the pool may move) to w,
 * its outputs to the pool; *txid gets its id. */
static void gen_tx(struct wbuf *w, struct pool_coin in_coin, struct pool *pool, uint32_t seed,
                   struct hash256 *txid)
{
    const struct pool_coin *in = &in_coin;
    size_t start = w->len;
    uint8_t sig[SCRIPT_SIG_LEN];
    memset(sig, 0x30, sizeof(sig));
    sig[0] = 72;
    sig[73] = 33;
    wbuf_i32(w, 2);
    wbuf_compact(w, 1);
    wbuf_bytes(w, in->op.hash.b, 32);
    wbuf_u32(w, in->op.n);
    wbuf_varbytes(w, sig, sizeof(sig));
    wbuf_u32(w, 0xffffffff);
    wbuf_compact(w, 2);
    int64_t half = in->value / 2;
    wbuf_i64(w, half);
    out_script(w, seed);
    wbuf_i64(w, in->value - half);
    out_script(w, seed ^ 0x5a5a5a5a);
    wbuf_u32(w, 0);
    hash_sha256d(w->data + start, w->len - start, txid);
    pool_push(pool, txid, 0, half);
    pool_push(pool, txid, 1, in->value - half);
}

static void gen_coinbase(struct wbuf *w, const struct chain_params *p, int height,
                         struct hash256 *txid)
{
    uint8_t script[16];
    size_t n = validation_bip34_prefix(height, script);
    script[n++] = 0x00; /* keeps the script at least two bytes long */
    size_t start = w->len;
    wbuf_i32(w, 2);
    wbuf_compact(w, 1);
    wbuf_bytes(w, (uint8_t[32]){0}, 32);
    wbuf_u32(w, 0xffffffff);
    wbuf_varbytes(w, script, n);
    wbuf_u32(w, 0xffffffff);
    wbuf_compact(w, 1);
    wbuf_i64(w, params_block_subsidy(p, height));
    out_script(w, (uint32_t)height);
    wbuf_u32(w, 0);
    hash_sha256d(w->data + start, w->len - start, txid);
}

/* Writes the chain as length-prefixed blocks. Block 1's coinbase funds
 * everything: it is split once mature, then every transaction spends the
 * oldest output in the pool into two. */
static int generate(const char *path, const struct chain_params *p, int nblocks, int ntx)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    struct pool pool = {0};
    struct hash256 prev = p->genesis_hash, *ids = xmalloc((size_t)(ntx + 1) * sizeof(*ids));
    struct wbuf body, blk;
    wbuf_init(&body);
    wbuf_init(&blk);
    uint32_t time = p->genesis.time, seed = 1;
    for (int h = 1; h <= nblocks; h++) {
        wbuf_reset(&body);
        gen_coinbase(&body, p, h, &ids[0]);
        if (h == 1)
            pool_push(&pool, &ids[0], 0, params_block_subsidy(p, 1));
        size_t n = 1;
        /* Coinbase outputs mature after 100 blocks. */
        for (int t = 0; h > 101 && t < ntx && pool.tail > pool.head; t++, n++) {
            struct pool_coin in = pool.v[pool.head++];
            gen_tx(&body, in, &pool, seed++, &ids[n]);
        }
        struct block_header hdr = {.version = 0x20000000, .prev = prev, .time = time += 600,
                                   .bits = p->pow_limit_bits};
        block_merkle_compute(ids, n, &hdr.merkle, NULL);
        for (;; hdr.nonce++) {
            block_header_hash(&hdr, &prev);
            if (pow_check(&prev, hdr.bits, p))
                break;
        }
        wbuf_reset(&blk);
        uint8_t raw[BLOCK_HEADER_SIZE];
        block_header_serialize(&hdr, raw);
        wbuf_bytes(&blk, raw, sizeof(raw));
        wbuf_compact(&blk, n);
        wbuf_bytes(&blk, body.data, body.len);
        uint32_t len = (uint32_t)blk.len;
        if (fwrite(&len, 4, 1, f) != 1 || fwrite(blk.data, blk.len, 1, f) != 1)
            return 1;
    }
    free(ids);
    free(pool.v);
    wbuf_free(&body);
    wbuf_free(&blk);
    return fclose(f) == 0 ? 0 : 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the whole process (LevelDB's compaction thread included):
 * on a shared machine it says more than the wall clock. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0)
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

/* Reads the next block into buf; its length, or 0 at the end. */
static size_t read_block(FILE *f, uint8_t **buf, size_t *cap)
{
    uint32_t len;
    if (fread(&len, 4, 1, f) != 1)
        return 0;
    if (len > *cap) {
        *cap = len;
        *buf = xrealloc(*buf, len);
    }
    return fread(*buf, len, 1, f) == 1 ? len : 0;
}

static struct chainstate *open_fresh(const struct chain_params *p, const char *dir, size_t mib)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = mib << 20;
    char *err = NULL;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    struct chainstate *cs = chainstate_open(p, dir, &o, &err);
    if (!cs) {
        fprintf(stderr, "open %s: %s\n", dir, err);
        exit(1);
    }
    return cs;
}

static void bench_headers(const struct chain_params *p, const char *file, const char *dir,
                          int nblocks)
{
    struct block_header *hdrs = xmalloc((size_t)nblocks * sizeof(*hdrs));
    FILE *f = fopen(file, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len, n = 0;
    while (n < (size_t)nblocks && (len = read_block(f, &buf, &cap)) > 0) {
        struct cursor c;
        cursor_init(&c, buf, len);
        block_header_parse(&c, &hdrs[n++]);
    }
    fclose(f);
    free(buf);
    struct chainstate *cs = open_fresh(p, dir, 64);
    double t0 = now_s(), c0 = cpu_s();
    const char *reason = NULL;
    char *err = NULL;
    /* In batches of 2,000, like `headers` messages. */
    for (size_t i = 0; i < n; i += 2000) {
        size_t k = n - i < 2000 ? n - i : 2000;
        if (chainstate_process_headers(cs, hdrs + i, k, NULL, &reason, &err) !=
            CHAINSTATE_ACCEPTED) {
            fprintf(stderr, "headers rejected: %s\n", reason ? reason : err);
            exit(1);
        }
    }
    double dt = now_s() - t0, dc = cpu_s() - c0;
    printf("headers: %zu validated and stored in %.3f s: %.0f headers/s (%.0f per CPU second)\n",
           n, dt, (double)n / dt, (double)n / dc);
    chainstate_close(cs);
    free(hdrs);
}

static void bench_blocks(const struct chain_params *p, const char *file, const char *dir,
                         size_t mib)
{
    struct chainstate *cs = open_fresh(p, dir, mib);
    FILE *f = fopen(file, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len, bytes = 0, txs = 0, count = 0;
    double busy = 0, c0 = cpu_s();
    while ((len = read_block(f, &buf, &cap)) > 0) {
        double t0 = now_s();
        const char *reason = NULL;
        char *err = NULL;
        struct block *b = block_from_bytes(buf, len, &reason);
        if (!b || chainstate_process_block(cs, b, &reason, &err) != CHAINSTATE_ACCEPTED) {
            fprintf(stderr, "block %zu rejected: %s\n", count + 1, reason ? reason : err);
            exit(1);
        }
        busy += now_s() - t0;
        txs += b->tx_count;
        bytes += len;
        count++;
        block_free(b);
    }
    double cpu = cpu_s() - c0;
    fclose(f);
    free(buf);
    long rss = rss_kib("VmRSS:");
    size_t cache = chainstate_cache_usage(cs);
    double t0 = now_s(), cc0 = cpu_s();
    chainstate_close(cs);
    double close_s = now_s() - t0, close_cpu = cpu_s() - cc0;
    printf("blocks: %zu (%zu transactions, %.1f MB) connected in %.2f s: %.0f blocks/s, "
           "%.0f tx/s, %.1f MB/s\n",
           count, txs, (double)bytes / 1e6, busy, (double)count / busy, (double)txs / busy,
           (double)bytes / 1e6 / busy);
    printf("CPU time (all threads, reading the chain file included): %.2f s: %.1f MB per CPU "
           "second\n", cpu, (double)bytes / 1e6 / cpu);
    printf("final flush and close: %.2f s (%.2f s CPU); with it: %.1f MB/s, %.1f MB per CPU "
           "second\n", close_s, close_cpu, (double)bytes / 1e6 / (busy + close_s),
           (double)bytes / 1e6 / (cpu + close_cpu));
    printf("memory: UTXO cache %.1f MiB, resident %.1f MiB (peak %.1f MiB)\n",
           (double)cache / 1048576.0, (double)rss / 1024.0,
           (double)rss_kib("VmHWM:") / 1024.0);
}

int main(int argc, char **argv)
{
    int nblocks = argc > 1 ? atoi(argv[1]) : 10000;
    int ntx = argc > 2 ? atoi(argv[2]) : 200;
    size_t mib = argc > 3 ? (size_t)atoi(argv[3]) : CHAINSTATE_DEFAULT_DBCACHE_MB;
    if (nblocks < 1 || ntx < 0 || mib < CHAINSTATE_MIN_DBCACHE_MB) {
        fprintf(stderr, "usage: %s [blocks] [txs-per-block] [dbcache-MiB]\n", argv[0]);
        return 2;
    }
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/hearsay-bench-chain-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    char file[4200], db[4200];
    snprintf(file, sizeof(file), "%s/chain.bin", dir);
    snprintf(db, sizeof(db), "%s/db", dir);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0)
        _exit(generate(file, p, nblocks, ntx));
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "generating the chain failed\n");
        return 1;
    }
    printf("generated %d blocks of up to %d transactions in %.1f s (dbcache %zu MiB)\n",
           nblocks, ntx, now_s() - t0, mib);
    bench_headers(p, file, db, nblocks);
    bench_blocks(p, file, db, mib);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
