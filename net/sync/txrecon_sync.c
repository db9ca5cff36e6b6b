/* netproc's side of BIP330 reconciliation: registers peers that
 * negotiated it, feeds the pure state machine (net/relay/txrecon.h) with
 * the relay core's reconciliation sets and the peers' messages, sends
 * what it returns, and starts one round per interval with the next
 * partner of a fixed rotation over the peers we initiate with (our
 * outbound ones), so every link is reconciled within a bounded time. */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/relay/txrecon.h"
#include "net/wire/txrecon_msg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void np_txrecon_init(struct netproc *np)
{
    if (np->opt.txrecon)
        np->txrecon = txrecon_new(np->opt.txrecon_q);
}

void np_txrecon_free(struct netproc *np)
{
    txrecon_free(np->txrecon);
}

bool np_txrecon_connected(struct netproc *np, const struct net_peer_props *props)
{
    if (!np->txrecon || !props->txrecon || !props->relay || np->opt.blocksonly)
        return false;
    return txrecon_peer_add(np->txrecon, props->id, !props->inbound, props->recon_salt_local,
                            props->recon_salt_remote) == 0;
}

void np_txrecon_disconnected(struct netproc *np, uint64_t peer)
{
    if (np->txrecon)
        txrecon_peer_remove(np->txrecon, peer);
}

/* The peer has it (it announced or sent it): nothing to reconcile. */
void np_txrecon_seen(struct netproc *np, uint64_t peer, const struct hash256 *wtxid)
{
    if (np->txrecon)
        txrecon_remove(np->txrecon, peer, wtxid);
}

/* An inv entry answering a round we responded to: requested at once. */
bool np_txrecon_solicited(struct netproc *np, uint64_t peer, const struct hash256 *wtxid)
{
    return np->txrecon && txrecon_solicited(np->txrecon, peer, wtxid);
}

/* Announces by inv those of the wtxids still in our mempool. */
static void announce(struct netproc *np, uint64_t peer, const struct hash256 *ids, size_t n)
{
    struct proto_inv *items = xmalloc(n * sizeof(*items));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!mempool_get_wtxid(np->mempool, &ids[i]))
            continue;
        items[k].type = PROTO_INV_WTX;
        items[k++].hash = ids[i];
        relay_peer_note_known(np->relay, peer, &ids[i]);
    }
    for (size_t off = 0; off < k; off += PROTO_MAX_INV)
        np_send_inv(np, peer, items + off, k - off < PROTO_MAX_INV ? k - off : PROTO_MAX_INV);
    free(items);
}

/* The relay core's driver: a transaction for a peer's set. */
void np_txrecon_add(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid)
{
    struct netproc *np = ctx;
    struct hash256 v[2];
    if (txrecon_add(np->txrecon, peer, wtxid, &v[1]) != TXRECON_ANNOUNCE)
        return;
    v[0] = *wtxid;
    announce(np, peer, v, hash_is_zero(&v[1]) ? 1 : 2);
}

/* Sends what a step of the state machine produced: invs first, then its
 * message. */
static void act(struct netproc *np, uint64_t peer, struct txrecon_out *o)
{
    announce(np, peer, o->announce, o->n_announce);
    if (o->cmd == PROTO_CMD_OTHER)
        return;
    np_send(np, peer, o->cmd, &o->payload);
    txrecon_count_bytes(np->txrecon, peer, true, PROTO_HEADER_SIZE + o->payload.len);
}

/* How long a reconciling peer may leave a round unanswered (we
 * initiate) or go without asking for one (it initiates) before we give
 * up on it: Bitcoin Core v26+ sends sendtxrcncl but never sends nor
 * answers a round. At least 16 of our intervals, since a peer that
 * initiates cycles through its outbound partners (8) one per interval,
 * assumed like ours, and may skip one still busy. */
#define TXRECON_TIMEOUT_MIN_US (60 * 1000000LL)

static int64_t stall_timeout(const struct netproc *np)
{
    int64_t t = 16 * np->opt.txrecon_interval_us;
    return t > TXRECON_TIMEOUT_MIN_US ? t : TXRECON_TIMEOUT_MIN_US;
}

/* Ends reconciliation with a silent peer: what waited for it goes out by
 * inv now, and from here on it hears of transactions as a plain peer. */
static void abandon(struct netproc *np, struct np_peer *p)
{
    struct txrecon_out o;
    struct relay_peer_info pi;
    txrecon_out_init(&o);
    if (txrecon_peer_abandon(np->txrecon, p->id, &o) == 0)
        announce(np, p->id, o.announce, o.n_announce);
    txrecon_out_free(&o);
    p->txrecon_abandoned = true;
    if (relay_get_peer_info(np->relay, p->id, &pi) == 0) {
        pi.props.reconcile = false;
        relay_peer_set_props(np->relay, p->id, &pi.props);
    }
    LOG_INFO("peer=%" PRIu64 " left reconciliation unanswered: announcing to it by inv", p->id);
}

/* A peer we initiate with stalls in a round; one that initiates, between
 * its requests or in a round. */
static void abandon_silent(struct netproc *np, int64_t now)
{
    int64_t limit = now - stall_timeout(np);
    for (size_t i = 0; i < np->npeers; i++) {
        struct np_peer *p = &np->peers[i];
        if (p->txrecon_heard >= limit || !txrecon_peer_registered(np->txrecon, p->id))
            continue;
        if (!txrecon_we_initiate(np->txrecon, p->id) || txrecon_busy(np->txrecon, p->id))
            abandon(np, p);
    }
}

/* Peers we initiate with; one still in a round is skipped this time. */
static bool partner(const struct netproc *np, const struct np_peer *p)
{
    return txrecon_we_initiate(np->txrecon, p->id) && !txrecon_busy(np->txrecon, p->id);
}

void np_txrecon_tick(struct netproc *np, int64_t now)
{
    if (!np->txrecon || np->opt.txrecon_interval_us <= 0)
        return;
    if (np->txrecon_due == 0)
        np->txrecon_due = now + np->opt.txrecon_interval_us;
    if (now < np->txrecon_due)
        return;
    np->txrecon_due = now + np->opt.txrecon_interval_us;
    abandon_silent(np, now);
    struct np_peer *next = np_rotation_next(np, np->txrecon_last, partner);
    if (!next)
        return;
    np->txrecon_last = next->id;
    next->txrecon_heard = now; /* the round's clock starts */
    struct txrecon_out o;
    txrecon_out_init(&o);
    if (txrecon_start(np->txrecon, next->id, &o) == 0)
        act(np, next->id, &o);
    txrecon_out_free(&o);
}

int64_t np_txrecon_wakeup(const struct netproc *np)
{
    if (!np->txrecon || np->opt.txrecon_interval_us <= 0)
        return INT64_MAX;
    return np->txrecon_due;
}

/* The common start of the four round messages: false if it is to be
 * ignored (or the peer was reported); else c reads the payload and o is
 * ready for the state machine. */
static bool round_begin(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now, struct cursor *c, struct txrecon_out *o)
{
    if (p->txrecon_abandoned)
        return false; /* a round we gave up on: too late, not hostile */
    if (!np->txrecon || !txrecon_peer_registered(np->txrecon, p->id)) {
        np_misbehaving(np, p->id, "reconciliation message without sendtxrcncl");
        return false;
    }
    p->txrecon_heard = now;
    txrecon_count_bytes(np->txrecon, p->id, false, PROTO_HEADER_SIZE + m->len);
    cursor_init(c, m->payload, m->len);
    txrecon_out_init(o);
    return true;
}

/* A payload that does not decode: dropped and logged, the peer kept, as
 * Core drops any message it cannot read. */
#define ROUND_MALFORMED (-2)

/* ... and the common end: what the state machine produced (rc 0), the
 * report of a message the round did not expect (-1), or a malformed one
 * dropped. */
static void round_done(struct netproc *np, struct np_peer *p, const struct net_msg *m, int rc,
                       struct txrecon_out *o)
{
    if (rc == 0)
        act(np, p->id, o);
    else if (rc == ROUND_MALFORMED)
        np_drop_malformed(p, proto_cmd_name(m->cmd), NULL);
    else
        np_misbehaving(np, p->id, "unexpected reconciliation message");
    LOG_DEBUG(LOG_RELAY, "peer=%" PRIu64 " %s: %zu announced%s%s", p->id,
              proto_cmd_name(m->cmd), o->n_announce,
              o->cmd != PROTO_CMD_OTHER ? ", replied " : "",
              o->cmd != PROTO_CMD_OTHER ? proto_cmd_name(o->cmd) : "");
    txrecon_out_free(o);
}

void np_txrecon_on_req(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                       int64_t now)
{
    struct cursor c;
    struct txrecon_out o;
    struct txrecon_req_msg req;
    if (!round_begin(np, p, m, now, &c, &o))
        return;
    int rc = txrecon_req_decode(&c, &req) ? txrecon_on_req(np->txrecon, p->id, &req, &o)
                                          : ROUND_MALFORMED;
    round_done(np, p, m, rc, &o);
}

void np_txrecon_on_sketch(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now)
{
    struct cursor c;
    struct txrecon_out o;
    struct txrecon_sketch_msg sk;
    if (!round_begin(np, p, m, now, &c, &o))
        return;
    int rc = txrecon_sketch_decode(&c, &sk)
                 ? txrecon_on_sketch(np->txrecon, p->id, sk.data, sk.len, &o)
                 : ROUND_MALFORMED;
    round_done(np, p, m, rc, &o);
}

void np_txrecon_on_reqext(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                          int64_t now)
{
    struct cursor c;
    struct txrecon_out o;
    if (!round_begin(np, p, m, now, &c, &o))
        return;
    round_done(np, p, m, txrecon_on_reqext(np->txrecon, p->id, &o), &o);
}

void np_txrecon_on_diff(struct netproc *np, struct np_peer *p, const struct net_msg *m,
                        int64_t now)
{
    struct cursor c;
    struct txrecon_out o;
    struct txrecon_diff_msg diff;
    if (!round_begin(np, p, m, now, &c, &o))
        return;
    int rc = ROUND_MALFORMED;
    if (txrecon_diff_decode(&c, &diff)) {
        rc = txrecon_on_diff(np->txrecon, p->id, &diff, &o);
        txrecon_diff_clear(&diff);
    }
    round_done(np, p, m, rc, &o);
}

bool netproc_txrecon_peer(const struct netproc *np, uint64_t peer, struct txrecon_counters *out)
{
    return np->txrecon && txrecon_peer_counters(np->txrecon, peer, out);
}

bool netproc_txrecon_totals(const struct netproc *np, struct txrecon_counters *out)
{
    if (!np->txrecon)
        return false;
    txrecon_totals(np->txrecon, out);
    return true;
}
