/* A block's connect split at its script checks (Bitcoin Core's
 * ConnectBlock with its check queue, run so the caller need not wait):
 * the cheap checks run on the caller's thread (the event loop) and gather
 * what the inputs spend; the scripts then run on the queue's workers
 * while the loop goes on; the result is applied on the loop again.
 *
 * Until then the UTXO set is unchanged (mempool acceptance may read it),
 * the block and the plan belong to the chainstate, and nothing else may
 * change the chain: chainstate.c finishes the connect before any other
 * activation step, reorganization or flush. */
#include "chain/validation/chainstate_int.h"

#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/validation.h"

#include <stdlib.h>

struct cs_connect {
    struct bindex_node *n;
    struct block *b;
    struct validation_plan *plan;
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

/* On a worker's thread, the last check done: the loop comes back. */
static void scripts_done(void *ctx)
{
    struct chainstate *cs = ctx;
    cs->notify(cs->notify_ctx);
}

int cs_connect_begin(struct chainstate *cs, struct bindex_node *n, struct block *b,
                     bool scripts, const char **reason, char **err)
{
    struct validation_plan *pl;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "connect checks");
    int rc = validation_connect_check(cs->p, cs->utxo, b, n, &pl, reason, err);
    if (rc == 0 && scripts) {
        /* The per-transaction hashes and the list of inputs. */
        struct looplag_mark setup;
        looplag_enter(looplag_default(), &setup, LOG_VALIDATION, "script setup");
        validation_plan_start(pl, &cs->scripts, cs->notify ? scripts_done : NULL, cs);
        looplag_leave(&setup);
    }
    looplag_leave(&mark);
    if (rc != 0) {
        block_free(b);
        return rc;
    }
    cs->connecting = xmalloc(sizeof(*cs->connecting));
    *cs->connecting = (struct cs_connect){n, b, pl};
    return 0;
}

bool cs_connect_ready(const struct chainstate *cs)
{
    return !cs->connecting || validation_plan_ready(cs->connecting->plan);
}

void cs_connect_drop(struct chainstate *cs)
{
    struct cs_connect *c = cs->connecting;
    if (!c)
        return;
    cs->connecting = NULL;
    validation_plan_free(c->plan); /* waits for the workers */
    block_free(c->b);
    free(c);
}

bool chainstate_connect_waiting(const struct chainstate *cs)
{
    return !cs_connect_ready(cs);
}

int cs_connect_finish(struct chainstate *cs, struct bindex_node **n, struct block **b,
                      struct wbuf *undo, const char **reason, char **err)
{
    struct cs_connect *c = cs->connecting;
    cs->connecting = NULL;
    *n = c->n;
    *b = c->b;
    int rc = validation_plan_finish(c->plan, reason);
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
