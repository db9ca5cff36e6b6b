/* The workload's BIP330 driver: what net/sync/txrecon_sync.c does for the
 * node, on the simulated network. Each node owns the node's own
 * reconciliation state machine (net/relay/txrecon.h), one entry per link
 * with the link's two salts; every interval it starts a round with the
 * next outbound partner of a fixed rotation (skipping one still busy);
 * the messages travel as their real encodings, decoded on arrival, and
 * what a step returns is sent as the node sends it: the invs at once,
 * then the message. */
#include "contrib/sim/txload_int.h"

#include <stdlib.h>

#include "chain/util/xmalloc.h"
#include "net/relay/txrecon.h"
#include "net/wire/protocol.h"
#include "net/wire/txrecon_msg.h"

/* A link end's salt (BIP330: random per connection). */
static uint64_t link_salt(const struct tl *tl, uint32_t v, uint32_t peer)
{
    return sim_mix64(tl->salt ^ ((uint64_t)v << 32 | peer));
}

void tl_recon_setup(struct tl *tl)
{
    tl->salt = sim_rng_next(&tl->rng);
    tl->recon = xcalloc(tl->n, sizeof(*tl->recon));
    tl->rot = xcalloc(tl->n, sizeof(*tl->rot));
    uint64_t interval = (uint64_t)(tl->cfg->recon_interval_ms * 1000);
    for (uint32_t v = 0; v < tl->n; v++) {
        struct txrecon *t = txrecon_new(tl->cfg->recon_q);
        uint32_t deg = sim_topo_degree(tl->topo, v), nout = sim_topo_outbound(tl->topo, v);
        for (uint32_t i = 0; i < deg; i++) {
            uint32_t p = sim_topo_neighbor(tl->topo, v, i);
            /* The side that opened the connection initiates (Core's rule). */
            txrecon_peer_add(t, p, i < nout, link_salt(tl, v, p), link_salt(tl, p, v));
        }
        tl->recon[v] = t;
        if (nout == 0)
            continue;
        /* Nodes started at different times: their timers are out of phase. */
        tl->rot[v] = (uint32_t)sim_rng_below(&tl->rng, nout);
        sim_heap_push(&tl->heap, (struct sim_event){
            .at = sim_rng_below(&tl->rng, interval ? interval : 1), .node = v,
            .kind = SIM_EV_RECON});
    }
}

void tl_recon_free(struct tl *tl)
{
    for (uint32_t v = 0; tl->recon && v < tl->n; v++)
        txrecon_free(tl->recon[v]);
    free(tl->recon);
    free(tl->rot);
}

/* The relay core hands a transaction to a reconciling peer's set. Short
 * id collisions and full sets go out by inv at once, as in the node (the
 * core has already marked the wtxid known to the peer; the colliding one
 * is not marked, since a driver may not call back into the core here, so
 * at worst it is announced twice). */
void tl_recon_add(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid)
{
    struct tl *tl = ctx;
    uint32_t v = (uint32_t)relay_self(r);
    struct hash256 other;
    if (txrecon_add(tl->recon[v], peer, wtxid, &other) != TXRECON_ANNOUNCE)
        return;
    uint32_t ids[2], n = 0;
    ids[n++] = tl_tx_index(tl, wtxid);
    if (!hash_is_zero(&other))
        ids[n++] = tl_tx_index(tl, &other);
    tl_send_inv(tl, v, (uint32_t)peer, ids, n);
}

void tl_recon_seen(struct tl *tl, uint32_t node, uint32_t peer, const struct hash256 *wtxid)
{
    if (tl->recon)
        txrecon_remove(tl->recon[node], peer, wtxid);
}

bool tl_recon_solicited(struct tl *tl, uint32_t node, uint32_t peer, const struct hash256 *wtxid)
{
    return tl->recon && txrecon_solicited(tl->recon[node], peer, wtxid);
}

size_t tl_recon_pending(const struct tl *tl)
{
    size_t n = 0;
    for (uint32_t v = 0; v < tl->n; v++)
        n += txrecon_pending(tl->recon[v]);
    return n;
}

static enum sim_tl_msg msg_type(enum proto_cmd cmd)
{
    switch (cmd) {
    case PROTO_CMD_REQRECON: return SIM_TL_REQRECON;
    case PROTO_CMD_SKETCH: return SIM_TL_SKETCH;
    case PROTO_CMD_REQSKETCHEXT: return SIM_TL_REQSKETCHEXT;
    default: return SIM_TL_RECONCILDIFF;
    }
}

/* Sends a step's output from v to peer: the invs, then the message. */
static void act(struct tl *tl, uint32_t v, uint32_t peer, const struct txrecon_out *o)
{
    if (o->n_announce) {
        uint32_t *ids = xmalloc(o->n_announce * sizeof(*ids));
        for (size_t i = 0; i < o->n_announce; i++) {
            ids[i] = tl_tx_index(tl, &o->announce[i]);
            relay_peer_note_known(tl->relay[v], peer, &o->announce[i]);
        }
        for (size_t off = 0; off < o->n_announce; off += PROTO_MAX_INV) {
            size_t k = o->n_announce - off;
            tl_send_inv(tl, v, peer, ids + off, k < PROTO_MAX_INV ? k : PROTO_MAX_INV);
        }
        free(ids);
    }
    if (o->cmd == PROTO_CMD_OTHER)
        return;
    enum sim_tl_msg type = msg_type(o->cmd);
    uint32_t len = (uint32_t)o->payload.len;
    if (type == SIM_TL_RECONCILDIFF && len > 0 && o->payload.data[0] == 0)
        tl->res->fallbacks++;
    tl_send(tl, v, peer, type, o->payload.data, len, PROTO_HEADER_SIZE + len);
    txrecon_count_bytes(tl->recon[v], peer, true, PROTO_HEADER_SIZE + len);
}

void tl_recon_timer(struct tl *tl, uint32_t v)
{
    struct txrecon *t = tl->recon[v];
    uint32_t nout = sim_topo_outbound(tl->topo, v);
    for (uint32_t k = 1; k <= nout; k++) {
        uint32_t idx = (tl->rot[v] + k) % nout;
        uint32_t peer = sim_topo_neighbor(tl->topo, v, idx);
        if (txrecon_busy(t, peer))
            continue;
        tl->rot[v] = idx;
        struct txrecon_out o;
        txrecon_out_init(&o);
        if (txrecon_start(t, peer, &o) == 0)
            act(tl, v, peer, &o);
        txrecon_out_free(&o);
        return;
    }
}

/* Decodes a round message as the node does and feeds the state machine;
 * -1 for what the node would treat as misbehaviour. */
static int step(struct txrecon *t, uint32_t from, enum sim_tl_msg type, struct cursor *c,
                struct txrecon_out *o)
{
    struct txrecon_req_msg req;
    struct txrecon_sketch_msg sk;
    struct txrecon_diff_msg diff;
    int rc = -1;
    switch (type) {
    case SIM_TL_REQRECON:
        return txrecon_req_decode(c, &req) ? txrecon_on_req(t, from, &req, o) : -1;
    case SIM_TL_SKETCH:
        return txrecon_sketch_decode(c, &sk) ? txrecon_on_sketch(t, from, sk.data, sk.len, o)
                                             : -1;
    case SIM_TL_REQSKETCHEXT:
        return txrecon_on_reqext(t, from, o);
    case SIM_TL_RECONCILDIFF:
        if (txrecon_diff_decode(c, &diff)) {
            rc = txrecon_on_diff(t, from, &diff, o);
            txrecon_diff_clear(&diff);
        }
        return rc;
    default:
        return -1;
    }
}

void tl_recon_deliver(struct tl *tl, uint32_t to, uint32_t from, enum sim_tl_msg type,
                      const uint8_t *data, size_t len)
{
    struct txrecon *t = tl->recon ? tl->recon[to] : NULL;
    if (!t) {
        tl->res->recon_errors++;
        return;
    }
    struct cursor c;
    struct txrecon_out o;
    cursor_init(&c, data, len);
    txrecon_out_init(&o);
    txrecon_count_bytes(t, from, false, PROTO_HEADER_SIZE + len);
    if (step(t, from, type, &c, &o) == 0)
        act(tl, to, from, &o);
    else
        tl->res->recon_errors++;
    txrecon_out_free(&o);
}

void tl_recon_totals(const struct tl *tl, struct sim_txload_result *res)
{
    res->recon_rounds = res->msgs[SIM_TL_REQRECON];
    res->sketches = res->msgs[SIM_TL_SKETCH];
    res->extensions = res->msgs[SIM_TL_REQSKETCHEXT];
    for (uint32_t v = 0; tl->recon && v < tl->n; v++) {
        struct txrecon_counters c;
        txrecon_totals(tl->recon[v], &c);
        res->decode_failures += c.decode_failures;
        res->differences += c.differences;
        res->answers += c.answers;
    }
}
