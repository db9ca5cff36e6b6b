/* The "network" RPC methods (Bitcoin Core's src/rpc/net.cpp): getpeerinfo,
 * getnetworkinfo, getconnectioncount, getnettotals, addnode,
 * disconnectnode, getaddednodeinfo, setnetworkactive, ping; and hearsay's
 * getgossipinfo. Bans and setmocktime are in node/rpc/rpc_net_admin.c. */
#include "node/rpc/rpc_net.h"

#include "chain/mempool/mempool.h"
#include "net/conn/connman.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"
#include "net/relay/relay.h"
#include "net/relay/txrecon.h"
#include "node/clock.h"
#include "node/relay_glue.h"
#include "node/rpc/rpc_glue.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define US_PER_SEC 1e6

/* ---- shared helpers ---- */

struct connman *rpc_net_connman(struct rpc_request *req)
{
    struct node *node = req->ctx;
    if (!node->connman)
        rpc_fail(req, RPC_CLIENT_P2P_DISABLED,
                 "Error: Peer-to-peer functionality missing or disabled");
    return node->connman;
}

/* The handshaked peers' ids (malloc'd, count in *n); NULL when there are
 * none or memory is short. */
static uint64_t *peer_ids(struct connman *cm, size_t *n)
{
    *n = connman_peers(cm, NULL, 0);
    uint64_t *ids = *n ? xmalloc(*n * sizeof(*ids)) : NULL;
    if (!ids)
        *n = 0;
    else
        connman_peers(cm, ids, *n); /* the same count: nothing runs in between */
    return ids;
}

/* The added nodes (malloc'd, count in *n), as peer_ids. */
static struct connman_added_node *added_nodes(struct connman *cm, size_t *n)
{
    *n = connman_added_nodes(cm, NULL, 0);
    struct connman_added_node *v = *n ? xmalloc(*n * sizeof(*v)) : NULL;
    if (!v)
        *n = 0;
    else
        connman_added_nodes(cm, v, *n);
    return v;
}

static const struct {
    uint64_t bit;
    const char *name;
} SERVICE_NAMES[] = {
    {1, "NETWORK"}, {2, "GETUTXO"}, {4, "BLOOM"}, {8, "WITNESS"},
    {64, "COMPACT_FILTERS"}, {1024, "NETWORK_LIMITED"}, {2048, "P2P_V2"},
};

static json_t *services_names(uint64_t services)
{
    json_t *a = json_array();
    for (unsigned b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        if (!(services & bit))
            continue;
        const char *name = NULL;
        for (size_t i = 0; i < sizeof(SERVICE_NAMES) / sizeof(SERVICE_NAMES[0]); i++)
            if (SERVICE_NAMES[i].bit == bit)
                name = SERVICE_NAMES[i].name;
        char buf[32];
        if (!name) {
            snprintf(buf, sizeof(buf), "UNKNOWN[2^%u]", b);
            name = buf;
        }
        json_array_append_new(a, json_string(name));
    }
    return a;
}

static json_t *services_hex(uint64_t services)
{
    char buf[17];
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)services);
    return json_string(buf);
}

/* "1.2.3.4:8333" or "[::1]:18444" to 16 bytes (false if neither). */
static bool endpoint_ip(const char *s, uint8_t ip[16])
{
    char host[64];
    const char *colon = strrchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    if (*s == '[' && len >= 2 && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(host))
        return false;
    memcpy(host, s, len);
    host[len] = '\0';
    struct banman_subnet sn; /* a bare address parses as a single-address subnet */
    if (!banman_parse_subnet(host, &sn))
        return false;
    memcpy(ip, sn.ip, 16);
    return true;
}

/* Core's GetNetClass: unroutable addresses (loopback, private, link-local,
 * documentation...) are "not_publicly_routable", the rest ipv4 or ipv6. */
static const char *network_name(const char *addr)
{
    uint8_t ip[16];
    if (!endpoint_ip(addr, ip))
        return "not_publicly_routable";
    static const uint8_t v4map[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(ip, v4map, 12) == 0) {
        const uint8_t *a = ip + 12;
        bool local = a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
                     (a[0] == 172 && a[1] >= 16 && a[1] <= 31) || (a[0] == 192 && a[1] == 168) ||
                     (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 198 && (a[1] & 0xfe) == 18) ||
                     (a[0] == 192 && a[1] == 0 && a[2] == 2) || a[0] >= 240;
        return local ? "not_publicly_routable" : "ipv4";
    }
    static const uint8_t zero[15] = {0};
    bool local = memcmp(ip, zero, 15) == 0 /* :: and ::1 */ || (ip[0] & 0xfe) == 0xfc ||
                 (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) ||
                 (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8);
    return local ? "not_publicly_routable" : "ipv6";
}

static json_t *counters_json(const struct relay_counters *c)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                     "inv_sent", (json_int_t)c->inv_sent, "inv_received",
                     (json_int_t)c->inv_received, "inv_dup", (json_int_t)c->inv_dup,
                     "headers_sent", (json_int_t)c->headers_sent, "requests",
                     (json_int_t)c->requests, "timeouts", (json_int_t)c->timeouts, "notfound",
                     (json_int_t)c->notfound, "getdata_received",
                     (json_int_t)c->getdata_received, "dup_payload",
                     (json_int_t)c->dup_payload, "push_useful", (json_int_t)c->push_useful,
                     "push_useless", (json_int_t)c->push_useless, "pulls_sent",
                     (json_int_t)c->pulls_sent, "pulls_received", (json_int_t)c->pulls_received);
}

/* ---- getpeerinfo ---- */

static json_t *per_msg(const struct peer_msg_stats *s)
{
    json_t *o = json_object();
    for (int c = 0; c < PROTO_CMD_COUNT; c++)
        if (s[c].bytes)
            json_object_set_new(o, proto_cmd_name((enum proto_cmd)c),
                                json_integer((json_int_t)s[c].bytes));
    return o;
}

static void set_seconds(json_t *o, const char *key, int64_t us)
{
    if (us >= 0)
        json_object_set_new(o, key, json_real((double)us / US_PER_SEC));
}

/* Fields the connection manager knows. */
static void peer_conn_fields(json_t *o, const struct net_peer_stats *st,
                             const struct connman_peer_extra *ex)
{
    json_object_set_new(o, "id", json_integer((json_int_t)st->props.id));
    json_object_set_new(o, "addr", json_string(st->addr));
    if (ex->addr_bind[0])
        json_object_set_new(o, "addrbind", json_string(ex->addr_bind));
    if (st->addr_local[0])
        json_object_set_new(o, "addrlocal", json_string(st->addr_local));
    json_object_set_new(o, "network", json_string(network_name(st->addr)));
    json_object_set_new(o, "services", services_hex(st->props.services));
    json_object_set_new(o, "servicesnames", services_names(st->props.services));
    json_object_set_new(o, "relaytxes", json_boolean(st->props.relay));
    json_object_set_new(o, "lastsend", json_integer(st->last_send));
    json_object_set_new(o, "lastrecv", json_integer(st->last_recv));
    json_object_set_new(o, "bytessent", json_integer((json_int_t)st->bytes_sent));
    json_object_set_new(o, "bytesrecv", json_integer((json_int_t)st->bytes_recv));
    json_object_set_new(o, "conntime", json_integer(st->conn_time));
    json_object_set_new(o, "timeoffset", json_integer(ex->time_offset));
    set_seconds(o, "pingtime", st->ping_us);
    set_seconds(o, "minping", st->min_ping_us);
    set_seconds(o, "pingwait", st->ping_wait_us);
    json_object_set_new(o, "version", json_integer(st->props.version));
    json_object_set_new(o, "subver", json_string(st->user_agent));
    json_object_set_new(o, "inbound", json_boolean(st->props.inbound));
    json_object_set_new(o, "startingheight", json_integer(st->props.start_height));
    /* Core's SetupAddressRelay: never on block-relay-only links. */
    json_object_set_new(o, "addr_relay_enabled",
                        json_boolean(strcmp(st->connection_type, "block-relay-only") != 0));
    json_object_set_new(o, "addr_processed", json_integer((json_int_t)ex->addr_processed));
    json_object_set_new(o, "addr_rate_limited", json_integer((json_int_t)ex->addr_rate_limited));
    json_t *perms = json_array();
    if (ex->permissions & NET_PERM_DOWNLOAD)
        json_array_append_new(perms, json_string("download"));
    json_object_set_new(o, "permissions", perms);
    json_object_set_new(o, "minfeefilter", rpc_amount(st->feefilter));
    json_object_set_new(o, "bytessent_per_msg", per_msg(st->sent));
    json_object_set_new(o, "bytesrecv_per_msg", per_msg(st->recv));
    json_object_set_new(o, "connection_type", json_string(st->connection_type));
    json_object_set_new(o, "transport_protocol_type", json_string("v1"));
    json_object_set_new(o, "session_id", json_string(""));
}

/* BIP330 reconciliation counters. */
static json_t *txrecon_json(const struct txrecon_counters *c)
{
    const struct {
        const char *name;
        uint64_t v;
    } f[] = {
        {"rounds", c->rounds},
        {"sketches_sent", c->sketches_sent},
        {"sketches_received", c->sketches_received},
        {"sketch_bytes_sent", c->sketch_bytes_sent},
        {"sketch_bytes_received", c->sketch_bytes_received},
        {"decode_failures", c->decode_failures},
        {"extensions", c->extensions},
        {"fallbacks", c->fallbacks},
        {"differences", c->differences},
        {"announced", c->announced},
        {"asked", c->asked},
        {"answers", c->answers},
        {"bytes_sent", c->bytes_sent},
        {"bytes_received", c->bytes_received},
    };
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        json_object_set_new(o, f[i].name, json_integer((json_int_t)f[i].v));
    return o;
}

/* The relay core's view of one peer, for getpeerinfo and getgossipinfo. */
static json_t *peer_gossip_json(const struct relay_peer_info *ri, const struct netproc *np,
                                uint64_t id)
{
    json_t *g = counters_json(&ri->counters);
    json_object_set_new(g, "queued", json_integer((json_int_t)ri->queued));
    json_object_set_new(g, "known_memory", json_integer((json_int_t)ri->known_memory));
    json_object_set_new(g, "tracked", json_integer((json_int_t)ri->tracked));
    json_object_set_new(g, "in_flight", json_integer((json_int_t)ri->in_flight));
    struct netproc_peer_info pi;
    if (np && netproc_get_peer_info(np, id, &pi)) {
        json_object_set_new(g, "blocks_in_flight", json_integer((json_int_t)pi.blocks_in_flight));
        json_object_set_new(g, "reconciles", json_boolean(pi.reconciles));
    }
    struct txrecon_counters tc;
    if (np && netproc_txrecon_peer(np, id, &tc))
        json_object_set_new(g, "txreconciliation", txrecon_json(&tc));
    return g;
}

/* BIP152 counters (getpeerinfo per peer, getgossipinfo in total). */
static json_t *cmpct_json(const struct netproc_cmpct_counters *c)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "received", (json_int_t)c->received,
                     "sent", (json_int_t)c->sent, "reconstructed", (json_int_t)c->reconstructed,
                     "getblocktxn_sent", (json_int_t)c->getblocktxn_sent, "txs_requested",
                     (json_int_t)c->txs_requested, "blocktxn_sent", (json_int_t)c->blocktxn_sent,
                     "full_fallbacks", (json_int_t)c->full_fallbacks);
}

/* netproc's time of an event (the relay clock, monotonic microseconds) as
 * Unix seconds on the node's clock, which setmocktime moves; 0 for never,
 * as Core. */
static json_t *event_unix_time(int64_t at)
{
    if (at < 0)
        return json_integer(0);
    return json_integer(node_now() - (relay_glue_now() - at) / (int64_t)US_PER_SEC);
}

/* Fields of block download and relay. Without netproc's view of
 * the peer, Core's "never"/"unknown" (0, -1). */
static void peer_relay_fields(json_t *o, const struct node *node, uint64_t id)
{
    const struct netproc *np = relay_glue_netproc(node);
    struct netproc_peer_info pi;
    if (!np || !netproc_get_peer_info(np, id, &pi))
        pi = (struct netproc_peer_info){.synced_headers = -1, .presynced_headers = -1,
                                        .synced_blocks = -1, .last_tx = -1, .last_block = -1};
    json_object_set_new(o, "last_transaction", event_unix_time(pi.last_tx));
    json_object_set_new(o, "last_block", event_unix_time(pi.last_block));
    json_object_set_new(o, "bip152_hb_to", json_boolean(pi.bip152_hb_to));
    json_object_set_new(o, "bip152_hb_from", json_boolean(pi.bip152_hb_from));
    json_object_set_new(o, "compactblocks", cmpct_json(&pi.cmpct));
    json_object_set_new(o, "presynced_headers", json_integer(pi.presynced_headers));
    json_object_set_new(o, "synced_headers", json_integer(pi.synced_headers));
    json_object_set_new(o, "synced_blocks", json_integer(pi.synced_blocks));
    json_t *inflight = json_array();
    for (size_t i = 0; i < pi.blocks_in_flight; i++)
        json_array_append_new(inflight, json_integer(pi.inflight[i]));
    json_object_set_new(o, "inflight", inflight);
    struct relay_peer_info ri;
    if (node->relay && relay_get_peer_info(node->relay, id, &ri) == 0)
        json_object_set_new(o, "gossip", peer_gossip_json(&ri, np, id));
}

static json_t *rpc_getpeerinfo(struct rpc_request *req)
{
    struct node *node = req->ctx;
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    size_t n;
    uint64_t *ids = peer_ids(cm, &n);
    struct net_peer_stats *st = xmalloc(sizeof(*st));
    json_t *list = json_array();
    if (!list) {
        free(ids);
        free(st);
        json_decref(list);
        return rpc_fail(req, RPC_OUT_OF_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct connman_peer_extra ex;
        if (!connman_peer_stats(cm, ids[i], st) || !connman_peer_extra(cm, ids[i], &ex))
            continue;
        json_t *o = json_object();
        peer_conn_fields(o, st, &ex);
        peer_relay_fields(o, node, ids[i]);
        json_array_append_new(list, o);
    }
    free(ids);
    free(st);
    return list;
}

/* ---- getnetworkinfo, getconnectioncount, getnettotals ---- */

/* Core's median of the peers' clock offsets. */
static int64_t median_offset(struct connman *cm)
{
    size_t n, k = 0;
    uint64_t *ids = peer_ids(cm, &n);
    int64_t *off = n ? xmalloc(n * sizeof(*off)) : NULL;
    for (size_t i = 0; off && i < n; i++) {
        struct connman_peer_extra ex;
        if (connman_peer_extra(cm, ids[i], &ex))
            off[k++] = ex.time_offset;
    }
    free(ids);
    for (size_t i = 1; i < k; i++) /* insertion sort: a few hundred at most */
        for (size_t j = i; j > 0 && off[j - 1] > off[j]; j--) {
            int64_t t = off[j];
            off[j] = off[j - 1];
            off[j - 1] = t;
        }
    int64_t median = k ? off[k / 2] : 0;
    free(off);
    return median;
}

static json_t *networks_json(void)
{
    static const char *const names[] = {"ipv4", "ipv6", "onion", "i2p", "cjdns"};
    json_t *a = json_array();
    for (size_t i = 0; i < 5; i++) {
        bool reachable = i < 2; /* no proxies, no Tor/I2P/CJDNS */
        json_array_append_new(
            a, json_pack("{s:s,s:b,s:b,s:s,s:b}", "name", names[i], "limited", !reachable,
                         "reachable", reachable, "proxy", "", "proxy_randomize_credentials", 0));
    }
    return a;
}

/* Core's mapLocalHost: address (no port, IPv6 without brackets), port, score. */
static json_t *local_addresses_json(struct connman *cm)
{
    json_t *a = json_array();
    struct connman_local_addr v[CONNMAN_MAX_LOCAL_ADDRS];
    size_t n = cm ? connman_local_addrs(cm, v, CONNMAN_MAX_LOCAL_ADDRS) : 0;
    for (size_t i = 0; i < n && i < CONNMAN_MAX_LOCAL_ADDRS; i++) {
        char s[NETBASE_ADDR_STRLEN];
        netbase_format(&v[i].addr, s);
        *strrchr(s, ':') = 0;
        bool v6 = s[0] == '[';
        if (v6)
            s[strlen(s) - 1] = 0;
        json_array_append_new(a, json_pack("{s:s,s:i,s:i}", "address", s + v6, "port",
                                           (int)v[i].addr.port, "score", v[i].score));
    }
    return a;
}

static json_t *rpc_getnetworkinfo(struct rpc_request *req)
{
    struct node *node = req->ctx;
    struct connman_options co;
    connman_options_default(&co);
    struct mempool_options mo;
    if (node->mempool)
        mo = *mempool_get_options(node->mempool);
    else
        mempool_options_default(&mo);
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(RPC_NET_CLIENT_VERSION));
    json_object_set_new(o, "subversion", json_string(co.user_agent));
    json_object_set_new(o, "protocolversion", json_integer(PROTO_VERSION));
    uint64_t services = node->connman ? connman_local_services(node->connman) : co.services;
    json_object_set_new(o, "localservices", services_hex(services));
    json_object_set_new(o, "localservicesnames", services_names(services));
    json_object_set_new(o, "localrelay", json_boolean(!config_get_bool(node->cfg, "blocksonly")));
    struct net_totals t = {0};
    if (node->connman)
        connman_totals(node->connman, &t);
    json_object_set_new(o, "timeoffset",
                        json_integer(node->connman ? median_offset(node->connman) : 0));
    json_object_set_new(o, "networkactive",
                        json_boolean(node->connman && connman_network_active(node->connman)));
    json_object_set_new(o, "connections", json_integer((json_int_t)(t.inbound + t.outbound)));
    json_object_set_new(o, "connections_in", json_integer((json_int_t)t.inbound));
    json_object_set_new(o, "connections_out", json_integer((json_int_t)t.outbound));
    json_object_set_new(o, "networks", networks_json());
    json_object_set_new(o, "relayfee", rpc_amount(mo.min_relay_feerate));
    json_object_set_new(o, "incrementalfee", rpc_amount(mo.incremental_feerate));
    json_object_set_new(o, "localaddresses", local_addresses_json(node->connman));
    json_object_set_new(o, "warnings", json_array());
    return o;
}

static json_t *rpc_getconnectioncount(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    struct net_totals t;
    connman_totals(cm, &t);
    return json_integer((json_int_t)(t.inbound + t.outbound));
}

static json_t *rpc_getnettotals(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    struct net_totals t;
    connman_totals(cm, &t);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct connman_upload u;
    connman_upload_status(cm, &u);
    json_t *up = json_pack("{s:I,s:I,s:b,s:b,s:I,s:I}", "timeframe", (json_int_t)u.timeframe,
                           "target", (json_int_t)u.target, "target_reached", u.target_reached,
                           "serve_historical_blocks", u.serve_historical_blocks,
                           "bytes_left_in_cycle", (json_int_t)u.bytes_left,
                           "time_left_in_cycle", (json_int_t)u.time_left);
    return json_pack("{s:I,s:I,s:I,s:o}", "totalbytesrecv", (json_int_t)t.bytes_recv,
                     "totalbytessent", (json_int_t)t.bytes_sent, "timemillis",
                     (json_int_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, "uploadtarget", up);
}

/* ---- addnode, disconnectnode, getaddednodeinfo ---- */

static bool is_added(struct connman *cm, const char *endpoint)
{
    size_t n;
    struct connman_added_node *v = added_nodes(cm, &n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(v[i].endpoint, endpoint) == 0;
    free(v);
    return found;
}

static json_t *rpc_addnode(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    const char *node = json_string_value(rpc_param(req, 0));
    const char *cmd = json_string_value(rpc_param(req, 1));
    char *err = NULL;
    int rc;
    if (strcmp(cmd, "onetry") == 0) {
        rc = connman_connect_once(cm, node, &err);
    } else if (strcmp(cmd, "add") == 0) {
        if (is_added(cm, node))
            return rpc_fail(req, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added");
        rc = connman_add_node(cm, node, &err);
    } else if (strcmp(cmd, "remove") == 0) {
        if (connman_remove_node(cm, node, NULL) < 0)
            return rpc_fail(req, RPC_CLIENT_NODE_NOT_ADDED,
                            "Error: Node could not be removed. It has not been added previously.");
        return json_null();
    } else {
        return rpc_fail(req, RPC_MISC_ERROR, "addnode \"node\" \"command\": command must be "
                                             "one of \"add\", \"remove\", \"onetry\"");
    }
    if (rc < 0) {
        rpc_fail(req, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: %s", err ? err : "invalid node");
        free(err);
        return NULL;
    }
    return json_null();
}

/* A connected peer by its address or, for -addnode/-connect peers, by the
 * endpoint it was added as (Core matches the name it was opened with). */
static bool find_by_address(struct connman *cm, const char *address, uint64_t *id)
{
    size_t na, n;
    struct connman_added_node *v = added_nodes(cm, &na);
    char want[64];
    snprintf(want, sizeof(want), "%s", address);
    for (size_t i = 0; i < na; i++)
        if (v[i].connected && strcmp(v[i].endpoint, address) == 0)
            snprintf(want, sizeof(want), "%s", v[i].addr);
    free(v);
    uint64_t *ids = peer_ids(cm, &n);
    struct net_peer_stats *st = xmalloc(sizeof(*st));
    bool found = false;
    for (size_t i = 0; st && !found && i < n; i++) {
        if (connman_peer_stats(cm, ids[i], st) && strcmp(st->addr, want) == 0) {
            *id = ids[i];
            found = true;
        }
    }
    free(st);
    free(ids);
    return found;
}

static json_t *rpc_disconnectnode(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    json_t *addr = rpc_param(req, 0), *nodeid = rpc_param(req, 1);
    const char *a = json_string_value(addr);
    uint64_t id = 0;
    bool found;
    if (addr && !nodeid) {
        found = find_by_address(cm, a, &id);
    } else if (nodeid && (!addr || (a && *a == '\0'))) {
        int64_t v;
        if (!rpc_param_int(req, 1, 0, INT64_MIN, INT64_MAX, &v))
            return NULL;
        id = (uint64_t)v;
        found = v >= 0;
    } else {
        return rpc_fail(req, RPC_INVALID_PARAMS, "Only one of address and nodeid should be provided.");
    }
    if (!found || connman_disconnect(cm, id) < 0)
        return rpc_fail(req, RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes");
    return json_null();
}

static json_t *rpc_getaddednodeinfo(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    const char *only = json_string_value(rpc_param(req, 0));
    size_t n;
    struct connman_added_node *v = added_nodes(cm, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, v[i].endpoint) != 0)
            continue;
        json_t *addrs = json_array();
        if (v[i].connected)
            json_array_append_new(addrs, json_pack("{s:s,s:s}", "address", v[i].addr,
                                                   "connected", "outbound"));
        json_array_append_new(list, json_pack("{s:s,s:b,s:o}", "addednode", v[i].endpoint,
                                              "connected", v[i].connected, "addresses", addrs));
    }
    free(v);
    if (only && json_array_size(list) == 0) {
        json_decref(list);
        return rpc_fail(req, RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.");
    }
    return list;
}

/* ---- setnetworkactive, ping ---- */

static json_t *rpc_setnetworkactive(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    connman_set_network_active(cm, json_is_true(rpc_param(req, 0)));
    return json_boolean(connman_network_active(cm));
}

static json_t *rpc_ping(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    connman_ping_all(cm);
    return json_null();
}

/* ---- getgossipinfo ---- */

static json_t *policy_json(const struct node *node, const struct relay_policy *p)
{
    char stop[32];
    relay_policy_stop_str(p, stop, sizeof(stop));
    json_t *o = json_pack("{s:I,s:s,s:b,s:I,s:f,s:f,s:I,s:I}", "fanout", (json_int_t)p->fanout,
                          "stop", stop, "feedback", p->feedback, "stop_k", (json_int_t)p->stop_k,
                          "trickle_in", (double)p->trickle_in_us / US_PER_SEC, "trickle_out",
                          (double)p->trickle_out_us / US_PER_SEC, "max_per_trickle",
                          (json_int_t)p->max_per_trickle, "max_inv_sz",
                          (json_int_t)p->max_inv_sz);
    /* Anti-entropy belongs to the node's message processing, not the core. */
    json_object_set_new(o, "antientropy", json_integer(config_get_int(node->cfg, "antientropy")));
    return o;
}

static json_t *peers_gossip_json(struct node *node)
{
    json_t *a = json_array();
    size_t n = 0;
    uint64_t *ids = node->connman ? peer_ids(node->connman, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct relay_peer_info ri;
        if (relay_get_peer_info(node->relay, ids[i], &ri) != 0)
            continue;
        json_t *o = peer_gossip_json(&ri, relay_glue_netproc(node), ids[i]);
        json_object_set_new(o, "id", json_integer((json_int_t)ids[i]));
        json_array_append_new(a, o);
    }
    free(ids);
    return a;
}

/* Message processing around the core: orphans, block download and
 * anti-entropy (mempool reconciliation). */
static json_t *netproc_json(const struct netproc *np)
{
    struct netproc_info ni;
    netproc_get_info(np, &ni);
    json_t *recon = json_pack("{s:I,s:I,s:I,s:I,s:I}", "rounds", (json_int_t)ni.recon_rounds,
                              "mismatched", (json_int_t)ni.recon_mismatch, "items",
                              (json_int_t)ni.recon_items, "sketches",
                              (json_int_t)ni.recon_sketches, "fallbacks",
                              (json_int_t)ni.recon_fallbacks);
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "orphans",
                          (json_int_t)ni.orphans, "blocks_in_flight",
                          (json_int_t)ni.blocks_in_flight, "blocks_received",
                          (json_int_t)ni.blocks_received, "blocks_dup",
                          (json_int_t)ni.blocks_dup, "txs_received", (json_int_t)ni.txs_received,
                          "txs_accepted", (json_int_t)ni.txs_accepted, "block_stalls",
                          (json_int_t)ni.block_stalls, "mempool_served",
                          (json_int_t)ni.mempool_served, "antientropy", recon);
    json_object_set_new(o, "txs_readded", json_integer((json_int_t)ni.txs_readded));
    json_object_set_new(o, "stallers_dropped", json_integer((json_int_t)ni.stallers_dropped));
    json_object_set_new(o, "stalling_timeout",
                        json_real((double)ni.stalling_timeout_us / US_PER_SEC));
    json_t *cb = cmpct_json(&ni.cmpct);
    json_object_set_new(cb, "extra_pool", json_integer((json_int_t)ni.cmpct_extra));
    json_object_set_new(o, "compactblocks", cb);
    return o;
}

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

/* What a policy costs, in the figures users compare policies by:
 * announcements per rumor, duplicate payloads per payload received and
 * the share of pushes that were useless (the peer had it already). */
static json_t *summary_json(const struct relay_info *ri, const struct netproc *np)
{
    const struct relay_counters *c = &ri->totals;
    uint64_t announced = c->inv_sent + c->headers_sent;
    uint64_t payloads = 0;
    if (np) {
        struct netproc_info ni;
        netproc_get_info(np, &ni);
        payloads = ni.txs_received + ni.blocks_received + ni.cmpct.received;
    }
    return json_pack("{s:I,s:f,s:I,s:I,s:f,s:f}", "announcements", (json_int_t)announced,
                     "announcements_per_rumor", ratio(announced, ri->rumors_started),
                     "payloads_received", (json_int_t)payloads, "dup_payloads",
                     (json_int_t)c->dup_payload, "dup_payload_ratio",
                     ratio(c->dup_payload, payloads), "push_useless_ratio",
                     ratio(c->push_useless, c->push_useful + c->push_useless));
}

static json_t *rpc_getgossipinfo(struct rpc_request *req)
{
    struct node *node = req->ctx;
    if (!node->relay)
        return rpc_fail(req, RPC_MISC_ERROR, "relay not running");
    struct relay_info ri;
    relay_get_info(node->relay, &ri);
    json_t *o = json_object();
    json_object_set_new(o, "policy", policy_json(node, &ri.policy));
    json_object_set_new(o, "rumors", json_pack("{s:I,s:I,s:I,s:I}", "infective",
                                               (json_int_t)ri.rumors_infective, "started",
                                               (json_int_t)ri.rumors_started, "removed",
                                               (json_int_t)ri.rumors_removed, "queued",
                                               (json_int_t)ri.queued));
    json_object_set_new(o, "seen", json_pack("{s:I,s:I,s:I,s:I}", "recent_entries",
                                             (json_int_t)ri.recent_entries, "recent_memory",
                                             (json_int_t)ri.recent_memory, "known_memory",
                                             (json_int_t)ri.known_memory, "capacity",
                                             (json_int_t)ri.policy.recent_entries));
    json_object_set_new(o, "requests", json_pack("{s:I,s:I,s:I}", "tracked",
                                                 (json_int_t)ri.tracked, "in_flight",
                                                 (json_int_t)ri.in_flight, "hashes",
                                                 (json_int_t)ri.tracked_hashes));
    json_object_set_new(o, "memory", json_integer((json_int_t)ri.memory));
    json_object_set_new(o, "peers", json_integer((json_int_t)ri.peers));
    json_object_set_new(o, "totals", counters_json(&ri.totals));
    json_object_set_new(o, "peer_counters", peers_gossip_json(node));
    const struct netproc *np = relay_glue_netproc(node);
    json_object_set_new(o, "summary", summary_json(&ri, np));
    if (np)
        json_object_set_new(o, "processing", netproc_json(np));
    struct txrecon_counters tc;
    if (np && netproc_txrecon_totals(np, &tc))
        json_object_set_new(o, "txreconciliation", txrecon_json(&tc));
    return o;
}

/* ---- the table ---- */

static const struct rpc_method net_methods[] = {
    { "getpeerinfo", "network", rpc_getpeerinfo,
      "Returns data about each connected network peer as a json array of objects.", { { 0 } } },
    { "getnetworkinfo", "network", rpc_getnetworkinfo,
      "Returns an object containing various state info regarding P2P networking.", { { 0 } } },
    { "getconnectioncount", "network", rpc_getconnectioncount,
      "Returns the number of connections to other nodes.", { { 0 } } },
    { "getnettotals", "network", rpc_getnettotals,
      "Returns information about network traffic, including bytes in, bytes out, and current "
      "system time.", { { 0 } } },
    { "addnode", "network", rpc_addnode,
      "Attempts to add or remove a node from the addnode list, or to try a connection to a "
      "node once.",
      { { "node", RPC_ARG_STR, false, "The address of the peer to connect to", NULL },
        { "command", RPC_ARG_STR, false, "'add' to add a node to the list, 'remove' to remove "
          "a node from the list, 'onetry' to try a connection to the node once", NULL },
        { "v2transport", RPC_ARG_BOOL, true, "Attempt to connect using BIP324 v2 transport "
          "protocol (ignored: v1 only)", "false" } } },
    { "disconnectnode", "network", rpc_disconnectnode,
      "Immediately disconnects from the specified peer node. Strictly one of address and "
      "nodeid.",
      { { "address", RPC_ARG_STR, true, "The IP address/port of the node", "fallback to nodeid" },
        { "nodeid", RPC_ARG_NUM, true, "The node ID (see getpeerinfo for node IDs)",
          "fallback to address" } } },
    { "getaddednodeinfo", "network", rpc_getaddednodeinfo,
      "Returns information about the given added node, or all added nodes.",
      { { "node", RPC_ARG_STR, true, "If provided, return information about this specific "
          "node, otherwise all nodes are returned.", "all nodes" } } },
    { "setnetworkactive", "network", rpc_setnetworkactive,
      "Disable/enable all p2p network activity.",
      { { "state", RPC_ARG_BOOL, false, "true to enable networking, false to disable", NULL } } },
    { "ping", "network", rpc_ping,
      "Requests that a ping be sent to all other nodes, to measure ping time. Results are in "
      "getpeerinfo's pingtime and pingwait fields, in decimal seconds.", { { 0 } } },
    { "listbanned", "network", rpc_net_listbanned, "List all manually banned IPs/Subnets.",
      { { 0 } } },
    { "setban", "network", rpc_net_setban,
      "Attempts to add or remove an IP/Subnet from the banned list.",
      { { "subnet", RPC_ARG_STR, false, "The IP/Subnet (see getpeerinfo for nodes IP) with an "
          "optional netmask (default is /32 = single IP)", NULL },
        { "command", RPC_ARG_STR, false, "'add' to add an IP/Subnet to the list, 'remove' to "
          "remove an IP/Subnet from the list", NULL },
        { "bantime", RPC_ARG_NUM, true, "time in seconds how long (or until when if [absolute] "
          "is set) the IP is banned (0 or empty means using the default time of 24h)", "0" },
        { "absolute", RPC_ARG_BOOL, true, "If set, the bantime must be an absolute timestamp "
          "expressed in UNIX epoch time", "false" } } },
    { "clearbanned", "network", rpc_net_clearbanned, "Clear all banned IPs.", { { 0 } } },
    { "addpeeraddress", "hidden", rpc_net_addpeeraddress,
      "Add the address of a potential peer to an address manager table. This RPC is for "
      "testing only.",
      { { "address", RPC_ARG_STR, false, "The IP address of the peer", NULL },
        { "port", RPC_ARG_NUM, false, "The port of the peer", NULL },
        { "tried", RPC_ARG_BOOL, true, "If true, attempt to add the peer to the tried addresses "
          "table", "false" } } },
    { "getaddrmaninfo", "network", rpc_net_getaddrmaninfo,
      "Provides information about the node's address manager by returning the number of "
      "addresses in the `new` and `tried` tables and their sum for all networks.", { { 0 } } },
    { "getnodeaddresses", "network", rpc_net_getnodeaddresses,
      "Return known addresses, after filtering for quality and recency. These can potentially "
      "be used to find new peers in the network. The total number of addresses known to the "
      "node may be higher.",
      { { "count", RPC_ARG_NUM, true,
          "The maximum number of addresses to return. Specify 0 to return all known addresses.",
          "1" },
        { "network", RPC_ARG_STR, true,
          "Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, "
          "i2p, cjdns.", "all networks" } } },
    { "setmocktime", "hidden", rpc_net_setmocktime,
      "Set the local time to given timestamp (-regtest only).",
      { { "timestamp", RPC_ARG_NUM, false, "UNIX epoch time. Pass 0 to go back to using the "
          "system time.", NULL } } },
    { "getgossipinfo", "gossip", rpc_getgossipinfo,
      "Returns the relay policy (fanout, stop rule, trickle, anti-entropy), the rumors the node "
      "is infective for, seen-set sizes and memory, the request tracker and the relay "
      "counters, in total and per peer. \"summary\" compares policies: announcements (inv and "
      "headers entries sent), announcements_per_rumor (those per transaction or block the node "
      "started relaying), payloads_received (tx, block and cmpctblock messages), dup_payloads (payloads it "
      "already had), dup_payload_ratio (dup_payloads per payload received) and "
      "push_useless_ratio (pushes to peers that already had the item, per push judged). "
      "\"processing\" adds orphans, block download (blocks_in_flight, block_stalls: peers "
      "dropped for Core's block download timeout, stallers_dropped, stalling_timeout in "
      "seconds), txs_readded (returned to the mempool by "
      "a reorg) and anti-entropy rounds. Times are in seconds.", { { 0 } } },
};
const struct rpc_method_set net_rpc_methods = RPC_METHOD_SET(net_methods);
