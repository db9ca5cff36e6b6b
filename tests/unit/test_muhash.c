/* MuHash3072 against Bitcoin Core's vectors (src/test/crypto_tests.cpp,
 * muhash_tests) and its algebra: order does not matter, removing undoes
 * inserting. */
#include "chain/primitives/muhash.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Core's FromInt(i): the 32 bytes {i, 0, ...} as one element. */
static void elem(uint8_t out[32], uint8_t i)
{
    memset(out, 0, 32);
    out[0] = i;
}

static void final_hex(struct muhash *m, char hex[HASH_HEX_LEN + 1])
{
    struct hash256 h;
    muhash_finalize(m, &h);
    hash_to_hex(&h, hex); /* reversed, as Core's uint256 literals */
}

/* acc = FromInt(0); acc *= FromInt(1); acc /= FromInt(2): Core's literal. */
static void test_core_vector(void **state)
{
    (void)state;
    uint8_t e[32];
    char hex[HASH_HEX_LEN + 1];
    struct muhash *m = muhash_new();
    elem(e, 0);
    muhash_insert(m, e, 32);
    elem(e, 1);
    muhash_insert(m, e, 32);
    elem(e, 2);
    muhash_remove(m, e, 32);
    final_hex(m, hex);
    assert_string_equal(hex, "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863");
    /* Finalizing keeps the value: a second call gives the same hash. */
    final_hex(m, hex);
    assert_string_equal(hex, "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863");
    muhash_free(m);
}

/* The empty set is the number 1: SHA-256 of 1 in 384 little-endian bytes. */
static void test_empty(void **state)
{
    (void)state;
    uint8_t one[384] = { 1 };
    struct hash256 want, got;
    hash_sha256(one, sizeof(one), want.b);
    struct muhash *m = muhash_new();
    muhash_finalize(m, &got);
    assert_memory_equal(got.b, want.b, 32);
    muhash_free(m);
}

/* Core's randomized checks, made exhaustive over small sets: any order
 * gives one hash, and x*y / (y*x) is the empty set. */
static void test_algebra(void **state)
{
    (void)state;
    uint8_t e[32];
    char a[HASH_HEX_LEN + 1], b[HASH_HEX_LEN + 1], empty[HASH_HEX_LEN + 1];
    struct muhash *m1 = muhash_new(), *m2 = muhash_new(), *m3 = muhash_new();
    final_hex(m3, empty);
    for (uint8_t i = 0; i < 6; i++) {
        elem(e, i);
        muhash_insert(m1, e, 32);
        elem(e, (uint8_t)(5 - i));
        muhash_insert(m2, e, 32);
    }
    final_hex(m1, a);
    final_hex(m2, b);
    assert_string_equal(a, b);
    assert_string_not_equal(a, empty);
    for (uint8_t i = 0; i < 6; i++) {
        elem(e, i);
        muhash_remove(m1, e, 32);
    }
    final_hex(m1, a);
    assert_string_equal(a, empty);
    /* Removing before inserting works too (the denominator comes first). */
    elem(e, 9);
    muhash_remove(m3, e, 32);
    muhash_insert(m3, e, 32);
    final_hex(m3, a);
    assert_string_equal(a, empty);
    muhash_free(m1);
    muhash_free(m2);
    muhash_free(m3);
    muhash_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_vector),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_algebra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
