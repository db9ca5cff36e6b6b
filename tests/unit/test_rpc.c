/* The JSON-RPC registry and envelope, called directly (no sockets). */
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_numtext.h"
#include "node/cli/cli_format.h"

#include "chain/util/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static int shutdowns;
static int counted;

static void on_shutdown(void *arg)
{
    shutdowns++;
}

static json_t *t_count(struct rpc_request *req)
{
    int *n = req->ctx;
    (*n)++;
    return json_integer(*n);
}

static json_t *t_add(struct rpc_request *req)
{
    json_t *b = rpc_param(req, 1);
    if (json_number_value(rpc_param(req, 0)) < 0)
        return rpc_fail(req, RPC_INVALID_PARAMETER, "a must not be negative");
    return json_real(json_number_value(rpc_param(req, 0)) + (b ? json_number_value(b) : 0));
}

static json_t *t_amounts(struct rpc_request *req)
{
    return json_pack("{s:o,s:o,s:o,s:f,s:o}", "a", rpc_amount(1000), "b", rpc_amount(-150000000),
                     "c", rpc_amount(2100000000000000LL), "d", 0.5, "e", rpc_amount(0));
}

static json_t *t_hashy(struct rpc_request *req)
{
    struct hash256 h;
    int64_t n;
    if (!rpc_param_hash(req, 0, &h) || !rpc_param_int(req, 1, 7, 0, 100, &n))
        return NULL;
    return json_pack("[o,I]", rpc_hash_json(&h), (json_int_t)n);
}

/* A waiting method: ready once `ready` is set; arg_free counts frees. */
static bool ready;
static int waiter_frees;

static json_t *poll_ready(void *arg, bool timed_out)
{
    return ready ? json_string("ready") : timed_out ? json_string("timeout") : NULL;
}

static void waiter_free(void *arg)
{
    waiter_frees++;
}

static json_t *t_await(struct rpc_request *req)
{
    return ready ? json_string("at once") : rpc_wait(req, poll_ready, NULL, waiter_free, 250);
}

static const struct rpc_method test_methods[] = {
    { "count", "test", t_count, "Counts its calls.", { { 0 } } },
    { "add", "test", t_add, "Adds a and b.",
      { { "a", RPC_ARG_NUM, false, "first", NULL }, { "b", RPC_ARG_NUM, true, "second", "0" } } },
    { "amounts", "test", t_amounts, "Returns amounts.", { { 0 } } },
    { "hashy", "test", t_hashy, "Parses a hash and a number.",
      { { "blockhash", RPC_ARG_STR, false, "a hash", NULL },
        { "n", RPC_ARG_NUM, true, "a number", "7" } } },
    { "await", "test", t_await, "Waits until ready.", { { 0 } } },
};

static int setup(void **state)
{
    struct rpc_table *t = rpc_table_new();
    struct rpc_control_info info = { time(NULL) - 5, "/tmp/debug.log", on_shutdown, NULL };
    char *err = NULL;
    assert_int_equal(rpc_control_register(t, &info, &err), 0);
    assert_int_equal(rpc_table_add(t, test_methods, 5, &counted, NULL, &err), 0);
    counted = 0;
    shutdowns = 0;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    rpc_table_free(*state);
    return 0;
}

/* Dispatches body and checks the status and the exact reply text. */
static void expect(struct rpc_table *t, const char *body, int status, const char *reply)
{
    int st = 0;
    size_t len = 0;
    char *out = rpc_table_dispatch(t, body, strlen(body), &st, &len);
    if (reply) {
        assert_non_null(out);
        char *text = strndup(out, len);
        assert_string_equal(text, reply);
        free(text);
    } else {
        assert_null(out);
    }
    assert_int_equal(st, status);
    free(out);
}

static void test_legacy_envelope(void **state)
{
    expect(*state, "{\"method\":\"echo\",\"params\":[1,\"a\"],\"id\":7}", 200,
           "{\"result\":[1,\"a\"],\"error\":null,\"id\":7}\n");
    /* No id: still a reply, with id null. */
    expect(*state, "{\"method\":\"echo\"}", 200, "{\"result\":[],\"error\":null,\"id\":null}\n");
    /* "jsonrpc":"1.0" and odd values are legacy too. */
    expect(*state, "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}", 200,
           "{\"result\":[],\"error\":null,\"id\":1}\n");
    expect(*state, "{\"method\":\"nosuch\",\"id\":1}", 404,
           "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}\n");
    expect(*state, "{\"method\":\"add\",\"params\":[-1],\"id\":1}", 500,
           "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"a must not be negative\"},\"id\":1}\n");
    expect(*state, "{\"id\":1}", 400,
           "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Missing method\"},\"id\":1}\n");
    expect(*state, "{\"method\":5,\"id\":1}", 400,
           "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Method must be a string\"},\"id\":1}\n");
    expect(*state, "{\"method\":\"echo\",\"params\":3,\"id\":1}", 400,
           "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Params must be an array or object\"},\"id\":1}\n");
}

static void test_v2_envelope(void **state)
{
    expect(*state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[],\"id\":\"x\"}", 200,
           "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":\"x\"}\n");
    /* Execution errors are HTTP 200 in 2.0. */
    expect(*state, "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":1}", 200,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}\n");
    /* A malformed 2.0 request is still an HTTP error. */
    expect(*state, "{\"jsonrpc\":\"2.0\",\"id\":1}", 400,
           "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Missing method\"},\"id\":1}\n");
}

static void test_notification(void **state)
{
    expect(*state, "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}", 204, NULL);
    assert_int_equal(counted, 1);
    /* Even a failing notification gets no body. */
    expect(*state, "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\"}", 204, NULL);
}

/* Answers a parked request: its status and exact body. */
static void expect_answer(struct rpc_pending *p, bool timed_out, int status, const char *reply)
{
    int st = 0;
    size_t len = 0;
    char *out = NULL;
    assert_int_equal(rpc_pending_poll(p, timed_out, &st, &out, &len), 1);
    assert_int_equal(st, status);
    if (reply) {
        char *text = strndup(out, len);
        assert_string_equal(text, reply);
        free(text);
    } else {
        assert_null(out);
    }
    free(out);
}

static void test_waiting(void **state)
{
    struct rpc_table *t = *state;
    struct rpc_pending *p = NULL;
    int st = -1;
    size_t len = 1;
    char *out = NULL;
    const char *body = "{\"method\":\"await\",\"id\":7}";
    ready = false;
    waiter_frees = 0;
    /* Parked: no reply yet; polls before it is ready answer nothing. */
    assert_null(rpc_table_dispatch_wait(t, body, strlen(body), &st, &len, &p));
    assert_non_null(p);
    assert_int_equal(st, 0);
    assert_int_equal(rpc_pending_timeout_ms(p), 250);
    assert_int_equal(rpc_pending_poll(p, false, &st, &out, &len), 0);
    ready = true;
    expect_answer(p, false, 200, "{\"result\":\"ready\",\"error\":null,\"id\":7}\n");
    assert_int_equal(waiter_frees, 1);
    /* The deadline forces the answer; a 2.0 request keeps its envelope. */
    ready = false;
    body = "{\"jsonrpc\":\"2.0\",\"method\":\"await\",\"id\":\"x\"}";
    assert_null(rpc_table_dispatch_wait(t, body, strlen(body), &st, &len, &p));
    expect_answer(p, true, 200, "{\"jsonrpc\":\"2.0\",\"result\":\"timeout\",\"id\":\"x\"}\n");
    /* A 2.0 notification: answered with no body. */
    body = "{\"jsonrpc\":\"2.0\",\"method\":\"await\"}";
    assert_null(rpc_table_dispatch_wait(t, body, strlen(body), &st, &len, &p));
    expect_answer(p, true, 204, NULL);
    assert_int_equal(waiter_frees, 3);
    /* Ready at the call: answered directly, nothing parked. */
    ready = true;
    body = "{\"method\":\"await\",\"id\":1}";
    out = rpc_table_dispatch_wait(t, body, strlen(body), &st, &len, &p);
    assert_null(p);
    assert_non_null(out);
    free(out);
    /* Where nothing can be parked (a batch, the plain dispatcher, direct
     * calls), the method answers as at its deadline. */
    ready = false;
    expect(t, "[{\"method\":\"await\",\"id\":1}]", 200,
           "[{\"result\":\"timeout\",\"error\":null,\"id\":1}]\n");
    expect(t, "{\"method\":\"await\",\"id\":2}", 200,
           "{\"result\":\"timeout\",\"error\":null,\"id\":2}\n");
    int code;
    char *msg;
    json_t *r = rpc_table_call(t, "await", NULL, &code, &msg);
    assert_string_equal(json_string_value(r), "timeout");
    json_decref(r);
    assert_int_equal(waiter_frees, 6);
}

static void test_batch(void **state)
{
    expect(*state,
           "[{\"method\":\"echo\",\"params\":[1],\"id\":1},"
           "5,"
           "{\"jsonrpc\":\"2.0\",\"method\":\"count\"},"
           "{\"method\":\"nosuch\",\"id\":3},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":4}]",
           200,
           "[{\"result\":[1],\"error\":null,\"id\":1},"
           "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request object\"},\"id\":null},"
           "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":3},"
           "{\"jsonrpc\":\"2.0\",\"result\":2,\"id\":4}]\n");
    assert_int_equal(counted, 2);
    expect(*state, "[{\"jsonrpc\":\"2.0\",\"method\":\"count\"}]", 204, NULL);
    expect(*state, "[]", 200, "[]\n");
}

static void test_named_params(void **state)
{
    expect(*state, "{\"method\":\"echo\",\"params\":{\"arg2\":\"x\"},\"id\":1}", 200,
           "{\"result\":[null,null,\"x\"],\"error\":null,\"id\":1}\n");
    expect(*state, "{\"method\":\"add\",\"params\":{\"b\":2,\"a\":1},\"id\":1}", 200,
           "{\"result\":3,\"error\":null,\"id\":1}\n");
    expect(*state, "{\"method\":\"add\",\"params\":{\"a\":1,\"c\":2},\"id\":1}", 500,
           "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"Unknown named parameter c\"},\"id\":1}\n");
}

static void test_types_and_arity(void **state)
{
    int code;
    char *msg;
    json_t *p = json_pack("[s]", "1");
    assert_null(rpc_table_call(*state, "add", p, &code, &msg));
    assert_int_equal(code, RPC_TYPE_ERROR);
    assert_string_equal(msg, "Wrong type passed:\n{\n    \"Position 1 (a)\": \"JSON value of type "
                             "string is not of expected type number\"\n}");
    free(msg);
    json_decref(p);
    /* A required argument given as null is a type error too. */
    p = json_pack("[n,i]", 2);
    assert_null(rpc_table_call(*state, "add", p, &code, &msg));
    assert_int_equal(code, RPC_TYPE_ERROR);
    free(msg);
    json_decref(p);
    /* Too many or too few: the usage text, as Bitcoin Core. */
    p = json_pack("[i,i,i]", 1, 2, 3);
    assert_null(rpc_table_call(*state, "add", p, &code, &msg));
    assert_int_equal(code, RPC_MISC_ERROR);
    assert_true(!strncmp(msg, "add a ( b )\n\nAdds a and b.", 26));
    free(msg);
    json_decref(p);
    assert_null(rpc_table_call(*state, "add", NULL, &code, &msg));
    assert_int_equal(code, RPC_MISC_ERROR);
    free(msg);
}

static void test_parse_errors(void **state)
{
    const char *parse_err =
        "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}\n";
    expect(*state, "{bad", 500, parse_err);
    expect(*state, "", 500, parse_err);
    expect(*state, "1", 500,
           "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Top-level object parse "
           "error\"},\"id\":null}\n");
    /* Deep nesting is refused by the parser's depth limit, not the stack. */
    size_t depth = 200000;
    char *deep = malloc(depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[depth * 2] = 0;
    expect(*state, deep, 500, parse_err);
    free(deep);
    /* Moderate nesting is fine and echoes back. */
    char body[4200];
    int n = snprintf(body, sizeof(body), "{\"method\":\"echo\",\"id\":1,\"params\":[");
    for (int i = 0; i < 1000; i++)
        body[n++] = '[';
    for (int i = 0; i < 1000; i++)
        body[n++] = ']';
    strcpy(body + n, "]}");
    int st;
    size_t len;
    char *out = rpc_table_dispatch(*state, body, strlen(body), &st, &len);
    assert_int_equal(st, 200);
    assert_true(len > 2000);
    free(out);
}

static void test_amounts(void **state)
{
    expect(*state, "{\"method\":\"amounts\",\"id\":1}", 200,
           "{\"result\":{\"a\":0.00001000,\"b\":-1.50000000,\"c\":21000000.00000000,\"d\":0.5,"
           "\"e\":0.00000000},\"error\":null,\"id\":1}\n");
    /* Reals that are not amounts print as Bitcoin Core's UniValue does. */
    json_t *v = json_real(4.656542373906925e-10);
    char *s = rpc_json_dumps(v, NULL);
    assert_string_equal(s, "4.656542373906925e-10");
    free(s);
    json_decref(v);
    v = json_pack("{s:s}", "k", "q\"\\\n\x01\xc3\xa9");
    s = rpc_json_dumps(v, NULL);
    assert_string_equal(s, "{\"k\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\"}");
    free(s);
    json_decref(v);
}

/* The body is scanned for number texts only when an amount is read: a
 * request to any other method never pays for it. */
static void test_numtext_on_demand(void **state)
{
    (void)state;
    static const char body[] = "{\"a\": [1.5, \"2.5\", 0.100000000000000001], \"b\": 3}";
    json_t *root = json_loads(body, 0, NULL);
    struct rpc_numtext nt = { 0 };
    rpc_numtext_set(&nt, body, strlen(body), root);
    assert_false(nt.scanned);
    assert_int_equal(nt.cap, 0); /* nothing read, nothing allocated */
    const char *text;
    size_t len;
    assert_true(rpc_numtext_find(&nt, json_array_get(json_object_get(root, "a"), 2), &text,
                                 &len));
    assert_true(nt.scanned);
    assert_int_equal(nt.n, 2);
    assert_int_equal(len, 20);
    assert_memory_equal(text, "0.100000000000000001", len);
    assert_false(rpc_numtext_find(&nt, json_object_get(root, "b"), &text, &len));
    rpc_numtext_clear(&nt);
    assert_int_equal(nt.n, 0);
    assert_false(rpc_numtext_find(&nt, json_array_get(json_object_get(root, "a"), 0), &text,
                                  &len));
    rpc_numtext_free(&nt);
    json_decref(root);
}

static char *call_str(struct rpc_table *t, const char *method, json_t *params)
{
    int code;
    char *msg;
    json_t *r = rpc_table_call(t, method, params, &code, &msg);
    json_decref(params);
    assert_non_null(r);
    assert_true(json_is_string(r));
    char *s = strdup(json_string_value(r));
    json_decref(r);
    return s;
}

static void test_help(void **state)
{
    char *s = call_str(*state, "help", NULL);
    assert_non_null(strstr(s, "== Control ==\ngetmemoryinfo ( \"mode\" )\ngetrpcinfo\n"
                              "help ( \"command\" )\nlogging ( "
                              "[\"include\",...] [\"exclude\",...] )\nstop\nuptime\n"));
    assert_non_null(strstr(s, "\n\n== Test ==\nadd a ( b )\namounts\nawait\ncount\nhashy \"blockhash\" ( n )"));
    assert_null(strstr(s, "echo")); /* hidden */
    free(s);
    s = call_str(*state, "help", json_pack("[s]", "add"));
    assert_string_equal(s, "add a ( b )\n\nAdds a and b.\n\nArguments:\n"
                           "1. a                    (numeric, required) first\n"
                           "2. b                    (numeric, optional, default=0) second");
    free(s);
    s = call_str(*state, "help", json_pack("[s]", "nosuch"));
    assert_string_equal(s, "help: unknown command: nosuch");
    free(s);
}

static void test_control(void **state)
{
    int code;
    char *msg;
    json_t *r = rpc_table_call(*state, "uptime", NULL, &code, &msg);
    assert_true(json_integer_value(r) >= 5 && json_integer_value(r) < 60);
    json_decref(r);

    r = rpc_table_call(*state, "getrpcinfo", NULL, &code, &msg);
    json_t *cmd = json_array_get(json_object_get(r, "active_commands"), 0);
    assert_string_equal(json_string_value(json_object_get(cmd, "method")), "getrpcinfo");
    assert_true(json_is_integer(json_object_get(cmd, "duration")));
    assert_string_equal(json_string_value(json_object_get(r, "logpath")), "/tmp/debug.log");
    json_decref(r);

    char *s = call_str(*state, "stop", NULL);
    assert_string_equal(s, "hearsay stopping");
    free(s);
    assert_int_equal(shutdowns, 1);
}

static void test_logging(void **state)
{
    int code;
    char *msg;
    uint32_t saved = log_enabled_categories();
    log_disable(LOG_ALL);
    json_t *p = json_pack("[[s,s]]", "net", "rpc");
    json_t *r = rpc_table_call(*state, "logging", p, &code, &msg);
    json_decref(p);
    assert_true(json_is_true(json_object_get(r, "net")));
    assert_true(json_is_true(json_object_get(r, "rpc")));
    assert_true(json_is_false(json_object_get(r, "mempool")));
    json_decref(r);
    assert_int_equal(log_enabled_categories(), LOG_NET | LOG_RPC);

    p = json_pack("[[s],[s]]", "all", "net");
    r = rpc_table_call(*state, "logging", p, &code, &msg);
    json_decref(p);
    assert_true(json_is_false(json_object_get(r, "net")));
    assert_true(json_is_true(json_object_get(r, "relay")));
    json_decref(r);

    /* An unknown name changes nothing. */
    uint32_t before = log_enabled_categories();
    p = json_pack("[[s],[s]]", "mempool", "bogus");
    assert_null(rpc_table_call(*state, "logging", p, &code, &msg));
    json_decref(p);
    assert_int_equal(code, RPC_INVALID_PARAMETER);
    assert_string_equal(msg, "unknown logging category bogus");
    free(msg);
    assert_int_equal(log_enabled_categories(), before);
    log_disable(LOG_ALL);
    log_enable(saved);
}

static void test_param_helpers(void **state)
{
    const char *h = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
    char body[512];
    snprintf(body, sizeof(body), "{\"method\":\"hashy\",\"params\":[\"%s\"],\"id\":1}", h);
    char want[512];
    snprintf(want, sizeof(want), "{\"result\":[\"%s\",7],\"error\":null,\"id\":1}\n", h);
    expect(*state, body, 200, want);
    snprintf(body, sizeof(body), "{\"method\":\"hashy\",\"params\":[\"%s\",100],\"id\":1}", h);
    snprintf(want, sizeof(want), "{\"result\":[\"%s\",100],\"error\":null,\"id\":1}\n", h);
    expect(*state, body, 200, want);
    expect(*state, "{\"method\":\"hashy\",\"params\":[\"abc\"],\"id\":1}", 500,
           "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"blockhash must be of length 64 "
           "(not 3, for 'abc')\"},\"id\":1}\n");
    snprintf(body, sizeof(body), "{\"method\":\"hashy\",\"params\":[\"%.63sx\"],\"id\":1}", h);
    snprintf(want, sizeof(want),
             "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"blockhash must be hexadecimal "
             "string (not '%.63sx')\"},\"id\":1}\n", h);
    expect(*state, body, 500, want);
    snprintf(body, sizeof(body), "{\"method\":\"hashy\",\"params\":[\"%s\",1.5],\"id\":1}", h);
    expect(*state, body, 500,
           "{\"result\":null,\"error\":{\"code\":-1,\"message\":\"JSON integer out of range\"},\"id\":1}\n");
    snprintf(body, sizeof(body), "{\"method\":\"hashy\",\"params\":[\"%s\",101],\"id\":1}", h);
    expect(*state, body, 500,
           "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"n out of range\"},\"id\":1}\n");
}

static void test_duplicate_registration(void **state)
{
    char *err = NULL;
    assert_int_equal(rpc_table_add(*state, test_methods, 1, NULL, NULL, &err), -1);
    assert_non_null(strstr(err, "count"));
    free(err);
    assert_non_null(rpc_table_find(*state, "echojson"));
    assert_null(rpc_table_find(*state, "nosuch"));
}

static void expect_format(const char *reply, const char *want)
{
    char *got = cli_format_result(reply, strlen(reply));
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* hearsay-cli prints results as bitcoin-cli (UniValue::write(2)). */
static void test_cli_format(void **state)
{
    expect_format("{\"result\":[],\"error\":null,\"id\":1}", "[\n]");
    expect_format("{\"result\":{},\"error\":null,\"id\":1}", "{\n}");
    expect_format("{\"result\": {\"a\" : 0.00001000, \"b\":[], \"c\":[1,{\"d\":\"x,]}\\\"\"}],"
                  "\"e\":{}}, \"error\":null,\"id\":1}",
                  "{\n  \"a\": 0.00001000,\n  \"b\": [\n  ],\n  \"c\": [\n    1,\n    {\n"
                  "      \"d\": \"x,]}\\\"\"\n    }\n  ],\n  \"e\": {\n  }\n}");
    expect_format("{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":[true,null]}",
                  "[\n  true,\n  null\n]");
    expect_format("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1},\"id\":1}", NULL);
    expect_format("[1]", NULL);
    char *v = cli_format_value("[1,", 3);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_legacy_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_and_arity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amounts, setup, teardown),
        cmocka_unit_test(test_numtext_on_demand),
        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_param_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_registration, setup, teardown),
        cmocka_unit_test(test_cli_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
