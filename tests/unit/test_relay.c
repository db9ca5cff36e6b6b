/* The relay core driven directly: fake clock, fake peers, a recording
 * driver. Every test asserts what was sent, to whom, and when. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/prng.h"
#include "net/relay/relay.h"
#include "tests/unit/relay_fake.h"

/* ---- push: fanout and flood ---- */

/* Erlay: peers 1-3 outbound and 4-5 inbound reconcile, 6 (inbound) does
 * not. A new transaction goes by inv to the plain peer and to recon_flood
 * of the outbound reconciling ones; the other reconciling peers get it in
 * their sets, never both. */
static void test_erlay_split(void **state)
{
    struct relay_policy p = quick_policy();
    p.txrecon = true;
    p.recon_flood = 1;
    struct relay *r = mk(&p, &recon_drv, 3);
    for (int i = 1; i <= 6; i++) {
        struct relay_peer_props pp = {.outbound = i <= 3, .wtxidrelay = true,
                                      .reconcile = i <= 5};
        assert_int_equal(relay_peer_add(r, (uint64_t)i, &pp, 0), 0);
    }
    for (uint32_t k = 1; k <= 20; k++) {
        size_t from = F->n;
        struct relay_tx_info t = tx(k, 0, 1000);
        assert_true(relay_on_tx_accepted(r, false, 0, &t, k * S));
        relay_tick(r, k * S + 1);
        assert_int_equal(entries(K_INV, 6, from), 1);
        assert_int_equal(entries(K_INV, 4, from) + entries(K_INV, 5, from), 0);
        assert_int_equal(entries(K_RECON, 4, from) + entries(K_RECON, 5, from), 2);
        size_t inv_out = 0;
        for (uint64_t peer = 1; peer <= 3; peer++) {
            size_t i = entries(K_INV, peer, from), c = entries(K_RECON, peer, from);
            assert_int_equal(i + c, 1);
            inv_out += i;
            assert_true(relay_peer_knows(r, peer, &t.wtxid));
        }
        assert_int_equal(inv_out, 1);
        assert_true(F->log[F->n - 1].inv[0].type == RELAY_INV_WTX);
    }
    /* A peer that has it gets neither. */
    struct relay_tx_info t = tx(99, 0, 1000);
    struct relay_inv from4 = {.type = RELAY_INV_WTX, .hash = t.wtxid};
    relay_on_inv(r, 4, &from4, 100 * S);
    size_t from = F->n;
    assert_true(relay_on_tx_accepted(r, true, 4, &t, 100 * S));
    relay_tick(r, 100 * S + 1);
    assert_int_equal(entries(K_RECON, 4, from) + entries(K_INV, 4, from), 0);
    assert_int_equal(entries(K_RECON, 5, from), 1);
    relay_free(r);
}

static void test_flood_once(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 1);
    add_peers(r, 4, 4, false);
    struct relay_tx_info t = tx(1, 0, 1000);
    assert_true(relay_on_tx_accepted(r, false, 0, &t, 0));
    assert_true(relay_is_infective(r, &t.txid));
    relay_tick(r, 0); /* same instant: spreading starts strictly later */
    assert_int_equal(F->n, 0);
    assert_int_equal(relay_next_wakeup(r), 1);
    relay_tick(r, 1);
    assert_int_equal(F->n, 8);
    for (uint64_t peer = 1; peer <= 8; peer++) {
        assert_int_equal(entries(K_INV, peer, 0), 1);
        assert_true(relay_peer_knows(r, peer, &t.txid));
    }
    assert_int_equal(F->log[0].inv[0].type, RELAY_INV_TX);
    assert_memory_equal(&F->log[0].inv[0].hash, &t.txid, 32);
    /* Once: removed, never announced again. */
    assert_false(relay_is_infective(r, &t.txid));
    assert_true(relay_has_seen(r, &t.txid));
    assert_int_equal(F->removed, 1);
    relay_tick(r, 100 * S);
    assert_int_equal(F->n, 8);
    /* A tx from peer 3 goes to the seven others. */
    struct relay_tx_info t2 = tx(2, 0, 1000);
    assert_true(relay_on_tx_accepted(r, true, 3, &t2, 200 * S));
    relay_tick(r, 200 * S + 1);
    assert_int_equal(entries(K_INV, 0, 8), 7);
    assert_int_equal(entries(K_INV, 3, 8), 0);
    /* The same tx again is a duplicate payload, not a new rumor. */
    assert_false(relay_on_tx_accepted(r, true, 4, &t2, 201 * S));
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.inv_sent, 15);
    assert_int_equal(info.totals.dup_payload, 1);
    assert_int_equal(info.rumors_started, 2);
    assert_int_equal(info.rumors_removed, 2);
    assert_int_equal(info.rumors_infective, 0);
    relay_free(r);
}

static void test_fanout_skips_knowers_prefers_outbound(void **state)
{
    struct relay_policy p = quick_policy();
    p.fanout = 2;
    int inbound_seen[9] = {0};
    for (uint64_t seed = 0; seed < 200; seed++) {
        F->n = 0;
        struct relay *r = mk(&p, &explicit_drv, seed);
        add_peers(r, 4, 4, false);
        struct relay_tx_info t = tx(7, 0, 1000);
        /* Outbound peers 1..3 announced it to us: they know it. */
        for (uint64_t peer = 1; peer <= 3; peer++) {
            struct relay_inv inv = {RELAY_INV_TX, t.txid};
            assert_int_equal(relay_on_inv(r, peer, &inv, 0), RELAY_ANN_NEW);
        }
        relay_on_tx_accepted(r, true, 1, &t, 0);
        relay_tick(r, 1);
        size_t base = F->n;
        (void)base;
        assert_int_equal(entries(K_INV, 0, 0), 2);
        assert_int_equal(entries(K_INV, 4, 0), 1); /* the only outbound non-knower */
        for (uint64_t peer = 1; peer <= 3; peer++)
            assert_int_equal(entries(K_INV, peer, 0), 0);
        for (uint64_t peer = 5; peer <= 8; peer++)
            inbound_seen[peer] += (int)entries(K_INV, peer, 0);
        /* With no knowers, both picks are outbound. */
        F->n = 0;
        struct relay_tx_info t2 = tx(8, 0, 1000);
        relay_on_tx_accepted(r, false, 0, &t2, 10 * S);
        relay_tick(r, 10 * S + 1);
        size_t out = 0;
        for (size_t i = 0; i < F->n; i++)
            if (F->log[i].kind == K_INV)
                out += F->log[i].peer <= 4;
        assert_int_equal(out, 2);
        relay_free(r);
    }
    for (int peer = 5; peer <= 8; peer++)
        assert_true(inbound_seen[peer] > 20); /* the inbound pick is random */
}

/* ---- stop rules ---- */

/* Ticks every second (+1 µs, strictly after each round) until the rumor
 * is gone; returns the pushes made. `useful_at` (1-based push number, or
 * 0) gets a getdata right after it. */
static size_t spread_one(struct relay *r, int useful_at, int64_t *end)
{
    struct relay_tx_info t = tx(42, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t, 0);
    size_t pushes = 0;
    int64_t now = 1;
    for (int round = 0; round < 1000 && relay_infective_count(r) > 0; round++) {
        relay_tick(r, now);
        size_t total = entries(K_INV, 0, 0);
        if (total > pushes && useful_at > 0 && (size_t)useful_at > pushes &&
            (size_t)useful_at <= total) {
            struct sent *s = &F->log[F->n - 1];
            relay_on_getdata(r, s->peer, &s->inv[0], now + 1);
        }
        pushes = total;
        now += S;
    }
    *end = now;
    return pushes;
}

static void test_counter_feedback(void **state)
{
    struct relay_policy p = rumor_policy(RELAY_STOP_COUNTER, 3, true, 1);
    int64_t end;
    /* Nobody ever asks: three useless pushes, then removed. */
    struct relay *r = mk(&p, &implicit_drv, 1);
    assert_int_equal(spread_one(r, 0, &end), 3);
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.push_useless, 3);
    assert_int_equal(info.rumors_removed, 1);
    relay_free(r);
    /* The second push is requested: the counter restarts, 2 + 3 pushes. */
    F->n = 0;
    r = mk(&p, &implicit_drv, 1);
    assert_int_equal(spread_one(r, 2, &end), 5);
    relay_get_info(r, &info);
    assert_int_equal(info.totals.push_useful, 1);
    assert_int_equal(info.totals.push_useless, 4);
    relay_free(r);
    /* A peer that announces it back makes the push useless at once. */
    F->n = 0;
    p.stop_k = 1;
    p.feedback_window_us = 3600 * S;
    r = mk(&p, &implicit_drv, 1);
    struct relay_tx_info t = tx(43, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t, 0);
    relay_tick(r, 1);
    assert_int_equal(F->n, 1);
    struct relay_inv back = {RELAY_INV_WTX, t.wtxid};
    assert_int_equal(relay_on_inv(r, F->log[0].peer, &back, 2), RELAY_ANN_KNOWN);
    assert_true(relay_next_wakeup(r) <= 2);
    relay_tick(r, 3);
    assert_int_equal(relay_infective_count(r), 0);
    assert_int_equal(F->n, 1);
    relay_free(r);
}

static void test_counter_blind(void **state)
{
    struct relay_policy p = rumor_policy(RELAY_STOP_COUNTER, 3, false, 2);
    int64_t end;
    struct relay *r = mk(&p, &implicit_drv, 5);
    /* Round 1: 2 pushes, round 2: 4 >= 3, removed. Getdata changes nothing. */
    assert_int_equal(spread_one(r, 1, &end), 4);
    assert_int_equal(end, 2 * S + 1); /* removed at round 2 (tick S + 1) */
    relay_free(r);
}

/* Pushes for n rumors under the policy until all are removed. */
static size_t coin_total(const struct relay_policy *p, uint64_t seed, uint32_t n)
{
    F->n = 0;
    F->next_implicit = 1000;
    struct relay *r = mk(p, &implicit_drv, seed);
    for (uint32_t i = 0; i < n; i++) {
        struct relay_tx_info t = tx(i, 0, 1000);
        relay_on_tx_accepted(r, false, 0, &t, 0);
    }
    size_t total = 0;
    for (int64_t now = 1; relay_infective_count(r) > 0; now += S) {
        size_t before = F->n;
        relay_tick(r, now);
        total += entries(K_INV, 0, before);
        F->n = 0;
    }
    relay_free(r);
    return total;
}

static void test_coin(void **state)
{
    struct relay_policy p = rumor_policy(RELAY_STOP_COIN, 4, false, 1);
    /* Pushes per rumor are geometric with mean K: 3000 rumors ~ 12,000. */
    size_t blind = coin_total(&p, 11, 3000);
    assert_int_equal(coin_total(&p, 11, 3000), blind); /* deterministic */
    assert_true(coin_total(&p, 12, 3000) != blind);
    print_message("coin:4 blind, 3000 rumors: %zu pushes (expect ~12000)\n", blind);
    assert_true(fabs((double)blind / 12000.0 - 1) < 0.06);
    /* With feedback, only useless pushes flip the coin: all are useless. */
    p.feedback = true;
    p.stop_k = 2;
    size_t fb = coin_total(&p, 13, 3000);
    print_message("coin:2 feedback, all useless: %zu pushes (expect ~6000)\n", fb);
    assert_true(fabs((double)fb / 6000.0 - 1) < 0.06);
}

/* ---- trickle ---- */

/* Delay from queueing to sending, for n rumors one after another. */
static void trickle_stats(struct relay *r, uint32_t n, uint64_t peer, double *mean, double *sd)
{
    double sum = 0, sum2 = 0;
    int64_t now = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct relay_tx_info t = tx(100000 + i, 0, 1000);
        relay_on_tx_accepted(r, false, 0, &t, now);
        relay_tick(r, now + 1); /* queued */
        int64_t queued = now + 1;
        F->n = 0;
        int64_t at = relay_next_wakeup(r);
        assert_true(at >= queued && at < INT64_MAX);
        relay_tick(r, at);
        assert_int_equal(entries(K_INV, peer, 0), 1);
        double d = (double)(at - queued);
        sum += d;
        sum2 += d * d;
        now = at + 1;
    }
    *mean = sum / n;
    *sd = sqrt(sum2 / n - *mean * *mean);
}

static void test_poisson_trickle(void **state)
{
    struct relay_policy p = quick_policy();
    p.trickle_out_us = 2 * S;
    p.trickle_in_us = 5 * S;
    struct relay *r = mk(&p, &explicit_drv, 77);
    add_peers(r, 1, 0, false);
    double mean, sd;
    trickle_stats(r, 4000, 1, &mean, &sd);
    print_message("outbound trickle: mean %.3f s, sd %.3f s (expect 2, 2)\n", mean / S, sd / S);
    assert_true(fabs(mean / (2.0 * S) - 1) < 0.06);
    assert_true(fabs(sd / (2.0 * S) - 1) < 0.1); /* exponential: sd = mean */
    relay_free(r);
    /* Inbound peers share one timer: all are sent to at the same tick. */
    r = mk(&p, &explicit_drv, 78);
    add_peers(r, 0, 3, false);
    trickle_stats(r, 2000, 2, &mean, &sd);
    print_message("inbound trickle: mean %.3f s (expect 5)\n", mean / S);
    assert_true(fabs(mean / (5.0 * S) - 1) < 0.08);
    assert_int_equal(entries(K_INV, 1, 0), 1);
    assert_int_equal(entries(K_INV, 3, 0), 1);
    relay_free(r);
}

static void test_trickle_skips_what_peer_announced(void **state)
{
    struct relay_policy p = quick_policy();
    p.trickle_out_us = 2 * S;
    p.stop = RELAY_STOP_COUNTER; /* rounds every 0.1 s must not queue twice */
    p.stop_k = 100;
    p.feedback = false;
    p.round_interval_us = S / 10;
    struct relay *r = mk(&p, &explicit_drv, 5);
    add_peers(r, 3, 0, false);
    struct relay_tx_info t = tx(50, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t, 0);
    relay_tick(r, 1);
    assert_int_equal(F->n, 0); /* queued for the three peers' trickles */
    /* Peer 1 announces it before its trickle; peer 2 raises its fee filter. */
    struct relay_inv inv = {RELAY_INV_TX, t.txid};
    assert_int_equal(relay_on_inv(r, 1, &inv, 2), RELAY_ANN_KNOWN);
    struct relay_peer_props pp = {.outbound = true, .feefilter = 2000};
    relay_peer_set_props(r, 2, &pp);
    for (int64_t now = 2; relay_next_wakeup(r) < INT64_MAX && now < 100 * S;)
        relay_tick(r, now = relay_next_wakeup(r));
    assert_int_equal(entries(K_INV, 1, 0), 0);
    assert_int_equal(entries(K_INV, 2, 0), 0);
    assert_int_equal(entries(K_INV, 3, 0), 1); /* once, despite the rounds */
    assert_false(relay_is_infective(r, &t.txid)); /* nobody left to tell */
    relay_free(r);
}

static size_t trickles[4];

static void count_trickle(void *ctx, struct relay *r, uint64_t peer)
{
    if (peer < 4)
        trickles[peer]++;
}

/* A driver that follows trickles (Core takes the mempool sequence at each)
 * hears of every timer, an idle peer's too, at Core's rates: 2 s per
 * outbound peer, 5 s shared by the inbound ones. One that does not is not
 * woken while no queue waits. */
static void test_trickle_idle_timers(void **state)
{
    struct relay_policy p = quick_policy();
    p.trickle_out_us = 2 * S;
    p.trickle_in_us = 5 * S;
    struct relay_driver d = explicit_drv;
    d.trickled = count_trickle;
    memset(trickles, 0, sizeof(trickles));
    struct relay *r = mk(&p, &d, 9);
    add_peers(r, 1, 2, false);
    relay_tick(r, 0); /* new peers' timers fire at once, as Core's */
    memset(trickles, 0, sizeof(trickles));
    for (int64_t now = 0; now < 1000 * S;) {
        now = relay_next_wakeup(r);
        assert_true(now < INT64_MAX);
        relay_tick(r, now);
    }
    print_message("idle trickles in 1000 s: outbound %zu (expect ~500), inbound %zu (~200)\n",
                  trickles[1], trickles[2]);
    assert_true(trickles[1] > 400 && trickles[1] < 600);
    assert_true(trickles[2] > 150 && trickles[2] < 250);
    assert_int_equal(trickles[3], trickles[2]);
    assert_int_equal(F->n, 0);
    relay_free(r);
    r = mk(&p, &explicit_drv, 9);
    add_peers(r, 1, 2, false);
    relay_tick(r, 0);
    assert_int_equal(relay_next_wakeup(r), INT64_MAX);
    relay_free(r);
}

static void test_want_orphan_parent(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 5);
    add_peers(r, 1, 0, true); /* a BIP339 peer, asked by txid for parents */
    struct hash256 parent = H(60);
    assert_int_equal(relay_want_tx(r, 1, &parent, 0), RELAY_ANN_NEW);
    relay_tick(r, 0);
    assert_int_equal(F->n, 0); /* by txid while BIP339 peers are here: 2 s later */
    relay_tick(r, 2 * S);
    assert_int_equal(entries(K_GETDATA, 1, 0), 1);
    assert_int_equal(F->log[0].inv[0].type, RELAY_INV_TX);
    struct relay_tx_info t = tx(61, 0, 1000);
    relay_on_tx_accepted(r, true, 1, &t, 1);
    assert_int_equal(relay_want_tx(r, 1, &t.txid, 2), RELAY_ANN_KNOWN);
    relay_free(r);
}

/* Refused on its feerate alone (a transaction without witness: txid =
 * wtxid): announcements are ignored, but an orphan may fetch it; a
 * plain reject it may not. A new tip clears both. */
static void test_reconsiderable(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 5);
    add_peers(r, 1, 0, true);
    struct relay_tx_info low = tx(70, 0, 100), bad = tx(71, 0, 1000);
    low.wtxid = low.txid;
    bad.wtxid = bad.txid;
    relay_on_tx_reconsiderable(r, true, 1, &low, 0);
    relay_on_tx_rejected(r, true, 1, &bad, 0);
    assert_true(relay_is_reconsiderable(r, &low.wtxid));
    assert_false(relay_is_reconsiderable(r, &bad.wtxid));
    struct relay_inv inv = {RELAY_INV_WTX, low.wtxid};
    assert_int_equal(relay_on_inv(r, 1, &inv, 1), RELAY_ANN_KNOWN);
    assert_int_equal(relay_want_tx(r, 1, &low.txid, 1), RELAY_ANN_NEW);
    assert_int_equal(relay_want_tx(r, 1, &bad.txid, 1), RELAY_ANN_KNOWN);
    struct hash256 pkg = H(72);
    relay_reconsiderable_add(r, &pkg);
    assert_true(relay_is_reconsiderable(r, &pkg));
    relay_on_new_tip(r);
    assert_false(relay_is_reconsiderable(r, &low.wtxid));
    assert_false(relay_is_reconsiderable(r, &pkg));
    relay_free(r);
}

/* ---- ordering and batching ---- */

static void test_parents_before_children(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 0, false);
    struct relay_tx_info child = tx(1, 1, 9000), grandchild = tx(2, 2, 20000);
    struct relay_tx_info parent = tx(3, 0, 500), other = tx(4, 0, 800);
    relay_on_tx_accepted(r, false, 0, &grandchild, 0);
    relay_on_tx_accepted(r, false, 0, &child, 0);
    relay_on_tx_accepted(r, false, 0, &parent, 0);
    relay_on_tx_accepted(r, false, 0, &other, 0);
    relay_tick(r, 1);
    assert_int_equal(F->n, 1);
    assert_int_equal(F->log[0].n, 4);
    /* No ancestors first (the better fee first), then by depth. */
    assert_memory_equal(&F->log[0].inv[0].hash, &other.txid, 32);
    assert_memory_equal(&F->log[0].inv[1].hash, &parent.txid, 32);
    assert_memory_equal(&F->log[0].inv[2].hash, &child.txid, 32);
    assert_memory_equal(&F->log[0].inv[3].hash, &grandchild.txid, 32);
    relay_free(r);
}

static void test_inv_batching(void **state)
{
    struct relay_policy p = quick_policy();
    p.max_inv_sz = 10;
    p.max_per_trickle = 25;
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 0, false);
    for (uint32_t i = 0; i < 30; i++) {
        struct relay_tx_info t = tx(i, 0, 1000 + i);
        relay_on_tx_accepted(r, false, 0, &t, 0);
    }
    relay_tick(r, 1);
    assert_int_equal(F->n, 3);
    assert_int_equal(F->log[0].n, 10);
    assert_int_equal(F->log[1].n, 10);
    assert_int_equal(F->log[2].n, 5);
    struct relay_peer_info pi;
    assert_int_equal(relay_get_peer_info(r, 1, &pi), 0);
    assert_int_equal(pi.queued, 5);
    assert_int_equal(pi.counters.inv_sent, 25);
    relay_tick(r, 2); /* the rest at the next trickle */
    assert_int_equal(F->n, 4);
    assert_int_equal(F->log[3].n, 5);
    relay_free(r);
    /* Bitcoin Core's sizes: 1000 per trickle, MAX_INV_SZ 50000. */
    F->n = 0;
    p = quick_policy();
    p.max_per_trickle = 0; /* no cap: one trickle, split only by MAX_INV_SZ */
    p.known_entries = 0;   /* (which also lifts the backlog cap) */
    r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 0, false);
    for (uint32_t i = 0; i < 50001; i++) {
        struct relay_tx_info t = tx(i, 0, 1000);
        relay_on_tx_accepted(r, false, 0, &t, 0);
    }
    relay_tick(r, 1);
    assert_int_equal(F->n, 2);
    assert_int_equal(F->log[0].n, RELAY_MAX_INV_SZ);
    assert_int_equal(F->log[1].n, 1);
    relay_free(r);
    /* A peer's backlog is capped at its known set's size. */
    F->n = 0;
    p = quick_policy();
    p.known_entries = 10;
    r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 0, false);
    for (uint32_t i = 0; i < 15; i++) {
        struct relay_tx_info t = tx(i, 0, 1000);
        relay_on_tx_accepted(r, false, 0, &t, 0);
    }
    relay_tick(r, 1);
    assert_int_equal(entries(K_INV, 1, 0), 10);
    relay_free(r);
}

static void test_feefilter_and_wtxid(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    struct relay_peer_props a = {.outbound = true, .wtxidrelay = true};
    struct relay_peer_props b = {.outbound = true};
    struct relay_peer_props c = {.outbound = true, .feefilter = 5000};
    relay_peer_add(r, 1, &a, 0);
    relay_peer_add(r, 2, &b, 0);
    relay_peer_add(r, 3, &c, 0);
    assert_int_equal(relay_peer_add(r, 3, &c, 0), -1);
    struct relay_tx_info t = tx(9, 0, 1000), sent = tx(11, 0, 1000);
    relay_peer_note_known(r, 1, &sent.wtxid); /* e.g. in a mempool reply */
    relay_peer_note_known(r, 2, &sent.txid);
    relay_on_tx_accepted(r, false, 0, &sent, 0);
    relay_on_tx_accepted(r, false, 0, &t, 0);
    relay_tick(r, 1);
    assert_int_equal(F->n, 2);
    for (size_t i = 0; i < F->n; i++) {
        const struct sent *s = &F->log[i];
        assert_true(s->peer == 1 || s->peer == 2);
        assert_int_equal(s->n, 1); /* not `sent`: they knew it */
        assert_int_equal(s->inv[0].type, s->peer == 1 ? RELAY_INV_WTX : RELAY_INV_TX);
        assert_memory_equal(&s->inv[0].hash, s->peer == 1 ? &t.wtxid : &t.txid, 32);
    }
    /* BIP339: a wtxid from a peer without it is ignored; a txid from a
     * wtxid peer is tracked (Core's MSG_WITNESS_TX: the driver drops its
     * MSG_TX), asked for after the txid delay. */
    struct relay_inv by_txid = {RELAY_INV_TX, H(77)}, by_wtxid = {RELAY_INV_WTX, H(78)};
    assert_int_equal(relay_on_inv(r, 1, &by_txid, 2), RELAY_ANN_NEW);
    assert_int_equal(relay_on_inv(r, 2, &by_wtxid, 2), RELAY_ANN_DROPPED);
    assert_int_equal(relay_on_inv(r, 1, &by_wtxid, 2), RELAY_ANN_NEW);
    struct relay_inv odd = {3, H(79)};
    assert_int_equal(relay_on_inv(r, 1, &odd, 2), RELAY_ANN_DROPPED);
    relay_tick(r, 2);
    assert_int_equal(F->log[F->n - 1].kind, K_GETDATA);
    assert_int_equal(F->log[F->n - 1].inv[0].type, RELAY_INV_WTX);
    /* A feefilter raised later is honoured by the next announcement. */
    c.feefilter = 0;
    assert_int_equal(relay_peer_set_props(r, 3, &c), 0);
    struct relay_tx_info t2 = tx(10, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t2, 3);
    relay_tick(r, 4);
    assert_int_equal(entries(K_INV, 3, 0), 1);
    relay_free(r);
}

static void test_blocks(void **state)
{
    struct relay_policy p;
    relay_policy_default(&p); /* the 2 s / 5 s trickle does not delay blocks */
    struct relay *r = mk(&p, &explicit_drv, 3);
    struct relay_peer_props a = {.outbound = true, .sendheaders = true};
    struct relay_peer_props b = {.outbound = false};
    relay_peer_add(r, 1, &a, 0);
    relay_peer_add(r, 2, &b, 0);
    struct hash256 blk = H(500);
    assert_true(relay_on_block_accepted(r, false, 0, &blk, 0));
    relay_tick(r, 1);
    assert_int_equal(F->n, 2);
    assert_int_equal(entries(K_HEADERS, 1, 0), 1);
    assert_int_equal(entries(K_INV, 2, 0), 1);
    struct relay_inv known = {RELAY_INV_BLOCK, blk}, fresh = {RELAY_INV_BLOCK, H(501)};
    assert_int_equal(relay_on_inv(r, 2, &known, 2), RELAY_ANN_KNOWN);
    assert_int_equal(relay_on_inv(r, 2, &fresh, 2), RELAY_ANN_BLOCK);
    assert_false(relay_on_block_accepted(r, true, 2, &blk, 3));
    struct relay_peer_info pi;
    relay_get_peer_info(r, 1, &pi);
    assert_int_equal(pi.counters.headers_sent, 1);
    relay_free(r);
}

/* ---- seen-sets ---- */

static void test_seen_and_rejects(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 0, true);
    struct relay_tx_info bad = tx(30, 0, 1000), good = tx(31, 0, 1000);
    relay_on_tx_rejected(r, false, 0, &bad, 0);
    struct relay_inv inv = {RELAY_INV_WTX, bad.wtxid};
    assert_int_equal(relay_on_inv(r, 1, &inv, 1), RELAY_ANN_KNOWN);
    relay_on_new_tip(r); /* rejections may be valid now */
    assert_int_equal(relay_on_inv(r, 1, &inv, 2), RELAY_ANN_NEW);
    relay_on_tx_accepted(r, false, 0, &good, 3);
    struct relay_inv g = {RELAY_INV_WTX, good.wtxid};
    assert_int_equal(relay_on_inv(r, 1, &g, 4), RELAY_ANN_KNOWN);
    relay_on_new_tip(r); /* accepted ones stay seen */
    assert_int_equal(relay_on_inv(r, 1, &g, 5), RELAY_ANN_KNOWN);
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.inv_dup, 3);
    assert_int_equal(info.totals.inv_received, 4);
    print_message("node with Bitcoin Core sizes, 1 peer: recent %zu B, known %zu B, total %zu B\n",
                  info.recent_memory, info.known_memory, info.memory);
    /* The accepted set; the rejects' storage went with the new tip. */
    assert_true(info.recent_memory > 1290000 && info.recent_memory < 1300000);
    assert_true(info.known_memory > 539000 && info.known_memory < 540000);
    relay_free(r);
}

/* Erlay's policy: flooding to outbound reconciling peers drops the request
 * delay as a fanout does; reconciliation alone keeps Bitcoin Core's 2 s
 * for unsolicited invs (a round's answers bypass it: relay_on_answer). */
static void test_policy_set_recon(void **state)
{
    (void)state;
    struct relay_policy p;
    relay_policy_default(&p);
    relay_policy_set_fanout(&p, 3);
    relay_policy_set_recon(&p, 0);
    assert_true(p.txrecon);
    assert_int_equal(p.fanout, 0);
    assert_int_equal(p.recon_flood, 0);
    assert_int_equal(p.req_delay_us, 2000000);
    relay_policy_set_recon(&p, 8);
    assert_int_equal(p.recon_flood, 8);
    assert_int_equal(p.req_delay_us, 0);
}

static void test_policy_parse(void **state)
{
    struct relay_policy p = quick_policy();
    char *err = NULL, buf[32];
    assert_int_equal(relay_policy_parse_stop(&p, "counter:4", &err), 0);
    assert_int_equal(p.stop, RELAY_STOP_COUNTER);
    assert_int_equal(p.stop_k, 4);
    relay_policy_stop_str(&p, buf, sizeof(buf));
    assert_string_equal(buf, "counter:4");
    assert_int_equal(relay_policy_parse_stop(&p, "coin:2", &err), 0);
    p.feedback = false;
    relay_policy_stop_str(&p, buf, sizeof(buf));
    assert_string_equal(buf, "coin:2/blind");
    assert_int_equal(relay_policy_parse_stop(&p, "once", &err), 0);
    assert_int_equal(p.stop, RELAY_STOP_ONCE);
    const char *bad[] = {"counter:", "counter:0", "coin:x", "coin:-1", "sometimes", "coin:2x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(relay_policy_parse_stop(&p, bad[i], &err), -1);
        assert_non_null(err);
        free(err);
        err = NULL;
    }
    /* The message quotes the rule in full, however long (no 256-byte cut). */
    char long_rule[400];
    memset(long_rule, 'z', sizeof(long_rule) - 1);
    long_rule[sizeof(long_rule) - 1] = '\0';
    assert_int_equal(relay_policy_parse_stop(&p, long_rule, &err), -1);
    assert_non_null(strstr(err, long_rule));
    free(err);
    err = NULL;
    p.max_inv_sz = 0;
    assert_null(relay_new(&p, &explicit_drv, F, 0, 1, &err));
    assert_non_null(err);
    free(err);
    err = NULL;
    p = quick_policy(); /* implicit peers need a fanout */
    assert_null(relay_new(&p, &implicit_drv, F, 0, 1, &err));
    free(err);
}

static void random_event(struct relay *r, uint64_t *rng, int64_t now)
{
    uint64_t peer = 1 + prng_below(rng, 10);
    struct relay_inv inv = {(uint32_t)prng_below(rng, 7), H((uint32_t)prng_below(rng, 64))};
    struct relay_tx_info t = tx((uint32_t)prng_below(rng, 64), (uint32_t)prng_below(rng, 3),
                                (int64_t)prng_below(rng, 3000));
    struct relay_peer_props pp = {.outbound = prng_below(rng, 2), .wtxidrelay = prng_below(rng, 2),
                                  .sendheaders = prng_below(rng, 2),
                                  .feefilter = (int64_t)prng_below(rng, 2000)};
    switch (prng_below(rng, 13)) {
    case 0: relay_peer_add(r, peer, &pp, now); break;
    case 1: relay_peer_remove(r, peer, now); break;
    case 2: relay_peer_set_props(r, peer, &pp); break;
    case 3: relay_on_tx_accepted(r, prng_below(rng, 2), peer, &t, now); break;
    case 4: relay_on_tx_rejected(r, prng_below(rng, 2), peer, &t, now); break;
    case 5: relay_on_block_accepted(r, prng_below(rng, 2), peer, &inv.hash, now); break;
    case 6: relay_on_notfound(r, peer, &inv, now); break;
    case 7: relay_on_getdata(r, peer, &inv, now); break;
    case 8: relay_on_new_tip(r); break;
    case 9: relay_want_tx(r, peer, &inv.hash, now); break;
    case 10: relay_on_pull(r, peer, now); break;
    default: relay_on_inv(r, peer, &inv, now); break;
    }
}

static void test_random_events(void **state)
{
    const enum relay_stop stops[] = {RELAY_STOP_ONCE, RELAY_STOP_COUNTER, RELAY_STOP_COIN};
    for (int v = 0; v < 6; v++) {
        struct relay_policy p = rumor_policy(stops[v % 3], 2, v < 3, (uint32_t)v % 3);
        p.trickle_out_us = S;
        p.trickle_in_us = 2 * S;
        p.known_entries = 32;
        p.known_fp = v % 2 ? 0 : 0.01;
        p.recent_entries = 48;
        p.max_in_flight = 3;
        p.max_announced = 8;
        p.max_per_trickle = 5;
        p.max_inv_sz = 2;
        struct relay *r = mk(&p, &explicit_drv, (uint64_t)v);
        uint64_t rng = 99 + (uint64_t)v;
        int64_t now = 0;
        for (int step = 0; step < 20000; step++) {
            F->n = 0;
            now += (int64_t)prng_below(&rng, S / 4);
            random_event(r, &rng, now);
            if (prng_below(&rng, 3) == 0)
                relay_tick(r, now);
            for (size_t i = 0; i < F->n; i++) {
                assert_true(F->log[i].n >= 1);
                if (F->log[i].kind == K_INV)
                    assert_true(F->log[i].n <= 2); /* max_inv_sz */
                assert_true(F->log[i].peer >= 1 && F->log[i].peer <= 10);
            }
            struct relay_info info;
            relay_get_info(r, &info);
            assert_true(info.in_flight <= 8 * 10); /* max_announced bounds it */
        }
        for (uint64_t peer = 1; peer <= 10; peer++)
            relay_peer_remove(r, peer, now);
        relay_tick(r, now + 3600 * S);
        struct relay_info info;
        relay_get_info(r, &info);
        assert_int_equal(info.tracked, 0);
        assert_int_equal(info.peers, 0);
        assert_int_equal(info.rumors_infective, 0);
        relay_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flood_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erlay_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fanout_skips_knowers_prefers_outbound, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_counter_feedback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_blind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poisson_trickle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trickle_skips_what_peer_announced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trickle_idle_timers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_want_orphan_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconsiderable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parents_before_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inv_batching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feefilter_and_wtxid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seen_and_rejects, setup, teardown),
        cmocka_unit_test(test_policy_set_recon),
        cmocka_unit_test_setup_teardown(test_policy_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
