/* The RPC subsystem in the daemon: its options, its start-up row, and the
 * list of every area's method set. */
#include "node/rpc/rpc_glue.h"
#include "node/rpc/rpc_prune.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/pow.h"
#include "chain/validation/chainstate.h"
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_auth.h"
#include "node/rpc/rpc_server.h"
#include "node/rpc/metrics.h"
#include "node/looplag_glue.h"
#include "node/util.h"
#include "node/zmqpub.h"

#include <stdlib.h>
#include <string.h>

const struct config_option rpc_options[] = {
    { "server", CONFIG_BOOL, "1", 0, 0, 0, "Accept JSON-RPC commands." },
    { "rpcbind", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC,
      "Bind to <addr>[:port] to listen for JSON-RPC connections; ignored unless -rpcallowip is "
      "also given. Default: 127.0.0.1 and ::1." },
    { "rpcport", CONFIG_INT, NULL, 1, 65535, CONFIG_NET_SPECIFIC,
      "Listen for JSON-RPC connections on <port> (default: 8332, testnet3: 18332, testnet4: "
      "48332, signet: 38332, regtest: 18443)." },
    { "rpcallowip", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Allow JSON-RPC connections from <ip>, <ip>/<bits> or <ip>/<netmask>. Loopback is always "
      "allowed." },
    { "rpcuser", CONFIG_STRING, NULL, 0, 0, 0, "Username for JSON-RPC connections." },
    { "rpcpassword", CONFIG_STRING, NULL, 0, 0, 0, "Password for JSON-RPC connections." },
    { "rpcauth", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI,
      "Username and HMAC-SHA-256 hashed password for JSON-RPC connections, as "
      "<user>:<salt>$<hash> (Bitcoin Core's share/rpcauth/rpcauth.py makes them)." },
    { "rpcservertimeout", CONFIG_INT, "30", 1, 86400, 0,
      "Timeout during HTTP requests, in seconds." },
    { "rest", CONFIG_BOOL, "0", 0, 0, 0,
      "Accept public REST requests on the RPC port, without authentication: /rest/tx, block, "
      "headers, blockhashbyheight, chaininfo, mempool, getutxos (as Bitcoin Core)." },
    { "testcoinstatsdelay", CONFIG_INT, "0", 0, 600000, CONFIG_HIDDEN,
      "Hold each gettxoutsetinfo walk back <n> milliseconds (tests catch it running)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

const struct config_option metrics_options[] = {
    { "metricsbind", CONFIG_STRING, NULL, 0, 0, CONFIG_NET_SPECIFIC,
      "Serve Prometheus metrics at http://<addr>:<port>/metrics (off unless given; no "
      "authentication, so bind it to an address only your monitoring reaches)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* Every area's methods. Each area adds one line (and its declaration in
 * node/rpc/rpc_glue.h); their handlers get the struct node * as req->ctx. */
static const struct rpc_method_set *const method_sets[] = {
    &blockchain_rpc_methods, &rawtx_rpc_methods, &mining_rpc_methods,
    &net_rpc_methods, &zmq_rpc_methods, &chainctl_rpc_methods, &prune_rpc_methods,
    &fee_rpc_methods, &gbt_rpc_methods, &package_rpc_methods, &looplag_rpc_methods,
    &rawtx_build_rpc_methods, &util_rpc_methods, &combine_rpc_methods,
    NULL,
};

static void shutdown_now(void *arg)
{
    node_request_shutdown(arg);
}

/* `stop` answers first, then the loop ends. */
static void stop_requested(void *arg)
{
    struct node *node = arg;
    if (node->rpc) {
        rpc_server_release_waiting(node->rpc, NULL, NULL);
        rpc_server_after_reply(node->rpc, shutdown_now, node);
    }
    else
        node_request_shutdown(node);
}

void rpc_glue_shutdown(struct node *node)
{
    if (node->rpc)
        rpc_server_release_waiting(node->rpc, shutdown_now, node);
    else
        node_request_shutdown(node);
}

static struct rpc_table *make_table(struct node *node, char **err)
{
    struct rpc_table *t = rpc_table_new();
    char *log_path = util_path_join(node->chaindir, "debug.log");
    struct rpc_control_info info = { node->start_time, log_path, stop_requested, node };
    int rc = rpc_control_register(t, &info, err);
    free(log_path);
    if (rc == 0)
        rc = rpc_chainstats_register(t, node, err);
    for (size_t i = 0; rc == 0 && method_sets[i]; i++)
        rc = rpc_table_add(t, method_sets[i]->methods, method_sets[i]->n, node, NULL, err);
    if (rc < 0) {
        rpc_table_free(t);
        return NULL;
    }
    return t;
}

/* -rpcuser/-rpcpassword, -rpcauth, and the cookie when neither password
 * option is set (as the issue asks: -rpcauth alone also turns it off). */
static struct rpc_auth *make_auth(struct node *node, char **err)
{
    const struct config *cfg = node->cfg;
    struct rpc_auth *a = rpc_auth_new();
    size_t n_auth;
    const char *const *auths = config_get_multi(cfg, "rpcauth", &n_auth);
    const char *pass = config_get_str(cfg, "rpcpassword");
    const char *user = config_get_str(cfg, "rpcuser");
    int rc = 0;
    if (pass && *pass)
        rc = rpc_auth_add_password(a, user ? user : "", pass, err);
    for (size_t i = 0; rc == 0 && i < n_auth; i++)
        rc = rpc_auth_add_rpcauth(a, auths[i], err);
    if (rc == 0 && !(pass && *pass) && n_auth == 0)
        rc = rpc_auth_write_cookie(a, node->chaindir, err);
    if (rc < 0) {
        rpc_auth_free(a);
        return NULL;
    }
    return a;
}

struct rpc_tip {
    struct node *node;
    const struct bindex_node *tip;
};

const struct bindex_node *rpc_glue_tip(const struct node *node)
{
    return node->rpc_tip ? node->rpc_tip->tip : chainstate_tip(node->chain);
}

/* Methods waiting for a block (waitfornewblock...) look again. */
static void tip_moved(struct rpc_tip *t)
{
    t->tip = chainstate_tip(t->node->chain);
    rpc_server_wake(t->node->rpc);
}

/* Core's ActivateBestChainStep stops, and ActivateBestChain notifies,
 * once the tip has more work than where the step began. */
static void tip_connected(void *ctx, const struct block *b, int height)
{
    struct rpc_tip *t = ctx;
    (void)b;
    (void)height;
    if (u256_cmp(&chainstate_tip(t->node->chain)->work, &t->tip->work) > 0)
        tip_moved(t);
}

static void tip_settled(void *ctx)
{
    tip_moved(ctx);
}

static int rpc_start(struct node *node, char **err)
{
    const struct config *cfg = node->cfg;
    if (!config_get_bool(cfg, "server"))
        return 0;
    struct rpc_table *t = make_table(node, err);
    if (!t)
        return -1;
    struct rpc_auth *a = make_auth(node, err);
    if (!a) {
        rpc_table_free(t);
        return -1;
    }
    struct rpc_server_config sc = { 0 };
    sc.bind = config_get_multi(cfg, "rpcbind", &sc.n_bind);
    sc.allow = config_get_multi(cfg, "rpcallowip", &sc.n_allow);
    sc.port = config_is_set(cfg, "rpcport") ? (uint16_t)config_get_int(cfg, "rpcport")
                                            : node->params->rpc_port;
    sc.timeout_secs = (int)config_get_int(cfg, "rpcservertimeout");
    sc.rest = config_get_bool(cfg, "rest");
    node->rpc = rpc_server_new(node->base, t, a, &sc, err);
    if (!node->rpc)
        return -1;
    node->rpc_tip = xmalloc(sizeof(*node->rpc_tip));
    *node->rpc_tip = (struct rpc_tip){ node, chainstate_tip(node->chain) };
    struct chainstate_callbacks cb = { tip_connected, NULL, node->rpc_tip, tip_settled };
    chainstate_add_callbacks(node->chain, &cb);
    return 0;
}

static void rpc_stop(struct node *node)
{
    if (node->rpc_tip && node->chain)
        chainstate_remove_callbacks(node->chain, node->rpc_tip);
    free(node->rpc_tip);
    node->rpc_tip = NULL;
    rpc_server_free(node->rpc);
    node->rpc = NULL;
}

const struct node_subsystem rpc_subsystem = { "rpc", rpc_start, rpc_stop };

/* The metrics listener has a method table of its own, so it works with
 * -server=0 too. */
static int metrics_start(struct node *node, char **err)
{
    const char *bind = config_get_str(node->cfg, "metricsbind");
    if (!bind || !*bind)
        return 0;
    struct rpc_table *t = make_table(node, err);
    if (!t)
        return -1;
    node->metrics = metrics_server_new(node->base, t, node->rpc, bind, err);
    return node->metrics ? 0 : -1;
}

static void metrics_stop(struct node *node)
{
    metrics_server_free(node->metrics);
    node->metrics = NULL;
}

const struct node_subsystem metrics_subsystem = { "metrics", metrics_start, metrics_stop };
