/* Which block files to prune: Bitcoin Core's FindFilesToPrune and
 * FindFilesToPruneManual, over a snapshot of the per-file records.
 *
 * Pure decisions, no I/O: the caller deletes the blk/rev pairs named,
 * after flushing the index and the coins and recording that it pruned
 * (Core's order), and clears the files' records. */
#ifndef HEARSAY_CHAIN_PRUNE_H
#define HEARSAY_CHAIN_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Blocks below the tip always kept (Core's MIN_BLOCKS_TO_KEEP, also the
 * NODE_NETWORK_LIMITED promise). */
#define PRUNE_MIN_BLOCKS_TO_KEEP 288
/* The smallest automatic target (Core's MIN_DISK_SPACE_FOR_BLOCK_FILES). */
#define PRUNE_MIN_TARGET ((uint64_t)550 << 20)
/* -prune=1: only pruneblockchain prunes (Core's PRUNE_TARGET_MANUAL). */
#define PRUNE_TARGET_MANUAL UINT64_MAX
/* Room kept for the next allocation, since the check comes after it: a
 * block chunk and an undo chunk (Core's BLOCKFILE_CHUNK_SIZE +
 * UNDOFILE_CHUNK_SIZE). */
#define PRUNE_ALLOC_BUFFER (((uint64_t)16 << 20) + ((uint64_t)1 << 20))
/* During initial download, each block still to come counts this much
 * against the target, so that pruning (which flushes the coins) does not
 * come again soon (Core assumes 1 MB blocks). */
#define PRUNE_IBD_BLOCK_BYTES 1000000u

/* One file pair: size 0 means empty or already pruned. */
struct prune_file {
    uint64_t size, undo_size;
    int32_t height_first, height_last;
};

struct prune_chain {
    int32_t tip_height;         /* -1: no chain */
    int32_t best_header_height; /* for the IBD buffer */
    int32_t prune_after;        /* the chain's nPruneAfterHeight */
    bool ibd;
};

/* Bytes of all blk and rev files (Core's CalculateCurrentUsage). */
uint64_t prune_usage(const struct prune_file *files, size_t n);

/* Automatic pruning towards target (bytes): oldest files first, skipping
 * any that holds one of the last PRUNE_MIN_BLOCKS_TO_KEEP blocks, until
 * usage plus the buffer is under the target. Nothing before the tip
 * passes prune_after. Writes the file numbers chosen to out (room for n)
 * and returns how many. */
size_t prune_find_files(const struct prune_file *files, size_t n, uint64_t target,
                        const struct prune_chain *c, int *out);

/* pruneblockchain: every file whose blocks all lie at or below height,
 * and below the tip's last PRUNE_MIN_BLOCKS_TO_KEEP. */
size_t prune_find_files_manual(const struct prune_file *files, size_t n, int32_t tip_height,
                               int32_t height, int *out);

#endif
