#define _GNU_SOURCE /* pthread_setname_np */
#include "chain/util/worker.h"

#include "chain/util/xmalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    worker_fn fn;
    void *arg;
    struct job *next;
};

struct worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* a job came, or stop */
    pthread_cond_t done; /* the queue ran empty */
    struct job *head, *tail;
    bool running; /* a job is being run */
    bool stop;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->wake, &w->mu);
        if (!w->head)
            break;
        struct job *j = w->head;
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        w->running = true;
        pthread_mutex_unlock(&w->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&w->mu);
        w->running = false;
        if (!w->head)
            pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

void worker_name_thread(pthread_t t, const char *name)
{
#ifdef __linux__
    char cut[16]; /* the kernel's TASK_COMM_LEN: a longer name is refused */
    snprintf(cut, sizeof(cut), "%s", name);
    pthread_setname_np(t, cut);
#else
    (void)t;
    (void)name;
#endif
}

struct worker *worker_new(const char *name)
{
    struct worker *w = xcalloc(1, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    worker_name_thread(w->thread, name);
    return w;
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void worker_submit(struct worker *w, worker_fn fn, void *arg)
{
    struct job *j = xmalloc(sizeof(*j));
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

bool worker_idle(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool idle = !w->head && !w->running;
    pthread_mutex_unlock(&w->mu);
    return idle;
}

void worker_wait(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->head || w->running)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}
