/* Utility methods that need no chain state (Bitcoin Core's
 * src/rpc/output_script.cpp, misc.cpp and signmessage.cpp):
 * validateaddress, verifymessage, createmultisig, getdescriptorinfo and
 * deriveaddresses. */
#include "node/rpc/rpc_glue.h"

#include "chain/primitives/address.h"
#include "chain/script/message.h"
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
};

const struct rpc_method_set util_rpc_methods = RPC_METHOD_SET(misc_methods);
