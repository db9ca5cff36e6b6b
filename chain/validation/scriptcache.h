/* The script execution cache (Bitcoin Core's m_script_execution_cache):
 * transactions whose every input passed under a set of verification
 * flags, keyed by a salted SHA-256 of (wtxid, flags). Mempool acceptance
 * fills it with the flags of the chain tip; connecting a block whose
 * transactions are found there skips their scripts entirely.
 *
 * Bounded, in the signature cache's set (Core uses one cuckoo cache for
 * both).
 * Used by one thread only: the caller of mempool acceptance and block
 * connection, never the check workers. */
#ifndef HEARSAY_CHAIN_SCRIPTCACHE_H
#define HEARSAY_CHAIN_SCRIPTCACHE_H

#include "chain/primitives/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scriptcache;

/* A cache of at most max_bytes (rounded down to a power of two of 32-byte
 * entries, at least 1,024 entries), with a fresh random salt. Aborts when
 * memory runs out, as every allocation does. */
struct scriptcache *scriptcache_new(size_t max_bytes);
void scriptcache_free(struct scriptcache *c); /* accepts NULL */

/* Whether tx (by wtxid) passed under exactly these flags; erase removes
 * the entry on a hit (block connection: it will not be needed again). */
bool scriptcache_contains(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags,
                          bool erase);
void scriptcache_insert(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags);

size_t scriptcache_entries(const struct scriptcache *c); /* in use */
size_t scriptcache_capacity(const struct scriptcache *c);

#endif
