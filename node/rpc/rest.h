/* The REST interface, as Bitcoin Core's (-rest): read-only chain and
 * mempool data on the RPC port, without authentication, in .bin, .hex and
 * .json forms where Core has them, with Core's status codes and messages.
 *
 * No data access of its own: every answer comes from the RPC methods,
 * called in process, so REST and RPC always agree. */
#ifndef HEARSAY_NODE_RPC_REST_H
#define HEARSAY_NODE_RPC_REST_H

#include <stdbool.h>

struct evhttp_request;
struct rpc_table;

#define REST_PREFIX "/rest/"

/* Answers req, whose path starts with REST_PREFIX, from table's methods. */
void rest_handle(struct rpc_table *table, struct evhttp_request *req);

#endif
