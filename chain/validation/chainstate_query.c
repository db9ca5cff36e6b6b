/* Read-only views of the chainstate: the active chain, headers and
 * locators for net/, block files, coins and flags for the RPC methods. */
#include "chain/validation/chainstate.h"
#include "chain/validation/chainstate_int.h"

#include "chain/util/log.h"
#include "chain/validation/validation.h"
#include "chain/validation/pow.h"

#include <stdlib.h>
#include <string.h>

const struct chain_params *chainstate_params(const struct chainstate *cs)
{
    return cs->p;
}

const struct bindex_node *chainstate_tip(const struct chainstate *cs)
{
    return bindex_tip(cs->bi);
}

int chainstate_height(const struct chainstate *cs)
{
    return bindex_height(cs->bi);
}

const struct bindex_node *chainstate_best_header(const struct chainstate *cs)
{
    return bindex_best_header(cs->bi);
}

const struct bindex_node *chainstate_find(const struct chainstate *cs, const struct hash256 *hash)
{
    return bindex_find(cs->bi, hash);
}

const struct bindex_node *chainstate_at(const struct chainstate *cs, int height)
{
    return bindex_at(cs->bi, height);
}

bool chainstate_is_active(const struct chainstate *cs, const struct bindex_node *n)
{
    return bindex_contains(cs->bi, n);
}

struct bindex *chainstate_index(const struct chainstate *cs)
{
    return cs->bi;
}

int chainstate_block_file(const struct chainstate *cs, const struct bindex_node *n)
{
    return (n->status & BINDEX_HAVE_DATA) ? n->data_pos.file : -1;
}

const struct blockfile *chainstate_block_files(const struct chainstate *cs)
{
    return blockstore_files(cs->bs);
}

size_t chainstate_locator(const struct chainstate *cs, const struct bindex_node *n,
                          struct hash256 *out, size_t max)
{
    return bindex_locator(cs->bi, n, out, max);
}

const struct bindex_node *chainstate_find_fork(const struct chainstate *cs,
                                         const struct hash256 *locator, size_t n)
{
    return bindex_find_fork(cs->bi, locator, n);
}

size_t chainstate_get_headers(const struct chainstate *cs, const struct hash256 *locator,
                              size_t n, const struct hash256 *stop, struct block_header *out,
                              size_t max)
{
    if (n == 0) {
        struct bindex_node *s = stop ? bindex_find(cs->bi, stop) : NULL;
        if (!s || max == 0)
            return 0;
        out[0] = s->hdr;
        return 1;
    }
    struct bindex_node *fork = bindex_find_fork(cs->bi, locator, n);
    size_t count = 0;
    for (int h = fork ? fork->height + 1 : 0; count < max; h++) {
        struct bindex_node *x = bindex_at(cs->bi, h);
        if (!x)
            break;
        out[count++] = x->hdr;
        if (stop && hash_eq(&x->hash, stop))
            break;
    }
    return count;
}

size_t chainstate_blocks_to_fetch(const struct chainstate *cs, const struct bindex_node **out,
                                  size_t max)
{
    struct bindex_node *best = bindex_best_header(cs->bi);
    struct bindex_node *fork = bindex_fork_point(bindex_tip(cs->bi), best);
    size_t count = 0;
    for (int h = fork->height + 1; h <= best->height && count < max; h++) {
        struct bindex_node *x = bindex_ancestor(best, h);
        if (!(x->status & BINDEX_HAVE_DATA))
            out[count++] = x;
    }
    return count;
}

bool chainstate_initial_download(struct chainstate *cs)
{
    if (cs->caught_up)
        return false;
    /* Core's importing and reindexing cases never reach here: -reindex
     * runs inside chainstate_open, and there is always a tip (genesis). */
    const struct bindex_node *tip = bindex_tip(cs->bi);
    if (u256_cmp(&tip->work, &cs->min_work) < 0 ||
        (int64_t)tip->hdr.time < cs_now(cs) - cs->opts.max_tip_age)
        return true;
    LOG_INFO("Leaving InitialBlockDownload (latching to false)");
    cs->caught_up = true;
    return false;
}

const struct u256 *chainstate_min_chain_work(const struct chainstate *cs)
{
    return &cs->min_work;
}

bool chainstate_coin_lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    struct chainstate *cs = ctx;
    char *err = NULL;
    int r = utxo_get(cs->utxo, op, out, &err);
    if (r < 0) {
        LOG_ERROR("coin lookup: %s", err);
        free(err);
    }
    return r == 1;
}

uint32_t chainstate_script_flags(const struct chainstate *cs)
{
    const struct bindex_node *tip = bindex_tip(cs->bi);
    return validation_script_flags(cs->p, tip->height, &tip->hash);
}

size_t chainstate_cache_usage(const struct chainstate *cs)
{
    return utxo_memory(cs->utxo);
}

uint64_t chainstate_coins_disk_size(const struct chainstate *cs)
{
    return store_coins_disk_size(cs->coins);
}
