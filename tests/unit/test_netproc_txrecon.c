/* BIP330 reconciliation between netprocs on the in-memory network:
 * disjoint halves of 1000 transactions converge in one reconciliation
 * with one announcement per transaction and no duplicate payload; a
 * round whose sketch does not decode goes through reqsketchext and then
 * the fallback; a peer without sendtxrcncl (Bitcoin Core) still gets
 * every transaction by inv, and so does one that sent sendtxrcncl but
 * never reconciles (Bitcoin Core v26+) once its silence times out. And
 * anti-entropy's mempool sketches: a small
 * difference by sketch, a large one by the whole-list fallback. */
#include "tests/unit/netproc_harness.h"

#include "net/relay/txrecon.h"

/* Nodes 0 and 1 reconcile (0 dials 1, so 0 initiates); node 2, if any,
 * is a plain peer of node 0. */
static double recon_q;

static void recon_options(int i, struct netproc_options *o)
{
    if (i == 2)
        return;
    o->txrecon = true;
    o->txrecon_q = recon_q;
    o->txrecon_interval_us = SEC;
    o->policy.txrecon = true;
    o->policy.recon_flood = 0; /* nothing flooded to reconciling peers */
    /* Bitcoin Core's 2 s for inbound announcers stays (-fanout=0):
     * answers to a round are exempt. */
}

static void link_recon(int a, int b)
{
    struct net_peer_props pa = props_of((uint64_t)b + 1, false);
    struct net_peer_props pb = props_of((uint64_t)a + 1, true);
    pa.txrecon = pb.txrecon = true;
    pa.recon_salt_local = pb.recon_salt_remote = 0x1111;
    pa.recon_salt_remote = pb.recon_salt_local = 0x2222;
    net.n[a].linked[b] = net.n[b].linked[a] = true;
    netproc_connected(net.n[a].np, &pa, net.now);
    netproc_connected(net.n[b].np, &pb, net.now);
}

static void setup_ae(int count, double q, int64_t antientropy)
{
    recon_q = q;
    harness_options = q >= 0 ? recon_options : NULL;
    setup_net(count, antientropy);
    if (q >= 0)
        link_recon(0, 1);
    else
        link_nodes(0, 1);
    if (count > 2)
        link_nodes(0, 2);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
}

static void setup(int count, double q)
{
    setup_ae(count, q, 0);
}

/* A confirmed transaction with n outputs, each spent by one child. */
static struct tx *fan_out(size_t n)
{
    struct tx *parent = spend_coinbase(0, 1);
    struct outpoint op = {parent->txid, 0};
    tx_free(parent);
    const struct bindex_node *b1 = chainstate_at(net.n[0].cs, 1);
    char *err = NULL;
    struct block *blk = chainstate_get_block(net.n[0].cs, &b1->hash, &err);
    op.hash = blk->txs[0]->txid;
    block_free(blk);
    int64_t *outs = malloc(n * sizeof(*outs));
    for (size_t i = 0; i < n; i++)
        outs[i] = 4000000;
    struct tx *fan = testutil_spend(&op, 1, outs, n, 0);
    free(outs);
    mine_tx_at(0, fan);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    return fan;
}

/* Child k spends output k; submitted at node `at`. */
static struct tx *child(const struct tx *fan, size_t k, int at)
{
    struct outpoint op = {fan->txid, (uint32_t)k};
    int64_t out = fan->vout[k].value - 1000;
    struct tx *tx = testutil_spend(&op, 1, &out, 1, 0);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[at].np, tx, &rej, net.now), MEMPOOL_ACCEPTED);
    return tx;
}

static void counters(int i, uint64_t peer, struct txrecon_counters *c)
{
    assert_true(netproc_txrecon_peer(net.n[i].np, peer, c));
}

static void test_disjoint_halves(void **state)
{
    (void)state;
    setup(3, TXRECON_MAX_Q); /* disjoint sets: q = difference / smaller = 2 */
    struct tx *fan = fan_out(1000);
    struct tx **kids = malloc(1000 * sizeof(*kids));
    memset(net.inv_types, 0, sizeof(net.inv_types));
    for (size_t k = 0; k < 1000; k++)
        kids[k] = child(fan, k, k < 500 ? 0 : 1);
    /* The first round runs a second in; its answers are requested at
     * once: node 1 has node 0's half well before the 2 s delay. */
    int64_t start = net.now;
    run_until(start + 1500000);
    assert_int_equal(mempool_count(net.n[1].mp), 1000);
    run_until(start + 10 * SEC);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mempool_count(net.n[i].mp), 1000);
        struct netproc_info ni;
        netproc_get_info(net.n[i].np, &ni);
        /* Each node downloaded only what it lacked, once. */
        assert_int_equal(ni.txs_received, i == 0 ? 500 : i == 1 ? 500 : 1000);
    }
    struct txrecon_counters c0, c1;
    counters(0, 2, &c0);
    counters(1, 1, &c1);
    /* One decode found the whole difference. */
    assert_int_equal(c0.differences, 1000);
    assert_int_equal(c0.asked, 500);
    assert_int_equal(c0.announced, 500);
    assert_int_equal(c1.announced, 500);
    /* The responder took the initiator's 500 as the round's answer. */
    assert_int_equal(c1.answers, 500);
    assert_int_equal(c0.answers, 0);
    assert_int_equal(c0.decode_failures, 0);
    assert_int_equal(c0.extensions, 0);
    /* The initiator finishes a round a hop before the responder. */
    assert_true(c0.rounds >= 1 && c0.rounds - c1.rounds <= 1);
    assert_true(c1.sketch_bytes_sent > 4000 && c1.sketch_bytes_sent == c0.sketch_bytes_received);
    /* One inv entry per transaction between 0 and 1, and node 0 flooded
     * every one to its plain peer. */
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 2000);
    assert_false(netproc_txrecon_peer(net.n[0].np, 3, &c0));
    struct txrecon_counters tot;
    assert_true(netproc_txrecon_totals(net.n[1].np, &tot));
    assert_int_equal(tot.announced, 500);
    assert_false(netproc_txrecon_totals(net.n[2].np, &tot));
    for (size_t k = 0; k < 1000; k++)
        tx_free(kids[k]);
    free(kids);
    tx_free(fan);
    teardown_net();
}

static void test_extension_then_fallback(void **state)
{
    (void)state;
    setup(2, 0.0); /* the estimate says 1: capacity 2, then 4 */
    struct tx *fan = fan_out(20);
    struct tx *kids[20];
    for (size_t k = 0; k < 20; k++)
        kids[k] = child(fan, k, k < 10 ? 0 : 1);
    run_until(net.now + 10 * SEC);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mempool_count(net.n[i].mp), 20);
        struct netproc_info ni;
        netproc_get_info(net.n[i].np, &ni);
        assert_int_equal(ni.txs_received, 10);
    }
    struct txrecon_counters c0, c1;
    counters(0, 2, &c0);
    counters(1, 1, &c1);
    assert_int_equal(c0.decode_failures, 2);
    assert_int_equal(c0.extensions, 1);
    assert_int_equal(c1.extensions, 1);
    assert_int_equal(c0.fallbacks, 1);
    assert_int_equal(c1.fallbacks, 1);
    assert_int_equal(c0.announced, 10);
    assert_int_equal(c1.announced, 10);
    for (size_t k = 0; k < 20; k++)
        tx_free(kids[k]);
    tx_free(fan);
    teardown_net();
}

/* Both sides sent sendtxrcncl but no round message arrives (a Bitcoin
 * Core peer ignores them): after the timeout each side gives up and
 * announces by inv, the initiator (node 0) with a round unanswered, the
 * responder (node 1) never asked for one. */
static void test_silent_peer_falls_back(void **state)
{
    (void)state;
    setup(2, TXRECON_DEFAULT_Q);
    struct tx *fan = fan_out(5);
    struct tx *kids[5];
    net.drop_rounds = true;
    for (size_t k = 0; k < 4; k++)
        kids[k] = child(fan, k, k < 2 ? 0 : 1);
    run_until(net.now + 30 * SEC);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mempool_count(net.n[i].mp), 2); /* nothing by reconciliation */
    run_until(net.now + 60 * SEC);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mempool_count(net.n[i].mp), 4);
    struct txrecon_counters tot;
    assert_true(netproc_txrecon_totals(net.n[0].np, &tot));
    assert_int_equal(tot.fallbacks, 1);
    assert_int_equal(tot.announced, 2);
    assert_true(netproc_txrecon_totals(net.n[1].np, &tot));
    assert_int_equal(tot.fallbacks, 1);
    assert_int_equal(tot.announced, 2);
    assert_false(netproc_txrecon_peer(net.n[0].np, 2, &tot)); /* no longer reconciles */
    assert_false(netproc_txrecon_peer(net.n[1].np, 1, &tot));
    /* A new transaction goes by plain inv, and a late round message is
     * not held against the peer. */
    net.drop_rounds = false;
    kids[4] = child(fan, 4, 0);
    run_until(net.now + 10 * SEC);
    assert_int_equal(mempool_count(net.n[1].mp), 5);
    size_t misbehaving = net.misbehaving;
    static const uint8_t empty_sketch[1] = {0};
    struct net_msg m = {.cmd = PROTO_CMD_SKETCH, .payload = empty_sketch, .len = 1};
    netproc_message(net.n[0].np, 2, &m, net.now);
    assert_int_equal(net.misbehaving, misbehaving);
    for (size_t k = 0; k < 5; k++)
        tx_free(kids[k]);
    tx_free(fan);
    teardown_net();
}

/* Plain peers (no BIP330) with anti-entropy every 5 s, announcements
 * lost: each node holds its own `each` transactions; the digests differ
 * and the mempool sketch (or its fallback) repairs. */
static void antientropy_case(size_t each, bool want_fallback)
{
    setup_ae(2, -1, 5 * SEC);
    struct tx *fan = fan_out(2 * each);
    struct tx **kids = malloc(2 * each * sizeof(*kids));
    net.drop_inv = true;
    for (size_t k = 0; k < 2 * each; k++)
        kids[k] = child(fan, k, k < each ? 0 : 1);
    run_until(net.now + SEC);
    assert_int_equal(mempool_count(net.n[1].mp), each);
    net.drop_inv = false;
    run_until(net.now + 12 * SEC);
    struct netproc_info a, b;
    netproc_get_info(net.n[0].np, &a);
    netproc_get_info(net.n[1].np, &b);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mempool_count(net.n[i].mp), 2 * each);
    assert_true(a.recon_sketches + b.recon_sketches >= 1);
    if (want_fallback)
        assert_true(a.recon_fallbacks + b.recon_fallbacks >= 1);
    else
        assert_int_equal(a.recon_fallbacks + b.recon_fallbacks, 0);
    assert_int_equal(a.txs_received + b.txs_received, 2 * each); /* no duplicate */
    for (size_t k = 0; k < 2 * each; k++)
        tx_free(kids[k]);
    free(kids);
    tx_free(fan);
    teardown_net();
}

static void test_antientropy_sketch(void **state)
{
    (void)state;
    antientropy_case(1, false); /* 2 differences: within the margin */
}

static void test_antientropy_fallback(void **state)
{
    (void)state;
    antientropy_case(10, true); /* 20 differences, equal counts: margin 2 */
}

/* An hssketch that answers no digest of ours costs a peer nothing to
 * send and us a sketch of the whole mempool: ignored. */
static void test_antientropy_unsolicited_sketch(void **state)
{
    (void)state;
    setup_ae(2, -1, 0);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_u64(&w, 0x1234);
    uint8_t junk[40];
    memset(junk, 0x5a, sizeof(junk));
    txrecon_sketch_encode(&w, junk, sizeof(junk));
    struct net_msg m = {.cmd = PROTO_CMD_HSSKETCH, .payload = w.data, .len = w.len};
    netproc_message(net.n[0].np, 2, &m, net.now);
    wbuf_free(&w);
    struct netproc_info ni;
    netproc_get_info(net.n[0].np, &ni);
    assert_int_equal(ni.recon_fallbacks + ni.recon_items, 0);
    assert_int_equal(net.misbehaving, 0);
    teardown_net();
}

static void peer2_sends(enum proto_cmd cmd, const void *payload, size_t len)
{
    struct net_msg m = {.cmd = cmd, .payload = payload, .len = len};
    netproc_message(net.n[0].np, 2, &m, net.now);
}

/* A BIP330 or hearsay reconciliation message that cannot be read is
 * dropped and logged, the peer kept, as Core drops any message it cannot
 * read; an hsinv over its explicit limit is misbehaviour, as Core's inv
 * over MAX_INV_SZ. */
static void test_malformed_round_dropped(void **state)
{
    setup_ae(2, 0.02, 5 * SEC);
    uint8_t two_ids_short[1 + 32] = {2};
    static const uint8_t too_many[] = {0xfd, 0x51, 0xc3}; /* 50001 */
    peer2_sends(PROTO_CMD_REQRECON, "\x01", 1);
    peer2_sends(PROTO_CMD_SKETCH, "\x05", 1);
    peer2_sends(PROTO_CMD_RECONCILDIFF, "", 0);
    peer2_sends(PROTO_CMD_HSDIGEST, "\x01", 1);
    peer2_sends(PROTO_CMD_HSINV, two_ids_short, sizeof(two_ids_short));
    peer2_sends(PROTO_CMD_HSSKETCH, "\x01", 1);
    peer2_sends(PROTO_CMD_HSASK, "", 0);
    assert_int_equal(net.misbehaving, 0);
    assert_int_equal(net.ndropped, 0);
    peer2_sends(PROTO_CMD_HSINV, too_many, sizeof(too_many));
    assert_int_equal(net.misbehaving, 1);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disjoint_halves),
        cmocka_unit_test(test_extension_then_fallback),
        cmocka_unit_test(test_silent_peer_falls_back),
        cmocka_unit_test(test_antientropy_sketch),
        cmocka_unit_test(test_antientropy_fallback),
        cmocka_unit_test(test_antientropy_unsolicited_sketch),
        cmocka_unit_test(test_malformed_round_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
