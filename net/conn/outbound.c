/* Outbound connections (-connect, -addnode, automatic from the address
 * manager), address gossip, inbound eviction and discouragement. */
#include "net/conn/connman_int.h"

#include "chain/util/log.h"
#include "net/conn/addrcache.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"
#include "chain/util/xmalloc.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000LL
#define DIAL_PER_TICK 2
#define DISCOURAGED_MAX 10000
#define EVICT_PROTECT_PING 4
#define EVICT_PROTECT_USEFUL 4
#define FEELER_INTERVAL 120 /* seconds, mean of an exponential wait (Core) */
#define EXTRA_BLOCK_RELAY_INTERVAL 300 /* Core's EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL */

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

/* Anchors are read (and their file deleted) at start, as Core does, and
 * only used when automatic connections are (no -connect). */
static void load_anchors(struct connman *cm)
{
    char *e = NULL;
    if (!cm->anchors_path)
        return;
    if (anchors_read(cm->anchors_path, cm->anchors, ANCHORS_MAX, &cm->nanchors, &e) < 0) {
        LOG_WARN("ignoring %s: %s", cm->anchors_path, e);
        free(e);
    }
    if (cm->nconnect)
        cm->nanchors = 0;
    if (cm->nanchors)
        LOG_INFO("%zu block-relay-only anchors will be tried for connections.", cm->nanchors);
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
    if (cm->o.anchors_path)
        cm->anchors_path = xstrdup(cm->o.anchors_path);
    cm->o.anchors_path = NULL; /* the caller's copy may go */
    load_anchors(cm);
    cm->addr_cache = addrcache_new();
    return discovery_init(cm, err);
}

void outbound_free(struct connman *cm)
{
    for (size_t i = 0; i < cm->ntargets; i++)
        free(cm->targets[i].endpoint);
    free(cm->targets);
    free(cm->disc);
    addrcache_free(cm->addr_cache);
    discovery_free(cm);
    free(cm->anchors_path);
}

void outbound_save_anchors(struct connman *cm)
{
    struct proto_netaddr a[ANCHORS_MAX];
    size_t n = 0;
    char *e = NULL;
    if (!cm->anchors_path || cm->nconnect)
        return;
    for (size_t i = 0; i < cm->nconns && n < ANCHORS_MAX; i++) {
        const struct conn *c = cm->conns[i];
        if (!c->p->inbound && c->p->kind == PEER_BLOCK_RELAY && c->handshaked &&
            c->p->state != PEER_CLOSING) {
            a[n] = c->p->addr;
            a[n].services = c->p->services;
            a[n++].time = (uint32_t)connman_clock(cm);
        }
    }
    if (anchors_write(cm->anchors_path, a, n, &e) < 0) {
        LOG_WARN("%s", e);
        free(e);
    } else {
        LOG_INFO("%zu block-relay-only anchors saved", n);
    }
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

static struct conn *dial(struct connman *cm, const struct proto_netaddr *a, struct target *t,
                         enum peer_kind kind);

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
    struct conn *c = dial(cm, &a, NULL, PEER_FULL_RELAY);
    if (!c) {
        if (err)
            *err = xstrdup("cannot open a connection");
        return -1;
    }
    c->p->manual = true;
    return 0;
}

static struct conn *dial(struct connman *cm, const struct proto_netaddr *a, struct target *t,
                         enum peer_kind kind)
{
    struct sockaddr_storage ss;
    socklen_t len = netbase_to_sockaddr(a, &ss);
    struct bufferevent *bev = bufferevent_socket_new(cm->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    struct conn *c = connman_conn_new(cm, bev, false, a);
    c->connecting = true;
    c->target = t;
    c->p->manual = t != NULL;
    c->p->kind = kind;
    if (t)
        t->conn = c;
    char s[NETBASE_ADDR_STRLEN];
    netbase_format(a, s);
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " connecting to %s (%s)", c->p->id, s,
              peer_kind_name(false, c->p->manual, kind));
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
            dial(cm, &t->addr, t, PEER_FULL_RELAY);
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

struct conn *outbound_dial(struct connman *cm, const struct proto_netaddr *a,
                           enum peer_kind kind)
{
    return dial(cm, a, NULL, kind);
}

static bool is_automatic(const struct conn *c)
{
    return !c->p->inbound && !c->p->manual && c->p->state != PEER_CLOSING;
}

/* Handshaked automatic outbound peers of that kind. */
static int count_ready(struct connman *cm, enum peer_kind kind)
{
    int n = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct conn *c = cm->conns[i];
        n += is_automatic(c) && c->p->kind == kind && c->p->state == PEER_READY;
    }
    return n;
}

int outbound_full_count(struct connman *cm)
{
    return count_ready(cm, PEER_FULL_RELAY);
}

int connman_extra_outbound(struct connman *cm, enum peer_kind kind)
{
    int slots = kind == PEER_FULL_RELAY ? cm->o.max_outbound
                : kind == PEER_BLOCK_RELAY ? cm->o.max_block_relay
                                           : INT32_MAX;
    int n = count_ready(cm, kind);
    return n > slots ? n - slots : 0;
}

void connman_set_try_new_outbound(struct connman *cm, bool on)
{
    if (on != cm->try_new_outbound)
        LOG_DEBUG(LOG_NET, "setting try another outbound peer=%s", on ? "true" : "false");
    cm->try_new_outbound = on;
}

bool connman_try_new_outbound(const struct connman *cm)
{
    return cm->try_new_outbound;
}

void connman_start_extra_block_relay(struct connman *cm)
{
    if (!cm->extra_block_relay)
        LOG_DEBUG(LOG_NET, "enabling extra block-relay-only peers");
    cm->extra_block_relay = true;
}

/* Live automatic outbound connections by kind, and all live ones. */
static void count_kinds(struct connman *cm, int kinds[4], int *total)
{
    memset(kinds, 0, 4 * sizeof(kinds[0]));
    *total = 0;
    for (size_t i = 0; i < cm->nconns; i++) {
        const struct conn *c = cm->conns[i];
        if (c->p->state == PEER_CLOSING)
            continue;
        (*total)++;
        if (is_automatic(c))
            kinds[c->p->kind]++;
    }
}

/* An exponentially distributed wait of that mean (Core's feeler timer). */
static int64_t exp_wait(struct connman *cm, int64_t mean)
{
    double u = (double)((connman_rand(cm) >> 11) + 1) * (1.0 / 9007199254740992.0);
    return (int64_t)(-log(u) * (double)mean);
}

/* Core's order: anchors first, then full-relay slots, then
 * block-relay-only slots; then, in the one spare slot (Core's outbound
 * semaphore holds full + block-relay + 1), an extra full-relay peer while
 * the tip may be stale, an extra block-relay-only one when its timer is
 * due, or a feeler when its timer is. */
static bool next_kind(struct connman *cm, const int kinds[4], int64_t clock,
                      enum peer_kind *kind, bool *anchor)
{
    int used = kinds[PEER_FULL_RELAY] + kinds[PEER_BLOCK_RELAY] + kinds[PEER_FEELER];
    /* Extra peers check the automatic ones' view of the chain: with those
     * off (-maxoutbound=0, no block-relay slots) a node dials only what it
     * was told to, so a regtest network's cut link stays cut. */
    bool automatic = cm->o.max_outbound > 0 || cm->o.max_block_relay > 0;
    *anchor = cm->nanchors > 0 && kinds[PEER_BLOCK_RELAY] < cm->o.max_block_relay;
    if (*anchor)
        *kind = PEER_BLOCK_RELAY;
    else if (kinds[PEER_FULL_RELAY] < cm->o.max_outbound)
        *kind = PEER_FULL_RELAY;
    else if (kinds[PEER_BLOCK_RELAY] < cm->o.max_block_relay)
        *kind = PEER_BLOCK_RELAY;
    else if (used > cm->o.max_outbound + cm->o.max_block_relay)
        return false;
    else if (automatic && cm->try_new_outbound)
        *kind = PEER_FULL_RELAY;
    else if (automatic && cm->extra_block_relay && clock > cm->next_extra_block_relay) {
        cm->next_extra_block_relay = clock + exp_wait(cm, EXTRA_BLOCK_RELAY_INTERVAL);
        *kind = PEER_BLOCK_RELAY;
    } else if (cm->o.feelers && clock > cm->next_feeler && kinds[PEER_FEELER] == 0) {
        cm->next_feeler = clock + exp_wait(cm, FEELER_INTERVAL);
        *kind = PEER_FEELER;
    } else
        return false;
    return true;
}

/* Opens one connection of that kind; false when nothing suits. Feelers
 * test addresses of the new table only. */
static bool open_one(struct connman *cm, enum peer_kind kind, bool anchor, int64_t unix_now)
{
    struct proto_netaddr a;
    char s[NETBASE_ADDR_STRLEN];
    if (anchor) {
        a = cm->anchors[--cm->nanchors];
        if (skip_candidate(cm, &a))
            return true;
        netbase_format(&a, s);
        LOG_INFO("Trying to make an anchor connection to %s", s);
        return dial(cm, &a, NULL, kind) != NULL;
    }
    if (!(kind == PEER_FEELER ? addrman_select_new : addrman_select)(cm->am, unix_now,
                                                                       skip_candidate, cm, &a))
        return false;
    addrman_attempt(cm->am, &a, false, unix_now);
    if (kind == PEER_FEELER) {
        netbase_format(&a, s);
        LOG_DEBUG(LOG_NET, "Making feeler connection to %s", s);
    }
    return dial(cm, &a, NULL, kind) != NULL;
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
    addrrelay_tick(cm, now);
    discovery_tick(cm, connman_clock(cm));
    if (cm->inactive)
        return;
    if (cm->nconnect) { /* -connect: those and nothing else */
        dial_targets(cm, 0, cm->nconnect, now);
        return;
    }
    dial_targets(cm, 0, cm->ntargets, now);
    int64_t clock = connman_clock(cm);
    if (!cm->next_feeler)
        cm->next_feeler = clock + exp_wait(cm, FEELER_INTERVAL);
    if (!cm->next_extra_block_relay)
        cm->next_extra_block_relay = clock + exp_wait(cm, EXTRA_BLOCK_RELAY_INTERVAL);
    for (int k = 0; k < DIAL_PER_TICK; k++) {
        int kinds[4], total;
        enum peer_kind kind;
        bool anchor;
        count_kinds(cm, kinds, &total);
        /* Automatic connections also stay within -maxconnections. */
        if (total >= cm->o.max_connections || !next_kind(cm, kinds, clock, &kind, &anchor) ||
            !open_one(cm, kind, anchor, unix_now))
            break;
    }
}

void outbound_closed(struct connman *cm, struct conn *c)
{
    struct target *t = c->target;
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

void outbound_ready(struct connman *cm, struct conn *c)
{
    struct peer *p = c->p;
    c->handshaked = true;
    if (c->target)
        c->target->backoff = SEC / 2;
    if (!p->inbound) {
        if (!c->target)
            addrman_good(cm->am, &p->addr, (int64_t)time(NULL));
        /* A feeler has done its job: the address answered (now tried). */
        if (p->kind == PEER_FEELER) {
            peer_close(p, "feeler connection completed", false);
            return;
        }
        if (p->kind == PEER_BLOCK_RELAY)
            return; /* no address traffic on block-relay-only links */
    }
    addrrelay_ready(cm, c);
}

/* Core's GetAddresses: the sample minus banned and discouraged addresses
 * (the reply is smaller then, not refilled). */
static size_t fill_getaddr(void *ctx, struct proto_netaddr *out, size_t max)
{
    struct connman *cm = ctx;
    size_t n = addrman_sample(cm->am, connman_clock(cm), out, max), keep = 0;
    for (size_t i = 0; i < n; i++)
        if (!connman_is_banned(cm, &out[i]) && !connman_is_discouraged(cm, &out[i]))
            out[keep++] = out[i];
    return keep;
}

/* Requesters share a cached reply per network and local address (Core's
 * cache id: the network the peer came through and our socket's address). */
static uint64_t getaddr_cache_key(const struct conn *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct proto_netaddr local = {0};
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        netbase_from_sockaddr((struct sockaddr *)&ss, &local);
    uint64_t k = proto_netaddr_is_ipv4(&c->p->addr) ? 1469598103934665603ull : 1099511628211ull;
    for (size_t i = 0; i < 16; i++)
        k = (k ^ local.ip[i]) * 1099511628211ull; /* FNV-1a */
    return k;
}

void outbound_getaddr(struct connman *cm, struct conn *c)
{
    size_t n;
    const struct proto_netaddr *a =
        addrcache_get(cm->addr_cache, getaddr_cache_key(c), connman_clock(cm), connman_rand(cm),
                      fill_getaddr, cm, &n);
    addrrelay_answer(cm, c, a, n);
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
