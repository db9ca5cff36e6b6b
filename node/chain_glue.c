#include "node/chain_glue.h"

#include "chain/script/sigcache.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/pow.h"
#include "chain/validation/scriptcache.h"
#include "chain/validation/versionbits.h"
#include "chain/util/log.h"
#include "node/clock.h"
#include "node/util.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

const struct config_option chain_options[] = {
    { "dbcache", CONFIG_INT, "450", CHAINSTATE_MIN_DBCACHE_MB, 1 << 20, 0,
      "Memory for the database caches and the UTXO cache, in MiB (default 450, at least 4)." },
    { "par", CONFIG_INT, "0", -1000, 1000, 0,
      "Script verification threads (0 = one per core, <0 = leave that many cores free, "
      "1 = verify on the event loop's thread, more = that many worker threads; at most 16)." },
    { "assumevalid", CONFIG_STRING, NULL, 0, 0, 0,
      "If this block is in the chain, assume it and its ancestors valid and skip their "
      "script checks when the best header chain has the chain's minimum work and lies two "
      "weeks of work beyond them (0 verifies all; default: Bitcoin Core v29's block for "
      "main, testnet3, testnet4 and signet; none for regtest)." },
    { "minimumchainwork", CONFIG_STRING, NULL, 0, 0, CONFIG_HIDDEN,
      "Minimum work assumed to exist on a valid chain in hex (default: Bitcoin Core v29's "
      "for main, testnet3, testnet4 and signet; 0 for regtest)." },
    { "maxtipage", CONFIG_INT, "86400", -(1LL << 40), 1LL << 40, CONFIG_HIDDEN,
      "Maximum tip age in seconds to consider node in initial block download (default: "
      "86400)." },
    { "maxsigcachesize", CONFIG_INT, "32", 0, 16384, 0,
      "Limit the signature cache and the script execution cache together to <n> MiB, half "
      "each." },
    { "reindex", CONFIG_BOOL, "0", 0, 0, 0,
      "Rebuild the block index and the chainstate from the block files in blocks/ (also "
      "recovers a lost or corrupted index)." },
    { "fastprune", CONFIG_BOOL, "0", 0, 0, CONFIG_HIDDEN,
      "Use 64 KiB block files, so tests cross file boundaries." },
    { "vbparams", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_HIDDEN,
      "Use given start/end times and min_activation_height for specified version bits "
      "deployment (regtest-only), as deployment:start:end[:min_activation_height]." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

/* -assumevalid: a block hash read as Core's FromUserHex (an optional "0x",
 * up to 64 hex digits, left-padded), so 0 is the zero hash: verify all. */
static int parse_assumevalid(const struct config *cfg, struct chainstate_options *o, char **err)
{
    const char *v = config_get_str(cfg, "assumevalid");
    if (!v)
        return 0;
    o->assumevalid_given = true;
    if (!hash_from_user_hex(v, &o->assumevalid))
        return err_set(err,
                       "Invalid assumevalid block hash specified (%s), must be up to %d hex "
                       "digits (or 0 to disable)",
                       v, HASH_HEX_LEN);
    return 0;
}

/* -minimumchainwork, logged as Core does (with a warning below the
 * chain's own). */
static int parse_min_chain_work(struct node *node, struct chainstate_options *o, char **err)
{
    const char *v = config_get_str(node->cfg, "minimumchainwork");
    if (v) {
        if (!hash_from_user_hex(v, &o->min_chain_work))
            return err_set(err, "Invalid minimum work specified (%s), must be up to %d hex digits",
                           v, HASH_HEX_LEN);
        o->min_chain_work_given = true;
    }
    const struct hash256 *def = &node->params->min_chain_work;
    const struct hash256 *used = v ? &o->min_chain_work : def;
    char hex[HASH_HEX_LEN + 1];
    hash_to_hex(used, hex);
    LOG_INFO("Setting nMinimumChainWork=%s", hex);
    struct u256 a, b;
    u256_from_hash(&a, used);
    u256_from_hash(&b, def);
    if (u256_cmp(&a, &b) < 0) {
        hash_to_hex(def, hex);
        LOG_WARN("nMinimumChainWork set below default value of %s", hex);
    }
    return 0;
}

/* The signature cache and the script execution cache, half of
 * -maxsigcachesize each, as Core. */
static void start_caches(struct node *node)
{
    size_t half = ((size_t)config_get_int(node->cfg, "maxsigcachesize") << 20) / 2;
    node->sigcache = sigcache_new(half);
    node->scriptcache = scriptcache_new(half);
    LOG_INFO("Using %zu MiB for the signature cache and %zu MiB for the script execution cache",
             half >> 20, half >> 20);
}

/* The deployments, with Core's -vbparams overrides on regtest. */
static int start_versionbits(struct node *node, char **err)
{
    node->versionbits = versionbits_new(node->params);
    size_t n = 0;
    const char *const *specs = config_get_multi(node->cfg, "vbparams", &n);
    for (size_t i = 0; node->params->type == CHAIN_REGTEST && i < n; i++) {
        int pos = versionbits_override(node->versionbits, specs[i], err);
        if (pos < 0)
            return -1;
        const struct params_deployment *d = versionbits_deployment(node->versionbits, pos);
        LOG_INFO("Setting version bits activation parameters for %s to start=%lld, "
                 "timeout=%lld, min_activation_height=%d", d->name, (long long)d->start_time,
                 (long long)d->timeout, d->min_activation_height);
    }
    return 0;
}

static int chain_start(struct node *node, char **err)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    if (parse_assumevalid(node->cfg, &o, err) < 0 || parse_min_chain_work(node, &o, err) < 0 ||
        start_versionbits(node, err) < 0)
        return -1;
    o.max_tip_age = config_get_int(node->cfg, "maxtipage");
    start_caches(node);
    o.script_threads = checkqueue_par((int)config_get_int(node->cfg, "par"));
    o.sigcache = node->sigcache;
    o.scriptcache = node->scriptcache;
    LOG_INFO("Script verification uses %d threads", o.script_threads);
    o.dbcache_bytes = (size_t)config_get_int(node->cfg, "dbcache") << 20;
    o.now = node_now; /* setmocktime moves the 2-hour rule */
    o.reindex = config_get_bool(node->cfg, "reindex");
    o.fast_prune = config_get_bool(node->cfg, "fastprune");
    char *path = xstrdup(node->chaindir);
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
    versionbits_free(node->versionbits);
    node->versionbits = NULL;
    sigcache_free(node->sigcache);
    node->sigcache = NULL;
    scriptcache_free(node->scriptcache);
    node->scriptcache = NULL;
}

const struct node_subsystem chain_subsystem = { "chain", chain_start, chain_stop };
