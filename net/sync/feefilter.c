/* The feefilter we send (BIP133), as Bitcoin Core's MaybeSendFeefilter:
 * during initial download the largest filter there is, since we drop the
 * transactions peers would announce; after it, the mempool's rolling
 * minimum fee, never below -minrelaytxfee. The value is rounded down to
 * one of a fixed set of fee buckets, at random sometimes to the one above
 * (Core's FeeFilterRounder), so that it does not reveal our mempool's
 * exact state; it is sent again on a Poisson schedule of 10 minutes on
 * average, sooner (within 5 minutes) when the fee moved by more than a
 * third, and only when it differs from what the peer last heard. */
#include "net/sync/netproc_int.h"

#include "chain/primitives/tx.h"
#include "net/relay/prng.h"

#define SEC 1000000LL
#define AVG_BROADCAST_US (10 * 60 * SEC)  /* AVG_FEEFILTER_BROADCAST_INTERVAL */
#define MAX_CHANGE_DELAY_US (5 * 60 * SEC) /* MAX_FEEFILTER_CHANGE_DELAY */
#define MAX_FILTER_FEERATE 1e7
#define FILTER_SPACING 1.1

void np_feeround_init(struct np_feeround *r, int64_t min_incremental)
{
    int64_t least = min_incremental / 2 > 1 ? min_incremental / 2 : 1;
    r->n = 0;
    r->b[r->n++] = 0;
    for (double b = (double)least; b <= MAX_FILTER_FEERATE && r->n < NP_FEEROUND_BUCKETS;
         b *= FILTER_SPACING)
        r->b[r->n++] = b;
}

int64_t np_feeround(const struct np_feeround *r, int64_t fee, uint64_t rand)
{
    size_t lo = 0, hi = r->n; /* the first bucket >= fee */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->b[mid] < (double)fee)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Down one bucket two times out of three: the bucket above the fee
     * is sent only a third of the time, never one above the largest. */
    if (lo == r->n || (lo > 0 && rand % 3 != 0))
        lo--;
    return (int64_t)r->b[lo];
}

static bool wants_feefilter(const struct netproc *np, const struct np_peer *p)
{
    /* Not in blocks-only mode, nor to block-relay-only peers: they never
     * announce transactions to us. (Core's forcerelay permission case:
     * hearsay has no permissions.) */
    return !np->opt.blocksonly && p->version >= PROTO_FEEFILTER_VERSION &&
           p->kind != PEER_BLOCK_RELAY && p->kind != PEER_FEELER;
}

void np_feefilter_send(struct netproc *np, struct np_peer *p, int64_t now)
{
    if (!wants_feefilter(np, p))
        return;
    int64_t current = mempool_rolling_min_fee(np->mempool, np_wall_now(np));
    if (chainstate_initial_download(np->chain)) {
        current = TX_MAX_MONEY;
    } else if (p->feefilter_sent == np->feefilter_max) {
        p->feefilter_due = 0; /* out of initial download: the real filter now */
    }
    if (now > p->feefilter_due) {
        int64_t floor = mempool_get_options(np->mempool)->min_relay_feerate;
        int64_t f = np_feeround(&np->feeround, current, relay_rand(np->relay));
        if (f < floor)
            f = floor;
        if (f != p->feefilter_sent) {
            wbuf_reset(&np->scratch);
            wbuf_i64(&np->scratch, f);
            np_send(np, p->id, PROTO_CMD_FEEFILTER, &np->scratch);
            p->feefilter_sent = f;
        }
        uint64_t s = relay_rand(np->relay);
        p->feefilter_due = now + prng_exp(&s, AVG_BROADCAST_US);
    } else if (now + MAX_CHANGE_DELAY_US < p->feefilter_due &&
               (current < 3 * p->feefilter_sent / 4 || current > 4 * p->feefilter_sent / 3)) {
        p->feefilter_due = now + (int64_t)(relay_rand(np->relay) % MAX_CHANGE_DELAY_US);
    }
}

int64_t np_feefilter_wakeup(const struct netproc *np)
{
    int64_t w = INT64_MAX;
    for (size_t i = 0; i < np->npeers; i++) {
        const struct np_peer *p = &np->peers[i];
        if (wants_feefilter(np, p) && p->feefilter_due < w - 1)
            w = p->feefilter_due + 1; /* due strictly after */
    }
    return w;
}
