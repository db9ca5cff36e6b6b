/* The connection manager: sockets (libevent bufferevents), listening,
 * outbound connections (-connect, -addnode, addresses learned), limits,
 * eviction, backpressure, discouragement, address gossip, and the
 * interface the relay layer plugs into.
 *
 * Peers are named by a 64-bit id that is never reused. Closed peers are
 * marked and freed from a separate event, never inside their own
 * callbacks. */
#ifndef HEARSAY_NET_CONNMAN_H
#define HEARSAY_NET_CONNMAN_H

#include "net/conn/peer.h"
#include "net/wire/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct connman;

struct connman_options {
    uint8_t magic[4];
    uint16_t default_port; /* of the chain: for -connect/-addnode without a port */
    const char *peers_dir; /* LevelDB directory of the address manager; NULL: memory */
    bool listen;
    const char *const *bind; /* "addr[:port]" list; none: all interfaces, v4 and v6 */
    size_t nbind;
    uint16_t port; /* listening port; 0 with tests: an ephemeral one */
    const char *const *connect; /* only these outbound connections when given */
    size_t nconnect;
    const char *const *addnode; /* kept connected, besides the others */
    size_t naddnode;
    int max_outbound;    /* automatic full-relay outbound slots (8) */
    int max_block_relay; /* automatic block-relay-only outbound slots (2) */
    bool feelers;        /* a feeler connection about every 2 minutes (true) */
    const char *anchors_path; /* anchors.dat (net/conn/anchors.h); NULL: none */
    int max_connections; /* total (125) */
    size_t max_sendbuf;  /* unsent bytes per peer before backpressure (5 MB) */
    int64_t stall_us;    /* backpressured that long: disconnect (2 min) */
    struct peer_timeouts timeouts;
    int64_t tick_us;          /* housekeeping period (1 s) */
    int64_t discourage_secs;  /* how long misbehaving addresses stay discouraged (24 h) */
    int64_t retry_max_us;     /* addnode/connect reconnect backoff ceiling (60 s) */
    bool allow_private;  /* learn and dial loopback/private addresses (regtest networks) */
    uint64_t services;
    const char *user_agent;
    bool relay;          /* our version's relay flag (false: blocks only) */
    bool no_cmpct;       /* -compactblocks=0: send no sendcmpct */
    uint64_t seed;       /* random seed; 0: from the system */
    int64_t addr_send_us; /* mean interval between addr messages to a peer (30 s) */
    /* Peer discovery (net/conn/discovery.c), Bitcoin Core's rules. */
    bool dnsseed;        /* query dns_seeds when addresses are wanting */
    bool forcednsseed;   /* query them all, whatever the address manager holds */
    bool fixedseeds;     /* fall back on fixed_seeds */
    const char *const *dns_seeds; /* host names (the chain's, or -dnsseedhost) */
    size_t ndns_seeds;
    const struct proto_netaddr *fixed_seeds; /* copied: the caller's may go */
    size_t nfixed_seeds;
    const char *const *seednodes; /* -seednode: connect, getaddr, disconnect */
    size_t nseednodes;
    const char *dns_server; /* "ip[:port]" for seed lookups; NULL: the system's */
    int64_t (*clock)(void); /* unix seconds (setmocktime moves it); NULL: time() */
};

/* Bitcoin Core's defaults (NODE_NETWORK | NODE_WITNESS, /hearsay:0.1.0/). */
void connman_options_default(struct connman_options *o);

/* What the relay layer learns when a peer completes its handshake. */
struct net_peer_props {
    uint64_t id;
    bool inbound;
    bool wtxidrelay;
    bool sendheaders;
    bool relay; /* the peer's version relay flag */
    uint64_t services;
    int32_t version;
    int32_t start_height;
    bool hello; /* it sent hsgossip before verack (and net_handlers.hello is set) */
    /* BIP330 negotiated (sendtxrcncl both ways, and wtxidrelay), with the
     * salts the short ids are keyed by. */
    bool txrecon;
    uint64_t recon_salt_local, recon_salt_remote;
    /* Our connection to it: its kind (outbound), whether we made it by
     * hand (-addnode, -connect, RPC) and its network (PROTO_NET_IPV4 or
     * PROTO_NET_IPV6), for Core's choice of extra outbound peers to drop. */
    enum peer_kind kind;
    bool manual;
    uint8_t network;
};

/* The relay/chain layer's hooks. Any may be NULL. Without a message hook,
 * relay commands are parsed, counted and ignored. */
struct net_handlers {
    void *ctx;
    void (*connected)(void *ctx, const struct net_peer_props *props);
    void (*disconnected)(void *ctx, uint64_t id);
    /* The relay commands (net/conn/peer.c's rows with on_relay: inv,
     * getdata, tx, block, headers, BIP152, BIP330's rounds, hearsay's
     * anti-entropy, ...), decoded (see struct net_msg), and sendheaders
     * when it comes after the handshake. */
    void (*message)(void *ctx, uint64_t id, const struct net_msg *msg);
    void (*tick)(void *ctx, int64_t now_us);
    int32_t (*best_height)(void *ctx); /* for our version message */
    /* Our best block is less than 144 block intervals old (Core's
     * NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS): peers that keep only the
     * last 288 blocks may fill automatic outbound slots. NULL: never. */
    bool (*near_tip)(void *ctx);
    /* In initial block download: we do not announce our own address
     * then (Core's MaybeSendAddr). NULL: never. */
    bool (*initial_download)(void *ctx);
    /* Send hearsay's hsgossip before verack to peers that connect from
     * now on (we reconcile mempools). */
    bool hello;
    /* BIP330: offer transaction reconciliation (sendtxrcncl). */
    bool txrecon;
    /* The peer's send buffer drained below half the limit after being
     * full: data held back for it (getdata) may go now. Its next messages
     * are read after this returns, unless the buffer is full again. */
    void (*send_ready)(void *ctx, uint64_t id);
};

/* getpeerinfo's view of a peer. Times are unix seconds. */
struct net_peer_stats {
    struct net_peer_props props;
    const char *connection_type; /* Core's names: "outbound-full-relay", ... */
    char addr[64];
    char addr_local[64];
    bool manual;
    bool handshaked;
    bool addrv2;
    char user_agent[PROTO_MAX_USER_AGENT + 1];
    int64_t conn_time, last_send, last_recv;
    int64_t ping_us, min_ping_us, ping_wait_us; /* -1: none */
    uint64_t bytes_sent, bytes_recv;
    int64_t feefilter;
    size_t send_queue; /* unsent bytes */
    bool send_blocked; /* backpressure on */
    struct peer_msg_stats sent[PROTO_CMD_COUNT], recv[PROTO_CMD_COUNT];
};

struct net_totals {
    uint64_t bytes_sent, bytes_recv;
    size_t inbound, outbound;
    size_t addresses; /* in the address manager */
};

struct connman *connman_new(struct event_base *base, const struct connman_options *o,
                            char **err);
/* Binds the listeners and starts connecting. -1 and *err on failure. */
int connman_start(struct connman *cm, char **err);
/* Closes every connection and saves the addresses. */
void connman_stop(struct connman *cm);
void connman_free(struct connman *cm);

/* Peers already handshaked are reported to connected() at once. The relay
 * layer's stop must clear the hooks (an all-NULL struct) before it frees
 * its context: the connection manager stops after it. */
void connman_set_handlers(struct connman *cm, const struct net_handlers *h);

/* Sends a message (payload may be NULL when len is 0). -1 if no such peer
 * or it is closing. Check connman_send_blocked before serving data. */
int connman_send(struct connman *cm, uint64_t id, enum proto_cmd cmd, const void *payload,
                 size_t len);
/* Builds a message in place (a block serialized straight into its frame,
 * one copy less): append the payload to the returned buffer, then call
 * connman_msg_end. NULL if no such peer. Nothing else may be sent between
 * the two calls. */
struct wbuf *connman_msg_begin(struct connman *cm, uint64_t id, enum proto_cmd cmd);
int connman_msg_end(struct connman *cm, uint64_t id);
size_t connman_send_queue(struct connman *cm, uint64_t id);
bool connman_send_blocked(struct connman *cm, uint64_t id);
/* Holds the peer's received messages (paused) until called with false:
 * the relay layer is still working on one (a block on another thread) and
 * the next must wait for it. Nothing if the peer is gone or closing. */
void connman_pause_input(struct connman *cm, uint64_t id, bool paused);
/* Ids of handshaked peers (at most cap); returns the total count. */
size_t connman_peers(struct connman *cm, uint64_t *ids, size_t cap);
bool connman_peer_stats(struct connman *cm, uint64_t id, struct net_peer_stats *out);
/* The peer's current properties. sendheaders usually arrives just after
 * the handshake (Bitcoin Core sends it once it has our verack), so ask
 * here rather than trusting the copy given to connected(). */
bool connman_peer_props(struct connman *cm, uint64_t id, struct net_peer_props *out);
/* Closes the connection, after writing what is queued for it if the
 * socket takes it at once. */
int connman_disconnect(struct connman *cm, uint64_t id);
/* The relay layer reports a protocol violation: log, disconnect, discourage. */
void connman_misbehaving(struct connman *cm, uint64_t id, const char *reason);
void connman_totals(struct connman *cm, struct net_totals *out);
/* The first listening port (useful with port 0). */
uint16_t connman_listen_port(struct connman *cm);
/* The service bits our version messages advertise. */
uint64_t connman_local_services(const struct connman *cm);
/* The addnode RPC: add (kept connected, like -addnode; "node already
 * added" if it is), remove (no longer redialed; a live connection stays;
 * "node has not been added" if unknown), onetry (one manual connection). */
int connman_add_node(struct connman *cm, const char *endpoint, char **err);
int connman_remove_node(struct connman *cm, const char *endpoint, char **err);
int connman_connect_once(struct connman *cm, const char *endpoint, char **err);
bool connman_is_discouraged(struct connman *cm, const struct proto_netaddr *a);

/* Core's extra outbound peers (net/conn/outbound.c), driven by the relay
 * layer's stale tip check as CConnman's are by PeerManager: while on, one
 * automatic full-relay connection beyond -maxoutbound may open (Core's
 * SetTryNewOutboundPeer); once started (the tip is recent), an extra
 * block-relay-only connection every 5 minutes on average (Core's
 * StartExtraBlockRelayPeers). Either takes the one spare automatic slot,
 * the feeler's. */
void connman_set_try_new_outbound(struct connman *cm, bool on);
bool connman_try_new_outbound(const struct connman *cm);
void connman_start_extra_block_relay(struct connman *cm);
/* Handshaked automatic outbound peers of that kind (full or block relay)
 * beyond its slots (Core's GetExtraFullOutboundCount and
 * GetExtraBlockRelayCount). */
int connman_extra_outbound(struct connman *cm, enum peer_kind kind);

#endif
