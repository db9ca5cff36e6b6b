/* Event-loop pause accounting.
 *
 * Everything the node does runs on one event loop, so a callback that
 * takes 2 s freezes every peer and RPC client for 2 s. Two kinds of
 * figures find such pauses:
 *
 * - ticks: the node arms a short timer again and again and reports how
 *   late each one fired (looplag_tick). Lateness is the pause the loop
 *   just had, whatever caused it; they go into a histogram with the
 *   longest one and what ran during it.
 * - sections: known heavy work (a block's connection, a UTXO flush, a
 *   store write) is bracketed with looplag_enter / looplag_leave, which
 *   time it per section name. The slowest section since the previous tick
 *   (with the slowest one nested in a section, and how many ran in all) is
 *   what a late tick blames.
 *
 * It lives in chain/ so the chain code can mark its sections; the timer
 * itself is the daemon's (node/looplag_glue.c). One monitor per process
 * (looplag_default), used from the loop's thread only: no locks. */
#ifndef HEARSAY_CHAIN_LOOPLAG_H
#define HEARSAY_CHAIN_LOOPLAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bounds of the pause histogram's buckets, in microseconds; a
 * last, unbounded bucket follows. */
#define LOOPLAG_BUCKETS 9
extern const int64_t looplag_bucket_us[LOOPLAG_BUCKETS];

/* Pauses at least this long are logged. */
#define LOOPLAG_LOG_US 100000
#define LOOPLAG_MAX_SECTIONS 16
#define LOOPLAG_WHAT_LEN 128

struct looplag_section_stats {
    const char *name;   /* static string given to looplag_enter */
    uint32_t category;  /* a log category (chain/util/log.h) */
    uint64_t count;
    int64_t total_us;
    int64_t max_us;
};

struct looplag_stats {
    uint64_t ticks;
    int64_t total_us;                      /* sum of all pauses */
    int64_t max_us;                        /* longest pause */
    char max_what[LOOPLAG_WHAT_LEN];       /* what ran during it ("" if unknown) */
    uint64_t buckets[LOOPLAG_BUCKETS + 1]; /* per bucket, not cumulative */
    size_t n_sections;
    struct looplag_section_stats sections[LOOPLAG_MAX_SECTIONS];
};

struct looplag;

/* now_us: a monotonic clock in microseconds (NULL: CLOCK_MONOTONIC). */
struct looplag *looplag_new(int64_t (*now_us)(void));
void looplag_free(struct looplag *l); /* accepts NULL */
/* The process's monitor, created on first use. */
struct looplag *looplag_default(void);

int64_t looplag_now(const struct looplag *l);

/* A tick that was due at due_us fired now: records the pause (zero if it
 * was not late) and returns it. A pause of at least LOOPLAG_LOG_US is
 * logged with the slowest section since the previous tick. */
int64_t looplag_tick(struct looplag *l, int64_t due_us);

/* Brackets heavy work. Sections nest; mark lives on the caller's stack. */
struct looplag_mark {
    struct looplag *l;
    int64_t start_us;
    const char *name;
    uint32_t category;
    struct looplag_mark *outer;
};
void looplag_enter(struct looplag *l, struct looplag_mark *m, uint32_t category,
                   const char *name);
/* Returns the section's duration. */
int64_t looplag_leave(struct looplag_mark *m);

/* The figures so far. */
void looplag_stats(const struct looplag *l, struct looplag_stats *out);

#endif
