/* Block pruning's place in the daemon: -prune, as Bitcoin Core's.
 *
 * -prune=0 keeps every block; -prune=1 prunes only when asked
 * (pruneblockchain); -prune=N (N >= 550) keeps block and undo files
 * under N MiB. Any non-zero value is prune mode: the node advertises
 * NODE_NETWORK_LIMITED instead of NODE_NETWORK. */
#ifndef HEARSAY_NODE_PRUNE_GLUE_H
#define HEARSAY_NODE_PRUNE_GLUE_H

#include "chain/storage/prune.h"
#include "node/config.h"
#include "node/node.h"

#include <stdbool.h>
#include <stdint.h>

extern const struct config_option prune_options[];
/* Checks -prune first of all, with Core's messages and log lines. */
extern const struct node_subsystem prune_check_subsystem;
/* With a target: prunes block files after blocks connect (and once at
 * start), as Core's flush does. Needs the chain. */
extern const struct node_subsystem prune_subsystem;

/* The prune target in bytes: 0 (off), PRUNE_TARGET_MANUAL or N MiB. -1 and
 * *err (Core's message) for a negative value or one below the minimum. */
int prune_glue_target(const struct config *cfg, uint64_t *target, char **err);
/* Prune mode (any valid non-zero -prune). */
bool prune_glue_enabled(const struct config *cfg);
/* Our service bits: NODE_NETWORK swapped for NODE_NETWORK_LIMITED in
 * prune mode. */
uint64_t prune_glue_services(const struct config *cfg, uint64_t services);

#endif
