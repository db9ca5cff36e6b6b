/* netproc: peers, transaction relay, orphans and getdata service. Blocks
 * are in blocksync.c, mempool reconciliation in antientropy.c. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"
#include "net/relay/seenset.h"
#include "net/sync/headerssync.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void netproc_options_default(struct netproc_options *o)
{
    memset(o, 0, sizeof(*o));
    relay_policy_default(&o->policy);
    o->antientropy_us = 0;
    o->block_timeout_us = NETPROC_BLOCK_TIMEOUT_US;
    o->block_window = NETPROC_BLOCK_WINDOW;
    o->compactblocks = true;
    o->extra_txn = CMPCT_DEFAULT_EXTRA_TXN;
}

/* ---- small helpers ---- */

struct np_peer *np_peer_find(struct netproc *np, uint64_t id)
{
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].id == id)
            return &np->peers[i];
    return NULL;
}

struct np_peer *np_rotation_next(struct netproc *np, uint64_t last,
                                 bool (*ok)(const struct netproc *np, const struct np_peer *p))
{
    struct np_peer *next = NULL, *first = NULL;
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (!ok(np, p))
            continue;
        if (!first || p->id < first->id)
            first = p;
        if (p->id > last && (!next || p->id < next->id))
            next = p;
    }
    return next ? next : first;
}

void np_send(struct netproc *np, uint64_t peer, enum proto_cmd cmd, const struct wbuf *w)
{
    np->io.send(np->io.ctx, peer, cmd, w ? w->data : NULL, w ? w->len : 0);
}

void np_tx_announced(struct netproc *np, uint64_t peer)
{
    struct np_peer *p = np_peer_find(np, peer);
    if (p)
        p->tx_inv_seq = mempool_sequence(np->mempool);
}

void np_send_inv(struct netproc *np, uint64_t peer, const struct proto_inv *items, size_t n)
{
    bool txs = false;
    for (size_t i = 0; i < n && !txs; i++) {
        uint32_t type = items[i].type & ~PROTO_INV_WITNESS_FLAG;
        txs = type == PROTO_INV_TX || type == PROTO_INV_WTX;
    }
    wbuf_reset(&np->scratch);
    proto_inv_encode(&np->scratch, items, n);
    np_send(np, peer, PROTO_CMD_INV, &np->scratch);
    if (txs)
        np_tx_announced(np, peer);
}

void np_drop_malformed(const struct np_peer *p, const char *what, const char *why)
{
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " dropping a malformed %s: %s", p->id, what,
              why ? why : "?");
}

void np_misbehaving(struct netproc *np, uint64_t peer, const char *reason)
{
    LOG_INFO("peer=%" PRIu64 " misbehaving: %s", peer, reason);
    if (np->io.misbehaving)
        np->io.misbehaving(np->io.ctx, peer, reason);
}

int64_t np_wall_now(const struct netproc *np)
{
    return np->opt.wall_now ? np->opt.wall_now() : (int64_t)time(NULL);
}

static void tx_info(const struct mempool_entry *e, const struct tx *tx, struct relay_tx_info *out)
{
    memset(out, 0, sizeof(*out));
    out->txid = tx->txid;
    out->wtxid = tx->wtxid;
    out->vsize = (uint32_t)tx_vsize(tx);
    if (e) {
        struct mempool_family f;
        mempool_entry_family(e, &f);
        out->ancestors = (uint32_t)(f.anc_count - 1);
        out->feerate = mempool_entry_fee(e) * 1000 / (int64_t)(out->vsize ? out->vsize : 1);
    }
}

/* Core's recent confirmed transactions filter. */
#define NETPROC_CONFIRMED_ENTRIES 48000
#define NETPROC_CONFIRMED_FP 0.000001

/* Transactions of disconnected blocks remembered to count those the
 * reorg returned to the mempool (Core's disconnect pool is bounded too,
 * by memory). */
#define RETURNED_MAX 100000

/* The chainstate's callbacks, run after the mempool's: they only take
 * notes, acted on once the event that moved the chain is over. */
static void on_block_connected(void *ctx, const struct block *b, int height)
{
    struct netproc *np = ctx;
    np->tip_moved = true;
    for (size_t i = 0; i < b->tx_count && np->confirmed; i++) {
        seenset_insert(np->confirmed, &b->txs[i]->txid);
        if (!hash_eq(&b->txs[i]->wtxid, &b->txs[i]->txid))
            seenset_insert(np->confirmed, &b->txs[i]->wtxid);
    }
    np_recent_txs_set(np, b);
    orphanage_erase_for_block(np->orphans, b); /* included, or now conflicting */
}

static void on_block_disconnected(void *ctx, const struct block *b, int height)
{
    struct netproc *np = ctx;
    np->tip_moved = true;
    if (np->confirmed) /* its transactions may be wanted again */
        seenset_reset(np->confirmed);
    for (size_t i = 1; i < b->tx_count && np->n_returned < RETURNED_MAX; i++) {
        if (np->n_returned == np->cap_returned) {
            np->cap_returned = np->cap_returned ? 2 * np->cap_returned : 64;
            np->returned = xreallocarray(np->returned, np->cap_returned, sizeof(*np->returned));
        }
        np->returned[np->n_returned++] = b->txs[i]->txid; /* not the coinbase */
    }
}

/* A reorg disconnected blocks: their transactions that are back in the
 * mempool (not conflicts, spent coins nor those the new branch confirmed)
 * are counted, not announced: Core's MaybeUpdateMempoolForReorg puts
 * them back without scheduling any for relay. A peer gets one if it asks
 * (after our next trickle to it, as any transaction), by BIP35 or
 * anti-entropy. */
void np_count_returned(struct netproc *np)
{
    for (size_t i = 0; i < np->n_returned; i++)
        if (mempool_get(np->mempool, &np->returned[i]))
            np->info.txs_readded++;
    np->n_returned = 0;
}

bool np_reannounce(struct netproc *np, const struct hash256 *txid, int64_t now)
{
    const struct mempool_entry *e = mempool_get(np->mempool, txid);
    if (!e)
        return false;
    struct relay_tx_info info;
    tx_info(e, mempool_entry_tx(e), &info);
    return relay_on_tx_readded(np->relay, &info, now);
}

/* ---- the relay core's driver ---- */

/* inv or getdata of the core's items. By txid a getdata asks for the
 * witness too (MSG_WITNESS_TX). */
static void send_items(struct netproc *np, uint64_t peer, enum proto_cmd cmd,
                       const struct relay_inv *inv, size_t n)
{
    struct proto_inv *items = xmalloc(n * sizeof(*items));
    bool getdata = cmd == PROTO_CMD_GETDATA;
    for (size_t i = 0; i < n; i++) {
        items[i].type = getdata && inv[i].type == RELAY_INV_TX
                            ? PROTO_INV_TX | PROTO_INV_WITNESS_FLAG
                            : inv[i].type;
        items[i].hash = inv[i].hash;
    }
    if (getdata) {
        wbuf_reset(&np->scratch);
        proto_inv_encode(&np->scratch, items, n);
        np_send(np, peer, cmd, &np->scratch);
    } else {
        np_send_inv(np, peer, items, n);
    }
    free(items);
}

static void drv_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                    size_t n)
{
    send_items(ctx, peer, PROTO_CMD_INV, inv, n);
}

static void drv_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                        size_t n)
{
    send_items(ctx, peer, PROTO_CMD_GETDATA, inv, n);
}

static void drv_trickled(void *ctx, struct relay *r, uint64_t peer)
{
    np_tx_announced(ctx, peer);
}

static bool drv_pooled(void *ctx, struct relay *r, const struct relay_inv *inv)
{
    struct netproc *np = ctx;
    return inv->type == RELAY_INV_WTX ? mempool_get_wtxid(np->mempool, &inv->hash) != NULL
                                      : mempool_get(np->mempool, &inv->hash) != NULL;
}

static bool drv_have(void *ctx, struct relay *r, const struct relay_inv *inv)
{
    struct netproc *np = ctx;
    if (inv->type == RELAY_INV_BLOCK) {
        const struct bindex_node *n = chainstate_find(np->chain, &inv->hash);
        return n && (n->status & BINDEX_HAVE_DATA);
    }
    /* Orphans by wtxid only, as Core: a txid finds one without witness,
     * and one with another witness is still fetched. */
    if (orphanage_get(np->orphans, &inv->hash) ||
        (np->confirmed && seenset_contains(np->confirmed, &inv->hash)))
        return true;
    return drv_pooled(ctx, r, inv);
}

/* ---- life cycle ---- */

struct netproc *netproc_new(const struct netproc_options *o, const struct netproc_io *io,
                            struct chainstate *chain, struct mempool *mempool, char **err)
{
    struct netproc *np = xcalloc(1, sizeof(*np));
    np->opt = *o;
    np->io = *io;
    np->chain = chain;
    np->mempool = mempool;
    np->driver.send_inv = drv_inv;
    np->driver.send_getdata = drv_getdata;
    np->driver.send_headers = np_send_headers;
    np->driver.have = drv_have;
    np->driver.pooled = drv_pooled;
    np->driver.trickled = drv_trickled;
    if (o->txrecon)
        np->driver.recon_add = np_txrecon_add;
    np->relay = relay_new(&np->opt.policy, &np->driver, np, 0, o->seed, err);
    if (!np->relay) {
        free(np);
        return NULL;
    }
    np->confirmed = seenset_new(NETPROC_CONFIRMED_ENTRIES, NETPROC_CONFIRMED_FP,
                                relay_rand(np->relay));
    np->orphans = orphanage_new(ORPHANAGE_MAX_LATENCY_SCORE, ORPHANAGE_RESERVED_WEIGHT_PER_PEER,
                                relay_rand(np->relay));
    wbuf_init(&np->scratch);
    np_cmpct_init(np);
    np_txrecon_init(np);
    np->stalling_timeout_us = NETPROC_BLOCK_STALLING_US;
    np->unbroadcast_due = INT64_MAX;
    /* Keyed to the default, not -minrelaytxfee, as Core's rounder. */
    np_feeround_init(&np->feeround, MEMPOOL_DEFAULT_MIN_RELAY_FEERATE);
    np->feefilter_max = np_feeround(&np->feeround, TX_MAX_MONEY, 0);
    np_arrivals_init(np);
    struct chainstate_callbacks cb = {on_block_connected, on_block_disconnected, np, NULL};
    chainstate_add_callbacks(chain, &cb);
    return np;
}

void netproc_free(struct netproc *np)
{
    if (!np)
        return;
    np_arrivals_free(np);
    chainstate_remove_callbacks(np->chain, np);
    relay_free(np->relay);
    np_cmpct_free(np);
    np_txrecon_free(np);
    orphanage_free(np->orphans);
    seenset_free(np->confirmed);
    wbuf_free(&np->scratch);
    for (size_t i = 0; i < np->npeers; i++) {
        np_getdata_free(&np->peers[i]);
        np_lowwork_end(&np->peers[i]);
    }
    free(np->peers);
    for (size_t i = 0; i < np->ninflight; i++)
        cmpct_partial_free(np->inflight[i].partial);
    free(np->inflight);
    free(np->returned);
    np_recent_txs_free(np);
    np_blockstep_free(np);
    free(np);
}

static void peer_props(const struct np_peer *p, int64_t feefilter, struct relay_peer_props *rp)
{
    rp->outbound = !p->inbound;
    rp->wtxidrelay = p->wtxidrelay;
    rp->sendheaders = p->sendheaders;
    rp->feefilter = feefilter;
}

/* Core's SendMessages' MaybeSend* that hearsay runs after each message
 * from the peer and on each tick, as Core runs them. */
static void peer_upkeep(struct netproc *np, struct np_peer *p, int64_t now)
{
    np_sendheaders_maybe(np, p);
    np_feefilter_send(np, p, now);
    np_chain_sync_check(np, p, now);
}

void netproc_connected(struct netproc *np, const struct net_peer_props *props, int64_t now)
{
    if (np_peer_find(np, props->id))
        return;
    if (np->npeers == np->cap_peers) {
        size_t cap = np->cap_peers ? np->cap_peers * 2 : 16;
        struct np_peer *v = xrealloc(np->peers, cap * sizeof(*v));
        np->peers = v;
        np->cap_peers = cap;
    }
    struct np_peer *p = &np->peers[np->npeers++];
    memset(p, 0, sizeof(*p));
    p->id = props->id;
    p->inbound = props->inbound;
    p->wtxidrelay = props->wtxidrelay;
    p->sendheaders = props->sendheaders;
    p->limited = (props->services & PROTO_NODE_NETWORK_LIMITED) &&
                 !(props->services & PROTO_NODE_NETWORK);
    p->serves_blocks = (props->services & (PROTO_NODE_NETWORK | PROTO_NODE_NETWORK_LIMITED)) != 0;
    p->serves_witness = (props->services & PROTO_NODE_WITNESS) != 0;
    /* In blocks-only mode too: our own transactions (RPC) still go to
     * the peers that want them, as Core's (its TxRelay follows the peer's
     * flag, -blocksonly only refuses what peers send). */
    p->relay_txs = props->relay;
    p->reconciles = props->hello;
    p->connected = p->txrecon_heard = now;
    /* Core's fPreferredDownload: an address-fetch link closes soon. */
    p->preferred = !props->inbound && p->serves_blocks && props->kind != PEER_ADDR_FETCH;
    p->headers_timeout = INT64_MAX;
    p->last_tx = p->last_block = -1;
    p->kind = props->kind;
    p->manual = props->manual;
    p->network = props->network;
    p->version = props->version;
    struct relay_peer_props rp;
    /* A peer that said relay=false in its version hears of no
     * transaction: an impossible fee filter keeps them out of its
     * announcements. */
    peer_props(p, p->relay_txs ? 0 : INT64_MAX, &rp);
    rp.reconcile = np_txrecon_connected(np, props);
    relay_peer_add(np->relay, p->id, &rp, now);
    np_sync_maybe_start(np, p, now);
    np_unbroadcast_peer_connected(np, now);
    /* BIP35: ask for the peer's mempool so a restarted node catches up.
     * Bitcoin Core disconnects a peer that sends `mempool` unless it
     * offers NODE_BLOOM: ask only hearsay peers and those. */
    p->mempool_due = !np->opt.blocksonly && p->relay_txs &&
                     (props->hello || (props->services & PROTO_NODE_BLOOM));
    np_ask_mempool(np, p);
    peer_upkeep(np, p, now);
}

void netproc_disconnected(struct netproc *np, uint64_t peer, int64_t now)
{
    struct np_peer *p = np_peer_find(np, peer);
    if (!p)
        return;
    relay_peer_remove(np->relay, peer, now);
    np_txrecon_disconnected(np, peer);
    /* Its announcements go (Core's EraseForPeer): orphans another peer
     * announced too stay. */
    orphanage_erase_for_peer(np->orphans, peer);
    np_blocks_peer_gone(np, peer, now);
    np_cmpct_peer_gone(np, peer);
    np_getdata_free(p);
    np_lowwork_end(p);
    if (p->sync_started)
        np->nsync_started--;
    np->nprotected -= p->protect;
    *p = np->peers[--np->npeers];
    for (size_t i = 0; i < np->npeers; i++) /* another may sync now */
        np_sync_maybe_start(np, &np->peers[i], now);
}

/* sendheaders after the handshake: blocks are announced by headers. */
static void on_sendheaders(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                           int64_t now)
{
    struct relay_peer_info pi;
    p->sendheaders = true;
    if (relay_get_peer_info(np->relay, p->id, &pi) == 0) {
        pi.props.sendheaders = true;
        relay_peer_set_props(np->relay, p->id, &pi.props);
    }
}

/* ---- orphans ---- */

/* Bitcoin Core's fRejectedParents: a parent was rejected, or more than
 * one missing parent was refused on its feerate (a 1p1c package cannot
 * complete the orphan then). */
static bool rejected_parents(const struct netproc *np, const struct tx *tx)
{
    /* One lookup per input (an orphan may have thousands): the first
     * reconsiderable parent is remembered, a second distinct one decides. */
    const struct hash256 *first = NULL;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct hash256 *parent = &tx->vin[i].prevout.hash;
        /* By txid, as Core: only a parent without witness is found. */
        if (relay_is_rejected(np->relay, parent))
            return true;
        if ((first && hash_eq(parent, first)) || !relay_is_reconsiderable(np->relay, parent) ||
            mempool_get(np->mempool, parent))
            continue;
        if (first)
            return true;
        first = parent;
    }
    return false;
}

static int hash_order(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct hash256));
}

/* The distinct parents of tx we lack, by txid (all an orphan names):
 * Core's unique parents less those AlreadyHaveTx finds. A malloc'd array
 * in *out; returns how many. */
static size_t missing_parents(struct netproc *np, const struct tx *tx, struct hash256 **out)
{
    struct hash256 *v = xreallocarray(NULL, tx->vin_count ? tx->vin_count : 1, sizeof(*v));
    size_t n = 0, k = 0;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct hash256 *parent = &tx->vin[i].prevout.hash;
        if (mempool_get(np->mempool, parent) || relay_is_rejected(np->relay, parent) ||
            orphanage_get(np->orphans, parent) ||
            (np->confirmed && seenset_contains(np->confirmed, parent)))
            continue;
        v[n++] = *parent;
    }
    qsort(v, n, sizeof(*v), hash_order); /* an orphan may name thousands */
    for (size_t i = 0; i < n; i++)
        if (k == 0 || !hash_eq(&v[k - 1], &v[i]))
            v[k++] = v[i];
    *out = v;
    return k;
}

/* Core's MaybeAddOrphanResolutionCandidate: peer is asked for all the
 * missing parents as if it had announced them, unless that would take it
 * past its announcement cap; then it is no candidate, nor made an
 * announcer of the orphan, so that a peer flooding us with announcements
 * and orphans cannot put more into the orphanage. */
static bool orphan_candidate(struct netproc *np, const struct hash256 *parents, size_t n,
                             uint64_t peer, int64_t now)
{
    if (relay_peer_room(np->relay, peer) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        relay_want_tx(np->relay, peer, &parents[i], now);
    return true;
}

/* tx entered the mempool (Core's MempoolAcceptedTx): it leaves the pool,
 * and the orphans spending it join an announcer's work set. */
static void orphans_accepted(struct netproc *np, const struct tx *tx)
{
    orphanage_add_children_to_work_set(np->orphans, tx);
    orphanage_erase(np->orphans, &tx->wtxid);
}

/* At most this many peers (the sender included) are made announcers of
 * a new orphan; with more, the rest are not asked for its parents. */
#define ORPHAN_CANDIDATES 128

/* Puts into who[n..ORPHAN_CANDIDATES) the peers whose announcement of
 * hash is still tracked; returns the new count. */
static size_t orphan_candidates(const struct netproc *np, const struct hash256 *hash,
                                uint64_t *who, size_t n)
{
    size_t k = relay_announcers(np->relay, hash, who + n, ORPHAN_CANDIDATES - n);
    return n + (k < ORPHAN_CANDIDATES - n ? k : ORPHAN_CANDIDATES - n);
}

/* Core's MempoolRejectedTx for a first missing-inputs failure: the
 * orphan is kept for its sender and for every peer whose announcement of
 * it (by txid or wtxid) is still tracked, and each is asked for the
 * missing parents as if it had announced them (Core's orphan resolution
 * candidates), so that a parent one cannot give (notfound, timeout) is
 * asked of the next, and the orphan outlives its sender. */
static void orphan_add(struct netproc *np, struct tx *tx, uint64_t peer, int64_t now)
{
    if (rejected_parents(np, tx)) {
        /* Never accepted while they stay rejected: not kept, its parents
         * not fetched, and both its ids join the rejects, so that it is
         * not fetched again by txid either (whatever its witness). */
        relay_reject_add(np->relay, &tx->txid);
        relay_reject_add(np->relay, &tx->wtxid);
        LOG_DEBUG(LOG_MEMPOOL, "not keeping orphan with rejected parents from peer=%" PRIu64,
                  peer);
        return;
    }
    uint64_t who[ORPHAN_CANDIDATES] = {peer};
    size_t n = orphan_candidates(np, &tx->txid, who, 1);
    if (!hash_eq(&tx->txid, &tx->wtxid))
        n = orphan_candidates(np, &tx->wtxid, who, n);
    struct hash256 *parents;
    size_t nparents = missing_parents(np, tx, &parents);
    for (size_t i = 0; i < n; i++) {
        if (orphanage_has_announcer(np->orphans, &tx->wtxid, who[i]) ||
            !orphan_candidate(np, parents, nparents, who[i], now))
            continue;
        /* One heavier than a standard transaction is not kept (its
         * parents are asked for all the same, as Core does). */
        if (orphanage_add(np->orphans, tx, who[i]))
            LOG_DEBUG(LOG_MEMPOOL, "orphan tx from peer=%" PRIu64, peer);
    }
    free(parents);
}

/* A wtxid peer announced an orphan we hold (Core's AddTxAnnouncement):
 * while parents are missing, it becomes an announcer and is asked for
 * them, so the orphan outlives its first sender's departure. */
static void orphan_announced(struct netproc *np, uint64_t peer, const struct hash256 *wtxid,
                             int64_t now)
{
    struct tx *tx = orphanage_get(np->orphans, wtxid);
    if (!tx || orphanage_has_announcer(np->orphans, wtxid, peer))
        return;
    struct hash256 *parents;
    size_t nparents = missing_parents(np, tx, &parents);
    if (nparents && orphan_candidate(np, parents, nparents, peer, now))
        orphanage_add_announcer(np->orphans, wtxid, peer);
    free(parents);
}

/* Tries again an orphan from peer's work set (Core's ProcessOrphanTx):
 * still missing inputs, it stays; refused otherwise, it goes, without
 * the first failure's steps (no 1p1c package, no extra pool). */
static void orphan_retry(struct netproc *np, struct tx *tx, uint64_t peer, int64_t now)
{
    struct mempool_tip tip;
    struct mempool_reject rej;
    mempool_tip_of(np->chain, &tip);
    enum mempool_status st = mempool_accept(np->mempool, tx, &tip, np_wall_now(np), &rej);
    if (st == MEMPOOL_ACCEPTED) {
        np_tx_relay(np, tx, true, peer, now);
        orphans_accepted(np, tx);
    } else if (st != MEMPOOL_MISSING_INPUTS) {
        orphanage_erase(np->orphans, &tx->wtxid);
        np_tx_refused(np, tx, true, peer, &rej, now);
    }
}

/* Works through the peers' work sets, one orphan per peer in turn as
 * Core's message loop does, until all are empty: an accepted orphan may
 * put its own children in them. */
static void orphans_work(struct netproc *np, int64_t now)
{
    bool more = true;
    while (more) {
        more = false;
        for (size_t i = 0; i < np->npeers; i++) {
            uint64_t peer = np->peers[i].id;
            struct tx *tx = orphanage_take_work(np->orphans, peer);
            if (!tx)
                continue;
            more = true;
            orphan_retry(np, tx, peer, now);
            tx_free(tx);
        }
    }
}

void np_orphans_follow(struct netproc *np, const struct tx *tx, int64_t now)
{
    orphans_accepted(np, tx);
    orphans_work(np, now);
}

/* ---- transactions ---- */

/* Mempool acceptance and its consequences for relay. from_peer false:
 * a local submission. */
static enum mempool_status accept_one(struct netproc *np, struct tx *tx, bool from_peer,
                                      uint64_t peer, struct mempool_reject *rej, int64_t now)
{
    struct mempool_tip tip;
    mempool_tip_of(np->chain, &tip);
    enum mempool_status st = mempool_accept(np->mempool, tx, &tip, np_wall_now(np), rej);
    if (st == MEMPOOL_ACCEPTED) {
        np_tx_relay(np, tx, from_peer, peer, now);
        return st;
    }
    if (st == MEMPOOL_MISSING_INPUTS && from_peer)
        orphan_add(np, tx, peer, now);
    else if (st != MEMPOOL_WITNESS_MUTATED && st != MEMPOOL_CONFLICT)
        np_cmpct_extra_add(np, tx); /* a miner may still include it */
    /* Settles the request; an orphan marked rejected still becomes a
     * rumor once accepted (the core's accepted set is separate), and is
     * not requested again meanwhile. */
    if (st != MEMPOOL_MISSING_INPUTS || from_peer)
        np_tx_refused(np, tx, from_peer, peer, rej, now);
    return st;
}

void np_tx_relay(struct netproc *np, const struct tx *tx, bool from_peer, uint64_t peer,
                 int64_t now)
{
    struct relay_tx_info info;
    np->info.txs_accepted++;
    tx_info(mempool_get(np->mempool, &tx->txid), tx, &info);
    relay_on_tx_accepted(np->relay, from_peer, peer, &info, now);
}

void np_tx_reconsiderable(struct netproc *np, const struct tx *tx, bool from_peer,
                          uint64_t peer, int64_t now)
{
    struct relay_tx_info info;
    tx_info(NULL, tx, &info);
    relay_on_tx_reconsiderable(np->relay, from_peer, peer, &info, now);
}

void np_tx_refused(struct netproc *np, const struct tx *tx, bool from_peer, uint64_t peer,
                   const struct mempool_reject *rej, int64_t now)
{
    if (mempool_reject_reconsiderable(rej)) {
        np_tx_reconsiderable(np, tx, from_peer, peer, now);
    } else {
        struct relay_tx_info info;
        tx_info(NULL, tx, &info);
        relay_on_tx_rejected(np->relay, from_peer, peer, &info, now);
    }
    if (rej->status == MEMPOOL_MISSING_INPUTS)
        return;
    char wtxid[HASH_HEX_LEN + 1];
    hash_to_hex(&tx->wtxid, wtxid);
    /* Never a reason to punish the peer (Core v30): the wtxid joins the
     * relay core's rejected (or reconsiderable) set and the reason is
     * logged. */
    LOG_DEBUG(LOG_MEMPOOLREJ, "tx %s rejected from peer=%" PRIu64 ": %s %s", wtxid, peer,
              rej->reason ? rej->reason : "?", rej->detail);
}

/* Accepts tx, then the orphans it (and they, in turn) make complete. */
static enum mempool_status accept_with_orphans(struct netproc *np, struct tx *tx,
                                               bool from_peer, uint64_t peer,
                                               struct mempool_reject *rej, int64_t now)
{
    enum mempool_status st = accept_one(np, tx, from_peer, peer, rej, now);
    if (st == MEMPOOL_ACCEPTED)
        np_orphans_follow(np, tx, now);
    return st;
}

/* Blocks-only: our version said relay=false, so a transaction (or its
 * announcement) breaks the protocol; Bitcoin Core disconnects, without
 * discouragement, unless the peer has the relay permission (hearsay has
 * no permissions). true if p is being dropped. */
static bool tx_unwanted(struct netproc *np, struct np_peer *p)
{
    if (!np->opt.blocksonly)
        return false;
    LOG_INFO("peer=%" PRIu64 " sent a transaction in violation of protocol (blocks only)",
             p->id);
    if (np->io.disconnect)
        np->io.disconnect(np->io.ctx, p->id, "transaction sent to a blocks-only node");
    return true;
}

static void on_tx(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    if (tx_unwanted(np, p))
        return;
    /* Core drops transactions during initial download, unparsed and
     * unpunished: they could not be validated against an old tip. */
    if (chainstate_initial_download(np->chain))
        return;
    const char *why = NULL;
    struct cursor c;
    cursor_init(&c, m->payload, m->len);
    /* As Bitcoin Core: bytes after the transaction are ignored, and one
     * that cannot be read is dropped, the peer kept. */
    struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, &why);
    if (!tx) {
        np_drop_malformed(p, "tx", why);
        return;
    }
    np->info.txs_received++;
    np->pull_soon = true;
    np_txrecon_seen(np, p->id, &tx->wtxid);
    bool in_pool = mempool_get_wtxid(np->mempool, &tx->wtxid) != NULL;
    bool confirmed = np->confirmed && seenset_contains(np->confirmed, &tx->wtxid);
    if (in_pool || confirmed || orphanage_get(np->orphans, &tx->wtxid)) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&tx->wtxid, hex);
        LOG_DEBUG(LOG_RELAY, "peer=%" PRIu64 " sent tx %s we already had: duplicate payload",
                  p->id, hex);
        struct relay_tx_info info;
        tx_info(NULL, tx, &info);
        /* Settle the request: a mempool transaction is already accepted in
         * the core (counted as a duplicate), an orphan already rejected,
         * and so is one recently confirmed (Core's AlreadyHaveTx: not
         * validated again, where it would look like an orphan). */
        if (in_pool)
            relay_on_tx_accepted(np->relay, true, p->id, &info, now);
        else
            relay_on_tx_rejected(np->relay, true, p->id, &info, now);
    } else if (relay_is_reconsiderable(np->relay, &tx->wtxid)) {
        /* Not tried alone again, but perhaps with a child (Core's 1p1c). */
        np_tx_reconsiderable(np, tx, true, p->id, now);
        np_pkg_try(np, tx, p->id, now);
    } else {
        /* Even from a peer that asked not to hear of ours (relay=false):
         * its own are welcome, as in Bitcoin Core. */
        struct mempool_reject rej;
        /* Core credits the delivering peer only, not orphans it completes. */
        enum mempool_status st = accept_with_orphans(np, tx, true, p->id, &rej, now);
        if (st == MEMPOOL_ACCEPTED)
            p->last_tx = now;
        else if (mempool_reject_reconsiderable(&rej))
            np_pkg_try(np, tx, p->id, now);
    }
    tx_free(tx);
}

static void on_inv(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    bool ibd = chainstate_initial_download(np->chain); /* once per message, not per item */
    for (size_t i = 0; i < m->u.inv.n; i++) {
        const struct proto_inv *it = &m->u.inv.items[i];
        /* BIP339 as Core: a wtxid peer's MSG_TX and another peer's
         * MSG_WTX are ignored (not refused, even blocks-only). */
        if (it->type == (p->wtxidrelay ? PROTO_INV_TX : PROTO_INV_WTX))
            continue;
        if (it->type == PROTO_INV_BLOCK) {
            struct relay_inv ri = {RELAY_INV_BLOCK, it->hash};
            if (relay_on_inv(np->relay, p->id, &ri, now) == RELAY_ANN_BLOCK)
                np_on_block_inv(np, p, &it->hash, now);
            continue;
        }
        /* Any other type is unknown to Core's inv handling, a witness
         * block included; MSG_WITNESS_TX announces a txid, from any peer. */
        if (!proto_inv_is_tx(it->type))
            continue;
        if (tx_unwanted(np, p))
            return;
        uint32_t type = it->type == PROTO_INV_WTX ? PROTO_INV_WTX : PROTO_INV_TX;
        /* During initial download Core only notes that the peer has it:
         * nothing is fetched that could not be validated yet. */
        if (ibd) {
            relay_peer_note_known(np->relay, p->id, &it->hash);
            continue;
        }
        if (type == PROTO_INV_WTX)
            orphan_announced(np, p->id, &it->hash, now);
        struct relay_inv ri = {type, it->hash};
        if (type == PROTO_INV_WTX && np_txrecon_solicited(np, p->id, &it->hash))
            relay_on_answer(np->relay, p->id, &ri, now);
        else
            relay_on_inv(np->relay, p->id, &ri, now);
        if (type == PROTO_INV_WTX)
            np_txrecon_seen(np, p->id, &it->hash);
    }
}

static void on_notfound(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now)
{
    if (m->u.inv.n > NETPROC_MAX_NOTFOUND)
        return;
    for (size_t i = 0; i < m->u.inv.n; i++) {
        const struct proto_inv *it = &m->u.inv.items[i];
        /* Core's NOTFOUND: its transaction types only (blocks are left
         * to the download timeout), MSG_WITNESS_TX naming a txid. */
        if (!proto_inv_is_tx(it->type))
            continue;
        struct relay_inv ri = {it->type == PROTO_INV_WTX ? RELAY_INV_WTX : RELAY_INV_TX, it->hash};
        relay_on_notfound(np->relay, p->id, &ri, now);
    }
}

static void on_feefilter(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                         int64_t now)
{
    struct relay_peer_info pi;
    /* Outside MoneyRange the message is ignored, the last filter kept,
     * as Core: a negative or huge one must not reset nor silence it. */
    if (m->u.feerate < 0 || m->u.feerate > TX_MAX_MONEY)
        return;
    if (!p->relay_txs || relay_get_peer_info(np->relay, p->id, &pi) != 0)
        return;
    pi.props.feefilter = m->u.feerate;
    relay_peer_set_props(np->relay, p->id, &pi.props);
}

/* The relay core emits actions from its tick only: run it when due. */
static void after_event(struct netproc *np, int64_t now)
{
    np_announce_tip(np, now);
    if (relay_next_wakeup(np->relay) <= now)
        relay_tick(np->relay, now);
}

typedef void (*np_handler)(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                           int64_t now);

/* The relay layer's half of a command's row (the wire half is
 * net/wire/protocol.c's, the handshake states net/conn/peer.c's): its
 * handler here. The others never reach netproc. */
static const np_handler handlers[PROTO_CMD_COUNT] = {
    [PROTO_CMD_SENDHEADERS] = on_sendheaders,
    [PROTO_CMD_SENDCMPCT] = np_cmpct_on_sendcmpct,
    [PROTO_CMD_FEEFILTER] = on_feefilter,
    [PROTO_CMD_INV] = on_inv,
    [PROTO_CMD_GETDATA] = np_on_getdata,
    [PROTO_CMD_NOTFOUND] = on_notfound,
    [PROTO_CMD_TX] = on_tx,
    [PROTO_CMD_BLOCK] = np_on_block,
    [PROTO_CMD_HEADERS] = np_on_headers,
    [PROTO_CMD_GETHEADERS] = np_serve_getheaders,
    [PROTO_CMD_GETBLOCKS] = np_serve_getblocks,
    [PROTO_CMD_MEMPOOL] = np_serve_mempool,
    [PROTO_CMD_CMPCTBLOCK] = np_cmpct_on_cmpctblock,
    [PROTO_CMD_GETBLOCKTXN] = np_cmpct_on_getblocktxn,
    [PROTO_CMD_BLOCKTXN] = np_cmpct_on_blocktxn,
    [PROTO_CMD_REQRECON] = np_txrecon_on_req,
    [PROTO_CMD_SKETCH] = np_txrecon_on_sketch,
    [PROTO_CMD_REQSKETCHEXT] = np_txrecon_on_reqext,
    [PROTO_CMD_RECONCILDIFF] = np_txrecon_on_diff,
    [PROTO_CMD_HSDIGEST] = np_recon_on_digest,
    [PROTO_CMD_HSINV] = np_recon_on_hsinv,
    [PROTO_CMD_HSSKETCH] = np_recon_on_hssketch,
    [PROTO_CMD_HSASK] = np_recon_on_hsask,
};

void netproc_message(struct netproc *np, uint64_t peer, const struct net_msg *m, int64_t now)
{
    struct np_peer *p = np_peer_find(np, peer);
    if (!p)
        return;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_NET, "p2p message");
    if ((unsigned)m->cmd < PROTO_CMD_COUNT && handlers[m->cmd])
        handlers[m->cmd](np, p, m, now);
    np_message_done(np, peer, now);
    looplag_leave(&mark);
}

void np_message_done(struct netproc *np, uint64_t peer, int64_t now)
{
    struct np_peer *p = np_peer_find(np, peer); /* the handler may have moved it */
    if (p)
        peer_upkeep(np, p, now);
    after_event(np, now);
}

void netproc_tick(struct netproc *np, int64_t now)
{
    np->pull_soon = false;
    np_arrivals_collect(np, now);
    np_activate_tick(np, now);
    np_getdata_resume(np); /* blocks the step connected, or found invalid */
    np_blocks_tick(np, now);
    np_headers_tick(np, now);
    np_recon_tick(np, now);
    np_txrecon_tick(np, now);
    np_announce_tip(np, now);
    np_extra_tick(np, now);
    np_unbroadcast_tick(np, now);
    for (size_t i = 0; i < np->npeers; i++)
        peer_upkeep(np, &np->peers[i], now);
    relay_tick(np->relay, now);
}

int64_t netproc_next_wakeup(const struct netproc *np)
{
    if (np->pull_soon || netproc_activating(np) || np_arrivals_ready(np))
        return 0;
    int64_t w = relay_next_wakeup(np->relay);
    int64_t r = np_recon_wakeup(np);
    int64_t t = np_txrecon_wakeup(np);
    int64_t b = np_blocks_wakeup(np);
    int64_t x = np_extra_wakeup(np);
    int64_t f = np_feefilter_wakeup(np);
    if (f < w)
        w = f;
    if (x < w)
        w = x;
    if (np->unbroadcast_due < w)
        w = np->unbroadcast_due;
    if (r < w)
        w = r;
    if (t < w)
        w = t;
    return b < w ? b : w;
}

enum mempool_status netproc_submit_tx(struct netproc *np, struct tx *tx,
                                      struct mempool_reject *rej, int64_t now)
{
    enum mempool_status st = accept_with_orphans(np, tx, false, 0, rej, now);
    if (st == MEMPOOL_ACCEPTED)
        np_unbroadcast_submitted(np, tx);
    after_event(np, now);
    return st;
}

void netproc_announce_tx(struct netproc *np, const struct tx *tx, int64_t now)
{
    const struct mempool_entry *e = mempool_get_wtxid(np->mempool, &tx->wtxid);
    if (!e)
        return;
    struct relay_tx_info info;
    np->info.txs_accepted++;
    tx_info(e, tx, &info);
    relay_on_tx_accepted(np->relay, false, 0, &info, now);
    np_unbroadcast_submitted(np, tx);
    after_event(np, now);
}

void netproc_rebroadcast_tx(struct netproc *np, const struct tx *tx, int64_t now)
{
    if (!mempool_get_wtxid(np->mempool, &tx->wtxid))
        return;
    np_unbroadcast_submitted(np, tx);
    np_reannounce(np, &tx->txid, now);
    after_event(np, now);
}

enum chainstate_status netproc_submit_block(struct netproc *np, const struct block *b,
                                            const char **reason, char **err, int64_t now)
{
    enum chainstate_status st = np_timed_block(np, b, false, reason, err);
    after_event(np, now);
    return st;
}

void netproc_get_info(const struct netproc *np, struct netproc_info *out)
{
    *out = np->info;
    struct orphanage_stats os;
    orphanage_get_stats(np->orphans, &os);
    out->orphans = os.orphans;
    out->blocks_in_flight = np->ninflight;
    out->stalling_timeout_us = np->stalling_timeout_us;
}

struct relay *netproc_relay(const struct netproc *np)
{
    return np->relay;
}

bool netproc_get_peer_info(const struct netproc *np, uint64_t peer,
                           struct netproc_peer_info *out)
{
    for (size_t i = 0; i < np->npeers; i++) {
        const struct np_peer *p = &np->peers[i];
        if (p->id != peer)
            continue;
        out->synced_headers = p->best_known ? p->best_known->height : -1;
        out->presynced_headers = p->hss ? hss_presync_height(p->hss) : -1;
        np_peer_blocks_info(np, p, out);
        out->last_tx = p->last_tx;
        out->last_block = p->last_block;
        out->reconciles = p->reconciles;
        out->bip152_hb_to = p->cmpct.hb_to;
        out->bip152_hb_from = p->cmpct.hb_from;
        out->cmpct = p->cmpct.n;
        return true;
    }
    return false;
}

bool netproc_peer_reconciles(const struct netproc *np, uint64_t peer)
{
    struct netproc_peer_info pi;
    return netproc_get_peer_info(np, peer, &pi) && pi.reconciles;
}
