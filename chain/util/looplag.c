#include "chain/util/looplag.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const int64_t looplag_bucket_us[LOOPLAG_BUCKETS] = {
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

/* The slowest section that ended since the previous tick. */
struct blame {
    const char *name;
    uint32_t category;
    int64_t us;
};

struct looplag {
    int64_t (*now_us)(void);
    struct looplag_stats st;
    struct looplag_mark *open; /* innermost running section */
    struct blame outer, inner; /* outermost and nested sections */
    /* Outermost sections since the previous tick: one callback may run
     * many short ones back to back. */
    uint64_t n_outer;
    int64_t outer_us;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct looplag *looplag_new(int64_t (*now_us)(void))
{
    struct looplag *l = xcalloc(1, sizeof(*l));
    l->now_us = now_us ? now_us : mono_us;
    return l;
}

void looplag_free(struct looplag *l)
{
    free(l);
}

struct looplag *looplag_default(void)
{
    static struct looplag *l;
    if (!l)
        l = looplag_new(NULL);
    return l;
}

int64_t looplag_now(const struct looplag *l)
{
    return l->now_us();
}

static const char *category_name(uint32_t c)
{
    const char *n = c ? log_category_name(c) : NULL;
    return n ? n : "loop";
}

/* "validation/block 500 ms, inside it blockstorage/utxo flush 450 ms" */
static void describe(const struct looplag *l, char *out, size_t cap)
{
    out[0] = 0;
    if (!l->outer.name)
        return;
    int n = snprintf(out, cap, "%s/%s %lld ms", category_name(l->outer.category), l->outer.name,
                     (long long)(l->outer.us / 1000));
    if (l->n_outer > 1 && n > 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, " (slowest of %llu, %lld ms in all)",
                      (unsigned long long)l->n_outer, (long long)(l->outer_us / 1000));
    if (l->inner.name && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, ", inside it %s/%s %lld ms",
                 category_name(l->inner.category), l->inner.name,
                 (long long)(l->inner.us / 1000));
}

int64_t looplag_tick(struct looplag *l, int64_t due_us)
{
    int64_t pause = l->now_us() - due_us;
    if (pause < 0)
        pause = 0;
    struct looplag_stats *st = &l->st;
    st->ticks++;
    st->total_us += pause;
    size_t b = 0;
    while (b < LOOPLAG_BUCKETS && pause > looplag_bucket_us[b])
        b++;
    st->buckets[b]++;
    char what[LOOPLAG_WHAT_LEN];
    describe(l, what, sizeof(what));
    if (pause > st->max_us) {
        st->max_us = pause;
        memcpy(st->max_what, what, sizeof(what));
    }
    if (pause >= LOOPLAG_LOG_US)
        LOG_INFO("Event loop paused %lld ms (%s)", (long long)(pause / 1000),
                 what[0] ? what : "no timed section ran");
    memset(&l->outer, 0, sizeof(l->outer));
    memset(&l->inner, 0, sizeof(l->inner));
    l->n_outer = 0;
    l->outer_us = 0;
    return pause;
}

void looplag_enter(struct looplag *l, struct looplag_mark *m, uint32_t category,
                   const char *name)
{
    m->l = l;
    m->name = name;
    m->category = category;
    m->outer = l->open;
    l->open = m;
    m->start_us = l->now_us();
}

static struct looplag_section_stats *section(struct looplag *l, const struct looplag_mark *m)
{
    struct looplag_stats *st = &l->st;
    for (size_t i = 0; i < st->n_sections; i++)
        if (!strcmp(st->sections[i].name, m->name))
            return &st->sections[i];
    if (st->n_sections == LOOPLAG_MAX_SECTIONS)
        return NULL;
    struct looplag_section_stats *s = &st->sections[st->n_sections++];
    s->name = m->name;
    s->category = m->category;
    return s;
}

int64_t looplag_leave(struct looplag_mark *m)
{
    struct looplag *l = m->l;
    int64_t us = l->now_us() - m->start_us;
    l->open = m->outer;
    struct looplag_section_stats *s = section(l, m);
    if (s) {
        s->count++;
        s->total_us += us;
        if (us > s->max_us)
            s->max_us = us;
    }
    if (!m->outer) {
        l->n_outer++;
        l->outer_us += us;
    }
    struct blame *bl = m->outer ? &l->inner : &l->outer;
    if (us >= bl->us)
        *bl = (struct blame){ m->name, m->category, us };
    return us;
}

void looplag_stats(const struct looplag *l, struct looplag_stats *out)
{
    *out = l->st;
}
