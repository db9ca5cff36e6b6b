/* The background worker: jobs run in order on another thread, waits see
 * their effects, and freeing runs what is still queued; its thread has
 * the name given, as top -H shows it (cut to Linux's 15 characters). */
#define _GNU_SOURCE /* gettid */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/worker.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    struct worker *w = worker_new("test-worker");
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
    struct worker *w = worker_new("test-worker");
    for (int i = 0; i < 5; i++) {
        steps[i] = (struct step){ &r, 10 + i };
        worker_submit(w, slow_step, &steps[i]);
    }
    worker_free(w);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.order[4], 14);
    worker_free(NULL);
}

static void record_tid(void *arg)
{
    *(pid_t *)arg = gettid();
}

/* The name of w's thread, read where ps and top read it. */
static void thread_comm(struct worker *w, char *out, size_t cap)
{
    pid_t tid = 0;
    worker_submit(w, record_tid, &tid);
    worker_wait(w);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, (int)cap, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

static void test_thread_name(void **state)
{
    (void)state;
    char comm[32];
    struct worker *w = worker_new("b-utxoread");
    thread_comm(w, comm, sizeof(comm));
    assert_string_equal(comm, "b-utxoread");
    worker_free(w);
    w = worker_new("b-a-name-too-long-for-linux");
    thread_comm(w, comm, sizeof(comm));
    assert_string_equal(comm, "b-a-name-too-lo");
    worker_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_wait),
        cmocka_unit_test(test_free_runs_queued),
        cmocka_unit_test(test_thread_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
