/* Anti-entropy: BIP35 mempool service, and periodic mempool
 * reconciliation with hearsay peers.
 *
 * Every antientropy_us the node takes the next reconciling peer in a fixed
 * rotation (a closed loop over its peers, so every link is repaired within
 * a bounded time) and sends "hsdigest": the mempool's size, a hash over
 * its sorted wtxids and its tip. A peer that lacks the tip asks for headers
 * (so a block rumor that died out still reaches everyone); a peer whose
 * mempool digest differs answers "hsinv" with its
 * wtxids; the initiator then announces (inv) what the peer lacks and
 * treats what it lacks as announcements from the peer, which the normal
 * pull (getdata) fetches. The exchange is proportional to the mempool, not
 * to the difference; set reconciliation is a later step. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* "hsinv" carries at most this many wtxids (an inv's limit). */
#define RECON_MAX_IDS PROTO_MAX_INV

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
    struct hash256 *ids = malloc(cap * sizeof(*ids));
    if (!ids)
        return NULL;
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
    struct bindex_node *tip = chainstate_tip(np->chain);
    wbuf_bytes(&np->scratch, tip->hash.b, sizeof(tip->hash.b));
    np_send(np, p->id, NETPROC_CMD_DIGEST, &np->scratch);
}

static bool antientropy_partner(const struct netproc *np, const struct np_peer *p)
{
    return p->reconciles && p->relay_txs;
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

/* A digest from p: fetch its tip if we lack it; answer with our ids when
 * the mempools differ. */
static void on_digest(struct netproc *np, struct np_peer *p, const uint8_t *payload, size_t len,
                      int64_t now)
{
    struct cursor c;
    uint32_t count;
    struct hash256 theirs, ours, tip;
    cursor_init(&c, payload, len);
    if (!cursor_u32(&c, &count) || !cursor_bytes(&c, theirs.b, sizeof(theirs.b)) ||
        !cursor_bytes(&c, tip.b, sizeof(tip.b))) {
        np_misbehaving(np, p->id, "malformed hsdigest");
        return;
    }
    struct bindex_node *known = chainstate_find(np->chain, &tip);
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
    if (n > RECON_MAX_IDS)
        n = RECON_MAX_IDS;
    wbuf_reset(&np->scratch);
    wbuf_compact(&np->scratch, n);
    wbuf_bytes(&np->scratch, ids, n * sizeof(*ids));
    free(ids);
    np_send(np, p->id, NETPROC_CMD_HSINV, &np->scratch);
}

/* p's wtxids: announce to it what it lacks, pull what we lack. */
static void on_hsinv(struct netproc *np, struct np_peer *p, const uint8_t *payload, size_t len,
                     int64_t now)
{
    struct cursor c;
    size_t n;
    const uint8_t *raw;
    cursor_init(&c, payload, len);
    if (!cursor_count(&c, &n, RECON_MAX_IDS, sizeof(struct hash256)) ||
        !cursor_view(&c, &raw, n * sizeof(struct hash256))) {
        np_misbehaving(np, p->id, "malformed hsinv");
        return;
    }
    struct hash256 *theirs = NULL;
    if (n) {
        if (!(theirs = malloc(n * sizeof(*theirs))))
            return;
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
    struct proto_inv *lack = nours ? malloc(nours * sizeof(*lack)) : NULL;
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

void np_recon_message(struct netproc *np, struct np_peer *p, const char *command,
                      const uint8_t *payload, size_t len, int64_t now)
{
    /* Only between hearsay peers that both relay by wtxid. */
    if (!p->reconciles || !p->wtxidrelay || !p->relay_txs)
        return;
    if (strcmp(command, NETPROC_CMD_DIGEST) == 0)
        on_digest(np, p, payload, len, now);
    else if (strcmp(command, NETPROC_CMD_HSINV) == 0)
        on_hsinv(np, p, payload, len, now);
}

/* BIP35: the whole mempool in inv batches, above the peer's fee filter. */
void np_serve_mempool(struct netproc *np, struct np_peer *p)
{
    if (!p->relay_txs)
        return;
    struct relay_peer_info pi;
    int64_t filter = relay_get_peer_info(np->relay, p->id, &pi) == 0 ? pi.props.feefilter : 0;
    size_t cap = mempool_count(np->mempool);
    struct proto_inv *items = cap ? malloc(cap * sizeof(*items)) : NULL;
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
