/* pruneblockchain and the pruning fields, as Bitcoin Core's
 * src/rpc/blockchain.cpp. */
#include "node/rpc/rpc_prune.h"

#include "chain/storage/blockfile.h"
#include "chain/validation/chainprune.h"
#include "node/prune_glue.h"

#include <stdint.h>
#include <stdlib.h>

/* Heights above this are timestamps (Core: "too high to be a block
 * height, and too low to be a block time (Sep 2001)"). */
#define HEIGHT_OR_TIME 1000000000
/* Core's TIMESTAMP_WINDOW (MAX_FUTURE_BLOCK_TIME): blocks with somewhat
 * older timestamps count too. */
#define TIMESTAMP_WINDOW 7200

static struct node *node_of(const struct rpc_request *req)
{
    return req->ctx;
}

static uint64_t prune_target(const struct node *node)
{
    uint64_t target = 0;
    prune_glue_target(node->cfg, &target, NULL);
    return target;
}

void rpc_prune_storage_fields(struct node *node, json_t *o)
{
    const struct blockfile *bf = chainstate_block_files(node->chain);
    json_object_set_new(o, "size_on_disk", json_integer((json_int_t)blockfile_usage(bf)));
    uint64_t target = prune_target(node);
    json_object_set_new(o, "pruned", json_boolean(target != 0));
    if (!target)
        return;
    /* the first height with data: the prune height's successor, 0 if
     * nothing was pruned */
    int32_t h = chainprune_height(node->chain);
    json_object_set_new(o, "pruneheight", json_integer(h >= 0 ? h + 1 : 0));
    bool automatic = target != PRUNE_TARGET_MANUAL;
    json_object_set_new(o, "automatic_pruning", json_boolean(automatic));
    if (automatic)
        json_object_set_new(o, "prune_target_size", json_integer((json_int_t)target));
}

bool rpc_prune_block_pruned(struct node *node, const struct bindex_node *n)
{
    return prune_target(node) != 0 && chainprune_block_pruned(node->chain, n);
}

/* Core's FindEarliestAtLeast(t, 0): the first active block at or after
 * which some block's time reaches t. -1 if none. */
static int earliest_at_least(struct chainstate *cs, int64_t t)
{
    int64_t max = INT64_MIN;
    for (int h = 0; h <= chainstate_height(cs); h++) {
        int64_t time = chainstate_at(cs, h)->hdr.time;
        max = time > max ? time : max;
        if (max >= t)
            return h;
    }
    return -1;
}

static json_t *rpc_pruneblockchain(struct rpc_request *req)
{
    struct node *node = node_of(req);
    struct chainstate *cs = node->chain;
    int64_t param;
    if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &param))
        return NULL;
    if (!prune_target(node))
        return rpc_fail(req, RPC_MISC_ERROR,
                        "Cannot prune blocks because node is not in prune mode.");
    if (param < 0)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Negative block height.");
    if (param > HEIGHT_OR_TIME) {
        param = earliest_at_least(cs, param - TIMESTAMP_WINDOW);
        if (param < 0)
            return rpc_fail(req, RPC_INVALID_PARAMETER,
                            "Could not find block with at least the specified timestamp.");
    }
    int32_t tip = chainstate_height(cs);
    if (tip < chainprune_after_height(node->params, config_get_bool(node->cfg, "fastprune")))
        return rpc_fail(req, RPC_MISC_ERROR, "Blockchain is too short for pruning.");
    if (param > tip)
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Blockchain is shorter than the attempted prune height.");
    int32_t height = (int32_t)param;
    if (height > tip - PRUNE_MIN_BLOCKS_TO_KEEP) /* Core keeps the minimum */
        height = tip - PRUNE_MIN_BLOCKS_TO_KEEP;
    char *err = NULL;
    if (chainprune_manual(cs, height, &err) < 0) {
        rpc_fail(req, RPC_MISC_ERROR, "%s", err ? err : "pruning failed");
        free(err);
        return NULL;
    }
    return json_integer(chainprune_height(cs));
}

static const struct rpc_method prune_methods[] = {
    { "pruneblockchain", "blockchain", rpc_pruneblockchain,
      "Deletes block and undo files up to the given height (or block time), keeping the last "
      "288 blocks; returns the height of the last block pruned (-1 if none). Needs -prune.",
      { { "height", RPC_ARG_NUM, false,
          "The block height to prune up to. May be set to a discrete height, or to a UNIX "
          "epoch time to prune blocks whose block time is at least 2 hours older than the "
          "provided timestamp.", NULL },
        { 0 } } },
};

const struct rpc_method_set prune_rpc_methods = RPC_METHOD_SET(prune_methods);
