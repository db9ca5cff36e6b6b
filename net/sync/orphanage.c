/* The orphan pool (see orphanage.h). Each orphan is an entry found by
 * wtxid and by the outpoints it spends; each announcement links its
 * entry and its peer, and sits in the peer's list in arrival order, so
 * the peer's oldest announcement, its work set and its children are
 * walks of that list (at most the latency limit long). */
#include "net/sync/orphanage.h"

#include "chain/mempool/mempool_map.h"
#include "chain/util/xmalloc.h"
#include "net/relay/prng.h"

#include <stdlib.h>
#include <string.h>

struct orph_entry;
struct orph_peer;

struct orph_ann {
    struct orph_entry *e;
    struct orph_peer *p;
    bool reconsider;              /* in the peer's work set */
    struct orph_ann *prev, *next; /* the peer's list, oldest first */
    struct orph_ann *sibling;     /* the entry's next announcement */
};

struct orph_entry {
    struct tx *tx;     /* one reference */
    int64_t weight;
    uint32_t latency;  /* 1 + inputs / 10 */
    struct orph_ann *anns;
    size_t nanns;
    bool reconsider;   /* one of its announcements is in a work set */
};

struct orph_peer {
    uint64_t id;
    int64_t weight;
    uint32_t latency;
    size_t count, nwork;
    struct orph_ann *head, *tail;
};

struct orphanage {
    uint32_t max_latency;
    int64_t reserved_weight;
    uint64_t salt, rng;
    struct mpmap by_wtxid; /* entries */
    struct mpmap by_spent; /* entries, aux: the input's index */
    struct mpmap peers;    /* orph_peer */
    size_t norphans, nanns;
    uint32_t input_score; /* the orphans' latency beyond 1 each */
    int64_t weight;
};

/* ---- keys and lookups ---- */

static uint64_t wtxid_key(const struct orphanage *o, const struct hash256 *h)
{
    return prng_hash_key(h, o->salt);
}

static uint64_t outpoint_key(const struct orphanage *o, const struct outpoint *op)
{
    return prng_hash_key(&op->hash, o->salt) ^ prng_mix64(op->n ^ ~o->salt);
}

static uint64_t peer_key(const struct orphanage *o, uint64_t peer)
{
    return prng_mix64(peer ^ o->salt);
}

static struct orph_entry *entry_find(const struct orphanage *o, const struct hash256 *wtxid)
{
    uint64_t key = wtxid_key(o, wtxid);
    size_t it = mpmap_start(&o->by_wtxid, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(&o->by_wtxid, key, &it)) != NULL) {
        struct orph_entry *e = s->val;
        if (hash_eq(&e->tx->wtxid, wtxid))
            return e;
    }
    return NULL;
}

static struct orph_peer *peer_find(const struct orphanage *o, uint64_t peer)
{
    uint64_t key = peer_key(o, peer);
    size_t it = mpmap_start(&o->peers, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(&o->peers, key, &it)) != NULL) {
        struct orph_peer *p = s->val;
        if (p->id == peer)
            return p;
    }
    return NULL;
}

static struct orph_ann *ann_find(const struct orph_entry *e, uint64_t peer)
{
    for (struct orph_ann *a = e->anns; a; a = a->sibling)
        if (a->p->id == peer)
            return a;
    return NULL;
}

static bool same_outpoint(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && hash_eq(&a->hash, &b->hash);
}

/* Calls fn on each orphan spending op; stops when it returns true. The
 * tables must not change meanwhile. */
static void each_spender(const struct orphanage *o, const struct outpoint *op,
                         bool (*fn)(void *ctx, struct orph_entry *e), void *ctx)
{
    uint64_t key = outpoint_key(o, op);
    size_t it = mpmap_start(&o->by_spent, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(&o->by_spent, key, &it)) != NULL) {
        struct orph_entry *e = s->val;
        if (same_outpoint(&e->tx->vin[s->aux].prevout, op) && fn(ctx, e))
            return;
    }
}

/* ---- life cycle ---- */

struct orphanage *orphanage_new(uint32_t max_latency_score, int64_t reserved_weight,
                                uint64_t seed)
{
    struct orphanage *o = xcalloc(1, sizeof(*o));
    o->max_latency = max_latency_score ? max_latency_score : 1;
    o->reserved_weight = reserved_weight > 0 ? reserved_weight : 1;
    o->rng = seed;
    o->salt = prng_next(&o->rng);
    mpmap_init(&o->by_wtxid);
    mpmap_init(&o->by_spent);
    mpmap_init(&o->peers);
    return o;
}

void orphanage_free(struct orphanage *o)
{
    if (!o)
        return;
    for (size_t i = 0; i <= o->peers.mask; i++) {
        struct orph_peer *p = o->peers.slots[i].val;
        if (!p)
            continue;
        for (struct orph_ann *a = p->head, *next; a; a = next) {
            next = a->next;
            free(a);
        }
        free(p);
    }
    for (size_t i = 0; i <= o->by_wtxid.mask; i++) {
        struct orph_entry *e = o->by_wtxid.slots[i].val;
        if (e) {
            tx_free(e->tx);
            free(e);
        }
    }
    mpmap_free(&o->by_wtxid);
    mpmap_free(&o->by_spent);
    mpmap_free(&o->peers);
    free(o);
}

static struct orph_entry *entry_new(struct orphanage *o, struct tx *tx)
{
    struct orph_entry *e = xcalloc(1, sizeof(*e));
    e->tx = tx_ref(tx);
    e->weight = (int64_t)tx_weight(tx);
    e->latency = 1 + (uint32_t)(tx->vin_count / 10);
    mpmap_put(&o->by_wtxid, wtxid_key(o, &tx->wtxid), e, 0);
    for (size_t i = 0; i < tx->vin_count; i++)
        mpmap_put(&o->by_spent, outpoint_key(o, &tx->vin[i].prevout), e, (uint32_t)i);
    o->norphans++;
    o->input_score += e->latency - 1;
    o->weight += e->weight;
    return e;
}

static void entry_remove(struct orphanage *o, struct orph_entry *e)
{
    const struct tx *tx = e->tx;
    mpmap_del(&o->by_wtxid, wtxid_key(o, &tx->wtxid), e, 0);
    for (size_t i = 0; i < tx->vin_count; i++)
        mpmap_del(&o->by_spent, outpoint_key(o, &tx->vin[i].prevout), e, (uint32_t)i);
    o->norphans--;
    o->input_score -= e->latency - 1;
    o->weight -= e->weight;
    tx_free(e->tx);
    free(e);
}

static void ann_add(struct orphanage *o, struct orph_entry *e, uint64_t peer)
{
    struct orph_peer *p = peer_find(o, peer);
    if (!p) {
        p = xcalloc(1, sizeof(*p));
        p->id = peer;
        mpmap_put(&o->peers, peer_key(o, peer), p, 0);
    }
    struct orph_ann *a = xcalloc(1, sizeof(*a));
    a->e = e;
    a->p = p;
    a->prev = p->tail;
    if (p->tail)
        p->tail->next = a;
    else
        p->head = a;
    p->tail = a;
    a->sibling = e->anns;
    e->anns = a;
    e->nanns++;
    p->count++;
    p->weight += e->weight;
    p->latency += e->latency;
    o->nanns++;
}

/* Drops one announcement; the peer's record goes with its last one, the
 * orphan with its last announcer. */
static void ann_remove(struct orphanage *o, struct orph_ann *a)
{
    struct orph_peer *p = a->p;
    struct orph_entry *e = a->e;
    if (a->prev)
        a->prev->next = a->next;
    else
        p->head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    else
        p->tail = a->prev;
    struct orph_ann **link = &e->anns;
    while (*link != a)
        link = &(*link)->sibling;
    *link = a->sibling;
    e->nanns--;
    if (a->reconsider) {
        p->nwork--;
        e->reconsider = false;
    }
    p->count--;
    p->weight -= e->weight;
    p->latency -= e->latency;
    o->nanns--;
    free(a);
    if (p->count == 0) {
        mpmap_del(&o->peers, peer_key(o, p->id), p, 0);
        free(p);
    }
    if (e->nanns == 0)
        entry_remove(o, e);
}

/* ---- limits ---- */

/* A ratio compared as Core's FeeFrac: by value, then the smaller
 * denominator is the larger (so a latency score beats an equal weight
 * score). */
struct frac {
    int64_t num, den;
};

static int frac_cmp(struct frac a, struct frac b)
{
    __int128 x = (__int128)a.num * b.den, y = (__int128)b.num * a.den;
    if (x != y)
        return x < y ? -1 : 1;
    return a.den == b.den ? 0 : a.den > b.den ? -1 : 1;
}

static bool frac_above_one(struct frac a)
{
    return a.num > a.den;
}

/* The peer's use of its share: latency score over max_lat, or weight
 * over the reserved weight, whichever is worse. */
static struct frac dos_score(const struct orphanage *o, const struct orph_peer *p,
                             uint32_t max_lat)
{
    struct frac lat = {p->latency, max_lat}, mem = {p->weight, o->reserved_weight};
    return frac_cmp(lat, mem) >= 0 ? lat : mem;
}

static size_t npeers(const struct orphanage *o)
{
    return o->peers.count ? o->peers.count : 1;
}

static bool needs_trim(const struct orphanage *o)
{
    return o->nanns + o->input_score > o->max_latency ||
           o->weight > o->reserved_weight * (int64_t)npeers(o);
}

/* Is p's score s worse than q's score t? Ties go to the higher id, the
 * newer peer. */
static bool worse(const struct orph_peer *p, struct frac s, const struct orph_peer *q,
                  struct frac t)
{
    int c = frac_cmp(s, t);
    return c > 0 || (c == 0 && p->id > q->id);
}

/* The worst peer over its share, and the score of the next worst (1 if
 * none); NULL if no peer is over. */
static struct orph_peer *worst_peer(const struct orphanage *o, uint32_t max_lat,
                                    struct frac *runner_up)
{
    struct orph_peer *worst = NULL;
    struct frac ws = {1, 1};
    for (size_t i = 0; i <= o->peers.mask; i++) {
        struct orph_peer *p = o->peers.slots[i].val;
        struct frac s = p ? dos_score(o, p, max_lat) : ws;
        if (p && frac_above_one(s) && (!worst || worse(p, s, worst, ws))) {
            worst = p;
            ws = s;
        }
    }
    *runner_up = (struct frac){1, 1};
    for (size_t i = 0; worst && i <= o->peers.mask; i++) {
        struct orph_peer *p = o->peers.slots[i].val;
        if (!p || p == worst)
            continue;
        struct frac s = dos_score(o, p, max_lat);
        if (frac_above_one(s) && frac_cmp(s, *runner_up) > 0)
            *runner_up = s;
    }
    return worst;
}

/* The announcement trimmed first: the oldest not awaiting reconsideration,
 * else the oldest. */
static struct orph_ann *first_to_trim(const struct orph_peer *p)
{
    for (struct orph_ann *a = p->head; a; a = a->next)
        if (!a->reconsider)
            return a;
    return p->head;
}

/* Core's LimitOrphans: while over a global limit, the worst peer loses
 * its first announcements until it no longer is the worst. The per-peer
 * latency share is fixed for the whole call. */
static void limit(struct orphanage *o)
{
    if (!needs_trim(o))
        return;
    uint32_t max_lat = o->max_latency / (uint32_t)npeers(o);
    if (max_lat == 0) /* more peers than the limit: it may then be exceeded */
        max_lat = 1;
    struct frac threshold;
    struct orph_peer *p;
    while (needs_trim(o) && (p = worst_peer(o, max_lat, &threshold)) != NULL) {
        uint64_t id = p->id;
        do {
            ann_remove(o, first_to_trim(p));
        } while (needs_trim(o) && (p = peer_find(o, id)) != NULL &&
                 frac_cmp(dos_score(o, p, max_lat), threshold) > 0);
    }
}

/* ---- the interface ---- */

bool orphanage_add(struct orphanage *o, struct tx *tx, uint64_t peer)
{
    if (tx_weight(tx) > ORPHANAGE_MAX_TX_WEIGHT)
        return false;
    struct orph_entry *e = entry_find(o, &tx->wtxid);
    bool brand_new = !e;
    if (e && ann_find(e, peer))
        return false;
    if (!e)
        e = entry_new(o, tx);
    ann_add(o, e, peer);
    limit(o);
    return brand_new;
}

bool orphanage_add_announcer(struct orphanage *o, const struct hash256 *wtxid, uint64_t peer)
{
    struct orph_entry *e = entry_find(o, wtxid);
    if (!e || ann_find(e, peer))
        return false;
    ann_add(o, e, peer);
    limit(o);
    return true;
}

struct tx *orphanage_get(const struct orphanage *o, const struct hash256 *wtxid)
{
    struct orph_entry *e = entry_find(o, wtxid);
    return e ? e->tx : NULL;
}

bool orphanage_has_announcer(const struct orphanage *o, const struct hash256 *wtxid,
                             uint64_t peer)
{
    struct orph_entry *e = entry_find(o, wtxid);
    return e && ann_find(e, peer);
}

static bool erase_entry(struct orphanage *o, const struct hash256 *wtxid)
{
    struct orph_entry *e = entry_find(o, wtxid);
    if (!e)
        return false;
    for (size_t n = e->nanns; n > 0; n--) /* the last removal frees e */
        ann_remove(o, e->anns);
    return true;
}

/* Erasures may lower the weight limit (fewer peers): trim after each. */
bool orphanage_erase(struct orphanage *o, const struct hash256 *wtxid)
{
    bool erased = erase_entry(o, wtxid);
    limit(o);
    return erased;
}

void orphanage_erase_for_peer(struct orphanage *o, uint64_t peer)
{
    struct orph_peer *p = peer_find(o, peer);
    if (!p)
        return;
    for (size_t n = p->count; n > 0; n--) /* the last removal frees p */
        ann_remove(o, p->head);
    limit(o);
}

struct wtxid_list {
    struct hash256 *v;
    size_t n, cap;
};

static bool collect_wtxid(void *ctx, struct orph_entry *e)
{
    struct wtxid_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
    }
    l->v[l->n++] = e->tx->wtxid;
    return false;
}

size_t orphanage_erase_for_block(struct orphanage *o, const struct block *b)
{
    if (o->norphans == 0)
        return 0;
    struct wtxid_list l = {0};
    for (size_t i = 0; i < b->tx_count; i++) {
        const struct tx *tx = b->txs[i];
        for (size_t j = 0; j < tx->vin_count; j++)
            each_spender(o, &tx->vin[j].prevout, collect_wtxid, &l);
    }
    size_t erased = 0;
    for (size_t i = 0; i < l.n; i++) /* an orphan listed twice goes once */
        erased += erase_entry(o, &l.v[i]);
    free(l.v);
    limit(o);
    return erased;
}

struct work_ctx {
    struct orphanage *o;
    size_t added;
};

/* One announcer, drawn at random, gets the orphan in its work set: a
 * peer cannot keep it from being tried by disconnecting, and the work is
 * done once. */
static bool to_work_set(void *ctx, struct orph_entry *e)
{
    struct work_ctx *w = ctx;
    if (e->reconsider)
        return false;
    struct orph_ann *a = e->anns;
    for (uint64_t k = prng_below(&w->o->rng, e->nanns); k > 0; k--)
        a = a->sibling;
    a->reconsider = true;
    a->p->nwork++;
    e->reconsider = true;
    w->added++;
    return false;
}

size_t orphanage_add_children_to_work_set(struct orphanage *o, const struct tx *tx)
{
    struct work_ctx w = {o, 0};
    for (size_t i = 0; i < tx->vout_count && o->norphans > 0; i++) {
        struct outpoint op = {tx->txid, (uint32_t)i};
        each_spender(o, &op, to_work_set, &w);
    }
    return w.added;
}

struct tx *orphanage_take_work(struct orphanage *o, uint64_t peer)
{
    struct orph_peer *p = peer_find(o, peer);
    if (!p || p->nwork == 0)
        return NULL;
    struct orph_ann *a = p->head;
    while (!a->reconsider)
        a = a->next;
    a->reconsider = false;
    p->nwork--;
    a->e->reconsider = false;
    return tx_ref(a->e->tx);
}

bool orphanage_has_work(const struct orphanage *o, uint64_t peer)
{
    const struct orph_peer *p = peer_find(o, peer);
    return p && p->nwork > 0;
}

size_t orphanage_children_from_peer(const struct orphanage *o, const struct tx *parent,
                                    uint64_t peer, struct tx **out, size_t max)
{
    const struct orph_peer *p = peer_find(o, peer);
    size_t n = 0;
    for (int pass = 0; p && pass < 2; pass++) {
        bool reconsider = pass == 0;
        for (const struct orph_ann *a = p->tail; a && n < max; a = a->prev)
            if (a->reconsider == reconsider && tx_spends(a->e->tx, &parent->txid))
                out[n++] = a->e->tx;
    }
    return n;
}

bool orphanage_each(const struct orphanage *o, bool (*fn)(void *ctx, struct tx *tx), void *ctx)
{
    for (size_t i = 0; i <= o->by_wtxid.mask; i++) {
        const struct orph_entry *e = o->by_wtxid.slots[i].val;
        if (e && fn(ctx, e->tx))
            return true;
    }
    return false;
}

void orphanage_get_stats(const struct orphanage *o, struct orphanage_stats *out)
{
    out->orphans = o->norphans;
    out->announcements = o->nanns;
    out->peers = o->peers.count;
    out->latency_score = (uint32_t)o->nanns + o->input_score;
    out->weight = o->weight;
}

void orphanage_peer_stats(const struct orphanage *o, uint64_t peer,
                          struct orphanage_peer_stats *out)
{
    const struct orph_peer *p = peer_find(o, peer);
    out->announcements = p ? p->count : 0;
    out->latency_score = p ? p->latency : 0;
    out->weight = p ? p->weight : 0;
}

/* ---- consistency ---- */

/* One orphan's announcements, work flag and index entries. */
static int check_entry(const struct orphanage *o, struct orph_entry *e)
{
    size_t n = 0, work = 0;
    for (const struct orph_ann *a = e->anns; a; a = a->sibling) {
        n++;
        work += a->reconsider;
        if (a->e != e)
            return -1;
    }
    if (n != e->nanns || n == 0 || work > 1 || (work == 1) != e->reconsider ||
        entry_find(o, &e->tx->wtxid) != e || e->weight != (int64_t)tx_weight(e->tx))
        return -1;
    for (size_t i = 0; i < e->tx->vin_count; i++) {
        uint64_t key = outpoint_key(o, &e->tx->vin[i].prevout);
        size_t it = mpmap_start(&o->by_spent, key);
        const struct mpmap_slot *sl;
        while ((sl = mpmap_next(&o->by_spent, key, &it)) != NULL && !(sl->val == e && sl->aux == i))
            ;
        if (!sl)
            return -1;
    }
    return 0;
}

int orphanage_check(const struct orphanage *o)
{
    size_t nanns = 0, npeer = 0, norphans = 0, nspent = 0;
    uint32_t input_score = 0;
    int64_t weight = 0;
    for (size_t i = 0; i <= o->peers.mask; i++) {
        const struct orph_peer *p = o->peers.slots[i].val;
        if (!p)
            continue;
        size_t n = 0, work = 0;
        uint32_t lat = 0;
        int64_t w = 0;
        for (const struct orph_ann *a = p->head; a; a = a->next) {
            if (a->p != p || (a->next ? a->next->prev : p->tail) != a)
                return -1;
            n++;
            work += a->reconsider;
            lat += a->e->latency;
            w += a->e->weight;
        }
        if (n == 0 || n != p->count || work != p->nwork || lat != p->latency ||
            w != p->weight || peer_find(o, p->id) != p)
            return -1;
        nanns += n;
        npeer++;
    }
    for (size_t i = 0; i <= o->by_wtxid.mask; i++) {
        struct orph_entry *e = o->by_wtxid.slots[i].val;
        if (!e)
            continue;
        if (check_entry(o, e) != 0)
            return -1;
        norphans++;
        nspent += e->tx->vin_count;
        input_score += e->latency - 1;
        weight += e->weight;
    }
    return nanns == o->nanns && npeer == o->peers.count && norphans == o->norphans &&
                   nspent == o->by_spent.count && input_score == o->input_score &&
                   weight == o->weight
               ? 0
               : -1;
}
