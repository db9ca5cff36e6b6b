/* Fuzzes a peer with an arbitrary byte stream: framing, the command
 * table's gating and every handler, in every handshake state. The first
 * byte chooses inbound/outbound and whether the handshake is done first. */
#include "net/conn/peer.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t clock_us;
static int64_t f_now(void *ctx) { return clock_us; }
static int64_t f_wall(void *ctx) { return 1700000000; }
static uint64_t f_rand(void *ctx) { return 42; }
static int32_t f_height(void *ctx) { return 0; }
static void f_send(void *ctx, struct peer *p, const uint8_t *d, size_t n) {}
static void f_closed(void *ctx, struct peer *p, const char *r, bool d) {}
static bool f_nonce(void *ctx, uint64_t n) { return n == 7; }
static void f_ready(void *ctx, struct peer *p) {}
static void f_getaddr(void *ctx, struct peer *p) {}
static void f_addrs(void *ctx, struct peer *p, const struct proto_netaddr *a, size_t n,
                    size_t skipped) {}
static void f_relay(void *ctx, struct peer *p, const struct net_msg *m) {}

static const struct peer_local local = {
    .magic = {0xfa, 0xbf, 0xb5, 0xda},
    .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS,
    .user_agent = "/hearsay:0.1.0/",
    .relay = true,
    .timeouts = {60000000, 120000000, 1200000000, 1200000000},
};

static void handshake(struct peer *p, struct wbuf *w)
{
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = PROTO_NODE_NETWORK;
    v.nonce = 1;
    wbuf_reset(w);
    size_t start = proto_begin(w, local.magic, PROTO_CMD_VERSION);
    proto_version_encode(w, &v);
    proto_finish(w, start);
    proto_frame(w, local.magic, "verack", NULL, 0);
    peer_feed(p, w->data, w->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct wbuf scratch, w;
    wbuf_init(&scratch);
    wbuf_init(&w);
    struct peer_env env = {
        .ctx = NULL, .local = &local, .scratch = &scratch, .now = f_now, .wall = f_wall,
        .rand64 = f_rand, .best_height = f_height, .send = f_send, .closed = f_closed,
        .is_local_nonce = f_nonce, .ready = f_ready, .getaddr = f_getaddr, .addrs = f_addrs,
        .relay = f_relay};
    struct proto_netaddr a = {.port = 1};
    clock_us = 1000000;
    struct peer *p = peer_new(&env, 1, data[0] & 1, &a);
    peer_start(p);
    if (data[0] & 2)
        handshake(p, &w);
    /* Feed in two pieces so partial frames are exercised too. */
    size_t cut = size > 1 ? 1 + data[size / 2] % (size - 1) : 1;
    size_t used = peer_feed(p, data + 1, cut - 1);
    peer_feed(p, data + 1 + used, size - 1 - used);
    clock_us += (int64_t)data[0] * 10000000;
    peer_tick(p, clock_us);
    peer_free(p);
    wbuf_free(&scratch);
    wbuf_free(&w);
    return 0;
}
