/* Methods that steer or wait for the chain (Bitcoin Core's
 * src/rpc/blockchain.cpp): invalidateblock, reconsiderblock,
 * preciousblock, waitfornewblock, waitforblock, waitforblockheight. */
#include "node/rpc/rpc_glue.h"

#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"

#include <stdlib.h>

static struct node *node_of(const struct rpc_request *req)
{
    return req->ctx;
}

/* The known block of parameter 0, or NULL after -5 "Block not found". */
static bool known_block(struct rpc_request *req, struct hash256 *hash)
{
    if (!rpc_param_hash(req, 0, hash))
        return false;
    if (!chainstate_find(node_of(req)->chain, hash)) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return false;
    }
    return true;
}

typedef int (*steer_fn)(struct chainstate *cs, const struct hash256 *hash, char **err);

/* Failures of the chainstate are Core's state errors: -20. */
static json_t *steer(struct rpc_request *req, steer_fn fn)
{
    struct hash256 hash;
    char *err = NULL;
    if (!known_block(req, &hash))
        return NULL;
    if (fn(node_of(req)->chain, &hash, &err) < 0) {
        rpc_fail(req, RPC_DATABASE_ERROR, "%s", err ? err : "chainstate error");
        free(err);
        return NULL;
    }
    return json_null();
}

static json_t *rpc_invalidateblock(struct rpc_request *req)
{
    return steer(req, chainstate_invalidate);
}

static json_t *rpc_reconsiderblock(struct rpc_request *req)
{
    return steer(req, chainstate_reconsider);
}

static json_t *rpc_preciousblock(struct rpc_request *req)
{
    return steer(req, chainstate_precious);
}

/* ---- waiting for blocks, parked in the HTTP server ---- */

enum wait_kind { WAIT_NEW, WAIT_HASH, WAIT_HEIGHT };

struct waiter {
    struct node *node;
    enum wait_kind kind;
    struct hash256 hash; /* the tip at the call (WAIT_NEW) or the block awaited */
    int64_t height;
};

static json_t *tip_json(const struct node *node)
{
    const struct bindex_node *tip = rpc_glue_tip(node);
    json_t *o = json_object();
    json_object_set_new(o, "hash", rpc_hash_json(&tip->hash));
    json_object_set_new(o, "height", json_integer(tip->height));
    return o;
}

static json_t *poll_tip(void *arg, bool timed_out)
{
    struct waiter *w = arg;
    const struct bindex_node *tip = rpc_glue_tip(w->node);
    bool ready = w->kind == WAIT_NEW    ? !hash_eq(&tip->hash, &w->hash)
                 : w->kind == WAIT_HASH ? hash_eq(&tip->hash, &w->hash)
                                        : tip->height >= w->height;
    return ready || timed_out ? tip_json(w->node) : NULL;
}

/* Parameter i: milliseconds, 0 for no limit; negative is Core's -1. */
static bool timeout_param(struct rpc_request *req, size_t i, int64_t *ms)
{
    if (!rpc_param_int(req, i, 0, INT32_MIN, INT32_MAX, ms))
        return false;
    if (*ms < 0) {
        rpc_fail(req, RPC_MISC_ERROR, "Negative timeout");
        return false;
    }
    return true;
}

/* Answers now when the condition already holds, else parks the request. */
static json_t *wait_for(struct rpc_request *req, enum wait_kind kind, const struct hash256 *hash,
                        int64_t height, int64_t ms)
{
    struct waiter now = { node_of(req), kind, *hash, height };
    json_t *r = poll_tip(&now, false);
    if (r)
        return r;
    struct waiter *w = xmalloc(sizeof(*w));
    *w = now;
    return rpc_wait(req, poll_tip, w, free, ms);
}

static json_t *rpc_waitfornewblock(struct rpc_request *req)
{
    int64_t ms;
    if (!timeout_param(req, 0, &ms))
        return NULL;
    return wait_for(req, WAIT_NEW, &rpc_glue_tip(node_of(req))->hash, 0, ms);
}

static json_t *rpc_waitforblock(struct rpc_request *req)
{
    struct hash256 hash;
    int64_t ms;
    if (!rpc_param_hash(req, 0, &hash) || !timeout_param(req, 1, &ms))
        return NULL;
    return wait_for(req, WAIT_HASH, &hash, 0, ms);
}

static json_t *rpc_waitforblockheight(struct rpc_request *req)
{
    int64_t height, ms;
    if (!rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &height) || !timeout_param(req, 1, &ms))
        return NULL;
    return wait_for(req, WAIT_HEIGHT, &rpc_glue_tip(node_of(req))->hash, height, ms);
}

#define BLOCKHASH_ARG(what) { "blockhash", RPC_ARG_STR, false, what, NULL }
#define TIMEOUT_ARG                                                                        \
    { "timeout", RPC_ARG_NUM, true,                                                        \
      "Time in milliseconds to wait for a response. 0 indicates no timeout.", "0" }
#define WAIT_NOTE                                                                          \
    "\nReturns the current block on timeout or exit.\n"                                    \
    "\nMake sure to use no RPC timeout (hearsay-cli -rpcclienttimeout=0)"

static const struct rpc_method chainctl_methods[] = {
    { "invalidateblock", "hidden", rpc_invalidateblock,
      "Permanently marks a block as invalid, as if it violated a consensus rule.",
      { BLOCKHASH_ARG("the hash of the block to mark as invalid"), { 0 } } },
    { "reconsiderblock", "hidden", rpc_reconsiderblock,
      "Removes invalidity status of a block, its ancestors and its descendants, reconsider "
      "them for activation.\nThis can be used to undo the effects of invalidateblock.",
      { BLOCKHASH_ARG("the hash of the block to reconsider"), { 0 } } },
    { "preciousblock", "blockchain", rpc_preciousblock,
      "Treats a block as if it were received before others with the same work.\n"
      "\nA later preciousblock call can override the effect of an earlier one.\n"
      "\nThe effects of preciousblock are not retained across restarts.",
      { BLOCKHASH_ARG("the hash of the block to mark as precious"), { 0 } } },
    { "waitfornewblock", "blockchain", rpc_waitfornewblock,
      "Waits for any new block and returns useful info about it.\n" WAIT_NOTE,
      { TIMEOUT_ARG, { 0 } } },
    { "waitforblock", "blockchain", rpc_waitforblock,
      "Waits for a specific new block and returns useful info about it.\n" WAIT_NOTE,
      { BLOCKHASH_ARG("Block hash to wait for."), TIMEOUT_ARG, { 0 } } },
    { "waitforblockheight", "blockchain", rpc_waitforblockheight,
      "Waits for (at least) block height and returns the height and hash\nof the current "
      "tip.\n" WAIT_NOTE,
      { { "height", RPC_ARG_NUM, false, "Block height to wait for.", NULL }, TIMEOUT_ARG,
        { 0 } } },
};

const struct rpc_method_set chainctl_rpc_methods = RPC_METHOD_SET(chainctl_methods);
