/* Block assembly for regtest mining (and getblocktemplate): transactions
 * chosen from the mempool by ancestor feerate, parents before children,
 * within the weight limit; a coinbase paying a given script with the BIP34
 * height and the BIP141 witness commitment; the nonce ground until the
 * header meets its target. */
#ifndef HEARSAY_CHAIN_MINER_H
#define HEARSAY_CHAIN_MINER_H

#include "chain/primitives/block.h"
#include "chain/mempool/mempool.h"
#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's default -blockmaxweight, and the weight it keeps for the coinbase. */
#define MINER_DEFAULT_MAX_WEIGHT (BLOCK_MAX_WEIGHT - 4000)
#define MINER_COINBASE_RESERVE 4000
#define MINER_BLOCK_VERSION 0x20000000

struct miner_template {
    const struct chain_params *params;
    struct hash256 prev; /* parent block hash */
    int32_t height;      /* of the new block */
    uint32_t time;
    uint32_t bits;
    const uint8_t *script; /* coinbase output script */
    size_t script_len;
    size_t max_weight; /* 0: MINER_DEFAULT_MAX_WEIGHT */
    int32_t version;   /* 0: MINER_BLOCK_VERSION */
};

/* Picks transactions within max_weight and the block sigop limit: *out
 * (malloc'd array of borrowed pointers; free the array only) in block
 * order. Returns the count; *fees gets their sum. */
size_t miner_select(const struct mempool *mp, size_t max_weight, struct tx ***out,
                    int64_t *fees);

/* Builds the block (nonce 0, not yet ground). mp may be NULL for an empty
 * block. NULL and *err (malloc'd) on failure. */
struct block *miner_create_block(const struct miner_template *t, const struct mempool *mp,
                                 char **err);

/* 256-bit target of compact bits, little-endian like a hash256; false for
 * a negative, zero or overflowing encoding. */
bool miner_bits_to_target(uint32_t bits, struct hash256 *target);
/* Whether a block hash meets the target of bits. */
bool miner_check_pow(const struct hash256 *hash, uint32_t bits);
/* Builds a block of the given transactions, in that order, after a
 * coinbase paying the subsidy plus fees (generateblock passes 0, as Core).
 * The caller keeps its references to txs. */
struct block *miner_build_block(const struct miner_template *t, struct tx *const *txs, size_t n,
                                int64_t fees, char **err);

/* Tries up to max_tries nonces from the current one; on success updates
 * the header nonce and b->hash and returns 0, else -1 (change the time or
 * the coinbase and try again). */
int miner_grind(struct block *b, uint64_t max_tries);

#endif
