/* Peer discovery as Bitcoin Core does it (net.cpp ThreadDNSAddressSeed and
 * the seed parts of ThreadOpenConnections), as a state machine run from
 * the housekeeping tick on the node's clock:
 * - -seednode: while fewer than 2 full-relay outbound peers, another seed
 *   node every 10 s (the first at once when the address manager is empty)
 *   as an addr-fetch connection: getaddr, then disconnect. DNS seeding
 *   waits up to 30 s for them.
 * - DNS seeds (-dnsseed): all of them at once when the address manager is
 *   empty (or -forcednsseed); otherwise 3 at a time, each round after a
 *   wait of 11 s (5 min with 1000+ addresses), stopping as soon as 2
 *   full-relay outbound peers are up. A seed is asked for "x9.<name>"
 *   (peers with NODE_NETWORK | NODE_WITNESS); a seed with no answer there
 *   gets an addr-fetch connection to its own name instead. Lookups use
 *   libevent's evdns on the node's loop, one seed at a time as Core.
 * - Fixed seeds (-fixedseeds): added when the address manager is still
 *   empty 60 s after start, or at once when there is no other source
 *   (no -dnsseed, -seednode or -addnode). */
#include "net/conn/connman_int.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"
#include "net/conn/seeds.h"

#include <event2/dns.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000LL
#define SEED_OUTBOUND_THRESHOLD 2
#define SEEDNODE_TIMEOUT 30
#define ADD_NEXT_SEEDNODE 10
#define DNSSEEDS_AT_ONCE 3
#define DNSSEEDS_DELAY_FEW 11
#define DNSSEEDS_DELAY_MANY 300
#define DNSSEEDS_MANY_PEERS 1000
#define FIXED_SEEDS_DELAY 60
#define ADDR_FETCH_TIMEOUT (300 * SEC) /* Core: 10 x the 30 s addr broadcast */
#define MAX_DNS_ANSWERS 256
#define DAY 86400

enum dns_phase { DNS_OFF, DNS_SEEDNODES, DNS_START, DNS_NEXT, DNS_WAIT, DNS_LOOKUP };

struct discovery {
    struct connman *cm;
    int64_t start;
    /* DNS seeding */
    enum dns_phase phase;
    struct evdns_base *dns;
    const char **hosts; /* shuffled */
    size_t nhosts, next_host;
    size_t right_now;   /* seeds to query before checking for peers again */
    int64_t wait_time, wait_until;
    int pending;        /* lookups in flight for the current seed */
    int found, found_host;
    /* -seednode and addr-fetch */
    const char **seednodes; /* shuffled; taken from the end */
    size_t nseednodes;
    bool add_addr_fetch;
    int64_t seednode_timer;
    bool add_fixed;
    struct proto_netaddr *fixed; /* a copy of the options' fixed seeds */
    size_t nfixed;
    struct lookup *lookups; /* in flight: freed here if never answered */
};

struct lookup {
    struct discovery *d;
    const char *host; /* the seed's name (in d->hosts) */
    bool fetch;       /* resolving the seed itself for an addr-fetch connection */
    struct lookup *prev, *next; /* in flight, in d->lookups */
};

static void shuffle(struct connman *cm, const char **v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(connman_rand(cm) % i);
        const char *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static const char **copy_list(struct connman *cm, const char *const *src, size_t n)
{
    const char **v = xcalloc(n, sizeof(*v));
    if (n) /* src may be NULL then */
        memcpy(v, src, n * sizeof(*v));
    shuffle(cm, v, n);
    return v;
}

int discovery_init(struct connman *cm, char **err)
{
    struct discovery *d = xcalloc(1, sizeof(*d));
    cm->discovery = d;
    d->cm = cm;
    d->hosts = copy_list(cm, cm->o.dns_seeds, cm->o.ndns_seeds);
    d->nhosts = cm->o.ndns_seeds;
    d->seednodes = copy_list(cm, cm->o.seednodes, cm->o.nseednodes);
    d->nseednodes = cm->o.nseednodes;
    d->nfixed = cm->o.nfixed_seeds;
    d->fixed = xcalloc(d->nfixed ? d->nfixed : 1, sizeof(*d->fixed));
    if (d->nfixed)
        memcpy(d->fixed, cm->o.fixed_seeds, d->nfixed * sizeof(*d->fixed));
    cm->o.fixed_seeds = NULL; /* the caller's copy may go */
    return 0;
}

void discovery_free(struct connman *cm)
{
    struct discovery *d = cm->discovery;
    if (!d)
        return;
    /* Without callbacks: libevent would defer them to a loop that no
     * longer runs. The lookups still in flight are freed here instead. */
    if (d->dns)
        evdns_base_free(d->dns, 0);
    while (d->lookups) {
        struct lookup *l = d->lookups;
        d->lookups = l->next;
        free(l);
    }
    free(d->hosts);
    free(d->seednodes);
    free(d->fixed);
    free(d);
    cm->discovery = NULL;
}

static struct evdns_base *dns_base(struct discovery *d)
{
    if (d->dns)
        return d->dns;
    const char *server = d->cm->o.dns_server;
    d->dns = evdns_base_new(d->cm->base, server ? 0 : EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (d->dns && server && evdns_base_nameserver_ip_add(d->dns, server) != 0) {
        LOG_WARN("-dnsserver=%s: not an ip[:port]", server);
        evdns_base_free(d->dns, 0);
        d->dns = NULL;
    }
    return d->dns;
}

static void addr_fetch_dial(struct connman *cm, const struct proto_netaddr *a, const char *name)
{
    char s[NETBASE_ADDR_STRLEN];
    netbase_format(a, s);
    LOG_INFO("addr-fetch connection to %s (%s)", s, name);
    outbound_dial(cm, a, PEER_ADDR_FETCH);
}

/* Answers for one seed: A and AAAA records, or the seed's own address. */
static void add_answers(struct lookup *l, char type, int count, const void *addresses)
{
    struct connman *cm = l->d->cm;
    int64_t now = connman_clock(cm);
    struct proto_netaddr src;
    seeds_source(l->host, &src);
    for (int i = 0; i < count && i < MAX_DNS_ANSWERS; i++) {
        struct proto_netaddr a = {.services = SEEDS_SERVICES, .port = cm->o.default_port};
        if (type == DNS_IPv4_A) {
            a.ip[10] = a.ip[11] = 0xff;
            memcpy(a.ip + 12, (const uint8_t *)addresses + 4 * i, 4);
        } else {
            memcpy(a.ip, &((const struct in6_addr *)addresses)[i], 16);
        }
        if (l->fetch) { /* the seed itself: one connection is enough */
            addr_fetch_dial(cm, &a, l->host);
            return;
        }
        /* Between 3 and 7 days old, as Core files seed answers. */
        a.time = (uint32_t)(now - 3 * DAY - (int64_t)(connman_rand(cm) % (4 * DAY)));
        addrman_add(cm->am, &a, &src, now);
        l->d->found++;
        l->d->found_host++;
    }
}

static void lookup_done(int result, char type, int count, int ttl, void *addresses, void *arg);

static void forget(struct lookup *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        l->d->lookups = l->next;
    if (l->next)
        l->next->prev = l->prev;
    free(l);
}

/* One query (A, or AAAA with ipv6); false when it could not be sent. */
static bool resolve(struct discovery *d, const char *host, const char *name, bool fetch,
                    bool ipv6)
{
    struct evdns_base *dns = dns_base(d);
    if (!dns)
        return false;
    struct lookup *l = xmalloc(sizeof(*l));
    *l = (struct lookup){d, host, fetch, NULL, d->lookups};
    if (d->lookups)
        d->lookups->prev = l;
    d->lookups = l;
    struct evdns_request *r =
        ipv6 ? evdns_base_resolve_ipv6(dns, name, DNS_QUERY_NO_SEARCH, lookup_done, l)
             : evdns_base_resolve_ipv4(dns, name, DNS_QUERY_NO_SEARCH, lookup_done, l);
    if (!r)
        forget(l);
    return r != NULL;
}

static void lookup_done(int result, char type, int count, int ttl, void *addresses, void *arg)
{
    struct lookup *l = arg;
    struct discovery *d = l->d;
    if (result == DNS_ERR_NONE && count > 0 && (type == DNS_IPv4_A || type == DNS_IPv6_AAAA))
        add_answers(l, type, count, addresses);
    else if (result != DNS_ERR_NONE && result != DNS_ERR_SHUTDOWN)
        LOG_DEBUG(LOG_NET, "DNS lookup for %s: %s", l->host, evdns_err_to_string(result));
    if (!l->fetch && --d->pending == 0 && d->phase == DNS_LOOKUP) {
        d->phase = DNS_NEXT;
        /* The seed serves no x9 subdomain: ask a peer it names instead. */
        if (!d->found_host && result != DNS_ERR_SHUTDOWN)
            resolve(d, l->host, l->host, true, false);
    }
    forget(l);
}

static void query_seed(struct discovery *d, const char *host)
{
    char name[300];
    LOG_INFO("Loading addresses from DNS seed %s", host);
    d->found_host = 0;
    d->phase = DNS_LOOKUP;
    if (seeds_service_name(host, name, sizeof(name)) < 0) {
        d->phase = DNS_NEXT;
        return;
    }
    d->pending = 2; /* before sending: an answer may come at once */
    for (int v6 = 0; v6 < 2; v6++)
        if (!resolve(d, host, name, false, v6))
            d->pending--;
    if (d->pending == 0)
        d->phase = DNS_NEXT;
}

static void dns_finish(struct discovery *d, const char *why)
{
    if (why) {
        if (d->found)
            LOG_INFO("%d addresses found from DNS seeds", d->found);
        LOG_INFO("%s", why);
    } else {
        LOG_INFO("%d addresses found from DNS seeds", d->found);
    }
    d->phase = DNS_OFF;
}

/* The next step of Core's ThreadDNSAddressSeed loop. */
static void dns_step(struct discovery *d, int64_t now)
{
    struct connman *cm = d->cm;
    int full = outbound_full_count(cm);
    switch (d->phase) {
    case DNS_SEEDNODES:
        if (full >= SEED_OUTBOUND_THRESHOLD) {
            LOG_INFO("P2P peers available. Finished fetching data from seed nodes.");
        } else if (now > d->start + SEEDNODE_TIMEOUT) {
            LOG_INFO("Couldn't connect to enough peers via seed nodes. "
                     "Handing fetch logic to the DNS seeds.");
            full = 0;
        } else {
            return;
        }
        d->right_now = cm->o.forcednsseed || addrman_size(cm->am) == 0 ? d->nhosts : 0;
        if (full >= SEED_OUTBOUND_THRESHOLD && !d->right_now) {
            dns_finish(d, "Skipping DNS seeds. Enough peers have been found");
            return;
        }
        d->phase = DNS_NEXT;
        break;
    case DNS_START:
        d->right_now = cm->o.forcednsseed || addrman_size(cm->am) == 0 ? d->nhosts : 0;
        d->phase = DNS_NEXT;
        break;
    case DNS_WAIT:
        if (full >= SEED_OUTBOUND_THRESHOLD) {
            dns_finish(d, d->found ? "P2P peers available. Finished DNS seeding."
                                   : "P2P peers available. Skipped DNS seeding.");
            return;
        }
        if (now < d->wait_until)
            return;
        d->phase = DNS_NEXT;
        break;
    case DNS_NEXT:
        break;
    default:
        return;
    }
    if (d->next_host == d->nhosts) {
        dns_finish(d, NULL);
        return;
    }
    if (d->right_now == 0) {
        d->right_now = DNSSEEDS_AT_ONCE;
        if (addrman_size(cm->am) > 0 && d->wait_time > 0) {
            LOG_INFO("Waiting %" PRId64 " seconds before querying DNS seeds.", d->wait_time);
            d->wait_until = now + d->wait_time;
            d->phase = DNS_WAIT;
            return;
        }
    }
    if (cm->inactive)
        return; /* held until the network is switched back on */
    d->right_now--;
    query_seed(d, d->hosts[d->next_host++]);
}

static void dns_begin(struct discovery *d, int64_t now)
{
    struct connman *cm = d->cm;
    if (!cm->o.dnsseed) {
        LOG_INFO("DNS seeding disabled");
        d->phase = DNS_OFF;
        return;
    }
    d->wait_time = addrman_size(cm->am) >= DNSSEEDS_MANY_PEERS ? DNSSEEDS_DELAY_MANY
                                                                : DNSSEEDS_DELAY_FEW;
    if (d->nseednodes) {
        LOG_INFO("-seednode enabled. Trying the provided seeds for %d seconds before "
                 "defaulting to the dnsseeds.", SEEDNODE_TIMEOUT);
        d->phase = DNS_SEEDNODES;
    } else {
        d->phase = DNS_START;
    }
}

/* Core's fixed seeds rule: empty address manager, and 60 s gone or no
 * other source of addresses at all. */
static void maybe_add_fixed(struct discovery *d, int64_t now)
{
    struct connman *cm = d->cm;
    if (!d->add_fixed || addrman_size(cm->am) > 0)
        return;
    if (now > d->start + FIXED_SEEDS_DELAY) {
        LOG_INFO("Adding fixed seeds as 60 seconds have passed and addrman is empty");
    } else if (!cm->o.dnsseed && !cm->o.nseednodes && cm->ntargets == 0) {
        LOG_INFO("Adding fixed seeds as -dnsseed=0 and neither -addnode nor -seednode "
                 "are provided");
    } else {
        return;
    }
    struct proto_netaddr src;
    seeds_source("fixedseeds", &src);
    for (size_t i = 0; i < d->nfixed; i++) {
        struct proto_netaddr a = d->fixed[i];
        /* One to two weeks old, as Core's ConvertSeeds. */
        a.time = (uint32_t)(now - 7 * DAY - (int64_t)(connman_rand(cm) % (7 * DAY)));
        addrman_add(cm->am, &a, &src, now);
    }
    LOG_INFO("Added %zu fixed seeds from reachable networks.", d->nfixed);
    d->add_fixed = false;
}

/* -seednode: one more addr-fetch connection every 10 s while fewer than
 * two full-relay outbound peers are up. */
static void seednodes_step(struct discovery *d, int64_t now)
{
    struct connman *cm = d->cm;
    if (d->nseednodes && outbound_full_count(cm) < SEED_OUTBOUND_THRESHOLD &&
        now > d->seednode_timer + ADD_NEXT_SEEDNODE) {
        d->seednode_timer = now;
        d->add_addr_fetch = true;
    }
    if (!d->add_addr_fetch || !d->nseednodes || cm->inactive)
        return;
    d->add_addr_fetch = false;
    const char *seed = d->seednodes[--d->nseednodes];
    struct proto_netaddr a;
    char *err = NULL;
    if (netbase_parse_endpoint(seed, cm->o.default_port, &a, &err) < 0) {
        LOG_WARN("-seednode=%s: %s", seed, err);
        free(err);
        return;
    }
    addr_fetch_dial(cm, &a, seed);
}

/* Addr-fetch peers that never answer our getaddr go after a while. */
static void expire_addr_fetch(struct connman *cm)
{
    int64_t now = connman_now();
    for (size_t i = 0; i < cm->nconns; i++) {
        struct peer *p = cm->conns[i]->p;
        if (p->kind == PEER_ADDR_FETCH && !p->inbound && p->state != PEER_CLOSING &&
            now - p->connected > ADDR_FETCH_TIMEOUT)
            peer_close(p, "addrfetch connection timeout", false);
    }
}

void discovery_tick(struct connman *cm, int64_t now)
{
    struct discovery *d = cm->discovery;
    if (!d->start) {
        d->start = now;
        d->seednode_timer = now;
        d->add_fixed = cm->o.fixedseeds;
        d->add_addr_fetch = addrman_size(cm->am) == 0 && d->nseednodes > 0;
        if (!d->add_fixed)
            LOG_INFO("Fixed seeds are disabled");
        dns_begin(d, now);
    }
    if (d->phase != DNS_OFF && d->phase != DNS_LOOKUP)
        dns_step(d, now);
    if (cm->nconnect) /* -connect: no automatic connections of any kind */
        return;
    seednodes_step(d, now);
    maybe_add_fixed(d, now);
    expire_addr_fetch(cm);
}

bool connman_add_address(struct connman *cm, const struct proto_netaddr *a, bool tried)
{
    int64_t now = connman_clock(cm);
    struct proto_netaddr e = *a;
    e.time = (uint32_t)now;
    if (!addrman_add(cm->am, &e, &e, now))
        return false;
    if (tried)
        addrman_good(cm->am, &e, now);
    return true;
}

struct proto_netaddr *connman_node_addresses(struct connman *cm, int net, size_t max, size_t *n)
{
    size_t size = addrman_size(cm->am);
    if (max == 0 || max > size)
        max = size;
    struct proto_netaddr *out = xcalloc(max ? max : 1, sizeof(*out));
    *n = addrman_sample_all(cm->am, connman_clock(cm), net, out, max);
    return out;
}

void connman_addrman_info(struct connman *cm, struct connman_addrman_info *out)
{
    addrman_net_counts(cm->am, true, &out->new_ipv4, &out->tried_ipv4);
    addrman_net_counts(cm->am, false, &out->new_ipv6, &out->tried_ipv6);
}
