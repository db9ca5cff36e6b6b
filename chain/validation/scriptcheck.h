/* Running the interpreter over transactions' inputs, for block connection
 * (Bitcoin Core's ConnectBlock with its check queue) and mempool
 * acceptance (CheckInputScripts), with Core v30's reject reasons. */
#ifndef HEARSAY_CHAIN_SCRIPTCHECK_H
#define HEARSAY_CHAIN_SCRIPTCHECK_H

#include "chain/primitives/tx.h"
#include "chain/script/interpreter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct checkqueue;
struct scriptcache;

/* Where a check failed: transaction index, input index and the error. */
struct scriptcheck_failure {
    size_t tx, in;
    enum script_error err;
};

/* What verification needs besides the transactions; every member may be
 * NULL (no threads, no signature cache, no execution cache). */
struct scriptcheck_env {
    struct checkqueue *queue;
    struct sigcache *sigcache;
    struct scriptcache *cache;
};

/* How a run uses the caches (Core's cacheSigStore and
 * cacheFullScriptStore). */
enum scriptcheck_caching {
    SCRIPTCHECK_STORE_SIGS = 1u << 0,   /* verified signatures enter the sigcache */
    SCRIPTCHECK_STORE_RESULT = 1u << 1, /* passing transactions enter the execution cache */
    SCRIPTCHECK_ERASE_HITS = 1u << 2,   /* execution cache hits are removed (blocks) */
};

/* Verifies every input of txdata[0..n).tx under flags, txdata[t].spent[i]
 * being the output input i spends (all unchanged meanwhile). The caller
 * sets only tx and spent (the rest zero); the hashes are filled when
 * first needed (by the first thread checking one of the inputs) and kept,
 * so a second run over the same data (the mempool's policy then consensus
 * checks) does not compute them again. Transactions found in the
 * execution cache under these flags are skipped. caching is a set of enum
 * scriptcheck_caching. On failure returns false with the LOWEST failing
 * (transaction, input) in *fail. */
bool scriptcheck_run(const struct scriptcheck_env *env, struct sighash_txdata *txdata, size_t n,
                     uint32_t flags, unsigned caching, struct scriptcheck_failure *fail);

/* The same checks in two halves, so the caller's thread may go on while
 * the queue's workers run them: scriptcheck_start does the caller's part
 * (the cache look-ups, the list of inputs) and hands the inputs to the
 * workers, which also compute each transaction's hashes (once, by the
 * first to need them); done(done_ctx) is then called once
 * on a worker's thread when they are through (at once on the caller's
 * when there is no worker or nothing to run). txdata and the transactions
 * must stay unchanged until scriptcheck_finish, which waits for the run
 * (helping), stores the results in the caches as scriptcheck_run does,
 * frees the run and returns its result. One run per queue at a time. */
struct scriptcheck_job;
typedef void (*scriptcheck_done_fn)(void *done_ctx);
struct scriptcheck_job *scriptcheck_start(const struct scriptcheck_env *env,
                                          struct sighash_txdata *txdata, size_t n,
                                          uint32_t flags, unsigned caching,
                                          scriptcheck_done_fn done, void *done_ctx);
/* Whether scriptcheck_finish would return without waiting. */
bool scriptcheck_ready(const struct scriptcheck_job *job);
bool scriptcheck_finish(struct scriptcheck_job *job, struct scriptcheck_failure *fail);

/* Core's debug text for a failing input: "input N of <txid> (wtxid
 * <wtxid>), spending <txid>:<n>"; out holds SCRIPTCHECK_DESCRIBE_LEN. */
#define SCRIPTCHECK_DESCRIBE_LEN 256
void scriptcheck_describe(const struct tx *tx, size_t in, char out[SCRIPTCHECK_DESCRIBE_LEN]);

/* Core v30's reject reasons, static strings:
 * "block-script-verify-flag-failed (<ScriptErrorString>)" and
 * "mempool-script-verify-flag-failed (<ScriptErrorString>)". */
const char *scriptcheck_block_reason(enum script_error err);
const char *scriptcheck_mempool_reason(enum script_error err);

#endif
