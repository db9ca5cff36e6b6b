/* TRUC policy (BIP431), as Bitcoin Core's SingleTRUCChecks and
 * PackageTRUCChecks (src/policy/truc_policy.cpp), with its detail strings. */
#include "chain/mempool/truc.h"

#include <stdarg.h>
#include <stdio.h>

_Static_assert(sizeof(((struct mempool_reject *)0)->detail) >= TRUC_DETAIL_LEN &&
                   sizeof(((struct mempool_pkg *)0)->detail) >= TRUC_DETAIL_LEN,
               "rejection details hold TRUC's");

/* A transaction's txid and wtxid in hex, for the detail strings. */
struct ids {
    char txid[HASH_HEX_LEN + 1], wtxid[HASH_HEX_LEN + 1];
};

static struct ids ids_of(const struct tx *tx)
{
    struct ids r;
    hash_to_hex(&tx->txid, r.txid);
    hash_to_hex(&tx->wtxid, r.wtxid);
    return r;
}

static bool refuse(char err[TRUC_DETAIL_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool refuse(char err[TRUC_DETAIL_LEN], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, TRUC_DETAIL_LEN, fmt, ap);
    va_end(ap);
    return false;
}

/* tx and its unconfirmed parent disagree on being version 3. */
static bool refuse_inherit(char *err, const struct tx *tx, const struct tx *parent)
{
    struct ids me = ids_of(tx), p = ids_of(parent);
    if (tx->version == TRUC_VERSION)
        return refuse(err, "version=3 tx %s (wtxid=%s) cannot spend from non-version=3 tx %s "
                           "(wtxid=%s)", me.txid, me.wtxid, p.txid, p.wtxid);
    return refuse(err, "non-version=3 tx %s (wtxid=%s) cannot spend from version=3 tx %s "
                       "(wtxid=%s)", me.txid, me.wtxid, p.txid, p.wtxid);
}

static bool refuse_size(char *err, const struct tx *tx, size_t vsize)
{
    struct ids me = ids_of(tx);
    return refuse(err, "version=3 tx %s (wtxid=%s) is too big: %zu > %d virtual bytes", me.txid,
                  me.wtxid, vsize, TRUC_MAX_VSIZE);
}

static bool refuse_child_size(char *err, const struct tx *tx, size_t vsize)
{
    struct ids me = ids_of(tx);
    return refuse(err, "version=3 child tx %s (wtxid=%s) is too big: %zu > %d virtual bytes",
                  me.txid, me.wtxid, vsize, TRUC_CHILD_MAX_VSIZE);
}

static bool refuse_ancestors(char *err, const struct tx *tx)
{
    struct ids me = ids_of(tx);
    return refuse(err, "tx %s (wtxid=%s) would have too many ancestors", me.txid, me.wtxid);
}

static bool refuse_descendants(char *err, const struct tx *parent)
{
    struct ids p = ids_of(parent);
    return refuse(err, "tx %s (wtxid=%s) would exceed descendant count limit", p.txid, p.wtxid);
}

/* The parent's other descendants: true when one of them is among the
 * conflicts (it leaves as this transaction enters). */
static bool descendant_replaced(struct mempool *mp, struct mempool_entry *parent,
                                const struct mp_vec *conflicts, struct mempool_entry **only)
{
    struct mp_vec desc = { 0 };
    mp_walk(mp, &parent, 1, false, &desc);
    uint64_t ep = ++mp->epoch[1];
    for (size_t i = 0; i < conflicts->n; i++)
        conflicts->v[i]->mark[1] = ep;
    bool replaced = false;
    for (size_t i = 0; i < desc.n; i++)
        replaced |= desc.v[i]->mark[1] == ep;
    *only = desc.n == 1 ? desc.v[0] : NULL;
    mp_vec_free(&desc);
    return replaced;
}

bool truc_single_check(struct mempool *mp, const struct tx *tx, size_t vsize,
                       const struct mp_vec *parents, const struct mp_vec *conflicts,
                       char err[TRUC_DETAIL_LEN], struct mempool_entry **sibling)
{
    *sibling = NULL;
    bool v3 = tx->version == TRUC_VERSION;
    for (size_t i = 0; i < parents->n; i++)
        if ((parents->v[i]->tx->version == TRUC_VERSION) != v3)
            return refuse_inherit(err, tx, parents->v[i]->tx);
    if (!v3)
        return true;
    if (vsize > TRUC_MAX_VSIZE)
        return refuse_size(err, tx, vsize);
    if (parents->n + 1 > TRUC_ANCESTOR_LIMIT)
        return refuse_ancestors(err, tx);
    if (!parents->n)
        return true;
    struct mempool_entry *parent = parents->v[0];
    if (parent->fam.anc_count + 1 > TRUC_ANCESTOR_LIMIT)
        return refuse_ancestors(err, tx);
    if (vsize > TRUC_CHILD_MAX_VSIZE)
        return refuse_child_size(err, tx, vsize);
    if (parent->fam.desc_count + 1 <= TRUC_DESCENDANT_LIMIT)
        return true;
    /* More than one descendant is possible after a reorg; then no sibling
     * eviction, nor when the sibling has other parents. */
    struct mempool_entry *only;
    if (descendant_replaced(mp, parent, conflicts, &only))
        return true;
    if (parent->fam.desc_count == 2 && only && only->fam.anc_count == 2)
        *sibling = only;
    return refuse_descendants(err, parent->tx);
}

/* The distinct in-mempool parents of tx: how many, and the first. */
static struct mempool_entry *mempool_parents(const struct mempool *mp, const struct tx *tx,
                                             size_t *count)
{
    struct mempool_entry *first = NULL;
    *count = 0;
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct mempool_entry *p = mp_find(mp, &tx->vin[i].prevout.hash);
        bool seen = false;
        for (size_t j = 0; p && !seen && j < i; j++)
            seen = hash_eq(&tx->vin[j].prevout.hash, &tx->vin[i].prevout.hash);
        if (p && !seen && !(*count)++)
            first = p;
    }
    return first;
}

/* The parent's child slot: no other package member spends it, none spends
 * tx (it would be a third generation), no mempool child holds it. */
static bool package_child_slot(struct tx *const *pkg, size_t n, size_t i, const struct tx *parent,
                               bool has_mempool_child, char *err)
{
    for (size_t k = 0; k < n; k++) {
        if (k == i)
            continue;
        for (size_t j = 0; j < pkg[k]->vin_count; j++) {
            const struct hash256 *h = &pkg[k]->vin[j].prevout.hash;
            if (hash_eq(h, &parent->txid))
                return refuse_descendants(err, parent);
            if (hash_eq(h, &pkg[i]->txid))
                return refuse_ancestors(err, pkg[k]);
        }
    }
    return has_mempool_child ? refuse_descendants(err, parent) : true;
}

bool truc_package_check(const struct mempool *mp, struct tx *const *pkg, size_t n, size_t i,
                        size_t vsize, char err[TRUC_DETAIL_LEN])
{
    const struct tx *tx = pkg[i];
    if (tx->version != TRUC_VERSION) {
        for (size_t k = 0; k < tx->vin_count; k++) {
            const struct mempool_entry *p = mp_find(mp, &tx->vin[k].prevout.hash);
            if (p && p->tx->version == TRUC_VERSION)
                return refuse_inherit(err, tx, p->tx);
        }
        for (size_t j = 0; j < i; j++)
            if (pkg[j]->version == TRUC_VERSION && tx_spends(tx, &pkg[j]->txid))
                return refuse_inherit(err, tx, pkg[j]);
        return true;
    }
    if (vsize > TRUC_MAX_VSIZE)
        return refuse_size(err, tx, vsize);
    size_t n_mempool, n_package = 0, first = 0;
    const struct mempool_entry *mp_parent = mempool_parents(mp, tx, &n_mempool);
    for (size_t j = i; j-- > 0;) {
        if (tx_spends(tx, &pkg[j]->txid)) {
            n_package++;
            first = j;
        }
    }
    if (n_mempool + n_package + 1 > TRUC_ANCESTOR_LIMIT ||
        (mp_parent && mp_parent->fam.anc_count + n_package + 1 > TRUC_ANCESTOR_LIMIT))
        return refuse_ancestors(err, tx);
    if (!n_mempool && !n_package)
        return true;
    if (vsize > TRUC_CHILD_MAX_VSIZE)
        return refuse_child_size(err, tx, vsize);
    const struct tx *parent = mp_parent ? mp_parent->tx : pkg[first];
    if (parent->version != TRUC_VERSION)
        return refuse_inherit(err, tx, parent);
    return package_child_slot(pkg, n, i, parent, mp_parent && mp_parent->fam.desc_count > 1, err);
}
