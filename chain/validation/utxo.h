/* The UTXO set: a bounded in-memory cache over the store's coins.
 *
 * Reads fall through to the store and are cached. Changes stay in memory
 * (dirty) until utxo_flush writes them, together with the tip they
 * correspond to, in one atomic batch: the stored UTXO set therefore always
 * matches the stored tip exactly, whatever moment the process dies. A coin
 * created and spent between two flushes never touches the disk. */
#ifndef HEARSAY_CHAIN_UTXO_H
#define HEARSAY_CHAIN_UTXO_H

#include "chain/primitives/coin.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/storage/store.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct utxo;

/* What a spend reports about the coin it removed. script points into the
 * cache's own copy, valid until the next utxo_spend, utxo_add, flush,
 * reset or free. */
struct utxo_spent {
    int64_t value;
    int32_t height;
    bool coinbase;
    const uint8_t *script;
    size_t script_len;
};

/* budget_bytes bounds the cache's memory (utxo_over_budget says when a
 * flush is due). */
struct utxo *utxo_new(struct store *s, size_t budget_bytes);
void utxo_free(struct utxo *u); /* drops unflushed changes; accepts NULL */

/* 1 and *out filled (the caller clears it), 0 if absent or spent, -1 and
 * *err on a storage error. */
int utxo_get(struct utxo *u, const struct outpoint *op, struct coin *out, char **err);
bool utxo_have(struct utxo *u, const struct outpoint *op, char **err);

/* Adds an unspent output (a coin from a block being connected, or one
 * restored from undo data). */
void utxo_add(struct utxo *u, const struct outpoint *op, int64_t value, const uint8_t *script,
              size_t script_len, int32_t height, bool coinbase);
/* Spends an output: 1 with *info filled and the coin appended to undo in
 * the store's coin encoding (undo may be NULL), 0 if missing, -1 on error. */
int utxo_spend(struct utxo *u, const struct outpoint *op, struct utxo_spent *info,
               struct wbuf *undo, char **err);

/* Writes every change and the tip in one batch (synced if sync), then
 * empties the cache if it is over budget. Waits for a background write
 * first (-1 and its error if it failed). */
int utxo_flush(struct utxo *u, const struct hash256 *tip, bool sync, char **err);
/* The same without holding up the caller: the changes so far become a
 * read-only generation that a worker thread writes (synced, with the
 * tip), while a new one takes the next changes. If the previous write is
 * still running it returns at once, unless the cache is over budget: then
 * it waits. -1 and *err when the previous background write failed. */
int utxo_flush_background(struct utxo *u, const struct hash256 *tip, char **err);
/* Background writes go to w (owned by the caller, shared with other
 * disk work that must come before them, in submission order) instead of
 * a thread of the cache's own. Before the first background flush. */
struct worker;
void utxo_set_writer(struct utxo *u, struct worker *w);
/* Whether a background write is queued or running: a flush over budget
 * would then wait for it. */
bool utxo_writing(struct utxo *u);
/* Input prefetching (Bitcoin Core's InputFetcher, on one thread): the
 * coins a block is about to read are read from the store on a reader
 * thread of the cache's own (not the writer: reads must not queue behind
 * a long write), so that the event loop does not wait for the disk. The
 * outpoints the cache holds already are left out; NULL when none remain.
 * done(ctx) is called on the reader thread once the reads are over. */
struct utxo_prefetch;
struct utxo_prefetch *utxo_prefetch_start(struct utxo *u, const struct outpoint *ops, size_t n,
                                          void (*done)(void *ctx), void *ctx);
/* The same, the outpoints found on the reader thread first: gather(arg,
 * &n) returns them there (malloc'd, n of them; it may do other work of
 * the caller's, such as reading what names them). None is left out for
 * being cached (the cache is not the reader's to look at): those reads
 * are wasted but harmless, as utxo_prefetch_finish skips cached coins.
 * NULL when no reader thread can be started. */
struct utxo_prefetch *utxo_prefetch_gather(struct utxo *u,
                                           struct outpoint *(*gather)(void *arg, size_t *n),
                                           void *arg, void (*done)(void *ctx), void *ctx);
/* Prefetches go to w (owned by the caller) instead of a thread of the
 * cache's own, as does faulting in the table of a generation that a
 * background flush starts. Before either. */
void utxo_set_reader(struct utxo *u, struct worker *w);
/* Whether the reads are over (utxo_prefetch_finish would not wait). */
bool utxo_prefetch_ready(const struct utxo_prefetch *pf);
/* Waits for the reads, then caches what they found as clean entries:
 * only where neither the current nor the frozen generation has an entry,
 * and nothing at all when a coins write finished or cached entries were
 * dropped since the start (a read may then be older than the store, and
 * would bring back a spent coin). Absent coins are never cached: with
 * absent, the outpoints the store did not have are handed to the caller
 * instead (*absent malloc'd, *n_absent of them; NULL and 0 when the
 * reads do not count), who may then look at the cache alone for them
 * (utxo_have_cached) until the next coins write or drop. Returns how
 * many were cached; frees pf (NULL: 0). */
size_t utxo_prefetch_finish(struct utxo *u, struct utxo_prefetch *pf, struct outpoint **absent,
                            size_t *n_absent);
/* Whether op's coin is unspent in the current or frozen generation: for
 * a coin the store is known not to have, the whole answer. */
bool utxo_have_cached(const struct utxo *u, const struct outpoint *op);

/* Forgets all unflushed changes and cached coins (after a failed write). */
void utxo_reset(struct utxo *u);

size_t utxo_memory(const struct utxo *u);
size_t utxo_cached(const struct utxo *u); /* entries in memory */
size_t utxo_dirty(const struct utxo *u);  /* changes not known to be written */
/* The changes since the last flush fill half the budget (the other half
 * is for a generation being written): a flush is due. */
bool utxo_over_budget(const struct utxo *u);

#endif
