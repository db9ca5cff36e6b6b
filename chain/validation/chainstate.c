#include "chain/validation/chainstate.h"
#include "chain/validation/chainstate_int.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/storage/store.h"
#include "chain/validation/blockstore.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/reindex.h"
#include "chain/validation/utxo.h"
#include "chain/validation/validation.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void chainstate_default_options(struct chainstate_options *o)
{
    memset(o, 0, sizeof(*o));
    o->dbcache_bytes = (size_t)CHAINSTATE_DEFAULT_DBCACHE_MB << 20;
    o->flush_interval = 3600;
    o->script_threads = checkqueue_par(0);
    o->check_slice_us = CHAINSTATE_CHECK_SLICE_US;
    o->max_tip_age = CHAINSTATE_DEFAULT_MAX_TIP_AGE;
}

static void persist_node(void *ctx, struct bindex_node *n)
{
    struct chainstate *cs = ctx;
    blockstore_persist_node(cs->bs, n);
}

static bool better(const struct bindex_node *a, const struct bindex_node *b)
{
    int c = u256_cmp(&a->work, &b->work);
    return c > 0 || (c == 0 && a->seq < b->seq);
}

/* The best block the tip could move to, dropping stale candidates. */
static struct bindex_node *best_candidate(struct chainstate *cs)
{
    struct bindex_node *tip = bindex_tip(cs->bi), *best = NULL;
    size_t keep = 0;
    for (size_t i = 0; i < cs->cands.n; i++) {
        struct bindex_node *n = cs->cands.v[i];
        if ((n->status & BINDEX_FAILED_MASK) || u256_cmp(&n->work, &tip->work) < 0 || n == tip)
            continue;
        cs->cands.v[keep++] = n;
        if (!best || better(n, best))
            best = n;
    }
    cs->cands.n = keep;
    int c = best ? u256_cmp(&best->work, &tip->work) : -1;
    if (c < 0 || (c == 0 && !(cs->tie_moves_tip && better(best, tip))))
        return NULL;
    return best;
}

/* n's whole chain is now stored: it and any waiting descendants become
 * candidates. */
static void mark_have_chain(struct chainstate *cs, struct bindex_node *n)
{
    struct node_list work = {0};
    list_push(&work, n);
    while (work.n) {
        struct bindex_node *x = work.v[--work.n];
        x->have_chain = true;
        list_push(&cs->cands, x);
        for (size_t i = 0; i < cs->waiting.n;) {
            if (cs->waiting.v[i]->prev == x) {
                list_push(&work, cs->waiting.v[i]);
                cs->waiting.v[i] = cs->waiting.v[--cs->waiting.n];
            } else {
                i++;
            }
        }
    }
    free(work.v);
}

struct block *cs_load_block(struct chainstate *cs, const struct bindex_node *n, char **err)
{
    uint8_t *raw;
    size_t len;
    const char *why = NULL;
    int r = blockstore_read_block(cs->bs, n, &raw, &len, err);
    if (r != 1)
        return NULL;
    struct block *b = block_from_bytes(raw, len, &why);
    free(raw);
    if (!b)
        err_set(err, "stored block at height %d is corrupt: %s", n->height, why);
    return b;
}

static int connect_settle(struct chainstate *cs, char **err);

/* The block chainstate_accept_block kept for its connect, if it is n's:
 * taken over (it is not read and parsed again). */
static struct block *take_held(struct chainstate *cs, const struct bindex_node *n)
{
    struct block *b = cs->held;
    if (!b || !hash_eq(&b->hash, &n->hash))
        return NULL;
    cs->held = NULL;
    return b;
}

int flush(struct chainstate *cs, char **err)
{
    /* The block in flight first: the coins then match the tip. */
    if (connect_settle(cs, err) < 0)
        return -1;
    struct bindex_node *tip = bindex_tip(cs->bi);
    size_t dirty = utxo_dirty(cs->utxo);
    /* As Core: block data, then the index pointing at it, then the coins
     * naming the block they match, each synced before the next. */
    if (blockstore_write(cs->bs, true, err) < 0 || blockstore_wait(cs->bs, err) < 0 ||
        utxo_flush(cs->utxo, &tip->hash, true, err) < 0)
        return -1;
    cs->last_flush = cs_now(cs);
    LOG_DEBUG(LOG_BLOCKSTORAGE, "flushed %zu coin changes at height %d", dirty, tip->height);
    return 0;
}

/* The coins are written on the writer thread while the event loop goes on
 * connecting blocks, after the syncs of the block data and index they
 * name, queued first on the same thread (as in flush). */
static int maybe_flush(struct chainstate *cs, bool defer, char **err)
{
    if (!utxo_over_budget(cs->utxo) && cs_now(cs) - cs->last_flush < cs->opts.flush_interval)
        return 0;
    /* The next step makes room (coins_room) rather than this one waiting
     * for the writer. */
    if (defer && utxo_writing(cs->utxo))
        return 0;
    struct bindex_node *tip = bindex_tip(cs->bi);
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "block files sync");
    int rc = blockstore_write(cs->bs, true, err);
    looplag_leave(&mark);
    if (rc < 0 || utxo_flush_background(cs->utxo, &tip->hash, err) < 0)
        return -1;
    cs->last_flush = cs_now(cs);
    return 0;
}

static int disconnect_tip(struct chainstate *cs, char **err)
{
    struct bindex_node *tip = bindex_tip(cs->bi);
    uint8_t *undo = NULL;
    size_t undo_len = 0;
    struct block *b = cs_load_block(cs, tip, err);
    if (!b)
        return -1;
    int r = blockstore_read_undo(cs->bs, tip, &undo, &undo_len, err);
    if (r == 1)
        r = validation_disconnect(cs->utxo, b, undo, undo_len, err) == 0 ? 1 : -1;
    free(undo);
    if (r != 1) {
        block_free(b);
        return -1;
    }
    bindex_set_tip(cs->bi, tip->prev);
    cs->moved = true;
    list_push(&cs->cands, tip); /* the old branch may win again */
    for (size_t i = 0; i < CHAINSTATE_MAX_CALLBACKS; i++)
        if (cs->cb[i].disconnected)
            cs->cb[i].disconnected(cs->cb[i].ctx, b, tip->height);
    block_free(b);
    return maybe_flush(cs, true, err);
}

#define TWO_WEEKS (60 * 60 * 24 * 7 * 2)

/* Core's GetBlockProofEquivalentTime(to, from, tip): how long the work
 * between two blocks takes at tip's difficulty, in seconds. */
static int64_t proof_equivalent_time(const struct chain_params *p, const struct bindex_node *to,
                                     const struct bindex_node *from,
                                     const struct bindex_node *tip)
{
    struct u256 r = to->work, proof, q;
    int sign = 1;
    if (u256_cmp(&to->work, &from->work) > 0) {
        u256_sub(&r, &from->work);
    } else {
        r = from->work;
        u256_sub(&r, &to->work);
        sign = -1;
    }
    u256_mul_u32(&r, (uint32_t)p->pow_target_spacing);
    pow_work(tip->hdr.bits, &proof);
    if (u256_is_zero(&proof))
        return sign * INT64_MAX;
    u256_div(&r, &proof, &q);
    if (u256_bits(&q) > 63)
        return sign * INT64_MAX;
    return sign * (int64_t)((uint64_t)q.w[0] | (uint64_t)q.w[1] << 32);
}

/* Core's ConnectBlock assumevalid rule: why n's scripts are checked, or
 * NULL when they are skipped (an ancestor of the assumed-valid block in
 * the best header chain, that chain with at least the minimum work, and n
 * more than two weeks of work below its tip). */
static const char *script_check_reason(const struct chainstate *cs, const struct bindex_node *n)
{
    if (hash_is_zero(&cs->assumevalid))
        return "assumevalid=0 (always verify)";
    const struct bindex_node *av = bindex_find(cs->bi, &cs->assumevalid);
    if (!av)
        return "assumevalid hash not in headers";
    if (bindex_ancestor(av, n->height) != n)
        return n->height > av->height ? "block height above assumevalid height"
                                      : "block not in assumevalid chain";
    const struct bindex_node *best = bindex_best_header(cs->bi);
    if (bindex_ancestor(best, n->height) != n)
        return "block not in best header chain";
    if (u256_cmp(&best->work, &cs->min_work) < 0)
        return "best header chainwork below minimumchainwork";
    if (proof_equivalent_time(cs->p, best, n, best) <= TWO_WEEKS)
        return "block too recent relative to best header";
    return NULL;
}

/* Logs when script checking turns on or off, as Core does. */
static const char *script_check_reason_logged(struct chainstate *cs, const struct bindex_node *n)
{
    const char *why = script_check_reason(cs, n);
    if (why != cs->script_reason_logged) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&n->hash, hex);
        if (why)
            LOG_INFO("Enabling script verification at block #%d (%s): %s.", n->height, hex, why);
        else
            LOG_INFO("Disabling script verification at block #%d (%s).", n->height, hex);
        cs->script_reason_logged = why;
    }
    return why;
}

static int mark_invalid(struct chainstate *cs, struct bindex_node *n, const char *reason,
                        char **err)
{
    LOG_INFO("block %d invalid: %s", n->height, reason);
    bindex_mark_failed(cs->bi, n, reason, persist_node, cs);
    return write_batch(cs, false, err);
}

/* The end of a connect (waiting for its scripts if need be): the undo
 * data and index written, the tip moved and the listeners told, or the
 * block marked invalid. 0 either way, -1 on error. */
static int connect_end(struct chainstate *cs, char **err)
{
    struct bindex_node *n;
    struct block *b;
    struct wbuf undo;
    struct looplag_mark mark;
    const char *reason = NULL;
    wbuf_init(&undo);
    int rc = cs_connect_finish(cs, &n, &b, &undo, &reason, err);
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "undo write");
    if (rc == 0 && blockstore_save_undo(cs->bs, n, undo.data, undo.len, err) < 0)
        rc = -1;
    if (rc == 0) {
        /* Unsynced: the next flush, which is synced, follows it in the
         * same log, and replay covers a crash before that. */
        rc = write_batch(cs, false, err);
    }
    looplag_leave(&mark);
    wbuf_free(&undo);
    if (rc == 0) {
        bindex_set_tip(cs->bi, n);
        cs->moved = true;
        for (size_t i = 0; i < CHAINSTATE_MAX_CALLBACKS; i++)
            if (cs->cb[i].connected)
                cs->cb[i].connected(cs->cb[i].ctx, b, n->height);
        rc = maybe_flush(cs, true, err);
    } else if (rc > 0) {
        rc = mark_invalid(cs, n, reason, err);
    }
    block_free(b);
    return rc;
}

/* Finishes the block in flight, if any, waiting for its scripts. */
static int connect_settle(struct chainstate *cs, char **err)
{
    return cs->connecting ? connect_end(cs, err) : 0;
}

/* Where a step's slice of connect checks ends: 0 (no end) unless the
 * step may leave the block in flight. */
static int64_t slice_deadline(const struct chainstate *cs, bool async)
{
    if (!async || !cs->notify || cs->opts.check_slice_us <= 0)
        return 0;
    return looplag_now(looplag_default()) + cs->opts.check_slice_us;
}

/* The next slice of the checks of the block in flight; it is marked
 * invalid when they fail. 0 or -1. */
static int connect_resume(struct chainstate *cs, char **err)
{
    struct bindex_node *n;
    const char *reason = NULL;
    int rc = cs_connect_resume(cs, slice_deadline(cs, true), &n, &reason, err);
    if (rc != 0)
        return rc < 0 ? -1 : mark_invalid(cs, n, reason, err);
    return 0;
}

/* Connects the block after the tip on the way to target; with async, its
 * checks may go on in later steps, or its scripts may still be running on
 * return (CHAINSTATE_STEP_WAIT). 0 when connected, when it failed (marked
 * invalid) or when checks remain, -1 on error. */
static int connect_next(struct chainstate *cs, struct bindex_node *target,
                        const struct block *given, bool async, char **err)
{
    struct bindex_node *n = bindex_ancestor(target, bindex_height(cs->bi) + 1);
    const char *reason = NULL;
    struct block *b = given && hash_eq(&given->hash, &n->hash) ? cs_block_share(given)
                                                               : take_held(cs, n);
    bool scripts = script_check_reason_logged(cs, n) != NULL;
    int64_t deadline_us = slice_deadline(cs, async);
    if (!b && deadline_us && cs_connect_load(cs, n, scripts))
        return CHAINSTATE_STEP_WAIT;
    if (!b && !(b = cs_load_block(cs, n, err)))
        return -1;
    int rc = cs_connect_begin(cs, n, b, scripts, deadline_us, &reason, err);
    if (rc != 0)
        return rc < 0 ? -1 : mark_invalid(cs, n, reason, err);
    if (async && cs_connect_checking(cs))
        return cs_connect_fetching(cs) ? CHAINSTATE_STEP_WAIT : 0;
    if (async && cs->notify && !cs_connect_ready(cs))
        return CHAINSTATE_STEP_WAIT;
    return connect_end(cs, err);
}

/* A reorganization back to fork needs the data and undo data of every
 * block above it: pruning may have deleted them (a pruned node keeps the
 * last 288). Core then stops with "Failed to disconnect block."; so do
 * we, before disconnecting anything, saying why. */
static int check_undo_kept(struct chainstate *cs, const struct bindex_node *fork, char **err)
{
    const unsigned need = BINDEX_HAVE_DATA | BINDEX_HAVE_UNDO;
    for (const struct bindex_node *n = bindex_tip(cs->bi); n && n != fork; n = n->prev) {
        if ((n->status & need) == need)
            continue;
        char hex[65];
        hash_to_hex(&n->hash, hex);
        return err_set(err,
                       "Failed to disconnect block: a reorganization back to height %d needs "
                       "block %s (height %d), whose data was pruned; a pruned node can undo "
                       "only its last 288 blocks (-reindex resynchronizes)",
                       fork->height, hex, n->height);
    }
    return 0;
}

/* The chain to move to, if the tip is not on it; once it is, after it
 * moved, the listeners hear that the tip settled. */
static struct bindex_node *pending_best(struct chainstate *cs)
{
    struct bindex_node *best = best_candidate(cs);
    if (!best && cs->moved) {
        cs->moved = false;
        for (size_t i = 0; i < CHAINSTATE_MAX_CALLBACKS; i++)
            if (cs->cb[i].settled)
                cs->cb[i].settled(cs->cb[i].ctx);
    }
    return best;
}

/* One step toward the valid stored chain with the most work: the block
 * in flight goes on with its checks or ends, or the tip leaves when it is
 * not on that chain (a reorganization), else the next block joins. 1
 * after a step, 0 when the tip is there, CHAINSTATE_STEP_WAIT (async
 * only) while a block's scripts run, -1 on error. */
static void notify_job(void *arg)
{
    struct chainstate *cs = arg;
    cs->notify(cs->notify_ctx);
}

/* Room in the coins cache before the next block: over budget, a flush
 * starts. While the last one is still being written, a step that may
 * wait returns STEP_WAIT, woken by a job queued behind that write,
 * instead of holding the loop until the disk is done. */
static int coins_room(struct chainstate *cs, bool async, char **err)
{
    bool queued = cs->coins_wait; /* its job runs after the write */
    cs->coins_wait = false;
    if (!utxo_over_budget(cs->utxo))
        return 0;
    if (async && cs->notify && utxo_writing(cs->utxo)) {
        if (!queued)
            worker_submit(cs->writer, notify_job, cs);
        cs->coins_wait = true;
        return CHAINSTATE_STEP_WAIT;
    }
    return maybe_flush(cs, false, err);
}

static int activate_step(struct chainstate *cs, const struct block *given, bool async,
                         char **err)
{
    int room = cs->connecting ? 0 : coins_room(cs, async, err);
    if (room != 0)
        return room;
    if (cs->connecting) {
        if (async && cs_connect_fetching(cs))
            return CHAINSTATE_STEP_WAIT;
        if (async && cs_connect_checking(cs))
            return connect_resume(cs, err) < 0 ? -1 : 1;
        if (async && !cs_connect_ready(cs))
            return CHAINSTATE_STEP_WAIT;
        return connect_end(cs, err) < 0 ? -1 : 1;
    }
    struct bindex_node *best = pending_best(cs);
    if (!best)
        return 0;
    struct bindex_node *tip = bindex_tip(cs->bi);
    struct bindex_node *fork = bindex_fork_point(tip, best);
    if (tip == fork) {
        int rc = connect_next(cs, best, given, async, err);
        return rc < 0 ? -1 : rc == CHAINSTATE_STEP_WAIT ? rc : 1;
    }
    if (check_undo_kept(cs, fork, err) < 0 || disconnect_tip(cs, err) < 0)
        return -1;
    if (bindex_tip(cs->bi) == fork)
        LOG_INFO("reorganize: disconnected back to height %d", fork->height);
    return 1;
}

/* Moves the tip to the valid stored chain with the most work. */
int activate_best_chain(struct chainstate *cs, const struct block *given, char **err)
{
    int rc;
    while ((rc = activate_step(cs, given, false, err)) > 0)
        continue;
    return rc;
}

/* Context checks a header must pass to join the tree. */
static enum chainstate_status accept_header(struct chainstate *cs, const struct block_header *h,
                                            const struct hash256 *hash,
                                            struct bindex_node **out, const char **reason)
{
    struct bindex_node *n = bindex_find(cs->bi, hash);
    *out = n;
    if (n) {
        if (!(n->status & BINDEX_FAILED_MASK))
            return CHAINSTATE_DUPLICATE;
        *reason = n->reason ? n->reason : "duplicate-invalid";
        return CHAINSTATE_INVALID;
    }
    struct bindex_node *prev = bindex_find(cs->bi, &h->prev);
    if (!prev) {
        *reason = "prev-blk-not-found";
        return CHAINSTATE_MISSING_PARENT;
    }
    if (prev->status & BINDEX_FAILED_MASK) {
        *reason = "bad-prevblk";
        return CHAINSTATE_INVALID;
    }
    if (!validation_header_pow(cs->p, h, hash, reason))
        return CHAINSTATE_INVALID;
    bool ok = validation_header_context(cs->p, prev, h, cs_now(cs), reason);
    /* A header from the future may become valid: it is not remembered. */
    if (!ok && strcmp(*reason, "time-too-new") == 0)
        return CHAINSTATE_INVALID;
    n = *out = bindex_add(cs->bi, h, hash);
    if (!ok) {
        bindex_mark_failed(cs->bi, n, *reason, persist_node, cs);
        return CHAINSTATE_INVALID;
    }
    persist_node(cs, n);
    return CHAINSTATE_ACCEPTED;
}

/* Writes what a call queued. An error breaks the chainstate. */
static enum chainstate_status settle(struct chainstate *cs, enum chainstate_status st,
                                     char **err)
{
    if (st != CHAINSTATE_ERROR && blockstore_pending(cs->bs) && write_batch(cs, false, err) < 0)
        st = CHAINSTATE_ERROR;
    if (st == CHAINSTATE_ERROR) {
        blockstore_discard(cs->bs);
        cs->broken = true;
    }
    return st;
}

static bool refuse_broken(const struct chainstate *cs, char **err)
{
    if (cs->broken)
        err_set(err, "the chainstate stopped after a storage error: restart to repair");
    return cs->broken;
}

enum chainstate_status chainstate_process_headers(struct chainstate *cs,
                                                  const struct block_header *hdrs, size_t n,
                                                  struct hash256 *bad, const char **reason,
                                                  char **err)
{
    enum chainstate_status result = CHAINSTATE_DUPLICATE;
    if (refuse_broken(cs, err))
        return CHAINSTATE_ERROR;
    for (size_t i = 0; i < n; i++) {
        struct hash256 hash;
        struct bindex_node *node;
        block_header_hash(&hdrs[i], &hash);
        enum chainstate_status st = accept_header(cs, &hdrs[i], &hash, &node, reason);
        if (st == CHAINSTATE_ACCEPTED)
            result = st;
        else if (st != CHAINSTATE_DUPLICATE) {
            if (bad)
                *bad = hash;
            result = st;
            break;
        }
    }
    return settle(cs, result, err);
}

/* Rejections that may come from a corrupted copy of a valid block: they
 * say nothing about the header (Core's BLOCK_MUTATED). */
static bool mutation_reason(const char *reason)
{
    static const char *const mutated[] = {"bad-txnmrklroot", "bad-txns-duplicate",
                                          "bad-witness-nonce-size", "bad-witness-merkle-match",
                                          "unexpected-witness"};
    for (size_t i = 0; i < sizeof(mutated) / sizeof(mutated[0]); i++)
        if (strcmp(reason, mutated[i]) == 0)
            return true;
    return false;
}

/* Stores an accepted block with its index entry (at pos, when a reindex
 * found it in a block file). */
static int store_block(struct chainstate *cs, struct bindex_node *n, const struct block *b,
                       const struct blockfile_pos *pos, char **err)
{
    struct wbuf raw;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "block write");
    wbuf_init(&raw);
    if (!pos)
        block_serialize(b, &raw, true);
    int rc = blockstore_save_block(cs->bs, n, raw.data, raw.len, pos, err);
    wbuf_free(&raw);
    bool recent = (int64_t)b->hdr.time + RECENT_BLOCK_SECS >= cs_now(cs);
    if (rc == 0)
        rc = write_batch(cs, recent && !pos, err);
    looplag_leave(&mark);
    if (rc < 0)
        return -1;
    if (n->prev->have_chain)
        mark_have_chain(cs, n);
    else
        list_push(&cs->waiting, n);
    return 0;
}

static enum chainstate_status process_block(struct chainstate *cs, const struct block *b,
                                            const struct blockfile_pos *pos, bool store_only,
                                            const char **reason, char **err)
{
    struct bindex_node *n;
    if (refuse_broken(cs, err))
        return CHAINSTATE_ERROR;
    enum chainstate_status st = accept_header(cs, &b->hdr, &b->hash, &n, reason);
    if (st == CHAINSTATE_DUPLICATE && (n->status & BINDEX_HAVE_DATA))
        return CHAINSTATE_DUPLICATE;
    if (st != CHAINSTATE_ACCEPTED && st != CHAINSTATE_DUPLICATE)
        return settle(cs, st, err);
    if (!validation_block_basic(b, reason) ||
        !validation_block_context(cs->p, n->prev, b, reason)) {
        if (!mutation_reason(*reason))
            bindex_mark_failed(cs->bi, n, *reason, persist_node, cs);
        return settle(cs, CHAINSTATE_INVALID, err);
    }
    if (store_block(cs, n, b, pos, err) < 0)
        return settle(cs, CHAINSTATE_ERROR, err);
    if (store_only) {
        block_free(cs->held); /* one block kept: the latest */
        cs->held = cs_block_share(b);
        return CHAINSTATE_ACCEPTED;
    }
    if (activate_best_chain(cs, b, err) < 0)
        return settle(cs, CHAINSTATE_ERROR, err);
    pending_best(cs);
    if (n->status & BINDEX_FAILED_MASK) {
        *reason = n->reason;
        return CHAINSTATE_INVALID;
    }
    return CHAINSTATE_ACCEPTED;
}

enum chainstate_status chainstate_process_block(struct chainstate *cs, const struct block *b,
                                                const char **reason, char **err)
{
    return process_block(cs, b, NULL, false, reason, err);
}

enum chainstate_status chainstate_accept_block(struct chainstate *cs, const struct block *b,
                                               const char **reason, char **err)
{
    return process_block(cs, b, NULL, true, reason, err);
}

int chainstate_activate_step(struct chainstate *cs, char **err)
{
    if (refuse_broken(cs, err))
        return -1;
    int rc = activate_step(cs, NULL, true, err);
    if (settle(cs, rc < 0 ? CHAINSTATE_ERROR : CHAINSTATE_ACCEPTED, err) == CHAINSTATE_ERROR)
        return -1;
    return rc == CHAINSTATE_STEP_WAIT ? rc : pending_best(cs) != NULL;
}

bool chainstate_activation_pending(struct chainstate *cs)
{
    return !cs->broken && (cs->connecting || pending_best(cs) != NULL);
}

int chainstate_set_connect_notify(struct chainstate *cs, chainstate_notify_fn fn, void *ctx,
                                  char **err)
{
    int rc = 0;
    if (cs->connecting && !cs->broken)
        rc = settle(cs, connect_settle(cs, err) < 0 ? CHAINSTATE_ERROR : CHAINSTATE_ACCEPTED,
                    err) == CHAINSTATE_ERROR ? -1 : 0;
    cs_connect_drop(cs); /* broken meanwhile: its workers must be done */
    if (cs->coins_wait)
        worker_wait(cs->writer); /* the job that calls the old one */
    cs->coins_wait = false;
    cs->notify = fn;
    cs->notify_ctx = ctx;
    return rc;
}

static void add_candidate(void *ctx, struct bindex_node *n)
{
    struct chainstate *cs = ctx;
    if (n->have_chain && !(n->status & BINDEX_FAILED_MASK))
        list_push(&cs->cands, n);
}

/* After failures were set or cleared by hand, any stored chain may be the
 * best again: every complete one goes back into the running. */
static int activate_settled(struct chainstate *cs, char **err)
{
    int rc = activate_best_chain(cs, NULL, err);
    return settle(cs, rc < 0 ? CHAINSTATE_ERROR : CHAINSTATE_ACCEPTED, err) == CHAINSTATE_ERROR
               ? -1
               : 0;
}

static int reactivate(struct chainstate *cs, char **err)
{
    bindex_foreach(cs->bi, add_candidate, cs);
    return activate_settled(cs, err);
}

static struct bindex_node *known_block(struct chainstate *cs, const struct hash256 *hash,
                                       char **err)
{
    if (refuse_broken(cs, err))
        return NULL;
    if (connect_settle(cs, err) < 0) {
        settle(cs, CHAINSTATE_ERROR, err);
        return NULL;
    }
    struct bindex_node *n = bindex_find(cs->bi, hash);
    if (!n)
        err_set(err, "Block not found");
    else if (n->height == 0)
        err_set(err, "the genesis block cannot be invalidated or reconsidered");
    return n && n->height > 0 ? n : NULL;
}

int chainstate_invalidate(struct chainstate *cs, const struct hash256 *hash, char **err)
{
    struct bindex_node *n = known_block(cs, hash, err);
    if (!n)
        return -1;
    while (bindex_contains(cs->bi, n)) {
        if (disconnect_tip(cs, err) < 0) {
            settle(cs, CHAINSTATE_ERROR, err);
            return -1;
        }
    }
    bindex_mark_failed(cs->bi, n, "invalidated", persist_node, cs);
    return reactivate(cs, err);
}

int chainstate_reconsider(struct chainstate *cs, const struct hash256 *hash, char **err)
{
    struct bindex_node *n = known_block(cs, hash, err);
    if (!n)
        return -1;
    bindex_clear_failed(cs->bi, n, persist_node, cs);
    return reactivate(cs, err);
}

enum chainstate_status chainstate_import_block(struct chainstate *cs, const struct block *b,
                                               const struct blockfile_pos *pos,
                                               const char **reason, char **err)
{
    if (bindex_count(cs->bi) > 0)
        return process_block(cs, b, pos, false, reason, err);
    if (!hash_eq(&b->hash, &cs->p->genesis_hash)) {
        *reason = "prev-blk-not-found";
        return CHAINSTATE_MISSING_PARENT;
    }
    return init_genesis(cs, pos, err) < 0 ? CHAINSTATE_ERROR : CHAINSTATE_ACCEPTED;
}

int chainstate_flush(struct chainstate *cs, char **err)
{
    return flush(cs, err);
}

struct blockstore *chainstate_blockstore(struct chainstate *cs)
{
    return cs->bs;
}

void chainstate_add_callbacks(struct chainstate *cs, const struct chainstate_callbacks *cb)
{
    for (size_t i = 0; i < CHAINSTATE_MAX_CALLBACKS; i++) {
        if (!cs->cb[i].connected && !cs->cb[i].disconnected) {
            cs->cb[i] = *cb;
            return;
        }
    }
    abort(); /* more listeners than the daemon has: a programming error */
}

void chainstate_remove_callbacks(struct chainstate *cs, const void *ctx)
{
    for (size_t i = 0; i < CHAINSTATE_MAX_CALLBACKS; i++)
        if (cs->cb[i].ctx == ctx)
            memset(&cs->cb[i], 0, sizeof(cs->cb[i]));
}

struct block *chainstate_get_block(struct chainstate *cs, const struct hash256 *hash, char **err)
{
    struct bindex_node *n = bindex_find(cs->bi, hash);
    if (!n || !(n->status & BINDEX_HAVE_DATA))
        return NULL;
    return cs_load_block(cs, n, err);
}

int chainstate_get_block_raw(struct chainstate *cs, const struct hash256 *hash, uint8_t **data,
                             size_t *len, char **err)
{
    struct bindex_node *n = bindex_find(cs->bi, hash);
    if (!n || !(n->status & BINDEX_HAVE_DATA))
        return 0;
    int r = blockstore_read_block(cs->bs, n, data, len, err);
    if (r == 0 && err) { /* unreadable reads as not stored, as a missing block */
        free(*err);
        *err = NULL;
    }
    return r;
}

int chainstate_remove_block_files(struct chainstate *cs, const int *files, size_t n, char **err)
{
    if (refuse_broken(cs, err))
        return -1;
    /* The coins must not need a block of the files for a replay. */
    if (flush(cs, err) < 0 || blockstore_remove_files(cs->bs, cs->bi, files, n, err) < 0) {
        cs->broken = true;
        return -1;
    }
    return 0;
}

int chainstate_precious(struct chainstate *cs, const struct hash256 *hash, char **err)
{
    if (refuse_broken(cs, err))
        return -1;
    struct bindex_node *n = bindex_find(cs->bi, hash), *tip = bindex_tip(cs->bi);
    if (!n)
        return err_set(err, "Block not found");
    if (u256_cmp(&n->work, &tip->work) < 0)
        return 0;
    /* As Core: once the chain grew, the precious order starts over. */
    if (u256_cmp(&tip->work, &cs->precious_work) > 0)
        cs->precious_seq = BINDEX_SEQ_FIRST - 1;
    cs->precious_work = tip->work;
    n->seq = cs->precious_seq;
    if (cs->precious_seq > 0)
        cs->precious_seq--;
    if (n->have_chain && !(n->status & BINDEX_FAILED_MASK))
        list_push(&cs->cands, n);
    cs->tie_moves_tip = true;
    int rc = activate_settled(cs, err);
    cs->tie_moves_tip = false;
    return rc;
}

int chainstate_foreach_coin(struct chainstate *cs, chainstate_coin_fn fn, void *ctx, char **err)
{
    if (refuse_broken(cs, err) || (utxo_dirty(cs->utxo) && flush(cs, err) < 0))
        return -1;
    return store_foreach_coin(cs->coins, fn, ctx, err);
}

struct store_snapshot *chainstate_coins_snapshot(struct chainstate *cs, char **err)
{
    /* As Core's ForceFlushStateToDisk: the store then holds the tip's set. */
    if (refuse_broken(cs, err) || flush(cs, err) < 0)
        return NULL;
    return store_snapshot_new(cs->coins);
}

int chainstate_spent_coins(struct chainstate *cs, const struct bindex_node *n,
                           struct coin **coins, size_t *count, char **err)
{
    uint8_t *undo = NULL;
    size_t len = 0, cap = 0;
    *coins = NULL;
    *count = 0;
    if (!(n->status & BINDEX_HAVE_UNDO))
        return 0;
    int r = blockstore_read_undo(cs->bs, n, &undo, &len, err);
    if (r == 0) /* torn or missing: unreadable, not absent */
        r = -1;
    if (r != 1)
        return r;
    struct cursor c;
    cursor_init(&c, undo, len);
    while (r == 1 && cursor_left(&c) > 0) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 64;
            *coins = xreallocarray(*coins, cap, sizeof(**coins));
        }
        if (store_coin_decode(&c, &(*coins)[*count]))
            (*count)++;
        else
            r = err_set(err, "undo data of block %d is corrupt", n->height);
    }
    free(undo);
    return r;
}
/* Core's TestBlockValidity: every check of a connect, the UTXO set left
 * untouched. */
int chainstate_test_block(struct chainstate *cs, const struct block *b, const char **reason,
                          char **err)
{
    if (refuse_broken(cs, err))
        return -1;
    /* The block in flight first: the tip must be the one it builds on. */
    if (connect_settle(cs, err) < 0) {
        settle(cs, CHAINSTATE_ERROR, err);
        return -1;
    }
    const struct bindex_node *tip = bindex_tip(cs->bi);
    if (!hash_eq(&b->hdr.prev, &tip->hash)) {
        *reason = "inconclusive-not-best-prevblk";
        return 1;
    }
    if (!validation_header_context(cs->p, tip, &b->hdr, cs_now(cs), reason) ||
        !validation_block_basic(b, reason) || !validation_block_context(cs->p, tip, b, reason))
        return 1;
    /* A stand-in index entry: connecting reads the height, hash and
     * ancestors (BIP68, BIP30) of the block. */
    struct bindex_node tmp = {.hdr = b->hdr, .prev = (struct bindex_node *)tip,
                              .height = tip->height + 1};
    block_header_hash(&b->hdr, &tmp.hash);
    struct validation_plan *pl;
    int rc = validation_connect_check(cs->p, cs->utxo, b, &tmp, &pl, reason, err);
    if (rc == 0) {
        validation_plan_start(pl, &cs->scripts, NULL, NULL);
        rc = validation_plan_finish(pl, reason);
        validation_plan_free(pl);
    }
    return rc;
}
