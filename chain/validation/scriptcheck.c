#include "chain/validation/scriptcheck.h"

#include "chain/util/xmalloc.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/scriptcache.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input to verify. */
struct job {
    uint32_t tx, in;
};

/* A run's data: written before the workers start, read-only while they
 * run, except each job's own error slot. */
struct scriptcheck_job {
    const struct scriptcheck_env *env;
    struct sighash_txdata *txdata; /* per transaction */
    size_t n;
    struct job *jobs;
    size_t njobs;
    enum script_error *errs; /* per job */
    bool *cached;            /* per transaction: found in the execution cache */
    /* Per transaction: its hashes are TX_NEW, being computed (TX_BUSY) by
     * the first thread to check one of its inputs, or TX_READY. */
    atomic_uchar *state;
    uint32_t flags;
    unsigned caching;
    bool queued; /* on the queue's workers, else already run */
    size_t bad;  /* lowest failing job when run here, njobs when none */
};

enum { TX_NEW, TX_BUSY, TX_READY };

/* Computes the hashes a transaction's inputs share (Core's
 * PrecomputedTransactionData) once, on whichever thread needs them first;
 * another thread needing them meanwhile waits the few microseconds. */
static void ensure_hashes(struct scriptcheck_job *r, uint32_t t)
{
    if (atomic_load_explicit(&r->state[t], memory_order_acquire) == TX_READY)
        return;
    unsigned char expect = TX_NEW;
    if (atomic_compare_exchange_strong(&r->state[t], &expect, TX_BUSY)) {
        sighash_txdata_init(&r->txdata[t], r->txdata[t].tx, r->txdata[t].spent);
        atomic_store_explicit(&r->state[t], TX_READY, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&r->state[t], memory_order_acquire) != TX_READY)
        sched_yield();
}

static bool check_job(void *ctx, size_t i)
{
    struct scriptcheck_job *r = ctx;
    const struct job *j = &r->jobs[i];
    ensure_hashes(r, j->tx);
    return script_verify_input_ex(&r->txdata[j->tx], j->in, r->flags, r->env->sigcache,
                                  r->caching & SCRIPTCHECK_STORE_SIGS, &r->errs[i]);
}

/* The inputs to check, skipping transactions in the execution cache. */
static void list_jobs(struct scriptcheck_job *r)
{
    bool erase_hits = r->caching & SCRIPTCHECK_ERASE_HITS;
    for (size_t t = 0; t < r->n; t++) {
        r->cached[t] = r->env->cache && scriptcache_contains(r->env->cache,
                                                             &r->txdata[t].tx->wtxid, r->flags,
                                                             erase_hits);
        if (!r->cached[t])
            r->njobs += r->txdata[t].tx->vin_count;
    }
    r->jobs = xmalloc((r->njobs ? r->njobs : 1) * sizeof(*r->jobs));
    r->errs = xcalloc(r->njobs ? r->njobs : 1, sizeof(*r->errs));
    r->state = xmalloc((r->n ? r->n : 1) * sizeof(*r->state));
    size_t k = 0;
    for (size_t t = 0; t < r->n; t++) {
        /* Kept from an earlier run over the same data (the mempool's). */
        atomic_init(&r->state[t], r->txdata[t].bip143_ready ? TX_READY : TX_NEW);
        if (r->cached[t])
            continue;
        for (size_t i = 0; i < r->txdata[t].tx->vin_count; i++)
            r->jobs[k++] = (struct job){(uint32_t)t, (uint32_t)i};
    }
}

static struct scriptcheck_job *job_new(const struct scriptcheck_env *env,
                                        struct sighash_txdata *txdata, size_t n, uint32_t flags,
                                        unsigned caching)
{
    struct scriptcheck_job *r = xmalloc(sizeof(*r));
    *r = (struct scriptcheck_job){.env = env, .txdata = txdata, .n = n, .flags = flags,
                                  .caching = caching};
    r->cached = xcalloc(n ? n : 1, sizeof(*r->cached));
    list_jobs(r);
    r->bad = r->njobs;
    return r;
}

/* Every check on the caller's thread, stopping at the first failure. */
static void run_here(struct scriptcheck_job *r)
{
    for (size_t i = 0; i < r->njobs && r->bad == r->njobs; i++)
        if (!check_job(r, i))
            r->bad = i;
}

struct scriptcheck_job *scriptcheck_start(const struct scriptcheck_env *env,
                                          struct sighash_txdata *txdata, size_t n,
                                          uint32_t flags, unsigned caching,
                                          scriptcheck_done_fn done, void *done_ctx)
{
    struct scriptcheck_job *r = job_new(env, txdata, n, flags, caching);
    /* Workers only when some exist and there is something to run. */
    r->queued = env->queue && checkqueue_threads(env->queue) > 0 && r->njobs > 0;
    if (r->queued) {
        checkqueue_start(env->queue, r->njobs, check_job, r, done, done_ctx);
        return r;
    }
    run_here(r);
    if (done)
        done(done_ctx);
    return r;
}

bool scriptcheck_ready(const struct scriptcheck_job *job)
{
    return !job->queued || checkqueue_ready(job->env->queue);
}

bool scriptcheck_finish(struct scriptcheck_job *r, struct scriptcheck_failure *fail)
{
    if (r->queued)
        r->bad = checkqueue_wait(r->env->queue);
    bool ok = r->bad == r->njobs;
    if (!ok) {
        fail->tx = r->jobs[r->bad].tx;
        fail->in = r->jobs[r->bad].in;
        fail->err = r->errs[r->bad];
    } else if ((r->caching & SCRIPTCHECK_STORE_RESULT) && r->env->cache) {
        for (size_t t = 0; t < r->n; t++)
            if (!r->cached[t])
                scriptcache_insert(r->env->cache, &r->txdata[t].tx->wtxid, r->flags);
    }
    free(r->jobs);
    free(r->errs);
    free(r->cached);
    free(r->state);
    free(r);
    return ok;
}

bool scriptcheck_run(const struct scriptcheck_env *env, struct sighash_txdata *txdata, size_t n,
                     uint32_t flags, unsigned caching, struct scriptcheck_failure *fail)
{
    /* The caller waits at once: the queue's small-run rule applies. */
    struct scriptcheck_job *r = job_new(env, txdata, n, flags, caching);
    if (env->queue)
        r->bad = checkqueue_run(env->queue, r->njobs, check_job, r);
    else
        run_here(r);
    return scriptcheck_finish(r, fail);
}

void scriptcheck_describe(const struct tx *tx, size_t in, char out[SCRIPTCHECK_DESCRIBE_LEN])
{
    char txid[HASH_HEX_LEN + 1], wtxid[HASH_HEX_LEN + 1], prev[HASH_HEX_LEN + 1];
    hash_to_hex(&tx->txid, txid);
    hash_to_hex(&tx->wtxid, wtxid);
    hash_to_hex(&tx->vin[in].prevout.hash, prev);
    snprintf(out, SCRIPTCHECK_DESCRIBE_LEN, "input %zu of %s (wtxid %s), spending %s:%u", in, txid,
             wtxid, prev, tx->vin[in].prevout.n);
}

/* "<prefix> (<text>)" for every error, built once. */
static char *block_reasons[SCRIPT_ERR_ERROR_COUNT], *mempool_reasons[SCRIPT_ERR_ERROR_COUNT];

static char *format_reason(const char *prefix, enum script_error e)
{
    const char *text = script_error_string(e);
    size_t len = strlen(prefix) + strlen(text) + 4;
    char *s = xmalloc(len);
    snprintf(s, len, "%s (%s)", prefix, text);
    return s;
}

static void build_reasons(void)
{
    for (int e = 0; e < SCRIPT_ERR_ERROR_COUNT; e++) {
        block_reasons[e] = format_reason("block-script-verify-flag-failed", e);
        mempool_reasons[e] = format_reason("mempool-script-verify-flag-failed", e);
    }
}

static pthread_once_t reasons_once = PTHREAD_ONCE_INIT;

const char *scriptcheck_block_reason(enum script_error err)
{
    pthread_once(&reasons_once, build_reasons);
    return block_reasons[(unsigned)err < SCRIPT_ERR_ERROR_COUNT ? err : SCRIPT_ERR_UNKNOWN_ERROR];
}

const char *scriptcheck_mempool_reason(enum script_error err)
{
    pthread_once(&reasons_once, build_reasons);
    return mempool_reasons[(unsigned)err < SCRIPT_ERR_ERROR_COUNT ? err
                                                                  : SCRIPT_ERR_UNKNOWN_ERROR];
}
