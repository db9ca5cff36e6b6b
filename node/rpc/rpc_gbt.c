/* getblocktemplate (BIP22, BIP23 proposals), as Bitcoin Core's
 * src/rpc/mining.cpp: the block the miner methods would make now, from the
 * same assembly (chain/mempool/miner.h), described for pool software. */
#include "node/rpc/rpc_glue.h"
#include "node/rpc/rpc_mining.h"
#include "node/rpc/rpc_server.h"

#include "chain/mempool/mempool.h"
#include "chain/mempool/mempool_map.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/versionbits.h"
#include "net/conn/connman.h"
#include "node/clock.h"
#include "node/rpc/rpc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TIMEWARP 600 /* BIP94, applied to the minimum time on every chain as Core */
#define MAX_BLOCK_SIGOPS_COST 80000
#define OP_TRUE 0x51

static bool has_rule(const json_t *rules, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(rules, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), name))
            return true;
    return false;
}

/* Core's GetMinimumTime: after the median time past, and at a retarget
 * no more than MAX_TIMEWARP before the previous block. */
static int64_t minimum_time(const struct chain_params *p, const struct bindex_node *prev)
{
    int64_t t = bindex_median_time_past(prev) + 1;
    int64_t interval = p->pow_target_timespan / p->pow_target_spacing;
    if ((prev->height + 1) % interval == 0 && (int64_t)prev->hdr.time - MAX_TIMEWARP > t)
        t = (int64_t)prev->hdr.time - MAX_TIMEWARP;
    return t;
}

/* BIP23 proposal: Core's answers for known blocks, else the checks of
 * TestBlockValidity (null when valid, else the reject reason). */
static json_t *proposal(struct rpc_request *req, const json_t *data)
{
    struct chainstate *cs = ((struct node *)req->ctx)->chain;
    if (!json_is_string(data))
        return rpc_fail(req, RPC_TYPE_ERROR, "Missing data String key for proposal");
    struct block *b = rpc_mining_decode_block(json_string_value(data));
    if (!b)
        return rpc_fail(req, RPC_DESERIALIZATION_ERROR, "Block decode failed");
    const struct bindex_node *known = chainstate_find(cs, &b->hash);
    json_t *r = NULL;
    if (known) {
        r = json_string(known->status & BINDEX_FAILED_MASK ? "duplicate-invalid"
                        : known->status & BINDEX_HAVE_UNDO ? "duplicate"
                                                           : "duplicate-inconclusive");
    } else {
        const char *reason = NULL;
        char *err = NULL;
        int rc = chainstate_test_block(cs, b, &reason, &err);
        if (rc < 0)
            rpc_fail(req, RPC_VERIFY_ERROR, "%s", err ? err : "storage error");
        else
            r = rc == 0 ? json_null() : json_string(reason ? reason : "rejected");
        free(err);
    }
    block_free(b);
    return r;
}

/* Positions in b of the transactions txs[i] spends (1-based in the list,
 * the coinbase being 0), found through pos: txid -> position. */
static json_t *depends(const struct block *b, size_t i, const struct mpmap *pos)
{
    json_t *a = json_array();
    const struct tx *tx = b->txs[i];
    for (size_t k = 0; k < tx->vin_count; k++) {
        const struct hash256 *prev = &tx->vin[k].prevout.hash;
        uint64_t key = hash_cheap(prev);
        size_t it = mpmap_start(pos, key);
        const struct mpmap_slot *slot;
        while ((slot = mpmap_next(pos, key, &it)))
            if (hash_eq(&((const struct tx *)slot->val)->txid, prev)) {
                json_array_append_new(a, json_integer(slot->aux));
                break;
            }
    }
    return a;
}

static json_t *transactions(struct node *node, const struct block *b)
{
    json_t *a = json_array();
    struct mpmap pos; /* transactions seen so far: parents come first */
    mpmap_init(&pos);
    for (size_t i = 1; i < b->tx_count; i++) {
        const struct tx *tx = b->txs[i];
        const struct mempool_entry *e = mempool_get(node->mempool, &tx->txid);
        struct wbuf w;
        wbuf_init(&w);
        tx_serialize(tx, &w, true);
        json_t *o = json_object();
        json_object_set_new(o, "data", rpc_util_hex_json(w.data, w.len));
        wbuf_free(&w);
        json_object_set_new(o, "txid", rpc_hash_json(&tx->txid));
        json_object_set_new(o, "hash", rpc_hash_json(&tx->wtxid));
        json_object_set_new(o, "depends", depends(b, i, &pos));
        mpmap_put(&pos, hash_cheap(&tx->txid), (void *)tx, (uint32_t)i);
        /* Selected from the mempool just now, so the entry is there. */
        json_object_set_new(o, "fee", json_integer(e ? mempool_entry_fee(e) : 0));
        json_object_set_new(o, "sigops", json_integer(e ? mempool_entry_sigop_cost(e) : 0));
        json_object_set_new(o, "weight", json_integer((json_int_t)tx_weight(tx)));
        json_array_append_new(a, o);
    }
    mpmap_free(&pos);
    return a;
}

/* Core's rules: csv, segwit and signet, then each version bits
 * deployment active for the next block; those STARTED or LOCKED_IN go to
 * vbavailable (the block version already carries their bits, as Core's
 * deployments are all gbt_force). */
static json_t *rules(struct node *node, const struct bindex_node *tip, json_t *vbavailable)
{
    json_t *r = json_pack("[s]", "csv");
    if (tip->height + 1 >= node->params->segwit_height)
        json_array_append_new(r, json_string("!segwit"));
    if (node->params->type == CHAIN_SIGNET)
        json_array_append_new(r, json_string("!signet"));
    for (int pos = 0; pos < PARAMS_DEP_COUNT; pos++) {
        const struct params_deployment *d = versionbits_deployment(node->versionbits, pos);
        enum versionbits_state st = versionbits_state(node->versionbits, pos, tip);
        if (st == VERSIONBITS_ACTIVE)
            json_array_append_new(r, json_string(d->name));
        else if (st == VERSIONBITS_STARTED || st == VERSIONBITS_LOCKED_IN)
            json_object_set_new(vbavailable, d->name, json_integer(d->bit));
    }
    return r;
}

/* The fields around the transactions, in Core's order. */
static json_t *describe(struct node *node, const struct miner_template *t, const struct block *b)
{
    const struct bindex_node *tip = chainstate_tip(node->chain);
    int64_t mintime = minimum_time(node->params, tip);
    json_t *o = json_object();
    json_object_set_new(o, "capabilities", json_pack("[s]", "proposal"));
    json_object_set_new(o, "version", json_integer(b->hdr.version));
    json_t *vbavailable = json_object();
    json_object_set_new(o, "rules", rules(node, tip, vbavailable));
    json_object_set_new(o, "vbavailable", vbavailable);
    json_object_set_new(o, "vbrequired", json_integer(0));
    json_object_set_new(o, "previousblockhash", rpc_hash_json(&tip->hash));
    json_object_set_new(o, "transactions", transactions(node, b));
    json_object_set_new(o, "coinbaseaux", json_object());
    json_object_set_new(o, "coinbasevalue", json_integer(b->txs[0]->vout[0].value));
    char lp[HASH_HEX_LEN + 24];
    hash_to_hex(&tip->hash, lp);
    snprintf(lp + HASH_HEX_LEN, sizeof(lp) - HASH_HEX_LEN, "%llu",
             (unsigned long long)mempool_sequence(node->mempool));
    json_object_set_new(o, "longpollid", json_string(lp));
    struct hash256 target;
    miner_bits_to_target(t->bits, &target);
    json_object_set_new(o, "target", rpc_hash_json(&target));
    json_object_set_new(o, "mintime", json_integer(mintime));
    json_object_set_new(o, "mutable", json_pack("[sss]", "time", "transactions", "prevblock"));
    json_object_set_new(o, "noncerange", json_string("00000000ffffffff"));
    json_object_set_new(o, "sigoplimit", json_integer(MAX_BLOCK_SIGOPS_COST));
    json_object_set_new(o, "sizelimit", json_integer(BLOCK_MAX_WEIGHT));
    json_object_set_new(o, "weightlimit", json_integer(BLOCK_MAX_WEIGHT));
    json_object_set_new(o, "curtime", json_integer(t->time > mintime ? t->time : mintime));
    char bits[9];
    snprintf(bits, sizeof(bits), "%08x", t->bits);
    json_object_set_new(o, "bits", json_string(bits));
    json_object_set_new(o, "height", json_integer(t->height));
    const struct tx *cb = b->txs[0]; /* the miner writes the commitment second */
    if (cb->vout_count > 1)
        json_object_set_new(o, "default_witness_commitment",
                            rpc_util_hex_json(cb->vout[1].script, cb->vout[1].script_len));
    return o;
}

/* Core refuses templates off the test chains while the node has no peers
 * or is still catching up. */
static bool ready(struct rpc_request *req)
{
    struct node *node = req->ctx;
    if (strcmp(node->params->name, "main"))
        return true;
    if (!node->connman || connman_peers(node->connman, NULL, 0) == 0) {
        rpc_fail(req, RPC_CLIENT_NOT_CONNECTED, "hearsay is not connected!");
        return false;
    }
    if (chainstate_initial_download(node->chain)) {
        rpc_fail(req, RPC_CLIENT_IN_INITIAL_DOWNLOAD,
                 "hearsay is in initial sync and waiting for blocks...");
        return false;
    }
    return true;
}

/* A new template for req's node; NULL and *err (malloc'd) on failure. */
static json_t *build_template(struct node *node, char **err)
{
    static const uint8_t script[] = { OP_TRUE }; /* the miner writes its own coinbase */
    struct miner_template t;
    rpc_mining_template(node, script, sizeof(script), &t);
    struct block *b = miner_create_block(&t, node->mempool, err);
    if (!b)
        return NULL;
    json_t *r = describe(node, &t, b);
    block_free(b);
    return r;
}

/* BIP22 long polling, as Core: answer once the tip differs from the one
 * the longpollid names, or, after a minute, once the mempool's content
 * changed (checked at each recheck, every 10 s). */
#define GBT_LONGPOLL_TX_SECS 60

struct longpoll {
    struct node *node;
    struct hash256 tip;
    uint64_t seq;
    int64_t since; /* monotonic seconds */
};

static int64_t mono_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static json_t *poll_longpoll(void *arg, bool timed_out)
{
    struct longpoll *lp = arg;
    bool tip_moved = !hash_eq(&chainstate_tip(lp->node->chain)->hash, &lp->tip);
    bool txs = mono_secs() - lp->since >= GBT_LONGPOLL_TX_SECS &&
               mempool_sequence(lp->node->mempool) != lp->seq;
    if (!tip_moved && !txs && !timed_out)
        return NULL;
    if (!tip_moved && !txs && rpc_server_stopping(lp->node->rpc))
        return rpc_poll_fail(RPC_CLIENT_NOT_CONNECTED, "Shutting down"); /* as Core */
    char *err = NULL;
    json_t *r = build_template(lp->node, &err);
    free(err);
    return r;
}

/* Parses a longpollid (our <tip hash><mempool sequence>); a non-string
 * one watches the present state, as Core. false after rpc_fail. */
static bool longpoll_parse(struct rpc_request *req, const json_t *id, struct longpoll *lp)
{
    struct node *node = req->ctx;
    lp->node = node;
    lp->tip = chainstate_tip(node->chain)->hash;
    lp->seq = mempool_sequence(node->mempool);
    lp->since = mono_secs();
    if (!json_is_string(id))
        return true;
    const char *s = json_string_value(id);
    char hex[HASH_HEX_LEN + 1] = "";
    if (strlen(s) >= HASH_HEX_LEN)
        memcpy(hex, s, HASH_HEX_LEN);
    hex[HASH_HEX_LEN] = 0;
    if (!hex[0] || !hash_from_hex(hex, &lp->tip)) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "longpollid must be hexadecimal string (not '%s')",
                 s);
        return false;
    }
    lp->seq = strtoull(s + HASH_HEX_LEN, NULL, 10);
    return true;
}

static json_t *rpc_getblocktemplate(struct rpc_request *req)
{
    struct node *node = req->ctx;
    const json_t *in = rpc_param(req, 0), *rules = NULL;
    const char *mode = "template";
    if (in) {
        const json_t *m = json_object_get(in, "mode");
        if (json_is_string(m))
            mode = json_string_value(m);
        else if (m && !json_is_null(m))
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid mode");
        if (!strcmp(mode, "proposal"))
            return proposal(req, json_object_get(in, "data"));
        rules = json_object_get(in, "rules");
        if (rules && !json_is_array(rules))
            rules = NULL;
    }
    if (strcmp(mode, "template"))
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid mode");
    if (!ready(req))
        return NULL;
    if (!has_rule(rules, "segwit"))
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "getblocktemplate must be called with the segwit rule set (call with "
                        "{\"rules\": [\"segwit\"]})");
    const json_t *lpid = in ? json_object_get(in, "longpollid") : NULL;
    if (lpid && !json_is_null(lpid)) {
        struct longpoll now;
        if (!longpoll_parse(req, lpid, &now))
            return NULL;
        json_t *r = poll_longpoll(&now, false);
        if (r)
            return r;
        struct longpoll *lp = xmalloc(sizeof(*lp));
        *lp = now;
        return rpc_wait(req, poll_longpoll, lp, free, 0);
    }
    char *err = NULL;
    json_t *r = build_template(node, &err);
    if (!r) {
        rpc_fail(req, RPC_INTERNAL_ERROR, "Couldn't create new block: %s", err ? err : "");
        free(err);
    }
    return r;
}

static const struct rpc_method gbt_methods[] = {
    { "getblocktemplate", "mining", rpc_getblocktemplate,
      "If the request parameters include a 'mode' key, that is used to explicitly select "
      "between the default 'template' request or a 'proposal'. It returns data needed to "
      "construct a block to work on. For full specification, see BIPs 22, 23, 9, and 145.",
      { { "template_request", RPC_ARG_OBJ, true,
          "{\"mode\": \"template\" or \"proposal\", \"capabilities\": [...], \"rules\": "
          "[\"segwit\", ...], \"longpollid\": \"...\", \"data\": \"hex block for a proposal\"}",
          "{}" },
        { 0 } } },
};

const struct rpc_method_set gbt_rpc_methods = RPC_METHOD_SET(gbt_methods);
