#include "node/looplag_glue.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

struct looplag_timer {
    struct event *ev;
    struct looplag *l;
    int64_t due_us;
};

static void arm(struct looplag_timer *t)
{
    struct timeval tv = { 0, LOOPLAG_TICK_US };
    t->due_us = looplag_now(t->l) + LOOPLAG_TICK_US;
    evtimer_add(t->ev, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct looplag_timer *t = arg;
    (void)fd;
    (void)what;
    looplag_tick(t->l, t->due_us);
    arm(t);
}

static int looplag_start(struct node *node, char **err)
{
    struct looplag_timer *t = xcalloc(1, sizeof(*t));
    t->l = looplag_default();
    t->ev = evtimer_new(node->base, on_tick, t);
    if (!t->ev) {
        free(t);
        return err_set(err, "cannot create the event loop's pause timer");
    }
    node->looplag = t;
    arm(t);
    return 0;
}

static void looplag_stop(struct node *node)
{
    struct looplag_timer *t = node->looplag;
    if (!t)
        return;
    event_free(t->ev);
    free(t);
    node->looplag = NULL;
}

const struct node_subsystem looplag_subsystem = { "looplag", looplag_start, looplag_stop };

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

static json_t *sections_json(const struct looplag_stats *st)
{
    json_t *list = json_array();
    for (size_t i = 0; i < st->n_sections; i++) {
        const struct looplag_section_stats *s = &st->sections[i];
        const char *cat = s->category ? log_category_name(s->category) : NULL;
        json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:f, s:f}", "name", s->name,
                                              "category", cat ? cat : "", "count",
                                              (json_int_t)s->count, "total_ms", ms(s->total_us),
                                              "max_ms", ms(s->max_us)));
    }
    return list;
}

json_t *looplag_stats_json(const struct looplag_stats *st)
{
    /* Pauses longer than each bound: the histogram read from the top. */
    json_t *over = json_object();
    uint64_t above = st->buckets[LOOPLAG_BUCKETS];
    for (int b = LOOPLAG_BUCKETS - 1; b >= 0; b--) {
        char key[24];
        snprintf(key, sizeof(key), "%lld", (long long)(looplag_bucket_us[b] / 1000));
        json_object_set_new(over, key, json_integer((json_int_t)above));
        above += st->buckets[b];
    }
    return json_pack("{s:f, s:I, s:f, s:f, s:s, s:o, s:o}", "tick_ms", ms(LOOPLAG_TICK_US),
                     "ticks", (json_int_t)st->ticks, "pause_total_ms", ms(st->total_us),
                     "pause_max_ms", ms(st->max_us), "pause_max_during", st->max_what,
                     "pauses_over_ms", over, "sections", sections_json(st));
}

static json_t *rpc_getlooplag(struct rpc_request *req)
{
    (void)req;
    struct looplag_stats st;
    looplag_stats(looplag_default(), &st);
    return looplag_stats_json(&st);
}

static const struct rpc_method looplag_methods[] = {
    { "getlooplag", "hidden", rpc_getlooplag,
      "Returns the event loop's pauses since start: how late a 10 ms timer fired (the longest "
      "pause, what ran during it, counts of pauses over each bound) and the time spent in each "
      "timed section of heavy work.",
      { { 0 } } },
};

const struct rpc_method_set looplag_rpc_methods = RPC_METHOD_SET(looplag_methods);
