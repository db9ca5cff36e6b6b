/* hearsayd's start-up and shutdown.
 *
 * node_start: chain parameters, data directory, the .lock, debug.log, the
 * event loop with its signal events (SIGINT/SIGTERM stop, SIGHUP reopens
 * debug.log), then every row of node_subsystems in order. node_stop stops
 * them in reverse, the one whose start failed included (a row's stop must
 * cope with a partial start), and logs "Shutdown: done". */
#ifndef HEARSAY_NODE_INIT_H
#define HEARSAY_NODE_INIT_H

#include "node/config.h"
#include "node/node.h"

/* The daemon's own options: -printtoconsole, -debug, -debugexclude. */
extern const struct config_option daemon_options[];

/* The start-up table, NULL-terminated; each area adds its row. */
extern const struct node_subsystem *const node_subsystems[];

/* Takes ownership of cfg. NULL only when out of memory. */
struct node *node_new(struct config *cfg);
/* -1 and *err (malloc'd, one line) when the node cannot start; call
 * node_stop either way. */
int node_start(struct node *node, char **err);
/* Runs the event loop until node_request_shutdown. */
void node_run(struct node *node);
/* Stops what node_start started, in reverse; safe after a failed start. */
void node_stop(struct node *node);
void node_free(struct node *node);

/* "hearsay version v0.1.0" */
const char *node_version_string(void);

#endif
