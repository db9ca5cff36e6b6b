/* Mining methods for regtest and tests (Bitcoin Core's src/rpc/mining.cpp):
 * generatetoaddress, generatetodescriptor (raw() and addr()),
 * generateblock, submitblock with BIP22 results, getmininginfo. */
#include "node/clock.h"
#include "node/rpc/rpc_glue.h"
#include "node/rpc/rpc_mining.h"

#include "chain/primitives/address.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/versionbits.h"
#include "chain/util/hex.h"
#include "chain/mempool/mempool.h"
#include "chain/mempool/miner.h"
#include "node/relay_glue.h"
#include "node/rpc/rpc_util.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MAX_TRIES 1000000
/* Blocks getmininginfo's networkhashps looks back over (Core's default). */
#define HASHPS_LOOKUP 120
#define MAX_SCRIPT_BYTES 10000

static struct node *node_of(const struct rpc_request *req)
{
    return req->ctx;
}

/* An output script from an address; -5 "Error: Invalid address" else. */
static bool script_from_address(struct rpc_request *req, const char *addr, uint8_t *script,
                                size_t *len)
{
    if (address_decode(node_of(req)->params, addr, script, len, NULL) == ADDRESS_OK)
        return true;
    rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address");
    return false;
}

/* Strips and verifies a "#checksum" suffix (optional, as Core's
 * generatetodescriptor): *len becomes the descriptor's length. */
static bool check_desc_checksum(struct rpc_request *req, const char *desc, size_t *len)
{
    const char *hash = strchr(desc, '#');
    *len = hash ? (size_t)(hash - desc) : strlen(desc);
    char sum[9];
    if (rpc_util_desc_checksum(desc, *len, sum) < 0) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Invalid characters in payload");
        return false;
    }
    if (!hash)
        return true;
    if (strchr(hash + 1, '#')) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Multiple '#' symbols");
        return false;
    }
    if (strlen(hash + 1) != 8) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Expected 8 character checksum, not %zu characters",
                 strlen(hash + 1));
        return false;
    }
    if (strcmp(hash + 1, sum) != 0) {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                 "Provided checksum '%s' does not match computed checksum '%s'", hash + 1, sum);
        return false;
    }
    return true;
}

/* The output script of raw(<hex>) or addr(<address>), checksum optional.
 * *script is malloc'd. */
static bool script_from_descriptor(struct rpc_request *req, const char *desc, uint8_t **script,
                                   size_t *len)
{
    size_t n;
    if (!check_desc_checksum(req, desc, &n))
        return false;
    char *body = xstrndup(desc, n);
    size_t blen = strlen(body);
    bool ok = false;
    *script = NULL;
    if (blen > 5 && !strncmp(body, "raw(", 4) && body[blen - 1] == ')') {
        body[blen - 1] = '\0';
        ssize_t r = hex_decode_alloc(body + 4, script);
        ok = r >= 0 && r <= MAX_SCRIPT_BYTES;
        if (!ok)
            rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Raw script is not hex");
        *len = ok ? (size_t)r : 0;
    } else if (blen > 6 && !strncmp(body, "addr(", 5) && body[blen - 1] == ')') {
        body[blen - 1] = '\0';
        *script = xmalloc(ADDRESS_MAX_SCRIPT);
        ok = *script && script_from_address(req, body + 5, *script, len);
    } else {
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                 "'%s' is not a supported descriptor (only raw() and addr() are)", body);
    }
    if (!ok) {
        free(*script);
        *script = NULL;
    }
    free(body);
    return ok;
}

static bool ancestor_at(void *ctx, int height, struct pow_block *out)
{
    const struct bindex_node *n = bindex_ancestor(ctx, height);
    if (!n)
        return false;
    *out = (struct pow_block){ n->height, n->hdr.time, n->hdr.bits };
    return true;
}

void rpc_mining_template(struct node *node, const uint8_t *script, size_t len,
                         struct miner_template *t)
{
    const struct bindex_node *tip = chainstate_tip(node->chain);
    int64_t now = node_now(), mtp = bindex_median_time_past(tip);
    *t = (struct miner_template){ .params = node->params, .prev = tip->hash,
                                  .height = tip->height + 1, .script = script,
                                  .script_len = len,
                                  .version = versionbits_block_version(node->versionbits, tip) };
    t->time = (uint32_t)(now > mtp ? now : mtp + 1);
    struct pow_block last = { tip->height, tip->hdr.time, tip->hdr.bits };
    t->bits = pow_next_bits(node->params, &last, t->time, ancestor_at, (void *)tip); /* read only */
}

/* Processes a block we made: 0, or -1 after the RPC error. */
static int submit_own(struct rpc_request *req, const struct block *b)
{
    const char *reason = NULL;
    char *err = NULL;
    enum chainstate_status st = relay_glue_submit_block(node_of(req), b, &reason, &err);
    if (st == CHAINSTATE_ACCEPTED)
        return 0;
    rpc_fail(req, RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted: %s",
             err ? err : reason ? reason : "duplicate or orphan");
    free(err);
    return -1;
}

/* Core's GenerateBlocks: mines n blocks paying script; the nonce budget
 * (maxtries) is shared by all of them. */
static json_t *generate(struct rpc_request *req, const uint8_t *script, size_t len)
{
    struct node *node = node_of(req);
    int64_t n, tries;
    if (!rpc_param_int(req, 0, 0, INT64_MIN, INT64_MAX, &n) ||
        !rpc_param_int(req, 2, DEFAULT_MAX_TRIES, INT64_MIN, INT64_MAX, &tries))
        return NULL;
    json_t *hashes = json_array();
    for (int64_t i = 0; i < n && tries > 0; i++) {
        struct miner_template t;
        rpc_mining_template(node, script, len, &t);
        char *err = NULL;
        struct block *b = miner_create_block(&t, node->mempool, &err);
        if (!b) {
            rpc_fail(req, RPC_INTERNAL_ERROR, "Couldn't create new block: %s", err ? err : "");
            free(err);
            json_decref(hashes);
            return NULL;
        }
        uint64_t before = b->hdr.nonce;
        int found = miner_grind(b, (uint64_t)tries);
        tries = found == 0 ? tries - (int64_t)(b->hdr.nonce - before) - 1 : 0;
        if (found == 0 && submit_own(req, b) < 0) {
            block_free(b);
            json_decref(hashes);
            return NULL;
        }
        if (found == 0)
            json_array_append_new(hashes, rpc_hash_json(&b->hash));
        block_free(b);
    }
    return hashes;
}

static json_t *rpc_generatetoaddress(struct rpc_request *req)
{
    uint8_t script[ADDRESS_MAX_SCRIPT];
    size_t len;
    if (!script_from_address(req, json_string_value(rpc_param(req, 1)), script, &len))
        return NULL;
    return generate(req, script, len);
}

static json_t *rpc_generatetodescriptor(struct rpc_request *req)
{
    uint8_t *script;
    size_t len;
    if (!script_from_descriptor(req, json_string_value(rpc_param(req, 1)), &script, &len))
        return NULL;
    json_t *r = generate(req, script, len);
    free(script);
    return r;
}

/* generateblock's output: an address, else a descriptor. */
static bool output_script(struct rpc_request *req, uint8_t **script, size_t *len)
{
    const char *out = json_string_value(rpc_param(req, 0));
    *script = xmalloc(ADDRESS_MAX_SCRIPT);
    if (*script && address_decode(node_of(req)->params, out, *script, len, NULL) == ADDRESS_OK)
        return true;
    free(*script);
    if (script_from_descriptor(req, out, script, len))
        return true;
    free(req->err_msg);
    req->err_msg = NULL;
    rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address or descriptor");
    return false;
}

/* One generateblock transaction: a mempool txid, else raw hex. */
static struct tx *listed_tx(struct rpc_request *req, const char *s)
{
    struct hash256 txid;
    if (strlen(s) == HASH_HEX_LEN && hash_from_hex(s, &txid)) {
        const struct mempool_entry *e = mempool_get(node_of(req)->mempool, &txid);
        if (e)
            return tx_ref(mempool_entry_tx(e));
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Transaction %s not in mempool.", s);
        return NULL;
    }
    struct tx *tx = rpc_util_decode_tx(s, -1);
    if (!tx)
        rpc_fail(req, RPC_DESERIALIZATION_ERROR,
                 "Transaction decode failed for %s. Make sure the tx has at least one input.", s);
    return tx;
}

static struct block *build_listed(struct rpc_request *req, const uint8_t *script, size_t len)
{
    json_t *list = rpc_param(req, 1);
    size_t n = json_array_size(list);
    struct tx **txs = xcalloc(n + 1, sizeof(*txs));
    struct block *b = NULL;
    size_t got = 0;
    for (; txs && got < n; got++) {
        const char *s = json_string_value(json_array_get(list, got));
        if (!s) {
            rpc_fail(req, RPC_TYPE_ERROR, "transactions must be strings");
            break;
        }
        if (!(txs[got] = listed_tx(req, s)))
            break;
    }
    if (txs && got == n) {
        struct miner_template t;
        rpc_mining_template(node_of(req), script, len, &t);
        char *err = NULL;
        b = miner_build_block(&t, txs, n, 0, &err);
        if (!b)
            rpc_fail(req, RPC_VERIFY_ERROR, "TestBlockValidity failed: %s", err ? err : "");
        free(err);
    }
    for (size_t i = 0; txs && i < got; i++)
        tx_free(txs[i]);
    free(txs);
    return b;
}

static json_t *rpc_generateblock(struct rpc_request *req)
{
    uint8_t *script;
    size_t len;
    if (!output_script(req, &script, &len))
        return NULL;
    struct block *b = build_listed(req, script, len);
    free(script);
    if (!b)
        return NULL;
    json_t *r = NULL;
    json_t *submit = rpc_param(req, 2);
    if (miner_grind(b, DEFAULT_MAX_TRIES) != 0) {
        rpc_fail(req, RPC_MISC_ERROR, "Failed to make block.");
    } else if (submit && !json_is_true(submit)) {
        struct wbuf w;
        wbuf_init(&w);
        block_serialize(b, &w, true);
        r = json_object();
        json_object_set_new(r, "hash", rpc_hash_json(&b->hash));
        json_object_set_new(r, "hex", rpc_util_hex_json(w.data, w.len));
        wbuf_free(&w);
    } else {
        const char *reason = NULL;
        char *err = NULL;
        enum chainstate_status st = relay_glue_submit_block(node_of(req), b, &reason, &err);
        if (st == CHAINSTATE_ACCEPTED) {
            r = json_object();
            json_object_set_new(r, "hash", rpc_hash_json(&b->hash));
        } else {
            rpc_fail(req, RPC_VERIFY_ERROR, "TestBlockValidity failed: %s",
                     err ? err : reason ? reason : "not accepted");
        }
        free(err);
    }
    block_free(b);
    return r;
}

struct block *rpc_mining_decode_block(const char *hex)
{
    uint8_t *raw = NULL;
    ssize_t len = hex ? hex_decode_alloc(hex, &raw) : -1;
    const char *why = NULL;
    struct block *b = len >= 0 ? block_from_bytes(raw, (size_t)len, &why) : NULL;
    free(raw);
    return b;
}

/* BIP22 result of processing a submitted block. */
static json_t *bip22_result(struct chainstate *cs, const struct block *b,
                            enum chainstate_status st, const char *reason)
{
    switch (st) {
    case CHAINSTATE_ACCEPTED: {
        /* Stored but not (yet) on the active chain: a side branch. */
        const struct bindex_node *n = chainstate_find(cs, &b->hash);
        return n && chainstate_is_active(cs, n) ? json_null() : json_string("inconclusive");
    }
    case CHAINSTATE_DUPLICATE:
        return json_string("duplicate");
    case CHAINSTATE_MISSING_PARENT:
        return json_string("prev-blk-not-found");
    default:
        return json_string(reason ? reason : "rejected");
    }
}

static json_t *rpc_submitblock(struct rpc_request *req)
{
    struct chainstate *cs = node_of(req)->chain;
    struct block *b = rpc_mining_decode_block(json_string_value(rpc_param(req, 0)));
    if (!b)
        return rpc_fail(req, RPC_DESERIALIZATION_ERROR, "Block decode failed");
    if (b->tx_count == 0 || !tx_is_coinbase(b->txs[0])) {
        block_free(b);
        return rpc_fail(req, RPC_DESERIALIZATION_ERROR, "Block does not start with a coinbase");
    }
    json_t *r = NULL;
    const struct bindex_node *known = chainstate_find(cs, &b->hash);
    if (known && (known->status & BINDEX_FAILED_MASK)) {
        r = json_string("duplicate-invalid");
    } else if (known && (known->status & BINDEX_HAVE_DATA)) {
        r = json_string("duplicate");
    } else {
        const char *reason = NULL;
        char *err = NULL;
        enum chainstate_status st = relay_glue_submit_block(node_of(req), b, &reason, &err);
        if (st == CHAINSTATE_ERROR)
            rpc_fail(req, RPC_DATABASE_ERROR, "%s", err ? err : "storage failed");
        else
            r = bip22_result(cs, b, st, reason);
        free(err);
    }
    block_free(b);
    return r;
}

static double u256_to_double(const struct u256 *v)
{
    double d = 0;
    for (int i = 7; i >= 0; i--)
        d = d * 4294967296.0 + v->w[i];
    return d;
}

/* Core's GetNetworkHashPS over the last HASHPS_LOOKUP blocks. */
static double network_hashps(struct chainstate *cs)
{
    const struct bindex_node *tip = chainstate_tip(cs), *n = tip;
    if (!tip || tip->height == 0)
        return 0;
    uint32_t lo = tip->hdr.time, hi = tip->hdr.time;
    for (int i = 0; i < HASHPS_LOOKUP && n->prev; i++) {
        n = n->prev;
        lo = n->hdr.time < lo ? n->hdr.time : lo;
        hi = n->hdr.time > hi ? n->hdr.time : hi;
    }
    if (lo == hi)
        return 0;
    struct u256 work = tip->work;
    u256_sub(&work, &n->work);
    return u256_to_double(&work) / (hi - lo);
}

static json_t *rpc_getmininginfo(struct rpc_request *req)
{
    struct node *node = node_of(req);
    const struct bindex_node *tip = chainstate_tip(node->chain);
    json_t *o = json_object();
    json_object_set_new(o, "blocks", json_integer(tip->height));
    rpc_util_bits_fields(o, tip->hdr.bits);
    json_object_set_new(o, "networkhashps", json_real(network_hashps(node->chain)));
    json_object_set_new(o, "pooledtx", json_integer((json_int_t)mempool_count(node->mempool)));
    json_object_set_new(o, "chain", json_string(node->params->name));
    struct miner_template t;
    rpc_mining_template(node, NULL, 0, &t);
    json_t *next = json_object();
    json_object_set_new(next, "height", json_integer(t.height));
    rpc_util_bits_fields(next, t.bits);
    json_object_set_new(o, "next", next);
    json_object_set_new(o, "warnings", json_array());
    return o;
}

static const struct rpc_method mining_methods[] = {
    { "generatetoaddress", "generating", rpc_generatetoaddress,
      "Mine blocks immediately to a specified address (before the RPC call returns).",
      { { "nblocks", RPC_ARG_NUM, false, "How many blocks are generated", NULL },
        { "address", RPC_ARG_STR, false, "The address to send the newly generated bitcoin to", NULL },
        { "maxtries", RPC_ARG_NUM, true, "How many iterations to try (default 1000000)", "1000000" },
        { 0 } } },
    { "generatetodescriptor", "generating", rpc_generatetodescriptor,
      "Mine to a specified descriptor (raw(<hex>) or addr(<address>), checksum optional) and "
      "return the block hashes.",
      { { "num_blocks", RPC_ARG_NUM, false, "How many blocks are generated", NULL },
        { "descriptor", RPC_ARG_STR, false, "The descriptor to send the newly generated bitcoin to", NULL },
        { "maxtries", RPC_ARG_NUM, true, "How many iterations to try (default 1000000)", "1000000" },
        { 0 } } },
    { "generateblock", "generating", rpc_generateblock,
      "Mine a set of ordered transactions to a specified address or descriptor and return the "
      "block hash.",
      { { "output", RPC_ARG_STR, false, "The address or descriptor to send the coinbase to", NULL },
        { "transactions", RPC_ARG_ARR, false, "Txids of mempool transactions or raw transactions", NULL },
        { "submit", RPC_ARG_BOOL, true, "Whether to submit the block (default true), else return its hex", "true" },
        { 0 } } },
    { "submitblock", "mining", rpc_submitblock,
      "Attempts to submit new block to network. Returns null on success, else a BIP22 string.",
      { { "hexdata", RPC_ARG_STR, false, "the hex-encoded block data to submit", NULL },
        { "dummy", RPC_ARG_ANY, true, "dummy value, for compatibility with BIP22", NULL },
        { 0 } } },
    { "getmininginfo", "mining", rpc_getmininginfo,
      "Returns a json object containing mining-related information.", { { 0 } } },
};

const struct rpc_method_set mining_rpc_methods = RPC_METHOD_SET(mining_methods);
