/* netproc's internals, shared by netproc.c (peers, transactions),
 * blocksync.c (headers and blocks) and antientropy.c. */
#ifndef HEARSAY_NET_NETPROC_INT_H
#define HEARSAY_NET_NETPROC_INT_H

#include "chain/primitives/serialize.h"
#include "net/sync/netproc.h"

struct np_peer {
    uint64_t id;
    bool inbound, wtxidrelay, sendheaders, relay_txs;
    bool reconciles;                  /* sent hsgossip before verack */
    bool ae_pending;                  /* our hssketch awaits its hsask */
    uint64_t ae_salt;                 /* ... and the salt of its short ids */
    struct bindex_node *best_known;   /* best header it is known to have */
    size_t blocks_in_flight;
    int64_t stalled_until;            /* no block requests to it before */
    int64_t stalling_since;           /* it holds up the download window (0: no) */
    int64_t last_getheaders;          /* when we last asked it for headers */
    int64_t connected;
    /* When it last delivered a transaction we accepted / a new block
     * (getpeerinfo's last_transaction, last_block); -1: never. */
    int64_t last_tx, last_block;
};

struct np_inflight {
    struct hash256 hash;
    uint64_t peer;
    int64_t since;
};

struct np_orphan {
    struct tx *tx;
    uint64_t peer;
    int64_t expire;
};

struct netproc {
    struct netproc_options opt;
    struct netproc_io io;
    struct chainstate *chain;
    struct mempool *mempool;
    struct relay *relay;
    struct relay_driver driver;
    struct wbuf scratch;

    struct np_peer *peers;
    size_t npeers, cap_peers;

    struct np_inflight *inflight;
    size_t ninflight, cap_inflight;

    struct np_orphan orphans[NETPROC_MAX_ORPHANS];
    size_t norphans;

    struct hash256 announced_tip; /* last tip given to the relay core */
    bool tip_from_peer;
    uint64_t tip_peer;

    /* A payload arrived: the peer has a free request slot, which the
     * tracker's wake-up time does not show; tick soon (batched). */
    bool pull_soon;
    int64_t stalling_timeout_us;  /* adaptive, see NETPROC_BLOCK_STALLING_US */
    uint64_t recon_last;          /* the rotation: last peer reconciled with */
    int64_t recon_due;
    struct txrecon *txrecon;      /* BIP330 (NULL: off) */
    uint64_t txrecon_last;        /* its rotation: last peer asked */
    int64_t txrecon_due;
    struct netproc_info info;
};

struct np_peer *np_peer_find(struct netproc *np, uint64_t id);
/* A fixed rotation over the peers `ok` accepts: ordered by id, the first
 * above `last`, else the first of all (NULL if none). */
struct np_peer *np_rotation_next(struct netproc *np, uint64_t last,
                                 bool (*ok)(const struct netproc *np, const struct np_peer *p));
void np_send(struct netproc *np, uint64_t peer, const char *cmd, const struct wbuf *w);
void np_send_inv(struct netproc *np, uint64_t peer, const struct proto_inv *items, size_t n);
void np_misbehaving(struct netproc *np, uint64_t peer, const char *reason);
/* The mempool's view of the active tip. */

/* Re-announces what a reorg from old_tip to tip returned to the mempool. */
void np_reannounce_reorged(struct netproc *np, struct bindex_node *old_tip,
                           struct bindex_node *tip, int64_t now);

/* blocksync.c */
void np_sync_start(struct netproc *np, struct np_peer *p, int64_t now);
void np_getheaders(struct netproc *np, struct np_peer *p, const struct bindex_node *from,
                   const struct hash256 *stop, int64_t now);
void np_on_headers(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_on_block(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_on_block_inv(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                     int64_t now);
void np_serve_getheaders(struct netproc *np, struct np_peer *p, const struct net_msg *m);
void np_serve_getblocks(struct netproc *np, struct np_peer *p, const struct net_msg *m);
/* Serves one block of a getdata; false if we do not have it. */
bool np_serve_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                    bool witness);
void np_request_blocks_all(struct netproc *np, int64_t now);
/* Fills synced_blocks, blocks_in_flight and inflight. */
void np_peer_blocks_info(const struct netproc *np, const struct np_peer *p,
                         struct netproc_peer_info *out);
void np_blocks_peer_gone(struct netproc *np, uint64_t peer, int64_t now);
void np_blocks_tick(struct netproc *np, int64_t now);
int64_t np_blocks_wakeup(const struct netproc *np);
void np_announce_tip(struct netproc *np, int64_t now);
void np_send_headers(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *blocks,
                     size_t n);

/* antientropy.c */
void np_recon_tick(struct netproc *np, int64_t now);
int64_t np_recon_wakeup(const struct netproc *np);
void np_recon_message(struct netproc *np, struct np_peer *p, const char *command,
                      const uint8_t *payload, size_t len, int64_t now);
void np_serve_mempool(struct netproc *np, struct np_peer *p);

/* txrecon_sync.c (BIP330) */
void np_txrecon_init(struct netproc *np);
void np_txrecon_free(struct netproc *np);
/* Registers a peer that negotiated it; true if it reconciles. */
bool np_txrecon_connected(struct netproc *np, const struct net_peer_props *props);
void np_txrecon_disconnected(struct netproc *np, uint64_t peer);
void np_txrecon_seen(struct netproc *np, uint64_t peer, const struct hash256 *wtxid);
void np_txrecon_add(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid);
void np_txrecon_tick(struct netproc *np, int64_t now);
int64_t np_txrecon_wakeup(const struct netproc *np);
bool np_txrecon_message(struct netproc *np, struct np_peer *p, const char *command,
                        const uint8_t *payload, size_t len);

#endif
