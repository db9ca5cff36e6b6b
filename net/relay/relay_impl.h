/* Internals of the relay core shared by relay.c (state, events,
 * introspection) and relay_push.c (rounds, fanout, trickle, feedback).
 * Nothing outside net/relay*.c includes this. */
#ifndef HEARSAY_NET_RELAY_IMPL_H
#define HEARSAY_NET_RELAY_IMPL_H

#include <stddef.h>

#include "net/relay/hashtab.h"
#include "net/relay/relay.h"
#include "net/relay/seenset.h"
#include "net/relay/txrequest.h"

#define RELAY_MAX_GETDATA_SZ 1000 /* Bitcoin Core's MAX_GETDATA_SZ */

/* A push awaiting its verdict (feedback stop rules only). */
struct relay_push {
    uint64_t peer;
    int64_t sent;   /* RELAY_PUSH_QUEUED while in a trickle queue */
    int64_t due;    /* no getdata by a tick after this: useless */
    uint32_t batch; /* answers to pulls: the answer round (0: a push) */
};
#define RELAY_PUSH_QUEUED INT64_MAX

/* The answers a rumor gave to the pulls of one pull interval: like the
 * papers' cycle, they count as one contact for the stop rule, useful if
 * any answer was (Demers et al.'s pull table needs this: counting each
 * answer leaves two to ten times their residue). */
struct relay_batch {
    uint32_t id;
    uint32_t open;   /* answers still awaiting their verdict */
    int64_t ends;    /* the round takes no more answers from then */
    bool useful, useless;
};

/* An infective rumor. Removed rumors are freed at once; the seen-set
 * remembers them. */
struct relay_rumor {
    struct hash256 hash;  /* txid, or the block hash */
    struct hash256 wtxid; /* == hash for blocks */
    bool is_block;
    bool stop;            /* a verdict decided removal: done at the next tick */
    uint32_t ancestors;
    int64_t feerate;
    uint64_t seq;         /* acceptance order */
    int64_t accepted;
    int64_t next_round;   /* INT64_MAX once its last round ran */
    uint32_t useless;     /* COUNTER: useless pushes (consecutive with feedback) */
    struct relay_push *pending;
    uint32_t n_pending, cap_pending;
    struct relay_batch *batches; /* answer rounds not yet judged */
    uint32_t n_batches, cap_batches, batch_seq;
};

/* An announcement waiting in an explicit peer's trickle queue. */
struct relay_qitem {
    struct relay_inv inv;
    uint32_t ancestors;
    int64_t feerate;
    uint64_t seq;
};

struct relay_peer {
    uint64_t id;
    struct relay_peer_props props;
    struct seenset *known; /* NULL when policy->known_entries == 0 */
    struct relay_qitem *queue;
    uint32_t n_queue, cap_queue;
    /* Salted keys of the queued hashes (items are the peer itself): a hash
     * is queued once, and enters `known` only when sent, so that one the
     * peer announces to us meanwhile is not sent (like Bitcoin Core). */
    struct hashtab queued;
    int64_t next_trickle;  /* outbound peers' own timer */
    /* How long it has been seen to take to request what we announce (a
     * decaying maximum; -1: not seen yet): its feedback window. */
    int64_t resp_us;
    struct relay_counters c;
};

struct relay {
    const struct relay_policy *p;
    const struct relay_driver *drv;
    void *ctx;
    uint64_t self;
    uint64_t rng;
    uint64_t salt;
    uint64_t seq;
    struct relay_rumor **rumors; /* infective rumors, acceptance order */
    uint32_t n_rumors, cap_rumors;
    struct hashtab rumor_idx;    /* by txid and by wtxid */
    struct relay_peer **peers;
    uint32_t n_peers, cap_peers;
    uint32_t n_wtxid_peers;      /* explicit peers that signalled BIP339 */
    struct hashtab peer_idx;
    struct seenset *recent;      /* accepted (lazy) */
    struct seenset *rejects;     /* rejected, cleared on a new tip (lazy) */
    struct seenset *reconsider;  /* rejected on feerate alone, cleared likewise (lazy) */
    struct txreq *txreq;         /* lazy */
    int64_t next_inbound_trickle; /* the shared inbound timer */
    /* No queue is due before this (a lower bound: ticks after every
     * message must not scan 125 peers for nothing). */
    int64_t trickle_due;
    bool trickle_every_tick; /* an idle timer of mean 0 is followed */
    int64_t wake_rumors;         /* earliest round, verdict or stop due */
    uint64_t *pullers;           /* peers awaiting an answer to their pull */
    uint32_t n_pullers, cap_pullers;
    int64_t pull_due;            /* when the first of them asked */
    int64_t next_pull;           /* when this node next asks for news */
    uint64_t rumors_started, rumors_removed;
    struct relay_counters c;
};

/* Adds n to a counter of the node's totals and of the peer's (pc may be
 * NULL for implicit peers). */
static inline void relay_count(struct relay *r, struct relay_counters *pc, size_t field,
                               uint64_t n)
{
    *(uint64_t *)((char *)&r->c + field) += n;
    if (pc)
        *(uint64_t *)((char *)pc + field) += n;
}
#define COUNT(r, pc, field, n) relay_count((r), (pc), offsetof(struct relay_counters, field), (n))

/* relay.c */
struct relay_peer *relay_peer_find(const struct relay *r, uint64_t id);
struct relay_rumor *relay_rumor_find(const struct relay *r, const struct hash256 *h);
/* Unindexes, reports and frees a removed rumor; the caller takes it out
 * of r->rumors. */
void relay_rumor_release(struct relay *r, struct relay_rumor *ru);
/* The hash a peer knows the item by (wtxid with BIP339 peers). */
const struct hash256 *relay_hash_for(const struct relay_rumor *ru, const struct relay_peer *pe);
void relay_mark_known(struct relay_peer *pe, const struct hash256 *h);
/* Counters of an explicit peer, or NULL for an implicit one. */
struct relay_counters *relay_peer_counters(struct relay *r, uint64_t peer);

/* relay_push.c */
/* Settles due verdicts, removes stopped rumors, runs due rounds. */
void relay_push_tick(struct relay *r, int64_t now);
/* Sends explicit peers' queues whose trickle time has come. */
void relay_trickle_tick(struct relay *r, int64_t now);
/* Feedback from an event: the push of ru to peer was useful or not. */
void relay_push_verdict(struct relay *r, struct relay_rumor *ru, uint64_t peer, bool useful,
                        int64_t now);
/* Drops the pushes of ru to a departed peer, without a verdict. */
void relay_push_forget(struct relay_rumor *ru, uint64_t peer);
/* A queued push of ru to peer was sent now: its feedback window starts. */
void relay_push_sent(struct relay *r, struct relay_rumor *ru, uint64_t peer, int64_t now);
int64_t relay_trickle_next(const struct relay *r);
/* Asks a random peer for news when the pull interval has come. */
void relay_ask_tick(struct relay *r, int64_t now);
/* Forces the next tick to rescan the peers' trickle timers. */
void relay_trickle_dirty(struct relay *r);

#endif
