/* netproc driven over an in-memory network: real chainstates (temporary
 * LevelDB directories) and mempools, messages encoded as on the wire and
 * decoded as connman would, a fake clock. Checks block propagation
 * (headers-first), transaction relay without duplicate downloads, orphans
 * and their parents (asked of every announcer), catch-up after a
 * partition (headers sync + BIP35), anti-entropy repairing what gossip
 * missed, getdata service and block download (stalls, which peers);
 * headers and block announcements are in test_netproc_headers.c. */
#include "tests/unit/netproc_harness.h"

#include "net/sync/orphanage.h"

static void test_blocks_line(void **state)
{
    setup_net(3, 0);
    link_nodes(0, 1);
    link_nodes(1, 2);
    mine_at(0, 5);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    assert_int_equal(chainstate_height(net.n[2].cs), 5);
    teardown_net();
}

static void test_late_joiner_and_txs(void **state)
{
    setup_net(4, 0);
    link_nodes(0, 1);
    link_nodes(1, 2);
    mine_at(0, 102);
    run_until(net.now + 30 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 102);
    link_nodes(2, 3); /* node 3 starts from genesis */
    run_until(net.now + 30 * SEC);
    assert_same_tip();

    struct tx *tx = submit_spend(0, 1);
    run_until(net.now + 30 * SEC);
    for (int i = 0; i < 4; i++) {
        assert_non_null(mempool_get(net.n[i].mp, &tx->txid));
        struct netproc_info info;
        netproc_get_info(net.n[i].np, &info);
        /* Nobody downloads the payload twice. */
        assert_int_equal(info.txs_received, i == 0 ? 0 : 1);
    }
    /* A block confirming it empties every mempool. */
    mine_tx_at(0, tx);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    for (int i = 0; i < 4; i++)
        assert_int_equal(mempool_count(net.n[i].mp), 0);
    tx_free(tx);
    teardown_net();
}

static void test_orphan_parent_requested(void **state)
{
    setup_net(2, 0);
    link_nodes(0, 1);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    struct net_peer_props fp = props_of(FAKE, false);
    netproc_connected(net.n[1].np, &fp, net.now);
    struct tx *parent = spend_coinbase(0, 1);
    struct tx *child = spend_output(parent, 10000);
    /* The fake peer pushes the child alone: an orphan. */
    io_send((void *)(intptr_t)-1, 2, PROTO_CMD_TX, child->raw, child->size); /* fake -> node 1 */
    run_until(net.now + 3 * SEC); /* txid requests wait 2 s beside BIP339 peers */
    struct netproc_info info;
    netproc_get_info(net.n[1].np, &info);
    assert_int_equal(info.orphans, 1);
    assert_null(mempool_get(net.n[1].mp, &child->txid));
    /* Its parent was requested from the announcer. */
    assert_true(net.fake_getdata >= 1);
    /* The parent arrives: both enter, and node 0 gets both. */
    io_send((void *)(intptr_t)-1, 2, PROTO_CMD_TX, parent->raw, parent->size); /* fake -> node 1 */
    run_until(net.now + 10 * SEC);
    netproc_get_info(net.n[1].np, &info);
    assert_int_equal(info.orphans, 0);
    for (int i = 0; i < 2; i++) {
        assert_non_null(mempool_get(net.n[i].mp, &parent->txid));
        assert_non_null(mempool_get(net.n[i].mp, &child->txid));
    }
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

/* Sends node n's fake peer a tx spending output 0 of a tx nobody has. */
static struct tx *send_orphan(int n, uint32_t tag, size_t pad)
{
    struct outpoint op = {{{0}}, 0};
    op.hash.b[0] = (uint8_t)tag;
    op.hash.b[1] = 0xee;
    int64_t out = 1000000;
    struct tx *tx = testutil_spend(&op, 1, &out, 1, pad);
    io_send((void *)(intptr_t)-1, (uint64_t)n + 1, PROTO_CMD_TX, tx->raw, tx->size);
    return tx;
}

static size_t orphan_count(int n)
{
    struct netproc_info info;
    netproc_get_info(net.n[n].np, &info);
    return info.orphans;
}

/* As Bitcoin Core: a tx, block or BIP152 message that cannot be read is
 * dropped, the peer not punished; bytes after a transaction are ignored;
 * a notfound over NETPROC_MAX_NOTFOUND entries is ignored. */
static void test_malformed_dropped(void **state)
{
    setup_net(1, 0);
    mine_at(0, 101);
    connect_fake(FAKE, false);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, "\x02\x00\x00\x00\xff", 5);
    const enum proto_cmd cmds[] = {PROTO_CMD_TX, PROTO_CMD_BLOCK, PROTO_CMD_CMPCTBLOCK,
                                   PROTO_CMD_GETBLOCKTXN, PROTO_CMD_BLOCKTXN};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        peer_sends(FAKE, cmds[i], &w);
    assert_int_equal(net.misbehaving, 0);
    struct tx *tx = spend_coinbase(0, 1);
    wbuf_reset(&w);
    wbuf_bytes(&w, tx->raw, tx->size);
    wbuf_bytes(&w, "future", 6);
    peer_sends(FAKE, PROTO_CMD_TX, &w);
    assert_non_null(mempool_get(net.n[0].mp, &tx->txid));
    assert_int_equal(net.misbehaving, 0);
    tx_free(tx);
    /* A notfound longer than a peer could be answering: ignored. */
    struct proto_inv *items = calloc(NETPROC_MAX_NOTFOUND + 1, sizeof(*items));
    for (size_t i = 0; i <= NETPROC_MAX_NOTFOUND; i++)
        items[i].type = PROTO_INV_WTX;
    struct relay_info ri;
    for (size_t n = NETPROC_MAX_NOTFOUND; n <= NETPROC_MAX_NOTFOUND + 1; n++) {
        wbuf_reset(&w);
        proto_inv_encode(&w, items, n);
        peer_sends(FAKE, PROTO_CMD_NOTFOUND, &w);
    }
    relay_get_info(netproc_relay(net.n[0].np), &ri);
    assert_int_equal(ri.totals.notfound, NETPROC_MAX_NOTFOUND);
    /* Entries of other types are none of Core's NOTFOUND business. */
    items[0].type = PROTO_INV_WTX | PROTO_INV_WITNESS_FLAG;
    items[1].type = PROTO_INV_BLOCK;
    wbuf_reset(&w);
    proto_inv_encode(&w, items, 2);
    peer_sends(FAKE, PROTO_CMD_NOTFOUND, &w);
    relay_get_info(netproc_relay(net.n[0].np), &ri);
    assert_int_equal(ri.totals.notfound, NETPROC_MAX_NOTFOUND);
    free(items);
    wbuf_free(&w);
    teardown_net();
}

/* Bitcoin Core v30's orphan rules: none heavier than a standard
 * transaction; a departed peer's orphans leave with it, not another's;
 * no expiry; a block holding an orphan takes it out. */
static void test_orphan_limits(void **state)
{
    setup_net(1, 0);
    mine_at(0, 101);
    struct net_peer_props fp = props_of(FAKE, false);
    netproc_connected(net.n[0].np, &fp, net.now);
    connect_fake(FAKE + 1, true);
    struct tx *heavy = send_orphan(0, 1, 100000);
    assert_true(tx_weight(heavy) > ORPHANAGE_MAX_TX_WEIGHT);
    struct tx *light = send_orphan(0, 2, 0);
    run_until(net.now + SEC);
    assert_int_equal(orphan_count(0), 1);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    assert_int_equal(orphan_count(0), 0);
    /* Another peer's departure leaves FAKE's orphan, and so does time. */
    netproc_connected(net.n[0].np, &fp, net.now);
    struct tx *kept = send_orphan(0, 3, 0);
    run_until(net.now + SEC);
    assert_int_equal(orphan_count(0), 1);
    netproc_disconnected(net.n[0].np, FAKE + 1, net.now);
    run_until(net.now + 3600 * SEC);
    netproc_tick(net.n[0].np, net.now);
    assert_int_equal(orphan_count(0), 1);
    /* A block with the orphan and its parent: out of the pool. */
    struct tx *parent = spend_coinbase(0, 1);
    struct tx *child = spend_output(parent, 10000);
    peer_sends_tx(FAKE, child);
    assert_int_equal(orphan_count(0), 2);
    struct tx *both[] = {parent, child};
    submit(0, mine(0, both, 2));
    assert_int_equal(orphan_count(0), 1);
    tx_free(heavy);
    tx_free(light);
    tx_free(kept);
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

/* Node 0 with outbound fake peers FAKE and FAKE + 1, and a parent
 * (spending a coinbase) and child nobody has yet. */
static void two_peers_and_a_pair(struct tx **parent, struct tx **child)
{
    setup_net(1, 0);
    mine_at(0, 101);
    connect_fake(FAKE, false);
    connect_fake(FAKE + 1, false);
    *parent = spend_coinbase(0, 1);
    *child = spend_output(*parent, 10000);
}

/* A second peer announcing an orphan by wtxid becomes its announcer
 * (Core v30): the parent is asked of it, and the orphan outlives the
 * peer that sent it. */
static void test_orphan_announcers(void **state)
{
    struct tx *parent, *child;
    two_peers_and_a_pair(&parent, &child);
    peer_sends_tx(FAKE, child);
    assert_int_equal(orphan_count(0), 1);
    struct proto_inv it = {PROTO_INV_WTX, child->wtxid};
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &it, 1);
    peer_sends(FAKE + 1, PROTO_CMD_INV, &w);
    wbuf_free(&w);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    assert_int_equal(orphan_count(0), 1);
    size_t asked = net.fake_getdata;
    run_until(net.now + 10 * SEC);
    assert_true(net.fake_getdata > asked); /* the parent, of FAKE + 1 */
    peer_sends_tx(FAKE + 1, parent);
    assert_non_null(mempool_get(net.n[0].mp, &child->txid));
    assert_int_equal(orphan_count(0), 0);
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

static void two_announcements_per_peer(int i, struct netproc_options *o)
{
    o->policy.max_announced = 2;
}

static void announce_wtxids(uint64_t id, const struct proto_inv *items, size_t n)
{
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, n);
    peer_sends(id, PROTO_CMD_INV, &w);
    wbuf_free(&w);
}

/* Core's MaybeAddOrphanResolutionCandidate: a peer is a candidate for an
 * orphan only while asking it for all the missing parents keeps it within
 * its announcement cap. One at its cap sends an orphan: not kept (no
 * other candidate), its parent not asked; another with room sends it:
 * kept. The first then announcing it is made no announcer, so the orphan
 * goes with the second. */
static void test_orphan_candidate_cap(void **state)
{
    harness_options = two_announcements_per_peer;
    setup_net(1, 0);
    harness_options = NULL;
    mine_at(0, 101);
    connect_fake(FAKE, false);
    connect_fake(FAKE + 1, false);
    struct proto_inv full[2] = {{PROTO_INV_WTX, {{0x51}}}, {PROTO_INV_WTX, {{0x52}}}};
    announce_wtxids(FAKE, full, 2);
    struct outpoint op = {{{0x5a, 0xee}}, 0};
    int64_t out = 1000000;
    struct tx *orphan = testutil_spend(&op, 1, &out, 1, 0);
    peer_sends_tx(FAKE, orphan);
    assert_int_equal(orphan_count(0), 0);
    peer_sends_tx(FAKE + 1, orphan);
    assert_int_equal(orphan_count(0), 1);
    struct proto_inv it = {PROTO_INV_WTX, orphan->wtxid};
    announce_wtxids(FAKE, &it, 1);
    netproc_disconnected(net.n[0].np, FAKE + 1, net.now);
    assert_int_equal(orphan_count(0), 0);
    tx_free(orphan);
    teardown_net();
}

/* Parent requests in flight with peer id at node 0. */
static size_t in_flight_with(uint64_t id)
{
    struct relay_peer_info pi;
    assert_int_equal(relay_get_peer_info(netproc_relay(net.n[0].np), id, &pi), 0);
    return pi.in_flight;
}

/* Core v30's orphan resolution candidates: a peer whose announcement of
 * the orphan was still pending when another sent it becomes an announcer
 * too, so its parent is asked of it when the sender cannot give it
 * (notfound), and the orphan outlives the sender. */
static void test_orphan_parents_from_every_announcer(void **state)
{
    struct tx *parent, *child;
    two_peers_and_a_pair(&parent, &child);
    struct proto_inv it = {PROTO_INV_WTX, child->wtxid};
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &it, 1);
    peer_sends(FAKE + 1, PROTO_CMD_INV, &w);
    peer_sends_tx(FAKE, child); /* before FAKE + 1 answers */
    assert_int_equal(orphan_count(0), 1);
    run_until(net.now + 3 * SEC); /* txid requests wait 2 s beside BIP339 peers */
    uint64_t asked = in_flight_with(FAKE) ? FAKE : FAKE + 1;
    uint64_t other = asked == FAKE ? FAKE + 1 : FAKE;
    assert_int_equal(in_flight_with(asked), 1);
    assert_int_equal(in_flight_with(other), 0);
    /* The first asked has no parent to give, and leaves. */
    it = (struct proto_inv){PROTO_INV_TX, parent->txid};
    wbuf_reset(&w);
    proto_inv_encode(&w, &it, 1);
    peer_sends(asked, PROTO_CMD_NOTFOUND, &w);
    netproc_disconnected(net.n[0].np, asked, net.now);
    assert_int_equal(orphan_count(0), 1);
    run_until(net.now + SEC);
    assert_int_equal(in_flight_with(other), 1);
    peer_sends_tx(other, parent);
    assert_non_null(mempool_get(net.n[0].mp, &child->txid));
    assert_int_equal(orphan_count(0), 0);
    wbuf_free(&w);
    tx_free(parent);
    tx_free(child);
    teardown_net();
}

/* Over the pool's weight limit (404,000 WU per announcing peer) the peer
 * with the worst score loses its oldest (Core v30's LimitOrphans): a
 * peer flooding heavy orphans cannot push out another peer's few, and
 * they still complete when their parents come. */
static void test_orphan_eviction_by_peer(void **state)
{
    enum { HONEST = 10, FLOOD = 30 };
    setup_net(1, 0);
    mine_at(0, 100 + HONEST);
    for (uint64_t id = FAKE; id <= FAKE + 1; id++) {
        connect_fake(id, false);
    }
    struct tx *parent[HONEST], *child[HONEST];
    for (int i = 0; i < HONEST; i++) {
        parent[i] = spend_coinbase(0, i + 1);
        child[i] = spend_output(parent[i], 10000);
        peer_sends_tx(FAKE + 1, child[i]);
    }
    int64_t flooded = 0;
    for (int i = 0; i < FLOOD; i++) {
        struct outpoint op = {{{0}}, 0};
        op.hash.b[0] = (uint8_t)i;
        op.hash.b[1] = 0xee;
        int64_t out = 1000000;
        struct tx *tx = testutil_spend(&op, 1, &out, 1, 20000);
        flooded += (int64_t)tx_weight(tx);
        peer_sends_tx(FAKE, tx);
        tx_free(tx);
    }
    assert_true(flooded > 2 * ORPHANAGE_RESERVED_WEIGHT_PER_PEER);
    size_t left = orphan_count(0);
    assert_true(left > HONEST && left < HONEST + FLOOD);
    for (int i = 0; i < HONEST; i++) {
        peer_sends_tx(FAKE + 1, parent[i]);
        assert_non_null(mempool_get(net.n[0].mp, &child[i]->txid));
        tx_free(parent[i]);
        tx_free(child[i]);
    }
    /* FAKE alone now: held to one peer's reserved weight. */
    assert_true(orphan_count(0) > 0 && orphan_count(0) < left - HONEST);
    teardown_net();
}

/* A node away while blocks and transactions pass catches up on return:
 * headers-first for the chain, BIP35 for the mempool. */
static void test_catch_up(void **state)
{
    setup_net(3, 0);
    link_nodes(0, 1);
    link_nodes(1, 2);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    unlink_nodes(1, 2);
    mine_at(0, 20);
    struct tx *txs[5];
    struct mempool_reject rej;
    for (int k = 0; k < 5; k++) {
        txs[k] = spend_coinbase(0, k + 1);
        assert_int_equal(netproc_submit_tx(net.n[0].np, txs[k], &rej, net.now),
                         MEMPOOL_ACCEPTED);
    }
    run_until(net.now + 20 * SEC);
    assert_int_equal(mempool_count(net.n[1].mp), 5);
    assert_int_equal(mempool_count(net.n[2].mp), 0);
    link_nodes(2, 1);
    run_until(net.now + 20 * SEC);
    assert_same_tip();
    for (int k = 0; k < 5; k++) {
        assert_non_null(mempool_get(net.n[2].mp, &txs[k]->txid));
        tx_free(txs[k]);
    }
    teardown_net();
}

/* Every announcement is lost: only anti-entropy can deliver. */
static void test_antientropy_repairs(void **state)
{
    setup_net(3, 5 * SEC);
    link_nodes(0, 1);
    link_nodes(1, 2);
    mine_at(0, 103); /* three mature coinbases */
    run_until(net.now + 10 * SEC);
    net.drop_inv = true;
    struct tx *txs[3];
    struct mempool_reject rej;
    for (int k = 0; k < 3; k++) {
        txs[k] = spend_coinbase(0, k + 1);
        assert_int_equal(netproc_submit_tx(net.n[0].np, txs[k], &rej, net.now),
                         MEMPOOL_ACCEPTED);
    }
    run_until(net.now + 2 * SEC);
    assert_int_equal(mempool_count(net.n[2].mp), 0);
    /* hsinv replies carry the ids; the pull that follows uses getdata. */
    net.drop_inv = false;
    run_until(net.now + 40 * SEC);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mempool_count(net.n[i].mp), 3);
    struct netproc_info info;
    netproc_get_info(net.n[1].np, &info);
    assert_true(info.recon_rounds > 0);
    /* The digests differed: sketches carried the difference. */
    netproc_get_info(net.n[0].np, &info);
    struct netproc_info info2;
    netproc_get_info(net.n[2].np, &info2);
    assert_true(info.recon_sketches + info2.recon_sketches > 0);
    assert_true(netproc_peer_reconciles(net.n[1].np, 1));
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[2].np, 2, &pi));
    assert_int_equal(pi.synced_headers, 103);
    assert_int_equal(pi.synced_blocks, 103);
    assert_int_equal(pi.blocks_in_flight, 0);
    /* node 1 delivered node 2 its blocks and, once repaired, the txs */
    assert_true(pi.last_block >= 0 && pi.last_block <= net.now);
    assert_true(pi.last_tx >= pi.last_block && pi.last_tx <= net.now);
    assert_false(netproc_get_peer_info(net.n[2].np, 77, &pi));
    for (int k = 0; k < 3; k++)
        tx_free(txs[k]);
    teardown_net();
}

/* The silent fake peer connects to node 2 and sends it node 0's headers
 * 1..count (at most 10); it will never deliver a block. */
static void fake_announces_headers(int count)
{
    struct net_peer_props fp = props_of(FAKE, false);
    netproc_connected(net.n[2].np, &fp, net.now);
    struct wbuf w;
    wbuf_init(&w);
    uint8_t raw[10][80];
    assert_true(count <= 10);
    for (int h = 1; h <= count; h++)
        block_header_serialize(&chainstate_at(net.n[0].cs, h)->hdr, raw[h - 1]);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, (size_t)count);
    io_send((void *)(intptr_t)-1, 3, PROTO_CMD_HEADERS, w.data, w.len); /* fake -> node 2 */
    wbuf_free(&w);
}

/* A peer that announces blocks and never delivers them: after the block
 * download timeout it is disconnected and the blocks come from another. */
static void test_block_stall(void **state)
{
    setup_net(3, 0);
    link_nodes(0, 1);
    mine_at(0, 3);
    run_until(net.now + 5 * SEC);
    /* Node 2 hears the headers from the silent fake peer first. */
    fake_announces_headers(3);
    run_until(net.now + SEC);
    struct netproc_info info;
    netproc_get_info(net.n[2].np, &info);
    assert_int_equal(info.blocks_in_flight, 3);
    /* all three asked of the fake peer, lowest first; nothing in common
     * beyond genesis, nothing delivered */
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[2].np, FAKE, &pi));
    assert_int_equal(pi.blocks_in_flight, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pi.inflight[i], i + 1);
    assert_int_equal(pi.synced_blocks, 0);
    assert_int_equal(pi.last_block, -1);
    assert_int_equal(pi.last_tx, -1);
    link_nodes(1, 2);
    int64_t linked = net.now;
    while (net.ndropped == 0 && net.now < linked + 20 * SEC)
        run_until(net.now + SEC / 10);
    /* Core's timeout: the base (5 s here), no other peer downloading. */
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE);
    assert_true(net.now - linked >= 4 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 0); /* no reassignment before */
    netproc_disconnected(net.n[2].np, FAKE, net.now);
    run_until(net.now + 2 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 3);
    netproc_get_info(net.n[2].np, &info);
    assert_int_equal(info.block_stalls, 1);
    teardown_net();
}

/* Node 2 (a 4-block window) asks the silent fake peer for blocks 1-4 of
 * node 0's 10. */
static void window_held_by_fake(void)
{
    small_window_node = 2;
    setup_net(3, 0);
    small_window_node = -1;
    link_nodes(0, 1);
    mine_at(0, 10);
    run_until(net.now + 5 * SEC);
    fake_announces_headers(10);
    run_until(net.now + SEC / 10);
}

/* Bitcoin Core's staller rule: node 2 (a 4-block window) asked the silent
 * fake peer for blocks 1-4; node 0, which has all 10, could serve 5-10 but
 * for the window, so the fake peer holding block 1 is dropped after 2 s
 * (before the 5 s per-request timeout), and the next staller gets twice
 * as long. */
static void test_block_staller(void **state)
{
    window_held_by_fake();
    struct netproc_info info;
    netproc_get_info(net.n[2].np, &info);
    assert_int_equal(info.blocks_in_flight, 4);
    assert_int_equal(info.stalling_timeout_us, NETPROC_BLOCK_STALLING_US);
    link_nodes(0, 2);
    int64_t linked = net.now;
    while (net.ndropped == 0 && net.now < linked + 4 * SEC)
        run_until(net.now + SEC / 10);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE);
    assert_true(net.now - linked >= NETPROC_BLOCK_STALLING_US);
    netproc_get_info(net.n[2].np, &info);
    assert_int_equal(info.stallers_dropped, 1);
    assert_int_equal(info.block_stalls, 0); /* the per-request timeout never fired */
    assert_int_equal(info.stalling_timeout_us, 2 * NETPROC_BLOCK_STALLING_US);
    netproc_disconnected(net.n[2].np, FAKE, net.now);
    run_until(net.now + 5 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 10);
    /* Ten new blocks relaxed the timeout back towards 2 s. */
    netproc_get_info(net.n[2].np, &info);
    assert_int_equal(info.stalling_timeout_us, NETPROC_BLOCK_STALLING_US);
    teardown_net();
}

/* Core's RemoveBlockRequest: a staller whose block another peer delivers
 * no longer holds up the window and is not dropped for it; it becomes a
 * staller again only if it holds up the window anew. */
static void test_staller_relieved(void **state)
{
    window_held_by_fake();
    link_nodes(0, 2);
    run_until(net.now + NETPROC_BLOCK_STALLING_US / 2);
    assert_int_equal(net.ndropped, 0); /* the fake peer stalls, not yet dropped */
    /* Another peer delivers block 1, which the fake peer held. */
    struct net_peer_props other = props_of(FAKE + 1, true);
    netproc_connected(net.n[2].np, &other, net.now);
    uint8_t *raw = NULL;
    size_t len = 0;
    char *err = NULL;
    assert_int_equal(chainstate_get_block_raw(net.n[0].cs, &chainstate_at(net.n[0].cs, 1)->hash,
                                              &raw, &len, &err), 1);
    struct net_msg nm;
    assert_true(proto_msg_decode(PROTO_CMD_BLOCK, raw, len, &nm));
    netproc_message(net.n[2].np, FAKE + 1, &nm, net.now);
    proto_msg_clear(&nm);
    free(raw);
    harness_activate(net.n[2].np, net.now);
    int64_t relieved = net.now;
    run_until(relieved + NETPROC_BLOCK_STALLING_US - SEC / 10);
    assert_int_equal(net.ndropped, 0);
    teardown_net();
}

static size_t blocks_in_flight_with(uint64_t id)
{
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[0].np, id, &pi));
    return pi.blocks_in_flight;
}

/* Core's block download during initial sync: from outbound peers; an
 * inbound one is asked only when no outbound peer is there (or nothing
 * is in flight). */
static void test_ibd_blocks_from_outbound(void **state)
{
    setup_net(2, 0);
    net.wall = GENESIS_TIME + 30 * 86400; /* initial download */
    mine_at(1, 20);
    uint8_t raw[20][80];
    for (int h = 1; h <= 20; h++)
        block_header_serialize(&chainstate_at(net.n[1].cs, h)->hdr, raw[h - 1]);
    struct wbuf w;
    wbuf_init(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, 20);
    connect_fake(FAKE, false);
    connect_fake(FAKE + 1, true);
    peer_sends(FAKE, PROTO_CMD_HEADERS, &w);
    peer_sends(FAKE + 1, PROTO_CMD_HEADERS, &w);
    assert_int_equal(blocks_in_flight_with(FAKE), NETPROC_MAX_BLOCKS_IN_FLIGHT);
    assert_int_equal(blocks_in_flight_with(FAKE + 1), 0);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    assert_int_equal(blocks_in_flight_with(FAKE + 1), NETPROC_MAX_BLOCKS_IN_FLIGHT);
    wbuf_free(&w);
    teardown_net();
}

/* Core's FindNextBlocksToDownload: no block is asked of a peer whose
 * chain has less than the minimum chain work. Headers that claim less are
 * not stored from a headers message (the anti-DoS threshold), so node 0
 * holds the first four already: on its best header chain, they skip that
 * check when the peer sends them. */
static void test_no_blocks_below_min_work(void **state)
{
    setup_net_min_work(2, 12); /* genesis and 5 blocks */
    mine_at(1, 6);
    connect_fake(FAKE, false);
    struct block_header h[6];
    for (int i = 0; i < 6; i++)
        h[i] = chainstate_at(net.n[1].cs, i + 1)->hdr;
    struct hash256 bad;
    const char *reason = NULL;
    char *err = NULL;
    assert_int_equal(chainstate_process_headers(net.n[0].cs, h, 4, &bad, &reason, &err),
                     CHAINSTATE_ACCEPTED);
    for (int i = 0; i < 4; i += 2)
        peer_sends_headers(FAKE, h + i, 2);
    assert_int_equal(blocks_in_flight_with(FAKE), 0); /* work 10 */
    peer_sends_headers(FAKE, h + 4, 2);
    assert_int_equal(blocks_in_flight_with(FAKE), 6); /* work 14 */
    teardown_net();
}

/* BIP339: a peer without wtxidrelay hears of transactions by txid. */
static void test_txid_peer(void **state)
{
    setup_net(2, 0);
    link_nodes_wtxid(0, 1, false);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    struct tx *tx = spend_coinbase(0, 1);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[0].np, tx, &rej, net.now), MEMPOOL_ACCEPTED);
    run_until(net.now + 10 * SEC);
    assert_non_null(mempool_get(net.n[1].mp, &tx->txid));
    assert_int_equal(net.inv_types[PROTO_INV_TX], 1);
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 0);
    tx_free(tx);
    teardown_net();
}

/* BIP133: no announcement below the peer's fee filter (nor in its BIP35
 * reply); lowering the filter lets the next transaction through. */
static void test_feefilter(void **state)
{
    setup_net(2, 0);
    link_nodes(0, 1);
    mine_at(0, 102);
    run_until(net.now + 10 * SEC);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i64(&w, 100000000); /* 1 BTC/kvB: nothing we make pays that */
    io_send((void *)(intptr_t)1, 1, PROTO_CMD_FEEFILTER, w.data, w.len); /* node 1 -> node 0 */
    wbuf_free(&w);
    run_until(net.now + SEC);
    struct tx *low = spend_coinbase(0, 1);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[0].np, low, &rej, net.now), MEMPOOL_ACCEPTED);
    io_send((void *)(intptr_t)1, 1, PROTO_CMD_MEMPOOL, NULL, 0);
    run_until(net.now + 20 * SEC);
    assert_null(mempool_get(net.n[1].mp, &low->txid));
    wbuf_init(&w);
    wbuf_i64(&w, 0);
    io_send((void *)(intptr_t)1, 1, PROTO_CMD_FEEFILTER, w.data, w.len);
    wbuf_free(&w);
    run_until(net.now + SEC);
    struct tx *next = spend_coinbase(0, 2);
    assert_int_equal(netproc_submit_tx(net.n[0].np, next, &rej, net.now), MEMPOOL_ACCEPTED);
    run_until(net.now + 20 * SEC);
    assert_non_null(mempool_get(net.n[1].mp, &next->txid));
    tx_free(low);
    tx_free(next);
    teardown_net();
}

/* A partition heals: the longer branch (node 1's) wins everywhere (reorg
 * through headers sync), and the transaction confirmed only on the losing
 * branch returns to node 0's mempool; with anti-entropy, it reaches node
 * 1's too. Announcements delivered after the partition are counted
 * afresh. */
static struct tx *partition_and_reorg(int64_t antientropy)
{
    setup_net(2, antientropy);
    link_nodes(0, 1);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    unlink_nodes(0, 1);
    struct tx *tx = spend_coinbase(0, 1);
    mine_tx_at(0, tx);
    mine_at(1, 3);
    memset(net.inv_types, 0, sizeof(net.inv_types));
    link_nodes(0, 1);
    run_until(net.now + 30 * SEC);
    assert_same_tip();
    assert_int_equal(chainstate_height(net.n[0].cs), 104);
    assert_non_null(mempool_get(net.n[0].mp, &tx->txid));
    if (antientropy)
        assert_non_null(mempool_get(net.n[1].mp, &tx->txid));
    return tx;
}

static void test_reorg_after_partition(void **state)
{
    tx_free(partition_and_reorg(5 * SEC));
    teardown_net();
}

/* A transaction a reorg returns to the mempool is counted, not announced
 * again: Core relays nothing its MaybeUpdateMempoolForReorg puts back.
 * Without anti-entropy it stays on its side (the BIP35 exchange at
 * connection time happened before the reorg). */
static void test_reorg_does_not_reannounce(void **state)
{
    struct tx *tx = partition_and_reorg(0);
    struct netproc_info info;
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.txs_readded, 1);
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 0);
    assert_null(mempool_get(net.n[1].mp, &tx->txid));
    /* A later block on the same branch is no reorg: nothing counted. */
    mine_at(1, 1);
    run_until(net.now + 10 * SEC);
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.txs_readded, 1);
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 0);
    tx_free(tx);
    teardown_net();
}

/* Bitcoin Core disconnects peers that send `mempool` without NODE_BLOOM:
 * only hearsay peers (hsgossip) and NODE_BLOOM peers are asked. */
static void test_mempool_request_only_when_welcome(void **state)
{
    setup_net(1, 0);
    struct net_peer_props core = props_of(FAKE, false);
    core.hello = false;
    netproc_connected(net.n[0].np, &core, net.now);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1);
    assert_int_equal(queued(PROTO_CMD_MEMPOOL, -1), 0);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    core.services = PROTO_NODE_NETWORK | PROTO_NODE_BLOOM;
    netproc_connected(net.n[0].np, &core, net.now);
    assert_int_equal(queued(PROTO_CMD_MEMPOOL, -1), 1);
    teardown_net();
}

/* -blocksonly (node 0): its version said relay=false, so node 1 announces
 * no transaction to it; it asks for no mempool, still follows the chain,
 * and drops (without discouraging) a peer that sends a transaction or its
 * announcement anyway, as Bitcoin Core does; its own transactions are
 * still announced and served. */
static void test_blocksonly(void **state)
{
    blocksonly_node = 0;
    setup_net(2, 0);
    blocksonly_node = -1;
    struct net_peer_props pa = props_of(2, false), pb = props_of(1, true);
    pb.relay = false; /* node 1 sees node 0's version */
    net.n[0].linked[1] = net.n[1].linked[0] = true;
    netproc_connected(net.n[0].np, &pa, net.now);
    netproc_connected(net.n[1].np, &pb, net.now);
    assert_int_equal(queued(PROTO_CMD_MEMPOOL, 1), 0);
    mine_at(1, 101);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    struct tx *tx = submit_spend(1, 1);
    run_until(net.now + 10 * SEC);
    assert_int_equal(mempool_count(net.n[0].mp), 0);
    assert_int_equal(net.inv_types[PROTO_INV_WTX] + net.inv_types[PROTO_INV_TX], 0);
    assert_int_equal(net.ndropped, 0);
    /* Peers that ignore relay=false are dropped. */
    connect_fake(FAKE, false);
    connect_fake(FAKE + 1, false);
    struct proto_inv item = {PROTO_INV_WTX, tx->wtxid};
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &item, 1);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_INV, w.data, w.len); /* FAKE -> node 0 */
    wbuf_free(&w);
    run_until(net.now + SEC);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    struct net_msg m = {.cmd = PROTO_CMD_TX, .payload = tx->raw, .len = tx->size};
    netproc_message(net.n[0].np, FAKE + 1, &m, net.now);
    assert_int_equal(net.ndropped, 2);
    assert_int_equal(net.dropped[1], FAKE + 1);
    assert_int_equal(mempool_count(net.n[0].mp), 0);
    /* Blocks still flow: the transaction confirmed reaches node 0. */
    mine_tx_at(1, tx);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    /* Its own transactions (RPC) still go out, as Core's: node 1 said
     * relay=true, fetches one and gets it. */
    struct tx *own = submit_spend(0, 2);
    run_until(net.now + 10 * SEC);
    assert_non_null(mempool_get_wtxid(net.n[1].mp, &own->wtxid));
    assert_int_equal(net.ndropped, 2);
    tx_free(own);
    tx_free(tx);
    teardown_net();
}

/* A transaction relayed to a node whose wall clock is mocked (the
 * daemon's setmocktime) enters its mempool at the mock time. */
static void test_entry_time_follows_clock(void **state)
{
    mock_clock_node = 1;
    setup_net(2, 0);
    mock_clock_node = -1;
    link_nodes(0, 1);
    mine_at(0, 101);
    run_until(net.now + 10 * SEC);
    struct tx *tx = submit_spend(0, 1);
    run_until(net.now + 10 * SEC);
    const struct mempool_entry *e = mempool_get(net.n[1].mp, &tx->txid);
    assert_non_null(e);
    assert_int_equal(mempool_entry_time(e), MOCK_WALL);
    tx_free(tx);
    teardown_net();
}

/* More than one headers message (2000 each) and the 1024-block window. */
static void test_long_sync(void **state)
{
    setup_net(2, 0);
    net.wall = GENESIS_TIME + 2100 * 60; /* the last block is not in the future */
    mine_at(0, 2100);
    run_until(net.now + SEC); /* no peers: the block rumors die out */
    link_nodes(1, 0);
    run_until(net.now + 120 * SEC);
    assert_int_equal(chainstate_height(net.n[1].cs), 2100);
    assert_same_tip();
    teardown_net();
}

/* Core's ProcessGetData: 16 blocks in one getdata (as Core asks) from a
 * peer whose send buffer holds one block: served one at a time as the
 * buffer drains, in order, without disconnection; then notfound names the
 * missing transaction only (Core sends none for blocks). */
static void test_getdata_backpressure(void **state)
{
    setup_net(1, 0);
    mine_at(0, 16);
    run_until(net.now + SEC);
    connect_fake(FAKE, true);
    net.fake_window = true;
    struct proto_inv items[18];
    for (int h = 1; h <= 16; h++)
        items[h - 1] = (struct proto_inv){PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG,
                                          chainstate_at(net.n[0].cs, h)->hash};
    items[16].type = PROTO_INV_WTX;
    memset(&items[16].hash, 0x11, sizeof(items[16].hash));
    items[17].type = PROTO_INV_BLOCK;
    memset(&items[17].hash, 0x22, sizeof(items[17].hash));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, 18);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_GETDATA, w.data, w.len); /* fake -> node 0 */
    wbuf_free(&w);
    run_until(net.now + SEC);
    for (size_t k = 1; k <= 16; k++) {
        assert_int_equal(net.fake_nblocks, k); /* one more per drain */
        assert_true(netproc_input_held(net.n[0].np, FAKE));
        assert_int_equal(queued(PROTO_CMD_NOTFOUND, -1), 0);
        net.fake_unread = 0;
        netproc_send_ready(net.n[0].np, FAKE, net.now);
    }
    assert_false(netproc_input_held(net.n[0].np, FAKE));
    for (int h = 0; h < 16; h++)
        assert_true(hash_eq(&net.fake_blocks[h], &items[h].hash));
    assert_int_equal(queued(PROTO_CMD_NOTFOUND, -1), 1);
    struct proto_inv nf[2];
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 2), 1);
    assert_int_equal(nf[0].type, PROTO_INV_WTX);
    assert_int_equal(net.ndropped, 0);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_line),
        cmocka_unit_test(test_late_joiner_and_txs),
        cmocka_unit_test(test_orphan_parent_requested),
        cmocka_unit_test(test_orphan_limits),
        cmocka_unit_test(test_orphan_eviction_by_peer),
        cmocka_unit_test(test_orphan_announcers),
        cmocka_unit_test(test_orphan_candidate_cap),
        cmocka_unit_test(test_orphan_parents_from_every_announcer),
        cmocka_unit_test(test_malformed_dropped),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_antientropy_repairs),
        cmocka_unit_test(test_block_stall),
        cmocka_unit_test(test_block_staller),
        cmocka_unit_test(test_staller_relieved),
        cmocka_unit_test(test_ibd_blocks_from_outbound),
        cmocka_unit_test(test_no_blocks_below_min_work),
        cmocka_unit_test(test_txid_peer),
        cmocka_unit_test(test_feefilter),
        cmocka_unit_test(test_long_sync),
        cmocka_unit_test(test_mempool_request_only_when_welcome),
        cmocka_unit_test(test_reorg_after_partition),
        cmocka_unit_test(test_reorg_does_not_reannounce),
        cmocka_unit_test(test_blocksonly),
        cmocka_unit_test(test_entry_time_follows_clock),
        cmocka_unit_test(test_getdata_backpressure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
