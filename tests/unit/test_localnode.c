/* Our own addresses as Bitcoin Core keeps them (AddLocal, SeenLocal,
 * GetLocal's choice per peer, GetLocalAddrForPeer), and -whitelist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/conn/connman.h"
#include "net/conn/connman_int.h"
#include "net/conn/netadmin.h"
#include "net/conn/netbase.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static struct event_base *base;

static struct proto_netaddr addr(const char *s)
{
    struct proto_netaddr a;
    assert_int_equal(netbase_parse_endpoint(s, 8333, &a, NULL), 0);
    return a;
}

static struct connman *start(const char *const *ext, size_t next, bool allow_private)
{
    struct connman_options o;
    connman_options_default(&o);
    static const char *const bind[] = {"127.0.0.1"};
    o.bind = bind;
    o.nbind = 1;
    o.port = 0;
    o.max_outbound = 0;
    o.max_block_relay = 0;
    o.feelers = false;
    o.allow_private = allow_private;
    struct proto_netaddr v[4];
    for (size_t i = 0; i < next; i++)
        v[i] = addr(ext[i]);
    o.externalip = v;
    o.nexternalip = next;
    o.discover = false;
    char *err = NULL;
    struct connman *cm = connman_new(base, &o, &err);
    assert_non_null(cm);
    assert_int_equal(connman_start(cm, &err), 0);
    return cm;
}

/* The address advertised to a peer at peer_addr that says it reached us
 * at seen; "" when none. */
static void advertised(struct connman *cm, const char *peer_addr, const char *seen,
                       bool inbound, char out[NETBASE_ADDR_STRLEN])
{
    struct peer p;
    memset(&p, 0, sizeof(p));
    p.addr = addr(peer_addr);
    if (seen)
        p.addr_local = addr(seen);
    p.inbound = inbound;
    struct conn c = {.cm = cm, .p = &p};
    struct proto_netaddr me;
    out[0] = 0;
    if (localnode_addr_for_peer(cm, &c, &me)) {
        assert_int_equal(me.services, cm->o.services);
        netbase_format(&me, out);
    }
}

static void test_externalip(void **state)
{
    static const char *const ext[] = {"1.2.3.4", "[2a00:1450::1]:8444", "203.0.113.9"};
    struct connman *cm = start(ext, 3, false);
    struct connman_local_addr v[CONNMAN_MAX_LOCAL_ADDRS];
    /* The documentation address is not routable: not kept. */
    assert_int_equal(connman_local_addrs(cm, v, CONNMAN_MAX_LOCAL_ADDRS), 2);
    assert_int_equal(v[0].score, LOCALNODE_MANUAL);
    assert_int_equal(v[1].addr.port, 8444);
    char s[NETBASE_ADDR_STRLEN];
    advertised(cm, "8.8.8.8", NULL, true, s);
    assert_string_equal(s, "1.2.3.4:8333"); /* IPv4 reaches everyone best */
    advertised(cm, "[2a00:1450::2]", NULL, true, s);
    assert_string_equal(s, "[2a00:1450::1]:8444"); /* IPv6 to an IPv6 peer */
    /* Without -discover the peer's view is never taken. */
    for (int i = 0; i < 20; i++) {
        advertised(cm, "8.8.8.8", "5.6.7.8", true, s);
        assert_string_equal(s, "1.2.3.4:8333");
    }
    /* Interface addresses need -discover; a manual one again gains a point. */
    struct proto_netaddr a = addr("9.9.9.9");
    assert_false(localnode_add(cm, &a, LOCALNODE_IF));
    a = addr("1.2.3.4");
    assert_true(localnode_add(cm, &a, LOCALNODE_MANUAL));
    connman_local_addrs(cm, v, CONNMAN_MAX_LOCAL_ADDRS);
    assert_int_equal(v[0].score, LOCALNODE_MANUAL + 1);
    connman_free(cm);
}

static void test_nothing_private(void **state)
{
    struct connman *cm = start(NULL, 0, false);
    char s[NETBASE_ADDR_STRLEN];
    advertised(cm, "127.0.0.1", "127.0.0.1", true, s);
    assert_string_equal(s, "");
    advertised(cm, "8.8.8.8", "192.168.1.2", true, s);
    assert_string_equal(s, "");
    struct proto_netaddr a = addr("10.0.0.1");
    cm->o.discover = true;
    assert_false(localnode_add(cm, &a, LOCALNODE_IF));
    /* With -discover, a routable view from a routable peer is ours. */
    advertised(cm, "8.8.8.8", "5.6.7.8:1234", true, s);
    assert_string_equal(s, "5.6.7.8:1234");
    advertised(cm, "8.8.8.8", "5.6.7.8:1234", false, s); /* outbound: our port */
    char want[NETBASE_ADDR_STRLEN];
    snprintf(want, sizeof(want), "5.6.7.8:%u", connman_listen_port(cm));
    assert_string_equal(s, want);
    connman_free(cm);
}

/* Test networks on one host: the loopback address a peer saw us at. */
static void test_allow_private(void **state)
{
    struct connman *cm = start(NULL, 0, true);
    char s[NETBASE_ADDR_STRLEN], want[NETBASE_ADDR_STRLEN];
    advertised(cm, "127.0.0.1", "127.0.0.1", false, s);
    snprintf(want, sizeof(want), "127.0.0.1:%u", connman_listen_port(cm));
    assert_string_equal(s, want);
    advertised(cm, "127.0.0.1", NULL, false, s);
    assert_string_equal(s, "");
    /* Private counts, invalid never: not kept as ours. */
    struct proto_netaddr bad = addr("0.0.0.0"), priv = addr("10.1.2.3");
    assert_false(localnode_add(cm, &bad, LOCALNODE_MANUAL));
    assert_true(localnode_add(cm, &priv, LOCALNODE_MANUAL));
    connman_free(cm);
}

/* Core's SeenLocal: an inbound peer that reached us at one of ours. */
static void test_seen_local(void **state)
{
    static const char *const ext[] = {"1.2.3.4"};
    struct connman *cm = start(ext, 1, false);
    struct peer p;
    memset(&p, 0, sizeof(p));
    p.addr = addr("8.8.8.8");
    p.addr_local = addr("1.2.3.4:9999");
    struct conn c = {.cm = cm, .p = &p};
    localnode_ready(cm, &c); /* outbound: no vote */
    p.inbound = true;
    localnode_ready(cm, &c);
    p.addr_local = addr("4.3.2.1");
    localnode_ready(cm, &c); /* not ours */
    struct connman_local_addr v[1];
    assert_int_equal(connman_local_addrs(cm, v, 1), 1);
    assert_int_equal(v[0].score, LOCALNODE_MANUAL + 1);
    connman_free(cm);
}

static void test_whitelist(void **state)
{
    struct connman_whitelist w;
    char *err = NULL;
    assert_int_equal(connman_parse_whitelist("download@127.0.0.0/8", &w, &err), 0);
    assert_int_equal(w.perms, NET_PERM_DOWNLOAD);
    assert_true(banman_subnet_match(&w.subnet, addr("127.0.0.2").ip));
    assert_false(banman_subnet_match(&w.subnet, addr("128.0.0.2").ip));
    static const char *const bad[] = {"127.0.0.1", "noban@127.0.0.1", "x@127.0.0.1",
                                      "download@127.0.0.1/33", "download@host"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(connman_parse_whitelist(bad[i], &w, &err), -1);
        assert_non_null(err);
        free(err);
        err = NULL;
    }
}

int main(void)
{
    base = event_base_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_externalip),
        cmocka_unit_test(test_nothing_private),
        cmocka_unit_test(test_allow_private),
        cmocka_unit_test(test_seen_local),
        cmocka_unit_test(test_whitelist),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    event_base_free(base);
    return rc;
}
