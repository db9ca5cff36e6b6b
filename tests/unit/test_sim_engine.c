/* The simulator's engine: event order, PRNG, topologies, latency, message
 * sizes and the synchronous-cycle semantics, with a tiny test protocol
 * (the relay core itself is exercised by test_sim). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "contrib/sim/engine.h"
#include "contrib/sim/heap.h"
#include "contrib/sim/netmodel.h"
#include "contrib/sim/rng.h"
#include "contrib/sim/topo.h"

static void test_heap_order(void **state)
{
    struct sim_heap h;
    sim_heap_init(&h);
    uint64_t times[] = {50, 10, 30, 10, 40, 20, 10, 0};
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        sim_heap_push(&h, (struct sim_event){.at = times[i], .node = (uint32_t)i});
    /* By time, then by insertion: the three events at 10 keep their order. */
    uint32_t want[] = {7, 1, 3, 6, 5, 2, 4, 0};
    struct sim_event ev;
    for (size_t i = 0; i < 8; i++) {
        assert_true(sim_heap_pop(&h, &ev));
        assert_int_equal(ev.node, want[i]);
    }
    assert_false(sim_heap_pop(&h, &ev));
    sim_heap_clear(&h);
}

/* Lanes and heap together: random interleavings of pushes and pops, some
 * times popular (lanes), most not (heap), always popped in (time, seq)
 * order with nothing lost. */
static void test_heap_lanes(void **state)
{
    struct sim_heap h;
    struct sim_rng rng;
    sim_heap_init(&h);
    sim_rng_seed(&rng, 9);
    uint64_t now = 0, pushed = 0, popped = 0;
    struct sim_event ev, prev = {0};
    for (int step = 0; step < 200000; step++) {
        if (sim_rng_below(&rng, 3) != 0) {
            uint64_t r = sim_rng_below(&rng, 10);
            uint64_t at = r < 6 ? now + r : now + 1 + sim_rng_below(&rng, 100000);
            sim_heap_push(&h, (struct sim_event){.at = at, .node = (uint32_t)pushed});
            pushed++;
        } else if (sim_heap_pop(&h, &ev)) {
            if (popped > 0)
                assert_true(ev.at > prev.at || (ev.at == prev.at && ev.seq > prev.seq));
            assert_true(ev.at >= now);
            assert_int_equal(ev.node, ev.seq); /* seq is the push order */
            now = ev.at;
            prev = ev;
            popped++;
        }
    }
    while (sim_heap_pop(&h, &ev)) {
        assert_true(ev.at > prev.at || (ev.at == prev.at && ev.seq > prev.seq));
        prev = ev;
        popped++;
    }
    assert_true(popped == pushed);
    assert_true(sim_heap_memory(&h) > 0);
    sim_heap_clear(&h);
}

static void test_rng(void **state)
{
    struct sim_rng a, b;
    sim_rng_seed(&a, 42);
    sim_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(sim_rng_next(&a) == sim_rng_next(&b));
    unsigned hist[7] = {0};
    for (int i = 0; i < 70000; i++)
        hist[sim_rng_below(&a, 7)]++;
    for (int i = 0; i < 7; i++)
        assert_true(hist[i] > 9500 && hist[i] < 10500);
    double sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += sim_rng_exp(&a, 2.0);
    assert_true(sum / 100000 > 1.95 && sum / 100000 < 2.05);
}

static void check_simple(const struct sim_topo *t, uint32_t n)
{
    for (uint32_t v = 0; v < n; v++) {
        uint32_t d = sim_topo_degree(t, v);
        for (uint32_t i = 0; i < d; i++) {
            uint32_t w = sim_topo_neighbor(t, v, i);
            assert_true(w != v && w < n);
            assert_true(sim_topo_linked(t, w, v)); /* symmetric */
            for (uint32_t j = 0; j < i; j++)
                assert_true(sim_topo_neighbor(t, v, j) != w); /* no double links */
        }
    }
}

static void test_topologies(void **state)
{
    struct sim_rng rng;
    struct sim_topo_spec spec;
    char *err = NULL;
    sim_rng_seed(&rng, 7);
    assert_int_equal(sim_topo_parse("regular:6", &spec, &err), 0);
    struct sim_topo *t = sim_topo_new(&spec, 1000, &rng, &err);
    assert_non_null(t);
    for (uint32_t v = 0; v < 1000; v++)
        assert_int_equal(sim_topo_degree(t, v), 6);
    check_simple(t, 1000);
    sim_topo_free(t);

    assert_int_equal(sim_topo_parse("bitcoin", &spec, &err), 0);
    t = sim_topo_new(&spec, 2000, &rng, &err);
    assert_non_null(t);
    uint64_t links = 0;
    for (uint32_t v = 0; v < 2000; v++) {
        assert_int_equal(sim_topo_outbound(t, v), 8);
        assert_true(sim_topo_degree(t, v) >= 8 && sim_topo_degree(t, v) <= 125 + 8);
        links += sim_topo_degree(t, v);
    }
    assert_true(links == 2000ULL * 8 * 2);
    check_simple(t, 2000);
    sim_topo_free(t);

    assert_int_equal(sim_topo_parse("complete", &spec, &err), 0);
    t = sim_topo_new(&spec, 5, &rng, &err);
    assert_int_equal(sim_topo_degree(t, 2), 4);
    assert_int_equal(sim_topo_neighbor(t, 2, 2), 3);
    for (int i = 0; i < 100; i++)
        assert_true(sim_topo_random_peer(t, 2, &rng) != 2);
    assert_true(sim_topo_memory(t) < 100);
    sim_topo_free(t);

    assert_int_equal(sim_topo_parse("regular:3", &spec, &err), 0);
    assert_null(sim_topo_new(&spec, 11, &rng, &err)); /* N*K odd */
    assert_non_null(err);
    free(err);
    err = NULL;
    assert_int_equal(sim_topo_parse("ring", &spec, &err), -1);
    free(err);
}

static void test_latency_and_sizes(void **state)
{
    struct sim_netmodel m = {.salt = 99};
    struct sim_rng rng;
    sim_rng_seed(&rng, 1);
    assert_int_equal(sim_netmodel_parse("lognormal:50:0.5", &m, NULL), 0);
    uint64_t ab = sim_netmodel_latency(&m, 3, 9, &rng);
    assert_true(ab == sim_netmodel_latency(&m, 9, 3, &rng)); /* one latency per link */
    assert_true(ab == sim_netmodel_latency(&m, 3, 9, &rng)); /* for the whole run */
    assert_int_equal(sim_netmodel_parse("const:20", &m, NULL), 0);
    assert_int_equal(sim_netmodel_latency(&m, 1, 2, &rng), 20000);
    assert_int_equal(sim_netmodel_parse("uniform:10:5", &m, NULL), -1);

    assert_int_equal(sim_msg_bytes(SIM_MSG_INV, 1, 250), 24 + 1 + 36);
    assert_int_equal(sim_msg_bytes(SIM_MSG_GETDATA, 1000, 250), 24 + 3 + 36000);
    assert_int_equal(sim_msg_bytes(SIM_MSG_TX, 1, 250), 24 + 250);
}

/* A test protocol: an informed node pushes once to its ring successor
 * (push=true), or never and relies on anti-entropy (push=false). */
struct ring {
    struct sim *sim;
    bool push;
};

static void *ring_create(struct sim *sim, const struct sim_proto *proto, char **err)
{
    struct ring *r = calloc(1, sizeof(*r));
    r->sim = sim;
    r->push = proto->fanout > 0;
    return r;
}

static void ring_destroy(void *st) { free(st); }

static void ring_infect(struct ring *r, uint32_t v)
{
    sim_mark(r->sim, v, r->push ? SIM_INFECTIVE : SIM_REMOVED);
    if (r->push)
        sim_wake(r->sim, v, sim_now(r->sim));
}

static void ring_originate(void *st, uint32_t v) { ring_infect(st, v); }

static void ring_wake(void *st, uint32_t v)
{
    struct ring *r = st;
    uint32_t n = sim_topo_nodes(sim_topology(r->sim));
    sim_send(r->sim, v, (v + 1) % n, SIM_MSG_INV, 1);
    sim_mark(r->sim, v, SIM_REMOVED);
}

static void ring_deliver(void *st, uint32_t to, uint32_t from, enum sim_msg_type type,
                         uint32_t nitems)
{
    struct ring *r = st;
    if (type == SIM_MSG_INV && sim_state(r->sim, to) == SIM_SUSCEPTIBLE)
        ring_infect(r, to);
}

static void ring_offer(void *st, uint32_t v, uint32_t peer)
{
    struct ring *r = st;
    sim_send(r->sim, v, peer, SIM_MSG_INV, 1);
}

static size_t ring_memory(const void *st) { return sizeof(struct ring); }

static const struct sim_adapter ring_adapter = {
    "ring", ring_create, ring_destroy, ring_originate, ring_wake, ring_deliver,
    ring_offer, ring_memory,
};

static void ring_config(struct sim_config *cfg, uint32_t n, bool cycles)
{
    *cfg = (struct sim_config){
        .nodes = n, .topo = {.kind = SIM_TOPO_COMPLETE},
        .proto = {.fanout = 1, .cycles = cycles}, .tx_size = 250,
        .max_time_s = 1000, .sample_ms = 10, .series = true, .seed = 5,
    };
    sim_netmodel_parse("const:20", &cfg->net, NULL);
}

/* Cycle semantics: a node informed during cycle c pushes in cycle c + 1,
 * so around a ring of 10 the k-th successor learns in cycle k. */
static void test_cycles(void **state)
{
    struct sim_config cfg;
    ring_config(&cfg, 10, true);
    struct sim *s = sim_new(&cfg, &ring_adapter, NULL);
    assert_non_null(s);
    struct sim_result r;
    sim_run(s, 0, &r);
    assert_int_equal(r.informed, 10);
    assert_true(r.residue == 0);
    assert_true(r.t_last == 9);
    assert_true(r.t_ave == 5);
    assert_true(r.traffic == 1.0); /* node 9 pushes back to the origin too */
    assert_int_equal(r.msgs[SIM_MSG_INV], 10);
    assert_int_equal(r.bytes[SIM_MSG_INV], 10 * 61);
    /* Sampled at each cycle boundary, before the cycle runs: in cycle c
     * nodes 0..c-1 are removed and node c... is still to come. */
    assert_true(r.nseries >= 10);
    for (uint32_t c = 1; c < 10; c++) {
        assert_true(r.series[c].t == c);
        assert_int_equal(r.series[c].r, c - 1);
        assert_int_equal(r.series[c].i, 1);
        assert_int_equal(r.series[c].s, 10 - c);
    }
    sim_result_clear(&r);
    sim_free(s);
}

/* Event time: 20 ms per hop, no cycles. */
static void test_latency_run(void **state)
{
    struct sim_config cfg;
    ring_config(&cfg, 10, false);
    struct sim *s = sim_new(&cfg, &ring_adapter, NULL);
    struct sim_result r;
    sim_run(s, 3, &r);
    assert_int_equal(r.informed, 10);
    assert_true(r.t_last > 0.1799 && r.t_last < 0.1801);
    assert_true(r.pct[0] > 0.0999 && r.pct[0] < 0.1001);
    sim_result_clear(&r);
    sim_free(s);
}

/* No pushes at all: anti-entropy alone informs everyone, the holder
 * offering to whoever's digest differs, around a fixed rotation. */
static void test_antientropy_and_down(void **state)
{
    struct sim_config cfg;
    ring_config(&cfg, 50, true);
    cfg.proto.fanout = 0;
    cfg.antientropy_s = 1;
    cfg.down = 0.2;
    struct sim *s = sim_new(&cfg, &ring_adapter, NULL);
    struct sim_result r;
    sim_run(s, 0, &r);
    assert_int_equal(r.up, 40);
    assert_int_equal(r.informed, 40);
    assert_true(r.residue == 0);
    assert_true(r.msgs[SIM_MSG_DIGEST] >= 40);
    assert_true(r.lost > 0); /* digests to down nodes */
    assert_true(r.t_last >= 6 && r.t_last < 20); /* doubling at best: log2 40 */
    sim_result_clear(&r);
    sim_free(s);

    /* Without anti-entropy nothing spreads. */
    cfg.antientropy_s = 0;
    s = sim_new(&cfg, &ring_adapter, NULL);
    sim_run(s, 0, &r);
    assert_int_equal(r.informed, 1);
    assert_true(r.residue > 0.97);
    sim_result_clear(&r);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_order),
        cmocka_unit_test(test_heap_lanes),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_topologies),
        cmocka_unit_test(test_latency_and_sizes),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_latency_run),
        cmocka_unit_test(test_antientropy_and_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
