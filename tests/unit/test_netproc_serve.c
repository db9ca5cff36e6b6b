/* netproc meets peers' requests and announcements as Bitcoin Core does
 * (net_processing.cpp), one test per behaviour. */
#include "tests/unit/netproc_harness.h"

#include "net/sync/netproc_int.h"

#include <unistd.h>

static void fake_getdata(uint64_t id, const struct proto_inv *items, size_t n)
{
    struct net_msg m = {.cmd = PROTO_CMD_GETDATA};
    m.u.inv.items = items;
    m.u.inv.n = n;
    netproc_message(net.n[0].np, id, &m, net.now);
}

static void fake_feefilter(uint64_t id, int64_t feerate)
{
    struct net_msg m = {.cmd = PROTO_CMD_FEEFILTER};
    m.u.feerate = feerate;
    netproc_message(net.n[0].np, id, &m, net.now);
}

/* Runs node 0's due ticks for dt, keeping what it sends queued (the fake
 * peers never read). */
static void settle(int64_t dt)
{
    int64_t until = net.now + dt;
    for (;;) {
        int64_t w = netproc_next_wakeup(net.n[0].np);
        if (w > until)
            break;
        if (w > net.now)
            net.now = w;
        netproc_tick(net.n[0].np, net.now);
        net.now += 1000;
    }
    net.now = until;
}

static void drop_queue(void)
{
    for (size_t i = 0; i < net.nq; i++)
        free(net.q[i].data);
    net.nq = 0;
}

static struct proto_inv wtx_item(const struct tx *tx)
{
    return (struct proto_inv){PROTO_INV_WTX, tx->wtxid};
}

/* Core's FindTxForGetData: a transaction is served only once it was in
 * the mempool at the peer's last trickle, even one that announced nothing
 * (Core's SendMessages takes the mempool sequence at every trickle);
 * before that the answer is notfound, so that asking cannot reveal what
 * we have not announced (nor when it arrived). A peer that asked for no
 * transaction relay (relay=0) gets no answer at all. */
static void core_trickles(int i, struct netproc_options *o)
{
    o->policy.trickle_in_us = 5 * SEC;
    o->policy.trickle_out_us = 2 * SEC;
}

static void test_getdata_tx_after_trickle(void **state)
{
    harness_options = core_trickles;
    setup_net(1, 0);
    harness_options = NULL;
    mine_at(0, 102);
    struct net_peer_props fp = props_of(FAKE, true), quiet = props_of(FAKE + 1, true);
    quiet.relay = false;
    netproc_connected(net.n[0].np, &fp, net.now);
    netproc_connected(net.n[0].np, &quiet, net.now);
    fake_feefilter(FAKE, 100000000); /* hears of none of ours */
    settle(60 * SEC);
    drop_queue(); /* the announcement of our tip */
    struct tx *first = submit_spend(0, 1);
    struct proto_inv items[2] = {wtx_item(first)};
    fake_getdata(FAKE, items, 1);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 0);
    struct proto_inv nf[2];
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 2), 1);
    assert_true(hash_eq(&nf[0].hash, &first->wtxid));

    /* A trickle that announces nothing still lets the peer fetch what was
     * in the mempool by then, but not what came after it. */
    settle(60 * SEC);
    assert_int_equal(queued(PROTO_CMD_INV, -1), 0);
    fake_getdata(FAKE, items, 1);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 1);
    struct tx *second = submit_spend(0, 2);
    items[1] = wtx_item(second);
    fake_getdata(FAKE, items + 1, 1);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 1);
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 2), 2);
    assert_true(hash_eq(&nf[1].hash, &second->wtxid));

    /* relay=0: neither the transaction nor a notfound. */
    settle(10 * SEC);
    size_t msgs = net.nq;
    fake_getdata(FAKE + 1, items, 2);
    assert_int_equal(net.nq, msgs);
    tx_free(first);
    tx_free(second);
    teardown_net();
}

/* During initial download (the tip a month old) Core fetches no
 * announced transaction and drops one sent unasked, unparsed and
 * unpunished; once caught up, announcements are followed again, and a
 * hearsay peer is asked for its mempool then (BIP35). */
static void test_no_tx_during_initial_download(void **state)
{
    setup_net(1, 0);
    net.wall = GENESIS_TIME + 30 * 24 * 3600;
    mine_at(0, 1);
    connect_fake(FAKE, false);
    struct outpoint op = {{{0x5a}}, 0};
    int64_t out = 1000000;
    struct tx *tx = testutil_spend(&op, 1, &out, 1, 0);
    struct proto_inv item = wtx_item(tx);
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &item, 1);
    peer_sends(FAKE, PROTO_CMD_INV, &w);
    settle(10 * SEC);
    assert_int_equal(net.fake_getdata, 0);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_TX, tx->raw, tx->size); /* fake -> node 0 */
    run_until(net.now + SEC);
    struct netproc_info info;
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.txs_received, 0);
    assert_int_equal(net.misbehaving, 0);

    /* Nor is the (hearsay) peer asked for its mempool: the answer's
     * announcements would be ignored. It is once the tip is recent. */
    assert_int_equal(queued(PROTO_CMD_MEMPOOL, -1), 0);
    net.wall = GENESIS_TIME + 3600; /* the next tip is an hour old: caught up */
    mine_at(0, 1);
    assert_int_equal(queued(PROTO_CMD_MEMPOOL, -1), 1);
    item.hash.b[0] ^= 1; /* another announcement */
    wbuf_reset(&w);
    proto_inv_encode(&w, &item, 1);
    peer_sends(FAKE, PROTO_CMD_INV, &w);
    settle(10 * SEC);
    assert_int_equal(net.fake_getdata, 1);
    wbuf_free(&w);
    tx_free(tx);
    teardown_net();
}

/* BIP35 without NODE_BLOOM: Core drops the asker (not discouraged). We
 * answer hearsay peers (hsgossip) only, and drop the others as Core. */
static void test_mempool_only_for_hearsay_peers(void **state)
{
    setup_net(1, 0);
    mine_at(0, 101);
    struct tx *tx = submit_spend(0, 1);
    struct net_peer_props core = props_of(FAKE, true), ours = props_of(FAKE + 1, true);
    core.hello = false;
    netproc_connected(net.n[0].np, &core, net.now);
    netproc_connected(net.n[0].np, &ours, net.now);
    settle(SEC);
    drop_queue();
    struct wbuf w;
    wbuf_init(&w);
    peer_sends(FAKE, PROTO_CMD_MEMPOOL, &w);
    assert_int_equal(net.ndropped, 1);
    assert_true(net.dropped[0] == FAKE);
    assert_int_equal(net.misbehaving, 0);
    assert_int_equal(queued(PROTO_CMD_INV, -1), 0);
    peer_sends(FAKE + 1, PROTO_CMD_MEMPOOL, &w);
    assert_int_equal(net.ndropped, 1);
    struct proto_inv inv[2];
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 2), 1);
    assert_true(hash_eq(&inv[0].hash, &tx->wtxid));
    wbuf_free(&w);
    tx_free(tx);
    teardown_net();
}

static struct proto_locator genesis_locator(void)
{
    static struct hash256 genesis;
    genesis = chainstate_at(net.n[0].cs, 0)->hash;
    return (struct proto_locator){.count = 1, .hashes = &genesis};
}

/* The headers messages queued for the fake peer, by count of headers. */
static size_t fake_headers_with(size_t count)
{
    size_t k = 0;
    for (size_t i = 0; i < net.nq; i++) {
        if (net.q[i].to != -1 || net.q[i].cmd != PROTO_CMD_HEADERS)
            continue;
        struct cursor c;
        uint64_t n = 0;
        cursor_init(&c, net.q[i].data, net.q[i].len);
        assert_true(cursor_compact(&c, &n, 2000));
        k += n == count;
    }
    return k;
}

/* Core answers getheaders with an empty headers message while its chain
 * has less work than the minimum chain work, and with its chain after. */
static void test_getheaders_below_min_work(void **state)
{
    setup_net_min_work(1, 12); /* genesis and 5 blocks */
    mine_at(0, 3);
    connect_fake(FAKE, true);
    struct net_msg m = {.cmd = PROTO_CMD_GETHEADERS};
    m.u.locator = genesis_locator();
    netproc_message(net.n[0].np, FAKE, &m, net.now);
    assert_int_equal(fake_headers_with(0), 1);
    assert_int_equal(fake_headers_with(3), 0);
    mine_at(0, 3);
    netproc_message(net.n[0].np, FAKE, &m, net.now);
    assert_int_equal(fake_headers_with(6), 1);
    teardown_net();
}

/* getblocks (old clients): 500 blocks at most; when the peer fetches the
 * last of them, an inv of our tip makes it ask for the next batch (Core's
 * hashContinue), once. */
static void test_getblocks_continuation(void **state)
{
    setup_net(1, 0);
    mine_at(0, 600);
    connect_fake(FAKE, true);
    drop_queue();
    struct net_msg m = {.cmd = PROTO_CMD_GETBLOCKS};
    m.u.locator = genesis_locator();
    netproc_message(net.n[0].np, FAKE, &m, net.now);
    static struct proto_inv inv[600];
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 600), 500);
    assert_true(hash_eq(&inv[499].hash, &chainstate_at(net.n[0].cs, 500)->hash));
    drop_queue();
    struct proto_inv last = {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, inv[499].hash};
    fake_getdata(FAKE, &last, 1);
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 1);
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 2), 1);
    assert_true(hash_eq(&inv[0].hash, &chainstate_tip(net.n[0].cs)->hash));
    drop_queue();
    fake_getdata(FAKE, &last, 1);
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 1);
    assert_int_equal(queued(PROTO_CMD_INV, -1), 0);
    teardown_net();
}

/* A block message from the fake peer id, handled as node 0's event loop
 * does: stored at once, its activation steps left to later ticks. */
static void hand_block(uint64_t id, const struct block *b)
{
    struct wbuf w;
    struct net_msg nm;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    assert_true(proto_msg_decode(PROTO_CMD_BLOCK, w.data, w.len, &nm));
    netproc_message(net.n[0].np, id, &nm, net.now);
    proto_msg_clear(&nm);
    wbuf_free(&w);
}

/* A block asked for while it is stored but not yet connected (its
 * activation steps run on later turns of the loop) is served once the
 * steps connected it, as Core's ProcessGetBlockData activates the chain
 * before it checks the block. Refused, the asker would wait for its block
 * download timeout (10 minutes). A block the steps find invalid is
 * refused, and the items queued behind it are served. */
static void test_getdata_block_awaits_activation(void **state)
{
    setup_net(1, 0);
    mine_at(0, 3);
    connect_fake(FAKE, true);
    connect_fake(FAKE + 1, true);
    struct block *b = mine(0, NULL, 0);
    hand_block(FAKE, b);
    assert_true(netproc_activating(net.n[0].np));
    drop_queue();
    struct proto_inv it = {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, b->hash};
    fake_getdata(FAKE + 1, &it, 1);
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 0); /* not before */
    /* Meanwhile the peer's input is held (Core reads no message of a
     * peer whose getdata queue waits), and resumed once served. */
    assert_true(netproc_input_held(net.n[0].np, FAKE + 1));
    assert_int_equal(net.resumed, 0);
    harness_activate(net.n[0].np, net.now);
    assert_true(hash_eq(&chainstate_tip(net.n[0].cs)->hash, &b->hash));
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 1);
    assert_false(netproc_input_held(net.n[0].np, FAKE + 1));
    assert_int_equal(net.resumed, 1);
    assert_true(hash_eq(&net.fake_blocks[net.fake_nblocks - 1], &b->hash));
    /* Its coinbase claims a satoshi too many: invalid when it connects. */
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    struct tx *cb = testutil_coinbase(
        tip->height + 1, params_block_subsidy(params_get(CHAIN_REGTEST), tip->height + 1) + 1,
        ++net.tag);
    struct block *bad = testutil_block(&tip->hash, tip->hdr.time + 60, &cb, 1);
    hand_block(FAKE, bad);
    assert_true(netproc_activating(net.n[0].np));
    drop_queue();
    struct proto_inv two[2] = {{PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, bad->hash}, it};
    fake_getdata(FAKE + 1, two, 2);
    harness_activate(net.n[0].np, net.now);
    assert_true(hash_eq(&chainstate_tip(net.n[0].cs)->hash, &b->hash));
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 1);
    assert_true(hash_eq(&net.fake_blocks[net.fake_nblocks - 1], &b->hash));
    block_free(bad);
    block_free(b);
    teardown_net();
}

/* Core's ProcessGetBlockData: a requested block that is stored but cannot
 * be read (its file cut short under us) drops the peer, and the rest of
 * its request goes unserved, whether asked as a block or as a recent
 * cmpctblock; one we do not store (unknown) is ignored. */
static void test_getdata_block_unreadable(void **state)
{
    setup_net(1, 0);
    mine_at(0, 10);
    connect_fake(FAKE, true);
    drop_queue();
    struct proto_inv unknown = {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, {{0x42}}};
    fake_getdata(FAKE, &unknown, 1);
    assert_int_equal(net.ndropped, 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/blocks/blk00000.dat", net.n[0].dir);
    assert_int_equal(truncate(path, 0), 0);
    struct proto_inv items[2] = {
        {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, chainstate_at(net.n[0].cs, 5)->hash},
        {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, chainstate_at(net.n[0].cs, 6)->hash}};
    fake_getdata(FAKE, items, 2);
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 0);
    assert_int_equal(queued(PROTO_CMD_NOTFOUND, -1), 0);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE);
    assert_false(netproc_input_held(net.n[0].np, FAKE));
    connect_fake(FAKE + 1, true);
    struct proto_inv cmpct = {PROTO_INV_CMPCT_BLOCK, chainstate_at(net.n[0].cs, 8)->hash};
    fake_getdata(FAKE + 1, &cmpct, 1);
    assert_int_equal(queued(PROTO_CMD_CMPCTBLOCK, -1), 0);
    assert_int_equal(net.ndropped, 2);
    assert_int_equal(net.dropped[1], FAKE + 1);
    teardown_net();
}

/* Core's FindTxForGetData also serves the transactions of the block it
 * connected last (m_most_recent_block_txs, by txid or wtxid): they left
 * the mempool with it, and a peer completing that block may ask. Those of
 * an older block, or of none, are notfound. */
static void test_getdata_tx_of_last_block(void **state)
{
    setup_net(1, 0);
    mine_at(0, 102);
    connect_fake(FAKE, true);
    struct tx *mined = spend_coinbase(0, 1), *other = spend_coinbase(0, 2);
    mine_tx_at(0, mined);
    assert_null(mempool_get(net.n[0].mp, &mined->txid));
    drop_queue();
    struct proto_inv items[3] = {wtx_item(mined), {PROTO_INV_TX, mined->txid}, wtx_item(other)};
    fake_getdata(FAKE, items, 3);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 2);
    struct proto_inv nf[3];
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 3), 1);
    assert_true(hash_eq(&nf[0].hash, &other->wtxid));

    mine_at(0, 1); /* the next block replaces it */
    drop_queue();
    fake_getdata(FAKE, items, 1);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 0);
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 3), 1);
    tx_free(mined);
    tx_free(other);
    teardown_net();
}

/* The feefilter values queued for the fake peer id, in order. */
static size_t fake_feefilters(int64_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < net.nq && n < cap; i++) {
        if (net.q[i].to != -1 || net.q[i].cmd != PROTO_CMD_FEEFILTER)
            continue;
        struct cursor c;
        cursor_init(&c, net.q[i].data, net.q[i].len);
        assert_true(proto_feefilter_decode(&c, &out[n++]));
    }
    return n;
}

/* Core's FeeFilterRounder: buckets 0, then 500 (half the default relay
 * fee) up to 10^7 by a factor of 1.1; a fee goes down to the bucket at or
 * below it two times out of three, else up to the next; MAX_MONEY goes
 * to the largest bucket whatever the draw. */
static void test_feefilter_rounder(void **state)
{
    struct np_feeround r;
    np_feeround_init(&r, 1000);
    assert_true(r.b[0] == 0 && r.b[1] == 500 && r.b[2] == 550);
    assert_true(r.b[r.n - 1] <= 1e7 && r.b[r.n - 1] * 1.1 > 1e7);
    for (uint64_t draw = 0; draw < 3; draw++) {
        assert_int_equal(np_feeround(&r, 0, draw), 0);
        assert_int_equal(np_feeround(&r, TX_MAX_MONEY, draw), (int64_t)r.b[r.n - 1]);
    }
    /* 1000 lies between 500 * 1.1^7 (974.4) and 500 * 1.1^8 (1071.8). */
    assert_int_equal(np_feeround(&r, 1000, 0), 1071);
    assert_int_equal(np_feeround(&r, 1000, 1), 974);
    assert_int_equal(np_feeround(&r, 1000, 2), 974);
    assert_int_equal(np_feeround(&r, 550, 1), 500); /* a bucket's own value too */
    np_feeround_init(&r, 0);
    assert_true(r.b[1] == 1);
}

/* Core's FEEFILTER handler keeps the last filter when one arrives outside
 * MoneyRange: a negative or larger-than-all-money value neither resets
 * nor silences our announcements; MAX_MONEY itself is a filter. */
static void test_feefilter_out_of_range(void **state)
{
    setup_net(1, 0);
    mine_at(0, 102);
    settle(SEC); /* the tip's announcement goes out before the peer comes */
    connect_fake(FAKE, true);
    fake_feefilter(FAKE, TX_MAX_MONEY + 1);
    struct tx *first = submit_spend(0, 1);
    settle(60 * SEC);
    struct proto_inv inv[4];
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 4), 1);
    assert_true(hash_eq(&inv[0].hash, &first->wtxid));
    fake_feefilter(FAKE, TX_MAX_MONEY);
    fake_feefilter(FAKE, -1);
    struct tx *second = submit_spend(0, 2);
    settle(60 * SEC);
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 4), 1);
    tx_free(first);
    tx_free(second);
    teardown_net();
}

/* Core's SendMessages announces at the trickle only what is still in the
 * mempool: a transaction mined before the peer's timer fires is not
 * announced (the peer would ask, and get notfound). */
/* One node with Core's trickle intervals, out of initial download, and
 * an inbound fake peer. */
static void setup_trickling_node(void)
{
    harness_options = core_trickles;
    setup_net(1, 0);
    harness_options = NULL;
    mine_at(0, 102);
    connect_fake(FAKE, true);
}

static void test_trickle_skips_what_left_the_mempool(void **state)
{
    setup_trickling_node();
    settle(60 * SEC);
    drop_queue();
    struct tx *mined = submit_spend(0, 1), *kept = submit_spend(0, 2);
    mine_tx_at(0, mined); /* before the inbound trickle (5 s on average) */
    settle(60 * SEC);
    struct proto_inv inv[4];
    size_t n = fake_invs(PROTO_CMD_INV, inv, 4), txs = 0;
    for (size_t i = 0; i < n; i++) {
        if (inv[i].type != PROTO_INV_WTX)
            continue;
        assert_true(hash_eq(&inv[i].hash, &kept->wtxid));
        txs++;
    }
    assert_int_equal(txs, 1);
    tx_free(mined);
    tx_free(kept);
    teardown_net();
}

static void fake_announces(uint64_t id, const struct tx *tx)
{
    struct proto_inv item = wtx_item(tx);
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &item, 1);
    peer_sends(id, PROTO_CMD_INV, &w);
    wbuf_free(&w);
}

/* Core's recent confirmed transactions: one of a block we connected is
 * not fetched when announced, nor when its announcement came first (the
 * request, due after the 2 s inbound delay, is dropped, as Core's
 * GetRequestsToSend drops what it has by then); after a block is
 * disconnected, they may be wanted again. */
static void test_no_fetch_of_confirmed_tx(void **state)
{
    setup_net(1, 0);
    mine_at(0, 102);
    connect_fake(FAKE, true);
    struct tx *mined = spend_coinbase(0, 1), *raced = spend_coinbase(0, 2);
    mine_tx_at(0, mined);
    fake_announces(FAKE, mined);
    fake_announces(FAKE, raced);
    mine_tx_at(0, raced);
    settle(10 * SEC);
    assert_int_equal(net.fake_getdata, 0);
    /* Sent anyway, one whose outputs were spent in its block too: not
     * validated again (its inputs are spent: it would pass for an orphan). */
    struct tx *pair[2] = {spend_coinbase(0, 4), NULL};
    pair[1] = spend_output(pair[0], 1000);
    submit(0, mine(0, pair, 2));
    peer_sends_tx(FAKE, pair[0]);
    struct netproc_info info;
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.orphans, 0);
    tx_free(pair[0]);
    tx_free(pair[1]);

    struct tx *later = spend_coinbase(0, 3);
    mine_tx_at(0, later);
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    char *err = NULL;
    assert_int_equal(chainstate_invalidate(net.n[0].cs, &tip->hash, &err), 0);
    fake_announces(FAKE, mined);
    settle(10 * SEC);
    assert_int_equal(net.fake_getdata, 1);
    tx_free(mined);
    tx_free(raced);
    tx_free(later);
    teardown_net();
}

/* Core's MaybeSendFeefilter: during initial download the largest rounded
 * filter, so peers spare us announcements we would drop; once out of it
 * (at the next turn) the mempool's minimum fee, at least -minrelaytxfee;
 * nothing more while the value stays. Not to block-relay-only peers nor
 * to peers below version 70013, nor at all in blocks-only mode. */
static void test_feefilter_initial_download(void **state)
{
    setup_net(1, 0);
    net.wall = GENESIS_TIME + 30 * 24 * 3600;
    mine_at(0, 1);
    struct net_peer_props fp = props_of(FAKE, false), br = props_of(FAKE + 1, false),
                          old = props_of(FAKE + 2, true);
    br.kind = PEER_BLOCK_RELAY;
    old.version = PROTO_FEEFILTER_VERSION - 1;
    netproc_connected(net.n[0].np, &fp, net.now);
    netproc_connected(net.n[0].np, &br, net.now);
    netproc_connected(net.n[0].np, &old, net.now);
    int64_t f[4];
    assert_int_equal(fake_feefilters(f, 4), 1);
    assert_int_equal(f[0], net.n[0].np->feefilter_max);
    assert_true(f[0] > 9000000 && f[0] <= 10000000);
    settle(3600 * SEC);
    assert_int_equal(fake_feefilters(f, 4), 1);

    net.wall = GENESIS_TIME + 3600; /* the next tip is an hour old: caught up */
    mine_at(0, 1);
    settle(SEC);
    assert_int_equal(fake_feefilters(f, 4), 2);
    assert_int_equal(f[1], MEMPOOL_DEFAULT_MIN_RELAY_FEERATE);
    settle(24 * 3600 * SEC);
    assert_int_equal(fake_feefilters(f, 4), 2);
    teardown_net();

    blocksonly_node = 0;
    setup_net(1, 0);
    blocksonly_node = -1;
    netproc_connected(net.n[0].np, &fp, net.now);
    settle(3600 * SEC);
    assert_int_equal(fake_feefilters(f, 4), 0);
    teardown_net();
}

/* The schedule: the next feefilter is due after an exponential delay of
 * 10 minutes on average (a Poisson process), and within 5 minutes when
 * the fee moved by more than a third either way since the last one. */
static void test_feefilter_schedule(void **state)
{
    setup_net(1, 0);
    mine_at(0, 1);
    enum { N = 400 };
    int64_t sum = 0;
    for (uint64_t id = FAKE; id < FAKE + N; id++) {
        connect_fake(id, true);
        const struct np_peer *p = np_peer_find(net.n[0].np, id);
        assert_int_equal(p->feefilter_sent, MEMPOOL_DEFAULT_MIN_RELAY_FEERATE);
        assert_true(p->feefilter_due > net.now);
        sum += p->feefilter_due - net.now;
    }
    int64_t mean = sum / N;
    assert_true(mean > 8 * 60 * SEC && mean < 12 * 60 * SEC);

    /* Sent 1000 with no rolling fee: the pool's fee (0) is below three
     * quarters of it, so the next send moves within 5 minutes (as Core). */
    struct np_peer *p = np_peer_find(net.n[0].np, FAKE);
    p->feefilter_due = net.now + 3600 * SEC;
    netproc_tick(net.n[0].np, net.now);
    assert_true(p->feefilter_due <= net.now + 5 * 60 * SEC);
    /* Due already within 5 minutes: left alone. */
    int64_t due = p->feefilter_due = net.now + 4 * 60 * SEC;
    netproc_tick(net.n[0].np, net.now);
    assert_int_equal(p->feefilter_due, due);
    teardown_net();
}

/* Core's MaybeSendSendHeaders: sendheaders only once the best block the
 * peer is known to have carries more than the minimum chain work, so that
 * no headers announcement disturbs an initial headers sync; once. */
/* Core's CInv types: the witness flag goes with tx and block only. A
 * getdata of MSG_WITNESS_TX (by txid) is served with the witness; one of
 * a witness wtx or a witness compact block is an unknown type, given no
 * answer at all. In an inv, a witness block is unknown too (no headers
 * are asked for), while MSG_WITNESS_TX announces a txid, even from a
 * wtxid peer. */
static void test_witness_flag_types(void **state)
{
    setup_trickling_node();
    struct tx *tx = submit_spend(0, 1);
    settle(60 * SEC); /* announced at a trickle: it may be asked for */
    drop_queue();
    const struct hash256 *tip = &chainstate_tip(net.n[0].cs)->hash;
    struct proto_inv items[3] = {{PROTO_INV_WITNESS_TX, tx->txid},
                                 {PROTO_INV_WTX | PROTO_INV_WITNESS_FLAG, tx->wtxid},
                                 {PROTO_INV_CMPCT_BLOCK | PROTO_INV_WITNESS_FLAG, *tip}};
    fake_getdata(FAKE, items, 3);
    assert_int_equal(queued(PROTO_CMD_TX, -1), 1);
    assert_int_equal(net.q[0].len, tx->size); /* with its witness */
    assert_int_equal(queued(PROTO_CMD_NOTFOUND, -1), 0);
    assert_int_equal(queued(PROTO_CMD_CMPCTBLOCK, -1), 0);
    assert_int_equal(queued(PROTO_CMD_BLOCK, -1), 0);

    drop_queue();
    uint64_t getdata = net.fake_getdata;
    struct proto_inv ann[2] = {{PROTO_INV_WITNESS_BLOCK, {{0x66}}},
                               {PROTO_INV_WITNESS_TX, {{0x77}}}};
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, ann, 2);
    peer_sends(FAKE, PROTO_CMD_INV, &w);
    wbuf_free(&w);
    settle(10 * SEC);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 0);
    assert_int_equal(net.fake_getdata, getdata + 1);
    struct proto_inv got[2];
    assert_int_equal(fake_invs(PROTO_CMD_GETDATA, got, 2), 1);
    assert_int_equal(got[0].type, PROTO_INV_WITNESS_TX);
    assert_true(hash_eq(&got[0].hash, &ann[1].hash));
    assert_int_equal(net.misbehaving, 0);
    tx_free(tx);
    teardown_net();
}

static void test_sendheaders_after_min_work(void **state)
{
    setup_net_min_work(1, 12); /* genesis and 5 blocks */
    mine_at(0, 8);
    struct net_peer_props fp = props_of(FAKE, true), old = props_of(FAKE + 1, true);
    old.version = PROTO_SENDHEADERS_VERSION - 1;
    netproc_connected(net.n[0].np, &fp, net.now);
    netproc_connected(net.n[0].np, &old, net.now);
    settle(SEC);
    assert_int_equal(queued(PROTO_CMD_SENDHEADERS, -1), 0);
    peer_sends_headers(FAKE, &chainstate_at(net.n[0].cs, 5)->hdr, 1); /* work 12: not more */
    peer_sends_headers(FAKE + 1, &chainstate_at(net.n[0].cs, 8)->hdr, 1);
    assert_int_equal(queued(PROTO_CMD_SENDHEADERS, -1), 0);
    peer_sends_headers(FAKE, &chainstate_at(net.n[0].cs, 6)->hdr, 1);
    assert_int_equal(queued(PROTO_CMD_SENDHEADERS, -1), 1);
    peer_sends_headers(FAKE, &chainstate_at(net.n[0].cs, 8)->hdr, 1);
    settle(SEC);
    assert_int_equal(queued(PROTO_CMD_SENDHEADERS, -1), 1);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getdata_tx_after_trickle),
        cmocka_unit_test(test_no_tx_during_initial_download),
        cmocka_unit_test(test_mempool_only_for_hearsay_peers),
        cmocka_unit_test(test_getheaders_below_min_work),
        cmocka_unit_test(test_getblocks_continuation),
        cmocka_unit_test(test_getdata_block_awaits_activation),
        cmocka_unit_test(test_getdata_tx_of_last_block),
        cmocka_unit_test(test_getdata_block_unreadable),
        cmocka_unit_test(test_feefilter_rounder),
        cmocka_unit_test(test_feefilter_initial_download),
        cmocka_unit_test(test_feefilter_out_of_range),
        cmocka_unit_test(test_trickle_skips_what_left_the_mempool),
        cmocka_unit_test(test_no_fetch_of_confirmed_tx),
        cmocka_unit_test(test_feefilter_schedule),
        cmocka_unit_test(test_sendheaders_after_min_work),
        cmocka_unit_test(test_witness_flag_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
