/* The chainstate: the public face of chain storage and validation.
 *
 * It owns the store, the header tree and the UTXO set, accepts headers
 * and blocks, and keeps the active chain on the valid chain with the most
 * work, reorganizing when another branch overtakes it: it disconnects back
 * to the fork point with undo data, connects the new branch, and if a
 * block of that branch turns out invalid, marks it (and its descendants)
 * and returns to the best valid chain.
 *
 * Storage, as Bitcoin Core: under the directory given to chainstate_open,
 * blocks/blk*.dat and rev*.dat hold raw blocks and undo data
 * (chain/storage/blockfile.h), blocks/index/ the block index and the file
 * infos, chainstate/ the coins and the block they match
 * (chain/validation/blockstore.h, utxo.h).
 *
 * Durability: a block is appended to a block file and indexed before
 * chainstate_process_block returns (the write survives a killed
 * process; when the block is less than a day old, i.e. at the live tip,
 * its sync is queued at once); the UTXO set and the block it matches are
 * written together in one synced batch when the cache is full, hourly and
 * on close, after the block files and the index were synced. The syncs
 * and the periodic coins writes run in that order on a writer thread
 * (chain/util/worker.h), so the caller's thread never waits on the disk
 * for them; a close or an explicit flush waits. After a crash,
 * opening cuts the unindexed tail of the last block file, marks blocks
 * whose data is missing or torn as not stored (they are fetched again),
 * and replays the stored blocks above the coins' block, so nothing
 * accepted is lost and nothing is half applied.
 *
 * Scripts and signatures are verified as blocks connect, on a pool of
 * threads (chain/validation/checkqueue.h), except below an assumed-valid
 * block under Bitcoin Core's -assumevalid rules. */
#ifndef HEARSAY_CHAIN_CHAINSTATE_H
#define HEARSAY_CHAIN_CHAINSTATE_H

#include "chain/primitives/block.h"
#include "chain/validation/blockindex.h"
#include "chain/primitives/coin.h"
#include "chain/primitives/params.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chainstate;

struct sigcache;
struct scriptcache;

struct chainstate_options {
    size_t dbcache_bytes;      /* LevelDB caches plus the UTXO cache */
    int64_t flush_interval;    /* seconds between periodic UTXO flushes */
    int64_t (*now)(void);      /* clock for the 2-hour rule; NULL: the real one */
    int script_threads;        /* threads that check scripts (-par; 1: the caller alone) */
    /* Shared with the mempool, owned by the caller; may be NULL. */
    struct sigcache *sigcache;
    struct scriptcache *scriptcache;
    /* -assumevalid: when not given, the chain's default; zero checks all. */
    bool assumevalid_given;
    struct hash256 assumevalid;
    /* -minimumchainwork: when not given, the chain's. */
    bool min_chain_work_given;
    struct hash256 min_chain_work;
    /* -maxtipage: seconds a tip may lag the clock and still end the
     * initial download. */
    int64_t max_tip_age;
    /* -reindex: wipe the block index and the coins, rebuild them from the
     * block files. */
    bool reindex;
    /* -fastprune (tests): 64 KiB block files. */
    bool fast_prune;
    /* With a notify function set, a step checks a block's inputs for
     * about this long, then leaves the rest to the next steps (the loop
     * runs between them); 0: a step checks the whole block. */
    int64_t check_slice_us;
};

#define CHAINSTATE_DEFAULT_DBCACHE_MB 450
/* A quarter of the 100 ms a loop pause may take, the rest of a step
 * (reading the block, applying it, the undo write) included. */
#define CHAINSTATE_CHECK_SLICE_US 25000
#define CHAINSTATE_MIN_DBCACHE_MB 4
#define CHAINSTATE_DEFAULT_MAX_TIP_AGE (24 * 60 * 60)

void chainstate_default_options(struct chainstate_options *o);

/* Told about every change of the active chain, in order, so the mempool
 * and the relay can follow: blocks leaving it (tip first) and blocks
 * joining it, after the UTXO set and the tip moved. Listeners are called
 * in the order they were added (the mempool first, then who reads it). */
struct chainstate_callbacks {
    void (*connected)(void *ctx, const struct block *b, int height);
    void (*disconnected)(void *ctx, const struct block *b, int height);
    void *ctx;
    /* Optional: the tip moved and is now on the best chain (the end of an
     * activation, however many steps it took; Core's UpdatedBlockTip). */
    void (*settled)(void *ctx);
};

enum chainstate_status {
    CHAINSTATE_ACCEPTED,       /* new and stored (active or not) */
    CHAINSTATE_DUPLICATE,      /* already known */
    CHAINSTATE_INVALID,        /* breaks a rule: see *reason */
    CHAINSTATE_MISSING_PARENT, /* its parent header is unknown */
    CHAINSTATE_ERROR,          /* storage failed (*err): the chainstate accepts nothing
                                * more and close writes nothing; reopening repairs */
};

/* Opens or creates the chainstate in dir (see above), checks it and
 * repairs what a crash can leave (replaying blocks the UTXO set had not
 * caught up with). A directory of the old single-database layout is
 * refused with what to do. NULL and *err (malloc'd, precise) on failure. */
struct chainstate *chainstate_open(const struct chain_params *p, const char *dir,
                                   const struct chainstate_options *o, char **err);
/* Flushes and closes; accepts NULL. */
void chainstate_close(struct chainstate *cs);

#define CHAINSTATE_MAX_CALLBACKS 6
void chainstate_add_callbacks(struct chainstate *cs, const struct chainstate_callbacks *cb);
/* Removes every listener whose ctx is ctx. */
void chainstate_remove_callbacks(struct chainstate *cs, const void *ctx);

/* Headers in chain order (a `headers` message). Stops at the first that
 * is invalid or does not connect, with its hash in *bad (may be NULL).
 * ACCEPTED if at least one was new and none failed, DUPLICATE if all
 * were known. */
enum chainstate_status chainstate_process_headers(struct chainstate *cs,
                                                  const struct block_header *hdrs, size_t n,
                                                  struct hash256 *bad, const char **reason,
                                                  char **err);

/* A full block: checks, stores and, if it leads to more work, makes it
 * part of the active chain. INVALID also when the block is valid alone
 * but failed while connecting. A block rejected as mutated (bad merkle
 * root, duplicated tail, bad witness data) does not mark its header
 * invalid: the real block may still come. */
enum chainstate_status chainstate_process_block(struct chainstate *cs, const struct block *b,
                                                const char **reason, char **err);

/* The same, but storing the block only (Core's AcceptBlock): the tip is
 * left to chainstate_activate_step, one step per call, so a caller runs
 * the activation between other work, its first step on a later turn than
 * the block's arrival. The latest block accepted is kept in memory for
 * its connect step. INVALID when the block failed before storage; a later
 * step may still find it invalid (its status then says so). */
enum chainstate_status chainstate_accept_block(struct chainstate *cs, const struct block *b,
                                               const char **reason, char **err);
/* The next step toward the valid stored chain with the most work (with a
 * notify function set, a large block's input checks may take several
 * steps, each about check_slice_us): 1 when more steps remain, 0 when the
 * tip is there, -1 and *err on a storage
 * error (the chainstate then accepts nothing more), or
 * CHAINSTATE_STEP_WAIT when a block's scripts are being checked off the
 * caller's thread or the coins its inputs spend are being read, or the
 * coins cache is over budget while the last flush is still being written
 * (only with a notify function set): the notify function says when to
 * step again. */
#define CHAINSTATE_STEP_WAIT 2
int chainstate_activate_step(struct chainstate *cs, char **err);

/* Connects blocks in steps without waiting for their script checks: fn(ctx)
 * is called on a script thread once a block's checks are done (or on the
 * coins reader once its inputs' coins are read), and must
 * only wake the caller's loop (which then calls chainstate_activate_step
 * again). NULL goes back to waiting in the step. Either way a block in
 * flight is finished first; callers that need the activation complete
 * (chainstate_process_block, invalidate, reconsider, precious, flushes,
 * test_block) finish it themselves. Clear it before chainstate_close.
 * -1 and *err when finishing the block in flight failed on storage. */
typedef void (*chainstate_notify_fn)(void *ctx);
/* Whether a block's script checks are still running off the loop, or the
 * next block waits for the coins writer to finish the last flush. */
bool chainstate_connect_waiting(const struct chainstate *cs);
int chainstate_set_connect_notify(struct chainstate *cs, chainstate_notify_fn fn, void *ctx,
                                  char **err);
/* Whether the tip is off the valid stored chain with the most work. */
bool chainstate_activation_pending(struct chainstate *cs);

/* Core's TestBlockValidity for a block on the tip (getblocktemplate's
 * proposals): every check but proof of work, scripts included, without
 * storing or connecting it. 0 when valid, 1 with *reason (Core's reject
 * reason; "inconclusive-not-best-prevblk" when not on the tip), -1 and
 * *err on a storage error. */
int chainstate_test_block(struct chainstate *cs, const struct block *b, const char **reason,
                          char **err);

/* invalidateblock: marks the block and its descendants invalid and moves
 * the tip to the best chain without them. -1 and *err if the block is
 * unknown or genesis, or on storage errors. */
int chainstate_invalidate(struct chainstate *cs, const struct hash256 *hash, char **err);
/* reconsiderblock: clears the failures of the block, its ancestors and
 * descendants, then moves to the best chain again. */
int chainstate_reconsider(struct chainstate *cs, const struct hash256 *hash, char **err);
/* preciousblock: treats the block as if it had been received before the
 * others of the same work, so the tip moves to it when it has as much
 * work (Core's PreciousBlock; not kept across restarts). Nothing happens
 * for a block with less work than the tip. -1 and *err if unknown. */
int chainstate_precious(struct chainstate *cs, const struct hash256 *hash, char **err);

/* The chain's parameters (for checks done outside the chainstate). */
const struct chain_params *chainstate_params(const struct chainstate *cs);
const struct bindex_node *chainstate_tip(const struct chainstate *cs);
int chainstate_height(const struct chainstate *cs);
const struct bindex_node *chainstate_best_header(const struct chainstate *cs);
const struct bindex_node *chainstate_find(const struct chainstate *cs, const struct hash256 *hash);
const struct bindex_node *chainstate_at(const struct chainstate *cs, int height); /* active chain */
bool chainstate_is_active(const struct chainstate *cs, const struct bindex_node *n);
/* The header tree, for walks the functions above do not cover. */
struct bindex *chainstate_index(const struct chainstate *cs);

/* Stored blocks: parsed (block_free it) or raw. NULL / 0 if not stored. */
struct block *chainstate_get_block(struct chainstate *cs, const struct hash256 *hash, char **err);
int chainstate_get_block_raw(struct chainstate *cs, const struct hash256 *hash, uint8_t **data,
                             size_t *len, char **err);

/* Block files, for pruning. The file holding n's data, -1 if none (status
 * BINDEX_HAVE_DATA / BINDEX_HAVE_UNDO say what is stored). */
int chainstate_block_file(const struct chainstate *cs, const struct bindex_node *n);
struct blockfile;
/* Per-file infos and usage: blockfile_info, blockfile_count,
 * blockfile_last, blockfile_usage of chain/storage/blockfile.h. */
const struct blockfile *chainstate_block_files(const struct chainstate *cs);
/* Flushes the coins, then deletes n blk/rev pairs (none the last file)
 * and clears HAVE_DATA and HAVE_UNDO of their blocks: one coins flush and
 * one index write for them all. */
int chainstate_remove_block_files(struct chainstate *cs, const int *files, size_t n, char **err);

/* The coins a connected block spent, read from its undo data: one per
 * input of its transactions after the coinbase, in order. *coins is
 * malloc'd (coin_clear each, then free). 1, 0 without undo data, -1 and
 * *err when it cannot be read or decoded. */
int chainstate_spent_coins(struct chainstate *cs, const struct bindex_node *n,
                           struct coin **coins, size_t *count, char **err);

/* Locator from n (NULL: the tip) and the fork point of a peer's locator,
 * for getheaders / headers. */
size_t chainstate_locator(const struct chainstate *cs, const struct bindex_node *n,
                          struct hash256 *out, size_t max);
const struct bindex_node *chainstate_find_fork(const struct chainstate *cs,
                                         const struct hash256 *locator, size_t n);

/* Answer to getheaders: headers of the active chain after the fork point
 * of the peer's locator, up to and including stop (may be NULL), at most
 * max. With an empty locator, just stop's header if known (as Core).
 * Returns the count. */
size_t chainstate_get_headers(const struct chainstate *cs, const struct hash256 *locator,
                              size_t n, const struct hash256 *stop, struct block_header *out,
                              size_t max);

/* Blocks to download: those on the way from the active chain to the best
 * header whose data we lack, lowest first, at most max. */
size_t chainstate_blocks_to_fetch(const struct chainstate *cs, const struct bindex_node **out,
                                  size_t max);

/* Core's IsInitialBlockDownload: while the tip has less than the
 * minimum chain work or is older than the max tip age; once out, latched
 * (logged once). */
bool chainstate_initial_download(struct chainstate *cs);
/* The minimum chain work in force (-minimumchainwork or the chain's). */
const struct u256 *chainstate_min_chain_work(const struct chainstate *cs);

/* A coin_lookup_fn over the UTXO set at the tip (ctx is the chainstate). */
bool chainstate_coin_lookup(void *ctx, const struct outpoint *op, struct coin *out);

/* The script flags of the tip (Core's GetBlockScriptFlags of the tip):
 * what mempool acceptance caches its consensus checks under. */
uint32_t chainstate_script_flags(const struct chainstate *cs);

/* Writes the UTXO cache out (Core's ForceFlushStateToDisk), then visits
 * every coin of the set at the tip in key order: txid bytes, then output
 * index. A non-zero return from fn stops the walk and is returned. */
typedef int (*chainstate_coin_fn)(void *ctx, const struct outpoint *op, const struct coin *coin);
int chainstate_foreach_coin(struct chainstate *cs, chainstate_coin_fn fn, void *ctx, char **err);
/* A full flush, then a snapshot of the stored set, now the tip's, for a
 * walk in the same order on any thread (store_snapshot_*). NULL and *err
 * on failure. */
struct store_snapshot;
struct store_snapshot *chainstate_coins_snapshot(struct chainstate *cs, char **err);
/* Bytes the coins take on disk (an estimate). */
uint64_t chainstate_coins_disk_size(const struct chainstate *cs);

/* Memory the UTXO cache holds, in bytes. */
size_t chainstate_cache_usage(const struct chainstate *cs);

#endif
