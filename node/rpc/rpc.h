/* JSON-RPC method registry and dispatch, Bitcoin Core compatible.
 *
 * No I/O here: the HTTP server (node/rpc/rpc_server.h) hands a request body to
 * rpc_table_dispatch and sends back what it returns. Areas register their
 * methods as static tables (see struct rpc_method); handlers see positional
 * parameters only (named ones are reordered before the call) whose types
 * have already been checked against the table.
 *
 * Envelope (as Bitcoin Core's src/httprpc.cpp and src/rpc/request.cpp):
 * legacy requests (no "jsonrpc" or "1.0") get {"result","error","id"};
 * "jsonrpc":"2.0" requests get {"jsonrpc":"2.0", result or error, "id"}; a
 * 2.0 request without id is a notification (HTTP 204, no body). */
#ifndef HEARSAY_NODE_RPC_H
#define HEARSAY_NODE_RPC_H

#include "chain/primitives/hash.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes (Bitcoin Core's src/rpc/protocol.h). */
enum rpc_error_code {
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_PARSE_ERROR = -32700,
    RPC_MISC_ERROR = -1,
    RPC_TYPE_ERROR = -3,
    RPC_INVALID_ADDRESS_OR_KEY = -5,
    RPC_OUT_OF_MEMORY = -7,
    RPC_INVALID_PARAMETER = -8,
    RPC_DATABASE_ERROR = -20,
    RPC_DESERIALIZATION_ERROR = -22,
    RPC_VERIFY_ERROR = -25,
    RPC_VERIFY_REJECTED = -26,
    RPC_VERIFY_ALREADY_IN_CHAIN = -27,
    RPC_IN_WARMUP = -28,
    RPC_METHOD_DEPRECATED = -32,
    RPC_CLIENT_NOT_CONNECTED = -9,
    RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10,
    RPC_CLIENT_NODE_ALREADY_ADDED = -23,
    RPC_CLIENT_NODE_NOT_ADDED = -24,
    RPC_CLIENT_NODE_NOT_CONNECTED = -29,
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
    RPC_CLIENT_P2P_DISABLED = -31,
    RPC_CLIENT_NODE_CAPACITY_REACHED = -34,
};

/* Argument types, a bit set: RPC_ARG_NUM | RPC_ARG_STR accepts either. */
enum rpc_arg_type {
    RPC_ARG_STR = 1u << 0,
    RPC_ARG_NUM = 1u << 1, /* integer or real */
    RPC_ARG_BOOL = 1u << 2,
    RPC_ARG_ARR = 1u << 3,
    RPC_ARG_OBJ = 1u << 4,
    RPC_ARG_ANY = 0x1f,
};

#define RPC_MAX_ARGS 10

struct rpc_arg {
    const char *name; /* NULL ends the list */
    unsigned types;   /* enum rpc_arg_type bits */
    bool optional;
    const char *help; /* one line, for `help <method>` */
    const char *default_text; /* shown as "default=..." when optional (may be NULL) */
};

struct rpc_request;
/* Returns the result (a new reference), or NULL after rpc_fail() or
 * rpc_wait(). */
typedef json_t *(*rpc_handler)(struct rpc_request *req);
/* A waiting method's check (see rpc_wait): the result (a new reference)
 * once ready, else NULL; when timed_out it must answer. */
typedef json_t *(*rpc_poll_fn)(void *arg, bool timed_out);

struct rpc_method {
    const char *name;
    /* "blockchain", "control", "mining", "network", "rawtransactions",
     * "util", "gossip"... ; "hidden" methods work but are not listed. */
    const char *category;
    rpc_handler handler;
    const char *help; /* description shown by `help <method>` */
    struct rpc_arg args[RPC_MAX_ARGS];
};

/* A static table of methods, for node/rpc/rpc_glue.c's list of method sets:
 *   const struct rpc_method_set chain_rpc_methods = RPC_METHOD_SET(chain_methods);
 * Handlers of those sets get the struct node * as req->ctx. */
struct rpc_method_set {
    const struct rpc_method *methods;
    size_t n;
};
#define RPC_METHOD_SET(array) { (array), sizeof(array) / sizeof((array)[0]) }

/* What a handler sees. */
struct rpc_request {
    struct rpc_table *table;
    void *ctx; /* the ctx given to rpc_table_add for this method */
    const struct rpc_method *method;
    json_t *params; /* array: one slot per argument given, omitted ones null */
    int err_code;
    char *err_msg;
    /* Set by rpc_wait. */
    rpc_poll_fn poll;
    void *poll_arg;
    void (*poll_free)(void *);
    int64_t timeout_ms;
};

/* For methods that wait (waitfornewblock...) without blocking the loop:
 * the handler returns rpc_wait(...) (NULL) when it cannot answer yet. The
 * HTTP server parks the request and calls poll(arg, false) each time it is
 * woken (rpc_server_wake) and every RPC_RECHECK_SECS (for conditions no
 * event announces), and poll(arg, true) timeout_ms after the call
 * (0: never). A request that cannot be parked (in a batch, or through
 * rpc_table_call) gets poll(arg, true) at once. arg_free (may be NULL)
 * frees arg after the answer. */
#define RPC_RECHECK_SECS 10
/* What a poll returns to answer with an error instead of a result. */
json_t *rpc_poll_fail(int code, const char *msg);
json_t *rpc_wait(struct rpc_request *req, rpc_poll_fn poll, void *arg, void (*arg_free)(void *),
                 int64_t timeout_ms);

/* The i-th parameter, or NULL when omitted or null. */
json_t *rpc_param(const struct rpc_request *req, size_t i);
/* The text a non-integer number of the request had in its JSON (valid
 * while the method runs); false when unknown. */
bool rpc_number_text(const struct rpc_request *req, const json_t *v, const char **text,
                     size_t *len);
/* Parameter helpers with Bitcoin Core's messages; each returns false after
 * rpc_fail so a handler can `if (!rpc_param_hash(...)) return NULL;`.
 * A hash: 64 hex digits, byte-reversed (ParseHashV): else -8 "<arg> must be
 * of length 64 (not N, for 'X')" or "<arg> must be hexadecimal string (not 'X')". */
bool rpc_param_hash(struct rpc_request *req, size_t i, struct hash256 *out);
/* The same for a value inside a parameter (an object's field) named name;
 * a value that is not a string is -3 as UniValue's get_str. */
bool rpc_value_hash(struct rpc_request *req, const json_t *v, const char *name,
                    struct hash256 *out);
/* UniValue's name of v's type ("null", "object", "number", ...), for Core's
 * "JSON value of type X is not of expected type Y". */
const char *rpc_json_type_name(const json_t *v);
/* An integer (the table has checked it is a number): a fraction or a value
 * outside [min, max] is -1 "JSON integer out of range" (UniValue::getInt)
 * or -8 "<arg> out of range". def when omitted. */
bool rpc_param_int(struct rpc_request *req, size_t i, int64_t def, int64_t min, int64_t max,
                   int64_t *out);
/* A hash as Bitcoin shows it: byte-reversed hex. */
json_t *rpc_hash_json(const struct hash256 *h);

/* Records an error and returns NULL, so handlers can `return rpc_fail(...)`. */
json_t *rpc_fail(struct rpc_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A BTC amount from satoshis, written as a number with exactly 8
 * decimals (0.00001000) in replies, like Bitcoin Core's ValueFromAmount.
 * The real is remembered (one reference) until the next reply has been
 * written or rpc_table_free, so make amounts fresh in each call rather than
 * caching them; a copy (json_deep_copy) prints as a plain real. */
json_t *rpc_amount(int64_t sats);

struct rpc_table;
struct rpc_table *rpc_table_new(void);
void rpc_table_free(struct rpc_table *t);
/* Registers n methods whose handlers get ctx. A name already registered
 * is refused (-1 and *err). ctx_free (may be NULL) runs at rpc_table_free. */
int rpc_table_add(struct rpc_table *t, const struct rpc_method *methods, size_t n, void *ctx,
                  void (*ctx_free)(void *), char **err);
const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name);

/* Executes one HTTP request body. Sets *status (200, 204, 400, 404, 500)
 * and returns the reply body (malloc'd, *out_len bytes, ends with a
 * newline), or NULL for a 204 with no body. */
char *rpc_table_dispatch(struct rpc_table *t, const char *body, size_t len, int *status,
                         size_t *out_len);

/* A request whose method waits (see rpc_wait). */
struct rpc_pending;
/* As rpc_table_dispatch, except that a single request whose method waits
 * is not answered: NULL with *pending set (*status 0). */
char *rpc_table_dispatch_wait(struct rpc_table *t, const char *body, size_t len, int *status,
                              size_t *out_len, struct rpc_pending **pending);
/* Checks a parked request: 0 while it still waits; 1 when answered, with
 * *status and the body (malloc'd, NULL for a 204) as rpc_table_dispatch
 * returns them, and p freed. timed_out forces the answer. */
int rpc_pending_poll(struct rpc_pending *p, bool timed_out, int *status, char **body,
                     size_t *out_len);
/* Milliseconds the method may wait (0: no limit). */
int64_t rpc_pending_timeout_ms(const struct rpc_pending *p);

/* Calls a method directly, as a request with positional params (borrowed)
 * would. Returns the result (new reference) or NULL with *code and *msg
 * (malloc'd) set. For tests and in-process callers. */
json_t *rpc_table_call(struct rpc_table *t, const char *method, json_t *params, int *code,
                       char **msg);

/* Help text: the list by category (method NULL), or one method's usage.
 * malloc'd. */
char *rpc_table_help(const struct rpc_table *t, const char *method);

/* The method running now and since when (microseconds, monotonic), for
 * getrpcinfo; NULL when idle. */
const char *rpc_table_active(const struct rpc_table *t, int64_t *since_us);

/* Serializes v as compact JSON, amounts with 8 decimals, into a malloc'd
 * NUL-terminated string. */
char *rpc_json_dumps(const json_t *v, size_t *len);

/* Control methods (node/rpc/rpc_control.c): help, uptime, stop, logging,
 * echo, echojson, getrpcinfo. */
struct rpc_control_info {
    int64_t start_time; /* unix seconds, for uptime */
    const char *log_path; /* debug.log, for getrpcinfo (may be NULL) */
    void (*shutdown)(void *arg); /* called by stop */
    void *shutdown_arg;
};
int rpc_control_register(struct rpc_table *t, const struct rpc_control_info *info, char **err);

#endif
