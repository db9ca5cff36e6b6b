/* PinSketch: BIP330's reference encoding, the field, round trips of every
 * difference up to capacity, failure beyond it, both multipliers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chain/util/hex.h"
#include "net/relay/prng.h"
#include "net/relay/sketch.h"
#include "net/relay/sketch_gf.h"

/* Bit-serial multiplication, straight from the field's definition. */
static uint32_t slow_mul(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) {
        if (b >> i & 1)
            r ^= a;
        a = (a << 1) ^ ((a >> 31) ? GF_MODULUS_LOW : 0);
    }
    return r;
}

static void test_field(void **state)
{
    (void)state;
    uint64_t rng = 1;
    const struct gf_ops *impls[2] = {gf_ops(), gf_ops_portable()};
    for (int k = 0; k < 2; k++) {
        const struct gf_ops *g = impls[k];
        for (int i = 0; i < 2000; i++) {
            uint32_t a = (uint32_t)prng_next(&rng), b = (uint32_t)prng_next(&rng);
            if (i < 10)
                a = i == 0 ? 0xFFFFFFFFu : (uint32_t)1 << (31 - i);
            assert_int_equal(gf_mul(g, a, b), slow_mul(a, b));
            if (a)
                assert_int_equal(gf_mul(g, a, g->inv(a)), 1);
        }
        /* The bulk operations agree with the single product. */
        uint32_t src[7], dst[7] = {0};
        uint64_t acc[7] = {0};
        for (int i = 0; i < 7; i++)
            src[i] = (uint32_t)prng_next(&rng);
        g->axpy(dst, 0x12345678u, src, 7);
        g->addmul(acc, 0x12345678u, src, 7);
        uint32_t dot = 0;
        for (int i = 0; i < 7; i++) {
            assert_int_equal(dst[i], slow_mul(0x12345678u, src[i]));
            assert_int_equal(gf_reduce(acc[i]), dst[i]);
            dot ^= slow_mul(src[i], dst[i]);
        }
        assert_int_equal(gf_reduce(g->dot(src, dst, 7)), dot);
    }
}

static void check_serialized(const uint32_t *ids, size_t n, size_t cap, const char *want_hex)
{
    struct sketch *s = sketch_new(cap);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        sketch_add(s, ids[i]);
    uint8_t out[64];
    assert_int_equal(sketch_serialized_size(s), 4 * cap);
    sketch_serialize(s, out);
    char hex[129];
    hex_encode(out, 4 * cap, hex);
    assert_string_equal(hex, want_hex);
    sketch_free(s);
}

/* Expected bytes computed with the create_sketch() reference code of
 * BIP330 (which libminisketch's 32-bit sketches match). */
static void test_bip330_encoding(void **state)
{
    (void)state;
    const uint32_t a[] = {1, 2, 3, 0xFFFFFFFFu, 0x12345678u};
    check_serialized(a, 5, 4, "87a9cbede247e147c711eee13842a8e7");
    const uint32_t b[] = {0xdeadbeefu};
    check_serialized(b, 1, 3, "efbeadde7505cb84d4f30caa");
    uint32_t c[10];
    for (uint32_t i = 0; i < 10; i++)
        c[i] = 100 + i;
    check_serialized(c, 10, 12,
                     "010000003d1400006d111001c4fd807f6d8d8c01fb8b66de61eb21b4f4517d7efd6bff40"
                     "84d0825c12ec06168de2c83a");
    /* And that sketch decodes back to the ten ids. */
    struct sketch *s = sketch_new(12);
    uint8_t bytes[48];
    assert_int_equal(hex_decode("010000003d1400006d111001c4fd807f6d8d8c01fb8b66de61eb21b4f4517d7efd6bff40"
                                "84d0825c12ec06168de2c83a", bytes, sizeof(bytes)), 48);
    sketch_deserialize(s, bytes);
    uint32_t out[12];
    assert_int_equal(sketch_decode(s, 12, out), 10);
    uint32_t sum = 0;
    for (int i = 0; i < 10; i++) {
        assert_true(out[i] >= 100 && out[i] < 110);
        sum += out[i];
    }
    assert_int_equal(sum, 1045);
    sketch_free(s);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sketches of two random sets differing by `diff` ids, merged (the second
 * one through its serialization): the decode must be the difference
 * exactly, or (beyond capacity) a failure. Returns the decode count. */
static int reconcile(uint64_t *rng, size_t cap, size_t diff, size_t common, size_t max_count)
{
    uint32_t *a = malloc((common + diff) * sizeof(uint32_t));
    uint32_t *want = a + common;
    struct sketch *sa = sketch_new(cap), *sb = sketch_new(cap), *sr = sketch_new(cap);
    assert_true(a && sa && sb && sr);
    for (size_t i = 0; i < common + diff; i++)
        a[i] = (uint32_t)(prng_next(rng) | 1) ^ (uint32_t)(i << 1);
    /* Split the difference between the two sides. */
    sketch_add_many(sa, a, common);
    sketch_add_many(sb, a, common);
    for (size_t i = 0; i < diff; i++)
        sketch_add(i & 1 ? sa : sb, want[i]);
    uint8_t *bytes = malloc(sketch_serialized_size(sb));
    sketch_serialize(sb, bytes);
    sketch_deserialize(sr, bytes);
    sketch_merge(sa, sr);
    uint32_t *out = malloc((cap + 1) * sizeof(uint32_t));
    int n = sketch_decode(sa, max_count, out);
    if (n >= 0) {
        /* Never a wrong answer: an accepted set is the difference. */
        assert_int_equal((size_t)n, diff);
        qsort(out, (size_t)n, sizeof(uint32_t), cmp_u32);
        qsort(want, diff, sizeof(uint32_t), cmp_u32);
        assert_memory_equal(out, want, diff * sizeof(uint32_t));
    }
    free(out);
    free(bytes);
    free(a);
    sketch_free(sa);
    sketch_free(sb);
    sketch_free(sr);
    return n;
}

static void test_round_trips(void **state)
{
    (void)state;
    uint64_t rng = 7;
    const size_t caps[] = {1, 2, 3, 5, 10, 33, 100};
    for (int portable = 0; portable < 2; portable++) {
        sketch_force_portable(portable);
        for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++)
            for (size_t d = 0; d <= caps[k]; d++) {
                if (caps[k] == 100 && d % 7 != 0 && d != 100)
                    continue;
                assert_int_equal(reconcile(&rng, caps[k], d, 50 + d, caps[k]), (int)d);
            }
    }
    sketch_force_portable(false);
}

/* Beyond capacity decoding fails (or, at c!-to-1 odds for a full decode,
 * would give a wrong set: the spare capacity of sketch_capacity_for()
 * makes that negligible, and reconcile() asserts it never happens). */
static void test_beyond_capacity(void **state)
{
    (void)state;
    uint64_t rng = 11;
    for (size_t max = 1; max <= 40; max += 3) {
        size_t cap = sketch_capacity_for(max, 16);
        assert_true(cap >= max);
        for (int rep = 0; rep < 20; rep++) {
            size_t diff = max + 1 + (size_t)prng_below(&rng, 2 * max + 2);
            assert_int_equal(reconcile(&rng, cap, diff, 20, max), -1);
        }
        /* Still exact at the limit. */
        assert_int_equal(reconcile(&rng, cap, max, 20, max), (int)max);
    }
    assert_int_equal(sketch_capacity_for(1, 16), 2);
    assert_int_equal(sketch_capacity_for(20, 16), 20);
}

static void test_edge_cases(void **state)
{
    (void)state;
    assert_null(sketch_new(0));
    assert_null(sketch_new(SKETCH_MAX_CAPACITY + 1));
    sketch_free(NULL);
    struct sketch *s = sketch_new(4), *t = sketch_new(2);
    uint32_t out[4];
    assert_int_equal(sketch_decode(s, 4, out), 0);
    sketch_add(s, 0); /* not an element */
    assert_int_equal(sketch_decode(s, 4, out), 0);
    sketch_add(s, 5);
    sketch_add(s, 9);
    sketch_add(s, 5); /* XOR: removes it again */
    assert_int_equal(sketch_decode(s, 4, out), 1);
    assert_int_equal(out[0], 9);
    /* Merging with a smaller sketch keeps the common prefix. */
    sketch_add(t, 9);
    sketch_add(t, 77);
    sketch_merge(s, t);
    assert_int_equal(sketch_capacity(s), 2);
    assert_int_equal(sketch_decode(s, 2, out), 1);
    assert_int_equal(out[0], 77);
    sketch_clear(s);
    assert_int_equal(sketch_decode(s, 2, out), 0);
    /* All-ones bytes are some sketch; it must not decode into nonsense
     * that does not reproduce it. */
    uint8_t ff[16];
    memset(ff, 0xff, sizeof(ff));
    struct sketch *u = sketch_new(4);
    sketch_deserialize(u, ff);
    int n = sketch_decode(u, 4, out);
    if (n > 0) {
        struct sketch *v = sketch_new(4);
        sketch_add_many(v, out, (size_t)n);
        uint8_t back[16];
        sketch_serialize(v, back);
        assert_memory_equal(back, ff, 16);
        sketch_free(v);
    }
    sketch_free(u);
    sketch_free(s);
    sketch_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field),
        cmocka_unit_test(test_bip330_encoding),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_beyond_capacity),
        cmocka_unit_test(test_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
