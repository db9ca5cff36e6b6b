/* UTXO cache: reads through to the store, fresh coins that never reach
 * the disk, deletions at flush, the tip in the same batch, the budget,
 * background flushes through a frozen generation, large tables, and
 * prefetches: coins read on the reader thread come back as clean entries,
 * absent ones are not cached, and a read that a write or a spend overtook
 * never brings back a spent coin. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "chain/util/worker.h"
#include "chain/validation/utxo.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static int64_t stored_value(struct store *s, uint32_t i)
{
    struct outpoint op = op_of(i);
    struct coin c = {0};
    char *err = NULL;
    int r = store_get_coin(s, &op, &c, &err);
    assert_true(r >= 0);
    int64_t v = r == 1 ? c.value : -1;
    coin_clear(&c);
    return v;
}

/* Background flushes against a model: whatever the worker's progress,
 * lookups see the latest changes (a coin spent in a generation being
 * written is absent, not read back from the store), and the store ends
 * with exactly the model's coins and the last tip. */
#define MODEL_COINS 600
static void test_background_flush(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    struct utxo *u = utxo_new(s, 64u << 20);
    int64_t model[MODEL_COINS]; /* value, or -1 when absent */
    struct hash256 tip = {{0}};
    uint64_t rnd = 12345;
    for (int i = 0; i < MODEL_COINS; i++)
        model[i] = -1;
    for (int step = 1; step <= 20000; step++) {
        rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t i = (uint32_t)(rnd >> 33) % MODEL_COINS;
        struct outpoint op = op_of(i);
        if (model[i] < 0) {
            model[i] = step;
            utxo_add(u, &op, step, script, sizeof(script), 1, false);
        } else if ((rnd >> 20) & 1) {
            struct utxo_spent sp;
            assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
            assert_int_equal(sp.value, model[i]);
            model[i] = -1;
        }
        struct coin c = {0};
        assert_int_equal(utxo_get(u, &op, &c, &err), model[i] >= 0);
        assert_int_equal(model[i] >= 0 ? c.value : -1, model[i]);
        coin_clear(&c);
        if (step % 500 == 0) {
            ser_put_le32(tip.b, (uint32_t)step);
            assert_int_equal(utxo_flush_background(u, &tip, &err), 0);
        }
    }
    assert_true(utxo_dirty(u) > 0); /* the last generation, at least, is not known written */
    ser_put_le32(tip.b, 1);
    assert_int_equal(utxo_flush(u, &tip, true, &err), 0);
    assert_int_equal(utxo_dirty(u), 0);
    struct hash256 got;
    assert_int_equal(store_get_tip(s, &got, &err), 1);
    assert_true(hash_eq(&got, &tip));
    for (uint32_t i = 0; i < MODEL_COINS; i++)
        assert_int_equal(stored_value(s, i), model[i]);
    utxo_free(u);
    store_close(s);
    testutil_rmtree(dir);
}

/* A table growing a few slots per insert: coins added, spent, re-added
 * and read while some sit in the old table and some in the new one, a
 * background flush freezing a generation in the middle of a growth (its
 * lookups and its write see both tables), a synchronous flush ending
 * one. The store ends with the model's coins. */
#define GROW_COINS 40000
static void test_growth(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    struct utxo *u = utxo_new(s, 256u << 20);
    int64_t *model = malloc(GROW_COINS * sizeof(*model));
    struct hash256 tip = {{0}};
    uint64_t rnd = 777;
    size_t grown = 0;
    for (int i = 0; i < GROW_COINS; i++)
        model[i] = -1;
    for (int step = 1; step <= 3 * GROW_COINS; step++) {
        rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
        /* Mostly new coins early, so that the table keeps growing. */
        uint32_t span = step < GROW_COINS ? (uint32_t)step : GROW_COINS;
        uint32_t i = (uint32_t)(rnd >> 33) % span;
        struct outpoint op = op_of(i);
        if (model[i] < 0) {
            model[i] = step;
            size_t before = utxo_memory(u);
            utxo_add(u, &op, step, script, sizeof(script), 1, false);
            if (utxo_memory(u) > before + (1u << 14)) { /* a new table: growing */
                ser_put_le32(tip.b, (uint32_t)step);
                assert_int_equal(++grown % 2 ? utxo_flush_background(u, &tip, &err)
                                             : utxo_flush(u, &tip, false, &err),
                                 0);
            }
        } else if ((rnd >> 20) % 3 == 0) {
            struct utxo_spent sp;
            assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
            assert_int_equal(sp.value, model[i]);
            model[i] = -1;
        }
        uint32_t o = (uint32_t)(rnd >> 40) % GROW_COINS;
        struct outpoint other = op_of(o);
        struct coin c = {0};
        assert_int_equal(utxo_get(u, &other, &c, &err), model[o] >= 0);
        assert_int_equal(model[o] >= 0 ? c.value : -1, model[o]);
        coin_clear(&c);
    }
    assert_true(grown >= 4);
    ser_put_le32(tip.b, 1);
    assert_int_equal(utxo_flush(u, &tip, true, &err), 0);
    for (uint32_t i = 0; i < GROW_COINS; i += 7)
        assert_int_equal(stored_value(s, i), model[i]);
    utxo_free(u);
    free(model);
    store_close(s);
    testutil_rmtree(dir);
}

/* A stored coin spent just before a background flush stays spent while
 * the store may still hold it; closing waits for the write. */
static void test_background_tombstone(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    struct utxo *u = utxo_new(s, 64u << 20);
    struct hash256 tip = {{7}};
    for (uint32_t i = 0; i < 50000; i++) { /* a write that takes a while */
        struct outpoint op = op_of(i);
        utxo_add(u, &op, i, script, sizeof(script), 1, false);
    }
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
    struct outpoint op = op_of(3);
    struct utxo_spent sp;
    assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
    for (uint32_t i = 50000; i < 100000; i++) {
        struct outpoint o = op_of(i);
        utxo_add(u, &o, i, script, sizeof(script), 1, false);
    }
    tip.b[0] = 8;
    assert_int_equal(utxo_flush_background(u, &tip, &err), 0);
    assert_false(utxo_have(u, &op, &err));
    op = op_of(99999);
    assert_true(utxo_have(u, &op, &err));
    utxo_free(u); /* waits for the write */
    assert_int_equal(stored_value(s, 3), -1);
    assert_int_equal(stored_value(s, 99999), 99999);
    assert_int_equal(store_get_tip(s, &tip, &err), 1);
    assert_int_equal(tip.b[0], 8);
    store_close(s);
    testutil_rmtree(dir);
}

/* Resident bytes of the process. */
static long resident(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
    fclose(f);
    return rss * 4096;
}

static void hold(void *arg)
{
    atomic_bool *held = arg;
    struct timespec ts = {0, 1000000};
    while (atomic_load(held))
        nanosleep(&ts, NULL);
}

static void check_model(struct utxo *u, const int64_t *model, uint32_t n)
{
    char *err = NULL;
    for (uint32_t i = 0; i < n; i += 97) {
        struct outpoint op = op_of(i);
        assert_int_equal(utxo_have(u, &op, &err), model[i] >= 0);
    }
}

/* A generation with a table of huge pages (16 MiB): the background flush
 * gives the next generation a table as large without clearing it on the
 * caller's thread (its pages fill in as entries land), and reads through
 * the frozen generation and the store stay right over more flushes. */
#define LARGE_COINS 300000
static void test_background_large(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir("utxo");
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    struct utxo *u = utxo_new(s, 256u << 20);
    struct worker *w = worker_new("b-utxowrite"), *r = worker_new("b-utxoread");
    utxo_set_writer(u, w);
    utxo_set_reader(u, r);
    int64_t *model = malloc(LARGE_COINS * sizeof(*model));
    for (uint32_t i = 0; i < LARGE_COINS; i++) {
        struct outpoint op = op_of(i);
        utxo_add(u, &op, i, script, sizeof(script), 1, false);
        model[i] = i;
    }
    worker_wait(r);
    /* The writer and the reader (which faults new tables in) held: what
     * the flush makes resident is the caller's. */
    atomic_bool held = true, reader_held = true;
    worker_submit(w, hold, &held);
    worker_submit(r, hold, &reader_held);
    struct hash256 tip = {{1}};
    long before = resident();
    assert_int_equal(utxo_flush_background(u, &tip, &err), 0);
    assert_true(resident() - before < (4l << 20));
    atomic_store(&held, false);
    atomic_store(&reader_held, false);
    for (int round = 2; round <= 4; round++) {
        for (uint32_t i = (uint32_t)round; i < LARGE_COINS; i += 5) {
            struct outpoint op = op_of(i);
            struct utxo_spent sp;
            assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), model[i] >= 0);
            model[i] = -1;
        }
        check_model(u, model, LARGE_COINS);
        tip.b[0] = (uint8_t)round;
        assert_int_equal(utxo_flush_background(u, &tip, &err), 0);
        check_model(u, model, LARGE_COINS);
    }
    assert_int_equal(utxo_flush(u, &tip, true, &err), 0);
    for (uint32_t i = 0; i < LARGE_COINS; i += 101)
        assert_int_equal(stored_value(s, i), model[i]);
    utxo_free(u);
    worker_free(w);
    worker_free(r);
    free(model);
    store_close(s);
    testutil_rmtree(dir);
}

#define STORED 100

struct pf_fixture {
    char *dir;
    struct store *s;
    struct utxo *u;
};

/* STORED coins in the store (coin i worth 1000 + i), none in the cache. */
static int pf_setup(void **state)
{
    struct pf_fixture *f = calloc(1, sizeof(*f));
    char *err = NULL;
    f->dir = testutil_tmpdir("utxo_prefetch");
    f->s = store_open(f->dir, 1 << 20, &err);
    assert_non_null(f->s);
    struct utxo *u = utxo_new(f->s, 64u << 20);
    for (uint32_t i = 0; i < STORED; i++) {
        struct outpoint op = op_of(i);
        utxo_add(u, &op, 1000 + i, script, sizeof(script), (int32_t)i, i == 0);
    }
    struct hash256 tip = {{1}};
    assert_int_equal(utxo_flush(u, &tip, true, &err), 0);
    utxo_free(u);
    f->u = utxo_new(f->s, 64u << 20);
    *state = f;
    return 0;
}

static int pf_teardown(void **state)
{
    struct pf_fixture *f = *state;
    utxo_free(f->u);
    store_close(f->s);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void count_done(void *ctx)
{
    atomic_fetch_add((atomic_int *)ctx, 1);
}

/* Starts a prefetch of coin i, waits until its read is over (the coin
 * unspent), then spends the coin. */
static struct utxo_prefetch *read_then_spend(struct utxo *u, uint32_t i, atomic_int *done)
{
    char *err = NULL;
    struct outpoint op = op_of(i);
    struct utxo_prefetch *pf = utxo_prefetch_start(u, &op, 1, count_done, done);
    assert_non_null(pf);
    for (int k = 0; k < 10000 && !utxo_prefetch_ready(pf); k++)
        usleep(1000);
    assert_true(utxo_prefetch_ready(pf));
    struct utxo_spent sp;
    assert_int_equal(utxo_spend(u, &op, &sp, NULL, &err), 1);
    return pf;
}

static void test_prefetch_caches_found(void **state)
{
    struct pf_fixture *f = *state;
    char *err = NULL;
    struct outpoint ops[12];
    for (uint32_t i = 0; i < 10; i++)
        ops[i] = op_of(i * 7);
    ops[10] = op_of(STORED + 5); /* absent */
    ops[11] = op_of(7);          /* twice */
    atomic_int done = 0;
    struct utxo_prefetch *pf = utxo_prefetch_start(f->u, ops, 12, count_done, &done);
    assert_non_null(pf);
    struct outpoint *absent;
    size_t n_absent;
    assert_int_equal(utxo_prefetch_finish(f->u, pf, &absent, &n_absent), 10);
    assert_int_equal(atomic_load(&done), 1);
    assert_int_equal(utxo_cached(f->u), 10);
    /* The absent coin's answer is handed back, not cached. */
    assert_int_equal(n_absent, 1);
    assert_memory_equal(&absent[0], &ops[10], sizeof(ops[10]));
    assert_false(utxo_have_cached(f->u, &ops[10]));
    assert_true(utxo_have_cached(f->u, &ops[0]));
    free(absent);
    assert_int_equal(utxo_dirty(f->u), 0);
    struct coin c = {0};
    assert_int_equal(utxo_get(f->u, &ops[1], &c, &err), 1);
    assert_int_equal(c.value, 1007);
    assert_int_equal(c.height, 7);
    assert_false(c.coinbase);
    coin_clear(&c);
    assert_int_equal(utxo_get(f->u, &ops[0], &c, &err), 1);
    assert_true(c.coinbase);
    coin_clear(&c);
    /* Cached already: nothing left to read. */
    assert_null(utxo_prefetch_start(f->u, ops, 10, count_done, &done));
    assert_int_equal(utxo_cached(f->u), 10);
}

#if !defined(__SANITIZE_ADDRESS__)
/* Page faults of the calling thread so far. */
static long thread_faults(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
    return ru.ru_minflt + ru.ru_majflt;
}
#endif

#if !defined(__SANITIZE_ADDRESS__)
/* A cache over a fresh store, with its own reader thread. */
struct with_reader {
    char *dir;
    struct store *s;
    struct utxo *u;
    struct worker *reader;
};

static void add_range(struct utxo *u, uint32_t from, uint32_t to, int32_t height)
{
    for (uint32_t i = from; i < to; i++) {
        struct outpoint op = op_of(i);
        utxo_add(u, &op, i, script, sizeof(script), height, false);
    }
}

/* Opens f and adds coins 0 .. coins-1. */
static void with_reader_open(struct with_reader *f, uint32_t coins)
{
    char *err = NULL;
    f->dir = testutil_tmpdir("utxo");
    f->s = store_open(f->dir, 1 << 20, &err);
    f->u = utxo_new(f->s, 256u << 20);
    f->reader = worker_new("b-utxoread");
    utxo_set_reader(f->u, f->reader);
    add_range(f->u, 0, coins, 1);
}

/* The caller's page faults while adding coins from .. to-1, once the
 * reader is idle. */
static long faults_adding(struct with_reader *f, uint32_t from, uint32_t to)
{
    worker_wait(f->reader);
    long before = thread_faults();
    add_range(f->u, from, to, 2);
    return thread_faults() - before;
}

static void with_reader_close(struct with_reader *f)
{
    utxo_free(f->u);
    worker_free(f->reader);
    store_close(f->s);
    testutil_rmtree(f->dir);
}
#endif

/* A background flush hands the new generation's table (of huge pages) to
 * the reader to fault in: the caller's inserts into it then cost no page
 * faults (zeroing a huge page on first touch held the event loop). */
static void test_background_table_populated(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* its allocator and shadow memory fault pages of their own */
#else
    struct with_reader f;
    with_reader_open(&f, LARGE_COINS);
    char *err = NULL;
    /* Blocks of an entry's size, freed: the inserts below reuse them. */
    for (uint32_t i = LARGE_COINS; i < LARGE_COINS + 20000; i++) {
        struct outpoint op = op_of(i);
        struct utxo_spent sp;
        utxo_add(f.u, &op, i, script, sizeof(script), 1, false);
        assert_int_equal(utxo_spend(f.u, &op, &sp, NULL, &err), 1);
    }
    struct hash256 tip = {{1}};
    assert_int_equal(utxo_flush_background(f.u, &tip, &err), 0);
    assert_true(faults_adding(&f, LARGE_COINS, LARGE_COINS + 10000) < 4);
    with_reader_close(&f);
#endif
}

/* A table growing into huge pages is faulted in by the reader as well:
 * the inserts that move entries into it right away cost the caller no
 * page faults. */
static void test_growth_table_populated(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* its allocator and shadow memory fault pages of their own */
#else
    enum { GROW_AT = 1 << 18 }; /* a table of 2^19 slots doubles here */
    struct with_reader f;
    with_reader_open(&f, GROW_AT);
    /* Blocks of an entry's size, freed for the measured inserts to reuse,
     * through a second cache whose entries f.u does not count. */
    struct utxo *spare = utxo_new(f.s, 256u << 20);
    add_range(spare, GROW_AT, GROW_AT + 20000, 1);
    utxo_free(spare);
    worker_wait(f.reader);
    add_range(f.u, GROW_AT, GROW_AT + 1, 1); /* doubles the table */
    assert_true(faults_adding(&f, GROW_AT + 1, GROW_AT + 10000) < 4);
    with_reader_close(&f);
#endif
}

/* Coin i read by a prefetch (unspent), then spent, then between(u): the
 * prefetch brings nothing back, the coin stays spent. */
static void assert_not_brought_back(struct utxo *u, uint32_t i, void (*between)(struct utxo *))
{
    char *err = NULL;
    atomic_int done = 0;
    struct utxo_prefetch *pf = read_then_spend(u, i, &done);
    if (between)
        between(u);
    struct outpoint *absent;
    size_t n_absent;
    assert_int_equal(utxo_prefetch_finish(u, pf, &absent, &n_absent), 0);
    assert_int_equal(n_absent, 0); /* read present, or stale: no answer counts */
    free(absent);
    struct outpoint op = op_of(i);
    assert_false(utxo_have(u, &op, &err));
}

static void flush_now(struct utxo *u)
{
    char *err = NULL;
    struct hash256 tip = {{2}};
    assert_int_equal(utxo_flush(u, &tip, false, &err), 0);
}

static void flush_behind(struct utxo *u)
{
    char *err = NULL;
    struct hash256 tip = {{2}};
    assert_int_equal(utxo_flush_background(u, &tip, &err), 0);
}

/* A background write done, its generation dropped by the next flush. */
static void flush_written(struct utxo *u)
{
    flush_behind(u);
    for (int k = 0; k < 10000 && utxo_writing(u); k++)
        usleep(1000);
    assert_false(utxo_writing(u));
    flush_behind(u);
}

/* Spent and flushed while the read was in flight: the read saw it
 * unspent, the flush dropped the tombstone, the batch is discarded; the
 * same through a background write that finished. */
static void test_prefetch_spent_flushed(void **state)
{
    struct pf_fixture *f = *state;
    assert_not_brought_back(f->u, 3, flush_now);
    assert_not_brought_back(f->u, 4, flush_written);
}

/* Spent while the read was in flight, the spend still in the current
 * generation, or in the frozen one (its write held): not brought back. */
static void test_prefetch_spent_cached(void **state)
{
    struct pf_fixture *f = *state;
    assert_not_brought_back(f->u, 3, NULL);
    struct worker *w = worker_new("b-utxowrite");
    utxo_set_writer(f->u, w);
    atomic_bool held = true;
    worker_submit(w, hold, &held);
    assert_not_brought_back(f->u, 5, flush_behind);
    atomic_store(&held, false);
    utxo_free(f->u); /* waits for the write */
    f->u = NULL;
    worker_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_background_flush),
        cmocka_unit_test(test_background_tombstone),
        cmocka_unit_test(test_background_large),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_background_table_populated),
        cmocka_unit_test(test_growth_table_populated),
        cmocka_unit_test_setup_teardown(test_prefetch_caches_found, pf_setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_prefetch_spent_flushed, pf_setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_prefetch_spent_cached, pf_setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
