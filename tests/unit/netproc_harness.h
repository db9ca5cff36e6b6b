/* The in-memory network the netproc tests run on (included by
 * tests/unit/test_netproc*.c only): real chainstates (temporary LevelDB
 * directories) and mempools, messages encoded as on the wire and decoded
 * as connman would, 1 ms per hop, a fake clock. Each program uses a part
 * of it, hence no unused-function warnings. */
#ifndef HEARSAY_TESTS_NETPROC_HARNESS_H
#define HEARSAY_TESTS_NETPROC_HARNESS_H

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

#pragma GCC diagnostic ignored "-Wunused-function"

#define MAXN 6
#define SEC 1000000LL

struct msg {
    int from, to; /* node indexes; -1: the test's fake peer */
    enum proto_cmd cmd;
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
    bool drop_rounds;  /* lose BIP330 round messages, as a Bitcoin Core peer
                        * that sent sendtxrcncl but ignores reqrecon */
    size_t inv_types[8]; /* inv entries delivered, by type (types < 8) */
    uint64_t fake_getdata; /* getdata messages sent to the fake peer */
    uint64_t dropped[4];   /* peers a node disconnected (io.disconnect) */
    size_t ndropped;
    bool fake_window;      /* the fake peer's send buffer holds one block */
    size_t fake_unread;    /* blocks sent to it since it last drained */
    struct hash256 fake_blocks[20]; /* the blocks it received, in order */
    size_t fake_nblocks;
    size_t fake_headers, fake_block_invs; /* block announcements to it, by kind */
    size_t fake_header_entries;            /* headers in those headers messages */
    size_t misbehaving;    /* io.misbehaving calls */
    size_t resumed;        /* io.resume_input calls */
    int64_t wall;          /* the nodes' unix clock */
    size_t getheaders[MAXN][MAXN]; /* getheaders sent, by sender and receiver */
    /* A fake connman for the extra outbound peers (with harness_extra):
     * the extra peers it reports, and what netproc set. */
    int extra_full, extra_block;
    bool try_new, block_relay_started;
};

static struct net net;

/* Peer ids: node j is peer j + 1 at every node; the fake peer is 100 (and
 * 101, a second one). */
#define FAKE 100

static int io_send(void *ctx, uint64_t peer, enum proto_cmd cmd, const void *payload,
                   size_t len)
{
    int from = (int)(intptr_t)ctx;
    int to = peer >= FAKE ? -1 : (int)peer - 1; /* ids from FAKE up: fake peers */
    if (net.drop_inv && cmd == PROTO_CMD_INV)
        return 0;
    if (net.drop_rounds && (cmd == PROTO_CMD_REQRECON || cmd == PROTO_CMD_SKETCH ||
                            cmd == PROTO_CMD_REQSKETCHEXT || cmd == PROTO_CMD_RECONCILDIFF))
        return 0;
    if (to < 0 && cmd == PROTO_CMD_GETDATA)
        net.fake_getdata++; /* counted when sent: the fake peer never answers */
    if (from >= 0 && to >= 0 && cmd == PROTO_CMD_GETHEADERS)
        net.getheaders[from][to]++;
    if (to < 0 && cmd == PROTO_CMD_HEADERS) {
        net.fake_headers++;
        net.fake_header_entries += len ? ((const uint8_t *)payload)[0] : 0; /* < 253 */
    }
    if (to < 0 && cmd == PROTO_CMD_INV && len > 4 && ((const uint8_t *)payload)[1] == 2)
        net.fake_block_invs++; /* an inv whose first entry is a block */
    if (to < 0 && cmd == PROTO_CMD_BLOCK && net.fake_nblocks < 20) {
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
    m->cmd = cmd;
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

static void io_resume_input(void *ctx, uint64_t peer)
{
    net.resumed++;
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

/* The fake connman is node 0's; the other nodes' asks are ignored. */
static int io_extra_outbound(void *ctx, enum peer_kind kind)
{
    if ((intptr_t)ctx != 0)
        return 0;
    return kind == PEER_FULL_RELAY ? net.extra_full : net.extra_block;
}

static void io_try_new_outbound(void *ctx, bool on)
{
    if ((intptr_t)ctx == 0)
        net.try_new = on;
}

static void io_start_extra_block_relay(void *ctx)
{
    if ((intptr_t)ctx == 0)
        net.block_relay_started = true;
}

/* Bind the extra outbound peers' hooks (Core's stale tip check). */
static bool harness_extra;

/* The node opened in blocks-only mode, the one with a 4-block download
 * window (-1: none). */
static int blocksonly_node = -1, small_window_node = -1;
/* Optional: adjusts node i's options before it opens. */
static void (*harness_options)(int i, struct netproc_options *o);
/* Set by a test: node i's hooks, after the harness's own. */
static void (*harness_io)(int i, struct netproc_io *io);
/* Optional: the chain parameters (regtest's by default). */
static const struct chain_params *harness_params;
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
    co.now = wall_now; /* initial download and the 2-hour rule follow net.wall */
    char *err = NULL;
    nd->cs = chainstate_open(harness_params ? harness_params : params_get(CHAIN_REGTEST),
                             nd->dir, &co, &err);
    assert_non_null(nd->cs);
    struct mempool_options mo;
    mempool_options_default(&mo);
    mo.require_standard = false; /* the test's coins are bare OP_TRUE */
    nd->mp = mempool_new(&mo, chainstate_coin_lookup, nd->cs);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, nd, NULL};
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
    if (harness_options)
        harness_options(i, &o);
    struct netproc_io io = {.ctx = (void *)(intptr_t)i, .send = io_send,
                            .disconnect = io_disconnect, .send_blocked = io_send_blocked,
                            .misbehaving = io_misbehaving, .resume_input = io_resume_input};
    if (harness_extra) {
        io.extra_outbound = io_extra_outbound;
        io.try_new_outbound = io_try_new_outbound;
        io.start_extra_block_relay = io_start_extra_block_relay;
    }
    if (harness_io)
        harness_io(i, &io);
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

/* setup_net with regtest's parameters but a minimum chain work of `work`
 * (each regtest block, genesis included, weighs 2). */
static void setup_net_min_work(int count, uint8_t work)
{
    static struct chain_params high;
    high = *params_get(CHAIN_REGTEST);
    memset(&high.min_chain_work, 0, sizeof(high.min_chain_work));
    high.min_chain_work.b[0] = work;
    harness_params = &high;
    setup_net(count, 0);
    harness_params = NULL;
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
                                   .version = PROTO_VERSION, .hello = true,
                                   .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS};
}

/* A handshaked fake peer of node 0, as most tests open with. */
static void connect_fake(uint64_t id, bool inbound)
{
    struct net_peer_props p = props_of(id, inbound);
    netproc_connected(net.n[0].np, &p, net.now);
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

/* The steps of a block activation a message began, as the node's
 * immediate wake-ups run them (a block is stored on arrival, connected on
 * later turns of the loop). */
static void harness_activate(struct netproc *np, int64_t now)
{
    while (netproc_activating(np))
        netproc_tick(np, now);
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
    struct net_msg nm;
    assert_true(proto_msg_decode(m->cmd, m->data, m->len, &nm));
    if (m->cmd == PROTO_CMD_INV)
        for (size_t j = 0; j < nm.u.inv.n; j++)
            if (nm.u.inv.items[j].type < 8)
                net.inv_types[nm.u.inv.items[j].type]++;
    netproc_message(np, from, &nm, net.now);
    proto_msg_clear(&nm);
    harness_activate(np, net.now);
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

/* Messages of that command queued for node `to` (-1: the fake peer). */
static size_t queued(enum proto_cmd cmd, int to)
{
    size_t k = 0;
    for (size_t i = 0; i < net.nq; i++)
        k += net.q[i].to == to && net.q[i].cmd == cmd;
    return k;
}

/* The inv entries of the `cmd` messages (inv, notfound...) queued for
 * the fake peer. */
static size_t fake_invs(enum proto_cmd cmd, struct proto_inv *out, size_t cap)
{
    size_t total = 0;
    for (size_t i = 0; i < net.nq; i++) {
        if (net.q[i].to != -1 || net.q[i].cmd != cmd)
            continue;
        struct cursor c;
        struct proto_inv *v = NULL;
        size_t n = 0;
        cursor_init(&c, net.q[i].data, net.q[i].len);
        assert_true(proto_inv_decode(&c, &v, &n));
        for (size_t k = 0; k < n && total < cap; k++)
            out[total++] = v[k];
        free(v);
    }
    return total;
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

/* A message from the fake peer id, handled by node 0 at once. */
static void peer_sends(uint64_t id, enum proto_cmd cmd, const struct wbuf *w)
{
    struct net_msg nm;
    assert_true(proto_msg_decode(cmd, w->data, w->len, &nm));
    netproc_message(net.n[0].np, id, &nm, net.now);
    proto_msg_clear(&nm);
    harness_activate(net.n[0].np, net.now);
}

/* A transaction from the fake peer id, handled by node 0 at once. */
static void peer_sends_tx(uint64_t id, const struct tx *tx)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, tx->raw, tx->size);
    peer_sends(id, PROTO_CMD_TX, &w);
    wbuf_free(&w);
}

/* headers h[0..n) from the fake peer id. */
static void peer_sends_headers(uint64_t id, const struct block_header *h, size_t n)
{
    uint8_t(*raw)[80] = malloc((n ? n : 1) * sizeof(*raw));
    for (size_t i = 0; i < n; i++)
        block_header_serialize(&h[i], raw[i]);
    struct wbuf w;
    wbuf_init(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, n);
    peer_sends(id, PROTO_CMD_HEADERS, &w);
    wbuf_free(&w);
    free(raw);
}

/* For main(): NETPROC_TEST_LOG puts every log category on stderr,
 * NETPROC_TEST_ONLY runs only the tests its pattern names. */
static void harness_env(void)
{
    if (getenv("NETPROC_TEST_LOG")) {
        log_set_console(true);
        log_enable(LOG_ALL);
    }
    if (getenv("NETPROC_TEST_ONLY"))
        cmocka_set_test_filter(getenv("NETPROC_TEST_ONLY"));
}

#endif
