/* Transaction request tracker: who announced what, and whom to ask, when.
 *
 * Our own take on the semantics of Bitcoin Core's TxRequestTracker
 * (src/txrequest.h). An announcement is a (hash, peer) pair; it is a
 * CANDIDATE until requested, REQUESTED until answered or expired, then
 * COMPLETED (kept only so the same peer is never asked twice). Rules:
 * - at most one request in flight per hash;
 * - a candidate becomes requestable at its reqtime, which the caller
 *   sets (Bitcoin Core: now for preferred peers, 2 s later for others,
 *   and 2 s more for a peer already asked for 100 that are in flight);
 * - among requestable candidates, preferred ones first, then a uniformly
 *   random one (a salted hash of hash and peer, so attackers cannot bias
 *   it and runs are reproducible);
 * - a request expires after `timeout_us` and the next candidate is asked;
 *   a notfound (txreq_received_response) moves on at once;
 * - a peer has at most `max_announced` announcements tracked (more are
 *   refused); its requests in flight are not capped, as in Core;
 * - when only COMPLETED announcements remain for a hash, it is forgotten.
 * txid and wtxid announcements are tracked by their hash alone, with an
 * is_wtxid flag telling how to request them (BIP339).
 * Memory is proportional to the tracked announcements; a tracker with
 * nothing tracked holds no allocation beyond its struct. */
#ifndef HEARSAY_NET_TXREQUEST_H
#define HEARSAY_NET_TXREQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/primitives/hash.h"

struct txreq_params {
    int64_t timeout_us; /* request expiry */
    uint32_t max_announced;
};

enum txreq_add {
    TXREQ_ADDED,
    TXREQ_DUPLICATE, /* this peer already announced this hash */
    TXREQ_OVER_CAP,  /* the peer has max_announced tracked */
    TXREQ_NOMEM,
};

struct txreq;

/* params are copied. */
struct txreq *txreq_new(const struct txreq_params *params, uint64_t salt);
void txreq_free(struct txreq *t);

enum txreq_add txreq_received_inv(struct txreq *t, uint64_t peer, const struct hash256 *hash,
                                  bool is_wtxid, bool preferred, int64_t reqtime);
/* The peer answered (notfound, or the transaction): its announcement is
 * COMPLETED and the hash moves on to the next candidate. */
void txreq_received_response(struct txreq *t, uint64_t peer, const struct hash256 *hash,
                             int64_t now);
/* The hash is not needed any more (received, accepted, rejected). */
void txreq_forget(struct txreq *t, const struct hash256 *hash);
/* The peer disconnected: its announcements go, its requests move on. */
void txreq_peer_gone(struct txreq *t, uint64_t peer, int64_t now);

/* A request decided by txreq_poll. seq orders a peer's requests in the
 * order the peer announced them (parents usually first). */
struct txreq_request {
    uint64_t peer;
    struct hash256 hash;
    bool is_wtxid;
    uint64_t seq;
};
typedef void (*txreq_request_fn)(void *ctx, const struct txreq_request *req);
typedef void (*txreq_expired_fn)(void *ctx, uint64_t peer, const struct hash256 *hash);

/* Expires requests due by now (expired, may be NULL) and decides the
 * requests to make now (request), marking them REQUESTED. */
void txreq_poll(struct txreq *t, int64_t now, txreq_request_fn request,
                txreq_expired_fn expired, void *ctx);
/* When txreq_poll has work next; INT64_MAX if never. */
int64_t txreq_next_time(const struct txreq *t);

size_t txreq_count(const struct txreq *t, uint64_t peer);     /* all states */
size_t txreq_in_flight(const struct txreq *t, uint64_t peer);
size_t txreq_size(const struct txreq *t);                     /* announcements */
size_t txreq_hashes(const struct txreq *t);                   /* distinct hashes */
size_t txreq_total_in_flight(const struct txreq *t);
size_t txreq_memory(const struct txreq *t);
/* Is there a CANDIDATE or REQUESTED announcement for the hash? */
bool txreq_tracks(const struct txreq *t, const struct hash256 *hash);
/* The peers of those announcements (Bitcoin Core's GetCandidatePeers),
 * the first max of them into out; returns how many there are. */
size_t txreq_announcers(const struct txreq *t, const struct hash256 *hash, uint64_t *out,
                        size_t max);

#endif
