/* -maxuploadtarget accounting with an injected clock, against the figures
 * of Bitcoin Core's CConnman, and its option's byte units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/conn/uptarget.h"

#define MIB (1024ull * 1024)
#define T0 1700000000

static void test_no_target(void **state)
{
    struct uptarget u;
    uptarget_init(&u, 0);
    uptarget_record(&u, 1000000000, T0);
    assert_false(uptarget_reached(&u, false, T0));
    assert_false(uptarget_reached(&u, true, T0));
    assert_int_equal(uptarget_bytes_left(&u), 0);
    assert_int_equal(uptarget_time_left(&u, T0), 0);
}

static void test_cycle(void **state)
{
    struct uptarget u;
    uptarget_init(&u, 1000 * MIB);
    /* Before the first byte: the whole timeframe left. */
    assert_int_equal(uptarget_time_left(&u, T0), UPTARGET_TIMEFRAME);
    uptarget_record(&u, 100 * MIB, T0);
    assert_int_equal(uptarget_bytes_left(&u), 900 * MIB);
    assert_int_equal(uptarget_time_left(&u, T0 + 3600), UPTARGET_TIMEFRAME - 3600);
    uptarget_record(&u, 900 * MIB, T0 + 3600);
    assert_true(uptarget_reached(&u, false, T0 + 3600));
    assert_int_equal(uptarget_bytes_left(&u), 0);
    /* Still the same cycle at its very end, then a new one. */
    uptarget_record(&u, 1, T0 + UPTARGET_TIMEFRAME);
    assert_int_equal(uptarget_time_left(&u, T0 + UPTARGET_TIMEFRAME), 0);
    assert_int_equal(uptarget_time_left(&u, T0 + UPTARGET_TIMEFRAME + 5), 0);
    assert_true(uptarget_reached(&u, false, T0 + UPTARGET_TIMEFRAME));
    uptarget_record(&u, 10, T0 + UPTARGET_TIMEFRAME + 1);
    assert_false(uptarget_reached(&u, false, T0 + UPTARGET_TIMEFRAME + 1));
    assert_int_equal(uptarget_bytes_left(&u), 1000 * MIB - 10);
    assert_int_equal(uptarget_time_left(&u, T0 + UPTARGET_TIMEFRAME + 1), UPTARGET_TIMEFRAME);
}

/* Historical blocks stop once only the reserve for new blocks is left:
 * 4 MB per 10 minutes left in the cycle (576 MB for a whole day). */
static void test_historical_reserve(void **state)
{
    struct uptarget u;
    uptarget_init(&u, 1 * MIB);
    assert_true(uptarget_reached(&u, true, T0)); /* below the reserve: never */
    assert_false(uptarget_reached(&u, false, T0));

    uint64_t reserve = 144ull * UPTARGET_BLOCK_BYTES;
    uptarget_init(&u, reserve + 10 * MIB);
    uptarget_record(&u, 10 * MIB - 1, T0);
    assert_false(uptarget_reached(&u, true, T0));
    uptarget_record(&u, 1, T0);
    assert_true(uptarget_reached(&u, true, T0));
    assert_false(uptarget_reached(&u, false, T0));
    /* Later in the cycle the reserve shrinks (12 h: 72 blocks). */
    assert_false(uptarget_reached(&u, true, T0 + 12 * 3600));
    assert_int_equal(uptarget_bytes_left(&u), reserve);
}

static void test_parse(void **state)
{
    uint64_t v;
    assert_int_equal(uptarget_parse("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(uptarget_parse("5", &v), 0);
    assert_int_equal(v, 5 * MIB);
    assert_int_equal(uptarget_parse("5M", &v), 0);
    assert_int_equal(v, 5 * MIB);
    assert_int_equal(uptarget_parse("5m", &v), 0);
    assert_int_equal(v, 5000000);
    assert_int_equal(uptarget_parse("3k", &v), 0);
    assert_int_equal(v, 3000);
    assert_int_equal(uptarget_parse("3K", &v), 0);
    assert_int_equal(v, 3072);
    assert_int_equal(uptarget_parse("2G", &v), 0);
    assert_int_equal(v, 2048 * MIB);
    assert_int_equal(uptarget_parse("1t", &v), 0);
    assert_int_equal(v, 1000000000000ull);
    static const char *const bad[] = {"", "abc", "M", "1.5M", "-1", "+1", "1MB", "1 M",
                                      "18446744073709551616", "17592186044416M",
                                      "16777215T" /* over INT64_MAX bytes */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(uptarget_parse(bad[i], &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_target),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_historical_reserve),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
