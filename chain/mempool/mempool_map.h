/* Open-addressing hash table for the mempool's indexes (txid, wtxid,
 * spent outpoint). Keys are the cheap 64 bits of a hash; several values
 * may share a key, so lookups walk the candidates and the caller compares
 * the full hash. A value is a pointer plus a 32-bit aux (an input index
 * for the outpoint index). Linear probing with backward-shift deletion:
 * no tombstones, so a long-lived mempool never degrades. */
#ifndef HEARSAY_CHAIN_MEMPOOL_MAP_H
#define HEARSAY_CHAIN_MEMPOOL_MAP_H

#include <stddef.h>
#include <stdint.h>

struct mpmap_slot {
    uint64_t key;
    void *val; /* NULL: empty slot */
    uint32_t aux;
};

struct mpmap {
    struct mpmap_slot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t count;
};

void mpmap_init(struct mpmap *m);
void mpmap_free(struct mpmap *m);
void mpmap_put(struct mpmap *m, uint64_t key, void *val, uint32_t aux);
/* Removes the slot holding exactly (key, val, aux); 0 or -1 if absent. */
int mpmap_del(struct mpmap *m, uint64_t key, const void *val, uint32_t aux);
/* Candidates for a key: start with *it = mpmap_start(m, key), then call
 * mpmap_next until it returns NULL. */
size_t mpmap_start(const struct mpmap *m, uint64_t key);
const struct mpmap_slot *mpmap_next(const struct mpmap *m, uint64_t key, size_t *it);
/* Bytes held by the table (for memory accounting). */
size_t mpmap_usage(const struct mpmap *m);

#endif
