/* Bitcoin Core's extra outbound peers (net_processing.cpp
 * CheckForStaleTipAndEvictPeers, every 45 s):
 * - When the tip has not moved for 3 block intervals and no block is in
 *   flight (TipMayBeStale, checked every 10 minutes), connman may open one
 *   full-relay outbound connection beyond its slots. Whenever there is
 *   such an extra peer, the full-relay outbound peer whose last
 *   announcement of a new block is oldest (the youngest on a tie) is
 *   disconnected, unless protected: one of the first 4 that showed us a
 *   chain with as much work as ours, or our only full-relay (automatic or
 *   manual) outbound peer on its network. A successful eviction turns the
 *   extra peer off until the tip looks stale again.
 * - Once our tip is recent (CanDirectFetch), connman adds an extra
 *   block-relay-only peer every 5 minutes on average; of the two youngest
 *   block-relay-only peers, the one that gave us a new block least
 *   recently is disconnected.
 * Neither is disconnected within 30 s of connecting or while we wait for
 * a block from it.
 * And Core's ConsiderEviction, checked at each turn: an unprotected
 * outbound peer (full or block relay) we sync headers with, whose best
 * known block has less work than our tip, has 20 minutes to show one with
 * the work our tip had then (a new deadline if it does, behind our new
 * tip), then is asked for headers from there and dropped if 2 minutes
 * later it still has not: a peer on a stale or bad chain is no use. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"

#include <inttypes.h>

#define SEC 1000000LL
#define EXTRA_PEER_CHECK_INTERVAL (45 * SEC)
#define STALE_CHECK_INTERVAL (600 * SEC)
#define MINIMUM_CONNECT_TIME (30 * SEC)
#define MAX_OUTBOUND_PEERS_TO_PROTECT 4
#define DIRECT_FETCH_BLOCKS 20 /* CanDirectFetch: the tip is younger than 20 intervals */
#define CHAIN_SYNC_TIMEOUT (20 * 60 * SEC)
#define HEADERS_RESPONSE_TIME (2 * 60 * SEC)

static bool usable(const struct np_peer *p, enum peer_kind kind)
{
    return !p->inbound && !p->manual && p->kind == kind && !p->disconnecting;
}

static void drop(struct netproc *np, struct np_peer *p, const char *what, int64_t when)
{
    LOG_DEBUG(LOG_NET, "disconnecting extra %s peer=%" PRIu64 " (last block at %" PRId64 ")",
              what, p->id, when);
    p->disconnecting = true;
    np->io.disconnect(np->io.ctx, p->id, what);
}

/* Of the two youngest block-relay-only peers (highest ids), the one whose
 * last new block is older; the youngest when it gave none. */
static void evict_block_relay(struct netproc *np, int64_t now)
{
    struct np_peer *young = NULL, *next = NULL;
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!usable(p, PEER_BLOCK_RELAY))
            continue;
        if (!young || p->id > young->id) {
            next = young;
            young = p;
        } else if (!next || p->id > next->id) {
            next = p;
        }
    }
    struct np_peer *victim = young;
    if (young && next && young->last_block > next->last_block)
        victim = next;
    if (!victim)
        return;
    if (now - victim->connected >= MINIMUM_CONNECT_TIME && victim->blocks_in_flight == 0)
        drop(np, victim, "block-relay-only", victim->last_block);
}

/* Is p our only full-relay (automatic or manual) outbound peer on its
 * network? Core keeps it (MultipleManualOrFullOutboundConns). */
static bool alone_on_network(const struct netproc *np, const struct np_peer *p)
{
    for (size_t i = 0; i < np->npeers; i++) {
        const struct np_peer *q = &np->peers[i];
        if (q != p && !q->inbound && q->kind == PEER_FULL_RELAY && q->network == p->network)
            return false;
    }
    return true;
}

/* The full-relay outbound peer that least recently announced a new
 * block (the youngest on a tie), protected peers aside. */
static bool evict_full_relay(struct netproc *np, int64_t now)
{
    struct np_peer *worst = NULL;
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!usable(p, PEER_FULL_RELAY) || p->protect || alone_on_network(np, p))
            continue;
        if (!worst || p->last_announce < worst->last_announce ||
            (p->last_announce == worst->last_announce && p->id > worst->id))
            worst = p;
    }
    if (!worst)
        return false;
    if (now - worst->connected > MINIMUM_CONNECT_TIME && worst->blocks_in_flight == 0) {
        drop(np, worst, "outbound", worst->last_announce);
        return true;
    }
    LOG_DEBUG(LOG_NET, "keeping outbound peer=%" PRIu64 " chosen for eviction (blocks in flight: %zu)",
              worst->id, worst->blocks_in_flight);
    return false;
}

/* Core's TipMayBeStale. */
static bool tip_may_be_stale(struct netproc *np, int64_t now)
{
    if (np->last_tip_update == 0)
        np->last_tip_update = now;
    int64_t spacing = chainstate_params(np->chain)->pow_target_spacing;
    return np->last_tip_update < now - 3 * spacing * SEC && np->ninflight == 0;
}

static bool can_direct_fetch(const struct netproc *np)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    int64_t spacing = chainstate_params(np->chain)->pow_target_spacing;
    return tip && (int64_t)tip->hdr.time > np_wall_now(np) - DIRECT_FETCH_BLOCKS * spacing;
}

void np_extra_tick(struct netproc *np, int64_t now)
{
    if (!np->io.extra_outbound || !np->io.disconnect || now < np->extra_check_due)
        return;
    np->extra_check_due = now + EXTRA_PEER_CHECK_INTERVAL;
    if (np->io.extra_outbound(np->io.ctx, PEER_BLOCK_RELAY) > 0)
        evict_block_relay(np, now);
    /* Evicting means the extra peer came: no more until the tip looks stale again. */
    if (np->io.extra_outbound(np->io.ctx, PEER_FULL_RELAY) > 0 && evict_full_relay(np, now))
        np->io.try_new_outbound(np->io.ctx, false);
    if (now > np->stale_check_due) {
        bool stale = tip_may_be_stale(np, now);
        if (stale)
            LOG_INFO("Potential stale tip detected, will try using extra outbound peer (last "
                     "tip update: %" PRId64 " seconds ago)",
                     (int64_t)((now - np->last_tip_update) / SEC));
        np->io.try_new_outbound(np->io.ctx, stale);
        np->stale_check_due = now + STALE_CHECK_INTERVAL;
    }
    if (!np->initial_sync_finished && can_direct_fetch(np)) {
        np->io.start_extra_block_relay(np->io.ctx);
        np->initial_sync_finished = true;
    }
}

static bool has_work(const struct bindex_node *n, const struct bindex_node *than)
{
    return n && u256_cmp(&n->work, &than->work) >= 0;
}

void np_chain_sync_check(struct netproc *np, struct np_peer *p, int64_t now)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (p->protect || p->inbound || p->manual || !p->sync_started || p->disconnecting || !tip ||
        (p->kind != PEER_FULL_RELAY && p->kind != PEER_BLOCK_RELAY))
        return;
    if (has_work(p->best_known, tip)) {
        p->chain_sync_due = 0;
        p->chain_sync_work = NULL;
        p->chain_sync_asked = false;
    } else if (p->chain_sync_due == 0 ||
               (p->chain_sync_work && has_work(p->best_known, p->chain_sync_work))) {
        p->chain_sync_due = now + CHAIN_SYNC_TIMEOUT;
        p->chain_sync_work = tip;
        p->chain_sync_asked = false;
    } else if (now > p->chain_sync_due && p->chain_sync_asked) {
        LOG_INFO("Outbound peer has old chain, disconnecting peer=%" PRIu64, p->id);
        p->disconnecting = true;
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, "outbound peer on an old chain");
    } else if (now > p->chain_sync_due) {
        /* Sent, or one in flight: either way an answer may clear it. */
        const struct bindex_node *w = p->chain_sync_work;
        np_getheaders(np, p, w->prev ? w->prev : w, NULL, now);
        p->chain_sync_asked = true;
        p->chain_sync_due = now + HEADERS_RESPONSE_TIME;
    }
}

int64_t np_extra_wakeup(const struct netproc *np)
{
    int64_t w = np->io.extra_outbound ? np->extra_check_due : INT64_MAX;
    for (size_t i = 0; i < np->npeers; i++) {
        int64_t due = np->peers[i].chain_sync_due;
        if (due && !np->peers[i].disconnecting && due + 1 < w)
            w = due + 1; /* strictly after the deadline */
    }
    return w;
}

void np_extra_headers(struct netproc *np, struct np_peer *p, bool new_header,
                      const struct bindex_node *last, bool headers_msg, int64_t now)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (!last || !tip)
        return;
    if (new_header && u256_cmp(&last->work, &tip->work) > 0)
        p->last_announce = now;
    /* Core's m_chain_sync.m_protect: a full-relay outbound peer on a chain
     * at least as good as ours, the first few only. */
    if (headers_msg && !p->protect && !p->disconnecting && !p->inbound && !p->manual &&
        p->kind == PEER_FULL_RELAY && p->best_known &&
        np->nprotected < MAX_OUTBOUND_PEERS_TO_PROTECT &&
        u256_cmp(&p->best_known->work, &tip->work) >= 0) {
        LOG_DEBUG(LOG_NET, "Protecting outbound peer=%" PRIu64 " from eviction", p->id);
        p->protect = true;
        np->nprotected++;
    }
}
