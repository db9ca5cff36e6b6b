/* The network RPC methods on a node without sockets: getgossipinfo from a
 * relay core (and -1 without one), setmocktime on regtest and main, and
 * the P2P methods' -31 when the connection manager is not running. */
#include "chain/primitives/params.h"
#include "net/relay/relay.h"
#include "node/clock.h"
#include "node/config.h"
#include "node/node.h"
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_glue.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fixture {
    struct node node;
    struct rpc_table *t;
    struct relay *relay;
    struct relay_policy policy;
};

static void d_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                  size_t n)
{
}

static void d_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      size_t n)
{
}

static const struct relay_driver driver = {.send_inv = d_inv, .send_getdata = d_getdata};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *err = NULL;
    f->node.params = params_get(CHAIN_REGTEST);
    f->node.cfg = config_parse_text("", "regtest", &err);
    assert_non_null(f->node.cfg);
    f->t = rpc_table_new();
    assert_int_equal(rpc_table_add(f->t, net_rpc_methods.methods, net_rpc_methods.n, &f->node,
                                   NULL, &err), 0);
    relay_policy_default(&f->policy);
    f->policy.fanout = 3;
    f->relay = relay_new(&f->policy, &driver, f, 0, 42, &err);
    assert_non_null(f->relay);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    relay_free(f->relay);
    rpc_table_free(f->t);
    config_free(f->node.cfg);
    node_set_mocktime(0);
    free(f);
    return 0;
}

/* Calls a method; on error returns NULL with *code set. */
static json_t *call(struct fixture *f, const char *method, json_t *params, int *code)
{
    char *msg = NULL;
    *code = 0;
    json_t *r = rpc_table_call(f->t, method, params, code, &msg);
    free(msg);
    json_decref(params);
    return r;
}

static void test_gossipinfo(void **state)
{
    struct fixture *f = *state;
    int code;
    assert_null(call(f, "getgossipinfo", json_array(), &code));
    assert_int_equal(code, RPC_MISC_ERROR);

    f->node.relay = f->relay;
    struct relay_peer_props pp = {.outbound = true, .wtxidrelay = true};
    assert_int_equal(relay_peer_add(f->relay, 7, &pp, 0), 0);
    struct relay_inv inv = {.type = RELAY_INV_WTX};
    memset(inv.hash.b, 0x11, 32);
    assert_int_equal(relay_on_inv(f->relay, 7, &inv, 0), RELAY_ANN_NEW);

    json_t *r = call(f, "getgossipinfo", json_array(), &code);
    assert_non_null(r);
    json_t *pol = json_object_get(r, "policy");
    assert_int_equal(json_integer_value(json_object_get(pol, "fanout")), 3);
    assert_string_equal(json_string_value(json_object_get(pol, "stop")), "once");
    assert_true(json_real_value(json_object_get(pol, "trickle_in")) == 5.0);
    json_t *req = json_object_get(r, "requests");
    assert_int_equal(json_integer_value(json_object_get(req, "tracked")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "peers")), 1);
    json_t *tot = json_object_get(r, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "inv_received")), 1);
    assert_true(json_integer_value(json_object_get(r, "memory")) > 0);
    /* No connection manager: no per-peer list to walk. */
    assert_int_equal(json_array_size(json_object_get(r, "peer_counters")), 0);
    json_decref(r);
}

static void test_mocktime(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *r = call(f, "setmocktime", json_pack("[I]", (json_int_t)1700000000), &code);
    assert_true(json_is_null(r));
    json_decref(r);
    assert_int_equal(node_now(), 1700000000);
    assert_null(call(f, "setmocktime", json_pack("[i]", -1), &code));
    assert_int_equal(code, RPC_INVALID_PARAMETER);
    assert_null(call(f, "setmocktime", json_pack("[f]", 1.5), &code));
    assert_int_equal(node_now(), 1700000000);
    r = call(f, "setmocktime", json_pack("[i]", 0), &code);
    json_decref(r);
    assert_true(node_now() - (int64_t)time(NULL) < 5);

    f->node.params = params_get(CHAIN_MAIN);
    assert_null(call(f, "setmocktime", json_pack("[i]", 5), &code));
    assert_int_equal(code, RPC_MISC_ERROR);
    assert_int_equal(node_mocktime(), 0);
}

static void test_no_p2p(void **state)
{
    struct fixture *f = *state;
    const char *methods[] = {"getpeerinfo", "getconnectioncount", "getnettotals", "ping",
                             "listbanned", "clearbanned"};
    int code;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        assert_null(call(f, methods[i], json_array(), &code));
        assert_int_equal(code, RPC_CLIENT_P2P_DISABLED);
    }
    assert_null(call(f, "setban", json_pack("[ss]", "1.2.3.4", "add"), &code));
    assert_int_equal(code, RPC_CLIENT_P2P_DISABLED);
    /* getnetworkinfo still answers, with the network off and no peers. */
    json_t *r = call(f, "getnetworkinfo", json_array(), &code);
    assert_non_null(r);
    assert_false(json_is_true(json_object_get(r, "networkactive")));
    assert_int_equal(json_integer_value(json_object_get(r, "connections")), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "protocolversion")), 70016);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gossipinfo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mocktime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_p2p, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
