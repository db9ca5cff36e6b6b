/* Manual bans survive restarts in <chaindir>/banlist.json, Bitcoin Core's
 * format: {"banned_nets": [{"version": 1, "ban_created": T, "banned_until":
 * T, "address": "1.2.3.0/24"}, ...]}. The subsystem row loads them at
 * start-up and saves them at shutdown; setban and clearbanned save at once. */
#ifndef HEARSAY_NODE_BANLIST_H
#define HEARSAY_NODE_BANLIST_H

#include "node/node.h"

/* Runs after the P2P layer (node/init.c's table). */
extern const struct node_subsystem banlist_subsystem;

/* Writes the ban list (via a temporary file and rename). 0, or -1 with
 * *err (malloc'd). */
int banlist_save(struct node *node, char **err);

#endif
