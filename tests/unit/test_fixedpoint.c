/* ParseFixedPoint with 8 decimals: Bitcoin Core's util_tests cases
 * (test_ParseFixedPoint) and the amounts RPC clients send. */
#include "chain/util/fixedpoint.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static bool parse(const char *s, int64_t *out)
{
    return fixedpoint_parse(s, strlen(s), 8, out);
}

static void test_accepts(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t value;
    } ok[] = {
        { "0", 0 },
        { "1", 100000000LL },
        { "0.0", 0 },
        { "-0.1", -10000000LL },
        { "1.1", 110000000LL },
        { "1.10000000000000000", 110000000LL },
        { "1.1e1", 1100000000LL },
        { "1.1e-1", 11000000LL },
        { "1000", 100000000000LL },
        { "-1000", -100000000000LL },
        { "0.00000001", 1 },
        { "0.0000000100000000", 1 },
        { "-0.00000001", -1 },
        { "1000000000.00000001", 100000000000000001LL },
        { "9999999999.99999999", 999999999999999999LL },
        { "-9999999999.99999999", -999999999999999999LL },
        { "20999999.99999999", 2099999999999999LL },
        { "21000000", 2100000000000000LL },
        { "0.1", 10000000LL },
        { "1e-8", 1 },
        { "1E+2", 10000000000LL },
        { "100e-10", 1 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t v = -42;
        assert_true(parse(ok[i].text, &v));
        assert_int_equal(v, ok[i].value);
    }
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "-", "a-1000", "-a1000", "-1000a", "-01000", "00.1", ".1", "--0.1",
        "0.000000001", "-0.000000001", "0.00000001000000001", "-10000000000.00000000",
        "10000000000.00000000", "-10000000000.00000001", "10000000000.00000001",
        "-10000000000.00000009", "10000000000.00000009", "-99999999999.99999999",
        "99999909999.09999999", "92233720368.54775807", "92233720368.54775808",
        "-92233720368.54775808", "-92233720368.54775809", "1.1e", "1.1e-", "1.",
        "1e-9", "0.100000000000000001", " 1", "1 ", "+1", "0x10", "1e99999999999999999999",
        "1e18",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = -42;
        assert_false(parse(bad[i], &v));
        assert_int_equal(v, -42);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
