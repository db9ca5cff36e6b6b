#include "node/chain_glue.h"

#include "chain/validation/chainstate.h"
#include "chain/util/log.h"
#include "node/clock.h"
#include "node/util.h"
#include "chain/util/err.h"

#include <stdlib.h>

const struct config_option chain_options[] = {
    { "dbcache", CONFIG_INT, "450", CHAINSTATE_MIN_DBCACHE_MB, 1 << 20, 0,
      "Memory for the database caches and the UTXO cache, in MiB (default 450, at least 4)." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

static int chain_start(struct node *node, char **err)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = (size_t)config_get_int(node->cfg, "dbcache") << 20;
    o.now = node_now; /* setmocktime moves the 2-hour rule */
    char *path = util_path_join(node->chaindir, "index");
    char *cerr = NULL;
    node->chain = chainstate_open(node->params, path, &o, &cerr);
    if (!node->chain) {
        err_set(err, "cannot open the chain store %s: %s", path, cerr ? cerr : "unknown error");
        free(cerr);
        free(path);
        return -1;
    }
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
