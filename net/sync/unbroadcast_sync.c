/* The unbroadcast set in the relay (Bitcoin Core's
 * ReattemptInitialBroadcast and ProcessGetData's RemoveUnbroadcastTx): a
 * local transaction stays in the set until a peer asks for it; while it
 * does, it is announced again every 10-15 minutes, and a second after a
 * peer connects (beyond Core: a node restarted with journaled
 * transactions and no peers yet gets them out as soon as it has some). */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"

#include <stdlib.h>

#define SEC 1000000LL
#define CONNECT_DELAY_US SEC /* lets the handshake's other messages go first */

void np_unbroadcast_submitted(struct netproc *np, const struct tx *tx)
{
    if (!np->opt.unbroadcast)
        return;
    unbroadcast_add(np->opt.unbroadcast, tx);
}

void np_unbroadcast_served(struct netproc *np, const struct hash256 *txid)
{
    if (np->opt.unbroadcast)
        unbroadcast_remove(np->opt.unbroadcast, txid);
}

void np_unbroadcast_peer_connected(struct netproc *np, int64_t now)
{
    if (np->opt.unbroadcast && unbroadcast_count(np->opt.unbroadcast) > 0 &&
        np->unbroadcast_due > now + CONNECT_DELAY_US)
        np->unbroadcast_due = now + CONNECT_DELAY_US;
}

static int64_t next_reattempt(struct netproc *np, int64_t now)
{
    uint64_t jitter = relay_rand(np->relay) % (UNBROADCAST_REATTEMPT_JITTER_S * SEC);
    return now + UNBROADCAST_REATTEMPT_S * SEC + (int64_t)jitter;
}

void np_unbroadcast_tick(struct netproc *np, int64_t now)
{
    struct unbroadcast *u = np->opt.unbroadcast;
    if (!u)
        return;
    if (np->unbroadcast_due == INT64_MAX) /* the first schedule, as Core at start */
        np->unbroadcast_due = next_reattempt(np, now);
    if (now < np->unbroadcast_due)
        return;
    size_t n = 0, again = 0;
    struct hash256 *ids = unbroadcast_txids(u, &n);
    for (size_t i = 0; i < n; i++) {
        if (!mempool_get(np->mempool, &ids[i]))
            unbroadcast_remove(u, &ids[i]); /* the listener missed it: no slot */
        else if (np_reannounce(np, &ids[i], now))
            again++;
    }
    free(ids);
    if (n)
        LOG_DEBUG(LOG_NET, "unbroadcast: %zu transactions, %zu announced again", n, again);
    np->unbroadcast_due = next_reattempt(np, now);
}
