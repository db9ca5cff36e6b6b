/* Chain statistics methods (Bitcoin Core's src/rpc/blockchain.cpp):
 * gettxoutsetinfo, getblockstats, getchaintxstats, getdeploymentinfo. */
#include "node/rpc/rpc_glue.h"

#include "chain/primitives/serialize.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/blockstats.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/coinstats.h"
#include "chain/validation/versionbits.h"
#include "node/config.h"
#include "node/rpc/rpc_txoutset.h"
#include "node/rpc/rpc_util.h"

#include <stdlib.h>
#include <string.h>

/* Cumulative transaction counts along the active chain (Core keeps
 * m_chain_tx_count in its block index; ours is counted from the stored
 * blocks once and kept here). An entry is valid while the active block at
 * its height has the same hash: a hash commits to every ancestor. */
struct txcount_cache {
    struct hash256 *hash;
    uint64_t *total; /* transactions in blocks 0..height */
    size_t n, cap;
};

struct chainstats_ctx {
    struct node *node;
    struct txcount_cache txc;
    struct rpc_txoutset *txoutset; /* gettxoutsetinfo's walks */
};

static struct chainstate *chain_of(const struct rpc_request *req)
{
    return ((struct chainstats_ctx *)req->ctx)->node->chain;
}

/* Transactions in a stored block, from its raw count; -1 without data. */
static int64_t block_tx_count(struct chainstate *cs, const struct bindex_node *n)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    uint64_t v = 0;
    if (chainstate_get_block_raw(cs, &n->hash, &raw, &len, NULL) != 1)
        return -1;
    struct cursor c;
    cursor_init(&c, raw, len);
    bool ok = cursor_skip(&c, BLOCK_HEADER_SIZE) && cursor_compact(&c, &v, SER_MAX_SIZE);
    free(raw);
    return ok ? (int64_t)v : -1;
}

/* m_chain_tx_count of the active block at height h; 0 when unknown. */
static uint64_t chain_tx_count(struct chainstate *cs, struct txcount_cache *c, int h)
{
    size_t top = c->n < (size_t)h + 1 ? c->n : (size_t)h + 1, keep = top;
    while (keep > 0 && !hash_eq(&c->hash[keep - 1], &chainstate_at(cs, (int)keep - 1)->hash))
        keep--;
    if (keep < top)
        c->n = keep; /* a reorg replaced the blocks above */
    else if (top == (size_t)h + 1)
        return c->total[h];
    for (int k = (int)c->n; k <= h; k++) {
        const struct bindex_node *n = chainstate_at(cs, k);
        int64_t count = block_tx_count(cs, n);
        if (count < 0)
            return 0;
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 1024;
            c->hash = xreallocarray(c->hash, c->cap, sizeof(*c->hash));
            c->total = xreallocarray(c->total, c->cap, sizeof(*c->total));
        }
        c->hash[c->n] = n->hash;
        c->total[c->n] = (c->n ? c->total[c->n - 1] : 0) + (uint64_t)count;
        c->n++;
    }
    return c->total[h];
}

/* Core's ParseHashOrHeight. */
static const struct bindex_node *hash_or_height(struct rpc_request *req, size_t i)
{
    struct chainstate *cs = chain_of(req);
    json_t *v = rpc_param(req, i);
    if (json_is_number(v)) {
        int64_t h;
        if (!rpc_param_int(req, i, 0, INT32_MIN, INT32_MAX, &h))
            return NULL;
        if (h < 0)
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Target block height %d is negative",
                            (int)h), NULL;
        if (h > chainstate_height(cs))
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Target block height %d after current tip %d",
                            (int)h, chainstate_height(cs)), NULL;
        return chainstate_at(cs, (int)h);
    }
    struct hash256 hash;
    if (!rpc_param_hash(req, i, &hash))
        return NULL;
    const struct bindex_node *n = chainstate_find(cs, &hash);
    if (!n)
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    return n;
}

static json_t *rpc_gettxoutsetinfo(struct rpc_request *req)
{
    static const char *const names[] = { "hash_serialized_3", "muhash", "none" };
    const char *type = json_string_value(rpc_param(req, 0));
    enum coinstats_hash ht = COINSTATS_HASH_SERIALIZED;
    if (type) {
        size_t k = 0;
        while (k < 3 && strcmp(type, names[k]))
            k++;
        if (k == 3)
            return rpc_fail(req, RPC_INVALID_PARAMETER, "'%s' is not a valid hash_type", type);
        ht = (enum coinstats_hash)k;
    }
    /* Other heights need Core's coinstatsindex, which we do not keep. */
    if (rpc_param(req, 1))
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Querying specific block heights requires coinstatsindex");
    struct chainstats_ctx *ctx = req->ctx;
    return rpc_txoutset_start(ctx->txoutset, req, ht, ht == COINSTATS_HASH_NONE ? NULL : names[ht]);
}

/* Every statistic, in Core's (alphabetical) order. */
static json_t *blockstats_json(const struct chain_params *p, const struct bindex_node *n,
                               const struct blockstats *s)
{
    json_t *pct = json_array();
    for (int i = 0; i < BLOCKSTATS_PERCENTILES; i++)
        json_array_append_new(pct, json_integer(s->feerate_percentiles[i]));
    json_t *o = json_object();
#define I(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
    I("avgfee", s->avgfee);
    I("avgfeerate", s->avgfeerate);
    I("avgtxsize", s->avgtxsize);
    json_object_set_new(o, "blockhash", rpc_hash_json(&n->hash));
    json_object_set_new(o, "feerate_percentiles", pct);
    I("height", n->height);
    I("ins", s->ins);
    I("maxfee", s->maxfee);
    I("maxfeerate", s->maxfeerate);
    I("maxtxsize", s->maxtxsize);
    I("medianfee", s->medianfee);
    I("mediantime", bindex_median_time_past(n));
    I("mediantxsize", s->mediantxsize);
    I("minfee", s->minfee);
    I("minfeerate", s->minfeerate);
    I("mintxsize", s->mintxsize);
    I("outs", s->outs);
    I("subsidy", params_block_subsidy(p, n->height));
    I("swtotal_size", s->swtotal_size);
    I("swtotal_weight", s->swtotal_weight);
    I("swtxs", s->swtxs);
    I("time", n->hdr.time);
    I("total_out", s->total_out);
    I("total_size", s->total_size);
    I("total_weight", s->total_weight);
    I("totalfee", s->totalfee);
    I("txs", s->txs);
    I("utxo_increase", s->utxo_increase);
    I("utxo_size_inc", s->utxo_size_inc);
    I("utxo_increase_actual", s->utxo_increase_actual);
    I("utxo_size_inc_actual", s->utxo_size_inc_actual);
#undef I
    return o;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* UniValue's type names, for Core's get_str failure message. */
static const char *univalue_type(const json_t *v)
{
    if (json_is_null(v))
        return "null";
    if (json_is_boolean(v))
        return "bool";
    if (json_is_object(v))
        return "object";
    return json_is_array(v) ? "array" : "number";
}

/* The statistics named by parameter 1 (sorted and unique, as Core's
 * std::set), or all of them. Takes all. */
static json_t *select_stats(struct rpc_request *req, json_t *all)
{
    json_t *want = rpc_param(req, 1);
    if (!want || json_array_size(want) == 0)
        return all;
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        if (!json_is_string(v)) {
            json_decref(all);
            return rpc_fail(req, RPC_MISC_ERROR, "JSON value of type %s is not of expected type string",
                            univalue_type(v));
        }
    }
    json_t *sorted = json_object(), *out = json_object();
    json_array_foreach(want, i, v)
        json_object_set(sorted, json_string_value(v), v);
    const char *key;
    json_t *ignored;
    /* jansson keeps insertion order; sort the names ourselves. */
    size_t n = json_object_size(sorted), k = 0;
    const char **names = xcalloc(n, sizeof(*names));
    json_object_foreach(sorted, key, ignored)
        names[k++] = key;
    qsort(names, n, sizeof(*names), cmp_name);
    for (k = 0; k < n; k++) {
        json_t *val = json_object_get(all, names[k]);
        if (!val) {
            rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid selected statistic '%s'", names[k]);
            json_decref(out);
            out = NULL;
            break;
        }
        json_object_set(out, names[k], val);
    }
    free(names);
    json_decref(sorted);
    json_decref(all);
    return out;
}

static json_t *rpc_getblockstats(struct rpc_request *req)
{
    struct chainstats_ctx *ctx = req->ctx;
    struct chainstate *cs = ctx->node->chain;
    const struct bindex_node *n = hash_or_height(req, 0);
    if (!n)
        return NULL;
    if (!(n->status & BINDEX_HAVE_DATA))
        return rpc_fail(req, RPC_MISC_ERROR, "Block not available (not fully downloaded)");
    struct coin *spent = NULL;
    size_t n_spent = 0;
    char *err = NULL;
    /* The genesis block has no undo data and spends nothing. */
    int r = n->height == 0 ? 1 : chainstate_spent_coins(cs, n, &spent, &n_spent, &err);
    free(err);
    if (r != 1)
        return rpc_fail(req, RPC_MISC_ERROR,
                        r == 0 ? "Undo data not available" : "Can't read undo data from disk");
    struct block *b = chainstate_get_block(cs, &n->hash, NULL);
    struct blockstats s;
    int rc = b ? blockstats_compute(b, spent, n_spent, n->height == 0, &s) : -1;
    for (size_t i = 0; i < n_spent; i++)
        coin_clear(&spent[i]);
    free(spent);
    block_free(b);
    if (rc < 0)
        return rpc_fail(req, RPC_MISC_ERROR, b ? "Can't read undo data from disk"
                                               : "Block not found on disk");
    return select_stats(req, blockstats_json(ctx->node->params, n, &s));
}

static json_t *rpc_getchaintxstats(struct rpc_request *req)
{
    struct chainstats_ctx *ctx = req->ctx;
    struct chainstate *cs = ctx->node->chain;
    const struct bindex_node *n = chainstate_tip(cs);
    if (rpc_param(req, 1)) {
        struct hash256 h;
        if (!rpc_param_hash(req, 1, &h))
            return NULL;
        if (!(n = chainstate_find(cs, &h)))
            return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        if (!chainstate_is_active(cs, n))
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Block is not in main chain");
    }
    /* One month of blocks by default, as Core. */
    int64_t count = 30 * 24 * 60 * 60 / ctx->node->params->pow_target_spacing;
    if (!rpc_param(req, 0)) {
        count = count < n->height - 1 ? count : n->height - 1;
        count = count > 0 ? count : 0;
    } else if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &count)) {
        return NULL;
    } else if (count < 0 || (count > 0 && count >= n->height)) {
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Invalid block count: should be between 0 and the block's height - 1");
    }
    const struct bindex_node *past = bindex_ancestor(n, n->height - (int)count);
    int64_t interval = (int64_t)bindex_median_time_past(n) - bindex_median_time_past(past);
    uint64_t total = chain_tx_count(cs, &ctx->txc, n->height);
    uint64_t past_total = chain_tx_count(cs, &ctx->txc, past->height);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_integer(n->hdr.time));
    if (total)
        json_object_set_new(o, "txcount", json_integer((json_int_t)total));
    json_object_set_new(o, "window_final_block_hash", rpc_hash_json(&n->hash));
    json_object_set_new(o, "window_final_block_height", json_integer(n->height));
    json_object_set_new(o, "window_block_count", json_integer(count));
    if (count > 0) {
        json_object_set_new(o, "window_interval", json_integer(interval));
        if (total && past_total) {
            json_object_set_new(o, "window_tx_count", json_integer((json_int_t)(total - past_total)));
            if (interval > 0)
                json_object_set_new(o, "txrate", json_real((double)(total - past_total) / interval));
        }
    }
    return o;
}

/* Core's buried deployments (SoftForkDescPushBack): active from the block
 * before the height, as the next block is the first to enforce them. */
static void buried(json_t *deps, const char *name, int height, const struct bindex_node *at)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("buried"));
    json_object_set_new(o, "active", json_boolean(at->height + 1 >= height));
    json_object_set_new(o, "height", json_integer(height));
    json_object_set_new(deps, name, o);
}

/* The signalling statistics of at's period (Core leaves out threshold
 * and possible once locked in). */
static json_t *bip9_statistics(const struct versionbits_rule *r, const struct bindex_node *at,
                               bool locked_in, json_t *bip9)
{
    struct versionbits_stats st;
    char *sig = xmalloc((size_t)r->period + 1);
    versionbits_statistics(r, at, &st, sig);
    json_t *o = json_object();
    json_object_set_new(o, "period", json_integer(st.period));
    if (!locked_in)
        json_object_set_new(o, "threshold", json_integer(st.threshold));
    json_object_set_new(o, "elapsed", json_integer(st.elapsed));
    json_object_set_new(o, "count", json_integer(st.count));
    if (!locked_in)
        json_object_set_new(o, "possible", json_boolean(st.possible));
    json_object_set_new(bip9, "statistics", o);
    json_object_set_new(bip9, "signalling", json_string(sig));
    free(sig);
    return bip9;
}

/* A version bits deployment at block at, as Core's SoftForkDescPushBack:
 * status is the state of at itself, status_next that of its child. */
static void bip9(json_t *deps, struct versionbits *vb, int pos, const struct bindex_node *at)
{
    if (!versionbits_enabled(vb, pos))
        return;
    const struct params_deployment *d = versionbits_deployment(vb, pos);
    enum versionbits_state cur = versionbits_state(vb, pos, at->prev);
    enum versionbits_state next = versionbits_state(vb, pos, at);
    bool signal = cur == VERSIONBITS_STARTED || cur == VERSIONBITS_LOCKED_IN;
    json_t *b = json_object();
    if (signal)
        json_object_set_new(b, "bit", json_integer(d->bit));
    json_object_set_new(b, "start_time", json_integer(d->start_time));
    json_object_set_new(b, "timeout", json_integer(d->timeout));
    json_object_set_new(b, "min_activation_height", json_integer(d->min_activation_height));
    json_object_set_new(b, "status", json_string(versionbits_state_name(cur)));
    json_object_set_new(b, "since", json_integer(versionbits_since(vb, pos, at->prev)));
    json_object_set_new(b, "status_next", json_string(versionbits_state_name(next)));
    if (signal)
        bip9_statistics(versionbits_rule(vb, pos), at, cur == VERSIONBITS_LOCKED_IN, b);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("bip9"));
    if (next == VERSIONBITS_ACTIVE)
        json_object_set_new(o, "height", json_integer(versionbits_since(vb, pos, at)));
    json_object_set_new(o, "active", json_boolean(next == VERSIONBITS_ACTIVE));
    json_object_set_new(o, "bip9", b);
    json_object_set_new(deps, d->name, o);
}

static json_t *rpc_getdeploymentinfo(struct rpc_request *req)
{
    struct chainstats_ctx *ctx = req->ctx;
    const struct chain_params *p = ctx->node->params;
    const struct bindex_node *n = chainstate_tip(ctx->node->chain);
    if (rpc_param(req, 0)) {
        struct hash256 h;
        if (!rpc_param_hash(req, 0, &h))
            return NULL;
        if (!(n = chainstate_find(ctx->node->chain, &h)))
            return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    }
    json_t *deps = json_object();
    buried(deps, "bip34", p->bip34_height, n);
    buried(deps, "bip66", p->bip66_height, n);
    buried(deps, "bip65", p->bip65_height, n);
    buried(deps, "csv", p->csv_height, n);
    buried(deps, "segwit", p->segwit_height, n);
    for (int pos = 0; pos < PARAMS_DEP_COUNT; pos++)
        bip9(deps, ctx->node->versionbits, pos, n);
    json_t *o = json_object();
    json_object_set_new(o, "hash", rpc_hash_json(&n->hash));
    json_object_set_new(o, "height", json_integer(n->height));
    json_object_set_new(o, "deployments", deps);
    return o;
}

static const struct rpc_method chainstats_methods[] = {
    { "gettxoutsetinfo", "blockchain", rpc_gettxoutsetinfo,
      "Returns statistics about the unspent transaction output set.\n"
      "Note this call may take some time: the whole set is read.",
      { { "hash_type", RPC_ARG_STR, true,
          "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy "
          "algorithm), 'muhash', 'none'.", "hash_serialized_3" },
        { "hash_or_height", RPC_ARG_STR | RPC_ARG_NUM, true,
          "The block hash or height of the target height (only available with coinstatsindex).",
          "the current best block" },
        { "use_index", RPC_ARG_BOOL, true, "Use coinstatsindex, if available.", "true" },
        { 0 } } },
    { "getblockstats", "blockchain", rpc_getblockstats,
      "Compute per block statistics for a given window. All amounts are in satoshis.\n"
      "It won't work for some heights with pruning.",
      { { "hash_or_height", RPC_ARG_STR | RPC_ARG_NUM, false,
          "The block hash or height of the target block", NULL },
        { "stats", RPC_ARG_ARR, true, "Values to plot (see result below)", "all values" },
        { 0 } } },
    { "getchaintxstats", "blockchain", rpc_getchaintxstats,
      "Compute statistics about the total number and rate of transactions in the chain.",
      { { "nblocks", RPC_ARG_NUM, true, "Size of the window in number of blocks", "one month" },
        { "blockhash", RPC_ARG_STR, true, "The hash of the block that ends the window.",
          "chain tip" },
        { 0 } } },
    { "getdeploymentinfo", "blockchain", rpc_getdeploymentinfo,
      "Returns an object containing various state info regarding deployments of consensus "
      "changes.",
      { { "blockhash", RPC_ARG_STR, true, "The block hash at which to query deployment state",
          "hash of current chain tip" },
        { 0 } } },
};

static void ctx_free(void *p)
{
    struct chainstats_ctx *ctx = p;
    rpc_txoutset_free(ctx->txoutset);
    free(ctx->txc.hash);
    free(ctx->txc.total);
    free(ctx);
}

int rpc_chainstats_register(struct rpc_table *t, struct node *node, char **err)
{
    struct chainstats_ctx *ctx = xcalloc(1, sizeof(*ctx));
    ctx->node = node;
    ctx->txoutset = rpc_txoutset_new(node, config_get_int(node->cfg, "testcoinstatsdelay"), err);
    if (!ctx->txoutset) {
        free(ctx);
        return -1;
    }
    return rpc_table_add(t, chainstats_methods,
                         sizeof(chainstats_methods) / sizeof(chainstats_methods[0]), ctx,
                         ctx_free, err);
}
