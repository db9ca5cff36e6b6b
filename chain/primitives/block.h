/* Block headers, blocks, merkle roots (with CVE-2012-2459 detection),
 * block weight and size. */
#ifndef HEARSAY_CHAIN_BLOCK_H
#define HEARSAY_CHAIN_BLOCK_H

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_HEADER_SIZE 80
#define BLOCK_MAX_WEIGHT 4000000
#define BLOCK_MAX_SIZE 4000000 /* serialized, with witness: bounded by weight */

struct block_header {
    int32_t version;
    struct hash256 prev;
    struct hash256 merkle;
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
};

bool block_header_parse(struct cursor *c, struct block_header *h);
void block_header_serialize(const struct block_header *h, uint8_t out[BLOCK_HEADER_SIZE]);
void block_header_hash(const struct block_header *h, struct hash256 *out);

struct block {
    struct block_header hdr;
    struct hash256 hash;
    size_t tx_count;
    struct tx **txs; /* each holds one reference */
    size_t size;      /* serialized size with witness */
    size_t base_size; /* serialized size without witness */
    /* Set by validation_block_precheck (Core's fChecked), off the event
     * loop: the context-free checks' outcome and the BIP141 witness root
     * (when the coinbase commits to one), which later checks reuse. */
    bool prechecked;
    const char *precheck_reason; /* NULL: passed */
    bool wroot_known;
    struct hash256 wroot;
};

/* Parses a block at the cursor; NULL and a static reason on failure
 * ("truncated header", "bad transaction count", or the failing
 * transaction's reason). Transactions are parsed with witness allowed. */
struct block *block_parse(struct cursor *c, const char **reason);
/* Parses a whole buffer: trailing bytes are an error. */
struct block *block_from_bytes(const void *data, size_t len, const char **reason);
void block_serialize(const struct block *b, struct wbuf *w, bool with_witness);
void block_free(struct block *b); /* accepts NULL */

size_t block_weight(const struct block *b); /* base_size * 3 + size */

/* Merkle root of n leaves (n > 0). *mutated (may be NULL) is set when two
 * identical adjacent hashes were combined at any level: the duplicated-
 * tail mutation of CVE-2012-2459. */
void block_merkle_compute(const struct hash256 *leaves, size_t n, struct hash256 *root,
                          bool *mutated);
/* Merkle root of the block's txids. */
void block_merkle_root(const struct block *b, struct hash256 *root, bool *mutated);
/* BIP141 witness merkle root: wtxids, with the coinbase's as zero. */
void block_witness_merkle_root(const struct block *b, struct hash256 *root);

#endif
