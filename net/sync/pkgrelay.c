/* Opportunistic 1-parent-1-child package relay, as Bitcoin Core v28: a
 * transaction refused on its feerate alone ("reconsiderable", kept apart
 * from the rejects by the relay core) is tried again together with an
 * orphan child of it that the same peer sent, so that a child paying for
 * its parent (CPFP, or a package replacement) crosses this node as it
 * crosses Core nodes. Only the peer that sent the parent is trusted for
 * the child: a stranger's children cannot crowd out the real one. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Identifies the pair whatever its order: the sha256 of both wtxids,
 * sorted (Core's GetPackageHash). */
static void package_hash(const struct tx *a, const struct tx *b, struct hash256 *out)
{
    uint8_t buf[64];
    bool swap = memcmp(a->wtxid.b, b->wtxid.b, sizeof(a->wtxid.b)) > 0;
    memcpy(buf, (swap ? b : a)->wtxid.b, 32);
    memcpy(buf + 32, (swap ? a : b)->wtxid.b, 32);
    hash_sha256(buf, sizeof(buf), out->b);
}

/* The first of the orphan children peer sent of parent (Core's
 * GetChildrenFromSamePeer: those awaiting reconsideration first, newest
 * first: the newest is the likeliest to pay, it may replace older ones)
 * whose pair with parent has not failed already. Not referenced. */
static struct tx *child_from(const struct netproc *np, const struct tx *parent, uint64_t peer,
                             struct hash256 *pkg)
{
    struct orphanage_peer_stats ps;
    orphanage_peer_stats(np->orphans, peer, &ps);
    if (ps.announcements == 0)
        return NULL;
    struct tx **kids = xmalloc(ps.announcements * sizeof(*kids));
    size_t n = orphanage_children_from_peer(np->orphans, parent, peer, kids, ps.announcements);
    struct tx *child = NULL;
    for (size_t i = 0; i < n && !child; i++) {
        package_hash(parent, kids[i], pkg);
        if (!relay_is_reconsiderable(np->relay, pkg))
            child = kids[i];
    }
    free(kids);
    return child;
}

/* Core's ProcessPackageResult for one transaction of the pair. */
static void pkg_result(struct netproc *np, const struct tx *tx, const struct mempool_pkg_tx *r,
                       uint64_t peer, int64_t now)
{
    switch (r->result) {
    case MEMPOOL_PKG_VALID:
        orphanage_erase(np->orphans, &tx->wtxid);
        np_tx_relay(np, tx, true, peer, now);
        return;
    case MEMPOOL_PKG_INVALID:
        if (r->rej.status == MEMPOOL_MISSING_INPUTS)
            return; /* the package was not judged: the child stays an orphan */
        /* fall through */
    case MEMPOOL_PKG_OTHER_WITNESS:
        orphanage_erase(np->orphans, &tx->wtxid);
        np_tx_refused(np, tx, true, peer, &r->rej, now);
        return;
    case MEMPOOL_PKG_UNEVALUATED:
    case MEMPOOL_PKG_IN_MEMPOOL:
        return;
    }
}

void np_pkg_try(struct netproc *np, struct tx *parent, uint64_t peer, int64_t now)
{
    struct hash256 pkg;
    struct tx *child = child_from(np, parent, peer, &pkg);
    if (!child)
        return;
    struct tx *txs[2] = {parent, tx_ref(child)};
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    struct mempool_tip tip;
    mempool_tip_of(np->chain, &tip);
    mempool_accept_package(np->mempool, txs, 2, &tip, np_wall_now(np), 0, res, &out);
    char hex[HASH_HEX_LEN + 1];
    hash_to_hex(&parent->wtxid, hex);
    LOG_DEBUG(LOG_MEMPOOL, "package of tx %s and its child from peer=%" PRIu64 ": %s", hex, peer,
              out.reason ? out.reason : "accepted");
    /* A failed pair is not tried again (until the next tip). */
    if (out.reason)
        relay_reconsiderable_add(np->relay, &pkg);
    for (size_t i = 0; i < 2; i++)
        pkg_result(np, txs[i], &res[i], peer, now);
    for (size_t i = 0; i < 2; i++)
        if (res[i].result == MEMPOOL_PKG_VALID)
            np_orphans_follow(np, txs[i], now);
    mempool_pkg_clear(&out);
    tx_free(txs[1]);
}
