#include "node/prune_glue.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainprune.h"
#include "net/wire/protocol.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>

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
static int check_start(struct node *node, char **err)
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

const struct node_subsystem prune_check_subsystem = { "prune options", check_start, NULL };

/* Automatic pruning runs from the event loop once the blocks that grew
 * the files are connected (never inside the chainstate's callbacks). */
struct prune_glue {
    struct node *node;
    struct event *ev;
    uint64_t target;
    int32_t prune_after;
};

static void on_prune(evutil_socket_t fd, short what, void *arg)
{
    struct prune_glue *g = arg;
    char *err = NULL;
    if (chainprune_auto(g->node->chain, g->target, g->prune_after, &err) < 0) {
        LOG_ERROR("Pruning failed: %s", err ? err : "unknown error");
        free(err);
    }
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct prune_glue *g = ctx;
    event_active(g->ev, 0, 0); /* once per loop iteration, however many blocks */
}

static int prune_start(struct node *node, char **err)
{
    uint64_t target;
    if (prune_glue_target(node->cfg, &target, err) < 0)
        return -1;
    if (target == 0 || target == PRUNE_TARGET_MANUAL)
        return 0;
    struct prune_glue *g = xcalloc(1, sizeof(*g));
    g->node = node;
    g->target = target;
    g->prune_after = chainprune_after_height(node->params, config_get_bool(node->cfg, "fastprune"));
    g->ev = event_new(node->base, -1, 0, on_prune, g);
    node->prune = g;
    if (!g->ev)
        return err_set(err, "cannot create the pruning event");
    struct chainstate_callbacks cb = {.connected = on_connected, .ctx = g};
    chainstate_add_callbacks(node->chain, &cb);
    event_active(g->ev, 0, 0); /* the files may be over the target already */
    return 0;
}

static void prune_stop(struct node *node)
{
    struct prune_glue *g = node->prune;
    if (!g)
        return;
    if (node->chain)
        chainstate_remove_callbacks(node->chain, g);
    if (g->ev)
        event_free(g->ev);
    free(g);
    node->prune = NULL;
}

const struct node_subsystem prune_subsystem = { "pruning", prune_start, prune_stop };
