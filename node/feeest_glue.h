/* The fee estimator in hearsayd (chain/mempool/feeest.h): fed by the
 * mempool's listener and the chainstate's block callbacks, kept in
 * <chaindir>/fee_estimates.dat across restarts. */
#ifndef HEARSAY_NODE_FEEEST_GLUE_H
#define HEARSAY_NODE_FEEEST_GLUE_H

#include "node/config.h"
#include "node/node.h"

#include <stdbool.h>

/* -acceptstalefeeestimates. */
extern const struct config_option feeest_options[];
/* Starts after the mempool and the chain it listens to. */
extern const struct node_subsystem feeest_subsystem;

/* While true, transactions entering the mempool do not count for fee
 * estimation (Core leaves out transactions submitted in a package). */
void feeest_glue_set_package(struct node *node, bool in_package);

/* The running estimator, NULL before start. */
struct feeest *feeest_glue_get(const struct node *node);

#endif
