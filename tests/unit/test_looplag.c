/* The event loop's pause accounting: ticks into the histogram, the
 * longest pause and what ran during it, nested sections, the log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/log.h"
#include "chain/util/looplag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

/* A tick due at `due` that fires `late` microseconds after it. */
static int64_t tick_late(struct looplag *l, int64_t late)
{
    int64_t due = fake_now;
    fake_now += late;
    return looplag_tick(l, due);
}

static void test_histogram_and_max(void **state)
{
    (void)state;
    fake_now = 1000000;
    struct looplag *l = looplag_new(fake_clock);
    assert_int_equal(tick_late(l, 300), 300);
    assert_int_equal(tick_late(l, 10000), 10000);   /* on the first bound: first bucket */
    assert_int_equal(tick_late(l, 10001), 10001);   /* just above it */
    assert_int_equal(tick_late(l, 180000), 180000); /* between 100 and 250 ms */
    assert_int_equal(tick_late(l, 9000000), 9000000); /* beyond every bound */
    /* A tick that fires early is no pause. */
    fake_now -= 50;
    assert_int_equal(looplag_tick(l, fake_now + 100), 0);
    struct looplag_stats st;
    looplag_stats(l, &st);
    assert_int_equal(st.ticks, 6);
    assert_int_equal(st.total_us, 300 + 10000 + 10001 + 180000 + 9000000);
    assert_int_equal(st.max_us, 9000000);
    assert_string_equal(st.max_what, "");
    assert_int_equal(st.buckets[0], 3); /* 300, 10000 and 0 */
    assert_int_equal(st.buckets[1], 1); /* 10001 */
    assert_int_equal(st.buckets[4], 1); /* 180000 */
    assert_int_equal(st.buckets[LOOPLAG_BUCKETS], 1);
    uint64_t sum = 0;
    for (int b = 0; b <= LOOPLAG_BUCKETS; b++)
        sum += st.buckets[b];
    assert_int_equal(sum, st.ticks);
    looplag_free(l);
}

static void test_sections_and_blame(void **state)
{
    (void)state;
    fake_now = 0;
    struct looplag *l = looplag_new(fake_clock);
    struct looplag_mark block, flush, small;
    int64_t due = fake_now;
    looplag_enter(l, &block, LOG_VALIDATION, "block");
    fake_now += 20000;
    looplag_enter(l, &small, LOG_BLOCKSTORAGE, "store write");
    fake_now += 5000;
    assert_int_equal(looplag_leave(&small), 5000);
    looplag_enter(l, &flush, LOG_BLOCKSTORAGE, "utxo flush");
    fake_now += 450000;
    assert_int_equal(looplag_leave(&flush), 450000);
    fake_now += 25000;
    assert_int_equal(looplag_leave(&block), 500000);
    assert_int_equal(looplag_tick(l, due), 500000);
    struct looplag_stats st;
    looplag_stats(l, &st);
    assert_int_equal(st.max_us, 500000);
    assert_string_equal(st.max_what,
                        "validation/block 500 ms, inside it blockstorage/utxo flush 450 ms");
    assert_int_equal(st.n_sections, 3);
    assert_string_equal(st.sections[0].name, "store write");
    assert_string_equal(st.sections[1].name, "utxo flush");
    assert_int_equal(st.sections[1].category, LOG_BLOCKSTORAGE);
    assert_string_equal(st.sections[2].name, "block");
    assert_int_equal(st.sections[2].max_us, 500000);

    /* The blame is per tick: the next tick's pause has nothing timed. */
    due = fake_now;
    fake_now += 1000;
    looplag_enter(l, &block, LOG_VALIDATION, "block");
    fake_now += 200;
    looplag_leave(&block);
    assert_int_equal(looplag_tick(l, due), 1200);
    fake_now += 600000;
    assert_int_equal(looplag_tick(l, fake_now - 600000), 600000);
    looplag_stats(l, &st);
    assert_int_equal(st.max_us, 600000);
    assert_string_equal(st.max_what, "");
    assert_int_equal(st.sections[2].count, 2);
    assert_int_equal(st.sections[2].total_us, 500200);
    assert_int_equal(st.sections[2].max_us, 500000);
    looplag_free(l);
}

/* More names than the table holds: the extra ones are still blamed. */
static void test_section_table_full(void **state)
{
    (void)state;
    static const char *names[LOOPLAG_MAX_SECTIONS + 1] = {
        "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
        "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16",
    };
    fake_now = 0;
    struct looplag *l = looplag_new(fake_clock);
    for (int i = 0; i <= LOOPLAG_MAX_SECTIONS; i++) {
        struct looplag_mark m;
        looplag_enter(l, &m, LOG_NONE, names[i]);
        fake_now += 1000 * (i + 1);
        looplag_leave(&m);
    }
    assert_int_equal(looplag_tick(l, 0), fake_now);
    struct looplag_stats st;
    looplag_stats(l, &st);
    assert_int_equal(st.n_sections, LOOPLAG_MAX_SECTIONS);
    assert_string_equal(st.max_what, "loop/s16 17 ms (slowest of 17, 153 ms in all)");
    looplag_free(l);
}

/* A pause of 100 ms or more is logged with what ran; shorter ones not. */
static void test_log_line(void **state)
{
    (void)state;
    char path[] = "/tmp/test_looplag_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *err = NULL;
    assert_int_equal(log_open_file(path, &err), 0);
    fake_now = 0;
    struct looplag *l = looplag_new(fake_clock);
    struct looplag_mark m;
    tick_late(l, LOOPLAG_LOG_US - 1);
    looplag_enter(l, &m, LOG_RPC, "rpc request");
    fake_now += 130000;
    looplag_leave(&m);
    looplag_tick(l, 0);
    log_close();
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = 0;
    fclose(f);
    unlink(path);
    assert_non_null(strstr(text, "Event loop paused 229 ms (rpc/rpc request 130 ms)"));
    assert_null(strstr(text, "paused 99 ms"));
    looplag_free(l);
}

static void test_default_is_one(void **state)
{
    (void)state;
    assert_ptr_equal(looplag_default(), looplag_default());
    assert_true(looplag_now(looplag_default()) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_and_max),
        cmocka_unit_test(test_sections_and_blame),
        cmocka_unit_test(test_section_table_full),
        cmocka_unit_test(test_log_line),
        cmocka_unit_test(test_default_is_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
