/* Serving blocks and headers to peers, as Bitcoin Core's net_processing:
 * getheaders (nothing beyond what the peer may see; empty below the
 * minimum chain work), getblocks (an inv of up to 500, the last one
 * continued once served) and the block itself by getdata (read from our
 * block files; a block we store and cannot read ends the link). */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void np_serve_getheaders(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                         int64_t now)
{
    const struct proto_locator *loc = &m->u.locator;
    const struct bindex_node *n;
    if (np_cmp_min_work(np, chainstate_tip(np->chain)) < 0 &&
        !(np->io.may_download && np->io.may_download(np->io.ctx, p->id))) {
        /* Core serves no headers from a chain below the minimum chain
         * work (the peer would start a low-work headers sync only to
         * abort it) but to a peer with the download permission: an empty
         * answer, so that we do not seem unresponsive. */
        LOG_DEBUG(LOG_NET, "ignoring getheaders from peer=%" PRIu64
                  " because active chain has too little work; sending empty response", p->id);
        wbuf_reset(&np->scratch);
        proto_headers_encode(&np->scratch, NULL, 0);
        np_send(np, p->id, PROTO_CMD_HEADERS, &np->scratch);
        return;
    }
    if (loc->count == 0) {
        n = chainstate_find(np->chain, &loc->stop); /* just that header */
        if (!n)
            return;
        if (!np_block_request_allowed(np, n)) {
            LOG_DEBUG(LOG_NET, "ignoring request from peer=%" PRIu64
                      " for old block header that isn't in the main chain", p->id);
            return;
        }
    } else {
        const struct bindex_node *fork = chainstate_find_fork(np->chain, loc->hashes, loc->count);
        n = fork ? chainstate_at(np->chain, fork->height + 1) : chainstate_at(np->chain, 0);
    }
    uint8_t(*raw)[BLOCK_HEADER_SIZE] = xmalloc(NETPROC_MAX_HEADERS * BLOCK_HEADER_SIZE);
    size_t k = 0;
    const struct bindex_node *last = NULL;
    for (; n && k < NETPROC_MAX_HEADERS; n = chainstate_at(np->chain, n->height + 1)) {
        block_header_serialize(&n->hdr, raw[k++]);
        last = n;
        if (hash_eq(&n->hash, &loc->stop) || loc->count == 0)
            break;
    }
    /* Reset, not raised, as Core: the answer may lack a block we are
     * connecting, which is then announced again. */
    np_set_best_sent(p, n ? last : chainstate_tip(np->chain));
    wbuf_reset(&np->scratch);
    proto_headers_encode(&np->scratch, (const uint8_t(*)[80])raw, k);
    np_send(np, p->id, PROTO_CMD_HEADERS, &np->scratch);
    free(raw);
}

void np_serve_getblocks(struct netproc *np, struct np_peer *p, const struct net_msg *m, int64_t now)
{
    const struct proto_locator *loc = &m->u.locator;
    const struct bindex_node *fork = chainstate_find_fork(np->chain, loc->hashes, loc->count);
    const struct bindex_node *n = chainstate_at(np->chain, fork ? fork->height + 1 : 0);
    struct proto_inv items[NETPROC_MAX_GETBLOCKS];
    size_t k = 0;
    /* Pruned, as Core: no inv for blocks we may delete within the hour
     * that relay might need (288 less an hour of blocks). */
    int likely_kept = chainstate_height(np->chain) - PROTO_NODE_NETWORK_LIMITED_MIN_BLOCKS +
                      (int)(3600 / chainstate_params(np->chain)->pow_target_spacing);
    for (; n && k < NETPROC_MAX_GETBLOCKS; n = chainstate_at(np->chain, n->height + 1)) {
        if (hash_eq(&n->hash, &loc->stop))
            break;
        if (np->opt.limited && (!(n->status & BINDEX_HAVE_DATA) || n->height <= likely_kept))
            break;
        items[k].type = PROTO_INV_BLOCK;
        items[k++].hash = n->hash;
    }
    if (k == NETPROC_MAX_GETBLOCKS)
        p->continuation = items[k - 1].hash;
    if (k)
        np_send_inv(np, p->id, items, k);
}

void np_getblocks_continue(struct netproc *np, struct np_peer *p, const struct hash256 *served)
{
    if (hash_is_zero(&p->continuation) || !hash_eq(&p->continuation, served))
        return;
    memset(&p->continuation, 0, sizeof(p->continuation));
    struct proto_inv tip = {PROTO_INV_BLOCK, chainstate_tip(np->chain)->hash};
    np_send_inv(np, p->id, &tip, 1); /* even if redundant: it asks for more */
}

void np_block_unreadable(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                         const char *err)
{
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    if (n && !(n->status & BINDEX_HAVE_DATA))
        LOG_DEBUG(LOG_NET, "block pruned before it could be read, disconnecting peer=%" PRIu64,
                  p->id);
    else
        LOG_ERROR("cannot load block from disk (%s), disconnecting peer=%" PRIu64,
                  err ? err : "unreadable", p->id);
    p->gd_head = p->gd_len;
    if (np->io.disconnect)
        np->io.disconnect(np->io.ctx, p->id, "requested block unreadable");
}

bool np_serve_block(struct netproc *np, struct np_peer *p, const struct hash256 *hash,
                    bool witness)
{
    /* Not stored (unknown, or pruned before the request): no answer, as
     * Core, which sends no notfound for blocks. */
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    if (!n || !(n->status & BINDEX_HAVE_DATA))
        return false;
    uint8_t *data = NULL;
    size_t len = 0;
    char *err = NULL;
    if (chainstate_get_block_raw(np->chain, hash, &data, &len, &err) != 1 || !data) {
        np_block_unreadable(np, p, hash, err);
        free(err);
        free(data);
        return false;
    }
    if (witness) {
        np->io.send(np->io.ctx, p->id, PROTO_CMD_BLOCK, data, len);
    } else { /* an old peer: strip the witnesses */
        struct block *b = block_from_bytes(data, len, NULL);
        if (b) {
            wbuf_reset(&np->scratch);
            block_serialize(b, &np->scratch, false);
            np_send(np, p->id, PROTO_CMD_BLOCK, &np->scratch);
            block_free(b);
        }
    }
    free(data);
    return true;
}
