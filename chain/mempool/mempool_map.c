#include "chain/mempool/mempool_map.h"
#include "chain/util/xmalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MPMAP_MIN_CAP 16

void mpmap_init(struct mpmap *m)
{
    m->slots = xcalloc(MPMAP_MIN_CAP, sizeof(*m->slots));
    m->mask = MPMAP_MIN_CAP - 1;
    m->count = 0;
}

void mpmap_free(struct mpmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

/* The low bits of a hash are uniform already; mixing guards the outpoint
 * keys, which combine a txid with a small index. */
static size_t home(const struct mpmap *m, uint64_t key)
{
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 32;
    return (size_t)key & m->mask;
}

static void insert_slot(struct mpmap *m, const struct mpmap_slot *s)
{
    size_t i = home(m, s->key);
    while (m->slots[i].val)
        i = (i + 1) & m->mask;
    m->slots[i] = *s;
}

static void resize(struct mpmap *m, size_t cap)
{
    struct mpmap_slot *old = m->slots;
    size_t old_cap = m->mask + 1;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].val)
            insert_slot(m, &old[i]);
    free(old);
}

void mpmap_put(struct mpmap *m, uint64_t key, void *val, uint32_t aux)
{
    /* Load factor at most 3/4. */
    if ((m->count + 1) * 4 > (m->mask + 1) * 3)
        resize(m, (m->mask + 1) * 2);
    struct mpmap_slot s = {key, val, aux};
    insert_slot(m, &s);
    m->count++;
}

int mpmap_del(struct mpmap *m, uint64_t key, const void *val, uint32_t aux)
{
    size_t i = home(m, key);
    while (m->slots[i].val &&
           !(m->slots[i].key == key && m->slots[i].val == val && m->slots[i].aux == aux))
        i = (i + 1) & m->mask;
    if (!m->slots[i].val)
        return -1;
    /* Backward shift: pull later entries of the cluster into the hole when
     * their home position allows it. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->slots[j].val)
            break;
        size_t h = home(m, m->slots[j].key);
        bool between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (!between) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
    m->count--;
    if (m->mask + 1 > MPMAP_MIN_CAP && m->count * 8 < m->mask + 1)
        resize(m, (m->mask + 1) / 2);
    return 0;
}

size_t mpmap_start(const struct mpmap *m, uint64_t key)
{
    return home(m, key);
}

const struct mpmap_slot *mpmap_next(const struct mpmap *m, uint64_t key, size_t *it)
{
    while (m->slots[*it].val) {
        const struct mpmap_slot *s = &m->slots[*it];
        *it = (*it + 1) & m->mask;
        if (s->key == key)
            return s;
    }
    return NULL;
}

size_t mpmap_usage(const struct mpmap *m)
{
    return (m->mask + 1) * sizeof(struct mpmap_slot);
}
