/* submitpackage (Bitcoin Core's src/rpc/mempool.cpp, v28+): a child with
 * its unconfirmed parents, accepted by chain/mempool's package rules and
 * announced to peers. */
#include "node/clock.h"
#include "node/feeest_glue.h"
#include "node/relay_glue.h"
#include "node/rpc/rpc_glue.h"
#include "node/rpc/rpc_util.h"

#include "chain/mempool/mempool.h"
#include "chain/validation/chainstate.h"

#include <stdio.h>
#include <stdlib.h>

/* Core's ParseFeeRate: an amount per kvB, below 1 BTC. */
static bool feerate_param(struct rpc_request *req, size_t i, int64_t *out)
{
    if (!rpc_util_amount_param(req, i, RPC_UTIL_DEFAULT_MAX_FEERATE, out))
        return false;
    if (*out >= TX_COIN) {
        rpc_fail(req, RPC_INVALID_PARAMETER,
                 "Fee rates larger than or equal to 1BTC/kvB are not accepted");
        return false;
    }
    return true;
}

static json_t *fees_json(const struct mempool_pkg_tx *r, struct tx *const *txs, size_t n)
{
    json_t *fees = json_object();
    json_object_set_new(fees, "base", rpc_amount(r->fee));
    if (r->result != MEMPOOL_PKG_VALID) /* unknown how it was judged when it came */
        return fees;
    json_object_set_new(fees, "effective-feerate", rpc_amount(r->eff_feerate));
    json_t *inc = json_array();
    for (size_t i = 0; i < n; i++)
        if (r->eff_includes & (1u << i))
            json_array_append_new(inc, rpc_hash_json(&txs[i]->wtxid));
    json_object_set_new(fees, "effective-includes", inc);
    return fees;
}

/* tx-results: one entry per evaluated transaction, keyed by wtxid (Core
 * leaves out the unevaluated ones). */
static json_t *results_json(struct tx *const *txs, size_t n, const struct mempool_pkg_tx *res)
{
    json_t *map = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct mempool_pkg_tx *r = &res[i];
        if (r->result == MEMPOOL_PKG_UNEVALUATED)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "txid", rpc_hash_json(&txs[i]->txid));
        if (r->result == MEMPOOL_PKG_OTHER_WITNESS) {
            json_object_set_new(o, "other-wtxid", rpc_hash_json(&r->other_wtxid));
        } else if (r->result == MEMPOOL_PKG_INVALID) {
            char msg[400];
            snprintf(msg, sizeof(msg), "%s%s%s", r->rej.reason ? r->rej.reason : "rejected",
                     r->rej.detail[0] ? ", " : "", r->rej.detail);
            json_object_set_new(o, "error", json_string(msg));
        } else {
            json_object_set_new(o, "vsize", json_integer((json_int_t)r->vsize));
            json_object_set_new(o, "fees", fees_json(r, txs, n));
        }
        char key[HASH_HEX_LEN + 1];
        hash_to_hex(&txs[i]->wtxid, key);
        json_object_set_new(map, key, o);
    }
    return map;
}

static json_t *submit(struct node *node, struct tx *const *txs, size_t n, int64_t max_feerate)
{
    struct mempool_tip tip;
    mempool_tip_of(node->chain, &tip);
    struct mempool_pkg_tx res[MEMPOOL_MAX_PACKAGE_COUNT];
    struct mempool_pkg pkg;
    feeest_glue_set_package(node, true); /* Core: packages do not feed fee estimates */
    mempool_accept_package(node->mempool, txs, n, &tip, node_now(), max_feerate, res, &pkg);
    feeest_glue_set_package(node, false);
    /* The ones already there were announced when they came. */
    for (size_t i = 0; i < n; i++)
        if (res[i].result == MEMPOOL_PKG_VALID)
            relay_glue_announce_tx(node, txs[i]);
    json_t *o = json_object();
    char msg[sizeof(pkg.reason_buf) + sizeof(pkg.detail) + 2];
    snprintf(msg, sizeof(msg), "%s%s%s", pkg.reason ? pkg.reason : "success",
             pkg.detail[0] ? ", " : "", pkg.detail);
    json_object_set_new(o, "package_msg", json_string(msg));
    json_object_set_new(o, "tx-results", results_json(txs, n, res));
    json_t *replaced = json_array();
    for (size_t i = 0; i < pkg.n_replaced; i++)
        json_array_append_new(replaced, rpc_hash_json(&pkg.replaced[i]));
    json_object_set_new(o, "replaced-transactions", replaced);
    mempool_pkg_clear(&pkg);
    return o;
}

static bool burns(struct tx *const *txs, size_t n, int64_t max_burn)
{
    for (size_t i = 0; i < n; i++)
        if (rpc_util_burns_over(txs[i], max_burn))
            return true;
    return false;
}

static json_t *rpc_submitpackage(struct rpc_request *req)
{
    struct tx *txs[RPC_UTIL_MAX_PACKAGE];
    size_t n = rpc_util_package_param(req, 0, txs);
    int64_t max_feerate, max_burn;
    json_t *r = NULL;
    if (!n || !feerate_param(req, 1, &max_feerate) ||
        !rpc_util_amount_param(req, 2, 0, &max_burn)) {
        /* the helper has set the error */
    } else if (burns(txs, n, max_burn)) {
        rpc_fail(req, RPC_VERIFY_ERROR,
                 "Unspendable output exceeds maximum configured by user (maxburnamount)");
    } else if (n > 1 && !mempool_package_is_child_with_parents(txs, n)) {
        rpc_fail(req, RPC_VERIFY_ERROR, "package topology disallowed. not child-with-parents or "
                                        "parents depend on each other.");
    } else {
        r = submit(req->ctx, txs, n, max_feerate);
    }
    rpc_util_free_txs(txs, n);
    return r;
}

static const struct rpc_method package_methods[] = {
    { "submitpackage", "rawtransactions", rpc_submitpackage,
      "Submit a package of raw transactions (serialized, hex-encoded) to local node. The "
      "package will be validated according to consensus and mempool policy rules. If any "
      "transaction passes, it will be accepted to mempool. The package must consist of a "
      "transaction with (some, all, or none of) its unconfirmed parents.",
      { { "package", RPC_ARG_ARR, false,
          "An array of raw transactions, child last; parents must not depend on each other",
          NULL },
        { "maxfeerate", RPC_ARG_NUM | RPC_ARG_STR, true,
          "Reject transactions whose fee rate is higher than this (BTC/kvB); 0 for none",
          "0.10" },
        { "maxburnamount", RPC_ARG_NUM | RPC_ARG_STR, true,
          "Reject transactions with provably unspendable outputs worth more than this (BTC)",
          "0.00" },
        { 0 } } },
};

const struct rpc_method_set package_rpc_methods = RPC_METHOD_SET(package_methods);
