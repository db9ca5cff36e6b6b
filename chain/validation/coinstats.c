#include "chain/validation/coinstats.h"

#include "chain/primitives/muhash.h"

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

struct walk {
    enum coinstats_hash type;
    struct coinstats *st;
    struct hash_ctx *sha;
    struct muhash *mu;
    struct wbuf buf;
    struct hash256 prev_txid;
};

static int visit(void *ctx, const struct outpoint *op, const struct coin *c)
{
    struct walk *w = ctx;
    /* Coins come grouped by txid: a new txid is a new transaction. */
    if (w->st->txouts == 0 || !hash_eq(&op->hash, &w->prev_txid))
        w->st->transactions++;
    w->prev_txid = op->hash;
    w->st->txouts++;
    w->st->total_amount += c->value;
    w->st->bogosize += coinstats_bogosize(c->script_len);
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

int coinstats_compute(struct chainstate *cs, enum coinstats_hash type, struct coinstats *out,
                      char **err)
{
    struct walk w = { .type = type, .st = out };
    memset(out, 0, sizeof(*out));
    wbuf_init(&w.buf);
    if (type == COINSTATS_HASH_SERIALIZED)
        w.sha = hash_ctx_new();
    else if (type == COINSTATS_HASH_MUHASH)
        w.mu = muhash_new();
    int rc = chainstate_foreach_coin(cs, visit, &w, err);
    if (rc == 0) {
        /* The walk flushed first, so the stored set is the tip's. */
        const struct bindex_node *tip = chainstate_tip(cs);
        out->height = tip->height;
        out->bestblock = tip->hash;
        out->disk_size = chainstate_coins_disk_size(cs);
        if (w.sha)
            hash_ctx_final_d(w.sha, &out->hash);
        if (w.mu)
            muhash_finalize(w.mu, &out->hash);
    }
    hash_ctx_free(w.sha);
    muhash_free(w.mu);
    wbuf_free(&w.buf);
    return rc < 0 ? -1 : 0;
}
