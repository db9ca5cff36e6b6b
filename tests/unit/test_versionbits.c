/* BIP9 state machine: the scenarios of Bitcoin Core's versionbits_tests
 * (period 1000, threshold 900, bit 8, start TestTime(10000), timeout
 * TestTime(20000), and a twin with min_activation_height 15000), the
 * statistics and signalling string, block versions on regtest and
 * -vbparams parsing. */
#include "chain/validation/versionbits.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Core's TestTime: block times in the tests, as offsets from here. */
static int64_t test_time(int64_t x)
{
    return 1415926536 + x;
}

struct tester {
    struct bindex *bi;
    struct bindex_node *tip;
    struct versionbits_rule rule, delayed;
    struct versionbits_cache *cache, *cache_delayed;
};

static void tester_reset(struct tester *t)
{
    bindex_free(t->bi);
    versionbits_cache_free(t->cache);
    versionbits_cache_free(t->cache_delayed);
    t->bi = bindex_new();
    t->tip = NULL;
    t->rule = (struct versionbits_rule){ 8, test_time(10000), test_time(20000), 0, 1000, 900 };
    t->delayed = t->rule;
    t->delayed.min_activation_height = 15000;
    t->cache = versionbits_cache_new();
    t->cache_delayed = versionbits_cache_new();
}

/* Core's Mine: blocks until the chain has height blocks, all with this
 * time and version. */
static void mine(struct tester *t, int height, int64_t time, int32_t version)
{
    while ((t->tip ? t->tip->height + 1 : 0) < height) {
        struct block_header h = { .version = version, .time = (uint32_t)time,
                                  .bits = 0x207fffff };
        int next = t->tip ? t->tip->height + 1 : 0;
        if (t->tip)
            h.prev = t->tip->hash;
        struct hash256 hash;
        memset(&hash, 0, sizeof(hash));
        memcpy(hash.b, &next, sizeof(next));
        hash.b[31] = 0x42;
        t->tip = bindex_add(t->bi, &h, &hash);
        assert_non_null(t->tip);
    }
}

/* The state (and since height) of the block after the tip, for the plain
 * rule and the delayed twin. */
static void check(struct tester *t, enum versionbits_state s, int since,
                  enum versionbits_state s_delayed, int since_delayed)
{
    assert_int_equal(versionbits_state_for(&t->rule, t->cache, t->tip), s);
    assert_int_equal(versionbits_since_for(&t->rule, t->cache, t->tip), since);
    assert_int_equal(versionbits_state_for(&t->delayed, t->cache_delayed, t->tip), s_delayed);
    assert_int_equal(versionbits_since_for(&t->delayed, t->cache_delayed, t->tip),
                     since_delayed);
    /* A fresh cache computes the same. */
    struct versionbits_cache *fresh = versionbits_cache_new();
    assert_int_equal(versionbits_state_for(&t->rule, fresh, t->tip), s);
    versionbits_cache_free(fresh);
}

#define D VERSIONBITS_DEFINED
#define S VERSIONBITS_STARTED
#define L VERSIONBITS_LOCKED_IN
#define A VERSIONBITS_ACTIVE
#define F VERSIONBITS_FAILED

struct step {
    int height;
    int64_t time;
    int32_t version;
    enum versionbits_state s;
    int since;
    enum versionbits_state sd; /* the delayed twin */
    int since_d;
};

static void run(struct tester *t, const struct step *steps, size_t n)
{
    tester_reset(t);
    check(t, D, 0, D, 0);
    for (size_t i = 0; i < n; i++) {
        /* Core's test checker looks at bit 8 alone; ours wants the top bits too. */
        int32_t v = steps[i].version ? VERSIONBITS_TOP_BITS | steps[i].version : 0;
        mine(t, steps[i].height, steps[i].time, v);
        check(t, steps[i].s, steps[i].since, steps[i].sd, steps[i].since_d);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Core's scenarios; times are offsets for test_time. Start and timeout
 * reached together: STARTED first, then FAILED. */
static const struct step started_after_timeout[] = {
    { 1, 1, 0x100, D, 0, D, 0 },
    { 11, 11, 0x100, D, 0, D, 0 },
    { 989, 989, 0x100, D, 0, D, 0 },
    { 999, 20000, 0x100, D, 0, D, 0 },
    { 1000, 20000, 0, S, 1000, S, 1000 },
    { 1999, 30001, 0, S, 1000, S, 1000 },
    { 2000, 30002, 0x100, F, 2000, F, 2000 },
    { 2001, 30003, 0x100, F, 2000, F, 2000 },
    { 2999, 30004, 0x100, F, 2000, F, 2000 },
    { 3000, 30005, 0x100, F, 2000, F, 2000 },
    { 4000, 30006, 0x100, F, 2000, F, 2000 },
};

static const struct step started_fails[] = {
    { 1, 1, 0, D, 0, D, 0 },
    { 1000, 10000 - 1, 0x100, D, 0, D, 0 }, /* one second short of starting */
    { 2000, 10000, 0x100, S, 2000, S, 2000 },
    { 2051, 10010, 0, S, 2000, S, 2000 },     /* 51 blocks not signalling */
    { 2950, 10020, 0x100, S, 2000, S, 2000 }, /* 899 signalling */
    { 3000, 20000, 0, F, 3000, F, 3000 },     /* 899 of 1000: short by one */
    { 4000, 20010, 0x100, F, 3000, F, 3000 },
};

static const struct step locked_after_timeout[] = {
    { 1, 1, 0, D, 0, D, 0 },
    { 1000, 10000 - 1, 0x101, D, 0, D, 0 },
    { 2000, 10000, 0x101, S, 2000, S, 2000 },
    { 2999, 30000, 0x100, S, 2000, S, 2000 },
    { 3000, 30000, 0x100, L, 3000, L, 3000 }, /* the threshold wins over the timeout */
    { 3999, 30001, 0, L, 3000, L, 3000 },
    { 4000, 30002, 0, A, 4000, L, 3000 },
    { 14333, 30003, 0, A, 4000, L, 3000 },
    { 24000, 40000, 0, A, 4000, A, 15000 },
};

static const struct step locked_before_timeout[] = {
    { 1, 1, 0, D, 0, D, 0 },
    { 1000, 10000 - 1, 0x101, D, 0, D, 0 },
    { 2000, 10000, 0x101, S, 2000, S, 2000 },
    { 2050, 10010, 0x200, S, 2000, S, 2000 },  /* 50 blocks with another bit */
    { 2950, 10020, 0x100, S, 2000, S, 2000 },  /* 900 signalling */
    { 2999, 19999, 0x200, S, 2000, S, 2000 },
    { 3000, 29999, 0x200, L, 3000, L, 3000 },  /* 900 of 1000 */
    { 3999, 30001, 0, L, 3000, L, 3000 },
    { 4000, 30002, 0, A, 4000, L, 3000 },      /* delayed until height 15000 */
    { 14333, 30003, 0, A, 4000, L, 3000 },
    { 15000, 40000, 0, A, 4000, A, 15000 },
    { 24000, 40000, 0, A, 4000, A, 15000 },
};

static const struct step defined_many_periods[] = {
    { 999, 999, 0, D, 0, D, 0 },
    { 1000, 1000, 0, D, 0, D, 0 },
    { 2000, 2000, 0, D, 0, D, 0 },
    { 3000, 10000, 0, S, 3000, S, 3000 },
    { 4000, 10000, 0, S, 3000, S, 3000 },
    { 5000, 10000, 0, S, 3000, S, 3000 },
    { 5999, 20000, 0, S, 3000, S, 3000 },
    { 6000, 20000, 0, F, 6000, F, 6000 },
    { 7000, 20000, 0x100, F, 6000, F, 6000 },
};

static void run_offsets(const struct step *steps, size_t n)
{
    struct step *s = calloc(n, sizeof(*s));
    assert_non_null(s);
    memcpy(s, steps, n * sizeof(*s));
    for (size_t i = 0; i < n; i++)
        s[i].time = test_time(s[i].time);
    struct tester t = { 0 };
    run(&t, s, n);
    bindex_free(t.bi);
    versionbits_cache_free(t.cache);
    versionbits_cache_free(t.cache_delayed);
    free(s);
}

static void test_scenarios(void **state)
{
    (void)state;
    run_offsets(started_after_timeout, N(started_after_timeout));
    run_offsets(started_fails, N(started_fails));
    run_offsets(locked_after_timeout, N(locked_after_timeout));
    run_offsets(locked_before_timeout, N(locked_before_timeout));
    run_offsets(defined_many_periods, N(defined_many_periods));
}

/* ALWAYS_ACTIVE and NEVER_ACTIVE ignore the chain; both report since 0. */
static void test_always_never(void **state)
{
    (void)state;
    struct tester t = { 0 };
    tester_reset(&t);
    mine(&t, 3000, test_time(10000), 0x100);
    struct versionbits_rule always = t.rule, never = t.rule;
    always.start_time = PARAMS_VB_ALWAYS_ACTIVE;
    never.start_time = PARAMS_VB_NEVER_ACTIVE;
    assert_int_equal(versionbits_state_for(&always, t.cache, NULL), A);
    assert_int_equal(versionbits_state_for(&always, t.cache, t.tip), A);
    assert_int_equal(versionbits_since_for(&always, t.cache, t.tip), 0);
    assert_int_equal(versionbits_state_for(&never, t.cache, t.tip), F);
    assert_int_equal(versionbits_since_for(&never, t.cache, t.tip), 0);
    bindex_free(t.bi);
    versionbits_cache_free(t.cache);
    versionbits_cache_free(t.cache_delayed);
}

/* Core's GetStateStatisticsFor: counts from the start of the block's
 * period up to it; possible while the misses leave the threshold in reach. */
static void test_statistics(void **state)
{
    (void)state;
    struct tester t = { 0 };
    tester_reset(&t);
    struct versionbits_stats st;
    char sig[1001];
    versionbits_statistics(&t.rule, NULL, &st, sig);
    assert_int_equal(st.period, 1000);
    assert_int_equal(st.threshold, 900);
    assert_int_equal(st.elapsed, 0);
    assert_string_equal(sig, "");
    mine(&t, 1000, test_time(1), 0); /* heights 0..999: a whole period */
    mine(&t, 1003, test_time(2), VERSIONBITS_TOP_BITS | 0x100);
    mine(&t, 1004, test_time(2), 0x100); /* bit set, wrong top bits */
    mine(&t, 1005, test_time(2), VERSIONBITS_TOP_BITS | 0x100);
    versionbits_statistics(&t.rule, t.tip, &st, sig);
    assert_int_equal(st.elapsed, 5);
    assert_int_equal(st.count, 4);
    assert_true(st.possible);
    assert_string_equal(sig, "###-#");
    mine(&t, 1101, test_time(3), 0); /* 97 misses */
    versionbits_statistics(&t.rule, t.tip, &st, NULL);
    assert_int_equal(st.elapsed, 101);
    assert_int_equal(st.count, 4);
    assert_int_equal(st.possible, 1000 - 900 >= 101 - 4);
    mine(&t, 1104, test_time(3), 0); /* 100 misses: still possible; 101: not */
    versionbits_statistics(&t.rule, t.tip, &st, NULL);
    assert_true(st.possible);
    mine(&t, 1105, test_time(3), 0);
    versionbits_statistics(&t.rule, t.tip, &st, NULL);
    assert_false(st.possible);
    /* The last block of a period counts the whole period. */
    mine(&t, 2000, test_time(3), 0);
    versionbits_statistics(&t.rule, t.tip, &st, NULL);
    assert_int_equal(st.elapsed, 1000);
    assert_int_equal(st.count, 4);
    bindex_free(t.bi);
    versionbits_cache_free(t.cache);
    versionbits_cache_free(t.cache_delayed);
}

/* Regtest: testdummy (bit 28) signals from height 144 until active;
 * taproot is always active, so never signalled. */
static void test_regtest_block_version(void **state)
{
    (void)state;
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct versionbits *vb = versionbits_new(p);
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TAPROOT, NULL), A);
    assert_true(versionbits_enabled(vb, PARAMS_DEP_TESTDUMMY));
    struct tester t = { 0 };
    tester_reset(&t);
    mine(&t, 143, 1296688602, VERSIONBITS_TOP_BITS);
    assert_int_equal(versionbits_block_version(vb, t.tip), VERSIONBITS_TOP_BITS);
    mine(&t, 144, 1296688602, VERSIONBITS_TOP_BITS);
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TESTDUMMY, t.tip), S);
    assert_int_equal(versionbits_block_version(vb, t.tip), VERSIONBITS_TOP_BITS | (1 << 28));
    mine(&t, 288, 1296688602, VERSIONBITS_TOP_BITS | (1 << 28));
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TESTDUMMY, t.tip), L);
    assert_int_equal(versionbits_block_version(vb, t.tip), VERSIONBITS_TOP_BITS | (1 << 28));
    mine(&t, 432, 1296688602, VERSIONBITS_TOP_BITS);
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TESTDUMMY, t.tip), A);
    assert_int_equal(versionbits_since(vb, PARAMS_DEP_TESTDUMMY, t.tip), 432);
    assert_int_equal(versionbits_block_version(vb, t.tip), VERSIONBITS_TOP_BITS);
    /* Main: testdummy is never active, so not enabled. */
    struct versionbits *main_vb = versionbits_new(params_get(CHAIN_MAIN));
    assert_false(versionbits_enabled(main_vb, PARAMS_DEP_TESTDUMMY));
    assert_int_equal(versionbits_rule(main_vb, PARAMS_DEP_TAPROOT)->threshold, 1815);
    versionbits_free(main_vb);
    versionbits_free(vb);
    bindex_free(t.bi);
    versionbits_cache_free(t.cache);
    versionbits_cache_free(t.cache_delayed);
}

static void expect_override_error(struct versionbits *vb, const char *spec, const char *msg)
{
    char *err = NULL;
    assert_int_equal(versionbits_override(vb, spec, &err), -1);
    assert_non_null(err);
    assert_string_equal(err, msg);
    free(err);
}

static void test_override(void **state)
{
    (void)state;
    struct versionbits *vb = versionbits_new(params_get(CHAIN_REGTEST));
    const char *malformed = "Version bits parameters malformed, expecting "
                            "deployment:start:end[:min_activation_height]";
    expect_override_error(vb, "testdummy:0", malformed);
    expect_override_error(vb, "testdummy:0:1:2:3", malformed);
    expect_override_error(vb, "testdummy:x:1", "Invalid nStartTime (x)");
    expect_override_error(vb, "testdummy::1", "Invalid nStartTime ()");
    expect_override_error(vb, "testdummy:0:9223372036854775808", "Invalid nTimeout (9223372036854775808)");
    expect_override_error(vb, "testdummy:0:1:2147483648", "Invalid min_activation_height (2147483648)");
    expect_override_error(vb, "segwit:0:1", "Invalid deployment (segwit)");
    char *err = NULL;
    assert_int_equal(versionbits_override(vb, "testdummy:-2:-1", &err), PARAMS_DEP_TESTDUMMY);
    assert_false(versionbits_enabled(vb, PARAMS_DEP_TESTDUMMY));
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TESTDUMMY, NULL), F);
    assert_int_equal(versionbits_override(vb, "taproot:100:200:300", &err), PARAMS_DEP_TAPROOT);
    const struct params_deployment *d = versionbits_deployment(vb, PARAMS_DEP_TAPROOT);
    assert_int_equal(d->start_time, 100);
    assert_int_equal(d->timeout, 200);
    assert_int_equal(d->min_activation_height, 300);
    assert_int_equal(versionbits_state(vb, PARAMS_DEP_TAPROOT, NULL), D);
    versionbits_free(vb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_always_never),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_regtest_block_version),
        cmocka_unit_test(test_override),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
