/* Internals shared by connman.c (sockets, peers, the relay interface) and
 * outbound.c (dialing, address gossip, eviction, discouragement). Not for
 * use outside net/. */
#ifndef HEARSAY_NET_CONNMAN_INT_H
#define HEARSAY_NET_CONNMAN_INT_H

#include "net/conn/addrman.h"
#include "net/conn/anchors.h"
#include "net/conn/connman.h"
#include "net/conn/peer.h"
#include "net/relay/seenset.h"

struct bufferevent;
struct evconnlistener;
struct event;
struct banman;
struct addrcache;
struct discovery;

/* A -connect or -addnode endpoint, kept connected with backoff. */
struct target {
    char *endpoint;
    bool resolved;
    struct proto_netaddr addr;
    struct conn *conn;  /* the connection serving it, or NULL */
    int64_t next_try;   /* monotonic us */
    int64_t backoff;    /* us; doubles on each failure */
};

struct conn {
    struct connman *cm;
    struct peer *p;
    struct bufferevent *bev;
    struct event *resume_ev; /* handles the input left after a full slice */
    bool waiting;        /* its input waits for a later loop turn (turn_cb) */
    bool connecting;     /* outbound TCP connect in progress */
    bool handshaked;     /* reached PEER_READY once */
    bool notified;       /* handlers.connected was called */
    bool blocked;        /* backpressure: reading paused */
    bool paused;         /* the relay layer holds its input (connman_pause_input) */
    int64_t blocked_since;
    size_t blocked_queued; /* unsent bytes when it became blocked */
    struct target *target;
    double addr_tokens;  /* addresses this peer may still send us */
    int64_t addr_token_time;
    int64_t last_useful; /* last relay message from it (eviction) */
    struct proto_netaddr *addr_out; /* addresses to send at next_addr_send */
    size_t addr_out_n, addr_out_cap;
    struct seenset *addr_known; /* addresses it has (sent us, or we sent it) */
    bool addr_relay;      /* it takes part in address relay */
    int64_t next_addr_send, next_local_send; /* monotonic us */
    uint64_t addr_processed, addr_rate_limited; /* getpeerinfo */
};

struct discouraged {
    uint8_t ip[16];
    int64_t until; /* unix seconds */
};

struct connman {
    struct event_base *base;
    struct connman_options o;
    struct peer_local local;
    struct peer_env env;
    struct wbuf scratch;
    struct net_handlers h;
    struct addrman *am;
    struct conn **conns; /* ordered by id */
    size_t nconns, cap;
    uint64_t next_id;
    struct evconnlistener *listeners[8];
    size_t nlisteners;
    bool listeners_paused; /* accept failed: resume at the next tick */
    uint16_t listen_port;
    struct event *tick_ev, *reap_ev;
    /* One block-carrying message per loop turn: once one was handled,
     * every peer's input waits for turn_ev, a zero-delay timer, which
     * resumes the waiting peers in order (ids, as they may be freed
     * meanwhile). The peer that handled it queues behind them. */
    struct event *turn_ev;
    bool turn_spent;
    bool has_spender;
    uint64_t spender;
    uint64_t *waiting;
    size_t nwaiting, waiting_cap;
    struct target *targets;
    size_t ntargets, targets_cap;
    size_t nconnect; /* the first nconnect targets come from -connect */
    struct discouraged *disc;
    size_t ndisc;
    struct proto_netaddr self[8]; /* addresses we advertised */
    uint64_t addr_k0, addr_k1; /* SipHash key of the choice of address relay peers */
    size_t nself;
    uint64_t rng;
    uint64_t gone_sent, gone_recv; /* bytes of peers already freed */
    int64_t last_flush;
    struct banman *bans; /* manual bans (net/conn/netadmin.c); NULL until one */
    int64_t (*ban_clock)(void); /* unix seconds for bans; NULL: time() */
    bool inactive;       /* setnetworkactive false: no connections at all */
    struct proto_netaddr anchors[ANCHORS_MAX]; /* to dial first, block-relay-only */
    size_t nanchors;
    int64_t next_feeler;  /* connman_clock seconds */
    bool try_new_outbound;      /* the tip may be stale: one extra full-relay peer */
    bool extra_block_relay;     /* synced: extra block-relay-only peers on a timer */
    int64_t next_extra_block_relay; /* connman_clock seconds */
    struct addrcache *addr_cache;
    struct discovery *discovery;
    bool running; /* between connman_start and connman_stop */
    char *anchors_path;
};

int64_t connman_now(void);
/* Unix seconds on the node's clock (setmocktime): peer discovery, feelers
 * and the getaddr cache follow it as Core's GetTime does. */
int64_t connman_clock(const struct connman *cm);
uint64_t connman_rand(struct connman *cm);
struct conn *connman_find(struct connman *cm, uint64_t id);
/* Registers a new connection (and its peer). */
struct conn *connman_conn_new(struct connman *cm, struct bufferevent *bev, bool inbound,
                              const struct proto_netaddr *addr);

/* outbound.c */
int outbound_init(struct connman *cm, char **err);
void outbound_tick(struct connman *cm, int64_t now);
void outbound_closed(struct connman *cm, struct conn *c);
void outbound_ready(struct connman *cm, struct conn *c);
void outbound_getaddr(struct connman *cm, struct conn *c);
/* The inbound peer to evict to make room, or NULL. */
struct conn *outbound_evict_candidate(struct connman *cm);
void outbound_discourage(struct connman *cm, const struct proto_netaddr *a);
void outbound_free(struct connman *cm);
/* Opens an automatic connection of that kind. NULL on failure. */
struct conn *outbound_dial(struct connman *cm, const struct proto_netaddr *a,
                           enum peer_kind kind);
/* Handshaked automatic full-relay outbound peers (Core's
 * GetFullOutboundConnCount). */
int outbound_full_count(struct connman *cm);
/* Saves the block-relay-only peers to anchors.dat (before closing). */
void outbound_save_anchors(struct connman *cm);

/* discovery.c: DNS seeds, fixed seeds, -seednode and addr-fetch peers. */
int discovery_init(struct connman *cm, char **err);
void discovery_tick(struct connman *cm, int64_t now);
void discovery_free(struct connman *cm);

/* addrrelay.c: address relay as Bitcoin Core. */
void addrrelay_conn_init(struct connman *cm, struct conn *c);
void addrrelay_conn_free(struct conn *c);
/* A handshake completed (outbound peers take part at once). */
void addrrelay_ready(struct connman *cm, struct conn *c);
/* It sent getaddr: it takes part in address relay. */
void addrrelay_enable(struct conn *c);
/* An addr/addrv2 message: rate limit, store, relay. */
void addrrelay_received(struct connman *cm, struct conn *c, const struct proto_netaddr *a,
                        size_t n);
/* A getaddr answer, as Core's: it replaces what was queued for the peer
 * and goes with its next addr message, minus what the peer knows (it sent
 * us, or we sent it). */
void addrrelay_answer(struct connman *cm, struct conn *c, const struct proto_netaddr *a,
                      size_t n);
/* Each peer's trickled addr message and daily self-advertisement. */
void addrrelay_tick(struct connman *cm, int64_t now_us);

#endif
