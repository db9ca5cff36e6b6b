#include "chain/mempool/mempool_int.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/primitives/params.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/blockindex.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/locktime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLLING_FEE_HALFLIFE (12 * 60 * 60)

void mp_vec_push(struct mp_vec *v, struct mempool_entry *e)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = e;
}

void mp_vec_free(struct mp_vec *v)
{
    free(v->v);
    memset(v, 0, sizeof(*v));
}

void mempool_options_default(struct mempool_options *o)
{
    memset(o, 0, sizeof(*o));
    o->min_relay_feerate = MEMPOOL_DEFAULT_MIN_RELAY_FEERATE;
    o->incremental_feerate = MEMPOOL_DEFAULT_INCREMENTAL_FEERATE;
    o->max_usage = (size_t)MEMPOOL_DEFAULT_MAX_MB * 1000000;
    o->expiry = (int64_t)MEMPOOL_DEFAULT_EXPIRY_HOURS * 3600;
    o->ancestor_count = o->descendant_count = MEMPOOL_DEFAULT_ANCESTOR_COUNT;
    o->ancestor_vsize = o->descendant_vsize = MEMPOOL_DEFAULT_ANCESTOR_VSIZE;
    o->require_standard = true;
    o->check_scripts = true;
    o->max_datacarrier = POLICY_MAX_OP_RETURN_RELAY;
    o->permit_bare_multisig = true;
    o->dust_feerate = POLICY_DUST_RELAY_FEERATE;
}

struct mempool *mempool_new(const struct mempool_options *o, coin_lookup_fn lookup, void *ctx)
{
    struct mempool *mp = xcalloc(1, sizeof(*mp));
    mp->opt = *o;
    mp->std.max_datacarrier = o->max_datacarrier;
    mp->std.permit_bare_multisig = o->permit_bare_multisig;
    mp->std.dust_feerate = o->dust_feerate;
    mp->lookup = lookup;
    mp->lookup_ctx = ctx;
    mp->sequence = 1; /* as Core's m_sequence_number */
    mpmap_init(&mp->by_txid);
    mpmap_init(&mp->by_wtxid);
    mpmap_init(&mp->by_spent);
    return mp;
}

void mempool_set_caches(struct mempool *mp, struct sigcache *sigs, struct scriptcache *scripts)
{
    mp->scripts.sigcache = sigs;
    mp->scripts.cache = scripts;
}

static void entry_free(struct mempool_entry *e)
{
    tx_free(e->tx);
    free(e->parents);
    free(e->children);
    free(e);
}

void mempool_free(struct mempool *mp)
{
    if (!mp)
        return;
    struct mempool_entry *e = mp->oldest;
    while (e) {
        struct mempool_entry *next = e->newer;
        entry_free(e);
        e = next;
    }
    mpmap_free(&mp->by_txid);
    mpmap_free(&mp->by_wtxid);
    mpmap_free(&mp->by_spent);
    free(mp->heap);
    mp_vec_free(&mp->scratch);
    free(mp);
}

int mempool_add_listener(struct mempool *mp, const struct mempool_listener *l)
{
    if (mp->n_listeners == MEMPOOL_MAX_LISTENERS)
        return -1;
    mp->listeners[mp->n_listeners++] = *l;
    return 0;
}

void mempool_remove_listener(struct mempool *mp, const void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < mp->n_listeners; i++)
        if (mp->listeners[i].ctx != ctx)
            mp->listeners[kept++] = mp->listeners[i];
    mp->n_listeners = kept;
}

uint64_t mempool_sequence(const struct mempool *mp)
{
    return mp->sequence;
}

const char *mempool_removal_name(enum mempool_removal why)
{
    switch (why) {
    case MEMPOOL_REMOVED_BLOCK:
        return "block";
    case MEMPOOL_REMOVED_CONFLICT:
        return "conflict";
    case MEMPOOL_REMOVED_REPLACED:
        return "replaced";
    case MEMPOOL_REMOVED_SIZELIMIT:
        return "sizelimit";
    case MEMPOOL_REMOVED_EXPIRY:
        return "expiry";
    case MEMPOOL_REMOVED_REORG:
        return "reorg";
    }
    return "unknown";
}

/* ---- indexes ---- */

uint64_t mp_outpoint_key(const struct outpoint *op)
{
    return hash_cheap(&op->hash) ^ ((uint64_t)op->n * 0x9e3779b97f4a7c15ull);
}

static struct mempool_entry *find_by(const struct mpmap *m, const struct hash256 *h, bool wtxid)
{
    uint64_t key = hash_cheap(h);
    size_t it = mpmap_start(m, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(m, key, &it))) {
        struct mempool_entry *e = s->val;
        if (hash_eq(wtxid ? &e->tx->wtxid : &e->tx->txid, h))
            return e;
    }
    return NULL;
}

struct mempool_entry *mp_find(const struct mempool *mp, const struct hash256 *txid)
{
    return find_by(&mp->by_txid, txid, false);
}

struct mempool_entry *mp_find_spender(const struct mempool *mp, const struct outpoint *op)
{
    uint64_t key = mp_outpoint_key(op);
    size_t it = mpmap_start(&mp->by_spent, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(&mp->by_spent, key, &it))) {
        struct mempool_entry *e = s->val;
        const struct outpoint *o = &e->tx->vin[s->aux].prevout;
        if (o->n == op->n && hash_eq(&o->hash, &op->hash))
            return e;
    }
    return NULL;
}

const struct mempool_entry *mempool_get(const struct mempool *mp, const struct hash256 *txid)
{
    return mp_find(mp, txid);
}

const struct mempool_entry *mempool_get_wtxid(const struct mempool *mp,
                                              const struct hash256 *wtxid)
{
    return find_by(&mp->by_wtxid, wtxid, true);
}

const struct mempool_entry *mempool_spender(const struct mempool *mp, const struct outpoint *op)
{
    return mp_find_spender(mp, op);
}

/* ---- graph walks and family totals ---- */

void mp_walk(struct mempool *mp, struct mempool_entry *const *start, size_t n, bool up,
             struct mp_vec *out)
{
    /* Walks use mark[0]; family recomputation (which runs while a caller
     * holds a walk's result) uses mark[1]. */
    uint64_t ep = ++mp->epoch[0];
    for (size_t i = 0; i < n; i++)
        start[i]->mark[0] = ep;
    size_t from = out->n;
    for (size_t i = 0; i < n; i++)
        mp_vec_push(out, start[i]);
    /* The start entries sit at the front of the work list; they are
     * dropped from the result at the end. */
    for (size_t k = from; k < out->n; k++) {
        struct mempool_entry *e = out->v[k];
        struct mempool_entry **rel = up ? e->parents : e->children;
        size_t nrel = up ? e->n_parents : e->n_children;
        for (size_t j = 0; j < nrel; j++) {
            if (rel[j]->mark[0] != ep) {
                rel[j]->mark[0] = ep;
                mp_vec_push(out, rel[j]);
            }
        }
    }
    if (n) {
        memmove(out->v + from, out->v + from + n, (out->n - from - n) * sizeof(*out->v));
        out->n -= n;
    }
}

size_t mempool_relatives(struct mempool *mp, const struct mempool_entry *e, bool up,
                         const struct mempool_entry ***out)
{
    struct mp_vec v = {0};
    struct mempool_entry *start = mp_find(mp, &e->tx->txid);
    mp_walk(mp, &start, 1, up, &v);
    *out = (const struct mempool_entry **)v.v;
    return v.n;
}

/* Sums the entry and its ancestors (up) or descendants. */
static void family_sum(struct mempool *mp, struct mempool_entry *e, bool up, size_t *count,
                       size_t *vsize, int64_t *fees)
{
    uint64_t ep = ++mp->epoch[1];
    struct mp_vec *work = &mp->scratch; /* kept between calls: no allocation */
    work->n = 0;
    e->mark[1] = ep;
    mp_vec_push(work, e);
    *count = 0;
    *vsize = 0;
    *fees = 0;
    for (size_t k = 0; k < work->n; k++) {
        struct mempool_entry *x = work->v[k];
        (*count)++;
        *vsize += x->vsize;
        *fees += x->fee;
        struct mempool_entry **rel = up ? x->parents : x->children;
        size_t nrel = up ? x->n_parents : x->n_children;
        for (size_t j = 0; j < nrel; j++) {
            if (rel[j]->mark[1] != ep) {
                rel[j]->mark[1] = ep;
                mp_vec_push(work, rel[j]);
            }
        }
    }
}

/* ---- eviction heap (lowest descendant score on top) ---- */

/* Core's descendant score: the higher of the entry's own feerate and its
 * package-with-descendants feerate, so a high-fee parent of a cheap child
 * is not evicted before cheap packages. */
static void desc_score(const struct mempool_entry *e, int64_t *fee, size_t *size)
{
    const struct mempool_family *f = &e->fam;
    if ((__int128)e->fee * (__int128)f->desc_vsize > (__int128)f->desc_fees * (__int128)e->vsize) {
        *fee = e->fee;
        *size = e->vsize;
    } else {
        *fee = f->desc_fees;
        *size = f->desc_vsize;
    }
}

static bool evict_before(const struct mempool_entry *a, const struct mempool_entry *b)
{
    int64_t fa, fb;
    size_t sa, sb;
    desc_score(a, &fa, &sa);
    desc_score(b, &fb, &sb);
    __int128 l = (__int128)fa * (__int128)sb, r = (__int128)fb * (__int128)sa;
    if (l != r)
        return l < r;
    return a->time > b->time; /* equal scores: the newer goes first */
}

static void heap_set(struct mempool *mp, size_t i, struct mempool_entry *e)
{
    mp->heap[i] = e;
    e->heap_pos = i;
}

static void heap_up(struct mempool *mp, size_t i)
{
    struct mempool_entry *e = mp->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!evict_before(e, mp->heap[parent]))
            break;
        heap_set(mp, i, mp->heap[parent]);
        i = parent;
    }
    heap_set(mp, i, e);
}

static void heap_down(struct mempool *mp, size_t i)
{
    struct mempool_entry *e = mp->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= mp->heap_len)
            break;
        if (c + 1 < mp->heap_len && evict_before(mp->heap[c + 1], mp->heap[c]))
            c++;
        if (!evict_before(mp->heap[c], e))
            break;
        heap_set(mp, i, mp->heap[c]);
        i = c;
    }
    heap_set(mp, i, e);
}

static void heap_fix(struct mempool *mp, struct mempool_entry *e)
{
    heap_up(mp, e->heap_pos);
    heap_down(mp, e->heap_pos);
}

static void heap_insert(struct mempool *mp, struct mempool_entry *e)
{
    if (mp->heap_len == mp->heap_cap) {
        mp->heap_cap = mp->heap_cap ? mp->heap_cap * 2 : 64;
        mp->heap = xrealloc(mp->heap, mp->heap_cap * sizeof(*mp->heap));
    }
    heap_set(mp, mp->heap_len++, e);
    heap_up(mp, e->heap_pos);
}

static void heap_remove(struct mempool *mp, struct mempool_entry *e)
{
    size_t i = e->heap_pos;
    struct mempool_entry *last = mp->heap[--mp->heap_len];
    if (last == e)
        return;
    heap_set(mp, i, last);
    heap_fix(mp, last);
}

static void refresh_desc(struct mempool *mp, struct mempool_entry *e)
{
    struct mempool_family *f = &e->fam;
    family_sum(mp, e, false, &f->desc_count, &f->desc_vsize, &f->desc_fees);
    heap_fix(mp, e);
}

static void refresh_anc(struct mempool *mp, struct mempool_entry *e)
{
    struct mempool_family *f = &e->fam;
    family_sum(mp, e, true, &f->anc_count, &f->anc_vsize, &f->anc_fees);
}

/* ---- adding and removing ---- */

static void link_push(struct mempool_entry ***arr, size_t *n, size_t *cap,
                      struct mempool_entry *e)
{
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i] == e)
            return; /* several inputs from one parent: one link */
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 2;
        *arr = xrealloc(*arr, *cap * sizeof(**arr));
    }
    (*arr)[(*n)++] = e;
}

static void link_drop(struct mempool_entry **arr, size_t *n, const struct mempool_entry *e)
{
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] == e) {
            arr[i] = arr[--*n];
            return;
        }
    }
}

/* What an entry costs in memory: the parsed transaction and its arrays,
 * the entry, and its share of the index slots. */
static size_t entry_usage(const struct tx *tx)
{
    size_t wit = 0;
    for (size_t i = 0; i < tx->vin_count; i++)
        wit += tx->vin[i].wit_count;
    return sizeof(struct mempool_entry) + sizeof(struct tx) + tx->size +
           tx->vin_count * sizeof(struct tx_in) + tx->vout_count * sizeof(struct tx_out) +
           wit * sizeof(struct tx_witem) +
           (2 + tx->vin_count) * sizeof(struct mpmap_slot) * 4 / 3 +
           (tx->vin_count + tx->vout_count) * sizeof(void *) + sizeof(void *);
}

static void link_graph(struct mempool *mp, struct mempool_entry *e)
{
    const struct tx *tx = e->tx;
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct mempool_entry *p = mp_find(mp, &tx->vin[i].prevout.hash);
        if (p) {
            link_push(&e->parents, &e->n_parents, &e->cap_parents, p);
            link_push(&p->children, &p->n_children, &p->cap_children, e);
        }
    }
    /* A transaction returned by a disconnected block may already have
     * children in the mempool. */
    for (uint32_t i = 0; i < tx->vout_count; i++) {
        struct outpoint op = {tx->txid, i};
        struct mempool_entry *c = mp_find_spender(mp, &op);
        if (c) {
            link_push(&e->children, &e->n_children, &e->cap_children, c);
            link_push(&c->parents, &c->n_parents, &c->cap_parents, e);
        }
    }
}

void mp_add(struct mempool *mp, struct mempool_entry *e)
{
    link_graph(mp, e);
    const struct tx *tx = e->tx;
    mpmap_put(&mp->by_txid, hash_cheap(&tx->txid), e, 0);
    mpmap_put(&mp->by_wtxid, hash_cheap(&tx->wtxid), e, 0);
    for (uint32_t i = 0; i < tx->vin_count; i++)
        mpmap_put(&mp->by_spent, mp_outpoint_key(&tx->vin[i].prevout), e, i);
    e->older = mp->newest;
    if (mp->newest)
        mp->newest->newer = e;
    else
        mp->oldest = e;
    mp->newest = e;
    e->usage = entry_usage(tx);
    mp->count++;
    mp->total_vsize += e->vsize;
    mp->total_fee += e->fee;
    mp->entries_usage += e->usage;

    refresh_anc(mp, e);
    struct mempool_family *f = &e->fam;
    family_sum(mp, e, false, &f->desc_count, &f->desc_vsize, &f->desc_fees);
    heap_insert(mp, e);
    struct mp_vec rel = {0};
    mp_walk(mp, &e, 1, true, &rel);
    for (size_t i = 0; i < rel.n; i++) {
        if (e->n_children) {
            refresh_desc(mp, rel.v[i]);
        } else {
            /* The usual case: a new leaf adds itself to each ancestor. */
            struct mempool_family *af = &rel.v[i]->fam;
            af->desc_count++;
            af->desc_vsize += e->vsize;
            af->desc_fees += e->fee;
            heap_fix(mp, rel.v[i]);
        }
    }
    rel.n = 0;
    if (e->n_children) {
        mp_walk(mp, &e, 1, false, &rel);
        for (size_t i = 0; i < rel.n; i++)
            refresh_anc(mp, rel.v[i]);
    }
    mp_vec_free(&rel);
    uint64_t seq = mp->sequence++;
    e->sequence = seq;
    for (size_t k = 0; k < mp->n_listeners; k++)
        if (mp->listeners[k].added)
            mp->listeners[k].added(mp->listeners[k].ctx, tx, seq);
}

/* Unlinks and frees one entry; family totals of others are fixed by the
 * caller. */
static void unlink_entry(struct mempool *mp, struct mempool_entry *e, enum mempool_removal why)
{
    const struct tx *tx = e->tx;
    if (log_accept(LOG_MEMPOOL)) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&tx->txid, hex);
        LOG_DEBUG(LOG_MEMPOOL, "mempool: removed %s (%s)", hex, mempool_removal_name(why));
    }
    uint64_t seq = mp->sequence++;
    for (size_t i = 0; i < mp->n_listeners; i++)
        if (mp->listeners[i].removed)
            mp->listeners[i].removed(mp->listeners[i].ctx, tx, why, seq);
    for (size_t i = 0; i < e->n_parents; i++)
        link_drop(e->parents[i]->children, &e->parents[i]->n_children, e);
    for (size_t i = 0; i < e->n_children; i++)
        link_drop(e->children[i]->parents, &e->children[i]->n_parents, e);
    mpmap_del(&mp->by_txid, hash_cheap(&tx->txid), e, 0);
    mpmap_del(&mp->by_wtxid, hash_cheap(&tx->wtxid), e, 0);
    for (uint32_t i = 0; i < tx->vin_count; i++)
        mpmap_del(&mp->by_spent, mp_outpoint_key(&tx->vin[i].prevout), e, i);
    if (e->older)
        e->older->newer = e->newer;
    else
        mp->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        mp->newest = e->older;
    heap_remove(mp, e);
    mp->count--;
    mp->total_vsize -= e->vsize;
    mp->total_fee -= e->fee;
    mp->entries_usage -= e->usage;
    entry_free(e);
}

/* Removes exactly the given entries (descendants stay), then refreshes
 * the family totals of the relatives left behind. */
static void remove_set(struct mempool *mp, struct mempool_entry *const *es, size_t n,
                       enum mempool_removal why)
{
    struct mp_vec up = {0}, down = {0};
    mp_walk(mp, es, n, true, &up);
    mp_walk(mp, es, n, false, &down);
    for (size_t i = 0; i < n; i++)
        unlink_entry(mp, es[i], why);
    for (size_t i = 0; i < up.n; i++)
        refresh_desc(mp, up.v[i]);
    for (size_t i = 0; i < down.n; i++)
        refresh_anc(mp, down.v[i]);
    mp_vec_free(&up);
    mp_vec_free(&down);
}

void mp_remove_tree(struct mempool *mp, struct mempool_entry *const *es, size_t n,
                    enum mempool_removal why)
{
    struct mp_vec all = {0};
    for (size_t i = 0; i < n; i++)
        mp_vec_push(&all, es[i]);
    mp_walk(mp, es, n, false, &all);
    remove_set(mp, all.v, all.n, why);
    mp_vec_free(&all);
}

/* ---- size limit, rolling fee, expiry ---- */

int64_t mempool_rolling_min_fee(struct mempool *mp, int64_t now)
{
    if (!mp->block_since_bump || mp->rolling_fee == 0)
        return llround(mp->rolling_fee);
    if (now > mp->rolling_updated + 10) {
        double halflife = ROLLING_FEE_HALFLIFE;
        size_t usage = mempool_usage(mp);
        if (usage < mp->opt.max_usage / 4)
            halflife /= 4;
        else if (usage < mp->opt.max_usage / 2)
            halflife /= 2;
        mp->rolling_fee /= pow(2.0, (double)(now - mp->rolling_updated) / halflife);
        mp->rolling_updated = now;
        if (mp->rolling_fee < (double)mp->opt.incremental_feerate / 2) {
            mp->rolling_fee = 0;
            return 0;
        }
    }
    int64_t r = llround(mp->rolling_fee);
    return r > mp->opt.incremental_feerate ? r : mp->opt.incremental_feerate;
}

int64_t mempool_min_fee(struct mempool *mp, int64_t now)
{
    int64_t r = mempool_rolling_min_fee(mp, now);
    return r > mp->opt.min_relay_feerate ? r : mp->opt.min_relay_feerate;
}

void mp_trim(struct mempool *mp, int64_t now)
{
    int64_t max_removed = 0;
    while (mp->count && mempool_usage(mp) > mp->opt.max_usage) {
        struct mempool_entry *e = mp->heap[0];
        /* The next transaction must beat the evicted package by the
         * incremental feerate, or the pool would churn. */
        int64_t rate = (int64_t)(((__int128)e->fam.desc_fees * 1000) / (__int128)e->fam.desc_vsize) +
                       mp->opt.incremental_feerate;
        if ((double)rate > mp->rolling_fee) {
            mp->rolling_fee = (double)rate;
            mp->rolling_updated = now;
            mp->block_since_bump = false;
        }
        if (rate > max_removed)
            max_removed = rate;
        mp_remove_tree(mp, &e, 1, MEMPOOL_REMOVED_SIZELIMIT);
    }
    if (max_removed)
        LOG_DEBUG(LOG_MEMPOOL, "mempool: trimmed to %zu bytes, minimum fee now %lld sat/kvB",
                  mempool_usage(mp), (long long)max_removed);
}

struct arrival {
    struct mempool_entry *e;
    size_t pos; /* place in the list before sorting: keeps the sort stable */
};

static int by_time(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;
    if (x->e->time != y->e->time)
        return x->e->time < y->e->time ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void mp_sort_arrivals(struct mempool *mp)
{
    if (mp->count < 2)
        return;
    struct arrival *all = xmalloc(mp->count * sizeof(*all));
    size_t n = 0;
    for (struct mempool_entry *e = mp->oldest; e; e = e->newer, n++)
        all[n] = (struct arrival){e, n};
    qsort(all, n, sizeof(*all), by_time);
    for (size_t i = 0; i < n; i++) {
        all[i].e->older = i ? all[i - 1].e : NULL;
        all[i].e->newer = i + 1 < n ? all[i + 1].e : NULL;
    }
    mp->oldest = all[0].e;
    mp->newest = all[n - 1].e;
    free(all);
}

size_t mempool_expire(struct mempool *mp, int64_t now)
{
    size_t before = mp->count;
    /* Entries are in arrival order, so the expired ones are at the front;
     * removing one may take younger descendants along, which is why the
     * loop re-reads the oldest each time. */
    while (mp->oldest && mp->oldest->time < now - mp->opt.expiry) {
        struct mempool_entry *e = mp->oldest;
        mp_remove_tree(mp, &e, 1, MEMPOOL_REMOVED_EXPIRY);
    }
    return before - mp->count;
}

/* ---- blocks ---- */

void mempool_block_connected(struct mempool *mp, const struct block *b,
                             const struct mempool_tip *tip)
{
    size_t before = mp->count;
    /* Conflicts first: anything spending an output the block spends,
     * other than the block's own transaction, can never confirm now. */
    for (size_t t = 0; t < b->tx_count; t++) {
        const struct tx *tx = b->txs[t];
        if (tx_is_coinbase(tx))
            continue;
        for (size_t i = 0; i < tx->vin_count; i++) {
            struct mempool_entry *s = mp_find_spender(mp, &tx->vin[i].prevout);
            if (s && !hash_eq(&s->tx->txid, &tx->txid))
                mp_remove_tree(mp, &s, 1, MEMPOOL_REMOVED_CONFLICT);
        }
    }
    struct mp_vec confirmed = {0};
    for (size_t t = 0; t < b->tx_count; t++) {
        struct mempool_entry *e = mp_find(mp, &b->txs[t]->txid);
        if (e)
            mp_vec_push(&confirmed, e);
    }
    remove_set(mp, confirmed.v, confirmed.n, MEMPOOL_REMOVED_BLOCK);
    LOG_DEBUG(LOG_MEMPOOL, "mempool: block at height %d confirmed %zu, removed %zu conflicts",
              tip->height, confirmed.n, before - mp->count - confirmed.n);
    mp_vec_free(&confirmed);
    mp->block_since_bump = true;
}

/* Removes the spenders of tx's outputs with their descendants: they
 * depend on a transaction that is in neither the chain nor the mempool. */
static void remove_spenders_of(struct mempool *mp, const struct tx *tx)
{
    for (uint32_t i = 0; i < tx->vout_count; i++) {
        struct outpoint op = {tx->txid, i};
        struct mempool_entry *s = mp_find_spender(mp, &op);
        if (s)
            mp_remove_tree(mp, &s, 1, MEMPOOL_REMOVED_REORG);
    }
}

void mempool_block_disconnected(struct mempool *mp, const struct block *b,
                                const struct mempool_tip *tip, int64_t now)
{
    for (size_t t = 0; t < b->tx_count; t++) {
        struct tx *tx = b->txs[t];
        struct mempool_reject rej;
        if (tx_is_coinbase(tx) || mp_accept(mp, tx, tip, now, now, MP_BYPASS_LIMITS, &rej, NULL, NULL) != MEMPOOL_ACCEPTED) {
            if (!tx_is_coinbase(tx))
                LOG_DEBUG(LOG_MEMPOOL, "mempool: disconnected tx not returned: %s", rej.reason);
            remove_spenders_of(mp, tx);
        }
    }
    /* A lower tip can make locktimes and BIP68 locks non-final and
     * coinbase spends immature again. (Lock points are those computed at
     * acceptance; coins that moved from a disconnected block into the
     * mempool are younger than that, which this does not re-evaluate.) */
    struct mp_vec bad = {0};
    for (struct mempool_entry *e = mp->oldest; e; e = e->newer) {
        bool immature = e->cb_height >= 0 &&
                        tip->height + 1 - e->cb_height < PARAMS_COINBASE_MATURITY;
        struct locktime_seq l = {e->lock_height, e->lock_time};
        bool locked = !locktime_sequence_passed(&l, tip->height + 1, tip->mtp);
        if (immature || locked || !locktime_tx_final(e->tx, tip->height + 1, tip->mtp))
            mp_vec_push(&bad, e);
    }
    if (bad.n)
        mp_remove_tree(mp, bad.v, bad.n, MEMPOOL_REMOVED_REORG);
    mp_vec_free(&bad);
    mp_trim(mp, now);
}

/* ---- accessors ---- */

const struct mempool_entry *mempool_first(const struct mempool *mp)
{
    return mp->oldest;
}

const struct mempool_entry *mempool_next(const struct mempool_entry *e)
{
    return e->newer;
}

size_t mempool_count(const struct mempool *mp)
{
    return mp->count;
}

size_t mempool_bytes(const struct mempool *mp)
{
    return mp->total_vsize;
}

size_t mempool_usage(const struct mempool *mp)
{
    return mp->entries_usage + mpmap_usage(&mp->by_txid) + mpmap_usage(&mp->by_wtxid) +
           mpmap_usage(&mp->by_spent) + mp->heap_cap * sizeof(*mp->heap);
}

int64_t mempool_total_fee(const struct mempool *mp)
{
    return mp->total_fee;
}

const struct mempool_options *mempool_get_options(const struct mempool *mp)
{
    return &mp->opt;
}

struct tx *mempool_entry_tx(const struct mempool_entry *e)
{
    return e->tx;
}

int64_t mempool_entry_fee(const struct mempool_entry *e)
{
    return e->fee;
}

size_t mempool_entry_vsize(const struct mempool_entry *e)
{
    return e->vsize;
}

size_t mempool_entry_weight(const struct mempool_entry *e)
{
    return e->weight;
}

int64_t mempool_entry_time(const struct mempool_entry *e)
{
    return e->time;
}

uint64_t mempool_entry_sequence(const struct mempool_entry *e)
{
    return e->sequence;
}

int32_t mempool_entry_height(const struct mempool_entry *e)
{
    return e->height;
}

unsigned mempool_entry_sigop_cost(const struct mempool_entry *e)
{
    return e->sigop_cost;
}

void mempool_entry_family(const struct mempool_entry *e, struct mempool_family *f)
{
    *f = e->fam;
}

size_t mempool_entry_parents(const struct mempool_entry *e,
                             const struct mempool_entry *const **out)
{
    *out = (const struct mempool_entry *const *)e->parents;
    return e->n_parents;
}

size_t mempool_entry_children(const struct mempool_entry *e,
                              const struct mempool_entry *const **out)
{
    *out = (const struct mempool_entry *const *)e->children;
    return e->n_children;
}

/* ---- consistency check ---- */

static bool holds(struct mempool_entry *const *arr, size_t n, const struct mempool_entry *e)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i] == e)
            return true;
    return false;
}

/* The links of e match its inputs and outputs. */
static const char *check_links(const struct mempool *mp, const struct mempool_entry *e)
{
    const struct tx *tx = e->tx;
    for (size_t i = 0; i < tx->vin_count; i++) {
        if (mp_find_spender(mp, &tx->vin[i].prevout) != e)
            return "spent index";
        struct mempool_entry *p = mp_find(mp, &tx->vin[i].prevout.hash);
        if (p && (!holds(e->parents, e->n_parents, p) || !holds(p->children, p->n_children, e)))
            return "parent link";
    }
    for (size_t i = 0; i < e->n_children; i++)
        if (!holds(e->children[i]->parents, e->children[i]->n_parents, e))
            return "child link";
    if (mp_find(mp, &tx->txid) != e || mempool_get_wtxid(mp, &tx->wtxid) != e)
        return "txid index";
    if (mp->heap[e->heap_pos] != e)
        return "heap position";
    return NULL;
}

int mempool_check(const struct mempool *cmp, char **err)
{
    /* The walks only touch scratch marks. */
    struct mempool *mp = (struct mempool *)cmp;
    size_t n = 0, vsize = 0;
    int64_t fees = 0;
    const char *bad = NULL;
    const struct mempool_entry *where = NULL;
    for (struct mempool_entry *e = mp->oldest; e && !bad; e = e->newer) {
        n++;
        vsize += e->vsize;
        fees += e->fee;
        where = e;
        bad = check_links(mp, e);
        struct mempool_family f;
        family_sum(mp, e, true, &f.anc_count, &f.anc_vsize, &f.anc_fees);
        family_sum(mp, e, false, &f.desc_count, &f.desc_vsize, &f.desc_fees);
        const struct mempool_family *g = &e->fam;
        if (!bad && (f.anc_count != g->anc_count || f.anc_vsize != g->anc_vsize ||
                     f.anc_fees != g->anc_fees || f.desc_count != g->desc_count ||
                     f.desc_vsize != g->desc_vsize || f.desc_fees != g->desc_fees))
            bad = "family totals";
        if (!bad && e->heap_pos > 0 && evict_before(e, mp->heap[(e->heap_pos - 1) / 2]))
            bad = "heap order";
    }
    if (!bad && (n != mp->count || vsize != mp->total_vsize || fees != mp->total_fee ||
                 mp->heap_len != n || mp->by_txid.count != n || mp->by_wtxid.count != n))
        bad = "totals", where = NULL;
    if (!bad)
        return 0;
    char hex[HASH_HEX_LEN + 1] = "-";
    if (where)
        hash_to_hex(&where->tx->txid, hex);
    return err_set(err, "mempool check: %s at %s", bad, hex);
}

static int64_t active_mtp_at(void *ctx, int32_t height)
{
    const struct chainstate *cs = ctx;
    const struct bindex_node *n = chainstate_at(cs, height);
    if (!n) /* not below the tip: the caller asked for the tip's clock */
        n = chainstate_tip(cs);
    return n ? bindex_median_time_past(n) : 0;
}

void mempool_tip_of(const struct chainstate *cs, struct mempool_tip *out)
{
    const struct bindex_node *n = chainstate_tip(cs);
    out->height = n ? n->height : -1;
    out->mtp = n ? bindex_median_time_past(n) : 0;
    out->mtp_at = active_mtp_at;
    out->mtp_ctx = (void *)cs; /* read only: the callback's context is untyped */
    out->script_flags = chainstate_script_flags(cs);
}
