/* BIP330 rounds between two in-memory txrecon instances, every message
 * through its codec: keys and short ids, a full round over disjoint
 * halves of 1000 transactions, extension, fallback, violations,
 * short id collisions, the adaptive q, many peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "net/relay/prng.h"
#include "net/relay/sketch.h"
#include "net/relay/txrecon.h"

#define A_ID 1 /* the initiator's id for its peer B */
#define B_ID 2 /* the responder's id for its peer A */

static struct hash256 nth(uint64_t i)
{
    struct hash256 h;
    uint64_t s = i * 0x9e3779b97f4a7c15ULL + 12345;
    for (int w = 0; w < 4; w++) {
        uint64_t v = prng_next(&s);
        memcpy(h.b + 8 * w, &v, 8);
    }
    return h;
}

/* Expected values computed independently (Python hashlib and a
 * straightforward SipHash-2-4) from BIP330's definitions. */
static void test_keys_and_short_ids(void **state)
{
    (void)state;
    uint64_t k0, k1, j0, j1;
    txrecon_salt_keys(1, 2, &k0, &k1);
    txrecon_salt_keys(2, 1, &j0, &j1);
    assert_true(k0 == 0x5a63d27439e052a4ULL && k1 == 0xc8daf59f8d6921b9ULL);
    assert_true(j0 == k0 && j1 == k1);
    struct txrecon *t = txrecon_new(TXRECON_DEFAULT_Q);
    assert_int_equal(txrecon_peer_add(t, 7, true, 2, 1), 0);
    assert_int_equal(txrecon_peer_add(t, 7, true, 2, 1), -1);
    struct hash256 w;
    for (int i = 0; i < 32; i++)
        w.b[i] = (uint8_t)i;
    assert_int_equal(txrecon_short_id(t, 7, &w), 0x39500dfbu);
    assert_int_equal(txrecon_short_id(t, 8, &w), 0);
    txrecon_free(t);
}

struct pair {
    struct txrecon *a, *b; /* a initiates */
    /* What each side ends up announcing to the other. */
    struct hash256 *to_b, *to_a;
    size_t n_to_b, n_to_a;
    int sketches, extensions;
    bool success;
    uint16_t req_q;      /* the last reqrecon's q */
    size_t sketch_len;   /* the last round's initial sketch, bytes */
};

static void pair_init(struct pair *p, double q)
{
    memset(p, 0, sizeof(*p));
    p->a = txrecon_new(q);
    p->b = txrecon_new(q);
    assert_int_equal(txrecon_peer_add(p->a, A_ID, true, 11, 22), 0);
    assert_int_equal(txrecon_peer_add(p->b, B_ID, false, 22, 11), 0);
}

static void pair_free(struct pair *p)
{
    txrecon_free(p->a);
    txrecon_free(p->b);
    free(p->to_a);
    free(p->to_b);
}

static void take(struct hash256 **v, size_t *n, struct txrecon_out *o)
{
    *v = realloc(*v, (*n + o->n_announce + 1) * sizeof(**v));
    if (o->n_announce)
        memcpy(*v + *n, o->announce, o->n_announce * sizeof(**v));
    *n += o->n_announce;
}

/* One round, each message decoded from its encoding as the wire would. */
static void run_round(struct pair *p)
{
    struct txrecon_out o;
    struct cursor c;
    txrecon_out_init(&o);
    assert_int_equal(txrecon_start(p->a, A_ID, &o), 0);
    assert_int_equal(o.cmd, PROTO_CMD_REQRECON);
    assert_int_equal(txrecon_start(p->a, A_ID, &o), -1); /* one at a time */
    struct txrecon_req_msg req;
    cursor_init(&c, o.payload.data, o.payload.len);
    assert_true(txrecon_req_decode(&c, &req));
    p->req_q = req.q;
    txrecon_out_free(&o);
    txrecon_out_init(&o);
    assert_int_equal(txrecon_on_req(p->b, B_ID, &req, &o), 0);
    p->sketch_len = 0;
    p->sketches = p->extensions = 0;
    for (;;) {
        assert_int_equal(o.cmd, PROTO_CMD_SKETCH);
        struct txrecon_sketch_msg sk;
        cursor_init(&c, o.payload.data, o.payload.len);
        assert_true(txrecon_sketch_decode(&c, &sk));
        if (!p->sketch_len)
            p->sketch_len = sk.len;
        p->sketches++;
        struct txrecon_out o2;
        txrecon_out_init(&o2);
        assert_int_equal(txrecon_on_sketch(p->a, A_ID, sk.data, sk.len, &o2), 0);
        txrecon_out_free(&o);
        o = o2;
        if (o.cmd != PROTO_CMD_REQSKETCHEXT)
            break;
        p->extensions++;
        txrecon_out_free(&o);
        txrecon_out_init(&o);
        assert_int_equal(txrecon_on_reqext(p->b, B_ID, &o), 0);
    }
    assert_int_equal(o.cmd, PROTO_CMD_RECONCILDIFF);
    take(&p->to_b, &p->n_to_b, &o);
    struct txrecon_diff_msg diff;
    cursor_init(&c, o.payload.data, o.payload.len);
    assert_true(txrecon_diff_decode(&c, &diff));
    p->success = diff.success;
    txrecon_out_free(&o);
    txrecon_out_init(&o);
    assert_int_equal(txrecon_on_diff(p->b, B_ID, &diff, &o), 0);
    take(&p->to_a, &p->n_to_a, &o);
    txrecon_out_free(&o);
    txrecon_diff_clear(&diff);
    assert_false(txrecon_busy(p->a, A_ID));
    assert_false(txrecon_busy(p->b, B_ID));
}

static bool contains(const struct hash256 *v, size_t n, const struct hash256 *h)
{
    for (size_t i = 0; i < n; i++)
        if (hash_eq(&v[i], h))
            return true;
    return false;
}

/* From transaction `base` on: a holds na, b the next nb, both the next
 * `common`. */
static void fill_from(struct pair *p, size_t base, size_t na, size_t nb, size_t common)
{
    struct hash256 other;
    for (size_t i = 0; i < na + nb + common; i++) {
        struct hash256 h = nth(base + i);
        if (i < na || i >= na + nb)
            assert_int_equal(txrecon_add(p->a, A_ID, &h, &other), TXRECON_ADDED);
        if (i >= na)
            assert_int_equal(txrecon_add(p->b, B_ID, &h, &other), TXRECON_ADDED);
    }
}

/* a holds [0, na), b holds [na, na + nb) plus `common` shared ones. */
static void fill(struct pair *p, size_t na, size_t nb, size_t common)
{
    fill_from(p, 0, na, nb, common);
}

/* Each side learned exactly what it lacked. */
static void check_converged(struct pair *p, size_t na, size_t nb)
{
    assert_int_equal(p->n_to_b, na);
    assert_int_equal(p->n_to_a, nb);
    for (size_t i = 0; i < na + nb; i++) {
        struct hash256 h = nth(i);
        if (i < na)
            assert_true(contains(p->to_b, p->n_to_b, &h));
        else
            assert_true(contains(p->to_a, p->n_to_a, &h));
    }
}

static void test_disjoint_halves_one_round(void **state)
{
    (void)state;
    struct pair p;
    /* Disjoint sets need q = |difference| / smaller set = 2. */
    pair_init(&p, TXRECON_MAX_Q);
    fill(&p, 500, 500, 0);
    run_round(&p);
    assert_true(p.success);
    assert_int_equal(p.sketches, 1);
    assert_int_equal(p.extensions, 0);
    check_converged(&p, 500, 500);
    struct txrecon_counters ca, cb;
    assert_true(txrecon_peer_counters(p.a, A_ID, &ca));
    assert_true(txrecon_peer_counters(p.b, B_ID, &cb));
    assert_int_equal(ca.differences, 1000);
    assert_int_equal(ca.asked, 500);
    assert_int_equal(cb.sketches_sent, 1);
    assert_int_equal(ca.sketch_bytes_received, cb.sketch_bytes_sent);
    assert_int_equal(ca.rounds, 1);
    assert_int_equal(cb.rounds, 1);
    /* The sets were consumed: a second round has nothing to do. */
    assert_int_equal(txrecon_set_size(p.a, A_ID), 0);
    assert_int_equal(txrecon_set_size(p.b, B_ID), 0);
    free(p.to_a);
    free(p.to_b);
    p.to_a = p.to_b = NULL;
    p.n_to_a = p.n_to_b = 0;
    run_round(&p);
    assert_int_equal(p.n_to_a + p.n_to_b, 0);
    pair_free(&p);
}

/* Mostly shared sets with a small difference: the usual case. */
static void test_small_difference(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, TXRECON_DEFAULT_Q);
    fill(&p, 7, 4, 300);
    run_round(&p);
    assert_true(p.success);
    assert_int_equal(p.sketches, 1);
    check_converged(&p, 7, 4);
    pair_free(&p);
}

static void test_extension_then_success(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0.0);
    /* Estimate 1 + |2 - 1| = 2 differences, capacity 3; there are 3. */
    fill(&p, 2, 1, 0);
    run_round(&p);
    assert_true(p.success);
    assert_int_equal(p.extensions, 1);
    assert_int_equal(p.sketches, 2);
    check_converged(&p, 2, 1);
    struct txrecon_counters ca;
    txrecon_peer_counters(p.a, A_ID, &ca);
    assert_int_equal(ca.decode_failures, 1);
    assert_int_equal(ca.extensions, 1);
    assert_int_equal(ca.fallbacks, 0);
    pair_free(&p);
}

static void test_extension_then_fallback(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 0.0);
    fill(&p, 10, 10, 5);
    run_round(&p);
    assert_false(p.success);
    assert_int_equal(p.extensions, 1);
    /* Fallback: each side announces its whole set, shared ones too. */
    assert_int_equal(p.n_to_b, 15);
    assert_int_equal(p.n_to_a, 15);
    for (size_t i = 0; i < 20; i++) {
        struct hash256 h = nth(i);
        assert_true(contains(i < 10 ? p.to_b : p.to_a, 15, &h));
    }
    struct txrecon_counters ca, cb;
    txrecon_peer_counters(p.a, A_ID, &ca);
    txrecon_peer_counters(p.b, B_ID, &cb);
    assert_int_equal(ca.decode_failures, 2);
    assert_int_equal(ca.fallbacks, 1);
    assert_int_equal(cb.fallbacks, 1);
    pair_free(&p);
}

/* The peer's empty set: it gets all of ours with no decoding. */
static void test_empty_responder(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, TXRECON_DEFAULT_Q);
    fill(&p, 5, 0, 0);
    run_round(&p);
    assert_true(p.success);
    check_converged(&p, 5, 0);
    pair_free(&p);
}

static void test_violations(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, TXRECON_DEFAULT_Q);
    struct txrecon_out o;
    txrecon_out_init(&o);
    struct txrecon_req_msg req = {.set_size = 1, .q = 100};
    struct txrecon_diff_msg diff = {.success = true};
    uint8_t sk[8] = {1};
    /* Wrong role, or no round in progress. */
    assert_int_equal(txrecon_on_req(p.a, A_ID, &req, &o), -1);
    assert_int_equal(txrecon_start(p.b, B_ID, &o), -1);
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk, 8, &o), -1);
    assert_int_equal(txrecon_on_reqext(p.b, B_ID, &o), -1);
    assert_int_equal(txrecon_on_diff(p.b, B_ID, &diff, &o), -1);
    assert_int_equal(txrecon_on_req(p.b, 99, &req, &o), -1);
    /* A sketch of a partial element, and an extension of the wrong size. */
    assert_int_equal(txrecon_start(p.a, A_ID, &o), 0);
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk, 7, &o), -1);
    txrecon_out_free(&o);
    txrecon_out_init(&o);
    struct hash256 other;
    for (int i = 0; i < 20; i++) {
        struct hash256 h = nth(1000 + i);
        txrecon_add(p.a, A_ID, &h, &other);
    }
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk, 8, &o), 0);
    assert_int_equal(o.cmd, PROTO_CMD_REQSKETCHEXT);
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk, 4, &o), -1);
    txrecon_out_free(&o);
    pair_free(&p);
}

static int cmp_sid(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    return (a[0] >> 32) < (b[0] >> 32) ? -1 : (a[0] >> 32) > (b[0] >> 32);
}

/* Two wtxids with one short id are both announced by inv instead. */
static void test_collision(void **state)
{
    (void)state;
    struct txrecon *t = txrecon_new(TXRECON_DEFAULT_Q);
    txrecon_peer_add(t, 5, true, 3, 4);
    /* A birthday search: 2^18 ids of 32 bits collide with near certainty. */
    size_t n = 1u << 18;
    uint64_t *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        struct hash256 h = nth(i);
        v[i] = (uint64_t)txrecon_short_id(t, 5, &h) << 32 | i;
    }
    qsort(v, n, sizeof(*v), cmp_sid);
    size_t k = 0;
    while (k + 1 < n && (v[k] >> 32) != (v[k + 1] >> 32))
        k++;
    assert_true(k + 1 < n);
    struct hash256 x = nth(v[k] & 0xffffffff), y = nth(v[k + 1] & 0xffffffff), other;
    free(v);
    assert_int_equal(txrecon_add(t, 5, &x, &other), TXRECON_ADDED);
    assert_int_equal(txrecon_add(t, 5, &x, &other), TXRECON_PRESENT);
    assert_int_equal(txrecon_add(t, 5, &y, &other), TXRECON_ANNOUNCE);
    assert_true(hash_eq(&other, &x));
    assert_int_equal(txrecon_set_size(t, 5), 0);
    /* Removal by the peer's announcement. */
    struct hash256 z = nth(7);
    txrecon_add(t, 5, &z, &other);
    txrecon_remove(t, 5, &z);
    assert_int_equal(txrecon_set_size(t, 5), 0);
    assert_int_equal(txrecon_add(t, 6, &z, &other), TXRECON_ANNOUNCE);
    txrecon_peer_remove(t, 5);
    assert_false(txrecon_peer_registered(t, 5));
    txrecon_free(t);
}

static void test_q_from_round(void **state)
{
    (void)state;
    /* BIP330's example: sets of 30 (ours) and 20, a difference of 12. */
    assert_true(fabs(txrecon_q_from_round(30, 1, 11, 0.7) - 0.1) < 1e-9);
    assert_true(txrecon_q_from_round(20, 0, 0, 0.7) == 0.0); /* equal sets */
    assert_true(txrecon_q_from_round(10, 10, 10, 0.7) == 2.0); /* disjoint */
    /* The peer's set was empty, or ours: no overlap to learn from. */
    assert_true(txrecon_q_from_round(5, 0, 5, 0.7) == 0.7);
    assert_true(txrecon_q_from_round(0, 4, 0, 0.7) == 0.7);
    assert_true(txrecon_q_from_round(3, 0, 4, 0.7) == 0.7); /* inconsistent */
}

/* Capacity the responder computes for an estimated difference. */
static size_t sketch_bytes_for(size_t est)
{
    return 4 * sketch_capacity_for(est, TXRECON_FP_BITS);
}

/* The q each reqrecon carries follows the last round's difference. */
static void test_adaptive_q(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, TXRECON_DEFAULT_Q);
    /* 107 and 103 transactions, 10 differences: q = (10 - 4) / 103. */
    fill_from(&p, 0, 7, 3, 100);
    run_round(&p);
    assert_int_equal(p.req_q, (uint16_t)ceil(TXRECON_DEFAULT_Q * TXRECON_Q_PRECISION));
    double q = 6.0 / 103;
    assert_true(fabs(txrecon_peer_q(p.a, A_ID) - q) < 1e-9);
    /* The same shape again: the sketch fits the difference (1 + 4 + 6),
     * where the initial q would have sent 1 + 4 + 25 elements. */
    fill_from(&p, 1000, 7, 3, 100);
    run_round(&p);
    assert_int_equal(p.req_q, (uint16_t)ceil(q * TXRECON_Q_PRECISION));
    assert_int_equal(p.sketch_len, sketch_bytes_for(11));
    assert_true(p.success && p.extensions == 0);
    assert_true(fabs(txrecon_peer_q(p.a, A_ID) - q) < 1e-9);
    /* Far more differences than estimated: extension, fallback, and q
     * doubles from at least the default. */
    fill_from(&p, 2000, 20, 20, 60);
    run_round(&p);
    assert_false(p.success);
    assert_true(fabs(txrecon_peer_q(p.a, A_ID) - 2 * TXRECON_DEFAULT_Q) < 1e-9);
    /* Which covers the same shape next time, and q is measured again. */
    fill_from(&p, 3000, 20, 20, 60);
    run_round(&p);
    assert_true(p.success && p.extensions == 0);
    assert_int_equal(p.sketch_len, sketch_bytes_for(1 + 40));
    assert_true(fabs(txrecon_peer_q(p.a, A_ID) - 0.5) < 1e-9);
    /* The responder does not learn q: it uses what each request says. */
    assert_true(txrecon_peer_q(p.b, B_ID) == TXRECON_DEFAULT_Q);
    pair_free(&p);
}

/* What the peer announced to us during a round is not announced back
 * when the round ends, though the sketches still cover it. */
/* a starts a round and b answers: o gets b's sketch. The set size a
 * declared. */
static size_t begin_round(struct pair *p, struct txrecon_out *o)
{
    struct cursor c;
    struct txrecon_req_msg req;
    txrecon_out_init(o);
    assert_int_equal(txrecon_start(p->a, A_ID, o), 0);
    cursor_init(&c, o->payload.data, o->payload.len);
    assert_true(txrecon_req_decode(&c, &req));
    txrecon_out_free(o);
    txrecon_out_init(o);
    assert_int_equal(txrecon_on_req(p->b, B_ID, &req, o), 0);
    return req.set_size;
}

static void test_shown_during_round(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 1.0); /* a sketch that fits the difference */
    fill(&p, 3, 3, 10);
    struct txrecon_out o;
    struct cursor c;
    begin_round(&p, &o);
    /* b's snapshot is taken; a now announces one of b's own to b, and
     * b one of a's to a (a has no snapshot yet: it leaves a's set). */
    struct hash256 b_own = nth(3), a_own = nth(0);
    txrecon_remove(p.b, B_ID, &b_own);
    txrecon_remove(p.a, A_ID, &a_own);
    struct txrecon_sketch_msg sk;
    cursor_init(&c, o.payload.data, o.payload.len);
    assert_true(txrecon_sketch_decode(&c, &sk));
    struct txrecon_out o2;
    txrecon_out_init(&o2);
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk.data, sk.len, &o2), 0);
    txrecon_out_free(&o);
    assert_int_equal(o2.cmd, PROTO_CMD_RECONCILDIFF);
    assert_int_equal(o2.n_announce, 2); /* nth(1), nth(2) */
    assert_false(contains(o2.announce, o2.n_announce, &a_own));
    struct txrecon_diff_msg diff;
    cursor_init(&c, o2.payload.data, o2.payload.len);
    assert_true(txrecon_diff_decode(&c, &diff));
    assert_int_equal(diff.n_ask, 3); /* b's own */
    txrecon_out_init(&o);
    assert_int_equal(txrecon_on_diff(p.b, B_ID, &diff, &o), 0);
    assert_int_equal(o.n_announce, 2); /* nth(4), nth(5) */
    assert_false(contains(o.announce, o.n_announce, &b_own));
    txrecon_diff_clear(&diff);
    txrecon_out_free(&o);
    txrecon_out_free(&o2);
    pair_free(&p);
}

/* Which of the initiator's announcements answer the round: at the
 * responder, between its sketch and the reconcildiff, entries it did not
 * sketch, as many as the set size the initiator declared; never at the
 * initiator (it hears from the peer it connected to, a preferred one). */
static void test_solicited(void **state)
{
    (void)state;
    struct pair p;
    pair_init(&p, 1.0);
    fill(&p, 3, 2, 4); /* a: 7 (0-2 and 5-8), b: 6 (3-8) */
    struct hash256 a_own = nth(0), b_own = nth(3);
    assert_false(txrecon_solicited(p.b, B_ID, &a_own)); /* no round yet */
    struct txrecon_out o, o2;
    struct cursor c;
    assert_int_equal(begin_round(&p, &o), 7);
    assert_false(txrecon_solicited(p.b, B_ID, &b_own)); /* b sketched it */
    assert_false(txrecon_solicited(p.a, A_ID, &b_own));
    struct txrecon_sketch_msg sk;
    cursor_init(&c, o.payload.data, o.payload.len);
    assert_true(txrecon_sketch_decode(&c, &sk));
    txrecon_out_init(&o2);
    assert_int_equal(txrecon_on_sketch(p.a, A_ID, sk.data, sk.len, &o2), 0);
    txrecon_out_free(&o);
    assert_int_equal(o2.n_announce, 3);
    for (size_t i = 0; i < o2.n_announce; i++)
        assert_true(txrecon_solicited(p.b, B_ID, &o2.announce[i]));
    /* Beyond what it announced, a declared 7: 4 more pass, then none. */
    for (uint64_t i = 100; i < 104; i++) {
        struct hash256 h = nth(i);
        assert_true(txrecon_solicited(p.b, B_ID, &h));
    }
    struct hash256 extra = nth(104);
    assert_false(txrecon_solicited(p.b, B_ID, &extra));
    struct txrecon_diff_msg diff;
    cursor_init(&c, o2.payload.data, o2.payload.len);
    assert_true(txrecon_diff_decode(&c, &diff));
    txrecon_out_init(&o);
    assert_int_equal(txrecon_on_diff(p.b, B_ID, &diff, &o), 0);
    assert_int_equal(o.n_announce, 2); /* nth(3), nth(4) */
    for (size_t i = 0; i < o.n_announce; i++)
        assert_false(txrecon_solicited(p.a, A_ID, &o.announce[i]));
    struct hash256 late = nth(105);
    assert_false(txrecon_solicited(p.b, B_ID, &late)); /* the round is over */
    struct txrecon_counters cb;
    assert_true(txrecon_peer_counters(p.b, B_ID, &cb));
    assert_int_equal(cb.answers, 7);
    txrecon_diff_clear(&diff);
    txrecon_out_free(&o);
    txrecon_out_free(&o2);
    pair_free(&p);
}

/* Peers are found by id among many, added and removed in any order;
 * a removed peer's counters stay in the totals. */
static void test_many_peers(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct txrecon *t = txrecon_new(TXRECON_DEFAULT_Q);
    struct hash256 h = nth(1), other;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t id = i * 1000003 + 17;
        assert_int_equal(txrecon_peer_add(t, id, i % 3 == 0, i, ~i), 0);
        txrecon_count_bytes(t, id, true, (size_t)i);
        if (i % 2)
            assert_int_equal(txrecon_add(t, id, &h, &other), TXRECON_ADDED);
    }
    for (uint64_t i = 0; i < N; i += 4)
        txrecon_peer_remove(t, i * 1000003 + 17);
    for (uint64_t i = 0; i < N; i++) {
        uint64_t id = i * 1000003 + 17;
        bool gone = i % 4 == 0;
        assert_int_equal(txrecon_peer_registered(t, id), !gone);
        assert_int_equal(txrecon_we_initiate(t, id), !gone && i % 3 == 0);
        assert_int_equal(txrecon_set_size(t, id), gone ? 0 : i % 2);
        assert_false(txrecon_peer_registered(t, id + 1));
        if (!gone)
            assert_int_equal(txrecon_peer_add(t, id, true, 1, 2), -1);
    }
    struct txrecon_counters c;
    txrecon_totals(t, &c);
    assert_int_equal(c.bytes_sent, (uint64_t)N * (N - 1) / 2);
    txrecon_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_short_ids),
        cmocka_unit_test(test_disjoint_halves_one_round),
        cmocka_unit_test(test_small_difference),
        cmocka_unit_test(test_extension_then_success),
        cmocka_unit_test(test_extension_then_fallback),
        cmocka_unit_test(test_empty_responder),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_collision),
        cmocka_unit_test(test_q_from_round),
        cmocka_unit_test(test_adaptive_q),
        cmocka_unit_test(test_shown_during_round),
        cmocka_unit_test(test_solicited),
        cmocka_unit_test(test_many_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
