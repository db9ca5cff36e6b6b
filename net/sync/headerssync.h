/* Low-work headers sync with one peer, as Bitcoin Core's HeadersSyncState
 * (headerssync.cpp, v24 on).
 *
 * A headers chain whose claimed work stays below our anti-DoS threshold
 * is never stored: a peer could otherwise make us keep millions of cheap
 * headers. Instead the chain is first walked (PRESYNC) keeping only its
 * running work, its last header and one salted 1-bit commitment every
 * commitment period; once its work passes the threshold it is asked for
 * again from the start (REDOWNLOAD), each header checked against the
 * commitments, and released to validation once a buffer of checked
 * headers stands above it, or all at once when the redownloaded work
 * itself reaches the threshold. A peer feeding a different chain the
 * second time must guess the commitments it cannot see.
 *
 * Memory per sync: the commitments, at most 6 headers a second since the
 * start's median time past (Core's time-based bound on any valid chain's
 * length) over the period, and the buffer of 48-byte headers with one
 * message's more (816 kB on main, as Core's). */
#ifndef HEARSAY_NET_HEADERSSYNC_H
#define HEARSAY_NET_HEADERSSYNC_H

#include "chain/primitives/block.h"
#include "chain/primitives/params.h"
#include "chain/validation/blockindex.h"
#include "chain/validation/pow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hss_state { HSS_PRESYNC, HSS_REDOWNLOAD, HSS_FINAL };

/* Our random source's draws: the commitments' SipHash key and the offset
 * (mod the period) of the heights that carry one, so that a peer cannot
 * tell which headers it may swap. */
struct hss_salt {
    uint64_t k0, k1, offset;
};

struct hss_result {
    /* Headers checked against the commitments, to be validated and
     * stored, oldest first (freed by the caller); NULL when none. */
    struct block_header *ready;
    size_t nready;
    bool success;      /* taken; false: the sync ends, the headers unused */
    bool request_more; /* ask the peer for more, from hss_next_from */
};

struct hss;

/* A sync of the chain the peer builds on start (which must outlive it),
 * to reach min_work, at now (unix seconds). */
struct hss *hss_new(const struct chain_params *p, uint64_t peer, const struct bindex_node *start,
                    const struct u256 *min_work, const struct hss_salt *salt, int64_t now);
void hss_free(struct hss *s);

/* The next headers message's headers (0 < n <= PROTO_MAX_HEADERS, already checked for proof of
 * work against their own bits and for chaining to each other); full: it
 * carried the most a message may, so the peer may have more. Once the
 * result has no request_more the sync is HSS_FINAL. 0, or -1 on a call
 * in HSS_FINAL. */
int hss_process(struct hss *s, const struct block_header *hdrs, size_t n, bool full,
                struct hss_result *out);

enum hss_state hss_state(const struct hss *s);
const struct bindex_node *hss_start(const struct hss *s);
/* The header the next getheaders asks to continue from (its locator goes
 * on with the start's): the last received in PRESYNC, the last buffered
 * in REDOWNLOAD. */
void hss_next_from(const struct hss *s, struct hash256 *out);
/* PRESYNC's progress: height, time and chain work of the last header. */
int hss_presync_height(const struct hss *s);
uint32_t hss_presync_time(const struct hss *s);
const struct u256 *hss_presync_work(const struct hss *s);
/* Commitments held, their bound, headers buffered, and heap bytes held. */
size_t hss_commitments(const struct hss *s);
size_t hss_max_commitments(const struct hss *s);
size_t hss_buffered(const struct hss *s);
size_t hss_memory(const struct hss *s);

#endif
