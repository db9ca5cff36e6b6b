#include "chain/validation/checkqueue.h"

#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Items claimed at a time: small enough to spread a block's inputs over
 * the workers, large enough that claiming costs little beside a
 * signature check. */
#define BATCH 16

struct checkqueue {
    int nworkers;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    uint64_t generation; /* bumped per run: workers wake on a new one */
    bool quit;
    int busy; /* workers still in the current run */
    /* A started run's wake-up, called once by the worker that ends it. */
    checkqueue_done_fn done_fn;
    void *done_ctx;
    /* The current run, read-only for its duration except the atomics. */
    size_t n;
    checkqueue_fn check;
    void *ctx;
    atomic_size_t next;   /* first unclaimed item */
    atomic_size_t failed; /* lowest failing item, n when none */
};

int checkqueue_par(int par)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    long t = par > 0 ? par : cores + par;
    if (t < 1)
        t = 1;
    if (t > CHECKQUEUE_MAX_THREADS + 1)
        t = CHECKQUEUE_MAX_THREADS + 1;
    return (int)t;
}

/* Lowers q->failed to i unless a lower failure is known. */
static void note_failure(struct checkqueue *q, size_t i)
{
    size_t cur = atomic_load(&q->failed);
    while (i < cur && !atomic_compare_exchange_weak(&q->failed, &cur, i))
        ;
}

static void work(struct checkqueue *q)
{
    for (;;) {
        size_t start = atomic_fetch_add(&q->next, BATCH);
        if (start >= q->n)
            return;
        size_t end = start + BATCH < q->n ? start + BATCH : q->n;
        for (size_t i = start; i < end; i++) {
            /* Only items below a known failure can change the answer. */
            if (i > atomic_load_explicit(&q->failed, memory_order_relaxed))
                return;
            if (!q->check(q->ctx, i))
                note_failure(q, i);
        }
    }
}

static void *worker_main(void *arg)
{
    struct checkqueue *q = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->quit && q->generation == seen)
            pthread_cond_wait(&q->start, &q->mu);
        if (q->quit)
            break;
        seen = q->generation;
        pthread_mutex_unlock(&q->mu);
        work(q);
        pthread_mutex_lock(&q->mu);
        if (--q->busy == 0) {
            pthread_cond_signal(&q->done);
            /* Under the lock: the owner cannot free what it names before
             * the call returns, as checkqueue_wait takes the lock too. */
            if (q->done_fn)
                q->done_fn(q->done_ctx);
            q->done_fn = NULL;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct checkqueue *checkqueue_new(int threads)
{
    struct checkqueue *q = xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->start, NULL);
    pthread_cond_init(&q->done, NULL);
    int want = threads > 0 ? threads : 0;
    q->workers = want ? xcalloc((size_t)want, sizeof(*q->workers)) : NULL;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&q->workers[i], NULL, worker_main, q) != 0) {
            checkqueue_free(q);
            return NULL;
        }
        q->nworkers++;
        char name[24]; /* Core's names; 16 threads fit in 15 characters */
        snprintf(name, sizeof(name), "b-scriptch.%d", i);
        worker_name_thread(q->workers[i], name);
    }
    return q;
}

void checkqueue_free(struct checkqueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->quit = true;
    pthread_cond_broadcast(&q->start);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nworkers; i++)
        pthread_join(q->workers[i], NULL);
    free(q->workers);
    pthread_cond_destroy(&q->start);
    pthread_cond_destroy(&q->done);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

int checkqueue_threads(const struct checkqueue *q)
{
    return q->nworkers;
}

/* Sets up a run and wakes the workers when worth it. */
static bool begin(struct checkqueue *q, size_t n, checkqueue_fn check, void *ctx, bool always,
                  checkqueue_done_fn done, void *done_ctx)
{
    q->n = n;
    q->check = check;
    q->ctx = ctx;
    atomic_store(&q->next, 0);
    atomic_store(&q->failed, n);
    /* Few items are not worth waking anyone. */
    bool wake = q->nworkers > 0 && (always || n > BATCH);
    if (wake) {
        pthread_mutex_lock(&q->mu);
        q->busy = q->nworkers;
        q->done_fn = done;
        q->done_ctx = done_ctx;
        q->generation++;
        pthread_cond_broadcast(&q->start);
        pthread_mutex_unlock(&q->mu);
    }
    return wake;
}

size_t checkqueue_wait(struct checkqueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->busy > 0)
        pthread_cond_wait(&q->done, &q->mu);
    q->done_fn = NULL;
    pthread_mutex_unlock(&q->mu);
    return atomic_load(&q->failed);
}

size_t checkqueue_run(struct checkqueue *q, size_t n, checkqueue_fn check, void *ctx)
{
    if (!begin(q, n, check, ctx, false, NULL, NULL)) {
        work(q);
        return atomic_load(&q->failed);
    }
    return checkqueue_wait(q);
}

void checkqueue_start(struct checkqueue *q, size_t n, checkqueue_fn check, void *ctx,
                      checkqueue_done_fn done, void *done_ctx)
{
    begin(q, n, check, ctx, true, done, done_ctx);
}

bool checkqueue_ready(struct checkqueue *q)
{
    pthread_mutex_lock(&q->mu);
    bool ready = q->busy == 0;
    pthread_mutex_unlock(&q->mu);
    return ready;
}
