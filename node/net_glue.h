/* The P2P layer's place in the daemon: its options and its start-up row. */
#ifndef HEARSAY_NODE_NET_GLUE_H
#define HEARSAY_NODE_NET_GLUE_H

#include "node/config.h"
#include "node/node.h"

extern const struct config_option net_options[];
extern const struct node_subsystem net_subsystem;

#endif
