/* The method table and the JSON-RPC envelope (see node/rpc/rpc.h). */
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_internal.h"
#include "node/rpc/rpc_numtext.h"

#include "chain/primitives/serialize.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"
#include "chain/util/err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
    const struct rpc_method *m;
    void *ctx;
};

struct ctx_owner {
    void *ctx;
    void (*free)(void *);
};

struct rpc_table {
    struct entry *e; /* sorted by name */
    size_t n, cap;
    struct ctx_owner *owners;
    size_t n_owners;
    const char *active;
    int64_t active_since;
    struct rpc_numtext numtext; /* of the request being dispatched */
};

/* How to answer one request: its id (borrowed, NULL when absent) and
 * whether it asked for JSON-RPC 2.0. */
struct envelope {
    json_t *id;
    bool v2;
};

static void set_err(int *code, char **msg, int c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_err(int *code, char **msg, int c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *code = c;
    *msg = xvasprintf(fmt, ap);
    va_end(ap);
}

json_t *rpc_fail(struct rpc_request *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(req->err_msg);
    req->err_code = code;
    req->err_msg = xvasprintf(fmt, ap);
    va_end(ap);
    return NULL;
}

bool rpc_number_text(const struct rpc_request *req, const json_t *v, const char **text,
                     size_t *len)
{
    return rpc_numtext_find(&req->table->numtext, v, text, len);
}

json_t *rpc_param(const struct rpc_request *req, size_t i)
{
    json_t *v = json_array_get(req->params, i);
    return json_is_null(v) ? NULL : v;
}

static const char *arg_name(const struct rpc_request *req, size_t i)
{
    return i < RPC_MAX_ARGS && req->method->args[i].name ? req->method->args[i].name : "parameter";
}

bool rpc_param_hash(struct rpc_request *req, size_t i, struct hash256 *out)
{
    json_t *v = rpc_param(req, i);
    if (!json_is_string(v)) {
        rpc_fail(req, RPC_TYPE_ERROR, "%s must be a string", arg_name(req, i));
        return false;
    }
    return rpc_value_hash(req, v, arg_name(req, i), out);
}

bool rpc_value_hash(struct rpc_request *req, const json_t *v, const char *name,
                    struct hash256 *out)
{
    const char *hex = json_string_value(v);
    if (!hex) {
        rpc_fail(req, RPC_TYPE_ERROR, "JSON value of type %s is not of expected type string",
                 rpc_json_type_name(v));
        return false;
    }
    if (hash_from_hex(hex, out))
        return true;
    if (strlen(hex) != HASH_HEX_LEN)
        rpc_fail(req, RPC_INVALID_PARAMETER, "%s must be of length %d (not %zu, for '%s')",
                 name, HASH_HEX_LEN, strlen(hex), hex);
    else
        rpc_fail(req, RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%s')", name,
                 hex);
    return false;
}

bool rpc_param_int(struct rpc_request *req, size_t i, int64_t def, int64_t min, int64_t max,
                   int64_t *out)
{
    json_t *v = rpc_param(req, i);
    if (!v) {
        *out = def;
        return true;
    }
    /* UniValue keeps the number's text and refuses "1.0" as an integer. */
    if (!json_is_integer(v)) {
        rpc_fail(req, RPC_MISC_ERROR, "JSON integer out of range");
        return false;
    }
    int64_t n = (int64_t)json_integer_value(v);
    if (n < min || n > max) {
        rpc_fail(req, RPC_INVALID_PARAMETER, "%s out of range", arg_name(req, i));
        return false;
    }
    *out = n;
    return true;
}

json_t *rpc_hash_json(const struct hash256 *h)
{
    char hex[HASH_HEX_LEN + 1];
    hash_to_hex(h, hex);
    return json_string(hex);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct rpc_table *rpc_table_new(void)
{
    return xcalloc(1, sizeof(struct rpc_table));
}

void rpc_table_free(struct rpc_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_owners; i++)
        if (t->owners[i].free)
            t->owners[i].free(t->owners[i].ctx);
    free(t->owners);
    free(t->e);
    rpc_numtext_free(&t->numtext);
    free(t);
    rpc_amounts_release();
}

static int entry_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct entry *)elem)->m->name);
}

static const struct entry *find_entry(const struct rpc_table *t, const char *name)
{
    return bsearch(name, t->e, t->n, sizeof(*t->e), entry_cmp);
}

const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name)
{
    const struct entry *e = find_entry(t, name);
    return e ? e->m : NULL;
}

static int insert_entry(struct rpc_table *t, const struct rpc_method *m, void *ctx, char **err)
{
    size_t pos = 0;
    while (pos < t->n && strcmp(t->e[pos].m->name, m->name) < 0)
        pos++;
    if (pos < t->n && !strcmp(t->e[pos].m->name, m->name)) {
        return err_set(err, "RPC method %s registered twice", m->name);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct entry *e = xrealloc(t->e, cap * sizeof(*e));
        t->e = e;
        t->cap = cap;
    }
    memmove(t->e + pos + 1, t->e + pos, (t->n - pos) * sizeof(*t->e));
    t->e[pos] = (struct entry){ m, ctx };
    t->n++;
    return 0;
}

int rpc_table_add(struct rpc_table *t, const struct rpc_method *methods, size_t n, void *ctx,
                  void (*ctx_free)(void *), char **err)
{
    if (ctx_free) {
        struct ctx_owner *o = xrealloc(t->owners, (t->n_owners + 1) * sizeof(*o));
        t->owners = o;
        t->owners[t->n_owners++] = (struct ctx_owner){ ctx, ctx_free };
    }
    for (size_t i = 0; i < n; i++)
        if (insert_entry(t, &methods[i], ctx, err) < 0)
            return -1;
    return 0;
}

const char *rpc_table_active(const struct rpc_table *t, int64_t *since_us)
{
    if (since_us)
        *since_us = t->active_since;
    return t->active;
}

static size_t n_args(const struct rpc_method *m)
{
    size_t n = 0;
    while (n < RPC_MAX_ARGS && m->args[n].name)
        n++;
    return n;
}

/* Named parameters to positions, as Bitcoin Core's transformNamedArguments:
 * omitted ones in between become null. Returns a new reference. */
static json_t *positional(const struct rpc_method *m, json_t *params, int *code, char **msg)
{
    if (json_is_array(params))
        return json_incref(params);
    size_t na = n_args(m), top = 0;
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val) {
        size_t i = 0;
        while (i < na && strcmp(m->args[i].name, key))
            i++;
        if (i == na) {
            set_err(code, msg, RPC_INVALID_PARAMETER, "Unknown named parameter %s", key);
            return NULL;
        }
        if (i + 1 > top)
            top = i + 1;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < top; i++) {
        json_t *v = json_object_get(params, m->args[i].name);
        json_array_append(arr, v ? v : json_null());
    }
    return arr;
}

const char *rpc_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

static unsigned type_bit(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return RPC_ARG_OBJ;
    case JSON_ARRAY: return RPC_ARG_ARR;
    case JSON_STRING: return RPC_ARG_STR;
    case JSON_INTEGER:
    case JSON_REAL: return RPC_ARG_NUM;
    case JSON_TRUE:
    case JSON_FALSE: return RPC_ARG_BOOL;
    default: return 0;
    }
}

/* Type error messages use JSON's names (Bitcoin Core's uvTypeName), help
 * texts Bitcoin Core's help names. */
static const char *const json_names[] = { "string", "number", "bool", "array", "object" };
static const char *const help_names[] = { "string", "numeric", "boolean", "json array",
                                          "json object" };

static void types_text(unsigned types, const char *const names[5], char *out, size_t cap)
{
    size_t off = 0;
    out[0] = 0;
    if (types == RPC_ARG_ANY) {
        snprintf(out, cap, "any");
        return;
    }
    for (size_t i = 0; i < 5; i++)
        if (types & (1u << i))
            off += (size_t)snprintf(out + off, cap - off, "%s%s", off ? " or " : "", names[i]);
}

/* Arity as Bitcoin Core's IsValidNumArgs (the usage text is the error),
 * then each argument's type (-3, "Wrong type passed"). */
static int check_args(const struct rpc_table *t, const struct rpc_method *m, json_t *args,
                      int *code, char **msg)
{
    size_t na = n_args(m), required = 0, given = json_array_size(args);
    while (required < na && !m->args[required].optional)
        required++;
    if (given < required || given > na) {
        *code = RPC_MISC_ERROR;
        *msg = rpc_table_help(t, m->name);
        return -1;
    }
    json_t *bad = NULL;
    for (size_t i = 0; i < given; i++) {
        json_t *v = json_array_get(args, i);
        const struct rpc_arg *a = &m->args[i];
        if ((json_is_null(v) && a->optional) || (type_bit(v) & a->types))
            continue;
        char want[64], key[96], why[160];
        types_text(a->types, json_names, want, sizeof(want));
        snprintf(key, sizeof(key), "Position %zu (%s)", i + 1, a->name);
        snprintf(why, sizeof(why), "JSON value of type %s is not of expected type %s",
                 rpc_json_type_name(v), want);
        if (!bad)
            bad = json_object();
        json_object_set_new(bad, key, json_string(why));
    }
    if (!bad)
        return 0;
    char *text = json_dumps(bad, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(bad);
    set_err(code, msg, RPC_TYPE_ERROR, "Wrong type passed:\n%s", text ? text : "");
    free(text);
    return -1;
}

struct rpc_pending {
    rpc_poll_fn poll;
    void *arg;
    void (*arg_free)(void *);
    int64_t timeout_ms;
    json_t *id; /* a reference */
    bool v2, notify;
};

json_t *rpc_wait(struct rpc_request *req, rpc_poll_fn poll, void *arg, void (*arg_free)(void *),
                 int64_t timeout_ms)
{
    req->poll = poll;
    req->poll_arg = arg;
    req->poll_free = arg_free;
    req->timeout_ms = timeout_ms;
    return NULL;
}

int64_t rpc_pending_timeout_ms(const struct rpc_pending *p)
{
    return p->timeout_ms;
}

static json_t *error_obj(int code, const char *msg);

/* rpc_poll_fail's mark: a key no result of ours has. */
#define POLL_ERROR_KEY "\x01rpc_poll_error"

json_t *rpc_poll_fail(int code, const char *msg)
{
    return json_pack("{s:o}", POLL_ERROR_KEY, error_obj(code, msg));
}

/* A handler that waits: parked in *pending when the caller can park it,
 * else answered now, as at its deadline. */
static json_t *defer(struct rpc_request *req, struct rpc_pending **pending)
{
    if (!pending) {
        json_t *r = req->poll(req->poll_arg, true);
        if (req->poll_free)
            req->poll_free(req->poll_arg);
        json_t *e = r ? json_object_get(r, POLL_ERROR_KEY) : NULL;
        if (e) {
            rpc_fail(req, (int)json_integer_value(json_object_get(e, "code")), "%s",
                     json_string_value(json_object_get(e, "message")));
            json_decref(r);
            r = NULL;
        }
        return r;
    }
    struct rpc_pending *p = xcalloc(1, sizeof(*p));
    p->poll = req->poll;
    p->arg = req->poll_arg;
    p->arg_free = req->poll_free;
    p->timeout_ms = req->timeout_ms;
    *pending = p;
    return NULL;
}

static json_t *execute(struct rpc_table *t, const char *name, json_t *params, int *code,
                       char **msg, struct rpc_pending **pending)
{
    const struct entry *e = find_entry(t, name);
    if (!e) {
        set_err(code, msg, RPC_METHOD_NOT_FOUND, "Method not found");
        return NULL;
    }
    json_t *args = positional(e->m, params, code, msg);
    if (!args)
        return NULL;
    if (check_args(t, e->m, args, code, msg) < 0) {
        json_decref(args);
        return NULL;
    }
    struct rpc_request req = { .table = t, .ctx = e->ctx, .method = e->m, .params = args };
    t->active = e->m->name;
    t->active_since = now_us();
    json_t *r = e->m->handler(&req);
    if (!r && req.poll) {
        r = defer(&req, pending);
        if (!r && pending && *pending) {
            t->active = NULL;
            json_decref(args);
            free(req.err_msg);
            return NULL;
        }
    }
    t->active = NULL;
    json_decref(args);
    if (r) {
        free(req.err_msg);
        return r;
    }
    *code = req.err_msg ? req.err_code : RPC_MISC_ERROR;
    *msg = req.err_msg ? req.err_msg : xstrdup("internal error");
    return NULL;
}

static json_t *call(struct rpc_table *t, const char *method, json_t *params, int *code,
                    char **msg, struct rpc_pending **pending)
{
    json_t *empty = NULL;
    if (!params)
        params = empty = json_array();
    *msg = NULL;
    json_t *r = execute(t, method, params, code, msg, pending);
    json_decref(empty);
    return r;
}

json_t *rpc_table_call(struct rpc_table *t, const char *method, json_t *params, int *code,
                       char **msg)
{
    return call(t, method, params, code, msg, NULL);
}

static json_t *error_obj(int code, const char *msg)
{
    return json_pack("{s:i,s:s}", "code", code, "message", msg ? msg : "");
}

/* Takes ownership of result and error. */
static json_t *make_reply(const struct envelope *env, json_t *result, json_t *error)
{
    json_t *r = json_object();
    if (env->v2)
        json_object_set_new(r, "jsonrpc", json_string("2.0"));
    if (!env->v2 || !error)
        json_object_set_new(r, "result", result ? result : json_null());
    if (!env->v2 || error)
        json_object_set_new(r, "error", error ? error : json_null());
    json_object_set(r, "id", env->id ? env->id : json_null());
    return r;
}

/* Bitcoin Core's JSONRPCRequest::parse. Lenient with "jsonrpc" values other
 * than "2.0": old clients send "1.0" or "1.1" and expect legacy replies. */
static int parse_request(json_t *req, struct envelope *env, const char **method,
                         json_t **params, int *code, char **msg)
{
    *env = (struct envelope){ NULL, false };
    if (!json_is_object(req)) {
        set_err(code, msg, RPC_INVALID_REQUEST, "Invalid Request object");
        return -1;
    }
    env->id = json_object_get(req, "id");
    const char *ver = json_string_value(json_object_get(req, "jsonrpc"));
    env->v2 = ver && !strcmp(ver, "2.0");
    json_t *m = json_object_get(req, "method");
    if (!m || json_is_null(m)) {
        set_err(code, msg, RPC_INVALID_REQUEST, "Missing method");
        return -1;
    }
    if (!json_is_string(m)) {
        set_err(code, msg, RPC_INVALID_REQUEST, "Method must be a string");
        return -1;
    }
    *method = json_string_value(m);
    json_t *p = json_object_get(req, "params");
    if (p && !json_is_array(p) && !json_is_object(p) && !json_is_null(p)) {
        set_err(code, msg, RPC_INVALID_REQUEST, "Params must be an array or object");
        return -1;
    }
    *params = p;
    return 0;
}

static int http_status(int code)
{
    if (code == RPC_INVALID_REQUEST)
        return 400;
    if (code == RPC_METHOD_NOT_FOUND)
        return 404;
    return 500;
}

/* One request object. Legacy errors map to HTTP statuses; 2.0 errors from
 * execution are 200 (Bitcoin Core catches them), but a malformed request
 * is an HTTP error either way. *notify: a 2.0 request without id. */
static json_t *run_one(struct rpc_table *t, json_t *req, int *status, bool *notify,
                       struct rpc_pending **pending)
{
    struct envelope env;
    const char *method = NULL;
    json_t *params = NULL, *result = NULL;
    int code = 0;
    char *msg = NULL;
    if (parse_request(req, &env, &method, &params, &code, &msg) == 0) {
        struct looplag_mark mark;
        looplag_enter(looplag_default(), &mark, LOG_RPC, "rpc request");
        result = call(t, method, params, &code, &msg, pending);
        looplag_leave(&mark);
        *status = result || env.v2 ? 200 : http_status(code);
    } else {
        *status = http_status(code);
    }
    *notify = env.v2 && !env.id;
    if (pending && *pending) {
        (*pending)->id = env.id ? json_incref(env.id) : NULL;
        (*pending)->v2 = env.v2;
        (*pending)->notify = *notify;
        return NULL;
    }
    json_t *reply = result ? make_reply(&env, result, NULL)
                           : make_reply(&env, NULL, error_obj(code, msg));
    free(msg);
    return reply;
}

static json_t *run_batch(struct rpc_table *t, json_t *batch, int *status)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(batch, i, item) {
        int ignored;
        bool notify;
        json_t *r = run_one(t, item, &ignored, &notify, NULL);
        if (notify)
            json_decref(r);
        else
            json_array_append_new(out, r);
    }
    /* An all-notification batch gets no body; an empty one gets [] (as
     * Bitcoin Core, for old clients). */
    *status = json_array_size(out) == 0 && json_array_size(batch) > 0 ? 204 : 200;
    return out;
}

/* The reply as a body (malloc'd, ending with a newline), or NULL for a
 * 204. Releases the amounts it wrote. */
static char *write_reply(json_t *reply, bool no_body, size_t *out_len)
{
    char *out = NULL;
    *out_len = 0;
    if (!no_body) {
        struct wbuf w;
        wbuf_init(&w);
        rpc_json_write(&w, reply);
        wbuf_u8(&w, '\n');
        out = (char *)wbuf_detach(&w, out_len);
    }
    rpc_amounts_release();
    return out;
}

int rpc_pending_poll(struct rpc_pending *p, bool timed_out, int *status, char **body,
                     size_t *out_len)
{
    json_t *r = p->poll(p->arg, timed_out);
    if (!r && !timed_out)
        return 0;
    struct envelope env = { p->id, p->v2 };
    json_t *error = r ? json_object_get(r, POLL_ERROR_KEY) : NULL;
    if (error) {
        json_incref(error);
        json_decref(r);
        r = NULL;
    }
    json_t *reply = r ? make_reply(&env, r, NULL)
                      : make_reply(&env, NULL, error ? error
                                                     : error_obj(RPC_INTERNAL_ERROR,
                                                                 "internal error"));
    *status = p->notify ? 204 : r || p->v2 ? 200 : 500;
    *body = write_reply(reply, p->notify, out_len);
    json_decref(reply);
    if (p->arg_free)
        p->arg_free(p->arg);
    json_decref(p->id);
    free(p);
    return 1;
}

char *rpc_table_dispatch(struct rpc_table *t, const char *body, size_t len, int *status,
                         size_t *out_len)
{
    return rpc_table_dispatch_wait(t, body, len, status, out_len, NULL);
}

char *rpc_table_dispatch_wait(struct rpc_table *t, const char *body, size_t len, int *status,
                              size_t *out_len, struct rpc_pending **pending)
{
    static const struct envelope legacy = { NULL, false };
    json_error_t jerr;
    json_t *req = json_loadb(body, len, JSON_DECODE_ANY, &jerr), *reply;
    bool notify = false;
    if (req)
        rpc_numtext_set(&t->numtext, body, len, req);
    if (pending)
        *pending = NULL;
    if (!req) {
        *status = 500;
        reply = make_reply(&legacy, NULL, error_obj(RPC_PARSE_ERROR, "Parse error"));
    } else if (json_is_object(req)) {
        reply = run_one(t, req, status, &notify, pending);
        if (pending && *pending) {
            rpc_numtext_clear(&t->numtext);
            json_decref(req);
            *status = 0;
            *out_len = 0;
            return NULL;
        }
    } else if (json_is_array(req)) {
        reply = run_batch(t, req, status);
    } else {
        *status = 500;
        reply = make_reply(&legacy, NULL,
                           error_obj(RPC_PARSE_ERROR, "Top-level object parse error"));
    }
    rpc_numtext_clear(&t->numtext);
    if (notify)
        *status = 204;
    char *out = write_reply(reply, *status == 204, out_len);
    json_decref(reply);
    json_decref(req);
    return out;
}

/* ---- help ---- */

static void usage_arg(struct wbuf *w, const struct rpc_arg *a)
{
    char buf[128];
    if (a->types == RPC_ARG_STR)
        snprintf(buf, sizeof(buf), " \"%s\"", a->name);
    else if (a->types == RPC_ARG_ARR)
        snprintf(buf, sizeof(buf), " [\"%s\",...]", a->name);
    else if (a->types == RPC_ARG_OBJ)
        snprintf(buf, sizeof(buf), " {%s}", a->name);
    else
        snprintf(buf, sizeof(buf), " %s", a->name);
    wbuf_bytes(w, buf, strlen(buf));
}

/* "getblock "blockhash" ( verbosity )", as Bitcoin Core's usage lines. */
static void usage_line(struct wbuf *w, const struct rpc_method *m)
{
    size_t na = n_args(m);
    bool open = false;
    wbuf_bytes(w, m->name, strlen(m->name));
    for (size_t i = 0; i < na; i++) {
        if (m->args[i].optional && !open) {
            wbuf_bytes(w, " (", 2);
            open = true;
        }
        usage_arg(w, &m->args[i]);
    }
    if (open)
        wbuf_bytes(w, " )", 2);
}

static void method_help(struct wbuf *w, const struct rpc_method *m)
{
    char buf[512], types[64], opt[96];
    usage_line(w, m);
    snprintf(buf, sizeof(buf), "\n\n%s\n", m->help ? m->help : "");
    wbuf_bytes(w, buf, strlen(buf));
    size_t na = n_args(m);
    if (na)
        wbuf_bytes(w, "\nArguments:\n", 12);
    for (size_t i = 0; i < na; i++) {
        const struct rpc_arg *a = &m->args[i];
        types_text(a->types, help_names, types, sizeof(types));
        if (a->optional && a->default_text)
            snprintf(opt, sizeof(opt), "optional, default=%s", a->default_text);
        else
            snprintf(opt, sizeof(opt), "%s", a->optional ? "optional" : "required");
        snprintf(buf, sizeof(buf), "%zu. %-20s (%s, %s) %s\n", i + 1, a->name, types, opt,
                 a->help ? a->help : "");
        wbuf_bytes(w, buf, strlen(buf));
    }
}

static int by_category(const void *a, const void *b)
{
    const struct rpc_method *x = *(const struct rpc_method *const *)a;
    const struct rpc_method *y = *(const struct rpc_method *const *)b;
    int c = strcmp(x->category, y->category);
    return c ? c : strcmp(x->name, y->name);
}

static void list_help(struct wbuf *w, const struct rpc_table *t)
{
    const struct rpc_method **ms = xmalloc((t->n ? t->n : 1) * sizeof(*ms));
    for (size_t i = 0; i < t->n; i++)
        ms[i] = t->e[i].m;
    qsort(ms, t->n, sizeof(*ms), by_category);
    const char *cat = NULL;
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(ms[i]->category, "hidden"))
            continue;
        if (!cat || strcmp(cat, ms[i]->category)) {
            char head[64];
            cat = ms[i]->category;
            snprintf(head, sizeof(head), "%s== %c%s ==\n", w->len ? "\n" : "",
                     toupper((unsigned char)cat[0]), cat + 1);
            wbuf_bytes(w, head, strlen(head));
        }
        usage_line(w, ms[i]);
        wbuf_u8(w, '\n');
    }
    free(ms);
}

char *rpc_table_help(const struct rpc_table *t, const char *method)
{
    struct wbuf w;
    wbuf_init(&w);
    if (!method) {
        list_help(&w, t);
    } else {
        const struct entry *e = find_entry(t, method);
        if (e) {
            method_help(&w, e->m);
        } else {
            const char *p = "help: unknown command: ";
            wbuf_bytes(&w, p, strlen(p));
            wbuf_bytes(&w, method, strlen(method));
        }
    }
    /* No trailing newline, as Bitcoin Core's help strings. */
    while (w.len && w.data[w.len - 1] == '\n')
        w.len--;
    wbuf_u8(&w, 0);
    return (char *)wbuf_detach(&w, NULL);
}
