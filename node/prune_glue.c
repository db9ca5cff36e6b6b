#include "node/prune_glue.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "net/wire/protocol.h"

#include <inttypes.h>

const struct config_option prune_options[] = {
    /* Range checked by prune_glue_target, with Core's messages. */
    { "prune", CONFIG_INT, "0", INT64_MIN, INT64_MAX >> 20, 0,
      "Reduce storage by pruning (deleting) old blocks: 0 disables (default), 1 allows "
      "manual pruning with the pruneblockchain RPC, >=550 keeps block and undo files under "
      "that many MiB. Incompatible with -txindex. A pruned node serves only the last 288 "
      "blocks and advertises NODE_NETWORK_LIMITED instead of NODE_NETWORK." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

int prune_glue_target(const struct config *cfg, uint64_t *target, char **err)
{
    int64_t mib = config_get_int(cfg, "prune");
    *target = 0;
    if (mib < 0)
        return err_set(err, "Prune cannot be configured with a negative value.");
    if (mib == 1) {
        *target = PRUNE_TARGET_MANUAL;
    } else if (mib > 0) {
        if ((uint64_t)mib << 20 < PRUNE_MIN_TARGET)
            return err_set(err,
                           "Prune configured below the minimum of %d MiB.  Please use a "
                           "higher number.",
                           (int)(PRUNE_MIN_TARGET >> 20));
        *target = (uint64_t)mib << 20;
    }
    return 0;
}

bool prune_glue_enabled(const struct config *cfg)
{
    uint64_t target;
    return prune_glue_target(cfg, &target, NULL) == 0 && target != 0;
}

uint64_t prune_glue_services(const struct config *cfg, uint64_t services)
{
    if (!prune_glue_enabled(cfg))
        return services;
    return (services & ~PROTO_NODE_NETWORK) | PROTO_NODE_NETWORK_LIMITED;
}

/* Checks -prune before anything opens (Core's parameter interaction). */
static int prune_start(struct node *node, char **err)
{
    uint64_t target;
    if (prune_glue_target(node->cfg, &target, err) < 0)
        return -1;
    if (target == PRUNE_TARGET_MANUAL)
        LOG_INFO("Block pruning enabled.  Use RPC call pruneblockchain(height) to manually "
                 "prune block and undo files.");
    else if (target)
        LOG_INFO("Prune configured to target %" PRIu64 " MiB on disk for block and undo files.",
                 target >> 20);
    return 0;
}

const struct node_subsystem prune_subsystem = { "prune", prune_start, NULL };
