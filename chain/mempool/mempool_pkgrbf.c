/* Package RBF as Bitcoin Core v28 (MemPoolAccept::PackageMempoolChecks,
 * policy/rbf.cpp's GetEntriesForConflicts, PaysForRBF and
 * ImprovesFeerateDiagram, CTxMemPool::CheckConflictTopology and
 * CalculateChunksForRBF): a parent and its child whose conflicts sit in
 * clusters of at most two transactions may evict them when the package
 * pays for it and the mempool's feerate diagram strictly improves. */
#include "chain/mempool/mempool_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fee over a size: one chunk of a feerate diagram (Core's FeeFrac). */
struct chunk {
    int64_t fee, size;
};

/* a's feerate against b's: -1, 0, 1. */
static int rate_cmp(struct chunk a, struct chunk b)
{
    __int128 l = (__int128)a.fee * b.size, r = (__int128)b.fee * a.size;
    return l < r ? -1 : l > r;
}

static int by_rate_desc(const void *a, const void *b)
{
    return rate_cmp(*(const struct chunk *)b, *(const struct chunk *)a);
}

/* Core's CompareChunks over two diagrams sorted by falling feerate: true
 * when fresh is at least as high as old everywhere and higher somewhere.
 * Past its end a diagram goes on flat (feerate 0). */
static bool diagram_better(const struct chunk *old, size_t n_old, const struct chunk *fresh,
                           size_t n_fresh)
{
    const struct chunk *c[2] = { old, fresh };
    size_t len[2] = { n_old, n_fresh }, next[2] = { 0, 0 };
    struct chunk acc[2] = { { 0, 0 }, { 0, 0 } };
    bool better[2] = { false, false };
    while (next[0] < len[0] || next[1] < len[1]) {
        bool done0 = next[0] == len[0], done1 = next[1] == len[1];
        struct chunk pt[2];
        for (int d = 0; d < 2; d++)
            if (next[d] < len[d])
                pt[d] = (struct chunk){ acc[d].fee + c[d][next[d]].fee,
                                        acc[d].size + c[d][next[d]].size };
        /* The side whose next point comes first; P is that point, A and B
         * the other side's points around it. */
        int s = (done0 || done1) ? done0 : pt[0].size > pt[1].size;
        struct chunk ap = { pt[s].fee - acc[!s].fee, pt[s].size - acc[!s].size };
        int cmp;
        if (done0 || done1) {
            cmp = rate_cmp(ap, (struct chunk){ 0, 1 });
        } else {
            struct chunk ab = { pt[!s].fee - acc[!s].fee, pt[!s].size - acc[!s].size };
            cmp = rate_cmp(ap, ab);
            if (pt[!s].size == pt[s].size) {
                acc[!s] = pt[!s];
                next[!s]++;
            }
        }
        if (cmp > 0)
            better[s] = true;
        if (cmp < 0)
            better[!s] = true;
        acc[s] = pt[s];
        next[s]++;
        if (better[0] && better[1])
            return false;
    }
    return better[1] && !better[0];
}

static void txid_hex(const struct mempool_entry *e, char out[HASH_HEX_LEN + 1])
{
    hash_to_hex(&e->tx->txid, out);
}

/* Core's CheckConflictTopology: each direct conflict alone, or one of a
 * parent and child pair that has no other relative. */
static bool topology_ok(const struct mp_vec *direct, char *msg, size_t len)
{
    for (size_t i = 0; i < direct->n; i++) {
        const struct mempool_entry *e = direct->v[i];
        size_t anc = e->fam.anc_count, desc = e->fam.desc_count;
        char me[HASH_HEX_LEN + 1], other[HASH_HEX_LEN + 1];
        txid_hex(e, me);
        if (anc > 2) {
            snprintf(msg, len, "%s has %zu ancestors, max 1 allowed", me, anc - 1);
            return false;
        }
        if (desc > 2) {
            snprintf(msg, len, "%s has %zu descendants, max 1 allowed", me, desc - 1);
            return false;
        }
        if (anc > 1 && desc > 1) {
            snprintf(msg, len, "%s has both ancestor and descendant, exceeding cluster limit of 2",
                     me);
            return false;
        }
        if (desc > 1 && e->children[0]->fam.anc_count > 2) {
            txid_hex(e->children[0], other);
            snprintf(msg, len, "%s is not the only parent of child %s", me, other);
            return false;
        }
        if (anc > 1 && e->parents[0]->fam.desc_count > 2) {
            txid_hex(e->parents[0], other);
            snprintf(msg, len, "%s is not the only child of parent %s", me, other);
            return false;
        }
    }
    return true;
}

/* Core's CalculateChunksForRBF then CompareChunks. Old: the chunks of
 * every cluster touched (each one or two transactions, so trivially
 * linearized). New: what those clusters keep (a conflict's parent that
 * is not evicted) and the package as one chunk. all is marked with ep. */
static bool improves_diagram(const struct mp_vec *direct, const struct mp_vec *all, uint64_t ep,
                             struct chunk package)
{
    struct chunk *old = xcalloc(2 * all->n + 1, sizeof(*old));
    struct chunk *fresh = xcalloc(direct->n + 1, sizeof(*fresh));
    size_t n_old = 0, n_fresh = 0;
    for (size_t i = 0; i < all->n; i++) {
        const struct mempool_entry *e = all->v[i];
        if (e->fam.desc_count > 1)
            continue; /* counted with its child */
        struct chunk self = { e->fee, (int64_t)e->vsize };
        if (e->fam.anc_count > 1) {
            struct chunk pkg = { e->fam.anc_fees, (int64_t)e->fam.anc_vsize };
            if (rate_cmp(self, pkg) > 0) {
                old[n_old++] = pkg;
            } else {
                old[n_old++] = (struct chunk){ pkg.fee - self.fee, pkg.size - self.size };
                old[n_old++] = self;
            }
        } else {
            old[n_old++] = self;
        }
    }
    for (size_t i = 0; i < direct->n; i++) {
        const struct mempool_entry *e = direct->v[i];
        if (e->n_parents && e->parents[0]->mark[1] != ep)
            fresh[n_fresh++] = (struct chunk){ e->parents[0]->fee, (int64_t)e->parents[0]->vsize };
    }
    fresh[n_fresh++] = package;
    qsort(old, n_old, sizeof(*old), by_rate_desc);
    qsort(fresh, n_fresh, sizeof(*fresh), by_rate_desc);
    bool ok = diagram_better(old, n_old, fresh, n_fresh);
    free(old);
    free(fresh);
    return ok;
}

/* Core's FormatMoney: BTC with 8 decimals, trailing zeros cut to two. */
static void fmt_money(int64_t sats, char *out, size_t len)
{
    uint64_t a = sats < 0 ? (uint64_t)0 - (uint64_t)sats : (uint64_t)sats;
    int n = snprintf(out, len, "%s%" PRIu64 ".%08" PRIu64, sats < 0 ? "-" : "", a / 100000000u,
                     a % 100000000u);
    while (n > 0 && (size_t)n < len && out[n - 1] == '0' && out[n - 3] != '.')
        out[--n] = '\0';
}

/* Core's CFeeRate::ToString of a truncated sat/kvB rate. */
static void fmt_rate(int64_t per_kvb, char *out, size_t len)
{
    snprintf(out, len, "%" PRId64 ".%08" PRId64 " BTC/kvB", per_kvb / 100000000,
             per_kvb % 100000000);
}

struct rbf {
    struct mempool *mp;
    struct mempool_pkg *out;
    struct mp_vec direct, all;
    int64_t fee[2];
    size_t vsize[2];
    const struct tx *tx[2]; /* parent, child */
};

static bool refuse(struct rbf *r, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool refuse(struct rbf *r, const char *reason, const char *fmt, ...)
{
    r->out->reason = reason;
    r->out->detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->out->detail, sizeof(r->out->detail), fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Each member judged without the single-transaction replacement rules,
 * the child seeing its parent's outputs. */
static bool members_pass(struct rbf *r, struct tx *const *txs, const size_t *idx,
                         const struct mempool_tip *tip, int64_t now, int64_t max_feerate,
                         struct mempool_pkg_tx *res)
{
    for (int i = 0; i < 2; i++) {
        struct mempool_pkg_tx *pr = &res[idx[i]];
        struct mempool_reject rej;
        r->mp->pkg_txs = r->tx;
        r->mp->n_pkg_txs = (size_t)i;
        enum mempool_status st =
            mp_accept(r->mp, txs[idx[i]], tip, now, now,
                      MP_TEST_ONLY | MP_PACKAGE_FEERATES | MP_PACKAGE_RBF, &rej, &r->fee[i],
                      &r->vsize[i]);
        r->mp->pkg_txs = NULL;
        r->mp->n_pkg_txs = 0;
        if (st != MEMPOOL_ACCEPTED) {
            pr->rej = rej;
            return refuse(r, "transaction failed", NULL);
        }
        if (mp_pkg_exceeds(r->fee[i], r->vsize[i], max_feerate)) {
            mp_pkg_max_feerate_failure(pr);
            return refuse(r, "transaction failed", NULL);
        }
        pr->fee = r->fee[i];
        pr->vsize = r->vsize[i];
    }
    return true;
}

/* The direct conflicts of both members, each once; false when a member
 * has a mempool parent (its cluster would grow past two). */
static bool gather_conflicts(struct rbf *r)
{
    uint64_t ep = ++r->mp->epoch[1];
    for (int i = 0; i < 2; i++) {
        const struct tx *tx = r->tx[i];
        for (size_t j = 0; j < tx->vin_count; j++) {
            const struct outpoint *op = &tx->vin[j].prevout;
            if (mp_find(r->mp, &op->hash))
                return refuse(r, "package RBF failed: new transaction cannot have mempool "
                                 "ancestors", NULL);
            struct mempool_entry *c = mp_find_spender(r->mp, op);
            if (c && c->mark[1] != ep) {
                c->mark[1] = ep;
                mp_vec_push(&r->direct, c);
            }
        }
    }
    return true;
}

/* Rules 5, 3 and 4 over the whole package (the child named, as Core). */
static bool pays_for_rbf(struct rbf *r, int64_t fees, size_t vsize)
{
    char child[HASH_HEX_LEN + 1];
    hash_to_hex(&r->tx[1]->txid, child);
    size_t count = 0;
    for (size_t i = 0; i < r->direct.n; i++) {
        count += r->direct.v[i]->fam.desc_count;
        if (count > MEMPOOL_MAX_REPLACEMENTS)
            return refuse(r, "package RBF failed: too many potential replacements",
                          "rejecting replacement %s; too many potential replacements (%zu > %d)\n",
                          child, count, MEMPOOL_MAX_REPLACEMENTS);
    }
    for (size_t i = 0; i < r->direct.n; i++)
        mp_vec_push(&r->all, r->direct.v[i]);
    mp_walk(r->mp, r->direct.v, r->direct.n, false, &r->all);
    int64_t old_fees = 0;
    for (size_t i = 0; i < r->all.n; i++)
        old_fees += r->all.v[i]->fee;
    char a[32], b[32];
    const char *why = "package RBF failed: insufficient anti-DoS fees";
    if (fees < old_fees) {
        fmt_money(fees, a, sizeof(a));
        fmt_money(old_fees, b, sizeof(b));
        return refuse(r, why, "rejecting replacement %s, less fees than conflicting txs; %s < %s",
                      child, a, b);
    }
    int64_t relay = policy_fee_at(r->mp->opt.incremental_feerate, vsize);
    if (fees - old_fees < relay) {
        fmt_money(fees - old_fees, a, sizeof(a));
        fmt_money(relay, b, sizeof(b));
        return refuse(r, why, "rejecting replacement %s, not enough additional fees to relay; "
                              "%s < %s", child, a, b);
    }
    return true;
}

/* Core's PackageMempoolChecks once the members passed on their own. */
static bool package_rules(struct rbf *r)
{
    int64_t fees = r->fee[0] + r->fee[1];
    size_t vsize = r->vsize[0] + r->vsize[1];
    if (!gather_conflicts(r) || !pays_for_rbf(r, fees, vsize))
        return false;
    /* The package is a chunk of its own: the child is not there only to
     * pay the anti-DoS fees (CFeeRate's truncated sat/kvB, as Core). */
    int64_t parent_rate = r->fee[0] * 1000 / (int64_t)r->vsize[0];
    int64_t package_rate = fees * 1000 / (int64_t)vsize;
    if (package_rate <= parent_rate) {
        char a[48], b[48];
        fmt_rate(package_rate, a, sizeof(a));
        fmt_rate(parent_rate, b, sizeof(b));
        return refuse(r, "package RBF failed: package feerate is less than or equal to parent "
                         "feerate", "package feerate %s <= parent feerate is %s", a, b);
    }
    char msg[200];
    if (!topology_ok(&r->direct, msg, sizeof(msg))) {
        snprintf(r->out->reason_buf, sizeof(r->out->reason_buf), "package RBF failed: %s", msg);
        return refuse(r, r->out->reason_buf, NULL);
    }
    uint64_t ep = ++r->mp->epoch[1];
    for (size_t i = 0; i < r->all.n; i++)
        r->all.v[i]->mark[1] = ep;
    if (!improves_diagram(&r->direct, &r->all, ep, (struct chunk){ fees, (int64_t)vsize }))
        return refuse(r, "package RBF failed: insufficient feerate: does not improve feerate "
                         "diagram", NULL);
    return true;
}

/* Evicts the conflicts and adds both members, listeners told of each. */
static void replace(struct rbf *r, struct tx *const *txs, const size_t *idx,
                    const struct mempool_tip *tip, int64_t now, struct mempool_pkg_tx *res)
{
    char parent[HASH_HEX_LEN + 1];
    hash_to_hex(&r->tx[0]->txid, parent);
    LOG_DEBUG(LOG_MEMPOOL, "package RBF: parent %s replaces %zu mempool transactions", parent,
              r->all.n);
    mp_remove_tree(r->mp, r->direct.v, r->direct.n, MEMPOOL_REMOVED_REPLACED);
    for (int i = 0; i < 2; i++) {
        struct mempool_reject rej;
        /* Cannot fail: every check passed against this mempool less the
         * evicted; a failure is a bug, reported as the member's. */
        if (mp_accept(r->mp, txs[idx[i]], tip, now, now, MP_PACKAGE_FEERATES, &rej, NULL, NULL) !=
            MEMPOOL_ACCEPTED) {
            LOG_ERROR("package RBF: member %d refused after the checks: %s", i, rej.reason);
            res[idx[i]].result = MEMPOOL_PKG_INVALID;
            res[idx[i]].rej = rej;
            r->out->reason = "transaction failed";
            return;
        }
    }
    mp_pkg_valid(res, idx, 2, r->fee[0] + r->fee[1], r->vsize[0] + r->vsize[1]);
}

void mp_package_rbf(struct mempool *mp, struct tx *const *txs, const size_t *idx, size_t k,
                    const struct mempool_tip *tip, int64_t now, int64_t max_feerate,
                    struct mempool_pkg_tx *res, struct mempool_pkg *out)
{
    struct rbf r = { .mp = mp, .out = out };
    if (k != 2 || !mempool_package_is_child_with_parents((struct tx *const[]){ txs[idx[0]],
                                                                               txs[idx[1]] }, 2)) {
        refuse(&r, "package RBF failed: package must be 1-parent-1-child", NULL);
        return;
    }
    r.tx[0] = txs[idx[0]];
    r.tx[1] = txs[idx[1]];
    if (members_pass(&r, txs, idx, tip, now, max_feerate, res)) {
        int64_t floor = mempool_rolling_min_fee(mp, now);
        if (floor < mp->opt.min_relay_feerate)
            floor = mp->opt.min_relay_feerate;
        if (r.fee[0] + r.fee[1] < policy_fee_at(floor, r.vsize[0] + r.vsize[1]))
            refuse(&r, "package-fee-too-low", NULL);
        else if (package_rules(&r))
            replace(&r, txs, idx, tip, now, res);
    }
    mp_vec_free(&r.direct);
    mp_vec_free(&r.all);
}
