/* A block's connect split at its script checks (Bitcoin Core's
 * ConnectBlock with its check queue, run so the caller need not wait):
 * the cheap checks run on the caller's thread (the event loop) and gather
 * what the inputs spend; the scripts then run on the queue's workers
 * while the loop goes on; the result is applied on the loop again. The
 * cheap checks read every coin the block spends (and, for BIP30, probe
 * every output it creates): for a large block that is tens of
 * milliseconds, so with a deadline they go in slices, one per activation
 * step, the loop running between two.
 *
 * Until then the UTXO set is unchanged (mempool acceptance may read it),
 * the block and the plan belong to the chainstate, and nothing else may
 * change the chain: chainstate.c finishes the connect before any other
 * activation step, reorganization or flush. Between slices others only
 * read the set (mempool acceptance, gettxout), and what the plan gathered
 * is its own copy: a flush dropping cached coins does not touch it.
 *
 * With slices, the coins the inputs spend are first read on the UTXO
 * cache's reader thread (a prefetch): the loop waits for them without
 * being held, as for the scripts, then the checks find them cached. So
 * are BIP30's probes of the outputs it creates: those the store does not
 * hold (nearly all) are passed to the plan, not cached, and the checks
 * then ask the cache alone about them.
 * Otherwise each coin not cached is a store read on the loop, thousands
 * per block, any of them as slow as the disk it waits for. A stored block
 * is read from its file and parsed on that thread too, before its coins
 * (a megabyte's parse is tens of milliseconds, its allocations more). */
#include "chain/validation/chainstate_int.h"

#include "chain/primitives/block.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/utxo.h"
#include "chain/validation/validation.h"

#include <stdlib.h>

/* A stored block read, parsed and planned on the reader thread. Its
 * position is copied on the loop: the node's may change meanwhile, its
 * height, hash and ancestors (all the plan reads) do not. */
struct cs_load {
    struct blockstore *bs;
    const struct chain_params *p;
    const struct bindex_node *n;
    struct blockfile_pos pos;
    struct block *b;              /* NULL if it could not be read */
    struct validation_plan *plan; /* b's */
};

struct cs_connect {
    struct bindex_node *n;
    struct block *b; /* NULL while being loaded */
    struct validation_plan *plan;
    struct cs_load load;
    struct utxo_prefetch *prefetch; /* the inputs' coins being read */
    bool checking; /* checks remain, or the scripts' start (in slices) */
    bool checked;  /* all checks but the scripts passed */
    bool scripts;  /* the scripts are to be checked once they are done */
};

struct block *cs_block_share(const struct block *b)
{
    struct block *c = xmalloc(sizeof(*c));
    *c = *b;
    c->txs = xcalloc(b->tx_count ? b->tx_count : 1, sizeof(*c->txs));
    for (size_t t = 0; t < b->tx_count; t++)
        c->txs[t] = tx_ref(b->txs[t]);
    return c;
}

/* On a worker's thread, the last check or read done: the loop comes
 * back. */
static void wake_loop(void *ctx)
{
    struct chainstate *cs = ctx;
    cs->notify(cs->notify_ctx);
}

/* On the reader thread: the block, then what its inputs spend. A read
 * or parse failure is left for the loop's own load to report. */
static struct outpoint *load_run(void *arg, size_t *count)
{
    struct cs_load *l = arg;
    uint8_t *raw;
    size_t len;
    char *err = NULL;
    const char *why = NULL;
    *count = 0;
    if (blockstore_read_at(l->bs, &l->pos, &raw, &len, &err) == 1) {
        l->b = block_from_bytes(raw, len, &why);
        free(raw);
    }
    free(err);
    if (!l->b)
        return NULL;
    l->plan = validation_connect_new(l->p, l->b, l->n);
    return validation_plan_reads(l->plan, count);
}

/* The loaded block and plan taken over, or the block loaded on the loop
 * when that failed (so that its error is the same). 0 or -1. */
static int take_loaded(struct chainstate *cs, struct cs_connect *c, char **err)
{
    c->b = c->load.b;
    c->plan = c->load.plan;
    c->load.b = NULL;
    c->load.plan = NULL;
    if (c->b)
        return 0;
    if (!(c->b = cs_load_block(cs, c->n, err)))
        return -1;
    c->plan = validation_connect_new(cs->p, c->b, c->n);
    return 0;
}

/* A slice of the checks (all of them with deadline_us 0); once done, the
 * scripts start, in the next slice if this one has used its time. 0 (in
 * flight), 1 or -1 as validation_connect_more. */
static int check_slice(struct chainstate *cs, struct cs_connect *c, int64_t deadline_us,
                       const char **reason, char **err)
{
    if (c->prefetch) {
        if (deadline_us && !utxo_prefetch_ready(c->prefetch))
            return 0;
        struct looplag_mark mark;
        looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "prefetch insert");
        struct outpoint *absent;
        size_t n_absent;
        utxo_prefetch_finish(cs->utxo, c->prefetch, &absent, &n_absent);
        looplag_leave(&mark);
        c->prefetch = NULL;
        if (!c->b && take_loaded(cs, c, err) < 0) {
            free(absent);
            return -1;
        }
        validation_plan_absent(c->plan, absent, n_absent);
    }
    if (!c->checked) {
        struct looplag_mark mark;
        looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "connect checks");
        int rc = validation_connect_more(cs->p, cs->utxo, c->plan, deadline_us, reason, err);
        looplag_leave(&mark);
        if (rc != 0 && rc != VALIDATION_MORE)
            return rc;
        c->checked = rc == 0;
        if (!c->checked || (deadline_us && looplag_now(looplag_default()) >= deadline_us))
            return 0;
    }
    if (c->scripts) {
        /* The per-transaction hashes and the list of inputs. */
        struct looplag_mark setup;
        looplag_enter(looplag_default(), &setup, LOG_VALIDATION, "script setup");
        validation_plan_start(c->plan, &cs->scripts, cs->notify ? wake_loop : NULL, cs);
        looplag_leave(&setup);
    }
    c->checking = false;
    return 0;
}

/* The block in flight failed its checks: forgotten, its index entry
 * handed back. */
static struct bindex_node *drop_failed(struct chainstate *cs)
{
    struct bindex_node *n = cs->connecting->n;
    cs_connect_drop(cs);
    return n;
}

int cs_connect_begin(struct chainstate *cs, struct bindex_node *n, struct block *b,
                     bool scripts, int64_t deadline_us, const char **reason, char **err)
{
    struct cs_connect *c = xcalloc(1, sizeof(*c));
    *c = (struct cs_connect){.n = n, .b = b, .plan = validation_connect_new(cs->p, b, n),
                             .checking = true, .scripts = scripts};
    cs->connecting = c;
    if (deadline_us && cs->notify) {
        size_t count;
        struct outpoint *ops = validation_plan_reads(c->plan, &count);
        c->prefetch = utxo_prefetch_start(cs->utxo, ops, count, wake_loop, cs);
        free(ops);
        if (c->prefetch)
            return 0;
    }
    int rc = check_slice(cs, c, deadline_us, reason, err);
    if (rc != 0)
        drop_failed(cs);
    return rc;
}

bool cs_connect_load(struct chainstate *cs, struct bindex_node *n, bool scripts)
{
    if (!(n->status & BINDEX_HAVE_DATA))
        return false;
    struct cs_connect *c = xcalloc(1, sizeof(*c));
    *c = (struct cs_connect){.n = n, .checking = true, .scripts = scripts};
    c->load = (struct cs_load){.bs = cs->bs, .p = cs->p, .n = n, .pos = n->data_pos};
    c->prefetch = utxo_prefetch_gather(cs->utxo, load_run, &c->load, wake_loop, cs);
    if (!c->prefetch) {
        free(c);
        return false;
    }
    cs->connecting = c;
    return true;
}

int cs_connect_resume(struct chainstate *cs, int64_t deadline_us, struct bindex_node **n,
                      const char **reason, char **err)
{
    int rc = check_slice(cs, cs->connecting, deadline_us, reason, err);
    if (rc != 0)
        *n = drop_failed(cs);
    return rc;
}

bool cs_connect_checking(const struct chainstate *cs)
{
    return cs->connecting && cs->connecting->checking;
}

bool cs_connect_fetching(const struct chainstate *cs)
{
    return cs->connecting && cs->connecting->prefetch &&
           !utxo_prefetch_ready(cs->connecting->prefetch);
}

bool cs_connect_ready(const struct chainstate *cs)
{
    return !cs->connecting ||
           (!cs->connecting->checking && validation_plan_ready(cs->connecting->plan));
}

void cs_connect_drop(struct chainstate *cs)
{
    struct cs_connect *c = cs->connecting;
    if (!c)
        return;
    cs->connecting = NULL;
    utxo_prefetch_finish(cs->utxo, c->prefetch, NULL, NULL); /* waits for the reads */
    validation_plan_free(c->plan); /* waits for the workers */
    block_free(c->b);
    validation_plan_free(c->load.plan); /* a load never taken */
    block_free(c->load.b);
    free(c);
}

bool chainstate_connect_waiting(const struct chainstate *cs)
{
    return (!cs_connect_checking(cs) && !cs_connect_ready(cs)) || cs_connect_fetching(cs) ||
           (cs->coins_wait && utxo_writing(cs->utxo));
}

int cs_connect_finish(struct chainstate *cs, struct bindex_node **n, struct block **b,
                      struct wbuf *undo, const char **reason, char **err)
{
    struct cs_connect *c = cs->connecting;
    int rc = c->checking ? check_slice(cs, c, 0, reason, err) : 0;
    cs->connecting = NULL;
    *n = c->n;
    *b = c->b;
    if (rc == 0)
        rc = validation_plan_finish(c->plan, reason);
    validation_plan_free(c->plan);
    free(c);
    if (rc != 0)
        return rc;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "connect apply");
    rc = validation_connect_apply(cs->utxo, *b, (*n)->height, undo, err);
    looplag_leave(&mark);
    return rc;
}
