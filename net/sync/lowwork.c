/* Headers below our anti-DoS work threshold (Core's
 * GetAntiDoSWorkThreshold, TryLowWorkHeadersSync and
 * IsContinuationOfLowWorkHeadersSync): such a chain is walked with the
 * peer in a low-work sync (headerssync.h) and stored only once its work
 * is proven, so that cheap headers cannot fill our memory. */
#include "net/sync/headerssync.h"
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Core's "144 blocks' worth" below the tip, so a fork from near the tip
 * is taken as any other headers. */
#define NEAR_TIP_BLOCKS 144
/* Presync progress is logged at most this often (Core's 250 ms). */
#define PRESYNC_LOG_US 250000

void np_antidos_threshold(const struct netproc *np, struct u256 *out)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    struct u256 near, margin;
    u256_zero(&near);
    if (tip) {
        pow_work(tip->hdr.bits, &margin);
        u256_mul_u32(&margin, NEAR_TIP_BLOCKS);
        near = tip->work;
        if (u256_cmp(&margin, &near) < 0)
            u256_sub(&near, &margin);
        else
            u256_zero(&near);
    }
    *out = *chainstate_min_chain_work(np->chain);
    if (u256_cmp(&near, out) > 0)
        *out = near;
}

bool np_lowwork_block(const struct netproc *np, const struct bindex_node *prev,
                      const struct block_header *h)
{
    /* Core's CMPCTBLOCK and BLOCK handlers: the parent's chain work and
     * the new header's claimed work against the threshold. */
    struct u256 work, proof, threshold;
    work = prev->work;
    pow_work(h->bits, &proof);
    u256_add(&work, &proof);
    np_antidos_threshold(np, &threshold);
    return u256_cmp(&work, &threshold) < 0;
}

/* The best presync's progress, in the log during initial download while
 * our best header lacks the minimum chain work (else an attacker's cheap
 * chains would fill it), as Core's ReportHeadersPresync. */
static void presync_report(struct netproc *np, const struct np_peer *p, int64_t now)
{
    if (hss_state(p->hss) != HSS_PRESYNC || now - np->presync_logged < PRESYNC_LOG_US ||
        !chainstate_initial_download(np->chain))
        return;
    const struct u256 *work = hss_presync_work(p->hss);
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].hss && u256_cmp(hss_presync_work(np->peers[i].hss), work) > 0)
            return;
    const struct bindex_node *best = chainstate_best_header(np->chain);
    if (best && np_cmp_min_work(np, best) >= 0)
        return;
    np->presync_logged = now;
    int height = hss_presync_height(p->hss);
    int64_t left = (np_wall_now(np) - (int64_t)hss_presync_time(p->hss)) /
                   chainstate_params(np->chain)->pow_target_spacing;
    left = left > 0 ? left : 0;
    LOG_INFO("Pre-synchronizing blockheaders, height: %d (~%.2f%%)", height,
             height + left > 0 ? 100.0 * height / (double)(height + left) : 100.0);
}

void np_lowwork_end(struct np_peer *p)
{
    hss_free(p->hss);
    p->hss = NULL;
}

/* Asks p to continue its sync: from the sync's last header, then the
 * start's locator. */
static void ask_more(struct netproc *np, struct np_peer *p, int64_t now)
{
    struct hash256 loc[PROTO_MAX_LOCATOR];
    hss_next_from(p->hss, &loc[0]);
    size_t n = 1 + chainstate_locator(np->chain, hss_start(p->hss), loc + 1,
                                      PROTO_MAX_LOCATOR - 1);
    np_getheaders_locator(np, p, loc, n, NULL, now);
}

bool np_lowwork_continue(struct netproc *np, struct np_peer *p, struct block_header **hdrs,
                         size_t *n, int64_t now)
{
    if (!p->hss)
        return false;
    struct hss_result r = {0};
    if (hss_process(p->hss, *hdrs, *n, *n == NETPROC_MAX_HEADERS, &r) != 0)
        r.success = false;
    /* As Core, only headers the sync took answer our last getheaders; the
     * one it asks for next is then awaited. */
    if (r.success)
        p->headers_awaited = false;
    if (r.request_more)
        ask_more(np, p, now);
    if (hss_state(p->hss) == HSS_FINAL)
        np_lowwork_end(p);
    else
        presync_report(np, p, now);
    if (!r.success)
        return false;
    free(*hdrs);
    *hdrs = r.ready; /* what is proven, if anything, goes on to validation */
    *n = r.nready;
    return true;
}

bool np_lowwork_try(struct netproc *np, struct np_peer *p, const struct bindex_node *start,
                    struct block_header **hdrs, size_t *n, int64_t now)
{
    struct u256 total = start->work, threshold;
    for (size_t i = 0; i < *n; i++) { /* Core's CalculateClaimedHeadersWork */
        struct u256 w;
        pow_work((*hdrs)[i].bits, &w);
        u256_add(&total, &w);
    }
    np_antidos_threshold(np, &threshold);
    if (u256_cmp(&total, &threshold) >= 0)
        return false;
    if (*n == NETPROC_MAX_HEADERS) { /* it may have more: walk its chain */
        np_lowwork_end(p);
        struct hss_salt salt = {relay_rand(np->relay), relay_rand(np->relay),
                                relay_rand(np->relay)};
        p->hss = hss_new(chainstate_params(np->chain), p->id, start, &threshold, &salt,
                         np_wall_now(np));
        np_lowwork_continue(np, p, hdrs, n, now);
    } else { /* its chain ends there, short of the work */
        LOG_DEBUG(LOG_NET, "ignoring low-work chain (height=%zu) from peer=%" PRIu64,
                  (size_t)start->height + *n, p->id);
    }
    free(*hdrs);
    *hdrs = NULL;
    *n = 0;
    return true;
}
