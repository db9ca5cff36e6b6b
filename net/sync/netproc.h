/* netproc: the node's message processing. It sits between the connection
 * manager (which hands it decoded relay messages) and the chain: it feeds
 * the pure relay core (net/relay/relay.h) with announcements, payloads and
 * verdicts, executes the core's actions as wire messages, hands
 * transactions to the mempool and blocks to the chainstate, keeps orphan
 * transactions, runs headers-first block download, serves getdata,
 * getheaders, getblocks and mempool requests, and reconciles mempools with
 * hearsay peers (periodic anti-entropy).
 *
 * It does no I/O itself: messages leave through struct netproc_io, which
 * the daemon binds to connman (node/relay_glue.c) and the unit tests bind
 * to an in-memory network. Time is passed in (monotonic microseconds). */
#ifndef HEARSAY_NET_NETPROC_H
#define HEARSAY_NET_NETPROC_H

#include "chain/validation/chainstate.h"
#include "chain/mempool/mempool.h"
#include "chain/mempool/unbroadcast.h"
#include "net/conn/connman.h"
#include "net/relay/relay.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bitcoin Core's figures. */
#define NETPROC_MAX_BLOCKS_IN_FLIGHT 16 /* per peer */
#define NETPROC_MAX_CMPCT_PER_BLOCK 3   /* peers rebuilding one block at once */
/* A notfound longer than a peer could be answering (Core's
 * MAX_PEER_TX_ANNOUNCEMENTS + MAX_BLOCKS_IN_TRANSIT_PER_PEER) is ignored. */
#define NETPROC_MAX_NOTFOUND (5000 + NETPROC_MAX_BLOCKS_IN_FLIGHT)
#define NETPROC_BLOCK_WINDOW 1024
/* Bitcoin Core's BLOCK_STALLING_TIMEOUT: a peer holding the block at the
 * start of a full download window this long is dropped; the timeout then
 * doubles (our own bandwidth may be the cause) up to the maximum, and
 * shrinks by 15% per block received. */
#define NETPROC_BLOCK_STALLING_US (2 * 1000000LL)
#define NETPROC_BLOCK_STALLING_MAX_US (64 * 1000000LL)
#define NETPROC_BLOCK_TIMEOUT_US (600 * 1000000LL)
#define NETPROC_MAX_HEADERS 2000
#define NETPROC_MAX_GETBLOCKS 500
/* Pending getdata items per peer: one message's worth (MAX_INV_SZ). */
#define NETPROC_MAX_GETDATA_QUEUE PROTO_MAX_INV

/* The hearsay-only commands, PROTO_CMD_HS* (Bitcoin Core ignores unknown
 * commands). "hsgossip" (empty) is sent before verack to say "I
 * reconcile mempools"; "hsdigest" carries a mempool digest (u32 count, sha256d of the sorted
 * wtxids) and the sender's tip hash; "hssketch" (u64 salt, then a
 * CompactSize vector of PinSketch bytes) the reply to a differing digest;
 * "hsask" (reconcildiff's format: success byte, u32 short ids) the short
 * ids the sketch's receiver lacks, to be announced by inv, or with
 * success 0 a request for "hsinv", the wtxids the sender has (answered by
 * an inv of what the receiver has that the sender lacks). */

struct netproc;

/* Where messages go. */
struct netproc_io {
    void *ctx;
    int (*send)(void *ctx, uint64_t peer, enum proto_cmd cmd, const void *payload,
                size_t len);
    /* A protocol violation: disconnect (and discourage) the peer. */
    void (*misbehaving)(void *ctx, uint64_t peer, const char *reason);
    /* Optional: close the connection without discouraging the address
     * (a peer that ignored our version's relay=false, as Bitcoin Core). */
    void (*disconnect)(void *ctx, uint64_t peer, const char *reason);
    /* Optional: is the peer's send buffer full? getdata is then served
     * no further until netproc_send_ready. */
    bool (*send_blocked)(void *ctx, uint64_t peer);
    /* Optional: a getdata queue that waited is served, or a block from the
     * arrival thread processed; the peer's input, held meanwhile
     * (netproc_input_held), may be read again. */
    void (*resume_input)(void *ctx, uint64_t peer);
    /* Optional, all three with disconnect: Core's extra outbound peers
     * (net/sync/extrapeers.c), bound to connman_extra_outbound,
     * connman_set_try_new_outbound and connman_start_extra_block_relay. */
    int (*extra_outbound)(void *ctx, enum peer_kind kind);
    void (*try_new_outbound)(void *ctx, bool on);
    void (*start_extra_block_relay)(void *ctx);
    /* Optional, both: Core's -maxuploadtarget (connman_upload_target_reached;
     * historical: only the reserve for new blocks is left) and the peers it
     * does not bind (the download permission, connman_peer_has_permission). */
    bool (*upload_target_reached)(void *ctx, bool historical);
    bool (*may_download)(void *ctx, uint64_t peer);
    /* Optional: large blocks are then parsed and checked on a thread of
     * netproc's own (with resume_input set too: the peer's input is held
     * while its block is there). Called on that thread when a block is
     * ready; it must only wake the loop, whose netproc_next_wakeup is then
     * due. */
    void (*wake)(void *ctx);
};

struct netproc_options {
    struct relay_policy policy; /* copied */
    uint64_t seed;
    int64_t antientropy_us;     /* 0: no periodic reconciliation */
    /* Core's block download timeout: a peer whose blocks have been in
     * flight this long (plus half of it per other peer we download from)
     * is disconnected. 10 minutes (BLOCK_DOWNLOAD_TIMEOUT_BASE, one block
     * interval). */
    int64_t block_timeout_us;
    int block_window;           /* blocks beyond the tip we download (tests: small) */
    int64_t (*wall_now)(void);  /* unix seconds (the node's mockable clock, also for
                                 * mempool entry times); NULL: time() */
    bool blocksonly;            /* take no transaction from peers (those that
                                 * send one anyway are disconnected: our version
                                 * said relay=false); ours are still announced */
    bool compactblocks;         /* BIP152: high-bandwidth peers, compact fetches */
    size_t extra_txn;           /* rejected/replaced txs kept for reconstruction */
    /* BIP330 with peers that negotiated it (connman's txrecon handler
     * flag sends sendtxrcncl; policy.txrecon floods as Erlay). */
    bool txrecon;
    int64_t txrecon_interval_us; /* one round, next partner, this often */
    double txrecon_q;            /* q sent in reqrecon */
    /* We advertise NODE_NETWORK_LIMITED without NODE_NETWORK (pruning):
     * a peer asking for a block deeper than the BIP159 window is
     * refused and disconnected, as Core does. */
    bool limited;
    /* Local submissions join it, getdata removes them, and what is left
     * is re-announced every 10-15 minutes and soon after a peer connects
     * (Bitcoin Core's unbroadcast set). Not owned; NULL: none. */
    struct unbroadcast *unbroadcast;
};
void netproc_options_default(struct netproc_options *o);

/* chain and mempool must outlive the netproc. The mempool must follow the
 * chain by itself, through chainstate callbacks added before netproc's
 * (the daemon's mempool subsystem does it); netproc adds its own to hear
 * of new tips and of what reorgs return, and announces them once each
 * event or tick is over. NULL and *err (malloc'd) on a bad policy. */
struct netproc *netproc_new(const struct netproc_options *o, const struct netproc_io *io,
                            struct chainstate *chain, struct mempool *mempool, char **err);
void netproc_free(struct netproc *np); /* accepts NULL */

/* connman's hooks. */
void netproc_connected(struct netproc *np, const struct net_peer_props *props, int64_t now);
void netproc_disconnected(struct netproc *np, uint64_t peer, int64_t now);
/* A relay command, BIP330's and hearsay's extensions included. */
void netproc_message(struct netproc *np, uint64_t peer, const struct net_msg *msg,
                     int64_t now);
/* The peer's send buffer drained: serve the rest of its getdata queue. */
void netproc_send_ready(struct netproc *np, uint64_t peer, int64_t now);
/* Should the peer's next messages wait? While it has getdata items
 * waiting (for its send buffer, or for a block being connected), or a
 * block on the arrival thread: then io.resume_input tells when they may
 * go (connman's input_held). */
bool netproc_input_held(struct netproc *np, uint64_t peer);
/* Periodic work: relay ticks, block stalls, anti-entropy. */
void netproc_tick(struct netproc *np, int64_t now);
/* When netproc_tick has work next (INT64_MAX: nothing pending). */
int64_t netproc_next_wakeup(const struct netproc *np);
/* Stored blocks wait to join the active chain: netproc_tick connects the
 * next one, and should run at the event loop's next turn. */
bool netproc_activating(const struct netproc *np);

/* Local submissions (RPC sendrawtransaction, submitblock, generate):
 * accepted items are announced to peers. */
enum mempool_status netproc_submit_tx(struct netproc *np, struct tx *tx,
                                      struct mempool_reject *rej, int64_t now);
enum chainstate_status netproc_submit_block(struct netproc *np, const struct block *b,
                                            const char **reason, char **err, int64_t now);
/* A transaction the node put in its mempool itself (a package, RPC
 * submitpackage): announced to peers as a local submission is. Nothing
 * when it is not in the mempool. */
void netproc_announce_tx(struct netproc *np, const struct tx *tx, int64_t now);
/* sendrawtransaction of a transaction the mempool has (Core's
 * BroadcastTransaction): unbroadcast again and announced again to peers
 * not known to have it. */
void netproc_rebroadcast_tx(struct netproc *np, const struct tx *tx, int64_t now);

/* ---- Introspection (getpeerinfo, getgossipinfo) ---- */
/* BIP152 traffic, per peer and in total. */
struct netproc_cmpct_counters {
    uint64_t received;      /* cmpctblock messages */
    uint64_t sent;
    uint64_t reconstructed; /* rebuilt with no round trip */
    uint64_t getblocktxn_sent;
    uint64_t txs_requested; /* in those getblocktxn */
    uint64_t blocktxn_sent; /* getblocktxn answered */
    uint64_t full_fallbacks; /* full block fetched instead (collision, failure) */
};
struct netproc_info {
    size_t orphans;
    size_t blocks_in_flight;
    uint64_t blocks_received;   /* block payloads */
    uint64_t blocks_dup;        /* block payloads we already had */
    uint64_t txs_received;      /* tx payloads */
    uint64_t txs_accepted;
    uint64_t txs_readded;       /* returned to the mempool by a reorg (not announced) */
    uint64_t block_stalls;      /* peers dropped for the block download timeout */
    uint64_t stallers_dropped;  /* peers dropped for stalling the download window */
    int64_t stalling_timeout_us; /* the current (adaptive) staller timeout */
    uint64_t mempool_served;    /* BIP35 requests answered */
    uint64_t recon_rounds;      /* anti-entropy rounds started */
    uint64_t recon_mismatch;    /* rounds whose digests differed */
    uint64_t recon_items;       /* items learned of through reconciliation */
    struct netproc_cmpct_counters cmpct;
    size_t cmpct_extra;         /* transactions in the extra pool */
    uint64_t recon_sketches;    /* mempool sketches sent */
    uint64_t recon_fallbacks;   /* sketches that did not decode (whole list) */
};
void netproc_get_info(const struct netproc *np, struct netproc_info *out);
/* The relay core, for its counters (relay_get_info, relay_get_peer_info). */
struct relay *netproc_relay(const struct netproc *np);
/* BIP330 counters of the node (false if reconciliation is off). */
struct txrecon_counters;
bool netproc_txrecon_totals(const struct netproc *np, struct txrecon_counters *out);
/* ... and of one peer (false if it does not reconcile). */
bool netproc_txrecon_peer(const struct netproc *np, uint64_t peer, struct txrecon_counters *out);
/* Does the peer take part in anti-entropy (it sent hsgossip)? */
bool netproc_peer_reconciles(const struct netproc *np, uint64_t peer);
/* getpeerinfo's sync fields; false if the peer is unknown. */
struct netproc_peer_info {
    int synced_headers;      /* height of its best known header, -1 if none */
    int presynced_headers;   /* height its low-work headers sync reached, -1 if none */
    int synced_blocks;       /* our last common block with it, -1 if unknown */
    size_t blocks_in_flight; /* our block requests to it */
    /* Heights of those requests, lowest first (the first blocks_in_flight,
     * never more than the per-peer cap). */
    int inflight[NETPROC_MAX_BLOCKS_IN_FLIGHT];
    /* When (the `now` of netproc's calls) it last delivered a transaction
     * that entered the mempool / a block new to us; -1: never. */
    int64_t last_tx, last_block;
    bool reconciles;
    bool bip152_hb_to;   /* we asked it to announce by cmpctblock */
    bool bip152_hb_from; /* it asked us to */
    struct netproc_cmpct_counters cmpct;
};
bool netproc_get_peer_info(const struct netproc *np, uint64_t peer,
                           struct netproc_peer_info *out);

#endif
