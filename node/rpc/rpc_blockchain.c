/* Chain and mempool methods (Bitcoin Core's src/rpc/blockchain.cpp and
 * src/rpc/mempool.cpp): field names, order and units as Core's. */
#include "node/rpc/rpc_glue.h"

#include "chain/storage/blockfile.h"
#include "chain/validation/chainstate.h"
#include "chain/mempool/mempool.h"
#include "chain/mempool/unbroadcast.h"
#include "node/mempool_glue.h"
#include "chain/primitives/serialize.h"
#include "node/rpc/rpc_prune.h"
#include "node/rpc/rpc_util.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static struct node *node_of(const struct rpc_request *req)
{
    return req->ctx;
}

/* Confirmations of a block: -1 off the active chain (Core's
 * ComputeNextBlockAndDepth), with the next active block in *next. */
static int depth_of(struct chainstate *cs, const struct bindex_node *n,
                    const struct bindex_node **next)
{
    *next = NULL;
    if (!chainstate_is_active(cs, n))
        return -1;
    *next = chainstate_at(cs, n->height + 1);
    return chainstate_height(cs) - n->height + 1;
}

/* Transactions in a stored block, read from its raw count; 0 without data. */
static size_t stored_tx_count(struct chainstate *cs, const struct bindex_node *n)
{
    uint8_t *raw = NULL;
    size_t len = 0, count = 0;
    if (!(n->status & BINDEX_HAVE_DATA) || chainstate_get_block_raw(cs, &n->hash, &raw, &len, NULL) != 1)
        return 0;
    struct cursor c;
    cursor_init(&c, raw, len);
    uint64_t v = 0;
    if (cursor_skip(&c, BLOCK_HEADER_SIZE) && cursor_compact(&c, &v, SER_MAX_SIZE))
        count = (size_t)v;
    free(raw);
    return count;
}

/* Core's blockheaderToJSON. */
static json_t *header_json(struct chainstate *cs, const struct bindex_node *n, size_t n_tx)
{
    const struct bindex_node *next;
    int depth = depth_of(cs, n, &next);
    json_t *o = json_object();
    json_object_set_new(o, "hash", rpc_hash_json(&n->hash));
    json_object_set_new(o, "confirmations", json_integer(depth));
    json_object_set_new(o, "height", json_integer(n->height));
    json_object_set_new(o, "version", json_integer(n->hdr.version));
    char hex[9];
    snprintf(hex, sizeof(hex), "%08x", (uint32_t)n->hdr.version);
    json_object_set_new(o, "versionHex", json_string(hex));
    json_object_set_new(o, "merkleroot", rpc_hash_json(&n->hdr.merkle));
    json_object_set_new(o, "time", json_integer(n->hdr.time));
    json_object_set_new(o, "mediantime", json_integer(bindex_median_time_past(n)));
    json_object_set_new(o, "nonce", json_integer(n->hdr.nonce));
    rpc_util_bits_fields(o, n->hdr.bits);
    json_object_set_new(o, "chainwork", rpc_util_u256_hex(&n->work));
    json_object_set_new(o, "nTx", json_integer((json_int_t)n_tx));
    if (n->prev)
        json_object_set_new(o, "previousblockhash", rpc_hash_json(&n->prev->hash));
    if (next)
        json_object_set_new(o, "nextblockhash", rpc_hash_json(&next->hash));
    return o;
}

/* The block named by parameter 0, or NULL after -5 "Block not found". */
static const struct bindex_node *block_param(struct rpc_request *req)
{
    struct hash256 h;
    if (!rpc_param_hash(req, 0, &h))
        return NULL;
    const struct bindex_node *n = chainstate_find(node_of(req)->chain, &h);
    if (!n)
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    return n;
}

static json_t *rpc_getblockchaininfo(struct rpc_request *req)
{
    struct node *node = node_of(req);
    struct chainstate *cs = node->chain;
    const struct bindex_node *tip = chainstate_tip(cs), *best = chainstate_best_header(cs);
    json_t *o = json_object();
    json_object_set_new(o, "chain", json_string(node->params->name));
    json_object_set_new(o, "blocks", json_integer(tip->height));
    json_object_set_new(o, "headers", json_integer(best->height));
    json_object_set_new(o, "bestblockhash", rpc_hash_json(&tip->hash));
    rpc_util_bits_fields(o, tip->hdr.bits);
    json_object_set_new(o, "time", json_integer(tip->hdr.time));
    json_object_set_new(o, "mediantime", json_integer(bindex_median_time_past(tip)));
    double progress = best->height > 0 ? (double)tip->height / best->height : 1.0;
    json_object_set_new(o, "verificationprogress", json_real(progress));
    json_object_set_new(o, "initialblockdownload", json_boolean(chainstate_initial_download(cs)));
    json_object_set_new(o, "chainwork", rpc_util_u256_hex(&tip->work));
    rpc_prune_storage_fields(node, o);
    json_object_set_new(o, "warnings", json_array());
    return o;
}

static json_t *rpc_getblockcount(struct rpc_request *req)
{
    return json_integer(chainstate_height(node_of(req)->chain));
}

static json_t *rpc_getbestblockhash(struct rpc_request *req)
{
    return rpc_hash_json(&chainstate_tip(node_of(req)->chain)->hash);
}

static json_t *rpc_getblockhash(struct rpc_request *req)
{
    int64_t height;
    if (!rpc_param_int(req, 0, 0, INT64_MIN, INT64_MAX, &height))
        return NULL;
    struct chainstate *cs = node_of(req)->chain;
    if (height < 0 || height > chainstate_height(cs))
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Block height out of range");
    return rpc_hash_json(&chainstate_at(cs, (int)height)->hash);
}

static json_t *rpc_getblockheader(struct rpc_request *req)
{
    const struct bindex_node *n = block_param(req);
    if (!n)
        return NULL;
    json_t *verbose = rpc_param(req, 1);
    if (verbose && !json_is_true(verbose)) {
        uint8_t raw[BLOCK_HEADER_SIZE];
        block_header_serialize(&n->hdr, raw);
        return rpc_util_hex_json(raw, sizeof(raw));
    }
    struct chainstate *cs = node_of(req)->chain;
    return header_json(cs, n, stored_tx_count(cs, n));
}

/* Verbosity as Core's ParseVerbosity: a number, or a bool for 0/1. */
static bool verbosity_param(struct rpc_request *req, size_t i, int def, int *out)
{
    json_t *v = rpc_param(req, i);
    if (!v)
        *out = def;
    else if (json_is_boolean(v))
        *out = json_is_true(v) ? 1 : 0;
    else if (json_is_integer(v))
        *out = (int)json_integer_value(v);
    else {
        rpc_fail(req, RPC_TYPE_ERROR, "verbosity must be an integer or a boolean");
        return false;
    }
    return true;
}

/* Core's blockToJSON; verbosity 3 (prevouts) shows what 2 does: spent
 * coins' undo data is not reachable through the chainstate. */
static json_t *block_json(struct node *node, const struct bindex_node *n, const struct block *b,
                          int verbosity)
{
    json_t *o = header_json(node->chain, n, b->tx_count);
    json_object_set_new(o, "strippedsize", json_integer((json_int_t)b->base_size));
    json_object_set_new(o, "size", json_integer((json_int_t)b->size));
    json_object_set_new(o, "weight", json_integer((json_int_t)block_weight(b)));
    json_t *txs = json_array();
    for (size_t i = 0; i < b->tx_count; i++) {
        const struct tx *tx = b->txs[i];
        json_array_append_new(txs, verbosity >= 2 ? rpc_util_tx_json(node->params, tx, true)
                                                  : rpc_hash_json(&tx->txid));
    }
    json_object_set_new(o, "tx", txs);
    return o;
}

static json_t *rpc_getblock(struct rpc_request *req)
{
    struct node *node = node_of(req);
    const struct bindex_node *n = block_param(req);
    int verbosity;
    if (!n || !verbosity_param(req, 1, 1, &verbosity))
        return NULL;
    if (!(n->status & BINDEX_HAVE_DATA))
        return rpc_fail(req, RPC_MISC_ERROR, "Block not available (%s)",
                        rpc_prune_block_pruned(node, n) ? "pruned data" : "not fully downloaded");
    if (verbosity <= 0) {
        uint8_t *raw = NULL;
        size_t len = 0;
        if (chainstate_get_block_raw(node->chain, &n->hash, &raw, &len, NULL) != 1)
            return rpc_fail(req, RPC_MISC_ERROR, "Block not found on disk");
        json_t *r = rpc_util_hex_json(raw, len);
        free(raw);
        return r;
    }
    struct block *b = chainstate_get_block(node->chain, &n->hash, NULL);
    if (!b)
        return rpc_fail(req, RPC_MISC_ERROR, "Block not found on disk");
    json_t *r = block_json(node, n, b, verbosity);
    block_free(b);
    return r;
}

struct node_list {
    struct bindex_node **v;
    size_t n, cap;
};

static void collect_node(void *ctx, struct bindex_node *n)
{
    struct node_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct bindex_node **v = xrealloc(l->v, cap * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = n;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Higher first, then by hash so the order is stable. */
static int cmp_height_desc(const void *a, const void *b)
{
    const struct bindex_node *x = *(void *const *)a, *y = *(void *const *)b;
    if (x->height != y->height)
        return x->height > y->height ? -1 : 1;
    return memcmp(x->hash.b, y->hash.b, 32);
}

/* Core's getchaintips status strings. */
static const char *tip_status(struct chainstate *cs, const struct bindex_node *n)
{
    if (chainstate_is_active(cs, n))
        return "active";
    if (n->status & BINDEX_FAILED_MASK)
        return "invalid";
    if (n->status & BINDEX_HAVE_UNDO)
        return "valid-fork"; /* was connected once: fully validated */
    return n->have_chain ? "valid-headers" : "headers-only";
}

static json_t *rpc_getchaintips(struct rpc_request *req)
{
    struct chainstate *cs = node_of(req)->chain;
    struct node_list all = { 0 };
    bindex_foreach(chainstate_index(cs), collect_node, &all);
    /* Parents, sorted: a node that is nobody's parent is a tip. */
    struct bindex_node **parents = xmalloc((all.n + 1) * sizeof(*parents));
    size_t np = 0, nt = 0;
    for (size_t i = 0; i < all.n; i++)
        if (all.v[i]->prev)
            parents[np++] = all.v[i]->prev;
    qsort(parents, np, sizeof(*parents), cmp_ptr);
    for (size_t i = 0; i < all.n; i++)
        if (!bsearch(&all.v[i], parents, np, sizeof(*parents), cmp_ptr))
            all.v[nt++] = all.v[i];
    free(parents);
    qsort(all.v, nt, sizeof(*all.v), cmp_height_desc);
    const struct bindex_node *tip = chainstate_tip(cs);
    json_t *r = json_array();
    for (size_t i = 0; i < nt; i++) {
        const struct bindex_node *n = all.v[i];
        const struct bindex_node *fork = bindex_fork_point(n, tip);
        json_t *o = json_object();
        json_object_set_new(o, "height", json_integer(n->height));
        json_object_set_new(o, "hash", rpc_hash_json(&n->hash));
        json_object_set_new(o, "branchlen", json_integer(n->height - (fork ? fork->height : 0)));
        json_object_set_new(o, "status", json_string(tip_status(cs, n)));
        json_array_append_new(r, o);
    }
    free(all.v);
    return r;
}

static json_t *rpc_getdifficulty(struct rpc_request *req)
{
    return json_real(rpc_util_difficulty(chainstate_tip(node_of(req)->chain)->hdr.bits));
}

static json_t *rpc_getmempoolinfo(struct rpc_request *req)
{
    struct mempool *mp = node_of(req)->mempool;
    const struct mempool_options *opt = mempool_get_options(mp);
    int64_t min_fee = mempool_min_fee(mp, (int64_t)time(NULL));
    json_t *o = json_object();
    json_object_set_new(o, "loaded", json_true());
    json_object_set_new(o, "size", json_integer((json_int_t)mempool_count(mp)));
    json_object_set_new(o, "bytes", json_integer((json_int_t)mempool_bytes(mp)));
    json_object_set_new(o, "usage", json_integer((json_int_t)mempool_usage(mp)));
    json_object_set_new(o, "total_fee", rpc_amount(mempool_total_fee(mp)));
    json_object_set_new(o, "maxmempool", json_integer((json_int_t)opt->max_usage));
    json_object_set_new(o, "mempoolminfee",
                        rpc_amount(min_fee > opt->min_relay_feerate ? min_fee
                                                                    : opt->min_relay_feerate));
    json_object_set_new(o, "minrelaytxfee", rpc_amount(opt->min_relay_feerate));
    json_object_set_new(o, "incrementalrelayfee", rpc_amount(opt->incremental_feerate));
    json_object_set_new(o, "unbroadcastcount",
                        json_integer((json_int_t)unbroadcast_count(node_of(req)->unbroadcast)));
    json_object_set_new(o, "fullrbf", json_true());
    return o;
}

/* BIP125 signalling by the entry or any in-mempool ancestor (bounded by
 * the ancestor limit, so the recursion stays shallow). */
static bool signals_rbf(const struct mempool_entry *e, int depth)
{
    const struct tx *tx = mempool_entry_tx(e);
    for (size_t i = 0; i < tx->vin_count; i++)
        if (tx->vin[i].sequence < 0xfffffffe)
            return true;
    const struct mempool_entry *const *parents;
    size_t n = mempool_entry_parents(e, &parents);
    for (size_t i = 0; depth < MEMPOOL_DEFAULT_ANCESTOR_COUNT && i < n; i++)
        if (signals_rbf(parents[i], depth + 1))
            return true;
    return false;
}

static json_t *txid_list(const struct mempool_entry *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, rpc_hash_json(&mempool_entry_tx(v[i])->txid));
    return a;
}

/* Core's entryToJSON. */
static json_t *entry_json(const struct mempool_entry *e, const struct unbroadcast *ub)
{
    struct mempool_family f;
    mempool_entry_family(e, &f);
    const struct tx *tx = mempool_entry_tx(e);
    json_t *o = json_object();
    json_object_set_new(o, "vsize", json_integer((json_int_t)mempool_entry_vsize(e)));
    json_object_set_new(o, "weight", json_integer((json_int_t)mempool_entry_weight(e)));
    json_object_set_new(o, "time", json_integer(mempool_entry_time(e)));
    json_object_set_new(o, "height", json_integer(mempool_entry_height(e)));
    json_object_set_new(o, "descendantcount", json_integer((json_int_t)f.desc_count));
    json_object_set_new(o, "descendantsize", json_integer((json_int_t)f.desc_vsize));
    json_object_set_new(o, "ancestorcount", json_integer((json_int_t)f.anc_count));
    json_object_set_new(o, "ancestorsize", json_integer((json_int_t)f.anc_vsize));
    json_object_set_new(o, "wtxid", rpc_hash_json(&tx->wtxid));
    json_t *fees = json_object();
    json_object_set_new(fees, "base", rpc_amount(mempool_entry_fee(e)));
    json_object_set_new(fees, "modified", rpc_amount(mempool_entry_fee(e)));
    json_object_set_new(fees, "ancestor", rpc_amount(f.anc_fees));
    json_object_set_new(fees, "descendant", rpc_amount(f.desc_fees));
    json_object_set_new(o, "fees", fees);
    const struct mempool_entry *const *rel;
    size_t n = mempool_entry_parents(e, &rel);
    json_object_set_new(o, "depends", txid_list(rel, n));
    n = mempool_entry_children(e, &rel);
    json_object_set_new(o, "spentby", txid_list(rel, n));
    json_object_set_new(o, "bip125-replaceable", json_boolean(signals_rbf(e, 0)));
    json_object_set_new(o, "unbroadcast", json_boolean(unbroadcast_has(ub, &tx->txid)));
    return o;
}

static json_t *rpc_getrawmempool(struct rpc_request *req)
{
    struct mempool *mp = node_of(req)->mempool;
    bool verbose = json_is_true(rpc_param(req, 0));
    bool with_seq = json_is_true(rpc_param(req, 1));
    if (verbose && with_seq)
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Verbose results cannot contain mempool sequence values.");
    json_t *r = verbose ? json_object() : json_array();
    for (const struct mempool_entry *e = mempool_first(mp); e; e = mempool_next(e)) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&mempool_entry_tx(e)->txid, hex);
        if (verbose)
            json_object_set_new(r, hex, entry_json(e, node_of(req)->unbroadcast));
        else
            json_array_append_new(r, json_string(hex));
    }
    if (with_seq) /* Core: the txids and the sequence they are current at */
        return json_pack("{s:o, s:I}", "txids", r, "mempool_sequence",
                         (json_int_t)mempool_sequence(mp));
    return r;
}

static json_t *rpc_getmempoolentry(struct rpc_request *req)
{
    struct hash256 txid;
    if (!rpc_param_hash(req, 0, &txid))
        return NULL;
    const struct mempool_entry *e = mempool_get(node_of(req)->mempool, &txid);
    if (!e)
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    return entry_json(e, node_of(req)->unbroadcast);
}

/* getmempoolancestors (up) and getmempooldescendants: txids, or with
 * verbose an object of entries keyed by txid. */
static json_t *relatives(struct rpc_request *req, bool up)
{
    struct hash256 txid;
    if (!rpc_param_hash(req, 0, &txid))
        return NULL;
    struct mempool *mp = node_of(req)->mempool;
    const struct mempool_entry *e = mempool_get(mp, &txid);
    if (!e)
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    bool verbose = json_is_true(rpc_param(req, 1));
    const struct mempool_entry **rel;
    size_t n = mempool_relatives(mp, e, up, &rel);
    json_t *r = verbose ? json_object() : txid_list(rel, n);
    for (size_t i = 0; verbose && i < n; i++) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&mempool_entry_tx(rel[i])->txid, hex);
        json_object_set_new(r, hex, entry_json(rel[i], node_of(req)->unbroadcast));
    }
    free(rel);
    return r;
}

static json_t *rpc_getmempoolancestors(struct rpc_request *req)
{
    return relatives(req, true);
}

static json_t *rpc_getmempooldescendants(struct rpc_request *req)
{
    return relatives(req, false);
}

/* The mempool is loaded before the RPC server starts, so Core's "not
 * loaded yet" error cannot happen here. */
static json_t *rpc_savemempool(struct rpc_request *req)
{
    struct node *node = node_of(req);
    char *path = mempool_glue_dump_path(node), *err = NULL;
    json_t *r = NULL;
    if (mempool_dump(node->mempool, path, &err) == 0)
        r = json_pack("{s:s}", "filename", path);
    else
        rpc_fail(req, RPC_MISC_ERROR, "Unable to dump mempool to disk");
    free(err);
    free(path);
    return r;
}

/* Core's MEMPOOL_HEIGHT: the height a coin created in the mempool has. */
#define MEMPOOL_COIN_HEIGHT 0x7fffffff

/* An unspent output as Core's gettxout sees it: from the UTXO set, or with
 * the mempool from its transactions, and not spent by any of them. */
static bool find_txout(struct node *node, const struct outpoint *op, bool with_mempool,
                       struct coin *out)
{
    if (with_mempool) {
        if (mempool_spender(node->mempool, op))
            return false;
        const struct mempool_entry *e = mempool_get(node->mempool, &op->hash);
        if (e) {
            const struct tx *tx = mempool_entry_tx(e);
            if (op->n >= tx->vout_count)
                return false;
            out->value = tx->vout[op->n].value;
            out->script = xmalloc(tx->vout[op->n].script_len + 1);
            memcpy(out->script, tx->vout[op->n].script, tx->vout[op->n].script_len);
            out->script_len = tx->vout[op->n].script_len;
            out->height = MEMPOOL_COIN_HEIGHT;
            out->coinbase = false;
            return true;
        }
    }
    return chainstate_coin_lookup(node->chain, op, out);
}

static json_t *rpc_gettxout(struct rpc_request *req)
{
    struct node *node = node_of(req);
    struct outpoint op;
    int64_t n;
    if (!rpc_param_hash(req, 0, &op.hash) || !rpc_param_int(req, 1, 0, 0, UINT32_MAX, &n))
        return NULL;
    op.n = (uint32_t)n;
    json_t *mp = rpc_param(req, 2);
    struct coin coin = { 0 };
    if (!find_txout(node, &op, !mp || json_is_true(mp), &coin))
        return json_null();
    const struct bindex_node *tip = chainstate_tip(node->chain);
    json_t *v = json_object();
    json_object_set_new(v, "bestblock", rpc_hash_json(&tip->hash));
    json_object_set_new(v, "confirmations", json_integer(
        coin.height == MEMPOOL_COIN_HEIGHT ? 0 : tip->height - coin.height + 1));
    json_object_set_new(v, "value", rpc_amount(coin.value));
    json_object_set_new(v, "scriptPubKey", rpc_util_script_json(node->params, coin.script,
                                                                coin.script_len));
    json_object_set_new(v, "coinbase", json_boolean(coin.coinbase));
    coin_clear(&coin);
    return v;
}

static const struct rpc_method blockchain_methods[] = {
    { "getblockchaininfo", "blockchain", rpc_getblockchaininfo,
      "Returns an object containing various state info regarding blockchain processing.", { { 0 } } },
    { "getblockcount", "blockchain", rpc_getblockcount,
      "Returns the height of the most-work fully-validated chain.", { { 0 } } },
    { "getbestblockhash", "blockchain", rpc_getbestblockhash,
      "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
      { { 0 } } },
    { "getblockhash", "blockchain", rpc_getblockhash,
      "Returns hash of block in best-block-chain at height provided.",
      { { "height", RPC_ARG_NUM, false, "The height index", NULL }, { 0 } } },
    { "getblock", "blockchain", rpc_getblock,
      "Returns block data: hex for verbosity 0, an object with txids for 1, with decoded "
      "transactions for 2 and 3.",
      { { "blockhash", RPC_ARG_STR, false, "The block hash", NULL },
        { "verbosity", RPC_ARG_NUM | RPC_ARG_BOOL, true, "0, 1 (default), 2 or 3", "1" },
        { 0 } } },
    { "getblockheader", "blockchain", rpc_getblockheader,
      "Returns an object with the block header's information, or its hex when verbose is false.",
      { { "blockhash", RPC_ARG_STR, false, "The block hash", NULL },
        { "verbose", RPC_ARG_BOOL, true, "true (default) for an object, false for hex", "true" },
        { 0 } } },
    { "getchaintips", "blockchain", rpc_getchaintips,
      "Return information about all known tips in the block tree, including the main chain as "
      "well as orphaned branches.", { { 0 } } },
    { "getdifficulty", "blockchain", rpc_getdifficulty,
      "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.", { { 0 } } },
    { "getmempoolinfo", "blockchain", rpc_getmempoolinfo,
      "Returns details on the active state of the TX memory pool.", { { 0 } } },
    { "getrawmempool", "blockchain", rpc_getrawmempool,
      "Returns all transaction ids in memory pool as a json array of string transaction ids.",
      { { "verbose", RPC_ARG_BOOL, true, "true for a json object, false (default) for txids", "false" },
        { "mempool_sequence", RPC_ARG_BOOL, true,
          "If verbose=false, returns a json object with transaction list and mempool sequence "
          "number attached.", "false" },
        { 0 } } },
    { "getmempoolentry", "blockchain", rpc_getmempoolentry,
      "Returns mempool data for given transaction.",
      { { "txid", RPC_ARG_STR, false, "The transaction id (must be in mempool)", NULL }, { 0 } } },
    { "getmempoolancestors", "blockchain", rpc_getmempoolancestors,
      "If txid is in the mempool, returns all in-mempool ancestors.",
      { { "txid", RPC_ARG_STR, false, "The transaction id (must be in mempool)", NULL },
        { "verbose", RPC_ARG_BOOL, true, "True for a json object, false for array of transaction ids", "false" },
        { 0 } } },
    { "getmempooldescendants", "blockchain", rpc_getmempooldescendants,
      "If txid is in the mempool, returns all in-mempool descendants.",
      { { "txid", RPC_ARG_STR, false, "The transaction id (must be in mempool)", NULL },
        { "verbose", RPC_ARG_BOOL, true, "True for a json object, false for array of transaction ids", "false" },
        { 0 } } },
    { "savemempool", "blockchain", rpc_savemempool,
      "Dumps the mempool to disk. It will fail until the previous dump is fully loaded.",
      { { 0 } } },
    { "gettxout", "blockchain", rpc_gettxout,
      "Returns details about an unspent transaction output (null when spent or unknown).",
      { { "txid", RPC_ARG_STR, false, "The transaction id", NULL },
        { "n", RPC_ARG_NUM, false, "vout number", NULL },
        { "include_mempool", RPC_ARG_BOOL, true,
          "Whether to include the mempool. A coin spent in the mempool is not returned",
          "true" },
        { 0 } } },
};

const struct rpc_method_set blockchain_rpc_methods = RPC_METHOD_SET(blockchain_methods);
