/* Proof of work: compact "bits" <-> 256-bit targets, chain work, and the
 * difficulty each network expects of the next block.
 *
 * The difficulty rules follow Bitcoin Core's GetNextWorkRequired: regtest
 * never retargets; main and the testnets retarget every 2016 blocks with
 * the actual timespan clamped to [timespan/4, timespan*4]; testnets allow a
 * minimum-difficulty block when the new block is more than 20 minutes
 * after its parent; testnet4 (BIP94) retargets from the bits of the first
 * block of the period so that exception cannot drag difficulty down. */
#ifndef HEARSAY_CHAIN_POW_H
#define HEARSAY_CHAIN_POW_H

#include "chain/primitives/hash.h"
#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stdint.h>

/* Unsigned 256-bit integer, eight 32-bit limbs, least significant first. */
struct u256 {
    uint32_t w[8];
};

void u256_zero(struct u256 *a);
void u256_set_u64(struct u256 *a, uint64_t v);
bool u256_is_zero(const struct u256 *a);
int u256_cmp(const struct u256 *a, const struct u256 *b); /* -1, 0, 1 */
void u256_add(struct u256 *a, const struct u256 *b);     /* a += b, mod 2^256 */
void u256_sub(struct u256 *a, const struct u256 *b);     /* a -= b, mod 2^256 */
void u256_shl(struct u256 *a, unsigned n);
void u256_shr(struct u256 *a, unsigned n);
void u256_mul_u32(struct u256 *a, uint32_t m);           /* mod 2^256 */
/* q = a / b (b non-zero). */
void u256_div(const struct u256 *a, const struct u256 *b, struct u256 *q);
unsigned u256_bits(const struct u256 *a); /* position of the highest set bit + 1 */
/* A hash read as a little-endian number, and back. */
void u256_from_hash(struct u256 *a, const struct hash256 *h);
void u256_to_hash(const struct u256 *a, struct hash256 *h);
/* Big-endian hex without leading zeros ("0" for zero); out holds 65 bytes. */
void u256_to_hex(const struct u256 *a, char out[65]);

/* Decodes compact bits (Bitcoin's nBits). *negative and *overflow may be
 * NULL; they report the sign bit and a value that does not fit 256 bits. */
void pow_bits_to_target(uint32_t bits, struct u256 *target, bool *negative, bool *overflow);
uint32_t pow_target_to_bits(const struct u256 *target);

/* Work a block with these bits represents: 2^256 / (target + 1); zero for
 * a negative, zero or overflowing target. */
void pow_work(uint32_t bits, struct u256 *work);

/* True if bits decode to a valid target (positive, no overflow, at most
 * the network's limit) and the hash, as a number, is at most that target. */
bool pow_check(const struct hash256 *hash, uint32_t bits, const struct chain_params *p);

/* What the difficulty rules need to know about a block. */
struct pow_block {
    int height;
    uint32_t time;
    uint32_t bits;
};

/* Looks up the ancestor of the block pow_next_bits was given at a height
 * (0 <= height <= its height); false if unknown. */
typedef bool (*pow_ancestor_fn)(void *ctx, int height, struct pow_block *out);

/* Bits required of the block after `last` whose timestamp is new_time. */
uint32_t pow_next_bits(const struct chain_params *p, const struct pow_block *last, uint32_t new_time,
                       pow_ancestor_fn ancestor, void *ctx);

/* Core's PermittedDifficultyTransition: whether a block at height may
 * carry new_bits after its parent's old_bits, from the bits alone (no
 * timestamps): equal within a period, within the retarget clamp (a factor
 * of 4 either way) at a period boundary; always on a network that allows
 * minimum-difficulty blocks. */
bool pow_transition_permitted(const struct chain_params *p, int height, uint32_t old_bits,
                              uint32_t new_bits);

#endif
