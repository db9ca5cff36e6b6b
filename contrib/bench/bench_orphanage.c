/* Orphan pool figures at its limit (Core v30's 3,000 latency score):
 * adds that each trim one announcement, lookups by wtxid, work sets,
 * erasure by wtxid, by peer and by block. Prints CPU nanoseconds per
 * operation and the load average; never fails on timing.
 * Usage: bench_orphanage [peers] */
#include "chain/primitives/serialize.h"
#include "net/sync/orphanage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT ORPHANAGE_MAX_LATENCY_SCORE
#define NTX (2 * LIMIT)

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A one-input, two-output transaction spending output n of the made-up
 * transaction `from` (a 32-bit label). */
static struct tx *orphan(uint32_t from, uint32_t n, uint32_t tag)
{
    struct wbuf w;
    uint8_t prev[32] = {0};
    memcpy(prev, &from, 4);
    prev[31] = 0x0b;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, prev, 32);
    wbuf_u32(&w, n);
    wbuf_compact(&w, 0);
    wbuf_u32(&w, tag);
    wbuf_compact(&w, 2);
    for (int k = 0; k < 2; k++) {
        wbuf_i64(&w, 5000);
        wbuf_varbytes(&w, "\x51", 1);
    }
    wbuf_u32(&w, 0);
    struct tx *tx = tx_from_bytes(w.data, w.len, NULL);
    wbuf_free(&w);
    if (!tx)
        abort();
    return tx;
}

static void report(const char *what, double ns, size_t ops)
{
    printf("%-44s %10.0f ns/op (%zu ops)\n", what, ns / (double)ops, ops);
}

int main(int argc, char **argv)
{
    uint64_t peers = argc > 1 ? strtoull(argv[1], NULL, 10) : 8;
    if (peers == 0 || peers > LIMIT)
        peers = 8;
    struct tx **txs = malloc(NTX * sizeof(*txs));
    if (!txs)
        return 1;
    for (uint32_t i = 0; i < NTX; i++) /* pairs of siblings spend one parent */
        txs[i] = orphan(i / 2, i % 2, i);
    struct orphanage *o = orphanage_new(LIMIT, ORPHANAGE_RESERVED_WEIGHT_PER_PEER, 1);
    double t = cpu_ns();
    for (uint32_t i = 0; i < LIMIT; i++)
        orphanage_add(o, txs[i], i % peers);
    report("add, filling the pool", cpu_ns() - t, LIMIT);
    t = cpu_ns();
    for (uint32_t i = LIMIT; i < NTX; i++)
        orphanage_add(o, txs[i], i % peers);
    report("add at the limit (each trims one)", cpu_ns() - t, NTX - LIMIT);
    enum { LOOKUPS = 1000000 };
    size_t hits = 0;
    t = cpu_ns();
    for (uint32_t i = 0; i < LOOKUPS; i++)
        hits += orphanage_get(o, &txs[(i * 7919u) % NTX]->wtxid) != NULL;
    report("lookup by wtxid (half held)", cpu_ns() - t, LOOKUPS);
    /* Parents of held orphans: each puts two children in a work set. */
    struct tx **parents = malloc(LIMIT / 2 * sizeof(*parents));
    for (uint32_t i = 0; i < LIMIT / 2; i++) {
        parents[i] = orphan(0xffff0000u + i, 0, i);
        memset(parents[i]->txid.b, 0, 32); /* its children name it by this txid */
        uint32_t label = LIMIT / 2 + i;
        memcpy(parents[i]->txid.b, &label, 4);
        parents[i]->txid.b[31] = 0x0b;
    }
    size_t queued = 0;
    t = cpu_ns();
    for (uint32_t i = 0; i < LIMIT / 2; i++)
        queued += orphanage_add_children_to_work_set(o, parents[i]);
    report("work set of a parent (2 children)", cpu_ns() - t, LIMIT / 2);
    size_t taken = 0;
    t = cpu_ns();
    for (uint64_t p = 0; p < peers; p++)
        for (struct tx *tx; (tx = orphanage_take_work(o, p)) != NULL; taken++)
            tx_free(tx);
    report("take from a work set", cpu_ns() - t, taken ? taken : 1);
    t = cpu_ns();
    for (uint32_t i = LIMIT; i < LIMIT + LIMIT / 2; i++)
        orphanage_erase(o, &txs[i]->wtxid);
    report("erase by wtxid", cpu_ns() - t, LIMIT / 2);
    /* A block of 3,000 transactions, its spends hitting the rest. */
    struct block b = {.tx_count = LIMIT / 2, .txs = txs + LIMIT + LIMIT / 2};
    t = cpu_ns();
    size_t erased = orphanage_erase_for_block(o, &b);
    report("erase for a block, per block transaction", cpu_ns() - t, b.tx_count);
    for (uint32_t i = 0; i < NTX; i++)
        orphanage_add(o, txs[i], i % peers);
    t = cpu_ns();
    orphanage_erase_for_peer(o, 0);
    report("erase for a peer, per peer", cpu_ns() - t, 1);
    struct orphanage_stats s;
    orphanage_get_stats(o, &s);
    double load[3] = {0};
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("peers %llu, hits %zu, work queued %zu taken %zu, block erased %zu, left %zu "
           "orphans (latency %u); load average %.2f\n",
           (unsigned long long)peers, hits, queued, taken, erased, s.orphans, s.latency_score,
           load[0]);
    orphanage_free(o);
    for (uint32_t i = 0; i < NTX; i++)
        tx_free(txs[i]);
    for (uint32_t i = 0; i < LIMIT / 2; i++)
        tx_free(parents[i]);
    free(parents);
    free(txs);
    return 0;
}
