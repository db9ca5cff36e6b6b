/* Open-addressing table; see hashtab.h. */
#include "net/relay/hashtab.h"

#include <stdlib.h>

#include "net/relay/prng.h"
#include "chain/util/xmalloc.h"

static size_t home_slot(const struct hashtab *t, uint64_t key)
{
    /* Keys from peers' ids are small integers: mix before masking. */
    return (size_t)(prng_mix64(key) & (t->cap - 1));
}

void hashtab_clear(struct hashtab *t)
{
    free(t->keys);
    free(t->items);
    t->keys = NULL;
    t->items = NULL;
    t->cap = 0;
    t->n = 0;
}

static size_t find_slot(const struct hashtab *t, uint64_t key, hashtab_match_fn match,
                        const void *arg)
{
    if (t->cap == 0)
        return SIZE_MAX;
    for (size_t i = home_slot(t, key);; i = (i + 1) & (t->cap - 1)) {
        if (!t->items[i])
            return SIZE_MAX;
        if (t->keys[i] == key && (!match || match(t->items[i], arg)))
            return i;
    }
}

void *hashtab_find(const struct hashtab *t, uint64_t key, hashtab_match_fn match,
                   const void *arg)
{
    size_t i = find_slot(t, key, match, arg);
    return i == SIZE_MAX ? NULL : t->items[i];
}

static void put(struct hashtab *t, uint64_t key, void *item)
{
    size_t i = home_slot(t, key);
    while (t->items[i])
        i = (i + 1) & (t->cap - 1);
    t->keys[i] = key;
    t->items[i] = item;
    t->n++;
}

static void grow(struct hashtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 8;
    struct hashtab nt = {
        .keys = xmalloc(cap * sizeof(uint64_t)),
        .items = xcalloc(cap, sizeof(void *)),
        .cap = cap,
    };
    for (size_t i = 0; i < t->cap; i++)
        if (t->items[i])
            put(&nt, t->keys[i], t->items[i]);
    hashtab_clear(t);
    *t = nt;
}

void hashtab_insert(struct hashtab *t, uint64_t key, void *item)
{
    if ((t->n + 1) * 4 > t->cap * 3)
        grow(t);
    put(t, key, item);
}

void *hashtab_remove(struct hashtab *t, uint64_t key, hashtab_match_fn match, const void *arg)
{
    size_t i = find_slot(t, key, match, arg);
    if (i == SIZE_MAX)
        return NULL;
    void *item = t->items[i];
    size_t mask = t->cap - 1;
    /* Backward shift: move later items of the run into the hole when their
     * home slot does not lie (cyclically) between the hole and them. */
    for (size_t j = (i + 1) & mask; t->items[j]; j = (j + 1) & mask) {
        size_t h = home_slot(t, t->keys[j]);
        bool between = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (between)
            continue;
        t->keys[i] = t->keys[j];
        t->items[i] = t->items[j];
        i = j;
    }
    t->items[i] = NULL;
    t->n--;
    if (t->n == 0)
        hashtab_clear(t);
    return item;
}

size_t hashtab_memory(const struct hashtab *t)
{
    return t->cap * (sizeof(uint64_t) + sizeof(void *));
}
