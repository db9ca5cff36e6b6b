#include "node/relay_glue.h"

#include "chain/util/log.h"
#include "net/conn/connman.h"
#include "node/clock.h"
#include "node/prune_glue.h"
#include "node/util.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS 1000LL
#define SEC 1000000LL
/* Longest sleep between ticks (trickle timers are usually sooner). */
#define MAX_SLEEP_US (250 * MS)

const struct config_option relay_options[] = {
    { "fanout", CONFIG_INT, "0", 0, 1000, 0,
      "Announce each new transaction to <n> random peers that do not have it, outbound "
      "peers first; 0 = every peer (Bitcoin's flood). Blocks always go to every peer. With a "
      "fanout, announcements from inbound peers are requested at once, without Bitcoin's 2 s "
      "wait for an outbound announcer." },
    { "gossipstop", CONFIG_STRING, "once", 0, 0, 0,
      "When a node stops announcing a rumor: once (one round, Bitcoin), counter:<k> (after k "
      "useless pushes in a row), coin:<k> (after each useless push with probability 1/k)." },
    { "trickle", CONFIG_INT, "5000", 0, 600000, 0,
      "Mean interval, in ms, between transaction announcements to inbound peers "
      "(Poisson; 0 = at once)." },
    { "trickleout", CONFIG_INT, NULL, 0, 600000, 0,
      "Mean interval, in ms, for each outbound peer (default: 2000, or -trickle if lower)." },
    { "antientropy", CONFIG_INT, "30", 0, 86400, 0,
      "Reconcile the mempool with one hearsay peer, in a fixed rotation, every <n> seconds "
      "(0 = off)." },
    { "blocksonly", CONFIG_BOOL, "0", 0, 0, 0,
      "Neither request nor relay transactions: the version message says relay=false, and a "
      "peer that sends a transaction or its announcement anyway is disconnected (as Bitcoin "
      "Core)." },
    { "compactblocks", CONFIG_BOOL, "1", 0, 0, 0,
      "BIP152 compact blocks (version 2), as Bitcoin Core: ask the 3 peers that last delivered a "
      "new block first to announce blocks as cmpctblock, fetch a new block in compact form and "
      "rebuild it from the mempool. 0: never send sendcmpct nor request compact blocks (full "
      "blocks only; peers' compact requests are still answered)." },
    { "blockreconstructionextratxn", CONFIG_INT, "100", 0, 100000, 0,
      "Recently rejected or replaced transactions kept to rebuild compact blocks." },
    { "txreconciliation", CONFIG_BOOL, "0", 0, 0, 0,
      "BIP330 transaction reconciliation (Erlay) with peers that offer it: a new transaction "
      "is announced by inv to at most -fanout (8 when not given; 0: none) of the outbound "
      "peers that reconcile, every other reconciling peer learns it at the next "
      "reconciliation; peers that do not reconcile get every announcement as without it, and so "
      "does a peer that offered reconciliation but leaves a round unanswered for 60 s (Bitcoin "
      "Core implements only the handshake)." },
    { "txreconinterval", CONFIG_INT, "1250", 10, 600000, 0,
      "With -txreconciliation: the node's spacing of rounds: every <n> ms it starts one "
      "round, with the next of its outbound reconciling peers in a fixed rotation, so each "
      "outbound link is reconciled every <n> times that many peers (1000 with 8 outbound "
      "peers is the 8 s per link of Bitcoin Core's Erlay proposal). On a Bitcoin-like "
      "network (simulator, 1,000 to 100,000 nodes, -fanout=0, 7 tx/s) 1250 saves 70-73% of "
      "flooding's announcement bytes and reaches 99% of the nodes at most 0.9 s after "
      "flooding; 2000 saves 73-77% but is 4-6 s later; 1000 is faster but saves 69-71%. On "
      "50 nodes (8-regular), where flooding costs half as much, 2000 saves 63% at 4 tx/s "
      "and 66% at 10 tx/s, 1000 53%/62%." },
    { "txreconq", CONFIG_INT, "250", 0, 2000, 0,
      "(testing) With -txreconciliation: the q (in thousandths) of the set difference "
      "estimate sent in the first reqrecon to a peer; later ones send the q that the last "
      "decoded round with that peer measured (BIP330)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* The relay subsystem's state, owned by the node (node->relay_glue). */
struct relay_glue {
    struct node *node;
    struct netproc *np;
    struct event *timer;
    int64_t timer_at; /* when the timer fires (INT64_MAX: not armed) */
    /* A block's script checks ended on a script thread, or netproc's
     * block thread parsed a block: it writes a byte here, and the loop
     * runs netproc's due work (the next activation step, the block). */
    int done_pipe[2];
    struct event *done_ev;
};

/* The node clock: setmocktime freezes and moves the relay's timers too. */
int64_t relay_glue_now(void)
{
    return node_now_mono_us();
}

struct netproc *relay_glue_netproc(const struct node *node)
{
    return node->relay_glue ? node->relay_glue->np : NULL;
}

/* Arms the timer for netproc's next work, unless it already fires sooner. */
static void reschedule(struct relay_glue *g, int64_t now)
{
    int64_t at = netproc_next_wakeup(g->np);
    if (at > now + MAX_SLEEP_US)
        at = now + MAX_SLEEP_US;
    /* At least a millisecond, to let the loop breathe; no wait between
     * the steps of a block activation (the loop still polls between). */
    int64_t least = netproc_activating(g->np) ? 0 : MS;
    if (at < now + least)
        at = now + least;
    if (g->timer_at <= at && g->timer_at > now)
        return;
    node_timer_add(g->timer, at - now);
    g->timer_at = at;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct relay_glue *g = arg;
    int64_t now = relay_glue_now();
    g->timer_at = INT64_MAX;
    netproc_tick(g->np, now);
    reschedule(g, relay_glue_now()); /* the tick may have been long */
}

/* On a script thread or netproc's block thread: only the pipe is touched
 * (a full pipe is already a wake-up). */
static void on_connect_done(void *ctx)
{
    struct relay_glue *g = ctx;
    ssize_t n = write(g->done_pipe[1], "x", 1);
    (void)n;
}

static void on_done_pipe(evutil_socket_t fd, short what, void *arg)
{
    struct relay_glue *g = arg;
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        continue;
    reschedule(g, relay_glue_now());
}

/* Block connects stop holding the loop for their script checks. Without
 * the pipe they keep waiting for them, as before. */
static void start_async_connect(struct relay_glue *g)
{
    char *err = NULL;
    if (pipe(g->done_pipe) < 0) {
        LOG_WARN("relay: no pipe (%s): block scripts are checked while the loop waits",
                 strerror(errno));
        g->done_pipe[0] = g->done_pipe[1] = -1;
        return;
    }
    for (int i = 0; i < 2; i++)
        fcntl(g->done_pipe[i], F_SETFL, fcntl(g->done_pipe[i], F_GETFL) | O_NONBLOCK);
    g->done_ev = event_new(g->node->base, g->done_pipe[0], EV_READ | EV_PERSIST, on_done_pipe, g);
    event_add(g->done_ev, NULL);
    if (chainstate_set_connect_notify(g->node->chain, on_connect_done, g, &err) < 0) {
        LOG_ERROR("relay: %s", err);
        free(err);
    }
}

static void stop_async_connect(struct relay_glue *g)
{
    char *err = NULL;
    if (g->done_pipe[0] < 0)
        return;
    /* Waits for a block in flight: nothing writes to the pipe after. */
    if (chainstate_set_connect_notify(g->node->chain, NULL, NULL, &err) < 0) {
        LOG_ERROR("relay: connecting the last block: %s", err);
        free(err);
    }
    event_free(g->done_ev);
}

/* After netproc_free: its block thread writes to the pipe until then. */
static void close_done_pipe(struct relay_glue *g)
{
    if (g->done_pipe[0] < 0)
        return;
    close(g->done_pipe[0]);
    close(g->done_pipe[1]);
}

/* ---- connman -> netproc ---- */

static void h_connected(void *ctx, const struct net_peer_props *props)
{
    struct relay_glue *g = ctx;
    int64_t now = relay_glue_now();
    netproc_connected(g->np, props, now);
    reschedule(g, now);
}

static void h_disconnected(void *ctx, uint64_t id)
{
    struct relay_glue *g = ctx;
    int64_t now = relay_glue_now();
    netproc_disconnected(g->np, id, now);
    reschedule(g, now);
}

static void h_message(void *ctx, uint64_t id, const struct net_msg *msg)
{
    struct relay_glue *g = ctx;
    int64_t now = relay_glue_now();
    netproc_message(g->np, id, msg, now);
    reschedule(g, now);
}

/* The send buffer drained: serve more of the peer's getdata queue. */
static void h_send_ready(void *ctx, uint64_t id)
{
    struct relay_glue *g = ctx;
    int64_t now = relay_glue_now();
    netproc_send_ready(g->np, id, now);
    reschedule(g, now);
}

/* Core reads no message of a peer whose getdata queue waits; nor do we
 * while its block is parsed on netproc's thread. */
static bool h_input_held(void *ctx, uint64_t id)
{
    struct relay_glue *g = ctx;
    return netproc_input_held(g->np, id);
}

static int32_t h_best_height(void *ctx)
{
    struct relay_glue *g = ctx;
    return chainstate_height(g->node->chain);
}

/* Core's ApproximateBestBlockDepth() < NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS. */
static bool h_near_tip(void *ctx)
{
    struct relay_glue *g = ctx;
    const struct chain_params *p = g->node->params;
    int64_t age = node_now() - (int64_t)chainstate_tip(g->node->chain)->hdr.time;
    return age / p->pow_target_spacing < 144;
}

static bool h_initial_download(void *ctx)
{
    struct relay_glue *g = ctx;
    return chainstate_initial_download(g->node->chain);
}

/* ---- netproc -> connman ---- */

static int io_send(void *ctx, uint64_t peer, enum proto_cmd cmd, const void *payload,
                   size_t len)
{
    struct relay_glue *g = ctx;
    return connman_send(g->node->connman, peer, cmd, payload, len);
}

static void io_misbehaving(void *ctx, uint64_t peer, const char *reason)
{
    struct relay_glue *g = ctx;
    connman_misbehaving(g->node->connman, peer, reason);
}

static void io_disconnect(void *ctx, uint64_t peer, const char *reason)
{
    struct relay_glue *g = ctx;
    LOG_INFO("peer=%llu disconnected: %s", (unsigned long long)peer, reason);
    connman_disconnect(g->node->connman, peer);
}

static void io_resume_input(void *ctx, uint64_t peer)
{
    struct relay_glue *g = ctx;
    connman_resume_input(g->node->connman, peer);
}

/* A closing peer counts as blocked: nothing more is worth serving it. */
static bool io_send_blocked(void *ctx, uint64_t peer)
{
    struct relay_glue *g = ctx;
    struct net_peer_props props;
    return connman_send_blocked(g->node->connman, peer) ||
           !connman_peer_props(g->node->connman, peer, &props);
}

static int io_extra_outbound(void *ctx, enum peer_kind kind)
{
    struct relay_glue *g = ctx;
    return connman_extra_outbound(g->node->connman, kind);
}

static void io_try_new_outbound(void *ctx, bool on)
{
    struct relay_glue *g = ctx;
    connman_set_try_new_outbound(g->node->connman, on);
}

static void io_start_extra_block_relay(void *ctx)
{
    struct relay_glue *g = ctx;
    connman_start_extra_block_relay(g->node->connman);
}

static bool io_upload_target_reached(void *ctx, bool historical)
{
    struct relay_glue *g = ctx;
    return connman_upload_target_reached(g->node->connman, historical);
}

static bool io_may_download(void *ctx, uint64_t peer)
{
    struct relay_glue *g = ctx;
    return connman_peer_has_permission(g->node->connman, peer, NET_PERM_DOWNLOAD);
}

/* ---- start and stop ---- */

static int options_from_config(const struct config *cfg, struct netproc_options *o,
                               char **err)
{
    netproc_options_default(o);
    struct relay_policy *p = &o->policy;
    uint32_t fanout = (uint32_t)config_get_int(cfg, "fanout");
    o->txrecon = config_get_bool(cfg, "txreconciliation");
    /* Erlay: -fanout bounds the outbound reconciling peers flooded to;
     * peers that do not reconcile (Bitcoin Core) still hear of all. */
    relay_policy_set_fanout(p, fanout);
    if (o->txrecon) {
        relay_policy_set_recon(p, config_is_set(cfg, "fanout") ? fanout : 8);
        o->txrecon_interval_us = config_get_int(cfg, "txreconinterval") * MS;
        o->txrecon_q = (double)config_get_int(cfg, "txreconq") / 1000.0;
    }
    const char *stop = config_get_str(cfg, "gossipstop");
    char *e = NULL;
    if (stop && relay_policy_parse_stop(p, stop, &e) != 0) {
        err_set(err, "Invalid -gossipstop=%s: %s", stop, e);
        free(e);
        return -1;
    }
    p->trickle_in_us = config_get_int(cfg, "trickle") * MS;
    if (config_is_set(cfg, "trickleout"))
        p->trickle_out_us = config_get_int(cfg, "trickleout") * MS;
    else if (p->trickle_in_us < p->trickle_out_us)
        p->trickle_out_us = p->trickle_in_us;
    if (relay_policy_check(p, &e) != 0) {
        err_set(err, "Invalid relay policy: %s", e);
        free(e);
        return -1;
    }
    o->antientropy_us = config_get_int(cfg, "antientropy") * SEC;
    o->blocksonly = config_get_bool(cfg, "blocksonly");
    o->compactblocks = config_get_bool(cfg, "compactblocks");
    o->limited = prune_glue_enabled(cfg);
    o->extra_txn = (size_t)config_get_int(cfg, "blockreconstructionextratxn");
    o->wall_now = node_now;
    o->seed = (uint64_t)relay_glue_now() ^ ((uint64_t)getpid() << 32);
    return 0;
}

static int relay_start(struct node *node, char **err)
{
    if (!node->chain || !node->mempool || !node->connman)
        return err_set(err, "the relay needs the chain, the mempool and the P2P layer");
    struct netproc_options o;
    if (options_from_config(node->cfg, &o, err) != 0)
        return -1;
    o.unbroadcast = node->unbroadcast;
    struct relay_glue *g = xcalloc(1, sizeof(*g));
    g->node = node;
    start_async_connect(g); /* its pipe also wakes the loop for netproc's block thread */
    struct netproc_io io = {.ctx = g, .send = io_send, .misbehaving = io_misbehaving,
                            .disconnect = io_disconnect, .send_blocked = io_send_blocked,
                            .resume_input = io_resume_input,
                            .extra_outbound = io_extra_outbound,
                            .try_new_outbound = io_try_new_outbound,
                            .start_extra_block_relay = io_start_extra_block_relay,
                            .upload_target_reached = io_upload_target_reached,
                            .may_download = io_may_download};
    if (g->done_pipe[1] >= 0)
        io.wake = on_connect_done;
    char *e = NULL;
    g->np = netproc_new(&o, &io, node->chain, node->mempool, &e);
    if (!g->np) {
        err_set(err, "cannot start the relay: %s", e);
        free(e);
        stop_async_connect(g);
        close_done_pipe(g);
        free(g);
        return -1;
    }
    node->relay_glue = g;
    node->relay = netproc_relay(g->np);
    g->timer = evtimer_new(node->base, on_timer, g);
    g->timer_at = INT64_MAX;
    struct net_handlers h = {
        .ctx = g, .connected = h_connected, .disconnected = h_disconnected,
        .message = h_message, .best_height = h_best_height, .near_tip = h_near_tip,
        .initial_download = h_initial_download, .send_ready = h_send_ready,
        .input_held = h_input_held, .hello = true,
        .txrecon = o.txrecon};
    connman_set_handlers(node->connman, &h);
    reschedule(g, relay_glue_now());
    char stop[32];
    relay_policy_stop_str(&o.policy, stop, sizeof(stop));
    LOG_INFO("Relay: fanout %u (0 = all), stop %s, trickle %lld/%lld ms, anti-entropy %lld s%s",
             o.policy.fanout, stop, (long long)(o.policy.trickle_in_us / MS),
             (long long)(o.policy.trickle_out_us / MS), (long long)(o.antientropy_us / SEC),
             o.blocksonly ? ", blocks only" : "");
    if (o.txrecon)
        LOG_INFO("Relay: transaction reconciliation, flood to %u outbound, a round every %lld ms",
                 o.policy.recon_flood, (long long)(o.txrecon_interval_us / MS));
    return 0;
}

static void relay_stop(struct node *node)
{
    struct relay_glue *g = node->relay_glue;
    if (!g)
        return;
    if (node->connman) {
        struct net_handlers none = {0};
        connman_set_handlers(node->connman, &none);
    }
    stop_async_connect(g);
    if (g->timer)
        event_free(g->timer);
    netproc_free(g->np);
    close_done_pipe(g);
    free(g);
    node->relay_glue = NULL;
    node->relay = NULL;
}

const struct node_subsystem relay_subsystem = { "relay", relay_start, relay_stop };

enum mempool_status relay_glue_submit_tx(struct node *node, struct tx *tx,
                                         struct mempool_reject *rej)
{
    struct relay_glue *g = node->relay_glue;
    if (!g) {
        memset(rej, 0, sizeof(*rej));
        rej->status = MEMPOOL_POLICY;
        rej->reason = "relay not running";
        return MEMPOOL_POLICY;
    }
    int64_t now = relay_glue_now();
    enum mempool_status st = netproc_submit_tx(g->np, tx, rej, now);
    reschedule(g, now);
    return st;
}

/* Hands tx to netproc (fn) now, then reschedules its timer. */
static void tx_event(struct node *node, const struct tx *tx,
                     void (*fn)(struct netproc *, const struct tx *, int64_t))
{
    struct relay_glue *g = node->relay_glue;
    if (!g)
        return;
    int64_t now = relay_glue_now();
    fn(g->np, tx, now);
    reschedule(g, now);
}

void relay_glue_announce_tx(struct node *node, const struct tx *tx)
{
    tx_event(node, tx, netproc_announce_tx);
}

void relay_glue_rebroadcast_tx(struct node *node, const struct tx *tx)
{
    tx_event(node, tx, netproc_rebroadcast_tx);
}

enum chainstate_status relay_glue_submit_block(struct node *node, const struct block *b,
                                               const char **reason, char **err)
{
    struct relay_glue *g = node->relay_glue;
    if (!g)
        return chainstate_process_block(node->chain, b, reason, err);
    int64_t now = relay_glue_now();
    enum chainstate_status st = netproc_submit_block(g->np, b, reason, err, now);
    reschedule(g, now);
    return st;
}
