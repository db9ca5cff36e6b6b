/* Append-only block and undo files, as Bitcoin Core's blocks/blk?????.dat
 * and blocks/rev?????.dat.
 *
 * Every record is framed as in Core: the 4-byte network magic, the 4-byte
 * little-endian payload size, the payload. A block file holds raw blocks;
 * the rev file of the same number holds the undo data of those blocks,
 * each record followed by a 32-byte checksum, the double SHA-256 of the
 * previous block's hash and the undo payload (Core's undo checksum), so a
 * torn or misplaced record is detected on read.
 *
 * Blocks go to the last file until it would exceed 128 MiB, then to the
 * next one; the finished file is trimmed to its data, and synced with
 * the next flush (blockfile_sync_take). Files
 * grow by preallocated chunks (16 MiB for blocks, 1 MiB for undo) so the
 * file system keeps them contiguous. With the test option `fast` (Core's
 * -fastprune) files end at 64 KiB and block chunks are 16 KiB, so tests
 * can cross many file boundaries.
 *
 * A position names a record by file number, payload offset (after the
 * 8-byte header, as Core's nDataPos) and payload length: a read is one
 * pread of header and payload, and checks the header against the position.
 *
 * The module keeps, per file, an info record (blocks, bytes, heights and
 * times), which the caller persists in its block index database with the
 * "last file" number: after each append the caller writes
 * blockfile_info(file) and blockfile_last(), and on start hands them back
 * with blockfile_set_info / blockfile_set_last before appending again.
 * Only the recorded sizes count: bytes beyond them (an append the index
 * never saw, a torn tail) are cut off by blockfile_trim_tail and
 * otherwise overwritten.
 *
 * Durability: appends are pwrite()s (they survive a killed process);
 * blockfile_flush fdatasyncs what was written since the last flush. The
 * caller flushes before it syncs an index that points at the data.
 *
 * Functions return 0 / -1 with *err (malloc'd) unless said otherwise. */
#ifndef HEARSAY_CHAIN_BLOCKFILE_H
#define HEARSAY_CHAIN_BLOCKFILE_H

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKFILE_HEADER_SIZE 8              /* magic, size */
#define BLOCKFILE_MAX_FILE_SIZE (128u << 20) /* Core's MAX_BLOCKFILE_SIZE */
#define BLOCKFILE_BLOCK_CHUNK (16u << 20)    /* Core's BLOCKFILE_CHUNK_SIZE */
#define BLOCKFILE_UNDO_CHUNK (1u << 20)      /* Core's UNDOFILE_CHUNK_SIZE */
#define BLOCKFILE_FAST_FILE_SIZE (64u << 10) /* -fastprune's file size */
#define BLOCKFILE_FAST_CHUNK (16u << 10)     /* -fastprune's block chunk */
/* No record is larger than a serialized block can be (Core's
 * MAX_BLOCK_SERIALIZED_SIZE). */
#define BLOCKFILE_MAX_RECORD 4000000u

struct blockfile;

struct blockfile_pos {
    int32_t file;  /* -1: none */
    uint32_t pos;  /* payload offset */
    uint32_t len;  /* payload length */
};

/* Core's CBlockFileInfo. */
struct blockfile_info {
    uint32_t blocks;     /* blocks stored in the file */
    uint32_t size;       /* bytes used in the blk file */
    uint32_t undo_size;  /* bytes used in the rev file */
    int32_t height_first, height_last;
    uint64_t time_first, time_last;
};

/* Opens the files in dir (created if missing). magic is the network's. */
struct blockfile *blockfile_open(const char *dir, const uint8_t magic[4], bool fast,
                                 char **err);
void blockfile_close(struct blockfile *bf); /* accepts NULL */

/* Restoring the persisted state on start (see above). */
void blockfile_set_info(struct blockfile *bf, int file, const struct blockfile_info *info);
void blockfile_set_last(struct blockfile *bf, int file);
/* Cuts the blk and rev files of the last file back to their recorded
 * sizes: a crash during an append leaves a tail no index points at. */
int blockfile_trim_tail(struct blockfile *bf, char **err);

/* Appends a block (its height and header time go into the file's info);
 * *out is where it went. */
int blockfile_append_block(struct blockfile *bf, const uint8_t *data, size_t len, int height,
                           uint64_t time, struct blockfile_pos *out, char **err);
/* Records a block already in a file (found by a reindex scan) in the
 * file's info, as an append would have. */
void blockfile_note_block(struct blockfile *bf, const struct blockfile_pos *pos, int height,
                          uint64_t time);
/* Appends undo data for a block stored in file `file`, to that file's rev
 * file; prev is the hash of the block's parent (for the checksum). */
int blockfile_append_undo(struct blockfile *bf, int file, const struct hash256 *prev,
                          const uint8_t *data, size_t len, struct blockfile_pos *out,
                          char **err);

/* Reads a record into a malloc'd *data. 1 read, 0 missing or torn (the
 * file or the record is not there, its header or checksum does not match:
 * *err says which), -1 on an I/O error. */
int blockfile_read_block(const struct blockfile *bf, const struct blockfile_pos *pos,
                         uint8_t **data, char **err);
int blockfile_read_undo(const struct blockfile *bf, const struct blockfile_pos *pos,
                        const struct hash256 *prev, uint8_t **data, char **err);

/* Whether the blk file of that number exists. */
bool blockfile_exists(const struct blockfile *bf, int file);

/* Syncs what was appended since the last flush. */
int blockfile_flush(struct blockfile *bf, char **err);

/* The same in two steps, so the sync can run on another thread: take
 * hands over duplicates of the descriptors written since the last flush
 * (current: the last file's too; else only the files finished since,
 * whose sync a file switch leaves for later, and older rev files that
 * undo data went to since), NULL when there are none,
 * BLOCKFILE_SYNC_FAILED (*err) when they cannot be duplicated. run syncs
 * them on any thread (it touches nothing else), then frees them. */
struct blockfile_sync;
#define BLOCKFILE_SYNC_FAILED ((struct blockfile_sync *)1)
struct blockfile_sync *blockfile_sync_take(struct blockfile *bf, bool current, char **err);
int blockfile_sync_run(struct blockfile_sync *s, char **err);
/* Drops them unsynced; accepts NULL and BLOCKFILE_SYNC_FAILED. */
void blockfile_sync_free(struct blockfile_sync *s);

int blockfile_last(const struct blockfile *bf);
/* Number of files with an info record (files 0 .. count-1). */
int blockfile_count(const struct blockfile *bf);
/* NULL beyond count. */
const struct blockfile_info *blockfile_info(const struct blockfile *bf, int file);
/* Bytes used by all blk and rev files (Core's CalculateCurrentUsage). */
uint64_t blockfile_usage(const struct blockfile *bf);

/* Deletes the blk/rev pair of a file and clears its info (pruning). The
 * last file cannot be removed. */
int blockfile_remove(struct blockfile *bf, int file, char **err);
/* Truncates every rev file to empty and zeroes the undo sizes, and forgets
 * all infos: a reindex rebuilds them with blockfile_note_block. */
int blockfile_reset(struct blockfile *bf, char **err);

/* Scans one blk file for records, as a reindex does: calls fn with each
 * payload that starts with a plausible header (magic, a size within
 * bounds and the file). Skips bytes until the next magic after garbage.
 * 1 scanned, 0 the file does not exist, -1 error or fn's non-zero. */
typedef int (*blockfile_scan_fn)(void *ctx, const struct blockfile_pos *pos,
                                 const uint8_t *data);
int blockfile_scan(struct blockfile *bf, int file, blockfile_scan_fn fn, void *ctx, char **err);

/* The persistent form of an info record. */
void blockfile_info_encode(const struct blockfile_info *info, struct wbuf *w);
bool blockfile_info_decode(const uint8_t *data, size_t len, struct blockfile_info *out);

#endif
