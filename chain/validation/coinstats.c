#include "chain/validation/coinstats.h"

#include "chain/primitives/muhash.h"
#include "chain/storage/store.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

uint64_t coinstats_bogosize(size_t script_len)
{
    /* txid, index, height and coinbase, amount, script length, script */
    return 32 + 4 + 4 + 8 + 2 + (uint64_t)script_len;
}

void coinstats_coin_ser(struct wbuf *w, const struct outpoint *op, const struct coin *c)
{
    wbuf_bytes(w, op->hash.b, 32);
    wbuf_u32(w, op->n);
    wbuf_u32(w, ((uint32_t)c->height << 1) | (c->coinbase ? 1u : 0u));
    wbuf_i64(w, c->value);
    wbuf_varbytes(w, c->script, c->script_len);
}

struct coinstats_job {
    enum coinstats_hash type;
    struct store_snapshot *snap;
    struct coinstats st;
    struct hash_ctx *sha;
    struct muhash *mu;
    struct wbuf buf;
    struct hash256 prev_txid;
    const atomic_bool *cancel;
};

static int visit(void *ctx, const struct outpoint *op, const struct coin *c)
{
    struct coinstats_job *w = ctx;
    if (w->cancel && atomic_load_explicit(w->cancel, memory_order_relaxed))
        return 1;
    /* Coins come grouped by txid: a new txid is a new transaction. */
    if (w->st.txouts == 0 || !hash_eq(&op->hash, &w->prev_txid))
        w->st.transactions++;
    w->prev_txid = op->hash;
    w->st.txouts++;
    w->st.total_amount += c->value;
    w->st.bogosize += coinstats_bogosize(c->script_len);
    if (w->type == COINSTATS_HASH_NONE)
        return 0;
    wbuf_reset(&w->buf);
    coinstats_coin_ser(&w->buf, op, c);
    if (w->type == COINSTATS_HASH_SERIALIZED)
        hash_ctx_update(w->sha, w->buf.data, w->buf.len);
    else
        muhash_insert(w->mu, w->buf.data, w->buf.len);
    return 0;
}

struct coinstats_job *coinstats_start(struct chainstate *cs, enum coinstats_hash type,
                                      char **err)
{
    struct store_snapshot *snap = chainstate_coins_snapshot(cs, err);
    if (!snap)
        return NULL;
    struct coinstats_job *j = xcalloc(1, sizeof(*j));
    j->type = type;
    j->snap = snap;
    /* The snapshot is the tip's set: the flush just wrote it. */
    const struct bindex_node *tip = chainstate_tip(cs);
    j->st.height = tip->height;
    j->st.bestblock = tip->hash;
    wbuf_init(&j->buf);
    if (type == COINSTATS_HASH_SERIALIZED)
        j->sha = hash_ctx_new();
    else if (type == COINSTATS_HASH_MUHASH)
        j->mu = muhash_new();
    return j;
}

int coinstats_run(struct coinstats_job *j, const atomic_bool *cancel, char **err)
{
    j->cancel = cancel;
    int rc = store_snapshot_foreach_coin(j->snap, visit, j, err);
    if (rc == 0 && j->sha)
        hash_ctx_final_d(j->sha, &j->st.hash);
    if (rc == 0 && j->mu)
        muhash_finalize(j->mu, &j->st.hash);
    return rc < 0 ? -1 : rc;
}

void coinstats_finish(struct coinstats_job *j, struct chainstate *cs, struct coinstats *out)
{
    *out = j->st;
    out->disk_size = chainstate_coins_disk_size(cs);
}

void coinstats_job_free(struct coinstats_job *j)
{
    if (!j)
        return;
    store_snapshot_free(j->snap);
    hash_ctx_free(j->sha);
    muhash_free(j->mu);
    wbuf_free(&j->buf);
    free(j);
}

int coinstats_compute(struct chainstate *cs, enum coinstats_hash type, struct coinstats *out,
                      char **err)
{
    struct coinstats_job *j = coinstats_start(cs, type, err);
    if (!j)
        return -1;
    int rc = coinstats_run(j, NULL, err);
    if (rc == 0)
        coinstats_finish(j, cs, out);
    coinstats_job_free(j);
    return rc == 0 ? 0 : -1;
}
