#include "contrib/bench/bench_peer.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const uint8_t bench_peer_magic[4] = {0xfa, 0xbf, 0xb5, 0xda};

void bench_peer_send(struct bufferevent *bev, const char *cmd, const void *payload, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    proto_frame(&w, bench_peer_magic, cmd, payload, len);
    bufferevent_write(bev, w.data, w.len);
    wbuf_free(&w);
}

void bench_peer_version(struct bufferevent *bev, uint64_t nonce, const char *user_agent)
{
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS;
    v.time = time(NULL);
    v.nonce = nonce;
    snprintf(v.user_agent, sizeof(v.user_agent), "%s", user_agent);
    v.relay = true;
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    bench_peer_send(bev, "version", w.data, w.len);
    wbuf_free(&w);
}

void bench_peer_read(struct bufferevent *bev, bench_peer_msg_fn fn, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail < PROTO_HEADER_SIZE)
            return;
        struct proto_header h;
        proto_header_decode(evbuffer_pullup(in, PROTO_HEADER_SIZE), &h);
        if (avail < PROTO_HEADER_SIZE + h.length)
            return;
        const uint8_t *m = evbuffer_pullup(in, PROTO_HEADER_SIZE + h.length);
        fn(arg, &h, m + PROTO_HEADER_SIZE);
        evbuffer_drain(in, PROTO_HEADER_SIZE + h.length);
    }
}
