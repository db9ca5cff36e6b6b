/* The bounded cursor and the write buffer. */
#include "chain/primitives/serialize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

struct compact_case {
    uint64_t value;
    const char *hex;
};

static const struct compact_case canonical[] = {
    { 0, "00" },
    { 0xfc, "fc" },
    { 0xfd, "fdfd00" },
    { 0xffff, "fdffff" },
    { 0x10000, "fe00000100" },
    { 0xffffffffu, "feffffffff" },
    { 0x100000000ull, "ff0000000001000000" },
    { UINT64_MAX, "ffffffffffffffffff" },
};

static void test_compact_canonical(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
        size_t len;
        uint8_t *want = test_unhex(canonical[i].hex, &len);
        struct wbuf w;
        wbuf_init(&w);
        wbuf_compact(&w, canonical[i].value);
        assert_int_equal(w.len, len);
        assert_memory_equal(w.data, want, len);
        assert_int_equal(ser_compact_size(canonical[i].value), len);

        struct cursor c;
        uint64_t v = 0;
        cursor_init(&c, want, len);
        assert_true(cursor_compact(&c, &v, UINT64_MAX));
        assert_true(v == canonical[i].value);
        assert_int_equal(cursor_left(&c), 0);
        wbuf_free(&w);
        free(want);
    }
}

static bool compact_hex(const char *hex, uint64_t max, uint64_t *v)
{
    size_t len;
    uint8_t *b = test_unhex(hex, &len);
    struct cursor c;
    cursor_init(&c, b, len);
    bool ok = cursor_compact(&c, v, max);
    assert_int_equal(c.err, !ok);
    free(b);
    return ok;
}

static void test_compact_rejects(void **state)
{
    (void)state;
    uint64_t v = 7;
    /* Each value would fit a shorter encoding. */
    assert_false(compact_hex("fd0000", UINT64_MAX, &v));
    assert_false(compact_hex("fdfc00", UINT64_MAX, &v));
    assert_false(compact_hex("feffff0000", UINT64_MAX, &v));
    assert_false(compact_hex("fe00000000", UINT64_MAX, &v));
    assert_false(compact_hex("ffffffffff00000000", UINT64_MAX, &v));
    assert_int_equal(v, 7); /* output untouched on failure */
    /* Caps: SER_MAX_SIZE and tighter ones. */
    assert_true(compact_hex("fe00000002", SER_MAX_SIZE, &v));
    assert_int_equal(v, SER_MAX_SIZE);
    assert_false(compact_hex("fe01000002", SER_MAX_SIZE, &v));
    assert_false(compact_hex("feffffffff", SER_MAX_SIZE, &v));
    assert_false(compact_hex("fd0001", 255, &v));
    assert_true(compact_hex("fc", 252, &v));
    assert_false(compact_hex("fc", 251, &v));
    /* Truncated encodings. */
    assert_false(compact_hex("", UINT64_MAX, &v));
    assert_false(compact_hex("fd01", UINT64_MAX, &v));
    assert_false(compact_hex("fe010000", UINT64_MAX, &v));
    assert_false(compact_hex("ff01000000000000", UINT64_MAX, &v));
}

static void test_count(void **state)
{
    (void)state;
    uint8_t buf[7] = { 3, 0, 0, 0, 0, 0, 0 };
    struct cursor c;
    size_t n = 99;
    /* Three items of at least two bytes need six bytes after the count. */
    cursor_init(&c, buf, 7);
    assert_true(cursor_count(&c, &n, 10, 2));
    assert_int_equal(n, 3);
    cursor_init(&c, buf, 6);
    assert_false(cursor_count(&c, &n, 10, 2));
    assert_true(c.err);
    cursor_init(&c, buf, 7);
    assert_false(cursor_count(&c, &n, 2, 1)); /* above max */
    cursor_init(&c, buf, 1);
    assert_true(cursor_count(&c, &n, 10, 0)); /* no size floor */
}

static void test_poisoning(void **state)
{
    (void)state;
    const uint8_t buf[6] = { 1, 2, 3, 4, 5, 6 };
    struct cursor c;
    uint32_t v32 = 0xdeadbeef;
    uint8_t v8 = 0xee;
    cursor_init(&c, buf, 3);
    assert_int_equal(cursor_left(&c), 3);
    assert_false(cursor_u32(&c, &v32));
    assert_int_equal(v32, 0xdeadbeef);
    assert_true(c.err);
    /* Bytes remain, but a failed cursor stays failed. */
    assert_false(cursor_u8(&c, &v8));
    assert_int_equal(v8, 0xee);
    assert_int_equal(cursor_left(&c), 0);
    assert_false(cursor_skip(&c, 0));

    cursor_init(&c, NULL, 5);
    assert_int_equal(cursor_left(&c), 0);
    assert_true(cursor_skip(&c, 0));
    assert_non_null(cursor_ptr(&c));
    assert_false(cursor_u8(&c, &v8));

    /* cursor_skip with a huge n must not wrap. */
    cursor_init(&c, buf, 6);
    assert_false(cursor_skip(&c, SIZE_MAX));
}

static void test_integers(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = test_unhex("0102" "0102" "01020304" "feffffff" "0807060504030201"
                            "ffffffffffffffff" "01" "02",
                            &len);
    struct cursor c;
    cursor_init(&c, b, len);
    uint16_t u16, be;
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    bool t, t2;
    assert_true(cursor_u16(&c, &u16) && cursor_u16be(&c, &be) && cursor_u32(&c, &u32) &&
                cursor_i32(&c, &i32) && cursor_u64(&c, &u64) && cursor_i64(&c, &i64) &&
                cursor_bool(&c, &t) && cursor_bool(&c, &t2));
    assert_int_equal(u16, 0x0201);
    assert_int_equal(be, 0x0102);
    assert_int_equal(u32, 0x04030201);
    assert_int_equal(i32, -2);
    assert_true(u64 == 0x0102030405060708ull);
    assert_true(i64 == -1);
    assert_true(t && t2);
    assert_int_equal(cursor_left(&c), 0);

    /* The writers produce the same bytes. */
    struct wbuf w;
    wbuf_init(&w);
    wbuf_u16(&w, u16);
    wbuf_u16be(&w, be);
    wbuf_u32(&w, u32);
    wbuf_i32(&w, i32);
    wbuf_u64(&w, u64);
    wbuf_i64(&w, i64);
    wbuf_u8(&w, 1);
    wbuf_u8(&w, 2);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, b, len);
    wbuf_free(&w);
    free(b);
}

static void test_varbytes(void **state)
{
    (void)state;
    struct wbuf w;
    wbuf_init(&w);
    wbuf_varstr(&w, "hearsay");
    wbuf_varbytes(&w, "\x00\x01", 2);
    struct cursor c;
    cursor_init(&c, w.data, w.len);
    char s[8];
    assert_true(cursor_varstr(&c, s, 7));
    assert_string_equal(s, "hearsay");
    const uint8_t *p;
    size_t n;
    assert_true(cursor_varbytes(&c, &p, &n, 2));
    assert_int_equal(n, 2);
    assert_ptr_equal(p, w.data + 9); /* viewed in place */
    /* Caps and lengths beyond the data. */
    cursor_init(&c, w.data, w.len);
    assert_false(cursor_varstr(&c, s, 6));
    cursor_init(&c, w.data, 5);
    assert_false(cursor_varbytes(&c, &p, &n, 100));
    wbuf_free(&w);
}

static void test_wbuf(void **state)
{
    (void)state;
    struct wbuf w;
    wbuf_init(&w);
    for (uint32_t i = 0; i < 10000; i++)
        wbuf_u32(&w, i);
    assert_int_equal(w.len, 40000);
    assert_true(w.cap >= w.len);
    assert_int_equal(ser_le32(w.data + 4 * 9999), 9999);
    wbuf_reset(&w);
    assert_int_equal(w.len, 0);
    assert_true(w.cap >= 40000);
    wbuf_bytes(&w, NULL, 0);
    wbuf_u8(&w, 0x5a);
    size_t len = 0;
    uint8_t *d = wbuf_detach(&w, &len);
    assert_int_equal(len, 1);
    assert_int_equal(d[0], 0x5a);
    assert_null(w.data);
    assert_int_equal(w.len, 0);
    free(d);
    wbuf_free(&w);
    wbuf_free(NULL);

    uint8_t le[8];
    ser_put_le64(le, 0x1122334455667788ull);
    assert_int_equal(le[0], 0x88);
    assert_true(ser_le64(le) == 0x1122334455667788ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_canonical), cmocka_unit_test(test_compact_rejects),
        cmocka_unit_test(test_count),             cmocka_unit_test(test_poisoning),
        cmocka_unit_test(test_integers),          cmocka_unit_test(test_varbytes),
        cmocka_unit_test(test_wbuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
