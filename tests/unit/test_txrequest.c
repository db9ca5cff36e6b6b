/* Request tracker: preferred first, delays, timeouts, notfound, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/prng.h"
#include "net/relay/txrequest.h"

#define S 1000000LL /* one second in microseconds */

static const struct txreq_params params = {
    .timeout_us = 60 * S, .max_announced = 5000};

struct got {
    struct txreq_request req[512];
    size_t n;
    size_t expired;
    uint64_t expired_peer;
};

static void on_req(void *ctx, const struct txreq_request *r)
{
    struct got *g = ctx;
    if (g->n < 512)
        g->req[g->n++] = *r;
}

static void on_exp(void *ctx, uint64_t peer, const struct hash256 *h)
{
    struct got *g = ctx;
    g->expired++;
    g->expired_peer = peer;
    (void)h;
}

static struct hash256 H(uint32_t i)
{
    struct hash256 h = {{0}};
    memcpy(h.b, &i, 4);
    h.b[31] = 0x5a;
    return h;
}

static size_t poll(struct txreq *t, int64_t now, struct got *g)
{
    g->n = 0;
    txreq_poll(t, now, on_req, on_exp, g);
    return g->n;
}

/* Peers 1 and 2 announce hash i at time 0; returns the tracker. */
static struct txreq *two_announcers(uint32_t i, bool wtxid, bool pref2, struct hash256 *h)
{
    struct txreq *t = txreq_new(&params, i);
    *h = H(i);
    assert_int_equal(txreq_received_inv(t, 1, h, wtxid, true, 0), TXREQ_ADDED);
    assert_int_equal(txreq_received_inv(t, 2, h, wtxid, pref2, 0), TXREQ_ADDED);
    return t;
}

static void test_preferred_first_and_delay(void **state)
{
    (void)state;
    struct got g = {0};
    for (uint64_t salt = 0; salt < 50; salt++) {
        struct txreq *t = txreq_new(&params, salt);
        struct hash256 h = H(1);
        assert_int_equal(txreq_received_inv(t, 10, &h, true, false, 0), TXREQ_ADDED);
        assert_int_equal(txreq_received_inv(t, 20, &h, true, true, 0), TXREQ_ADDED);
        assert_int_equal(txreq_received_inv(t, 20, &h, true, true, 0), TXREQ_DUPLICATE);
        assert_int_equal(poll(t, 0, &g), 1);
        assert_int_equal(g.req[0].peer, 20); /* both ready: preferred, whatever the salt */
        assert_true(g.req[0].is_wtxid);
        assert_int_equal(txreq_in_flight(t, 20), 1);
        txreq_free(t);
    }
    /* A candidate waits for its reqtime (the caller's delay). */
    struct txreq *t = txreq_new(&params, 1);
    struct hash256 h = H(2);
    txreq_received_inv(t, 10, &h, false, false, 7 * S);
    assert_int_equal(txreq_next_time(t), 7 * S);
    assert_int_equal(poll(t, 5 * S, &g), 0);
    assert_int_equal(poll(t, 7 * S - 1, &g), 0);
    assert_int_equal(poll(t, 7 * S, &g), 1);
    assert_int_equal(g.req[0].peer, 10);
    assert_false(g.req[0].is_wtxid);
    txreq_free(t);
}

static void test_timeout_then_next_announcer(void **state)
{
    (void)state;
    struct got g = {0};
    struct hash256 h;
    struct txreq *t = two_announcers(3, true, true, &h);
    assert_int_equal(poll(t, 0, &g), 1);
    uint64_t first = g.req[0].peer;
    assert_int_equal(poll(t, 60 * S - 1, &g), 0);
    assert_int_equal(g.expired, 0);
    assert_int_equal(poll(t, 60 * S, &g), 1);
    assert_int_equal(g.expired, 1);
    assert_int_equal(g.expired_peer, first);
    assert_int_not_equal(g.req[0].peer, first);
    /* The second times out too: nobody is asked twice, the hash is gone. */
    assert_int_equal(poll(t, 120 * S, &g), 0);
    assert_int_equal(g.expired, 2);
    assert_false(txreq_tracks(t, &h));
    assert_int_equal(txreq_size(t), 0);
    assert_int_equal(txreq_count(t, 1), 0);
    txreq_free(t);
}

static void test_notfound_moves_on(void **state)
{
    (void)state;
    struct got g = {0};
    struct hash256 h;
    struct txreq *t = two_announcers(4, true, false, &h);
    assert_int_equal(poll(t, 0, &g), 1);
    assert_int_equal(g.req[0].peer, 1);
    txreq_received_response(t, 1, &h, S); /* notfound at 1 s */
    assert_int_equal(txreq_in_flight(t, 1), 0);
    assert_int_equal(poll(t, 2 * S, &g), 1); /* peer 2's delay is over: asked at once */
    assert_int_equal(g.req[0].peer, 2);
    assert_int_equal(g.expired, 0);
    /* The transaction arrives: everything about it is forgotten. */
    txreq_forget(t, &h);
    assert_int_equal(txreq_size(t), 0);
    assert_int_equal(txreq_in_flight(t, 2), 0);
    assert_int_equal(txreq_total_in_flight(t), 0);
    txreq_free(t);
}

static void test_peer_gone_moves_on(void **state)
{
    (void)state;
    struct got g = {0};
    struct hash256 h;
    struct txreq *t = two_announcers(5, false, true, &h);
    poll(t, 0, &g);
    uint64_t first = g.req[0].peer;
    txreq_peer_gone(t, first, S);
    assert_int_equal(poll(t, S, &g), 1);
    assert_int_not_equal(g.req[0].peer, first);
    assert_int_equal(txreq_count(t, first), 0);
    txreq_free(t);
}

static void test_caps(void **state)
{
    (void)state;
    struct got g = {0};
    struct txreq *t = txreq_new(&params, 6);
    for (uint32_t i = 0; i < 5000; i++) {
        struct hash256 h = H(1000 + i);
        assert_int_equal(txreq_received_inv(t, 7, &h, true, true, 0), TXREQ_ADDED);
    }
    struct hash256 extra = H(99999);
    assert_int_equal(txreq_received_inv(t, 7, &extra, true, true, 0), TXREQ_OVER_CAP);
    assert_int_equal(txreq_count(t, 7), 5000);
    /* No cap in flight (Core's tracker: the caller delays instead): all
     * are asked at once, in announcement order. */
    txreq_poll(t, 0, on_req, on_exp, &g);
    assert_int_equal(txreq_in_flight(t, 7), 5000);
    for (size_t i = 1; i < g.n; i++)
        assert_true(g.req[i].seq > g.req[i - 1].seq);
    /* Another peer is not limited by peer 7's cap. */
    assert_int_equal(txreq_received_inv(t, 8, &extra, true, true, S), TXREQ_ADDED);
    assert_int_equal(poll(t, S, &g), 1);
    assert_int_equal(g.req[0].peer, 8);
    size_t mem = txreq_memory(t);
    print_message("tracker with 5001 announcements: %zu bytes\n", mem);
    assert_true(mem < 5001 * 300); /* entry, announcement, indexes */
    txreq_free(t);
}

/* Random announcements, responses, forgets, departures and polls over 6
 * peers and 40 hashes, checking the rules against a model of who was
 * asked: one request in flight per hash, the caps, never the same peer
 * twice for a hash while it stays tracked. */
#define RP 6
#define RH 40
static const struct txreq_params small = {.timeout_us = 10 * S, .max_announced = 12};
struct model {
    bool announced[RP][RH];
    bool asked[RP][RH];
    int64_t expiry[RP][RH]; /* 0: not in flight */
    size_t expired;
};

static void model_req(void *ctx, const struct txreq_request *r)
{
    struct model *m = ctx;
    uint32_t h;
    memcpy(&h, r->hash.b, 4);
    assert_true(r->peer < RP && h < RH);
    assert_true(m->announced[r->peer][h]);
    assert_false(m->asked[r->peer][h]); /* never twice */
    m->asked[r->peer][h] = true;
    m->expiry[r->peer][h] = 1; /* in flight */
}

static void model_exp(void *ctx, uint64_t peer, const struct hash256 *hash)
{
    struct model *m = ctx;
    uint32_t h;
    memcpy(&h, hash->b, 4);
    assert_true(m->expiry[peer][h] != 0);
    m->expiry[peer][h] = 0;
    m->expired++;
}

static void model_forget(struct model *m, uint32_t h)
{
    for (int p = 0; p < RP; p++)
        m->announced[p][h] = m->asked[p][h] = false, m->expiry[p][h] = 0;
}

static void model_check(const struct txreq *t, const struct model *m)
{
    for (uint32_t h = 0; h < RH; h++) {
        int in_flight = 0;
        for (int p = 0; p < RP; p++)
            in_flight += m->expiry[p][h] != 0;
        assert_true(in_flight <= 1);
    }
    size_t total = 0;
    for (uint64_t p = 0; p < RP; p++) {
        assert_true(txreq_count(t, p) <= small.max_announced);
        total += txreq_count(t, p);
    }
    assert_int_equal(total, txreq_size(t));
}

static void random_step(struct txreq *t, struct model *m, uint64_t *rng, int64_t now)
{
    uint64_t p = prng_below(rng, RP);
    uint32_t h = (uint32_t)prng_below(rng, RH);
    struct hash256 hash = H(h);
    switch (prng_below(rng, 6)) {
    case 0:
    case 1: {
        bool pref = p < 3;
        enum txreq_add a = txreq_received_inv(t, p, &hash, true, pref, now + (pref ? 0 : 2 * S));
        /* ADDED means no announcement of this peer was left: it may be
         * asked again (Core's rule: forgotten, then re-announced). */
        if (a == TXREQ_ADDED) {
            assert_int_equal(m->expiry[p][h], 0);
            m->announced[p][h] = true;
            m->asked[p][h] = false;
        }
        break;
    }
    case 2: /* notfound or the payload from that peer */
        txreq_received_response(t, p, &hash, now);
        m->expiry[p][h] = 0;
        break;
    case 3:
        if (prng_below(rng, 4) == 0) {
            txreq_forget(t, &hash);
            model_forget(m, h);
        }
        break;
    case 4:
        if (prng_below(rng, 10) == 0) {
            txreq_peer_gone(t, p, now);
            for (uint32_t i = 0; i < RH; i++)
                m->announced[p][i] = m->asked[p][i] = false, m->expiry[p][i] = 0;
        }
        break;
    default:
        txreq_poll(t, now, model_req, model_exp, m);
        break;
    }
}

static void test_random_invariants(void **state)
{
    (void)state;
    uint64_t rng = 2026;
    struct txreq *t = txreq_new(&small, 9);
    struct model *m = calloc(1, sizeof(*m));
    int64_t now = 0;
    for (int step = 0; step < 200000; step++) {
        now += (int64_t)prng_below(&rng, S / 2);
        random_step(t, m, &rng, now);
        model_check(t, m);
    }
    print_message("random run: %zu expiries, %zu tracked at the end\n", m->expired,
                  txreq_size(t));
    assert_true(m->expired > 100);
    for (uint64_t p = 0; p < RP; p++)
        txreq_peer_gone(t, p, now);
    txreq_poll(t, now, model_req, model_exp, m);
    assert_int_equal(txreq_size(t), 0);
    assert_int_equal(txreq_hashes(t), 0);
    assert_int_equal(txreq_total_in_flight(t), 0);
    free(m);
    txreq_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preferred_first_and_delay),
        cmocka_unit_test(test_timeout_then_next_announcer),
        cmocka_unit_test(test_notfound_moves_on),
        cmocka_unit_test(test_peer_gone_moves_on),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_random_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
