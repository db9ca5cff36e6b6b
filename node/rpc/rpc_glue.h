/* The RPC subsystem's row in node/init.c and its options in node/options.c. */
#ifndef HEARSAY_NODE_RPC_GLUE_H
#define HEARSAY_NODE_RPC_GLUE_H

#include "node/config.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

/* -server, -rpcbind, -rpcport, -rpcallowip, -rpcuser, -rpcpassword,
 * -rpcauth, -rpcservertimeout. */
extern const struct config_option rpc_options[];
/* Starts after the subsystems whose methods it serves. */
extern const struct node_subsystem rpc_subsystem;
/* -metricsbind, and its row, after rpc. */
extern const struct config_option metrics_options[];
extern const struct node_subsystem metrics_subsystem;

/* A stop signal: the RPC calls still waiting are answered (as at `stop`)
 * and the loop ends once the answers are written. */
void rpc_glue_shutdown(struct node *node);

/* The tip waitfornewblock, waitforblock and waitforblockheight see: as
 * Core's KernelNotifications::blockTip (m_tip_block), called from
 * Chainstate::ActivateBestChain after each ActivateBestChainStep, it moves
 * when a connected block has more work than it, and wherever an
 * activation ends (invalidateblock may end lower); never to a block a
 * reorganization passes through. The chainstate's tip without -server. */
const struct bindex_node *rpc_glue_tip(const struct node *node);

/* Method sets of the other areas, listed in node/rpc/rpc_glue.c's method_sets[].
 * To add methods, an area writes a node/ file of its own (node/ because
 * handlers see the struct node; chain/ and net/ must not include node/):
 *
 *   static json_t *rpc_getblockhash(struct rpc_request *req)
 *   {
 *       struct node *node = req->ctx;
 *       int64_t h;
 *       if (!rpc_param_int(req, 0, 0, INT64_MIN, INT64_MAX, &h))
 *           return NULL;                  // the helper has set the error
 *       if (h < 0 || h > tip_height(node->chain))
 *           return rpc_fail(req, RPC_INVALID_PARAMETER, "Block height out of range");
 *       return rpc_hash_json(&hash);      // a new reference; amounts: rpc_amount(sats)
 *   }
 *   static const struct rpc_method chain_methods[] = {
 *       { "getblockhash", "blockchain", rpc_getblockhash, "Returns hash of block in best-block-chain at height provided.",
 *         { { "height", RPC_ARG_NUM, false, "The height index", NULL } } },
 *   };
 *   const struct rpc_method_set chain_rpc_methods = RPC_METHOD_SET(chain_methods);
 *
 * then declares it below (one line) and adds &chain_rpc_methods to
 * method_sets[] (one line). Unit tests build a table of their own:
 * rpc_table_new, rpc_table_add(t, set.methods, set.n, node, NULL, &err),
 * rpc_table_call(t, "getblockhash", params, &code, &msg). */
extern const struct rpc_method_set blockchain_rpc_methods, rawtx_rpc_methods, mining_rpc_methods;
extern const struct rpc_method_set rawtx_build_rpc_methods, util_rpc_methods, combine_rpc_methods;
extern const struct rpc_method_set net_rpc_methods, chainctl_rpc_methods;
extern const struct rpc_method_set fee_rpc_methods, gbt_rpc_methods, package_rpc_methods;
/* Methods with state of their own (their ctx is not the node). */
int rpc_chainstats_register(struct rpc_table *t, struct node *node, char **err);

#endif
