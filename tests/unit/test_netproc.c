/* netproc driven over an in-memory network: real chainstates (temporary
 * LevelDB directories) and mempools, messages encoded as on the wire and
 * decoded as connman would, a fake clock. Checks block propagation
 * (headers-first), transaction relay without duplicate downloads, orphans
 * and their parents, catch-up after a partition (headers sync + BIP35),
 * anti-entropy repairing what gossip missed, getdata service and block
 * stall handling. */
#include "chain/util/log.h"
#include "net/sync/netproc.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define MAXN 6
#define SEC 1000000LL

struct msg {
    int from, to; /* node indexes; -1: the test's fake peer */
    char cmd[13];
    uint8_t *data;
    size_t len;
};

struct node {
    char *dir;
    struct chainstate *cs;
    struct mempool *mp;
    struct netproc *np;
    bool linked[MAXN];
};

struct net {
    struct node n[MAXN];
    int count;
    struct msg *q;
    size_t nq, capq;
    int64_t now;
    uint32_t tag;
    bool drop_inv;     /* lose every tx announcement (anti-entropy test) */
    size_t inv_types[8]; /* inv entries delivered, by type (types < 8) */
    uint64_t fake_getdata; /* getdata messages sent to the fake peer */
    uint64_t dropped[4];   /* peers a node disconnected (io.disconnect) */
    size_t ndropped;
    bool fake_window;      /* the fake peer's send buffer holds one block */
    size_t fake_unread;    /* blocks sent to it since it last drained */
    struct hash256 fake_blocks[20]; /* the blocks it received, in order */
    size_t fake_nblocks;
    size_t fake_headers, fake_block_invs; /* block announcements to it, by kind */
    size_t misbehaving;    /* io.misbehaving calls */
    int64_t wall;          /* the nodes' unix clock */
    size_t getheaders[MAXN][MAXN]; /* getheaders sent, by sender and receiver */
};

static struct net net;

/* Peer ids: node j is peer j + 1 at every node; the fake peer is 100 (and
 * 101, a second one). */
#define FAKE 100

static int io_send(void *ctx, uint64_t peer, const char *command, const void *payload,
                   size_t len)
{
    int from = (int)(intptr_t)ctx;
    int to = peer >= FAKE ? -1 : (int)peer - 1; /* ids from FAKE up: fake peers */
    if (net.drop_inv && strcmp(command, "inv") == 0)
        return 0;
    if (to < 0 && strcmp(command, "getdata") == 0)
        net.fake_getdata++; /* counted when sent: the fake peer never answers */
    if (from >= 0 && to >= 0 && strcmp(command, "getheaders") == 0)
        net.getheaders[from][to]++;
    if (to < 0 && strcmp(command, "headers") == 0)
        net.fake_headers++;
    if (to < 0 && strcmp(command, "inv") == 0 && len > 4 && ((const uint8_t *)payload)[1] == 2)
        net.fake_block_invs++; /* an inv whose first entry is a block */
    if (to < 0 && strcmp(command, "block") == 0 && net.fake_nblocks < 20) {
        struct block_header h;
        struct cursor c;
        cursor_init(&c, payload, len);
        assert_true(block_header_parse(&c, &h));
        block_header_hash(&h, &net.fake_blocks[net.fake_nblocks++]);
        net.fake_unread++;
    }
    if (net.nq == net.capq) {
        net.capq = net.capq ? net.capq * 2 : 256;
        net.q = realloc(net.q, net.capq * sizeof(*net.q));
        assert_non_null(net.q);
    }
    struct msg *m = &net.q[net.nq++];
    m->from = from;
    m->to = to;
    snprintf(m->cmd, sizeof(m->cmd), "%s", command);
    m->data = len ? malloc(len) : NULL;
    if (len)
        memcpy(m->data, payload, len);
    m->len = len;
    return 0;
}

/* Regtest's genesis time. */
#define GENESIS_TIME 1296688602LL

static int64_t wall_now(void)
{
    return net.wall;
}

static bool io_send_blocked(void *ctx, uint64_t peer)
{
    return peer >= FAKE && net.fake_window && net.fake_unread >= 1;
}

static void io_misbehaving(void *ctx, uint64_t peer, const char *reason)
{
    net.misbehaving++;
}

static void io_disconnect(void *ctx, uint64_t peer, const char *reason)
{
    if (net.ndropped < 4)
        net.dropped[net.ndropped++] = peer;
}

/* The node opened in blocks-only mode, the one with a 4-block download
 * window (-1: none). */
static int blocksonly_node = -1, small_window_node = -1;
/* The node with a mock wall clock (-1: none). */
static int mock_clock_node = -1;
#define MOCK_WALL 1900000000

static int64_t mock_wall(void)
{
    return MOCK_WALL;
}

/* The daemon's chain-mempool link, in small: the mempool follows blocks. */
static void tip_of(struct node *nd, struct mempool_tip *t)
{
    const struct bindex_node *tip = chainstate_tip(nd->cs);
    *t = (struct mempool_tip){.height = tip->height, .mtp = bindex_median_time_past(tip)};
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct mempool_tip t;
    tip_of(ctx, &t);
    mempool_block_connected(((struct node *)ctx)->mp, b, &t);
}

static void on_disconnected(void *ctx, const struct block *b, int height)
{
    struct mempool_tip t;
    tip_of(ctx, &t);
    mempool_block_disconnected(((struct node *)ctx)->mp, b, &t, 0);
}

static void node_open(int i, int64_t antientropy)
{
    struct node *nd = &net.n[i];
    nd->dir = testutil_tmpdir("netproc");
    struct chainstate_options co;
    chainstate_default_options(&co);
    co.dbcache_bytes = 8 << 20;
    char *err = NULL;
    nd->cs = chainstate_open(params_get(CHAIN_REGTEST), nd->dir, &co, &err);
    assert_non_null(nd->cs);
    struct mempool_options mo;
    mempool_options_default(&mo);
    mo.require_standard = false; /* the test's coins are bare OP_TRUE */
    nd->mp = mempool_new(&mo, chainstate_coin_lookup, nd->cs);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, nd};
    chainstate_add_callbacks(nd->cs, &cb);
    struct netproc_options o;
    netproc_options_default(&o);
    o.policy.trickle_in_us = 0;
    o.policy.trickle_out_us = 0;
    o.seed = (uint64_t)i + 1;
    o.antientropy_us = antientropy;
    o.block_timeout_us = 5 * SEC;
    o.wall_now = wall_now;
    o.blocksonly = i == blocksonly_node;
    if (i == small_window_node)
        o.block_window = 4;
    if (i == mock_clock_node)
        o.wall_now = mock_wall;
    struct netproc_io io = {.ctx = (void *)(intptr_t)i, .send = io_send,
                            .disconnect = io_disconnect, .send_blocked = io_send_blocked,
                            .misbehaving = io_misbehaving};
    nd->np = netproc_new(&o, &io, nd->cs, nd->mp, &err);
    assert_non_null(nd->np);
}

static void setup_net(int count, int64_t antientropy)
{
    memset(&net, 0, sizeof(net));
    net.now = 1000 * SEC;
    /* The test chains start at genesis, a minute a block: their headers
     * count as close to today (every peer syncs) unless a test moves on. */
    net.wall = GENESIS_TIME + 23 * 3600;
    net.count = count;
    for (int i = 0; i < count; i++)
        node_open(i, antientropy);
}

static void teardown_net(void)
{
    for (size_t i = 0; i < net.nq; i++)
        free(net.q[i].data);
    free(net.q);
    for (int i = 0; i < net.count; i++) {
        netproc_free(net.n[i].np);
        mempool_free(net.n[i].mp);
        chainstate_close(net.n[i].cs);
        testutil_rmtree(net.n[i].dir);
    }
}

static struct net_peer_props props_of(uint64_t id, bool inbound)
{
    return (struct net_peer_props){.id = id, .inbound = inbound, .wtxidrelay = true,
                                   .sendheaders = true, .relay = true,
                                   .version = PROTO_VERSION, .hello = true};
}

/* a dials b; wtxid says whether both signal BIP339. */
static void link_nodes_wtxid(int a, int b, bool wtxid)
{
    struct net_peer_props pa = props_of((uint64_t)b + 1, false);
    struct net_peer_props pb = props_of((uint64_t)a + 1, true);
    pa.wtxidrelay = pb.wtxidrelay = wtxid;
    net.n[a].linked[b] = net.n[b].linked[a] = true;
    netproc_connected(net.n[a].np, &pa, net.now);
    netproc_connected(net.n[b].np, &pb, net.now);
}

static void link_nodes(int a, int b)
{
    link_nodes_wtxid(a, b, true);
}

static void unlink_nodes(int a, int b)
{
    net.n[a].linked[b] = net.n[b].linked[a] = false;
    netproc_disconnected(net.n[a].np, (uint64_t)b + 1, net.now);
    netproc_disconnected(net.n[b].np, (uint64_t)a + 1, net.now);
}

/* Decodes as peer.c does and hands the message to the receiver. */
static void deliver(struct msg *m)
{
    if (m->to < 0)
        return;
    if (m->from >= 0 && !net.n[m->to].linked[m->from])
        return;
    struct netproc *np = net.n[m->to].np;
    uint64_t from = m->from < 0 ? FAKE : (uint64_t)m->from + 1;
    char name[13] = {0};
    memcpy(name, m->cmd, strlen(m->cmd));
    enum proto_cmd cmd = proto_cmd_lookup(name);
    if (cmd == PROTO_CMD_OTHER) {
        netproc_custom(np, from, m->cmd, m->data, m->len, net.now);
        return;
    }
    struct net_msg nm = {.cmd = cmd, .payload = m->data, .len = m->len};
    struct cursor c;
    cursor_init(&c, m->data, m->len);
    struct proto_inv *inv = NULL;
    const uint8_t **hdrs = NULL;
    switch (cmd) {
    case PROTO_CMD_INV:
    case PROTO_CMD_GETDATA:
    case PROTO_CMD_NOTFOUND:
        assert_true(proto_inv_decode(&c, &inv, &nm.u.inv.n));
        nm.u.inv.items = inv;
        break;
    case PROTO_CMD_HEADERS:
        assert_true(proto_headers_decode(&c, &hdrs, &nm.u.headers.n));
        nm.u.headers.hdrs = hdrs;
        break;
    case PROTO_CMD_GETHEADERS:
    case PROTO_CMD_GETBLOCKS:
        assert_true(proto_locator_decode(&c, &nm.u.locator));
        break;
    case PROTO_CMD_FEEFILTER:
        assert_true(proto_feefilter_decode(&c, &nm.u.feerate));
        break;
    default:
        break;
    }
    if (cmd == PROTO_CMD_INV)
        for (size_t j = 0; j < nm.u.inv.n; j++)
            if (inv[j].type < 8)
                net.inv_types[inv[j].type]++;
    netproc_message(np, from, &nm, net.now);
    if (cmd == PROTO_CMD_GETHEADERS || cmd == PROTO_CMD_GETBLOCKS)
        proto_locator_clear(&nm.u.locator);
    free(inv);
    free(hdrs);
}

/* Delivers messages (1 ms per hop) and runs due ticks until nothing is
 * pending before `until`. Ticks at a time already passed do nothing new
 * (rounds run strictly after acceptance), so time always moves on. */
static void run_until(int64_t until)
{
    while (net.now <= until) {
        struct msg *batch = net.q;
        size_t n = net.nq;
        net.q = NULL;
        net.nq = net.capq = 0;
        for (size_t i = 0; i < n; i++) {
            deliver(&batch[i]);
            free(batch[i].data);
        }
        free(batch);
        int64_t wake = INT64_MAX;
        for (int i = 0; i < net.count; i++) {
            int64_t w = netproc_next_wakeup(net.n[i].np);
            if (w <= net.now)
                netproc_tick(net.n[i].np, net.now);
            w = netproc_next_wakeup(net.n[i].np);
            if (w < wake)
                wake = w;
        }
        if (net.nq == 0 && wake > until)
            break;
        net.now = net.nq == 0 && wake > net.now + 1000 ? wake : net.now + 1000;
    }
    if (net.now < until)
        net.now = until;
}

/* Mines a block on node i's tip with the given extra transactions. */
static struct block *mine(int i, struct tx **txs, size_t n)
{
    const struct bindex_node *tip = chainstate_tip(net.n[i].cs);
    struct tx *all[16];
    assert_true(n < 16);
    all[0] = testutil_coinbase(tip->height + 1,
                               params_block_subsidy(params_get(CHAIN_REGTEST), tip->height + 1),
                               ++net.tag);
    for (size_t k = 0; k < n; k++)
        all[k + 1] = tx_ref(txs[k]);
    return testutil_block(&tip->hash, tip->hdr.time + 60, all, n + 1);
}

static void submit(int i, struct block *b)
{
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st = netproc_submit_block(net.n[i].np, b, &reason, &err, net.now);
    if (st != CHAINSTATE_ACCEPTED)
        fail_msg("block refused: %s", reason ? reason : err);
    block_free(b);
}

static void mine_at(int i, int count)
{
    for (int k = 0; k < count; k++)
        submit(i, mine(i, NULL, 0));
}

/* Mines tx into a block on node i's tip. */
static void mine_tx_at(int i, struct tx *tx)
{
    submit(i, mine(i, &tx, 1));
}

/* Spends output 0 of node i's coinbase at height h. */
static struct tx *spend_coinbase(int i, int h)
{
    const struct bindex_node *n = chainstate_at(net.n[i].cs, h);
    char *err = NULL;
    struct block *b = chainstate_get_block(net.n[i].cs, &n->hash, &err);
    assert_non_null(b);
    struct outpoint op = {b->txs[0]->txid, 0};
    int64_t out = 50 * 100000000LL - 10000;
    struct tx *tx = testutil_spend(&op, 1, &out, 1, 0);
    block_free(b);
    return tx;
}

/* Node i accepts (locally) a spend of its coinbase at height h. */
static struct tx *submit_spend(int i, int h)
{
    struct tx *tx = spend_coinbase(i, h);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[i].np, tx, &rej, net.now), MEMPOOL_ACCEPTED);
    return tx;
}

static struct tx *spend_output(const struct tx *parent, int64_t fee)
{
    struct outpoint op = {parent->txid, 0};
    int64_t out = parent->vout[0].value - fee;
    return testutil_spend(&op, 1, &out, 1, 0);
}

static void assert_same_tip(void)
{
    const struct bindex_node *t0 = chainstate_tip(net.n[0].cs);
    for (int i = 1; i < net.count; i++)
        assert_true(hash_eq(&chainstate_tip(net.n[i].cs)->hash, &t0->hash));
}

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
    io_send((void *)(intptr_t)-1, 2, "tx", child->raw, child->size); /* fake -> node 1 */
    run_until(net.now + 3 * SEC); /* txid requests wait 2 s beside BIP339 peers */
    struct netproc_info info;
    netproc_get_info(net.n[1].np, &info);
    assert_int_equal(info.orphans, 1);
    assert_null(mempool_get(net.n[1].mp, &child->txid));
    /* Its parent was requested from the announcer. */
    assert_true(net.fake_getdata >= 1);
    /* The parent arrives: both enter, and node 0 gets both. */
    io_send((void *)(intptr_t)-1, 2, "tx", parent->raw, parent->size); /* fake -> node 1 */
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
    io_send((void *)(intptr_t)-1, (uint64_t)n + 1, "tx", tx->raw, tx->size);
    return tx;
}

static size_t orphan_count(int n)
{
    struct netproc_info info;
    netproc_get_info(net.n[n].np, &info);
    return info.orphans;
}

/* Bitcoin Core's orphan rules: none heavier than a standard transaction,
 * a departed peer's orphans leave with it, the others expire after 20
 * minutes. */
static void test_orphan_limits(void **state)
{
    setup_net(1, 0);
    mine_at(0, 1);
    struct net_peer_props fp = props_of(FAKE, false);
    netproc_connected(net.n[0].np, &fp, net.now);
    struct net_peer_props other = props_of(FAKE + 1, true);
    netproc_connected(net.n[0].np, &other, net.now);
    struct tx *heavy = send_orphan(0, 1, 100000);
    assert_true(tx_weight(heavy) > NETPROC_MAX_ORPHAN_WEIGHT);
    struct tx *light = send_orphan(0, 2, 0);
    run_until(net.now + SEC);
    assert_int_equal(orphan_count(0), 1);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    assert_int_equal(orphan_count(0), 0);
    /* Another peer's departure leaves FAKE's orphan; expiry removes it. */
    netproc_connected(net.n[0].np, &fp, net.now);
    struct tx *kept = send_orphan(0, 3, 0);
    run_until(net.now + SEC);
    assert_int_equal(orphan_count(0), 1);
    netproc_disconnected(net.n[0].np, FAKE + 1, net.now);
    assert_int_equal(orphan_count(0), 1);
    run_until(net.now + NETPROC_ORPHAN_EXPIRY_US - 10 * SEC);
    assert_int_equal(orphan_count(0), 1);
    run_until(net.now + 20 * SEC);
    netproc_tick(net.n[0].np, net.now);
    assert_int_equal(orphan_count(0), 0);
    tx_free(heavy);
    tx_free(light);
    tx_free(kept);
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
    io_send((void *)(intptr_t)-1, 3, "headers", w.data, w.len); /* fake -> node 2 */
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

/* Bitcoin Core's staller rule: node 2 (a 4-block window) asked the silent
 * fake peer for blocks 1-4; node 0, which has all 10, could serve 5-10 but
 * for the window, so the fake peer holding block 1 is dropped after 2 s
 * (before the 5 s per-request timeout), and the next staller gets twice
 * as long. */
static void test_block_staller(void **state)
{
    small_window_node = 2;
    setup_net(3, 0);
    small_window_node = -1;
    link_nodes(0, 1);
    mine_at(0, 10);
    run_until(net.now + 5 * SEC);
    fake_announces_headers(10);
    run_until(net.now + SEC / 10);
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
    io_send((void *)(intptr_t)1, 1, "feefilter", w.data, w.len); /* node 1 -> node 0 */
    wbuf_free(&w);
    run_until(net.now + SEC);
    struct tx *low = spend_coinbase(0, 1);
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(net.n[0].np, low, &rej, net.now), MEMPOOL_ACCEPTED);
    io_send((void *)(intptr_t)1, 1, "mempool", NULL, 0);
    run_until(net.now + 20 * SEC);
    assert_null(mempool_get(net.n[1].mp, &low->txid));
    wbuf_init(&w);
    wbuf_i64(&w, 0);
    io_send((void *)(intptr_t)1, 1, "feefilter", w.data, w.len);
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
 * through headers sync), and the returned transaction confirmed only on
 * the losing branch is in both mempools. Announcements delivered after
 * the partition are counted afresh. */
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
    for (int i = 0; i < 2; i++)
        assert_non_null(mempool_get(net.n[i].mp, &tx->txid));
    return tx;
}

static void test_reorg_after_partition(void **state)
{
    tx_free(partition_and_reorg(5 * SEC));
    teardown_net();
}

/* Without anti-entropy, a transaction a reorg returns to the mempool
 * reaches the other side only because it is announced again; the BIP35
 * exchange at connection time happened before the reorg. Exactly one
 * announcement: only what was re-added, and not back to its sender. */
static void test_reorg_reannounces(void **state)
{
    struct tx *tx = partition_and_reorg(0);
    struct netproc_info info;
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.txs_readded, 1);
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 1);
    /* A later block on the same branch is no reorg: nothing again. */
    mine_at(1, 1);
    run_until(net.now + 10 * SEC);
    netproc_get_info(net.n[0].np, &info);
    assert_int_equal(info.txs_readded, 1);
    assert_int_equal(net.inv_types[PROTO_INV_WTX], 1);
    tx_free(tx);
    teardown_net();
}

/* Bitcoin Core disconnects peers that send `mempool` without NODE_BLOOM:
 * only hearsay peers (hsgossip) and NODE_BLOOM peers are asked. */
static size_t queued(const char *cmd, int to)
{
    size_t k = 0;
    for (size_t i = 0; i < net.nq; i++)
        k += net.q[i].to == to && strcmp(net.q[i].cmd, cmd) == 0;
    return k;
}

static void test_mempool_request_only_when_welcome(void **state)
{
    setup_net(1, 0);
    struct net_peer_props core = props_of(FAKE, false);
    core.hello = false;
    netproc_connected(net.n[0].np, &core, net.now);
    assert_int_equal(queued("getheaders", -1), 1);
    assert_int_equal(queued("mempool", -1), 0);
    netproc_disconnected(net.n[0].np, FAKE, net.now);
    core.services = PROTO_NODE_NETWORK | PROTO_NODE_BLOOM;
    netproc_connected(net.n[0].np, &core, net.now);
    assert_int_equal(queued("mempool", -1), 1);
    teardown_net();
}

/* -blocksonly (node 0): its version said relay=false, so node 1 announces
 * no transaction to it; it asks for no mempool, still follows the chain,
 * and drops (without discouraging) a peer that sends a transaction or its
 * announcement anyway, as Bitcoin Core does. */
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
    assert_int_equal(queued("mempool", 1), 0);
    mine_at(1, 101);
    run_until(net.now + 10 * SEC);
    assert_same_tip();
    struct tx *tx = submit_spend(1, 1);
    run_until(net.now + 10 * SEC);
    assert_int_equal(mempool_count(net.n[0].mp), 0);
    assert_int_equal(net.inv_types[PROTO_INV_WTX] + net.inv_types[PROTO_INV_TX], 0);
    assert_int_equal(net.ndropped, 0);
    /* Peers that ignore relay=false are dropped. */
    struct net_peer_props fp = props_of(FAKE, false), fp2 = props_of(FAKE + 1, false);
    netproc_connected(net.n[0].np, &fp, net.now);
    netproc_connected(net.n[0].np, &fp2, net.now);
    struct proto_inv item = {PROTO_INV_WTX, tx->wtxid};
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &item, 1);
    io_send((void *)(intptr_t)-1, 1, "inv", w.data, w.len); /* FAKE -> node 0 */
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
    struct net_peer_props fp = props_of(FAKE, true);
    netproc_connected(net.n[0].np, &fp, net.now);
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
    io_send((void *)(intptr_t)-1, 1, "getdata", w.data, w.len); /* fake -> node 0 */
    wbuf_free(&w);
    run_until(net.now + SEC);
    for (size_t k = 1; k <= 16; k++) {
        assert_int_equal(net.fake_nblocks, k); /* one more per drain */
        assert_true(netproc_getdata_pending(net.n[0].np, FAKE));
        assert_int_equal(queued("notfound", -1), 0);
        net.fake_unread = 0;
        netproc_send_ready(net.n[0].np, FAKE, net.now);
    }
    assert_false(netproc_getdata_pending(net.n[0].np, FAKE));
    for (int h = 0; h < 16; h++)
        assert_true(hash_eq(&net.fake_blocks[h], &items[h].hash));
    assert_int_equal(queued("notfound", -1), 1);
    for (size_t i = 0; i < net.nq; i++) {
        if (net.q[i].to != -1 || strcmp(net.q[i].cmd, "notfound") != 0)
            continue;
        struct cursor c;
        struct proto_inv *nf = NULL;
        size_t n = 0;
        cursor_init(&c, net.q[i].data, net.q[i].len);
        assert_true(proto_inv_decode(&c, &nf, &n));
        assert_int_equal(n, 1);
        assert_int_equal(nf[0].type, PROTO_INV_WTX);
        free(nf);
    }
    assert_int_equal(net.ndropped, 0);
    teardown_net();
}

/* sendheaders long after the handshake still switches block
 * announcements to headers (it used to be noticed in the first 10 s). */
static void test_late_sendheaders(void **state)
{
    setup_net(1, 0);
    struct net_peer_props fp = props_of(FAKE, true);
    fp.sendheaders = false;
    netproc_connected(net.n[0].np, &fp, net.now);
    mine_at(0, 1);
    run_until(net.now + 30 * SEC);
    assert_int_equal(net.fake_block_invs, 1);
    assert_int_equal(net.fake_headers, 0);
    io_send((void *)(intptr_t)-1, 1, "sendheaders", NULL, 0);
    run_until(net.now + SEC);
    mine_at(0, 1);
    run_until(net.now + 30 * SEC);
    assert_int_equal(net.fake_block_invs, 1);
    assert_int_equal(net.fake_headers, 1);
    teardown_net();
}

/* A header more than 2 hours ahead of our clock (Core's BLOCK_TIME_FUTURE)
 * is ignored, not punished; a header with bad proof of work is. */
static void test_future_header_not_punished(void **state)
{
    setup_net(1, 0);
    struct net_peer_props fp = props_of(FAKE, false);
    netproc_connected(net.n[0].np, &fp, net.now);
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    struct tx *cb = testutil_coinbase(1, 50 * 100000000LL, 7);
    struct block *b = testutil_block(&tip->hash, (uint32_t)time(NULL) + 3 * 3600, &cb, 1);
    uint8_t raw[1][80];
    block_header_serialize(&b->hdr, raw[0]);
    struct wbuf w;
    wbuf_init(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, 1);
    io_send((void *)(intptr_t)-1, 1, "headers", w.data, w.len);
    run_until(net.now + SEC);
    assert_int_equal(net.misbehaving, 0);
    assert_null(chainstate_find(net.n[0].cs, &b->hash));
    raw[0][72] ^= 0xff; /* nBits: no longer the chain's */
    wbuf_reset(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, 1);
    io_send((void *)(intptr_t)-1, 1, "headers", w.data, w.len);
    run_until(net.now + SEC);
    assert_int_equal(net.misbehaving, 1);
    wbuf_free(&w);
    block_free(b);
    teardown_net();
}

/* Core's initial headers sync: with our best header over a day old,
 * headers are asked of one (outbound) peer only; once the headers bring
 * us close to today, of the others too. */
static void test_headers_from_one_peer(void **state)
{
    setup_net(3, 0);
    net.wall = GENESIS_TIME + 30 * 86400;
    link_nodes(1, 0);
    mine_at(0, 20);
    run_until(net.now + 10 * SEC);
    assert_int_equal(chainstate_height(net.n[1].cs), 20);
    link_nodes(2, 0);
    link_nodes(2, 1);
    assert_int_equal(net.getheaders[2][0], 1); /* the first outbound peer */
    assert_int_equal(net.getheaders[2][1], 0);
    run_until(net.now + 10 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 20);
    assert_int_equal(net.getheaders[2][1], 0); /* still not close to today */
    net.wall = (int64_t)chainstate_tip(net.n[2].cs)->hdr.time + 3600;
    netproc_tick(net.n[2].np, net.now);
    assert_int_equal(net.getheaders[2][1], 1);
    teardown_net();
}

int main(void)
{
    if (getenv("NETPROC_TEST_LOG")) { /* debugging: every category on stderr */
        log_set_console(true);
        log_enable(LOG_ALL);
    }
    if (getenv("NETPROC_TEST_ONLY"))
        cmocka_set_test_filter(getenv("NETPROC_TEST_ONLY"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_line),
        cmocka_unit_test(test_late_joiner_and_txs),
        cmocka_unit_test(test_orphan_parent_requested),
        cmocka_unit_test(test_orphan_limits),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_antientropy_repairs),
        cmocka_unit_test(test_block_stall),
        cmocka_unit_test(test_block_staller),
        cmocka_unit_test(test_txid_peer),
        cmocka_unit_test(test_feefilter),
        cmocka_unit_test(test_long_sync),
        cmocka_unit_test(test_mempool_request_only_when_welcome),
        cmocka_unit_test(test_reorg_after_partition),
        cmocka_unit_test(test_reorg_reannounces),
        cmocka_unit_test(test_blocksonly),
        cmocka_unit_test(test_entry_time_follows_clock),
        cmocka_unit_test(test_getdata_backpressure),
        cmocka_unit_test(test_late_sendheaders),
        cmocka_unit_test(test_future_header_not_punished),
        cmocka_unit_test(test_headers_from_one_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
