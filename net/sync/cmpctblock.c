/* BIP152 compact blocks, as Bitcoin Core's net_processing does them.
 *
 * Negotiation: sendcmpct version 2 only. Up to 3 peers, the last ones to
 * deliver a new valid block first, are asked to announce blocks with
 * cmpctblock (high bandwidth); the peer that drops out of the three gets
 * sendcmpct(0, 2). Others announce by headers, and a lone new block at
 * the tip is then fetched as MSG_CMPCT_BLOCK.
 *
 * Receiving: a cmpctblock is rebuilt from the mempool, the orphans and a
 * ring of recently rejected or replaced transactions; what is missing is
 * asked with getblocktxn; a short-id collision or a failed rebuild
 * fetches the full block. The partial block waiting for a blocktxn lives
 * with the block's request (blocksync.c): a peer may have several being
 * rebuilt, one per block it has in flight, and up to 3 peers may rebuild
 * one block at once, as in Core: the first in flight, and others we asked
 * for high-bandwidth announcements; the first to complete the block ends
 * the others' downloads, and only the first falls back to the full block
 * (the others give up). Serving:
 * cmpctblock for blocks at most 5 deep (full blocks below), blocktxn for
 * blocks at most 10 deep. Announcing:
 * a block that extends our tip is sent to high-bandwidth peers as soon as
 * its header and the checks that need no UTXO pass (Core's
 * NewPoWValidBlock), before it is connected. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/validation.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HB_MAX 3                 /* BIP152's high-bandwidth peers */
#define EXTRA_MAX_TX_SIZE 100000 /* Core keeps no larger extra transaction */

struct np_cmpct {
    uint64_t hb[HB_MAX]; /* lNodesAnnouncingHeaderAndIDs, oldest first */
    size_t nhb;
    struct tx **extra; /* a ring of opt.extra_txn */
    size_t extra_next, extra_n;
    /* The latest cmpctblock payload built (one nonce for all peers). */
    struct hash256 recent_hash;
    struct wbuf recent;
    bool have_recent;
    int highest_fast_announce;
};

/* ---- life cycle, extra pool ---- */

static void on_mempool_removed(void *ctx, const struct tx *tx, enum mempool_removal why,
                               uint64_t sequence)
{
    (void)sequence;
    if (why == MEMPOOL_REMOVED_REPLACED) /* the replaced one may still be mined */
        np_cmpct_extra_add(ctx, (struct tx *)tx);
}

void np_cmpct_init(struct netproc *np)
{
    struct np_cmpct *c = xcalloc(1, sizeof(*c));
    c->extra = np->opt.extra_txn ? xcalloc(np->opt.extra_txn, sizeof(*c->extra)) : NULL;
    wbuf_init(&c->recent);
    c->highest_fast_announce = -1;
    np->cmpct = c;
    struct mempool_listener l = { NULL, on_mempool_removed, np };
    if (mempool_add_listener(np->mempool, &l) < 0)
        LOG_WARN("compact blocks: no mempool listener slot; replaced transactions are not kept");
}

void np_cmpct_free(struct netproc *np)
{
    struct np_cmpct *c = np->cmpct;
    if (!c)
        return;
    mempool_remove_listener(np->mempool, np);
    for (size_t i = 0; i < c->extra_n; i++)
        tx_free(c->extra[i]);
    free(c->extra);
    wbuf_free(&c->recent);
    free(c);
    np->cmpct = NULL;
}

void np_cmpct_extra_add(struct netproc *np, struct tx *tx)
{
    struct np_cmpct *c = np->cmpct;
    if (!np->opt.extra_txn || tx->size > EXTRA_MAX_TX_SIZE)
        return;
    if (c->extra_n < np->opt.extra_txn)
        c->extra_n++;
    else
        tx_free(c->extra[c->extra_next]);
    c->extra[c->extra_next] = tx_ref(tx);
    c->extra_next = (c->extra_next + 1) % np->opt.extra_txn;
    np->info.cmpct_extra = c->extra_n;
}

static void hb_remove_at(struct np_cmpct *c, size_t i)
{
    memmove(c->hb + i, c->hb + i + 1, (c->nhb - i - 1) * sizeof(c->hb[0]));
    c->nhb--;
}

void np_cmpct_peer_gone(struct netproc *np, uint64_t peer)
{
    struct np_cmpct *c = np->cmpct;
    for (size_t i = 0; i < c->nhb; i++)
        if (c->hb[i] == peer) {
            hb_remove_at(c, i);
            break;
        }
}

/* ---- negotiation ---- */

void np_cmpct_on_sendcmpct(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                           int64_t now)
{
    const struct proto_sendcmpct *sc = &m->u.sendcmpct;
    if (sc->version != CMPCT_VERSION) /* only compact blocks with witnesses */
        return;
    p->cmpct.provides = true;
    p->cmpct.hb_from = sc->announce;
}

static void send_sendcmpct(struct netproc *np, struct np_peer *p, bool hb)
{
    struct proto_sendcmpct m = {.announce = hb, .version = CMPCT_VERSION};
    wbuf_reset(&np->scratch);
    proto_sendcmpct_encode(&np->scratch, &m);
    np_send(np, p->id, PROTO_CMD_SENDCMPCT, &np->scratch);
    p->cmpct.hb_to = hb;
}

/* Core's MaybeSetPeerAsAnnouncingHeaderAndIDs. */
static void set_high_bandwidth(struct netproc *np, struct np_peer *p)
{
    struct np_cmpct *c = np->cmpct;
    if (!p->cmpct.provides)
        return;
    size_t outbound = 0;
    for (size_t i = 0; i < c->nhb; i++) {
        if (c->hb[i] == p->id) { /* already one: now the newest */
            hb_remove_at(c, i);
            c->hb[c->nhb++] = p->id;
            return;
        }
        struct np_peer *q = np_peer_find(np, c->hb[i]);
        outbound += q && !q->inbound;
    }
    /* An inbound newcomer must not push out our last outbound one. */
    struct np_peer *first = c->nhb ? np_peer_find(np, c->hb[0]) : NULL;
    if (p->inbound && c->nhb >= HB_MAX && outbound == 1 && first && !first->inbound) {
        uint64_t t = c->hb[0];
        c->hb[0] = c->hb[1];
        c->hb[1] = t;
    }
    if (c->nhb >= HB_MAX) {
        struct np_peer *drop = np_peer_find(np, c->hb[0]);
        if (drop)
            send_sendcmpct(np, drop, false);
        hb_remove_at(c, 0);
    }
    send_sendcmpct(np, p, true);
    c->hb[c->nhb++] = p->id;
}

void np_cmpct_block_from(struct netproc *np, struct np_peer *p, const struct hash256 *hash)
{
    if (!np->opt.compactblocks || np->opt.blocksonly || chainstate_initial_download(np->chain))
        return;
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    if (!n || !chainstate_is_active(np->chain, n))
        return;
    for (size_t i = 0; i < np->ninflight; i++) /* Core: no other block in flight */
        if (!hash_eq(&np->inflight[i].hash, hash))
            return;
    set_high_bandwidth(np, p);
}

uint32_t np_cmpct_fetch_type(struct netproc *np, const struct np_peer *p,
                             const struct bindex_node *n)
{
    if (np->opt.compactblocks && !np->opt.blocksonly && p->cmpct.provides &&
        np->ninflight == 0 && n->prev && (n->prev->status & BINDEX_HAVE_DATA) &&
        !(n->prev->status & BINDEX_FAILED_MASK))
        return PROTO_INV_CMPCT_BLOCK;
    return PROTO_INV_BLOCK | (p->serves_witness ? PROTO_INV_WITNESS_FLAG : 0);
}

/* ---- serving and announcing ---- */

static void cache_block(struct netproc *np, const struct block *b)
{
    struct np_cmpct *c = np->cmpct;
    struct cmpct_block cb;
    cmpct_block_from_block(&cb, b, relay_rand(np->relay));
    wbuf_reset(&c->recent);
    cmpct_block_encode(&c->recent, &cb);
    cmpct_block_clear(&cb);
    c->recent_hash = b->hash;
    c->have_recent = true;
}

/* The cmpctblock payload of a stored block, cached; NULL if not stored. */
static const struct wbuf *cmpct_payload(struct netproc *np, const struct hash256 *hash)
{
    struct np_cmpct *c = np->cmpct;
    if (c->have_recent && hash_eq(&c->recent_hash, hash))
        return &c->recent;
    char *err = NULL;
    struct block *b = chainstate_get_block(np->chain, hash, &err);
    free(err);
    if (!b)
        return NULL;
    cache_block(np, b);
    block_free(b);
    return &c->recent;
}

static void send_cmpct(struct netproc *np, struct np_peer *p, const struct wbuf *payload)
{
    np_send(np, p->id, PROTO_CMD_CMPCTBLOCK, payload);
    p->cmpct.n.sent++;
    np->info.cmpct.sent++;
}

bool np_cmpct_serve(struct netproc *np, struct np_peer *p, const struct hash256 *hash)
{
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (!n || !tip || !(n->status & BINDEX_HAVE_DATA))
        return false;
    /* A peer asking for old blocks has no mempool to rebuild them from. */
    if (chainstate_initial_download(np->chain) ||
        n->height < tip->height - CMPCT_MAX_CMPCTBLOCK_DEPTH)
        return np_serve_block(np, p, hash, true);
    const struct wbuf *w = cmpct_payload(np, hash);
    if (!w) { /* stored (checked above), so unreadable */
        np_block_unreadable(np, p, hash, NULL);
        return false;
    }
    send_cmpct(np, p, w);
    return true;
}

bool np_cmpct_announce(struct netproc *np, uint64_t peer, const struct hash256 *hash)
{
    struct np_peer *p = np_peer_find(np, peer);
    if (!p || !p->cmpct.hb_from)
        return false;
    const struct wbuf *w = cmpct_payload(np, hash);
    if (!w)
        return false;
    send_cmpct(np, p, w);
    return true;
}

/* The checks Core's AcceptBlock makes before NewPoWValidBlock: header
 * (proof of work, context) and the block's own and contextual rules. */
static bool pow_valid(struct netproc *np, const struct bindex_node *tip, const struct block *b)
{
    const struct chain_params *params = chainstate_params(np->chain);
    struct hash256 bad;
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st =
        chainstate_process_headers(np->chain, &b->hdr, 1, &bad, &reason, &err);
    free(err);
    return (st == CHAINSTATE_ACCEPTED || st == CHAINSTATE_DUPLICATE) &&
           tip->height + 1 >= params->segwit_height && validation_block_basic(b, &reason) &&
           validation_block_context(params, tip, b, &reason);
}

void np_cmpct_pow_valid(struct netproc *np, const struct block *b)
{
    struct np_cmpct *c = np->cmpct;
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (!tip || !hash_eq(&b->hdr.prev, &tip->hash) || tip->height + 1 <= c->highest_fast_announce ||
        chainstate_initial_download(np->chain))
        return;
    bool any = false;
    for (size_t i = 0; i < np->npeers && !any; i++)
        any = np->peers[i].cmpct.hb_from;
    if (!any || !pow_valid(np, tip, b))
        return;
    c->highest_fast_announce = tip->height + 1;
    cache_block(np, b);
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!p->cmpct.hb_from || relay_peer_knows(np->relay, p->id, &b->hash) ||
            !np_peer_has(np, p, tip))
            continue;
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " gets cmpctblock before validation", p->id);
        send_cmpct(np, p, &c->recent);
        relay_peer_note_known(np->relay, p->id, &b->hash);
        np_set_best_sent(p, chainstate_find(np->chain, &b->hash));
    }
}

void np_cmpct_on_getblocktxn(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                             int64_t now)
{
    struct cmpct_getblocktxn req;
    struct cursor cur;
    cursor_init(&cur, m->payload, m->len);
    if (!cmpct_getblocktxn_decode(&cur, &req)) {
        np_drop_malformed(p, "getblocktxn", NULL);
        return;
    }
    const struct bindex_node *n = chainstate_find(np->chain, &req.block);
    const struct bindex_node *tip = chainstate_tip(np->chain);
    struct block *b = NULL;
    if (!n || !tip || !(n->status & BINDEX_HAVE_DATA)) {
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " asked getblocktxn of a block we lack", p->id);
    } else if (n->height < tip->height - CMPCT_MAX_BLOCKTXN_DEPTH) {
        /* Deeper: the whole block, so cheap requests cannot make us read
         * the disk for nothing; queued as a getdata item, as Core does. */
        struct proto_inv it = {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, req.block};
        struct net_msg gd = {.cmd = PROTO_CMD_GETDATA, .u.inv = {&it, 1}};
        np_on_getdata(np, p, &gd, now);
    } else if ((b = chainstate_get_block(np->chain, &req.block, NULL)) != NULL) {
        struct cmpct_blocktxn resp = {.block = req.block, .n = req.n};
        resp.txs = req.n ? xcalloc(req.n, sizeof(*resp.txs)) : NULL;
        bool ok = true;
        for (size_t i = 0; ok && i < req.n; i++) {
            ok = req.indexes[i] < b->tx_count;
            if (ok)
                resp.txs[i] = b->txs[req.indexes[i]];
        }
        if (!ok) {
            np_misbehaving(np, p->id, "getblocktxn with out-of-bounds tx indices");
        } else {
            wbuf_reset(&np->scratch);
            cmpct_blocktxn_encode(&np->scratch, &resp);
            np_send(np, p->id, PROTO_CMD_BLOCKTXN, &np->scratch);
            p->cmpct.n.blocktxn_sent++;
            np->info.cmpct.blocktxn_sent++;
        }
        free(resp.txs); /* borrowed from the block */
    }
    block_free(b);
    cmpct_getblocktxn_clear(&req);
}

/* ---- receiving ---- */

void np_cmpct_full_fallback(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                            int64_t now)
{
    p->cmpct.n.full_fallbacks++;
    np->info.cmpct.full_fallbacks++;
    np_getdata_block(np, p, hash, now);
}

static bool offer_orphan(void *pb, struct tx *tx)
{
    return cmpct_partial_offer(pb, tx, true);
}

/* Offers what we hold: the mempool, then the orphans and the extra pool. */
static void offer_ours(struct netproc *np, struct cmpct_partial *pb)
{
    struct np_cmpct *c = np->cmpct;
    for (const struct mempool_entry *e = mempool_first(np->mempool); e; e = mempool_next(e))
        if (cmpct_partial_offer(pb, mempool_entry_tx(e), false))
            return;
    if (orphanage_each(np->orphans, offer_orphan, pb))
        return;
    for (size_t i = 0; i < c->extra_n; i++)
        if (cmpct_partial_offer(pb, c->extra[i], true))
            return;
}

/* A compact block that does not rebuild (Core's READ_STATUS_FAILED): the
 * first in flight fetches the full block; another peer gives up, leaving
 * it to the others in flight. */
static void rebuild_failed(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                           bool first, int64_t now)
{
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " compact block does not rebuild%s", p->id,
              first ? ": full block" : ", left to the other downloads");
    if (first)
        np_cmpct_full_fallback(np, p, hash, now);
    else
        np_block_request_drop(np, hash, p->id, now);
}

/* Completes pb with the missing transactions (in order) and processes
 * the block; INVALID means the peer's transactions do not fit. first: p
 * is the block's first in flight (or the only one). */
static enum cmpct_status finish(struct netproc *np, struct np_peer *p, struct cmpct_partial *pb,
                                struct tx *const *missing, size_t n, bool first, int64_t now)
{
    struct hash256 hash = *cmpct_partial_hash(pb);
    struct block *b;
    enum cmpct_status st = cmpct_partial_fill(pb, missing, n, &b);
    if (st == CMPCT_FAILED) {
        rebuild_failed(np, p, &hash, first, now);
    } else if (st == CMPCT_OK) {
        np_process_block(np, p, b, true, true, now);
        block_free(b);
    }
    return st;
}

static void send_getblocktxn(struct netproc *np, struct np_peer *p, struct cmpct_partial *pb)
{
    struct cmpct_getblocktxn req = {.block = *cmpct_partial_hash(pb)};
    req.n = cmpct_partial_missing_count(pb);
    req.indexes = xcalloc(req.n, sizeof(*req.indexes));
    cmpct_partial_missing(pb, req.indexes);
    wbuf_reset(&np->scratch);
    cmpct_getblocktxn_encode(&np->scratch, &req);
    np_send(np, p->id, PROTO_CMD_GETBLOCKTXN, &np->scratch);
    p->cmpct.n.getblocktxn_sent++;
    p->cmpct.n.txs_requested += req.n;
    np->info.cmpct.getblocktxn_sent++;
    np->info.cmpct.txs_requested += req.n;
    cmpct_getblocktxn_clear(&req);
}

/* Whether p may ask for the transactions it left out, when it is not the
 * block's first in flight (Core's ProcessCompactBlock): only a peer we
 * asked for high-bandwidth announcements, and of those an inbound one
 * only if an outbound peer has the block in flight too, or if it does not
 * take the last parallel slot (kept for an outbound peer). */
static bool may_round_trip(const struct np_peer *p, const struct np_block_flight *fl)
{
    return p->cmpct.hb_to && (!p->inbound || fl->from_outbound ||
                              fl->n < NETPROC_MAX_CMPCT_PER_BLOCK - 1);
}

/* Rebuilds the block of cb. tracked: we take a download of it on (it may
 * cost a getblocktxn, a failure fetches the full block); untracked: only
 * an attempt without round trip (others have the download). fl: its
 * requests before this message. */
static void rebuild(struct netproc *np, struct np_peer *p, const struct cmpct_block *cb,
                    bool tracked, const struct np_block_flight *fl, int64_t now)
{
    bool first = fl->n == 0 || fl->first == p->id;
    struct cmpct_partial *pb;
    enum cmpct_status st = cmpct_partial_new(cb, relay_rand(np->relay), &pb);
    if (st == CMPCT_INVALID) {
        /* Not waited for if the peer stays (Core: noban peers do). */
        np_block_request_drop(np, &cb->hash, p->id, now);
        np_misbehaving(np, p->id, "invalid compact block");
        return;
    }
    if (st == CMPCT_FAILED) { /* short-id collision */
        if (tracked)
            rebuild_failed(np, p, &cb->hash, first, now);
        return;
    }
    offer_ours(np, pb);
    if (cmpct_partial_missing_count(pb) == 0) {
        if (finish(np, p, pb, NULL, 0, first, now) == CMPCT_OK) {
            p->cmpct.n.reconstructed++;
            np->info.cmpct.reconstructed++;
        }
    } else if (tracked && (first || may_round_trip(p, fl))) {
        /* Its own request: other blocks in flight from p, and other
         * peers' downloads of this one, keep theirs. */
        struct cmpct_partial **slot = np_block_requested(np, p, &cb->hash, now);
        if (slot && !*slot) {
            *slot = pb;
            send_getblocktxn(np, p, pb);
            return;
        }
    } else if (tracked) {
        np_block_request_drop(np, &cb->hash, p->id, now); /* waits for the others */
    }
    cmpct_partial_free(pb);
}

/* The header of a cmpctblock, as a one-header announcement. NULL: done
 * with the message (unknown parent, invalid, or we have the block). */
static const struct bindex_node *accept_header(struct netproc *np, struct np_peer *p,
                                         const struct cmpct_block *cb, int64_t now)
{
    const struct bindex_node *prev = chainstate_find(np->chain, &cb->hdr.prev);
    if (!prev) {
        if (!chainstate_initial_download(np->chain))
            np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now);
        return NULL;
    }
    if (np_lowwork_block(np, prev, &cb->hdr)) { /* Core: ignored before anything is stored */
        LOG_DEBUG(LOG_NET, "ignoring low-work compact block from peer=%" PRIu64, p->id);
        return NULL;
    }
    const struct bindex_node *known = chainstate_find(np->chain, &cb->hash);
    bool cached = known && (known->status & BINDEX_FAILED_MASK);
    struct hash256 bad;
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st =
        chainstate_process_headers(np->chain, &cb->hdr, 1, &bad, &reason, &err);
    free(err);
    if (st == CHAINSTATE_INVALID && np_block_punishable(reason, cached, true, p->inbound))
        np_misbehaving(np, p->id, reason ? reason : "invalid header via cmpctblock");
    if (st != CHAINSTATE_ACCEPTED && st != CHAINSTATE_DUPLICATE)
        return NULL;
    const struct bindex_node *n = chainstate_find(np->chain, &cb->hash);
    if (!n)
        return NULL;
    np_set_best_known(p, n);
    np_extra_headers(np, p, !known, n, false, now);
    relay_peer_note_known(np->relay, p->id, &cb->hash);
    return (n->status & BINDEX_HAVE_DATA) ? NULL : n;
}

void np_cmpct_on_cmpctblock(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                            int64_t now)
{
    struct cmpct_block cb;
    struct cursor cur;
    cursor_init(&cur, m->payload, m->len);
    if (!cmpct_block_decode(&cur, &cb)) {
        np_drop_malformed(p, "cmpctblock", NULL);
        return;
    }
    p->cmpct.n.received++;
    np->info.cmpct.received++;
    np->pull_soon = true;
    const struct bindex_node *n = accept_header(np, p, &cb, now);
    const struct bindex_node *tip = chainstate_tip(np->chain);
    struct np_block_flight fl = {0};
    if (n)
        np_block_flight(np, &cb.hash, p->id, &fl);
    bool inflight = fl.n > 0;
    bool ours = fl.from_peer; /* we asked p for it */
    if (!n || !tip) {
        /* nothing to do */
    } else if (u256_cmp(&n->work, &tip->work) <= 0) {
        if (ours) /* asked for some reason: the mempool will not help */
            np_getdata_block(np, p, &cb.hash, now);
    } else if (!inflight && chainstate_initial_download(np->chain)) {
        np_request_blocks_all(np, now); /* too far behind to rebuild */
    } else if (n->height <= tip->height + 2) {
        bool take = ours || (fl.n < NETPROC_MAX_CMPCT_PER_BLOCK &&
                             p->blocks_in_flight < NETPROC_MAX_BLOCKS_IN_FLIGHT);
        struct cmpct_partial **slot = ours ? np_block_partial(np, &cb.hash, p->id) : NULL;
        if (slot && *slot) /* Core: the getblocktxn already asked stands */
            LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " sent a cmpctblock we are rebuilding", p->id);
        else
            rebuild(np, p, &cb, take, &fl, now);
    } else if (ours) {
        np_getdata_block(np, p, &cb.hash, now); /* far ahead: no use rebuilding */
    } else {
        np_request_blocks_all(np, now); /* as a headers announcement */
    }
    cmpct_block_clear(&cb);
}

void np_cmpct_on_blocktxn(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now)
{
    struct cmpct_blocktxn resp;
    struct cursor cur;
    cursor_init(&cur, m->payload, m->len);
    if (!cmpct_blocktxn_decode(&cur, &resp)) {
        np_drop_malformed(p, "blocktxn", NULL);
        return;
    }
    np->pull_soon = true;
    /* The partial block of that block's request, whatever else p has in
     * flight (Core's ProcessCompactBlockTxns); none if another peer's
     * download completed the block first. */
    struct cmpct_partial **slot = np_block_partial(np, &resp.block, p->id);
    struct np_block_flight fl;
    np_block_flight(np, &resp.block, p->id, &fl);
    if (!slot || !*slot) {
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " sent blocktxn we did not ask for", p->id);
    } else {
        struct cmpct_partial *pb = *slot;
        *slot = NULL; /* ours now: finishing may end the request */
        if (finish(np, p, pb, resp.txs, resp.n, fl.first == p->id, now) == CMPCT_INVALID) {
            np_block_request_drop(np, &resp.block, p->id, now); /* if p stays */
            np_misbehaving(np, p->id, "invalid compact block/non-matching block transactions");
        }
        cmpct_partial_free(pb);
    }
    cmpct_blocktxn_clear(&resp);
}
