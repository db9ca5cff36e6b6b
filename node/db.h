/* The chain store's placeholder: a LevelDB database at <chaindir>/index,
 * opened at start-up and closed at shutdown. The chain store replaces this
 * row of node/init.c's table with the real one. */
#ifndef HEARSAY_NODE_DB_H
#define HEARSAY_NODE_DB_H

#include "node/node.h"

extern const struct node_subsystem node_db_subsystem;

#endif
