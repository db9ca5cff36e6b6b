#include "chain/storage/prune.h"

uint64_t prune_usage(const struct prune_file *files, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += files[i].size + files[i].undo_size;
    return total;
}

/* Core's GetPruneRange for the one chainstate we have: up to `last`, but
 * never into the blocks kept below the tip. */
static int32_t last_prunable(int32_t tip_height, int32_t last)
{
    int32_t keep = tip_height - PRUNE_MIN_BLOCKS_TO_KEEP;
    return last < keep ? last : keep;
}

size_t prune_find_files(const struct prune_file *files, size_t n, uint64_t target,
                        const struct prune_chain *c, int *out)
{
    if (c->tip_height < 0 || target == 0 || c->tip_height <= c->prune_after)
        return 0;
    int32_t last = last_prunable(c->tip_height, c->tip_height);
    uint64_t usage = prune_usage(files, n), buffer = PRUNE_ALLOC_BUFFER;
    if (usage + buffer < target)
        return 0;
    if (c->ibd && c->best_header_height > c->tip_height)
        buffer += (uint64_t)PRUNE_IBD_BLOCK_BYTES * (uint64_t)(c->best_header_height - c->tip_height);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (files[i].size == 0)
            continue;
        if (usage + buffer < target)
            break;
        if (files[i].height_last > last)
            continue;
        out[count++] = (int)i;
        usage -= files[i].size + files[i].undo_size;
    }
    return count;
}

size_t prune_find_files_manual(const struct prune_file *files, size_t n, int32_t tip_height,
                               int32_t height, int *out)
{
    if (tip_height < 0 || height <= 0)
        return 0;
    int32_t last = last_prunable(tip_height, height);
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (files[i].size != 0 && files[i].height_last <= last)
            out[count++] = (int)i;
    return count;
}
