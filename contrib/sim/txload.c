/* The transaction workload: its engine and the relay core's driver. See
 * txload.h. */
#include "contrib/sim/txload_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "chain/util/err.h"
#include "chain/util/xmalloc.h"
#include "contrib/sim/relay_adapter.h"

#define NEVER_AT UINT64_MAX

/* ---- transactions ---- */

/* Transaction i's ids carry i in their first four bytes (the rest is
 * random), so that a hash finds its transaction without a table. */
static void make_tx(struct tl *tl, uint32_t i, uint64_t seed)
{
    struct relay_tx_info *t = &tl->tx[i];
    uint64_t key[2] = {seed, i};
    hash_sha256d(key, sizeof(key), &t->txid);
    hash_sha256d(&t->txid, sizeof(t->txid), &t->wtxid);
    for (int k = 0; k < 4; k++)
        t->txid.b[k] = t->wtxid.b[k] = (uint8_t)(i >> (8 * k));
    t->vsize = tl->cfg->base.tx_size;
    t->feerate = 1000;
}

uint32_t tl_tx_index(const struct tl *tl, const struct hash256 *h)
{
    uint32_t i = 0;
    for (int k = 3; k >= 0; k--)
        i = (i << 8) | h->b[k];
    if (i >= tl->ntx || (!hash_eq(h, &tl->tx[i].wtxid) && !hash_eq(h, &tl->tx[i].txid)))
        return UINT32_MAX;
    return i;
}

bool tl_has(const struct tl *tl, uint32_t node, uint32_t tx)
{
    return tl->informed[(size_t)tx * tl->n + node] != TL_NEVER;
}

static void mark_informed(struct tl *tl, uint32_t node, uint32_t tx)
{
    uint64_t dt = tl->now - tl->born[tx];
    tl->informed[(size_t)tx * tl->n + node] = dt < TL_NEVER ? (uint32_t)dt : TL_NEVER - 1;
}

/* ---- messages ---- */

static uint32_t payload_new(struct tl *tl, const void *data, uint32_t len, size_t elem)
{
    uint32_t ref = tl->free_pl;
    if (ref != UINT32_MAX) {
        tl->free_pl = tl->pl[ref].next_free;
    } else {
        if (tl->npl == tl->cap_pl) {
            tl->cap_pl = tl->cap_pl ? 2 * tl->cap_pl : 1024;
            tl->pl = xreallocarray(tl->pl, tl->cap_pl, sizeof(*tl->pl));
        }
        ref = tl->npl++;
    }
    tl->pl[ref].data = len ? xmalloc(len * elem) : NULL;
    if (len)
        memcpy(tl->pl[ref].data, data, len * elem);
    tl->pl[ref].len = len;
    return ref;
}

static void payload_free(struct tl *tl, uint32_t ref)
{
    free(tl->pl[ref].data);
    tl->pl[ref].data = NULL;
    tl->pl[ref].next_free = tl->free_pl;
    tl->free_pl = ref;
}

/* data: len transaction indexes, or len payload bytes (reconciliation). */
void tl_send(struct tl *tl, uint32_t from, uint32_t to, enum sim_tl_msg type, const void *data,
             uint32_t len, uint64_t bytes)
{
    tl->res->msgs[type]++;
    tl->res->bytes[type] += bytes;
    size_t elem = type >= SIM_TL_REQRECON ? 1 : sizeof(uint32_t);
    struct sim_event ev = {
        .at = tl->now + sim_netmodel_latency(&tl->cfg->base.net, from, to, &tl->rng),
        .node = to, .from = from, .kind = SIM_EV_MSG, .type = (uint8_t)type,
        .ref = payload_new(tl, data, len, elem),
    };
    /* Reconciliation rounds never stop; what they still carry is counted
     * by tl_recon_pending. */
    tl->foreground += type < SIM_TL_REQRECON;
    sim_heap_push(&tl->heap, ev);
}

static void send_items(struct tl *tl, uint32_t from, uint32_t to, enum sim_tl_msg type,
                       const uint32_t *txs, size_t n)
{
    static const enum sim_msg_type sized[] = {SIM_MSG_INV, SIM_MSG_GETDATA, SIM_MSG_TX,
                                              SIM_MSG_NOTFOUND};
    tl_send(tl, from, to, type, txs, (uint32_t)n,
            sim_msg_bytes(sized[type], (uint32_t)n, tl->cfg->base.tx_size));
}

void tl_send_inv(struct tl *tl, uint32_t from, uint32_t to, const uint32_t *txs, size_t n)
{
    send_items(tl, from, to, SIM_TL_INV, txs, n);
}

/* ---- the relay core's driver ---- */

static uint32_t *indexes(const struct tl *tl, const struct relay_inv *inv, size_t n)
{
    uint32_t *v = xmalloc((n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = tl_tx_index(tl, &inv[i].hash);
    return v;
}

static void drv_send(struct tl *tl, struct relay *r, uint64_t peer, enum sim_tl_msg type,
                     const struct relay_inv *inv, size_t n)
{
    uint32_t *v = indexes(tl, inv, n);
    send_items(tl, (uint32_t)relay_self(r), (uint32_t)peer, type, v, n);
    free(v);
}

static void drv_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                    size_t n)
{
    drv_send(ctx, r, peer, SIM_TL_INV, inv, n);
}

static void drv_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                        size_t n)
{
    drv_send(ctx, r, peer, SIM_TL_GETDATA, inv, n);
}

/* The mempool: announcements of what the node holds are not tracked. */
static bool drv_have(void *ctx, struct relay *r, const struct relay_inv *inv)
{
    const struct tl *tl = ctx;
    uint32_t i = tl_tx_index(tl, &inv->hash);
    return i != UINT32_MAX && tl_has(tl, (uint32_t)relay_self(r), i);
}

/* Sets the node's timer to the core's next wakeup (one timer per node:
 * an earlier pending one stays, and the node re-arms when it fires; a
 * later one is voided, so that it does not hold the run's end). */
static void rearm(struct tl *tl, uint32_t v)
{
    int64_t w = relay_next_wakeup(tl->relay[v]);
    if (w == INT64_MAX)
        return;
    uint64_t at = w < (int64_t)tl->now ? tl->now : (uint64_t)w;
    if (tl->wake_at[v] != NEVER_AT) {
        if (tl->wake_at[v] <= at)
            return;
        tl->foreground--; /* the later one stays queued but is void */
    }
    tl->wake_at[v] = at;
    tl->foreground++;
    sim_heap_push(&tl->heap, (struct sim_event){.at = at, .node = v, .kind = SIM_EV_WAKE});
}

/* The node driver's rule: tick when the core has work due, then re-arm. */
void tl_after_event(struct tl *tl, uint32_t v)
{
    if (relay_next_wakeup(tl->relay[v]) <= (int64_t)tl->now)
        relay_tick(tl->relay[v], (int64_t)tl->now);
    rearm(tl, v);
}

static struct relay_inv wtx(const struct tl *tl, uint32_t i)
{
    return (struct relay_inv){.type = RELAY_INV_WTX, .hash = tl->tx[i].wtxid};
}

/* ---- deliveries ---- */

static void on_inv(struct tl *tl, uint32_t to, uint32_t from, const uint32_t *v, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        struct relay_inv inv = wtx(tl, v[k]);
        /* The node's rule (net/sync/netproc.c): a reconciliation round's
         * answer is requested at once, any other inbound announcement
         * after the request delay. */
        if (tl_recon_solicited(tl, to, from, &inv.hash))
            relay_on_answer(tl->relay[to], from, &inv, (int64_t)tl->now);
        else
            relay_on_inv(tl->relay[to], from, &inv, (int64_t)tl->now);
        tl_recon_seen(tl, to, from, &inv.hash);
    }
}

/* Served one tx message each (as Bitcoin), the rest in one notfound. */
static void on_getdata(struct tl *tl, uint32_t to, uint32_t from, const uint32_t *v, uint32_t n)
{
    uint32_t *missing = xmalloc((n ? n : 1) * sizeof(*missing)), nm = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct relay_inv inv = wtx(tl, v[k]);
        relay_on_getdata(tl->relay[to], from, &inv, (int64_t)tl->now);
        if (tl_has(tl, to, v[k]))
            send_items(tl, to, from, SIM_TL_TX, &v[k], 1);
        else
            missing[nm++] = v[k];
    }
    if (nm)
        send_items(tl, to, from, SIM_TL_NOTFOUND, missing, nm);
    free(missing);
}

static void on_tx(struct tl *tl, uint32_t to, uint32_t from, const uint32_t *v, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        tl_recon_seen(tl, to, from, &tl->tx[v[k]].wtxid);
        if (tl_has(tl, to, v[k]))
            tl->res->duplicates++;
        else
            mark_informed(tl, to, v[k]);
        relay_on_tx_accepted(tl->relay[to], true, from, &tl->tx[v[k]], (int64_t)tl->now);
    }
}

static void deliver(struct tl *tl, const struct sim_event *ev)
{
    const struct tl_payload *p = &tl->pl[ev->ref];
    const uint32_t *v = p->data;
    switch ((enum sim_tl_msg)ev->type) {
    case SIM_TL_INV: on_inv(tl, ev->node, ev->from, v, p->len); break;
    case SIM_TL_GETDATA: on_getdata(tl, ev->node, ev->from, v, p->len); break;
    case SIM_TL_TX: on_tx(tl, ev->node, ev->from, v, p->len); break;
    case SIM_TL_NOTFOUND:
        for (uint32_t k = 0; k < p->len; k++) {
            struct relay_inv inv = wtx(tl, v[k]);
            relay_on_notfound(tl->relay[ev->node], ev->from, &inv, (int64_t)tl->now);
        }
        break;
    default:
        tl_recon_deliver(tl, ev->node, ev->from, (enum sim_tl_msg)ev->type, p->data, p->len);
        break;
    }
    payload_free(tl, ev->ref);
    tl_after_event(tl, ev->node);
}

static void originate(struct tl *tl, uint32_t i)
{
    uint32_t v = tl->origin[i];
    mark_informed(tl, v, i);
    relay_on_tx_accepted(tl->relay[v], false, 0, &tl->tx[i], (int64_t)tl->now);
    tl->originated++;
    tl_after_event(tl, v);
}

static void dispatch(struct tl *tl, const struct sim_event *ev)
{
    switch ((enum sim_event_kind)ev->kind) {
    case SIM_EV_MSG:
        tl->foreground -= ev->type < SIM_TL_REQRECON;
        deliver(tl, ev);
        break;
    case SIM_EV_WAKE:
        if (tl->wake_at[ev->node] != ev->at)
            break; /* replaced by an earlier one (no longer counted) */
        tl->foreground--;
        tl->wake_at[ev->node] = NEVER_AT;
        relay_tick(tl->relay[ev->node], (int64_t)tl->now);
        rearm(tl, ev->node);
        break;
    case SIM_EV_ORIGIN:
        originate(tl, ev->ref);
        break;
    case SIM_EV_RECON:
        tl_recon_timer(tl, ev->node);
        sim_heap_push(&tl->heap, (struct sim_event){
            .at = tl->now + (uint64_t)(tl->cfg->recon_interval_ms * 1000), .node = ev->node,
            .kind = SIM_EV_RECON});
        break;
    default:
        break;
    }
}

/* Until every transaction was sent and nothing is left to do but
 * reconciliation rounds over empty sets (or max_time). The sets are
 * looked at once per interval, when nothing else is in flight. */
static void loop(struct tl *tl)
{
    uint64_t limit = (uint64_t)(tl->cfg->base.max_time_s * 1e6), next_look = 0;
    uint64_t every = (uint64_t)(tl->cfg->recon_interval_ms * 1000);
    struct sim_event ev;
    while (sim_heap_pop(&tl->heap, &ev) && ev.at <= limit) {
        tl->now = ev.at;
        tl->res->events++;
        dispatch(tl, &ev);
        if (tl->originated < tl->ntx || tl->foreground > 0 || tl->now < next_look)
            continue;
        if (!tl->recon || tl_recon_pending(tl) == 0)
            break;
        next_look = tl->now + every;
    }
}

/* ---- set-up ---- */

static int check_config(const struct sim_txload_config *c, char **err)
{
    const struct sim_config *b = &c->base;
    const char *why = NULL;
    if (c->txs == 0 || c->rate <= 0)
        why = "a workload needs --txs > 0 and --rate > 0";
    else if (b->topo.kind == SIM_TOPO_COMPLETE)
        why = "a workload needs explicit peers: a regular or bitcoin topology";
    else if (b->proto.cycles)
        why = "a workload runs in event time: give --trickle";
    else if (b->proto.mode != SIM_MODE_PUSH || b->proto.paper_feedback)
        why = "a workload relays by push (flood, fanout or reconciliation)";
    else if (b->net.loss > 0 || b->down > 0 || b->churn_s > 0 || b->antientropy_s > 0)
        why = "a workload has no loss, down nodes, churn or digest anti-entropy";
    else if (c->recon && c->recon_interval_ms <= 0)
        why = "reconciliation needs an interval > 0";
    if (why)
        err_set(err, "%s", why);
    return why ? -1 : 0;
}

/* The node's relay policy (node/relay_glue.c): with reconciliation the
 * core floods to no plain peer and to `fanout` outbound reconciling
 * ones; otherwise the fanout; the request delay as each sets it.
 * The seen-set holds the whole stream, as a node's 120,000 entries do. */
static int make_policy(const struct sim_txload_config *c, struct relay_policy *p, char **err)
{
    sim_relay_policy(&c->base.proto, p);
    relay_policy_set_fanout(p, c->base.proto.fanout);
    if (c->recon)
        relay_policy_set_recon(p, c->base.proto.fanout);
    if (c->req_delay_ms >= 0)
        p->req_delay_us = (int64_t)(c->req_delay_ms * 1000);
    if (p->recent_entries < 2 * c->txs)
        p->recent_entries = 2 * c->txs;
    return relay_policy_check(p, err);
}

static void add_node(struct tl *tl, uint32_t v, uint64_t seed)
{
    char *err = NULL;
    tl->relay[v] = relay_new(&tl->policy, &tl->drv, tl, v, sim_mix64(seed ^ v), &err);
    if (!tl->relay[v])
        abort(); /* the policy was checked: out of memory */
    uint32_t deg = sim_topo_degree(tl->topo, v), nout = sim_topo_outbound(tl->topo, v);
    for (uint32_t i = 0; i < deg; i++) {
        struct relay_peer_props props = {
            .outbound = i < nout, .wtxidrelay = true, .reconcile = tl->cfg->recon,
        };
        relay_peer_add(tl->relay[v], sim_topo_neighbor(tl->topo, v, i), &props, 0);
    }
    tl->wake_at[v] = NEVER_AT;
}

static void schedule_stream(struct tl *tl, uint64_t seed)
{
    double t = 0;
    for (uint32_t i = 0; i < tl->ntx; i++) {
        make_tx(tl, i, seed);
        t += sim_rng_exp(&tl->rng, 1e6 / tl->cfg->rate);
        tl->born[i] = (uint64_t)t;
        tl->origin[i] = (uint32_t)sim_rng_below(&tl->rng, tl->n);
        sim_heap_push(&tl->heap, (struct sim_event){
            .at = tl->born[i], .node = tl->origin[i], .kind = SIM_EV_ORIGIN, .ref = i});
    }
}

static int tl_init(struct tl *tl, const struct sim_txload_config *cfg,
                   struct sim_txload_result *res, char **err)
{
    memset(tl, 0, sizeof(*tl));
    if (check_config(cfg, err) != 0 || make_policy(cfg, &tl->policy, err) != 0)
        return -1;
    tl->cfg = cfg;
    tl->res = res;
    sim_rng_seed(&tl->rng, cfg->base.seed);
    tl->topo = sim_topo_new(&cfg->base.topo, cfg->base.nodes, &tl->rng, err);
    if (!tl->topo)
        return -1;
    tl->n = cfg->base.nodes;
    tl->ntx = cfg->txs;
    sim_heap_init(&tl->heap);
    tl->free_pl = UINT32_MAX;
    tl->drv = (struct relay_driver){
        .send_inv = drv_inv, .send_getdata = drv_getdata, .have = drv_have,
        .recon_add = cfg->recon ? tl_recon_add : NULL,
    };
    tl->relay = xcalloc(tl->n, sizeof(*tl->relay));
    tl->wake_at = xcalloc(tl->n, sizeof(*tl->wake_at));
    uint64_t seed = sim_rng_next(&tl->rng);
    for (uint32_t v = 0; v < tl->n; v++)
        add_node(tl, v, seed);
    tl->tx = xcalloc(tl->ntx, sizeof(*tl->tx));
    tl->born = xcalloc(tl->ntx, sizeof(*tl->born));
    tl->origin = xcalloc(tl->ntx, sizeof(*tl->origin));
    tl->informed = xmalloc((size_t)tl->ntx * tl->n * sizeof(*tl->informed));
    memset(tl->informed, 0xff, (size_t)tl->ntx * tl->n * sizeof(*tl->informed));
    schedule_stream(tl, seed);
    if (cfg->recon)
        tl_recon_setup(tl);
    return 0;
}

static void tl_clear(struct tl *tl)
{
    for (uint32_t v = 0; tl->relay && v < tl->n; v++)
        relay_free(tl->relay[v]);
    tl_recon_free(tl);
    for (uint32_t i = 0; i < tl->npl; i++)
        free(tl->pl[i].data);
    free(tl->pl);
    free(tl->relay);
    free(tl->wake_at);
    free(tl->tx);
    free(tl->born);
    free(tl->origin);
    free(tl->informed);
    sim_heap_clear(&tl->heap);
    sim_topo_free(tl->topo);
}

/* ---- figures ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Per transaction, the time to reach 50%, 99% and 100% of the other
 * nodes; their mean and worst. A fraction never reached is infinite. */
static void latencies(const struct tl *tl, struct sim_txload_result *r)
{
    static const double frac[SIM_TL_NPCT] = {0.50, 0.99, 1.0};
    uint32_t m = tl->n - 1;
    uint32_t *t = xmalloc(tl->n * sizeof(*t));
    for (uint32_t i = 0; i < tl->ntx; i++) {
        uint32_t k = 0;
        for (uint32_t v = 0; v < tl->n; v++)
            if (v != tl->origin[i])
                t[k++] = tl->informed[(size_t)i * tl->n + v];
        qsort(t, m, sizeof(*t), cmp_u32);
        for (uint32_t k2 = 0; k2 < m; k2++)
            r->missing += t[k2] == TL_NEVER;
        for (int p = 0; p < SIM_TL_NPCT; p++) {
            uint32_t x = t[(uint32_t)ceil(frac[p] * m) - 1];
            double s = x == TL_NEVER ? INFINITY : x / 1e6;
            r->lat_mean[p] += s / tl->ntx;
            if (s > r->lat_worst[p])
                r->lat_worst[p] = s;
        }
    }
    r->residue = (double)r->missing / ((double)tl->ntx * m);
    free(t);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sim_txload_run(const struct sim_txload_config *cfg, struct sim_txload_result *res,
                   char **err)
{
    memset(res, 0, sizeof(*res));
    double t0 = wall_now();
    struct tl tl;
    if (tl_init(&tl, cfg, res, err) != 0) {
        tl_clear(&tl);
        return -1;
    }
    loop(&tl);
    res->nodes = tl.n;
    res->txs = tl.ntx;
    res->end_time = (double)tl.now / 1e6;
    latencies(&tl, res);
    tl_recon_totals(&tl, res);
    for (uint32_t v = 0; v < tl.n; v++) {
        struct relay_info info;
        relay_get_info(tl.relay[v], &info);
        res->mem_relay += info.memory;
    }
    res->mem_engine = sim_heap_memory(&tl.heap) + (size_t)tl.cap_pl * sizeof(*tl.pl) +
                      (size_t)tl.ntx * tl.n * sizeof(*tl.informed);
    tl_clear(&tl);
    res->wall_s = wall_now() - t0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        res->maxrss_kb = ru.ru_maxrss;
    return 0;
}
