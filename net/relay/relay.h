/* The relay core: gossip (rumor mongering) of transactions and blocks in the
 * Bitcoin style, pure and I/O-free.
 *
 * One `struct relay` is one node's gossip state. It knows no sockets, no
 * libevent, no storage and no globals: every call takes the current time
 * (int64 microseconds, any epoch, never decreasing), randomness comes from a
 * PRNG seeded at creation, and decisions come out as calls to the driver's
 * action callbacks. The daemon drives it from its event loop; the simulator
 * (contrib/sim) links the same functions with a virtual clock and network;
 * the unit tests drive it with a fake clock and fake peers.
 *
 * Model (../shared/reference/gossip.md):
 * - A transaction or block the node accepts becomes a *rumor* it is
 *   infective for. In rounds, each infective rumor is pushed (announced by
 *   hash) to `fanout` peers that are not known to have it, outbound peers
 *   preferred; fanout 0 = every such peer (Bitcoin's flood).
 * - Blocks always flood once to explicit peers, whatever the fanout and
 *   stop rule, as in Bitcoin: a block left at residue stalls its node's
 *   chain (and mempool) until the next block or the node's anti-entropy
 *   round compares tips (seconds to a minute), and blocks are rare enough
 *   that flooding their announcements costs nothing worth saving.
 *   Implicit peers (the simulator) get blocks by the policy, like
 *   transactions.
 * - The stop rule makes a rumor *removed*: ONCE (one round, Bitcoin's
 *   behaviour), COUNTER:K, COIN:K, with feedback or blind (see enum
 *   relay_stop). Removed rumors are never announced again.
 * - Pushes to explicit peers are queued per peer and sent at that peer's
 *   trickle time: outbound peers each have a Poisson timer (mean
 *   trickle_out_us), inbound peers share one (mean trickle_in_us); 0 sends
 *   at the next tick. Each trickle sends at most max_per_trickle
 *   transactions, parents before children, in inv messages of at most
 *   max_inv_sz entries. Blocks are never trickled.
 * - Pull: announcements of transactions we lack go to a request tracker
 *   (net/relay/txrequest.h): one getdata in flight per hash, preferred (outbound)
 *   announcers first, others after req_delay_us (0 with a fanout: see
 *   relay_policy_set_fanout), req_timeout_us then the next announcer,
 *   notfound moves on at once; a peer with max_in_flight requests in
 *   flight has its new announcements wait req_overload_delay_us more, and
 *   one with max_announced tracked has more ignored.
 * - Pull gossip (the papers' pull and push-pull, optional): a node asks a
 *   random peer for news every pull_interval_us; the peer answers with
 *   its infective rumors, and the answers count as pushes.
 * - Seen-sets (net/relay/seenset.h) are the R state: per peer, what it announced
 *   to us, sent us, requested from us or was sent by us (never announce it
 *   to that peer; a queued announcement the peer makes moot before its
 *   trickle is dropped); per node, what was accepted or rejected (never
 *   request or re-announce it).
 *
 * Feedback (when a push counts as useful or useless, for the feedback
 * variants of the stop rules): a push of hash H to peer P is recorded when
 * it is decided. It is *useful* if P sends getdata for H
 * (relay_on_getdata) before the verdict; it is *useless* if P announces H
 * to us (relay_on_inv) before the verdict, if it is dropped from P's
 * trickle queue (P made it moot, or its fee filter rose), or if no
 * getdata came by the first tick strictly after send time + P's window
 * (a window of 0 means "by the next tick at a later time"). A peer that
 * got H from someone else meanwhile asks us nothing, so its push is
 * useless: exactly what the counter should learn. The window runs from
 * the send, not the queueing, so the trickle delay does not eat it; it
 * must cover a round trip plus the receiver's request delay for our
 * announcement: 0 between hearsay nodes with a fanout, 2 s at a Bitcoin
 * Core (or flooding hearsay) receiver for which we are an inbound peer
 * (Core's NONPREF_PEER_TX_DELAY). A peer never seen requesting one of our
 * announcements gets feedback_window_us (2.5 s by default), or half a
 * second if it is inbound (we are its preferred announcer, asked at
 * once); once it has,
 * twice the slowest of its recent requests (a maximum that decays by an
 * eighth per request), at least feedback_window_min_us, at most
 * feedback_window_us. A push to a peer that is removed gets no verdict.
 * The counter counts consecutive useless contacts (a useful one resets
 * it): each push, as in Demers et al.'s Table 1; the answers a rumor
 * gives to the pulls of one pull_interval_us count as one contact,
 * useful if any was, as their pull table needs (a puller known to have
 * the rumor gets no answer but counts as a useless contact).
 * Reproducing Table 1 (tests/unit/test_relay_sim.c does, within a few
 * percent): ticks at cycle times c * T with round_interval_us = T and
 * feedback_window_us = 0, all of a cycle's messages delivered at c * T
 * (ticking receivers at c * T sends their getdata), and the papers'
 * reply rule: the recipient answers against its state at the start of
 * the cycle, so the driver calls relay_on_getdata on the pusher for every
 * push that reached a node still susceptible when the cycle began (the
 * wire protocol would request from only the first of several same-cycle
 * announcers, which makes the residue about 15% higher).
 *
 * Rounds: a rumor's first round runs at the first relay_tick strictly
 * after it was accepted (a node infected during a cycle starts spreading
 * in the next one, however the driver orders its ticks within a cycle);
 * later rounds (COUNTER and COIN only) at the first tick at or after the
 * previous round + round_interval_us (0 by default: no fixed wait) once
 * every push of the previous round has its verdict (the papers' cycle is
 * push then reply: a round decided before the replies pushes blind, to
 * peers that are being told by others, and the counter learns too late to
 * save anything). So a round whose peers all answered (getdata) or showed
 * they had it (their inv) is followed at once; only a silent peer holds
 * the next round, for its window. A round with no peer left to tell, or
 * (pure pull) a puller when every peer is known to have the rumor,
 * removes the rumor. Verdicts due at a tick are settled before its rounds
 * run. All actions are emitted from relay_tick only; the on_* functions
 * just update state. The driver calls relay_tick after feeding events
 * and whenever relay_next_wakeup() comes.
 *
 * Peers. Explicit peers are added with relay_peer_add (the daemon, and the
 * simulator's sparse topologies); they carry properties, a known-inventory
 * set and counters. Implicit peers (the simulator's complete graph) cost
 * nothing here: when the driver provides pick_peer, the core asks it for
 * fanout targets instead of using its table (fanout must then be > 0) and
 * sends to them directly at the round without trickle; peers that appear
 * only in events (an inv from an id never added) are implicit too and are
 * treated as preferred peers (announcing by txid or wtxid) and are
 * pushed to by wtxid (MSG_WTX).
 *
 * Memory. Everything per node and per peer is sized by relay_policy. A
 * node that has never heard a rumor and has no explicit peers costs only
 * sizeof(struct relay) (about 350 bytes): seen-sets, the tracker and the
 * rumor table are allocated on first use. The policy is shared, not
 * copied: it must outlive every relay using it.
 *
 * Re-entrancy: callbacks must not call mutating relay_* functions on the
 * relay that invoked them (relay_rand and the const getters are fine). */
#ifndef HEARSAY_NET_RELAY_H
#define HEARSAY_NET_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/primitives/hash.h"

/* Inventory types, values as on the wire (MSG_TX, MSG_BLOCK, MSG_WTX). The
 * driver adds the witness flag to getdata types where it wants it. */
enum relay_inv_type {
    RELAY_INV_TX = 1,
    RELAY_INV_BLOCK = 2,
    RELAY_INV_WTX = 5,
};

struct relay_inv {
    uint32_t type; /* enum relay_inv_type */
    struct hash256 hash;
};

/* Bitcoin Core's constants, for relay_policy_default. */
#define RELAY_MAX_INV_SZ 50000
#define RELAY_MAX_PER_TRICKLE 1000

enum relay_stop {
    RELAY_STOP_ONCE,    /* one round, then removed (Bitcoin) */
    RELAY_STOP_COUNTER, /* feedback: removed after K consecutive useless
                         * pushes, a useful push resets the count;
                         * blind: removed after K pushes */
    RELAY_STOP_COIN,    /* feedback: after each useless push, removed with
                         * probability 1/K; blind: after each push */
};

struct relay_policy {
    uint32_t fanout;         /* peers per round; 0 = all (flood) */
    enum relay_stop stop;
    uint32_t stop_k;         /* K of COUNTER and COIN (>= 1) */
    bool feedback;           /* true: count useless pushes; false: blind */
    int64_t round_interval_us;  /* least time between rounds of one rumor (COUNTER,
                                 * COIN); a round also waits for the last one's verdicts */
    int64_t feedback_window_us; /* no getdata within this from the send: useless
                                 * (the whole window: a peer not yet seen asking) */
    int64_t feedback_window_min_us; /* > 0: a peer seen asking gets twice its recent
                                     * worst delay, at least this; 0: always the window */
    int64_t trickle_in_us;   /* mean of the shared inbound Poisson timer; 0 = none */
    int64_t trickle_out_us;  /* mean of each outbound peer's timer; 0 = none */
    uint32_t max_per_trickle; /* tx announcements per peer per trickle; 0 = no cap;
                               * a peer's backlog is capped at known_entries */
    uint32_t max_inv_sz;     /* entries per inv message (>= 1) */
    /* Seen-sets: capacity and false-positive rate; fp 0 = exact rolling set. */
    uint32_t known_entries;  /* per peer known inventory; 0 = not kept */
    double known_fp;
    uint32_t recent_entries; /* node-wide seen/rejected (>= 1) */
    double recent_fp;
    /* Pull (request tracker). */
    int64_t req_delay_us;    /* extra delay for non-preferred announcers
                              * (relay_policy_set_fanout: 0 with a fanout) */
    int64_t req_txid_delay_us; /* ... for txid ones while BIP339 peers are connected */
    int64_t req_timeout_us;  /* getdata expiry, then the next announcer */
    /* Requests in flight per peer from which its new announcements wait
     * req_overload_delay_us more (Core's MAX_PEER_TX_REQUEST_IN_FLIGHT and
     * OVERLOADED_PEER_TX_DELAY: a delay, not a cap). */
    uint32_t max_in_flight;
    int64_t req_overload_delay_us;
    uint32_t max_announced;  /* tracked announcements per peer */
    /* The papers' pull (and push-pull): every pull_interval_us the node
     * asks one random peer for news (driver's send_pull; 0 = never); a
     * node asked answers at its next tick with an inv of its infective
     * rumors the asker is not known to have, each answer counting as a
     * push for the stop rules. pull_only: no push rounds (pure pull). */
    int64_t pull_interval_us;
    bool pull_only;
    /* Erlay (BIP330 reconciliation, needs the driver's recon_add): a new
     * transaction goes by inv to at most recon_flood of the outbound
     * peers that reconcile (props.reconcile), and to every other
     * reconciling peer's reconciliation set through recon_add. Peers that
     * do not reconcile are chosen as without it (fanout). */
    bool txrecon;
    uint32_t recon_flood;
};

/* Bitcoin Core's relay: flood once, 5 s inbound / 2 s outbound trickle,
 * 1000 per trickle, 50,000-entry known filters at 1e-6, 120,000 recent at
 * 1e-6, 2 s non-preferred and txid delays, 60 s timeout, 100 in flight,
 * 5000 announcements per peer; and for the other stop rules, no fixed
 * wait between rounds, a 2.5 s feedback window learnt down to a 100 ms
 * floor per peer. */
void relay_policy_default(struct relay_policy *p);
/* Sets the fanout and what goes with it: with a fanout (> 0), no request
 * delay for non-preferred announcers (req_delay_us = 0), since a rumor
 * pushed to few peers, outbound first, mostly arrives over a link that is
 * inbound for the receiver and no preferred announcer would follow; when
 * flooding (0), Bitcoin Core's 2 s. */
void relay_policy_set_fanout(struct relay_policy *p, uint32_t fanout);
/* Erlay: reconciliation on, flooding to `flood` outbound reconciling
 * peers. What is flooded arrives as with a fanout (no request delay);
 * without flooding an unsolicited inv waits Bitcoin Core's 2 s, while a
 * round's answers are requested at once (relay_on_answer). */
void relay_policy_set_recon(struct relay_policy *p, uint32_t flood);
/* Parses a -gossipstop value: "once", "counter:K" or "coin:K" (K >= 1).
 * 0, or -1 with *err (malloc'd). */
int relay_policy_parse_stop(struct relay_policy *p, const char *s, char **err);
/* 0 if the policy is usable, -1 and *err (malloc'd) otherwise. */
int relay_policy_check(const struct relay_policy *p, char **err);
/* "once", "counter:3", "coin:2" (+ "/blind" when not feedback); buf >= 32. */
void relay_policy_stop_str(const struct relay_policy *p, char *buf, size_t len);

struct relay;

/* The driver: actions out, and optional questions in. ctx is the driver's
 * pointer given to relay_new; relay_self(r) tells which node is calling. */
struct relay_driver {
    /* Announce inventory to a peer (n <= max_inv_sz, one inv message). */
    void (*send_inv)(void *ctx, struct relay *r, uint64_t peer,
                     const struct relay_inv *inv, size_t n);
    /* Request inventory (RELAY_INV_TX or RELAY_INV_WTX entries). */
    void (*send_getdata)(void *ctx, struct relay *r, uint64_t peer,
                         const struct relay_inv *inv, size_t n);
    /* Announce blocks by headers to a peer that sent sendheaders, oldest
     * first. NULL: such peers get inv like the others. */
    void (*send_headers)(void *ctx, struct relay *r, uint64_t peer,
                         const struct hash256 *blocks, size_t n);
    /* Optional: a rumor became removed (SIR statistics). */
    void (*rumor_removed)(void *ctx, struct relay *r, const struct hash256 *hash);
    /* Optional: implicit peers. Picks a random peer, other than the node
     * itself and not in exclude[0..n_exclude) (this round's earlier picks),
     * preferably one not known to have hash. false if none. When set,
     * fanout targets come from here, never from the peer table. */
    bool (*pick_peer)(void *ctx, struct relay *r, const struct hash256 *hash,
                      const uint64_t *exclude, size_t n_exclude, uint64_t *peer);
    /* Optional: does the node already have this (mempool, chain)? Checked,
     * with the recent seen-set, before tracking an announcement. */
    bool (*have)(void *ctx, struct relay *r, const struct relay_inv *inv);
    /* Optional: is this transaction still in the mempool? A queued one
     * that is not (mined, replaced, evicted) is not announced. */
    bool (*pooled)(void *ctx, struct relay *r, const struct relay_inv *inv);
    /* Ask a peer for news (needed when pull_interval_us > 0); the peer's
     * driver calls relay_on_pull there. A pull partner comes from
     * pick_peer (with an all-zero hash) or uniformly from the peer table. */
    void (*send_pull)(void *ctx, struct relay *r, uint64_t peer);
    /* Erlay: add a transaction (by wtxid) to a reconciling peer's
     * reconciliation set instead of announcing it (policy txrecon). */
    void (*recon_add)(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid);
    /* Optional: the peer's trickle timer fired, whether or not anything
     * was announced (Core's SendMessages takes the mempool sequence that
     * getdata serving goes by then). Set, every peer's timer runs, an
     * idle one's too. */
    void (*trickled)(void *ctx, struct relay *r, uint64_t peer);
};

/* A new node. policy and driver must outlive it (they are not copied);
 * self is the node's id for the driver; seed seeds the PRNG (the same
 * seed and events give the same actions). NULL and *err (malloc'd) if
 * the policy is invalid. */
struct relay *relay_new(const struct relay_policy *policy, const struct relay_driver *driver,
                        void *ctx, uint64_t self, uint64_t seed, char **err);
void relay_free(struct relay *r);
uint64_t relay_self(const struct relay *r);
const struct relay_policy *relay_policy(const struct relay *r);
/* A uniform 64-bit draw from the relay's PRNG (for drivers' picks). */
uint64_t relay_rand(struct relay *r);

/* ---- Peers ---- */
struct relay_peer_props {
    bool outbound;    /* preferred for pushes and pulls */
    bool wtxidrelay;  /* BIP339: announce and request by wtxid */
    bool sendheaders; /* BIP130: announce blocks by headers */
    bool reconcile;   /* BIP330: transactions may go by reconciliation */
    int64_t feefilter; /* BIP133, sat/kvB; announce no tx paying less */
};
/* Adds an explicit peer. -1 if the id is already present. */
int relay_peer_add(struct relay *r, uint64_t peer, const struct relay_peer_props *props,
                   int64_t now);
/* Forgets the peer: queued pushes, its known set, its announcements (the
 * tracker moves its in-flight requests on to the next announcer). */
void relay_peer_remove(struct relay *r, uint64_t peer, int64_t now);
/* Updates properties learned after the handshake (sendheaders, feefilter). */
int relay_peer_set_props(struct relay *r, uint64_t peer, const struct relay_peer_props *props);
size_t relay_peer_count(const struct relay *r);
/* The peer knows this hash by other means (the node sent it the payload,
 * or listed it in a BIP35 mempool reply): never announce it there. */
void relay_peer_note_known(struct relay *r, uint64_t peer, const struct hash256 *hash);

/* ---- Events ---- */
enum relay_ann_result {
    RELAY_ANN_NEW,      /* tracked; a getdata will follow at a tick */
    RELAY_ANN_KNOWN,    /* already had, rejected, or already tracked from this peer */
    RELAY_ANN_BLOCK,    /* a block we lack: the driver starts header sync */
    RELAY_ANN_DROPPED,  /* over the peer's announcement cap, or an unknown type */
};
/* One announced item from a peer's inv (or a block hash from headers). */
enum relay_ann_result relay_on_inv(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                                   int64_t now);
/* The same for an item a peer announced in answer to a reconciliation
 * round we took part in (the driver tells, net/relay/txrecon.h's
 * txrecon_solicited): requested without req_delay_us even from a
 * non-preferred peer, since we asked for it; the peer stays
 * non-preferred, so a preferred announcer ready at the same time is
 * still asked first. The txid delay stays. */
enum relay_ann_result relay_on_answer(struct relay *r, uint64_t peer,
                                      const struct relay_inv *inv, int64_t now);

/* The node needs a transaction nobody announced to it, e.g. a missing
 * parent of an orphan: it is requested from this peer by txid like an
 * announcement, unless already had or rejected. */
enum relay_ann_result relay_want_tx(struct relay *r, uint64_t peer, const struct hash256 *txid,
                                    int64_t now);

/* How many more announcements the tracker takes from peer before its
 * cap (max_announced, Core's MAX_PEER_TX_ANNOUNCEMENTS). */
size_t relay_peer_room(const struct relay *r, uint64_t peer);
/* The peers whose announcement of hash the tracker still holds (not yet
 * answered), the first max of them into out; returns how many there are
 * (Bitcoin Core's GetCandidatePeers: they may be asked for an orphan's
 * parents). */
size_t relay_announcers(const struct relay *r, const struct hash256 *hash, uint64_t *out,
                        size_t max);
/* What the node learned about a transaction. */
struct relay_tx_info {
    struct hash256 txid;
    struct hash256 wtxid;
    uint32_t ancestors; /* in-mempool ancestors: parents have fewer than children */
    uint32_t vsize;
    int64_t feerate;    /* sat/kvB, compared with peers' feefilter */
};
/* A transaction entered the mempool (from a peer, or local when from_peer
 * is false): it becomes an infective rumor unless already seen. Both ids
 * leave the tracker and enter the recent set. Returns true if it became a
 * rumor. Call it also for a payload the node already had: that counts a
 * duplicate (dup_payload) and returns false. */
bool relay_on_tx_accepted(struct relay *r, bool from_peer, uint64_t peer,
                          const struct relay_tx_info *tx, int64_t now);
/* A transaction of ours announced again (a local one no peer fetched
 * yet, Core's ReattemptInitialBroadcast): it becomes an infective rumor
 * again, like a new one, unless it still is one. Peers known to have it
 * are skipped as usual. Returns true if it became a rumor. */
bool relay_on_tx_readded(struct relay *r, const struct relay_tx_info *tx, int64_t now);
/* A transaction was rejected (invalid, or not accepted for policy): never
 * requested again while in the recent set. */
void relay_on_tx_rejected(struct relay *r, bool from_peer, uint64_t peer,
                          const struct relay_tx_info *tx, int64_t now);
/* The rejects set alone (cleared on a new tip like the rest): an orphan
 * spending a rejected transaction is not kept (Bitcoin Core's
 * fRejectedParents), and its own ids join the set. */
bool relay_is_rejected(const struct relay *r, const struct hash256 *hash);
void relay_reject_add(struct relay *r, const struct hash256 *hash);
/* A transaction failed on its feerate alone (Bitcoin Core's
 * TX_RECONSIDERABLE): its request is settled and its wtxid remembered
 * apart from the rejects, until the next tip. Announcements of it are
 * ignored, but relay_want_tx still asks for it (the missing parent of an
 * orphan that may pay for it). */
void relay_on_tx_reconsiderable(struct relay *r, bool from_peer, uint64_t peer,
                                const struct relay_tx_info *tx, int64_t now);
/* The reconsiderable set also holds packages that failed (by a hash of
 * their wtxids), so a pair is not tried twice. */
void relay_reconsiderable_add(struct relay *r, const struct hash256 *hash);
bool relay_is_reconsiderable(const struct relay *r, const struct hash256 *hash);
/* A block was connected (becomes a rumor, announced without trickle). */
bool relay_on_block_accepted(struct relay *r, bool from_peer, uint64_t peer,
                             const struct hash256 *hash, int64_t now);
/* The peer answered notfound for an item we requested from it. */
void relay_on_notfound(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                       int64_t now);
/* The peer requested an item (feedback: our push of it was useful). */
void relay_on_getdata(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      int64_t now);
/* The peer asks for news (the papers' pull): answered at the next tick. */
void relay_on_pull(struct relay *r, uint64_t peer, int64_t now);
/* A new chain tip: the recent-rejects part of the seen-set (with the
 * reconsiderable) is cleared (rejections may be valid now), like Bitcoin
 * Core. */
void relay_on_new_tip(struct relay *r);

/* Does all due work: settles feedback, runs rounds, flushes trickles,
 * expires and issues requests. */
void relay_tick(struct relay *r, int64_t now);
/* When relay_tick has work next (INT64_MAX if nothing is pending). */
int64_t relay_next_wakeup(const struct relay *r);

/* ---- Introspection (RPC, simulator) ---- */
struct relay_counters {
    uint64_t inv_sent;      /* announcements (entries) sent */
    uint64_t inv_received;  /* announcements received */
    uint64_t inv_dup;       /* announcements of things we already had */
    uint64_t headers_sent;  /* block announcements by headers */
    uint64_t requests;      /* getdata entries sent */
    uint64_t timeouts;      /* requests that expired */
    uint64_t notfound;      /* notfound entries received */
    uint64_t getdata_received;
    uint64_t dup_payload;   /* payloads we had already (accepted/rejected) */
    uint64_t push_useful;
    uint64_t push_useless;
    uint64_t pulls_sent;
    uint64_t pulls_received;
};
struct relay_info {
    struct relay_policy policy;
    uint64_t rumors_infective;  /* rumors still being pushed */
    uint64_t rumors_started;
    uint64_t rumors_removed;
    uint64_t queued;            /* announcements waiting for a trickle */
    size_t peers;
    size_t recent_entries;      /* items in the node-wide seen-set */
    size_t recent_memory;       /* bytes */
    size_t known_memory;        /* bytes, all peers' known sets */
    size_t memory;              /* bytes, everything this relay allocated */
    size_t tracked;             /* announcements in the request tracker */
    size_t in_flight;           /* getdata requests in flight */
    size_t tracked_hashes;      /* distinct hashes in the tracker */
    struct relay_counters totals;
};
void relay_get_info(const struct relay *r, struct relay_info *out);
/* Per-peer counters and state; -1 if the peer is not an explicit peer. */
struct relay_peer_info {
    struct relay_peer_props props;
    struct relay_counters counters;
    size_t queued;       /* announcements waiting for its trickle */
    size_t known_memory; /* bytes of its known-inventory set */
    size_t tracked;      /* its announcements in the tracker */
    size_t in_flight;    /* its requests in flight */
    int64_t next_trickle; /* its next trickle time (INT64_MAX: none) */
};
int relay_get_peer_info(const struct relay *r, uint64_t peer, struct relay_peer_info *out);
/* Is the hash an infective rumor of this node / in its recent seen-set? */
bool relay_is_infective(const struct relay *r, const struct hash256 *hash);
bool relay_has_seen(const struct relay *r, const struct hash256 *hash);
/* Number of infective rumors (cheap; the simulator's I state). */
size_t relay_infective_count(const struct relay *r);
/* Does the explicit peer's known-inventory set contain the hash? */
bool relay_peer_knows(const struct relay *r, uint64_t peer, const struct hash256 *hash);

#endif
