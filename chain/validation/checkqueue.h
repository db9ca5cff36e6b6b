/* A pool of worker threads for a block's input checks (Bitcoin Core's
 * CCheckQueue): the caller hands over n independent checks and waits
 * until all are done, or goes on and collects the result later.
 *
 * Checks must be pure over data that stays unchanged until checkqueue_run
 * returns; the queue itself takes no other locks, so the caller's thread
 * (the event loop) stays the only one touching everything else. */
#ifndef HEARSAY_CHAIN_CHECKQUEUE_H
#define HEARSAY_CHAIN_CHECKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

/* Core's -par limits: at most 15 script threads besides the caller. */
#define CHECKQUEUE_MAX_THREADS 15

struct checkqueue;

/* Resolves -par as Core: 0 means one thread per core, a negative value
 * leaves that many cores free, at least 1 and at most MAX_THREADS + 1.
 * The result is the number of threads that check (1: the caller alone). */
int checkqueue_par(int par);

/* A queue with threads workers: the threads that check (-par counts the
 * threads that check, and the caller does not once it woke them). NULL
 * when a thread cannot be started. */
struct checkqueue *checkqueue_new(int threads);
void checkqueue_free(struct checkqueue *q); /* accepts NULL */
int checkqueue_threads(const struct checkqueue *q); /* the workers */

/* A check: true when item i passes. */
typedef bool (*checkqueue_fn)(void *ctx, size_t i);

/* Runs check(ctx, i) for every i below n and returns n when all pass, or
 * the LOWEST failing index, whichever thread found it (so reports do not
 * depend on scheduling). Items after a known failure are skipped. The
 * workers take the items, or the caller alone when they are too few to be
 * worth waking anyone. */
size_t checkqueue_run(struct checkqueue *q, size_t n, checkqueue_fn check, void *ctx);

/* The same run without holding the caller: the workers alone take the
 * items (q must have at least one), and the last of them to finish calls
 * done(done_ctx) on its own thread. One run at a time: nothing else may
 * use q until checkqueue_wait returned. The data must stay unchanged
 * until then. */
typedef void (*checkqueue_done_fn)(void *done_ctx);
void checkqueue_start(struct checkqueue *q, size_t n, checkqueue_fn check, void *ctx,
                      checkqueue_done_fn done, void *done_ctx);
/* Whether the started run is over (checkqueue_wait then returns at once). */
bool checkqueue_ready(struct checkqueue *q);
/* Waits for the workers and returns what checkqueue_run would. */
size_t checkqueue_wait(struct checkqueue *q);

#endif
