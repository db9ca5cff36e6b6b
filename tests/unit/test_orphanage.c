/* The orphan pool as Bitcoin Core v30's TxOrphanage: announcers, the
 * latency and weight limits and which peer's announcements they trim,
 * erasure by peer and by block, work sets, children from one peer and
 * the outpoint index. */
#include "net/sync/orphanage.h"

#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define SEED 7

/* An outpoint of a transaction nobody has, told apart by tag. */
static struct outpoint fake_op(uint32_t tag, uint32_t n)
{
    struct outpoint op = {{{0}}, n};
    op.hash.b[0] = (uint8_t)tag;
    op.hash.b[1] = (uint8_t)(tag >> 8);
    op.hash.b[2] = 0xee;
    return op;
}

/* A transaction spending ins, padded by pad bytes, with nout outputs. */
static struct tx *spend(const struct outpoint *ins, size_t nin, size_t nout, size_t pad)
{
    int64_t outs[4] = {1000, 1000, 1000, 1000};
    assert_true(nout <= 4);
    return testutil_spend(ins, nin, outs, nout, pad);
}

static struct tx *orphan_of(uint32_t tag)
{
    struct outpoint op = fake_op(tag, 0);
    return spend(&op, 1, 1, 0);
}

static void free_all(struct tx **txs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
}

static size_t count(const struct orphanage *o)
{
    struct orphanage_stats s;
    orphanage_get_stats(o, &s);
    return s.orphans;
}

static void test_add_and_announcers(void **state)
{
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE,
                                        ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    struct tx *a = orphan_of(1);
    assert_true(orphanage_add(o, a, 1));
    assert_ptr_equal(orphanage_get(o, &a->wtxid), a);
    assert_false(orphanage_add(o, a, 1)); /* the same pair */
    assert_false(orphanage_add(o, a, 2)); /* not new: a second announcer */
    assert_false(orphanage_add_announcer(o, &a->wtxid, 2));
    assert_true(orphanage_add_announcer(o, &a->wtxid, 3));
    struct tx *b = orphan_of(2);
    assert_false(orphanage_add_announcer(o, &b->wtxid, 3)); /* not held */
    assert_null(orphanage_get(o, &b->wtxid));
    struct orphanage_stats s;
    orphanage_get_stats(o, &s);
    assert_int_equal(s.orphans, 1);
    assert_int_equal(s.announcements, 3);
    assert_int_equal(s.peers, 3);
    assert_int_equal(s.latency_score, 3);
    assert_int_equal(s.weight, (int64_t)tx_weight(a)); /* counted once */
    struct orphanage_peer_stats ps;
    orphanage_peer_stats(o, 2, &ps);
    assert_int_equal(ps.announcements, 1);
    assert_int_equal(ps.weight, (int64_t)tx_weight(a));
    assert_true(orphanage_has_announcer(o, &a->wtxid, 3));
    assert_false(orphanage_has_announcer(o, &a->wtxid, 4));
    /* Heavier than a standard transaction: not kept. */
    struct outpoint op = fake_op(3, 0);
    struct tx *heavy = spend(&op, 1, 1, 100000);
    assert_true(tx_weight(heavy) > ORPHANAGE_MAX_TX_WEIGHT);
    assert_false(orphanage_add(o, heavy, 1));
    assert_int_equal(count(o), 1);
    /* Many inputs weigh on the latency score: 1 more per 10. */
    struct outpoint ins[25];
    for (uint32_t i = 0; i < 25; i++)
        ins[i] = fake_op(100 + i, i);
    struct tx *wide = spend(ins, 25, 1, 0);
    assert_true(orphanage_add(o, wide, 1));
    orphanage_get_stats(o, &s);
    assert_int_equal(s.latency_score, 3 + 3);
    assert_true(orphanage_erase(o, &a->wtxid));
    assert_false(orphanage_erase(o, &a->wtxid));
    orphanage_get_stats(o, &s);
    assert_int_equal(s.announcements, 1);
    assert_int_equal(s.peers, 1);
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    free_all((struct tx *[]){a, b, heavy, wide}, 4);
}

/* A peer's departure takes its announcements: what another peer also
 * announced stays. */
static void test_erase_for_peer(void **state)
{
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE,
                                        ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    struct tx *shared = orphan_of(1), *own = orphan_of(2);
    orphanage_add(o, shared, 1);
    orphanage_add(o, own, 1);
    orphanage_add_announcer(o, &shared->wtxid, 2);
    orphanage_erase_for_peer(o, 1);
    assert_non_null(orphanage_get(o, &shared->wtxid));
    assert_null(orphanage_get(o, &own->wtxid));
    struct orphanage_peer_stats ps;
    orphanage_peer_stats(o, 1, &ps);
    assert_int_equal(ps.announcements, 0);
    orphanage_erase_for_peer(o, 2);
    assert_int_equal(count(o), 0);
    orphanage_erase_for_peer(o, 3); /* unknown: nothing */
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    tx_free(shared);
    tx_free(own);
}

/* Over the latency limit, a lone peer loses its oldest announcement. */
static void test_latency_limit(void **state)
{
    struct orphanage *o = orphanage_new(30, ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    struct tx *txs[31];
    for (uint32_t i = 0; i < 31; i++) {
        txs[i] = orphan_of(i);
        assert_true(orphanage_add(o, txs[i], 1));
    }
    assert_int_equal(count(o), 30);
    assert_null(orphanage_get(o, &txs[0]->wtxid));
    assert_non_null(orphanage_get(o, &txs[1]->wtxid));
    for (int i = 0; i < 31; i++)
        tx_free(txs[i]);
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
}

/* The trimmed peer is the one over its share: here the flooder, down to
 * the pool's limit; the other keeps its few. Between equal scores the
 * newer peer (higher id) goes first. */
static void test_trim_worst_peer(void **state)
{
    struct orphanage *o = orphanage_new(30, ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    struct tx *honest[5], *flood[40];
    for (uint32_t i = 0; i < 5; i++) {
        honest[i] = orphan_of(i);
        orphanage_add(o, honest[i], 1);
    }
    for (uint32_t i = 0; i < 40; i++) {
        flood[i] = orphan_of(100 + i);
        orphanage_add(o, flood[i], 2);
    }
    assert_int_equal(count(o), 30);
    for (int i = 0; i < 5; i++)
        assert_non_null(orphanage_get(o, &honest[i]->wtxid));
    for (int i = 0; i < 40; i++)
        assert_true((orphanage_get(o, &flood[i]->wtxid) != NULL) == (i >= 15));
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    /* A tie: two peers with two each over a limit of 3 (shares of 1). */
    o = orphanage_new(3, ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    orphanage_add(o, honest[0], 1);
    orphanage_add(o, flood[0], 2);
    orphanage_add(o, honest[1], 1);
    orphanage_add(o, flood[1], 2);
    assert_int_equal(count(o), 3);
    assert_null(orphanage_get(o, &flood[0]->wtxid));
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    for (int i = 0; i < 5; i++)
        tx_free(honest[i]);
    for (int i = 0; i < 40; i++)
        tx_free(flood[i]);
}

/* Over the weight limit (reserved weight times the peers), the peer
 * using the most of its reservation loses its oldest. */
static void test_weight_limit(void **state)
{
    struct tx *small = orphan_of(1), *big[6];
    for (uint32_t i = 0; i < 6; i++) {
        struct outpoint op = fake_op(10 + i, 0);
        big[i] = spend(&op, 1, 1, 2000);
    }
    int64_t w = (int64_t)tx_weight(big[0]);
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE, 2 * w, SEED);
    orphanage_add(o, small, 1);
    for (int i = 0; i < 6; i++)
        orphanage_add(o, big[i], 2);
    struct orphanage_stats s;
    orphanage_get_stats(o, &s);
    assert_true(s.weight <= 4 * w);
    assert_non_null(orphanage_get(o, &small->wtxid));
    assert_null(orphanage_get(o, &big[0]->wtxid));
    assert_non_null(orphanage_get(o, &big[5]->wtxid));
    /* The departure of a peer lowers the limit: trimmed again. */
    orphanage_erase_for_peer(o, 1);
    orphanage_get_stats(o, &s);
    assert_true(s.weight <= 2 * w);
    assert_non_null(orphanage_get(o, &big[5]->wtxid));
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    tx_free(small);
    for (int i = 0; i < 6; i++)
        tx_free(big[i]);
}

/* An orphan in a work set is trimmed after its peer's others. */
static void test_trim_spares_work(void **state)
{
    struct outpoint pop = fake_op(50, 0);
    struct tx *parent = spend(&pop, 1, 1, 0);
    struct outpoint cop = {parent->txid, 0};
    struct tx *child = spend(&cop, 1, 1, 0), *b = orphan_of(1), *c = orphan_of(2);
    struct tx *d = orphan_of(3);
    struct orphanage *o = orphanage_new(3, ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    orphanage_add(o, child, 1);
    orphanage_add(o, b, 1);
    orphanage_add(o, c, 1);
    assert_int_equal(orphanage_add_children_to_work_set(o, parent), 1);
    orphanage_add(o, d, 1);
    assert_non_null(orphanage_get(o, &child->wtxid));
    assert_null(orphanage_get(o, &b->wtxid));
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    tx_free(parent);
    tx_free(child);
    tx_free(b);
    tx_free(c);
    tx_free(d);
}

/* A block takes out the orphans it includes and those spending what one
 * of its transactions spends; another output of the same parent is not
 * a conflict. */
static void test_erase_for_block(void **state)
{
    struct outpoint p0 = fake_op(1, 0), p1 = fake_op(1, 1), q0 = fake_op(2, 0);
    struct tx *x = spend(&p0, 1, 1, 0), *y = spend(&q0, 1, 1, 0), *z = spend(&p1, 1, 1, 0);
    struct tx *rival = spend(&p0, 1, 2, 0); /* spends what x spends */
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE,
                                        ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    orphanage_add(o, x, 1);
    orphanage_add(o, y, 1);
    orphanage_add(o, z, 2);
    struct tx *txs1[] = {rival};
    struct block b1 = {.tx_count = 1, .txs = txs1};
    assert_int_equal(orphanage_erase_for_block(o, &b1), 1);
    assert_null(orphanage_get(o, &x->wtxid));
    assert_non_null(orphanage_get(o, &z->wtxid));
    struct tx *txs2[] = {y, z};
    struct block b2 = {.tx_count = 2, .txs = txs2};
    assert_int_equal(orphanage_erase_for_block(o, &b2), 2);
    assert_int_equal(count(o), 0);
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    tx_free(x);
    tx_free(y);
    tx_free(z);
    tx_free(rival);
}

/* A parent entering the mempool puts each child in one announcer's work
 * set, once, found by the outpoints: only those spending its outputs. */
static void test_work_set(void **state)
{
    struct outpoint pop = fake_op(9, 0);
    struct tx *parent = spend(&pop, 1, 2, 0);
    struct outpoint c1 = {parent->txid, 1}, other = {parent->txid, 5};
    struct tx *child = spend(&c1, 1, 1, 0), *stranger = spend(&other, 1, 1, 0);
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE,
                                        ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    for (uint64_t peer = 1; peer <= 3; peer++)
        orphanage_add(o, child, peer);
    orphanage_add(o, stranger, 1); /* spends an output parent does not have */
    assert_int_equal(orphanage_add_children_to_work_set(o, parent), 1);
    assert_int_equal(orphanage_add_children_to_work_set(o, parent), 0); /* already waiting */
    uint64_t worker = 0;
    for (uint64_t peer = 1; peer <= 3; peer++)
        if (orphanage_has_work(o, peer)) {
            assert_int_equal(worker, 0);
            worker = peer;
        }
    assert_int_not_equal(worker, 0);
    struct tx *got = orphanage_take_work(o, worker);
    assert_ptr_equal(got, child);
    tx_free(got);
    assert_false(orphanage_has_work(o, worker));
    assert_null(orphanage_take_work(o, worker));
    assert_non_null(orphanage_get(o, &child->wtxid)); /* still held */
    /* The worker leaving before its turn: the orphan goes back to work
     * with the others. */
    assert_int_equal(orphanage_add_children_to_work_set(o, parent), 1);
    uint64_t again = 0;
    for (uint64_t peer = 1; peer <= 3; peer++)
        if (orphanage_has_work(o, peer))
            again = peer;
    orphanage_erase_for_peer(o, again);
    assert_int_equal(orphanage_add_children_to_work_set(o, parent), 1);
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    tx_free(parent);
    tx_free(child);
    tx_free(stranger);
}

/* Core's GetChildrenFromSamePeer: the peer's children of parent, those
 * awaiting reconsideration first, then newest first. */
static void test_children_from_peer(void **state)
{
    struct outpoint pop = fake_op(9, 0), rop = fake_op(10, 0);
    struct tx *parent = spend(&pop, 1, 3, 0), *other = spend(&rop, 1, 1, 0);
    struct outpoint o0 = {parent->txid, 0}, o2 = {parent->txid, 2};
    struct outpoint both[2] = {{parent->txid, 1}, {other->txid, 0}};
    struct tx *c1 = spend(&o0, 1, 1, 0), *c2 = spend(both, 2, 1, 0), *c3 = spend(&o2, 1, 1, 0);
    struct tx *c4 = spend(&o0, 1, 2, 0), *unrelated = orphan_of(1);
    struct orphanage *o = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE,
                                        ORPHANAGE_RESERVED_WEIGHT_PER_PEER, SEED);
    orphanage_add(o, c1, 1);
    orphanage_add(o, c2, 1);
    orphanage_add(o, unrelated, 1);
    orphanage_add(o, c3, 1);
    orphanage_add(o, c4, 2);
    struct tx *out[8];
    assert_int_equal(orphanage_children_from_peer(o, parent, 1, out, 8), 3);
    assert_ptr_equal(out[0], c3);
    assert_ptr_equal(out[1], c2);
    assert_ptr_equal(out[2], c1);
    assert_int_equal(orphanage_add_children_to_work_set(o, other), 1); /* c2 */
    assert_int_equal(orphanage_children_from_peer(o, parent, 1, out, 8), 3);
    assert_ptr_equal(out[0], c2);
    assert_ptr_equal(out[1], c3);
    assert_ptr_equal(out[2], c1);
    assert_int_equal(orphanage_children_from_peer(o, parent, 1, out, 1), 1);
    assert_int_equal(orphanage_children_from_peer(o, parent, 2, out, 8), 1);
    assert_ptr_equal(out[0], c4);
    assert_int_equal(orphanage_children_from_peer(o, parent, 3, out, 8), 0);
    assert_int_equal(orphanage_check(o), 0);
    orphanage_free(o);
    free_all((struct tx *[]){parent, other, c1, c2, c3, c4, unrelated}, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_announcers), cmocka_unit_test(test_erase_for_peer),
        cmocka_unit_test(test_latency_limit),      cmocka_unit_test(test_trim_worst_peer),
        cmocka_unit_test(test_weight_limit),       cmocka_unit_test(test_trim_spares_work),
        cmocka_unit_test(test_erase_for_block),    cmocka_unit_test(test_work_set),
        cmocka_unit_test(test_children_from_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
