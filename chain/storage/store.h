/* Durable chain storage in a LevelDB database (through its C API). The
 * chainstate keeps two, as Bitcoin Core: the block index (blocks/index)
 * and the coins (chainstate), each with its own cache and write buffer, so
 * flushing one never compacts the other. Raw blocks and undo data live in
 * block files (chain/storage/blockfile.h), not here.
 *
 * Key spaces, one prefix byte each. Block index database: index records
 * ('h' + block hash), block file infos ('f' + big-endian file number),
 * the last block file ('l') and named flags ('F' + name). Coins database:
 * the UTXO set ('c' + txid + big-endian output index) and the best block
 * ('T', the block the stored UTXO set corresponds to). Changes are grouped in a
 * store_batch and written atomically: LevelDB applies a batch entirely or
 * not at all, even if the process dies in the middle, so a batch that
 * carries a block's UTXO changes together with the new tip can never be
 * seen half applied.
 *
 * Lookups return 1 (found), 0 (absent) or -1 (I/O or corruption, *err
 * set, malloc'd). */
#ifndef HEARSAY_CHAIN_STORE_H
#define HEARSAY_CHAIN_STORE_H

#include "chain/primitives/coin.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_batch;

/* Opens (creating if needed) the database in dir. cache_bytes sizes
 * LevelDB's block cache and write buffer. */
struct store *store_open(const char *dir, size_t cache_bytes, char **err);
void store_close(struct store *s); /* accepts NULL */
/* Deletes a (closed) database and its directory contents. */
int store_destroy(const char *dir, char **err);

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b); /* accepts NULL */
void store_batch_clear(struct store_batch *b);
size_t store_batch_count(const struct store_batch *b); /* operations queued */

void store_batch_put_index(struct store_batch *b, const struct hash256 *hash, const void *rec,
                           size_t len);
void store_batch_put_file_info(struct store_batch *b, int file, const void *rec, size_t len);
void store_batch_set_last_file(struct store_batch *b, int file);
void store_batch_set_flag(struct store_batch *b, const char *name, bool on);
void store_batch_put_coin(struct store_batch *b, const struct outpoint *op, int64_t value,
                          const uint8_t *script, size_t script_len, int32_t height, bool coinbase);
void store_batch_del_coin(struct store_batch *b, const struct outpoint *op);
void store_batch_set_tip(struct store_batch *b, const struct hash256 *hash);

/* Applies the batch atomically. sync waits until it is on disk (fsync),
 * which survives power loss; without it the write survives a killed
 * process but not a crashed machine. */
int store_write(struct store *s, struct store_batch *b, bool sync, char **err);

/* A block file's info record, malloc'd into *data. */
int store_get_file_info(struct store *s, int file, uint8_t **data, size_t *len, char **err);
int store_get_last_file(struct store *s, int *file, char **err);
int store_get_flag(struct store *s, const char *name, bool *on, char **err);
/* Fills *out (the caller clears it). */
int store_get_coin(struct store *s, const struct outpoint *op, struct coin *out, char **err);
int store_get_tip(struct store *s, struct hash256 *hash, char **err);

/* Visits every block index record, then every coin. A non-zero return
 * from fn stops the walk and is returned; -1 and *err on read errors. */
typedef int (*store_index_fn)(void *ctx, const struct hash256 *hash, const uint8_t *rec,
                              size_t len);
int store_foreach_index(struct store *s, store_index_fn fn, void *ctx, char **err);
typedef int (*store_coin_fn)(void *ctx, const struct outpoint *op, const struct coin *coin);
int store_foreach_coin(struct store *s, store_coin_fn fn, void *ctx, char **err);
/* The database as it is now, for a walk on any thread while the event
 * loop goes on writing (LevelDB snapshots are thread-safe). Free it
 * before the store. */
struct store_snapshot;
struct store_snapshot *store_snapshot_new(struct store *s);
void store_snapshot_free(struct store_snapshot *snap); /* accepts NULL */
int store_snapshot_foreach_coin(struct store_snapshot *snap, store_coin_fn fn, void *ctx,
                                char **err);
/* Bytes the coins take on disk, as LevelDB estimates them. */
uint64_t store_coins_disk_size(struct store *s);

/* Coin value encoding, shared with undo data: code (height * 2 +
 * coinbase), value, script. Decoding fills *out with a malloc'd script. */
void store_coin_encode(struct wbuf *w, int64_t value, const uint8_t *script, size_t script_len,
                       int32_t height, bool coinbase);
bool store_coin_decode(struct cursor *c, struct coin *out);

#endif
