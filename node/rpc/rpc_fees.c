/* Fee estimation methods (Bitcoin Core's src/rpc/fees.cpp):
 * estimatesmartfee and estimaterawfee over node/feeest_glue.h's estimator. */
#include "node/clock.h"
#include "node/feeest_glue.h"
#include "node/rpc/rpc_glue.h"

#include "chain/mempool/feeest.h"
#include "chain/mempool/mempool.h"

#include <math.h>
#include <strings.h>

static struct feeest *estimator(struct rpc_request *req)
{
    struct feeest *fe = feeest_glue_get(req->ctx);
    if (!fe)
        rpc_fail(req, RPC_INTERNAL_ERROR, "Fee estimation disabled");
    return fe;
}

/* Core's ParseConfirmTarget. */
static bool conf_target(struct rpc_request *req, const struct feeest *fe, int *out)
{
    unsigned max = feeest_max_target(fe, FEEEST_LONG);
    int64_t t;
    if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &t))
        return false;
    if (t < 1 || t > (int64_t)max) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid conf_target, must be between 1 and %u", max);
        return false;
    }
    *out = (int)t;
    return true;
}

/* A feerate in BTC/kvB, or sat/vB when the satvB argument is true. */
static json_t *feerate_json(struct rpc_request *req, size_t satvb_arg, int64_t per_kvb)
{
    if (json_is_true(rpc_param(req, satvb_arg)))
        return json_real((double)per_kvb / 1000.0);
    return rpc_amount(per_kvb);
}

static json_t *rpc_estimatesmartfee(struct rpc_request *req)
{
    struct node *node = req->ctx;
    struct feeest *fe = estimator(req);
    int target;
    if (!fe || !conf_target(req, fe, &target))
        return NULL;
    const char *mode = json_string_value(rpc_param(req, 1));
    bool conservative = false;
    if (mode) {
        if (strcasecmp(mode, "unset") && strcasecmp(mode, "economical") &&
            strcasecmp(mode, "conservative"))
            return rpc_fail(req, RPC_INVALID_PARAMETER,
                            "Invalid estimate_mode parameter, must be one of: \"unset\", "
                            "\"economical\", \"conservative\"");
        conservative = !strcasecmp(mode, "conservative");
    }
    int returned = target;
    int64_t rate = feeest_smart(fe, target, conservative, &returned);
    json_t *o = json_object();
    if (rate > 0) {
        /* Never below what the mempool would accept now. */
        int64_t min_pool = mempool_min_fee(node->mempool, node_now());
        int64_t min_relay = mempool_get_options(node->mempool)->min_relay_feerate;
        rate = rate > min_pool ? rate : min_pool;
        rate = rate > min_relay ? rate : min_relay;
        json_object_set_new(o, "feerate", feerate_json(req, 2, rate));
    } else {
        json_object_set_new(o, "errors",
                            json_pack("[s]", "Insufficient data or no feerate found"));
    }
    json_object_set_new(o, "blocks", json_integer(returned));
    return o;
}

static json_t *bucket_json(const struct feeest_bucket *b)
{
    json_t *o = json_object();
    json_object_set_new(o, "startrange", json_real(round(b->start)));
    json_object_set_new(o, "endrange", json_real(round(b->end)));
    json_object_set_new(o, "withintarget", json_real(round(b->within_target * 100.0) / 100.0));
    json_object_set_new(o, "totalconfirmed",
                        json_real(round(b->total_confirmed * 100.0) / 100.0));
    json_object_set_new(o, "inmempool", json_real(round(b->in_mempool * 100.0) / 100.0));
    json_object_set_new(o, "leftmempool", json_real(round(b->left_mempool * 100.0) / 100.0));
    return o;
}

/* One horizon's part of estimaterawfee: the pass and fail ranges, or only
 * what still means something when there is no answer. */
static json_t *horizon_json(struct rpc_request *req, const struct feeest *fe, int target,
                            double threshold, enum feeest_horizon h)
{
    struct feeest_result r;
    int64_t rate = feeest_raw(fe, target, threshold, h, &r);
    json_t *o = json_object();
    if (rate > 0)
        json_object_set_new(o, "feerate", feerate_json(req, 2, rate));
    json_object_set_new(o, "decay", json_real(r.decay));
    json_object_set_new(o, "scale", json_integer(r.scale));
    if (rate > 0)
        json_object_set_new(o, "pass", bucket_json(&r.pass));
    if (rate == 0 || r.fail.start != -1) /* start -1: every range passed */
        json_object_set_new(o, "fail", bucket_json(&r.fail));
    if (rate == 0)
        json_object_set_new(o, "errors", json_pack("[s]", "Insufficient data or no feerate "
                                                          "found which meets threshold"));
    return o;
}

static json_t *rpc_estimaterawfee(struct rpc_request *req)
{
    struct feeest *fe = estimator(req);
    int target;
    if (!fe || !conf_target(req, fe, &target))
        return NULL;
    json_t *t = rpc_param(req, 1);
    double threshold = t ? json_number_value(t) : FEEEST_DOUBLE_SUCCESS;
    if (threshold < 0 || threshold > 1)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid threshold");
    json_t *o = json_object();
    for (int h = FEEEST_SHORT; h <= FEEEST_LONG; h++)
        if ((unsigned)target <= feeest_max_target(fe, h))
            json_object_set_new(o, feeest_horizon_name(h),
                                horizon_json(req, fe, target, threshold, h));
    return o;
}

static const struct rpc_method fee_methods[] = {
    { "estimatesmartfee", "util", rpc_estimatesmartfee,
      "Estimates the approximate fee per kilobyte needed for a transaction to begin "
      "confirmation within conf_target blocks if possible and return the number of blocks for "
      "which the estimate is valid. Uses virtual transaction size as defined in BIP 141.",
      { { "conf_target", RPC_ARG_NUM, false, "Confirmation target in blocks (1 - 1008)", NULL },
        { "estimate_mode", RPC_ARG_STR, true,
          "The fee estimate mode: unset, economical or conservative", "\"economical\"" },
        { "satvB", RPC_ARG_BOOL, true, "Feerates in sat/vB instead of BTC/kvB", "false" },
        { 0 } } },
    { "estimaterawfee", "hidden", rpc_estimaterawfee,
      "WARNING: This interface is unstable and may disappear or change! Estimates the "
      "approximate fee per kilobyte needed for a transaction to begin confirmation within "
      "conf_target blocks, for each time horizon that tracks the target.",
      { { "conf_target", RPC_ARG_NUM, false, "Confirmation target in blocks (1 - 1008)", NULL },
        { "threshold", RPC_ARG_NUM, true,
          "The proportion of transactions in a given feerate range that must have been "
          "confirmed within conf_target", "0.95" },
        { "satvB", RPC_ARG_BOOL, true, "Feerates in sat/vB instead of BTC/kvB", "false" },
        { 0 } } },
};

const struct rpc_method_set fee_rpc_methods = RPC_METHOD_SET(fee_methods);
