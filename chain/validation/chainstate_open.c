/* Opening a chainstate: the databases, the block index loaded back into
 * the header tree, the checks of the stored active chain, and closing. */
#include "chain/validation/chainstate.h"
#include "chain/validation/chainstate_int.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/worker.h"
#include "chain/storage/store.h"
#include "chain/validation/blockstore.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/pow.h"
#include "chain/validation/reindex.h"
#include "chain/validation/utxo.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>

/* Loading: index records arrive in key (hash) order; parents must be
 * added before children, so they are sorted by height first. */
struct loaded {
    struct hash256 hash;
    struct bindex_record rec;
};

struct load_ctx {
    struct loaded *v;
    size_t n, cap;
    bool corrupt;
    struct hash256 corrupt_hash;
};

static int load_one(void *ctx, const struct hash256 *hash, const uint8_t *rec, size_t len)
{
    struct load_ctx *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n].hash = *hash;
    if (!bindex_record_decode(rec, len, &l->v[l->n].rec)) {
        l->corrupt = true;
        l->corrupt_hash = *hash;
        return 1;
    }
    l->n++;
    return 0;
}

static int cmp_height(const void *a, const void *b)
{
    const struct loaded *x = a, *y = b;
    return (x->rec.height > y->rec.height) - (x->rec.height < y->rec.height);
}

/* Rebuilds the header tree, checking each record against its key and
 * its parent. */
static int load_index(struct chainstate *cs, char **err)
{
    struct load_ctx l = {0};
    char hex[HASH_HEX_LEN + 1];
    int rc = blockstore_foreach_index(cs->bs, load_one, &l, err) < 0 ? -1 : 0;
    if (rc == 0 && l.corrupt) {
        hash_to_hex(&l.corrupt_hash, hex);
        err_set(err, "block index record %s is corrupt", hex);
        rc = -1;
    }
    if (rc == 0 && l.n)
        qsort(l.v, l.n, sizeof(*l.v), cmp_height);
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        struct loaded *e = &l.v[i];
        struct hash256 h;
        block_header_hash(&e->rec.hdr, &h);
        struct bindex_node *n = hash_eq(&h, &e->hash) ? bindex_add(cs->bi, &e->rec.hdr, &h) : NULL;
        hash_to_hex(&e->hash, hex);
        if (!n || n->height != e->rec.height || u256_cmp(&n->work, &e->rec.work) != 0) {
            err_set(err, "block index record %s (height %d) %s", hex, e->rec.height,
                    !n ? "does not connect to its parent or hash" : "has a wrong height or work");
            rc = -1;
            break;
        }
        bindex_restore(cs->bi, n, &e->rec);
        blockstore_check_node(cs->bs, n);
        /* Pruned blocks below the tip still link it to genesis. */
        if ((n->status & (BINDEX_HAVE_DATA | BINDEX_PRUNED)) && (!n->prev || n->prev->have_chain))
            n->have_chain = true;
        if (n->have_chain && !(n->status & BINDEX_FAILED_MASK))
            list_push(&cs->cands, n);
        else if ((n->status & BINDEX_HAVE_DATA) && !(n->status & BINDEX_FAILED_MASK))
            list_push(&cs->waiting, n);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].rec.reason);
    free(l.v);
    return rc;
}

/* A new store starts with the genesis block as tip and no coins (the
 * genesis coinbase is unspendable, as in Bitcoin): coins without a best
 * block are at genesis. pos: where a reindex found it. */
int init_genesis(struct chainstate *cs, const struct blockfile_pos *pos, char **err)
{
    struct block *g = params_genesis_block(cs->p);
    struct bindex_node *n = bindex_add(cs->bi, &g->hdr, &g->hash);
    struct wbuf raw;
    wbuf_init(&raw);
    if (!pos)
        block_serialize(g, &raw, true);
    n->have_chain = true;
    int rc = blockstore_save_block(cs->bs, n, raw.data, raw.len, pos, err);
    wbuf_free(&raw);
    block_free(g);
    if (rc < 0 || write_batch(cs, true, err) < 0)
        return -1;
    bindex_set_tip(cs->bi, n);
    return 0;
}

/* The stored tip and every block below it must be valid with data and
 * undo data: anything else is damage we report rather than guess at. */
static int check_active_chain(struct chainstate *cs, char **err)
{
    struct bindex_node *g = bindex_at(cs->bi, 0);
    if (!g || !hash_eq(&g->hash, &cs->p->genesis_hash)) {
        err_set(err, "the store's genesis block is not %s's", cs->p->name);
        return -1;
    }
    /* Pruned block files took the data of old blocks away on purpose. */
    bool pruned = blockstore_pruned(cs->bs);
    for (struct bindex_node *n = bindex_tip(cs->bi); n && n->height > 0; n = n->prev) {
        const char *what = NULL;
        if (n->status & BINDEX_FAILED_MASK)
            what = "is marked invalid";
        else if (!pruned && !(n->status & BINDEX_HAVE_DATA))
            what = "has no block data (restart with -reindex)";
        else if (!pruned && !(n->status & BINDEX_HAVE_UNDO))
            what = "has no undo data (restart with -reindex)";
        if (what) {
            char hex[HASH_HEX_LEN + 1];
            hash_to_hex(&n->hash, hex);
            err_set(err, "chainstate block %s at height %d %s", hex, n->height, what);
            return -1;
        }
    }
    return 0;
}

static int open_state(struct chainstate *cs, char **err)
{
    struct hash256 tip;
    /* Data found missing or torn while loading is recorded at once. */
    if (load_index(cs, err) < 0 || write_batch(cs, false, err) < 0)
        return -1;
    if (cs->opts.reindex && reindex_run(cs, err) < 0)
        return -1;
    int r = store_get_tip(cs->coins, &tip, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        if (bindex_count(cs->bi) == 0)
            return init_genesis(cs, NULL, err);
        tip = cs->p->genesis_hash; /* coins never flushed: still at genesis */
    }
    struct bindex_node *n = bindex_find(cs->bi, &tip);
    if (!n) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&tip, hex);
        err_set(err, "chainstate tip %s is not in the block index (restart with -reindex)", hex);
        return -1;
    }
    bindex_set_tip(cs->bi, n);
    if (check_active_chain(cs, err) < 0)
        return -1;
    /* Replay what the UTXO set had not caught up with before a crash. */
    int before = n->height;
    if (activate_best_chain(cs, NULL, err) < 0)
        return -1;
    if (bindex_tip(cs->bi) != n)
        LOG_INFO("chainstate: replayed from height %d to %d", before, bindex_height(cs->bi));
    return 0;
}

/* Opens <dir>/blocks (files and index) and <dir>/chainstate (coins),
 * after wiping both databases for a reindex. Core's split of the cache:
 * an eighth for the index (at most 8 MiB), an eighth for the coins
 * database (at most 64 MiB; its cache helps little once coins are
 * cached), the UTXO cache the rest. */
static int open_databases(struct chainstate *cs, const char *dir, char **err)
{
    size_t total = cs->opts.dbcache_bytes;
    size_t index = total / 8 > (8u << 20) ? (8u << 20) : total / 8;
    size_t db = total / 8 > (64u << 20) ? (64u << 20) : total / 8;
    char *coins = blockstore_path(dir, "chainstate");
    int rc = 0;
    if (!(cs->bs = blockstore_open(dir, cs->p->magic, cs->opts.fast_prune, cs->opts.reindex,
                                   index, err)))
        rc = -1;
    if (rc == 0 && cs->opts.reindex)
        rc = store_destroy(coins, err);
    if (rc == 0 && !(cs->coins = store_open(coins, db, err)))
        rc = -1;
    free(coins);
    cs->utxo = utxo_new(cs->coins, total - db - index);
    return rc;
}

struct chainstate *chainstate_open(const struct chain_params *p, const char *dir,
                                   const struct chainstate_options *o, char **err)
{
    struct chainstate *cs = xcalloc(1, sizeof(*cs));
    cs->p = p;
    if (o)
        cs->opts = *o;
    else
        chainstate_default_options(&cs->opts);
    cs->bi = bindex_new();
    if (open_databases(cs, dir, err) < 0) {
        chainstate_close(cs);
        return NULL;
    }
    cs->assumevalid = cs->opts.assumevalid_given ? cs->opts.assumevalid : p->assumevalid;
    u256_from_hash(&cs->min_work,
                   cs->opts.min_chain_work_given ? &cs->opts.min_chain_work : &p->min_chain_work);
    cs->script_reason_logged = ""; /* the first decision is logged, whichever it is */
    cs->scripts.sigcache = cs->opts.sigcache;
    cs->scripts.cache = cs->opts.scriptcache;
    /* -par=1: the caller verifies alone, no queue; -par=N: N workers,
     * as a connect's scripts are checked while the caller goes on. */
    if (cs->opts.script_threads > 1 &&
        !(cs->scripts.queue = checkqueue_new(cs->opts.script_threads)))
        LOG_WARN("chainstate: script threads could not start; verifying on one thread");
    cs->last_flush = cs_now(cs);
    /* Disk syncs leave the caller's (the event loop's) thread. */
    if (!(cs->writer = worker_new("b-diskwrite")))
        LOG_WARN("chainstate: the disk writer thread could not start; syncing inline");
    blockstore_set_writer(cs->bs, cs->writer);
    utxo_set_writer(cs->utxo, cs->writer);
    if (open_state(cs, err) < 0) {
        /* Nothing was flushed that the checks did not approve. */
        utxo_reset(cs->utxo);
        chainstate_close(cs);
        return NULL;
    }
    LOG_INFO("chainstate: %zu headers, tip height %d", bindex_count(cs->bi),
             bindex_height(cs->bi));
    return cs;
}

void chainstate_close(struct chainstate *cs)
{
    if (!cs)
        return;
    char *err = NULL;
    /* Always: the block files and the index are synced too. */
    if (!cs->broken && cs->coins && bindex_tip(cs->bi) && flush(cs, &err) < 0) {
        LOG_ERROR("chainstate: final flush failed: %s", err);
        free(err);
    }
    utxo_free(cs->utxo);
    block_free(cs->held);
    checkqueue_free(cs->scripts.queue);
    bindex_free(cs->bi);
    blockstore_close(cs->bs);
    store_close(cs->coins);
    worker_free(cs->writer);
    free(cs->cands.v);
    free(cs->waiting.v);
    free(cs);
}
