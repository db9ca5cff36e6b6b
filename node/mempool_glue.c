#include "node/clock.h"
#include "node/mempool_glue.h"

#include "chain/mempool/unbroadcast.h"

#include "chain/validation/blockindex.h"
#include "chain/validation/chainstate.h"
#include "chain/util/log.h"
#include "node/util.h"
#include "chain/util/err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Core refuses a -maxmempool below 40 descendant packages of maximum size. */
#define MIN_MAXMEMPOOL_MB 5

const struct config_option mempool_options[] = {
    { "minrelaytxfee", CONFIG_STRING, "0.00001", 0, 0, 0,
      "Fees (in BTC/kvB) smaller than this are considered zero fee for relaying and mempool "
      "acceptance." },
    { "maxmempool", CONFIG_INT, "300", MIN_MAXMEMPOOL_MB, 1000000, 0,
      "Keep the transaction memory pool below <n> megabytes." },
    { "mempoolexpiry", CONFIG_INT, "336", 1, 1000000, 0,
      "Do not keep transactions in the mempool longer than <n> hours." },
    { "persistmempool", CONFIG_BOOL, "1", 0, 0, 0,
      "Whether to save the mempool on shutdown and load on restart. Also journals the "
      "transactions submitted here that no peer has asked for yet (unbroadcast.dat, one "
      "write each), so a crash cannot lose them: they are back in the mempool at start." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

int64_t mempool_glue_parse_feerate(const char *s)
{
    int64_t whole = 0, frac = 0;
    int frac_digits = 0;
    bool dot = false, any = false;
    for (const char *p = s; *p; p++) {
        if (*p == '.' && !dot) {
            dot = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        any = true;
        if (dot) {
            if (frac_digits == 8) /* below a satoshi */
                return -1;
            frac = frac * 10 + (*p - '0');
            frac_digits++;
        } else {
            if (whole > TX_MAX_MONEY / TX_COIN)
                return -1;
            whole = whole * 10 + (*p - '0');
        }
    }
    if (!any)
        return -1;
    for (; frac_digits < 8; frac_digits++)
        frac *= 10;
    return whole * TX_COIN + frac;
}

/* The chainstate calls these after moving its tip and its UTXO set. */
static void on_connected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    mempool_block_connected(node->mempool, b, &tip);
}

static void on_disconnected(void *ctx, const struct block *b, int height)
{
    struct node *node = ctx;
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    mempool_block_disconnected(node->mempool, b, &tip, node_now());
}

char *mempool_glue_dump_path(const struct node *node)
{
    return util_path_join(node->chaindir, "mempool.dat");
}

static void load_dump(struct node *node)
{
    char *path = mempool_glue_dump_path(node);
    struct stat st;
    if (stat(path, &st) == 0) {
        struct mempool_tip tip;
        mempool_tip_of(node->chain, &tip);
        struct mempool_load_stats ls;
        char *err = NULL;
        if (mempool_load(node->mempool, path, &tip, node_now(), &ls, &err) != 0)
            LOG_WARN("Failed to load the mempool: %s", err);
        free(err);
    }
    free(path);
}

/* Puts back what a kill -9 could have lost: local transactions no peer
 * had asked for. Before the relay starts, so they are served at once. */
static void open_journal(struct node *node)
{
    char *path = util_path_join(node->chaindir, "unbroadcast.dat"), *err = NULL;
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    size_t restored = 0;
    if (unbroadcast_journal_open(node->unbroadcast, path, &tip, node_now(), &restored, &err) != 0)
        LOG_WARN("Unbroadcast transactions are not journaled: %s", err);
    else if (restored)
        LOG_INFO("Mempool: %zu unbroadcast transactions from %s", restored, path);
    free(err);
    free(path);
}

static int mempool_start(struct node *node, char **err)
{
    const struct config *cfg = node->cfg;
    if (!node->chain)
        return err_set(err, "the mempool needs the chain, which starts before it");
    struct mempool_options o;
    mempool_options_default(&o);
    const char *fee = config_get_str(cfg, "minrelaytxfee");
    o.min_relay_feerate = mempool_glue_parse_feerate(fee ? fee : "0");
    if (o.min_relay_feerate < 0)
        return err_set(err, "Invalid amount for -minrelaytxfee=<amount>: '%s'", fee);
    o.max_usage = (size_t)config_get_int(cfg, "maxmempool") * 1000000;
    o.expiry = config_get_int(cfg, "mempoolexpiry") * 3600;
    node->mempool = mempool_new(&o, chainstate_coin_lookup, node->chain);
    mempool_set_caches(node->mempool, node->sigcache, node->scriptcache);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, node, NULL};
    chainstate_add_callbacks(node->chain, &cb);
    node->unbroadcast = unbroadcast_new(node->mempool);
    if (config_get_bool(cfg, "persistmempool")) {
        load_dump(node);
        open_journal(node);
    }
    LOG_INFO("Mempool: %zu transactions, limit %zu MB, minimum relay fee %lld sat/kvB",
             mempool_count(node->mempool), o.max_usage / 1000000,
             (long long)o.min_relay_feerate);
    return 0;
}

static void mempool_stop(struct node *node)
{
    if (!node->mempool)
        return;
    if (node->chain)
        chainstate_remove_callbacks(node->chain, node);
    /* Its journal stays: the set comes back at the next start. */
    unbroadcast_free(node->unbroadcast);
    node->unbroadcast = NULL;
    if (config_get_bool(node->cfg, "persistmempool")) {
        char *path = mempool_glue_dump_path(node), *err = NULL;
        if (mempool_dump(node->mempool, path, &err) != 0)
            LOG_WARN("Failed to dump the mempool: %s", err);
        free(err);
        free(path);
    }
    mempool_free(node->mempool);
    node->mempool = NULL;
}

const struct node_subsystem mempool_subsystem = { "mempool", mempool_start, mempool_stop };
