/* Raw transactions built or taken apart without the chain (Bitcoin Core's
 * src/rpc/rawtransaction.cpp and rawtransaction_util.cpp):
 * createrawtransaction and decodescript. */
#include "node/rpc/rpc_glue.h"

#include "chain/mempool/policy.h"
#include "chain/primitives/address.h"
#include "chain/primitives/serialize.h"
#include "chain/script/pubkey.h"
#include "chain/script/script.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"
#include "node/rpc/rpc_util.h"

#include <stdlib.h>
#include <string.h>

#define SEQUENCE_FINAL 0xffffffffu
#define MAX_BIP125_RBF_SEQUENCE 0xfffffffdu
#define LOCKTIME_MAX 0xffffffffLL
#define DEFAULT_RAWTX_VERSION 2
/* Core's TX_MIN_STANDARD_VERSION and TX_MAX_STANDARD_VERSION (TRUC). */
#define TX_MIN_STANDARD_VERSION 1
#define TX_MAX_STANDARD_VERSION 3

static const struct chain_params *params_of(const struct rpc_request *req)
{
    return ((const struct node *)req->ctx)->params;
}

static json_t *type_fail(struct rpc_request *req, const json_t *v, const char *want)
{
    return rpc_fail(req, RPC_TYPE_ERROR, "JSON value of type %s is not of expected type %s",
                    rpc_json_type_name(v), want);
}

/* One input of AddInputs: txid, vout and the sequence (explicit, or from
 * replaceable and locktime) into w. */
static bool put_input(struct rpc_request *req, const json_t *o, bool rbf, uint32_t locktime,
                      struct wbuf *w, uint32_t *seq_out)
{
    if (!json_is_object(o)) {
        type_fail(req, o, "object");
        return false;
    }
    struct hash256 txid;
    if (!rpc_value_hash(req, json_object_get(o, "txid"), "txid", &txid))
        return false;
    json_t *vout = json_object_get(o, "vout");
    if (!json_is_number(vout)) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter, missing vout key");
        return false;
    }
    if (!json_is_integer(vout) || json_integer_value(vout) > INT32_MAX ||
        json_integer_value(vout) < INT32_MIN) {
        rpc_fail(req, RPC_MISC_ERROR, "JSON integer out of range");
        return false;
    }
    if (json_integer_value(vout) < 0) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter, vout cannot be negative");
        return false;
    }
    uint32_t seq = rbf ? MAX_BIP125_RBF_SEQUENCE
                       : locktime ? SEQUENCE_FINAL - 1 : SEQUENCE_FINAL;
    json_t *s = json_object_get(o, "sequence");
    if (json_is_number(s)) {
        json_int_t n = json_is_integer(s) ? json_integer_value(s) : -1;
        if (n < 0 || n > SEQUENCE_FINAL) {
            rpc_fail(req, RPC_INVALID_PARAMETER,
                     "Invalid parameter, sequence number is out of range");
            return false;
        }
        seq = (uint32_t)n;
    }
    wbuf_bytes(w, txid.b, 32);
    wbuf_u32(w, (uint32_t)json_integer_value(vout));
    wbuf_compact(w, 0);
    wbuf_u32(w, seq);
    *seq_out = seq;
    return true;
}

/* NormalizeOutputs: an object, or an array of one-key objects, as a list
 * of [key, value] pairs in order (an array may repeat a key, as UniValue's
 * pushKVs keeps both). */
static json_t *normalize_outputs(struct rpc_request *req, json_t *outputs)
{
    if (!outputs)
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Invalid parameter, output argument must be non-null");
    if (!json_is_object(outputs) && !json_is_array(outputs))
        return type_fail(req, outputs, "array");
    json_t *pairs = json_array();
    const char *key;
    json_t *v;
    if (json_is_object(outputs)) {
        json_object_foreach(outputs, key, v)
            json_array_append_new(pairs, json_pack("[sO]", key, v));
        return pairs;
    }
    size_t i;
    json_t *o;
    json_array_foreach(outputs, i, o) {
        if (!json_is_object(o) || json_object_size(o) != 1) {
            json_decref(pairs);
            return rpc_fail(req, RPC_INVALID_PARAMETER,
                            json_is_object(o)
                                ? "Invalid parameter, key-value pair must contain exactly one key"
                                : "Invalid parameter, key-value pair not an object as expected");
        }
        json_object_foreach(o, key, v)
            json_array_append_new(pairs, json_pack("[sO]", key, v));
    }
    return pairs;
}

/* An OP_RETURN output of value 0 pushing the hex data v. */
static bool put_data_output(struct rpc_request *req, json_t *v, struct wbuf *w)
{
    size_t dlen;
    uint8_t *data = rpc_util_hex_value(req, json_is_string(v) ? v : NULL, "Data", &dlen);
    if (!data)
        return false;
    struct wbuf s;
    wbuf_init(&s);
    wbuf_u8(&s, OP_RETURN);
    script_append_push(&s, data, dlen);
    free(data);
    wbuf_i64(w, 0);
    wbuf_varbytes(w, s.data, s.len);
    wbuf_free(&s);
    return true;
}

/* ParseOutputs and AddOutputs: each "data" or address and amount into w;
 * at most one data output, no address twice. */
static bool put_outputs(struct rpc_request *req, json_t *pairs, struct wbuf *w)
{
    const struct chain_params *p = params_of(req);
    size_t n = json_array_size(pairs), k = 0;
    uint8_t(*seen)[ADDRESS_MAX_SCRIPT + 1] = xcalloc(n ? n : 1, sizeof(*seen));
    bool has_data = false, ok = true;
    wbuf_compact(w, n);
    for (size_t i = 0; i < n && ok; i++) {
        const char *key = json_string_value(json_array_get(json_array_get(pairs, i), 0));
        json_t *v = json_array_get(json_array_get(pairs, i), 1);
        uint8_t spk[ADDRESS_MAX_SCRIPT];
        size_t spk_len = 0;
        int64_t value = 0;
        if (strcmp(key, "data") == 0) {
            if (has_data)
                ok = rpc_fail(req, RPC_INVALID_PARAMETER,
                              "Invalid parameter, duplicate key: data") != NULL;
            else
                ok = put_data_output(req, v, w);
            has_data = true;
            continue;
        }
        if (!rpc_util_amount(req, v, &value)) {
            ok = false;
            break;
        }
        if (address_decode(p, key, spk, &spk_len, NULL) != ADDRESS_OK) {
            ok = rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address: %s",
                          key) != NULL;
            break;
        }
        seen[k][0] = (uint8_t)spk_len;
        memcpy(seen[k] + 1, spk, spk_len);
        for (size_t j = 0; j < k && ok; j++)
            ok = memcmp(seen[j], seen[k], spk_len + 1) != 0;
        if (!ok) {
            rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter, duplicated address: %s", key);
            break;
        }
        k++;
        wbuf_i64(w, value);
        wbuf_varbytes(w, spk, spk_len);
    }
    free(seen);
    return ok;
}

/* Core's ConstructTransaction, serialized (no witness) into w. */
static bool construct_tx(struct rpc_request *req, struct wbuf *w)
{
    int64_t locktime, version;
    if (!rpc_param_int(req, 2, 0, INT64_MIN, INT64_MAX, &locktime))
        return false;
    if (locktime < 0 || locktime > LOCKTIME_MAX) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter, locktime out of range");
        return false;
    }
    if (!rpc_param_int(req, 4, DEFAULT_RAWTX_VERSION, INT64_MIN, INT64_MAX, &version))
        return false;
    if (version < TX_MIN_STANDARD_VERSION || version > TX_MAX_STANDARD_VERSION) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter, version out of range(%d~%d)",
                 TX_MIN_STANDARD_VERSION, TX_MAX_STANDARD_VERSION);
        return false;
    }
    json_t *rbf_v = rpc_param(req, 3);
    bool rbf = !rbf_v || json_is_true(rbf_v);
    json_t *inputs = rpc_param(req, 0);
    wbuf_u32(w, (uint32_t)version);
    wbuf_compact(w, json_array_size(inputs));
    bool signals = false;
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in) {
        uint32_t seq;
        if (!put_input(req, in, rbf, (uint32_t)locktime, w, &seq))
            return false;
        signals |= seq <= MAX_BIP125_RBF_SEQUENCE;
    }
    json_t *pairs = normalize_outputs(req, rpc_param(req, 1));
    bool ok = pairs && put_outputs(req, pairs, w);
    json_decref(pairs);
    if (!ok)
        return false;
    wbuf_u32(w, (uint32_t)locktime);
    if (rbf_v && rbf && json_array_size(inputs) > 0 && !signals) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Invalid parameter combination: Sequence number(s) "
                                             "contradict replaceable option");
        return false;
    }
    return true;
}

static json_t *rpc_createrawtransaction(struct rpc_request *req)
{
    struct wbuf w;
    wbuf_init(&w);
    json_t *res = construct_tx(req, &w) ? rpc_util_hex_json(w.data, w.len) : NULL;
    wbuf_free(&w);
    return res;
}

/* Core's decodescript can_wrap: no opcode above OP_CHECKSIGADD, every push
 * complete and at most 520 bytes, no OP_CHECKSIGADD or OP_SUCCESSx. */
static bool can_wrap(const uint8_t *s, size_t len, enum policy_script_type t)
{
    if (t == POLICY_NULL_DATA || t == POLICY_SCRIPTHASH || t == POLICY_WITNESS_UNKNOWN ||
        t == POLICY_WITNESS_V1_TAPROOT || t == POLICY_ANCHOR || len > SCRIPT_MAX_SIZE)
        return false;
    const uint8_t *pc = s, *end = s + len;
    struct script_op op;
    while (pc < end) {
        if (!script_get_op(&pc, end, &op) || op.opcode >= OP_CHECKSIGADD ||
            op.len > SCRIPT_MAX_ELEMENT_SIZE || script_is_op_success(op.opcode))
            return false;
    }
    return true;
}

/* Bare keys and multisig keys must all be compressed to go into P2WSH. */
static bool keys_compressed(const uint8_t *s, size_t len)
{
    const uint8_t *pc = s, *end = s + len;
    struct script_op op;
    while (pc < end && script_get_op(&pc, end, &op))
        if (op.len == 65)
            return false;
    return true;
}

static void set_p2sh(json_t *o, const char *key, const struct chain_params *p, const uint8_t *s,
                     size_t len)
{
    uint8_t spk[23] = { OP_HASH160, 20 };
    spk[22] = OP_EQUAL;
    hash_hash160(s, len, spk + 2);
    char addr[ADDRESS_MAX_LEN];
    if (address_encode(p, spk, sizeof(spk), addr) == 0)
        json_object_set_new(o, key, json_string(addr));
}

/* The "segwit" object: P2WPKH for a key or key hash, P2WSH otherwise. */
static json_t *segwit_json(const struct chain_params *p, const uint8_t *s, size_t len,
                           enum policy_script_type t)
{
    uint8_t spk[34] = { OP_0 };
    size_t spk_len;
    if (t == POLICY_PUBKEY || t == POLICY_PUBKEYHASH) {
        spk[1] = 20;
        if (t == POLICY_PUBKEY)
            hash_hash160(s + 1, len - 2, spk + 2);
        else
            memcpy(spk + 2, s + 3, 20);
        spk_len = 22;
    } else {
        spk[1] = 32;
        hash_sha256(s, len, spk + 2);
        spk_len = 34;
    }
    json_t *o = rpc_util_script_json(p, spk, spk_len);
    if (spk_len == 34) {
        char *desc = rpc_util_infer_wsh_descriptor(s, len);
        json_object_set_new(o, "desc", json_string(desc));
        free(desc);
    }
    set_p2sh(o, "p2sh-segwit", p, spk, spk_len);
    return o;
}

static json_t *rpc_decodescript(struct rpc_request *req)
{
    const struct chain_params *p = params_of(req);
    json_t *hex = rpc_param(req, 0);
    uint8_t *s = NULL;
    size_t len = 0;
    if (json_string_length(hex) > 0 && !(s = rpc_util_hex_value(req, hex, "argument", &len)))
        return NULL;
    enum policy_script_type t = policy_script_type(s, len);
    json_t *r = rpc_util_script_json(p, s, len);
    json_object_del(r, "hex");
    if (can_wrap(s, len, t)) {
        set_p2sh(r, "p2sh", p, s, len);
        bool wsh_ok = t == POLICY_NONSTANDARD || t == POLICY_PUBKEYHASH ||
                      ((t == POLICY_PUBKEY || t == POLICY_MULTISIG) && keys_compressed(s, len));
        if (wsh_ok)
            json_object_set_new(r, "segwit", segwit_json(p, s, len, t));
    }
    free(s);
    return r;
}

static const struct rpc_method rawtx_build_methods[] = {
    { "createrawtransaction", "rawtransactions", rpc_createrawtransaction,
      "Create a transaction spending the given inputs and creating new outputs (addresses or "
      "data). Returns the hex-encoded raw transaction, unsigned and not broadcast.",
      { { "inputs", RPC_ARG_ARR, false,
          "The inputs: [{\"txid\":hex,\"vout\":n,\"sequence\":n},...]", NULL },
        { "outputs", RPC_ARG_ARR | RPC_ARG_OBJ, false,
          "The outputs: [{\"address\":amount},{\"data\":\"hex\"},...] (or one object)", NULL },
        { "locktime", RPC_ARG_NUM, true,
          "Raw locktime. Non-0 value also locktime-activates inputs", "0" },
        { "replaceable", RPC_ARG_BOOL, true,
          "Marks this transaction as BIP125-replaceable; explicit sequence numbers must agree",
          "true" },
        { "version", RPC_ARG_NUM, true, "Transaction version", "2" },
        { NULL } } },
    { "decodescript", "rawtransactions", rpc_decodescript,
      "Decode a hex-encoded script: asm, desc, type, address, and the P2SH and segwit "
      "addresses that would wrap it.",
      { { "hexstring", RPC_ARG_STR, false, "the hex-encoded script", NULL }, { NULL } } },
};

const struct rpc_method_set rawtx_build_rpc_methods = RPC_METHOD_SET(rawtx_build_methods);
