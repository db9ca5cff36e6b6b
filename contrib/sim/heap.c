#include "contrib/sim/heap.h"

#include <stdlib.h>
#include <string.h>

#include "chain/util/xmalloc.h"

void sim_heap_init(struct sim_heap *h)
{
    memset(h, 0, sizeof(*h));
}

void sim_heap_clear(struct sim_heap *h)
{
    free(h->ev);
    for (int i = 0; i < SIM_HEAP_LANES; i++)
        free(h->lane[i].ev);
    sim_heap_init(h);
}

static inline bool before(const struct sim_event *a, const struct sim_event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_insert(struct sim_heap *h, struct sim_event ev)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->ev = xreallocarray(h->ev, h->cap, sizeof(*h->ev));
    }
    size_t i = h->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &h->ev[parent]))
            break;
        h->ev[i] = h->ev[parent];
        i = parent;
    }
    h->ev[i] = ev;
}

static void heap_remove_top(struct sim_heap *h)
{
    struct sim_event last = h->ev[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h->ev[c + 1], &h->ev[c]))
            c++;
        if (!before(&h->ev[c], &last))
            break;
        h->ev[i] = h->ev[c];
        i = c;
    }
    if (n > 0)
        h->ev[i] = last;
}

/* The lane holding events of exactly this time, or a free one; NULL if
 * every lane serves another time. */
static struct sim_lane *lane_for(struct sim_heap *h, uint64_t at)
{
    struct sim_lane *free_lane = NULL;
    for (int i = 0; i < SIM_HEAP_LANES; i++) {
        struct sim_lane *l = &h->lane[i];
        if (l->head < l->len) {
            if (l->ev[l->head].at == at)
                return l;
        } else if (!free_lane) {
            free_lane = l;
        }
    }
    if (free_lane)
        free_lane->head = free_lane->len = 0;
    return free_lane;
}

void sim_heap_push(struct sim_heap *h, struct sim_event ev)
{
    ev.seq = h->next_seq++;
    struct sim_lane *l = lane_for(h, ev.at);
    if (!l) {
        heap_insert(h, ev);
        return;
    }
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ev = xreallocarray(l->ev, l->cap, sizeof(*l->ev));
    }
    l->ev[l->len++] = ev;
}

bool sim_heap_pop(struct sim_heap *h, struct sim_event *out)
{
    const struct sim_event *best = h->len ? &h->ev[0] : NULL;
    struct sim_lane *from = NULL;
    for (int i = 0; i < SIM_HEAP_LANES; i++) {
        struct sim_lane *l = &h->lane[i];
        if (l->head < l->len && (!best || before(&l->ev[l->head], best))) {
            best = &l->ev[l->head];
            from = l;
        }
    }
    if (!best)
        return false;
    *out = *best;
    if (from)
        from->head++;
    else
        heap_remove_top(h);
    return true;
}

size_t sim_heap_memory(const struct sim_heap *h)
{
    size_t m = h->cap * sizeof(*h->ev);
    for (int i = 0; i < SIM_HEAP_LANES; i++)
        m += h->lane[i].cap * sizeof(*h->lane[i].ev);
    return m;
}
