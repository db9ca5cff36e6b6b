/* One connected peer: its handshake state machine, counters and the
 * command table that gates and dispatches its messages.
 *
 * This module does no I/O. Bytes come in through peer_frame_size and
 * peer_handle (or peer_feed for a flat buffer); bytes go out, and every
 * decision that needs the rest of the node (close, addresses, relay), go
 * through the struct peer_env the connection manager supplies. Unit tests
 * and fuzzers drive a peer with a fake environment. */
#ifndef HEARSAY_NET_PEER_H
#define HEARSAY_NET_PEER_H

#include "chain/primitives/serialize.h"
#include "net/wire/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Handshake states, as bits so the command table can list several. */
enum peer_state {
    PEER_NEW = 1,     /* no version received yet */
    PEER_VERSION = 2, /* version received, our verack sent, theirs awaited */
    PEER_READY = 4,   /* handshake complete */
    PEER_CLOSING = 8, /* marked for closing: nothing more is processed */
};

struct peer_msg_stats {
    uint64_t msgs, bytes; /* bytes include the 24-byte header */
};

/* Timeouts in microseconds (tests shorten them). */
struct peer_timeouts {
    int64_t handshake;  /* version+verack must complete (60 s) */
    int64_t ping_every; /* ping interval (2 min) */
    int64_t ping_wait;  /* pong must come back (20 min) */
    int64_t inactivity; /* nothing received or sent (20 min) */
};

/* What every peer of one node shares. */
struct peer_local {
    uint8_t magic[4];
    uint64_t services;
    const char *user_agent;
    bool relay;           /* our relay flag in version */
    struct peer_timeouts timeouts;
    /* Send hearsay's hsgossip, empty, before verack. A peer that sends it
     * too gets hello_received. */
    bool hello;
    bool no_cmpct;        /* -compactblocks=0: no sendcmpct */
    bool txrecon; /* BIP330: send sendtxrcncl */
    /* Private addresses count as routable (test networks on one host):
     * our version tells such a peer the address we see it at. */
    bool allow_private;
};

/* What an automatic outbound connection is for (Bitcoin Core's
 * ConnectionType); inbound and manual peers are PEER_FULL_RELAY here and
 * told apart by struct peer's inbound and manual flags. */
enum peer_kind {
    PEER_FULL_RELAY,  /* transactions, blocks and addresses */
    PEER_BLOCK_RELAY, /* blocks only: relay=0 in version, no addr traffic */
    PEER_FEELER,      /* tests an address: closed once the handshake is done */
    PEER_ADDR_FETCH,  /* -seednode and seeds: getaddr, then closed */
};

/* getpeerinfo's connection_type, as Bitcoin Core names it. */
const char *peer_kind_name(bool inbound, bool manual, enum peer_kind kind);

struct peer;

struct peer_env {
    void *ctx;
    const struct peer_local *local;
    struct wbuf *scratch; /* where outgoing messages are built */
    int64_t (*now)(void *ctx);       /* monotonic microseconds */
    int64_t (*wall)(void *ctx);      /* unix seconds (version time) */
    uint64_t (*rand64)(void *ctx);
    int32_t (*best_height)(void *ctx);
    /* Optional: our tip is close to today, so a NODE_NETWORK_LIMITED peer
     * serves what we lack (NULL: never). */
    bool (*near_tip)(void *ctx);
    void (*send)(void *ctx, struct peer *p, const uint8_t *data, size_t len);
    /* The peer was marked closing; discourage: the reason is misbehaviour. */
    void (*closed)(void *ctx, struct peer *p, const char *reason, bool discourage);
    bool (*is_local_nonce)(void *ctx, uint64_t nonce);
    /* The handshake is done; for a feeler, its version came (it is
     * closed then). */
    void (*ready)(void *ctx, struct peer *p);
    void (*getaddr)(void *ctx, struct peer *p);
    /* skipped: the entries of networks we do not know, left out of a. */
    void (*addrs)(void *ctx, struct peer *p, const struct proto_netaddr *a, size_t n,
                  size_t skipped);
    /* A relay-layer message (BIP330's and hearsay's extensions included),
     * decoded; pointers are valid during the call. */
    void (*relay)(void *ctx, struct peer *p, const struct net_msg *m);
};

/* The peer object. Its fields are read by net/ (the connection manager
 * and tests); only peer.c changes the protocol fields. */
struct peer {
    uint64_t id;
    const struct peer_env *env;
    enum peer_state state;
    bool inbound;
    bool manual;          /* -connect/-addnode: no service check */
    enum peer_kind kind;  /* set before peer_start */
    struct proto_netaddr addr; /* remote address and port */
    void *io;             /* the connection manager's transport */

    /* From the peer's version message. */
    int32_t version;
    uint64_t services;
    char user_agent[PROTO_MAX_USER_AGENT + 1];
    int32_t start_height;
    int64_t time_offset; /* its version time minus ours, seconds */
    bool relay;
    uint64_t their_nonce;
    struct proto_netaddr addr_local; /* how the peer sees us */
    uint64_t nonce;                  /* ours, for self-connection checks */

    /* Negotiated features. */
    bool version_sent;
    bool wtxidrelay, sendaddrv2, sendheaders;
    int64_t feefilter;
    bool getaddr_answered;
    bool getaddr_sent;
    bool hello_received; /* it sent local->hello before verack */
    /* BIP330: sendtxrcncl sent / received, and the salts. Reconciliation
     * needs both and wtxidrelay. */
    bool recon_sent, recon_received;
    uint64_t recon_salt_local, recon_salt_remote;

    /* Times, monotonic microseconds. */
    int64_t connected, last_send, last_recv;
    int64_t ping_sent;   /* 0: no ping outstanding */
    uint64_t ping_nonce;
    int64_t next_ping;
    int64_t ping_us, min_ping_us; /* -1 until measured */

    enum proto_cmd building; /* between peer_msg_begin and peer_msg_end */
    char close_reason[64];
    struct peer_msg_stats sent[PROTO_CMD_COUNT], recv[PROTO_CMD_COUNT];
    uint64_t bytes_sent, bytes_recv;
};

/* Outbound peers send their version at once. */
struct peer *peer_new(const struct peer_env *env, uint64_t id, bool inbound,
                      const struct proto_netaddr *addr);
void peer_free(struct peer *p);
void peer_start(struct peer *p);

/* Frame size (header + payload) announced by a 24-byte header, or -1 when
 * the header is bad (the peer is then closing). */
long peer_frame_size(struct peer *p, const uint8_t hdr[PROTO_HEADER_SIZE]);
/* Handles one complete frame of peer_frame_size bytes. */
void peer_handle(struct peer *p, const uint8_t *frame, size_t len);
/* Handles every complete frame of a flat buffer; returns the bytes used. */
size_t peer_feed(struct peer *p, const uint8_t *data, size_t len);

/* Timers: handshake, ping, inactivity. Closes the peer when one expires. */
void peer_tick(struct peer *p, int64_t now);

/* Marks the peer closing (once) and tells the environment. Misbehaviour
 * (discourage) of a manual peer is only logged, as Core: it stays. */
void peer_close(struct peer *p, const char *reason, bool discourage);

/* Sending: a whole payload, or built in place between begin and end. */
void peer_send(struct peer *p, enum proto_cmd cmd, const void *payload, size_t len);
struct wbuf *peer_msg_begin(struct peer *p, enum proto_cmd cmd);
void peer_msg_end(struct peer *p);

const char *peer_state_name(enum peer_state s);

#endif
