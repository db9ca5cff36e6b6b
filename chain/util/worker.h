/* One background thread that runs jobs in the order they were handed to
 * it, for slow work (a large database write) that must not hold up the
 * event loop. The handoff is a mutex-protected queue taken only when a job
 * is submitted or waited for, never on the loop's hot path. A job must
 * not touch what the submitting thread may change meanwhile. */
#ifndef HEARSAY_CHAIN_WORKER_H
#define HEARSAY_CHAIN_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct worker;

typedef void (*worker_fn)(void *arg);

/* Names thread t as top -H and ps -L show it, Core's way ("b-scriptch.0"):
 * Linux keeps at most 15 characters, the rest is cut. Elsewhere, nothing. */
void worker_name_thread(pthread_t t, const char *name);

/* A thread named name; NULL if it cannot be started. */
struct worker *worker_new(const char *name);
/* Runs the jobs still queued, then stops the thread; accepts NULL. */
void worker_free(struct worker *w);

void worker_submit(struct worker *w, worker_fn fn, void *arg);
/* Whether every job submitted so far has finished (their effects are then
 * visible to the caller). */
bool worker_idle(struct worker *w);
/* Waits until it is. */
void worker_wait(struct worker *w);

#endif
