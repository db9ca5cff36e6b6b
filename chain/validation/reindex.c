#include "chain/validation/reindex.h"

#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/blockstore.h"

#include <stdlib.h>
#include <string.h>

/* A block whose parent was not known when it was found. */
struct held {
    struct hash256 prev;
    struct blockfile_pos pos;
};

struct reindex {
    struct chainstate *cs;
    const struct blockfile *files;
    struct held *held;
    size_t n_held, cap_held;
    struct hash256 *ready; /* accepted blocks whose held children may go */
    size_t n_ready, cap_ready;
    size_t blocks;
    char **err;
};

static void push_ready(struct reindex *r, const struct hash256 *h)
{
    if (r->n_ready == r->cap_ready) {
        r->cap_ready = r->cap_ready ? 2 * r->cap_ready : 64;
        r->ready = xreallocarray(r->ready, r->cap_ready, sizeof(*r->ready));
    }
    r->ready[r->n_ready++] = *h;
}

static void hold(struct reindex *r, const struct hash256 *prev, const struct blockfile_pos *pos)
{
    if (r->n_held == r->cap_held) {
        r->cap_held = r->cap_held ? 2 * r->cap_held : 64;
        r->held = xreallocarray(r->held, r->cap_held, sizeof(*r->held));
    }
    r->held[r->n_held++] = (struct held){*prev, *pos};
}

/* Accepts one block found at pos. -1 only on a storage error. */
static int import(struct reindex *r, const struct blockfile_pos *pos, const uint8_t *data)
{
    const char *why = NULL;
    struct block *b = block_from_bytes(data, pos->len, &why);
    if (!b) {
        LOG_DEBUG(LOG_BLOCKSTORAGE, "reindex: unreadable record in file %d at %u: %s",
                  pos->file, pos->pos, why);
        return 0;
    }
    enum chainstate_status st = chainstate_import_block(r->cs, b, pos, &why, r->err);
    if (st == CHAINSTATE_MISSING_PARENT)
        hold(r, &b->hdr.prev, pos);
    else if (st == CHAINSTATE_ACCEPTED)
        push_ready(r, &b->hash);
    else if (st == CHAINSTATE_INVALID)
        LOG_INFO("reindex: block at file %d offset %u is invalid: %s", pos->file, pos->pos, why);
    block_free(b);
    if (st == CHAINSTATE_ERROR)
        return -1;
    if (++r->blocks % 10000 == 0)
        LOG_INFO("reindex: %zu blocks, tip height %d", r->blocks, chainstate_height(r->cs));
    return 0;
}

/* Accepts the held descendants of every block just accepted. */
static int release_held(struct reindex *r)
{
    while (r->n_ready) {
        struct hash256 parent = r->ready[--r->n_ready];
        for (size_t i = 0; i < r->n_held;) {
            if (!hash_eq(&r->held[i].prev, &parent)) {
                i++;
                continue;
            }
            struct blockfile_pos pos = r->held[i].pos;
            r->held[i] = r->held[--r->n_held];
            uint8_t *data = NULL;
            int rc = blockfile_read_block(r->files, &pos, &data, r->err);
            if (rc < 0)
                return -1;
            if (rc == 1)
                rc = import(r, &pos, data);
            free(data);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static int visit(void *ctx, const struct blockfile_pos *pos, const uint8_t *data)
{
    struct reindex *r = ctx;
    return import(r, pos, data) < 0 || release_held(r) < 0 ? -1 : 0;
}

int reindex_run(struct chainstate *cs, char **err)
{
    struct blockstore *bs = chainstate_blockstore(cs);
    struct reindex r = {.cs = cs, .files = blockstore_files(bs), .err = err};
    LOG_INFO("reindex: rebuilding the block index and the coins from the block files");
    int rc = blockstore_scan(bs, visit, &r, err) < 0 ? -1 : 0;
    /* Without a genesis block in the files there is nothing to flush:
     * opening starts a new chain. */
    if (rc == 0 && chainstate_height(cs) >= 0)
        rc = chainstate_flush(cs, err);
    if (rc == 0)
        LOG_INFO("reindex: done, %zu blocks, tip height %d, %zu without a parent", r.blocks,
                 chainstate_height(cs), r.n_held);
    free(r.held);
    free(r.ready);
    return rc;
}
