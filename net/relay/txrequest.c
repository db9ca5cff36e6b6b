/* Transaction request tracker; see txrequest.h. */
#include "net/relay/txrequest.h"

#include <stdlib.h>
#include <string.h>

#include "net/relay/hashtab.h"
#include "net/relay/prng.h"
#include "net/relay/vec.h"
#include "chain/util/xmalloc.h"

enum ann_state { ANN_CANDIDATE, ANN_REQUESTED, ANN_COMPLETED };

struct ann {
    uint64_t peer;
    int64_t time; /* reqtime (CANDIDATE) or expiry (REQUESTED) */
    uint64_t seq;
    uint8_t state;
    bool preferred;
    bool is_wtxid;
};

/* All announcements of one hash; scheduled in the heap at `wake`. */
struct entry {
    struct hash256 hash;
    struct ann *anns;
    uint32_t n, cap;
    uint64_t seq;    /* first announcement: ties in the heap go in this order */
    int64_t wake;    /* INT64_MAX: not in the heap */
    size_t heap_idx;
};

struct peerinfo {
    uint64_t peer;
    uint32_t total;
    uint32_t in_flight;
};

struct txreq {
    struct txreq_params p;
    uint64_t salt;
    uint64_t seq;
    struct hashtab entries; /* salted hash key -> struct entry */
    struct hashtab peers;   /* peer id -> struct peerinfo */
    struct entry **heap;    /* min-heap on wake */
    uint32_t heap_n, heap_cap;
    size_t n_anns, n_in_flight;
};

/* ---- the wake-time heap ---- */

static bool earlier(const struct entry *a, const struct entry *b)
{
    return a->wake < b->wake || (a->wake == b->wake && a->seq < b->seq);
}

static void heap_set(struct txreq *t, size_t i, struct entry *e)
{
    t->heap[i] = e;
    e->heap_idx = i;
}

static void heap_up(struct txreq *t, size_t i)
{
    struct entry *e = t->heap[i];
    while (i > 0 && earlier(e, t->heap[(i - 1) / 2])) {
        heap_set(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(t, i, e);
}

static void heap_down(struct txreq *t, size_t i)
{
    struct entry *e = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->heap_n)
            break;
        if (c + 1 < t->heap_n && earlier(t->heap[c + 1], t->heap[c]))
            c++;
        if (!earlier(t->heap[c], e))
            break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, e);
}

static void heap_remove(struct txreq *t, struct entry *e)
{
    if (e->wake == INT64_MAX)
        return;
    size_t i = e->heap_idx;
    struct entry *last = t->heap[--t->heap_n];
    e->wake = INT64_MAX;
    if (last == e)
        return;
    heap_set(t, i, last);
    heap_up(t, i);
    heap_down(t, last->heap_idx);
}

/* Schedules e at wake (INT64_MAX unschedules). -1 if the heap can't grow:
 * the entry then waits for its next event instead. */
static int schedule(struct txreq *t, struct entry *e, int64_t wake)
{
    heap_remove(t, e);
    if (wake == INT64_MAX)
        return 0;
    if (!vec_reserve((void **)&t->heap, &t->heap_cap, t->heap_n, sizeof(*t->heap), 16))
        return -1;
    e->wake = wake;
    heap_set(t, t->heap_n++, e);
    heap_up(t, t->heap_n - 1);
    return 0;
}

/* ---- lookups ---- */

static bool entry_match(const void *item, const void *arg)
{
    return hash_eq(&((const struct entry *)item)->hash, arg);
}

static struct entry *entry_find(const struct txreq *t, const struct hash256 *h)
{
    return hashtab_find(&t->entries, prng_hash_key(h, t->salt), entry_match, h);
}

static bool peer_match(const void *item, const void *arg)
{
    return ((const struct peerinfo *)item)->peer == *(const uint64_t *)arg;
}

static struct peerinfo *peer_find(const struct txreq *t, uint64_t peer)
{
    return hashtab_find(&t->peers, peer, peer_match, &peer);
}

static struct peerinfo *peer_get(struct txreq *t, uint64_t peer)
{
    struct peerinfo *pi = peer_find(t, peer);
    if (pi)
        return pi;
    pi = xcalloc(1, sizeof(*pi));
    pi->peer = peer;
    hashtab_insert(&t->peers, peer, pi);
    return pi;
}

static void peer_release_if_idle(struct txreq *t, struct peerinfo *pi)
{
    if (pi->total > 0)
        return;
    hashtab_remove(&t->peers, pi->peer, peer_match, &pi->peer);
    free(pi);
}

static void peer_request_done(struct txreq *t, struct peerinfo *pi)
{
    pi->in_flight--;
    t->n_in_flight--;
}

/* ---- lifecycle ---- */

struct txreq *txreq_new(const struct txreq_params *params, uint64_t salt)
{
    struct txreq *t = xcalloc(1, sizeof(*t));
    t->p = *params;
    t->salt = salt;
    return t;
}

static void entry_free(struct entry *e)
{
    free(e->anns);
    free(e);
}

void txreq_free(struct txreq *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->entries.cap; i++)
        if (t->entries.items[i])
            entry_free(t->entries.items[i]);
    for (size_t i = 0; i < t->peers.cap; i++) {
        free(t->peers.items[i]);
    }
    hashtab_clear(&t->entries);
    hashtab_clear(&t->peers);
    free(t->heap);
    free(t);
}

/* Drops announcement i of e, keeping the peer's counts right. */
static void ann_drop(struct txreq *t, struct entry *e, uint32_t i)
{
    struct peerinfo *pi = peer_find(t, e->anns[i].peer);
    bool requested = e->anns[i].state == ANN_REQUESTED;
    e->anns[i] = e->anns[--e->n];
    t->n_anns--;
    if (!pi)
        return;
    pi->total--;
    if (requested)
        peer_request_done(t, pi);
    peer_release_if_idle(t, pi);
}

static void entry_delete(struct txreq *t, struct entry *e)
{
    heap_remove(t, e);
    hashtab_remove(&t->entries, prng_hash_key(&e->hash, t->salt), entry_match, &e->hash);
    while (e->n > 0)
        ann_drop(t, e, e->n - 1);
    entry_free(e);
}

/* Random but reproducible tie-break among equally preferred candidates. */
static uint64_t priority(const struct txreq *t, const struct entry *e, const struct ann *a)
{
    return prng_mix64(prng_hash_key(&e->hash, t->salt) ^ prng_mix64(a->peer + t->salt));
}

/* Expires e's request if due; true if a request is still in flight. */
static bool expire_due(struct txreq *t, struct entry *e, int64_t now, txreq_expired_fn expired,
                       void *ctx)
{
    for (uint32_t i = 0; i < e->n; i++) {
        struct ann *a = &e->anns[i];
        if (a->state != ANN_REQUESTED)
            continue;
        if (a->time > now)
            return true;
        a->state = ANN_COMPLETED;
        struct peerinfo *pi = peer_find(t, a->peer);
        if (pi)
            peer_request_done(t, pi);
        if (expired)
            expired(ctx, a->peer, &e->hash);
    }
    return false;
}

/* The best requestable candidate of e, or -1. */
static int best_candidate(struct txreq *t, struct entry *e, int64_t now, int64_t *next)
{
    int best = -1;
    uint64_t best_prio = 0;
    *next = INT64_MAX;
    for (uint32_t i = 0; i < e->n; i++) {
        struct ann *a = &e->anns[i];
        if (a->state != ANN_CANDIDATE)
            continue;
        if (a->time > now) {
            if (a->time < *next)
                *next = a->time;
            continue;
        }
        /* Preferred first; the top bit of the priority encodes it. */
        uint64_t prio = (priority(t, e, a) >> 1) | (a->preferred ? 0 : 1ULL << 63);
        if (best < 0 || prio < best_prio) {
            best = (int)i;
            best_prio = prio;
        }
    }
    return best;
}

/* Re-decides e at now: expiries, a new request, its next wake, or its
 * deletion when only COMPLETED announcements remain. */
static void entry_update(struct txreq *t, struct entry *e, int64_t now, txreq_request_fn request,
                         txreq_expired_fn expired, void *ctx)
{
    if (expire_due(t, e, now, expired, ctx)) {
        for (uint32_t i = 0; i < e->n; i++)
            if (e->anns[i].state == ANN_REQUESTED)
                schedule(t, e, e->anns[i].time);
        return;
    }
    bool live = false;
    for (uint32_t i = 0; i < e->n && !live; i++)
        live = e->anns[i].state == ANN_CANDIDATE;
    if (!live) {
        entry_delete(t, e);
        return;
    }
    int64_t next;
    int best = best_candidate(t, e, now, &next);
    if (best >= 0) {
        struct ann *a = &e->anns[best];
        struct peerinfo *pi = peer_find(t, a->peer);
        a->state = ANN_REQUESTED;
        a->time = now + t->p.timeout_us;
        if (pi)
            pi->in_flight++;
        t->n_in_flight++;
        struct txreq_request req = {
            .peer = a->peer, .hash = e->hash, .is_wtxid = a->is_wtxid, .seq = a->seq};
        schedule(t, e, a->time);
        request(ctx, &req);
        return;
    }
    schedule(t, e, next);
}

/* ---- events ---- */

static struct entry *entry_get(struct txreq *t, const struct hash256 *h)
{
    struct entry *e = entry_find(t, h);
    if (e)
        return e;
    e = xcalloc(1, sizeof(*e));
    e->hash = *h;
    e->seq = t->seq;
    e->wake = INT64_MAX;
    hashtab_insert(&t->entries, prng_hash_key(h, t->salt), e);
    return e;
}

static struct ann *ann_find(struct entry *e, uint64_t peer)
{
    for (uint32_t i = 0; i < e->n; i++)
        if (e->anns[i].peer == peer)
            return &e->anns[i];
    return NULL;
}

static bool has_request(const struct entry *e)
{
    for (uint32_t i = 0; i < e->n; i++)
        if (e->anns[i].state == ANN_REQUESTED)
            return true;
    return false;
}

enum txreq_add txreq_received_inv(struct txreq *t, uint64_t peer, const struct hash256 *hash,
                                  bool is_wtxid, bool preferred, int64_t reqtime)
{
    struct entry *e = entry_find(t, hash);
    if (e && ann_find(e, peer))
        return TXREQ_DUPLICATE;
    struct peerinfo *pi = peer_get(t, peer);
    if (pi->total >= t->p.max_announced)
        return TXREQ_OVER_CAP;
    if (!e)
        e = entry_get(t, hash);
    if (!vec_reserve((void **)&e->anns, &e->cap, e->n, sizeof(*e->anns), 2)) {
        if (e->n == 0)
            entry_delete(t, e);
        peer_release_if_idle(t, pi);
        return TXREQ_NOMEM;
    }
    e->anns[e->n++] = (struct ann){.peer = peer, .time = reqtime, .seq = t->seq++,
                                   .state = ANN_CANDIDATE, .preferred = preferred,
                                   .is_wtxid = is_wtxid};
    pi->total++;
    t->n_anns++;
    if (!has_request(e) && reqtime < e->wake)
        schedule(t, e, reqtime);
    return TXREQ_ADDED;
}

void txreq_received_response(struct txreq *t, uint64_t peer, const struct hash256 *hash,
                             int64_t now)
{
    struct entry *e = entry_find(t, hash);
    struct ann *a = e ? ann_find(e, peer) : NULL;
    if (!a || a->state == ANN_COMPLETED)
        return;
    bool requested = a->state == ANN_REQUESTED;
    a->state = ANN_COMPLETED;
    if (requested) {
        struct peerinfo *pi = peer_find(t, peer);
        if (pi)
            peer_request_done(t, pi);
    }
    schedule(t, e, now); /* the next poll asks the next candidate */
}

void txreq_forget(struct txreq *t, const struct hash256 *hash)
{
    struct entry *e = entry_find(t, hash);
    if (e)
        entry_delete(t, e);
}

void txreq_peer_gone(struct txreq *t, uint64_t peer, int64_t now)
{
    if (!peer_find(t, peer))
        return;
    for (size_t i = 0; i < t->entries.cap; i++) {
        struct entry *e = t->entries.items[i];
        if (!e)
            continue;
        for (uint32_t j = 0; j < e->n; j++) {
            if (e->anns[j].peer == peer) {
                ann_drop(t, e, j);
                schedule(t, e, now);
                break;
            }
        }
    }
}

void txreq_poll(struct txreq *t, int64_t now, txreq_request_fn request,
                txreq_expired_fn expired, void *ctx)
{
    while (t->heap_n > 0 && t->heap[0]->wake <= now) {
        struct entry *e = t->heap[0];
        heap_remove(t, e);
        entry_update(t, e, now, request, expired, ctx);
    }
}

int64_t txreq_next_time(const struct txreq *t)
{
    return t->heap_n > 0 ? t->heap[0]->wake : INT64_MAX;
}

size_t txreq_count(const struct txreq *t, uint64_t peer)
{
    const struct peerinfo *pi = peer_find(t, peer);
    return pi ? pi->total : 0;
}

size_t txreq_in_flight(const struct txreq *t, uint64_t peer)
{
    const struct peerinfo *pi = peer_find(t, peer);
    return pi ? pi->in_flight : 0;
}

size_t txreq_size(const struct txreq *t)
{
    return t->n_anns;
}

size_t txreq_hashes(const struct txreq *t)
{
    return t->entries.n;
}

size_t txreq_total_in_flight(const struct txreq *t)
{
    return t->n_in_flight;
}

size_t txreq_memory(const struct txreq *t)
{
    size_t m = sizeof(*t) + hashtab_memory(&t->entries) + hashtab_memory(&t->peers) +
               t->heap_cap * sizeof(*t->heap);
    for (size_t i = 0; i < t->entries.cap; i++) {
        const struct entry *e = t->entries.items[i];
        if (e)
            m += sizeof(*e) + e->cap * sizeof(struct ann);
    }
    for (size_t i = 0; i < t->peers.cap; i++) {
        const struct peerinfo *pi = t->peers.items[i];
        if (pi)
            m += sizeof(*pi);
    }
    return m;
}

bool txreq_tracks(const struct txreq *t, const struct hash256 *hash)
{
    return txreq_announcers(t, hash, NULL, 0) > 0;
}

size_t txreq_announcers(const struct txreq *t, const struct hash256 *hash, uint64_t *out,
                        size_t max)
{
    const struct entry *e = entry_find(t, hash);
    size_t n = 0;
    for (uint32_t i = 0; e && i < e->n; i++) {
        if (e->anns[i].state == ANN_COMPLETED)
            continue;
        if (n < max)
            out[n] = e->anns[i].peer;
        n++;
    }
    return n;
}
