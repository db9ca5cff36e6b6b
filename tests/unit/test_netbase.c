/* Endpoint parsing, formatting and socket address conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/conn/netbase.h"

#include <stdlib.h>
#include <string.h>

static void round_trip(const char *in, uint16_t def, const char *want)
{
    struct proto_netaddr a, b;
    char s[NETBASE_ADDR_STRLEN];
    char *err = NULL;
    assert_int_equal(netbase_parse_endpoint(in, def, &a, &err), 0);
    netbase_format(&a, s);
    assert_string_equal(s, want);
    struct sockaddr_storage ss;
    netbase_to_sockaddr(&a, &ss);
    assert_true(netbase_from_sockaddr((struct sockaddr *)&ss, &b));
    assert_memory_equal(a.ip, b.ip, 16);
    assert_int_equal(a.port, b.port);
}

static void test_parse(void **state)
{
    round_trip("127.0.0.1", 18444, "127.0.0.1:18444");
    round_trip("127.0.0.1:8333", 18444, "127.0.0.1:8333");
    round_trip("[::1]:18444", 1, "[::1]:18444");
    round_trip("::1", 18444, "[::1]:18444");
    round_trip("[2001:db8::5]", 8333, "[2001:db8::5]:8333");
    struct proto_netaddr a;
    assert_int_equal(netbase_parse_endpoint("127.0.0.1", 1, &a, NULL), 0);
    assert_true(proto_netaddr_is_ipv4(&a));
    assert_true(netbase_is_loopback(&a));
}

static void test_bad(void **state)
{
    static const char *const bad[] = {"", ":8333", "127.0.0.1:", "127.0.0.1:0",
                                      "127.0.0.1:65536", "127.0.0.1:12x", "[::1", "[::1]x",
                                      "[]:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct proto_netaddr a;
        char *err = NULL;
        assert_int_equal(netbase_parse_endpoint(bad[i], 8333, &a, &err), -1);
        assert_non_null(err);
        free(err);
    }
}

/* Tor and I2P names are refused with a clear error, without a DNS lookup
 * (we have no proxy to reach them). */
static void test_unreachable_names(void **state)
{
    static const char *const names[] = {
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333",
        "UKEU3K5OYCKGNIKIGA57OVMLRK4BZM37Z4RUTO4CAH3TBZUAQXMA.b32.i2p"};
    for (size_t i = 0; i < 2; i++) {
        struct proto_netaddr a;
        char *err = NULL;
        assert_int_equal(netbase_parse_endpoint(names[i], 8333, &a, &err), -1);
        assert_non_null(strstr(err, "not reachable"));
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_unreachable_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
