/* BIP330 transaction reconciliation, the pure state machine (no I/O, no
 * clock): per peer, the set of wtxids we would have announced to it, and
 * the rounds that reconcile it with the peer's set for us.
 *
 * Roles are fixed per link, as in Bitcoin Core: the side that opened the
 * connection initiates. A round:
 *   initiator: txrecon_start -> reqrecon (its set size, q)
 *   responder: txrecon_on_req -> sketch of its set, snapshotted, with a
 *              capacity estimated as 1 + |size difference| + q * the
 *              smaller size (plus spare elements against false decodes)
 *   initiator: txrecon_on_sketch: XOR with its own sketch, decode;
 *              success: reconcildiff(1, short ids it lacks) and an inv of
 *              what the responder lacks; failure: reqsketchext once
 *              (the responder sends elements c..2c-1 of a 2c sketch of the
 *              same snapshot), and on a second failure reconcildiff(0) and
 *              an inv of its whole set
 *   responder: txrecon_on_diff: an inv of the asked ids (success) or of
 *              its whole snapshot (failure).
 * Then both sides pull what they lack with getdata as usual. The caller
 * sends the messages and the invs; every txrecon_on_* returns -1 for a
 * protocol violation (the caller disconnects). */
#ifndef HEARSAY_NET_TXRECON_H
#define HEARSAY_NET_TXRECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "net/wire/protocol.h"
#include "net/wire/txrecon_msg.h"

/* Largest set kept per peer: set sizes travel as uint16. Beyond it the
 * caller announces by inv. */
#define TXRECON_MAX_SET 65535
/* Bitcoin Core's default q (RECON_Q is 0.25 in its proposal): measured
 * here too, see txrecon_params. */
#define TXRECON_DEFAULT_Q 0.25
/* A false decode of an overfull sketch at most 1 in 2^16 (Core's
 * RECON_FALSE_POSITIVE_COEF). */
#define TXRECON_FP_BITS 16
/* The largest difference we try to decode (CPU: about 40 ms at 1000). */
#define TXRECON_MAX_DECODE 1000

struct txrecon_counters {
    uint64_t rounds;            /* rounds completed, either role */
    uint64_t sketches_sent;     /* sketch messages (extensions included) */
    uint64_t sketches_received;
    uint64_t sketch_bytes_sent; /* their skdata bytes */
    uint64_t sketch_bytes_received;
    uint64_t decode_failures;   /* initiator: sketches that did not decode */
    uint64_t extensions;        /* extension sketches requested or sent */
    uint64_t fallbacks;         /* rounds that ended announcing a whole set */
    uint64_t differences;       /* short ids in successful decodes */
    uint64_t announced;         /* wtxids the rounds made us announce */
    uint64_t asked;             /* short ids we asked the peer for */
    uint64_t answers;           /* inv entries taken as a round's answer
                                 * (txrecon_solicited) */
    uint64_t bytes_sent;        /* reconciliation messages on the wire, */
    uint64_t bytes_received;    /* headers included (txrecon_count_bytes) */
};

struct txrecon;

/* The largest q a uint16 at TXRECON_Q_PRECISION carries. */
#define TXRECON_MAX_Q 2.0
/* q: the estimate's coefficient we send in the first reqrecon to each
 * peer (0..TXRECON_MAX_Q). From then on q is the peer's own, as BIP330
 * and the Erlay paper suggest: the q that would have estimated the last
 * decoded round's difference exactly (txrecon_q_from_round), doubled
 * after a round that failed even with the extension. */
struct txrecon *txrecon_new(double q);
void txrecon_free(struct txrecon *t);

/* A peer that exchanged sendtxrcncl with us (both salts known). -1 if
 * already registered or out of memory. */
int txrecon_peer_add(struct txrecon *t, uint64_t peer, bool we_initiate, uint64_t local_salt,
                     uint64_t remote_salt);
void txrecon_peer_remove(struct txrecon *t, uint64_t peer);
bool txrecon_peer_registered(const struct txrecon *t, uint64_t peer);
bool txrecon_we_initiate(const struct txrecon *t, uint64_t peer);
/* The link's short id of a wtxid (BIP330: SipHash-2-4 keyed by the tagged
 * hash of both salts, 1 + (h mod 0xFFFFFFFF)). 0 if not registered. */
uint32_t txrecon_short_id(const struct txrecon *t, uint64_t peer, const struct hash256 *wtxid);
/* The keys BIP330 derives from two salts (order does not matter). */
void txrecon_salt_keys(uint64_t salt1, uint64_t salt2, uint64_t *k0, uint64_t *k1);
/* A short id under given keys. */
uint32_t txrecon_short_id_keyed(uint64_t k0, uint64_t k1, const struct hash256 *wtxid);

enum txrecon_add_result {
    TXRECON_ADDED,     /* will be reconciled */
    TXRECON_PRESENT,   /* already in the set */
    TXRECON_ANNOUNCE,  /* announce it by inv instead: set full, peer not
                        * registered, or its short id collides (then
                        * *other, if not zero, must be announced too) */
};
enum txrecon_add_result txrecon_add(struct txrecon *t, uint64_t peer,
                                    const struct hash256 *wtxid, struct hash256 *other);
/* The peer showed it has this (announced or sent it): not reconciled. */
void txrecon_remove(struct txrecon *t, uint64_t peer, const struct hash256 *wtxid);
size_t txrecon_set_size(const struct txrecon *t, uint64_t peer);
/* The q our next reqrecon to the peer carries (the initial q if the peer
 * is unknown). */
double txrecon_peer_q(const struct txrecon *t, uint64_t peer);
/* BIP330's q for a round whose local set had local_size wtxids, of which
 * the peer lacked remote_missing, and in which we lacked local_missing:
 * (difference - size gap) / smaller set, at most TXRECON_MAX_Q; prev if
 * the sets give no overlap to learn from (a set was empty). */
double txrecon_q_from_round(size_t local_size, size_t local_missing, size_t remote_missing,
                            double prev);
/* Entries still to reconcile with any peer: in the sets and in the
 * snapshots of rounds in progress (a simulator's end-of-run test). */
size_t txrecon_pending(const struct txrecon *t);
/* Is a round with the peer in progress? */
bool txrecon_busy(const struct txrecon *t, uint64_t peer);

/* What the caller sends after an event. */
struct txrecon_out {
    enum proto_cmd cmd;        /* a message to send; PROTO_CMD_OTHER: none */
    struct wbuf payload;       /* its payload */
    struct hash256 *announce;  /* wtxids to announce (inv) to the peer */
    size_t n_announce;
};
void txrecon_out_init(struct txrecon_out *o);
void txrecon_out_free(struct txrecon_out *o);

/* Initiator: starts a round (out->cmd = reqrecon). -1 if we do not
 * initiate with this peer or a round is in progress. */
int txrecon_start(struct txrecon *t, uint64_t peer, struct txrecon_out *out);
/* Responder: a reqrecon; out: the sketch. */
int txrecon_on_req(struct txrecon *t, uint64_t peer, const struct txrecon_req_msg *m,
                   struct txrecon_out *out);
/* Initiator: a sketch (initial or extension); out: reqsketchext, or
 * reconcildiff and the invs. */
int txrecon_on_sketch(struct txrecon *t, uint64_t peer, const uint8_t *skdata, size_t len,
                      struct txrecon_out *out);
/* Responder: reqsketchext; out: the extension sketch. */
int txrecon_on_reqext(struct txrecon *t, uint64_t peer, struct txrecon_out *out);
/* Responder: reconcildiff; out: the invs. */
int txrecon_on_diff(struct txrecon *t, uint64_t peer, const struct txrecon_diff_msg *m,
                    struct txrecon_out *out);

/* Is this wtxid, announced by the peer, an answer to the round in
 * progress? True (once per entry) when we responded to the peer's
 * reqrecon and await its reconcildiff, the wtxid is not in the set we
 * sketched, and the peer has not yet announced as many as the set size
 * it declared in reqrecon. The driver requests such entries without the
 * non-preferred delay (relay_on_answer). As initiator we announce to and
 * hear from the peer we connected to, a preferred peer: nothing to tell. */
bool txrecon_solicited(struct txrecon *t, uint64_t peer, const struct hash256 *wtxid);

/* The driver counts the wire bytes of the messages it sends and gets. */
void txrecon_count_bytes(struct txrecon *t, uint64_t peer, bool sent, size_t n);
/* Ends reconciliation with a peer that stopped answering (Bitcoin Core
 * v26+ sends sendtxrcncl but implements no round): out->announce gets
 * every wtxid still waiting for it, and the peer is forgotten (its
 * counters stay in the totals). -1 if not registered. */
int txrecon_peer_abandon(struct txrecon *t, uint64_t peer, struct txrecon_out *out);
/* Counters of one peer (false if unknown) and of the node. */
bool txrecon_peer_counters(const struct txrecon *t, uint64_t peer,
                           struct txrecon_counters *out);
void txrecon_totals(const struct txrecon *t, struct txrecon_counters *out);

#endif
