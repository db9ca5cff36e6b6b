/* Outbound connections (-connect, -addnode, automatic from the address
 * manager), address gossip, inbound eviction and discouragement. */
#include "net/conn/connman_int.h"

#include "chain/util/log.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"
#include "chain/util/xmalloc.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000LL
#define ADDR_RELAY_FANOUT 2
#define ADDR_FRESH_SECS 600         /* only addresses this fresh are relayed */
#define ADDR_RELAY_MAX_BATCH 10     /* bigger addr messages are not rumours */
#define ADDR_TOKENS_PER_SEC 0.1     /* Bitcoin Core's addr rate limit */
#define ADDR_TOKENS_MAX 1000.0
#define DIAL_PER_TICK 2
#define ADVERTISE_EVERY (24 * 3600) /* own address re-sent on long links */
#define DISCOURAGED_MAX 10000
#define EVICT_PROTECT_PING 4
#define EVICT_PROTECT_USEFUL 4

static void flush_addrs(struct connman *cm, int64_t unix_now);

static int add_target(struct connman *cm, const char *endpoint, char **err)
{
    if (cm->ntargets == cm->targets_cap) {
        size_t cap = cm->targets_cap ? cm->targets_cap * 2 : 8;
        struct target *v = xrealloc(cm->targets, cap * sizeof(*v));
        /* Connections point at their target: move those pointers too. */
        for (size_t i = 0; i < cm->ntargets; i++)
            if (v[i].conn)
                v[i].conn->target = &v[i];
        cm->targets = v;
        cm->targets_cap = cap;
    }
    struct target *t = &cm->targets[cm->ntargets];
    memset(t, 0, sizeof(*t));
    t->endpoint = xstrdup(endpoint);
    /* Resolve now to report typos at start-up; unresolvable names (no
     * network yet) are retried when dialing. */
    char *e = NULL;
    t->resolved = netbase_parse_endpoint(endpoint, cm->o.default_port, &t->addr, &e) == 0;
    if (!t->resolved) {
        LOG_WARN("cannot resolve %s yet: %s", endpoint, e);
        free(e);
    }
    cm->ntargets++;
    return 0;
}

int outbound_init(struct connman *cm, char **err)
{
    for (size_t i = 0; i < cm->o.nconnect; i++)
        if (add_target(cm, cm->o.connect[i], err) < 0)
            return -1;
    cm->nconnect = cm->o.nconnect;
    for (size_t i = 0; i < cm->o.naddnode; i++)
        if (add_target(cm, cm->o.addnode[i], err) < 0)
            return -1;
    return 0;
}

void outbound_free(struct connman *cm)
{
    for (size_t i = 0; i < cm->ntargets; i++)
        free(cm->targets[i].endpoint);
    free(cm->targets);
    free(cm->disc);
}

int connman_add_node(struct connman *cm, const char *endpoint, char **err)
{
    for (size_t i = cm->nconnect; i < cm->ntargets; i++) {
        if (strcmp(cm->targets[i].endpoint, endpoint) == 0) {
            if (err)
                *err = xstrdup("node already added");
            return -1;
        }
    }
    if (add_target(cm, endpoint, err) < 0)
        return -1;
    outbound_tick(cm, connman_now());
    return 0;
}

static struct conn *dial(struct connman *cm, const struct proto_netaddr *a, struct target *t);

int connman_remove_node(struct connman *cm, const char *endpoint, char **err)
{
    for (size_t i = cm->nconnect; i < cm->ntargets; i++) {
        if (strcmp(cm->targets[i].endpoint, endpoint) != 0)
            continue;
        /* Its connection, if any, stays up as a plain manual one. */
        if (cm->targets[i].conn)
            cm->targets[i].conn->target = NULL;
        free(cm->targets[i].endpoint);
        memmove(&cm->targets[i], &cm->targets[i + 1],
                (cm->ntargets - i - 1) * sizeof(cm->targets[0]));
        cm->ntargets--;
        for (size_t k = i; k < cm->ntargets; k++)
            if (cm->targets[k].conn)
                cm->targets[k].conn->target = &cm->targets[k];
        return 0;
    }
    if (err)
        *err = xstrdup("node has not been added");
    return -1;
}

int connman_connect_once(struct connman *cm, const char *endpoint, char **err)
{
    struct proto_netaddr a;
    if (netbase_parse_endpoint(endpoint, cm->o.default_port, &a, err) < 0)
        return -1;
    struct conn *c = dial(cm, &a, NULL);
    if (!c) {
        if (err)
            *err = xstrdup("cannot open a connection");
        return -1;
    }
    c->p->manual = true;
    return 0;
}

static struct conn *dial(struct connman *cm, const struct proto_netaddr *a, struct target *t)
{
    struct sockaddr_storage ss;
    socklen_t len = netbase_to_sockaddr(a, &ss);
    struct bufferevent *bev = bufferevent_socket_new(cm->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    struct conn *c = connman_conn_new(cm, bev, false, a);
    if (!c) {
        bufferevent_free(bev);
        return NULL;
    }
    c->connecting = true;
    c->target = t;
    c->p->manual = t != NULL;
    if (t)
        t->conn = c;
    char s[NETBASE_ADDR_STRLEN];
    netbase_format(a, s);
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " connecting to %s", c->p->id, s);
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len) < 0)
        peer_close(c->p, "connect failed", false);
    return c;
}

static bool is_connected_to(struct connman *cm, const struct proto_netaddr *a)
{
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct peer *p = cm->conns[i]->p;
        if (p->state != PEER_CLOSING && addrman_same_endpoint(&p->addr, a))
            return true;
    }
    return false;
}

static void dial_targets(struct connman *cm, size_t from, size_t to, int64_t now)
{
    for (size_t i = from; i < to; i++) {
        struct target *t = &cm->targets[i];
        if (t->conn || now < t->next_try)
            continue;
        if (!t->resolved)
            t->resolved = netbase_parse_endpoint(t->endpoint, cm->o.default_port, &t->addr,
                                                 NULL) == 0;
        /* Pending backoff in case this attempt fails before a callback. */
        t->backoff = t->backoff ? t->backoff : SEC / 2;
        t->next_try = now + t->backoff;
        if (t->resolved && !is_connected_to(cm, &t->addr))
            dial(cm, &t->addr, t);
    }
}

/* addrman's filter for automatic outbound connections. */
static bool skip_candidate(void *ctx, const struct proto_netaddr *a)
{
    struct connman *cm = ctx;
    if (is_connected_to(cm, a) || connman_is_discouraged(cm, a) || connman_is_banned(cm, a))
        return true;
    for (size_t i = 0; i < cm->nself; i++)
        if (addrman_same_endpoint(&cm->self[i], a))
            return true;
    if (cm->listen_port && a->port == cm->listen_port && netbase_is_loopback(a))
        return true;
    /* Diversity: one automatic outbound peer per network group (local
     * addresses share a group, so regtest networks on one host skip it). */
    uint8_t g[5], h[5];
    size_t gl = addrman_group(a, g);
    if (gl == 1)
        return false;
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct conn *c = cm->conns[i];
        if (c->p->inbound || c->target || c->p->state == PEER_CLOSING)
            continue;
        if (addrman_group(&c->p->addr, h) == gl && memcmp(g, h, gl) == 0)
            return true;
    }
    return false;
}

void outbound_tick(struct connman *cm, int64_t now)
{
    int64_t unix_now = (int64_t)time(NULL);
    for (size_t i = 0; i < cm->ndisc;) {
        if (cm->disc[i].until <= unix_now)
            cm->disc[i] = cm->disc[--cm->ndisc];
        else
            i++;
    }
    flush_addrs(cm, unix_now);
    if (cm->inactive)
        return;
    if (cm->nconnect) { /* -connect: those and nothing else */
        dial_targets(cm, 0, cm->nconnect, now);
        return;
    }
    dial_targets(cm, 0, cm->ntargets, now);
    int automatic = 0, total = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct conn *c = cm->conns[i];
        if (c->p->state == PEER_CLOSING)
            continue;
        total++;
        automatic += !c->p->inbound && !c->target;
    }
    /* Automatic connections also stay within -maxconnections. */
    for (int k = 0; k < DIAL_PER_TICK && automatic < cm->o.max_outbound &&
                    total < cm->o.max_connections;
         k++, total++) {
        struct proto_netaddr a;
        if (!addrman_select(cm->am, unix_now, skip_candidate, cm, &a))
            break;
        addrman_attempt(cm->am, &a, false, unix_now);
        if (dial(cm, &a, NULL))
            automatic++;
    }
}

void outbound_closed(struct connman *cm, struct conn *c)
{
    struct target *t = c->target;
    free(c->addr_out);
    c->addr_out = NULL;
    bool handshaked = c->handshaked;
    if (t) {
        t->conn = NULL;
        if (!handshaked) {
            t->next_try = connman_now() + t->backoff;
            t->backoff = t->backoff * 2 < cm->o.retry_max_us ? t->backoff * 2 : cm->o.retry_max_us;
        } else {
            t->backoff = SEC / 2;
            t->next_try = connman_now() + t->backoff;
        }
    } else if (!c->p->inbound && !handshaked) {
        addrman_attempt(cm->am, &c->p->addr, true, (int64_t)time(NULL));
    }
}

static void send_addrs(struct conn *c, const struct proto_netaddr *a, size_t n)
{
    struct peer *p = c->p;
    bool v2 = p->sendaddrv2;
    proto_addr_encode(peer_msg_begin(p, v2 ? "addrv2" : "addr"), v2, a, n);
    peer_msg_end(p);
}

/* Advertise the address this peer sees us at, with our listening port. */
static void advertise_self(struct connman *cm, struct conn *c)
{
    struct proto_netaddr me = c->p->addr_local;
    if (!cm->o.listen || !cm->listen_port)
        return;
    me.port = cm->listen_port;
    me.services = cm->o.services;
    me.time = (uint32_t)time(NULL);
    if (!addrman_addr_ok(&me, cm->o.allow_private))
        return;
    size_t i;
    for (i = 0; i < cm->nself && !addrman_same_endpoint(&cm->self[i], &me); i++)
        ;
    if (i == cm->nself && cm->nself < sizeof(cm->self) / sizeof(cm->self[0]))
        cm->self[cm->nself++] = me;
    send_addrs(c, &me, 1);
    /* Again in about a day (12 to 36 hours: not in step across peers). */
    c->next_advertise = (int64_t)me.time + ADVERTISE_EVERY / 2 +
                        (int64_t)(connman_rand(cm) % ADVERTISE_EVERY);
}

void outbound_ready(struct connman *cm, struct conn *c)
{
    struct peer *p = c->p;
    c->handshaked = true;
    if (c->target)
        c->target->backoff = SEC / 2;
    if (!p->inbound) {
        if (!c->target)
            addrman_good(cm->am, &p->addr, (int64_t)time(NULL));
        advertise_self(cm, c);
        /* The answer to our getaddr may be large: let it in. */
        c->addr_tokens += ADDR_TOKENS_MAX;
    }
}

void outbound_getaddr(struct connman *cm, struct conn *c)
{
    struct proto_netaddr *a = xmalloc(PROTO_MAX_ADDR * sizeof(*a));
    size_t n = addrman_sample(cm->am, (int64_t)time(NULL), a, PROTO_MAX_ADDR);
    if (n)
        send_addrs(c, a, n);
    free(a);
}

/* Relayed addresses wait for the next tick, so that several go out in one
 * message (Bitcoin Core trickles them the same way). */
static void queue_addr(struct conn *c, const struct proto_netaddr *a)
{
    for (size_t i = 0; i < c->addr_out_n; i++)
        if (addrman_same_endpoint(&c->addr_out[i], a))
            return;
    if (c->addr_out_n == PROTO_MAX_ADDR)
        return;
    if (c->addr_out_n == c->addr_out_cap) {
        size_t cap = c->addr_out_cap ? c->addr_out_cap * 2 : 8;
        struct proto_netaddr *v = xrealloc(c->addr_out, cap * sizeof(*v));
        c->addr_out = v;
        c->addr_out_cap = cap;
    }
    c->addr_out[c->addr_out_n++] = *a;
}

/* Sends the queued addresses, and our own address on long-lived links. */
static void flush_addrs(struct connman *cm, int64_t unix_now)
{
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (c->p->state != PEER_READY)
            continue;
        if (c->next_advertise && unix_now >= c->next_advertise)
            advertise_self(cm, c);
        if (c->addr_out_n) {
            send_addrs(c, c->addr_out, c->addr_out_n);
            free(c->addr_out);
            c->addr_out = NULL;
            c->addr_out_n = c->addr_out_cap = 0;
        }
    }
}

/* A fresh address goes on to ADDR_RELAY_FANOUT random handshaked peers
 * other than its sender: rumour mongering with fanout 2. */
static void relay_addr(struct connman *cm, struct conn *from, const struct proto_netaddr *a)
{
    struct conn *pick[ADDR_RELAY_FANOUT];
    size_t seen = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (c == from || c->p->state != PEER_READY)
            continue;
        /* Reservoir sampling: each eligible peer equally likely. */
        if (seen < ADDR_RELAY_FANOUT)
            pick[seen] = c;
        else {
            size_t j = (size_t)(connman_rand(cm) % (seen + 1));
            if (j < ADDR_RELAY_FANOUT)
                pick[j] = c;
        }
        seen++;
    }
    for (size_t i = 0; i < seen && i < ADDR_RELAY_FANOUT; i++)
        queue_addr(pick[i], a);
}

void outbound_addrs(struct connman *cm, struct conn *c, const struct proto_netaddr *a, size_t n)
{
    int64_t now_us = connman_now(), now = (int64_t)time(NULL);
    struct peer *p = c->p;
    /* Tokens trickle in up to the cap; the getaddr bonus may exceed it. */
    double earned = (double)(now_us - c->addr_token_time) / SEC * ADDR_TOKENS_PER_SEC;
    if (c->addr_tokens < ADDR_TOKENS_MAX)
        c->addr_tokens = c->addr_tokens + earned < ADDR_TOKENS_MAX ? c->addr_tokens + earned
                                                                    : ADDR_TOKENS_MAX;
    c->addr_token_time = now_us;
    bool rumour = !p->getaddr_sent && n <= ADDR_RELAY_MAX_BATCH;
    size_t limited = 0, added = 0;
    for (size_t i = 0; i < n; i++) {
        struct proto_netaddr e = a[i];
        if (c->addr_tokens < 1) {
            limited++;
            continue;
        }
        c->addr_tokens -= 1;
        if (!addrman_addr_ok(&e, cm->o.allow_private))
            continue;
        /* Implausible times become five days old, as Core does. */
        if (e.time <= 100000000 || (int64_t)e.time > now + 600)
            e.time = (uint32_t)(now - 5 * 86400);
        added += addrman_add(cm->am, &e, &p->addr, now);
        if (rumour && (int64_t)e.time > now - ADDR_FRESH_SECS)
            relay_addr(cm, c, &e);
    }
    if (n < PROTO_MAX_ADDR)
        p->getaddr_sent = false; /* the answer to our getaddr is in */
    c->addr_processed += n - limited;
    c->addr_rate_limited += limited;
    LOG_DEBUG(LOG_ADDRMAN, "peer=%" PRIu64 ": %zu addresses, %zu new, %zu rate-limited", p->id,
              n, added, limited);
}

void outbound_discourage(struct connman *cm, const struct proto_netaddr *a)
{
    /* Local peers are disconnected but not discouraged: that would shut
     * out every other peer on the same host (Bitcoin Core does the same). */
    if (netbase_is_loopback(a))
        return;
    int64_t until = (int64_t)time(NULL) + cm->o.discourage_secs;
    for (size_t i = 0; i < cm->ndisc; i++) {
        if (memcmp(cm->disc[i].ip, a->ip, 16) == 0) {
            cm->disc[i].until = until;
            return;
        }
    }
    if (cm->ndisc >= DISCOURAGED_MAX)
        return;
    if (cm->ndisc % 64 == 0) {
        struct discouraged *v = xrealloc(cm->disc, (cm->ndisc + 64) * sizeof(*v));
        cm->disc = v;
    }
    memcpy(cm->disc[cm->ndisc].ip, a->ip, 16);
    cm->disc[cm->ndisc++].until = until;
}

bool connman_is_discouraged(struct connman *cm, const struct proto_netaddr *a)
{
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < cm->ndisc; i++)
        if (memcmp(cm->disc[i].ip, a->ip, 16) == 0 && cm->disc[i].until > now)
            return true;
    return false;
}

/* ---- inbound eviction (a simplified form of Bitcoin Core's) ---- */

struct candidate {
    struct conn *c;
    int64_t ping, useful, connected;
    bool gone;
};

static int by_ping(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    int64_t px = x->ping < 0 ? INT64_MAX : x->ping, py = y->ping < 0 ? INT64_MAX : y->ping;
    return px < py ? -1 : px > py;
}

static int by_useful_desc(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->useful > y->useful ? -1 : x->useful < y->useful;
}

static int by_age(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->connected < y->connected ? -1 : x->connected > y->connected;
}

static bool has_ping(const struct candidate *c)
{
    return c->ping >= 0;
}

static bool has_useful(const struct candidate *c)
{
    return c->useful > 0;
}

/* Marks the first count candidates in the given order as protected,
 * among those with something to show for the criterion (has). */
static void protect(struct candidate *v, size_t n, size_t count,
                    int (*order)(const void *, const void *),
                    bool (*has)(const struct candidate *))
{
    qsort(v, n, sizeof(*v), order);
    for (size_t i = 0, done = 0; i < n && done < count; i++) {
        if (!v[i].gone && (!has || has(&v[i]))) {
            v[i].gone = true;
            done++;
        }
    }
}

/* Among the unprotected, the youngest peer of the most crowded group. */
static struct conn *youngest_of_biggest_group(struct candidate *v, size_t n)
{
    size_t best = n, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].gone)
            continue;
        uint8_t g[5], h[5];
        size_t gl = addrman_group(&v[i].c->p->addr, g), count = 0;
        size_t youngest = i;
        for (size_t j = 0; j < n; j++) {
            if (v[j].gone || addrman_group(&v[j].c->p->addr, h) != gl || memcmp(g, h, gl))
                continue;
            count++;
            if (v[j].connected > v[youngest].connected)
                youngest = j;
        }
        if (count > best_count) {
            best_count = count;
            best = youngest;
        }
    }
    return best < n ? v[best].c : NULL;
}

struct conn *outbound_evict_candidate(struct connman *cm)
{
    struct candidate *v = xcalloc(cm->nconns + 1, sizeof(*v));
    size_t n = 0;
    struct conn *victim = NULL, *idle = NULL;
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (!c->p->inbound || c->p->state == PEER_CLOSING)
            continue;
        if (connman_is_discouraged(cm, &c->p->addr)) {
            victim = c; /* discouraged peers go first */
            break;
        }
        /* A peer that has not finished its handshake holds a slot for
         * nothing yet: the oldest such goes next. */
        if (c->p->state != PEER_READY) {
            if (!idle || c->p->connected < idle->p->connected)
                idle = c;
            continue;
        }
        v[n++] = (struct candidate){c, c->p->min_ping_us, c->last_useful, c->p->connected, false};
    }
    if (!victim)
        victim = idle;
    if (!victim) {
        protect(v, n, EVICT_PROTECT_PING, by_ping, has_ping);
        protect(v, n, EVICT_PROTECT_USEFUL, by_useful_desc, has_useful);
        size_t rest = 0;
        for (size_t i = 0; i < n; i++)
            rest += !v[i].gone;
        protect(v, n, rest / 2, by_age, NULL); /* half of the rest: the longest connected */
        victim = youngest_of_biggest_group(v, n);
    }
    free(v);
    return victim;
}
