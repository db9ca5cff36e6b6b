/* Headers-first block sync and block service.
 *
 * Each peer's best known header is tracked (from its headers and block
 * announcements); blocks on that peer's chain that we lack are requested
 * from it, oldest first, at most NETPROC_MAX_BLOCKS_IN_FLIGHT per peer and
 * no more than the window (NETPROC_BLOCK_WINDOW) beyond our tip, one peer
 * per block. A request unanswered for block_stall_us moves to another
 * peer. And as in Bitcoin Core, a peer that could download more but for
 * the window, held up by another peer's request of the window's first
 * block, makes that other peer a staller: dropped after the (adaptive)
 * stalling timeout unless the block comes. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Headers more than this behind the best header: still syncing, so the
 * tip is not announced block by block. */
#define SYNC_LAG 144

void np_getheaders(struct netproc *np, struct np_peer *p, const struct bindex_node *from,
                   const struct hash256 *stop, int64_t now)
{
    struct hash256 loc[PROTO_MAX_LOCATOR];
    size_t n = chainstate_locator(np->chain, from, loc, PROTO_MAX_LOCATOR);
    struct hash256 zero;
    memset(&zero, 0, sizeof(zero));
    wbuf_reset(&np->scratch);
    proto_locator_encode(&np->scratch, PROTO_VERSION, loc, n, stop ? stop : &zero);
    np_send(np, p->id, "getheaders", &np->scratch);
    p->last_getheaders = now;
}

void np_sync_start(struct netproc *np, struct np_peer *p, int64_t now)
{
    /* From the best header's parent, as Core: the answer is never empty,
     * so we learn how far the peer's chain reaches. */
    struct bindex_node *best = chainstate_best_header(np->chain);
    np_getheaders(np, p, best && best->prev ? best->prev : best, NULL, now);
}

static void set_best_known(struct np_peer *p, struct bindex_node *n)
{
    if (n && (!p->best_known || u256_cmp(&n->work, &p->best_known->work) > 0))
        p->best_known = n;
}

static struct np_inflight *inflight_find(struct netproc *np, const struct hash256 *h)
{
    for (size_t i = 0; i < np->ninflight; i++)
        if (hash_eq(&np->inflight[i].hash, h))
            return &np->inflight[i];
    return NULL;
}

static void inflight_remove(struct netproc *np, struct np_inflight *f)
{
    struct np_peer *p = np_peer_find(np, f->peer);
    if (p && p->blocks_in_flight)
        p->blocks_in_flight--;
    *f = np->inflight[--np->ninflight];
}

static bool inflight_add(struct netproc *np, struct np_peer *p, const struct hash256 *h,
                         int64_t now)
{
    if (np->ninflight == np->cap_inflight) {
        size_t cap = np->cap_inflight ? np->cap_inflight * 2 : 64;
        struct np_inflight *v = xrealloc(np->inflight, cap * sizeof(*v));
        np->inflight = v;
        np->cap_inflight = cap;
    }
    np->inflight[np->ninflight++] = (struct np_inflight){.hash = *h, .peer = p->id, .since = now};
    p->blocks_in_flight++;
    return true;
}

static void note_staller(struct netproc *np, uint64_t id, int64_t now)
{
    struct np_peer *s = np_peer_find(np, id);
    if (s && s->stalling_since == 0) {
        s->stalling_since = now;
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " holds up the block download window", id);
    }
}

/* Requests from p the blocks of its best chain we lack, within the window. */
static void request_blocks(struct netproc *np, struct np_peer *p, int64_t now)
{
    struct bindex_node *tip = chainstate_tip(np->chain);
    if (!p->best_known || !tip || p->blocks_in_flight >= NETPROC_MAX_BLOCKS_IN_FLIGHT ||
        p->stalled_until > now ||
        u256_cmp(&p->best_known->work, &tip->work) <= 0)
        return;
    int limit = tip->height + np->opt.block_window;
    struct bindex_node *n = p->best_known;
    bool window_full = n->height > limit;
    if (window_full)
        n = bindex_ancestor(n, limit);
    struct bindex_node *fork = bindex_fork_point(tip, n);
    /* Walk back to the fork, keeping the oldest wanted blocks. */
    size_t room = NETPROC_MAX_BLOCKS_IN_FLIGHT - p->blocks_in_flight;
    struct bindex_node *want[NETPROC_MAX_BLOCKS_IN_FLIGHT];
    size_t nwant = 0;
    const struct np_inflight *first_other = NULL; /* lowest block another peer holds */
    for (; n && n != fork; n = n->prev) {
        if (n->status & (BINDEX_HAVE_DATA | BINDEX_FAILED_MASK))
            continue;
        const struct np_inflight *f = inflight_find(np, &n->hash);
        if (f) {
            if (f->peer != p->id)
                first_other = f;
            continue;
        }
        if (nwant == room) /* drop the newest: shift down */
            memmove(want, want + 1, (--nwant) * sizeof(*want));
        want[nwant++] = n;
    }
    if (nwant == 0) {
        /* Idle only because the window cannot move: Core's staller. */
        if (window_full && p->blocks_in_flight == 0 && first_other)
            note_staller(np, first_other->peer, now);
        return;
    }
    struct proto_inv items[NETPROC_MAX_BLOCKS_IN_FLIGHT];
    for (size_t i = 0; i < nwant; i++) {
        struct bindex_node *b = want[nwant - 1 - i]; /* oldest first */
        items[i].type = PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG;
        items[i].hash = b->hash;
        inflight_add(np, p, &b->hash, now);
    }
    wbuf_reset(&np->scratch);
    proto_inv_encode(&np->scratch, items, nwant);
    np_send(np, p->id, "getdata", &np->scratch);
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " requested %zu blocks from height %d", p->id, nwant,
              want[nwant - 1]->height);
}

void np_request_blocks_all(struct netproc *np, int64_t now)
{
    for (size_t i = 0; i < np->npeers; i++)
        request_blocks(np, &np->peers[i], now);
}

void np_on_headers(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    size_t n = m->u.headers.n;
    if (n == 0)
        return;
    struct block_header *hdrs = xmalloc(n * sizeof(*hdrs));
    for (size_t i = 0; i < n; i++) {
        struct cursor c;
        cursor_init(&c, m->u.headers.hdrs[i], BLOCK_HEADER_SIZE);
        block_header_parse(&c, &hdrs[i]);
    }
    struct hash256 bad, last;
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st =
        chainstate_process_headers(np->chain, hdrs, n, &bad, &reason, &err);
    block_header_hash(&hdrs[n - 1], &last);
    free(hdrs);
    if (st == CHAINSTATE_MISSING_PARENT) {
        /* An announcement that does not connect: ask for the gap. */
        np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now);
        return;
    }
    if (st == CHAINSTATE_INVALID) {
        np_misbehaving(np, p->id, reason ? reason : "invalid header");
        return;
    }
    if (st == CHAINSTATE_ERROR) {
        LOG_ERROR("headers from peer=%" PRIu64 ": %s", p->id, err ? err : "storage error");
        free(err);
        return;
    }
    struct bindex_node *lastn = chainstate_find(np->chain, &last);
    set_best_known(p, lastn);
    if (n == NETPROC_MAX_HEADERS && lastn) /* more to come */
        np_getheaders(np, p, lastn, NULL, now);
    request_blocks(np, p, now);
}

void np_on_block_inv(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                     int64_t now)
{
    struct bindex_node *n = chainstate_find(np->chain, hash);
    if (n) {
        set_best_known(p, n);
        request_blocks(np, p, now);
        return;
    }
    np_getheaders(np, p, chainstate_best_header(np->chain), hash, now);
}

void np_on_block(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    const char *why = NULL;
    struct block *b = block_from_bytes(m->payload, m->len, &why);
    if (!b) {
        np_misbehaving(np, p->id, "malformed block");
        return;
    }
    np->info.blocks_received++;
    struct np_inflight *f = inflight_find(np, &b->hash);
    if (f) {
        if (f->peer == p->id) /* it delivers: no longer a staller */
            p->stalling_since = 0;
        inflight_remove(np, f);
    }
    struct bindex_node *known = chainstate_find(np->chain, &b->hash);
    if (known && (known->status & BINDEX_HAVE_DATA))
        np->info.blocks_dup++;
    else if (np->stalling_timeout_us > NETPROC_BLOCK_STALLING_US) /* a new block: relax */
        np->stalling_timeout_us = np->stalling_timeout_us * 85 / 100 > NETPROC_BLOCK_STALLING_US
                                      ? np->stalling_timeout_us * 85 / 100
                                      : NETPROC_BLOCK_STALLING_US;
    char *err = NULL;
    const char *reason = NULL;
    np->tip_from_peer = true;
    np->tip_peer = p->id;
    enum chainstate_status st = chainstate_process_block(np->chain, b, &reason, &err);
    if (st == CHAINSTATE_MISSING_PARENT) {
        np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now);
    } else if (st == CHAINSTATE_INVALID) {
        np_misbehaving(np, p->id, reason ? reason : "invalid block");
    } else if (st == CHAINSTATE_ERROR) {
        LOG_ERROR("block from peer=%" PRIu64 ": %s", p->id, err ? err : "storage error");
    } else {
        if (st == CHAINSTATE_ACCEPTED)
            p->last_block = now;
        set_best_known(p, chainstate_find(np->chain, &b->hash));
    }
    free(err);
    block_free(b);
    np_request_blocks_all(np, now);
}

/* ---- announcing our tip ---- */

void np_announce_tip(struct netproc *np, int64_t now)
{
    struct bindex_node *tip = chainstate_tip(np->chain);
    if (!tip || hash_eq(&tip->hash, &np->announced_tip))
        return;
    struct bindex_node *old = chainstate_find(np->chain, &np->announced_tip);
    np->announced_tip = tip->hash;
    relay_on_new_tip(np->relay);
    if (old && bindex_fork_point(old, tip) != old) /* not an extension: a reorg */
        np_reannounce_reorged(np, old, tip, now);
    struct bindex_node *best = chainstate_best_header(np->chain);
    if (best && best->height - tip->height > SYNC_LAG)
        return;
    relay_on_block_accepted(np->relay, np->tip_from_peer, np->tip_peer, &tip->hash, now);
    np->tip_from_peer = false;
}

void np_send_headers(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *blocks,
                     size_t n)
{
    struct netproc *np = ctx;
    /* A burst of blocks (mined before any peer came) may exceed one
     * message: peers refuse headers messages over 2000 entries. */
    for (size_t off = 0; off < n; off += NETPROC_MAX_HEADERS) {
        size_t m = n - off < NETPROC_MAX_HEADERS ? n - off : NETPROC_MAX_HEADERS;
        uint8_t(*raw)[BLOCK_HEADER_SIZE] = xmalloc(m * BLOCK_HEADER_SIZE);
        if (!raw)
            return;
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            struct bindex_node *b = chainstate_find(np->chain, &blocks[off + i]);
            if (b)
                block_header_serialize(&b->hdr, raw[k++]);
        }
        wbuf_reset(&np->scratch);
        proto_headers_encode(&np->scratch, (const uint8_t(*)[80])raw, k);
        np_send(np, peer, "headers", &np->scratch);
        free(raw);
    }
}

/* ---- serving ---- */

void np_serve_getheaders(struct netproc *np, struct np_peer *p, const struct net_msg *m)
{
    const struct proto_locator *loc = &m->u.locator;
    struct bindex_node *n;
    if (loc->count == 0) {
        n = chainstate_find(np->chain, &loc->stop); /* just that header */
        if (!n)
            return;
    } else {
        struct bindex_node *fork = chainstate_find_fork(np->chain, loc->hashes, loc->count);
        n = fork ? chainstate_at(np->chain, fork->height + 1) : chainstate_at(np->chain, 0);
    }
    uint8_t(*raw)[BLOCK_HEADER_SIZE] = xmalloc(NETPROC_MAX_HEADERS * BLOCK_HEADER_SIZE);
    if (!raw)
        return;
    size_t k = 0;
    for (; n && k < NETPROC_MAX_HEADERS; n = chainstate_at(np->chain, n->height + 1)) {
        block_header_serialize(&n->hdr, raw[k++]);
        if (hash_eq(&n->hash, &loc->stop) || loc->count == 0)
            break;
    }
    wbuf_reset(&np->scratch);
    proto_headers_encode(&np->scratch, (const uint8_t(*)[80])raw, k);
    np_send(np, p->id, "headers", &np->scratch);
    free(raw);
}

void np_serve_getblocks(struct netproc *np, struct np_peer *p, const struct net_msg *m)
{
    const struct proto_locator *loc = &m->u.locator;
    struct bindex_node *fork = chainstate_find_fork(np->chain, loc->hashes, loc->count);
    struct bindex_node *n = chainstate_at(np->chain, fork ? fork->height + 1 : 0);
    struct proto_inv items[NETPROC_MAX_GETBLOCKS];
    size_t k = 0;
    for (; n && k < NETPROC_MAX_GETBLOCKS; n = chainstate_at(np->chain, n->height + 1)) {
        if (hash_eq(&n->hash, &loc->stop))
            break;
        items[k].type = PROTO_INV_BLOCK;
        items[k++].hash = n->hash;
    }
    if (k)
        np_send_inv(np, p->id, items, k);
}

bool np_serve_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                    bool witness)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *err = NULL;
    /* 1: found, 0: not stored, -1: storage error */
    if (chainstate_get_block_raw(np->chain, hash, &data, &len, &err) != 1 || !data) {
        free(err);
        return false;
    }
    if (witness) {
        np->io.send(np->io.ctx, p->id, "block", data, len);
    } else { /* an old peer: strip the witnesses */
        struct block *b = block_from_bytes(data, len, NULL);
        if (b) {
            wbuf_reset(&np->scratch);
            block_serialize(b, &np->scratch, false);
            np_send(np, p->id, "block", &np->scratch);
            block_free(b);
        }
    }
    free(data);
    return true;
}

/* ---- introspection ---- */

/* Core's pindexLastCommonBlock is the fork point of the peer's best known
 * block and our active chain; we compute it when asked instead of keeping
 * it up to date on every block. */
void np_peer_blocks_info(const struct netproc *np, const struct np_peer *p,
                         struct netproc_peer_info *out)
{
    struct bindex_node *tip = chainstate_tip(np->chain);
    struct bindex_node *common = p->best_known && tip ? bindex_fork_point(tip, p->best_known)
                                                      : NULL;
    out->synced_blocks = common ? common->height : -1;
    size_t n = 0;
    for (size_t i = 0; i < np->ninflight && n < NETPROC_MAX_BLOCKS_IN_FLIGHT; i++) {
        struct bindex_node *b = np->inflight[i].peer == p->id
                                    ? chainstate_find(np->chain, &np->inflight[i].hash)
                                    : NULL;
        if (!b)
            continue;
        size_t j = n++; /* insertion: at most 16 */
        for (; j > 0 && out->inflight[j - 1] > b->height; j--)
            out->inflight[j] = out->inflight[j - 1];
        out->inflight[j] = b->height;
    }
    out->blocks_in_flight = n;
}

/* ---- stalls and departures ---- */

void np_blocks_peer_gone(struct netproc *np, uint64_t peer, int64_t now)
{
    for (size_t i = 0; i < np->ninflight;)
        if (np->inflight[i].peer == peer)
            np->inflight[i] = np->inflight[--np->ninflight];
        else
            i++;
    /* Called before the peer leaves the table: others take over. */
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].id != peer)
            request_blocks(np, &np->peers[i], now);
}

int64_t np_blocks_wakeup(const struct netproc *np)
{
    int64_t w = INT64_MAX;
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].stalling_since &&
            np->peers[i].stalling_since + np->stalling_timeout_us < w)
            w = np->peers[i].stalling_since + np->stalling_timeout_us;
    for (size_t i = 0; i < np->ninflight; i++)
        if (np->inflight[i].since + np->opt.block_stall_us < w)
            w = np->inflight[i].since + np->opt.block_stall_us;
    return w;
}

/* Drops the peers that held up the window too long; the timeout doubles
 * for the next one, so a slow link of ours does not cost every peer. */
static void drop_stallers(struct netproc *np, int64_t now)
{
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!p->stalling_since || now - p->stalling_since < np->stalling_timeout_us)
            continue;
        LOG_INFO("peer=%" PRIu64 " is stalling block download, disconnecting", p->id);
        p->stalling_since = 0;
        np->info.stallers_dropped++;
        np->stalling_timeout_us = np->stalling_timeout_us * 2 < NETPROC_BLOCK_STALLING_MAX_US
                                      ? np->stalling_timeout_us * 2
                                      : NETPROC_BLOCK_STALLING_MAX_US;
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, "stalling block download");
    }
}

void np_blocks_tick(struct netproc *np, int64_t now)
{
    drop_stallers(np, now);
    bool stalled = false;
    for (size_t i = 0; i < np->ninflight;) {
        if (now - np->inflight[i].since >= np->opt.block_stall_us) {
            LOG_INFO("peer=%" PRIu64 " stalled a block download; asking another peer",
                     np->inflight[i].peer);
            uint64_t slow = np->inflight[i].peer;
            inflight_remove(np, &np->inflight[i]);
            struct np_peer *p = np_peer_find(np, slow);
            if (p) { /* others first for a while; it holds up nothing now */
                p->stalled_until = now + np->opt.block_stall_us;
                p->stalling_since = 0;
            }
            np->info.block_stalls++;
            stalled = true;
        } else {
            i++;
        }
    }
    if (stalled)
        np_request_blocks_all(np, now);
}
