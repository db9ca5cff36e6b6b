/* Growable arrays for the relay core: one helper instead of a realloc
 * dance at every append site. Capacities are uint32_t to keep the
 * per-rumor and per-peer structs small (a million simulated nodes). */
#ifndef HEARSAY_NET_VEC_H
#define HEARSAY_NET_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "chain/util/xmalloc.h"

/* Ensures *v has room for n + 1 elements of elem bytes (doubling, from
 * `first`); false (nothing changed) if memory or the uint32 range runs out. */
static inline bool vec_reserve(void **v, uint32_t *cap, uint32_t n, size_t elem, uint32_t first)
{
    if (n < *cap)
        return true;
    if (*cap > UINT32_MAX / 2)
        return false;
    uint32_t c = *cap ? 2 * *cap : first;
    void *p = xrealloc(*v, (size_t)c * elem);
    *v = p;
    *cap = c;
    return true;
}

#endif
