#include "node/rpc/rpc_util.h"

#include "chain/primitives/address.h"
#include "chain/script/descriptor.h"
#include "chain/util/hex.h"
#include "chain/mempool/policy.h"
#include "chain/primitives/serialize.h"
#include "node/mempool_glue.h"
#include "chain/util/fixedpoint.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Names of opcodes 0x61 (OP_NOP) to 0xba (OP_CHECKSIGADD), as Core's
 * GetOpName. */
static const char *const op_names[] = {
    "OP_NOP", "OP_VER", "OP_IF", "OP_NOTIF", "OP_VERIF", "OP_VERNOTIF", "OP_ELSE", "OP_ENDIF",
    "OP_VERIFY", "OP_RETURN", "OP_TOALTSTACK", "OP_FROMALTSTACK", "OP_2DROP", "OP_2DUP",
    "OP_3DUP", "OP_2OVER", "OP_2ROT", "OP_2SWAP", "OP_IFDUP", "OP_DEPTH", "OP_DROP", "OP_DUP",
    "OP_NIP", "OP_OVER", "OP_PICK", "OP_ROLL", "OP_ROT", "OP_SWAP", "OP_TUCK", "OP_CAT",
    "OP_SUBSTR", "OP_LEFT", "OP_RIGHT", "OP_SIZE", "OP_INVERT", "OP_AND", "OP_OR", "OP_XOR",
    "OP_EQUAL", "OP_EQUALVERIFY", "OP_RESERVED1", "OP_RESERVED2", "OP_1ADD", "OP_1SUB",
    "OP_2MUL", "OP_2DIV", "OP_NEGATE", "OP_ABS", "OP_NOT", "OP_0NOTEQUAL", "OP_ADD", "OP_SUB",
    "OP_MUL", "OP_DIV", "OP_MOD", "OP_LSHIFT", "OP_RSHIFT", "OP_BOOLAND", "OP_BOOLOR",
    "OP_NUMEQUAL", "OP_NUMEQUALVERIFY", "OP_NUMNOTEQUAL", "OP_LESSTHAN", "OP_GREATERTHAN",
    "OP_LESSTHANOREQUAL", "OP_GREATERTHANOREQUAL", "OP_MIN", "OP_MAX", "OP_WITHIN",
    "OP_RIPEMD160", "OP_SHA1", "OP_SHA256", "OP_HASH160", "OP_HASH256", "OP_CODESEPARATOR",
    "OP_CHECKSIG", "OP_CHECKSIGVERIFY", "OP_CHECKMULTISIG", "OP_CHECKMULTISIGVERIFY", "OP_NOP1",
    "OP_CHECKLOCKTIMEVERIFY", "OP_CHECKSEQUENCEVERIFY", "OP_NOP4", "OP_NOP5", "OP_NOP6",
    "OP_NOP7", "OP_NOP8", "OP_NOP9", "OP_NOP10", "OP_CHECKSIGADD",
};

static void put_str(struct wbuf *w, const char *s)
{
    wbuf_bytes(w, s, strlen(s));
}

static void put_op_name(struct wbuf *w, uint8_t op)
{
    char num[8];
    if (op == 0x4f) {
        put_str(w, "-1");
    } else if (op == 0x50) {
        put_str(w, "OP_RESERVED");
    } else if (op >= 0x51 && op <= 0x60) {
        snprintf(num, sizeof(num), "%d", op - 0x50);
        put_str(w, num);
    } else if (op >= 0x61 && op <= 0xba) {
        put_str(w, op_names[op - 0x61]);
    } else {
        put_str(w, op == 0xff ? "OP_INVALIDOPCODE" : "OP_UNKNOWN");
    }
}

/* One script element at *pos: the opcode, and for pushes their data.
 * False at a push that runs past the end. */
static bool script_next(const uint8_t *s, size_t len, size_t *pos, uint8_t *op,
                        const uint8_t **data, size_t *n)
{
    struct cursor c;
    cursor_init(&c, s + *pos, len - *pos);
    cursor_u8(&c, op);
    uint64_t size = 0;
    if (*op < 0x4c) {
        size = *op;
    } else if (*op == 0x4c) {
        uint8_t v;
        cursor_u8(&c, &v);
        size = v;
    } else if (*op == 0x4d) {
        uint16_t v;
        cursor_u16(&c, &v);
        size = v;
    } else if (*op == 0x4e) {
        uint32_t v;
        cursor_u32(&c, &v);
        size = v;
    }
    *n = (size_t)size;
    if (c.err || !cursor_view(&c, data, *n))
        return false;
    *pos += c.pos;
    return true;
}

/* BIP66 strict DER (Core's IsValidSignatureEncoding) of a signature
 * followed by its hash type byte. */
static bool is_der_signature(const uint8_t *sig, size_t n)
{
    if (n < 9 || n > 73 || sig[0] != 0x30 || sig[1] != n - 3 || sig[2] != 0x02)
        return false;
    size_t lr = sig[3];
    if (5 + lr >= n)
        return false;
    size_t ls = sig[5 + lr];
    if (lr + ls + 7 != n || lr == 0 || (sig[4] & 0x80) ||
        (lr > 1 && sig[4] == 0 && !(sig[5] & 0x80)))
        return false;
    return sig[lr + 4] == 0x02 && ls != 0 && !(sig[lr + 6] & 0x80) &&
           !(ls > 1 && sig[lr + 6] == 0 && !(sig[lr + 7] & 0x80));
}

static const char *sighash_name(uint8_t t)
{
    switch (t) {
    case 0x01: return "ALL";
    case 0x02: return "NONE";
    case 0x03: return "SINGLE";
    case 0x81: return "ALL|ANYONECANPAY";
    case 0x82: return "NONE|ANYONECANPAY";
    case 0x83: return "SINGLE|ANYONECANPAY";
    default: return NULL;
    }
}

static void put_hex(struct wbuf *w, const uint8_t *d, size_t n)
{
    wbuf_reserve(w, n * 2 + 1);
    hex_encode(d, n, (char *)w->data + w->len);
    w->len += n * 2;
}

/* A push's data: small ones as CScriptNum, the rest as hex. */
static void put_push(struct wbuf *w, const uint8_t *d, size_t n, bool sighash_decode)
{
    if (n <= 4) {
        int64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v |= (int64_t)d[i] << (8 * i);
        if (n && (d[n - 1] & 0x80))
            v = -(v & ~((int64_t)0x80 << (8 * (n - 1))));
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, v);
        put_str(w, num);
        return;
    }
    const char *hashtype = NULL;
    if (sighash_decode && is_der_signature(d, n))
        hashtype = sighash_name(d[n - 1]);
    put_hex(w, d, hashtype ? n - 1 : n);
    if (hashtype) {
        put_str(w, "[");
        put_str(w, hashtype);
        put_str(w, "]");
    }
}

char *rpc_util_script_asm(const uint8_t *s, size_t len, bool sighash_decode)
{
    struct wbuf w;
    wbuf_init(&w);
    /* Core leaves unspendable scripts' pushes undecoded. */
    if (len > 10000 || (len > 0 && s[0] == 0x6a))
        sighash_decode = false;
    for (size_t pos = 0; pos < len;) {
        if (w.len)
            put_str(&w, " ");
        uint8_t op;
        const uint8_t *data;
        size_t n;
        if (!script_next(s, len, &pos, &op, &data, &n)) {
            put_str(&w, "[error]");
            break;
        }
        if (op <= 0x4e)
            put_push(&w, data, n, sighash_decode);
        else
            put_op_name(&w, op);
    }
    wbuf_u8(&w, 0);
    return (char *)wbuf_detach(&w, NULL);
}

int rpc_util_desc_checksum(const char *desc, size_t len, char out[9])
{
    return descriptor_checksum(desc, len, out);
}

/* multi(k,key,...) of a bare multisig script; false if it is not one. */
static bool put_multi(struct wbuf *w, const uint8_t *s, size_t len)
{
    if (len < 3 || s[0] < 0x51 || s[0] > 0x60)
        return false;
    char num[8];
    snprintf(num, sizeof(num), "%d", s[0] - 0x50);
    put_str(w, "multi(");
    put_str(w, num);
    size_t pos = 1;
    while (pos < len - 2) {
        uint8_t op;
        const uint8_t *data;
        size_t n;
        if (!script_next(s, len - 2, &pos, &op, &data, &n) || (n != 33 && n != 65))
            return false;
        put_str(w, ",");
        put_hex(w, data, n);
    }
    put_str(w, ")");
    return true;
}

/* Appends '#' and the checksum of what w holds, and a NUL. */
static char *finish_desc(struct wbuf *w)
{
    char sum[9];
    rpc_util_desc_checksum((const char *)w->data, w->len, sum);
    put_str(w, "#");
    put_str(w, sum);
    wbuf_u8(w, 0);
    return (char *)wbuf_detach(w, NULL);
}

char *rpc_util_infer_wsh_descriptor(const uint8_t *ws, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    put_str(&w, "wsh(");
    size_t mark = w.len;
    if (policy_script_type(ws, len) != POLICY_MULTISIG || !put_multi(&w, ws, len)) {
        w.len = mark;
        put_str(&w, "raw(");
        put_hex(&w, ws, len);
        put_str(&w, ")");
    }
    put_str(&w, ")");
    return finish_desc(&w);
}

/* The descriptor of a script of type t whose address (NULL: none) the
 * caller has already encoded, with its checksum. */
static char *describe(const uint8_t *s, size_t len, enum policy_script_type t, const char *addr)
{
    struct wbuf w;
    wbuf_init(&w);
    if (t == POLICY_PUBKEY) {
        put_str(&w, "pk(");
        put_hex(&w, s + 1, len - 2);
        put_str(&w, ")");
    } else if (t == POLICY_WITNESS_V1_TAPROOT) {
        put_str(&w, "rawtr(");
        put_hex(&w, s + 2, 32);
        put_str(&w, ")");
    } else if (t == POLICY_MULTISIG && put_multi(&w, s, len)) {
        /* written */
    } else if (t != POLICY_MULTISIG && addr) {
        put_str(&w, "addr(");
        put_str(&w, addr);
        put_str(&w, ")");
    } else {
        wbuf_reset(&w);
        put_str(&w, "raw(");
        put_hex(&w, s, len);
        put_str(&w, ")");
    }
    return finish_desc(&w);
}

/* Core shows no address for bare keys and bare multisig. */
static const char *script_address(const struct chain_params *p, const uint8_t *s, size_t len,
                                  enum policy_script_type t, char addr[ADDRESS_MAX_LEN])
{
    if (t == POLICY_PUBKEY || t == POLICY_MULTISIG)
        return NULL;
    return address_encode(p, s, len, addr) == 0 ? addr : NULL;
}

char *rpc_util_infer_descriptor(const struct chain_params *p, const uint8_t *s, size_t len)
{
    enum policy_script_type t = policy_script_type(s, len);
    char buf[ADDRESS_MAX_LEN];
    return describe(s, len, t, script_address(p, s, len, t, buf));
}

static void set_new_str(json_t *obj, const char *key, char *s)
{
    json_object_set_new(obj, key, json_string(s ? s : ""));
    free(s);
}

json_t *rpc_util_hex_json(const void *data, size_t len)
{
    /* Most are scripts and hashes: no allocation, and hex is valid UTF-8
     * so jansson need not check it. */
    char small[2 * 128 + 1];
    char *hex = len <= 128 ? small : xmalloc(len * 2 + 1);
    hex_encode(data, len, hex);
    json_t *v = json_stringn_nocheck(hex, len * 2);
    if (hex != small)
        free(hex);
    return v;
}

json_t *rpc_util_script_json(const struct chain_params *p, const uint8_t *s, size_t len)
{
    enum policy_script_type t = policy_script_type(s, len);
    char buf[ADDRESS_MAX_LEN];
    const char *addr = script_address(p, s, len, t, buf);
    json_t *o = json_object();
    set_new_str(o, "asm", rpc_util_script_asm(s, len, false));
    set_new_str(o, "desc", describe(s, len, t, addr));
    json_object_set_new(o, "hex", rpc_util_hex_json(s, len));
    if (addr)
        json_object_set_new(o, "address", json_string(addr));
    json_object_set_new(o, "type", json_string(policy_script_type_name(t)));
    return o;
}

static json_t *input_json(const struct tx *tx, const struct tx_in *in)
{
    json_t *o = json_object();
    if (tx_is_coinbase(tx)) {
        json_object_set_new(o, "coinbase", rpc_util_hex_json(in->script, in->script_len));
    } else {
        json_object_set_new(o, "txid", rpc_hash_json(&in->prevout.hash));
        json_object_set_new(o, "vout", json_integer(in->prevout.n));
        json_t *sig = json_object();
        set_new_str(sig, "asm", rpc_util_script_asm(in->script, in->script_len, true));
        json_object_set_new(sig, "hex", rpc_util_hex_json(in->script, in->script_len));
        json_object_set_new(o, "scriptSig", sig);
    }
    if (in->wit_count) {
        json_t *wit = json_array();
        for (size_t j = 0; j < in->wit_count; j++)
            json_array_append_new(wit, rpc_util_hex_json(in->wit[j].data, in->wit[j].len));
        json_object_set_new(o, "txinwitness", wit);
    }
    json_object_set_new(o, "sequence", json_integer(in->sequence));
    return o;
}

json_t *rpc_util_tx_json(const struct chain_params *p, const struct tx *tx, bool include_hex)
{
    json_t *o = json_object();
    json_object_set_new(o, "txid", rpc_hash_json(&tx->txid));
    json_object_set_new(o, "hash", rpc_hash_json(&tx->wtxid));
    json_object_set_new(o, "version", json_integer(tx->version));
    json_object_set_new(o, "size", json_integer((json_int_t)tx->size));
    json_object_set_new(o, "vsize", json_integer((json_int_t)tx_vsize(tx)));
    json_object_set_new(o, "weight", json_integer((json_int_t)tx_weight(tx)));
    json_object_set_new(o, "locktime", json_integer(tx->locktime));
    json_t *vin = json_array();
    for (size_t i = 0; i < tx->vin_count; i++)
        json_array_append_new(vin, input_json(tx, &tx->vin[i]));
    json_object_set_new(o, "vin", vin);
    json_t *vout = json_array();
    for (size_t i = 0; i < tx->vout_count; i++) {
        const struct tx_out *out = &tx->vout[i];
        json_t *v = json_object();
        json_object_set_new(v, "value", rpc_amount(out->value));
        json_object_set_new(v, "n", json_integer((json_int_t)i));
        json_object_set_new(v, "scriptPubKey", rpc_util_script_json(p, out->script, out->script_len));
        json_array_append_new(vout, v);
    }
    json_object_set_new(o, "vout", vout);
    if (include_hex)
        json_object_set_new(o, "hex", rpc_util_hex_json(tx->raw, tx->size));
    return o;
}

double rpc_util_difficulty(uint32_t bits)
{
    int shift = (bits >> 24) & 0xff;
    double diff = (double)0x0000ffff / (double)(bits & 0x00ffffff);
    for (; shift < 29; shift++)
        diff *= 256.0;
    for (; shift > 29; shift--)
        diff /= 256.0;
    return diff;
}

void rpc_util_bits_fields(json_t *o, uint32_t bits)
{
    char hex[9];
    snprintf(hex, sizeof(hex), "%08x", bits);
    json_object_set_new(o, "bits", json_string(hex));
    struct u256 target;
    pow_bits_to_target(bits, &target, NULL, NULL);
    json_object_set_new(o, "target", rpc_util_u256_hex(&target));
    json_object_set_new(o, "difficulty", json_real(rpc_util_difficulty(bits)));
}

json_t *rpc_util_u256_hex(const struct u256 *v)
{
    struct hash256 h;
    u256_to_hash(v, &h);
    return rpc_hash_json(&h);
}

/* One parse of the whole buffer, with or without the BIP144 form. */
static struct tx *parse_whole(const uint8_t *raw, size_t n, int flags)
{
    struct cursor c;
    cursor_init(&c, raw, n);
    const char *why;
    struct tx *tx = tx_parse(&c, flags, &why);
    if (tx && (c.err || cursor_left(&c) != 0)) {
        tx_free(tx);
        tx = NULL;
    }
    return tx;
}

struct tx *rpc_util_decode_tx(const char *hex, int witness)
{
    uint8_t *raw = NULL;
    ssize_t n = hex ? hex_decode_alloc(hex, &raw) : -1;
    struct tx *tx = NULL;
    if (n >= 0 && witness != 0)
        tx = parse_whole(raw, (size_t)n, TX_PARSE_WITNESS);
    if (n >= 0 && !tx && witness != 1)
        tx = parse_whole(raw, (size_t)n, 0);
    free(raw);
    return tx;
}

struct tx *rpc_util_tx_param(struct rpc_request *req, size_t i, int witness, const char *msg)
{
    struct tx *tx = rpc_util_decode_tx(json_string_value(rpc_param(req, i)), witness);
    if (!tx)
        rpc_fail(req, RPC_DESERIALIZATION_ERROR, "%s", msg);
    return tx;
}


/* The shortest decimal that reads back as d: what a JSON writer sends for
 * it, when the request's own text is not known. */
static void shortest_decimal(double d, char *buf, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* Core's AmountFromValue: ParseFixedPoint on the number's text, so more
 * than 8 decimals are rejected and nothing is rounded. */
bool rpc_util_amount(struct rpc_request *req, const json_t *v, int64_t *out)
{
    char buf[40];
    const char *text = buf;
    size_t len;
    if (json_is_string(v)) {
        text = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        len = (size_t)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        if (!rpc_number_text(req, v, &text, &len)) {
            shortest_decimal(json_real_value(v), buf, sizeof(buf));
            len = strlen(buf);
        }
    } else {
        rpc_fail(req, RPC_TYPE_ERROR, "Amount is not a number or string");
        return false;
    }
    int64_t sats;
    if (!fixedpoint_parse(text, len, 8, &sats)) {
        rpc_fail(req, RPC_TYPE_ERROR, "Invalid amount");
        return false;
    }
    if (sats < 0 || sats > TX_MAX_MONEY) {
        rpc_fail(req, RPC_TYPE_ERROR, "Amount out of range");
        return false;
    }
    *out = sats;
    return true;
}

bool rpc_util_amount_param(struct rpc_request *req, size_t i, int64_t def, int64_t *out)
{
    json_t *v = rpc_param(req, i);
    if (!v) {
        *out = def;
        return true;
    }
    return rpc_util_amount(req, v, out);
}

uint8_t *rpc_util_hex_value(struct rpc_request *req, const json_t *v, const char *name,
                            size_t *len)
{
    const char *hex = json_string_value(v);
    uint8_t *raw = NULL;
    ssize_t n = hex && *hex ? hex_decode_alloc(hex, &raw) : -1;
    if (n < 0) {
        free(raw);
        rpc_fail(req, RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%s')", name,
                 hex ? hex : "");
        return NULL;
    }
    *len = (size_t)n;
    return raw;
}

bool rpc_util_burns_over(const struct tx *tx, int64_t max_burn)
{
    for (size_t i = 0; i < tx->vout_count; i++) {
        const struct tx_out *o = &tx->vout[i];
        /* Core's IsUnspendable: OP_RETURN or over the script size limit. */
        bool unspendable = (o->script_len > 0 && o->script[0] == 0x6a) || o->script_len > 10000;
        if (unspendable && o->value > max_burn)
            return true;
    }
    return false;
}

size_t rpc_util_package_param(struct rpc_request *req, size_t i,
                              struct tx *txs[RPC_UTIL_MAX_PACKAGE])
{
    json_t *list = rpc_param(req, i);
    size_t n = json_array_size(list);
    if (n < 1 || n > RPC_UTIL_MAX_PACKAGE) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "Array must contain between 1 and %d transactions.",
                 RPC_UTIL_MAX_PACKAGE);
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        const char *hex = json_string_value(json_array_get(list, k));
        txs[k] = rpc_util_decode_tx(hex, -1);
        if (!txs[k]) {
            rpc_util_free_txs(txs, k);
            rpc_fail(req, RPC_DESERIALIZATION_ERROR,
                     "TX decode failed: %s Make sure the tx has at least one input.",
                     hex ? hex : "");
            return 0;
        }
    }
    return n;
}

void rpc_util_free_txs(struct tx **txs, size_t n)
{
    for (size_t k = 0; k < n; k++)
        tx_free(txs[k]);
}
