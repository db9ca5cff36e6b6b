/* SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash, as Bitcoin
 * uses for short transaction ids (BIP152, BIP330). */
#ifndef HEARSAY_CHAIN_SIPHASH_H
#define HEARSAY_CHAIN_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The key is (k0, k1), the 16 key bytes read as two little-endian words. */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

#endif
