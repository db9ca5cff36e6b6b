/* This node's side of its connections, as Bitcoin Core keeps it:
 * - its own addresses (Core's mapLocalHost), each with a port and a
 *   score: -externalip (LOCAL_MANUAL; -discover then defaults to off),
 *   with -discover the routable addresses of its interfaces (never
 *   loopback) and of -bind; an address an inbound peer says it reached us
 *   at gains a point. The one advertised to a peer is the best for the
 *   peer's network, or now and then the one that peer saw us at
 *   (GetLocalAddrForPeer), and only a routable one: a private or loopback
 *   address is never advertised. With -allowprivateaddrs (test networks
 *   on one host) the address a peer saw us at counts as routable, as in
 *   the rest of address relay;
 * - the permissions -whitelist grants inbound peers;
 * - the -maxuploadtarget figures. */
#include "net/conn/connman_int.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

/* A valid address, routable unless allow_private; Core's IsRoutable
 * looks at the address alone, not its port. */
static bool addr_ok(const struct proto_netaddr *a, bool allow_private)
{
    struct proto_netaddr x = *a;
    x.port = 1;
    return addrman_addr_ok(&x, allow_private);
}

bool localnode_routable(const struct proto_netaddr *a)
{
    return addr_ok(a, false);
}

/* Routable, or with -allowprivateaddrs any valid address. */
static bool usable(const struct connman *cm, const struct proto_netaddr *a)
{
    return addr_ok(a, cm->o.allow_private);
}

static struct connman_local_addr *find_local(struct connman *cm, const uint8_t ip[16])
{
    for (size_t i = 0; i < cm->nlocal_addrs; i++)
        if (!memcmp(cm->local_addrs[i].addr.ip, ip, 16))
            return &cm->local_addrs[i];
    return NULL;
}

bool localnode_add(struct connman *cm, const struct proto_netaddr *a, int score)
{
    /* Core keeps an unroutable one only on regtest (our -allowprivateaddrs);
     * an invalid one (0.0.0.0, broadcast) never. */
    if (!usable(cm, a))
        return false;
    if (!cm->o.discover && score < LOCALNODE_MANUAL)
        return false;
    struct connman_local_addr *e = find_local(cm, a->ip);
    if (!e && cm->nlocal_addrs == CONNMAN_MAX_LOCAL_ADDRS)
        return false;
    char s[NETBASE_ADDR_STRLEN];
    netbase_format(a, s);
    LOG_INFO("AddLocal(%s,%d)", s, score);
    if (!e) {
        e = &cm->local_addrs[cm->nlocal_addrs++];
        e->addr = *a;
        e->score = score;
    } else if (score >= e->score) {
        e->score = score + 1;
        e->addr.port = a->port;
    }
    return true;
}

void localnode_init(struct connman *cm)
{
    if (cm->o.nwhitelist) {
        cm->whitelist = xreallocarray(NULL, cm->o.nwhitelist, sizeof(*cm->whitelist));
        memcpy(cm->whitelist, cm->o.whitelist, cm->o.nwhitelist * sizeof(*cm->whitelist));
        cm->nwhitelist = cm->o.nwhitelist;
    }
    cm->o.whitelist = NULL;
    for (size_t i = 0; i < cm->o.nexternalip; i++)
        localnode_add(cm, &cm->o.externalip[i], LOCALNODE_MANUAL);
    cm->o.externalip = NULL;
    uptarget_init(&cm->upload, cm->o.max_upload);
}

void localnode_free(struct connman *cm)
{
    free(cm->whitelist);
    cm->whitelist = NULL;
    cm->nwhitelist = 0;
}

void localnode_discover(struct connman *cm)
{
    struct ifaddrs *list;
    if (!cm->o.discover || getifaddrs(&list) != 0)
        return;
    for (const struct ifaddrs *i = list; i; i = i->ifa_next) {
        struct proto_netaddr a;
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || !strcmp(i->ifa_name, "lo") ||
            !strcmp(i->ifa_name, "lo0") || !netbase_from_sockaddr(i->ifa_addr, &a))
            continue;
        a.port = cm->listen_port ? cm->listen_port : cm->o.port;
        char s[NETBASE_ADDR_STRLEN];
        netbase_format(&a, s);
        /* Only routable ones: a private address is no use to the network. */
        if (localnode_routable(&a) && localnode_add(cm, &a, LOCALNODE_IF))
            LOG_INFO("Discover: %s %s: %s", proto_netaddr_is_ipv4(&a) ? "IPv4" : "IPv6",
                     i->ifa_name, s);
    }
    freeifaddrs(list);
}

uint32_t localnode_perms(const struct connman *cm, const struct proto_netaddr *a)
{
    uint32_t perms = 0;
    for (size_t i = 0; i < cm->nwhitelist; i++)
        if (banman_subnet_match(&cm->whitelist[i].subnet, a->ip))
            perms |= cm->whitelist[i].perms;
    return perms;
}

void localnode_ready(struct connman *cm, struct conn *c)
{
    if (!c->p->inbound || !localnode_routable(&c->p->addr_local))
        return;
    struct connman_local_addr *e = find_local(cm, c->p->addr_local.ip);
    if (e)
        e->score++;
}

/* Core's GetReachabilityFrom, for IPv4 and IPv6: how well the peer can
 * reach that address of ours. */
static int reachability(const struct proto_netaddr *ours, const struct proto_netaddr *peer)
{
    if (!localnode_routable(ours))
        return 0; /* unreachable */
    if (proto_netaddr_is_ipv4(ours))
        return 4; /* from any network */
    if (!localnode_routable(peer))
        return 3; /* a weak IPv6 */
    return proto_netaddr_is_ipv4(peer) ? 1 : 5;
}

/* Core's IsPeerAddrLocalGood: the address the peer says it reached us at
 * may be ours. */
static bool peer_view_good(const struct connman *cm, const struct peer *p)
{
    return (cm->o.allow_private || cm->o.discover) && usable(cm, &p->addr) &&
           usable(cm, &p->addr_local);
}

bool localnode_addr_for_peer(struct connman *cm, const struct conn *c, struct proto_netaddr *out)
{
    const struct peer *p = c->p;
    if (!cm->o.listen || !cm->listen_port)
        return false;
    /* Core's GetLocal: the best reachable from the peer, then the best score. */
    const struct connman_local_addr *best = NULL;
    int best_reach = -1;
    for (size_t i = 0; i < cm->nlocal_addrs; i++) {
        const struct connman_local_addr *e = &cm->local_addrs[i];
        int r = reachability(&e->addr, &p->addr);
        if (r > best_reach || (r == best_reach && e->score > best->score)) {
            best = e;
            best_reach = r;
        }
    }
    struct proto_netaddr me = best ? best->addr : (struct proto_netaddr){.port = cm->listen_port};
    /* Sometimes the peer's view, in case it knows our address better. */
    unsigned odds = best && best->score > LOCALNODE_MANUAL ? 8 : 2;
    if (peer_view_good(cm, p) && (!localnode_routable(&me) || connman_rand(cm) % odds == 0)) {
        memcpy(me.ip, p->addr_local.ip, 16);
        /* An outbound peer cannot see our listening port. */
        if (p->inbound && p->addr_local.port)
            me.port = p->addr_local.port;
    }
    if (!usable(cm, &me) || !me.port)
        return false;
    me.services = cm->o.services;
    me.time = (uint32_t)connman_clock(cm);
    char s[NETBASE_ADDR_STRLEN];
    netbase_format(&me, s);
    LOG_DEBUG(LOG_NET, "Advertising address %s to peer=%" PRIu64, s, p->id);
    *out = me;
    return true;
}

size_t connman_local_addrs(struct connman *cm, struct connman_local_addr *out, size_t cap)
{
    for (size_t i = 0; i < cm->nlocal_addrs && i < cap; i++)
        out[i] = cm->local_addrs[i];
    return cm->nlocal_addrs;
}

/* Bitcoin Core's other permission names (and connection directions). */
static bool core_permission(const char *f, size_t len)
{
    static const char *const names[] = {"bloomfilter", "noban", "forcerelay", "relay",
                                        "mempool", "addr", "all", "in", "out"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && !memcmp(f, names[i], len))
            return true;
    return false;
}

int connman_parse_whitelist(const char *s, struct connman_whitelist *out, char **err)
{
    const char *at = strchr(s, '@');
    memset(out, 0, sizeof(*out));
    if (!at)
        return err_set(err, "-whitelist=%s: name the permissions (download@<subnet>); "
                            "only download is supported", s);
    for (const char *f = s; f < at;) {
        const char *end = memchr(f, ',', (size_t)(at - f));
        size_t len = (size_t)((end ? end : at) - f);
        if (len == 8 && !memcmp(f, "download", 8))
            out->perms |= NET_PERM_DOWNLOAD;
        else if (core_permission(f, len))
            return err_set(err, "-whitelist: the %.*s permission is not supported", (int)len, f);
        else if (len)
            return err_set(err, "Invalid P2P permission: '%.*s'", (int)len, f);
        f += len + (end != NULL);
    }
    if (!banman_parse_subnet(at + 1, &out->subnet))
        return err_set(err, "Invalid netmask specified in -whitelist: '%s'", at + 1);
    return 0;
}

bool connman_peer_has_permission(struct connman *cm, uint64_t id, uint32_t perm)
{
    const struct conn *c = connman_find(cm, id);
    return c && (c->perms & perm) == perm;
}

bool connman_upload_target_reached(struct connman *cm, bool historical)
{
    return uptarget_reached(&cm->upload, historical, connman_clock(cm));
}

void connman_upload_status(struct connman *cm, struct connman_upload *out)
{
    int64_t now = connman_clock(cm);
    out->timeframe = UPTARGET_TIMEFRAME;
    out->target = cm->upload.limit;
    out->target_reached = uptarget_reached(&cm->upload, false, now);
    out->serve_historical_blocks = !uptarget_reached(&cm->upload, true, now);
    out->bytes_left = uptarget_bytes_left(&cm->upload);
    out->time_left = uptarget_time_left(&cm->upload, now);
}
