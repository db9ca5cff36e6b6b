#include "net/conn/connman_int.h"

#include "chain/util/log.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000000LL
#define MAX_FRAME (PROTO_HEADER_SIZE + PROTO_MAX_PAYLOAD)

void connman_options_default(struct connman_options *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = true;
    o->max_outbound = 8;
    o->max_block_relay = 2;
    o->feelers = true;
    o->max_connections = 125;
    o->max_sendbuf = 5000 * 1000;
    o->stall_us = 120 * SEC;
    o->timeouts = (struct peer_timeouts){.handshake = 60 * SEC, .ping_every = 120 * SEC,
                                         .ping_wait = 20 * 60 * SEC, .inactivity = 20 * 60 * SEC};
    o->tick_us = SEC;
    o->discourage_secs = 24 * 3600;
    o->retry_max_us = 60 * SEC;
    /* Core's: NODE_NETWORK_LIMITED too (we serve the last 288 blocks as
     * well as the rest); a pruned node drops NODE_NETWORK. */
    o->services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS | PROTO_NODE_NETWORK_LIMITED;
    o->user_agent = "/hearsay:0.1.0/";
    o->relay = true;
    o->addr_send_us = 30 * SEC;
}

int64_t connman_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

int64_t connman_clock(const struct connman *cm)
{
    return cm->o.clock ? cm->o.clock() : (int64_t)time(NULL);
}

uint64_t connman_rand(struct connman *cm)
{
    uint64_t z = (cm->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct conn *connman_find(struct connman *cm, uint64_t id)
{
    size_t lo = 0, hi = cm->nconns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint64_t m = cm->conns[mid]->p->id;
        if (m == id)
            return cm->conns[mid];
        if (m < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static struct conn *live(struct connman *cm, uint64_t id)
{
    struct conn *c = connman_find(cm, id);
    return c && c->p->state != PEER_CLOSING ? c : NULL;
}

static void props_of(const struct peer *p, struct net_peer_props *out)
{
    *out = (struct net_peer_props){
        .id = p->id, .inbound = p->inbound, .wtxidrelay = p->wtxidrelay,
        .sendheaders = p->sendheaders,
        /* No transactions either way on a block-relay-only link. */
        .relay = p->relay && (p->inbound || p->kind != PEER_BLOCK_RELAY), .services = p->services,
        .version = p->version, .start_height = p->start_height,
        .hello = p->hello_received,
        .txrecon = p->recon_sent && p->recon_received && p->wtxidrelay,
        .recon_salt_local = p->recon_salt_local, .recon_salt_remote = p->recon_salt_remote,
        .kind = p->kind, .manual = p->manual,
        .network = proto_netaddr_is_ipv4(&p->addr) ? PROTO_NET_IPV4 : PROTO_NET_IPV6};
}

/* ---- the peer environment ---- */

static int64_t env_now(void *ctx) { return connman_now(); }
static int64_t env_wall(void *ctx) { return (int64_t)time(NULL); }
static uint64_t env_rand(void *ctx) { return connman_rand(ctx); }

static int32_t env_height(void *ctx)
{
    struct connman *cm = ctx;
    return cm->h.best_height ? cm->h.best_height(cm->h.ctx) : 0;
}

static bool env_near_tip(void *ctx)
{
    struct connman *cm = ctx;
    return cm->h.near_tip && cm->h.near_tip(cm->h.ctx);
}

/* Reading stops while the send buffer is full or the relay layer holds
 * the peer's input. */
static void update_read(struct conn *c)
{
    if (c->blocked || c->paused)
        bufferevent_disable(c->bev, EV_READ);
    else
        bufferevent_enable(c->bev, EV_READ);
}

static void set_blocked(struct conn *c, bool on)
{
    if (c->blocked == on)
        return;
    c->blocked = on;
    if (on) {
        c->blocked_since = connman_now();
        c->blocked_queued = evbuffer_get_length(bufferevent_get_output(c->bev));
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " send buffer full: pausing", c->p->id);
    }
    update_read(c);
}

static void env_send(void *ctx, struct peer *p, const uint8_t *data, size_t len)
{
    struct conn *c = p->io;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t before = evbuffer_get_length(out);
    evbuffer_add(out, data, len);
    size_t queued = before + len, max = c->cm->o.max_sendbuf;
    /* One message may take the buffer past the limit (a block served
     * while there was room); data added while it is full must stay small
     * (announcements, pings): a caller that ignores backpressure is cut. */
    if (c->blocked && queued > 2 * max && queued > c->blocked_queued + max)
        peer_close(p, "send buffer overflow", false);
    else if (queued > max)
        set_blocked(c, true);
}

static void schedule_reap(struct connman *cm)
{
    event_active(cm->reap_ev, EV_TIMEOUT, 0);
}

/* One line per direction: messages and bytes by command (net debug). */
static void log_peer_stats(const struct peer *p)
{
    for (int dir = 0; dir < 2; dir++) {
        const struct peer_msg_stats *st = dir ? p->recv : p->sent;
        char line[1024];
        size_t o = 0;
        for (int i = 0; i < PROTO_CMD_COUNT && o < sizeof(line) - 64; i++)
            if (st[i].msgs)
                o += (size_t)snprintf(line + o, sizeof(line) - o, " %s=%" PRIu64 "/%" PRIu64 "B",
                                      proto_cmd_name((enum proto_cmd)i), st[i].msgs, st[i].bytes);
        line[o] = '\0';
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " %s %" PRIu64 " bytes:%s", p->id,
                  dir ? "received" : "sent", dir ? p->bytes_recv : p->bytes_sent, line);
    }
}

static void env_closed(void *ctx, struct peer *p, const char *reason, bool discourage)
{
    struct connman *cm = ctx;
    struct conn *c = p->io;
    char addr[NETBASE_ADDR_STRLEN];
    netbase_format(&p->addr, addr);
    LOG_INFO("peer=%" PRIu64 " %s %s disconnecting: %s%s", p->id, addr,
             p->inbound ? "inbound" : "outbound", reason,
             discourage ? " (misbehaving)" : "");
    if (log_accept(LOG_NET))
        log_peer_stats(p);
    if (discourage)
        outbound_discourage(cm, &p->addr);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    schedule_reap(cm);
}

static bool env_local_nonce(void *ctx, uint64_t nonce)
{
    struct connman *cm = ctx;
    for (size_t i = 0; i < cm->nconns; i++)
        if (!cm->conns[i]->p->inbound && cm->conns[i]->p->nonce == nonce)
            return true;
    return false;
}

/* Tells the relay layer about a handshaked peer, once. Messages and the
 * disconnection of a peer are only reported after this. */
static void notify(struct connman *cm, struct conn *c)
{
    if (c->notified || c->p->state != PEER_READY || !cm->h.connected)
        return;
    struct net_peer_props props;
    props_of(c->p, &props);
    c->notified = true;
    cm->h.connected(cm->h.ctx, &props);
}

static void env_ready(void *ctx, struct peer *p)
{
    struct connman *cm = ctx;
    struct conn *c = p->io;
    char addr[NETBASE_ADDR_STRLEN];
    netbase_format(&p->addr, addr);
    LOG_INFO("peer=%" PRIu64 " %s %s connected: version %d %s, height %d", p->id, addr,
             p->inbound ? "inbound" : "outbound", (int)p->version, p->user_agent,
             (int)p->start_height);
    outbound_ready(cm, c);
    notify(cm, c);
}

static void env_getaddr(void *ctx, struct peer *p)
{
    addrrelay_enable(p->io);
    outbound_getaddr(ctx, p->io);
}

static void env_addrs(void *ctx, struct peer *p, const struct proto_netaddr *a, size_t n)
{
    addrrelay_received(ctx, p->io, a, n);
}

static void env_relay(void *ctx, struct peer *p, const struct net_msg *m)
{
    struct connman *cm = ctx;
    struct conn *c = p->io;
    c->last_useful = connman_now();
    if (cm->h.message && c->notified)
        cm->h.message(cm->h.ctx, p->id, m);
}

/* ---- sockets ---- */

/* Frames are handled for at most this long in one go; the rest wait for
 * the next turn of the loop, so timers, RPC and other peers get in between
 * (several 1 MB blocks arrive in one read). */
#define INPUT_SLICE_US 50000

/* Messages whose handling parses, checks and stores a block: tens of ms
 * for 1 MB. A compact block counts whether or not it reconstructs: one
 * that does not only costs the others a loop turn. */
static bool carries_block(const uint8_t hdr[PROTO_HEADER_SIZE])
{
    struct proto_header h;
    proto_header_decode(hdr, &h);
    enum proto_cmd cmd = proto_cmd_lookup(h.command);
    return cmd == PROTO_CMD_BLOCK || cmd == PROTO_CMD_CMPCTBLOCK || cmd == PROTO_CMD_BLOCKTXN;
}

static void waiting_push(struct connman *cm, uint64_t id)
{
    if (cm->nwaiting == cm->waiting_cap) {
        cm->waiting_cap = cm->waiting_cap ? cm->waiting_cap * 2 : 16;
        cm->waiting = xrealloc(cm->waiting, cm->waiting_cap * sizeof(*cm->waiting));
    }
    cm->waiting[cm->nwaiting++] = id;
}

/* The turn's block was handled, maybe by this peer: its input waits. The
 * peer that spent the turn joins the queue only at the next turn, behind
 * the peers that got nothing in this one (round robin). */
static void wait_turn(struct connman *cm, struct conn *c, bool spent_here)
{
    c->waiting = true;
    if (spent_here) {
        cm->has_spender = true;
        cm->spender = c->p->id;
    } else {
        waiting_push(cm, c->p->id);
    }
}

/* Libevent runs every ready socket callback of a turn before any timer:
 * without this, blocks of several peers (or several in one peer's buffer)
 * add up into one long pause. A zero-delay timer runs at the next turn. */
static void spend_turn(struct connman *cm)
{
    static const struct timeval next_turn = {0, 0};
    cm->turn_spent = true;
    evtimer_add(cm->turn_ev, &next_turn);
}

/* Handles the complete frames in the input buffer, unless backpressure
 * says to wait (then getdata and the rest stay queued until it drains),
 * the slice is used up or the loop turn already handled a block. */
static void process_input(struct conn *c)
{
    struct connman *cm = c->cm;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    int64_t start = connman_now();
    bool spent_here = false;
    while (c->p->state != PEER_CLOSING && !c->blocked && !c->paused && !c->waiting) {
        size_t avail = evbuffer_get_length(in);
        if (avail < PROTO_HEADER_SIZE)
            break;
        const uint8_t *hdr = evbuffer_pullup(in, PROTO_HEADER_SIZE);
        long size = peer_frame_size(c->p, hdr);
        if (size < 0 || (size_t)size > avail)
            break;
        if (cm->turn_spent) {
            wait_turn(cm, c, spent_here);
            break;
        }
        if (connman_now() - start >= INPUT_SLICE_US) {
            static const struct timeval next_turn = {0, 0};
            evtimer_add(c->resume_ev, &next_turn);
            break;
        }
        bool heavy = carries_block(hdr);
        peer_handle(c->p, evbuffer_pullup(in, size), (size_t)size);
        evbuffer_drain(in, (size_t)size);
        if (heavy) {
            spent_here = true;
            spend_turn(cm);
        }
    }
}

/* A new turn: the peers that waited, in order, until one handles a block. */
static void turn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct connman *cm = arg;
    if (cm->has_spender) {
        cm->has_spender = false;
        waiting_push(cm, cm->spender);
    }
    cm->turn_spent = false;
    size_t done = 0;
    while (done < cm->nwaiting && !cm->turn_spent) {
        struct conn *c = connman_find(cm, cm->waiting[done++]);
        if (!c)
            continue; /* freed meanwhile */
        c->waiting = false;
        process_input(c);
    }
    if (done) {
        cm->nwaiting -= done;
        memmove(cm->waiting, cm->waiting + done, cm->nwaiting * sizeof(*cm->waiting));
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    process_input(arg);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    process_input(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct connman *cm = c->cm;
    if (c->blocked && evbuffer_get_length(bufferevent_get_output(bev)) <= cm->o.max_sendbuf / 2) {
        set_blocked(c, false);
        if (cm->h.send_ready && c->notified && c->p->state == PEER_READY)
            cm->h.send_ready(cm->h.ctx, c->p->id);
        process_input(c);
    }
}

/* Small messages (ping, inv) go out at once, as Bitcoin Core does. */
static void set_nodelay(evutil_socket_t fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->connecting = false;
        set_nodelay(bufferevent_getfd(bev));
        peer_start(c->p);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        peer_close(c->p, "connection closed by peer", false);
    } else if (what & BEV_EVENT_ERROR) {
        char reason[64];
        snprintf(reason, sizeof(reason), "%s: %s", c->connecting ? "connect failed" : "socket error",
                 strerror(EVUTIL_SOCKET_ERROR()));
        peer_close(c->p, reason, false);
    }
}

struct conn *connman_conn_new(struct connman *cm, struct bufferevent *bev, bool inbound,
                              const struct proto_netaddr *addr)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    if (cm->nconns == cm->cap) {
        size_t cap = cm->cap ? cm->cap * 2 : 64;
        struct conn **v = xrealloc(cm->conns, cap * sizeof(*v));
        cm->conns = v;
        cm->cap = cap;
    }
    c->p = peer_new(&cm->env, cm->next_id++, inbound, addr);
    addrrelay_conn_init(cm, c);
    c->cm = cm;
    c->bev = bev;
    c->resume_ev = evtimer_new(cm->base, resume_cb, c);
    if (!c->resume_ev)
        abort(); /* out of memory: as xmalloc */
    c->p->io = c;
    cm->conns[cm->nconns++] = c;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    bufferevent_setwatermark(bev, EV_READ, 0, MAX_FRAME);
    bufferevent_setwatermark(bev, EV_WRITE, cm->o.max_sendbuf / 2, 0);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return c;
}

static size_t count_conns(struct connman *cm)
{
    size_t n = 0;
    for (size_t i = 0; i < cm->nconns; i++)
        n += cm->conns[i]->p->state != PEER_CLOSING;
    return n;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct connman *cm = arg;
    struct proto_netaddr addr;
    char s[NETBASE_ADDR_STRLEN];
    if (!netbase_from_sockaddr(sa, &addr)) {
        evutil_closesocket(fd);
        return;
    }
    netbase_format(&addr, s);
    if (cm->inactive || connman_is_banned(cm, &addr)) {
        LOG_INFO("connection from %s dropped (%s)", s, cm->inactive ? "network off" : "banned");
        evutil_closesocket(fd);
        return;
    }
    bool full = count_conns(cm) >= (size_t)cm->o.max_connections;
    if (full && connman_is_discouraged(cm, &addr)) {
        LOG_INFO("connection from discouraged %s dropped (full)", s);
        evutil_closesocket(fd);
        return;
    }
    if (full) {
        struct conn *victim = outbound_evict_candidate(cm);
        if (!victim) {
            LOG_INFO("connection from %s dropped: all %d slots taken", s, cm->o.max_connections);
            evutil_closesocket(fd);
            return;
        }
        peer_close(victim->p, "evicted for a new inbound connection", false);
    }
    set_nodelay(fd);
    struct bufferevent *bev = bufferevent_socket_new(cm->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    connman_conn_new(cm, bev, true, &addr);
    LOG_DEBUG(LOG_NET, "accepted connection from %s", s);
}

static void free_conn(struct connman *cm, struct conn *c)
{
    cm->gone_sent += c->p->bytes_sent;
    cm->gone_recv += c->p->bytes_recv;
    if (c->bev)
        bufferevent_free(c->bev);
    event_free(c->resume_ev);
    peer_free(c->p);
    addrrelay_conn_free(c);
    free(c);
}

/* Frees closed peers, outside any of their callbacks. */
static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct connman *cm = arg;
    size_t keep = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (c->p->state != PEER_CLOSING) {
            cm->conns[keep++] = c;
            continue;
        }
        if (c->notified && cm->h.disconnected)
            cm->h.disconnected(cm->h.ctx, c->p->id);
        outbound_closed(cm, c);
        free_conn(cm, c);
    }
    cm->nconns = keep;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct connman *cm = arg;
    int64_t now = connman_now();
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (c->blocked && now - c->blocked_since > cm->o.stall_us)
            peer_close(c->p, "send buffer never drained", false);
        peer_tick(c->p, now);
    }
    if (cm->listeners_paused) {
        cm->listeners_paused = false;
        for (size_t i = 0; i < cm->nlisteners; i++)
            evconnlistener_enable(cm->listeners[i]);
    }
    outbound_tick(cm, now);
    if (cm->h.tick)
        cm->h.tick(cm->h.ctx, now);
    if (now - cm->last_flush > 60 * SEC) {
        char *err = NULL;
        cm->last_flush = now;
        if (addrman_flush(cm->am, &err) < 0) {
            LOG_WARN("cannot save peer addresses: %s", err);
            free(err);
        }
    }
}

/* Enough descriptors for every permitted connection (1000+ in the
 * benchmark), as Bitcoin Core raises its limit at start-up; when the
 * system allows fewer, fewer connections (Core does the same). */
#define FD_RESERVE 64 /* listeners, databases, log, RPC */
static void fit_fd_limit(struct connman_options *o)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)o->max_connections + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want) {
        int fit = rl.rlim_cur > FD_RESERVE ? (int)(rl.rlim_cur - FD_RESERVE) : 0;
        LOG_WARN("only %ld file descriptors: -maxconnections lowered from %d to %d",
                 (long)rl.rlim_cur, o->max_connections, fit);
        o->max_connections = fit;
    }
}

/* accept() failing (descriptors exhausted) would wake the listener again
 * at once: pause listening until the next housekeeping tick. */
static void listener_error_cb(struct evconnlistener *l, void *arg)
{
    struct connman *cm = arg;
    LOG_WARN("accepting a connection failed: %s; pausing the listener",
             strerror(EVUTIL_SOCKET_ERROR()));
    evconnlistener_disable(l);
    cm->listeners_paused = true;
}

static int listen_on(struct connman *cm, const struct proto_netaddr *a, char **err)
{
    struct sockaddr_storage ss;
    char s[NETBASE_ADDR_STRLEN];
    socklen_t len = netbase_to_sockaddr(a, &ss);
    netbase_format(a, s);
    if (cm->nlisteners == sizeof(cm->listeners) / sizeof(cm->listeners[0]))
        goto fail;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        goto fail;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || evutil_make_socket_nonblocking(fd) < 0) {
        close(fd);
        goto fail;
    }
    struct evconnlistener *l = evconnlistener_new(cm->base, accept_cb, cm, LEV_OPT_CLOSE_ON_FREE,
                                                  SOMAXCONN, fd);
    if (!l) {
        close(fd);
        goto fail;
    }
    evconnlistener_set_error_cb(l, listener_error_cb);
    cm->listeners[cm->nlisteners++] = l;
    struct sockaddr_storage got;
    socklen_t glen = sizeof(got);
    struct proto_netaddr ga;
    if (getsockname(fd, (struct sockaddr *)&got, &glen) == 0 &&
        netbase_from_sockaddr((struct sockaddr *)&got, &ga)) {
        if (!cm->listen_port)
            cm->listen_port = ga.port;
        netbase_format(&ga, s);
    }
    LOG_INFO("listening on %s", s);
    return 0;
fail:
    if (err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "cannot listen on %s: %s", s, strerror(errno));
        *err = xstrdup(msg);
    }
    return -1;
}

static int start_listening(struct connman *cm, char **err)
{
    if (!cm->o.listen)
        return 0;
    if (cm->o.nbind == 0) {
        /* All interfaces, IPv4 and IPv6; IPv6 may be missing on the host. */
        struct proto_netaddr any4 = {.ip = {[10] = 0xff, [11] = 0xff}, .port = cm->o.port};
        struct proto_netaddr any6 = {.port = 0};
        if (listen_on(cm, &any4, err) < 0)
            return -1;
        any6.port = cm->listen_port;
        if (listen_on(cm, &any6, NULL) < 0)
            LOG_INFO("not listening on IPv6");
        return 0;
    }
    for (size_t i = 0; i < cm->o.nbind; i++) {
        struct proto_netaddr a;
        if (netbase_parse_endpoint(cm->o.bind[i], cm->listen_port ? cm->listen_port : cm->o.port,
                                   &a, err) < 0 ||
            listen_on(cm, &a, err) < 0)
            return -1;
    }
    return 0;
}

struct connman *connman_new(struct event_base *base, const struct connman_options *o,
                            char **err)
{
    struct connman *cm = xcalloc(1, sizeof(*cm));
    cm->base = base;
    cm->o = *o;
    cm->next_id = 1;
    cm->rng = o->seed;
    if (!cm->rng && getrandom(&cm->rng, sizeof(cm->rng), 0) != sizeof(cm->rng))
        cm->rng = (uint64_t)time(NULL);
    cm->addr_k0 = connman_rand(cm);
    cm->addr_k1 = connman_rand(cm);
    memcpy(cm->local.magic, o->magic, 4);
    cm->local.services = o->services;
    cm->local.user_agent = o->user_agent;
    cm->local.relay = o->relay;
    cm->local.no_cmpct = o->no_cmpct;
    cm->local.timeouts = o->timeouts;
    wbuf_init(&cm->scratch);
    cm->env = (struct peer_env){
        .ctx = cm, .local = &cm->local, .scratch = &cm->scratch, .now = env_now,
        .wall = env_wall, .rand64 = env_rand, .best_height = env_height, .near_tip = env_near_tip,
        .send = env_send,
        .closed = env_closed, .is_local_nonce = env_local_nonce, .ready = env_ready,
        .getaddr = env_getaddr, .addrs = env_addrs, .relay = env_relay};
    cm->am = addrman_new(o->peers_dir, o->allow_private, connman_rand(cm), err);
    cm->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, cm);
    cm->reap_ev = event_new(base, -1, 0, reap_cb, cm);
    cm->turn_ev = evtimer_new(base, turn_cb, cm);
    if (!cm->am || !cm->tick_ev || !cm->reap_ev || !cm->turn_ev || outbound_init(cm, err) < 0) {
        connman_free(cm);
        return NULL;
    }
    fit_fd_limit(&cm->o);
    return cm;
}

int connman_start(struct connman *cm, char **err)
{
    if (start_listening(cm, err) < 0)
        return -1;
    struct timeval tv = {.tv_sec = cm->o.tick_us / SEC, .tv_usec = cm->o.tick_us % SEC};
    event_add(cm->tick_ev, &tv);
    cm->last_flush = connman_now();
    cm->running = true;
    outbound_tick(cm, connman_now()); /* dial -connect/-addnode at once */
    return 0;
}

void connman_stop(struct connman *cm)
{
    if (!cm)
        return;
    for (size_t i = 0; i < cm->nlisteners; i++)
        evconnlistener_free(cm->listeners[i]);
    cm->nlisteners = 0;
    if (cm->tick_ev)
        event_del(cm->tick_ev);
    if (cm->running)
        outbound_save_anchors(cm);
    cm->running = false;
    for (size_t i = 0; i < cm->nconns; i++)
        peer_close(cm->conns[i]->p, "shutting down", false);
    if (cm->reap_ev)
        reap_cb(-1, 0, cm);
    char *err = NULL;
    if (cm->am && addrman_flush(cm->am, &err) < 0) {
        LOG_WARN("cannot save peer addresses: %s", err);
        free(err);
    }
}

void connman_free(struct connman *cm)
{
    if (!cm)
        return;
    connman_stop(cm);
    free(cm->conns);
    if (cm->tick_ev)
        event_free(cm->tick_ev);
    if (cm->reap_ev)
        event_free(cm->reap_ev);
    if (cm->turn_ev)
        event_free(cm->turn_ev);
    free(cm->waiting);
    outbound_free(cm);
    addrman_free(cm->am);
    banman_free(cm->bans);
    wbuf_free(&cm->scratch);
    free(cm);
}

void connman_set_handlers(struct connman *cm, const struct net_handlers *h)
{
    cm->h = *h;
    cm->local.hello = h->hello;
    cm->local.txrecon = h->txrecon;
    for (size_t i = 0; i < cm->nconns; i++)
        notify(cm, cm->conns[i]); /* peers that were ready before the handlers */
}

int connman_send(struct connman *cm, uint64_t id, enum proto_cmd cmd, const void *payload,
                 size_t len)
{
    struct conn *c = live(cm, id);
    if (!c || c->connecting)
        return -1;
    peer_send(c->p, cmd, payload, len);
    return 0;
}

struct wbuf *connman_msg_begin(struct connman *cm, uint64_t id, enum proto_cmd cmd)
{
    struct conn *c = live(cm, id);
    return c && !c->connecting ? peer_msg_begin(c->p, cmd) : NULL;
}

int connman_msg_end(struct connman *cm, uint64_t id)
{
    struct conn *c = live(cm, id);
    if (!c || c->connecting)
        return -1;
    peer_msg_end(c->p);
    return 0;
}

size_t connman_send_queue(struct connman *cm, uint64_t id)
{
    struct conn *c = live(cm, id);
    return c ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

bool connman_send_blocked(struct connman *cm, uint64_t id)
{
    struct conn *c = live(cm, id);
    return c && c->blocked;
}

void connman_pause_input(struct connman *cm, uint64_t id, bool paused)
{
    struct conn *c = live(cm, id);
    if (!c || c->paused == paused)
        return;
    c->paused = paused;
    update_read(c);
    if (!paused) { /* the frames left waiting: on the next turn, not within the caller */
        static const struct timeval next_turn = {0, 0};
        evtimer_add(c->resume_ev, &next_turn);
    }
}

size_t connman_peers(struct connman *cm, uint64_t *ids, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        if (cm->conns[i]->p->state != PEER_READY)
            continue;
        if (n < cap)
            ids[n] = cm->conns[i]->p->id;
        n++;
    }
    return n;
}

bool connman_peer_props(struct connman *cm, uint64_t id, struct net_peer_props *out)
{
    struct conn *c = live(cm, id);
    if (!c)
        return false;
    props_of(c->p, out);
    return true;
}

static int64_t to_unix(int64_t mono_us, int64_t now_mono, int64_t now_unix)
{
    return now_unix - (now_mono - mono_us) / SEC;
}

bool connman_peer_stats(struct connman *cm, uint64_t id, struct net_peer_stats *out)
{
    struct conn *c = connman_find(cm, id);
    if (!c)
        return false;
    const struct peer *p = c->p;
    int64_t now = connman_now(), unix_now = (int64_t)time(NULL);
    memset(out, 0, sizeof(*out));
    props_of(p, &out->props);
    out->connection_type = peer_kind_name(p->inbound, p->manual, p->kind);
    netbase_format(&p->addr, out->addr);
    if (p->addr_local.port)
        netbase_format(&p->addr_local, out->addr_local);
    out->manual = p->manual;
    out->handshaked = p->state == PEER_READY;
    out->addrv2 = p->sendaddrv2;
    memcpy(out->user_agent, p->user_agent, sizeof(out->user_agent));
    out->conn_time = to_unix(p->connected, now, unix_now);
    out->last_send = to_unix(p->last_send, now, unix_now);
    out->last_recv = to_unix(p->last_recv, now, unix_now);
    out->ping_us = p->ping_us;
    out->min_ping_us = p->min_ping_us;
    out->ping_wait_us = p->ping_sent ? now - p->ping_sent : -1;
    out->bytes_sent = p->bytes_sent;
    out->bytes_recv = p->bytes_recv;
    out->feefilter = p->feefilter;
    out->send_queue = evbuffer_get_length(bufferevent_get_output(c->bev));
    out->send_blocked = c->blocked;
    memcpy(out->sent, p->sent, sizeof(out->sent));
    memcpy(out->recv, p->recv, sizeof(out->recv));
    return true;
}

int connman_disconnect(struct connman *cm, uint64_t id)
{
    struct conn *c = live(cm, id);
    if (!c)
        return -1;
    /* What was queued for it (a notfound saying why) goes out if the
     * socket takes it now; the rest goes with the connection. A socket
     * bufferevent keeps its output's start frozen but while it writes. */
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_unfreeze(out, 1);
    evbuffer_write(out, bufferevent_getfd(c->bev));
    evbuffer_freeze(out, 1);
    peer_close(c->p, "disconnect requested", false);
    return 0;
}

void connman_misbehaving(struct connman *cm, uint64_t id, const char *reason)
{
    struct conn *c = live(cm, id);
    if (c)
        peer_close(c->p, reason, true);
}

void connman_totals(struct connman *cm, struct net_totals *out)
{
    memset(out, 0, sizeof(*out));
    out->bytes_sent = cm->gone_sent;
    out->bytes_recv = cm->gone_recv;
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct peer *p = cm->conns[i]->p;
        out->bytes_sent += p->bytes_sent;
        out->bytes_recv += p->bytes_recv;
        if (p->state == PEER_CLOSING)
            continue;
        if (p->inbound)
            out->inbound++;
        else
            out->outbound++;
    }
    out->addresses = addrman_size(cm->am);
}

uint16_t connman_listen_port(struct connman *cm)
{
    return cm->listen_port;
}

uint64_t connman_local_services(const struct connman *cm)
{
    return cm->o.services;
}
