/* Opportunistic 1-parent-1-child package relay, as Bitcoin Core v28: a
 * transaction refused on its feerate alone ("reconsiderable", kept apart
 * from the rejects by the relay core) is tried again together with an
 * orphan child of it that the same peer sent, so that a child paying for
 * its parent (CPFP, or a package replacement) crosses this node as it
 * crosses Core nodes. Only the peer that sent the parent is trusted for
 * the child: a stranger's children cannot crowd out the real one. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"

#include <inttypes.h>
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

/* Core's GetChildrenFromSamePeer, newest first, and the first whose pair
 * with parent has not failed already: the newest child is the likeliest
 * to pay (it may replace older ones). */
static const struct np_orphan *child_from(const struct netproc *np, const struct tx *parent,
                                          uint64_t peer, struct hash256 *pkg)
{
    const struct np_orphan *best = NULL;
    for (size_t i = 0; i < np->norphans; i++) {
        const struct np_orphan *o = &np->orphans[i];
        if (o->peer != peer || !tx_spends(o->tx, &parent->txid) ||
            (best && o->expire <= best->expire))
            continue;
        struct hash256 h;
        package_hash(parent, o->tx, &h);
        if (relay_is_reconsiderable(np->relay, &h))
            continue;
        best = o;
        *pkg = h;
    }
    return best;
}

static void orphan_drop(struct netproc *np, const struct hash256 *wtxid)
{
    for (size_t i = 0; i < np->norphans; i++)
        if (hash_eq(&np->orphans[i].tx->wtxid, wtxid)) {
            np_orphan_remove(np, i);
            return;
        }
}

/* Core's ProcessPackageResult for one transaction of the pair. */
static void pkg_result(struct netproc *np, const struct tx *tx, const struct mempool_pkg_tx *r,
                       uint64_t peer, int64_t now)
{
    switch (r->result) {
    case MEMPOOL_PKG_VALID:
        orphan_drop(np, &tx->wtxid);
        np_tx_relay(np, tx, true, peer, now);
        return;
    case MEMPOOL_PKG_INVALID:
        if (r->rej.status == MEMPOOL_MISSING_INPUTS)
            return; /* the package was not judged: the child stays an orphan */
        /* fall through */
    case MEMPOOL_PKG_OTHER_WITNESS:
        orphan_drop(np, &tx->wtxid);
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
    const struct np_orphan *o = child_from(np, parent, peer, &pkg);
    if (!o)
        return;
    struct tx *txs[2] = {parent, tx_ref(o->tx)};
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
            np_orphans_follow(np, &txs[i]->txid, now);
    mempool_pkg_clear(&out);
    tx_free(txs[1]);
}
