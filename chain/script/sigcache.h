/* Bitcoin Core's signature cache: a bounded set of 32-byte entries, each
 * SHA-256 of a random per-process salt and a verified (hash, pubkey,
 * signature), with separate salts (domains) for ECDSA and Schnorr. The
 * script execution cache keeps its own entries in the same kind of set.
 *
 * Threads: lookups (sigcache_contains) may run from several threads at
 * once, and inserts may run concurrently with them: a rwlock protects the
 * table. Who stores: the interpreter inserts after a successful check
 * only when asked to (script_verify_input_ex's store flag): the mempool
 * stores, block connection only reads, as Core. Eviction is random among
 * the few slots an entry may occupy, so the table never exceeds
 * max_bytes. */
#ifndef HEARSAY_CHAIN_SCRIPT_SIGCACHE_H
#define HEARSAY_CHAIN_SCRIPT_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sigcache;

/* A cache of at most max_bytes of entries (32 bytes each; at least one
 * bucket), with a fresh random salt. Aborts when memory runs out, as every
 * allocation does. */
struct sigcache *sigcache_new(size_t max_bytes);
void sigcache_free(struct sigcache *c); /* accepts NULL */

void sigcache_entry_ecdsa(const struct sigcache *c, uint8_t entry[32], const uint8_t hash[32],
                          const uint8_t *pub, size_t pub_len, const uint8_t *sig,
                          size_t sig_len);
void sigcache_entry_schnorr(const struct sigcache *c, uint8_t entry[32],
                            const uint8_t hash[32], const uint8_t xonly[32],
                            const uint8_t sig[64]);

bool sigcache_contains(struct sigcache *c, const uint8_t entry[32]);
/* As sigcache_contains, and a found entry is removed. */
bool sigcache_take(struct sigcache *c, const uint8_t entry[32]);
void sigcache_insert(struct sigcache *c, const uint8_t entry[32]);
/* Entries held now and the most it can hold. */
size_t sigcache_count(struct sigcache *c);
size_t sigcache_capacity(const struct sigcache *c);

#endif
