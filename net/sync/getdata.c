/* getdata service with backpressure, as Bitcoin Core's ProcessGetData:
 * a getdata's items join the peer's queue and are served in order while
 * its send buffer has room; when the buffer is full, serving stops and
 * resumes once it drains (netproc_send_ready). The connection manager
 * reads nothing more from a peer whose send buffer is full, so the queue
 * holds at most one message's items, like Core's m_getdata_requests.
 * A block we stored but have not connected yet waits at the head of the
 * queue for the activation steps (later turns of the loop) rather than
 * being refused: see awaits_activation. Either way, while items wait the
 * peer's next messages wait too (netproc_input_held, which the
 * connection manager asks before each; io.resume_input when served), as
 * Core processes no message from a peer whose getdata queue is not empty:
 * the answers keep their order and the queue holds one message at most.
 * Transactions we lack, or have not announced to the peer yet (but for
 * those of the block we connected last, which left the mempool with it),
 * are answered with notfound (a peer we relay no transaction to gets no
 * answer, as in Core); blocks we lack are not (Core neither: the
 * requester's download timeout covers them).
 *
 * A pruned node (NODE_NETWORK_LIMITED only) refuses blocks deeper than
 * the BIP159 window (tip - 288 - 2, Core's threshold, so that what is
 * served does not reveal how far we pruned). Core drops such a peer, so
 * that it does not wait for the block; we do too, after answering the
 * item with notfound so a peer that reads it can turn elsewhere at once
 * (Core ignores notfound for blocks: harmless to it).
 *
 * Past -maxuploadtarget's share for historical blocks, a block more than
 * a week older than our best header is not served to a peer without the
 * download permission: Core drops it, and so do we. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool send_blocked(struct netproc *np, uint64_t peer)
{
    return np->io.send_blocked && np->io.send_blocked(np->io.ctx, peer);
}

static int recent_cmp(const void *a, const void *b)
{
    return memcmp(&((const struct np_recent_tx *)a)->id, &((const struct np_recent_tx *)b)->id,
                  sizeof(struct hash256));
}

void np_recent_txs_free(struct netproc *np)
{
    for (size_t i = 0; i < np->n_recent_txs; i++)
        tx_free(np->recent_txs[i].tx);
    free(np->recent_txs);
    np->recent_txs = NULL;
    np->n_recent_txs = 0;
}

void np_recent_txs_set(struct netproc *np, const struct block *b)
{
    np_recent_txs_free(np);
    if (!b->tx_count)
        return;
    np->recent_txs = xreallocarray(NULL, 2 * b->tx_count, sizeof(*np->recent_txs));
    for (size_t i = 0; i < b->tx_count; i++) {
        struct tx *tx = b->txs[i];
        np->recent_txs[np->n_recent_txs++] = (struct np_recent_tx){tx->txid, tx_ref(tx)};
        np->recent_txs[np->n_recent_txs++] = (struct np_recent_tx){tx->wtxid, tx_ref(tx)};
    }
    /* Sorted for bsearch: a getdata of 50000 items must not cost 50000
     * scans of a block. */
    qsort(np->recent_txs, np->n_recent_txs, sizeof(*np->recent_txs), recent_cmp);
}

/* Core's FindTxForGetData: a transaction that was in the mempool at the
 * peer's last trickle, announced or not, so that no peer learns of one
 * before its trickle, nor probes when it arrived, by asking for it;
 * or one of the block we connected last (a peer completing that block's
 * compact form may still ask for it). Looked up by its hash alone, txid
 * or wtxid, as Core's map of that block holds both. */
static struct tx *find_tx(struct netproc *np, const struct np_peer *p, const struct proto_inv *it)
{
    const struct mempool_entry *e = it->type == PROTO_INV_WTX
                                        ? mempool_get_wtxid(np->mempool, &it->hash)
                                        : mempool_get(np->mempool, &it->hash);
    if (e && mempool_entry_sequence(e) < p->tx_inv_seq)
        return mempool_entry_tx(e);
    struct np_recent_tx key = {.id = it->hash};
    const struct np_recent_tx *r =
        np->n_recent_txs ? bsearch(&key, np->recent_txs, np->n_recent_txs, sizeof(key), recent_cmp)
                         : NULL;
    return r ? r->tx : NULL;
}

static bool serve_tx(struct netproc *np, struct np_peer *p, const struct proto_inv *it)
{
    struct tx *tx = p->relay_txs ? find_tx(np, p, it) : NULL;
    if (!tx)
        return false;
    /* Core: MSG_TX is served without witness, MSG_WTX and
     * MSG_WITNESS_TX with it. */
    bool witness = it->type != PROTO_INV_TX;
    wbuf_reset(&np->scratch);
    if (witness) {
        wbuf_bytes(&np->scratch, tx->raw, tx->size);
    } else {
        tx_serialize(tx, &np->scratch, false);
    }
    np_send(np, p->id, PROTO_CMD_TX, &np->scratch);
    np_unbroadcast_served(np, &tx->txid);
    struct relay_inv ri = {it->type == PROTO_INV_WTX ? RELAY_INV_WTX : RELAY_INV_TX, it->hash};
    relay_on_getdata(np->relay, p->id, &ri, 0);
    return true;
}

/* A block we serve: whole (with witness or not) or compact. Core's
 * filtered blocks (BIP37) are not served: we offer no NODE_BLOOM. */
static bool served_block(uint32_t type)
{
    return type == PROTO_INV_BLOCK || type == PROTO_INV_WITNESS_BLOCK ||
           type == PROTO_INV_CMPCT_BLOCK;
}

bool np_serve_item(struct netproc *np, struct np_peer *p, const struct proto_inv *it)
{
    uint32_t type = it->type;
    if (served_block(type)) {
        const struct bindex_node *n = chainstate_find(np->chain, &it->hash);
        if (n && !np_block_request_allowed(np, n)) {
            LOG_DEBUG(LOG_NET, "ignoring request from peer=%" PRIu64
                      " for old block that isn't in the main chain", p->id);
            return false;
        }
    }
    bool served;
    switch (type) {
    case PROTO_INV_TX:
    case PROTO_INV_WTX:
    case PROTO_INV_WITNESS_TX:
        return serve_tx(np, p, it);
    case PROTO_INV_BLOCK:
    case PROTO_INV_WITNESS_BLOCK:
        served = np_serve_block(np, p, &it->hash, type == PROTO_INV_WITNESS_BLOCK);
        break;
    case PROTO_INV_CMPCT_BLOCK:
        served = np_cmpct_serve(np, p, &it->hash);
        break;
    default: /* unknown types (and filtered blocks) are skipped, as Core does */
        return false;
    }
    if (served)
        np_getblocks_continue(np, p, &it->hash);
    return served;
}

/* Core's ProcessGetBlockData check for the block types (block, witness
 * block, filtered, compact). */
static bool below_limited_window(struct netproc *np, const struct proto_inv *it)
{
    if (!np->opt.limited || !proto_inv_is_block(it->type))
        return false;
    const struct bindex_node *n = chainstate_find(np->chain, &it->hash);
    const struct bindex_node *tip = chainstate_tip(np->chain);
    return n && tip && tip->height - n->height > PROTO_NODE_NETWORK_LIMITED_MIN_BLOCKS + 2;
}

/* A requested block that the running activation will connect (stored
 * with all its ancestors, valid so far, more work than the tip). Core's
 * ProcessGetBlockData activates the best chain before checking such a
 * block ("we might be in the middle of connecting it"), so that it is
 * served; our activation runs in steps on later turns of the loop, so the
 * item waits for them. Refused, it would get no answer (blocks get no
 * notfound) and the peer, which may have it from our early cmpctblock,
 * would wait for its download timeout before asking anyone else. */
static bool awaits_activation(struct netproc *np, const struct proto_inv *it)
{
    if (!np->activating || !served_block(it->type))
        return false;
    const struct bindex_node *n = chainstate_find(np->chain, &it->hash);
    const struct bindex_node *tip = chainstate_tip(np->chain);
    return n && tip && n->have_chain && (n->status & BINDEX_HAVE_DATA) &&
           !(n->status & BINDEX_FAILED_MASK) && u256_cmp(&n->work, &tip->work) > 0;
}

#define HISTORICAL_BLOCK_AGE (7 * 24 * 3600) /* Core's, seconds */

/* Core's ProcessGetBlockData upload target check (block types; its
 * filtered blocks are never served here). */
static bool past_upload_target(struct netproc *np, const struct np_peer *p,
                               const struct proto_inv *it)
{
    if (!np->io.upload_target_reached || !served_block(it->type) ||
        !np->io.upload_target_reached(np->io.ctx, true))
        return false;
    const struct bindex_node *n = chainstate_find(np->chain, &it->hash);
    const struct bindex_node *best = chainstate_best_header(np->chain);
    if (!n || !best || (int64_t)best->hdr.time - (int64_t)n->hdr.time <= HISTORICAL_BLOCK_AGE)
        return false;
    return !(np->io.may_download && np->io.may_download(np->io.ctx, p->id));
}

void np_getdata_serve(struct netproc *np, struct np_peer *p)
{
    struct proto_inv *missing = NULL;
    size_t nmissing = 0;
    const char *refused = NULL;
    while (p->gd_head < p->gd_len && !send_blocked(np, p->id) && !refused &&
           !awaits_activation(np, &p->gd[p->gd_head])) {
        const struct proto_inv it = p->gd[p->gd_head++];
        if (past_upload_target(np, p, &it)) {
            refused = "historical block serving limit reached";
            break; /* no notfound: Core just drops the peer */
        }
        if (below_limited_window(np, &it))
            refused = "Ignore block request below NODE_NETWORK_LIMITED threshold";
        /* A peer we relay no transaction to gets no notfound either. */
        if (!refused && (np_serve_item(np, p, &it) ||
                         !proto_inv_is_tx(it.type) || !p->relay_txs))
            continue;
        if (!missing)
            missing = xreallocarray(NULL, p->gd_len - p->gd_head + 1, sizeof(*missing));
        missing[nmissing++] = it;
    }
    if (nmissing) {
        wbuf_reset(&np->scratch);
        proto_inv_encode(&np->scratch, missing, nmissing);
        np_send(np, p->id, PROTO_CMD_NOTFOUND, &np->scratch);
    }
    free(missing);
    if (refused) {
        LOG_INFO("%s, disconnect peer=%" PRIu64, refused, p->id);
        p->gd_head = p->gd_len; /* nothing more for it: it is on its way out */
        if (np->io.disconnect)
            np->io.disconnect(np->io.ctx, p->id, refused);
    }
    if (p->gd_head == p->gd_len) {
        np_getdata_free(p);
        if (p->gd_waited && np->io.resume_input)
            np->io.resume_input(np->io.ctx, p->id);
        p->gd_waited = false;
    } else {
        p->gd_waited = true;
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " %zu getdata items wait (%s)", p->id,
                  p->gd_len - p->gd_head,
                  send_blocked(np, p->id) ? "send buffer full" : "block not connected yet");
    }
}

void np_getdata_resume(struct netproc *np)
{
    for (size_t i = 0; i < np->npeers; i++)
        if (np->peers[i].gd_head < np->peers[i].gd_len)
            np_getdata_serve(np, &np->peers[i]);
}

void np_on_getdata(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    size_t n = m->u.inv.n, pending = p->gd_len - p->gd_head;
    /* The connection manager reads nothing more from a peer while its
     * queue waits, so pending is 0 here and one message's items (at most
     * 50000, Core's MAX_INV_SZ) are queued; the bound holds for a caller
     * that does not hold input. */
    if (n == 0 || pending + n > NETPROC_MAX_GETDATA_QUEUE)
        return;
    struct proto_inv *v = xreallocarray(NULL, pending + n, sizeof(*v));
    if (pending)
        memcpy(v, p->gd + p->gd_head, pending * sizeof(*v));
    memcpy(v + pending, m->u.inv.items, n * sizeof(*v));
    free(p->gd);
    p->gd = v;
    p->gd_head = 0;
    p->gd_len = pending + n;
    np_getdata_serve(np, p);
}

void np_getdata_free(struct np_peer *p)
{
    free(p->gd);
    p->gd = NULL;
    p->gd_head = p->gd_len = 0;
}

void netproc_send_ready(struct netproc *np, uint64_t peer, int64_t now)
{
    struct np_peer *p = np_peer_find(np, peer);
    if (!p || p->gd_head == p->gd_len)
        return;
    np_getdata_serve(np, p);
}

bool netproc_input_held(struct netproc *np, uint64_t peer)
{
    const struct np_peer *p = np_peer_find(np, peer);
    return p && (p->gd_head < p->gd_len || p->arriving);
}
