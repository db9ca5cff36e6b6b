/* Manual bans: subnet parsing and formatting as Bitcoin Core's CSubNet,
 * matching, expiry, and the list operations setban/listbanned use. */
#include "net/conn/banman.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

static void ip4(uint8_t ip[16], int a, int b, int c, int d)
{
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    ip[12] = (uint8_t)a, ip[13] = (uint8_t)b, ip[14] = (uint8_t)c, ip[15] = (uint8_t)d;
}

static void check_format(const char *in, const char *want)
{
    struct banman_subnet s;
    char out[BANMAN_SUBNET_STRLEN];
    assert_true(banman_parse_subnet(in, &s));
    banman_format_subnet(&s, out);
    assert_string_equal(out, want);
}

static void test_parse_format(void **state)
{
    (void)state;
    check_format("127.0.0.1", "127.0.0.1/32");
    check_format("1.2.3.4/24", "1.2.3.0/24");
    check_format("10.1.2.3/255.255.0.0", "10.1.0.0/16");
    check_format("0.0.0.0/0", "0.0.0.0/0");
    check_format("::1", "::1/128");
    check_format("2001:db8::1/32", "2001:db8::/32");
    check_format("fe80::1/ffff:ffff::", "fe80::/32");
    const char *bad[] = {"", "1.2.3", "1.2.3.4/33", "::1/129", "1.2.3.4/255.0.255.0",
                         "1.2.3.4/ffff::", "localhost", "1.2.3.4:8333", "1.2.3.4/", "1.2.3.4/x"};
    struct banman_subnet s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(banman_parse_subnet(bad[i], &s));
}

static void test_match(void **state)
{
    (void)state;
    struct banman_subnet s;
    uint8_t ip[16];
    assert_true(banman_parse_subnet("192.168.1.0/24", &s));
    ip4(ip, 192, 168, 1, 77);
    assert_true(banman_subnet_match(&s, ip));
    ip4(ip, 192, 168, 2, 1);
    assert_false(banman_subnet_match(&s, ip));
    assert_true(banman_parse_subnet("0.0.0.0/0", &s));
    assert_true(banman_subnet_match(&s, ip)); /* every IPv4 address */
    uint8_t v6[16] = {0};
    v6[15] = 1;
    assert_false(banman_subnet_match(&s, v6)); /* but not IPv6 */
    assert_true(banman_parse_subnet("::1", &s));
    assert_true(banman_subnet_match(&s, v6));
}

static void test_list_expiry(void **state)
{
    (void)state;
    struct banman *bm = banman_new();
    struct banman_subnet a, b;
    uint8_t ip[16];
    assert_true(banman_parse_subnet("127.0.0.1", &a));
    assert_true(banman_parse_subnet("10.0.0.0/8", &b));
    assert_int_equal(banman_add(bm, &a, 1000, 1100), 0);
    assert_int_equal(banman_add(bm, &a, 1000, 1200), -1); /* already banned */
    assert_int_equal(banman_add(bm, &b, 1000, 2000), 0);
    ip4(ip, 127, 0, 0, 1);
    assert_true(banman_is_banned(bm, ip, 1099));
    assert_false(banman_is_banned(bm, ip, 1100)); /* ended, even before a sweep */
    ip4(ip, 10, 9, 8, 7);
    assert_true(banman_is_banned(bm, ip, 1500));
    size_t n;
    const struct banman_entry *v = banman_list(bm, &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].until, 1100);
    banman_sweep(bm, 1100);
    v = banman_list(bm, &n);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].created, 1000);
    assert_int_equal(v[0].until, 2000);
    assert_int_equal(banman_remove(bm, &a), -1); /* swept already */
    assert_int_equal(banman_remove(bm, &b), 0);
    assert_false(banman_is_banned(bm, ip, 1500));
    assert_int_equal(banman_add(bm, &a, 1, 5), 0);
    banman_clear(bm);
    banman_list(bm, &n);
    assert_int_equal(n, 0);
    banman_free(bm);
    banman_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_list_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
