/* Proof of work: compact bits, work, PoW check and the retarget rules,
 * with vectors from Bitcoin Core's arith_uint256 and pow tests. */
#include "chain/validation/pow.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* Main-net-like parameters built here so the test needs no params.c. */
static void main_like(struct chain_params *p)
{
    memset(p, 0, sizeof(*p));
    struct u256 lim;
    pow_bits_to_target(0x1d00ffff, &lim, NULL, NULL);
    /* Core's main limit is 0x00000000ffff...ff, not the bits' rounding. */
    for (int i = 0; i < 7; i++)
        lim.w[i] = 0xffffffff;
    lim.w[7] = 0;
    u256_to_hash(&lim, &p->pow_limit);
    p->pow_limit_bits = 0x1d00ffff;
    p->pow_target_spacing = 600;
    p->pow_target_timespan = 14 * 24 * 3600;
}

static void test_compact(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *hex; uint32_t back; bool neg; } v[] = {
        {0x00000000, "0", 0, false},
        {0x00123456, "0", 0, false},
        {0x01003456, "0", 0, false},
        {0x02000056, "0", 0, false},
        {0x03000000, "0", 0, false},
        {0x04000000, "0", 0, false},
        {0x00923456, "0", 0, false},
        {0x01123456, "12", 0x01120000, false},
        {0x02123456, "1234", 0x02123400, false},
        {0x03123456, "123456", 0x03123456, false},
        {0x04123456, "12345600", 0x04123456, false},
        {0x05009234, "92340000", 0x05009234, false},
        {0x04923456, "12345600", 0x04123456, true},
        {0x01fedcba, "7e", 0x017e0000, true},
        {0x1d00ffff, "ffff0000000000000000000000000000000000000000000000000000", 0x1d00ffff, false},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct u256 t;
        bool neg, ovf;
        char hex[65];
        pow_bits_to_target(v[i].bits, &t, &neg, &ovf);
        u256_to_hex(&t, hex);
        assert_string_equal(hex, v[i].hex);
        assert_int_equal(neg, v[i].neg);
        assert_false(ovf);
        assert_int_equal(pow_target_to_bits(&t), v[i].back);
    }
    struct u256 t;
    bool neg, ovf;
    pow_bits_to_target(0xff123456, &t, &neg, &ovf);
    assert_true(ovf);
    pow_bits_to_target(0x20123456, &t, &neg, &ovf);
    assert_false(ovf);
    assert_int_equal(pow_target_to_bits(&t), 0x20123456);
}

static void test_arith(void **state)
{
    (void)state;
    struct u256 a, b, q;
    char hex[65];
    u256_set_u64(&a, 1);
    u256_shl(&a, 255);
    u256_set_u64(&b, 3);
    u256_div(&a, &b, &q);
    u256_to_hex(&q, hex);
    assert_string_equal(hex, "2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    u256_mul_u32(&q, 3);
    u256_set_u64(&b, 2);
    u256_add(&q, &b);
    assert_int_equal(u256_cmp(&q, &a), 0);
    u256_shr(&q, 254);
    u256_to_hex(&q, hex);
    assert_string_equal(hex, "2");
    assert_int_equal(u256_bits(&a), 256);
}

static void test_work(void **state)
{
    (void)state;
    struct u256 w;
    char hex[65];
    pow_work(0x1d00ffff, &w); /* main genesis chainwork */
    u256_to_hex(&w, hex);
    assert_string_equal(hex, "100010001");
    pow_work(0x207fffff, &w); /* regtest: each block adds 2 */
    u256_to_hex(&w, hex);
    assert_string_equal(hex, "2");
    pow_work(0x04923456, &w); /* negative */
    assert_true(u256_is_zero(&w));
    pow_work(0x00000000, &w);
    assert_true(u256_is_zero(&w));
}

static void test_check(void **state)
{
    (void)state;
    struct chain_params p;
    main_like(&p);
    struct hash256 h;
    /* Main genesis hash 000000000019d6...e26f, little-endian in memory. */
    assert_true(hash_from_hex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", &h));
    assert_true(pow_check(&h, 0x1d00ffff, &p));
    assert_false(pow_check(&h, 0x1b00ffff, &p));  /* harder than the hash meets */
    assert_false(pow_check(&h, 0x1e00ffff, &p));  /* easier than the limit */
    assert_false(pow_check(&h, 0x1d80ffff, &p));  /* negative */
    assert_false(pow_check(&h, 0xff00ffff, &p));  /* overflow */
    assert_false(pow_check(&h, 0, &p));           /* zero */
}

/* An ancestor table for pow_next_bits. */
struct chain_view {
    struct pow_block *blocks;
    int n;
};

static bool view_ancestor(void *ctx, int height, struct pow_block *out)
{
    struct chain_view *v = ctx;
    for (int i = 0; i < v->n; i++) {
        if (v->blocks[i].height == height) {
            *out = v->blocks[i];
            return true;
        }
    }
    return false;
}

static uint32_t retarget(const struct chain_params *p, int last_height, uint32_t last_time,
                         uint32_t bits, uint32_t first_time)
{
    struct pow_block b[2] = {{last_height - 2015, first_time, bits}, {last_height, last_time, bits}};
    struct chain_view v = {b, 2};
    return pow_next_bits(p, &b[1], last_time + 600, view_ancestor, &v);
}

static void test_retarget(void **state)
{
    (void)state;
    struct chain_params p;
    main_like(&p);
    assert_int_equal(retarget(&p, 32255, 1262152739, 0x1d00ffff, 1261130161), 0x1d00d86a);
    assert_int_equal(retarget(&p, 2015, 1233061996, 0x1d00ffff, 1231006505), 0x1d00ffff);
    assert_int_equal(retarget(&p, 68543, 1279297671, 0x1c05a3f4, 1279008237), 0x1c0168fd);
    assert_int_equal(retarget(&p, 46367, 1269211443, 0x1c387f6f, 1263163443), 0x1d00e1fd);
    /* Between boundaries the bits carry over. */
    struct pow_block last = {100, 1000000, 0x1c05a3f4};
    assert_int_equal(pow_next_bits(&p, &last, 1000600, view_ancestor, NULL), 0x1c05a3f4);
    p.pow_no_retargeting = true;
    assert_int_equal(retarget(&p, 32255, 1262152739, 0x1d00ffff, 1261130161), 0x1d00ffff);
}

static void test_min_difficulty(void **state)
{
    (void)state;
    struct chain_params p;
    main_like(&p);
    p.pow_allow_min_difficulty = true;
    struct pow_block b[4] = {
        {2016, 1000000, 0x1c05a3f4},
        {2017, 1000600, 0x1c05a3f4},
        {2018, 1003000, 0x1d00ffff}, /* a 20-minute block */
        {2019, 1003100, 0x1d00ffff},
    };
    struct chain_view v = {b, 4};
    /* More than 20 minutes after the parent: the limit. */
    assert_int_equal(pow_next_bits(&p, &b[3], 1003100 + 1201, view_ancestor, &v), 0x1d00ffff);
    /* Otherwise the bits of the last block not mined under the rule. */
    assert_int_equal(pow_next_bits(&p, &b[3], 1003100 + 1200, view_ancestor, &v), 0x1c05a3f4);
}

static void test_bip94(void **state)
{
    (void)state;
    struct chain_params p;
    main_like(&p);
    p.pow_allow_min_difficulty = true;
    p.enforce_bip94 = true;
    /* The last block used the min-difficulty rule; BIP94 retargets from
     * the first block's bits, so difficulty is not dragged down. */
    struct pow_block b[2] = {{2016, 1000000, 0x1c05a3f4}, {4031, 1000000 + 1209600, 0x1d00ffff}};
    struct chain_view v = {b, 2};
    assert_int_equal(pow_next_bits(&p, &b[1], b[1].time + 600, view_ancestor, &v), 0x1c05a3f4);
    p.enforce_bip94 = false;
    assert_int_equal(pow_next_bits(&p, &b[1], b[1].time + 600, view_ancestor, &v), 0x1d00ffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact),     cmocka_unit_test(test_arith),
        cmocka_unit_test(test_work),        cmocka_unit_test(test_check),
        cmocka_unit_test(test_retarget),    cmocka_unit_test(test_min_difficulty),
        cmocka_unit_test(test_bip94),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
