/* A rolling Bloom filter, as Bitcoin Core's CRollingBloomFilter: it
 * remembers at least the last `n` inserted keys (and up to 1.5 n) with a
 * false-positive rate near `fp`; older keys fade out a generation at a
 * time, so memory stays fixed however many keys go in. Used for each
 * peer's known addresses (Core: 5000 entries, 0.001). */
#ifndef HEARSAY_NET_ROLLBLOOM_H
#define HEARSAY_NET_ROLLBLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rollbloom;

/* tweak salts the hash so that peers cannot aim collisions at us. NULL on
 * a bad size or rate. */
struct rollbloom *rollbloom_new(uint32_t n, double fp, uint64_t tweak);
void rollbloom_free(struct rollbloom *f); /* accepts NULL */
void rollbloom_insert(struct rollbloom *f, const void *key, size_t len);
bool rollbloom_contains(const struct rollbloom *f, const void *key, size_t len);
/* Forgets every key (a fresh tweak is not needed: same salt). */
void rollbloom_reset(struct rollbloom *f);

#endif
