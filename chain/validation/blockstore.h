/* The chainstate's block storage, as Bitcoin Core's BlockManager: raw
 * blocks and undo data in block files (<root>/blocks/blk*.dat, rev*.dat),
 * the block index, the file infos and the last file number in their own
 * LevelDB database (<root>/blocks/index). The coins live elsewhere
 * (<root>/chainstate, see utxo.h).
 *
 * Index records are queued in one batch (blockstore_batch) and written by
 * blockstore_write; saving a block or undo data queues the node's record
 * together with the info of the file it went to, so the index never
 * points past the recorded end of a file. A synced write first syncs the
 * block files: data is on disk before an index that points at it.
 *
 * With a writer thread (blockstore_set_writer), the syncs leave the
 * caller's thread: a synced write writes the index records at once,
 * unsynced (so writes stay in order), and hands the writer the block files
 * to sync, then the index's log; work queued on the same writer after it
 * (the coins' flush) runs once both are on disk. Until then a power loss
 * may keep an index record whose data is lost: opening finds it torn and
 * the block is fetched again (a killed process loses neither).
 *
 * On open, the tail of the last file that no index record covers (a crash
 * during an append) is cut off; blockstore_check_node then verifies each
 * loaded node's data: blocks and undo data in the last two files are read
 * back (size, header hash, undo checksum), older files must exist. */
#ifndef HEARSAY_CHAIN_BLOCKSTORE_H
#define HEARSAY_CHAIN_BLOCKSTORE_H

#include "chain/storage/blockfile.h"
#include "chain/storage/store.h"
#include "chain/validation/blockindex.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blockstore;

/* root/name, malloc'd. */
char *blockstore_path(const char *root, const char *name);

/* Opens (creating) the block files and the index under root; a root in
 * the old single-database layout (root/index) is refused with what to do. fast:
 * test-sized block files (-fastprune). reindex: the index database is
 * deleted first and the rev files emptied (blockstore_reindex_scan then
 * finds the blocks again). */
struct blockstore *blockstore_open(const char *root, const uint8_t magic[4], bool fast,
                                   bool reindex, size_t cache_bytes, char **err);
void blockstore_close(struct blockstore *bs); /* accepts NULL */

struct worker;
/* Syncs on w from now on (owned by the caller; NULL: the caller's thread
 * again). blockstore_close waits for it. */
void blockstore_set_writer(struct blockstore *bs, struct worker *w);
/* Waits for the writer's syncs: 0, or -1 and *err if one failed. */
int blockstore_wait(struct blockstore *bs, char **err);

/* Queues n's index record. */
void blockstore_persist_node(struct blockstore *bs, const struct bindex_node *n);
/* Writes what is queued (sync: block files and index synced, or handed
 * to the writer). Fails with a writer's earlier failure. */
int blockstore_write(struct blockstore *bs, bool sync, char **err);
size_t blockstore_pending(const struct blockstore *bs);
void blockstore_discard(struct blockstore *bs);

/* Appends the block (or takes its position in a file, when pos is not
 * NULL: a reindex) and queues n with HAVE_DATA and its file's info. */
int blockstore_save_block(struct blockstore *bs, struct bindex_node *n, const uint8_t *raw,
                          size_t len, const struct blockfile_pos *pos, char **err);
/* Appends n's undo data and queues n with HAVE_UNDO. */
int blockstore_save_undo(struct blockstore *bs, struct bindex_node *n, const uint8_t *undo,
                         size_t len, char **err);
/* 1 read (malloc'd *data, *len), 0 not stored or unreadable (*err), -1 I/O error. */
int blockstore_read_block(struct blockstore *bs, const struct bindex_node *n, uint8_t **data,
                          size_t *len, char **err);
/* The same at a block's position, copied from its node on the caller's
 * thread: safe on another thread (the files are only read), while the
 * node's status and positions may change on the caller's. */
int blockstore_read_at(struct blockstore *bs, const struct blockfile_pos *pos, uint8_t **data,
                       size_t *len, char **err);
int blockstore_read_undo(struct blockstore *bs, const struct bindex_node *n, uint8_t **data,
                         size_t *len, char **err);

/* Visits every index record (store_foreach_index). */
int blockstore_foreach_index(struct blockstore *bs, store_index_fn fn, void *ctx, char **err);
/* Verifies a loaded node's data (see above); clears HAVE_DATA/HAVE_UNDO
 * for what is missing or torn, queues the change and returns true then. */
bool blockstore_check_node(struct blockstore *bs, struct bindex_node *n);

/* The block files, for queries (blockfile_info, blockfile_usage...). */
const struct blockfile *blockstore_files(const struct blockstore *bs);
/* Deletes n blk/rev pairs (none the last) after clearing HAVE_DATA and
 * HAVE_UNDO of their blocks in bi, and records the "prunedblockfiles"
 * flag; the index is written once, synced, before the files go. */
int blockstore_remove_files(struct blockstore *bs, struct bindex *bi, const int *files, size_t n,
                            char **err);

/* Whether block files were ever removed (the "prunedblockfiles" flag). */
bool blockstore_pruned(const struct blockstore *bs);

/* Calls fn for every record of every block file from 0 up to the first
 * missing one (a reindex). */
int blockstore_scan(struct blockstore *bs, blockfile_scan_fn fn, void *ctx, char **err);

#endif
