/* The relay core as the simulator uses it: an implicit complete graph of
 * tiny nodes in synchronous cycles, checked against Demers et al.'s
 * Table 1 and for memory per node. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/relay.h"
#include "tests/unit/relay_testutil.h"

#define NET_N 1000

struct msg {
    enum kind kind;
    uint64_t from, to;
    struct relay_inv inv;
};

/* A synchronous-cycle complete graph (Demers et al.'s model), driving the
 * core through the same calls as the simulator. */
struct net {
    struct relay *node[NET_N];
    bool fresh[NET_N]; /* susceptible at the start of the current cycle */
    struct msg *q;
    size_t n, cap;
};

static void net_send(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                     size_t n, enum kind k)
{
    struct net *nw = ctx;
    for (size_t i = 0; i < n; i++) {
        if (nw->n == nw->cap) {
            nw->cap = nw->cap ? 2 * nw->cap : 1024;
            nw->q = realloc(nw->q, nw->cap * sizeof(*nw->q));
            assert_non_null(nw->q);
        }
        nw->q[nw->n++] = (struct msg){k, relay_self(r), peer, inv[i]};
    }
}

static void net_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                    size_t n)
{
    net_send(ctx, r, peer, inv, n, K_INV);
}

static void net_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                        size_t n)
{
    net_send(ctx, r, peer, inv, n, K_GETDATA);
}

static bool net_pick(void *ctx, struct relay *r, const struct hash256 *h, const uint64_t *ex,
                     size_t n_ex, uint64_t *peer)
{
    uint64_t p;
    do
        p = relay_rand(r) % NET_N;
    while (p == relay_self(r));
    *peer = p;
    return true;
}

static void net_pull(void *ctx, struct relay *r, uint64_t peer)
{
    static const struct relay_inv none;
    net_send(ctx, r, peer, &none, 1, K_PULL);
}

static const struct relay_driver net_drv = {.send_inv = net_inv, .send_getdata = net_getdata,
                                            .pick_peer = net_pick, .send_pull = net_pull};

/* Delivers messages (and the payloads getdata asks for) until quiet. The
 * papers' recipient replies against its state at the start of the cycle:
 * a push to a site that was susceptible then is useful even when another
 * push informed it first in the same cycle, so such pushes get the
 * feedback a getdata gives (the wire protocol would ask only one of the
 * announcers). */
static void net_deliver(struct net *nw, const struct relay_tx_info *t, int64_t now)
{
    while (nw->n > 0) {
        size_t n = nw->n;
        struct msg *batch = nw->q;
        nw->q = NULL;
        nw->n = nw->cap = 0;
        for (size_t i = 0; i < n; i++) {
            struct msg *m = &batch[i];
            struct relay *to = nw->node[m->to];
            if (m->kind == K_PULL) {
                relay_on_pull(to, m->from, now);
            } else if (m->kind == K_INV) {
                if (nw->fresh[m->to])
                    relay_on_getdata(nw->node[m->from], m->to, &m->inv, now);
                relay_on_inv(to, m->from, &m->inv, now);
            } else {
                relay_on_getdata(to, m->from, &m->inv, now);
                relay_on_tx_accepted(nw->node[m->from], true, m->to, t, now);
            }
            relay_tick(to, now); /* the same instant: only requests go out */
        }
        free(batch);
    }
}

struct epidemic {
    double s, m, t_last, pulls;
    size_t max_mem, idle_mem;
    uint64_t requests, informed;
};

/* The papers' model with the simulator's sizes: fanout 1, one round (and
 * with pull, one pull) per cycle. */
static struct relay_policy paper_policy(enum relay_stop stop, uint32_t k, bool pull, bool push)
{
    struct relay_policy p = rumor_policy(stop, k, true, 1);
    p.known_entries = 0;
    p.recent_entries = 16;
    p.recent_fp = 0;
    p.pull_interval_us = pull ? S : 0;
    p.pull_only = !push;
    return p;
}

/* One rumor from node 0. */
static void epidemic_run(const struct relay_policy *pp, uint64_t seed, struct epidemic *out)
{
    const struct relay_policy p = *pp;
    struct net *nw = calloc(1, sizeof(*nw));
    for (uint64_t i = 0; i < NET_N; i++) {
        nw->node[i] = relay_new(&p, &net_drv, nw, i, seed * NET_N + i, NULL);
        assert_non_null(nw->node[i]);
    }
    struct relay_info info;
    relay_get_info(nw->node[1], &info);
    out->idle_mem = info.memory;
    struct relay_tx_info t = tx(1, 0, 1000);
    t.wtxid = t.txid;
    relay_on_tx_accepted(nw->node[0], false, 0, &t, 0);
    size_t informed = 1, active = 1;
    int t_last = 0;
    for (int64_t c = 1; c < 200 && active > 0; c++) {
        for (int i = 0; i < NET_N; i++)
            nw->fresh[i] = !relay_has_seen(nw->node[i], &t.txid);
        for (int i = 0; i < NET_N; i++)
            relay_tick(nw->node[i], c * S);
        net_deliver(nw, &t, c * S);
        size_t now_informed = 0;
        active = 0;
        for (int i = 0; i < NET_N; i++) {
            now_informed += relay_has_seen(nw->node[i], &t.txid);
            active += relay_infective_count(nw->node[i]);
        }
        if (now_informed > informed)
            t_last = (int)c;
        informed = now_informed;
    }
    uint64_t pushes = 0;
    out->requests = 0;
    out->pulls = 0;
    out->max_mem = 0;
    for (int i = 0; i < NET_N; i++) {
        relay_get_info(nw->node[i], &info);
        pushes += info.totals.inv_sent;
        out->pulls += (double)info.totals.pulls_sent / NET_N;
        out->requests += info.totals.requests;
        if (info.memory > out->max_mem)
            out->max_mem = info.memory;
        relay_free(nw->node[i]);
    }
    out->s = 1.0 - (double)informed / NET_N;
    out->m = (double)pushes / NET_N;
    out->t_last = t_last;
    out->informed = informed;
    free(nw->q);
    free(nw);
}

static void test_implicit_epidemic(void **state)
{
    /* Demers et al. 1987, Table 1 (n = 1000, feedback + counter). */
    static const double paper[][3] = {
        {0.18, 1.7, 16.8}, {0.037, 3.3, 16.9}, {0.011, 4.5, 17.4}};
    const int runs = 12;
    for (uint32_t k = 1; k <= 3; k++) {
        struct epidemic avg = {0}, one;
        for (int run = 0; run < runs; run++) {
            struct relay_policy p = paper_policy(RELAY_STOP_COUNTER, k, false, true);
            epidemic_run(&p, 100 * k + (uint64_t)run, &one);
            avg.s += one.s / runs;
            avg.m += one.m / runs;
            avg.t_last += one.t_last / runs;
            assert_int_equal(one.requests, one.informed - 1); /* each payload fetched once */
            assert_true(one.idle_mem < 400);
            assert_true(one.max_mem < 4096);
        }
        const double *ref = paper[k - 1];
        print_message("k=%u over %d runs: s=%.4f m=%.2f t_last=%.1f (paper %.3f %.1f %.1f); "
                      "idle node %zu B, largest %zu B\n",
                      k, runs, avg.s, avg.m, avg.t_last, ref[0], ref[1], ref[2], one.idle_mem,
                      one.max_mem);
        /* Loose bounds for 12 runs; the simulator checks 200. */
        assert_true(fabs(avg.s - ref[0]) < 0.25 * ref[0] + 0.004);
        assert_true(fabs(avg.m / ref[1] - 1) < 0.1);
        assert_true(fabs(avg.t_last - ref[2]) < 1.5);
    }
}

/* Pull and push-pull through the same core: every node asks one random
 * node per cycle; an infective node answers and counts useless answers. */
static void test_pull_and_push_pull(void **state)
{
    const int runs = 8;
    struct epidemic avg[3] = {{0}};
    const char *name[3] = {"push", "pull", "push-pull"};
    for (int mode = 0; mode < 3; mode++) {
        struct relay_policy p = paper_policy(RELAY_STOP_COUNTER, 2, mode > 0, mode != 1);
        for (int run = 0; run < runs; run++) {
            struct epidemic one;
            epidemic_run(&p, 7000 + 10 * (uint64_t)mode + (uint64_t)run, &one);
            avg[mode].s += one.s / runs;
            avg[mode].m += one.m / runs;
            avg[mode].t_last += one.t_last / runs;
            avg[mode].pulls += one.pulls / runs;
        }
        print_message("%s, counter:2 feedback: s=%.4f m=%.2f (pushes+answers per node) "
                      "pulls %.1f per node, t_last=%.1f\n",
                      name[mode], avg[mode].s, avg[mode].m, avg[mode].pulls, avg[mode].t_last);
        assert_true(avg[mode].s < 0.06);
    }
    assert_true(avg[1].s < avg[0].s);                /* pull leaves a smaller residue */
    assert_true(avg[0].pulls == 0 && avg[1].pulls > 10);
    assert_true(avg[2].t_last < avg[0].t_last - 3); /* push-pull is the fastest */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_implicit_epidemic),
        cmocka_unit_test(test_pull_and_push_pull),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
