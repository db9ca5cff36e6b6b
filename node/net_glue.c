/* Starts the connection manager from the configuration. */
#include "node/net_glue.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/conn/connman.h"
#include "net/conn/addrman.h"
#include "net/conn/netbase.h"
#include "net/conn/seeds.h"
#include "net/conn/uptarget.h"
#include "node/clock.h"
#include "node/prune_glue.h"
#include "node/util.h"
#include "chain/util/err.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000LL

const struct config_option net_options[] = {
    { "listen", CONFIG_BOOL, "1", 0, 0, 0,
      "Accept connections from outside (default: 1 if no -connect)." },
    { "bind", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC,
      "Bind to <addr>[:<port>] and listen there (default: all interfaces, IPv4 and IPv6)." },
    { "port", CONFIG_INT, NULL, 1, 65535, CONFIG_NET_SPECIFIC,
      "Listen for connections on <port> (default: 8333, testnet3 18333, testnet4 48333, "
      "signet 38333, regtest 18444)." },
    { "connect", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC,
      "Connect only to <host>[:<port>]; -noconnect makes no outbound connections at all." },
    { "addnode", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC,
      "Add a node to connect to and keep the connection open (reconnecting with backoff)." },
    { "maxconnections", CONFIG_INT, "125", 0, 100000, 0,
      "Maintain at most <n> connections to peers." },
    { "maxoutbound", CONFIG_INT, "8", 0, 1000, 0,
      "Open up to <n> automatic full-relay outbound connections to addresses learned from "
      "peers; 0 also turns off block-relay-only and feeler connections unless asked for." },
    { "maxblockrelay", CONFIG_INT, "2", 0, 100, 0,
      "(testing) Automatic block-relay-only outbound connections; 0 unless set with "
      "-maxoutbound=0." },
    { "feelers", CONFIG_BOOL, "1", 0, 0, 0,
      "(testing) Test an address of the new table about every 2 minutes with a short "
      "connection; off unless set with -maxoutbound=0." },
    { "dnsseed", CONFIG_BOOL, "1", 0, 0, 0,
      "Query for peer addresses via DNS lookup, if low on addresses; off unless set with "
      "-connect." },
    { "forcednsseed", CONFIG_BOOL, "0", 0, 0, 0,
      "Always query for peer addresses via DNS lookup." },
    { "fixedseeds", CONFIG_BOOL, "1", 0, 0, 0,
      "Allow fixed seeds if DNS seeds don't provide peers." },
    { "seednode", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC,
      "Connect to <ip>[:<port>] to retrieve peer addresses, and disconnect. During "
      "startup, seednodes are tried before dnsseeds." },
    { "dnsserver", CONFIG_STRING, NULL, 0, 0, 0,
      "(testing) Send DNS seed lookups to <ip>[:<port>] instead of the system's resolvers." },
    { "dnsseedhost", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "(testing) Use the DNS seed <host> instead of the chain's (also on regtest, "
      "which has none)." },
    { "fixedseed", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "(testing) Use this fixed seed <ip>:<port> instead of the chain's (also on regtest, "
      "which has none)." },
    { "maxsendbuffer", CONFIG_INT, "5000", 1, 1000000, 0,
      "Per-peer unsent data, in KB, before the node stops reading from and serving that peer." },
    { "allowprivateaddrs", CONFIG_BOOL, NULL, 0, 0, 0,
      "Learn, relay and dial loopback and private addresses (default: 1 on regtest, else 0)." },
    { "peertimeout", CONFIG_INT, "60", 1, 86400, 0,
      "(testing) Seconds a new connection has to complete the version handshake." },
    { "pinginterval", CONFIG_INT, "120", 1, 86400, 0, "(testing) Seconds between pings." },
    { "pingtimeout", CONFIG_INT, "1200", 1, 86400, 0,
      "(testing) Seconds to wait for a pong before disconnecting." },
    { "inactivitytimeout", CONFIG_INT, "1200", 1, 86400, 0,
      "(testing) Seconds without any message from a peer before disconnecting it." },
    { "peerstalltimeout", CONFIG_INT, "120", 1, 86400, 0,
      "(testing) Seconds a peer may leave its send buffer full before it is disconnected." },
    { "discouragetime", CONFIG_INT, "86400", 1, 31536000, 0,
      "(testing) Seconds a misbehaving peer's address stays discouraged." },
    { "nettick", CONFIG_INT, "1000", 10, 60000, 0,
      "(testing) Milliseconds between connection housekeeping rounds." },
    { "addnoderetrymax", CONFIG_INT, "60", 1, 3600, 0,
      "(testing) Longest wait, in seconds, between reconnection attempts to -addnode/-connect." },
    { "addrtrickle", CONFIG_INT, "30000", 10, 3600000, 0,
      "(testing) Mean interval, in ms, between addr messages to a peer (Poisson)." },
    { "maxuploadtarget", CONFIG_STRING, "0M", 0, 0, 0,
      "Tries to keep outbound traffic under the given target per 24h. Limit does not apply "
      "to peers with 'download' permission or blocks created within past week. 0 = no limit "
      "(default: 0M). Optional suffix units [k|K|m|M|g|G|t|T] (default: M). Lowercase is "
      "1000 base while uppercase is 1024 base." },
    { "whitelist", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Add permission flags to the peers connecting from the given IP address (e.g. 1.2.3.4) "
      "or CIDR-notated network (e.g. 1.2.3.0/24), as <permissions>@<address>. Permissions: "
      "download (allow historical block download even when the upload target is reached); "
      "Bitcoin Core's others are not supported yet. Can be specified multiple times." },
    { "externalip", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Specify your own public address (<ip>[:<port>]); implies -discover=0 unless set." },
    { "discover", CONFIG_BOOL, NULL, 0, 0, 0,
      "Discover own IP addresses (default: 1 when listening and no -externalip)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* Seed lists: the chain's, or the test options' (loopback test networks).
 * The fixed seeds are malloc'd (the connection manager takes a copy): the
 * caller frees o->fixed_seeds, also on failure. */
static int seed_options(const struct node *node, struct connman_options *o, char **err)
{
    struct proto_netaddr *fixed_seeds = NULL;
    const struct config *cfg = node->cfg;
    size_t nfixed;
    const char *const *fixed = config_get_multi(cfg, "fixedseed", &nfixed);
    o->dns_seeds = config_get_multi(cfg, "dnsseedhost", &o->ndns_seeds);
    if (!o->ndns_seeds)
        o->dns_seeds = seeds_dns_hosts(node->params->type, &o->ndns_seeds);
    o->seednodes = config_get_multi(cfg, "seednode", &o->nseednodes);
    o->dns_server = config_get_str(cfg, "dnsserver");
    /* As Core: -connect turns DNS seeding off unless asked for. */
    o->dnsseed = config_is_set(cfg, "dnsseed") ? config_get_bool(cfg, "dnsseed")
                                               : o->nconnect == 0;
    o->forcednsseed = config_get_bool(cfg, "forcednsseed");
    if (o->forcednsseed && !o->dnsseed)
        return err_set(err, "Cannot set -forcednsseed to true when setting -dnsseed to false.");
    o->fixedseeds = config_get_bool(cfg, "fixedseeds");
    if (!nfixed) {
        char *e = NULL;
        if (seeds_fixed(node->params->type, &fixed_seeds, &o->nfixed_seeds, &e) < 0) {
            err_set(err, "fixed seeds: %s", e);
            free(e);
            return -1;
        }
        o->fixed_seeds = fixed_seeds;
        return 0;
    }
    fixed_seeds = xcalloc(nfixed, sizeof(*fixed_seeds));
    o->fixed_seeds = fixed_seeds;
    for (size_t i = 0; i < nfixed; i++) {
        char *e = NULL;
        if (netbase_parse_endpoint(fixed[i], node->params->default_port, &fixed_seeds[i], &e) < 0) {
            err_set(err, "-fixedseed=%s: %s", fixed[i], e);
            free(e);
            return -1;
        }
        fixed_seeds[i].services = SEEDS_SERVICES;
    }
    o->nfixed_seeds = nfixed;
    return 0;
}

/* "1.2.3.4", "1.2.3.4:8333", "::1" or "[::1]:8333": no name to look up. */
static bool numeric_host(const char *s)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strchr(s, ':');
    size_t len = s[0] == '[' ? strcspn(s + 1, "]") : colon && !strchr(colon + 1, ':')
                                                          ? (size_t)(colon - s) : strlen(s);
    if (len >= sizeof(host))
        return false;
    memcpy(host, s + (s[0] == '['), len);
    host[len] = 0;
    uint8_t buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* -maxuploadtarget, -whitelist and our own addresses. The arrays are
 * malloc'd (the connection manager copies them): the caller frees
 * o->whitelist and o->externalip, also on failure. */
static int local_options(const struct node *node, struct connman_options *o, char **err)
{
    const struct config *cfg = node->cfg;
    const char *up = config_get_str(cfg, "maxuploadtarget");
    if (up && uptarget_parse(up, &o->max_upload) < 0)
        return err_set(err, "Unable to parse -maxuploadtarget: '%s'", up);
    size_t n;
    const char *const *list = config_get_multi(cfg, "whitelist", &n);
    struct connman_whitelist *wl = n ? xcalloc(n, sizeof(*wl)) : NULL;
    o->whitelist = wl;
    for (o->nwhitelist = 0; o->nwhitelist < n; o->nwhitelist++)
        if (connman_parse_whitelist(list[o->nwhitelist], &wl[o->nwhitelist], err) < 0)
            return -1;
    list = config_get_multi(cfg, "externalip", &n);
    struct proto_netaddr *ext = n ? xcalloc(n, sizeof(*ext)) : NULL;
    o->externalip = ext;
    for (o->nexternalip = 0; o->nexternalip < n; o->nexternalip++) {
        const char *s = list[o->nexternalip];
        /* Numeric only: our own address needs no name lookup. */
        if (!numeric_host(s) || netbase_parse_endpoint(s, o->port, &ext[o->nexternalip], NULL) < 0 ||
            !addrman_addr_ok(&ext[o->nexternalip], true))
            return err_set(err, "Cannot resolve -externalip address: '%s'", s);
    }
    /* As Core: an explicit address, or not listening, turns discovery off. */
    o->discover = config_is_set(cfg, "discover") ? config_get_bool(cfg, "discover")
                                                 : o->listen && n == 0;
    return 0;
}

static void options_from_config(const struct node *node, struct connman_options *o)
{
    const struct config *cfg = node->cfg;
    connman_options_default(o);
    memcpy(o->magic, node->params->magic, 4);
    o->default_port = node->params->default_port;
    o->port = config_is_set(cfg, "port") ? (uint16_t)config_get_int(cfg, "port")
                                         : node->params->default_port;
    o->bind = config_get_multi(cfg, "bind", &o->nbind);
    o->connect = config_get_multi(cfg, "connect", &o->nconnect);
    o->addnode = config_get_multi(cfg, "addnode", &o->naddnode);
    /* As in Bitcoin Core: -connect implies -listen=0 unless -bind or
     * -listen says otherwise. */
    o->listen = config_is_set(cfg, "listen") ? config_get_bool(cfg, "listen")
                                             : (o->nconnect == 0 || o->nbind > 0);
    /* The version's relay flag: a blocks-only node asks peers not to
     * announce transactions (Bitcoin Core's -blocksonly). */
    o->relay = !config_get_bool(cfg, "blocksonly");
    o->services = prune_glue_services(cfg, o->services);
    o->no_cmpct = !config_get_bool(cfg, "compactblocks");
    o->max_connections = (int)config_get_int(cfg, "maxconnections");
    o->max_outbound = config_is_negated(cfg, "connect") ? 0 : (int)config_get_int(cfg, "maxoutbound");
    bool automatic = o->max_outbound > 0;
    o->max_block_relay = config_is_set(cfg, "maxblockrelay") ? (int)config_get_int(cfg, "maxblockrelay")
                                                             : automatic ? 2 : 0;
    if (config_is_negated(cfg, "connect"))
        o->max_block_relay = 0;
    o->feelers = config_is_set(cfg, "feelers") ? config_get_bool(cfg, "feelers") : automatic;
    o->clock = node_now;
    o->max_sendbuf = (size_t)config_get_int(cfg, "maxsendbuffer") * 1000;
    o->allow_private = config_is_set(cfg, "allowprivateaddrs")
                           ? config_get_bool(cfg, "allowprivateaddrs")
                           : node->params->type == CHAIN_REGTEST;
    o->timeouts.handshake = config_get_int(cfg, "peertimeout") * SEC;
    o->timeouts.ping_every = config_get_int(cfg, "pinginterval") * SEC;
    o->timeouts.ping_wait = config_get_int(cfg, "pingtimeout") * SEC;
    o->timeouts.inactivity = config_get_int(cfg, "inactivitytimeout") * SEC;
    o->stall_us = config_get_int(cfg, "peerstalltimeout") * SEC;
    o->discourage_secs = config_get_int(cfg, "discouragetime");
    o->tick_us = config_get_int(cfg, "nettick") * 1000;
    o->retry_max_us = config_get_int(cfg, "addnoderetrymax") * SEC;
    o->addr_send_us = config_get_int(cfg, "addrtrickle") * 1000;
}

static int net_start(struct node *node, char **err)
{
    struct connman_options o;
    options_from_config(node, &o);
    char *peers = util_path_join(node->chaindir, "peers");
    o.peers_dir = peers;
    char *anchors = util_path_join(node->chaindir, "anchors.dat");
    o.anchors_path = anchors;
    int rc = seed_options(node, &o, err);
    if (rc == 0)
        rc = local_options(node, &o, err);
    char *e = NULL;
    if (rc == 0)
        node->connman = connman_new(node->base, &o, &e);
    free(peers);
    free(anchors);
    free((void *)o.fixed_seeds);
    free((void *)o.whitelist);
    free((void *)o.externalip);
    if (rc < 0)
        return -1;
    if (!node->connman) {
        err_set(err, "cannot start the P2P layer: %s", e ? e : "out of memory");
        free(e);
        return -1;
    }
    if (connman_start(node->connman, &e) < 0) {
        err_set(err, "%s", e ? e : "cannot start the P2P layer");
        free(e);
        return -1;
    }
    return 0;
}

static void net_stop(struct node *node)
{
    connman_free(node->connman);
    node->connman = NULL;
}

const struct node_subsystem net_subsystem = { "net", net_start, net_stop };
