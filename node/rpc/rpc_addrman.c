/* The address manager's RPC methods, as Bitcoin Core's src/rpc/net.cpp:
 * addpeeraddress (hidden, for tests) and getaddrmaninfo. */
#include "node/rpc/rpc_net.h"

#include "net/conn/netadmin.h"
#include "net/conn/seeds.h"

#include <arpa/inet.h>
#include <string.h>

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
