/* BIP341 script trees: tapleaf and tapbranch hashes and the check that a
 * control block commits a leaf to a taproot output (Core's
 * VerifyTaprootCommitment). The key tweak itself is in pubkey.h. */
#ifndef HEARSAY_CHAIN_SCRIPT_TAPROOT_H
#define HEARSAY_CHAIN_SCRIPT_TAPROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAPROOT_LEAF_MASK 0xfe
#define TAPROOT_LEAF_TAPSCRIPT 0xc0
#define TAPROOT_CONTROL_BASE_SIZE 33
#define TAPROOT_CONTROL_NODE_SIZE 32
#define TAPROOT_CONTROL_MAX_NODE_COUNT 128

/* H_TapLeaf(leaf_version || compact_size(len) || script). */
void taproot_leaf_hash(uint8_t out[32], uint8_t leaf_version, const uint8_t *script, size_t len);
/* H_TapBranch of the two children in lexicographic order. */
void taproot_branch_hash(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]);
/* Core's VerifyTaprootCommitment: control block (size already checked by
 * the caller), the 32-byte witness program, and the tapleaf hash; true
 * when the commitment holds. */
bool taproot_verify_commitment(const uint8_t *control, size_t control_len,
                               const uint8_t program[32], const uint8_t tapleaf_hash[32]);

#endif
