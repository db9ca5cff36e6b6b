/* Pruning the chainstate's block files, as Bitcoin Core: automatic (the
 * -prune target, checked after blocks are stored) and manual
 * (pruneblockchain), with the decisions of chain/storage/prune.h and the
 * chainstate's file removal (coins flushed first, the index written
 * synced with the "prunedblockfiles" flag before a file goes). */
#ifndef HEARSAY_CHAIN_CHAINPRUNE_H
#define HEARSAY_CHAIN_CHAINPRUNE_H

#include "chain/primitives/params.h"
#include "chain/storage/prune.h"
#include "chain/validation/chainstate.h"

#include <stdbool.h>
#include <stdint.h>

/* Core's nPruneAfterHeight: no automatic pruning below it (100 on regtest
 * with -fastprune). */
int32_t chainprune_after_height(const struct chain_params *p, bool fast_prune);

/* Removes the files prune_find_files picks for target (bytes; 0 and
 * PRUNE_TARGET_MANUAL: nothing). The number removed, -1 and *err. */
int chainprune_auto(struct chainstate *cs, uint64_t target, int32_t prune_after, char **err);
/* Removes every file whose blocks are all at or below height (held back
 * to tip - PRUNE_MIN_BLOCKS_TO_KEEP). The number removed, -1 and *err. */
int chainprune_manual(struct chainstate *cs, int32_t height, char **err);

/* Core's GetPruneHeight: the highest active-chain block above genesis
 * whose data is gone, -1 when none is. */
int32_t chainprune_height(const struct chainstate *cs);
/* Whether n's data was pruned (Core's IsBlockPruned): an active-chain
 * block at or below the prune height. */
bool chainprune_block_pruned(const struct chainstate *cs, const struct bindex_node *n);

#endif
