/* BIP330 reconciliation rounds; see txrecon.h. */
#include "net/relay/txrecon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/primitives/siphash.h"
#include "chain/util/xmalloc.h"
#include "net/relay/hashtab.h"
#include "net/relay/sketch.h"

struct rentry {
    struct hash256 wtxid;
    uint32_t sid;
    bool shown; /* in a round's snapshot, and the peer showed it has it */
};

/* A set of wtxids by short id. */
struct rset {
    struct hashtab tab;
};

enum phase {
    PHASE_NONE,
    PHASE_REQUESTED,     /* initiator: reqrecon sent */
    PHASE_EXT_REQUESTED, /* initiator: reqsketchext sent */
    PHASE_RESPONDED,     /* responder: initial sketch sent */
    PHASE_EXT_RESPONDED, /* responder: extension sent */
};

struct tpeer {
    uint64_t id;
    bool we_initiate;
    uint64_t k0, k1;
    struct rset set;  /* what we would announce to it */
    struct rset snap; /* the set of the round in progress */
    enum phase phase;
    size_t capacity;  /* of the round's initial sketch */
    size_t solicit;   /* responder: inv entries the round may still bring
                       * (the set size the peer declared) */
    double q;         /* initiator: q for the next reqrecon (adaptive) */
    uint8_t *remote;  /* initiator: the initial sketch, for an extension */
    struct txrecon_counters c;
};

struct txrecon {
    double q;
    struct hashtab peers; /* struct tpeer by id */
    struct txrecon_counters gone; /* counters of removed peers */
};

/* ---- sets ---- */

static bool same_wtxid(const void *item, const void *arg)
{
    return hash_eq(&((const struct rentry *)item)->wtxid, arg);
}

static struct rentry *rset_find_sid(const struct rset *s, uint32_t sid)
{
    return hashtab_find(&s->tab, sid, NULL, NULL);
}

static void rset_clear(struct rset *s)
{
    for (size_t i = 0; i < s->tab.cap; i++)
        free(s->tab.items[i]);
    hashtab_clear(&s->tab);
}

/* Moves src's entries into dst (which must be empty); src ends empty. */
static void rset_move(struct rset *dst, struct rset *src)
{
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

/* The short ids (malloc'd). */
static uint32_t *rset_sids(const struct rset *s, size_t *n)
{
    *n = 0;
    uint32_t *v = xmalloc(s->tab.n * sizeof(uint32_t));
    for (size_t i = 0; i < s->tab.cap; i++)
        if (s->tab.items[i])
            v[(*n)++] = ((const struct rentry *)s->tab.items[i])->sid;
    return v;
}

/* ---- peers and keys ---- */

void txrecon_salt_keys(uint64_t salt1, uint64_t salt2, uint64_t *k0, uint64_t *k1)
{
    static const char tag[] = "Tx Relay Salting";
    uint8_t th[32], buf[80], h[32];
    hash_sha256(tag, sizeof(tag) - 1, th);
    uint64_t lo = salt1 < salt2 ? salt1 : salt2, hi = salt1 < salt2 ? salt2 : salt1;
    memcpy(buf, th, 32);
    memcpy(buf + 32, th, 32);
    for (int i = 0; i < 8; i++) {
        buf[64 + i] = (uint8_t)(lo >> (8 * i));
        buf[72 + i] = (uint8_t)(hi >> (8 * i));
    }
    hash_sha256(buf, sizeof(buf), h);
    *k0 = *k1 = 0;
    for (int i = 7; i >= 0; i--) {
        *k0 = (*k0 << 8) | h[i];
        *k1 = (*k1 << 8) | h[8 + i];
    }
}

uint32_t txrecon_short_id_keyed(uint64_t k0, uint64_t k1, const struct hash256 *wtxid)
{
    return (uint32_t)(1 + siphash24(k0, k1, wtxid->b, 32) % 0xFFFFFFFFu);
}

static uint32_t short_id(const struct tpeer *p, const struct hash256 *wtxid)
{
    return txrecon_short_id_keyed(p->k0, p->k1, wtxid);
}

static bool same_peer(const void *item, const void *arg)
{
    return ((const struct tpeer *)item)->id == *(const uint64_t *)arg;
}

/* Every message and every transaction for a peer looks it up: hashed,
 * as the relay core's peers (ids are ours, not chosen by the peer). */
static struct tpeer *find(const struct txrecon *t, uint64_t peer)
{
    return hashtab_find(&t->peers, peer, same_peer, &peer);
}

struct txrecon *txrecon_new(double q)
{
    struct txrecon *t = xcalloc(1, sizeof(*t));
    t->q = q < 0 ? 0 : q > TXRECON_MAX_Q ? TXRECON_MAX_Q : q;
    return t;
}

static void tpeer_free(struct tpeer *p)
{
    rset_clear(&p->set);
    rset_clear(&p->snap);
    free(p->remote);
    free(p);
}

static void add_counters(struct txrecon_counters *to, const struct txrecon_counters *c)
{
    const uint64_t *src = (const uint64_t *)c;
    uint64_t *dst = (uint64_t *)to;
    for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

void txrecon_free(struct txrecon *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->peers.cap; i++)
        if (t->peers.items[i])
            tpeer_free(t->peers.items[i]);
    hashtab_clear(&t->peers);
    free(t);
}

int txrecon_peer_add(struct txrecon *t, uint64_t peer, bool we_initiate, uint64_t local_salt,
                     uint64_t remote_salt)
{
    if (find(t, peer))
        return -1;
    struct tpeer *p = xcalloc(1, sizeof(*p));
    p->id = peer;
    p->we_initiate = we_initiate;
    p->q = t->q;
    txrecon_salt_keys(local_salt, remote_salt, &p->k0, &p->k1);
    hashtab_insert(&t->peers, peer, p);
    return 0;
}

void txrecon_peer_remove(struct txrecon *t, uint64_t peer)
{
    struct tpeer *p = hashtab_remove(&t->peers, peer, same_peer, &peer);
    if (!p)
        return;
    add_counters(&t->gone, &p->c);
    tpeer_free(p);
}

bool txrecon_peer_registered(const struct txrecon *t, uint64_t peer)
{
    return find(t, peer) != NULL;
}

bool txrecon_we_initiate(const struct txrecon *t, uint64_t peer)
{
    const struct tpeer *p = find(t, peer);
    return p && p->we_initiate;
}

uint32_t txrecon_short_id(const struct txrecon *t, uint64_t peer, const struct hash256 *wtxid)
{
    const struct tpeer *p = find(t, peer);
    return p ? short_id(p, wtxid) : 0;
}

enum txrecon_add_result txrecon_add(struct txrecon *t, uint64_t peer,
                                    const struct hash256 *wtxid, struct hash256 *other)
{
    struct tpeer *p = find(t, peer);
    memset(other, 0, sizeof(*other));
    if (!p || p->set.tab.n >= TXRECON_MAX_SET)
        return TXRECON_ANNOUNCE;
    uint32_t sid = short_id(p, wtxid);
    struct rentry *e = rset_find_sid(&p->set, sid);
    if (e && hash_eq(&e->wtxid, wtxid))
        return TXRECON_PRESENT;
    if (e) {
        /* Two transactions, one short id: neither can be reconciled. */
        *other = e->wtxid;
        free(hashtab_remove(&p->set.tab, sid, NULL, NULL));
        return TXRECON_ANNOUNCE;
    }
    e = xcalloc(1, sizeof(*e));
    e->wtxid = *wtxid;
    e->sid = sid;
    hashtab_insert(&p->set.tab, sid, e);
    return TXRECON_ADDED;
}

void txrecon_remove(struct txrecon *t, uint64_t peer, const struct hash256 *wtxid)
{
    struct tpeer *p = find(t, peer);
    if (!p)
        return;
    uint32_t sid = short_id(p, wtxid);
    free(hashtab_remove(&p->set.tab, sid, same_wtxid, wtxid));
    /* A round in progress announces from its snapshot what the sketches
     * say the peer lacks: not this one, which it showed it has since. It
     * stays in the snapshot, whose extension sketch must match the
     * initial one. */
    struct rentry *e = hashtab_find(&p->snap.tab, sid, same_wtxid, wtxid);
    if (e)
        e->shown = true;
}

size_t txrecon_set_size(const struct txrecon *t, uint64_t peer)
{
    const struct tpeer *p = find(t, peer);
    return p ? p->set.tab.n : 0;
}

double txrecon_peer_q(const struct txrecon *t, uint64_t peer)
{
    const struct tpeer *p = find(t, peer);
    return p ? p->q : t->q;
}

size_t txrecon_pending(const struct txrecon *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->peers.cap; i++) {
        const struct tpeer *p = t->peers.items[i];
        if (p)
            n += p->set.tab.n + p->snap.tab.n;
    }
    return n;
}

bool txrecon_busy(const struct txrecon *t, uint64_t peer)
{
    const struct tpeer *p = find(t, peer);
    return p && p->phase != PHASE_NONE;
}

void txrecon_count_bytes(struct txrecon *t, uint64_t peer, bool sent, size_t n)
{
    struct tpeer *p = find(t, peer);
    if (p)
        *(sent ? &p->c.bytes_sent : &p->c.bytes_received) += n;
}

bool txrecon_peer_counters(const struct txrecon *t, uint64_t peer,
                           struct txrecon_counters *out)
{
    const struct tpeer *p = find(t, peer);
    if (p)
        *out = p->c;
    return p != NULL;
}

void txrecon_totals(const struct txrecon *t, struct txrecon_counters *out)
{
    *out = t->gone;
    for (size_t i = 0; i < t->peers.cap; i++)
        if (t->peers.items[i])
            add_counters(out, &((const struct tpeer *)t->peers.items[i])->c);
}

/* ---- rounds ---- */

void txrecon_out_init(struct txrecon_out *o)
{
    memset(o, 0, sizeof(*o));
    o->cmd = PROTO_CMD_OTHER;
    wbuf_init(&o->payload);
}

void txrecon_out_free(struct txrecon_out *o)
{
    wbuf_free(&o->payload);
    free(o->announce);
    o->announce = NULL;
    o->n_announce = 0;
}

/* room: how many announcements this step makes at most. */
static void announce(struct txrecon_out *o, struct tpeer *p, const struct rentry *e,
                     size_t room)
{
    if (e->shown)
        return;
    if (!o->announce)
        o->announce = xmalloc(room * sizeof(*o->announce));
    o->announce[o->n_announce++] = e->wtxid;
    p->c.announced++;
}

static void announce_all(struct txrecon_out *o, struct tpeer *p, const struct rset *s)
{
    for (size_t i = 0; i < s->tab.cap; i++)
        if (s->tab.items[i])
            announce(o, p, s->tab.items[i], s->tab.n);
}

/* A sketch of capacity cap (> 0) over the set. */
static struct sketch *sketch_of(const struct rset *s, size_t cap)
{
    struct sketch *sk = sketch_new(cap);
    size_t n;
    uint32_t *sids = rset_sids(s, &n);
    sketch_add_many(sk, sids, n);
    free(sids);
    return sk;
}

/* The most differences a sketch of this capacity decodes with the false
 * decode rate we accept. */
static size_t decode_limit(size_t cap)
{
    size_t m = sketch_max_elements(cap, TXRECON_FP_BITS);
    return m < TXRECON_MAX_DECODE ? m : TXRECON_MAX_DECODE;
}

/* Decodes remote ^ our sketch of s (remote: cap elements, serialized).
 * Returns the number of differences in *ids (malloc'd), or -1. */
static int decode_diff(const struct rset *s, const uint8_t *remote, size_t cap, uint32_t **ids)
{
    struct sketch *ours = sketch_of(s, cap), *theirs = sketch_new(cap);
    size_t limit = decode_limit(cap);
    *ids = xmalloc((limit + 1) * sizeof(uint32_t));
    sketch_deserialize(theirs, remote);
    sketch_merge(ours, theirs);
    int n = sketch_decode(ours, limit, *ids);
    sketch_free(ours);
    sketch_free(theirs);
    return n;
}

static void round_done(struct tpeer *p)
{
    rset_clear(&p->snap);
    free(p->remote);
    p->remote = NULL;
    p->capacity = 0;
    p->solicit = 0;
    p->phase = PHASE_NONE;
    p->c.rounds++;
}

double txrecon_q_from_round(size_t local_size, size_t local_missing, size_t remote_missing,
                            double prev)
{
    /* The peer's set: ours, plus what we lacked, minus what it lacked. */
    size_t remote_size = local_size + local_missing - remote_missing;
    size_t lo = local_size < remote_size ? local_size : remote_size;
    if (remote_missing > local_size || lo == 0)
        return prev; /* nothing to learn the overlap from */
    size_t d = local_missing + remote_missing;
    size_t gap = local_size > remote_size ? local_size - remote_size : remote_size - local_size;
    double q = (double)(d - gap) / (double)lo;
    return q > TXRECON_MAX_Q ? TXRECON_MAX_Q : q;
}

/* Initiator: the decoded difference over s. Ours go out by inv, the
 * rest is asked for by short id. */
static void diff_success(struct tpeer *p, const struct rset *s, const uint32_t *ids, size_t n,
                         struct txrecon_out *out)
{
    uint32_t *ask = xmalloc(n * sizeof(uint32_t));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct rentry *e = rset_find_sid(s, ids[i]);
        if (e)
            announce(out, p, e, n);
        else
            ask[k++] = ids[i];
    }
    p->c.differences += n;
    p->c.asked += k;
    if (ids)
        p->q = txrecon_q_from_round(s->tab.n, k, n - k, p->q);
    out->cmd = PROTO_CMD_RECONCILDIFF;
    txrecon_diff_encode(&out->payload, true, ask, k);
    free(ask);
}

/* Initiator: the second decode failed too: announce everything. */
static void diff_failure(struct tpeer *p, const struct rset *s, struct txrecon_out *out)
{
    p->c.fallbacks++;
    /* The difference exceeded twice the estimate: estimate higher. */
    p->q = p->q < TXRECON_DEFAULT_Q ? 2 * TXRECON_DEFAULT_Q : 2 * p->q;
    if (p->q > TXRECON_MAX_Q)
        p->q = TXRECON_MAX_Q;
    announce_all(out, p, s);
    out->cmd = PROTO_CMD_RECONCILDIFF;
    txrecon_diff_encode(&out->payload, false, NULL, 0);
}

int txrecon_peer_abandon(struct txrecon *t, uint64_t peer, struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p)
        return -1;
    size_t n = p->snap.tab.n + p->set.tab.n;
    p->c.fallbacks++;
    if (n && !out->announce)
        out->announce = xmalloc(n * sizeof(*out->announce)); /* room for both sets */
    announce_all(out, p, &p->snap);
    announce_all(out, p, &p->set);
    txrecon_peer_remove(t, peer);
    return 0;
}

int txrecon_start(struct txrecon *t, uint64_t peer, struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p || !p->we_initiate || p->phase != PHASE_NONE)
        return -1;
    size_t n = p->set.tab.n;
    struct txrecon_req_msg m = {
        .set_size = (uint16_t)(n < TXRECON_MAX_SET ? n : TXRECON_MAX_SET),
        .q = (uint16_t)ceil(p->q * TXRECON_Q_PRECISION),
    };
    out->cmd = PROTO_CMD_REQRECON;
    txrecon_req_encode(&out->payload, &m);
    p->phase = PHASE_REQUESTED;
    return 0;
}

static void send_sketch(struct tpeer *p, const uint8_t *data, size_t len,
                        struct txrecon_out *out)
{
    out->cmd = PROTO_CMD_SKETCH;
    txrecon_sketch_encode(&out->payload, data, len);
    p->c.sketches_sent++;
    p->c.sketch_bytes_sent += len;
}

int txrecon_on_req(struct txrecon *t, uint64_t peer, const struct txrecon_req_msg *m,
                   struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p || p->we_initiate || p->phase != PHASE_NONE)
        return -1;
    rset_move(&p->snap, &p->set);
    size_t local = p->snap.tab.n, remote = m->set_size;
    size_t cap = 0;
    if (local > 0) {
        /* BIP330's estimate; the +1 keeps sketches from being empty. */
        double q = (double)m->q / TXRECON_Q_PRECISION;
        size_t lo = local < remote ? local : remote;
        size_t est = 1 + (local > remote ? local - remote : remote - local) + (size_t)(q * lo);
        cap = sketch_capacity_for(est, TXRECON_FP_BITS);
        if (cap > TXRECON_MAX_CAPACITY)
            cap = TXRECON_MAX_CAPACITY;
    }
    uint8_t *bytes = xmalloc(cap * SKETCH_ELEM_BYTES);
    if (cap) {
        struct sketch *sk = sketch_of(&p->snap, cap);
        sketch_serialize(sk, bytes);
        sketch_free(sk);
    }
    p->capacity = cap;
    p->solicit = remote;
    p->phase = PHASE_RESPONDED;
    send_sketch(p, bytes, cap * SKETCH_ELEM_BYTES, out);
    free(bytes);
    return 0;
}

/* Initiator: the initial sketch. */
static int initial_sketch(struct tpeer *p, const uint8_t *skdata, size_t len,
                          struct txrecon_out *out)
{
    size_t cap = len / SKETCH_ELEM_BYTES;
    if (cap > TXRECON_MAX_CAPACITY)
        return -1;
    if (cap == 0) {
        /* The responder's set is empty: it lacks all of ours. */
        rset_move(&p->snap, &p->set);
        diff_success(p, &p->snap, NULL, 0, out);
        announce_all(out, p, &p->snap);
        round_done(p);
        return 0;
    }
    uint32_t *ids = NULL;
    int n = decode_diff(&p->set, skdata, cap, &ids);
    if (n >= 0) {
        diff_success(p, &p->set, ids, (size_t)n, out);
        free(ids);
        rset_clear(&p->set);
        round_done(p);
        return 0;
    }
    free(ids);
    p->c.decode_failures++;
    /* Keep the sketch and the set it was compared with for the extension;
     * new transactions go to a fresh set meanwhile. */
    p->remote = xmalloc(len);
    memcpy(p->remote, skdata, len);
    rset_move(&p->snap, &p->set);
    p->capacity = cap;
    p->phase = PHASE_EXT_REQUESTED;
    p->c.extensions++;
    out->cmd = PROTO_CMD_REQSKETCHEXT;
    return 0;
}

/* Initiator: the extension (elements cap..2cap-1 of the same sketch). */
static int extension_sketch(struct tpeer *p, const uint8_t *skdata, size_t len,
                            struct txrecon_out *out)
{
    size_t cap = p->capacity;
    if (len != cap * SKETCH_ELEM_BYTES)
        return -1;
    uint8_t *full = xmalloc(2 * len);
    uint32_t *ids = NULL;
    memcpy(full, p->remote, len);
    memcpy(full + len, skdata, len);
    int n = decode_diff(&p->snap, full, 2 * cap, &ids);
    if (n >= 0) {
        diff_success(p, &p->snap, ids, (size_t)n, out);
    } else {
        p->c.decode_failures++;
        diff_failure(p, &p->snap, out);
    }
    free(ids);
    free(full);
    round_done(p);
    return 0;
}

int txrecon_on_sketch(struct txrecon *t, uint64_t peer, const uint8_t *skdata, size_t len,
                      struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p || !p->we_initiate || len % SKETCH_ELEM_BYTES != 0)
        return -1;
    p->c.sketches_received++;
    p->c.sketch_bytes_received += len;
    if (p->phase == PHASE_REQUESTED)
        return initial_sketch(p, skdata, len, out);
    if (p->phase == PHASE_EXT_REQUESTED)
        return extension_sketch(p, skdata, len, out);
    return -1;
}

int txrecon_on_reqext(struct txrecon *t, uint64_t peer, struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p || p->we_initiate || p->phase != PHASE_RESPONDED || p->capacity == 0)
        return -1;
    size_t cap = p->capacity;
    struct sketch *sk = sketch_of(&p->snap, 2 * cap);
    uint8_t *bytes = xmalloc(2 * cap * SKETCH_ELEM_BYTES);
    sketch_serialize(sk, bytes);
    p->phase = PHASE_EXT_RESPONDED;
    p->c.extensions++;
    send_sketch(p, bytes + cap * SKETCH_ELEM_BYTES, cap * SKETCH_ELEM_BYTES, out);
    sketch_free(sk);
    free(bytes);
    return 0;
}

int txrecon_on_diff(struct txrecon *t, uint64_t peer, const struct txrecon_diff_msg *m,
                    struct txrecon_out *out)
{
    struct tpeer *p = find(t, peer);
    if (!p || p->we_initiate || (p->phase != PHASE_RESPONDED && p->phase != PHASE_EXT_RESPONDED))
        return -1;
    if (m->success && p->capacity == 0) {
        /* Our sketch was empty: all of ours (none, unless added since). */
        announce_all(out, p, &p->snap);
    } else if (m->success) {
        for (size_t i = 0; i < m->n_ask; i++) {
            const struct rentry *e = rset_find_sid(&p->snap, m->ask[i]);
            if (e)
                announce(out, p, e, m->n_ask);
        }
    } else {
        p->c.fallbacks++;
        announce_all(out, p, &p->snap);
    }
    round_done(p);
    return 0;
}

/* The initiator announces what we lack just before its reconcildiff
 * (txrecon_on_sketch's order), so while our sketch awaits the
 * reconcildiff, an inv from the peer is the round's answer: what its set
 * held and ours did not, at most the set size it declared. */
bool txrecon_solicited(struct txrecon *t, uint64_t peer, const struct hash256 *wtxid)
{
    struct tpeer *p = find(t, peer);
    if (!p || p->we_initiate || p->solicit == 0 ||
        (p->phase != PHASE_RESPONDED && p->phase != PHASE_EXT_RESPONDED))
        return false;
    if (rset_find_sid(&p->snap, short_id(p, wtxid)))
        return false; /* in our own sketch: not something we lacked */
    p->solicit--;
    p->c.answers++;
    return true;
}
