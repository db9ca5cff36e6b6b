#include "contrib/sim/heap.h"

#include <stdlib.h>
#include <string.h>

#include "contrib/sim/util.h"

void sim_heap_init(struct sim_heap *h)
{
    memset(h, 0, sizeof(*h));
}

void sim_heap_clear(struct sim_heap *h)
{
    free(h->ev);
    sim_heap_init(h);
}

static inline bool before(const struct sim_event *a, const struct sim_event *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void sim_heap_push(struct sim_heap *h, struct sim_event ev)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->ev = sim_xrealloc(h->ev, h->cap, sizeof(*h->ev));
    }
    ev.seq = h->next_seq++;
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

bool sim_heap_pop(struct sim_heap *h, struct sim_event *out)
{
    if (h->len == 0)
        return false;
    *out = h->ev[0];
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
    return true;
}
