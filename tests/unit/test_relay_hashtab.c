/* The relay core's hash table: random inserts, finds and removes against
 * a plain array, with many equal keys to exercise probing and the
 * backward-shift deletion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "net/relay/hashtab.h"
#include "net/relay/prng.h"

#define N 512

struct item {
    uint64_t key;
    int id;
};

static bool match_id(const void *item, const void *arg)
{
    return ((const struct item *)item)->id == *(const int *)arg;
}

static void test_random_against_model(void **state)
{
    (void)state;
    struct hashtab t = {0};
    struct item items[N];
    bool in[N] = {false};
    size_t count = 0;
    uint64_t rng = 5;
    for (int i = 0; i < N; i++)
        items[i] = (struct item){.key = prng_below(&rng, 40), .id = i};
    for (int step = 0; step < 200000; step++) {
        int i = (int)prng_below(&rng, N);
        struct item *it = &items[i];
        if (!in[i] && prng_below(&rng, 2)) {
            hashtab_insert(&t, it->key, it);
            in[i] = true;
            count++;
        } else if (in[i] && prng_below(&rng, 2)) {
            assert_ptr_equal(hashtab_remove(&t, it->key, match_id, &it->id), it);
            in[i] = false;
            count--;
        }
        assert_ptr_equal(hashtab_find(&t, it->key, match_id, &it->id), in[i] ? it : NULL);
        assert_int_equal(t.n, count);
        if (step % 1000 == 0) {
            for (int j = 0; j < N; j++)
                assert_ptr_equal(hashtab_find(&t, items[j].key, match_id, &items[j].id),
                                 in[j] ? &items[j] : NULL);
            size_t seen = 0;
            for (size_t s = 0; s < t.cap; s++)
                seen += t.items[s] != NULL;
            assert_int_equal(seen, count);
            assert_true(t.cap == 0 || count * 4 <= t.cap * 3);
        }
    }
    /* Emptied, the table holds no memory. */
    for (int i = 0; i < N; i++)
        if (in[i])
            hashtab_remove(&t, items[i].key, match_id, &items[i].id);
    assert_int_equal(t.n, 0);
    assert_int_equal(hashtab_memory(&t), 0);
    hashtab_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
