/* bench_dispatch: the receive path of one peer, in process. A handshaked
 * peer is fed a stream of frames (a mix of the commands a relay node
 * receives most: inv, getdata, tx, headers, ping, pong, feefilter and an
 * unknown command) through peer_feed, with a do-nothing environment, and
 * the command lookup alone is timed over every known name. Prints:
 *   - ns per frame through peer_feed (header check, checksum, command
 *     lookup, state gate, decode, handler), and frames per second,
 *   - ns per command lookup.
 * Times are CPU time of this thread. Figures only: it never passes or
 * fails on timing.
 *
 * usage: bench_dispatch [seconds] */
#include "chain/util/xmalloc.h"
#include "net/conn/peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint8_t magic[4] = {0xfa, 0xbf, 0xb5, 0xda};
static uint64_t relayed, sink;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t e_now(void *ctx) { return 1000000; }
static int64_t e_wall(void *ctx) { return 1700000000; }
static uint64_t e_rand(void *ctx) { return 0x5eed; }
static int32_t e_height(void *ctx) { return 0; }
static void e_send(void *ctx, struct peer *p, const uint8_t *d, size_t len) { sink += len; }
static void e_closed(void *ctx, struct peer *p, const char *reason, bool discourage)
{
    fprintf(stderr, "bench_dispatch: peer closed: %s\n", reason);
    exit(1);
}
static bool e_nonce(void *ctx, uint64_t n) { return false; }
static void e_ready(void *ctx, struct peer *p) {}
static void e_getaddr(void *ctx, struct peer *p) {}
static void e_addrs(void *ctx, struct peer *p, const struct proto_netaddr *a, size_t n,
                    size_t skipped) {}
static void e_relay(void *ctx, struct peer *p, const struct net_msg *m) { relayed++; }

static void frame_version(struct wbuf *w)
{
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS;
    v.nonce = 42;
    v.relay = true;
    struct wbuf pl;
    wbuf_init(&pl);
    proto_version_encode(&pl, &v);
    proto_frame(w, magic, "version", pl.data, pl.len);
    wbuf_free(&pl);
}

/* One round of the mix: payloads as a relay node sees them. */
static size_t frame_mix(struct wbuf *w)
{
    struct wbuf pl;
    wbuf_init(&pl);
    struct proto_inv inv[3];
    memset(inv, 0x11, sizeof(inv));
    for (int i = 0; i < 3; i++)
        inv[i].type = PROTO_INV_WTX;
    proto_inv_encode(&pl, inv, 3);
    proto_frame(w, magic, "inv", pl.data, pl.len);
    proto_frame(w, magic, "inv", pl.data, pl.len);
    wbuf_reset(&pl);
    proto_inv_encode(&pl, inv, 1);
    proto_frame(w, magic, "getdata", pl.data, pl.len);
    wbuf_reset(&pl);
    uint8_t tx[250];
    memset(tx, 0x22, sizeof(tx));
    proto_frame(w, magic, "tx", tx, sizeof(tx));
    uint8_t hdr[80];
    memset(hdr, 0x33, sizeof(hdr));
    proto_headers_encode(&pl, (const uint8_t(*)[80])hdr, 1);
    proto_frame(w, magic, "headers", pl.data, pl.len);
    proto_frame(w, magic, "ping", "12345678", 8);
    proto_frame(w, magic, "pong", "87654321", 8);
    wbuf_reset(&pl);
    wbuf_i64(&pl, 1000);
    proto_frame(w, magic, "feefilter", pl.data, pl.len);
    proto_frame(w, magic, "foo", NULL, 0);
    wbuf_free(&pl);
    return 9;
}

static double bench_feed(struct peer *p, double seconds)
{
    struct wbuf w;
    wbuf_init(&w);
    size_t per = 0;
    for (int i = 0; i < 64; i++)
        per += frame_mix(&w);
    uint64_t frames = 0;
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 100; i++) {
            if (peer_feed(p, w.data, w.len) != w.len) {
                fprintf(stderr, "bench_dispatch: frames left over\n");
                exit(1);
            }
            frames += per;
        }
        t = cpu_now() - t0;
    } while (t < seconds);
    wbuf_free(&w);
    printf("peer_feed: %.1f ns/frame, %.0f frames/s (%llu frames, %llu relayed)\n",
           t * 1e9 / (double)frames, (double)frames / t, (unsigned long long)frames,
           (unsigned long long)relayed);
    return t;
}

static void bench_lookup(double seconds)
{
    static const char *const names[] = {"inv", "getdata", "tx", "headers", "ping", "pong",
                                        "feefilter", "block", "cmpctblock", "foo"};
    const size_t n = sizeof(names) / sizeof(names[0]);
    char cmds[sizeof(names) / sizeof(names[0])][PROTO_COMMAND_SIZE];
    memset(cmds, 0, sizeof(cmds));
    for (size_t i = 0; i < n; i++)
        memcpy(cmds[i], names[i], strlen(names[i]));
    uint64_t lookups = 0;
    double t0 = cpu_now(), t;
    do {
        for (int r = 0; r < 10000; r++)
            for (size_t i = 0; i < n; i++)
                sink += (uint64_t)proto_cmd_lookup(cmds[i]);
        lookups += 10000 * n;
        t = cpu_now() - t0;
    } while (t < seconds);
    printf("proto_cmd_lookup: %.1f ns/lookup (%llu lookups)\n", t * 1e9 / (double)lookups,
           (unsigned long long)lookups);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    struct peer_local local = {
        .magic = {0xfa, 0xbf, 0xb5, 0xda},
        .services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS,
        .user_agent = "/bench/",
        .relay = true,
        .timeouts = {.handshake = 1, .ping_every = 1, .ping_wait = 1, .inactivity = 1},
    };
    struct wbuf scratch;
    wbuf_init(&scratch);
    struct peer_env env = {
        .local = &local, .scratch = &scratch, .now = e_now, .wall = e_wall, .rand64 = e_rand,
        .best_height = e_height, .send = e_send, .closed = e_closed, .is_local_nonce = e_nonce,
        .ready = e_ready, .getaddr = e_getaddr, .addrs = e_addrs, .relay = e_relay};
    struct proto_netaddr a = {.port = 18444};
    struct peer *p = peer_new(&env, 1, true, &a);
    struct wbuf w;
    wbuf_init(&w);
    frame_version(&w);
    proto_frame(&w, magic, "verack", NULL, 0);
    peer_feed(p, w.data, w.len);
    wbuf_free(&w);
    if (p->state != PEER_READY) {
        fprintf(stderr, "bench_dispatch: handshake failed\n");
        return 1;
    }
    bench_feed(p, seconds);
    bench_lookup(seconds / 3);
    peer_free(p);
    wbuf_free(&scratch);
    return sink == 0; /* keeps the sink alive */
}
