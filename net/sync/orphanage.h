/* The orphan pool: transactions that spend outputs we do not know yet,
 * kept while their parents are fetched, as Bitcoin Core v30's
 * TxOrphanage keeps them.
 *
 * An orphan may have several announcers (peers that sent it, or announced
 * it by wtxid while it waited); each (orphan, peer) pair is an
 * announcement, and the orphan stays while one remains. There is no
 * count cap and no expiry: the pool is bounded by a latency score (1 per
 * announcement, 1 more per 10 inputs of each orphan, at most
 * ORPHANAGE_MAX_LATENCY_SCORE) and a weight (the orphans' weight, at most
 * ORPHANAGE_RESERVED_WEIGHT_PER_PEER times the number of announcing
 * peers). Past either limit the peer with the worst DoS score (its
 * latency score over its share of the global one, or its weight over the
 * reserved weight, whichever is worse) loses its oldest announcements,
 * those not awaiting reconsideration first, until it is no longer the
 * worst or the pool is within bounds: a flooding peer evicts its own.
 *
 * Orphans are found by wtxid and by the outpoints they spend (salted hash
 * tables: the outpoints are the sender's choice). When a transaction
 * enters the mempool its children join the work set of one of their
 * announcers, picked at random, to be tried again in that peer's turn,
 * oldest announcement first. The pool holds a reference to each orphan. */
#ifndef HEARSAY_NET_ORPHANAGE_H
#define HEARSAY_NET_ORPHANAGE_H

#include "chain/primitives/block.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core v30's DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE and
 * DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER; heavier than a standard
 * transaction (MAX_STANDARD_TX_WEIGHT) no orphan is kept. */
#define ORPHANAGE_MAX_LATENCY_SCORE 3000
#define ORPHANAGE_RESERVED_WEIGHT_PER_PEER 404000
#define ORPHANAGE_MAX_TX_WEIGHT 400000

struct orphanage;

/* seed: the salt of the tables and of the work-set draws. The latency
 * limit holds while it is at least the number of announcing peers (each
 * gets a share of 1 or more, as in Core). */
struct orphanage *orphanage_new(uint32_t max_latency_score, int64_t reserved_weight,
                                uint64_t seed);
void orphanage_free(struct orphanage *o); /* accepts NULL */

/* Stores tx announced by peer, then trims. true if the orphan is new;
 * false if too heavy, or only a new announcer was added, or the pair was
 * there already. The new announcement may be the one trimmed. */
bool orphanage_add(struct orphanage *o, struct tx *tx, uint64_t peer);
/* peer also announced the orphan wtxid; false if no such orphan or peer
 * announced it already. Trims like orphanage_add. */
bool orphanage_add_announcer(struct orphanage *o, const struct hash256 *wtxid, uint64_t peer);
/* The orphan with this wtxid (a txid finds only a transaction without
 * witness, as Core looks orphans up), not referenced; NULL if none. */
struct tx *orphanage_get(const struct orphanage *o, const struct hash256 *wtxid);
bool orphanage_has_announcer(const struct orphanage *o, const struct hash256 *wtxid,
                             uint64_t peer);
/* Removes the orphan and all its announcements; false if none. */
bool orphanage_erase(struct orphanage *o, const struct hash256 *wtxid);
/* Removes peer's announcements: orphans others announced too stay. */
void orphanage_erase_for_peer(struct orphanage *o, uint64_t peer);
/* Removes the orphans the block includes or conflicts with (those
 * spending an outpoint a block transaction spends). Returns how many. */
size_t orphanage_erase_for_block(struct orphanage *o, const struct block *b);

/* tx entered the mempool: each orphan spending one of its outputs (and
 * not already waiting) joins the work set of one of its announcers.
 * Returns how many were added. */
size_t orphanage_add_children_to_work_set(struct orphanage *o, const struct tx *tx);
/* The oldest orphan in peer's work set, taken out of it (it stays in
 * the pool), with a new reference; NULL if the set is empty. */
struct tx *orphanage_take_work(struct orphanage *o, uint64_t peer);
bool orphanage_has_work(const struct orphanage *o, uint64_t peer);

/* Up to max orphans peer announced that spend an output of parent, into
 * out (not referenced): those awaiting reconsideration first, each group
 * newest first (Core's GetChildrenFromSamePeer). Returns how many. */
size_t orphanage_children_from_peer(const struct orphanage *o, const struct tx *parent,
                                    uint64_t peer, struct tx **out, size_t max);
/* Calls fn on each orphan until it returns true; true if one did. */
bool orphanage_each(const struct orphanage *o, bool (*fn)(void *ctx, struct tx *tx), void *ctx);

/* Counters. */
struct orphanage_stats {
    size_t orphans;         /* unique, by wtxid */
    size_t announcements;   /* (orphan, peer) pairs */
    size_t peers;           /* peers with an announcement */
    uint32_t latency_score; /* announcements plus each orphan's inputs / 10 */
    int64_t weight;         /* of the unique orphans */
};
void orphanage_get_stats(const struct orphanage *o, struct orphanage_stats *out);
struct orphanage_peer_stats {
    size_t announcements;
    uint32_t latency_score;
    int64_t weight; /* of every orphan it announced */
};
void orphanage_peer_stats(const struct orphanage *o, uint64_t peer,
                          struct orphanage_peer_stats *out);
/* Recounts everything from the tables and lists (Core's SanityCheck):
 * 0 if counters, indexes and links agree, else -1. For tests. */
int orphanage_check(const struct orphanage *o);

#endif
