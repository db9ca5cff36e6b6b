#include "contrib/sim/relay_adapter.h"

#include <stdlib.h>
#include <string.h>

#include "contrib/sim/engine.h"
#include "chain/util/err.h"
#include "net/relay/relay.h"
#include "chain/util/xmalloc.h"

/* Attempts at drawing a partner outside this round's earlier picks. */
#define PICK_ATTEMPTS 64

struct ra {
    struct sim *sim;
    struct sim_proto proto;
    struct relay_policy policy;
    struct relay_driver driver;
    uint32_t n;
    struct relay **node;    /* created on first contact */
    uint64_t seed;
    struct relay_tx_info tx; /* the run's one rumor */
    struct relay_inv inv;
    int64_t requested_from; /* peer of the core's last getdata (-1: none) */
};

void sim_relay_policy(const struct sim_proto *proto, struct relay_policy *p)
{
    relay_policy_default(p);
    p->fanout = proto->fanout;
    p->stop = proto->stop == SIM_STOP_COUNTER ? RELAY_STOP_COUNTER
              : proto->stop == SIM_STOP_COIN  ? RELAY_STOP_COIN
                                              : RELAY_STOP_ONCE;
    p->stop_k = proto->k ? proto->k : 1;
    p->feedback = proto->feedback;
    p->known_entries = proto->known_entries;
    p->known_fp = 0;
    p->recent_entries = proto->recent_entries ? proto->recent_entries : 1;
    p->recent_fp = 0;
    /* The papers' pull: ask one random peer for news each cycle/round. */
    p->pull_interval_us = 0;
    if (proto->mode != SIM_MODE_PUSH)
        p->pull_interval_us = proto->cycles ? (int64_t)SIM_CYCLE_US
                                            : (int64_t)(proto->round_ms * 1000);
    p->pull_only = proto->mode == SIM_MODE_PULL;
    if (proto->cycles) {
        /* One round per cycle; a push without getdata by the next cycle
         * was useless; requests go out at once and time out within a
         * cycle, so a lost getdata moves on at the next boundary. */
        p->round_interval_us = SIM_CYCLE_US;
        p->feedback_window_us = 0;
        p->feedback_window_min_us = 0;
        p->trickle_in_us = p->trickle_out_us = 0;
        p->req_delay_us = 0;
        p->req_timeout_us = SIM_CYCLE_US / 2;
    } else {
        p->round_interval_us = (int64_t)(proto->round_ms * 1000);
        p->feedback_window_us = (int64_t)(proto->window_ms * 1000);
        p->trickle_in_us = (int64_t)(proto->trickle_ms * 1000);
        p->trickle_out_us = (int64_t)(proto->trickle_out_ms * 1000);
    }
}

static uint32_t self_of(struct relay *r)
{
    return (uint32_t)relay_self(r);
}

static void on_send_inv(void *ctx, struct relay *r, uint64_t peer,
                        const struct relay_inv *inv, size_t n)
{
    struct ra *a = ctx;
    sim_send(a->sim, self_of(r), (uint32_t)peer, SIM_MSG_INV, (uint32_t)n);
}

static void on_send_getdata(void *ctx, struct relay *r, uint64_t peer,
                            const struct relay_inv *inv, size_t n)
{
    struct ra *a = ctx;
    a->requested_from = (int64_t)peer;
    sim_send(a->sim, self_of(r), (uint32_t)peer, SIM_MSG_GETDATA, (uint32_t)n);
}

static void on_removed(void *ctx, struct relay *r, const struct hash256 *hash)
{
    struct ra *a = ctx;
    sim_mark(a->sim, self_of(r), SIM_REMOVED);
}

static void on_send_pull(void *ctx, struct relay *r, uint64_t peer)
{
    struct ra *a = ctx;
    sim_send(a->sim, self_of(r), (uint32_t)peer, SIM_MSG_PULL, 0);
}

static bool excluded(uint64_t v, const uint64_t *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ex[i] == v)
            return true;
    return false;
}

/* Implicit peers: a uniformly random neighbour (any other node on the
 * complete graph), drawn with the node's own PRNG. */
static bool on_pick_peer(void *ctx, struct relay *r, const struct hash256 *hash,
                         const uint64_t *exclude, size_t n_exclude, uint64_t *peer)
{
    struct ra *a = ctx;
    const struct sim_topo *t = sim_topology(a->sim);
    uint32_t self = self_of(r), deg = sim_topo_degree(t, self);
    if (deg <= n_exclude)
        return false;
    for (int i = 0; i < PICK_ATTEMPTS; i++) {
        uint32_t p = sim_topo_neighbor(t, self, (uint32_t)(relay_rand(r) % deg));
        if (!excluded(p, exclude, n_exclude)) {
            *peer = p;
            return true;
        }
    }
    return false;
}

static void add_peers(struct ra *a, struct relay *r, uint32_t v)
{
    const struct sim_topo *t = sim_topology(a->sim);
    uint32_t deg = sim_topo_degree(t, v), nout = sim_topo_outbound(t, v);
    for (uint32_t i = 0; i < deg; i++) {
        struct relay_peer_props props = {
            .outbound = i < nout, .wtxidrelay = true, .feefilter = 0,
        };
        relay_peer_add(r, sim_topo_neighbor(t, v, i), &props, (int64_t)sim_now(a->sim));
    }
}

static struct relay *node_relay(struct ra *a, uint32_t v)
{
    if (a->node[v])
        return a->node[v];
    char *err = NULL;
    struct relay *r = relay_new(&a->policy, &a->driver, a, v, sim_mix64(a->seed ^ v), &err);
    if (!r) /* the policy was checked in create, so this is out of memory */
        abort();
    if (!a->proto.implicit_peers)
        add_peers(a, r, v);
    a->node[v] = r;
    return r;
}

/* The core's clock. In cycles it stands at the cycle's start for the whole
 * cycle (the engine's microsecond hops only order the cycle's messages),
 * so a tick after each delivery only sends requests and answers: rounds
 * run strictly after acceptance, at the next cycle. */
static int64_t core_now(const struct ra *a)
{
    return (int64_t)(a->proto.cycles ? sim_cycle_start(a->sim) : sim_now(a->sim));
}

/* Sets node v's timer to the core's next wakeup. */
static void rearm(struct ra *a, uint32_t v)
{
    int64_t w = relay_next_wakeup(a->node[v]);
    if (w != INT64_MAX)
        sim_wake(a->sim, v, (uint64_t)(w < 0 ? 0 : w));
}

static void *ra_create(struct sim *sim, const struct sim_proto *proto, char **err)
{
    struct ra *a = xcalloc(1, sizeof(*a));
    a->sim = sim;
    a->proto = *proto;
    a->requested_from = -1;
    sim_relay_policy(proto, &a->policy);
    if (proto->implicit_peers && a->policy.fanout == 0) {
        err_set(err, "flood (fanout 0) needs explicit peers: not on the complete graph");
        free(a);
        return NULL;
    }
    if (relay_policy_check(&a->policy, err) != 0) {
        free(a);
        return NULL;
    }
    a->driver = (struct relay_driver){
        .send_inv = on_send_inv,
        .send_getdata = on_send_getdata,
        .rumor_removed = on_removed,
        .pick_peer = proto->implicit_peers ? on_pick_peer : NULL,
        .send_pull = on_send_pull,
    };
    a->n = sim_topo_nodes(sim_topology(sim));
    a->node = xcalloc(a->n, sizeof(*a->node));
    a->seed = sim_rng_next(sim_rng(sim));
    /* The rumor: a transaction with distinct txid and wtxid (segwit). */
    hash_sha256d(&a->seed, sizeof(a->seed), &a->tx.txid);
    hash_sha256d(&a->tx.txid, sizeof(a->tx.txid), &a->tx.wtxid);
    a->tx.vsize = sim_config(sim)->tx_size;
    a->tx.feerate = 1000;
    a->inv = (struct relay_inv){.type = RELAY_INV_WTX, .hash = a->tx.wtxid};
    return a;
}

static void ra_destroy(void *st)
{
    struct ra *a = st;
    for (uint32_t v = 0; v < a->n; v++)
        relay_free(a->node[v]);
    free(a->node);
    free(a);
}

static void ra_originate(void *st, uint32_t v)
{
    struct ra *a = st;
    relay_on_tx_accepted(node_relay(a, v), false, 0, &a->tx, core_now(a));
    sim_mark(a->sim, v, SIM_INFECTIVE);
    rearm(a, v);
    if (a->policy.pull_interval_us > 0) {
        /* Pulling is everyone's business: every node is up and asking. */
        for (uint32_t u = 0; u < a->n; u++) {
            node_relay(a, u);
            rearm(a, u);
        }
    }
}

static void ra_wake(void *st, uint32_t v)
{
    struct ra *a = st;
    relay_tick(a->node[v], core_now(a));
    rearm(a, v);
}

/* The driver's rule: tick after feeding events, when the core has work
 * due (its next wakeup reflects what the events left to do). */
static void tick_if_due(struct relay *r, int64_t now)
{
    if (relay_next_wakeup(r) <= now)
        relay_tick(r, now);
}

/* The papers' feedback: did `to` lack the rumor when this cycle began? */
static bool lacked_at_cycle_start(const struct ra *a, uint32_t to)
{
    return sim_state(a->sim, to) == SIM_SUSCEPTIBLE ||
           sim_informed_at(a->sim, to) >= sim_cycle_start(a->sim);
}

static void on_inv(struct ra *a, struct relay *r, uint32_t to, uint32_t from, uint32_t nitems)
{
    int64_t now = core_now(a);
    for (uint32_t i = 0; i < nitems; i++)
        relay_on_inv(r, from, &a->inv, now);
    a->requested_from = -1;
    tick_if_due(r, now); /* a new announcement is requested at once */
    if (a->proto.paper_feedback && a->requested_from != (int64_t)from &&
        lacked_at_cycle_start(a, to))
        sim_send(a->sim, to, from, SIM_MSG_GETDATA, 1);
}

/* Feeds one delivery to the core, as the node's driver does, then lets it
 * act at once (requests, answers to pulls). */
static void ra_deliver(void *st, uint32_t to, uint32_t from, enum sim_msg_type type,
                       uint32_t nitems)
{
    struct ra *a = st;
    struct relay *r = node_relay(a, to);
    int64_t now = core_now(a);
    switch (type) {
    case SIM_MSG_INV:
        on_inv(a, r, to, from, nitems);
        break;
    case SIM_MSG_GETDATA:
        /* The driver serves what it holds; the core learns the push was
         * useful. */
        relay_on_getdata(r, from, &a->inv, now);
        sim_send(a->sim, to, from,
                 sim_state(a->sim, to) != SIM_SUSCEPTIBLE ? SIM_MSG_TX : SIM_MSG_NOTFOUND, 1);
        break;
    case SIM_MSG_TX:
        /* A payload the node already had counts as a duplicate there. */
        if (relay_on_tx_accepted(r, true, from, &a->tx, now))
            sim_mark(a->sim, to, SIM_INFECTIVE);
        break;
    case SIM_MSG_NOTFOUND:
        relay_on_notfound(r, from, &a->inv, now);
        break;
    case SIM_MSG_PULL:
        relay_on_pull(r, from, now);
        break;
    default:
        break;
    }
    if (type != SIM_MSG_INV)
        tick_if_due(r, now);
    rearm(a, to);
}

/* Anti-entropy repair: the holder announces its pool (BIP35's reply to
 * `mempool`); the peer's core takes it from there. */
static void ra_offer(void *st, uint32_t v, uint32_t peer)
{
    struct ra *a = st;
    sim_send(a->sim, v, peer, SIM_MSG_INV, 1);
    if (!a->proto.implicit_peers)
        relay_peer_note_known(node_relay(a, v), peer, &a->tx.wtxid);
}

static size_t ra_memory(const void *st)
{
    const struct ra *a = st;
    size_t m = sizeof(*a) + (size_t)a->n * sizeof(*a->node);
    for (uint32_t v = 0; v < a->n; v++) {
        if (!a->node[v])
            continue;
        struct relay_info info;
        relay_get_info(a->node[v], &info);
        m += info.memory;
    }
    return m;
}

const struct sim_adapter sim_relay_adapter = {
    .name = "relay",
    .create = ra_create,
    .destroy = ra_destroy,
    .originate = ra_originate,
    .wake = ra_wake,
    .deliver = ra_deliver,
    .offer = ra_offer,
    .memory = ra_memory,
};
