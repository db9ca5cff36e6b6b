/* Utility methods that need no chain state (Bitcoin Core's
 * src/rpc/output_script.cpp, misc.cpp and signmessage.cpp):
 * validateaddress, verifymessage, createmultisig, getdescriptorinfo and
 * deriveaddresses. */
#include "node/rpc/rpc_glue.h"

#include "chain/primitives/address.h"
#include "chain/primitives/serialize.h"
#include "chain/script/descriptor.h"
#include "chain/script/message.h"
#include "chain/script/pubkey.h"
#include "chain/script/script.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"
#include "node/rpc/rpc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct chain_params *params_of(const struct rpc_request *req)
{
    return ((const struct node *)req->ctx)->params;
}

/* Core's message for a base58check payload (at most 21 bytes) that is not
 * an address of this network; into msg (room for 256). */
static void base58_error(const struct chain_params *p, const uint8_t *data, int n, char *msg)
{
    static const char *const nets[] = { [CHAIN_MAIN] = "mainnet", [CHAIN_TESTNET3] = "testnet",
                                        [CHAIN_TESTNET4] = "testnet4", [CHAIN_SIGNET] = "signet",
                                        [CHAIN_REGTEST] = "regtest" };
    if (n >= 1 && (data[0] == p->base58_pubkey || data[0] == p->base58_script)) {
        strcpy(msg, "Invalid length for Base58 address (P2PKH or P2SH)");
        return;
    }
    /* The leading characters of this network's P2SH and P2PKH addresses. */
    const char *prefixes = p->type == CHAIN_MAIN ? "3, or 1" : "2, m, or n";
    snprintf(msg, 256, "Invalid Base58 %s address. Expected prefix %s", nets[p->type], prefixes);
}

/* Core's messages for a well-formed bech32 string that is not an address
 * of this network; into msg (room for 256). */
static void segwit_error(const struct chain_params *p, const char *hrp, const uint8_t *data,
                         size_t n, enum bech32_encoding enc, char *msg)
{
    if (n == 0) {
        strcpy(msg, "Empty Bech32 data section");
        return;
    }
    if (strcmp(hrp, p->bech32_hrp) != 0) {
        snprintf(msg, 256,
                 "Invalid or unsupported prefix for Segwit (Bech32) address (expected %s, got %s)",
                 p->bech32_hrp, hrp);
        return;
    }
    int version = data[0];
    if (version == 0 && enc != BECH32_BECH32) {
        strcpy(msg, "Version 0 witness address must use Bech32 checksum");
        return;
    }
    if (version != 0 && enc != BECH32_BECH32M) {
        strcpy(msg, "Version 1+ witness address must use Bech32m checksum");
        return;
    }
    /* 5-bit groups to bytes without padding: fewer than 5 spare bits,
     * all zero. */
    size_t bits = (n - 1) * 5, size = bits / 8;
    unsigned spare = (unsigned)(bits % 8);
    if (spare >= 5 || (data[n - 1] & ((1u << spare) - 1))) {
        strcpy(msg, "Invalid padding in Bech32 data section");
        return;
    }
    const char *unit = size == 1 ? "byte" : "bytes";
    if (version == 0)
        snprintf(msg, 256, "Invalid Bech32 v0 address program size (%zu %s), per BIP141", size,
                 unit);
    else if (version > 16)
        strcpy(msg, "Invalid Bech32 address witness version");
    else
        snprintf(msg, 256, "Invalid Bech32 address program size (%zu %s)", size, unit);
}

/* Why str is not an address, as Core's DecodeDestination says it, with
 * the positions bech32's error locator finds. */
static void address_error(const struct chain_params *p, const char *str, json_t *res)
{
    char msg[256], hrp[ADDRESS_MAX_LEN];
    uint8_t data[BASE58_MAX_DATA + 4];
    size_t n = 0, nat = 0;
    bool bad_sum;
    int *at = xcalloc(strlen(str) + 1, sizeof(int));
    const char *why = bech32_locate_errors(str, at, &nat);
    enum bech32_encoding enc = bech32_decode(str, hrp, data, &n, &bad_sum);
    int b58 = enc == BECH32_INVALID ? base58check_decode(str, data, 21) : -1;
    if (enc != BECH32_INVALID) {
        segwit_error(p, hrp, data, n, enc, msg);
        nat = 0;
    } else if (b58 >= 0) {
        base58_error(p, data, b58, msg);
        nat = 0;
    } else if (base58_decode(str, data, sizeof(data)) >= 0) {
        strcpy(msg, "Invalid checksum or length of Base58 address (P2PKH or P2SH)");
    } else if (why && strcmp(why, "Invalid Base 32 character") != 0 &&
               strcmp(why, "Invalid character or mixed case") != 0) {
        snprintf(msg, sizeof(msg), "Bech32(m) address decoded with error: %s", why);
    } else {
        strcpy(msg, "Address is not valid Base58 or Bech32");
    }
    json_t *locs = json_array();
    for (size_t i = 0; i < nat; i++)
        json_array_append_new(locs, json_integer(at[i]));
    free(at);
    json_object_set_new(res, "error_locations", locs);
    json_object_set_new(res, "error", json_string(msg));
}

/* Core's DescribeAddress: isscript, iswitness and the witness program. */
static void describe_address(json_t *o, const uint8_t *spk, size_t len)
{
    enum address_type t = address_script_type(spk, len);
    bool witness = t == ADDRESS_P2WPKH || t == ADDRESS_P2WSH || t == ADDRESS_P2TR ||
                   t == ADDRESS_WITNESS_UNKNOWN;
    bool anchor = len == 4 && spk[0] == 0x51 && spk[2] == 0x4e && spk[3] == 0x73;
    if (t != ADDRESS_WITNESS_UNKNOWN || anchor)
        json_object_set_new(o, "isscript",
                            json_boolean(t == ADDRESS_P2SH || t == ADDRESS_P2WSH ||
                                         t == ADDRESS_P2TR || anchor));
    json_object_set_new(o, "iswitness", json_boolean(witness));
    if (witness) {
        json_object_set_new(o, "witness_version",
                            json_integer(spk[0] == 0 ? 0 : spk[0] - 0x50));
        json_object_set_new(o, "witness_program", rpc_util_hex_json(spk + 2, len - 2));
    }
}

static json_t *rpc_validateaddress(struct rpc_request *req)
{
    const struct chain_params *p = params_of(req);
    const char *str = json_string_value(rpc_param(req, 0));
    uint8_t spk[ADDRESS_MAX_SCRIPT];
    size_t len;
    json_t *res = json_object();
    bool valid = address_decode(p, str, spk, &len, NULL) == ADDRESS_OK;
    json_object_set_new(res, "isvalid", json_boolean(valid));
    if (!valid) {
        address_error(p, str, res);
        return res;
    }
    char addr[ADDRESS_MAX_LEN];
    address_encode(p, spk, len, addr);
    json_object_set_new(res, "address", json_string(addr));
    json_object_set_new(res, "scriptPubKey", rpc_util_hex_json(spk, len));
    describe_address(res, spk, len);
    return res;
}

static json_t *rpc_verifymessage(struct rpc_request *req)
{
    const char *msg = json_string_value(rpc_param(req, 2));
    switch (message_verify(params_of(req), json_string_value(rpc_param(req, 0)),
                           json_string_value(rpc_param(req, 1)), msg,
                           json_string_length(rpc_param(req, 2)))) {
    case MESSAGE_ERR_INVALID_ADDRESS:
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address");
    case MESSAGE_ERR_ADDRESS_NO_KEY:
        return rpc_fail(req, RPC_TYPE_ERROR, "Address does not refer to key");
    case MESSAGE_ERR_MALFORMED_SIGNATURE:
        return rpc_fail(req, RPC_TYPE_ERROR, "Malformed base64 encoding");
    case MESSAGE_OK:
        return json_true();
    default:
        return json_false();
    }
}

static json_t *rpc_getdescriptorinfo(struct rpc_request *req)
{
    const char *text = json_string_value(rpc_param(req, 0));
    char *err = NULL;
    struct descriptor *d = descriptor_parse(params_of(req), text, false, &err);
    if (!d) {
        json_t *r = rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
        free(err);
        return r;
    }
    /* The checksum of the text as given (without its own checksum). */
    char sum[9];
    const char *hash = strchr(text, '#');
    descriptor_checksum(text, hash ? (size_t)(hash - text) : strlen(text), sum);
    json_t *r = json_pack("{s:s,s:s,s:b,s:b,s:b}", "descriptor", descriptor_string(d), "checksum",
                          sum, "isrange", descriptor_is_range(d), "issolvable",
                          descriptor_is_solvable(d), "hasprivatekeys",
                          descriptor_has_private_keys(d));
    descriptor_free(d);
    return r;
}

/* Core's ParseDescriptorRange: end, or [begin,end]. */
static bool parse_range(struct rpc_request *req, const json_t *v, int64_t *lo, int64_t *hi)
{
    if (json_is_integer(v)) {
        *lo = 0;
        *hi = json_integer_value(v);
    } else if (json_is_array(v) && json_array_size(v) == 2 &&
               json_is_integer(json_array_get(v, 0)) && json_is_integer(json_array_get(v, 1))) {
        *lo = json_integer_value(json_array_get(v, 0));
        *hi = json_integer_value(json_array_get(v, 1));
        if (*lo > *hi)
            return rpc_fail(req, RPC_INVALID_PARAMETER, "Range specified as [begin,end] must not "
                            "have begin after end") != NULL;
    } else {
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Range must be specified as end or as [begin,end]") != NULL;
    }
    if (*lo < 0)
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "Range should be greater or equal than 0") != NULL;
    if ((*hi >> 31) != 0)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "End of range is too high") != NULL;
    if (*hi >= *lo + 1000000)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Range is too large") != NULL;
    return true;
}

/* The addresses of position pos; false after rpc_fail. */
static bool derive_at(struct rpc_request *req, const struct descriptor *d, uint32_t pos,
                      json_t *out)
{
    struct descriptor_script s[DESCRIPTOR_MAX_SCRIPTS];
    int n = descriptor_expand(d, pos, s);
    if (n < 0)
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                        "Cannot derive script without private keys") != NULL;
    bool ok = true;
    for (int i = 0; i < n; i++) {
        char addr[ADDRESS_MAX_LEN];
        bool bare_key = s[i].len > 0 && s[i].data[s[i].len - 1] == OP_CHECKSIG &&
                        (s[i].len == 35 || s[i].len == 67);
        if (ok && address_encode(params_of(req), s[i].data, s[i].len, addr) == 0)
            json_array_append_new(out, json_string(addr));
        /* combo()'s P2PK script has no address: Core skips it. */
        else if (ok && !(n > 1 && bare_key))
            ok = rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                          "Descriptor does not have a corresponding address") != NULL;
        free(s[i].data);
    }
    return ok;
}

static json_t *rpc_deriveaddresses(struct rpc_request *req)
{
    char *err = NULL;
    struct descriptor *d =
        descriptor_parse(params_of(req), json_string_value(rpc_param(req, 0)), true, &err);
    if (!d) {
        json_t *r = rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
        free(err);
        return r;
    }
    json_t *range = rpc_param(req, 1), *res = json_array();
    int64_t lo = 0, hi = 0;
    bool ok = true;
    if (!descriptor_is_range(d) && range)
        ok = rpc_fail(req, RPC_INVALID_PARAMETER,
                      "Range should not be specified for an un-ranged descriptor") != NULL;
    else if (descriptor_is_range(d) && !range)
        ok = rpc_fail(req, RPC_INVALID_PARAMETER,
                      "Range must be specified for a ranged descriptor") != NULL;
    else if (range)
        ok = parse_range(req, range, &lo, &hi);
    for (int64_t i = lo; ok && i <= hi; i++)
        ok = derive_at(req, d, (uint32_t)i, res);
    descriptor_free(d);
    if (!ok) {
        json_decref(res);
        return NULL;
    }
    return res;
}

/* Core's HexToPubKey. */
static bool multisig_key(struct rpc_request *req, const json_t *v, uint8_t key[65], size_t *len)
{
    const char *hex = json_string_value(v);
    if (!hex)
        return rpc_fail(req, RPC_TYPE_ERROR, "JSON value of type %s is not of expected type "
                        "string", rpc_json_type_name(v)) != NULL;
    size_t n = strlen(hex);
    if (n == 0 || n % 2 || strspn(hex, "0123456789abcdefABCDEF") != n)
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Pubkey \"%s\" must be a hex string",
                        hex) != NULL;
    if (n != 66 && n != 130)
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                        "Pubkey \"%s\" must have a length of either 33 or 65 bytes", hex) != NULL;
    *len = (size_t)hex_decode(hex, key, 65);
    if (!pubkey_is_valid(key, *len))
        return rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                        "Pubkey \"%s\" must be cryptographically valid.", hex) != NULL;
    return true;
}

/* The address type: 0 legacy, 1 p2sh-segwit, 2 bech32; -1 after rpc_fail. */
static int multisig_type(struct rpc_request *req)
{
    const char *t = json_string_value(rpc_param(req, 2));
    if (!t || strcmp(t, "legacy") == 0)
        return 0;
    if (strcmp(t, "p2sh-segwit") == 0)
        return 1;
    if (strcmp(t, "bech32") == 0)
        return 2;
    if (strcmp(t, "bech32m") == 0)
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY,
                 "createmultisig cannot create bech32m multisig addresses");
    else
        rpc_fail(req, RPC_INVALID_ADDRESS_OR_KEY, "Unknown address type '%s'", t);
    return -1;
}

/* Core's CreateMultisigRedeemscript checks; the script into w. */
static bool multisig_redeem(struct rpc_request *req, int64_t k, struct wbuf *w, bool *compressed)
{
    json_t *keys = rpc_param(req, 1);
    size_t n = json_array_size(keys);
    uint8_t buf[20][65];
    const uint8_t *ptrs[20];
    size_t lens[20];
    if (k < 1)
        return rpc_fail(req, RPC_INVALID_PARAMETER,
                        "a multisignature address must require at least one key to redeem") != NULL;
    if ((int64_t)n < k)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "not enough keys supplied (got %zu keys, but "
                        "need at least %d to redeem)", n, (int)k) != NULL;
    if (n > 20)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "Number of keys involved in the "
                        "multisignature address creation > 20\nReduce the number") != NULL;
    *compressed = true;
    for (size_t i = 0; i < n; i++) {
        if (!multisig_key(req, json_array_get(keys, i), buf[i], &lens[i]))
            return false;
        ptrs[i] = buf[i];
        *compressed &= lens[i] == 33;
    }
    descriptor_multisig_script(w, (int)k, ptrs, lens, n);
    return true;
}

static json_t *rpc_createmultisig(struct rpc_request *req)
{
    const struct chain_params *p = params_of(req);
    int64_t k;
    bool compressed = true;
    int type = multisig_type(req);
    struct wbuf w;
    wbuf_init(&w);
    if (type < 0 || !rpc_param_int(req, 0, 0, INT32_MIN, INT32_MAX, &k) ||
        !multisig_redeem(req, k, &w, &compressed)) {
        wbuf_free(&w);
        return NULL;
    }
    /* Uncompressed keys cannot go into segwit: legacy then, with a warning. */
    bool warn = type != 0 && !compressed;
    if (!compressed)
        type = 0;
    if (type == 0 && w.len > SCRIPT_MAX_ELEMENT_SIZE) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "redeemScript exceeds size limit: %zu > %d", w.len,
                 SCRIPT_MAX_ELEMENT_SIZE);
        wbuf_free(&w);
        return NULL;
    }
    /* The descriptor: sh(multi()), sh(wsh(multi())) or wsh(multi()). */
    static const char *const wraps[3][2] = { { "sh(", ")" }, { "sh(wsh(", "))" },
                                             { "wsh(", ")" } };
    struct wbuf desc;
    wbuf_init(&desc);
    char num[16];
    snprintf(num, sizeof(num), "multi(%d", (int)k);
    wbuf_bytes(&desc, wraps[type][0], strlen(wraps[type][0]));
    wbuf_bytes(&desc, num, strlen(num));
    for (size_t i = 0; i < json_array_size(rpc_param(req, 1)); i++) {
        uint8_t key[65];
        size_t len;
        char hex[131];
        multisig_key(req, json_array_get(rpc_param(req, 1), i), key, &len);
        hex_encode(key, len, hex);
        wbuf_u8(&desc, ',');
        wbuf_bytes(&desc, hex, len * 2);
    }
    wbuf_u8(&desc, ')');
    wbuf_bytes(&desc, wraps[type][1], strlen(wraps[type][1]) + 1);
    char *err = NULL;
    struct descriptor *d = descriptor_parse(p, (const char *)desc.data, false, &err);
    wbuf_free(&desc);
    struct descriptor_script s[DESCRIPTOR_MAX_SCRIPTS];
    char addr[ADDRESS_MAX_LEN] = "";
    if (d && descriptor_expand(d, 0, s) == 1) {
        address_encode(p, s[0].data, s[0].len, addr);
        free(s[0].data);
    }
    json_t *r = json_pack("{s:s,s:o,s:s}", "address", addr, "redeemScript",
                          rpc_util_hex_json(w.data, w.len), "descriptor",
                          d ? descriptor_string(d) : "");
    if (warn)
        json_object_set_new(r, "warnings", json_pack("[s]", "Unable to make chosen address type, "
                            "please ensure no uncompressed public keys are present."));
    descriptor_free(d);
    free(err);
    wbuf_free(&w);
    return r;
}

static const struct rpc_method misc_methods[] = {
    { "validateaddress", "util", rpc_validateaddress,
      "Return information about the given bitcoin address.",
      { { "address", RPC_ARG_STR, false, "The bitcoin address to validate", NULL }, { NULL } } },
    { "verifymessage", "util", rpc_verifymessage, "Verify a signed message.",
      { { "address", RPC_ARG_STR, false, "The bitcoin address to use for the signature.", NULL },
        { "signature", RPC_ARG_STR, false,
          "The signature provided by the signer in base 64 encoding (see signmessage).", NULL },
        { "message", RPC_ARG_STR, false, "The message that was signed.", NULL },
        { NULL } } },
    { "getdescriptorinfo", "util", rpc_getdescriptorinfo,
      "Analyses a descriptor: its public form with checksum, the checksum of the text given, "
      "whether it is ranged, solvable, and has private keys.",
      { { "descriptor", RPC_ARG_STR, false, "The descriptor.", NULL }, { NULL } } },
    { "deriveaddresses", "util", rpc_deriveaddresses,
      "Derives one or more addresses corresponding to an output descriptor (pk, pkh, wpkh, "
      "combo, sh, wsh, multi, sortedmulti, addr, raw, tr, rawtr; keys hex, WIF or BIP32 with "
      "paths and ranges). A checksum is required.",
      { { "descriptor", RPC_ARG_STR, false, "The descriptor.", NULL },
        { "range", RPC_ARG_NUM | RPC_ARG_ARR, true,
          "If a ranged descriptor is used, this specifies the end or the range (in [begin,end] "
          "notation) to derive.", NULL },
        { NULL } } },
    { "createmultisig", "util", rpc_createmultisig,
      "Creates a multi-signature address with n signatures of m keys required. It returns a "
      "json object with the address, redeemScript and descriptor.",
      { { "nrequired", RPC_ARG_NUM, false,
          "The number of required signatures out of the n keys.", NULL },
        { "keys", RPC_ARG_ARR, false, "The hex-encoded public keys.", NULL },
        { "address_type", RPC_ARG_STR, true,
          "The address type to use. Options are \"legacy\", \"p2sh-segwit\", and \"bech32\".",
          "\"legacy\"" },
        { NULL } } },
};

const struct rpc_method_set util_rpc_methods = RPC_METHOD_SET(misc_methods);
