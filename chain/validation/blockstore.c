#include "chain/validation/blockstore.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct blockstore {
    struct store *index;
    struct blockfile *files;
    struct store_batch *batch;
    struct wbuf buf;
    /* Per file, for the check on open: -1 unknown, 0 missing, 1 there. */
    int8_t *present;
    int present_n;
    bool pruned;
    struct worker *writer; /* NULL: syncs on the caller's thread */
    _Atomic(char *) failed; /* the writer's first failure, for the caller */
};

/* Block files to sync, then the index's log (sync_index). */
struct sync_job {
    struct blockstore *bs;
    struct blockfile_sync *files;
    bool sync_index;
};

static void sync_job_run(void *arg)
{
    struct sync_job *j = arg;
    char *err = NULL, *none = NULL;
    int rc = blockfile_sync_run(j->files, &err);
    if (rc == 0 && j->sync_index) {
        /* An empty synced write syncs the log holding every earlier one. */
        struct store_batch *b = store_batch_new();
        rc = store_write(j->bs->index, b, true, &err);
        store_batch_free(b);
    }
    if (rc < 0 && !atomic_compare_exchange_strong(&j->bs->failed, &none, err))
        free(err);
    free(j);
}

void blockstore_set_writer(struct blockstore *bs, struct worker *w)
{
    bs->writer = w;
}

/* The writer's failure, once: -1 and *err. */
static int take_failure(struct blockstore *bs, char **err)
{
    char *failed = atomic_exchange(&bs->failed, NULL);
    if (!failed)
        return 0;
    if (err)
        *err = failed;
    else
        free(failed);
    return -1;
}

int blockstore_wait(struct blockstore *bs, char **err)
{
    if (bs->writer)
        worker_wait(bs->writer);
    return take_failure(bs, err);
}

char *blockstore_path(const char *root, const char *name)
{
    size_t n = strlen(root) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", root, name);
    return p;
}

/* The layout before block files kept everything in one LevelDB database
 * in <root>/index; its blocks cannot be reindexed, only downloaded again. */
static int refuse_old_layout(const char *root, char **err)
{
    char *old = blockstore_path(root, "index/CURRENT");
    bool found = access(old, F_OK) == 0;
    free(old);
    if (found)
        err_set(err, "%s/index is the old single-database layout (blocks inside LevelDB): "
                     "delete that directory and restart to download the chain again", root);
    return found ? -1 : 0;
}

/* The infos and the last file number as the index recorded them. */
static int load_files(struct blockstore *bs, char **err)
{
    int last = 0;
    int known = store_get_last_file(bs->index, &last, err);
    if (known < 0)
        return -1;
    for (int f = 0;; f++) {
        uint8_t *rec;
        size_t len;
        struct blockfile_info info;
        int r = store_get_file_info(bs->index, f, &rec, &len, err);
        if (r < 0)
            return -1;
        if (r == 0 && f > last)
            break;
        if (r == 0)
            continue;
        bool ok = blockfile_info_decode(rec, len, &info);
        free(rec);
        if (!ok)
            return err_set(err, "block file info %d is corrupt", f);
        blockfile_set_info(bs->files, f, &info);
    }
    blockfile_set_last(bs->files, last);
    if (store_get_flag(bs->index, "prunedblockfiles", &bs->pruned, err) < 0)
        return -1;
    /* Without a record (a new or a lost index) no size is known: the
     * files stay as they are, for a reindex. */
    return known ? blockfile_trim_tail(bs->files, err) : 0;
}

static int open_parts(struct blockstore *bs, const char *root, const uint8_t magic[4], bool fast,
                      bool reindex, size_t cache_bytes, char **err)
{
    char *blocks = blockstore_path(root, "blocks");
    char *index = blockstore_path(blocks, "index");
    int rc = refuse_old_layout(root, err);
    if (rc == 0 && mkdir(root, 0755) < 0 && errno != EEXIST)
        rc = err_set(err, "cannot create %s: %s", root, strerror(errno));
    if (rc == 0)
        bs->files = blockfile_open(blocks, magic, fast, err);
    if (!bs->files || (reindex && (store_destroy(index, err) < 0 ||
                                   blockfile_reset(bs->files, err) < 0)))
        rc = -1;
    if (rc == 0 && !(bs->index = store_open(index, cache_bytes, err)))
        rc = -1;
    /* A reindex finds the files' contents again instead. */
    if (rc == 0 && !reindex)
        rc = load_files(bs, err);
    free(index);
    free(blocks);
    return rc;
}

struct blockstore *blockstore_open(const char *root, const uint8_t magic[4], bool fast,
                                   bool reindex, size_t cache_bytes, char **err)
{
    struct blockstore *bs = xcalloc(1, sizeof(*bs));
    bs->batch = store_batch_new();
    wbuf_init(&bs->buf);
    if (open_parts(bs, root, magic, fast, reindex, cache_bytes, err) < 0) {
        blockstore_close(bs);
        return NULL;
    }
    return bs;
}

void blockstore_close(struct blockstore *bs)
{
    if (!bs)
        return;
    char *err = NULL;
    if (blockstore_wait(bs, &err) < 0) {
        LOG_ERROR("block storage: %s", err);
        free(err);
    }
    store_close(bs->index);
    blockfile_close(bs->files);
    store_batch_free(bs->batch);
    wbuf_free(&bs->buf);
    free(bs->present);
    free(bs);
}

void blockstore_persist_node(struct blockstore *bs, const struct bindex_node *n)
{
    wbuf_reset(&bs->buf);
    bindex_node_encode(n, &bs->buf);
    store_batch_put_index(bs->batch, &n->hash, bs->buf.data, bs->buf.len);
}

static void persist_file(struct blockstore *bs, int file)
{
    wbuf_reset(&bs->buf);
    blockfile_info_encode(blockfile_info(bs->files, file), &bs->buf);
    store_batch_put_file_info(bs->batch, file, bs->buf.data, bs->buf.len);
}

int blockstore_write(struct blockstore *bs, bool sync, char **err)
{
    /* A file switch leaves the finished file's sync to the next write. */
    struct blockfile_sync *files = blockfile_sync_take(bs->files, sync, err);
    int r = files == BLOCKFILE_SYNC_FAILED ? -1 : take_failure(bs, err);
    if (r == 0 && !bs->writer) {
        r = blockfile_sync_run(files, err);
        files = NULL;
    }
    /* Something to sync even when nothing is queued. */
    if (r == 0 && sync)
        store_batch_set_last_file(bs->batch, blockfile_last(bs->files));
    if (r == 0)
        r = store_write(bs->index, bs->batch, sync && !bs->writer, err);
    store_batch_clear(bs->batch);
    if (r == 0 && bs->writer && (files || sync)) {
        struct sync_job *j = xmalloc(sizeof(*j));
        *j = (struct sync_job){bs, files, sync};
        worker_submit(bs->writer, sync_job_run, j);
    } else {
        blockfile_sync_free(files);
    }
    return r;
}

size_t blockstore_pending(const struct blockstore *bs)
{
    return store_batch_count(bs->batch);
}

void blockstore_discard(struct blockstore *bs)
{
    store_batch_clear(bs->batch);
}

int blockstore_save_block(struct blockstore *bs, struct bindex_node *n, const uint8_t *raw,
                          size_t len, const struct blockfile_pos *pos, char **err)
{
    if (pos) {
        blockfile_note_block(bs->files, pos, n->height, n->hdr.time);
        n->data_pos = *pos;
    } else if (blockfile_append_block(bs->files, raw, len, n->height, n->hdr.time, &n->data_pos,
                                      err) < 0) {
        return -1;
    }
    n->status |= BINDEX_HAVE_DATA;
    blockstore_persist_node(bs, n);
    persist_file(bs, n->data_pos.file);
    store_batch_set_last_file(bs->batch, blockfile_last(bs->files));
    return 0;
}

int blockstore_save_undo(struct blockstore *bs, struct bindex_node *n, const uint8_t *undo,
                         size_t len, char **err)
{
    if (blockfile_append_undo(bs->files, n->data_pos.file, &n->prev->hash, undo, len,
                              &n->undo_pos, err) < 0)
        return -1;
    n->status |= BINDEX_HAVE_UNDO;
    blockstore_persist_node(bs, n);
    persist_file(bs, n->data_pos.file);
    return 0;
}

int blockstore_read_block(struct blockstore *bs, const struct bindex_node *n, uint8_t **data,
                          size_t *len, char **err)
{
    if (!(n->status & BINDEX_HAVE_DATA)) {
        err_set(err, "block %d is not stored", n->height);
        return 0;
    }
    return blockstore_read_at(bs, &n->data_pos, data, len, err);
}

int blockstore_read_at(struct blockstore *bs, const struct blockfile_pos *pos, uint8_t **data,
                       size_t *len, char **err)
{
    *len = pos->len;
    return blockfile_read_block(bs->files, pos, data, err);
}

int blockstore_read_undo(struct blockstore *bs, const struct bindex_node *n, uint8_t **data,
                         size_t *len, char **err)
{
    if (!(n->status & BINDEX_HAVE_UNDO) || !n->prev) {
        err_set(err, "undo data for block %d is not stored", n->height);
        return 0;
    }
    *len = n->undo_pos.len;
    return blockfile_read_undo(bs->files, &n->undo_pos, &n->prev->hash, data, err);
}

int blockstore_foreach_index(struct blockstore *bs, store_index_fn fn, void *ctx, char **err)
{
    return store_foreach_index(bs->index, fn, ctx, err);
}

static bool file_present(struct blockstore *bs, int file)
{
    if (file < 0)
        return false;
    if (file >= bs->present_n) {
        int n = file + 64;
        bs->present = xrealloc(bs->present, (size_t)n);
        memset(bs->present + bs->present_n, -1, (size_t)(n - bs->present_n));
        bs->present_n = n;
    }
    if (bs->present[file] < 0)
        bs->present[file] = blockfile_exists(bs->files, file);
    return bs->present[file] == 1;
}

/* The block reads back whole, as indexed. */
static bool block_ok(struct blockstore *bs, const struct bindex_node *n)
{
    uint8_t *raw = NULL;
    size_t len;
    char *err = NULL;
    struct hash256 h;
    bool ok = blockstore_read_block(bs, n, &raw, &len, &err) == 1 && len >= BLOCK_HEADER_SIZE;
    if (ok) {
        hash_sha256d(raw, BLOCK_HEADER_SIZE, &h);
        ok = hash_eq(&h, &n->hash);
    }
    free(raw);
    free(err);
    return ok;
}

static bool undo_ok(struct blockstore *bs, const struct bindex_node *n)
{
    uint8_t *raw = NULL;
    size_t len;
    char *err = NULL;
    bool ok = blockstore_read_undo(bs, n, &raw, &len, &err) == 1;
    free(raw);
    free(err);
    return ok;
}

bool blockstore_check_node(struct blockstore *bs, struct bindex_node *n)
{
    if (!(n->status & BINDEX_HAVE_DATA))
        return false;
    uint32_t before = n->status;
    bool recent = n->data_pos.file >= blockfile_last(bs->files) - 1;
    if (recent ? !block_ok(bs, n) : !file_present(bs, n->data_pos.file))
        n->status &= ~(uint32_t)(BINDEX_HAVE_DATA | BINDEX_HAVE_UNDO);
    else if ((n->status & BINDEX_HAVE_UNDO) && recent && !undo_ok(bs, n))
        n->status &= ~(uint32_t)BINDEX_HAVE_UNDO;
    if (n->status == before)
        return false;
    char hex[HASH_HEX_LEN + 1];
    hash_to_hex(&n->hash, hex);
    LOG_WARN("block %s (height %d): %s missing or torn in block file %d; it will be fetched "
             "again", hex, n->height, (n->status & BINDEX_HAVE_DATA) ? "undo data" : "data",
             n->data_pos.file);
    blockstore_persist_node(bs, n);
    return true;
}

const struct blockfile *blockstore_files(const struct blockstore *bs)
{
    return bs->files;
}

struct prune_ctx {
    struct blockstore *bs;
    const bool *gone; /* by file number */
    int nfiles;
};

static void forget_data(void *ctx, struct bindex_node *n)
{
    struct prune_ctx *p = ctx;
    if (!(n->status & BINDEX_HAVE_DATA) || n->data_pos.file < 0 ||
        n->data_pos.file >= p->nfiles || !p->gone[n->data_pos.file])
        return;
    n->status &= ~(uint32_t)(BINDEX_HAVE_DATA | BINDEX_HAVE_UNDO);
    n->status |= BINDEX_PRUNED;
    blockstore_persist_node(p->bs, n);
}

/* As Core's PruneOneBlockFile for each file, then one index write (its
 * FlushStateToDisk) and only then the unlinks (UnlinkPrunedFiles). */
int blockstore_remove_files(struct blockstore *bs, struct bindex *bi, const int *files, size_t n,
                            char **err)
{
    int last = blockfile_last(bs->files);
    for (size_t i = 0; i < n; i++)
        if (files[i] < 0 || files[i] >= last)
            return err_set(err, "block file %d cannot be removed", files[i]);
    if (n == 0)
        return 0;
    bool *gone = xcalloc((size_t)last, sizeof(*gone));
    for (size_t i = 0; i < n; i++)
        gone[files[i]] = true;
    struct prune_ctx p = {bs, gone, last};
    bindex_foreach(bi, forget_data, &p);
    free(gone);
    struct blockfile_info empty = {0};
    for (size_t i = 0; i < n; i++) {
        blockfile_set_info(bs->files, files[i], &empty);
        persist_file(bs, files[i]);
    }
    store_batch_set_flag(bs->batch, "prunedblockfiles", true);
    bs->pruned = true;
    /* The index says the files are gone before they are. */
    if (blockstore_write(bs, true, err) < 0 || blockstore_wait(bs, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (blockfile_remove(bs->files, files[i], err) < 0)
            return -1;
    return 0;
}

bool blockstore_pruned(const struct blockstore *bs)
{
    return bs->pruned;
}

int blockstore_scan(struct blockstore *bs, blockfile_scan_fn fn, void *ctx, char **err)
{
    for (int f = 0;; f++) {
        int r = blockfile_scan(bs->files, f, fn, ctx, err);
        if (r <= 0)
            return r;
    }
}
