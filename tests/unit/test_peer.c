/* The peer state machine and the command table's gating, driven through a
 * fake environment (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/hex.h"
#include "net/conn/peer.h"
#include "net/wire/txrecon_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000LL

struct fake {
    int64_t now;
    uint64_t next_rand;
    struct wbuf out; /* every frame the peer sent */
    struct wbuf scratch;
    char closed[64];
    bool discourage;
    int ready, getaddr, addrs, relays;
    struct net_msg last_relay;
    size_t last_inv_n;
    uint64_t local_nonce;
    bool near_tip;
};

static int64_t f_now(void *ctx) { return ((struct fake *)ctx)->now; }
static int64_t f_wall(void *ctx) { return 1700000000; }
static uint64_t f_rand(void *ctx) { return ((struct fake *)ctx)->next_rand++; }
static int32_t f_height(void *ctx) { return 42; }
static bool f_near_tip(void *ctx) { return ((struct fake *)ctx)->near_tip; }
static void f_send(void *ctx, struct peer *p, const uint8_t *d, size_t n)
{
    wbuf_bytes(&((struct fake *)ctx)->out, d, n);
}
static void f_closed(void *ctx, struct peer *p, const char *reason, bool discourage)
{
    struct fake *f = ctx;
    snprintf(f->closed, sizeof(f->closed), "%s", reason);
    f->discourage = discourage;
}
static bool f_local_nonce(void *ctx, uint64_t n) { return n == ((struct fake *)ctx)->local_nonce; }
static void f_ready(void *ctx, struct peer *p) { ((struct fake *)ctx)->ready++; }
static void f_getaddr(void *ctx, struct peer *p) { ((struct fake *)ctx)->getaddr++; }
static void f_addrs(void *ctx, struct peer *p, const struct proto_netaddr *a, size_t n,
                    size_t skipped)
{
    ((struct fake *)ctx)->addrs += (int)n;
}
static void f_relay(void *ctx, struct peer *p, const struct net_msg *m)
{
    struct fake *f = ctx;
    f->relays++;
    f->last_relay = *m;
    f->last_inv_n = m->cmd == PROTO_CMD_INV ? m->u.inv.n : 0;
}

static const struct peer_local local = {
    .magic = {0xfa, 0xbf, 0xb5, 0xda},
    .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS,
    .user_agent = "/hearsay:0.1.0/",
    .relay = true,
    .timeouts = {.handshake = 60 * SEC, .ping_every = 120 * SEC, .ping_wait = 1200 * SEC,
                 .inactivity = 1200 * SEC},
};

struct ctx {
    struct fake f;
    struct peer_env env;
    struct peer *p;
};

static struct ctx *setup_kind(bool inbound, enum peer_kind kind)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->f.now = 1000 * SEC;
    c->f.next_rand = 0x1000;
    c->f.local_nonce = 0xdead;
    wbuf_init(&c->f.out);
    wbuf_init(&c->f.scratch);
    c->env = (struct peer_env){
        .ctx = &c->f, .local = &local, .scratch = &c->f.scratch, .now = f_now, .wall = f_wall,
        .rand64 = f_rand, .best_height = f_height, .send = f_send, .closed = f_closed,
        .is_local_nonce = f_local_nonce, .ready = f_ready, .getaddr = f_getaddr,
        .addrs = f_addrs, .relay = f_relay};
    struct proto_netaddr a = {.port = 18444};
    c->p = peer_new(&c->env, 1, inbound, &a);
    c->p->kind = kind;
    peer_start(c->p);
    return c;
}

static struct ctx *setup(bool inbound)
{
    return setup_kind(inbound, PEER_FULL_RELAY);
}

static void teardown(struct ctx *c)
{
    peer_free(c->p);
    wbuf_free(&c->f.out);
    wbuf_free(&c->f.scratch);
    free(c);
}

/* The commands of every frame sent since the last call, space-separated. */
static void sent_commands(struct ctx *c, char *out, size_t cap)
{
    size_t pos = 0, o = 0;
    out[0] = '\0';
    while (pos + PROTO_HEADER_SIZE <= c->f.out.len) {
        struct proto_header h;
        proto_header_decode(c->f.out.data + pos, &h);
        char name[13];
        proto_command_str(h.command, name);
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "", name);
        pos += PROTO_HEADER_SIZE + h.length;
    }
    wbuf_reset(&c->f.out);
}

static void feed(struct ctx *c, const char *cmd, const void *payload, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    proto_frame(&w, local.magic, cmd, payload, len);
    size_t used = peer_feed(c->p, w.data, w.len);
    if (c->p->state != PEER_CLOSING)
        assert_int_equal(used, w.len);
    wbuf_free(&w);
}

static void feed_version_services(struct ctx *c, int32_t version, uint64_t nonce,
                                  uint64_t services)
{
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = version;
    v.services = services;
    v.nonce = nonce;
    strcpy(v.user_agent, "/Satoshi:27.0.0/");
    v.start_height = 101;
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    feed(c, "version", w.data, w.len);
    wbuf_free(&w);
}

static void feed_version(struct ctx *c, int32_t version, uint64_t nonce)
{
    feed_version_services(c, version, nonce, PROTO_NODE_NETWORK | PROTO_NODE_WITNESS);
}

static void feed_services(struct ctx *c, uint64_t services)
{
    feed_version_services(c, PROTO_VERSION, 77, services);
}

static void test_outbound_handshake(void **state)
{
    char cmds[256];
    struct ctx *c = setup(false);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "version");
    feed_version(c, PROTO_VERSION, 77);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "wtxidrelay sendaddrv2 verack");
    assert_int_equal(c->p->state, PEER_VERSION);
    feed(c, "wtxidrelay", NULL, 0);
    feed(c, "sendaddrv2", NULL, 0);
    feed(c, "verack", NULL, 0);
    assert_int_equal(c->p->state, PEER_READY);
    assert_int_equal(c->f.ready, 1);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "sendcmpct getaddr");
    assert_true(c->p->wtxidrelay && c->p->sendaddrv2);
    assert_string_equal(c->p->user_agent, "/Satoshi:27.0.0/");
    assert_int_equal(c->p->start_height, 101);
    assert_int_equal(c->p->recv[PROTO_CMD_VERSION].msgs, 1);
    assert_int_equal(c->p->sent[PROTO_CMD_VERACK].bytes, PROTO_HEADER_SIZE);
    teardown(c);
}

static void test_inbound_handshake(void **state)
{
    char cmds[256];
    struct ctx *c = setup(true);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "");
    feed_version(c, PROTO_VERSION, 77);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "version wtxidrelay sendaddrv2 verack");
    feed(c, "verack", NULL, 0);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "sendcmpct"); /* no getaddr inbound */
    teardown(c);
}

/* The payload of a version Bitcoin Core 23.0 sent (captured on mainnet;
 * see test_protocol.c), handed to an inbound peer. */
static const char CORE23_VERSION_PAYLOAD[] =
    "801101000d0400000000000050835063000000000000000000000000000000000000000000000000"
    "0000000000000d04000000000000000000000000000000000000000000000000ff0ae91284bdd3e2"
    "102f5361746f7368693a32332e302e302f8e960b0001";

static void test_core_peer(void **state)
{
    char cmds[256];
    uint8_t payload[128];
    ssize_t n = hex_decode(CORE23_VERSION_PAYLOAD, payload, sizeof(payload));
    assert_int_equal(n, 102);
    struct ctx *c = setup(true);
    feed(c, "version", payload, (size_t)n);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "version wtxidrelay sendaddrv2 verack");
    assert_string_equal(c->p->user_agent, "/Satoshi:23.0.0/");
    assert_int_equal(c->p->services, 0x40d);
    assert_int_equal(c->p->start_height, 759438);
    assert_true(c->p->relay);
    teardown(c);
}

static void test_old_and_self(void **state)
{
    char cmds[256];
    struct ctx *c = setup(true);
    feed_version(c, 70015, 77);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "version verack"); /* no BIP339/155 below 70016 */
    teardown(c);

    c = setup(true);
    feed_version(c, 31799, 77);
    assert_string_equal(c->f.closed, "obsolete protocol version");
    assert_false(c->f.discourage);
    teardown(c);

    c = setup(true);
    feed_version(c, PROTO_VERSION, 0xdead);
    assert_string_equal(c->f.closed, "connected to self");
    teardown(c);

    /* An automatic outbound peer must serve witness blocks; a manual one
     * (-connect, -addnode) is taken as it is, and so is a feeler's (it
     * only tests the address, Core's ExpectServicesFromConn). */
    for (int manual = 0; manual < 2; manual++) {
        c = setup(false);
        c->p->manual = manual;
        feed_services(c, PROTO_NODE_NETWORK);
        assert_string_equal(c->f.closed, manual ? "" : "peer does not offer the expected services");
        teardown(c);
    }
    c = setup_kind(false, PEER_FEELER);
    feed_services(c, PROTO_NODE_NETWORK);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->p->state, PEER_VERSION);
    teardown(c);
    /* Nor does a feeler wait for verack (Core's ProcessMessage): its
     * version done, it is ready, to be closed, and sends no sendcmpct. */
    c = setup_kind(false, PEER_FEELER);
    feed_version(c, PROTO_VERSION, 77);
    assert_int_equal(c->f.ready, 1);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "version wtxidrelay sendaddrv2 verack");
    teardown(c);
    /* One that keeps only the last 288 blocks will do once our tip is
     * recent (Core's GetDesirableServiceFlags). */
    for (int near = 0; near < 2; near++) {
        c = setup(false);
        c->f.near_tip = near;
        c->env.near_tip = f_near_tip;
        feed_services(c, PROTO_NODE_NETWORK_LIMITED | PROTO_NODE_WITNESS);
        assert_string_equal(c->f.closed, near ? "" : "peer does not offer the expected services");
        teardown(c);
    }
}

static void ready_peer(struct ctx *c)
{
    feed_version(c, PROTO_VERSION, 77);
    feed(c, "verack", NULL, 0);
    wbuf_reset(&c->f.out);
}

static void test_gating(void **state)
{
    char cmds[256];
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t inv[1] = {0};
    struct ctx *c = setup(true);
    /* Before version: ignored, not misbehaviour. */
    feed(c, "ping", nonce, 8);
    feed(c, "inv", inv, 1);
    feed(c, "verack", NULL, 0);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "");
    assert_int_equal(c->f.relays, 0);
    assert_int_equal(c->p->state, PEER_NEW);
    /* Between version and verack: sendheaders is taken, inv ignored. */
    feed_version(c, PROTO_VERSION, 77);
    feed(c, "sendheaders", NULL, 0);
    feed(c, "inv", inv, 1);
    assert_true(c->p->sendheaders);
    assert_int_equal(c->f.relays, 0);
    feed(c, "verack", NULL, 0);
    feed(c, "inv", inv, 1);
    assert_int_equal(c->f.relays, 1);
    /* Unknown commands are counted and ignored. */
    feed(c, "foo", NULL, 0);
    assert_int_equal(c->p->recv[PROTO_CMD_OTHER].msgs, 1);
    assert_string_equal(c->f.closed, "");
    /* A second version is ignored, as Core does. */
    size_t sent = c->f.out.len;
    feed_version(c, PROTO_VERSION, 78);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->f.out.len, sent);
    assert_int_equal(c->p->state, PEER_READY);
    teardown(c);

    /* Feature negotiation after verack ends the connection, without
     * discouragement (Core's fDisconnect). */
    c = setup(true);
    ready_peer(c);
    feed(c, "wtxidrelay", NULL, 0);
    assert_string_equal(c->f.closed, "wtxidrelay after verack");
    assert_false(c->f.discourage);
    teardown(c);

    c = setup(true);
    ready_peer(c);
    feed(c, "sendaddrv2", NULL, 0);
    assert_string_equal(c->f.closed, "sendaddrv2 after verack");
    assert_false(c->f.discourage);
    teardown(c);
}

/* The handshake states of the command table: every command that needs
 * the handshake, sent before version or between version and verack, is
 * counted under its own name and ignored (not handled, not answered, the
 * peer kept), as before; after verack the same frame is handled. */
static void test_states_before_verack(void **state)
{
    static const enum proto_cmd after_verack[] = {
        PROTO_CMD_FEEFILTER,  PROTO_CMD_PING,         PROTO_CMD_PONG,
        PROTO_CMD_GETADDR,    PROTO_CMD_ADDR,         PROTO_CMD_ADDRV2,
        PROTO_CMD_INV,        PROTO_CMD_GETDATA,      PROTO_CMD_NOTFOUND,
        PROTO_CMD_TX,         PROTO_CMD_BLOCK,        PROTO_CMD_HEADERS,
        PROTO_CMD_GETHEADERS, PROTO_CMD_GETBLOCKS,    PROTO_CMD_MEMPOOL,
        PROTO_CMD_CMPCTBLOCK, PROTO_CMD_GETBLOCKTXN,  PROTO_CMD_BLOCKTXN,
        PROTO_CMD_REQRECON,   PROTO_CMD_SKETCH,       PROTO_CMD_REQSKETCHEXT,
        PROTO_CMD_RECONCILDIFF, PROTO_CMD_HSDIGEST,   PROTO_CMD_HSINV,
        PROTO_CMD_HSSKETCH,   PROTO_CMD_HSASK,
    };
    /* A payload every one of them decodes: an empty list, or 8 bytes. */
    static const uint8_t payload[101] = {0};
    char cmds[256];
    for (size_t i = 0; i < sizeof(after_verack) / sizeof(after_verack[0]); i++) {
        enum proto_cmd cmd = after_verack[i];
        size_t len = cmd == PROTO_CMD_GETHEADERS || cmd == PROTO_CMD_GETBLOCKS ? 37
                     : cmd == PROTO_CMD_FEEFILTER || cmd == PROTO_CMD_PING ||
                             cmd == PROTO_CMD_PONG
                         ? 8
                     : cmd == PROTO_CMD_GETADDR || cmd == PROTO_CMD_MEMPOOL ? 0
                                                                            : 1;
        struct ctx *c = setup(true);
        feed(c, proto_cmd_name(cmd), payload, len);
        sent_commands(c, cmds, sizeof(cmds));
        assert_string_equal(cmds, "");
        assert_int_equal(c->p->state, PEER_NEW);
        feed_version(c, PROTO_VERSION, 77);
        sent_commands(c, cmds, sizeof(cmds));
        feed(c, proto_cmd_name(cmd), payload, len);
        sent_commands(c, cmds, sizeof(cmds));
        assert_string_equal(cmds, "");
        assert_string_equal(c->f.closed, "");
        assert_int_equal(c->p->state, PEER_VERSION);
        assert_int_equal(c->f.relays + c->f.addrs + c->f.getaddr, 0);
        assert_int_equal(c->p->recv[cmd].msgs, 2);
        assert_int_equal(c->p->recv[PROTO_CMD_OTHER].msgs, 0);
        /* After verack: handled (relayed, answered or taken). */
        feed(c, "verack", NULL, 0);
        sent_commands(c, cmds, sizeof(cmds));
        feed(c, proto_cmd_name(cmd), payload, len);
        sent_commands(c, cmds, sizeof(cmds));
        assert_string_equal(c->f.closed, "");
        if (cmd == PROTO_CMD_PING)
            assert_string_equal(cmds, "pong");
        else if (cmd == PROTO_CMD_GETADDR)
            assert_int_equal(c->f.getaddr, 1);
        else if (cmd != PROTO_CMD_PONG && cmd != PROTO_CMD_ADDR && cmd != PROTO_CMD_ADDRV2)
            assert_int_equal(c->f.relays, 1); /* (addr: test_addr_and_getaddr) */
        assert_int_equal(c->p->recv[cmd].msgs, 3);
        teardown(c);
    }
}

/* Sent messages are counted under the command the sender passed. */
static void test_sent_counters(void **state)
{
    struct ctx *c = setup(false);
    ready_peer(c);
    static const enum proto_cmd sent[] = {PROTO_CMD_VERSION,    PROTO_CMD_WTXIDRELAY,
                                          PROTO_CMD_SENDADDRV2, PROTO_CMD_VERACK,
                                          PROTO_CMD_SENDCMPCT,  PROTO_CMD_GETADDR};
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++) {
        assert_int_equal(c->p->sent[sent[i]].msgs, 1);
        total += c->p->sent[sent[i]].bytes;
    }
    assert_int_equal(total, c->p->bytes_sent);
    peer_send(c->p, PROTO_CMD_HSDIGEST, "\x01", 1);
    assert_int_equal(c->p->sent[PROTO_CMD_HSDIGEST].bytes, PROTO_HEADER_SIZE + 1);
    char cmds[256];
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "hsdigest"); /* ready_peer took the handshake's */
    teardown(c);
}

/* hsgossip: sent before verack when we reconcile; the peer's, before
 * verack, marks it a reconciling peer; after verack it is ignored. */
static void test_hello(void **state)
{
    static struct peer_local hello_local;
    hello_local = local;
    hello_local.hello = true;
    char cmds[256];
    for (int ours = 0; ours < 2; ours++) {
        struct ctx *c = setup(true);
        if (ours)
            c->env.local = &hello_local;
        feed_version(c, PROTO_VERSION, 77);
        sent_commands(c, cmds, sizeof(cmds));
        assert_string_equal(cmds, ours ? "version wtxidrelay sendaddrv2 hsgossip verack"
                                       : "version wtxidrelay sendaddrv2 verack");
        feed(c, "hsgossip", NULL, 0);
        assert_int_equal(c->p->hello_received, ours);
        assert_int_equal(c->p->recv[PROTO_CMD_HSGOSSIP].msgs, 1);
        teardown(c);
    }
    struct ctx *c = setup(true);
    c->env.local = &hello_local;
    ready_peer(c);
    feed(c, "hsgossip", NULL, 0);
    assert_false(c->p->hello_received);
    assert_string_equal(c->f.closed, "");
    teardown(c);
}

static void test_ping(void **state)
{
    struct ctx *c = setup(false);
    ready_peer(c);
    uint8_t nonce[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    feed(c, "ping", nonce, 8);
    assert_int_equal(c->f.out.len, PROTO_HEADER_SIZE + 8);
    assert_memory_equal(c->f.out.data + PROTO_HEADER_SIZE, nonce, 8);
    wbuf_reset(&c->f.out);
    /* Our own ping: sent on the tick after the handshake, timed by pong. */
    peer_tick(c->p, c->f.now);
    assert_true(c->p->ping_sent != 0);
    uint8_t echo[8];
    memcpy(echo, c->f.out.data + PROTO_HEADER_SIZE, 8);
    c->f.now += 2500;
    feed(c, "pong", echo, 8);
    assert_int_equal(c->p->ping_us, 2500);
    assert_int_equal(c->p->ping_sent, 0);
    /* A pong cut short cancels the ping (Core: "Short payload"); the
     * time measured stays. */
    c->f.now += 121 * SEC;
    peer_tick(c->p, c->f.now);
    assert_true(c->p->ping_sent != 0);
    feed(c, "pong", echo, 4);
    assert_int_equal(c->p->ping_sent, 0);
    assert_int_equal(c->p->ping_us, 2500);
    /* The next ping waits for the interval; an unanswered one times out. */
    wbuf_reset(&c->f.out);
    peer_tick(c->p, c->f.now + 60 * SEC);
    assert_int_equal(c->f.out.len, 0);
    c->f.now += 121 * SEC;
    peer_tick(c->p, c->f.now);
    assert_true(c->p->ping_sent != 0);
    c->p->last_recv = c->f.now + 1200 * SEC; /* keep inactivity out of it */
    peer_tick(c->p, c->f.now + 1201 * SEC);
    assert_string_equal(c->f.closed, "ping timeout");
    teardown(c);
}

/* A peer before BIP31 (60000 and older, yet not obsolete) gets pings
 * without nonce and is never waited on for a pong, as Core: no ping
 * timeout drops it. Its pings get no pong either. */
static void test_ping_before_bip31(void **state)
{
    struct ctx *c = setup(false);
    feed_version(c, PROTO_BIP31_VERSION, 77);
    feed(c, "verack", NULL, 0);
    wbuf_reset(&c->f.out);
    feed(c, "ping", NULL, 0);
    assert_int_equal(c->f.out.len, 0);
    peer_tick(c->p, c->f.now);
    char cmds[64];
    assert_int_equal(c->f.out.len, PROTO_HEADER_SIZE); /* no nonce */
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "ping");
    assert_int_equal(c->p->ping_sent, 0);
    c->p->last_recv = c->f.now + 1200 * SEC; /* keep inactivity out of it */
    peer_tick(c->p, c->f.now + 1201 * SEC);
    assert_string_equal(c->f.closed, "");
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "ping"); /* the next keepalive, on schedule */
    teardown(c);
}

static void test_timeouts(void **state)
{
    struct ctx *c = setup(true);
    peer_tick(c->p, c->f.now + 59 * SEC);
    assert_string_equal(c->f.closed, "");
    peer_tick(c->p, c->f.now + 61 * SEC);
    assert_string_equal(c->f.closed, "handshake timeout");
    assert_false(c->f.discourage);
    teardown(c);

    c = setup(true);
    ready_peer(c);
    peer_tick(c->p, c->f.now + 1201 * SEC);
    assert_string_equal(c->f.closed, "inactivity timeout");
    teardown(c);
}

/* As Bitcoin Core's V1Transport: a bad checksum or command drops the
 * message and keeps the peer; a header that cannot be followed (magic,
 * length) disconnects, without discouragement. */
static void test_framing_errors(void **state)
{
    struct ctx *c = setup(true);
    ready_peer(c);
    struct wbuf w;
    wbuf_init(&w);
    proto_frame(&w, local.magic, "ping", "12345678", 8);
    w.data[PROTO_HEADER_SIZE] ^= 1;
    assert_int_equal(peer_feed(c->p, w.data, w.len), w.len);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->p->recv[PROTO_CMD_OTHER].msgs, 1);
    assert_int_equal(c->p->recv[PROTO_CMD_PING].msgs, 0);
    wbuf_reset(&w);
    proto_frame(&w, local.magic, "pi\x01g", NULL, 0);
    assert_int_equal(peer_feed(c->p, w.data, w.len), w.len);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->p->recv[PROTO_CMD_OTHER].msgs, 2);
    wbuf_reset(&c->f.out);
    feed(c, "ping", "12345678", 8); /* still served */
    char cmds[128];
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "pong");
    teardown(c);

    c = setup(true);
    wbuf_reset(&w);
    proto_frame(&w, local.magic, "ping", "12345678", 8);
    w.data[0] = 0xf9;
    peer_feed(c->p, w.data, w.len);
    assert_string_equal(c->f.closed, "bad magic");
    assert_false(c->f.discourage);
    teardown(c);

    /* The length is refused from the header alone, before any payload. */
    c = setup(true);
    wbuf_reset(&w);
    proto_frame(&w, local.magic, "block", NULL, 0);
    ser_put_le32(w.data + 16, PROTO_MAX_PAYLOAD + 1);
    assert_int_equal(peer_frame_size(c->p, w.data), -1);
    assert_string_equal(c->f.closed, "oversized message");
    assert_false(c->f.discourage);
    teardown(c);
    wbuf_free(&w);
}

/* Bytes after a message's fields are ignored (future fields), and a
 * message that cannot be read is dropped, the peer kept, as Core. */
static void test_malformed_dropped(void **state)
{
    struct ctx *c = setup(true);
    ready_peer(c);
    feed(c, "ping", "123456789", 9);
    feed(c, "getaddr", "x", 1);
    assert_int_equal(c->f.getaddr, 1);
    char cmds[128];
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "pong");
    struct proto_inv items[2];
    memset(items, 0x5a, sizeof(items));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, 2);
    wbuf_bytes(&w, "extra", 5);
    feed(c, "inv", w.data, w.len);
    assert_int_equal(c->f.relays, 1);
    assert_int_equal(c->f.last_inv_n, 2);
    /* A count promising more items than the payload holds. */
    feed(c, "getdata", w.data, w.len - 6);
    feed(c, "addr", "\x05", 1);
    feed(c, "headers", "\x01", 1);
    feed(c, "getheaders", "\x01\x00\x00\x00\x01", 5);
    feed(c, "feefilter", "1234", 4);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->f.relays, 1);
    wbuf_free(&w);
    teardown(c);

    /* A version that cannot be read is dropped: the handshake waits. */
    c = setup(true);
    feed(c, "version", "\x80\x11\x01\x00", 4);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->p->state, PEER_NEW);
    teardown(c);
}

/* Lists over their protocol limit, with all their entries: Core's
 * Misbehaving ("inv message size = %u"), but a locator over 101 entries
 * is a disconnect without it, and a notfound over its limit is ignored. */
static void test_lists_over_limit(void **state)
{
    static const struct {
        const char *cmd;
        size_t n, item;
        const char *closed;
        bool discourage;
    } cases[] = {
        {"inv", PROTO_MAX_INV + 1, 36, "inv message size = 50001", true},
        {"getdata", PROTO_MAX_INV + 1, 36, "getdata message size = 50001", true},
        {"notfound", PROTO_MAX_INV + 1, 36, "", false},
        {"headers", PROTO_MAX_HEADERS + 1, 81, "headers message size = 2001", true},
        {"addr", PROTO_MAX_ADDR + 1, 30, "addr message size = 1001", true},
        {"addrv2", PROTO_MAX_ADDR + 1, 9, "addrv2 message size = 1001", true},
        {"getheaders", PROTO_MAX_LOCATOR + 1, 32, "getheaders locator size 102 > 101", false},
        {"getblocks", PROTO_MAX_LOCATOR + 1, 32, "getblocks locator size 102 > 101", false},
    };
    /* A manual peer is never punished for misbehaviour, not even
     * disconnected (Core's MaybeDiscourageAndDisconnect); a protocol
     * violation still ends its connection. */
    for (size_t k = 0; k < 2 * sizeof(cases) / sizeof(cases[0]); k++) {
        size_t i = k / 2;
        bool manual = k % 2, kept = manual && cases[i].discourage;
        bool locator = cases[i].closed[0] && strstr(cases[i].closed, "locator");
        struct wbuf w;
        wbuf_init(&w);
        if (locator)
            wbuf_u32(&w, PROTO_VERSION);
        wbuf_compact(&w, cases[i].n);
        uint8_t *zeros = calloc(cases[i].n + 1, cases[i].item);
        wbuf_bytes(&w, zeros, cases[i].n * cases[i].item + (locator ? 32 : 0));
        free(zeros);
        struct ctx *c = setup(!manual);
        c->p->manual = manual;
        ready_peer(c);
        feed(c, cases[i].cmd, w.data, w.len);
        assert_string_equal(c->f.closed, kept ? "" : cases[i].closed);
        assert_int_equal(c->f.discourage, cases[i].discourage && !kept);
        assert_int_equal(c->f.relays, 0);
        teardown(c);
        wbuf_free(&w);
    }
}

static void test_relay_messages(void **state)
{
    struct ctx *c = setup(true);
    ready_peer(c);
    struct proto_inv items[2];
    memset(items, 0x5a, sizeof(items));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, 2);
    feed(c, "inv", w.data, w.len);
    assert_int_equal(c->f.relays, 1);
    assert_int_equal(c->f.last_inv_n, 2);
    int64_t rate = 5000;
    feed(c, "feefilter", &rate, 8);
    assert_int_equal(c->p->feefilter, 5000);
    feed(c, "tx", "\x01\x02", 2);
    assert_int_equal(c->f.last_relay.cmd, PROTO_CMD_TX);
    assert_int_equal(c->f.last_relay.len, 2);
    wbuf_free(&w);
    teardown(c);
}

/* Block-relay-only and feeler peers were told relay=0: a transaction or
 * its announcement from one closes it (not discouraged); blocks pass. */
static void test_block_relay_no_tx(void **state)
{
    struct proto_inv items[2];
    memset(items, 0, sizeof(items));
    items[0].type = PROTO_INV_BLOCK;
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, 1);
    const uint32_t tx_types[] = {PROTO_INV_TX, PROTO_INV_WITNESS_TX};
    for (int kind = PEER_BLOCK_RELAY; kind <= PEER_FEELER; kind++) {
        for (size_t t = 0; t <= 2; t++) {
            struct ctx *c = setup_kind(false, (enum peer_kind)kind);
            ready_peer(c);
            feed(c, "inv", w.data, w.len); /* a block: fine */
            assert_int_equal(c->f.relays, 1);
            assert_string_equal(c->f.closed, "");
            wbuf_reset(&w);
            items[1].type = t < 2 ? tx_types[t] : 0;
            if (t < 2) {
                proto_inv_encode(&w, items, 2);
                feed(c, "inv", w.data, w.len);
            } else {
                feed(c, "tx", "\x01\x02", 2);
            }
            assert_string_equal(c->f.closed, "transaction sent in violation of protocol");
            assert_false(c->f.discourage);
            assert_int_equal(c->f.relays, 1);
            wbuf_reset(&w);
            proto_inv_encode(&w, items, 1);
            teardown(c);
        }
    }
    wbuf_free(&w);
}

/* What Core's inv handling ignores is no transaction sent in violation:
 * a wtxid announcement from a peer without BIP339 (and a txid one from a
 * peer with it), a witness flag on wtx or block. */
static void test_block_relay_ignored_types(void **state)
{
    const uint32_t ignored[] = {PROTO_INV_WTX, PROTO_INV_WTX | PROTO_INV_WITNESS_FLAG,
                                PROTO_INV_WITNESS_BLOCK, PROTO_INV_TX};
    for (size_t t = 0; t < 4; t++) {
        struct ctx *c = setup_kind(false, PEER_BLOCK_RELAY);
        feed_version(c, PROTO_VERSION, 77);
        if (t == 3) /* MSG_TX is ignored from a wtxid peer */
            feed(c, "wtxidrelay", NULL, 0);
        feed(c, "verack", NULL, 0);
        struct proto_inv it = {ignored[t], {{0}}};
        struct wbuf w;
        wbuf_init(&w);
        proto_inv_encode(&w, &it, 1);
        feed(c, "inv", w.data, w.len);
        wbuf_free(&w);
        assert_string_equal(c->f.closed, "");
        assert_int_equal(c->f.relays, 1);
        teardown(c);
    }
}

static void test_addr_and_getaddr(void **state)
{
    struct ctx *c = setup(true);
    ready_peer(c);
    feed(c, "getaddr", NULL, 0);
    feed(c, "getaddr", NULL, 0);
    assert_int_equal(c->f.getaddr, 1); /* once per connection */
    struct proto_netaddr a[3];
    memset(a, 0, sizeof(a));
    struct wbuf w;
    wbuf_init(&w);
    proto_addr_encode(&w, true, a, 3);
    feed(c, "addrv2", w.data, w.len);
    assert_int_equal(c->f.addrs, 3);
    wbuf_reset(&w);
    struct proto_netaddr *many = calloc(PROTO_MAX_ADDR + 1, sizeof(*many));
    proto_addr_encode(&w, false, many, PROTO_MAX_ADDR + 1);
    free(many);
    feed(c, "addr", w.data, w.len);
    assert_string_equal(c->f.closed, "addr message size = 1001");
    assert_true(c->f.discourage);
    wbuf_free(&w);
    teardown(c);

    c = setup(false); /* outbound peers' getaddr is not answered */
    ready_peer(c);
    feed(c, "getaddr", NULL, 0);
    assert_int_equal(c->f.getaddr, 0);
    teardown(c);
}

/* BIP330's sendtxrcncl, with Bitcoin Core's rules. */
static struct peer_local local_recon;

static struct ctx *recon_peer_kind(bool their_relay, enum peer_kind kind)
{
    local_recon = local;
    local_recon.txrecon = true;
    struct ctx *c = setup_kind(false, kind);
    c->env.local = &local_recon;
    char cmds[256];
    sent_commands(c, cmds, sizeof(cmds));
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS;
    v.nonce = 77;
    v.relay = their_relay;
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    feed(c, "version", w.data, w.len);
    wbuf_free(&w);
    return c;
}

static struct ctx *recon_peer(bool their_relay)
{
    return recon_peer_kind(their_relay, PEER_FULL_RELAY);
}

static void feed_sendtxrcncl(struct ctx *c, uint32_t version, uint64_t salt)
{
    struct wbuf w;
    wbuf_init(&w);
    struct txrecon_send_msg m = {.version = version, .salt = salt};
    txrecon_send_encode(&w, &m);
    feed(c, "sendtxrcncl", w.data, w.len);
    wbuf_free(&w);
}

static void test_sendtxrcncl(void **state)
{
    char cmds[256];
    /* Both relay: sent before verack, the peer's taken. */
    struct ctx *c = recon_peer(true);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "wtxidrelay sendaddrv2 sendtxrcncl verack");
    assert_true(c->p->recon_sent);
    feed(c, "wtxidrelay", NULL, 0);
    feed_sendtxrcncl(c, 2, 0x77); /* a later version speaks ours too */
    assert_true(c->p->recon_received);
    assert_true(c->p->recon_salt_remote == 0x77 && c->p->recon_salt_local != 0);
    feed(c, "verack", NULL, 0);
    assert_int_equal(c->p->state, PEER_READY);
    feed_sendtxrcncl(c, 1, 0x78); /* after verack: a violation */
    assert_string_equal(c->f.closed, "sendtxrcncl after verack");
    assert_false(c->f.discourage);
    teardown(c);
    /* Cut short: dropped, the peer kept; a good one may follow. */
    c = recon_peer(true);
    feed(c, "sendtxrcncl", "\x01\x00\x00", 3);
    assert_string_equal(c->f.closed, "");
    assert_false(c->p->recon_received);
    feed_sendtxrcncl(c, 1, 5);
    assert_true(c->p->recon_received);
    teardown(c);
    /* Twice, and version 0: violations. */
    c = recon_peer(true);
    feed_sendtxrcncl(c, 1, 5);
    feed_sendtxrcncl(c, 1, 5);
    assert_string_equal(c->f.closed, "sendtxrcncl sent twice");
    assert_false(c->f.discourage);
    teardown(c);
    c = recon_peer(true);
    feed_sendtxrcncl(c, 0, 5);
    assert_string_equal(c->f.closed, "sendtxrcncl of version 0");
    teardown(c);
    /* A peer that does not relay transactions gets none and may send none. */
    c = recon_peer(false);
    sent_commands(c, cmds, sizeof(cmds));
    assert_string_equal(cmds, "wtxidrelay sendaddrv2 verack");
    feed_sendtxrcncl(c, 1, 5);
    assert_string_equal(c->f.closed, "sendtxrcncl without transaction relay");
    teardown(c);
    /* Block-relay-only and feeler peers were told relay=0: none either way
     * (Core would close a link on which it said relay=0 and got one). An
     * addr-fetch peer gets none. */
    for (int kind = PEER_BLOCK_RELAY; kind <= PEER_ADDR_FETCH; kind++) {
        c = recon_peer_kind(true, (enum peer_kind)kind);
        sent_commands(c, cmds, sizeof(cmds));
        assert_string_equal(cmds, "wtxidrelay sendaddrv2 verack");
        assert_false(c->p->recon_sent);
        feed_sendtxrcncl(c, 1, 5);
        assert_string_equal(c->f.closed,
                            kind == PEER_ADDR_FETCH ? "" : "sendtxrcncl without transaction relay");
        assert_false(c->p->recon_received);
        teardown(c);
    }
    /* Offered none: even a version 0 is ignored (Core's NOT_FOUND comes
     * before its version check). */
    c = recon_peer_kind(true, PEER_ADDR_FETCH);
    feed_sendtxrcncl(c, 0, 5);
    assert_string_equal(c->f.closed, "");
    assert_int_equal(c->p->state, PEER_VERSION);
    teardown(c);
    /* Without -txreconciliation it is ignored, as an unknown command. */
    c = setup(false);
    feed_version(c, PROTO_VERSION, 77);
    feed_sendtxrcncl(c, 1, 5);
    assert_false(c->p->recon_received);
    assert_int_equal(c->p->state, PEER_VERSION);
    teardown(c);
}

/* Bloom filter (BIP37) and compact filter (BIP157) requests: we offer
 * neither service, so, as Core, the connection ends (not discouraged);
 * before verack they are ignored as any other message. */
static void test_unoffered_services(void **state)
{
    static const char *const names[] = {"filterload",  "filteradd",    "filterclear",
                                        "getcfilters", "getcfheaders", "getcfcheckpt"};
    static const uint8_t payload[37] = {0};
    char want[64];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct ctx *c = setup(true);
        feed_version(c, PROTO_VERSION, 77);
        feed(c, names[i], payload, sizeof(payload));
        assert_string_equal(c->f.closed, "");
        feed(c, "verack", NULL, 0);
        feed(c, names[i], payload, sizeof(payload));
        snprintf(want, sizeof(want), "%s for a service not offered", names[i]);
        assert_string_equal(c->f.closed, want);
        assert_false(c->f.discourage);
        assert_int_equal(c->p->recv[PROTO_CMD_OTHER].msgs, 0);
        teardown(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbound_handshake),
        cmocka_unit_test(test_sendtxrcncl),
        cmocka_unit_test(test_inbound_handshake),
        cmocka_unit_test(test_core_peer),
        cmocka_unit_test(test_old_and_self),
        cmocka_unit_test(test_gating),
        cmocka_unit_test(test_states_before_verack),
        cmocka_unit_test(test_sent_counters),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_ping_before_bip31),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_malformed_dropped),
        cmocka_unit_test(test_lists_over_limit),
        cmocka_unit_test(test_relay_messages),
        cmocka_unit_test(test_block_relay_no_tx),
        cmocka_unit_test(test_block_relay_ignored_types),
        cmocka_unit_test(test_addr_and_getaddr),
        cmocka_unit_test(test_unoffered_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
