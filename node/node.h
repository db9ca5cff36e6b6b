/* The daemon's context: what every subsystem's start/stop sees.
 *
 * Subsystems start in the order of node/init.c's table and stop in reverse.
 * Each area adds its pointer here and one row to that table. */
#ifndef HEARSAY_NODE_NODE_H
#define HEARSAY_NODE_NODE_H

#include "chain/primitives/params.h"
#include "node/config.h"

#include <stdint.h>

struct event_base;
struct relay_glue;
struct unbroadcast;
struct feeest_glue;

struct node {
    struct event_base *base;
    struct config *cfg;
    const struct chain_params *params;
    char *datadir;  /* root data directory */
    char *chaindir; /* datadir/<chain subdir>; the datadir itself on main */
    int64_t start_time;

    /* Subsystems, NULL until started. */
    struct chainstate *chain;
    struct versionbits *versionbits; /* BIP9 states, with -vbparams applied */
    /* Shared by block connection and mempool acceptance (-maxsigcachesize). */
    struct sigcache *sigcache;
    struct scriptcache *scriptcache;
    struct mempool *mempool;
    /* Local transactions no peer asked for yet (node/mempool_glue.c). */
    struct unbroadcast *unbroadcast;
    struct connman *connman;
    struct relay *relay;            /* the relay core, for its counters */
    struct relay_glue *relay_glue;  /* node/relay_glue.c's state */
    struct rpc_server *rpc;
    struct rpc_tip *rpc_tip;        /* node/rpc/rpc_glue.c: the tip waits see */
    struct metrics_server *metrics;
    struct zmqpub *zmq;
    struct feeest_glue *feeest;     /* node/feeest_glue.c's state */
    struct prune_glue *prune;       /* node/prune_glue.c: automatic pruning */
    struct looplag_timer *looplag;  /* node/looplag_glue.c */
};

/* One row of node/init.c's start-up table. Each area's node/ glue file
 * (node/chain_glue.c, node/net_glue.c, ...) exports one of these and its
 * option table (const struct config_option AREA_options[]). start gets a
 * node whose earlier subsystems are running; on failure it returns -1 and
 * sets *err (malloc'd). stop (NULL: nothing to release) must accept a
 * subsystem that never started. */
struct node_subsystem {
    const char *name;
    int (*start)(struct node *node, char **err);
    void (*stop)(struct node *node);
};

/* Asks the event loop to stop (from RPC `stop` or a signal event). */
void node_request_shutdown(struct node *node);

#endif
