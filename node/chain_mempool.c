#include "node/chain_mempool.h"

#include "chain/chainstate.h"
#include "node/mempool_glue.h"

#include <time.h>

static int64_t mtp_at(void *ctx, int32_t height)
{
    struct bindex_node *n = chainstate_at(ctx, height);
    return n ? (int64_t)bindex_median_time_past(n) : 0;
}

void chain_mempool_tip(struct node *node, struct mempool_tip *out)
{
    struct bindex_node *tip = chainstate_tip(node->chain);
    out->height = tip ? tip->height : -1;
    out->mtp = tip ? (int64_t)bindex_median_time_past(tip) : 0;
    out->mtp_at = mtp_at;
    out->mtp_ctx = node->chain;
}

/* For the mempool's coin source, whose ctx is the node. */
static void source_tip(void *ctx, struct mempool_tip *out)
{
    chain_mempool_tip(ctx, out);
}

static bool source_lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    struct node *node = ctx;
    return chainstate_coin_lookup(node->chain, op, out);
}

/* The chainstate sets its new tip before it calls these. */
static void block_connected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    if (!node->mempool)
        return;
    struct mempool_tip tip;
    chain_mempool_tip(node, &tip);
    mempool_block_connected(node->mempool, b, &tip);
}

static void block_disconnected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    if (!node->mempool)
        return;
    struct mempool_tip tip;
    chain_mempool_tip(node, &tip);
    mempool_block_disconnected(node->mempool, b, &tip, (int64_t)time(NULL));
}

static int link_start(struct node *node, char **err)
{
    (void)err;
    if (!node->chain)
        return 0;
    struct mempool_chain_source src = { source_lookup, source_tip, node };
    mempool_glue_set_chain(&src);
    struct chainstate_callbacks cb = { block_connected, block_disconnected, node };
    chainstate_set_callbacks(node->chain, &cb);
    return 0;
}

static void link_stop(struct node *node)
{
    if (!node->chain)
        return;
    struct chainstate_callbacks none = { NULL, NULL, NULL };
    chainstate_set_callbacks(node->chain, &none);
}

const struct node_subsystem chain_mempool_subsystem = { "chain-mempool", link_start, link_stop };
