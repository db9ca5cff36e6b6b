/* Rolling seen-sets: exact and Bloom, false positives, rolling, memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/relay/prng.h"
#include "net/relay/seenset.h"

/* Distinct pseudo-random hashes from a counter. */
static struct hash256 nth(uint64_t stream, uint64_t i)
{
    struct hash256 h;
    uint64_t s = prng_mix64(stream) ^ (i * 0x9e3779b97f4a7c15ULL);
    for (int w = 0; w < 4; w++) {
        uint64_t v = prng_next(&s);
        memcpy(h.b + 8 * w, &v, 8);
    }
    return h;
}

static void test_exact_remembers_and_rolls(void **state)
{
    (void)state;
    struct seenset *s = seenset_new(100, 0, 42);
    assert_non_null(s);
    size_t empty = seenset_memory(s);
    for (uint64_t i = 0; i < 100; i++) {
        struct hash256 h = nth(1, i);
        seenset_insert(s, &h);
    }
    assert_true(seenset_memory(s) > empty);
    for (uint64_t i = 0; i < 100; i++) {
        struct hash256 h = nth(1, i);
        assert_true(seenset_contains(s, &h));
    }
    for (uint64_t i = 0; i < 10000; i++) {
        struct hash256 h = nth(2, i);
        assert_false(seenset_contains(s, &h)); /* exact: no false positive */
    }
    /* The last 100 are always remembered; 300 later the first are gone. */
    for (uint64_t i = 100; i < 400; i++) {
        struct hash256 h = nth(1, i);
        seenset_insert(s, &h);
        for (uint64_t j = i - 99; j <= i; j += 33) {
            struct hash256 k = nth(1, j);
            assert_true(seenset_contains(s, &k));
        }
    }
    for (uint64_t i = 0; i < 100; i++) {
        struct hash256 h = nth(1, i);
        assert_false(seenset_contains(s, &h));
    }
    assert_true(seenset_count(s) >= 100 && seenset_count(s) <= 200);
    /* Re-inserting a present hash does not use room. */
    size_t before = seenset_count(s);
    struct hash256 last = nth(1, 399);
    seenset_insert(s, &last);
    assert_int_equal(seenset_count(s), before);
    seenset_reset(s);
    assert_false(seenset_contains(s, &last));
    assert_int_equal(seenset_memory(s), empty);
    seenset_free(s);
}

static void test_bloom_false_positive_rate(void **state)
{
    (void)state;
    const uint32_t n = 20000;
    const double fp = 0.001;
    struct seenset *s = seenset_new(n, fp, 7);
    for (uint64_t i = 0; i < n; i++) {
        struct hash256 h = nth(3, i);
        seenset_insert(s, &h);
    }
    for (uint64_t i = 0; i < n; i++) {
        struct hash256 h = nth(3, i);
        assert_true(seenset_contains(s, &h)); /* never a false negative */
    }
    uint64_t hits = 0, trials = 400000;
    for (uint64_t i = 0; i < trials; i++) {
        struct hash256 h = nth(4, i);
        hits += seenset_contains(s, &h);
    }
    double rate = (double)hits / (double)trials;
    print_message("bloom %u entries at %g: measured fp %.5f\n", n, fp, rate);
    assert_true(rate <= 2 * fp);
    seenset_free(s);
}

static void test_bloom_rolls_over(void **state)
{
    (void)state;
    const uint32_t n = 1000;
    struct seenset *s = seenset_new(n, 0.0001, 9);
    for (uint64_t i = 0; i < 4 * n; i++) {
        struct hash256 h = nth(5, i);
        seenset_insert(s, &h);
        if (i >= n && i % 97 == 0) {
            for (uint64_t j = i - n + 1; j <= i; j += 50) {
                struct hash256 k = nth(5, j);
                assert_true(seenset_contains(s, &k));
            }
        }
    }
    /* The first generation is long forgotten (up to false positives). */
    int left = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct hash256 h = nth(5, i);
        left += seenset_contains(s, &h);
    }
    assert_true(left <= 2);
    seenset_free(s);
}

static void test_memory_bounds(void **state)
{
    (void)state;
    /* Bitcoin Core's sizes: 50,000 at 1e-6 per peer, 120,000 recent. */
    size_t known = seenset_storage_bytes(50000, 0.000001);
    size_t recent = seenset_storage_bytes(120000, 0.000001);
    print_message("known filter %zu bytes, recent filter %zu bytes\n", known, recent);
    assert_true(known > 500000 && known < 560000);
    assert_true(recent > 1200000 && recent < 1350000);
    struct seenset *s = seenset_new(50000, 0.000001, 1);
    size_t empty = seenset_memory(s);
    assert_true(empty < 128); /* lazily allocated */
    for (uint64_t i = 0; i < 200000; i++) {
        struct hash256 h = nth(6, i);
        seenset_insert(s, &h);
    }
    assert_int_equal(seenset_memory(s), empty + known); /* never grows */
    seenset_free(s);
    /* The simulator's exact sets: 32 bytes an entry. */
    assert_int_equal(seenset_storage_bytes(16, 0), 2 * 32 * 8);
    assert_null(seenset_new(0, 0.1, 1));
    assert_null(seenset_new(10, 1.5, 1));
    seenset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_remembers_and_rolls),
        cmocka_unit_test(test_bloom_false_positive_rate),
        cmocka_unit_test(test_bloom_rolls_over),
        cmocka_unit_test(test_memory_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
