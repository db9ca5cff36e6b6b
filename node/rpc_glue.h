/* The RPC subsystem's row in node/init.c and its options in node/options.c. */
#ifndef HEARSAY_NODE_RPC_GLUE_H
#define HEARSAY_NODE_RPC_GLUE_H

#include "node/config.h"
#include "node/node.h"
#include "node/rpc.h"

/* -server, -rpcbind, -rpcport, -rpcallowip, -rpcuser, -rpcpassword,
 * -rpcauth, -rpcservertimeout. */
extern const struct config_option rpc_options[];
/* Starts after the subsystems whose methods it serves. */
extern const struct node_subsystem rpc_subsystem;

/* Method sets of the other areas, listed in node/rpc_glue.c. Each area
 * declares its set here (one line) and defines it in its own file:
 *   extern const struct rpc_method_set chain_rpc_methods; */
extern const struct rpc_method_set blockchain_rpc_methods, rawtx_rpc_methods, mining_rpc_methods;

#endif
