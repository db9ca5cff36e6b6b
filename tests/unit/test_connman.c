/* The connection manager over real loopback sockets: several managers in
 * one event loop, on ephemeral ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/log.h"
#include "net/conn/connman.h"
#include "net/conn/connman_int.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A relay message the node handled, and in which loop turn. */
struct handled {
    enum proto_cmd cmd;
    uint8_t tag; /* a block's first payload byte */
    int turn;
};

struct node {
    struct connman *cm;
    struct handled log[8];
    size_t nlog;
    int turn;
    int connected, disconnected, messages, invs;
    struct net_peer_props last_props;
    size_t last_inv_n;
};

static void h_connected(void *ctx, const struct net_peer_props *p)
{
    struct node *n = ctx;
    n->connected++;
    n->last_props = *p;
}
static void h_disconnected(void *ctx, uint64_t id) { ((struct node *)ctx)->disconnected++; }
static void h_message(void *ctx, uint64_t id, const struct net_msg *m)
{
    struct node *n = ctx;
    n->messages++;
    if (n->nlog < sizeof(n->log) / sizeof(n->log[0]))
        n->log[n->nlog++] = (struct handled){m->cmd, m->len ? m->payload[0] : 0, n->turn};
    if (m->cmd == PROTO_CMD_INV) {
        n->invs++;
        n->last_inv_n = m->u.inv.n;
    }
}
static int32_t h_height(void *ctx) { return 5; }
/* The relay layer holds a peer's input from its first inv on (as while
 * its getdata queue waits), until the test lets it go. */
static bool hold_after_inv;
static bool h_held(void *ctx, uint64_t id)
{
    return hold_after_inv && ((struct node *)ctx)->invs > 0;
}
static bool in_ibd; /* every node's initial download, as the hook reports it */
static bool h_ibd(void *ctx) { return in_ibd; }

static struct event_base *base;
static int64_t stall_us; /* 0: the default */
static int64_t addr_send_us; /* 0: the default */

static void start_node(struct node *n, const char *connect, const char *addnode, size_t sendbuf)
{
    struct connman_options o;
    connman_options_default(&o);
    memcpy(o.magic, "\xfa\xbf\xb5\xda", 4);
    o.default_port = 18444;
    static const char *const bind[] = {"127.0.0.1"};
    o.bind = bind;
    o.nbind = 1;
    o.port = 0;
    o.connect = connect ? &connect : NULL;
    o.nconnect = connect ? 1 : 0;
    o.addnode = addnode ? &addnode : NULL;
    o.naddnode = addnode ? 1 : 0;
    o.allow_private = true;
    o.tick_us = 50000;
    if (sendbuf)
        o.max_sendbuf = sendbuf;
    if (stall_us)
        o.stall_us = stall_us;
    if (addr_send_us)
        o.addr_send_us = addr_send_us;
    char *err = NULL;
    memset(n, 0, sizeof(*n));
    n->cm = connman_new(base, &o, &err);
    assert_non_null(n->cm);
    struct net_handlers h = {.ctx = n, .connected = h_connected, .disconnected = h_disconnected,
                             .message = h_message, .best_height = h_height,
                             .initial_download = h_ibd, .input_held = h_held};
    connman_set_handlers(n->cm, &h);
    assert_int_equal(connman_start(n->cm, &err), 0);
}

typedef bool (*cond_fn)(void *arg);
struct waiter {
    cond_fn cond;
    void *arg;
    bool met;
};

static void check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct waiter *w = arg;
    if (w->cond(w->arg)) {
        w->met = true;
        event_base_loopbreak(base);
    }
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(base);
}

/* Every wait ends as soon as its condition holds: the bound is only for a
 * failure, generous for a loaded machine and the sanitizers. */
#define WAIT_MS 30000

/* Runs the loop until cond holds or timeout_ms passes. The deadline is an
 * event of this call, freed with it: event_base_loopexit would leave its
 * timer pending after an early success and cut a later wait short. */
static bool run_until(cond_fn cond, void *arg, int timeout_ms)
{
    struct waiter w = {cond, arg, false};
    struct event *ev = event_new(base, -1, EV_PERSIST, check_cb, &w);
    struct event *deadline = evtimer_new(base, deadline_cb, NULL);
    struct timeval step = {0, 5000}, limit = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    event_add(ev, &step);
    evtimer_add(deadline, &limit);
    event_base_dispatch(base);
    event_free(deadline);
    event_free(ev);
    return w.met || cond(arg);
}

static char endpoint[64];
static const char *endpoint_of(struct node *n)
{
    snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%u", connman_listen_port(n->cm));
    return endpoint;
}

static bool both_connected(void *arg)
{
    struct node *v = arg;
    return v[0].connected >= 1 && v[1].connected >= 1;
}

struct ctx2 {
    struct connman *cm;
    uint64_t id;
};

static bool got_inv(void *arg)
{
    return ((struct node *)arg)->invs > 1;
}

static bool both_gone(void *arg)
{
    struct node *x = arg;
    return x[0].disconnected == 1 && x[1].disconnected == 1;
}

static bool two_closed(void *arg)
{
    struct net_totals t;
    connman_totals(((struct node *)arg)->cm, &t);
    return t.bytes_recv > 0 && t.inbound == 0 && t.outbound == 0;
}

static bool drained(void *arg)
{
    struct ctx2 *c = arg;
    return !connman_send_blocked(c->cm, c->id);
}

static bool gone(void *arg)
{
    return ((struct node *)arg)->disconnected == 1;
}

static bool one(void *arg)
{
    return ((struct node *)arg)->connected >= 1;
}

static bool leaves_linked(void *arg)
{
    struct node **x = arg;
    return x[0]->connected >= 2 && x[1]->connected >= 2;
}

static void test_handshake_and_messages(void **state)
{
    struct node v[2];
    start_node(&v[0], NULL, NULL, 0);
    start_node(&v[1], endpoint_of(&v[0]), NULL, 0);
    assert_true(run_until(both_connected, v, WAIT_MS));
    assert_true(v[0].last_props.inbound);
    assert_false(v[1].last_props.inbound);
    assert_true(v[1].last_props.wtxidrelay);
    assert_int_equal(v[1].last_props.start_height, 5);
    assert_int_equal(v[1].last_props.services,
                     PROTO_NODE_NETWORK | PROTO_NODE_WITNESS | PROTO_NODE_NETWORK_LIMITED);

    uint64_t ids[4];
    assert_int_equal(connman_peers(v[1].cm, ids, 4), 1);
    struct net_peer_stats st;
    assert_true(connman_peer_stats(v[1].cm, ids[0], &st));
    assert_string_equal(st.user_agent, "/hearsay:0.1.0/");
    assert_true(st.handshaked);
    assert_true(st.manual);
    assert_int_equal(st.recv[PROTO_CMD_VERACK].msgs, 1);
    struct net_peer_props props;
    assert_true(connman_peer_props(v[1].cm, ids[0], &props));
    assert_int_equal(props.id, ids[0]);
    assert_false(connman_peer_props(v[1].cm, ids[0] + 100, &props));

    /* A relay message travels to the other side's handler. */
    struct proto_inv inv[3];
    memset(inv, 1, sizeof(inv));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, inv, 3);
    assert_int_equal(connman_send(v[1].cm, ids[0], PROTO_CMD_INV, w.data, w.len), 0);
    /* The same, built in place. */
    struct wbuf *m = connman_msg_begin(v[1].cm, ids[0], PROTO_CMD_INV);
    assert_non_null(m);
    wbuf_bytes(m, w.data, w.len);
    assert_int_equal(connman_msg_end(v[1].cm, ids[0]), 0);
    assert_null(connman_msg_begin(v[1].cm, ids[0] + 100, PROTO_CMD_INV));
    wbuf_free(&w);
    assert_true(run_until(got_inv, &v[0], WAIT_MS));
    assert_int_equal(v[0].last_inv_n, 3);
    assert_true(v[0].messages >= 2); /* feefilter and sendcmpct came first */

    /* Disconnecting tells both sides' relay layers. */
    assert_int_equal(connman_disconnect(v[1].cm, ids[0]), 0);
    assert_true(run_until(both_gone, v, WAIT_MS));
    connman_free(v[1].cm);
    connman_free(v[0].cm);
}

static void test_self_connection(void **state)
{
    struct node n;
    start_node(&n, NULL, NULL, 0);
    char err_ep[64];
    snprintf(err_ep, sizeof(err_ep), "127.0.0.1:%u", connman_listen_port(n.cm));
    char *err = NULL;
    assert_int_equal(connman_add_node(n.cm, err_ep, &err), 0);
    assert_true(run_until(two_closed, &n, WAIT_MS));
    assert_int_equal(n.connected, 0);
    connman_free(n.cm);
}

static void test_backpressure(void **state)
{
    struct node v[2];
    start_node(&v[0], NULL, NULL, 16 * 1024);
    start_node(&v[1], endpoint_of(&v[0]), NULL, 0);
    assert_true(run_until(both_connected, v, WAIT_MS));
    uint64_t id;
    assert_int_equal(connman_peers(v[0].cm, &id, 1), 1);
    /* 20 KB queued at once is over the 16 KB cap: blocked until drained. */
    uint8_t *blob = calloc(1, 20 * 1024);
    assert_int_equal(connman_send(v[0].cm, id, PROTO_CMD_TX, blob, 20 * 1024), 0);
    assert_true(connman_send_blocked(v[0].cm, id));
    assert_true(connman_send_queue(v[0].cm, id) > 16 * 1024);
    struct ctx2 c2 = {v[0].cm, id};
    assert_true(run_until(drained, &c2, WAIT_MS));
    /* A sender that ignores backpressure (twice the cap, while blocked) is
     * dropped; one message past the cap while there was room is not. */
    free(blob);
    blob = calloc(1, 40 * 1024);
    assert_int_equal(connman_send(v[0].cm, id, PROTO_CMD_TX, blob, 40 * 1024), 0);
    assert_true(connman_send_blocked(v[0].cm, id));
    assert_int_equal(connman_send(v[0].cm, id, PROTO_CMD_TX, blob, 1024), 0);
    assert_int_equal(connman_send(v[0].cm, id, PROTO_CMD_TX, blob, 20 * 1024), 0);
    free(blob);
    assert_true(run_until(gone, &v[0], WAIT_MS));
    connman_free(v[1].cm);
    connman_free(v[0].cm);
}

/* A hub and two leaves that know only the hub: each leaf advertises its
 * address to the hub, which relays it and answers getaddr with it, and the
 * leaves link up by themselves (whichever dials first). */
static void test_address_gossip(void **state)
{
    struct node hub, l1, l2;
    start_node(&hub, NULL, NULL, 0);
    char hub_ep[64];
    snprintf(hub_ep, sizeof(hub_ep), "%s", endpoint_of(&hub));
    start_node(&l2, NULL, hub_ep, 0);
    assert_true(run_until(one, &l2, WAIT_MS));
    start_node(&l1, NULL, hub_ep, 0);
    struct node *leaves[2] = {&l1, &l2};
    assert_true(run_until(leaves_linked, leaves, WAIT_MS));
    struct net_totals t;
    connman_totals(l2.cm, &t);
    /* The hub and the other leaf (twice when both leaves dialed at once). */
    assert_true(t.inbound + t.outbound >= 2 && t.inbound + t.outbound <= 3);
    assert_true(t.addresses >= 1);
    connman_free(l1.cm);
    connman_free(l2.cm);
    connman_free(hub.cm);
}

static bool learned_address(void *arg)
{
    struct net_totals t;
    connman_totals(arg, &t);
    return t.addresses >= 1;
}

static bool never(void *arg)
{
    return false;
}

/* Core's MaybeSendAddr: no self-announcement during initial download
 * (peers would come for blocks we lack); the first follows it. */
static void test_no_self_announcement_in_ibd(void **state)
{
    struct node v[2];
    in_ibd = true;
    addr_send_us = 20000;
    start_node(&v[0], NULL, NULL, 0);
    start_node(&v[1], NULL, endpoint_of(&v[0]), 0);
    assert_true(run_until(both_connected, v, WAIT_MS));
    run_until(never, NULL, 1000); /* 20 ticks, 50 addr send times */
    struct net_totals t;
    for (int i = 0; i < 2; i++) {
        connman_totals(v[i].cm, &t);
        assert_int_equal(t.addresses, 0);
    }
    in_ibd = false;
    for (int i = 0; i < 2; i++)
        assert_true(run_until(learned_address, v[i].cm, WAIT_MS));
    connman_free(v[1].cm);
    connman_free(v[0].cm);
    addr_send_us = 0;
}

static bool got_connected(void *arg)
{
    return ((struct node *)arg)->connected >= 1;
}

static bool got_two(void *arg)
{
    return ((struct node *)arg)->connected >= 2;
}

/* The handshake is over on the listener's side too: the outbound peer is
 * ready on our verack, we are on its verack, which may still be unread
 * when the outbound side reports. */
static bool listener_ready(void *arg)
{
    struct connman *cm = arg;
    return cm->nconns == 1 && cm->conns[0]->handshaked;
}

static void test_late_handlers(void **state)
{
    struct node v[2];
    start_node(&v[0], NULL, NULL, 0);
    static const struct net_handlers none;
    connman_set_handlers(v[0].cm, &none);
    start_node(&v[1], endpoint_of(&v[0]), NULL, 0);
    assert_true(run_until(got_connected, &v[1], WAIT_MS));
    assert_true(run_until(listener_ready, v[0].cm, WAIT_MS));
    assert_int_equal(v[0].connected, 0);
    struct net_handlers h = {.ctx = &v[0], .connected = h_connected,
                             .disconnected = h_disconnected, .message = h_message};
    connman_set_handlers(v[0].cm, &h); /* the ready peer is reported now */
    assert_int_equal(v[0].connected, 1);
    assert_true(v[0].last_props.inbound);
    connman_free(v[1].cm);
    connman_free(v[0].cm);
}

static void test_addnode_api(void **state)
{
    struct node v[2];
    start_node(&v[0], NULL, NULL, 0);
    start_node(&v[1], NULL, NULL, 0);
    char *err = NULL;
    const char *ep = endpoint_of(&v[0]);
    assert_int_equal(connman_add_node(v[1].cm, ep, &err), 0);
    assert_int_equal(connman_add_node(v[1].cm, ep, &err), -1);
    assert_string_equal(err, "node already added");
    free(err);
    assert_true(run_until(got_connected, &v[1], WAIT_MS));
    assert_int_equal(connman_remove_node(v[1].cm, ep, &err), 0);
    assert_int_equal(connman_remove_node(v[1].cm, ep, &err), -1);
    assert_string_equal(err, "node has not been added");
    free(err);
    /* The connection outlives its removal from the list; a one-try
     * connection to the same node makes a second link. */
    assert_int_equal(connman_connect_once(v[1].cm, ep, &err), 0);
    assert_true(run_until(got_two, &v[1], WAIT_MS));
    struct net_totals t;
    connman_totals(v[1].cm, &t);
    assert_int_equal(t.outbound, 2);
    assert_int_equal(connman_connect_once(v[1].cm, "[::1", &err), -1);
    free(err);
    connman_free(v[1].cm);
    connman_free(v[0].cm);
}

static void test_discouragement(void **state)
{
    struct node n;
    start_node(&n, NULL, NULL, 0);
    struct proto_netaddr far, local;
    assert_int_equal(netbase_parse_endpoint("8.8.4.4:8333", 8333, &far, NULL), 0);
    assert_int_equal(netbase_parse_endpoint("127.0.0.1:8333", 8333, &local, NULL), 0);
    outbound_discourage(n.cm, &far);
    outbound_discourage(n.cm, &local); /* never: it would shut out the whole host */
    assert_true(connman_is_discouraged(n.cm, &far));
    assert_false(connman_is_discouraged(n.cm, &local));
    far.port = 1; /* by address, whatever the port */
    assert_true(connman_is_discouraged(n.cm, &far));
    connman_free(n.cm);
}

/* A raw peer that completes the handshake and then never reads. */
static int raw_handshaked_peer(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = PROTO_NODE_NETWORK;
    v.nonce = 99;
    struct wbuf w;
    wbuf_init(&w);
    size_t start = proto_begin(&w, (const uint8_t *)"\xfa\xbf\xb5\xda", PROTO_CMD_VERSION);
    proto_version_encode(&w, &v);
    proto_finish(&w, start);
    proto_frame(&w, (const uint8_t *)"\xfa\xbf\xb5\xda", "verack", NULL, 0);
    assert_int_equal(write(fd, w.data, w.len), (ssize_t)w.len);
    wbuf_free(&w);
    return fd;
}

struct stall_fill {
    struct node *n;
    uint64_t id;
    uint8_t *blob;
    bool blocked_seen;
};

/* Keeps the send queue just over the cap until the peer is dropped: once
 * the kernel's buffers are full it stays blocked, never past twice the
 * cap (that would be an overflow, not a stall). Seeing "blocked" once
 * proves nothing under load: the loop may simply not have written yet,
 * and the kernel then takes the queue. */
static bool stall_fill_step(void *arg)
{
    struct stall_fill *f = arg;
    if (f->n->disconnected)
        return true;
    if (connman_send_blocked(f->n->cm, f->id))
        f->blocked_seen = true;
    else /* fails once the peer is closing, before its reaping is reported */
        connman_send(f->n->cm, f->id, PROTO_CMD_TX, f->blob, 12 * 1024);
    return false;
}

static void test_stalled_peer(void **state)
{
    struct node n;
    stall_us = 300000;
    start_node(&n, NULL, NULL, 16 * 1024);
    stall_us = 0;
    int fd = raw_handshaked_peer(connman_listen_port(n.cm));
    assert_true(run_until(got_connected, &n, WAIT_MS));
    struct stall_fill f = {&n, 0, calloc(1, 12 * 1024), false};
    assert_int_equal(connman_peers(n.cm, &f.id, 1), 1);
    /* Fill the kernel's buffers, then ours: blocked, it never drains, and
     * the stall limit drops the peer. */
    assert_true(run_until(stall_fill_step, &f, WAIT_MS));
    assert_true(f.blocked_seen);
    assert_int_equal(n.disconnected, 1);
    free(f.blob);
    close(fd);
    connman_free(n.cm);
}

static void send_frame(int fd, const char *command, const uint8_t *payload, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    proto_frame(&w, (const uint8_t *)"\xfa\xbf\xb5\xda", command, payload, len);
    assert_int_equal(write(fd, w.data, w.len), (ssize_t)w.len);
    wbuf_free(&w);
}

static size_t index_of_block(const struct node *n, uint8_t tag)
{
    for (size_t i = 0; i < n->nlog; i++)
        if (n->log[i].cmd == PROTO_CMD_BLOCK && n->log[i].tag == tag)
            return i;
    fail_msg("block %u not handled", tag);
    return 0;
}

/* Blocks arriving together from two peers, one of them sending two with
 * an inv between: one block per loop turn, each peer's messages in order,
 * and the second peer's block before the first peer's second (round
 * robin). */
static void test_one_block_per_turn(void **state)
{
    struct node n;
    start_node(&n, NULL, NULL, 0);
    int a = raw_handshaked_peer(connman_listen_port(n.cm));
    int b = raw_handshaked_peer(connman_listen_port(n.cm));
    assert_true(run_until(got_two, &n, WAIT_MS));
    uint8_t blk[3][64] = {{1}, {2}, {3}};
    uint8_t inv[37] = {1, 2};
    send_frame(a, "block", blk[0], sizeof(blk[0]));
    send_frame(a, "inv", inv, sizeof(inv));
    send_frame(a, "block", blk[1], sizeof(blk[1]));
    send_frame(b, "block", blk[2], sizeof(blk[2]));
    time_t give_up = time(NULL) + WAIT_MS / 1000;
    while (n.nlog < 4 && time(NULL) < give_up) {
        n.turn++;
        event_base_loop(base, EVLOOP_ONCE);
    }
    assert_int_equal(n.nlog, 4);
    size_t a1 = index_of_block(&n, 1), a2 = index_of_block(&n, 2), b1 = index_of_block(&n, 3);
    size_t inv_at = 0;
    while (inv_at < n.nlog && n.log[inv_at].cmd != PROTO_CMD_INV)
        inv_at++;
    assert_true(a1 < inv_at && inv_at < a2); /* the peer's order */
    assert_true(b1 < a2);                    /* round robin */
    assert_true(n.log[a1].turn != n.log[b1].turn);
    assert_true(n.log[b1].turn != n.log[a2].turn);
    assert_true(n.log[a1].turn != n.log[a2].turn);
    close(a);
    close(b);
    connman_free(n.cm);
}

static bool addrs_counted(void *arg)
{
    struct ctx2 *c = arg;
    struct connman_peer_extra ex;
    return connman_peer_extra(c->cm, c->id, &ex) && ex.addr_processed + ex.addr_rate_limited >= 1;
}

/* Core keeps an addrv2 entry of an unknown network in the message (as an
 * invalid address): it takes a token like any other. A new inbound peer
 * has one token: of its two entries, one is rate-limited, whichever the
 * shuffle puts second (the other is processed only if it is the IPv4
 * one: both counters are set at once). */
static void test_addr_unknown_network_takes_a_token(void **state)
{
    struct node n;
    start_node(&n, NULL, NULL, 0);
    int a = raw_handshaked_peer(connman_listen_port(n.cm));
    assert_true(run_until(one, &n, WAIT_MS));
    struct wbuf w;
    wbuf_init(&w);
    wbuf_compact(&w, 2);
    uint32_t t = (uint32_t)time(NULL);
    wbuf_u32(&w, t), wbuf_compact(&w, PROTO_NODE_NETWORK), wbuf_u8(&w, 0x42);
    wbuf_varbytes(&w, (const uint8_t *)"\x01\x02\x03\x04", 4), wbuf_u16be(&w, 8333);
    wbuf_u32(&w, t), wbuf_compact(&w, PROTO_NODE_NETWORK), wbuf_u8(&w, PROTO_NET_IPV4);
    wbuf_varbytes(&w, (const uint8_t *)"\x08\x08\x04\x04", 4), wbuf_u16be(&w, 8333);
    send_frame(a, "addrv2", w.data, w.len);
    wbuf_free(&w);
    struct ctx2 c2 = {n.cm, 0};
    assert_int_equal(connman_peers(n.cm, &c2.id, 1), 1);
    assert_true(run_until(addrs_counted, &c2, WAIT_MS));
    struct connman_peer_extra ex;
    assert_true(connman_peer_extra(n.cm, c2.id, &ex));
    assert_int_equal(ex.addr_rate_limited, 1);
    close(a);
    connman_free(n.cm);
}

static bool three_handled(void *arg)
{
    return ((struct node *)arg)->nlog >= 3;
}

/* While the relay layer holds a peer's input (Core: its getdata queue is
 * not empty), none of its next messages is handled, a ping included;
 * connman_resume_input lets them go, in order. */
static void test_input_held(void **state)
{
    struct node n;
    start_node(&n, NULL, NULL, 0);
    int a = raw_handshaked_peer(connman_listen_port(n.cm));
    assert_true(run_until(one, &n, WAIT_MS));
    size_t before = n.nlog;
    hold_after_inv = true;
    uint8_t inv[37] = {1, 2}, blk[64] = {7}, nonce[8] = {0};
    send_frame(a, "inv", inv, sizeof(inv));
    send_frame(a, "block", blk, sizeof(blk));
    send_frame(a, "ping", nonce, sizeof(nonce));
    send_frame(a, "inv", inv, sizeof(inv));
    assert_false(run_until(three_handled, &n, 300));
    assert_int_equal(n.nlog - before, 1);
    uint64_t id;
    assert_int_equal(connman_peers(n.cm, &id, 1), 1);
    struct net_peer_stats st;
    assert_true(connman_peer_stats(n.cm, id, &st));
    assert_int_equal(st.recv[PROTO_CMD_PING].msgs, 0);
    hold_after_inv = false;
    connman_resume_input(n.cm, id);
    assert_true(run_until(three_handled, &n, WAIT_MS));
    assert_int_equal(n.log[before + 1].cmd, PROTO_CMD_BLOCK);
    assert_int_equal(n.log[before + 2].cmd, PROTO_CMD_INV);
    close(a);
    connman_free(n.cm);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as hearsayd does: a closed peer is an error, not a kill */
    base = event_base_new();
    if (getenv("TEST_VERBOSE")) {
        log_set_console(true);
        log_enable(LOG_ALL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_messages),
        cmocka_unit_test(test_self_connection),
        cmocka_unit_test(test_no_self_announcement_in_ibd),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_address_gossip),
        cmocka_unit_test(test_late_handlers),
        cmocka_unit_test(test_addnode_api),
        cmocka_unit_test(test_discouragement),
        cmocka_unit_test(test_stalled_peer),
        cmocka_unit_test(test_one_block_per_turn),
        cmocka_unit_test(test_input_held),
        cmocka_unit_test(test_addr_unknown_network_takes_a_token),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    event_base_free(base);
    return rc;
}
