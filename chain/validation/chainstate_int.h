/* The chainstate's private state, shared by chainstate.c (connecting,
 * storing), chainstate_open.c (opening, loading, closing) and
 * chainstate_query.c (the read-only views net/ and the RPC methods use).
 * Not for other modules. */
#ifndef HEARSAY_CHAIN_CHAINSTATE_INT_H
#define HEARSAY_CHAIN_CHAINSTATE_INT_H

#include "chain/storage/store.h"
#include "chain/validation/blockstore.h"
#include "chain/validation/chainstate.h"
#include "chain/validation/scriptcheck.h"
#include "chain/validation/utxo.h"
#include "chain/util/xmalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Blocks this recent are the live tip: their storage is synced at once. */
#define RECENT_BLOCK_SECS (24 * 60 * 60)

struct node_list {
    struct bindex_node **v;
    size_t n, cap;
};

struct chainstate {
    const struct chain_params *p;
    struct chainstate_options opts;
    struct blockstore *bs; /* block files and the block index */
    struct store *coins;   /* the coins and the block they match */
    /* Syncs and coin flushes, in order, off the caller's thread (NULL:
     * on it). */
    struct worker *writer;
    struct bindex *bi;
    struct utxo *utxo;
    struct chainstate_callbacks cb[CHAINSTATE_MAX_CALLBACKS];
    /* Blocks whose whole chain is stored: where the tip may move. */
    struct node_list cands;
    /* Stored blocks waiting for an ancestor's data. */
    struct node_list waiting;
    int64_t last_flush;
    bool caught_up; /* latched end of initial block download */
    struct scriptcheck_env scripts;
    struct hash256 assumevalid; /* zero: verify every block */
    struct u256 min_work;       /* chainstate_min_chain_work */
    const char *script_reason_logged; /* last "why scripts are checked" logged */
    /* A storage error left memory and disk apart: nothing more is written
     * (not even at close); reopening repairs from the disk. */
    bool broken;
    /* The tip moved since the listeners last heard it settled. */
    bool moved;
    /* preciousblock: the next sequence number to hand out, the tip's work
     * at the last call, and whether a tie may move the tip. */
    uint64_t precious_seq;
    struct u256 precious_work;
    bool tie_moves_tip;
    /* A step found the coins cache over budget while the writer was still
     * writing the last flush: a job queued behind that write notifies. */
    bool coins_wait;
    /* The block being checked (connect_async.c), and
     * who hears, on a worker's thread, that they are done (NULL: connects
     * are finished before the step returns). Both change only while no
     * connect is in flight. */
    struct cs_connect *connecting;
    struct block *held; /* the latest block accepted, for its connect */
    chainstate_notify_fn notify;
    void *notify_ctx;
};

static inline int64_t cs_now(const struct chainstate *cs)
{
    return cs->opts.now ? cs->opts.now() : (int64_t)time(NULL);
}

static inline void list_push(struct node_list *l, struct bindex_node *n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = n;
}

static inline int write_batch(struct chainstate *cs, bool sync, char **err)
{
    return blockstore_write(cs->bs, sync, err);
}

/* chainstate.c */
/* n's block read from its file and parsed; NULL and *err when it cannot
 * be (a storage error: the block was stored whole). */
struct block *cs_load_block(struct chainstate *cs, const struct bindex_node *n, char **err);
int flush(struct chainstate *cs, char **err);
int activate_best_chain(struct chainstate *cs, const struct block *given, char **err);

/* chainstate_open.c */
int init_genesis(struct chainstate *cs, const struct blockfile_pos *pos, char **err);

/* connect_async.c */
/* A copy of b sharing its transactions (each one referenced once more). */
struct block *cs_block_share(const struct block *b);
/* Begins connecting n's block b (taken over): the checks but for the
 * scripts until deadline_us (0: all of them; see validation_connect_more),
 * then the scripts started (unless scripts is false: an assumed-valid
 * block). 0 when in flight, 1 with *reason when invalid already (nothing
 * in flight), -1 and *err on a storage error. */
int cs_connect_begin(struct chainstate *cs, struct bindex_node *n, struct block *b,
                     bool scripts, int64_t deadline_us, const char **reason, char **err);
/* Begins connecting n's stored block the same way, but with the block
 * read and parsed, then the coins its inputs spend read, on the UTXO
 * cache's reader thread (the notify function is called once they are):
 * the checks go on in cs_connect_resume. False (nothing in flight) when
 * no reader can be started or n's data is not stored. */
bool cs_connect_load(struct chainstate *cs, struct bindex_node *n, bool scripts);
/* Whether checks of the block in flight remain for cs_connect_resume. */
bool cs_connect_checking(const struct chainstate *cs);
/* Whether they wait for the coins its inputs spend, being read on the
 * UTXO cache's reader thread (the notify function is called once they
 * are read). */
bool cs_connect_fetching(const struct chainstate *cs);
/* The next slice of those checks, as cs_connect_begin; on 1, *n is the
 * block that failed (nothing is in flight any more). */
int cs_connect_resume(struct chainstate *cs, int64_t deadline_us, struct bindex_node **n,
                      const char **reason, char **err);
/* Whether cs_connect_finish would return without checking or waiting. */
bool cs_connect_ready(const struct chainstate *cs);
/* Ends the checks left, waits for the scripts, then applies the block to
 * the UTXO set with its undo data; hands back n and b (the caller frees
 * b). 0, 1 with *reason (a check failed; nothing applied), -1 and *err. */
int cs_connect_finish(struct chainstate *cs, struct bindex_node **n, struct block **b,
                      struct wbuf *undo, const char **reason, char **err);
/* Waits for the scripts of the block in flight and forgets it, applying
 * nothing (a broken chainstate writes nothing more). */
void cs_connect_drop(struct chainstate *cs);

#endif
