/* Bounded "recently seen" sets of 256-bit hashes: the R state of gossip.
 *
 * A seen-set remembers at least the last `entries` distinct hashes
 * inserted, and forgets older ones, in bounded memory:
 * - fp > 0: a rolling Bloom filter in the style of Bitcoin Core's
 *   CRollingBloomFilter (our own code): three generations of entries/2,
 *   each filter position holds the 2-bit generation that last set it, and
 *   starting a generation wipes the positions of the one it replaces.
 *   False positives at about fp; memory fixed by (entries, fp), e.g.
 *   50,000 at 1e-6 = 539 KB, 120,000 at 1e-6 = 1.3 MB.
 * - fp == 0: an exact rolling set (two generations of `entries` salted
 *   64-bit keys in open-addressing tables), 32 bytes per entry; for the
 *   simulator's small sets.
 * Storage is allocated on the first insert, so an unused set costs only
 * its small struct. Hashes are mixed with a per-set salt so that peers
 * cannot aim collisions. */
#ifndef HEARSAY_NET_SEENSET_H
#define HEARSAY_NET_SEENSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/primitives/hash.h"

struct seenset;

/* entries >= 1, 0 <= fp < 1. NULL on allocation failure or bad sizes. */
struct seenset *seenset_new(uint32_t entries, double fp, uint64_t salt);
void seenset_free(struct seenset *s);
void seenset_insert(struct seenset *s, const struct hash256 *h);
bool seenset_contains(const struct seenset *s, const struct hash256 *h);
/* Forgets everything and releases the storage. */
void seenset_reset(struct seenset *s);
/* Bytes allocated now (struct + storage). */
size_t seenset_memory(const struct seenset *s);
/* Bytes the storage takes once allocated (a function of entries and fp). */
size_t seenset_storage_bytes(uint32_t entries, double fp);
/* Insertions still remembered (an upper bound for the Bloom filter). */
size_t seenset_count(const struct seenset *s);

#endif
