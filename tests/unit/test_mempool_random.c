/* Mempool, randomized: any sequence of accepts, replacements, blocks
 * (some carrying double spends), reorgs, expiry and evictions leaves a
 * consistent mempool (mempool_check after every step) whose inputs all
 * exist in the chain or the mempool. */
#include "chain/mempool/mempool.h"
#include "chain/mempool/miner.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct rnd {
    struct tb_fx *f;
    uint64_t seed;
    struct outpoint *outs; /* every output ever created, spendable or not */
    int64_t *values;
    size_t n_outs, cap_outs;
    struct tx **made;
    size_t n_made, cap_made;
    /* Undo of the last block: coins it spent and coins it created. */
    struct tb_coin *spent;
    size_t n_spent;
    struct tx **blk_txs;
    size_t blk_n, blk_private;
};

static uint64_t rnd_next(struct rnd *r)
{
    r->seed ^= r->seed << 13;
    r->seed ^= r->seed >> 7;
    r->seed ^= r->seed << 17;
    return r->seed;
}

static void rnd_add_out(struct rnd *r, const struct outpoint *op, int64_t value)
{
    if (r->n_outs == r->cap_outs) {
        r->cap_outs = r->cap_outs ? r->cap_outs * 2 : 256;
        r->outs = realloc(r->outs, r->cap_outs * sizeof(*r->outs));
        r->values = realloc(r->values, r->cap_outs * sizeof(*r->values));
    }
    r->outs[r->n_outs] = *op;
    r->values[r->n_outs++] = value;
}

static void rnd_tx(struct rnd *r, int64_t now)
{
    size_t nin = 1 + rnd_next(r) % 3, nout = 1 + rnd_next(r) % 3;
    struct outpoint ins[3];
    int64_t in = 0, vals[3];
    for (size_t i = 0; i < nin; i++) {
        size_t k = rnd_next(r) % r->n_outs;
        /* Recent outputs more often, so chains and conflicts form. */
        if (rnd_next(r) % 2 && r->n_outs > 40)
            k = r->n_outs - 1 - rnd_next(r) % 40;
        ins[i] = r->outs[k];
        in += r->values[k];
    }
    int64_t fee = 100 + (int64_t)(rnd_next(r) % 20000);
    if (in - fee < (int64_t)nout * 1000)
        return;
    for (size_t i = 0; i < nout; i++)
        vals[i] = (in - fee) / (int64_t)nout;
    struct tx *tx = tb_simple(ins, nin, vals, nout);
    struct mempool_reject rej;
    if (mempool_accept(r->f->mp, tx, &r->f->tip, now, &rej) == MEMPOOL_ACCEPTED)
        for (uint32_t i = 0; i < nout; i++) {
            struct outpoint op = tb_op(tx, i);
            rnd_add_out(r, &op, vals[i]);
        }
    if (r->n_made == r->cap_made) {
        r->cap_made = r->cap_made ? r->cap_made * 2 : 256;
        r->made = realloc(r->made, r->cap_made * sizeof(*r->made));
    }
    r->made[r->n_made++] = tx;
}

static bool rnd_coin(struct tb_utxo *u, const struct outpoint *op, struct tb_coin *out)
{
    for (size_t i = 0; i < u->n; i++) {
        if (u->v[i].op.n == op->n && hash_eq(&u->v[i].op.hash, &op->hash)) {
            *out = u->v[i];
            return true;
        }
    }
    return false;
}

/* Confirmed spends are gone for good (bar a reorg): stop picking them. */
static void rnd_forget(struct rnd *r, const struct outpoint *op)
{
    for (size_t i = 0; i < r->n_outs; i++) {
        if (r->outs[i].n == op->n && hash_eq(&r->outs[i].hash, &op->hash)) {
            r->outs[i] = r->outs[--r->n_outs];
            r->values[i] = r->values[r->n_outs];
            return;
        }
    }
}

/* Half the blocks also carry a transaction the mempool never saw, spending
 * the confirmed input of a mempool entry: a double spend by the chain. */
static void rnd_double_spend(struct rnd *r)
{
    r->blk_private = 0;
    size_t count = mempool_count(r->f->mp);
    if (!count || rnd_next(r) % 2)
        return;
    const struct mempool_entry *e = mempool_first(r->f->mp);
    for (size_t k = rnd_next(r) % count; k; k--)
        e = mempool_next(e);
    struct tb_coin c;
    const struct outpoint *op = &mempool_entry_tx(e)->vin[0].prevout;
    if (!rnd_coin(&r->f->u, op, &c) || c.value < 10000)
        return;
    for (size_t t = 0; t < r->blk_n; t++)
        for (size_t i = 0; i < r->blk_txs[t]->vin_count; i++)
            if (r->blk_txs[t]->vin[i].prevout.n == op->n &&
                hash_eq(&r->blk_txs[t]->vin[i].prevout.hash, &op->hash))
                return; /* the block spends it already */
    int64_t v = c.value - 5000;
    r->blk_txs = realloc(r->blk_txs, (r->blk_n + 1) * sizeof(*r->blk_txs));
    r->blk_txs[r->blk_n++] = tb_simple(op, 1, &v, 1);
    r->blk_private = 1;
}

static void rnd_mine(struct rnd *r)
{
    struct tb_fx *f = r->f;
    size_t max_weight = MINER_COINBASE_RESERVE + 4 * 82 * (1 + rnd_next(r) % 30);
    int64_t fees;
    for (size_t t = 0; t < r->blk_n; t++) /* only the last block can be undone */
        tx_free(r->blk_txs[t]);
    free(r->blk_txs);
    r->blk_n = miner_select(f->mp, max_weight, &r->blk_txs, &fees);
    rnd_double_spend(r);
    r->n_spent = 0;
    r->spent = realloc(r->spent, (3 * r->blk_n + 1) * sizeof(*r->spent));
    for (size_t t = 0; t < r->blk_n; t++) {
        const struct tx *tx = r->blk_txs[t];
        for (size_t i = 0; i < tx->vin_count; i++) {
            rnd_forget(r, &tx->vin[i].prevout);
            if (rnd_coin(&f->u, &tx->vin[i].prevout, &r->spent[r->n_spent])) {
                tb_utxo_del(&f->u, &tx->vin[i].prevout);
                r->n_spent++;
            }
        }
        for (uint32_t i = 0; i < tx->vout_count; i++) {
            struct outpoint op = tb_op(tx, i);
            tb_utxo_add(&f->u, &op, tx->vout[i].value, f->tip.height + 1, false);
        }
        if (t < r->blk_n - r->blk_private)
            tx_ref(r->blk_txs[t]); /* the block's own reference */
    }
    struct block b = {.tx_count = r->blk_n, .txs = r->blk_txs};
    f->tip.height++;
    f->tip.mtp += 600;
    mempool_block_connected(f->mp, &b, &f->tip);
}

static void rnd_unmine(struct rnd *r, int64_t now)
{
    struct tb_fx *f = r->f;
    for (size_t t = 0; t < r->blk_n; t++)
        for (uint32_t i = 0; i < r->blk_txs[t]->vout_count; i++) {
            struct outpoint op = tb_op(r->blk_txs[t], i);
            tb_utxo_del(&f->u, &op);
        }
    for (size_t i = 0; i < r->n_spent; i++)
        tb_utxo_add(&f->u, &r->spent[i].op, r->spent[i].value, r->spent[i].height, false);
    struct block b = {.tx_count = r->blk_n, .txs = r->blk_txs};
    f->tip.height--;
    f->tip.mtp -= 600;
    mempool_block_disconnected(f->mp, &b, &f->tip, now);
    for (size_t t = 0; t < r->blk_n; t++)
        tx_free(r->blk_txs[t]);
    r->blk_n = 0;
}

/* Every input of every entry is a coin or another entry's output. */
static void rnd_check_inputs(struct rnd *r)
{
    for (const struct mempool_entry *e = mempool_first(r->f->mp); e; e = mempool_next(e)) {
        const struct tx *tx = mempool_entry_tx(e);
        for (size_t i = 0; i < tx->vin_count; i++) {
            struct tb_coin c;
            const struct outpoint *op = &tx->vin[i].prevout;
            if (!mempool_get(r->f->mp, &op->hash) && !rnd_coin(&r->f->u, op, &c))
                fail_msg("entry spends an output that does not exist");
        }
    }
}

static void test_random_operations(void **state)
{
    struct mempool_options o;
    tb_options(&o);
    o.max_usage = 60000;
    o.expiry = 4 * 3600;
    struct rnd r = {.seed = 0x2545f4914f6cdd1dull};
    r.f = tb_fx_new(&o);
    for (uint32_t i = 0; i < 60; i++) {
        struct outpoint op = tb_fund(&r.f->u, 1000 + i, 1000000, 500, false);
        rnd_add_out(&r, &op, 1000000);
    }
    int64_t now = TB_NOW;
    for (int step = 0; step < 3000; step++) {
        now += 20;
        uint64_t what = rnd_next(&r) % 100;
        if (what < 94)
            rnd_tx(&r, now);
        else if (what < 97)
            rnd_mine(&r);
        else if (what < 99 && r.blk_n)
            rnd_unmine(&r, now);
        else
            mempool_expire(r.f->mp, now);
        tb_fx_check(r.f);
        rnd_check_inputs(&r);
    }
    size_t removed = 0;
    for (int i = 0; i <= MEMPOOL_REMOVED_REORG; i++)
        removed += r.f->removed[i];
    assert_true(removed > 100); /* the run did exercise removals */
    for (size_t t = 0; t < r.blk_n; t++)
        tx_free(r.blk_txs[t]);
    for (size_t i = 0; i < r.n_made; i++)
        tx_free(r.made[i]);
    free(r.blk_txs);
    free(r.made);
    free(r.outs);
    free(r.values);
    free(r.spent);
    tb_fx_free(r.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
