/* The rolling Bloom filter behind each peer's known addresses: it keeps
 * the last n keys, forgets old ones a generation at a time, and its
 * false-positive rate stays near the one asked for. */
#include "net/conn/rollbloom.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void key_of(uint32_t i, uint8_t k[18])
{
    for (int j = 0; j < 18; j++)
        k[j] = (uint8_t)(i >> (8 * (j % 4))) ^ (uint8_t)j;
}

static void test_keeps_last_n(void **state)
{
    struct rollbloom *f = rollbloom_new(5000, 0.001, 42);
    assert_non_null(f);
    uint8_t k[18];
    for (uint32_t i = 0; i < 20000; i++) {
        key_of(i, k);
        rollbloom_insert(f, k, sizeof(k));
    }
    for (uint32_t i = 15000; i < 20000; i++) { /* the last 5000: all there */
        key_of(i, k);
        assert_true(rollbloom_contains(f, k, sizeof(k)));
    }
    size_t old = 0; /* the first ones faded out (but for false positives) */
    for (uint32_t i = 0; i < 5000; i++) {
        key_of(i, k);
        old += rollbloom_contains(f, k, sizeof(k));
    }
    assert_true(old < 50);
    rollbloom_free(f);
}

static void test_false_positive_rate(void **state)
{
    struct rollbloom *f = rollbloom_new(5000, 0.001, 7);
    uint8_t k[18];
    for (uint32_t i = 0; i < 5000; i++) {
        key_of(i, k);
        rollbloom_insert(f, k, sizeof(k));
    }
    size_t fp = 0;
    for (uint32_t i = 1000000; i < 1100000; i++) {
        key_of(i, k);
        fp += rollbloom_contains(f, k, sizeof(k));
    }
    assert_true(fp < 300); /* 0.001 of 100000 is 100 */
    rollbloom_reset(f);
    key_of(3, k);
    assert_false(rollbloom_contains(f, k, sizeof(k)));
    rollbloom_free(f);
}

static void test_bad_parameters(void **state)
{
    assert_null(rollbloom_new(0, 0.001, 1));
    assert_null(rollbloom_new(10, 1.5, 1));
    rollbloom_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_last_n),
        cmocka_unit_test(test_false_positive_rate),
        cmocka_unit_test(test_bad_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
