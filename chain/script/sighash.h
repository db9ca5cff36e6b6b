/* Signature hashes: legacy (with the SIGHASH_SINGLE bug), BIP143 (segwit
 * v0) and BIP341/342 (taproot), over data precomputed once per
 * transaction as Bitcoin Core's PrecomputedTransactionData.
 *
 * Ownership: sighash.c (legacy, BIP143, sighash_txdata_init);
 * sighash_taproot.c (BIP341/342). */
#ifndef HEARSAY_CHAIN_SCRIPT_SIGHASH_H
#define HEARSAY_CHAIN_SCRIPT_SIGHASH_H

#include "chain/primitives/hash.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGHASH_DEFAULT 0x00 /* taproot only: as ALL, 64-byte signature */
#define SIGHASH_ALL 0x01
#define SIGHASH_NONE 0x02
#define SIGHASH_SINGLE 0x03
#define SIGHASH_ANYONECANPAY 0x80
#define SIGHASH_OUTPUT_MASK 0x03
#define SIGHASH_INPUT_MASK 0x80

/* Per-transaction data, computed once and shared by every input (and by
 * worker threads: read-only after init). spent points at the caller's
 * array of vin_count spent outputs (value and scriptPubKey) or is NULL
 * when they are unknown (then taproot sighashes are unavailable). */
struct sighash_txdata {
    const struct tx *tx;
    const struct tx_out *spent;
    bool bip143_ready;       /* the sha256d fields below are set */
    bool bip341_ready;       /* the single-sha256 fields below are set */
    /* BIP143: double SHA-256. */
    uint8_t hash_prevouts[32], hash_sequence[32], hash_outputs[32];
    /* BIP341: single SHA-256. */
    uint8_t sha_prevouts[32], sha_amounts[32], sha_scriptpubkeys[32];
    uint8_t sha_sequences[32], sha_outputs[32];
};

/* Fills *d for tx. spent may be NULL (legacy and BIP143 still work). */
void sighash_txdata_init(struct sighash_txdata *d, const struct tx *tx,
                         const struct tx_out *spent);

/* Legacy signature hash of input `in` with scriptCode (already stripped,
 * by the caller, of the signature by FindAndDelete; its OP_CODESEPARATORs
 * are left out here, as Core's serializer does).
 * Returns the value 1 (as uint256 little-endian) for SIGHASH_SINGLE
 * without a matching output and for in >= vin_count, as Core. */
void sighash_legacy(uint8_t out[32], const struct tx *tx, size_t in,
                    const uint8_t *script_code, size_t code_len, int32_t hash_type);

/* BIP143 signature hash (witness v0). */
void sighash_segwit_v0(uint8_t out[32], const struct sighash_txdata *d, size_t in,
                       const uint8_t *script_code, size_t code_len, int64_t amount,
                       int32_t hash_type);

/* Execution context of a BIP341/342 signature hash. */
struct sighash_taproot_exec {
    uint8_t ext_flag;         /* 0 key path, 1 script path (tapscript) */
    bool have_annex;
    uint8_t annex_hash[32];   /* sha256(compact_size(len) || annex) */
    uint8_t tapleaf_hash[32]; /* script path only */
    uint32_t codesep_pos;     /* script path only; 0xffffffff for none */
};

/* BIP341 signature hash. false when hash_type is not a valid taproot hash
 * type, when SIGHASH_SINGLE has no matching output, or when d has no spent
 * outputs: Core's SignatureHashSchnorr failing (the signature is then
 * invalid). */
bool sighash_taproot(uint8_t out[32], const struct sighash_txdata *d, size_t in,
                     uint8_t hash_type, const struct sighash_taproot_exec *exec);

#endif
