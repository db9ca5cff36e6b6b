/* Anti-entropy: BIP35 mempool service, and periodic mempool
 * reconciliation with hearsay peers.
 *
 * Every antientropy_us the node takes the next reconciling peer in a fixed
 * rotation (a closed loop over its peers, so every link is repaired within
 * a bounded time) and sends "hsdigest": the mempool's size, a hash over
 * its sorted wtxids and its tip. A peer that lacks the tip asks for headers
 * (so a block rumor that died out still reaches everyone). Equal mempools
 * end there: one message. A peer whose mempool differs answers "hssketch":
 * a salt and a PinSketch (net/relay/sketch.h) of its mempool's short ids
 * (SipHash of the wtxids, keyed from the salt), sized by the difference
 * of the counts plus a margin. The initiator decodes the difference from
 * it and its own sketch, announces (inv) what the peer lacks, and asks by
 * short id ("hsask", reconcildiff's format) for what it lacks, which the
 * peer announces; the normal pull (getdata) fetches. The exchange is
 * proportional to the difference, not to the mempool. When the sketch
 * does not decode, "hsask" with success 0 asks for the whole list
 * instead ("hsinv": the peer's wtxids, handled as before). */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/relay/sketch.h"
#include "net/relay/txrecon.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* "hsinv" carries at most this many wtxids (an inv's limit). */
#define RECON_MAX_IDS PROTO_MAX_INV
/* The sketch's margin over the difference of the counts: a share of the
 * smaller mempool (what gossip is still carrying) plus 2. */
#define RECON_SKETCH_SHARE 32
/* A peer's digests are answered (sorting the mempool, maybe sketching it)
 * at most this often (Bitcoin Core answers reqrecon at most once a
 * second; half that leaves room for jitter at -antientropy=1). */
#define RECON_ANSWER_INTERVAL_US 500000

/* The largest useful sketch: none decodes more than TXRECON_MAX_DECODE
 * differences, and encoding costs mempool size x capacity. */
static size_t max_capacity(void)
{
    return sketch_capacity_for(TXRECON_MAX_DECODE, TXRECON_FP_BITS);
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct hash256));
}

/* The mempool's wtxids, sorted (malloc'd; NULL when empty or no memory). */
static struct hash256 *sorted_wtxids(struct netproc *np, size_t *n)
{
    size_t cap = mempool_count(np->mempool);
    *n = 0;
    if (cap == 0)
        return NULL;
    struct hash256 *ids = xmalloc(cap * sizeof(*ids));
    for (const struct mempool_entry *e = mempool_first(np->mempool); e && *n < cap;
         e = mempool_next(e))
        ids[(*n)++] = mempool_entry_tx(e)->wtxid;
    qsort(ids, *n, sizeof(*ids), cmp_hash);
    return ids;
}

static void digest(const struct hash256 *ids, size_t n, struct hash256 *out)
{
    hash_sha256d(ids, n * sizeof(*ids), out);
}

static void send_digest(struct netproc *np, struct np_peer *p)
{
    size_t n;
    struct hash256 *ids = sorted_wtxids(np, &n);
    struct hash256 d;
    digest(ids, n, &d);
    free(ids);
    wbuf_reset(&np->scratch);
    wbuf_u32(&np->scratch, (uint32_t)n);
    wbuf_bytes(&np->scratch, d.b, sizeof(d.b));
    const struct bindex_node *tip = chainstate_tip(np->chain);
    wbuf_bytes(&np->scratch, tip->hash.b, sizeof(tip->hash.b));
    np_send(np, p->id, PROTO_CMD_HSDIGEST, &np->scratch);
    p->ae_digest_sent = true;
}

/* Not in blocks-only mode: a round would fetch what we refuse to take. */
static bool antientropy_partner(const struct netproc *np, const struct np_peer *p)
{
    return p->reconciles && p->relay_txs && !np->opt.blocksonly;
}

/* Reconciliation messages count only between hearsay peers that both
 * relay by wtxid; from others they are ignored. */
static bool recon_link(const struct netproc *np, const struct np_peer *p)
{
    return antientropy_partner(np, p) && p->wtxidrelay;
}

void np_recon_tick(struct netproc *np, int64_t now)
{
    if (np->opt.antientropy_us <= 0)
        return;
    if (np->recon_due == 0)
        np->recon_due = now + np->opt.antientropy_us;
    if (now < np->recon_due)
        return;
    np->recon_due = now + np->opt.antientropy_us;
    struct np_peer *next = np_rotation_next(np, np->recon_last, antientropy_partner);
    if (!next)
        return;
    np->recon_last = next->id;
    np->info.recon_rounds++;
    send_digest(np, next);
}

int64_t np_recon_wakeup(const struct netproc *np)
{
    if (np->opt.antientropy_us <= 0)
        return INT64_MAX;
    return np->recon_due ? np->recon_due : 0;
}

static void send_hsinv(struct netproc *np, struct np_peer *p, const struct hash256 *ids,
                       size_t n)
{
    if (n > RECON_MAX_IDS)
        n = RECON_MAX_IDS;
    wbuf_reset(&np->scratch);
    wbuf_compact(&np->scratch, n);
    wbuf_bytes(&np->scratch, ids, n * sizeof(*ids));
    np_send(np, p->id, PROTO_CMD_HSINV, &np->scratch);
    np_tx_announced(np, p->id);
}

/* Short ids of ids[0..n) under the salt's keys (malloc'd). */
static uint32_t *short_ids(uint64_t salt, const struct hash256 *ids, size_t n)
{
    uint64_t k0, k1;
    txrecon_salt_keys(salt, salt, &k0, &k1);
    uint32_t *sids = xmalloc(n * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++)
        sids[i] = txrecon_short_id_keyed(k0, k1, &ids[i]);
    return sids;
}

/* The mempool's sketch for a peer whose digest differs from ours. */
static void send_sketch(struct netproc *np, struct np_peer *p, const struct hash256 *ids,
                        size_t n, size_t theirs)
{
    size_t lo = n < theirs ? n : theirs;
    size_t est = 2 + (n > theirs ? n - theirs : theirs - n) + lo / RECON_SKETCH_SHARE;
    size_t cap = sketch_capacity_for(est, TXRECON_FP_BITS);
    if (cap > max_capacity())
        cap = max_capacity();
    uint64_t salt = relay_rand(np->relay);
    uint32_t *sids = short_ids(salt, ids, n);
    struct sketch *sk = sketch_new(cap);
    uint8_t *bytes = xmalloc(cap * SKETCH_ELEM_BYTES);
    sketch_add_many(sk, sids, n);
    sketch_serialize(sk, bytes);
    wbuf_reset(&np->scratch);
    wbuf_u64(&np->scratch, salt);
    txrecon_sketch_encode(&np->scratch, bytes, cap * SKETCH_ELEM_BYTES);
    np_send(np, p->id, PROTO_CMD_HSSKETCH, &np->scratch);
    p->ae_salt = salt;
    p->ae_pending = true;
    np->info.recon_sketches++;
    free(bytes);
    sketch_free(sk);
    free(sids);
}

/* A digest from p: fetch its tip if we lack it; answer with a sketch of
 * our mempool when the mempools differ. */
void np_recon_on_digest(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now)
{
    struct cursor c;
    uint32_t count;
    struct hash256 theirs, ours, tip;
    if (!recon_link(np, p))
        return;
    cursor_init(&c, m->payload, m->len);
    if (!cursor_u32(&c, &count) || !cursor_bytes(&c, theirs.b, sizeof(theirs.b)) ||
        !cursor_bytes(&c, tip.b, sizeof(tip.b))) {
        np_drop_malformed(p, "hsdigest", NULL);
        return;
    }
    if (p->ae_answered > 0 && now < p->ae_answered + RECON_ANSWER_INTERVAL_US)
        return;
    p->ae_answered = now;
    const struct bindex_node *known = chainstate_find(np->chain, &tip);
    if (!known || !(known->status & BINDEX_HAVE_DATA))
        np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now);
    size_t n;
    struct hash256 *ids = sorted_wtxids(np, &n);
    digest(ids, n, &ours);
    if (n == count && hash_eq(&ours, &theirs)) {
        free(ids);
        return;
    }
    np->info.recon_mismatch++;
    send_sketch(np, p, ids, n, count);
    free(ids);
}

/* p's wtxids: announce to it what it lacks, pull what we lack. */
void np_recon_on_hsinv(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                       int64_t now)
{
    struct cursor c;
    size_t n;
    const uint8_t *raw;
    if (!recon_link(np, p))
        return;
    uint64_t count;
    cursor_init(&c, m->payload, m->len);
    if (cursor_compact(&c, &count, UINT64_MAX) && count > RECON_MAX_IDS) {
        /* An explicit limit, as Core's "inv message size" misbehaviour. */
        np_misbehaving(np, p->id, "hsinv message size");
        return;
    }
    cursor_init(&c, m->payload, m->len);
    if (!cursor_count(&c, &n, RECON_MAX_IDS, sizeof(struct hash256)) ||
        !cursor_view(&c, &raw, n * sizeof(struct hash256))) {
        np_drop_malformed(p, "hsinv", NULL);
        return;
    }
    struct hash256 *theirs = NULL;
    if (n) {
        theirs = xmalloc(n * sizeof(*theirs));
        memcpy(theirs, raw, n * sizeof(*theirs));
        qsort(theirs, n, sizeof(*theirs), cmp_hash);
    }
    for (size_t i = 0; i < n; i++) {
        struct relay_inv ri = {RELAY_INV_WTX, theirs[i]};
        if (!mempool_get_wtxid(np->mempool, &theirs[i]) &&
            relay_on_inv(np->relay, p->id, &ri, now) == RELAY_ANN_NEW)
            np->info.recon_items++;
    }
    size_t nours;
    struct hash256 *ours = sorted_wtxids(np, &nours);
    struct proto_inv *lack = nours ? xmalloc(nours * sizeof(*lack)) : NULL;
    size_t k = 0;
    for (size_t i = 0; lack && i < nours; i++)
        if (!n || !bsearch(&ours[i], theirs, n, sizeof(*theirs), cmp_hash)) {
            lack[k].type = PROTO_INV_WTX;
            lack[k++].hash = ours[i];
            relay_peer_note_known(np->relay, p->id, &ours[i]);
        }
    for (size_t off = 0; off < k; off += PROTO_MAX_INV)
        np_send_inv(np, p->id, lack + off, k - off < PROTO_MAX_INV ? k - off : PROTO_MAX_INV);
    LOG_DEBUG(LOG_RELAY, "peer=%" PRIu64 " reconciled: it has %zu, we have %zu, it lacks %zu",
              p->id, n, nours, k);
    free(lack);
    free(ours);
    free(theirs);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* (short id << 32 | index) of ids[0..n), sorted, for lookups by short id
 * (malloc'd). */
static uint64_t *sid_index(uint64_t salt, const struct hash256 *ids, size_t n)
{
    uint32_t *sids = short_ids(salt, ids, n);
    uint64_t *v = xmalloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (uint64_t)sids[i] << 32 | i;
    free(sids);
    qsort(v, n, sizeof(*v), cmp_u64);
    return v;
}

/* ids' entry with this short id, or NULL. */
static const struct hash256 *by_sid(const uint64_t *idx, size_t n, const struct hash256 *ids,
                                    uint32_t sid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((idx[mid] >> 32) < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && (idx[lo] >> 32) == sid ? &ids[idx[lo] & 0xffffffff] : NULL;
}

/* Announces the given wtxids to p (they are ours). */
static void announce_ids(struct netproc *np, struct np_peer *p, const struct hash256 *const *w,
                         size_t n)
{
    struct proto_inv *items = xmalloc(n * sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        items[i].type = PROTO_INV_WTX;
        items[i].hash = *w[i];
        relay_peer_note_known(np->relay, p->id, w[i]);
    }
    for (size_t off = 0; off < n; off += PROTO_MAX_INV)
        np_send_inv(np, p->id, items + off, n - off < PROTO_MAX_INV ? n - off : PROTO_MAX_INV);
    free(items);
}

/* Decodes our difference with p's mempool from its sketch; *ask gets
 * the short ids we lack, *mine our wtxids it lacks. -1: no decode. */
static int decode_difference(const uint8_t *skdata, size_t len, uint64_t salt,
                             const struct hash256 *ids, size_t n, const uint64_t *idx,
                             uint32_t *ask, size_t *n_ask, const struct hash256 **mine,
                             size_t *n_mine)
{
    size_t cap = len / SKETCH_ELEM_BYTES, limit = sketch_max_elements(cap, TXRECON_FP_BITS);
    if (limit > TXRECON_MAX_DECODE)
        limit = TXRECON_MAX_DECODE;
    struct sketch *ours = sketch_new(cap), *theirs = sketch_new(cap);
    uint32_t *sids = short_ids(salt, ids, n), *diff = xmalloc((limit + 1) * sizeof(uint32_t));
    sketch_add_many(ours, sids, n);
    sketch_deserialize(theirs, skdata);
    sketch_merge(ours, theirs);
    int got = sketch_decode(ours, limit, diff);
    *n_ask = *n_mine = 0;
    for (int i = 0; i < got; i++) {
        const struct hash256 *w = by_sid(idx, n, ids, diff[i]);
        if (w)
            mine[(*n_mine)++] = w;
        else
            ask[(*n_ask)++] = diff[i];
    }
    sketch_free(ours);
    sketch_free(theirs);
    free(sids);
    free(diff);
    return got;
}

/* p's sketch: announce what it lacks, ask for what we lack; or, if it
 * does not decode, ask for its whole list. */
void np_recon_on_hssketch(struct netproc *np, struct np_peer *p, const struct net_msg *msg,
                          int64_t now)
{
    struct cursor c;
    uint64_t salt;
    struct txrecon_sketch_msg m;
    if (!recon_link(np, p))
        return;
    cursor_init(&c, msg->payload, msg->len);
    if (!cursor_u64(&c, &salt) || !txrecon_sketch_decode(&c, &m) || m.len == 0 ||
        m.len > max_capacity() * SKETCH_ELEM_BYTES) {
        np_drop_malformed(p, "hssketch", NULL);
        return;
    }
    if (!p->ae_digest_sent)
        return; /* only the answer to our digest is worth its CPU */
    p->ae_digest_sent = false;
    size_t n, cap = m.len / SKETCH_ELEM_BYTES;
    struct hash256 *ids = sorted_wtxids(np, &n);
    uint64_t *idx = sid_index(salt, ids, n);
    uint32_t *ask = xmalloc(cap * sizeof(*ask));
    const struct hash256 **mine = xmalloc(cap * sizeof(*mine));
    size_t n_ask = 0, n_mine = 0;
    int got = decode_difference(m.data, m.len, salt, ids, n, idx, ask, &n_ask, mine, &n_mine);
    if (got >= 0)
        announce_ids(np, p, mine, n_mine);
    else
        np->info.recon_fallbacks++;
    np->info.recon_items += n_ask;
    wbuf_reset(&np->scratch);
    txrecon_diff_encode(&np->scratch, got >= 0, ask, n_ask);
    np_send(np, p->id, PROTO_CMD_HSASK, &np->scratch);
    LOG_DEBUG(LOG_RELAY, "peer=%" PRIu64 " mempool sketch of %zu: %d differences, it lacks %zu",
              p->id, cap, got, n_mine);
    free(mine);
    free(ask);
    free(idx);
    free(ids);
}

/* The answer to our sketch: announce what p asked for, or our whole
 * list if our sketch did not decode. */
void np_recon_on_hsask(struct netproc *np, struct np_peer *p, const struct net_msg *msg,
                       int64_t now)
{
    struct cursor c;
    struct txrecon_diff_msg m;
    if (!recon_link(np, p))
        return;
    cursor_init(&c, msg->payload, msg->len);
    if (!txrecon_diff_decode(&c, &m)) {
        np_drop_malformed(p, "hsask", NULL);
        return;
    }
    if (!p->ae_pending) {
        txrecon_diff_clear(&m);
        return; /* not ours to answer (or answered already) */
    }
    p->ae_pending = false;
    size_t n;
    struct hash256 *ids = sorted_wtxids(np, &n);
    if (!m.success) {
        send_hsinv(np, p, ids, n);
    } else {
        uint64_t *idx = sid_index(p->ae_salt, ids, n);
        const struct hash256 **w = xmalloc(m.n_ask * sizeof(*w));
        size_t k = 0;
        for (size_t i = 0; i < m.n_ask; i++)
            if ((w[k] = by_sid(idx, n, ids, m.ask[i])) != NULL)
                k++;
        announce_ids(np, p, w, k);
        free(w);
        free(idx);
    }
    free(ids);
    txrecon_diff_clear(&m);
}

/* Not during initial download: the announcements of its answer would be
 * ignored (netproc.c's on_inv), so it waits for the tip to be recent. */
void np_ask_mempool(struct netproc *np, struct np_peer *p)
{
    if (chainstate_initial_download(np->chain))
        return;
    for (size_t i = 0; i < (p ? 1 : np->npeers); i++) {
        struct np_peer *q = p ? p : &np->peers[i];
        if (q->mempool_due) {
            q->mempool_due = false;
            np_send(np, q->id, PROTO_CMD_MEMPOOL, NULL);
        }
    }
}

/* BIP35: the whole mempool in inv batches, above the peer's fee filter.
 * Only to hearsay peers (hsgossip): we offer no NODE_BLOOM, and Bitcoin
 * Core drops, without discouragement, any other peer that asks (a
 * mempool dump reveals what we have not announced). */
void np_serve_mempool(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    if (!p->reconciles) {
        LOG_INFO("peer=%" PRIu64 " sent mempool: not offering bloom filters, disconnecting",
                 p->id);
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, "mempool request with bloom filters disabled");
        return;
    }
    /* Past -maxuploadtarget, as Core (no peer has its mempool permission). */
    if (np->io.upload_target_reached && np->io.upload_target_reached(np->io.ctx, false)) {
        LOG_INFO("mempool request with bandwidth limit reached, disconnect peer=%" PRIu64, p->id);
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, "mempool request with bandwidth limit reached");
        return;
    }
    if (!p->relay_txs)
        return;
    struct relay_peer_info pi;
    int64_t filter = relay_get_peer_info(np->relay, p->id, &pi) == 0 ? pi.props.feefilter : 0;
    size_t cap = mempool_count(np->mempool);
    struct proto_inv *items = cap ? xmalloc(cap * sizeof(*items)) : NULL;
    if (!items)
        return;
    size_t k = 0;
    for (const struct mempool_entry *e = mempool_first(np->mempool); e && k < cap;
         e = mempool_next(e)) {
        size_t vsize = mempool_entry_vsize(e);
        if (mempool_entry_fee(e) * 1000 / (int64_t)(vsize ? vsize : 1) < filter)
            continue;
        const struct tx *tx = mempool_entry_tx(e);
        items[k].type = p->wtxidrelay ? PROTO_INV_WTX : PROTO_INV_TX;
        items[k].hash = p->wtxidrelay ? tx->wtxid : tx->txid;
        /* Listed here: a queued rumor push of it would be redundant. */
        relay_peer_note_known(np->relay, p->id, &items[k++].hash);
    }
    for (size_t off = 0; off < k; off += PROTO_MAX_INV)
        np_send_inv(np, p->id, items + off, k - off < PROTO_MAX_INV ? k - off : PROTO_MAX_INV);
    free(items);
    np->info.mempool_served++;
}
