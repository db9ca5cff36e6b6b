/* Block store: key spaces, atomic batches, coins, the tip, persistence. */
#include "chain/storage/store.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static struct hash256 hash_of(uint8_t v)
{
    struct hash256 h;
    memset(h.b, v, 32);
    return h;
}

static int count_index(void *ctx, const struct hash256 *h, const uint8_t *rec, size_t len)
{
    int *n = ctx;
    assert_int_equal(len, 3);
    assert_memory_equal(rec, "idx", 3);
    assert_int_equal(h->b[0], 7);
    (*n)++;
    return 0;
}

struct coin_seen {
    int n;
    int64_t sum;
    uint32_t last_n;
};

static int count_coin(void *ctx, const struct outpoint *op, const struct coin *c)
{
    struct coin_seen *s = ctx;
    if (s->n)
        assert_true(op->n > s->last_n); /* outputs come in order */
    s->last_n = op->n;
    s->n++;
    s->sum += c->value;
    assert_int_equal(c->script_len, 2);
    return 0;
}

static void test_roundtrip(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("store");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    assert_non_null(s);
    struct hash256 h = hash_of(7), tip;
    uint8_t *data;
    size_t len;
    assert_int_equal(store_get_tip(s, &tip, &err), 0);
    int last = -1;
    bool flag = false;
    assert_int_equal(store_get_file_info(s, 0, &data, &len, &err), 0);
    assert_int_equal(store_get_last_file(s, &last, &err), 0);
    assert_int_equal(store_get_flag(s, "prunedblockfiles", &flag, &err), 0);

    struct store_batch *b = store_batch_new();
    store_batch_put_index(b, &h, "idx", 3);
    store_batch_put_file_info(b, 0, "info0", 5);
    store_batch_put_file_info(b, 300, "info300", 7);
    store_batch_set_last_file(b, 300);
    store_batch_set_flag(b, "prunedblockfiles", true);
    struct outpoint op = {hash_of(9), 0};
    static const uint8_t script[2] = {0x51, 0x52};
    for (uint32_t i = 0; i < 300; i++) {
        op.n = i;
        store_batch_put_coin(b, &op, 1000 + i, script, 2, 5, i == 0);
    }
    op.n = 299;
    store_batch_del_coin(b, &op); /* later operations in a batch win */
    store_batch_set_tip(b, &h);
    assert_int_equal(store_batch_count(b), 307);
    assert_int_equal(store_write(s, b, true, &err), 0);
    store_batch_free(b);
    store_close(s);

    /* Everything is there after reopening. */
    s = store_open(dir, 1 << 20, &err);
    assert_non_null(s);
    assert_int_equal(store_get_tip(s, &tip, &err), 1);
    assert_true(hash_eq(&tip, &h));
    assert_int_equal(store_get_file_info(s, 300, &data, &len, &err), 1);
    assert_int_equal(len, 7);
    assert_memory_equal(data, "info300", 7);
    free(data);
    assert_int_equal(store_get_file_info(s, 0, &data, &len, &err), 1);
    assert_memory_equal(data, "info0", 5);
    free(data);
    assert_int_equal(store_get_file_info(s, 1, &data, &len, &err), 0);
    assert_int_equal(store_get_last_file(s, &last, &err), 1);
    assert_int_equal(last, 300);
    assert_int_equal(store_get_flag(s, "prunedblockfiles", &flag, &err), 1);
    assert_true(flag);
    assert_int_equal(store_get_flag(s, "pruned", &flag, &err), 0);
    struct coin c = {0};
    op.n = 0;
    assert_int_equal(store_get_coin(s, &op, &c, &err), 1);
    assert_int_equal(c.value, 1000);
    assert_true(c.coinbase);
    assert_int_equal(c.height, 5);
    assert_memory_equal(c.script, script, 2);
    coin_clear(&c);
    op.n = 299;
    assert_int_equal(store_get_coin(s, &op, &c, &err), 0);

    int n = 0;
    assert_int_equal(store_foreach_index(s, count_index, &n, &err), 0);
    assert_int_equal(n, 1);
    struct coin_seen seen = {0};
    assert_int_equal(store_foreach_coin(s, count_coin, &seen, &err), 0);
    assert_int_equal(seen.n, 299);
    assert_int_equal(seen.sum, 299 * 1000 + 298 * 299 / 2);
    store_close(s);
    testutil_rmtree(dir);
}

static void test_batch_clear(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("store");
    char *err = NULL;
    struct store *s = store_open(dir, 0, &err);
    assert_non_null(s);
    struct store_batch *b = store_batch_new();
    struct hash256 h = hash_of(1);
    store_batch_set_tip(b, &h);
    store_batch_clear(b); /* a cleared batch writes nothing */
    assert_int_equal(store_batch_count(b), 0);
    assert_int_equal(store_write(s, b, false, &err), 0);
    struct hash256 tip;
    assert_int_equal(store_get_tip(s, &tip, &err), 0);
    store_batch_set_tip(b, &h);
    assert_int_equal(store_write(s, b, false, &err), 0);
    store_batch_free(b);
    store_close(s);
    /* A destroyed database opens empty. */
    assert_int_equal(store_destroy(dir, &err), 0);
    s = store_open(dir, 0, &err);
    assert_int_equal(store_get_tip(s, &tip, &err), 0);
    store_close(s);
    testutil_rmtree(dir);
}

static void test_open_error(void **state)
{
    (void)state;
    char *err = NULL;
    struct store *s = store_open("/proc/hearsay-no-such-dir/db", 0, &err);
    assert_null(s);
    assert_non_null(err);
    free(err);
    store_close(NULL);
    store_batch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_batch_clear),
        cmocka_unit_test(test_open_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
