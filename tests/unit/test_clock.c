/* The node clock: setmocktime freezes and moves both the unix and the
 * monotonic clock, and the monotonic one never runs backwards. A timer
 * re-armed "now" at the end of a long callback runs after the timers that
 * fell due during it. */
#include "node/clock.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <event2/event.h>
#include <time.h>

static void test_mock(void **state)
{
    (void)state;
    int64_t wall = (int64_t)time(NULL);
    assert_int_equal(node_mocktime(), 0);
    assert_true(node_now() >= wall && node_now() <= wall + 5);
    node_set_mocktime(wall + 1000);
    assert_int_equal(node_now(), wall + 1000);
    int64_t m0 = node_now_mono_us();
    assert_int_equal(node_now_mono_us(), m0); /* frozen */
    node_set_mocktime(wall + 1010);
    assert_int_equal(node_now_mono_us(), m0 + 10 * 1000000LL);
    node_set_mocktime(wall + 1005); /* backwards: the monotonic clock holds */
    assert_int_equal(node_now(), wall + 1005);
    assert_int_equal(node_now_mono_us(), m0 + 10 * 1000000LL);
    node_set_mocktime(0);
    assert_int_equal(node_mocktime(), 0);
    assert_true(node_now() < wall + 100);
    assert_true(node_now_mono_us() >= m0 + 10 * 1000000LL); /* still not backwards */
}

struct turns {
    struct event *busy, *tick;
    char order[8];
    int n;
};

/* A 20 ms callback re-arming itself at once, as an activation step does. */
static void busy_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turns *t = arg;
    (void)fd;
    (void)what;
    t->order[t->n++] = 'b';
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 20000000L);
    if (t->n < 3)
        node_timer_add(t->busy, 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct turns *t = arg;
    (void)fd;
    (void)what;
    t->order[t->n++] = 't';
}

static void test_timer_after_long_callback(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct turns t = {0};
    t.busy = evtimer_new(base, busy_cb, &t);
    t.tick = evtimer_new(base, tick_cb, &t);
    struct timeval ten_ms = {0, 10000};
    evtimer_add(t.tick, &ten_ms); /* due during the first busy run */
    node_timer_add(t.busy, 0);
    event_base_dispatch(base);
    assert_int_equal(t.n, 3);
    assert_memory_equal(t.order, "btb", 3);
    event_free(t.busy);
    event_free(t.tick);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock),
        cmocka_unit_test(test_timer_after_long_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
