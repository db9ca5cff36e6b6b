/* Script checks as block connection and the mempool run them: the worker
 * pool (lowest failing input whatever the scheduling), the script
 * execution cache, Core's block script flags, and two real blocks
 * (mainnet 300,025, testnet3 928,828) verified on 1, 2 and 4 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/params.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/scriptcache.h"
#include "chain/validation/scriptcheck.h"
#include "chain/validation/validation.h"
#include "tests/unit/blockcoins_testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Items failing when their index is in the set. */
struct fail_set {
    const size_t *bad;
    size_t n;
};

static bool check_item(void *ctx, size_t i)
{
    const struct fail_set *s = ctx;
    for (size_t k = 0; k < s->n; k++)
        if (s->bad[k] == i)
            return false;
    return true;
}

static void test_checkqueue_lowest_failure(void **state)
{
    (void)state;
    static const size_t bad[] = {9000, 7001, 300, 301, 9999};
    struct fail_set none = {NULL, 0}, some = {bad, 5}, last = {bad + 4, 1};
    for (int threads = 1; threads <= 4; threads++) {
        struct checkqueue *q = checkqueue_new(threads);
        assert_non_null(q);
        assert_int_equal(checkqueue_threads(q), threads);
        for (int round = 0; round < 20; round++) {
            assert_int_equal(checkqueue_run(q, 10000, check_item, &none), 10000);
            assert_int_equal(checkqueue_run(q, 10000, check_item, &some), 300);
            assert_int_equal(checkqueue_run(q, 10000, check_item, &last), 9999);
            assert_int_equal(checkqueue_run(q, 5, check_item, &none), 5);
            assert_int_equal(checkqueue_run(q, 0, check_item, &some), 0);
        }
        checkqueue_free(q);
    }
    checkqueue_free(NULL);
}

/* Which thread ran each item: -par=N means N threads check, and once the
 * workers are woken the caller is not one of them. */
struct thread_log {
    pthread_t who[4096];
};

static bool log_thread(void *ctx, size_t i)
{
    struct thread_log *l = ctx;
    l->who[i] = pthread_self();
    for (volatile int spin = 0; spin < 2000; spin++)
        ;
    return true;
}

static size_t distinct_threads(const struct thread_log *l, size_t n, bool *caller)
{
    pthread_t seen[4096];
    size_t count = 0;
    *caller = false;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < count && !pthread_equal(seen[k], l->who[i]))
            k++;
        if (k == count)
            seen[count++] = l->who[i];
        *caller |= pthread_equal(l->who[i], pthread_self());
    }
    return count;
}

static void test_checkqueue_threads_check(void **state)
{
    (void)state;
    static struct thread_log l;
    bool caller;
    for (int threads = 1; threads <= 3; threads++) {
        struct checkqueue *q = checkqueue_new(threads);
        assert_int_equal(checkqueue_threads(q), threads);
        assert_int_equal(checkqueue_run(q, 4096, log_thread, &l), 4096);
        size_t used = distinct_threads(&l, 4096, &caller);
        assert_false(caller);
        assert_true(used >= 1 && used <= (size_t)threads);
        checkqueue_start(q, 4096, log_thread, &l, NULL, NULL);
        assert_int_equal(checkqueue_wait(q), 4096);
        used = distinct_threads(&l, 4096, &caller);
        assert_false(caller);
        assert_true(used >= 1 && used <= (size_t)threads);
        /* Too few to wake anyone: the caller alone. */
        assert_int_equal(checkqueue_run(q, 3, log_thread, &l), 3);
        assert_int_equal(distinct_threads(&l, 3, &caller), 1);
        assert_true(caller);
        checkqueue_free(q);
    }
}

static void test_checkqueue_par(void **state)
{
    (void)state;
    assert_int_equal(checkqueue_par(1), 1);
    assert_int_equal(checkqueue_par(3), 3);
    assert_int_equal(checkqueue_par(1000), CHECKQUEUE_MAX_THREADS + 1);
    assert_int_equal(checkqueue_par(-1000), 1);
    assert_true(checkqueue_par(0) >= 1);
    assert_int_equal(checkqueue_par(-1), checkqueue_par(0) > 1 ? checkqueue_par(0) - 1 : 1);
}

static void test_scriptcache(void **state)
{
    (void)state;
    struct scriptcache *c = scriptcache_new(0);
    assert_int_equal(scriptcache_capacity(c), 1024);
    struct hash256 a = {{1}}, b = {{2}};
    assert_false(scriptcache_contains(c, &a, 1, false));
    scriptcache_insert(c, &a, 1);
    scriptcache_insert(c, &a, 1);
    assert_int_equal(scriptcache_entries(c), 1);
    assert_true(scriptcache_contains(c, &a, 1, false));
    assert_false(scriptcache_contains(c, &a, 3, false)); /* other flags */
    assert_false(scriptcache_contains(c, &b, 1, false));
    assert_true(scriptcache_contains(c, &a, 1, true)); /* erased on the hit */
    assert_false(scriptcache_contains(c, &a, 1, false));
    assert_int_equal(scriptcache_entries(c), 0);
    /* Bounded: far more inserts than slots. */
    for (uint32_t i = 0; i < 20000; i++) {
        struct hash256 h = {{0}};
        memcpy(h.b, &i, sizeof(i));
        scriptcache_insert(c, &h, 7);
    }
    assert_true(scriptcache_entries(c) <= scriptcache_capacity(c));
    assert_true(scriptcache_entries(c) > scriptcache_capacity(c) / 2);
    scriptcache_free(c);
    c = scriptcache_new((size_t)1 << 20);
    assert_int_equal(scriptcache_capacity(c), ((size_t)1 << 20) / 32);
    scriptcache_free(c);
}

/* Core's GetBlockScriptFlags on each chain. */
static void test_block_script_flags(void **state)
{
    (void)state;
    const struct chain_params *main = params_get(CHAIN_MAIN);
    const struct chain_params *test = params_get(CHAIN_TESTNET3);
    const struct chain_params *reg = params_get(CHAIN_REGTEST);
    const uint32_t always = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;
    struct hash256 h = {{0x42}};
    assert_int_equal(validation_script_flags(main, 300025, &h), always);
    assert_int_equal(validation_script_flags(main, 363725, &h), always | SCRIPT_VERIFY_DERSIG);
    assert_int_equal(validation_script_flags(main, 481824, &h), SCRIPT_MANDATORY_FLAGS);
    /* The two blocks Core exempts, by hash. */
    assert_int_equal(validation_script_flags(main, 170060, &main->bip16_exception),
                     SCRIPT_VERIFY_NONE);
    assert_int_equal(validation_script_flags(main, 692261, &main->taproot_exception),
                     SCRIPT_MANDATORY_FLAGS & ~SCRIPT_VERIFY_TAPROOT);
    assert_int_equal(validation_script_flags(test, 928828, &h),
                     SCRIPT_MANDATORY_FLAGS);
    assert_int_equal(validation_script_flags(test, 1, &test->bip16_exception), 0);
    /* Regtest: segwit from genesis, the others from height 1. */
    assert_int_equal(validation_script_flags(reg, 0, &h), always | SCRIPT_VERIFY_NULLDUMMY);
    assert_int_equal(validation_script_flags(reg, 1, &h), SCRIPT_MANDATORY_FLAGS);
    assert_true(hash_is_zero(&reg->assumevalid));
    assert_false(hash_is_zero(&main->assumevalid));
}

/* A real block as scriptcheck_run takes it: transactions and per-transaction
 * spent outputs, the coinbase left out. */
struct real_block {
    struct blockcoins *bc;
    const struct tx **txs;
    const struct tx_out **spent;
    size_t n;
    struct sighash_txdata *txdata;
};

/* Runs the block's checks over freshly set txdata, so a spent output
 * changed since the last run is hashed anew. */
static bool real_run(struct real_block *r, const struct scriptcheck_env *env, uint32_t flags,
                     unsigned caching, struct scriptcheck_failure *f)
{
    for (size_t t = 0; t < r->n; t++)
        r->txdata[t] = (struct sighash_txdata){.tx = r->txs[t], .spent = r->spent[t]};
    return scriptcheck_run(env, r->txdata, r->n, flags, caching, f);
}

static void real_load(struct real_block *r, const char *name)
{
    const char *src = getenv("HEARSAY_SRCDIR");
    char bpath[1024], upath[1024];
    char *err = NULL;
    snprintf(bpath, sizeof(bpath), "%s/tests/data/blocks/%s.raw", src ? src : ".", name);
    snprintf(upath, sizeof(upath), "%s/tests/data/blocks/%s-undo.raw", src ? src : ".", name);
    r->bc = blockcoins_load(bpath, upath, &err);
    if (!r->bc)
        fail_msg("%s", err);
    const struct block *b = r->bc->block;
    r->n = b->tx_count - 1;
    r->txs = calloc(r->n, sizeof(*r->txs));
    r->spent = calloc(r->n, sizeof(*r->spent));
    r->txdata = calloc(r->n, sizeof(*r->txdata));
    size_t k = 0;
    for (size_t t = 1; t < b->tx_count; t++) {
        r->txs[t - 1] = b->txs[t];
        r->spent[t - 1] = &r->bc->spent[k];
        k += b->txs[t]->vin_count;
    }
}

static void real_free(struct real_block *r)
{
    blockcoins_free(r->bc);
    free(r->txs);
    free(r->spent);
    free(r->txdata);
}

static void check_real_block(const char *name, const struct chain_params *p)
{
    struct real_block r;
    real_load(&r, name);
    uint32_t flags = validation_script_flags(p, (int)r.bc->height, &r.bc->block->hash);
    struct scriptcheck_failure f;
    for (int threads = 1; threads <= 4; threads *= 2) {
        struct scriptcheck_env env = {checkqueue_new(threads), NULL, NULL};
        assert_true(real_run(&r, &env, flags, 0, &f));
        /* The hashes are left filled for a later run over the same data. */
        assert_true(r.txdata[0].bip143_ready && r.txdata[r.n - 1].bip341_ready);
        assert_true(scriptcheck_run(&env, r.txdata, r.n, flags, 0, &f));
        /* Two inputs made to fail (the spent script becomes OP_FALSE): the
         * earlier one is reported, however the threads raced. */
        static const uint8_t op_false[] = {0x00};
        struct tx_out *early = (struct tx_out *)&r.spent[r.n / 3][0];
        struct tx_out *late = (struct tx_out *)&r.spent[r.n - 1][0];
        struct tx_out save_early = *early, save_late = *late;
        *late = (struct tx_out){late->value, op_false, 1};
        assert_false(real_run(&r, &env, flags, 0, &f));
        assert_int_equal(f.tx, r.n - 1);
        assert_int_equal(f.in, 0);
        *early = (struct tx_out){early->value, op_false, 1};
        for (int round = 0; round < 5; round++) {
            assert_false(real_run(&r, &env, flags, 0, &f));
            assert_int_equal(f.tx, r.n / 3);
            assert_int_equal(f.in, 0);
            assert_int_equal(f.err, SCRIPT_ERR_EVAL_FALSE);
        }
        assert_string_equal(scriptcheck_block_reason(f.err),
                            "block-script-verify-flag-failed (Script evaluated without error "
                            "but finished with a false/empty top stack element)");
        *early = save_early;
        *late = save_late;
        checkqueue_free(env.queue);
    }
    real_free(&r);
}

static void test_real_blocks(void **state)
{
    (void)state;
    check_real_block("block300025", params_get(CHAIN_MAIN));
    check_real_block("block928828", params_get(CHAIN_TESTNET3));
}

/* Transactions the mempool verified are skipped when their block
 * connects, and leave the cache; with other flags they are checked. */
static void test_execution_cache(void **state)
{
    (void)state;
    struct real_block r;
    real_load(&r, "block928828");
    uint32_t flags = validation_script_flags(params_get(CHAIN_TESTNET3), 928828,
                                             &r.bc->block->hash);
    struct scriptcheck_env env = {NULL, NULL, scriptcache_new((size_t)1 << 20)};
    struct scriptcheck_failure f;
    /* As the mempool stores: the whole block passes and is remembered. */
    assert_true(real_run(&r, &env, flags, SCRIPTCHECK_STORE_RESULT, &f));
    assert_int_equal(scriptcache_entries(env.cache), r.n);
    /* A broken input in a cached transaction is not looked at again. */
    static const uint8_t op_false[] = {0x00};
    struct tx_out *in0 = (struct tx_out *)&r.spent[0][0], save = *in0;
    *in0 = (struct tx_out){in0->value, op_false, 1};
    assert_false(real_run(&r, &env, flags | SCRIPT_VERIFY_LOW_S, 0, &f));
    assert_true(real_run(&r, &env, flags, SCRIPTCHECK_ERASE_HITS, &f));
    assert_int_equal(scriptcache_entries(env.cache), 0);
    /* Erased: the next connection verifies, and finds the fault. */
    assert_false(real_run(&r, &env, flags, SCRIPTCHECK_ERASE_HITS, &f));
    *in0 = save;
    scriptcache_free(env.cache);
    real_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkqueue_lowest_failure),
        cmocka_unit_test(test_checkqueue_threads_check),
        cmocka_unit_test(test_checkqueue_par),
        cmocka_unit_test(test_scriptcache),
        cmocka_unit_test(test_block_script_flags),
        cmocka_unit_test(test_real_blocks),
        cmocka_unit_test(test_execution_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
