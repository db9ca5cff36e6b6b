#include "chain/validation/chainprune.h"

#include "chain/storage/blockfile.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdlib.h>

int32_t chainprune_after_height(const struct chain_params *p, bool fast_prune)
{
    if (p->type == CHAIN_MAIN)
        return 100000;
    return p->type == CHAIN_REGTEST && fast_prune ? 100 : 1000;
}

/* The files' records, as the decisions see them (malloc'd). All count
 * towards the usage; the last one, being written, holds the tip, so it is
 * never among those chosen. */
static struct prune_file *snapshot(const struct chainstate *cs, size_t *n)
{
    const struct blockfile *bf = chainstate_block_files(cs);
    int count = blockfile_count(bf);
    struct prune_file *v = xcalloc(count > 0 ? (size_t)count : 1, sizeof(*v));
    for (int i = 0; i < count; i++) {
        const struct blockfile_info *in = blockfile_info(bf, i);
        v[i] = (struct prune_file){in->size, in->undo_size, in->height_first, in->height_last};
    }
    *n = count > 0 ? (size_t)count : 0;
    return v;
}

static int remove_files(struct chainstate *cs, const int *files, size_t n, char **err)
{
    if (n && chainstate_remove_block_files(cs, files, n, err) < 0)
        return -1;
    return (int)n;
}

int chainprune_auto(struct chainstate *cs, uint64_t target, int32_t prune_after, char **err)
{
    if (target == 0 || target == PRUNE_TARGET_MANUAL ||
        blockfile_usage(chainstate_block_files(cs)) + PRUNE_ALLOC_BUFFER < target)
        return 0;
    size_t n;
    struct prune_file *files = snapshot(cs, &n);
    const struct bindex_node *tip = chainstate_tip(cs), *best = chainstate_best_header(cs);
    struct prune_chain c = {.tip_height = tip ? tip->height : -1,
                            .best_header_height = best ? best->height : -1,
                            .prune_after = prune_after,
                            .ibd = chainstate_initial_download(cs)};
    int *chosen = xcalloc(n ? n : 1, sizeof(*chosen));
    size_t k = prune_find_files(files, n, target, &c, chosen);
    int rc = remove_files(cs, chosen, k, err);
    if (rc > 0)
        LOG_INFO("Prune: target=%" PRIu64 "MiB actual=%" PRIu64 "MiB max_prune_height=%d "
                 "removed %d blk/rev pairs",
                 target >> 20, blockfile_usage(chainstate_block_files(cs)) >> 20,
                 c.tip_height - PRUNE_MIN_BLOCKS_TO_KEEP, rc);
    free(chosen);
    free(files);
    return rc;
}

int chainprune_manual(struct chainstate *cs, int32_t height, char **err)
{
    size_t n;
    struct prune_file *files = snapshot(cs, &n);
    const struct bindex_node *tip = chainstate_tip(cs);
    int *chosen = xcalloc(n ? n : 1, sizeof(*chosen));
    size_t k = prune_find_files_manual(files, n, tip ? tip->height : -1, height, chosen);
    int rc = remove_files(cs, chosen, k, err);
    if (rc >= 0)
        LOG_INFO("Prune (Manual): prune_height=%d removed %d blk/rev pairs", height, rc);
    free(chosen);
    free(files);
    return rc;
}

int32_t chainprune_height(const struct chainstate *cs)
{
    const struct bindex_node *tip = chainstate_tip(cs), *first = chainstate_at(cs, 1);
    if (!tip || !first)
        return -1;
    if (!(tip->status & BINDEX_HAVE_DATA))
        return tip->height;
    const struct bindex_node *n = tip;
    while (n != first && n->prev && (n->prev->status & BINDEX_HAVE_DATA))
        n = n->prev;
    return n == first ? -1 : n->height - 1;
}

bool chainprune_block_pruned(const struct chainstate *cs, const struct bindex_node *n)
{
    return !(n->status & BINDEX_HAVE_DATA) && chainstate_is_active(cs, n) &&
           n->height > 0 && n->height <= chainprune_height(cs);
}
