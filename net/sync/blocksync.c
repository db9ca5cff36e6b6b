/* Headers-first block sync (serving blocks and headers: blockserve.c).
 *
 * Each peer's best known header is tracked (from its headers and block
 * announcements); blocks on that peer's chain that we lack are requested
 * from it, oldest first, at most NETPROC_MAX_BLOCKS_IN_FLIGHT per peer and
 * no more than the window (NETPROC_BLOCK_WINDOW) beyond our tip, one peer
 * per block. As in Bitcoin Core, a peer whose oldest request has waited
 * the block download timeout (10 minutes, plus 5 per other peer we are
 * downloading from: our own link may be the slow one) is disconnected, and
 * others take over its blocks; a peer that could download more but for
 * the window, held up by another peer's request of the window's first
 * block, makes that other peer a staller: dropped after the (adaptive)
 * stalling timeout unless the block comes. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/validation.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Headers more than this behind the best header: still syncing, so the
 * tip is not announced block by block. */
#define SYNC_LAG 144

enum chainstate_status np_timed_block(struct netproc *np, const struct block *b, bool store_only,
                                      const char **reason, char **err)
{
    np_cmpct_pow_valid(np, b);
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "block");
    enum chainstate_status st = store_only ? chainstate_accept_block(np->chain, b, reason, err)
                                           : chainstate_process_block(np->chain, b, reason, err);
    looplag_leave(&mark);
    np->activating = chainstate_activation_pending(np->chain); /* see blockstep.c */
    return st;
}

void np_block_failed(struct netproc *np, struct np_peer *p, const char *reason, bool cached,
                     bool rebuilt)
{
    if (np_block_punishable(reason, cached, rebuilt, p->inbound))
        np_misbehaving(np, p->id, reason ? reason : "invalid block");
    else
        LOG_INFO("invalid block from peer=%" PRIu64 "%s: %s", p->id, rebuilt ? " (cmpctblock)" : "",
                 reason ? reason : "invalid");
}

/* Core's HEADERS_RESPONSE_TIME. Every announcement we cannot connect
 * (each peer's, each block's) would otherwise start another stream of
 * up to 2000 headers beside the one running, each full answer asking
 * for more. */
#define HEADERS_RESPONSE_US (2 * 60 * 1000000LL)

bool np_getheaders_locator(struct netproc *np, struct np_peer *p, const struct hash256 *loc,
                           size_t n, const struct hash256 *stop, int64_t now)
{
    if (p->headers_awaited && now - p->last_getheaders <= HEADERS_RESPONSE_US)
        return false;
    struct hash256 zero;
    memset(&zero, 0, sizeof(zero));
    wbuf_reset(&np->scratch);
    proto_locator_encode(&np->scratch, PROTO_VERSION, loc, n, stop ? stop : &zero);
    np_send(np, p->id, PROTO_CMD_GETHEADERS, &np->scratch);
    p->last_getheaders = now;
    p->headers_awaited = true;
    return true;
}

bool np_getheaders(struct netproc *np, struct np_peer *p, const struct bindex_node *from,
                   const struct hash256 *stop, int64_t now)
{
    struct hash256 loc[PROTO_MAX_LOCATOR];
    size_t n = chainstate_locator(np->chain, from, loc, PROTO_MAX_LOCATOR);
    return np_getheaders_locator(np, p, loc, n, stop, now);
}

/* Asks p for headers after an announcement we cannot connect; while a
 * getheaders awaits its answer, the announced block is remembered. */
static void headers_for(struct netproc *np, struct np_peer *p, const struct hash256 *announced,
                        int64_t now)
{
    if (!np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now))
        p->unknown_block = *announced;
}

/* The answer came: the remembered block is now known, and p has it
 * (Core's ProcessBlockAvailability), or it is asked for, since invs or
 * headers that came while the getheaders awaited were not acted on. */
static void unknown_block_follow(struct netproc *np, struct np_peer *p, int64_t now)
{
    if (hash_is_zero(&p->unknown_block))
        return;
    const struct bindex_node *n = chainstate_find(np->chain, &p->unknown_block);
    if (n)
        np_set_best_known(p, n);
    if (n || np_getheaders(np, p, chainstate_best_header(np->chain), NULL, now))
        memset(&p->unknown_block, 0, sizeof(p->unknown_block));
}

/* Core's initial headers sync: while our best header is more than a day
 * old, headers are asked of one peer only (an outbound one if we have
 * any), else every peer would stream the whole header chain; once close
 * to today, of every peer. A lone sync peer that has not brought us close
 * within 15 minutes plus 1 ms per missing header (at one header per 10
 * minutes) is dropped when another outbound peer could take over. */
#define SYNC_RECENT_SECS (24 * 3600)
#define HEADERS_TIMEOUT_BASE_US (15 * 60 * 1000000LL)
#define HEADERS_TIMEOUT_PER_HEADER_US 1000LL

static bool best_header_recent(const struct netproc *np, int64_t *age)
{
    const struct bindex_node *best = chainstate_best_header(np->chain);
    *age = best ? np_wall_now(np) - (int64_t)best->hdr.time : INT64_MAX / 2;
    return *age < SYNC_RECENT_SECS;
}

static size_t preferred_peers(const struct netproc *np)
{
    size_t n = 0;
    for (size_t i = 0; i < np->npeers; i++)
        n += np->peers[i].preferred;
    return n;
}

/* Core's sync_blocks_and_headers_from_peer, for initial sync: a
 * preferred (outbound) peer; others (inbound) while there is no preferred
 * peer or nothing is in flight, so that nodes that merely connected to us
 * do not carry our sync; never an address-fetch link, which closes soon. */
static bool sync_candidate(const struct netproc *np, const struct np_peer *p)
{
    return p->preferred ||
           (p->kind != PEER_ADDR_FETCH && (preferred_peers(np) == 0 || np->ninflight == 0));
}

void np_sync_maybe_start(struct netproc *np, struct np_peer *p, int64_t now)
{
    int64_t age;
    if (p->sync_started || !p->serves_blocks)
        return;
    if (!best_header_recent(np, &age) && (np->nsync_started > 0 || !sync_candidate(np, p)))
        return;
    /* From the best header's parent, as Core: the answer is never empty,
     * so we learn how far the peer's chain reaches. */
    const struct bindex_node *best = chainstate_best_header(np->chain);
    if (!np_getheaders(np, p, best && best->prev ? best->prev : best, NULL, now))
        return; /* tried again once the one in flight is answered */
    p->sync_started = true;
    np->nsync_started++;
    p->headers_timeout = now + HEADERS_TIMEOUT_BASE_US +
                         HEADERS_TIMEOUT_PER_HEADER_US * (age > 0 ? age / 600 : 0);
}

void np_headers_tick(struct netproc *np, int64_t now)
{
    int64_t age;
    bool recent = best_header_recent(np, &age);
    size_t preferred = preferred_peers(np);
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        np_sync_maybe_start(np, p, now);
        if (!p->sync_started || p->headers_timeout == INT64_MAX)
            continue;
        if (recent) { /* caught up once: no timeout later */
            p->headers_timeout = INT64_MAX;
        } else if (now > p->headers_timeout && np->nsync_started == 1 &&
                   preferred - p->preferred >= 1) {
            LOG_INFO("peer=%" PRIu64 " timeout downloading headers, disconnecting", p->id);
            p->headers_timeout = INT64_MAX; /* once: it is on its way out */
            if (np->io.disconnect)
                np->io.disconnect(np->io.ctx, p->id, "headers sync timeout");
        }
    }
}

void np_set_best_known(struct np_peer *p, const struct bindex_node *n)
{
    if (n && (!p->best_known || u256_cmp(&n->work, &p->best_known->work) > 0))
        p->best_known = n;
}

void np_set_best_sent(struct np_peer *p, const struct bindex_node *n)
{
    if (n)
        p->best_sent = n;
}

static bool descends(const struct bindex_node *d, const struct bindex_node *n)
{
    return d && d->height >= n->height && bindex_ancestor(d, n->height) == n;
}

bool np_peer_has(struct netproc *np, const struct np_peer *p, const struct bindex_node *n)
{
    return descends(p->best_known, n) || descends(p->best_sent, n) ||
           relay_peer_knows(np->relay, p->id, &n->hash);
}

int np_cmp_min_work(const struct netproc *np, const struct bindex_node *n)
{
    return u256_cmp(&n->work, chainstate_min_chain_work(np->chain));
}

/* Headers announcements are asked for only once the peer's headers chain
 * is known to be worth syncing: announcements arriving while a headers
 * sync with it runs would disturb that sync (BIP130, as Core, to any peer
 * kind: even one without NODE_NETWORK announces blocks). */
void np_sendheaders_maybe(struct netproc *np, struct np_peer *p)
{
    if (p->sent_sendheaders || p->version < PROTO_SENDHEADERS_VERSION || !p->best_known ||
        np_cmp_min_work(np, p->best_known) <= 0)
        return;
    wbuf_reset(&np->scratch);
    np_send(np, p->id, PROTO_CMD_SENDHEADERS, &np->scratch);
    p->sent_sendheaders = true;
}

/* The requests are kept in the order they were made: the first of a
 * block is its first in flight (Core's multimap of requests). */
static struct np_inflight *inflight_find(struct netproc *np, const struct hash256 *h)
{
    for (size_t i = 0; i < np->ninflight; i++)
        if (hash_eq(&np->inflight[i].hash, h))
            return &np->inflight[i];
    return NULL;
}

static struct np_inflight *inflight_of(struct netproc *np, const struct hash256 *h,
                                       uint64_t peer)
{
    for (size_t i = 0; i < np->ninflight; i++)
        if (np->inflight[i].peer == peer && hash_eq(&np->inflight[i].hash, h))
            return &np->inflight[i];
    return NULL;
}

/* Core's RemoveBlockRequest: the peer no longer holds up the window
 * (whoever delivered the block), and when its oldest request ends, the
 * download timeout runs from now for the rest. */
static void inflight_remove(struct netproc *np, struct np_inflight *f, int64_t now)
{
    struct np_peer *p = np_peer_find(np, f->peer);
    if (p) {
        bool oldest = true;
        for (const struct np_inflight *g = np->inflight; g < f && oldest; g++)
            oldest = g->peer != f->peer;
        if (oldest && p->downloading_since < now)
            p->downloading_since = now;
        p->stalling_since = 0;
        if (p->blocks_in_flight)
            p->blocks_in_flight--;
    }
    cmpct_partial_free(f->partial);
    size_t i = (size_t)(f - np->inflight);
    memmove(f, f + 1, (--np->ninflight - i) * sizeof(*f));
}

/* Every request of the block ends (Core's RemoveBlockRequest for all
 * peers): it was stored, whoever sent it. */
static void inflight_done(struct netproc *np, const struct hash256 *h, int64_t now)
{
    struct np_inflight *f;
    while ((f = inflight_find(np, h)))
        inflight_remove(np, f, now);
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
    if (p->blocks_in_flight++ == 0) /* a download (batch) from it starts */
        p->downloading_since = now;
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

/* BIP159, as Core: a peer that only promises the last 288 blocks is not
 * asked for blocks during initial download, nor ever for one that deep
 * below its best block (2 blocks of margin for races). */
static bool limited_peer_lacks(const struct np_peer *p, const struct bindex_node *n)
{
    return p->limited &&
           p->best_known->height - n->height >= PROTO_NODE_NETWORK_LIMITED_MIN_BLOCKS - 2;
}

/* Core's FindNextBlocks: a peer without NODE_WITNESS is not asked for a
 * block under segwit rules, it would send it stripped. */
static bool witness_peer_lacks(const struct netproc *np, const struct np_peer *p,
                               const struct bindex_node *n)
{
    return !p->serves_witness && n->height >= chainstate_params(np->chain)->segwit_height;
}

/* Requests from p the blocks of its best chain we lack, within the window. */
static void request_blocks(struct netproc *np, struct np_peer *p, int64_t now)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    if (!p->serves_blocks || !p->best_known || !tip ||
        p->blocks_in_flight >= NETPROC_MAX_BLOCKS_IN_FLIGHT ||
        u256_cmp(&p->best_known->work, &tip->work) <= 0)
        return;
    /* Core's FindNextBlocksToDownload: no block of a chain with less than
     * the minimum chain work (it could be a cheap fake). */
    if (np_cmp_min_work(np, p->best_known) < 0)
        return;
    /* Core's download during initial sync: never from a limited peer. */
    if (chainstate_initial_download(np->chain) && (p->limited || !sync_candidate(np, p)))
        return;
    int limit = tip->height + np->opt.block_window;
    const struct bindex_node *n = p->best_known;
    bool window_full = n->height > limit;
    if (window_full)
        n = bindex_ancestor(n, limit);
    const struct bindex_node *fork = bindex_fork_point(tip, n);
    /* Walk back to the fork, keeping the oldest wanted blocks. */
    size_t room = NETPROC_MAX_BLOCKS_IN_FLIGHT - p->blocks_in_flight;
    const struct bindex_node *want[NETPROC_MAX_BLOCKS_IN_FLIGHT];
    size_t nwant = 0;
    const struct np_inflight *first_other = NULL; /* lowest block another peer holds */
    for (; n && n != fork; n = n->prev) {
        if (n->status & (BINDEX_HAVE_DATA | BINDEX_FAILED_MASK) || limited_peer_lacks(p, n) ||
            witness_peer_lacks(np, p, n))
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
        const struct bindex_node *b = want[nwant - 1 - i]; /* oldest first */
        items[i].type =
            nwant == 1 ? np_cmpct_fetch_type(np, p, b)
                       : PROTO_INV_BLOCK | (p->serves_witness ? PROTO_INV_WITNESS_FLAG : 0);
        items[i].hash = b->hash;
        inflight_add(np, p, &b->hash, now);
    }
    wbuf_reset(&np->scratch);
    proto_inv_encode(&np->scratch, items, nwant);
    np_send(np, p->id, PROTO_CMD_GETDATA, &np->scratch);
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " requested %zu blocks from height %d", p->id, nwant,
              want[nwant - 1]->height);
}

void np_request_blocks_all(struct netproc *np, int64_t now)
{
    for (size_t i = 0; i < np->npeers; i++)
        request_blocks(np, &np->peers[i], now);
}

/* The first of hdrs already known invalid, if any: failing there is
 * Core's BLOCK_CACHED_INVALID (the peer may just follow another chain). */
static bool first_known_invalid(const struct netproc *np, const struct block_header *hdrs,
                                size_t n, struct hash256 *out)
{
    for (size_t i = 0; i < n; i++) {
        block_header_hash(&hdrs[i], out);
        const struct bindex_node *k = chainstate_find(np->chain, out);
        if (!k)
            return false; /* the rest are new as well */
        if (k->status & BINDEX_FAILED_MASK)
            return true;
    }
    return false;
}

/* Core's CheckHeadersPoW, before anything else: each header's proof of
 * work against its own nBits, and the headers chaining to each other.
 * NULL when they pass, else the reason to punish the peer. */
static const char *headers_pow_check(const struct netproc *np, const struct block_header *hdrs,
                                     size_t n)
{
    const struct chain_params *params = chainstate_params(np->chain);
    struct hash256 h, prev;
    const char *why;
    for (size_t i = 0; i < n; i++) {
        block_header_hash(&hdrs[i], &h);
        if (!validation_header_pow(params, &hdrs[i], &h, &why))
            return why; /* "high-hash" */
        if (i > 0 && !hash_eq(&hdrs[i].prev, &prev))
            return "non-continuous headers sequence";
        prev = h;
    }
    return NULL;
}

/* Core's IsAncestorOfBestHeaderOrTip: headers we hold on the chains we
 * follow cost no memory, so they skip the anti-DoS check. */
static bool known_on_best(const struct netproc *np, const struct bindex_node *n)
{
    const struct bindex_node *best = chainstate_best_header(np->chain);
    return n && ((best && bindex_ancestor(best, n->height) == n) ||
                 chainstate_is_active(np->chain, n));
}

/* Core's UpdatePeerStateForReceivedHeaders during initial download: an
 * automatic outbound peer that has shown its whole headers chain (more:
 * the message was full) with less than the minimum chain work cannot help
 * us sync. */
static void insufficient_work_check(struct netproc *np, struct np_peer *p, bool more)
{
    if (more || !p->best_known || p->inbound || p->manual ||
        (p->kind != PEER_FULL_RELAY && p->kind != PEER_BLOCK_RELAY) ||
        np_cmp_min_work(np, p->best_known) >= 0 || !chainstate_initial_download(np->chain))
        return;
    LOG_INFO("outbound peer=%" PRIu64 " headers chain has insufficient work, disconnecting",
             p->id);
    if (np->io.disconnect)
        np->io.disconnect(np->io.ctx, p->id, "headers chain has insufficient work");
}

/* The message's headers, if they pass Core's CheckHeadersPoW (else the
 * peer is punished and NULL returned). */
static struct block_header *headers_read(struct netproc *np, struct np_peer *p,
                                         const struct net_msg *m)
{
    size_t n = m->u.headers.n;
    struct block_header *hdrs = xmalloc(n * sizeof(*hdrs));
    for (size_t i = 0; i < n; i++) {
        struct cursor c;
        cursor_init(&c, m->u.headers.hdrs[i], BLOCK_HEADER_SIZE);
        block_header_parse(&c, &hdrs[i]);
    }
    const char *bad_pow = headers_pow_check(np, hdrs, n);
    if (!bad_pow)
        return hdrs;
    free(hdrs);
    np_misbehaving(np, p->id, bad_pow);
    return NULL;
}

void np_on_headers(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    size_t count = m->u.headers.n, n = count;
    if (n == 0) { /* not an announcement: the answer to our getheaders */
        np_lowwork_end(p); /* it has nothing more for its low-work sync */
        p->headers_awaited = false;
        unknown_block_follow(np, p, now);
        return;
    }
    struct block_header *hdrs = headers_read(np, p, m);
    if (!hdrs)
        return;
    /* Its low-work sync takes them first; what that proves goes on. */
    bool proven = np_lowwork_continue(np, p, &hdrs, &n, now);
    bool have_sync = p->hss != NULL;
    if (n == 0) {
        free(hdrs);
        return;
    }
    struct hash256 bad, last, known_bad;
    block_header_hash(&hdrs[n - 1], &last);
    const struct bindex_node *start = chainstate_find(np->chain, &hdrs[0].prev);
    /* They connect: an answer, as Core takes them, before a low-work sync
     * may send its own getheaders (which must stay awaited). */
    if (start)
        p->headers_awaited = false;
    if (start && !proven && !known_on_best(np, chainstate_find(np->chain, &last)) &&
        np_lowwork_try(np, p, start, &hdrs, &n, now))
        return;
    bool any_known_bad = first_known_invalid(np, hdrs, n, &known_bad);
    bool new_header = !chainstate_find(np->chain, &last);
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st =
        chainstate_process_headers(np->chain, hdrs, n, &bad, &reason, &err);
    free(hdrs);
    if (st == CHAINSTATE_MISSING_PARENT) {
        /* An announcement that does not connect: ask for the gap (recent
         * Core no longer punishes it: the 2-hour rule can cause it). */
        headers_for(np, p, &last, now);
        return;
    }
    p->headers_awaited = false; /* connected after all (a race with our index) */
    if (st == CHAINSTATE_INVALID) {
        bool cached = any_known_bad && hash_eq(&bad, &known_bad);
        if (np_block_punishable(reason, cached, false, p->inbound))
            np_misbehaving(np, p->id, reason ? reason : "invalid header");
        return;
    }
    if (st == CHAINSTATE_ERROR) {
        LOG_ERROR("headers from peer=%" PRIu64 ": %s", p->id, err ? err : "storage error");
        free(err);
        return;
    }
    const struct bindex_node *lastn = chainstate_find(np->chain, &last);
    np_set_best_known(p, lastn);
    insufficient_work_check(np, p, count == NETPROC_MAX_HEADERS);
    np_extra_headers(np, p, new_header, lastn, true, now);
    for (size_t i = 0; i < np->npeers; i++) /* close to today: all peers sync */
        np_sync_maybe_start(np, &np->peers[i], now);
    /* More to come, unless its low-work sync asks for them. */
    if (count == NETPROC_MAX_HEADERS && lastn && !have_sync)
        np_getheaders(np, p, lastn, NULL, now);
    unknown_block_follow(np, p, now);
    request_blocks(np, p, now);
}

void np_on_block_inv(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                     int64_t now)
{
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    if (n) {
        np_set_best_known(p, n);
        request_blocks(np, p, now);
        return;
    }
    /* Core: during the initial headers sync (with one peer), a peer we do
     * not sync with is asked for headers on its block inv once, and one
     * such peer per new block, else each would stream the whole chain. */
    if (!p->sync_started && (p->inv_getheaders || hash_eq(hash, &np->inv_sync_block)))
        return;
    headers_for(np, p, hash, now);
    if (!p->sync_started) {
        p->inv_getheaders = true;
        np->inv_sync_block = *hash;
    }
}

struct block *np_block_parse(const uint8_t *payload, size_t len, const char **why)
{
    struct cursor c;
    cursor_init(&c, payload, len);
    /* Bytes after the block are ignored, as Core ignores them. */
    return block_parse(&c, why);
}

bool np_block_in_flight(struct netproc *np, const struct hash256 *hash)
{
    return inflight_find(np, hash) != NULL;
}

void np_block_arrived(struct netproc *np, struct np_peer *p, struct block *b, const char *why,
                      bool requested, int64_t now)
{
    if (!b) {
        np_drop_malformed(p, "block", why);
        return;
    }
    np->info.blocks_received++;
    np_process_block(np, p, b, requested, false, now);
    block_free(b);
}

void np_on_block(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    if (np_arrival_offload(np, p, m))
        return;
    const char *why = NULL;
    struct block *b = np_block_parse(m->payload, m->len, &why);
    np_block_arrived(np, p, b, why, b && np_block_in_flight(np, &b->hash), now);
}

void np_process_block(struct netproc *np, struct np_peer *p, const struct block *b,
                      bool requested, bool rebuilt, int64_t now)
{
    const struct np_inflight *first = inflight_find(np, &b->hash);
    bool first_in_flight = !first || first->peer == p->id;
    if (!requested && np_unrequested_dropped(np, p, b))
        return;
    /* Core's BLOCK: the sender's request ends on arrival; the others'
     * only once the block is stored (ProcessBlock's new_block), so a
     * block that fails before, such as a mutated copy from a peer we did
     * not ask, leaves the real one to come from them. */
    if (!rebuilt)
        np_block_request_drop(np, &b->hash, p->id, now);
    const struct bindex_node *known = chainstate_find(np->chain, &b->hash);
    bool cached = known && (known->status & BINDEX_FAILED_MASK);
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
    enum chainstate_status st = np_timed_block(np, b, true, &reason, &err);
    if (st == CHAINSTATE_MISSING_PARENT) {
        /* Core's BLOCK_MISSING_PREV: we never ask for a block whose parent
         * we do not know (a compact one that does not connect is caught
         * before: we ask for headers). */
        np_misbehaving(np, p->id, reason ? reason : "prev-blk-not-found");
    } else if (st == CHAINSTATE_INVALID && rebuilt && np_block_mutated(reason)) {
        /* Maybe a short-id collision (Core's FillBlock check): the first
         * in flight asks for the whole block, another leaves it to the
         * others in flight. */
        LOG_INFO("block rebuilt from peer=%" PRIu64 "'s cmpctblock failed: %s", p->id, reason);
        if (first_in_flight)
            np_cmpct_full_fallback(np, p, &b->hash, now);
        else
            np_block_request_drop(np, &b->hash, p->id, now);
        rebuilt = false; /* its full request (if first) and the others stand */
    } else if (st == CHAINSTATE_INVALID) {
        np_block_failed(np, p, reason, cached, rebuilt);
    } else if (st == CHAINSTATE_ERROR) {
        LOG_ERROR("block from peer=%" PRIu64 ": %s", p->id, err ? err : "storage error");
    } else {
        if (st == CHAINSTATE_ACCEPTED) {
            p->last_block = now;
            np_cmpct_block_from(np, p, &b->hash);
            np_block_source(np, p, &b->hash, rebuilt);
        }
        np_set_best_known(p, chainstate_find(np->chain, &b->hash));
    }
    if (st == CHAINSTATE_ACCEPTED)
        inflight_done(np, &b->hash, now);
    else if (rebuilt) /* Core's ProcessCompactBlockTxns: the sender's ends */
        np_block_request_drop(np, &b->hash, p->id, now);
    free(err);
    np_request_blocks_all(np, now);
}

/* ---- announcing our tip ---- */

void np_announce_tip(struct netproc *np, int64_t now)
{
    if (!np->tip_moved || np->activating) /* announced once the steps end */
        return;
    np->tip_moved = false;
    np->last_tip_update = now; /* Core: at each block connected */
    np_ask_mempool(np, NULL); /* initial download may just have ended */
    const struct bindex_node *tip = chainstate_tip(np->chain);
    relay_on_new_tip(np->relay);
    np_count_returned(np);
    /* Nothing during initial download either, as Core (UpdatedBlockTip):
     * our peers have these blocks. */
    const struct bindex_node *best = chainstate_best_header(np->chain);
    if ((best && best->height - tip->height > SYNC_LAG) || chainstate_initial_download(np->chain))
        return;
    relay_on_block_accepted(np->relay, np->tip_from_peer, np->tip_peer, &tip->hash, now);
    np->tip_from_peer = false;
}

/* Core's MAX_BLOCKS_TO_ANNOUNCE. */
#define MAX_BLOCKS_TO_ANNOUNCE 8

static bool among(const struct hash256 *v, size_t n, const struct hash256 *h)
{
    for (size_t i = 0; i < n; i++)
        if (hash_eq(&v[i], h))
            return true;
    return false;
}

static void send_block_inv(struct netproc *np, uint64_t peer, const struct hash256 *hash)
{
    struct proto_inv it = {PROTO_INV_BLOCK, *hash};
    np_send_inv(np, peer, &it, 1);
}

/* Core's headers announcement: every block of our chain the peer lacks,
 * oldest first, when they connect to one it has and are at most 8 (a
 * high-bandwidth peer gets a lone one as a cmpctblock); else an inv of
 * the tip, and the peer fetches the headers itself. A header of the tip
 * alone would not connect at a peer that lacks its parent (after we
 * connected several blocks at once): it would have to ask. The relay
 * core marks the hashes it announces now known before this call. */
void np_send_headers(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *blocks,
                     size_t n)
{
    struct netproc *np = ctx;
    struct np_peer *p = np_peer_find(np, peer);
    const struct bindex_node *tip = chainstate_find(np->chain, &blocks[n - 1]);
    if (!p || !tip)
        return;
    const struct bindex_node *v[MAX_BLOCKS_TO_ANNOUNCE], *b = tip;
    size_t k = 0;
    /* Genesis starts an announcement only as the tip (Core: a header
     * whose parent the peer has, or that has none). */
    while (b && k < MAX_BLOCKS_TO_ANNOUNCE &&
           (k == 0 || among(blocks, n, &b->hash) || (b->prev && !np_peer_has(np, p, b)))) {
        v[k++] = b;
        b = b->prev;
    }
    bool connects = !b || (!among(blocks, n, &b->hash) && np_peer_has(np, p, b));
    if (!connects || !chainstate_is_active(np->chain, tip)) {
        send_block_inv(np, peer, &tip->hash);
        return;
    }
    np_set_best_sent(p, tip);
    if (k == 1 && np_cmpct_announce(np, peer, &tip->hash))
        return;
    uint8_t raw[MAX_BLOCKS_TO_ANNOUNCE][BLOCK_HEADER_SIZE];
    for (size_t i = 0; i < k; i++)
        block_header_serialize(&v[k - 1 - i]->hdr, raw[i]);
    wbuf_reset(&np->scratch);
    proto_headers_encode(&np->scratch, (const uint8_t(*)[BLOCK_HEADER_SIZE])raw, k);
    np_send(np, peer, PROTO_CMD_HEADERS, &np->scratch);
}

/* ---- introspection ---- */

/* Core's pindexLastCommonBlock is the fork point of the peer's best known
 * block and our active chain; we compute it when asked instead of keeping
 * it up to date on every block. */
void np_peer_blocks_info(const struct netproc *np, const struct np_peer *p,
                         struct netproc_peer_info *out)
{
    const struct bindex_node *tip = chainstate_tip(np->chain);
    const struct bindex_node *common =
        p->best_known && tip ? bindex_fork_point(tip, p->best_known) : NULL;
    out->synced_blocks = common ? common->height : -1;
    size_t n = 0;
    for (size_t i = 0; i < np->ninflight && n < NETPROC_MAX_BLOCKS_IN_FLIGHT; i++) {
        const struct bindex_node *b = np->inflight[i].peer == p->id
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
            inflight_remove(np, &np->inflight[i], now);
        else
            i++;
    /* Called before the peer leaves the table: others take over. */
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].id != peer)
            request_blocks(np, &np->peers[i], now);
}

/* Core's block download timeout for a peer: the base (10 minutes, a
 * block interval) plus half of it per other peer with blocks in flight. */
static int64_t download_timeout(const struct netproc *np)
{
    size_t downloading = 0;
    for (size_t i = 0; i < np->npeers; i++)
        downloading += np->peers[i].blocks_in_flight > 0;
    int64_t others = downloading > 1 ? (int64_t)downloading - 1 : 0;
    return np->opt.block_timeout_us + others * (np->opt.block_timeout_us / 2);
}

int64_t np_blocks_wakeup(const struct netproc *np)
{
    int64_t w = INT64_MAX, timeout = download_timeout(np);
    for (size_t i = 0; i < np->npeers; i++) {
        const struct np_peer *p = &np->peers[i];
        if (p->stalling_since && p->stalling_since + np->stalling_timeout_us < w)
            w = p->stalling_since + np->stalling_timeout_us;
        if (p->blocks_in_flight && p->downloading_since + timeout < w)
            w = p->downloading_since + timeout;
    }
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
    int64_t timeout = download_timeout(np);
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!p->blocks_in_flight || now <= p->downloading_since + timeout)
            continue;
        LOG_INFO("peer=%" PRIu64 " timeout downloading a block, disconnecting", p->id);
        p->downloading_since = now; /* once: it is on its way out */
        np->info.block_stalls++;
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, "block download timeout");
    }
}

/* ---- for compact blocks (cmpctblock.c) ---- */

void np_block_flight(struct netproc *np, const struct hash256 *hash, uint64_t peer,
                     struct np_block_flight *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < np->ninflight; i++) {
        const struct np_inflight *f = &np->inflight[i];
        if (!hash_eq(&f->hash, hash))
            continue;
        if (out->n++ == 0)
            out->first = f->peer;
        out->from_peer |= f->peer == peer;
        const struct np_peer *q = np_peer_find(np, f->peer);
        out->from_outbound |= q && !q->inbound;
    }
}

struct cmpct_partial **np_block_requested(struct netproc *np, struct np_peer *p,
                                          const struct hash256 *hash, int64_t now)
{
    if (!inflight_of(np, hash, p->id))
        inflight_add(np, p, hash, now);
    return np_block_partial(np, hash, p->id);
}

void np_block_request_drop(struct netproc *np, const struct hash256 *hash, uint64_t peer,
                           int64_t now)
{
    struct np_inflight *f = inflight_of(np, hash, peer);
    if (f)
        inflight_remove(np, f, now);
}

struct cmpct_partial **np_block_partial(struct netproc *np, const struct hash256 *hash,
                                        uint64_t peer)
{
    struct np_inflight *f = inflight_of(np, hash, peer);
    return f ? &f->partial : NULL;
}

void np_getdata_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                      int64_t now)
{
    np_block_requested(np, p, hash, now);
    struct proto_inv it = {PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG, *hash};
    wbuf_reset(&np->scratch);
    proto_inv_encode(&np->scratch, &it, 1);
    np_send(np, p->id, PROTO_CMD_GETDATA, &np->scratch);
}
