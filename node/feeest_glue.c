#include "node/feeest_glue.h"

#include "chain/mempool/feeest.h"
#include "chain/mempool/mempool.h"
#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"
#include "node/clock.h"
#include "node/util.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Core's MAX_FEE_ESTIMATION_TIP_AGE: with an older tip, confirmation
 * times say nothing about today's fees. */
#define FEE_ESTIMATION_TIP_AGE (3 * 60 * 60)

const struct config_option feeest_options[] = {
    { "acceptstalefeeestimates", CONFIG_BOOL, "0", 0, 0, 0,
      "Read fee estimates even if they are stale (more than 60 hours old; regtest only)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* Core's FEE_FLUSH_INTERVAL: the history is written hourly too, so a crash
 * loses at most an hour of it. */
#define FLUSH_INTERVAL_SECS 3600

struct feeest_glue {
    struct node *node;
    struct feeest *fe;
    struct event *flush_ev;
    bool in_package;
};

/* Core's IsCurrentForFeeEstimation: out of initial download, a recent
 * tip, and no more than one block behind the best header. */
static bool chain_current(const struct node *node)
{
    const struct bindex_node *tip = chainstate_tip(node->chain);
    return !chainstate_initial_download(node->chain) &&
           (int64_t)tip->hdr.time >= node_now() - FEE_ESTIMATION_TIP_AGE &&
           tip->height >= chainstate_best_header(node->chain)->height - 1;
}

static void track(struct feeest_glue *g, const struct mempool_entry *e)
{
    const struct mempool_entry *const *parents;
    bool valid = mempool_entry_parents(e, &parents) == 0 && !g->in_package &&
                 chain_current(g->node);
    feeest_tx_added(g->fe, &mempool_entry_tx(e)->txid, mempool_entry_fee(e),
                    mempool_entry_vsize(e), (unsigned)mempool_entry_height(e), valid);
}

static void on_added(void *ctx, const struct tx *tx, uint64_t sequence)
{
    (void)sequence;
    struct feeest_glue *g = ctx;
    const struct mempool_entry *e = mempool_get(g->node->mempool, &tx->txid);
    if (e)
        track(g, e);
}

static void on_removed(void *ctx, const struct tx *tx, enum mempool_removal why,
                       uint64_t sequence)
{
    (void)sequence;
    struct feeest_glue *g = ctx;
    if (why != MEMPOOL_REMOVED_BLOCK) /* confirmations come with the block */
        feeest_tx_removed(g->fe, &tx->txid);
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct feeest_glue *g = ctx;
    struct hash256 *txids = xcalloc(b->tx_count + 1, sizeof(*txids));
    for (size_t i = 0; i < b->tx_count; i++)
        txids[i] = b->txs[i]->txid;
    feeest_block(g->fe, (unsigned)height, txids, b->tx_count);
    free(txids);
}

static char *file_path(const struct node *node)
{
    return util_path_join(node->chaindir, "fee_estimates.dat");
}

/* Core reads the file unless it is older than 60 hours (stale estimates
 * are worse than none), which -acceptstalefeeestimates overrides on regtest. */
static void load(struct node *node, struct feeest *fe)
{
    char *path = file_path(node), *err = NULL;
    struct stat st;
    bool stale_ok = config_get_bool(node->cfg, "acceptstalefeeestimates") &&
                    !strcmp(node->params->name, "regtest");
    if (stat(path, &st) != 0) {
        LOG_INFO("%s is not found. Continue anyway.", path);
    } else if (!stale_ok && (int64_t)st.st_mtime < node_now() - FEEEST_MAX_FILE_AGE) {
        LOG_WARN("Fee estimation file %s too old and will not be used to avoid serving stale "
                 "estimates.", path);
    } else if (feeest_read(fe, path, &err) != 0) {
        LOG_WARN("Failed to read fee estimates (%s). Continue anyway.", err);
    }
    free(err);
    free(path);
}

static void write_file(struct feeest_glue *g)
{
    char *path = file_path(g->node), *err = NULL;
    if (feeest_write(g->fe, path, &err) != 0)
        LOG_WARN("Failed to write fee estimates: %s", err);
    else
        LOG_INFO("Flushed fee estimates to fee_estimates.dat.");
    free(err);
    free(path);
}

static void on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    write_file(arg);
}

static int feeest_start(struct node *node, char **err)
{
    struct feeest_glue *g = xcalloc(1, sizeof(*g));
    g->node = node;
    g->fe = feeest_new();
    load(node, g->fe);
    /* mempool.dat was read before: its transactions count as arriving now,
     * as in Core, where the estimator is up before the mempool is loaded. */
    for (const struct mempool_entry *e = mempool_first(node->mempool); e; e = mempool_next(e))
        track(g, e);
    struct mempool_listener l = { on_added, on_removed, g };
    if (mempool_add_listener(node->mempool, &l) < 0) {
        feeest_free(g->fe);
        free(g);
        return err_set(err, "fee estimation: too many mempool listeners");
    }
    struct chainstate_callbacks cb = { on_connected, NULL, g, NULL };
    chainstate_add_callbacks(node->chain, &cb);
    g->flush_ev = event_new(node->base, -1, EV_PERSIST, on_flush_timer, g);
    struct timeval every = { FLUSH_INTERVAL_SECS, 0 };
    if (g->flush_ev)
        event_add(g->flush_ev, &every);
    node->feeest = g;
    return 0;
}

static void feeest_stop(struct node *node)
{
    struct feeest_glue *g = node->feeest;
    if (!g)
        return;
    if (g->flush_ev)
        event_free(g->flush_ev);
    mempool_remove_listener(node->mempool, g);
    chainstate_remove_callbacks(node->chain, g);
    feeest_flush_unconfirmed(g->fe); /* as Core: what is left counts as unconfirmed */
    write_file(g);
    feeest_free(g->fe);
    free(g);
    node->feeest = NULL;
}

const struct node_subsystem feeest_subsystem = { "feeest", feeest_start, feeest_stop };

void feeest_glue_set_package(struct node *node, bool in_package)
{
    if (node->feeest)
        node->feeest->in_package = in_package;
}

struct feeest *feeest_glue_get(const struct node *node)
{
    return node->feeest ? node->feeest->fe : NULL;
}
