/* Raw transaction methods (Bitcoin Core's src/rpc/rawtransaction.cpp and
 * src/rpc/mempool.cpp): sendrawtransaction, testmempoolaccept,
 * getrawtransaction and decoderawtransaction, with Core's error codes and
 * reject reasons. */
#include "node/clock.h"
#include "node/rpc/rpc_glue.h"

#include "chain/validation/chainstate.h"
#include "chain/mempool/mempool.h"
#include "chain/mempool/policy.h"
#include "node/mempool_glue.h"
#include "node/relay_glue.h"
#include "node/rpc/rpc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct node *node_of(const struct rpc_request *req)
{
    return req->ctx;
}

static bool fee_exceeds(int64_t fee, size_t vsize, int64_t max_feerate)
{
    return max_feerate > 0 && fee > policy_fee_at(max_feerate, vsize);
}

/* Some output of tx already exists as a confirmed coin. */
static bool outputs_in_utxo_set(struct node *node, const struct tx *tx)
{
    for (uint32_t i = 0; i < tx->vout_count; i++) {
        struct outpoint op = { tx->txid, i };
        struct coin c = { 0 };
        bool found = chainstate_coin_lookup(node->chain, &op, &c);
        coin_clear(&c);
        if (found)
            return true;
    }
    return false;
}

/* -26 with Core's "reason, detail" (TxValidationState::ToString). */
static json_t *fail_rejected(struct rpc_request *req, int code, const struct mempool_reject *rej)
{
    return rpc_fail(req, code, "%s%s%s", rej->reason ? rej->reason : "rejected",
                    rej->detail[0] ? ", " : "", rej->detail);
}

/* Checks the caller's caps before the transaction enters the mempool. */
static bool check_caps(struct rpc_request *req, struct tx *tx, const struct mempool_tip *tip,
                       int64_t now)
{
    int64_t max_feerate, max_burn;
    if (!rpc_util_amount_param(req, 1, RPC_UTIL_DEFAULT_MAX_FEERATE, &max_feerate) ||
        !rpc_util_amount_param(req, 2, 0, &max_burn))
        return false;
    if (rpc_util_burns_over(tx, max_burn)) {
        rpc_fail(req, RPC_VERIFY_ERROR,
                 "Unspendable output exceeds maximum configured by user (maxburnamount)");
        return false;
    }
    struct mempool_reject rej;
    int64_t fee = 0;
    size_t vsize = 0;
    if (max_feerate > 0 &&
        mempool_test_accept(node_of(req)->mempool, tx, tip, now, &rej, &fee, &vsize) ==
            MEMPOOL_ACCEPTED &&
        fee_exceeds(fee, vsize, max_feerate)) {
        rpc_fail(req, RPC_VERIFY_ERROR,
                 "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)");
        return false;
    }
    return true;
}

static json_t *rpc_sendrawtransaction(struct rpc_request *req)
{
    struct node *node = node_of(req);
    struct tx *tx = rpc_util_tx_param(req, 0, -1,
                                      "TX decode failed. Make sure the tx has at least one input.");
    if (!tx)
        return NULL;
    json_t *r = NULL;
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    int64_t now = node_now();
    struct mempool_reject rej;
    if (mempool_get_wtxid(node->mempool, &tx->wtxid)) {
        relay_glue_rebroadcast_tx(node, tx); /* known: Core relays it again */
        r = rpc_hash_json(&tx->txid);
    } else if (outputs_in_utxo_set(node, tx)) {
        rpc_fail(req, RPC_VERIFY_ALREADY_IN_CHAIN, "Transaction outputs already in utxo set");
    } else if (!check_caps(req, tx, &tip, now)) {
        /* failed */
    } else {
        /* Through the relay, which announces it to peers. */
        enum mempool_status st = relay_glue_submit_tx(node, tx, &rej);
        if (st == MEMPOOL_ACCEPTED)
            r = rpc_hash_json(&tx->txid);
        else if (st == MEMPOOL_MISSING_INPUTS)
            rpc_fail(req, RPC_VERIFY_ERROR, "bad-txns-inputs-missingorspent");
        else
            fail_rejected(req, RPC_VERIFY_REJECTED, &rej);
    }
    tx_free(tx);
    return r;
}

/* A testmempoolaccept result's start: txid and wtxid. */
static json_t *result_ids(const struct tx *tx)
{
    json_t *o = json_object();
    json_object_set_new(o, "txid", rpc_hash_json(&tx->txid));
    json_object_set_new(o, "wtxid", rpc_hash_json(&tx->wtxid));
    return o;
}

/* Core's reject reason for a transaction that failed with st. */
static const char *reject_reason(enum mempool_status st, const struct mempool_reject *rej)
{
    if (st == MEMPOOL_MISSING_INPUTS)
        return "missing-inputs";
    return rej->reason ? rej->reason : "rejected";
}

/* The rest of a result: refused for reason, else allowed with its size
 * and fees (judged by its own fee). */
static void result_outcome(json_t *o, const struct tx *tx, const char *reason, int64_t fee,
                           size_t vsize)
{
    json_object_set_new(o, "allowed", json_boolean(!reason));
    if (reason) {
        json_object_set_new(o, "reject-reason", json_string(reason));
        return;
    }
    json_object_set_new(o, "vsize", json_integer((json_int_t)vsize));
    json_t *fees = json_object();
    json_object_set_new(fees, "base", rpc_amount(fee));
    json_object_set_new(fees, "effective-feerate", rpc_amount(fee * 1000 / (int64_t)vsize));
    json_t *inc = json_array();
    json_array_append_new(inc, rpc_hash_json(&tx->wtxid));
    json_object_set_new(fees, "effective-includes", inc);
    json_object_set_new(o, "fees", fees);
}

/* One testmempoolaccept result, tx judged alone against the mempool. */
static json_t *test_one(struct node *node, struct tx *tx, int64_t max_feerate)
{
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    struct mempool_reject rej;
    int64_t fee = 0;
    size_t vsize = 0;
    enum mempool_status st =
        mempool_test_accept(node->mempool, tx, &tip, node_now(), &rej, &fee, &vsize);
    json_t *o = result_ids(tx);
    const char *reason = NULL;
    if (st != MEMPOOL_ACCEPTED)
        reason = reject_reason(st, &rej);
    else if (fee_exceeds(fee, vsize, max_feerate))
        reason = "max-fee-exceeded";
    result_outcome(o, tx, reason, fee, vsize);
    return o;
}

/* Core's package test-accept: a package refused whole gives every result
 * its "package-error"; else results stop at the first refused one (the
 * later ones get only their ids). */
static void test_package(struct node *node, struct tx *const *txs, size_t n,
                         int64_t max_feerate, json_t *r)
{
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    struct mempool_pkg_tx res[RPC_UTIL_MAX_PACKAGE];
    struct mempool_pkg out;
    bool judged =
        mempool_test_accept_package(node->mempool, txs, n, &tip, node_now(), res, &out);
    char err[sizeof(out.detail) + 64];
    if (!judged)
        snprintf(err, sizeof(err), "%s%s%s", out.reason, out.detail[0] ? ", " : "", out.detail);
    bool stop = false;
    for (size_t i = 0; i < n; i++) {
        json_t *o = result_ids(txs[i]);
        json_array_append_new(r, o);
        if (!judged) {
            json_object_set_new(o, "package-error", json_string(err));
            continue;
        }
        const struct mempool_pkg_tx *t = &res[i];
        if (stop || t->result == MEMPOOL_PKG_UNEVALUATED)
            continue;
        const char *reason = NULL;
        if (t->result != MEMPOOL_PKG_VALID)
            reason = reject_reason(t->rej.status, &t->rej);
        else if (fee_exceeds(t->fee, t->vsize, max_feerate))
            reason = "max-fee-exceeded";
        stop = reason != NULL;
        result_outcome(o, txs[i], reason, t->fee, t->vsize);
    }
    mempool_pkg_clear(&out);
}

static json_t *rpc_testmempoolaccept(struct rpc_request *req)
{
    struct tx *txs[RPC_UTIL_MAX_PACKAGE];
    size_t n = rpc_util_package_param(req, 0, txs);
    int64_t max_feerate;
    if (!n || !rpc_util_amount_param(req, 1, RPC_UTIL_DEFAULT_MAX_FEERATE, &max_feerate)) {
        rpc_util_free_txs(txs, n);
        return NULL;
    }
    json_t *r = json_array();
    if (n == 1)
        json_array_append_new(r, test_one(node_of(req), txs[0], max_feerate));
    else
        test_package(node_of(req), txs, n, max_feerate, r);
    rpc_util_free_txs(txs, n);
    return r;
}

static json_t *rpc_decoderawtransaction(struct rpc_request *req)
{
    json_t *iswitness = rpc_param(req, 1);
    struct tx *tx = rpc_util_tx_param(req, 0, iswitness ? json_is_true(iswitness) : -1,
                                      "TX decode failed");
    if (!tx)
        return NULL;
    json_t *r = rpc_util_tx_json(node_of(req)->params, tx, false);
    tx_free(tx);
    return r;
}

/* Core's TxToJSON: the decoded transaction and where it was confirmed. */
static json_t *tx_verbose(struct node *node, const struct tx *tx, const struct bindex_node *in,
                          bool with_in_active)
{
    json_t *o = json_object();
    bool active = in && chainstate_is_active(node->chain, in);
    if (with_in_active)
        json_object_set_new(o, "in_active_chain", json_boolean(active));
    json_t *decoded = rpc_util_tx_json(node->params, tx, true);
    json_object_update(o, decoded);
    json_decref(decoded);
    if (!in)
        return o;
    json_object_set_new(o, "blockhash", rpc_hash_json(&in->hash));
    json_object_set_new(o, "confirmations",
                        json_integer(active ? chainstate_height(node->chain) - in->height + 1 : 0));
    if (active) {
        json_object_set_new(o, "time", json_integer(in->hdr.time));
        json_object_set_new(o, "blocktime", json_integer(in->hdr.time));
    }
    return o;
}

static struct tx *tx_in_block(struct rpc_request *req, const struct hash256 *txid,
                              const struct bindex_node **where)
{
    struct node *node = node_of(req);
    struct hash256 bh;
    if (!rpc_param_hash(req, 2, &bh))
        return NULL;
    *where = chainstate_find(node->chain, &bh);
    if (!*where) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found");
        return NULL;
    }
    struct block *b = chainstate_get_block(node->chain, &bh, NULL);
    if (!b) {
        rpc_fail(req, RPC_MISC_ERROR, "Block not available");
        return NULL;
    }
    struct tx *found = NULL;
    for (size_t i = 0; i < b->tx_count && !found; i++)
        if (hash_eq(&b->txs[i]->txid, txid))
            found = tx_ref(b->txs[i]);
    block_free(b);
    if (!found)
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                 "No such transaction found in the provided block. Use gettransaction for "
                 "wallet transactions.");
    return found;
}

static json_t *rpc_getrawtransaction(struct rpc_request *req)
{
    struct node *node = node_of(req);
    struct hash256 txid;
    if (!rpc_param_hash(req, 0, &txid))
        return NULL;
    json_t *v = rpc_param(req, 1);
    int verbosity = !v ? 0 : json_is_boolean(v) ? json_is_true(v) : (int)json_integer_value(v);
    if (v && !json_is_boolean(v) && !json_is_integer(v))
        return rpc_fail(req, RPC_TYPE_ERROR, "verbosity must be an integer or a boolean");
    const struct block_header *g = &node->params->genesis;
    if (hash_eq(&txid, &g->merkle))
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                        "The genesis block coinbase is not considered an ordinary transaction "
                        "and cannot be retrieved");
    const struct bindex_node *in = NULL;
    struct tx *tx;
    if (rpc_param(req, 2)) {
        tx = tx_in_block(req, &txid, &in);
    } else {
        const struct mempool_entry *e = mempool_get(node->mempool, &txid);
        tx = e ? tx_ref(mempool_entry_tx(e)) : NULL;
        if (!tx)
            rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                     "No such mempool transaction. Use -txindex or provide a block hash to "
                     "enable blockchain transaction queries. Use gettransaction for wallet "
                     "transactions.");
    }
    if (!tx)
        return NULL;
    json_t *r = verbosity <= 0 ? rpc_util_hex_json(tx->raw, tx->size)
                               : tx_verbose(node, tx, in, rpc_param(req, 2) != NULL);
    tx_free(tx);
    return r;
}

static const struct rpc_method rawtx_methods[] = {
    { "sendrawtransaction", "rawtransactions", rpc_sendrawtransaction,
      "Submit a raw transaction (serialized, hex-encoded) to the local node and network. "
      "Returns the transaction hash in hex.",
      { { "hexstring", RPC_ARG_STR, false, "The hex string of the raw transaction", NULL },
        { "maxfeerate", RPC_ARG_NUM | RPC_ARG_STR, true,
          "Reject transactions whose fee rate is higher than this, in BTC/kvB (default 0.10; "
          "0 accepts any)", "0.10" },
        { "maxburnamount", RPC_ARG_NUM | RPC_ARG_STR, true,
          "Reject transactions with provably unspendable outputs worth more than this, in BTC "
          "(default 0)", "0" },
        { 0 } } },
    { "testmempoolaccept", "rawtransactions", rpc_testmempoolaccept,
      "Returns result of mempool acceptance tests indicating if raw transactions would be "
      "accepted by mempool. Each transaction is judged alone against the current mempool.",
      { { "rawtxs", RPC_ARG_ARR, false, "An array of hex strings of raw transactions (1 to 25)", NULL },
        { "maxfeerate", RPC_ARG_NUM | RPC_ARG_STR, true,
          "Reject transactions whose fee rate is higher than this, in BTC/kvB (default 0.10)", "0.10" },
        { 0 } } },
    { "getrawtransaction", "rawtransactions", rpc_getrawtransaction,
      "Return the raw transaction data from the mempool, or from the block given by blockhash.",
      { { "txid", RPC_ARG_STR, false, "The transaction id", NULL },
        { "verbosity", RPC_ARG_NUM | RPC_ARG_BOOL, true,
          "0 (default) for hex, 1 or 2 for a json object", "0" },
        { "blockhash", RPC_ARG_STR, true, "The block in which to look for the transaction", NULL },
        { 0 } } },
    { "decoderawtransaction", "rawtransactions", rpc_decoderawtransaction,
      "Return a JSON object representing the serialized, hex-encoded transaction.",
      { { "hexstring", RPC_ARG_STR, false, "The transaction hex string", NULL },
        { "iswitness", RPC_ARG_BOOL, true,
          "Whether the transaction hex is a serialized witness transaction (default: try both)",
          NULL },
        { 0 } } },
};

const struct rpc_method_set rawtx_rpc_methods = RPC_METHOD_SET(rawtx_methods);
