/* UTXO cache: reads through to the store, fresh coins that never reach
 * the disk, deletions at flush, the tip in the same batch, the budget. */
#include "chain/validation/utxo.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const uint8_t script[3] = {0x51, 0x52, 0x53};

static struct outpoint op_of(uint32_t i)
{
    struct outpoint op;
    memset(&op, 0, sizeof(op));
    ser_put_le32(op.hash.b, i / 4 + 1);
    op.n = i % 4;
    return op;
}

static int count_coins(void *ctx, const struct outpoint *op, const struct coin *c)
{
    (void)op;
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

static int stored_coins(struct store *s)
{
    int n = 0;
    char *err = NULL;
    assert_int_equal(store_foreach_coin(s, count_coins, &n, &err), 0);
    return n;
}

static void test_cache(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    assert_non_null(s);
    struct utxo *u = utxo_new(s, 64u << 20);
    struct hash256 tip = {{1}}, got;
    for (uint32_t i = 0; i < 1000; i++) {
        struct outpoint op = op_of(i);
        utxo_add(u, &op, 1000 + i, script, sizeof(script), (int32_t)i, i % 7 == 0);
    }
    assert_int_equal(utxo_dirty(u), 1000);
    /* A coin created and spent before a flush never reaches the store. */
    struct outpoint op = op_of(5);
    struct utxo_spent sp;
    struct wbuf undo;
    wbuf_init(&undo);
    assert_int_equal(utxo_spend(u, &op, &sp, &undo, &err), 1);
    assert_int_equal(sp.value, 1005);
    assert_int_equal(sp.height, 5);
    assert_int_equal(utxo_spend(u, &op, &sp, &undo, &err), 0);
    assert_int_equal(utxo_dirty(u), 999);
    /* The undo record is the coin in the store's encoding. */
    struct cursor c;
    struct coin back = {0};
    cursor_init(&c, undo.data, undo.len);
    assert_true(store_coin_decode(&c, &back));
    assert_int_equal(back.value, 1005);
    assert_memory_equal(back.script, script, 3);
    coin_clear(&back);
    wbuf_free(&undo);

    assert_int_equal(utxo_flush(u, &tip, true, &err), 0);
    assert_int_equal(utxo_dirty(u), 0);
    assert_int_equal(stored_coins(s), 999);
    assert_int_equal(store_get_tip(s, &got, &err), 1);
    assert_true(hash_eq(&got, &tip));

    /* Spending a stored coin deletes it at the next flush. */
    op = op_of(7);
    assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
    assert_true(sp.coinbase);
    assert_false(utxo_have(u, &op, &err));
    assert_int_equal(stored_coins(s), 999);
    tip.b[0] = 2;
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
    assert_int_equal(stored_coins(s), 998);
    utxo_free(u);

    /* A fresh cache reads through to the store. */
    u = utxo_new(s, 64u << 20);
    struct coin coin = {0};
    op = op_of(8);
    assert_int_equal(utxo_get(u, &op, &coin, &err), 1);
    assert_int_equal(coin.value, 1008);
    assert_int_equal(coin.height, 8);
    coin_clear(&coin);
    op = op_of(7);
    assert_int_equal(utxo_get(u, &op, &coin, &err), 0);
    /* Restoring a spent coin (as undo does) brings it back. */
    utxo_add(u, &op, 1007, script, sizeof(script), 7, true);
    assert_true(utxo_have(u, &op, &err));
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
    assert_int_equal(stored_coins(s), 999);
    utxo_free(u);
    utxo_free(NULL);
    store_close(s);
    testutil_rmtree(dir);
}

static void test_budget(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    struct utxo *u = utxo_new(s, 100000);
    struct hash256 tip = {{3}};
    for (uint32_t i = 0; i < 2000; i++) {
        struct outpoint op = op_of(i);
        utxo_add(u, &op, i, script, sizeof(script), 1, false);
    }
    assert_true(utxo_over_budget(u));
    assert_true(utxo_memory(u) > 100000);
    /* A flush over budget writes everything and empties the cache. */
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
    assert_int_equal(utxo_cached(u), 0);
    assert_false(utxo_over_budget(u));
    assert_int_equal(stored_coins(s), 2000);
    /* Spending after eviction still works, through the store. */
    struct outpoint op = op_of(1999);
    struct utxo_spent sp;
    assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
    assert_int_equal(sp.value, 1999);
    /* Lots of removals keep every other coin reachable. */
    for (uint32_t i = 0; i < 1999; i += 2) {
        op = op_of(i);
        assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
    }
    for (uint32_t i = 1; i < 1999; i += 2) {
        op = op_of(i);
        assert_true(utxo_have(u, &op, &err));
    }
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
    assert_int_equal(stored_coins(s), 999);
    utxo_free(u);
    store_close(s);
    testutil_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
