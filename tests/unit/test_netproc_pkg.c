/* Opportunistic 1-parent-1-child package relay (Bitcoin Core v28) over the
 * in-memory network: node 0 hears a parent below the minimum relay fee
 * and its fee-paying child from fake peers, in either order; the pair
 * enters its mempool and reaches node 1 (which pairs them the same way).
 * A child from another peer is not paired, and a pair that still does not
 * pay stays out; a parent too poor to replace alone does with its child. */
#include "tests/unit/netproc_harness.h"

#define FAKE2 (FAKE + 1)

/* Node 0 linked to node 1, coinbases mature, the fake peers connected to
 * node 0 as its outbound peers. */
static void setup_pkg(void)
{
    setup_net(2, 0);
    link_nodes(0, 1);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    for (uint64_t id = FAKE; id <= FAKE2; id++) {
        connect_fake(id, false);
    }
}

/* A spend of node 0's coinbase at height h paying fee. */
static struct tx *coinbase_spend(int h, int64_t fee)
{
    const struct bindex_node *n = chainstate_at(net.n[0].cs, h);
    char *err = NULL;
    struct block *b = chainstate_get_block(net.n[0].cs, &n->hash, &err);
    assert_non_null(b);
    struct outpoint op = {b->txs[0]->txid, 0};
    int64_t out = b->txs[0]->vout[0].value - fee;
    block_free(b);
    return testutil_spend(&op, 1, &out, 1, 0);
}

/* Paying no fee: below the minimum relay fee alone. */
static struct tx *free_parent(int h)
{
    return coinbase_spend(h, 0);
}

/* setup_pkg, a free parent and its child paying 20,000 sat. */
static void setup_pair(struct tx **parent, struct tx **child)
{
    setup_pkg();
    *parent = free_parent(1);
    *child = spend_output(*parent, 20000);
}

static bool in_pool(int i, const struct tx *tx)
{
    return mempool_get(net.n[i].mp, &tx->txid) != NULL;
}

static size_t orphans(int i)
{
    struct netproc_info info;
    netproc_get_info(net.n[i].np, &info);
    return info.orphans;
}

/* The orphan's parent is asked of the peer that sent the orphan (txid
 * requests wait 2 s beside BIP339 peers). */
static void expect_parent_requested(void)
{
    uint64_t before = net.fake_getdata;
    run_until(net.now + 3 * SEC);
    assert_true(net.fake_getdata > before);
}

/* Peer id sends the parent (again): the pair enters node 0 at once, then
 * node 1, which pairs them the same way. Ends the test. */
static void parent_completes(uint64_t id, struct tx *parent, struct tx *child)
{
    peer_sends_tx(id, parent);
    assert_true(in_pool(0, parent));
    assert_true(in_pool(0, child));
    run_until(net.now + 20 * SEC);
    for (int i = 0; i < 2; i++) {
        assert_true(in_pool(i, parent));
        assert_true(in_pool(i, child));
        assert_int_equal(orphans(i), 0);
    }
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

static void test_parent_then_child(void **state)
{
    struct tx *parent, *child;
    setup_pair(&parent, &child);
    peer_sends_tx(FAKE, parent);
    assert_false(in_pool(0, parent)); /* alone it does not pay */
    peer_sends_tx(FAKE, child);
    assert_int_equal(orphans(0), 1);
    /* Refused on its feerate only, the parent is fetched again. */
    expect_parent_requested();
    parent_completes(FAKE, parent, child);
}

static void test_child_then_parent(void **state)
{
    struct tx *parent, *child;
    setup_pair(&parent, &child);
    peer_sends_tx(FAKE, child);
    expect_parent_requested();
    parent_completes(FAKE, parent, child);
}

/* The child came from another peer: the parent is not paired with it,
 * and stays out; once the child's own peer sends the parent, the pair
 * enters. */
static void test_child_from_other_peer(void **state)
{
    struct tx *parent, *child;
    setup_pair(&parent, &child);
    peer_sends_tx(FAKE2, child);
    peer_sends_tx(FAKE, parent);
    run_until(net.now + 5 * SEC);
    assert_false(in_pool(0, parent));
    assert_false(in_pool(0, child));
    assert_false(in_pool(1, parent));
    assert_int_equal(orphans(0), 1);
    parent_completes(FAKE2, parent, child);
}

/* A child paying too little for both: neither enters, and the child
 * waits as an orphan (Core's package-fee-too-low leaves it there). The
 * same peer's better child then carries the parent. */
static void test_pair_still_low(void **state)
{
    setup_pkg();
    struct tx *parent = free_parent(1);
    struct tx *cheap = spend_output(parent, 10);
    peer_sends_tx(FAKE, parent);
    peer_sends_tx(FAKE, cheap);
    expect_parent_requested();
    peer_sends_tx(FAKE, parent);
    assert_false(in_pool(0, parent));
    assert_false(in_pool(0, cheap));
    assert_int_equal(orphans(0), 1);
    struct tx *rich = spend_output(parent, 30000);
    peer_sends_tx(FAKE, rich);
    expect_parent_requested();
    peer_sends_tx(FAKE, parent);
    assert_true(in_pool(0, parent));
    assert_true(in_pool(0, rich));
    assert_false(in_pool(0, cheap));
    run_until(net.now + 20 * SEC);
    assert_true(in_pool(1, rich));
    tx_free(parent);
    tx_free(cheap);
    tx_free(rich);
    teardown_net();
}

/* A package replacement: the parent alone pays too little to replace
 * what the mempool holds ("insufficient fee", reconsiderable too), its
 * child pays for both; the pair evicts the old spend at both nodes. */
static void test_package_replacement(void **state)
{
    setup_pkg();
    struct tx *old = coinbase_spend(1, 10000);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[0].np, old, &rej, net.now), MEMPOOL_ACCEPTED);
    run_until(net.now + 10 * SEC);
    assert_true(in_pool(1, old));
    struct tx *parent = coinbase_spend(1, 5000);
    struct tx *child = spend_output(parent, 200000);
    peer_sends_tx(FAKE, parent);
    assert_false(in_pool(0, parent));
    peer_sends_tx(FAKE, child);
    expect_parent_requested();
    assert_true(in_pool(0, old));
    peer_sends_tx(FAKE, parent);
    assert_false(in_pool(0, old));
    run_until(net.now + 20 * SEC);
    assert_false(in_pool(1, old));
    assert_true(in_pool(1, parent));
    assert_true(in_pool(1, child));
    tx_free(old);
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

/* Two parents refused on their feerate: one package cannot complete the
 * child, which is not kept but rejected (Core's fRejectedParents). */
static void test_two_low_parents(void **state)
{
    setup_pkg();
    struct tx *p1 = free_parent(1), *p2 = free_parent(2);
    peer_sends_tx(FAKE, p1);
    peer_sends_tx(FAKE, p2);
    struct outpoint ops[2] = {{p1->txid, 0}, {p2->txid, 0}};
    int64_t out = p1->vout[0].value + p2->vout[0].value - 50000;
    struct tx *child = testutil_spend(ops, 2, &out, 1, 0);
    peer_sends_tx(FAKE, child);
    assert_int_equal(orphans(0), 0);
    assert_false(in_pool(0, child));
    assert_true(relay_is_rejected(netproc_relay(net.n[0].np), &child->txid));
    tx_free(p1);
    tx_free(p2);
    tx_free(child);
    teardown_net();
}

/* Bitcoin Core's fRejectedParents: a child of a rejected transaction
 * (here one spending more than its input) is not kept as an orphan and
 * its parent is not asked for; its ids join the rejects, so the child
 * is not fetched again when another peer announces it. */
static void test_rejected_parent(void **state)
{
    setup_pkg();
    struct tx *bad = coinbase_spend(1, -1000);
    peer_sends_tx(FAKE, bad);
    assert_false(in_pool(0, bad));
    struct tx *child = spend_output(bad, 20000);
    peer_sends_tx(FAKE, child);
    assert_int_equal(orphans(0), 0);
    const struct relay *r = netproc_relay(net.n[0].np);
    assert_true(relay_is_rejected(r, &child->txid));
    uint64_t before = net.fake_getdata;
    run_until(net.now + 3 * SEC);
    assert_int_equal(net.fake_getdata, before); /* the parent is not fetched */
    tx_free(bad);
    tx_free(child);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parent_then_child),
        cmocka_unit_test(test_child_then_parent),
        cmocka_unit_test(test_child_from_other_peer),
        cmocka_unit_test(test_pair_still_low),
        cmocka_unit_test(test_package_replacement),
        cmocka_unit_test(test_two_low_parents),
        cmocka_unit_test(test_rejected_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
