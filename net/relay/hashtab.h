/* An open-addressing hash table of pointers keyed by 64-bit keys, for the
 * relay core's tables (rumors, peers, tracked hashes).
 *
 * The caller computes keys (salted when peers choose the input) and keeps
 * the full identity in the item: several items may share a key, and finds
 * pass a match callback. Linear probing with backward-shift deletion, so
 * there are no tombstones; the table grows at 3/4 load and starts empty
 * with no allocation (an unused table costs its 32-byte struct). */
#ifndef HEARSAY_NET_HASHTAB_H
#define HEARSAY_NET_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashtab {
    uint64_t *keys;
    void **items; /* NULL = empty slot */
    size_t cap;   /* 0 or a power of two */
    size_t n;
};

typedef bool (*hashtab_match_fn)(const void *item, const void *arg);

/* Zero-initialised struct hashtab is a valid empty table. */
void hashtab_clear(struct hashtab *t);
/* The first item with this key that match accepts (match NULL: any). */
void *hashtab_find(const struct hashtab *t, uint64_t key, hashtab_match_fn match,
                   const void *arg);
/* Inserts (duplicates allowed). */
void hashtab_insert(struct hashtab *t, uint64_t key, void *item);
/* Removes and returns the first matching item, or NULL. */
void *hashtab_remove(struct hashtab *t, uint64_t key, hashtab_match_fn match, const void *arg);
size_t hashtab_memory(const struct hashtab *t);

/* Iteration: for (size_t i = 0; i < t->cap; i++) if (t->items[i]) ...
 * (no insert or remove while iterating). */

#endif
