/* BIP152 compact blocks: the cmpctblock, getblocktxn and blocktxn codecs,
 * short transaction ids (SipHash-2-4 of chain/primitives/siphash.h), and
 * the partially downloaded block (Bitcoin Core's PartiallyDownloadedBlock)
 * that rebuilds a block from the transactions a node already has.
 *
 * Only version 2 is spoken: short ids are taken of wtxids. Decoders cap
 * every count before allocating and fail (false) on malformed input,
 * which the caller treats as misbehaviour. Indexes travel differentially
 * encoded on the wire and are absolute in the structs below. */
#ifndef HEARSAY_NET_CMPCT_H
#define HEARSAY_NET_CMPCT_H

#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMPCT_VERSION 2         /* CMPCTBLOCKS_VERSION: wtxid short ids */
#define CMPCT_SHORTID_BYTES 6
#define CMPCT_SHORTID_MASK 0xffffffffffffull
/* Transactions per block: indexes are 16-bit (Core's "indexes overflowed
 * 16 bits"), below MAX_BLOCK_WEIGHT / MIN_SERIALIZABLE_TRANSACTION_WEIGHT. */
#define CMPCT_MAX_TXS 65535u
/* Core's MAX_CMPCTBLOCK_DEPTH and MAX_BLOCKTXN_DEPTH: deeper blocks are
 * served whole (a peer that far behind has no useful mempool). */
#define CMPCT_MAX_CMPCTBLOCK_DEPTH 5
#define CMPCT_MAX_BLOCKTXN_DEPTH 10
/* Core's -blockreconstructionextratxn default. */
#define CMPCT_DEFAULT_EXTRA_TXN 100

/* The short-id key: the first two little-endian words of
 * SHA256(header || nonce) (a single SHA256, as BIP152). */
struct cmpct_key {
    uint64_t k0, k1;
};
void cmpct_key_init(struct cmpct_key *k, const struct block_header *h, uint64_t nonce);
/* The 48-bit short id of a wtxid. */
uint64_t cmpct_shortid(const struct cmpct_key *k, const struct hash256 *wtxid);

struct cmpct_prefilled {
    uint16_t index; /* absolute position in the block */
    struct tx *tx;  /* one reference */
};

/* cmpctblock: header, nonce, short ids, prefilled transactions. */
struct cmpct_block {
    struct block_header hdr;
    struct hash256 hash; /* of the header */
    uint64_t nonce;
    size_t nshort;
    uint64_t *shortids; /* malloc'd */
    size_t nprefilled;
    struct cmpct_prefilled *prefilled; /* malloc'd, ascending indexes */
};
bool cmpct_block_decode(struct cursor *c, struct cmpct_block *out);
void cmpct_block_encode(struct wbuf *w, const struct cmpct_block *cb);
/* The compact form of b with its coinbase prefilled (as Core sends it). */
void cmpct_block_from_block(struct cmpct_block *cb, const struct block *b, uint64_t nonce);
void cmpct_block_clear(struct cmpct_block *cb); /* frees the members; accepts zeroed */
size_t cmpct_block_tx_count(const struct cmpct_block *cb);

/* getblocktxn: the block and the positions of the transactions wanted. */
struct cmpct_getblocktxn {
    struct hash256 block;
    size_t n;
    uint16_t *indexes; /* malloc'd, strictly ascending */
};
bool cmpct_getblocktxn_decode(struct cursor *c, struct cmpct_getblocktxn *out);
void cmpct_getblocktxn_encode(struct wbuf *w, const struct cmpct_getblocktxn *m);
void cmpct_getblocktxn_clear(struct cmpct_getblocktxn *m);

/* blocktxn: the block and the transactions, in the order asked. */
struct cmpct_blocktxn {
    struct hash256 block;
    size_t n;
    struct tx **txs; /* malloc'd, one reference each */
};
bool cmpct_blocktxn_decode(struct cursor *c, struct cmpct_blocktxn *out);
void cmpct_blocktxn_encode(struct wbuf *w, const struct cmpct_blocktxn *m);
void cmpct_blocktxn_clear(struct cmpct_blocktxn *m);

/* ---- reconstruction ---- */

enum cmpct_status {
    CMPCT_OK,
    CMPCT_INVALID, /* the message breaks the protocol: misbehaviour */
    CMPCT_FAILED,  /* cannot rebuild (short-id collision, bad merkle root):
                    * fetch the full block */
};

struct cmpct_partial;

/* Places the prefilled transactions and indexes the short ids. salt
 * randomizes the internal table (so a peer cannot aim ids at one slot).
 * *out is NULL unless CMPCT_OK. */
enum cmpct_status cmpct_partial_new(const struct cmpct_block *cb, uint64_t salt,
                                    struct cmpct_partial **out);
void cmpct_partial_free(struct cmpct_partial *pb); /* accepts NULL */
const struct hash256 *cmpct_partial_hash(const struct cmpct_partial *pb);
/* Offers a transaction we hold (mempool first, then extra: orphans and
 * recently rejected or replaced ones). A short id two different
 * transactions match is left missing, to be requested, as Core does.
 * True once every short id has found a transaction (stop offering). */
bool cmpct_partial_offer(struct cmpct_partial *pb, struct tx *tx, bool extra);
/* Positions still missing, ascending, into out (room for all: see
 * cmpct_partial_missing_count). */
size_t cmpct_partial_missing_count(const struct cmpct_partial *pb);
void cmpct_partial_missing(const struct cmpct_partial *pb, uint16_t *out);
/* How many came from the mempool, and of those from the extra pool. */
void cmpct_partial_counts(const struct cmpct_partial *pb, size_t *from_pool, size_t *from_extra);
/* Builds the block with the missing transactions (in order). INVALID if
 * their number is wrong, FAILED if the merkle root does not match (a
 * short-id collision); *out (block_free it) only with CMPCT_OK. The
 * partial block cannot be filled twice. */
enum cmpct_status cmpct_partial_fill(struct cmpct_partial *pb, struct tx *const *missing,
                                     size_t n, struct block **out);

#endif
