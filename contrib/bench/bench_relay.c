/* Figures for the relay core (prints numbers; never pass/fail):
 * 1. a node with Bitcoin Core's policy and 8 peers: every transaction is
 *    announced by all peers, fetched from one, accepted and announced on;
 *    transactions per second and CPU microseconds per transaction;
 * 2. memory per simulated node (the simulator's small sizes) for a
 *    population of idle nodes and after every node has heard one rumor.
 * Usage: bench_relay [transactions] [nodes] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "net/relay/prng.h"
#include "net/relay/relay.h"
#include "chain/util/xmalloc.h"

#define S 1000000LL

struct counts {
    uint64_t inv_msgs, inv_entries, getdata_entries;
};

static void c_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv, size_t n)
{
    struct counts *c = ctx;
    c->inv_msgs++;
    c->inv_entries += n;
}

static void c_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      size_t n)
{
    ((struct counts *)ctx)->getdata_entries += n;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * 4;
}

static struct relay_tx_info make_tx(uint64_t i)
{
    struct relay_tx_info t = {.ancestors = 0, .vsize = 200, .feerate = 1000 + (int64_t)(i % 977)};
    uint64_t s = i;
    for (int w = 0; w < 4; w++) {
        uint64_t a = prng_next(&s), b = prng_next(&s);
        memcpy(t.txid.b + 8 * w, &a, 8);
        memcpy(t.wtxid.b + 8 * w, &b, 8);
    }
    return t;
}

/* One node, n_peers peers (8 outbound), Bitcoin Core's policy and trickle
 * except the per-trickle cap; the clock advances 50 µs per transaction
 * (20,000 tx/s of simulated load). Core's cap of 1000 per trickle cannot
 * drain that: queues grow, which the figures show. */
static void bench_node(uint64_t n_tx, uint32_t per_trickle, uint64_t n_peers)
{
    struct relay_policy p;
    relay_policy_default(&p);
    p.max_per_trickle = per_trickle;
    struct counts c = {0};
    const struct relay_driver drv = {.send_inv = c_inv, .send_getdata = c_getdata};
    struct relay *r = relay_new(&p, &drv, &c, 0, 1, NULL);
    for (uint64_t i = 1; i <= n_peers; i++) {
        struct relay_peer_props pp = {.outbound = i <= 8, .wtxidrelay = true};
        relay_peer_add(r, i, &pp, 0);
    }
    double t0 = cpu_seconds();
    int64_t now = 0;
    for (uint64_t i = 0; i < n_tx; i++, now += 50) {
        struct relay_tx_info t = make_tx(i);
        uint64_t from = 1 + i % 8;
        struct relay_inv inv = {RELAY_INV_WTX, t.wtxid};
        relay_on_inv(r, from, &inv, now);
        relay_tick(r, now);                      /* getdata */
        relay_on_tx_accepted(r, true, from, &t, now);
        uint64_t late = 1 + (i + 3) % n_peers;   /* a slower peer announces too */
        relay_on_inv(r, late, &inv, now);
        if (relay_next_wakeup(r) <= now + 50)
            relay_tick(r, now + 50);
    }
    relay_tick(r, now + 60 * S);
    double cpu = cpu_seconds() - t0;
    struct relay_info info;
    relay_get_info(r, &info);
    printf("node, %llu peers, max %u per trickle: %llu tx in %.3f s CPU: %.0f tx/s, "
           "%.2f us/tx\n",
           (unsigned long long)n_peers, per_trickle, (unsigned long long)n_tx, cpu, n_tx / cpu,
           cpu * 1e6 / n_tx);
    printf("  inv entries sent %llu (%.2f per tx, %.2f per tx per link), inv messages %llu, "
           "getdata entries %llu, duplicate invs %llu\n",
           (unsigned long long)c.inv_entries, (double)c.inv_entries / n_tx,
           (double)c.inv_entries / n_tx / n_peers, (unsigned long long)c.inv_msgs,
           (unsigned long long)c.getdata_entries, (unsigned long long)info.totals.inv_dup);
    printf("  relay memory %zu bytes (recent %zu, known %zu)\n", info.memory, info.recent_memory,
           info.known_memory);
    relay_free(r);
}

static bool pick_none(void *ctx, struct relay *r, const struct hash256 *h, const uint64_t *ex,
                      size_t n_ex, uint64_t *peer)
{
    *peer = (relay_self(r) + 1 + relay_rand(r) % 1000) % 1000000;
    return true;
}

/* Memory of n simulated nodes, idle and after each heard a rumor. */
static void bench_population(uint64_t n)
{
    struct relay_policy p;
    relay_policy_default(&p);
    p.fanout = 1;
    p.stop = RELAY_STOP_COUNTER;
    p.stop_k = 1;
    p.known_entries = 0;
    p.recent_entries = 4;
    p.recent_fp = 0;
    p.trickle_in_us = p.trickle_out_us = 0;
    struct counts c = {0};
    const struct relay_driver drv = {.send_inv = c_inv, .send_getdata = c_getdata,
                                     .pick_peer = pick_none};
    struct relay **node = xmalloc(n * sizeof(*node));
    long base = rss_kb();
    double t0 = cpu_seconds();
    for (uint64_t i = 0; i < n; i++)
        node[i] = relay_new(&p, &drv, &c, i, i, NULL);
    long idle = rss_kb();
    struct relay_tx_info t = make_tx(7);
    for (uint64_t i = 0; i < n; i++)
        relay_on_tx_accepted(node[i], true, (i + 1) % n, &t, 0);
    long informed = rss_kb();
    for (uint64_t i = 0; i < n; i++)
        relay_tick(node[i], 1);
    long pushed = rss_kb();
    double cpu = cpu_seconds() - t0;
    printf("%llu simulated nodes: idle %.0f B/node, all infective %.0f B/node, after a round "
           "%.0f B/node (RSS); %.2f s CPU\n",
           (unsigned long long)n, (idle - base) * 1024.0 / n, (informed - base) * 1024.0 / n,
           (pushed - base) * 1024.0 / n, cpu);
    for (uint64_t i = 0; i < n; i++)
        relay_free(node[i]);
    free(node);
}

int main(int argc, char **argv)
{
    uint64_t n_tx = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint64_t nodes = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    bench_node(n_tx, 1000, 8);
    bench_node(n_tx, 0, 8);
    bench_node(n_tx / 4, 0, 125);
    bench_population(nodes);
    return 0;
}
