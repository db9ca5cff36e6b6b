/* The node clock: setmocktime freezes and moves both the unix and the
 * monotonic clock, and the monotonic one never runs backwards. */
#include "node/clock.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

static void test_mock(void **state)
{
    (void)state;
    int64_t wall = (int64_t)time(NULL);
    assert_int_equal(node_mocktime(), 0);
    assert_true(node_now() >= wall && node_now() <= wall + 5);
    node_set_mocktime(wall + 1000);
    assert_int_equal(node_now(), wall + 1000);
    int64_t m0 = node_now_mono_us();
    assert_int_equal(node_now_mono_us(), m0); /* frozen */
    node_set_mocktime(wall + 1010);
    assert_int_equal(node_now_mono_us(), m0 + 10 * 1000000LL);
    node_set_mocktime(wall + 1005); /* backwards: the monotonic clock holds */
    assert_int_equal(node_now(), wall + 1005);
    assert_int_equal(node_now_mono_us(), m0 + 10 * 1000000LL);
    node_set_mocktime(0);
    assert_int_equal(node_mocktime(), 0);
    assert_true(node_now() < wall + 100);
    assert_true(node_now_mono_us() >= m0 + 10 * 1000000LL); /* still not backwards */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
