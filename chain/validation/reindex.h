/* -reindex: rebuilds the block index and the coins from the block files,
 * as Bitcoin Core's LoadExternalBlockFile: every blk file from 0 up to the
 * first missing one is scanned for records (magic, size, block); a block
 * whose parent is not known yet is held (by position) until the parent
 * arrives; each block is accepted as if received, without being written
 * again, and the chain moves to the best tip as blocks connect. Also the
 * way to recover from a lost or corrupted index. */
#ifndef HEARSAY_CHAIN_REINDEX_H
#define HEARSAY_CHAIN_REINDEX_H

#include "chain/storage/blockfile.h"
#include "chain/validation/chainstate.h"

/* Runs on a chainstate opened with the reindex option (empty index and
 * coins), then flushes. */
int reindex_run(struct chainstate *cs, char **err);

/* The chainstate's entry points for it (chainstate.c): a block found at
 * pos (the genesis block first), and a flush of everything. */
enum chainstate_status chainstate_import_block(struct chainstate *cs, const struct block *b,
                                               const struct blockfile_pos *pos,
                                               const char **reason, char **err);
int chainstate_flush(struct chainstate *cs, char **err);
struct blockstore *chainstate_blockstore(struct chainstate *cs);

#endif
