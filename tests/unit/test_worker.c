/* The background worker: jobs run in order on another thread, waits see
 * their effects, and freeing runs what is still queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/worker.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

struct record {
    pthread_t main;
    int order[64];
    int n;
    bool other_thread;
};

struct step {
    struct record *r;
    int id;
};

static void slow_step(void *arg)
{
    struct step *s = arg;
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    nanosleep(&ts, NULL); /* keeps the queue non-empty while jobs are added */
    s->r->order[s->r->n++] = s->id;
    s->r->other_thread = !pthread_equal(pthread_self(), s->r->main);
}

static void test_order_and_wait(void **state)
{
    (void)state;
    struct record r = { .main = pthread_self() };
    struct step steps[20];
    struct worker *w = worker_new();
    assert_non_null(w);
    assert_true(worker_idle(w));
    for (int i = 0; i < 20; i++) {
        steps[i] = (struct step){ &r, i };
        worker_submit(w, slow_step, &steps[i]);
    }
    assert_false(worker_idle(w)); /* 20 jobs of 2 ms cannot be done yet */
    worker_wait(w);
    assert_true(worker_idle(w));
    assert_int_equal(r.n, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(r.order[i], i);
    assert_true(r.other_thread);
    worker_free(w);
}

static void test_free_runs_queued(void **state)
{
    (void)state;
    struct record r = { .main = pthread_self() };
    struct step steps[5];
    struct worker *w = worker_new();
    for (int i = 0; i < 5; i++) {
        steps[i] = (struct step){ &r, 10 + i };
        worker_submit(w, slow_step, &steps[i]);
    }
    worker_free(w);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.order[4], 14);
    worker_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_wait),
        cmocka_unit_test(test_free_runs_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
