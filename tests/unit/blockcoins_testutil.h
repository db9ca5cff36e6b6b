/* A real block and the coins it spends (tests/data/blocks: the block as
 * on the wire and its undo file), ready for script verification: every
 * transaction's precomputed signature-hash data, and the flat list of
 * its inputs. Shared by the block verification test and bench_verify. */
#ifndef HEARSAY_TESTS_BLOCKCOINS_TESTUTIL_H
#define HEARSAY_TESTS_BLOCKCOINS_TESTUTIL_H

#include "chain/primitives/block.h"
#include "chain/script/sighash.h"

#include <stddef.h>
#include <stdint.h>

struct blockcoins_input {
    size_t tx; /* index in the block (never 0: the coinbase) */
    size_t in; /* input index */
};

struct blockcoins {
    struct block *block;
    uint32_t height;               /* from the coinbase (BIP34) */
    uint8_t *undo;                 /* undo file bytes; scripts point here */
    struct tx_out *spent;          /* every input's spent output, in order */
    struct sighash_txdata *txdata; /* per transaction; [0] unused */
    struct blockcoins_input *inputs;
    size_t input_count;
};

/* Reads both files; NULL with *err (malloc'd) when either does not parse
 * or the undo data does not match the block's inputs exactly. */
struct blockcoins *blockcoins_load(const char *block_path, const char *undo_path, char **err);
void blockcoins_free(struct blockcoins *bc);

#endif
