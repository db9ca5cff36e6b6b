/* BIP152 in netproc (net/sync/cmpctblock.c): one node with a real
 * chainstate and mempool, and a fake peer whose messages are built with
 * the codecs and whose replies are captured. Serving (cmpctblock within
 * 5 blocks of the tip, full blocks below; blocktxn within 10, out-of-range
 * indexes punished), receiving (rebuilt from the mempool with no round
 * trip, one getblocktxn for one missing transaction, a wrong blocktxn
 * fetching the full block, a short one punished, several blocks rebuilt
 * from one peer at once, up to its 16 in flight, one block from up to 3
 * peers at once) and the high-bandwidth
 * choice (sendcmpct(1, 2) to the peer that delivered a new block first);
 * punishment for invalid blocks by how they came, and which stale blocks
 * are served (Core's MaybePunishNodeForBlock and BlockRequestAllowed);
 * a full block ends its sender's request, the others' once stored. */
#include "net/sync/netproc.h"
#include "net/wire/cmpct.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define FAKE 100
#define T0 1700000000u
#define MAXMSG 64

struct sent {
    uint64_t peer;
    char cmd[13];
    uint8_t *data;
    size_t len;
};

static struct {
    char *dir;
    struct chainstate *cs;
    struct mempool *mp;
    struct netproc *np;
    struct sent out[MAXMSG];
    size_t nout;
    char misbehaving[128];
    uint32_t tag;
    struct hash256 coinbase[16]; /* txids of the first blocks' coinbases */
    int64_t shift;               /* seconds the clock moved on */
    uint64_t from;               /* the peer messages come from: FAKE if 0 */
} w;

static int64_t fake_now(void)
{
    return T0 + 400 * 60 + w.shift; /* the tip stays recent: no initial download */
}

static int io_send(void *ctx, uint64_t peer, enum proto_cmd cmd, const void *payload,
                   size_t len)
{
    assert_true(peer >= FAKE && peer < FAKE + 8);
    assert_true(w.nout < MAXMSG);
    struct sent *s = &w.out[w.nout++];
    s->peer = peer;
    snprintf(s->cmd, sizeof(s->cmd), "%s", proto_cmd_name(cmd));
    s->data = malloc(len ? len : 1);
    memcpy(s->data, payload, len);
    s->len = len;
    return 0;
}

static void io_misbehaving(void *ctx, uint64_t peer, const char *reason)
{
    snprintf(w.misbehaving, sizeof(w.misbehaving), "%s", reason);
}

static void clear_out(void)
{
    for (size_t i = 0; i < w.nout; i++)
        free(w.out[i].data);
    w.nout = 0;
    w.misbehaving[0] = '\0';
}

/* The last message of that command sent to the fake peer, or NULL. */
static const struct sent *sent(const char *cmd)
{
    for (size_t i = w.nout; i-- > 0;)
        if (strcmp(w.out[i].cmd, cmd) == 0)
            return &w.out[i];
    return NULL;
}

/* How many messages of that command went to the fake peer (others, such
 * as sendheaders once the peer's chain is known, may come in between). */
static size_t count_sent(const char *cmd)
{
    size_t n = 0;
    for (size_t i = 0; i < w.nout; i++)
        n += strcmp(w.out[i].cmd, cmd) == 0;
    return n;
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct mempool_tip t = {.height = height, .mtp = 0};
    mempool_block_connected(w.mp, b, &t);
}

static void deliver(enum proto_cmd cmd, const struct wbuf *payload)
{
    struct net_msg m;
    assert_true(proto_msg_decode(cmd, payload->data, payload->len, &m));
    netproc_message(w.np, w.from ? w.from : FAKE, &m, fake_now() * 1000000LL);
    proto_msg_clear(&m);
    /* A block is stored on arrival and connected on the loop's next
     * turns, which the node's immediate wake-ups run. */
    while (netproc_activating(w.np))
        netproc_tick(w.np, fake_now() * 1000000LL);
}

static struct block *next_block(struct tx **txs, size_t n)
{
    const struct bindex_node *tip = chainstate_tip(w.cs);
    struct tx *all[8];
    assert_true(n < 8);
    all[0] = testutil_coinbase(tip->height + 1, 50 * 100000000LL, ++w.tag);
    for (size_t i = 0; i < n; i++)
        all[i + 1] = tx_ref(txs[i]);
    return testutil_block(&tip->hash, T0 + (uint32_t)(tip->height + 1) * 60, all, n + 1);
}

static void mine(int count)
{
    for (int i = 0; i < count; i++) {
        struct block *b = next_block(NULL, 0);
        int height = chainstate_height(w.cs) + 1;
        if (height < 16)
            w.coinbase[height] = b->txs[0]->txid;
        const char *reason = NULL;
        char *err = NULL;
        assert_int_equal(netproc_submit_block(w.np, b, &reason, &err, 0), CHAINSTATE_ACCEPTED);
        block_free(b);
    }
}

/* A spend of the coinbase mined at height h (50 BTC to OP_TRUE). */
static struct tx *spend_coinbase(int h)
{
    struct outpoint op = {w.coinbase[h], 0};
    int64_t out = 50 * 100000000LL - 20000;
    return testutil_spend(&op, 1, &out, 1, 0);
}

static int setup(void **state)
{
    memset(&w, 0, sizeof(w));
    w.dir = testutil_tmpdir("cmpctnp");
    struct chainstate_options co;
    chainstate_default_options(&co);
    co.dbcache_bytes = 8 << 20;
    co.now = fake_now;
    char *err = NULL;
    w.cs = chainstate_open(params_get(CHAIN_REGTEST), w.dir, &co, &err);
    assert_non_null(w.cs);
    struct mempool_options mo;
    mempool_options_default(&mo);
    mo.require_standard = false; /* bare OP_TRUE coins */
    w.mp = mempool_new(&mo, chainstate_coin_lookup, w.cs);
    struct chainstate_callbacks cb = {.connected = on_connected};
    chainstate_add_callbacks(w.cs, &cb);
    struct netproc_options o;
    netproc_options_default(&o);
    struct netproc_io io = {.send = io_send, .misbehaving = io_misbehaving};
    w.np = netproc_new(&o, &io, w.cs, w.mp, &err);
    assert_non_null(w.np);
    struct net_peer_props p = {.id = FAKE, .wtxidrelay = true, .sendheaders = true,
                               .relay = true, .version = PROTO_VERSION,
                               .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS};
    netproc_connected(w.np, &p, 0);
    mine(110);
    struct wbuf b;
    wbuf_init(&b);
    proto_sendcmpct_encode(&b, &(struct proto_sendcmpct){.announce = false, .version = 2});
    deliver(PROTO_CMD_SENDCMPCT, &b);
    wbuf_free(&b);
    clear_out();
    return 0;
}

static int teardown(void **state)
{
    clear_out();
    netproc_free(w.np);
    mempool_free(w.mp);
    chainstate_close(w.cs);
    testutil_rmtree(w.dir);
    return 0;
}

static void getdata(uint32_t type, const struct hash256 *h)
{
    struct wbuf b;
    wbuf_init(&b);
    proto_inv_encode(&b, &(struct proto_inv){type, *h}, 1);
    deliver(PROTO_CMD_GETDATA, &b);
    wbuf_free(&b);
}

static void getblocktxn(const struct hash256 *h, uint16_t index)
{
    struct wbuf b;
    wbuf_init(&b);
    cmpct_getblocktxn_encode(&b, &(struct cmpct_getblocktxn){*h, 1, &index});
    deliver(PROTO_CMD_GETBLOCKTXN, &b);
    wbuf_free(&b);
}

static void test_serving(void **state)
{
    const struct bindex_node *tip = chainstate_tip(w.cs);
    getdata(PROTO_INV_CMPCT_BLOCK, &tip->hash);
    const struct sent *s = sent("cmpctblock");
    assert_non_null(s);
    struct cmpct_block cb;
    struct cursor c;
    cursor_init(&c, s->data, s->len);
    assert_true(cmpct_block_decode(&c, &cb));
    assert_memory_equal(cb.hash.b, tip->hash.b, 32);
    assert_int_equal(cb.nprefilled, 1);
    assert_int_equal(cb.nshort, 0);
    cmpct_block_clear(&cb);
    /* Six deep: a full block. */
    clear_out();
    getdata(PROTO_INV_CMPCT_BLOCK, &chainstate_at(w.cs, tip->height - 6)->hash);
    assert_null(sent("cmpctblock"));
    assert_non_null(sent("block"));
    /* blocktxn within 10 blocks, the full block deeper. */
    clear_out();
    getblocktxn(&chainstate_at(w.cs, tip->height - 10)->hash, 0);
    assert_non_null(sent("blocktxn"));
    clear_out();
    getblocktxn(&chainstate_at(w.cs, tip->height - 11)->hash, 0);
    assert_null(sent("blocktxn"));
    assert_non_null(sent("block"));
    /* An index past the block's transactions. */
    clear_out();
    getblocktxn(&tip->hash, 1);
    assert_null(sent("blocktxn"));
    assert_string_equal(w.misbehaving, "getblocktxn with out-of-bounds tx indices");
}

static void send_cmpct(const struct block *b)
{
    struct cmpct_block cb;
    cmpct_block_from_block(&cb, b, 0x1234);
    struct wbuf p;
    wbuf_init(&p);
    cmpct_block_encode(&p, &cb);
    deliver(PROTO_CMD_CMPCTBLOCK, &p);
    wbuf_free(&p);
    cmpct_block_clear(&cb);
}

static void send_blocktxn(const struct hash256 *h, struct tx **txs, size_t n)
{
    struct wbuf p;
    wbuf_init(&p);
    cmpct_blocktxn_encode(&p, &(struct cmpct_blocktxn){*h, n, txs});
    deliver(PROTO_CMD_BLOCKTXN, &p);
    wbuf_free(&p);
}

static void submit(struct tx *tx)
{
    struct mempool_reject rej;
    assert_int_equal(netproc_submit_tx(w.np, tx, &rej, 0), MEMPOOL_ACCEPTED);
}

static void test_receiving(void **state)
{
    struct tx *t[5];
    for (int i = 0; i < 5; i++)
        t[i] = spend_coinbase(i + 1);
    submit(t[0]);
    submit(t[1]);
    /* All in the mempool: rebuilt at once, and the peer that delivered
     * it first is asked for high-bandwidth announcements. */
    struct block *b = next_block(t, 2);
    send_cmpct(b);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, b->hash.b, 32);
    assert_null(sent("getblocktxn"));
    const struct sent *s = sent("sendcmpct");
    assert_non_null(s);
    assert_int_equal(s->data[0], 1);
    block_free(b);
    /* t[3] unknown: one getblocktxn for its position, then blocktxn. */
    clear_out();
    submit(t[2]);
    b = next_block(t + 2, 2);
    send_cmpct(b);
    s = sent("getblocktxn");
    assert_non_null(s);
    struct cmpct_getblocktxn req;
    struct cursor c;
    cursor_init(&c, s->data, s->len);
    assert_true(cmpct_getblocktxn_decode(&c, &req));
    assert_int_equal(req.n, 1);
    assert_int_equal(req.indexes[0], 2);
    cmpct_getblocktxn_clear(&req);
    send_blocktxn(&b->hash, &t[3], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, b->hash.b, 32);
    block_free(b);
    /* A wrong transaction: the block does not rebuild, the full block is
     * asked for; too few is a protocol violation. */
    clear_out();
    b = next_block(&t[4], 1);
    send_cmpct(b);
    assert_non_null(sent("getblocktxn"));
    send_blocktxn(&b->hash, &t[0], 1);
    s = sent("getdata");
    assert_non_null(s);
    assert_int_equal(ser_le32(s->data + 1), PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG);
    assert_string_equal(w.misbehaving, "");
    send_cmpct(b);
    send_blocktxn(&b->hash, NULL, 0);
    assert_string_equal(w.misbehaving, "invalid compact block/non-matching block transactions");
    block_free(b);
    struct netproc_info ni;
    netproc_get_info(w.np, &ni);
    assert_int_equal(ni.cmpct.received, 4);
    assert_int_equal(ni.cmpct.reconstructed, 1);
    assert_int_equal(ni.cmpct.getblocktxn_sent, 3);
    assert_int_equal(ni.cmpct.txs_requested, 3);
    assert_int_equal(ni.cmpct.full_fallbacks, 1);
    /* The punished peer is not waited for, should it stay (Core's
     * RemoveBlockRequest before Misbehaving). */
    assert_int_equal(ni.blocks_in_flight, 0);
    for (int i = 0; i < 5; i++)
        tx_free(t[i]);
}

/* Two blocks announced by cmpctblock back to back by one peer, each
 * missing a transaction: each is its own request with its own partial
 * block (Core's QueuedBlock.partialBlock), so the blocktxn for the first
 * completes it at once instead of leaving it in flight until the block
 * download timeout. */
static void test_two_partial_blocks_from_one_peer(void **state)
{
    struct tx *t[2] = {spend_coinbase(1), spend_coinbase(2)};
    struct block *a = next_block(&t[0], 1);
    int height = chainstate_height(w.cs) + 2;
    struct tx *all[2] = {testutil_coinbase(height, 50 * 100000000LL, ++w.tag), tx_ref(t[1])};
    struct block *b = testutil_block(&a->hash, a->hdr.time + 60, all, 2);
    send_cmpct(a);
    send_cmpct(b);
    assert_int_equal(count_sent("getblocktxn"), 2);
    assert_int_equal(count_sent("getdata"), 0);
    send_blocktxn(&a->hash, &t[0], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, a->hash.b, 32);
    /* Announced again while being rebuilt: the request stands (Core's
     * "already syncing"), no second getblocktxn. */
    clear_out();
    send_cmpct(b);
    assert_int_equal(count_sent("getblocktxn") + count_sent("getdata"), 0);
    send_blocktxn(&b->hash, &t[1], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, b->hash.b, 32);
    assert_null(sent("getdata")); /* no full block needed */
    assert_string_equal(w.misbehaving, "");
    struct netproc_info ni;
    netproc_get_info(w.np, &ni);
    assert_int_equal(ni.blocks_in_flight, 0);
    block_free(a);
    block_free(b);
    for (int i = 0; i < 2; i++)
        tx_free(t[i]);
}

/* Bounded as Core's MAX_BLOCKS_IN_TRANSIT_PER_PEER: a peer with 16
 * blocks in flight, each being rebuilt, gets no request for a 17th; we
 * only try to rebuild it from what we have. */
static void test_partial_blocks_capped_per_peer(void **state)
{
    struct tx *t = spend_coinbase(1);
    for (int i = 0; i <= NETPROC_MAX_BLOCKS_IN_FLIGHT; i++) {
        struct block *b = next_block(&t, 1); /* siblings: one more tag each */
        clear_out();
        send_cmpct(b);
        if (i < NETPROC_MAX_BLOCKS_IN_FLIGHT)
            assert_non_null(sent("getblocktxn"));
        else
            assert_int_equal(w.nout, 0);
        block_free(b);
    }
    struct netproc_info ni;
    netproc_get_info(w.np, &ni);
    assert_int_equal(ni.blocks_in_flight, NETPROC_MAX_BLOCKS_IN_FLIGHT);
    tx_free(t);
}

/* How many messages of that command went to that peer. */
static size_t count_sent_to(uint64_t peer, const char *cmd)
{
    size_t n = 0;
    for (size_t i = 0; i < w.nout; i++)
        n += w.out[i].peer == peer && strcmp(w.out[i].cmd, cmd) == 0;
    return n;
}

/* Peer id connects (inbound or not) and offers compact blocks; with hb,
 * it delivers a new block first, so that we ask it for high-bandwidth
 * announcements. */
static void compact_peer(uint64_t id, bool inbound, bool hb)
{
    struct net_peer_props p = {.id = id, .inbound = inbound, .wtxidrelay = true,
                               .sendheaders = true, .relay = true, .version = PROTO_VERSION,
                               .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS};
    if (id != FAKE)
        netproc_connected(w.np, &p, fake_now() * 1000000LL);
    w.from = id;
    struct wbuf b;
    wbuf_init(&b);
    proto_sendcmpct_encode(&b, &(struct proto_sendcmpct){.announce = false, .version = 2});
    deliver(PROTO_CMD_SENDCMPCT, &b);
    wbuf_free(&b);
    if (hb) {
        struct block *blk = next_block(NULL, 0);
        clear_out();
        send_cmpct(blk);
        assert_memory_equal(chainstate_tip(w.cs)->hash.b, blk->hash.b, 32);
        assert_int_equal(count_sent_to(id, "sendcmpct"), 1);
        block_free(blk);
    }
    w.from = 0;
}

static size_t in_flight(void)
{
    struct netproc_info ni;
    netproc_get_info(w.np, &ni);
    return ni.blocks_in_flight;
}

/* Core's MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK: up to 3 peers rebuild one
 * block at once, each asking for what it lacks (the first in flight, or a
 * peer we asked for high-bandwidth announcements); the first to complete
 * it ends the others' downloads, and their late blocktxn is ignored. A
 * fourth is not taken, nor a peer we did not pick for high bandwidth. */
static void test_parallel_compact_downloads(void **state)
{
    const uint64_t a = FAKE, b = FAKE + 1, c = FAKE + 2, d = FAKE + 3, e = FAKE + 4;
    compact_peer(a, false, true);
    compact_peer(b, false, true);
    compact_peer(c, false, true);
    compact_peer(d, false, false);
    compact_peer(e, true, false);
    struct tx *t[2] = {spend_coinbase(1), spend_coinbase(2)};
    struct block *x = next_block(&t[0], 1);
    clear_out();
    const uint64_t senders[4] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++) {
        w.from = senders[i];
        send_cmpct(x);
        assert_int_equal(count_sent_to(senders[i], "getblocktxn"), i < 3);
        assert_int_equal(in_flight(), i < 3 ? i + 1 : 3);
    }
    /* The second completes it: the other two are released. */
    w.from = b;
    send_blocktxn(&x->hash, &t[0], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, x->hash.b, 32);
    assert_int_equal(in_flight(), 0);
    w.from = a;
    send_blocktxn(&x->hash, &t[0], 1);
    assert_string_equal(w.misbehaving, "");
    assert_int_equal(count_sent("getdata"), 0);

    /* An inbound peer we did not pick is not the first in flight: it does
     * not ask, and leaves the block to the first. */
    struct block *y = next_block(&t[1], 1);
    clear_out();
    w.from = a;
    send_cmpct(y);
    w.from = e;
    send_cmpct(y);
    assert_int_equal(count_sent_to(a, "getblocktxn"), 1);
    assert_int_equal(count_sent_to(e, "getblocktxn"), 0);
    assert_int_equal(in_flight(), 1);
    w.from = 0;
    send_blocktxn(&y->hash, &t[1], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, y->hash.b, 32);

    /* A blocktxn that does not rebuild the block: a peer other than the
     * first gives up and leaves it to the first, which fetches it whole. */
    struct tx *u = spend_coinbase(3);
    struct block *z = next_block(&u, 1);
    clear_out();
    w.from = a;
    send_cmpct(z);
    w.from = b;
    send_cmpct(z);
    send_blocktxn(&z->hash, &t[0], 1);
    assert_int_equal(count_sent("getdata"), 0);
    assert_int_equal(in_flight(), 1);
    w.from = a;
    send_blocktxn(&z->hash, &t[0], 1);
    assert_int_equal(count_sent_to(a, "getdata"), 1);
    assert_string_equal(w.misbehaving, "");
    w.from = 0;
    block_free(x);
    block_free(y);
    block_free(z);
    tx_free(u);
    for (int i = 0; i < 2; i++)
        tx_free(t[i]);
}

/* The last parallel slot is kept for an outbound peer: a third inbound
 * high-bandwidth peer does not ask while no outbound peer has the block
 * in flight; once one has, an inbound one may take the slot. */
static void test_last_compact_slot_for_outbound(void **state)
{
    const uint64_t in[3] = {FAKE + 1, FAKE + 2, FAKE + 3};
    for (size_t i = 0; i < 3; i++)
        compact_peer(in[i], true, true);
    struct tx *t[2] = {spend_coinbase(1), spend_coinbase(2)};
    struct block *x = next_block(&t[0], 1);
    clear_out();
    for (size_t i = 0; i < 3; i++) {
        w.from = in[i];
        send_cmpct(x);
        assert_int_equal(count_sent_to(in[i], "getblocktxn"), i < 2);
    }
    assert_int_equal(in_flight(), 2);
    w.from = in[0];
    send_blocktxn(&x->hash, &t[0], 1);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, x->hash.b, 32);
    /* With the outbound FAKE first in flight, the inbound ones fill the
     * other two slots. */
    struct block *y = next_block(&t[1], 1);
    clear_out();
    w.from = FAKE;
    send_cmpct(y);
    for (size_t i = 0; i < 3; i++) {
        w.from = in[i];
        send_cmpct(y);
        assert_int_equal(count_sent_to(in[i], "getblocktxn"), i < 2);
    }
    assert_int_equal(in_flight(), 3);
    w.from = 0;
    block_free(x);
    block_free(y);
    for (int i = 0; i < 2; i++)
        tx_free(t[i]);
}

#define COIN 100000000LL
#define MONTH (30 * 24 * 3600)

/* A block of one coinbase paying value, on prev. */
static struct block *block_on(const struct bindex_node *prev, uint32_t time, int64_t value)
{
    struct tx *cb = testutil_coinbase(prev->height + 1, value, ++w.tag);
    return testutil_block(&prev->hash, time, &cb, 1);
}

static void send_block(const struct block *b)
{
    struct wbuf p;
    wbuf_init(&p);
    block_serialize(b, &p, true);
    deliver(PROTO_CMD_BLOCK, &p);
    wbuf_free(&p);
}

static void send_header(const struct block_header *h)
{
    uint8_t raw[1][BLOCK_HEADER_SIZE];
    block_header_serialize(h, raw[0]);
    struct wbuf p;
    wbuf_init(&p);
    proto_headers_encode(&p, (const uint8_t(*)[BLOCK_HEADER_SIZE])raw, 1);
    deliver(PROTO_CMD_HEADERS, &p);
    wbuf_free(&p);
}

/* Core's MaybePunishNodeForBlock: a block that breaks a consensus rule
 * is not held against a peer that sent it as a cmpctblock (BIP152 lets
 * it relay before validating), but is when sent whole; a bad header is
 * punished either way. The fake peer is outbound. */
static void test_invalid_block_punishment(void **state)
{
    const struct bindex_node *tip = chainstate_tip(w.cs);
    uint32_t t = T0 + (uint32_t)(tip->height + 1) * 60;
    /* Valid header and proof of work, a coinbase paying one satoshi too
     * much: rebuilt from the cmpctblock at once, rejected, no punishment
     * and no request of the full block. */
    struct block *bad = block_on(tip, t, 50 * COIN + 1);
    send_cmpct(bad);
    assert_ptr_equal(chainstate_tip(w.cs), tip);
    const struct bindex_node *n = chainstate_find(w.cs, &bad->hash);
    assert_non_null(n);
    assert_true(n->status & BINDEX_FAILED);
    assert_string_equal(n->reason, "bad-cb-amount");
    assert_string_equal(w.misbehaving, "");
    assert_null(sent("getdata"));
    /* Announced again by cmpctblock: known invalid, still no punishment. */
    send_cmpct(bad);
    assert_string_equal(w.misbehaving, "");
    /* The same block whole from an outbound peer (BLOCK_CACHED_INVALID). */
    send_block(bad);
    assert_string_equal(w.misbehaving, "bad-cb-amount");
    /* Its header alone: outbound punished, inbound not (Core's
     * BLOCK_CACHED_INVALID), nor for the whole block. */
    clear_out();
    send_header(&bad->hdr);
    assert_string_equal(w.misbehaving, "bad-cb-amount");
    clear_out();
    struct net_peer_props in = {.id = FAKE + 1, .inbound = true, .wtxidrelay = true,
                                .relay = true, .version = PROTO_VERSION,
                                .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS};
    netproc_connected(w.np, &in, 0);
    w.from = FAKE + 1;
    send_header(&bad->hdr);
    send_block(bad);
    assert_string_equal(w.misbehaving, "");
    w.from = 0;
    /* A new such block whole (BLOCK_CONSENSUS). */
    clear_out();
    struct block *bad2 = block_on(tip, t + 1, 50 * COIN + 2);
    send_block(bad2);
    assert_string_equal(w.misbehaving, "bad-cb-amount");
    /* A header older than the median time past (BLOCK_INVALID_HEADER):
     * punished even in a cmpctblock. */
    clear_out();
    struct block *old = block_on(tip, T0, 50 * COIN);
    send_cmpct(old);
    assert_string_equal(w.misbehaving, "time-too-old");
    /* The valid block still comes through. */
    clear_out();
    struct block *good = block_on(tip, t + 2, 50 * COIN);
    send_cmpct(good);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, good->hash.b, 32);
    assert_string_equal(w.misbehaving, "");
    block_free(bad);
    block_free(bad2);
    block_free(old);
    block_free(good);
}

/* b's header over its coinbase alone: the same block hash, transactions
 * that do not match it (Core's mutated block), sent whole. */
static void send_mutated(const struct block *b)
{
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&b->hdr, hdr);
    struct wbuf p;
    wbuf_init(&p);
    wbuf_bytes(&p, hdr, sizeof(hdr));
    wbuf_u8(&p, 1);
    wbuf_bytes(&p, b->txs[0]->raw, b->txs[0]->size);
    deliver(PROTO_CMD_BLOCK, &p);
    wbuf_free(&p);
}

/* Core's BLOCK: a full block ends its sender's request at once, the other
 * peers' only once it is stored (ProcessBlock's new_block). A mutated
 * copy, from a peer we did not ask or from one we did, leaves the others
 * rebuilding the real block; a valid one, asked for or not, ends them. */
static void test_full_block_ends_senders_request(void **state)
{
    const uint64_t a = FAKE, b = FAKE + 1, c = FAKE + 2;
    compact_peer(a, false, true);
    compact_peer(b, false, true);
    compact_peer(c, true, false);
    struct tx *t[3] = {spend_coinbase(1), spend_coinbase(2), spend_coinbase(3)};
    struct block *blk[3];
    for (int i = 0; i < 3; i++) {
        blk[i] = next_block(&t[i], 1);
        clear_out();
        w.from = a;
        send_cmpct(blk[i]);
        w.from = b;
        send_cmpct(blk[i]);
        assert_int_equal(count_sent("getblocktxn"), 2);
        assert_int_equal(in_flight(), 2);
        w.from = i == 1 ? a : c;
        if (i < 2) {
            send_mutated(blk[i]);
            assert_string_not_equal(w.misbehaving, "");
            assert_int_equal(in_flight(), i == 0 ? 2 : 1); /* a asked: its request ends */
            clear_out();
            w.from = b;
            send_blocktxn(&blk[i]->hash, &t[i], 1);
        } else {
            send_block(blk[i]);
        }
        assert_memory_equal(chainstate_tip(w.cs)->hash.b, blk[i]->hash.b, 32);
        assert_int_equal(in_flight(), 0);
        /* A late blocktxn is not waited for, nor punished. */
        w.from = a;
        send_blocktxn(&blk[i]->hash, &t[i], 1);
        assert_string_equal(w.misbehaving, "");
        assert_int_equal(count_sent("getdata"), 0);
    }
    w.from = 0;
    for (int i = 0; i < 3; i++) {
        block_free(blk[i]);
        tx_free(t[i]);
    }
}

static void submit_block(const struct block *b)
{
    const char *reason = NULL;
    char *err = NULL;
    assert_int_equal(netproc_submit_block(w.np, b, &reason, &err, 0), CHAINSTATE_ACCEPTED);
}

/* Whether the last cmd sent to the fake peer (block or headers) starts
 * with the header of hash. */
static bool served(const char *cmd, const struct hash256 *hash)
{
    const struct sent *s = sent(cmd);
    if (!s)
        return false;
    size_t skip = strcmp(cmd, "headers") == 0; /* the count: one header */
    if (skip)
        assert_int_equal(s->data[0], 1);
    struct cursor c;
    cursor_init(&c, s->data + skip, s->len - skip);
    struct block_header h;
    struct hash256 got;
    assert_true(block_header_parse(&c, &h));
    block_header_hash(&h, &got);
    return hash_eq(&got, hash);
}

static void getheaders_one(const struct hash256 *stop)
{
    struct wbuf b;
    wbuf_init(&b);
    proto_locator_encode(&b, PROTO_VERSION, NULL, 0, stop);
    deliver(PROTO_CMD_GETHEADERS, &b);
    wbuf_free(&b);
}

/* Core's BlockRequestAllowed: a block off the active chain is served
 * (getdata, getheaders for it alone) only if it was fully validated and
 * is less than a month older than the best header. */
static void test_stale_block_serving(void **state)
{
    const struct bindex_node *tip = chainstate_tip(w.cs);
    uint32_t t = T0 + (uint32_t)(tip->height + 1) * 60;
    struct block *x = block_on(tip, t, 50 * COIN); /* connected, then reorganized away */
    submit_block(x);
    struct block *y1 = block_on(tip, t + 1, 50 * COIN);
    submit_block(y1);
    const struct bindex_node *ny1 = chainstate_find(w.cs, &y1->hash);
    struct block *y2 = block_on(ny1, t + 60, 50 * COIN);
    submit_block(y2);
    assert_memory_equal(chainstate_tip(w.cs)->hash.b, y2->hash.b, 32);
    /* Never connected: stored, less work than the tip. */
    struct block *z = block_on(tip->prev, t - 59, 50 * COIN);
    submit_block(z);
    assert_true(chainstate_find(w.cs, &z->hash)->status & BINDEX_HAVE_DATA);
    clear_out();
    getdata(PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, &x->hash);
    assert_true(served("block", &x->hash));
    getheaders_one(&x->hash);
    assert_true(served("headers", &x->hash));
    clear_out();
    getdata(PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, &z->hash);
    getdata(PROTO_INV_CMPCT_BLOCK, &z->hash);
    getheaders_one(&z->hash);
    assert_int_equal(w.nout, 0);
    /* A month and more later, the stale block is no longer served; the
     * active chain's old blocks still are. */
    w.shift = MONTH + 3600;
    const struct bindex_node *ny2 = chainstate_find(w.cs, &y2->hash);
    struct block *y3 = block_on(ny2, t + MONTH + 120, 50 * COIN);
    submit_block(y3);
    clear_out();
    getdata(PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, &x->hash);
    getdata(PROTO_INV_CMPCT_BLOCK, &x->hash);
    getheaders_one(&x->hash);
    assert_null(sent("block"));
    assert_null(sent("cmpctblock"));
    assert_true(served("headers", &y3->hash)); /* y3 announced, x not served */
    assert_int_equal(w.nout, 1);
    getdata(PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, &y1->hash);
    assert_true(served("block", &y1->hash));
    getheaders_one(&y1->hash);
    assert_true(served("headers", &y1->hash));
    block_free(x);
    block_free(y1);
    block_free(y2);
    block_free(y3);
    block_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receiving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_partial_blocks_from_one_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_blocks_capped_per_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_compact_downloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_compact_slot_for_outbound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_block_punishment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_block_ends_senders_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_block_serving, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
