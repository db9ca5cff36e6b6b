/* The event loop's pause monitor in the daemon (chain/util/looplag.h):
 * a timer that measures how late it fires, and the hidden RPC method
 * getlooplag that shows the figures (the metrics endpoint reads it). */
#ifndef HEARSAY_NODE_LOOPLAG_GLUE_H
#define HEARSAY_NODE_LOOPLAG_GLUE_H

#include "chain/util/looplag.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

/* The timer's period: pauses shorter than this are not seen. */
#define LOOPLAG_TICK_US 10000

extern const struct node_subsystem looplag_subsystem;
/* getlooplag (hidden). */
extern const struct rpc_method_set looplag_rpc_methods;

/* getlooplag's reply for the given figures (a new reference). */
json_t *looplag_stats_json(const struct looplag_stats *st);

#endif
