#include "chain/validation/scriptcheck.h"

#include "chain/util/xmalloc.h"
#include "chain/validation/checkqueue.h"
#include "chain/validation/scriptcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input to verify. */
struct job {
    uint32_t tx, in;
};

/* A run's data: written before the workers start, read-only while they
 * run, except each job's own error slot. */
struct run {
    const struct sighash_txdata *txdata; /* per transaction */
    struct job *jobs;
    enum script_error *errs; /* per job */
    uint32_t flags;
    struct sigcache *sigcache;
    bool store_sigs;
};

static bool check_job(void *ctx, size_t i)
{
    struct run *r = ctx;
    const struct job *j = &r->jobs[i];
    return script_verify_input_ex(&r->txdata[j->tx], j->in, r->flags, r->sigcache, r->store_sigs,
                                  &r->errs[i]);
}

bool scriptcheck_run(const struct scriptcheck_env *env, struct sighash_txdata *txdata, size_t n,
                     uint32_t flags, unsigned caching, struct scriptcheck_failure *fail)
{
    struct run r = {.txdata = txdata,
                    .flags = flags,
                    .sigcache = env->sigcache,
                    .store_sigs = caching & SCRIPTCHECK_STORE_SIGS};
    bool erase_hits = caching & SCRIPTCHECK_ERASE_HITS;
    bool *cached = xcalloc(n ? n : 1, sizeof(*cached));
    size_t njobs = 0;
    for (size_t t = 0; t < n; t++) {
        cached[t] = env->cache &&
                    scriptcache_contains(env->cache, &txdata[t].tx->wtxid, flags, erase_hits);
        if (!cached[t])
            njobs += txdata[t].tx->vin_count;
    }
    r.jobs = xmalloc((njobs ? njobs : 1) * sizeof(*r.jobs));
    r.errs = xcalloc(njobs ? njobs : 1, sizeof(*r.errs));
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        if (cached[t])
            continue;
        /* Once per transaction, shared by its inputs (Core's
         * PrecomputedTransactionData). */
        if (!txdata[t].bip143_ready)
            sighash_txdata_init(&txdata[t], txdata[t].tx, txdata[t].spent);
        for (size_t i = 0; i < txdata[t].tx->vin_count; i++)
            r.jobs[k++] = (struct job){(uint32_t)t, (uint32_t)i};
    }
    size_t bad = njobs;
    if (env->queue)
        bad = checkqueue_run(env->queue, njobs, check_job, &r);
    else
        for (size_t i = 0; i < njobs && bad == njobs; i++)
            if (!check_job(&r, i))
                bad = i;
    if (bad < njobs) {
        fail->tx = r.jobs[bad].tx;
        fail->in = r.jobs[bad].in;
        fail->err = r.errs[bad];
    } else if ((caching & SCRIPTCHECK_STORE_RESULT) && env->cache) {
        for (size_t t = 0; t < n; t++)
            if (!cached[t])
                scriptcache_insert(env->cache, &txdata[t].tx->wtxid, flags);
    }
    free(r.jobs);
    free(r.errs);
    free(cached);
    return bad == njobs;
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
