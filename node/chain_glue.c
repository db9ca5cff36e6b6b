#include "node/chain_glue.h"

#include "chain/chainstate.h"
#include "chain/log.h"
#include "node/mempool_glue.h"
#include "node/util.h"

#include <stdlib.h>
#include <time.h>

const struct config_option chain_options[] = {
    { "dbcache", CONFIG_INT, "450", CHAINSTATE_MIN_DBCACHE_MB, 1 << 20, 0,
      "Memory for the database caches and the UTXO cache, in MiB (default 450, at least 4)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

static int64_t mtp_at(void *ctx, int32_t height)
{
    struct bindex_node *n = chainstate_at(ctx, height);
    return n ? bindex_median_time_past(n) : 0;
}

/* The mempool judges transactions for the block after the tip. */
static void tip_for_mempool(void *ctx, struct mempool_tip *out)
{
    struct chainstate *cs = ctx;
    out->height = chainstate_height(cs);
    out->mtp = bindex_median_time_past(chainstate_tip(cs));
    out->mtp_at = mtp_at;
    out->mtp_ctx = cs;
}

/* Active-chain changes reach the mempool once it runs (it starts after
 * the chain, so blocks replayed at opening are not reported to it). */
static void block_connected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    if (!node->mempool)
        return;
    struct mempool_tip tip;
    tip_for_mempool(node->chain, &tip);
    mempool_block_connected(node->mempool, b, &tip);
}

static void block_disconnected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    if (!node->mempool)
        return;
    struct mempool_tip tip;
    tip_for_mempool(node->chain, &tip);
    mempool_block_disconnected(node->mempool, b, &tip, (int64_t)time(NULL));
}

static int chain_start(struct node *node, char **err)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = (size_t)config_get_int(node->cfg, "dbcache") << 20;
    char *path = util_path_join(node->chaindir, "index");
    if (!path)
        return util_fail(err, "out of memory");
    char *cerr = NULL;
    node->chain = chainstate_open(node->params, path, &o, &cerr);
    if (!node->chain) {
        util_fail(err, "cannot open the chain store %s: %s", path, cerr ? cerr : "unknown error");
        free(cerr);
        free(path);
        return -1;
    }
    struct chainstate_callbacks cb = { block_connected, block_disconnected, node };
    chainstate_set_callbacks(node->chain, &cb);
    struct mempool_chain_source src = { chainstate_coin_lookup, tip_for_mempool, node->chain };
    mempool_glue_set_chain(&src);
    LOG_INFO("Opened chain store %s: tip at height %d, best header at height %d", path,
             chainstate_height(node->chain), chainstate_best_header(node->chain)->height);
    free(path);
    return 0;
}

static void chain_stop(struct node *node)
{
    chainstate_close(node->chain);
    node->chain = NULL;
}

const struct node_subsystem chain_subsystem = { "chain", chain_start, chain_stop };
