/* Mempool figures: transactions accepted per CPU second (independent ones
 * and chains of descendants), a block's removal, block assembly, the dump
 * file round trip, and the memory the pool accounts for. Prints figures;
 * never fails on timing. Usage: bench_mempool [transactions] */
#include "chain/mempool/mempool.h"
#include "chain/mempool/miner.h"
#include "chain/primitives/params.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const uint8_t p2wpkh[22] = {0x00, 0x14, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                   7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

/* Confirmed coins are made-up outpoints: index in the first four bytes,
 * a marker in the rest, output 0, one million satoshis each. */
static struct outpoint coin(uint32_t i)
{
    struct outpoint op;
    memset(op.hash.b, 0xab, 32);
    memcpy(op.hash.b, &i, 4);
    op.n = 0;
    return op;
}

static bool lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    static uint8_t marker[28];
    if (!marker[0])
        memset(marker, 0xab, sizeof(marker));
    if (op->n != 0 || memcmp(op->hash.b + 4, marker, 28) != 0)
        return false;
    out->value = 1000000;
    out->height = 1;
    out->coinbase = false;
    out->script = xmalloc(sizeof(p2wpkh));
    memcpy(out->script, p2wpkh, sizeof(p2wpkh));
    out->script_len = sizeof(p2wpkh);
    return true;
}

static struct tx *spend(const struct outpoint *op, int64_t in, int64_t fee, int outs)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, op->hash.b, 32);
    wbuf_u32(&w, op->n);
    wbuf_compact(&w, 0);
    wbuf_u32(&w, 0xfffffffdu);
    wbuf_compact(&w, (uint64_t)outs);
    for (int i = 0; i < outs; i++) {
        wbuf_i64(&w, (in - fee) / outs);
        wbuf_varbytes(&w, p2wpkh, sizeof(p2wpkh));
    }
    wbuf_u32(&w, 0);
    const char *why;
    struct tx *tx = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    return tx;
}

/* CPU time of this process: the machine may be busy with other work. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Selects a full block from the pool and removes it as confirmed. */
static void assemble_and_connect(struct mempool *mp, const struct mempool_tip *tip)
{
    double a = now_s();
    struct tx **sel;
    int64_t fees;
    size_t ns = miner_select(mp, MINER_DEFAULT_MAX_WEIGHT, &sel, &fees);
    printf("block assembly: %zu tx selected from %zu in %.3f s\n", ns, mempool_count(mp),
           now_s() - a);
    struct block blk = {.tx_count = ns, .txs = sel};
    a = now_s();
    mempool_block_connected(mp, &blk, tip);
    printf("block connected: %zu tx removed in %.3f s\n", ns, now_s() - a);
    free(sel);
}

/* Writes the pool to a dump file and loads it into a new pool. */
static struct mempool *dump_and_load(const struct mempool *mp, const struct mempool_options *o,
                                     const struct mempool_tip *tip, int64_t t0)
{
    char path[] = "/tmp/bench-mempool-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    double a = now_s();
    mempool_dump(mp, path, NULL);
    double dump = now_s() - a;
    struct mempool *mp2 = mempool_new(o, lookup, NULL);
    struct mempool_load_stats st;
    a = now_s();
    mempool_load(mp2, path, tip, t0 + 10, &st, NULL);
    printf("dump %zu tx: %.3f s; load: %zu tx in %.3f s\n", mempool_count(mp), dump, st.accepted,
           now_s() - a);
    unlink(path);
    return mp2;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 100000;
    struct mempool_options o;
    mempool_options_default(&o);
    struct mempool *mp = mempool_new(&o, lookup, NULL);
    struct mempool_tip tip = {.height = 1000, .mtp = 1700000000};
    int64_t t0 = 1700000000;

    /* Independent transactions, then children in chains of ten. */
    struct tx **txs = xcalloc(n, sizeof(*txs));
    for (size_t i = 0; i < n; i++) {
        struct outpoint op = coin((uint32_t)i);
        txs[i] = spend(&op, 1000000, 200 + (int64_t)(i % 1000), 2);
    }
    struct mempool_reject rej;
    double a = now_s();
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += mempool_accept(mp, txs[i], &tip, t0, &rej) == MEMPOOL_ACCEPTED;
    double indep = now_s() - a;
    size_t chains = n / 10;
    struct tx **kids = xcalloc(chains * 9, sizeof(*kids));
    size_t nk = 0;
    a = now_s();
    for (size_t c = 0; c < chains; c++) {
        const struct tx *parent = txs[c];
        for (int d = 0; d < 9; d++) {
            struct outpoint op = {parent->txid, 0};
            struct tx *k = spend(&op, parent->vout[0].value, 300, 2);
            ok += mempool_accept(mp, k, &tip, t0, &rej) == MEMPOOL_ACCEPTED;
            kids[nk++] = k;
            parent = k;
        }
    }
    double chained = now_s() - a;
    printf("accept independent: %zu tx in %.3f s = %.0f tx/s\n", n, indep, n / indep);
    printf("accept chained (depth 2..10): %zu tx in %.3f s = %.0f tx/s\n", nk, chained,
           nk / chained);
    printf("mempool: %zu tx (%zu accepted), %zu vbytes, usage %.1f MB (%.0f bytes/tx)\n",
           mempool_count(mp), ok, mempool_bytes(mp), mempool_usage(mp) / 1e6,
           (double)mempool_usage(mp) / (double)mempool_count(mp));

    struct mempool *mp2 = dump_and_load(mp, &o, &tip, t0);
    assemble_and_connect(mp, &tip);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("max resident memory: %.1f MB (two pools and the test transactions)\n",
           ru.ru_maxrss / 1024.0);
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
    for (size_t i = 0; i < nk; i++)
        tx_free(kids[i]);
    free(txs);
    free(kids);
    mempool_free(mp);
    mempool_free(mp2);
    return 0;
}
