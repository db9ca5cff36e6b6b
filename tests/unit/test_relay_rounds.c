/* The relay core's timing with a fanout below the degree: no request
 * delay for pushed rumors, rounds that follow as soon as the verdicts on
 * the previous round are in, feedback windows that run from the send and
 * follow each peer's answers, and blocks that always flood. Fake clock,
 * explicit fake peers, a counting driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/relay.h"
#include "tests/unit/relay_testutil.h"

#define MAXPEER 16

/* Per peer: entries announced (inv or headers) and requested. */
struct counts {
    size_t inv[MAXPEER + 1];
    size_t getdata[MAXPEER + 1];
    struct relay_inv last_inv[MAXPEER + 1];
};

static struct counts C;

static void d_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv, size_t n)
{
    assert_true(peer <= MAXPEER);
    C.inv[peer] += n;
    C.last_inv[peer] = inv[n - 1];
}

static void d_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      size_t n)
{
    assert_true(peer <= MAXPEER);
    C.getdata[peer] += n;
}

static void d_headers(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *h, size_t n)
{
    assert_true(peer <= MAXPEER);
    C.inv[peer] += n;
}

static const struct relay_driver drv = {
    .send_inv = d_inv, .send_getdata = d_getdata, .send_headers = d_headers};

static size_t total(const size_t *v)
{
    size_t n = 0;
    for (int i = 0; i <= MAXPEER; i++)
        n += v[i];
    return n;
}

/* A relay with peers 1..n_out outbound and the next n_in inbound. */
static struct relay *mk(const struct relay_policy *p, int n_out, int n_in, uint64_t seed)
{
    memset(&C, 0, sizeof(C));
    char *err = NULL;
    struct relay *r = relay_new(p, &drv, NULL, 0, seed, &err);
    assert_non_null(r);
    for (int i = 1; i <= n_out + n_in; i++) {
        struct relay_peer_props pp = {.outbound = i <= n_out, .wtxidrelay = true};
        assert_int_equal(relay_peer_add(r, (uint64_t)i, &pp, 0), 0);
    }
    return r;
}

/* The fanout policy the node uses (-fanout=1 -gossipstop=counter:2),
 * trickle off. */
static struct relay_policy fanout_policy(uint32_t fanout, enum relay_stop stop, uint32_t k)
{
    struct relay_policy p = quick_policy();
    relay_policy_set_fanout(&p, fanout);
    p.stop = stop;
    p.stop_k = k;
    return p;
}

static void test_fanout_requests_pushed_rumor_at_once(void **state)
{
    /* Flooding: an inbound announcer waits Bitcoin Core's 2 s. */
    struct relay_policy p = quick_policy();
    relay_policy_set_fanout(&p, 0);
    assert_int_equal(p.req_delay_us, 2 * S);
    struct relay *r = mk(&p, 1, 1, 1);
    struct relay_inv inv = {RELAY_INV_WTX, H(1)};
    assert_int_equal(relay_on_inv(r, 2, &inv, 0), RELAY_ANN_NEW);
    relay_tick(r, 0);
    assert_int_equal(total(C.getdata), 0);
    assert_int_equal(relay_next_wakeup(r), 2 * S);
    relay_free(r);
    /* With a fanout, the push from a peer inbound for us is requested at
     * once: no outbound peer is likely to announce it. */
    p = fanout_policy(3, RELAY_STOP_COUNTER, 2);
    assert_int_equal(p.req_delay_us, 0);
    r = mk(&p, 1, 1, 1);
    assert_int_equal(relay_on_inv(r, 2, &inv, 0), RELAY_ANN_NEW);
    relay_tick(r, 0);
    assert_int_equal(C.getdata[2], 1);
    /* Txid announcements still wait while wtxid peers may announce. */
    struct relay_peer_props old = {.outbound = true};
    assert_int_equal(relay_peer_add(r, 3, &old, 0), 0);
    struct relay_inv by_txid = {RELAY_INV_TX, H(2)};
    assert_int_equal(relay_on_inv(r, 3, &by_txid, S), RELAY_ANN_NEW);
    relay_tick(r, S);
    assert_int_equal(C.getdata[3], 0);
    assert_int_equal(relay_next_wakeup(r), S + p.req_txid_delay_us);
    relay_free(r);
}

/* The stop rules' verdicts so far. */
static void assert_verdicts(const struct relay *r, uint64_t useful, uint64_t useless)
{
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.push_useful, useful);
    assert_int_equal(info.totals.push_useless, useless);
}

/* A new local transaction, and the tick of its first round. */
static struct relay_tx_info start_rumor(struct relay *r, uint32_t i)
{
    struct relay_tx_info t = tx(i, 0, 1000);
    assert_true(relay_on_tx_accepted(r, false, 0, &t, 0));
    relay_tick(r, 1);
    return t;
}

static void test_round_waits_for_verdicts(void **state)
{
    struct relay_policy p = fanout_policy(1, RELAY_STOP_COUNTER, 2);
    p.round_interval_us = S / 2; /* shorter than the window */
    p.feedback_window_us = S;
    struct relay *r = mk(&p, 4, 0, 2);
    struct relay_tx_info t = start_rumor(r, 10);
    assert_int_equal(total(C.inv), 1);
    /* Round 2 is due at 0.5 s, but its verdict is not: it waits for the
     * end of the window (sent at 1, no getdata by 1 s + 1). */
    assert_int_equal(relay_next_wakeup(r), 1 + S + 1);
    relay_tick(r, S / 2 + 1);
    assert_int_equal(total(C.inv), 1);
    relay_tick(r, 1 + S + 1);
    assert_int_equal(total(C.inv), 2);
    assert_verdicts(r, 0, 1);
    /* Round 2's push is useless too: two in a row remove the rumor,
     * although two peers were never told. */
    run_until(r, 10 * S);
    assert_false(relay_is_infective(r, &t.txid));
    assert_int_equal(total(C.inv), 2);
    relay_free(r);
}

static void test_useful_verdict_releases_round(void **state)
{
    struct relay_policy p = fanout_policy(1, RELAY_STOP_COUNTER, 2);
    p.round_interval_us = S / 2;
    struct relay *r = mk(&p, 2, 0, 3);
    struct relay_tx_info t = start_rumor(r, 11);
    uint64_t first = C.inv[1] ? 1 : 2;
    assert_int_equal(C.inv[first], 1);
    relay_on_getdata(r, first, &C.last_inv[first], 1000);
    assert_int_equal(relay_next_wakeup(r), 1 + S / 2);
    relay_tick(r, 1 + S / 2);
    assert_int_equal(C.inv[3 - first], 1); /* round 2, to the other peer */
    /* Nobody left: the next round removes it after the verdict. */
    run_until(r, 10 * S);
    assert_false(relay_is_infective(r, &t.txid));
    assert_verdicts(r, 1, 1);
    assert_int_equal(total(C.inv), 2);
    relay_free(r);
}

static void test_window_runs_from_send(void **state)
{
    struct relay_policy p = fanout_policy(1, RELAY_STOP_COUNTER, 1);
    p.trickle_out_us = 5 * S;
    struct relay *r = mk(&p, 1, 0, 4);
    struct relay_tx_info t = start_rumor(r, 12); /* queued for the trickle */
    assert_int_equal(total(C.inv), 0);
    int64_t sent = relay_next_wakeup(r);
    assert_true(sent > 1 && sent < INT64_MAX);
    relay_tick(r, sent);
    assert_int_equal(C.inv[1], 1);
    /* However long the trickle took, the peer has a whole window. */
    relay_on_getdata(r, 1, &C.last_inv[1], sent + S);
    relay_tick(r, sent + S);
    assert_verdicts(r, 1, 0);
    run_until(r, sent + 10 * S); /* nobody left to tell: removed */
    assert_false(relay_is_infective(r, &t.txid));
    relay_free(r);
}

static void test_dropped_from_queue_is_useless(void **state)
{
    struct relay_policy p = fanout_policy(2, RELAY_STOP_COUNTER, 2);
    p.trickle_out_us = 5 * S;
    struct relay *r = mk(&p, 2, 0, 5);
    struct relay_tx_info t = start_rumor(r, 13); /* queued for peers 1 and 2 */
    struct relay_peer_props pp = {.outbound = true, .wtxidrelay = true, .feefilter = 5000};
    relay_peer_set_props(r, 1, &pp); /* peer 1 will not take it now */
    run_until(r, 60 * S);
    assert_int_equal(C.inv[1], 0);
    assert_int_equal(C.inv[2], 1);
    assert_verdicts(r, 0, 2); /* dropped, then no getdata */
    assert_false(relay_is_infective(r, &t.txid));
    relay_free(r);
}

/* The peer the last inv went to (the only one since `from` pushes). */
static uint64_t pushed_peer(const size_t *before)
{
    for (uint64_t peer = 1; peer <= MAXPEER; peer++)
        if (C.inv[peer] > before[peer])
            return peer;
    fail();
    return 0;
}

static void test_round_follows_verdicts_at_once(void **state)
{
    /* The node's policy: no fixed wait between rounds. */
    struct relay_policy p = fanout_policy(1, RELAY_STOP_COUNTER, 3);
    assert_int_equal(p.round_interval_us, 0);
    struct relay *r = mk(&p, 4, 0, 7);
    size_t seen[MAXPEER + 1];
    memcpy(seen, C.inv, sizeof(seen));
    struct relay_tx_info t = start_rumor(r, 20);
    uint64_t a = pushed_peer(seen);
    /* A getdata 1 ms later is a useful verdict: round 2 runs at once. */
    relay_on_getdata(r, a, &C.last_inv[a], 1000);
    assert_true(relay_next_wakeup(r) <= 1000);
    memcpy(seen, C.inv, sizeof(seen));
    relay_tick(r, 1000);
    uint64_t b = pushed_peer(seen);
    assert_true(b != a);
    /* Peer b announces it to us: it had it, useless at once, round 3. */
    struct relay_inv back = {RELAY_INV_WTX, t.wtxid};
    assert_int_equal(relay_on_inv(r, b, &back, 2000), RELAY_ANN_KNOWN);
    assert_true(relay_next_wakeup(r) <= 2000);
    memcpy(seen, C.inv, sizeof(seen));
    relay_tick(r, 2000);
    uint64_t c = pushed_peer(seen);
    assert_true(c != a && c != b);
    assert_int_equal(total(C.inv), 3); /* three hops' worth in 2 ms */
    assert_verdicts(r, 1, 1);
    relay_free(r);
}

static void test_silent_peer_keeps_its_window(void **state)
{
    struct relay_policy p = fanout_policy(2, RELAY_STOP_COUNTER, 2);
    struct relay *r = mk(&p, 4, 0, 8);
    size_t seen[MAXPEER + 1];
    memcpy(seen, C.inv, sizeof(seen));
    start_rumor(r, 21); /* round 1 at 1: two outbound peers */
    assert_int_equal(total(C.inv), 2);
    uint64_t a = pushed_peer(seen);
    relay_on_getdata(r, a, &C.last_inv[a], 1000);
    /* The other never asked us anything: it may be a Bitcoin Core node,
     * which waits 2 s before asking an inbound announcer (we are one for
     * our outbound peers), so round 2 waits for its whole window. */
    assert_int_equal(relay_next_wakeup(r), 1 + p.feedback_window_us + 1);
    relay_tick(r, 2 * S);
    assert_int_equal(total(C.inv), 2);
    relay_tick(r, 1 + p.feedback_window_us + 1);
    assert_int_equal(total(C.inv), 4); /* round 2: the two others */
    assert_verdicts(r, 1, 1);
    relay_free(r);
}

/* Sends rumor i to the relay's single peer; returns the send time. */
static int64_t push_to_single_peer(struct relay *r, uint32_t i, int64_t at)
{
    struct relay_tx_info t = tx(i, 0, 1000);
    assert_true(relay_on_tx_accepted(r, false, 0, &t, at));
    size_t before = total(C.inv);
    relay_tick(r, at + 1);
    assert_int_equal(total(C.inv), before + 1);
    return at + 1;
}

static void test_window_follows_the_peer(void **state)
{
    struct relay_policy p = fanout_policy(1, RELAY_STOP_COUNTER, 5);
    /* An inbound peer never seen asking: we are its preferred announcer,
     * asked at once, so half a second. */
    struct relay *r = mk(&p, 0, 1, 9);
    int64_t sent = push_to_single_peer(r, 30, 0);
    assert_int_equal(relay_next_wakeup(r), sent + S / 2 + 1);
    relay_free(r);
    /* An outbound one: the whole window, until it has asked once (30 ms
     * after our inv); then twice its worst, at least the 100 ms floor. */
    r = mk(&p, 1, 0, 9);
    sent = push_to_single_peer(r, 31, 0);
    assert_int_equal(relay_next_wakeup(r), sent + p.feedback_window_us + 1);
    relay_on_getdata(r, 1, &C.last_inv[1], sent + 30000);
    sent = push_to_single_peer(r, 32, 10 * S);
    assert_int_equal(relay_next_wakeup(r), sent + p.feedback_window_min_us + 1);
    /* A slow answer (400 ms) widens it to 800 ms. */
    relay_on_getdata(r, 1, &C.last_inv[1], sent + 400000);
    sent = push_to_single_peer(r, 33, 20 * S);
    assert_int_equal(relay_next_wakeup(r), sent + 800000 + 1);
    relay_free(r);
}

static void test_blocks_always_flood(void **state)
{
    const enum relay_stop stops[] = {RELAY_STOP_ONCE, RELAY_STOP_COUNTER, RELAY_STOP_COIN};
    for (int i = 0; i < 3; i++) {
        struct relay_policy p = fanout_policy(1, stops[i], 2);
        struct relay *r = mk(&p, 3, 3, 6);
        struct hash256 blk = H(100);
        struct relay_inv inv = {RELAY_INV_BLOCK, blk};
        relay_on_inv(r, 4, &inv, 0); /* peer 4 has it */
        assert_true(relay_on_block_accepted(r, true, 4, &blk, 0));
        relay_tick(r, 1);
        for (uint64_t peer = 1; peer <= 6; peer++)
            assert_int_equal(C.inv[peer], peer == 4 ? 0 : 1);
        assert_false(relay_is_infective(r, &blk)); /* once */
        run_until(r, 60 * S);
        assert_int_equal(total(C.inv), 5);
        relay_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fanout_requests_pushed_rumor_at_once),
        cmocka_unit_test(test_round_waits_for_verdicts),
        cmocka_unit_test(test_round_follows_verdicts_at_once),
        cmocka_unit_test(test_silent_peer_keeps_its_window),
        cmocka_unit_test(test_window_follows_the_peer),
        cmocka_unit_test(test_useful_verdict_releases_round),
        cmocka_unit_test(test_window_runs_from_send),
        cmocka_unit_test(test_dropped_from_queue_is_useless),
        cmocka_unit_test(test_blocks_always_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
