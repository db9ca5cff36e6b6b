/* Bans (setban, listbanned, clearbanned) and setmocktime, as Bitcoin
 * Core's src/rpc/net.cpp and src/rpc/node.cpp. Bans follow the node's
 * clock, so setmocktime moves their expiry as it does in Core. */
#include "node/rpc/rpc_net.h"

#include "chain/util/log.h"
#include "net/conn/netadmin.h"
#include "node/banlist.h"
#include "node/clock.h"

#include <stdlib.h>

#include <string.h>

#define DEFAULT_BANTIME (24 * 60 * 60) /* Core's DEFAULT_MISBEHAVING_BANTIME */
/* Core's limit: what std::chrono::nanoseconds can hold, in seconds. */
#define MAX_MOCKTIME 9223372036LL

/* A change is written at once; a failure to write is logged, not an RPC
 * error: the ban itself is in force. */
static json_t *saved(struct rpc_request *req)
{
    char *err = NULL;
    if (banlist_save(req->ctx, &err) != 0) {
        LOG_WARN("Ban list not saved: %s", err ? err : "unknown error");
        free(err);
    }
    return json_null();
}

static struct banman *bans_of(struct rpc_request *req)
{
    struct connman *cm = rpc_net_connman(req);
    if (!cm)
        return NULL;
    struct banman *bm = connman_bans(cm, node_now);
    if (!bm)
        rpc_fail(req, RPC_OUT_OF_MEMORY, "out of memory");
    return bm;
}

json_t *rpc_net_listbanned(struct rpc_request *req)
{
    struct banman *bm = bans_of(req);
    if (!bm)
        return NULL;
    int64_t now = node_now();
    size_t n;
    const struct banman_entry *v = banman_list(bm, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char s[BANMAN_SUBNET_STRLEN];
        banman_format_subnet(&v[i].subnet, s);
        json_array_append_new(
            list, json_pack("{s:s,s:I,s:I,s:I,s:I}", "address", s, "ban_created",
                            (json_int_t)v[i].created, "banned_until", (json_int_t)v[i].until,
                            "ban_duration", (json_int_t)(v[i].until - v[i].created),
                            "time_remaining", (json_int_t)(v[i].until - now)));
    }
    return list;
}

static json_t *ban_add(struct rpc_request *req, struct connman *cm,
                       const struct banman_subnet *s, bool single)
{
    struct banman *bm = connman_bans(cm, node_now);
    int64_t now = node_now(), bantime;
    if (!rpc_param_int(req, 2, 0, INT64_MIN, INT64_MAX, &bantime))
        return NULL;
    bool absolute = json_is_true(rpc_param(req, 3));
    /* A single address inside a banned subnet is banned already. */
    size_t n;
    const struct banman_entry *v = banman_list(bm, &n);
    for (size_t i = 0; i < n; i++)
        if ((single && banman_subnet_match(&v[i].subnet, s->ip)) ||
            (v[i].subnet.prefix == s->prefix && memcmp(v[i].subnet.ip, s->ip, 16) == 0))
            return rpc_fail(req, RPC_CLIENT_NODE_ALREADY_ADDED,
                            "Error: IP/Subnet already banned");
    if (bantime == 0)
        bantime = DEFAULT_BANTIME;
    if (absolute && bantime < now)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past");
    int64_t until = absolute ? bantime : now + bantime;
    if (connman_ban(cm, s, until) < 0)
        return rpc_fail(req, RPC_MISC_ERROR, "Error: the ban list is full");
    return saved(req);
}

json_t *rpc_net_setban(struct rpc_request *req)
{
    const char *subnet = json_string_value(rpc_param(req, 0));
    const char *cmd = json_string_value(rpc_param(req, 1));
    if (strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0)
        return rpc_fail(req, RPC_MISC_ERROR, "setban \"subnet\" \"command\": command must be "
                                             "\"add\" or \"remove\"");
    struct banman *bm = bans_of(req);
    if (!bm)
        return NULL;
    struct banman_subnet s;
    if (!banman_parse_subnet(subnet, &s))
        return rpc_fail(req, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet");
    if (strcmp(cmd, "add") == 0)
        return ban_add(req, rpc_net_connman(req), &s, strchr(subnet, '/') == NULL);
    if (banman_remove(bm, &s) < 0)
        return rpc_fail(req, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                        "Error: Unban failed. Requested address/subnet was not previously "
                        "manually banned.");
    return saved(req);
}

json_t *rpc_net_clearbanned(struct rpc_request *req)
{
    struct banman *bm = bans_of(req);
    if (!bm)
        return NULL;
    banman_clear(bm);
    return saved(req);
}

json_t *rpc_net_setmocktime(struct rpc_request *req)
{
    struct node *node = req->ctx;
    /* Core throws a plain runtime_error here, which is RPC_MISC_ERROR. */
    if (node->params->type != CHAIN_REGTEST)
        return rpc_fail(req, RPC_MISC_ERROR,
                        "setmocktime is for regression testing (-regtest mode) only");
    int64_t t;
    if (!rpc_param_int(req, 0, 0, INT64_MIN, INT64_MAX, &t))
        return NULL;
    if (t < 0 || t > MAX_MOCKTIME)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Mocktime must be in the range [0, %lld], not %lld.",
                        (long long)MAX_MOCKTIME, (long long)t);
    node_set_mocktime(t);
    return json_null();
}
