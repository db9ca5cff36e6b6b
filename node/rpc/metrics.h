/* Prometheus metrics (-metricsbind): GET /metrics on a listener of its own
 * answers in the Prometheus text exposition format (version 0.0.4).
 *
 * The figures come from the RPC methods, called in process (getpeerinfo,
 * getnettotals, getmempoolinfo, getblockchaininfo, getgossipinfo), so a
 * scrape shows exactly what RPC shows, and every relay counter that
 * getgossipinfo gains appears here too. */
#ifndef HEARSAY_NODE_RPC_METRICS_H
#define HEARSAY_NODE_RPC_METRICS_H

#include <stdint.h>

struct event_base;
struct rpc_table;
struct rpc_server;

struct metrics_server;
/* Listens on bind ("addr:port", "[v6]:port") and serves table's data; takes
 * ownership of table. rpc (may be NULL) is asked for its request count.
 * NULL and *err when the address is malformed or cannot be bound. */
struct metrics_server *metrics_server_new(struct event_base *base, struct rpc_table *table,
                                          const struct rpc_server *rpc, const char *bind,
                                          char **err);
void metrics_server_free(struct metrics_server *m); /* accepts NULL */
uint16_t metrics_server_port(const struct metrics_server *m);

/* The exposition text for table's node (malloc'd), for tests and the
 * server. */
char *metrics_render(struct rpc_table *table, const struct rpc_server *rpc);

#endif
