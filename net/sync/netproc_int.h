/* netproc's internals, shared by netproc.c (peers, transactions),
 * blocksync.c (headers and blocks) and antientropy.c. */
#ifndef HEARSAY_NET_NETPROC_INT_H
#define HEARSAY_NET_NETPROC_INT_H

#include "chain/primitives/serialize.h"
#include "net/sync/netproc.h"
#include "net/sync/orphanage.h"
#include "net/wire/cmpct.h"

/* BIP152 state of one peer. */
struct np_cmpct_peer {
    bool provides;  /* it sent sendcmpct version 2 */
    bool hb_from;   /* ... with high bandwidth: it wants our cmpctblocks */
    bool hb_to;     /* we asked it for high-bandwidth announcements */
    struct netproc_cmpct_counters n;
};

struct hss;

struct np_peer {
    uint64_t id;
    bool inbound, wtxidrelay, sendheaders, relay_txs;
    bool limited;                     /* NODE_NETWORK_LIMITED without NODE_NETWORK */
    /* Its services promise blocks (NODE_NETWORK or NODE_NETWORK_LIMITED)
     * and their witnesses (NODE_WITNESS): Core's CanServeBlocks and
     * CanServeWitnesses. A peer without them is never asked for headers
     * sync or blocks it cannot give. */
    bool serves_blocks, serves_witness;
    bool reconciles;                  /* sent hsgossip before verack */
    bool mempool_due;                 /* to be asked for its mempool (BIP35) */
    bool ae_pending;                  /* our hssketch awaits its hsask */
    uint64_t ae_salt;                 /* ... and the salt of its short ids */
    bool ae_digest_sent;              /* our hsdigest awaits its hssketch */
    int64_t ae_answered;              /* when we last answered its hsdigest */
    /* BIP330: when a round last made progress with it (see
     * np_txrecon_tick); its reconciliation was abandoned (it never
     * answered: now plain inv, late round messages ignored). */
    int64_t txrecon_heard;
    bool txrecon_abandoned;
    const struct bindex_node *best_known;   /* best header it is known to have */
    const struct bindex_node *best_sent;    /* the last header we sent it */
    size_t blocks_in_flight;
    int64_t downloading_since;        /* its block download timeout runs from */
    int64_t stalling_since;           /* it holds up the download window (0: no) */
    int64_t last_getheaders;          /* when we last asked it for headers */
    bool headers_awaited;             /* ... and the answer has not come */
    /* A block it announced that we did not know when that getheaders
     * kept us from asking (Core's hashLastUnknownBlock; zero: none). */
    struct hash256 unknown_block;
    bool sync_started;                /* headers sync started with it (Core's fSyncStarted) */
    bool inv_getheaders;              /* its block inv made us ask it for headers before */
    bool preferred;                   /* outbound, serving blocks: preferred for download */
    int64_t headers_timeout;          /* initial headers sync deadline (INT64_MAX: none) */
    /* The last block of our getblocks answer when it hit the limit
     * (Core's hashContinue; zero: none): when the peer fetches it, an inv
     * of our tip makes it ask for the next batch. */
    struct hash256 continuation;
    int64_t connected;
    /* When it last delivered a transaction we accepted / a new block
     * (getpeerinfo's last_transaction, last_block); -1: never. */
    int64_t last_tx, last_block;
    /* Our connection (net_peer_props) and Core's eviction of extra
     * outbound peers (extrapeers.c): when it last announced a block with
     * more work than our tip (0: never); protected from that eviction;
     * asked to go. */
    enum peer_kind kind;
    bool manual;
    uint8_t network;
    int64_t last_announce;
    bool protect, disconnecting;
    /* Core's m_chain_sync (extrapeers.c): when an outbound peer behind our
     * tip must have caught up (0: no deadline), with the work of which
     * header, and whether we asked it for headers since. */
    int64_t chain_sync_due;
    const struct bindex_node *chain_sync_work;
    bool chain_sync_asked;
    struct np_cmpct_peer cmpct;
    /* The mempool sequence at its last trickle (Core's
     * m_last_inv_sequence): what entered the mempool since is not served
     * to it (getdata.c). */
    uint64_t tx_inv_seq;
    /* Its getdata items not served yet (gd_head..gd_len), see getdata.c. */
    struct proto_inv *gd;
    size_t gd_head, gd_len;
    bool gd_waited; /* items were left: the peer's input is held */
    /* Its block messages on the arrival thread (blockarrive.c): its input
     * is held until they are processed. */
    unsigned arriving;
    int32_t version;                  /* its version message's */
    bool sent_sendheaders;            /* we asked it for headers announcements */
    /* The feefilter we last sent it (0: none yet) and when the next is
     * due (feefilter.c). */
    int64_t feefilter_sent, feefilter_due;
    /* Its low-work headers sync (lowwork.c), NULL: none. */
    struct hss *hss;
};

/* Bitcoin Core's FeeFilterRounder: 0 and the fees from half the default
 * minimum relay fee up to 10^7 sat/kvB, spaced by a factor of 1.1. */
#define NP_FEEROUND_BUCKETS 200
struct np_feeround {
    double b[NP_FEEROUND_BUCKETS]; /* ascending */
    size_t n;
};

/* A transaction of the block we connected last, under its txid and under
 * its wtxid (Core's m_most_recent_block_txs): served by getdata after
 * the block took it out of the mempool. */
struct np_recent_tx {
    struct hash256 id;
    struct tx *tx; /* one reference per entry */
};

struct np_inflight {
    struct hash256 hash;
    uint64_t peer;
    int64_t since;
    /* The block being rebuilt from the peer's cmpctblock, or NULL: one per
     * request (Core's QueuedBlock.partialBlock), so at most
     * NETPROC_MAX_BLOCKS_IN_FLIGHT per peer, freed with the request. */
    struct cmpct_partial *partial;
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

    struct orphanage *orphans;

    /* The chainstate's news since the last announcement (its callbacks):
     * the tip moved; txids of the blocks a reorg disconnected. */
    bool tip_moved;
    struct hash256 *returned;
    size_t n_returned, cap_returned;
    bool tip_from_peer;
    uint64_t tip_peer;

    /* A payload arrived: the peer has a free request slot, which the
     * tracker's wake-up time does not show; tick soon (batched). */
    bool pull_soon;
    int64_t stalling_timeout_us;  /* adaptive, see NETPROC_BLOCK_STALLING_US */
    size_t nsync_started;         /* peers we started a headers sync with */
    struct hash256 inv_sync_block; /* the last block whose inv made us ask for headers
                                    * a peer we were not syncing with */
    uint64_t recon_last;          /* the rotation: last peer reconciled with */
    int64_t recon_due;
    struct np_cmpct *cmpct;       /* cmpctblock.c */
    struct txrecon *txrecon;      /* BIP330 (NULL: off) */
    uint64_t txrecon_last;        /* its rotation: last peer asked */
    int64_t txrecon_due;
    /* extrapeers.c: when the tip last moved (0: not yet looked), the next
     * checks, the extra block-relay-only peers started, protected peers. */
    int64_t last_tip_update, extra_check_due, stale_check_due;
    bool initial_sync_finished;
    int nprotected;
    int64_t unbroadcast_due;      /* next re-announcement (INT64_MAX: none) */
    struct netproc_info info;
    /* blockstep.c: the chainstate moves to the best chain one block per
     * tick, so messages and timers run between blocks. */
    bool activating;
    struct np_block_src *srcs;
    size_t nsrcs, cap_srcs;
    struct np_feeround feeround;
    int64_t feefilter_max;        /* the rounded filter of initial download */
    /* Txids and wtxids of recently connected blocks (Core's
     * m_lazy_recent_confirmed_transactions): not fetched when announced;
     * emptied when a block is disconnected. */
    struct seenset *confirmed;
    struct np_recent_tx *recent_txs; /* sorted by id */
    size_t n_recent_txs;
    int64_t presync_logged; /* lowwork.c: when presync progress was last logged */
    struct np_arrivals *arrivals; /* blockarrive.c (NULL: blocks parsed inline) */
};

struct np_peer *np_peer_find(struct netproc *np, uint64_t id);
/* n's chain work against the minimum chain work in force: <0, 0 or >0. */
int np_cmp_min_work(const struct netproc *np, const struct bindex_node *n);
/* A fixed rotation over the peers `ok` accepts: ordered by id, the first
 * above `last`, else the first of all (NULL if none). */
struct np_peer *np_rotation_next(struct netproc *np, uint64_t last,
                                 bool (*ok)(const struct netproc *np, const struct np_peer *p));
void np_send(struct netproc *np, uint64_t peer, enum proto_cmd cmd, const struct wbuf *w);
/* An inv; one with transactions lets the peer fetch what is in the
 * mempool now (np_tx_announced). */
void np_send_inv(struct netproc *np, uint64_t peer, const struct proto_inv *items, size_t n);
/* The peer's trickle timer fired, or we announced transactions to it
 * outside the trickle (hsinv, reconciliation): from now on it may fetch
 * any transaction in the mempool at this moment. */
void np_tx_announced(struct netproc *np, uint64_t peer);
void np_misbehaving(struct netproc *np, uint64_t peer, const char *reason);
/* A message that cannot be read is dropped and logged, the peer kept, as
 * Bitcoin Core drops it (ProcessMessages catches the exception). */
void np_drop_malformed(const struct np_peer *p, const char *what, const char *why);
/* Counts what the reorgs since the last call returned to the mempool. */
void np_count_returned(struct netproc *np);
/* A mempool transaction becomes a rumor again (peers known to have it are
 * skipped); false if it is not in the mempool or is still a rumor. */
bool np_reannounce(struct netproc *np, const struct hash256 *txid, int64_t now);

/* Transactions (netproc.c). One entered the mempool: relay it. */
void np_tx_relay(struct netproc *np, const struct tx *tx, bool from_peer, uint64_t peer,
                 int64_t now);
/* One the mempool refused: remembered as rejected, or apart when only its
 * feerate failed (a child may pay for it), and the request settled. */
void np_tx_refused(struct netproc *np, const struct tx *tx, bool from_peer, uint64_t peer,
                   const struct mempool_reject *rej, int64_t now);
void np_tx_reconsiderable(struct netproc *np, const struct tx *tx, bool from_peer,
                          uint64_t peer, int64_t now);
/* tx entered the mempool: it leaves the orphan pool, and the orphans it
 * may complete are tried again, and theirs (Core's work sets). */
void np_orphans_follow(struct netproc *np, const struct tx *tx, int64_t now);

/* pkgrelay.c (Bitcoin Core v28's opportunistic 1-parent-1-child relay) */
/* parent, from peer, failed on its feerate alone: tries it with its
 * newest orphan child from the same peer, unless that pair failed before. */
void np_pkg_try(struct netproc *np, struct tx *parent, uint64_t peer, int64_t now);

/* unbroadcast_sync.c: the unbroadcast set (opt.unbroadcast, may be NULL). */
void np_unbroadcast_submitted(struct netproc *np, const struct tx *tx);
void np_unbroadcast_served(struct netproc *np, const struct hash256 *txid);
void np_unbroadcast_peer_connected(struct netproc *np, int64_t now);
void np_unbroadcast_tick(struct netproc *np, int64_t now);

/* blocksync.c */
/* Unix seconds on the node's clock. */
int64_t np_wall_now(const struct netproc *np);
/* Starts a headers sync with p if Core would: one peer while our best
 * header is older than a day, then every peer. */
void np_sync_maybe_start(struct netproc *np, struct np_peer *p, int64_t now);
/* Starts syncs that became due; drops a stalling initial sync peer. */
void np_headers_tick(struct netproc *np, int64_t now);
/* Asks p for the headers after from (Core's MaybeSendGetHeaders): not
 * while an earlier getheaders of ours, sent less than 2 minutes ago,
 * awaits its answer (headers that connect, or none); false then. */
bool np_getheaders(struct netproc *np, struct np_peer *p, const struct bindex_node *from,
                   const struct hash256 *stop, int64_t now);
/* The same with the locator given. */
bool np_getheaders_locator(struct netproc *np, struct np_peer *p, const struct hash256 *loc,
                           size_t n, const struct hash256 *stop, int64_t now);
void np_on_headers(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_on_block(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
/* A block message's payload parsed (NULL with *why when malformed). */
struct block *np_block_parse(const uint8_t *payload, size_t len, const char **why);
/* Its handling: b (NULL: malformed, why says) processed, then freed;
 * requested says whether it was in flight from anyone when the message
 * was handled (Core decides it then, before any wait). */
void np_block_arrived(struct netproc *np, struct np_peer *p, struct block *b, const char *why,
                      bool requested, int64_t now);
/* blockarrive.c: a large block message is parsed and checked on a worker
 * thread (true: taken, p's input held), its result handled by
 * np_arrivals_collect on the loop, in arrival order, as np_on_block
 * would have. A result for a peer gone meanwhile is dropped. */
void np_arrivals_init(struct netproc *np);
void np_arrivals_free(struct netproc *np); /* waits for the thread's jobs */
bool np_arrival_offload(struct netproc *np, struct np_peer *p, const struct net_msg *m);
bool np_arrivals_ready(const struct netproc *np); /* results wait for the loop */
void np_arrivals_collect(struct netproc *np, int64_t now);
/* A block message's processing ended: the peer's upkeep (it may be gone),
 * then what the relay has due. */
void np_message_done(struct netproc *np, uint64_t peer, int64_t now);
void np_on_block_inv(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                     int64_t now);
void np_serve_getheaders(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                         int64_t now);
/* A block was served to p: the inv that continues its getblocks walk
 * when it was the continuation block. */
void np_getblocks_continue(struct netproc *np, struct np_peer *p, const struct hash256 *served);
void np_serve_getblocks(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now);
/* Serves one block of a getdata; false if we do not have it. */
bool np_serve_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                    bool witness);
/* Core's ProcessGetBlockData when a block we store cannot be read: the
 * peer is dropped (and what else it asked for is not served), quietly
 * when the block was pruned meanwhile, else with an error logged. */
void np_block_unreadable(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                         const char *err);
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

/* The block's source, whether it was requested (Core's force_processing:
 * in flight from anyone, or rebuilt from a compact block, whose checks
 * made it as safe; else the unrequested block rules apply) and whether it
 * came rebuilt from a cmpctblock (a mutated one may be our collision:
 * fetched whole; an invalid one is not punished, as BIP152 allows relay
 * before validation). Takes no reference. */
void np_process_block(struct netproc *np, struct np_peer *p, const struct block *b,
                      bool requested, bool rebuilt, int64_t now);
/* Core's IsBlockRequested: a request of the block stands, from anyone. */
bool np_block_in_flight(struct netproc *np, const struct hash256 *hash);
void np_set_best_known(struct np_peer *p, const struct bindex_node *n);
/* Core's pindexBestHeaderSent: n is the last header we sent p (in an
 * announcement, or ending a getheaders answer). */
void np_set_best_sent(struct np_peer *p, const struct bindex_node *n);
/* Core's PeerHasHeader: p announced n or a descendant, or we sent one
 * (or p otherwise knows n's hash). */
bool np_peer_has(struct netproc *np, const struct np_peer *p, const struct bindex_node *n);
/* Core's MaybeSendSendHeaders: sendheaders once the best block p is known
 * to have carries more than the minimum chain work. */
void np_sendheaders_maybe(struct netproc *np, struct np_peer *p);
/* The requests of a block in flight: up to NETPROC_MAX_CMPCT_PER_BLOCK
 * peers may rebuild it from compact blocks at once (Core's
 * MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK). */
struct np_block_flight {
    size_t n;           /* requests of it */
    uint64_t first;     /* the peer of the first made (if n > 0) */
    bool from_peer;     /* one is the asked-about peer's */
    bool from_outbound; /* one is an outbound peer's */
};
void np_block_flight(struct netproc *np, const struct hash256 *hash, uint64_t peer,
                     struct np_block_flight *out);
/* Records a request of the block from p unless p has one (other peers'
 * stand); returns the partial block slot of p's request. */
struct cmpct_partial **np_block_requested(struct netproc *np, struct np_peer *p,
                                          const struct hash256 *hash, int64_t now);
/* Forgets the request of hash from peer, if it has it (Core's
 * RemoveBlockRequest): the block is free to be asked of anyone. */
void np_block_request_drop(struct netproc *np, const struct hash256 *hash, uint64_t peer,
                           int64_t now);
/* The partial block slot of the request of hash from peer, NULL if none.
 * Valid until the requests change. */
struct cmpct_partial **np_block_partial(struct netproc *np, const struct hash256 *hash,
                                        uint64_t peer);
/* Requests the full block from p (witness form), tracked in flight;
 * other peers' requests of it stand. */
void np_getdata_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                      int64_t now);

/* lowwork.c (Core's anti-DoS headers checks) */
/* Core's GetAntiDoSWorkThreshold: the minimum chain work, or our tip's
 * work less 144 blocks of it if more. Headers whose chain claims less are
 * not stored. */
void np_antidos_threshold(const struct netproc *np, struct u256 *out);
/* Whether a block (or cmpctblock) with header h on prev is below the
 * threshold: ignored, its header not stored, as Core. */
bool np_lowwork_block(const struct netproc *np, const struct bindex_node *prev,
                      const struct block_header *h);
/* Core's IsContinuationOfLowWorkHeadersSync: p's headers go to its sync,
 * if it has one; true when they were taken there, *hdrs (xmalloc'd) then
 * replaced by the headers proven (*n of them, maybe none) to validate. */
bool np_lowwork_continue(struct netproc *np, struct np_peer *p, struct block_header **hdrs,
                         size_t *n, int64_t now);
/* Core's TryLowWorkHeadersSync: headers connecting to start whose chain
 * claims less than the threshold are not stored (*hdrs freed, *n 0, true):
 * a full message starts a low-work sync with p, a short one is dropped. */
bool np_lowwork_try(struct netproc *np, struct np_peer *p, const struct bindex_node *start,
                    struct block_header **hdrs, size_t *n, int64_t now);
/* Forgets p's low-work sync. */
void np_lowwork_end(struct np_peer *p);
/* blockpolicy.c (Core's MaybePunishNodeForBlock and BlockRequestAllowed) */
/* Whether a block that failed validation with reason gets its peer
 * punished: cached, it was already known invalid; via_compact, it came
 * as (or was rebuilt from) a cmpctblock. */
bool np_block_punishable(const char *reason, bool cached, bool via_compact, bool inbound);
/* The reasons of a block whose transactions do not match its header
 * (Core's BLOCK_MUTATED): the real block may still come. */
bool np_block_mutated(const char *reason);
/* Core's BLOCK handler and AcceptBlock for a block nobody asked for (not
 * in flight, not rebuilt from a compact block): a mutated one gets its
 * sender punished; one with a new header on a low-work chain is ignored;
 * else its header is stored and the block only if it could make the tip
 * (at least its work, at most MIN_BLOCKS_TO_KEEP above it, not pruned
 * before, past the minimum chain work). true when the block is dropped. */
bool np_unrequested_dropped(struct netproc *np, struct np_peer *p, const struct block *b);
/* Whether a peer may have n (getdata, or getheaders for one header): on
 * the active chain, or a validated stale block less than a month old. */
bool np_block_request_allowed(const struct netproc *np, const struct bindex_node *n);

/* extrapeers.c (Core's CheckForStaleTipAndEvictPeers, every 45 s) */
void np_extra_tick(struct netproc *np, int64_t now);
/* Core's ConsiderEviction, at each turn for each peer: an outbound peer
 * on a chain with less work than our tip is dropped unless it catches up. */
void np_chain_sync_check(struct netproc *np, struct np_peer *p, int64_t now);
int64_t np_extra_wakeup(const struct netproc *np);
/* Headers from p (a headers message, or a cmpctblock's) ended at last,
 * new to us or not (Core's m_last_block_announcement; a headers message
 * may also earn protection, m_chain_sync.m_protect). */
void np_extra_headers(struct netproc *np, struct np_peer *p, bool new_header,
                      const struct bindex_node *last, bool headers_msg, int64_t now);

/* cmpctblock.c (BIP152) */
void np_cmpct_init(struct netproc *np);
void np_cmpct_free(struct netproc *np);
void np_cmpct_peer_gone(struct netproc *np, uint64_t peer);
void np_cmpct_on_sendcmpct(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                           int64_t now);
void np_cmpct_on_cmpctblock(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                            int64_t now);
void np_cmpct_on_blocktxn(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now);
void np_cmpct_on_getblocktxn(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                             int64_t now);
/* getdata MSG_CMPCT_BLOCK: cmpctblock for a recent block, else the full
 * block; false if we do not have it. */
bool np_cmpct_serve(struct netproc *np, struct np_peer *p, const struct hash256 *hash);
/* Core's NewPoWValidBlock: b extends our tip and passed the checks that
 * need no UTXO: announce it to high-bandwidth peers before connecting. */
void np_cmpct_pow_valid(struct netproc *np, const struct block *b);
/* chainstate_process_block, timed as the event loop's "block" section;
 * store_only: stored, its activation left to netproc_tick. */
enum chainstate_status np_timed_block(struct netproc *np, const struct block *b, bool store_only,
                                      const char **reason, char **err);
/* What a block that failed validation does to its peer p (cached: it was
 * known invalid already; rebuilt: from a cmpctblock). */
void np_block_failed(struct netproc *np, struct np_peer *p, const char *reason, bool cached,
                     bool rebuilt);

/* blockstep.c */
/* Remembers who sent an accepted block that is not yet on the active
 * chain: if a later activation step finds it invalid, p answers for it. */
void np_block_source(struct netproc *np, const struct np_peer *p, const struct hash256 *hash,
                     bool rebuilt);
/* One activation step, when one is due, and what follows a block. */
void np_activate_tick(struct netproc *np, int64_t now);
void np_blockstep_free(struct netproc *np);
/* Announces hash to peer by cmpctblock instead of headers if it asked
 * for high bandwidth (true: done). */
bool np_cmpct_announce(struct netproc *np, uint64_t peer, const struct hash256 *hash);
/* p delivered a new valid block first: make it high-bandwidth (Core's
 * MaybeSetPeerAsAnnouncingHeaderAndIDs). */
void np_cmpct_block_from(struct netproc *np, struct np_peer *p, const struct hash256 *hash);
/* The inv type to fetch block n from p with: MSG_CMPCT_BLOCK for a lone
 * new block at the tip from a peer that provides them. */
uint32_t np_cmpct_fetch_type(struct netproc *np, const struct np_peer *p,
                             const struct bindex_node *n);
/* A transaction rejected (or replaced) that a block may still hold. */
void np_cmpct_extra_add(struct netproc *np, struct tx *tx);
/* The compact form failed (collision, or a rebuilt block that does not
 * validate): fetch the full block from p, counted as a fallback. */
void np_cmpct_full_fallback(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                            int64_t now);
/* getdata.c */
void np_on_getdata(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
/* Serves queued items while the peer's send buffer has room and no block
 * item waits for the activation steps. */
void np_getdata_serve(struct netproc *np, struct np_peer *p);
/* Serves every peer's queue again (after an activation step). */
void np_getdata_resume(struct netproc *np);
/* Serves one requested item; false if we do not have it (or its type is
 * unknown). */
bool np_serve_item(struct netproc *np, struct np_peer *p, const struct proto_inv *it);
void np_getdata_free(struct np_peer *p);
/* The block connected last replaces the transactions kept for getdata. */
void np_recent_txs_set(struct netproc *np, const struct block *b);
void np_recent_txs_free(struct netproc *np);

/* feefilter.c */
void np_feeround_init(struct np_feeround *r, int64_t min_incremental);
/* fee rounded down to a bucket, or up to the next one when rand % 3 is 0
 * (never above the largest). */
int64_t np_feeround(const struct np_feeround *r, int64_t fee, uint64_t rand);
/* Core's MaybeSendFeefilter for p: run after each of its messages and on
 * each tick. */
void np_feefilter_send(struct netproc *np, struct np_peer *p, int64_t now);
int64_t np_feefilter_wakeup(const struct netproc *np);

/* antientropy.c */
void np_recon_tick(struct netproc *np, int64_t now);
int64_t np_recon_wakeup(const struct netproc *np);
/* hsdigest, hsinv, hssketch, hsask. */
void np_recon_on_digest(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now);
void np_recon_on_hsinv(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_recon_on_hssketch(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now);
void np_recon_on_hsask(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_serve_mempool(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
/* BIP35 the other way: asks p (or, p NULL, every peer still due) for its
 * mempool, once we are out of initial download. */
void np_ask_mempool(struct netproc *np, struct np_peer *p);

/* txrecon_sync.c (BIP330) */
void np_txrecon_init(struct netproc *np);
void np_txrecon_free(struct netproc *np);
/* Registers a peer that negotiated it; true if it reconciles. */
bool np_txrecon_connected(struct netproc *np, const struct net_peer_props *props);
void np_txrecon_disconnected(struct netproc *np, uint64_t peer);
void np_txrecon_seen(struct netproc *np, uint64_t peer, const struct hash256 *wtxid);
bool np_txrecon_solicited(struct netproc *np, uint64_t peer, const struct hash256 *wtxid);
void np_txrecon_add(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid);
void np_txrecon_tick(struct netproc *np, int64_t now);
int64_t np_txrecon_wakeup(const struct netproc *np);
/* The four round messages: reqrecon, sketch, reqsketchext, reconcildiff. */
void np_txrecon_on_req(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now);
void np_txrecon_on_sketch(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now);
void np_txrecon_on_reqext(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now);
void np_txrecon_on_diff(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now);

#endif
