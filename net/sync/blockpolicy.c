/* What we do about a peer's invalid block, which unrequested blocks we
 * keep, and which blocks we serve: Bitcoin Core's MaybePunishNodeForBlock,
 * the BLOCK handler's checks before ProcessBlock, AcceptBlock's rule for
 * unrequested blocks and BlockRequestAllowed (net_processing.cpp,
 * validation.cpp), by the reason string validation gave. */
#include "net/sync/netproc_int.h"

#include "chain/storage/prune.h"
#include "chain/util/log.h"
#include "chain/validation/validation.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Core's STALE_RELAY_AGE_LIMIT: a month. */
#define NP_STALE_RELAY_AGE_LIMIT (30 * 24 * 60 * 60LL)

static bool reason_in(const char *reason, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(reason, *list) == 0)
            return true;
    return false;
}

/* BLOCK_INVALID_HEADER, BLOCK_INVALID_PREV and BLOCK_MISSING_PREV: the
 * header alone proves the peer wrong, however the block came. */
static bool header_reason(const char *reason)
{
    static const char *const list[] = {"high-hash",   "bad-diffbits",         "time-too-old",
                                       "bad-prevblk", "time-timewarp-attack", "prev-blk-not-found",
                                       NULL};
    return reason_in(reason, list) || strncmp(reason, "bad-version", 11) == 0;
}

bool np_block_punishable(const char *reason, bool cached, bool via_compact, bool inbound)
{
    if (cached) /* BLOCK_CACHED_INVALID: an outbound peer on an invalid chain */
        return !via_compact && !inbound;
    if (!reason)
        return !via_compact;
    if (strcmp(reason, "time-too-new") == 0) /* BLOCK_TIME_FUTURE: our clock may lag */
        return false;
    if (header_reason(reason))
        return true;
    /* BLOCK_CONSENSUS and BLOCK_MUTATED: BIP152 lets a peer announce a
     * compact block before validating it fully (we do too). */
    return !via_compact;
}

bool np_block_mutated(const char *reason)
{
    static const char *const list[] = {"bad-txnmrklroot", "bad-txns-duplicate",
                                       "bad-witness-merkle-match", "bad-witness-nonce-size",
                                       "unexpected-witness", NULL};
    return reason && reason_in(reason, list);
}

/* Core's GetBlockProofEquivalentTime(best, n, best): the time the work
 * between n and best takes at best's difficulty; negative if n has more. */
static int64_t proof_equivalent_time(const struct bindex_node *best, const struct bindex_node *n,
                                     int64_t spacing)
{
    bool negative = u256_cmp(&best->work, &n->work) < 0;
    struct u256 r = negative ? n->work : best->work, proof, q;
    u256_sub(&r, negative ? &best->work : &n->work);
    u256_mul_u32(&r, (uint32_t)spacing);
    pow_work(best->hdr.bits, &proof);
    if (u256_is_zero(&proof))
        return INT64_MAX;
    u256_div(&r, &proof, &q);
    if (u256_bits(&q) > 63)
        return negative ? -INT64_MAX : INT64_MAX;
    int64_t t = (int64_t)(((uint64_t)q.w[1] << 32) | q.w[0]);
    return negative ? -t : t;
}

bool np_block_request_allowed(const struct netproc *np, const struct bindex_node *n)
{
    if (chainstate_at(np->chain, n->height) == n)
        return true;
    /* Off the active chain: only a block that was connected once (its
     * scripts checked, as undo data shows), and only a recent one, so a
     * peer cannot learn which stale branches we saw (fingerprinting). */
    const struct bindex_node *best = chainstate_best_header(np->chain);
    if (!best || !(n->status & BINDEX_HAVE_UNDO) || (n->status & BINDEX_FAILED_MASK))
        return false;
    int64_t spacing = chainstate_params(np->chain)->pow_target_spacing;
    return (int64_t)best->hdr.time - (int64_t)n->hdr.time < NP_STALE_RELAY_AGE_LIMIT &&
           proof_equivalent_time(best, n, spacing) < NP_STALE_RELAY_AGE_LIMIT;
}

/* Core's IsBlockMutated, with the witness part where segwit applies (the
 * contextual check finds it): the reason if b is a mutated copy, which no
 * honest peer sends. */
static const char *mutation(const struct netproc *np, const struct bindex_node *prev,
                            const struct block *b)
{
    const char *reason = NULL;
    if (!validation_block_basic(b, &reason))
        return np_block_mutated(reason) ? reason : NULL;
    if (prev && !validation_block_context(chainstate_params(np->chain), prev, b, &reason))
        return np_block_mutated(reason) ? reason : NULL;
    return NULL;
}

/* AcceptBlock's fHasMoreOrSameWork, fTooFarAhead, pruned data and the
 * minimum chain work: a block that cannot make the tip soon is not kept. */
static bool unrequested_wanted(const struct netproc *np, const struct bindex_node *n)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (n->status & BINDEX_HAVE_DATA)
        return true; /* a duplicate: the block path counts it */
    return !(n->status & BINDEX_PRUNED) && u256_cmp(&n->work, &tip->work) >= 0 &&
           n->height <= tip->height + PRUNE_MIN_BLOCKS_TO_KEEP &&
           np_cmp_min_work(np, n) >= 0;
}

bool np_unrequested_dropped(struct netproc *np, struct np_peer *p, const struct block *b)
{
    const struct bindex_node *prev = chainstate_find(np->chain, &b->hdr.prev);
    const char *mutated = mutation(np, prev, b);
    if (mutated) {
        np_misbehaving(np, p->id, mutated); /* Core: "mutated block" */
        return true;
    }
    /* A new header on a low-work chain is not even stored (Core's
     * min_pow_checked): else blocks would build the cheap header chains
     * the low-work headers sync keeps out. */
    if (prev && !chainstate_find(np->chain, &b->hash) && np_lowwork_block(np, prev, &b->hdr)) {
        LOG_DEBUG(LOG_NET, "ignoring low-work block from peer=%" PRIu64, p->id);
        return true;
    }
    /* Its header is taken (a bad one is punished on the block path, which
     * finds it again); the block only if wanted. */
    char *err = NULL;
    const char *reason = NULL;
    enum chainstate_status st =
        chainstate_process_headers(np->chain, &b->hdr, 1, NULL, &reason, &err);
    free(err);
    const struct bindex_node *n = chainstate_find(np->chain, &b->hash);
    if ((st != CHAINSTATE_ACCEPTED && st != CHAINSTATE_DUPLICATE) || !n ||
        unrequested_wanted(np, n))
        return false;
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " sent unrequested block at height %d: not stored", p->id,
              n->height);
    return true;
}
