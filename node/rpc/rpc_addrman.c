/* The address manager's RPC methods, as Bitcoin Core's src/rpc/net.cpp:
 * addpeeraddress (hidden, for tests), getaddrmaninfo and getnodeaddresses. */
#include "node/rpc/rpc_net.h"

#include "net/conn/addrman.h"
#include "net/conn/netadmin.h"
#include "net/conn/seeds.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *rpc_net_addpeeraddress(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    json_t *addr = rpc_param(req, 0);
    int64_t port;
    if (!json_is_string(addr))
        return rpc_fail(req, RPC_TYPE_ERROR, "address must be a string");
    if (!rpc_param_int(req, 1, 0, 0, 65535, &port))
        return NULL;
    bool tried = json_is_true(rpc_param(req, 2));
    const char *ip = json_string_value(addr);
    struct proto_netaddr a = {.port = (uint16_t)port};
    /* A numeric address only (Core: LookupHost without name lookups). */
    bool ok = inet_pton(AF_INET, ip, a.ip + 12) == 1;
    if (ok)
        a.ip[10] = a.ip[11] = 0xff;
    else
        ok = inet_pton(AF_INET6, ip, a.ip) == 1;
    json_t *res = json_object();
    if (ok) {
        a.services = SEEDS_SERVICES;
        ok = connman_add_address(cm, &a, tried);
    }
    json_object_set_new(res, "success", json_boolean(ok));
    if (!ok)
        json_object_set_new(res, "error", json_string("failed-adding-to-new"));
    return res;
}

static json_t *counts(size_t n_new, size_t n_tried)
{
    return json_pack("{s:I,s:I,s:I}", "new", (json_int_t)n_new, "tried", (json_int_t)n_tried,
                     "total", (json_int_t)(n_new + n_tried));
}

json_t *rpc_net_getaddrmaninfo(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    struct connman_addrman_info i;
    connman_addrman_info(cm, &i);
    json_t *o = json_object();
    json_object_set_new(o, "ipv4", counts(i.new_ipv4, i.tried_ipv4));
    json_object_set_new(o, "ipv6", counts(i.new_ipv6, i.tried_ipv6));
    json_object_set_new(o, "onion", counts(0, 0));
    json_object_set_new(o, "i2p", counts(0, 0));
    json_object_set_new(o, "cjdns", counts(0, 0));
    json_object_set_new(o, "all_networks",
                        counts(i.new_ipv4 + i.new_ipv6, i.tried_ipv4 + i.tried_ipv6));
    return o;
}

/* Core's CAddress fields: time, services, address (no port, IPv6 without
 * brackets), port and the network class. */
static json_t *node_address_json(const struct proto_netaddr *a)
{
    char ip[INET6_ADDRSTRLEN];
    bool v4 = proto_netaddr_is_ipv4(a);
    inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? a->ip + 12 : a->ip, ip, sizeof(ip));
    const char *net = !addrman_addr_ok(a, false) ? "not_publicly_routable" : v4 ? "ipv4" : "ipv6";
    return json_pack("{s:I,s:I,s:s,s:i,s:s}", "time", (json_int_t)a->time, "services",
                     (json_int_t)a->services, "address", ip, "port", (int)a->port, "network",
                     net);
}

json_t *rpc_net_getnodeaddresses(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    int64_t count;
    if (!cm || !rpc_param_int(req, 0, 1, INT32_MIN, INT32_MAX, &count))
        return NULL;
    if (count < 0)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Address count out of range");
    const char *net = json_string_value(rpc_param(req, 1));
    int which = 0;
    if (net) {
        static const char *const known[] = { "ipv4", "ipv6", "onion", "i2p", "cjdns" };
        size_t k = 0;
        while (k < 5 && strcasecmp(net, known[k]) != 0)
            k++;
        if (k == 5)
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Network not recognized: %s", net);
        /* We keep IPv4 and IPv6 addresses only. */
        if (k > 1)
            return json_array();
        which = k == 0 ? 4 : 6;
    }
    size_t n;
    struct proto_netaddr *addrs = connman_node_addresses(cm, which, (size_t)count, &n);
    json_t *res = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(res, node_address_json(&addrs[i]));
    free(addrs);
    return res;
}
