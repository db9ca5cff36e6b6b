/* A minimal Bitcoin-protocol peer for loopback benchmarks (libevent
 * bufferevents): framing, the version message, and a read callback that
 * hands complete frames to the benchmark. */
#ifndef HEARSAY_CONTRIB_BENCH_PEER_H
#define HEARSAY_CONTRIB_BENCH_PEER_H

#include "net/wire/protocol.h"

#include <event2/bufferevent.h>
#include <stdint.h>

/* Regtest's message start. */
extern const uint8_t bench_peer_magic[4];

void bench_peer_send(struct bufferevent *bev, const char *cmd, const void *payload, size_t len);
/* Our version: PROTO_VERSION, NODE_NETWORK | NODE_WITNESS, relay on. */
void bench_peer_version(struct bufferevent *bev, uint64_t nonce, const char *user_agent);

typedef void (*bench_peer_msg_fn)(void *arg, const struct proto_header *h,
                                  const uint8_t *payload);
/* Calls fn for every complete frame in bev's input, then drains it. */
void bench_peer_read(struct bufferevent *bev, bench_peer_msg_fn fn, void *arg);

#endif
