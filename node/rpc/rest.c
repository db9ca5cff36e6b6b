/* REST as Bitcoin Core's src/rest.cpp: each endpoint is a thin layer over
 * the RPC method that holds the same data (getrawtransaction, getblock,
 * getblockheader, getblockhash, getblockchaininfo, getmempoolinfo,
 * getrawmempool, gettxout), turned into Core's binary, hex or JSON form. */
#include "node/rpc/rest.h"

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"
#include "node/rpc/rpc.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS_RESULTS 2000  /* Core's limit for /rest/headers */
#define DEFAULT_HEADERS_COUNT 5
#define MAX_GETUTXOS_OUTPOINTS 15
#define MEMPOOL_HEIGHT 0x7fffffff /* height of a coin created in the mempool */

enum rest_format { FMT_UNDEF, FMT_BIN, FMT_HEX, FMT_JSON };
#define FORMATS_ALL ".bin, .hex, .json"

struct rest_req {
    struct rpc_table *table;
    struct evhttp_request *req;
    char *param;            /* the path after the endpoint, without suffix and query */
    struct evkeyvalq query; /* ?name=value pairs */
    enum rest_format fmt;
};

static void reply(struct evhttp_request *req, int status, const char *type, const void *data,
                  size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(b, data, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    const char *why = status == 200 ? "OK" : status == 400 ? "Bad Request"
                    : status == 404 ? "Not Found" : status == 503 ? "Service Unavailable"
                    : "Internal Server Error";
    evhttp_send_reply(req, status, why, b);
    evbuffer_free(b);
}

/* Core's RESTERR: plain text, the message and CRLF. */
static void __attribute__((format(printf, 3, 4)))
rest_err(struct rest_req *r, int status, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg) - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(msg) - 3)
        n = (int)sizeof(msg) - 3;
    memcpy(msg + n, "\r\n", 3);
    reply(r->req, status, "text/plain", msg, (size_t)n + 2);
}

static void bad_format(struct rest_req *r, const char *available)
{
    rest_err(r, 404, "output format not found (available: %s)", available);
}

static void reply_json(struct rest_req *r, const json_t *v)
{
    size_t len;
    char *s = rpc_json_dumps(v, &len);
    s = xrealloc(s, len + 2);
    s[len] = '\n';
    reply(r->req, 200, "application/json", s, len + 1);
    free(s);
}

/* Bytes as .bin, or as .hex with a newline. */
static void reply_bytes(struct rest_req *r, const uint8_t *data, size_t len)
{
    if (r->fmt == FMT_BIN) {
        reply(r->req, 200, "application/octet-stream", data, len);
        return;
    }
    char *hex = xmalloc(len * 2 + 2);
    hex_encode(data, len, hex);
    hex[len * 2] = '\n';
    reply(r->req, 200, "text/plain", hex, len * 2 + 1);
    free(hex);
}

/* Calls an RPC method with params (a new reference, consumed). NULL when it
 * failed; *msg (malloc'd, may be NULL) says why. */
static json_t *call(struct rest_req *r, const char *method, json_t *params, char **msg)
{
    int code = 0;
    char *m = NULL;
    json_t *v = rpc_table_call(r->table, method, params, &code, &m);
    json_decref(params);
    if (msg)
        *msg = m;
    else
        free(m);
    return v;
}

/* A hex string result of an RPC call as bytes (malloc'd); NULL on failure
 * (*msg as call's). */
static uint8_t *call_hex(struct rest_req *r, const char *method, json_t *params, size_t *len,
                         char **msg)
{
    json_t *v = call(r, method, params, msg);
    uint8_t *out = NULL;
    ssize_t n = json_is_string(v) ? hex_decode_alloc(json_string_value(v), &out) : -1;
    json_decref(v);
    if (n < 0) {
        free(out);
        return NULL;
    }
    *len = (size_t)n;
    return out;
}

/* Core's ParseHashStr: exactly 64 hex digits. */
static bool is_hash(const char *s)
{
    struct hash256 h;
    return hash_from_hex(s, &h);
}

/* The serialization of the object named by r->param: method(param, 0)
 * returns it as hex. */
/* 404 for r->param, as Core: "not available (pruned data)" when the
 * method said the block was pruned. Frees msg. */
static void not_found(struct rest_req *r, char *msg)
{
    bool pruned = msg && strstr(msg, "(pruned data)");
    free(msg);
    if (pruned)
        return rest_err(r, 404, "%s not available (pruned data)", r->param);
    rest_err(r, 404, "%s not found", r->param);
}

static void send_raw(struct rest_req *r, const char *method)
{
    size_t len;
    char *msg = NULL;
    uint8_t *raw = call_hex(r, method, json_pack("[si]", r->param, 0), &len, &msg);
    if (!raw)
        return not_found(r, msg);
    free(msg);
    reply_bytes(r, raw, len);
    free(raw);
}

static void rest_tx(struct rest_req *r)
{
    if (!is_hash(r->param))
        return rest_err(r, 400, "Invalid hash: %s", r->param);
    if (r->fmt == FMT_JSON) {
        json_t *v = call(r, "getrawtransaction", json_pack("[si]", r->param, 1), NULL);
        if (!v)
            return rest_err(r, 404, "%s not found", r->param);
        /* Core's REST gives TxToUniv with the block hash only. */
        json_object_del(v, "confirmations");
        json_object_del(v, "time");
        json_object_del(v, "blocktime");
        json_object_del(v, "in_active_chain");
        reply_json(r, v);
        json_decref(v);
        return;
    }
    if (r->fmt == FMT_UNDEF)
        return bad_format(r, FORMATS_ALL);
    send_raw(r, "getrawtransaction");
}

static void rest_block(struct rest_req *r, int verbosity)
{
    if (!is_hash(r->param))
        return rest_err(r, 400, "Invalid hash: %s", r->param);
    if (r->fmt == FMT_UNDEF)
        return bad_format(r, FORMATS_ALL);
    if (r->fmt == FMT_JSON) {
        char *msg = NULL;
        json_t *v = call(r, "getblock", json_pack("[si]", r->param, verbosity), &msg);
        if (!v)
            return not_found(r, msg);
        free(msg);
        reply_json(r, v);
        json_decref(v);
        return;
    }
    send_raw(r, "getblock");
}

static void rest_block_full(struct rest_req *r)
{
    rest_block(r, 2);
}

static void rest_block_notxdetails(struct rest_req *r)
{
    rest_block(r, 1);
}

/* The headers from hash along the active chain, up to count, as Core: an
 * unknown or inactive hash gives an empty list. JSON follows the verbose
 * form's nextblockhash; .bin and .hex walk the heights with the raw form,
 * which reads no block from storage (the verbose form reads one for nTx). */
static void send_headers(struct rest_req *r, const char *hash, long count)
{
    json_t *h = call(r, "getblockheader", json_pack("[sb]", hash, 1), NULL);
    if (h && json_integer_value(json_object_get(h, "confirmations")) < 0) {
        json_decref(h);
        h = NULL;
    }
    if (r->fmt == FMT_JSON) {
        json_t *list = json_array();
        for (long i = 1; h; i++) {
            const char *next = json_string_value(json_object_get(h, "nextblockhash"));
            json_t *nh = i < count && next ? call(r, "getblockheader",
                                                  json_pack("[sb]", next, 1), NULL) : NULL;
            json_array_append_new(list, h);
            h = nh;
        }
        reply_json(r, list);
        json_decref(list);
        return;
    }
    struct wbuf raw;
    wbuf_init(&raw);
    json_int_t height = json_integer_value(json_object_get(h, "height"));
    json_t *cur = h ? json_incref(json_object_get(h, "hash")) : NULL;
    for (long i = 1; cur; i++) {
        size_t len;
        uint8_t *bytes = call_hex(r, "getblockheader", json_pack("[Ob]", cur, 0), &len, NULL);
        json_decref(cur);
        if (bytes)
            wbuf_bytes(&raw, bytes, len);
        free(bytes);
        cur = bytes && i < count ? call(r, "getblockhash", json_pack("[I]", height + i), NULL)
                                 : NULL;
    }
    json_decref(h);
    reply_bytes(r, raw.data ? raw.data : (const uint8_t *)"", raw.len);
    wbuf_free(&raw);
}

/* /rest/headers/<hash>.<ext>?count=<n>, and the older
 * /rest/headers/<count>/<hash>.<ext>. */
static void rest_headers(struct rest_req *r)
{
    const char *hash = r->param, *count_text = evhttp_find_header(&r->query, "count");
    char *slash = strchr(r->param, '/');
    if (slash) {
        *slash = '\0';
        count_text = r->param;
        hash = slash + 1;
    }
    long count = DEFAULT_HEADERS_COUNT;
    if (count_text) {
        char *end;
        count = strtol(count_text, &end, 10);
        if (*end || end == count_text || count < 1 || count > MAX_HEADERS_RESULTS)
            return rest_err(r, 400,
                            "Header count is invalid or out of acceptable range (1-%d): %s",
                            MAX_HEADERS_RESULTS, count_text);
    }
    if (!is_hash(hash))
        return rest_err(r, 400, "Invalid hash: %s", hash);
    if (r->fmt == FMT_UNDEF)
        return bad_format(r, FORMATS_ALL);
    send_headers(r, hash, count);
}

static void rest_blockhashbyheight(struct rest_req *r)
{
    char *end;
    long long h = strtoll(r->param, &end, 10);
    if (!r->param[0] || *end || h < 0 || h > INT32_MAX)
        return rest_err(r, 400, "Invalid height: %s", r->param);
    if (r->fmt == FMT_UNDEF)
        return bad_format(r, FORMATS_ALL);
    json_t *v = call(r, "getblockhash", json_pack("[I]", (json_int_t)h), NULL);
    if (!v)
        return rest_err(r, 404, "Block height out of range");
    if (r->fmt == FMT_JSON) {
        json_t *o = json_pack("{sO}", "blockhash", v);
        reply_json(r, o);
        json_decref(o);
    } else if (r->fmt == FMT_HEX) {
        char text[67];
        int n = snprintf(text, sizeof(text), "%s\n", json_string_value(v));
        reply(r->req, 200, "text/plain", text, (size_t)n);
    } else {
        struct hash256 hash = { { 0 } };
        hash_from_hex(json_string_value(v), &hash);
        reply_bytes(r, hash.b, sizeof(hash.b));
    }
    json_decref(v);
}

/* Endpoints whose only form is JSON: one RPC call without arguments. */
static void json_only(struct rest_req *r, const char *method, json_t *params)
{
    if (r->fmt != FMT_JSON) {
        json_decref(params);
        return bad_format(r, "json");
    }
    char *msg = NULL;
    json_t *v = call(r, method, params, &msg);
    if (!v) {
        rest_err(r, 400, "%s", msg ? msg : "error");
        free(msg);
        return;
    }
    reply_json(r, v);
    json_decref(v);
}

static void rest_chaininfo(struct rest_req *r)
{
    json_only(r, "getblockchaininfo", json_array());
}

static void rest_mempool_info(struct rest_req *r)
{
    json_only(r, "getmempoolinfo", json_array());
}

static void rest_mempool_contents(struct rest_req *r)
{
    const char *verbose = evhttp_find_header(&r->query, "verbose");
    const char *seq = evhttp_find_header(&r->query, "mempool_sequence");
    if (verbose && strcmp(verbose, "true") && strcmp(verbose, "false"))
        return rest_err(r, 400, "The \"verbose\" query parameter must be either \"true\" or "
                                "\"false\".");
    if (seq && strcmp(seq, "true") && strcmp(seq, "false"))
        return rest_err(r, 400, "The \"mempool_sequence\" query parameter must be either "
                                "\"true\" or \"false\".");
    bool v = !verbose || !strcmp(verbose, "true"), s = seq && !strcmp(seq, "true");
    if (v && s)
        return rest_err(r, 400, "Verbose results cannot contain mempool sequence values. "
                                "(hint: set \"verbose=false\")");
    json_only(r, "getrawmempool", json_pack("[bb]", v, s));
}

/* /rest/getutxos: outpoints from the path (checkmempool/<txid>-<n>/...)
 * or, for .bin and .hex, from the body (bool, then a vector of outpoints). */
struct utxo_query {
    bool mempool;
    size_t n; /* outpoints given (may exceed what is kept) */
    struct {
        char txid[65];
        uint32_t vout;
    } op[MAX_GETUTXOS_OUTPOINTS];
};

static bool query_add(struct utxo_query *q, const char *txid, uint32_t vout)
{
    if (q->n < MAX_GETUTXOS_OUTPOINTS) {
        snprintf(q->op[q->n].txid, sizeof(q->op[q->n].txid), "%s", txid);
        q->op[q->n].vout = vout;
    }
    q->n++;
    return true;
}

static bool parse_uri_outpoints(char *param, struct utxo_query *q)
{
    char *save = NULL;
    bool first = true;
    for (char *part = strtok_r(param, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        bool leading = first;
        first = false;
        if (leading && !strcmp(part, "checkmempool")) {
            q->mempool = true;
            continue;
        }
        char *dash = strchr(part, '-'), *end;
        if (!dash)
            return false;
        *dash = '\0';
        unsigned long vout = strtoul(dash + 1, &end, 10);
        if (!is_hash(part) || !dash[1] || *end || vout > INT32_MAX)
            return false;
        query_add(q, part, (uint32_t)vout);
    }
    return true;
}

static bool parse_body_outpoints(const uint8_t *data, size_t len, struct utxo_query *q)
{
    struct cursor c;
    uint64_t n;
    cursor_init(&c, data, len);
    if (!cursor_bool(&c, &q->mempool) || !cursor_compact(&c, &n, SER_MAX_SIZE))
        return false;
    if (n > MAX_GETUTXOS_OUTPOINTS) { /* refused on the count alone */
        q->n = (size_t)n;
        return true;
    }
    for (uint64_t i = 0; i < n; i++) {
        struct hash256 hash;
        uint32_t vout;
        char hex[HASH_HEX_LEN + 1];
        if (!cursor_bytes(&c, hash.b, 32) || !cursor_u32(&c, &vout))
            return false;
        hash_to_hex(&hash, hex);
        query_add(q, hex, vout);
    }
    return true;
}

/* The flag, the count and at most MAX_GETUTXOS_OUTPOINTS outpoints. */
#define GETUTXOS_BODY_CAP (1 + 9 + MAX_GETUTXOS_OUTPOINTS * 36)

/* The request's body as bytes: raw for .bin, decoded for .hex. Only what
 * a request within the limit can use is read (Core ignores bytes after the
 * outpoints too), so a large body costs no copy. */
static int read_body(struct rest_req *r, uint8_t **out, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t n = evbuffer_get_length(in), cap = GETUTXOS_BODY_CAP * (r->fmt == FMT_BIN ? 1 : 2);
    *out = NULL;
    *len = 0;
    if (!n)
        return 0;
    if (n > cap)
        n = cap;
    const char *body = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    if (r->fmt == FMT_BIN) {
        *out = xmalloc(n);
        memcpy(*out, body, n);
        *len = n;
        return 0;
    }
    char *text = xmalloc(n + 1);
    memcpy(text, body, n);
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    ssize_t got = hex_decode_alloc(text, out);
    free(text);
    if (got < 0)
        return -1;
    *len = (size_t)got;
    return 0;
}

static int64_t sats_of(const json_t *amount)
{
    return (int64_t)llround(json_number_value(amount) * 1e8);
}

/* The answer: Core's chainHeight, chaintipHash, bitmap and coins. */
static void send_utxos(struct rest_req *r, const struct utxo_query *q)
{
    json_t *best = call(r, "getbestblockhash", json_array(), NULL);
    json_t *height = call(r, "getblockcount", json_array(), NULL);
    json_t *coins = json_array(), *out = NULL;
    struct wbuf bin;
    wbuf_init(&bin);
    char bits[MAX_GETUTXOS_OUTPOINTS + 1] = "";
    uint8_t bitmap[(MAX_GETUTXOS_OUTPOINTS + 7) / 8] = { 0 };
    for (size_t i = 0; i < q->n; i++) {
        json_t *c = call(r, "gettxout", json_pack("[sIb]", q->op[i].txid,
                                                   (json_int_t)q->op[i].vout, q->mempool), NULL);
        bool hit = c && json_is_object(c);
        bits[i] = hit ? '1' : '0';
        bitmap[i / 8] |= (uint8_t)(hit << (i % 8));
        if (hit) {
            json_int_t conf = json_integer_value(json_object_get(c, "confirmations"));
            json_int_t h = conf ? json_integer_value(height) - conf + 1 : MEMPOOL_HEIGHT;
            json_array_append_new(coins, json_pack("{sIsOsO}", "height", h, "value",
                                                   json_object_get(c, "value"), "scriptPubKey",
                                                   json_object_get(c, "scriptPubKey")));
        }
        json_decref(c);
    }
    if (r->fmt == FMT_JSON) {
        out = json_pack("{sOsOsssO}", "chainHeight", height, "chaintipHash", best, "bitmap",
                        bits, "utxos", coins);
        reply_json(r, out);
    } else {
        struct hash256 tip = { { 0 } };
        hash_from_hex(json_string_value(best), &tip);
        wbuf_i32(&bin, (int32_t)json_integer_value(height));
        wbuf_bytes(&bin, tip.b, sizeof(tip.b));
        wbuf_varbytes(&bin, bitmap, (q->n + 7) / 8);
        wbuf_compact(&bin, json_array_size(coins));
        size_t i;
        json_t *c;
        json_array_foreach(coins, i, c) {
            uint8_t *script = NULL;
            const char *hex = json_string_value(json_object_get(json_object_get(c, "scriptPubKey"), "hex"));
            ssize_t slen = hex ? hex_decode_alloc(hex, &script) : 0;
            wbuf_u32(&bin, 0); /* Core's nTxVerDummy */
            wbuf_u32(&bin, (uint32_t)json_integer_value(json_object_get(c, "height")));
            wbuf_i64(&bin, sats_of(json_object_get(c, "value")));
            wbuf_varbytes(&bin, script, slen > 0 ? (size_t)slen : 0);
            free(script);
        }
        reply_bytes(r, bin.data, bin.len);
    }
    wbuf_free(&bin);
    json_decref(out);
    json_decref(coins);
    json_decref(best);
    json_decref(height);
}

static void rest_getutxos(struct rest_req *r)
{
    struct utxo_query q = { 0 };
    if (r->fmt == FMT_UNDEF)
        return bad_format(r, FORMATS_ALL);
    if (r->param[0] == '/' && r->param[1] && !parse_uri_outpoints(r->param + 1, &q))
        return rest_err(r, 400, "Parse error");
    bool from_uri = q.n > 0;
    uint8_t *body;
    size_t blen;
    if (r->fmt != FMT_JSON && read_body(r, &body, &blen) < 0)
        return rest_err(r, 400, "Parse error");
    if (r->fmt != FMT_JSON && blen) {
        bool ok = !from_uri && parse_body_outpoints(body, blen, &q);
        free(body);
        if (from_uri)
            return rest_err(r, 400, "Combination of URI scheme inputs and raw post data is not "
                                    "allowed");
        if (!ok)
            return rest_err(r, 400, "Parse error");
    } else if (r->fmt != FMT_JSON) {
        free(body);
    }
    if (!q.n)
        return rest_err(r, 400, "Error: empty request");
    if (q.n > MAX_GETUTXOS_OUTPOINTS)
        return rest_err(r, 400, "Error: max outpoints exceeded (max: %d, tried: %zu)",
                        MAX_GETUTXOS_OUTPOINTS, q.n);
    send_utxos(r, &q);
}

static const struct {
    const char *prefix;
    void (*handler)(struct rest_req *r);
} endpoints[] = {
    { "tx/", rest_tx },
    { "block/notxdetails/", rest_block_notxdetails },
    { "block/", rest_block_full },
    { "chaininfo", rest_chaininfo },
    { "mempool/info", rest_mempool_info },
    { "mempool/contents", rest_mempool_contents },
    { "headers/", rest_headers },
    { "getutxos", rest_getutxos },
    { "blockhashbyheight/", rest_blockhashbyheight },
};

/* Core's ParseDataFormat: the query goes, then the last '.' splits the
 * parameter from a known suffix; an unknown suffix stays in the parameter. */
static enum rest_format parse_format(const char *part, char **out)
{
    size_t n = strcspn(part, "?");
    char *param = *out = xmalloc(n + 1);
    memcpy(param, part, n);
    param[n] = '\0';
    char *dot = strrchr(param, '.');
    if (!dot)
        return FMT_UNDEF;
    static const char *const names[] = { "bin", "hex", "json" };
    for (int i = 0; i < 3; i++)
        if (!strcmp(dot + 1, names[i])) {
            *dot = '\0';
            return (enum rest_format)(FMT_BIN + i);
        }
    return FMT_UNDEF;
}

void rest_handle(struct rpc_table *table, struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req) + strlen(REST_PREFIX);
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        size_t plen = strlen(endpoints[i].prefix);
        if (strncmp(uri, endpoints[i].prefix, plen))
            continue;
        struct rest_req r = { .table = table, .req = req };
        TAILQ_INIT(&r.query);
        const char *q = strchr(uri, '?');
        if (q && evhttp_parse_query_str(q + 1, &r.query) < 0) {
            rest_err(&r, 400, "Invalid query string");
            return;
        }
        r.fmt = parse_format(uri + plen, &r.param);
        endpoints[i].handler(&r);
        evhttp_clear_headers(&r.query);
        free(r.param);
        return;
    }
    evhttp_send_reply(req, 404, "Not Found", NULL);
}
