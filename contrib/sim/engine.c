#include "contrib/sim/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/sim/heap.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#define NEVER UINT64_MAX
#define HEADER_BYTES 24
#define INV_ENTRY_BYTES 36 /* type (4) + hash (32) */
#define DIGEST_BYTES 40    /* hash over the sorted wtxids + entry count */
#define MAX_SAMPLES 200000
/* Digest flags carried in a DIGEST message's nitems field. */
#define DIGEST_HAS 1u
#define DIGEST_REPLY 2u

struct sim {
    struct sim_config cfg;
    const struct sim_adapter *ad;
    void *st;
    struct sim_topo *topo;
    struct sim_rng rng;
    struct sim_heap heap;
    uint64_t now;
    uint8_t *state;
    uint8_t *up;
    uint64_t *informed_at;
    uint64_t *wake_at;
    uint32_t count[3];  /* nodes per SIR state */
    uint32_t informed_up;
    uint32_t nup;
    uint64_t foreground; /* messages and wakes queued */
    uint64_t in_flight;  /* messages queued, pull requests aside */
    uint64_t ae_round;
    bool ae_active;
    struct sim_result *res;
    size_t series_cap;
};

uint64_t sim_msg_bytes(enum sim_msg_type type, uint32_t nitems, uint32_t tx_size)
{
    switch (type) {
    case SIM_MSG_INV:
    case SIM_MSG_GETDATA:
    case SIM_MSG_NOTFOUND: {
        uint64_t varint = nitems < 0xfd ? 1 : nitems <= 0xffff ? 3 : 5;
        return HEADER_BYTES + varint + (uint64_t)INV_ENTRY_BYTES * nitems;
    }
    case SIM_MSG_TX:
        return HEADER_BYTES + (uint64_t)tx_size * nitems;
    case SIM_MSG_DIGEST:
        return HEADER_BYTES + DIGEST_BYTES;
    default:
        return HEADER_BYTES;
    }
}

const char *sim_msg_name(enum sim_msg_type type)
{
    static const char *const names[SIM_MSG_COUNT] = {
        "inv", "getdata", "tx", "notfound", "digest", "pull",
    };
    return (unsigned)type < SIM_MSG_COUNT ? names[type] : "?";
}

uint64_t sim_now(const struct sim *s) { return s->now; }
struct sim_rng *sim_rng(struct sim *s) { return &s->rng; }
const struct sim_topo *sim_topology(const struct sim *s) { return s->topo; }
const struct sim_config *sim_config(const struct sim *s) { return &s->cfg; }
bool sim_node_up(const struct sim *s, uint32_t node) { return s->up[node]; }
enum sim_node_state sim_state(const struct sim *s, uint32_t node) { return s->state[node]; }
uint32_t sim_count(const struct sim *s, enum sim_node_state st) { return s->count[st]; }
uint64_t sim_informed_at(const struct sim *s, uint32_t node) { return s->informed_at[node]; }

uint64_t sim_cycle_start(const struct sim *s)
{
    return s->cfg.proto.cycles ? s->now / SIM_CYCLE_US * SIM_CYCLE_US : s->now;
}

static void push_event(struct sim *s, uint64_t at, enum sim_event_kind kind,
                       uint32_t node, uint32_t from, uint8_t type, uint16_t nitems)
{
    struct sim_event ev = {
        .at = at, .node = node, .from = from, .kind = kind, .type = type, .nitems = nitems,
    };
    if (kind == SIM_EV_MSG || kind == SIM_EV_WAKE)
        s->foreground++;
    s->in_flight += kind == SIM_EV_MSG && type != SIM_MSG_PULL;
    sim_heap_push(&s->heap, ev);
}

void sim_send(struct sim *s, uint32_t from, uint32_t to, enum sim_msg_type type,
              uint32_t nitems)
{
    struct sim_result *r = s->res;
    r->msgs[type]++;
    r->bytes[type] += sim_msg_bytes(type, nitems, s->cfg.tx_size);
    if (sim_netmodel_drop(&s->cfg.net, &s->rng)) {
        r->lost++;
        return;
    }
    /* Cycles: every exchange of a cycle completes within it, whatever the
     * latency model, as in the papers. */
    uint64_t lat = s->cfg.proto.cycles ? 1
                                       : sim_netmodel_latency(&s->cfg.net, from, to, &s->rng);
    push_event(s, s->now + lat, SIM_EV_MSG, to, from, (uint8_t)type,
               (uint16_t)(nitems > 0xffff ? 0xffff : nitems));
}

void sim_wake(struct sim *s, uint32_t node, uint64_t at)
{
    if (s->cfg.proto.cycles) {
        /* A node acts at cycle boundaries only, and never twice in one:
         * news learnt during a cycle is spread from the next one. */
        if (at <= s->now)
            at = s->now + 1;
        at = (at + SIM_CYCLE_US - 1) / SIM_CYCLE_US * SIM_CYCLE_US;
    } else if (at < s->now) {
        at = s->now;
    }
    if (s->wake_at[node] != NEVER && s->wake_at[node] <= at && s->wake_at[node] >= s->now)
        return; /* an earlier wake is pending; the node re-arms from it */
    s->wake_at[node] = at;
    push_event(s, at, SIM_EV_WAKE, node, node, 0, 0);
}

void sim_mark(struct sim *s, uint32_t node, enum sim_node_state st)
{
    enum sim_node_state old = s->state[node];
    if (old == st)
        return;
    s->count[old]--;
    s->count[st]++;
    s->state[node] = (uint8_t)st;
    if (old == SIM_SUSCEPTIBLE) {
        s->informed_at[node] = s->now;
        if (s->up[node])
            s->informed_up++;
    }
}

static void choose_down(struct sim *s, uint32_t origin)
{
    uint32_t n = s->cfg.nodes;
    uint32_t want = (uint32_t)(s->cfg.down * n);
    if (want >= n)
        want = n - 1;
    for (uint32_t picked = 0; picked < want;) {
        uint32_t v = (uint32_t)sim_rng_below(&s->rng, n);
        if (v == origin || !s->up[v])
            continue;
        s->up[v] = 0;
        picked++;
    }
    s->nup = n - want;
}

/* Churn: alternating exponential up and down sessions whose means make
 * `down` the long-run fraction of nodes down. */
static uint64_t churn_gap(struct sim *s, bool going_down)
{
    double mean = s->cfg.churn_s;
    if (!going_down)
        mean = s->cfg.churn_s * s->cfg.down / (1.0 - s->cfg.down);
    return (uint64_t)(sim_rng_exp(&s->rng, mean) * 1e6) + 1;
}

static void on_churn(struct sim *s, uint32_t v)
{
    if (s->up[v]) {
        s->up[v] = 0;
        s->nup--;
        if (s->state[v] != SIM_SUSCEPTIBLE)
            s->informed_up--;
    } else {
        s->up[v] = 1;
        s->nup++;
        if (s->state[v] != SIM_SUSCEPTIBLE)
            s->informed_up++;
        if (s->wake_at[v] != NEVER) { /* timers missed while down fire now */
            s->wake_at[v] = s->now;
            push_event(s, s->now, SIM_EV_WAKE, v, v, 0, 0);
        }
        if (s->cfg.antientropy_s > 0 && !s->ae_active && s->state[v] == SIM_SUSCEPTIBLE) {
            /* A node back from downtime catches up by anti-entropy. */
            s->ae_active = true;
            push_event(s, s->now + (uint64_t)(s->cfg.antientropy_s * 1e6), SIM_EV_AE, 0, 0,
                       0, 0);
        }
    }
    push_event(s, s->now + churn_gap(s, s->up[v]), SIM_EV_CHURN, v, v, 0, 0);
}

/* One anti-entropy round: each up node sends its digest to the next peer
 * of a fixed rotation over its links (a closed loop, so every link is
 * reconciled within `degree` rounds). */
static void on_ae_round(struct sim *s)
{
    if (s->informed_up >= s->nup) {
        s->ae_active = false;
        return;
    }
    for (uint32_t v = 0; v < s->cfg.nodes; v++) {
        if (!s->up[v])
            continue;
        uint32_t deg = sim_topo_degree(s->topo, v);
        uint32_t p = sim_topo_neighbor(s->topo, v, (uint32_t)((v + s->ae_round) % deg));
        sim_send(s, v, p, SIM_MSG_DIGEST, s->state[v] != SIM_SUSCEPTIBLE ? DIGEST_HAS : 0);
    }
    s->ae_round++;
    push_event(s, s->now + (uint64_t)(s->cfg.antientropy_s * 1e6), SIM_EV_AE, 0, 0, 0, 0);
}

/* Digests differ: the side holding the rumor offers it; the side lacking
 * it answers a first digest with its own so the holder learns. */
static void on_digest(struct sim *s, uint32_t to, uint32_t from, uint32_t flags)
{
    bool mine = s->state[to] != SIM_SUSCEPTIBLE, theirs = (flags & DIGEST_HAS) != 0;
    if (mine == theirs)
        return;
    if (mine)
        s->ad->offer(s->st, to, from);
    else if (!(flags & DIGEST_REPLY))
        sim_send(s, to, from, SIM_MSG_DIGEST, DIGEST_REPLY);
}

static void on_message(struct sim *s, const struct sim_event *ev)
{
    if (!s->up[ev->node]) {
        s->res->lost++;
        return;
    }
    if (ev->type == SIM_MSG_DIGEST) {
        on_digest(s, ev->node, ev->from, ev->nitems);
        return;
    }
    if (ev->type == SIM_MSG_TX && s->state[ev->node] != SIM_SUSCEPTIBLE)
        s->res->duplicates++;
    s->ad->deliver(s->st, ev->node, ev->from, ev->type, ev->nitems);
}

static void sample(struct sim *s, double t)
{
    struct sim_result *r = s->res;
    if (r->nseries >= MAX_SAMPLES)
        return;
    if (r->nseries == s->series_cap) {
        s->series_cap = s->series_cap ? s->series_cap * 2 : 256;
        r->series = xreallocarray(r->series, s->series_cap, sizeof(*r->series));
    }
    r->series[r->nseries++] = (struct sim_sample){
        .t = t, .s = s->count[SIM_SUSCEPTIBLE], .i = s->count[SIM_INFECTIVE],
        .r = s->count[SIM_REMOVED],
    };
}

static double time_unit(const struct sim *s)
{
    return s->cfg.proto.cycles ? (double)SIM_CYCLE_US : 1e6;
}

static void dispatch(struct sim *s, const struct sim_event *ev)
{
    switch (ev->kind) {
    case SIM_EV_MSG:
        s->foreground--;
        s->in_flight -= ev->type != SIM_MSG_PULL;
        on_message(s, ev);
        break;
    case SIM_EV_WAKE:
        s->foreground--;
        if (s->wake_at[ev->node] != ev->at || !s->up[ev->node])
            break; /* replaced, or the node is down (it re-arms on return) */
        s->wake_at[ev->node] = NEVER;
        s->ad->wake(s->st, ev->node);
        break;
    case SIM_EV_AE:
        on_ae_round(s);
        break;
    case SIM_EV_CHURN:
        on_churn(s, ev->node);
        break;
    }
}

/* Pull gossip keeps every node asking forever. The run is over once
 * nothing but pull requests is in flight and no node is infective (no
 * answer can carry the rumor any more). */
static bool quiet(const struct sim *s)
{
    return s->cfg.proto.mode != SIM_MODE_PUSH && s->in_flight == 0 && !s->ae_active &&
           s->count[SIM_INFECTIVE] == 0;
}

static void loop(struct sim *s)
{
    uint64_t step = s->cfg.proto.cycles ? SIM_CYCLE_US : (uint64_t)(s->cfg.sample_ms * 1000);
    if (step == 0)
        step = 1000;
    uint64_t next_sample = 0;
    uint64_t limit = (uint64_t)(s->cfg.max_time_s * time_unit(s));
    struct sim_event ev;
    while ((s->foreground > 0 || s->ae_active) && sim_heap_pop(&s->heap, &ev)) {
        if (ev.at > limit)
            break;
        while (s->cfg.series && next_sample <= ev.at) {
            sample(s, (double)next_sample / time_unit(s));
            next_sample += step;
        }
        s->now = ev.at;
        s->res->events++;
        dispatch(s, &ev);
        if (s->cfg.until_informed && s->informed_up >= s->nup)
            break;
        if (quiet(s))
            break;
    }
    if (s->cfg.series)
        sample(s, (double)next_sample / time_unit(s));
}

struct sim *sim_new(const struct sim_config *cfg, const struct sim_adapter *ad, char **err)
{
    if (cfg->nodes < 2) {
        err_set(err, "need at least 2 nodes");
        return NULL;
    }
    if (cfg->down < 0 || cfg->down >= 1) {
        err_set(err, "the down fraction must be in [0, 1)");
        return NULL;
    }
    struct sim *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->ad = ad;
    sim_rng_seed(&s->rng, cfg->seed);
    s->cfg.net.salt = sim_rng_next(&s->rng);
    s->topo = sim_topo_new(&cfg->topo, cfg->nodes, &s->rng, err);
    if (!s->topo) {
        free(s);
        return NULL;
    }
    uint32_t n = cfg->nodes;
    s->state = xcalloc(n, 1);
    s->up = xcalloc(n, 1);
    s->informed_at = xcalloc(n, sizeof(*s->informed_at));
    s->wake_at = xcalloc(n, sizeof(*s->wake_at));
    sim_heap_init(&s->heap);
    s->st = ad->create(s, &s->cfg.proto, err);
    if (!s->st) {
        sim_free(s);
        return NULL;
    }
    return s;
}

void sim_free(struct sim *s)
{
    if (!s)
        return;
    if (s->st)
        s->ad->destroy(s->st);
    sim_topo_free(s->topo);
    sim_heap_clear(&s->heap);
    free(s->state);
    free(s->up);
    free(s->informed_at);
    free(s->wake_at);
    free(s);
}

void sim_result_clear(struct sim_result *res)
{
    free(res->series);
    memset(res, 0, sizeof(*res));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Infection times of every informed up node but the origin, sorted. */
static void finish_times(struct sim *s, uint32_t origin, struct sim_result *r)
{
    uint32_t n = s->cfg.nodes, cnt = 0;
    uint64_t *t = xcalloc(n, sizeof(*t));
    for (uint32_t v = 0; v < n; v++)
        if (v != origin && s->up[v] && s->state[v] != SIM_SUSCEPTIBLE)
            t[cnt++] = s->informed_at[v];
    qsort(t, cnt, sizeof(*t), cmp_u64);
    double unit = time_unit(s), sum = 0;
    /* Cycles count whole: a node informed during cycle c has time c. */
    bool whole = s->cfg.proto.cycles;
    for (uint32_t i = 0; i < cnt; i++)
        sum += whole ? floor((double)t[i] / unit) : (double)t[i] / unit;
    static const double q[5] = {0.50, 0.75, 0.90, 0.95, 0.99};
    for (int i = 0; i < 5 && cnt > 0; i++) {
        double x = (double)t[(uint32_t)ceil(q[i] * cnt) - 1] / unit;
        r->pct[i] = whole ? floor(x) : x;
    }
    if (cnt > 0) {
        r->t_ave = sum / cnt;
        r->t_last = (double)t[cnt - 1] / unit;
        if (whole)
            r->t_last = floor(r->t_last);
    }
    free(t);
}

void sim_run(struct sim *s, uint32_t origin, struct sim_result *res)
{
    memset(res, 0, sizeof(*res));
    s->res = res;
    uint32_t n = s->cfg.nodes;
    memset(s->up, 1, n);
    memset(s->state, SIM_SUSCEPTIBLE, n);
    for (uint32_t v = 0; v < n; v++)
        s->wake_at[v] = s->informed_at[v] = NEVER;
    s->count[SIM_SUSCEPTIBLE] = n;
    s->nup = n;
    choose_down(s, origin);
    if (s->cfg.churn_s > 0)
        for (uint32_t v = 0; v < n; v++)
            if (v != origin)
                push_event(s, churn_gap(s, s->up[v]), SIM_EV_CHURN, v, v, 0, 0);
    s->ae_active = s->cfg.antientropy_s > 0;
    if (s->ae_active)
        push_event(s, (uint64_t)(s->cfg.antientropy_s * 1e6), SIM_EV_AE, 0, 0, 0, 0);
    s->ad->originate(s->st, origin);
    loop(s);

    res->nodes = n;
    res->up = 0;
    for (uint32_t v = 0; v < n; v++)
        res->up += s->up[v];
    res->informed = s->informed_up;
    res->residue = res->up ? 1.0 - (double)s->informed_up / res->up : 0;
    res->traffic = (double)res->msgs[SIM_MSG_INV] / n;
    uint64_t total = 0;
    for (int i = 0; i < SIM_MSG_COUNT; i++)
        total += res->bytes[i];
    res->bytes_per_node = (double)total / n;
    res->end_time = (double)s->now / time_unit(s);
    finish_times(s, origin, res);
    res->mem_topology = sim_topo_memory(s->topo);
    res->mem_protocol = s->ad->memory(s->st);
    res->mem_engine = (size_t)n * (2 + 2 * sizeof(uint64_t)) +
                      sim_heap_memory(&s->heap);
    s->res = NULL;
}
