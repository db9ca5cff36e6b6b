/* Internals shared by the network RPC files (node/rpc/rpc_net.c and
 * node/rpc/rpc_net_admin.c); the method set itself is declared in
 * node/rpc/rpc_glue.h (net_rpc_methods). */
#ifndef HEARSAY_NODE_RPC_NET_H
#define HEARSAY_NODE_RPC_NET_H

#include "node/node.h"
#include "node/rpc/rpc.h"

#include <stdint.h>

/* Core's CLIENT_VERSION for 0.1.0 (major * 10000 + minor * 100 + build). */
#define RPC_NET_CLIENT_VERSION 100

/* The node's connection manager, or NULL after failing the request with
 * Core's -31 "Error: Peer-to-peer functionality missing or disabled". */
struct connman *rpc_net_connman(struct rpc_request *req);

/* node/rpc/rpc_net_admin.c */
json_t *rpc_net_listbanned(struct rpc_request *req);
json_t *rpc_net_setban(struct rpc_request *req);
json_t *rpc_net_clearbanned(struct rpc_request *req);
json_t *rpc_net_setmocktime(struct rpc_request *req);

/* node/rpc/rpc_addrman.c */
json_t *rpc_net_addpeeraddress(struct rpc_request *req);
json_t *rpc_net_getaddrmaninfo(struct rpc_request *req);
json_t *rpc_net_getnodeaddresses(struct rpc_request *req);

#endif
