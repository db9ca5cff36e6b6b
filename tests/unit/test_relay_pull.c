/* The relay core's pull side driven directly: requests one peer at a time,
 * timeouts and fallback, Core's delays, caps, and pull gossip (Demers et
 * al.'s counters). Same recording driver as test_relay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/relay.h"
#include "tests/unit/relay_fake.h"

/* ---- pull ---- */

static void test_pull_timeout_and_fallback(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 1, 2, false); /* 1 outbound, 2 and 3 inbound */
    struct relay_tx_info t = tx(20, 0, 1000);
    struct relay_inv inv = {RELAY_INV_TX, t.txid};
    assert_int_equal(relay_on_inv(r, 2, &inv, 0), RELAY_ANN_NEW);
    assert_int_equal(relay_on_inv(r, 1, &inv, S), RELAY_ANN_NEW);
    assert_int_equal(relay_on_inv(r, 1, &inv, S), RELAY_ANN_KNOWN);
    relay_tick(r, S); /* the preferred peer first, though it was second */
    assert_int_equal(entries(K_GETDATA, 1, 0), 1);
    assert_int_equal(entries(K_GETDATA, 2, 0), 0);
    relay_tick(r, 61 * S - 1);
    assert_int_equal(F->n, 1);
    assert_int_equal(relay_next_wakeup(r), 61 * S);
    relay_tick(r, 61 * S); /* timeout: the next announcer */
    assert_int_equal(entries(K_GETDATA, 2, 0), 1);
    struct relay_peer_info pi;
    relay_get_peer_info(r, 1, &pi);
    assert_int_equal(pi.counters.timeouts, 1);
    assert_int_equal(pi.counters.requests, 1);
    /* It arrives: nothing more is asked, and it is announced only to
     * peer 3 (1 and 2 announced it to us). */
    relay_on_tx_accepted(r, true, 2, &t, 62 * S);
    relay_tick(r, 62 * S + 1);
    assert_int_equal(entries(K_GETDATA, 0, 0), 2);
    assert_int_equal(entries(K_INV, 0, 0), 1);
    assert_int_equal(entries(K_INV, 3, 0), 1);
    relay_tick(r, 200 * S);
    assert_int_equal(entries(K_GETDATA, 0, 0), 2);
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.tracked, 0);
    assert_int_equal(info.totals.timeouts, 1);
    relay_free(r);
}

static void test_pull_delay_for_inbound(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 0, 1, false);
    struct relay_inv inv = {RELAY_INV_TX, H(21)};
    relay_on_inv(r, 1, &inv, 0);
    relay_tick(r, 0);
    assert_int_equal(F->n, 0);
    assert_int_equal(relay_next_wakeup(r), 2 * S);
    relay_tick(r, 2 * S - 1);
    assert_int_equal(F->n, 0);
    relay_tick(r, 2 * S);
    assert_int_equal(entries(K_GETDATA, 1, 0), 1);
    relay_free(r);
}

/* Peers 1 and 2 inbound, 3 outbound (add_peers numbers outbound first,
 * so 3 is made outbound by hand). An answer to our reconciliation round
 * is requested at once from an inbound peer; an unsolicited inv from an
 * inbound peer still waits the 2 s; and a preferred announcer ready at
 * the same time as an answer is still asked first. */
static void test_pull_answer_at_once(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 0, 2, true);
    struct relay_peer_props out = {.outbound = true, .wtxidrelay = true};
    assert_int_equal(relay_peer_add(r, 3, &out, 0), 0);
    struct relay_inv plain = {RELAY_INV_WTX, H(23)}, answer = {RELAY_INV_WTX, H(24)};
    struct relay_inv both = {RELAY_INV_WTX, H(25)};
    assert_int_equal(relay_on_inv(r, 1, &plain, 0), RELAY_ANN_NEW);
    assert_int_equal(relay_on_answer(r, 2, &answer, 0), RELAY_ANN_NEW);
    assert_int_equal(relay_on_answer(r, 2, &both, 0), RELAY_ANN_NEW);
    assert_int_equal(relay_on_inv(r, 3, &both, 0), RELAY_ANN_NEW);
    relay_tick(r, 0);
    assert_int_equal(entries(K_GETDATA, 2, 0), 1);
    assert_true(hash_eq(&F->log[0].inv[0].hash, &answer.hash) ||
                hash_eq(&F->log[1].inv[0].hash, &answer.hash));
    assert_int_equal(entries(K_GETDATA, 3, 0), 1); /* H(25): the preferred one */
    assert_int_equal(entries(K_GETDATA, 1, 0), 0);
    assert_int_equal(relay_next_wakeup(r), 2 * S);
    relay_tick(r, 2 * S - 1);
    assert_int_equal(entries(K_GETDATA, 1, 0), 0);
    relay_tick(r, 2 * S);
    assert_int_equal(entries(K_GETDATA, 1, 0), 1);
    assert_int_equal(entries(K_GETDATA, 0, 0), 3);
    /* A block hash is never "solicited": it goes to header sync. */
    struct relay_inv blk = {RELAY_INV_BLOCK, H(26)};
    assert_int_equal(relay_on_answer(r, 2, &blk, 2 * S), RELAY_ANN_BLOCK);
    relay_free(r);
}

static void test_notfound_moves_on(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 2, 0, false);
    struct relay_inv inv = {RELAY_INV_TX, H(22)};
    relay_on_inv(r, 1, &inv, 0);
    relay_on_inv(r, 2, &inv, 0);
    relay_tick(r, 0);
    assert_int_equal(F->n, 1);
    uint64_t first = F->log[0].peer;
    relay_on_notfound(r, first, &inv, S);
    relay_tick(r, S);
    assert_int_equal(F->n, 2);
    assert_int_equal(F->log[1].kind, K_GETDATA);
    assert_int_equal(F->log[1].peer, first == 1 ? 2 : 1);
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.notfound, 1);
    assert_int_equal(info.totals.timeouts, 0);
    relay_free(r);
}

/* Core's txdownloadman: a peer has at most 5000 announcements tracked
 * (more are ignored) and no cap on requests in flight, all asked at once;
 * but from 100 in flight its new announcements wait 2 s more
 * (OVERLOADED_PEER_TX_DELAY), even from an outbound peer. */
static void test_pull_caps(void **state)
{
    struct relay_policy p = quick_policy();
    struct relay *r = mk(&p, &explicit_drv, 3);
    add_peers(r, 2, 0, false);
    for (uint32_t i = 0; i < 5000; i++) {
        struct relay_inv inv = {RELAY_INV_TX, H(10000 + i)};
        assert_int_equal(relay_on_inv(r, 1, &inv, 0), RELAY_ANN_NEW);
    }
    struct relay_inv over = {RELAY_INV_TX, H(99)};
    assert_int_equal(relay_on_inv(r, 1, &over, 0), RELAY_ANN_DROPPED);
    relay_tick(r, 0);
    assert_int_equal(entries(K_GETDATA, 1, 0), 5000);
    struct relay_peer_info pi;
    relay_get_peer_info(r, 1, &pi);
    assert_int_equal(pi.in_flight, 5000);
    assert_int_equal(pi.tracked, 5000);
    /* Peer 2: 99 in flight, the 100th is asked at once; from then on
     * a new one waits the 2 s, though the 100 are still in flight. */
    for (uint32_t i = 0; i < 100; i++) {
        struct relay_inv inv = {RELAY_INV_TX, H(20000 + i)};
        relay_on_inv(r, 2, &inv, S);
        relay_tick(r, S);
    }
    assert_int_equal(entries(K_GETDATA, 2, 0), 100);
    relay_on_inv(r, 2, &over, S);
    size_t before = F->n;
    relay_tick(r, 3 * S - 1);
    assert_int_equal(entries(K_GETDATA, 2, before), 0);
    relay_tick(r, 3 * S);
    assert_int_equal(entries(K_GETDATA, 2, before), 1);
    relay_get_peer_info(r, 2, &pi);
    assert_int_equal(pi.in_flight, 101);
    relay_free(r);
}


/* ---- pull ---- */

static void test_pull_gossip(void **state)
{
    struct relay_policy p = rumor_policy(RELAY_STOP_COUNTER, 2, true, 1);
    p.pull_interval_us = 10 * S;
    p.pull_only = true;
    p.feedback_window_us = 5 * S;
    char *err = NULL;
    assert_null(relay_new(&p, &explicit_drv, F, 0, 1, &err)); /* needs send_pull */
    free(err);
    struct relay *r = mk(&p, &pull_drv, 8);
    add_peers(r, 2, 2, false);
    relay_tick(r, 0); /* the first tick asks a random peer */
    assert_int_equal(F->n, 1);
    assert_int_equal(F->log[0].kind, K_PULL);
    assert_int_equal(relay_next_wakeup(r), 10 * S);
    struct relay_tx_info t = tx(70, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t, S);
    relay_tick(r, 5 * S); /* pure pull: no push rounds */
    assert_int_equal(entries(K_INV, 0, 0), 0);
    relay_on_pull(r, 3, 6 * S);
    assert_int_equal(relay_next_wakeup(r), 6 * S);
    relay_tick(r, 6 * S); /* answered at once, without trickle */
    assert_int_equal(entries(K_INV, 3, 0), 1);
    /* Peer 3 asks for it (within its window: half a second, inbound),
     * then pulls again: it knows it now, nothing to say, a useless
     * contact; but the answers of one pull interval (6 s to 16 s) are one
     * contact, useful since one was. */
    relay_on_getdata(r, 3, &F->log[1].inv[0], 6 * S + S / 10);
    relay_on_pull(r, 3, 7 * S);
    relay_tick(r, 7 * S);
    assert_int_equal(entries(K_INV, 0, 0), 1);
    relay_on_pull(r, 4, 8 * S);
    relay_tick(r, 8 * S);
    relay_on_pull(r, 1, 9 * S);
    relay_tick(r, 9 * S);
    assert_int_equal(entries(K_INV, 0, 0), 3);
    run_until(r, 16 * S);
    assert_true(relay_is_infective(r, &t.txid)); /* counter still 0 */
    /* The next interval's only answer goes unrequested: one useless. */
    relay_on_pull(r, 2, 17 * S);
    relay_tick(r, 17 * S);
    assert_int_equal(entries(K_INV, 0, 0), 4);
    run_until(r, 27 * S);
    assert_true(relay_is_infective(r, &t.txid));
    /* Every peer is known to have it now: the next puller removes it. */
    relay_on_pull(r, 4, 30 * S);
    relay_tick(r, 30 * S);
    assert_false(relay_is_infective(r, &t.txid));
    assert_int_equal(entries(K_INV, 0, 0), 4);
    struct relay_info info;
    relay_get_info(r, &info);
    assert_int_equal(info.totals.pulls_received, 6);
    assert_int_equal(info.totals.push_useful, 1);
    assert_int_equal(info.totals.push_useless, 3);
    relay_free(r);
}

/* The papers' pull counter: a rumor stops after K answer rounds in a row
 * in which nobody asking lacked it, whatever the number of answers. */
static void test_pull_counter_counts_rounds(void **state)
{
    struct relay_policy p = rumor_policy(RELAY_STOP_COUNTER, 2, true, 1);
    p.pull_interval_us = S;
    p.pull_only = true;
    p.feedback_window_us = 0;
    struct relay *r = mk(&p, &pull_drv, 9);
    struct relay_tx_info t = tx(71, 0, 1000);
    relay_on_tx_accepted(r, false, 0, &t, 0);
    /* Round 1: three implicit askers, none asks for it. */
    for (uint64_t peer = 11; peer <= 13; peer++)
        relay_on_pull(r, peer, 0);
    relay_tick(r, 0);
    assert_int_equal(entries(K_INV, 0, 0), 3);
    relay_peer_remove(r, 13, S / 2); /* its answer is judged without it */
    relay_tick(r, S); /* two useless answers: one useless contact */
    assert_true(relay_is_infective(r, &t.txid));
    relay_on_pull(r, 14, S);
    relay_tick(r, S);
    relay_tick(r, 2 * S); /* a second useless round in a row */
    assert_false(relay_is_infective(r, &t.txid));
    relay_free(r);
}

/* ---- robustness: random events from misbehaving peers ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pull_timeout_and_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_delay_for_inbound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_answer_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notfound_moves_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_gossip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_counter_counts_rounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
