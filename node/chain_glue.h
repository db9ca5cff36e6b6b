/* The chain's place in the daemon: its options and its start-up row. */
#ifndef HEARSAY_NODE_CHAIN_GLUE_H
#define HEARSAY_NODE_CHAIN_GLUE_H

#include "node/config.h"
#include "node/node.h"

/* -dbcache. */
extern const struct config_option chain_options[];

/* Opens the chain store at <chaindir>/index into node->chain (checking it
 * and replaying what a crash left behind) and closes it, flushed, at
 * shutdown. */
extern const struct node_subsystem chain_subsystem;

#endif
