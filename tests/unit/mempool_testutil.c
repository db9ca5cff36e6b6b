#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

const uint8_t tb_p2wpkh[22] = {0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                               11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

struct tx *tb_tx(int32_t version, const struct tb_in *ins, size_t nin, const struct tb_out *outs,
                 size_t nout, uint32_t locktime)
{
    bool segwit = false;
    for (size_t i = 0; i < nin; i++)
        segwit |= ins[i].wit != NULL;
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, version);
    if (segwit) {
        wbuf_u8(&w, 0);
        wbuf_u8(&w, 1);
    }
    wbuf_compact(&w, nin);
    for (size_t i = 0; i < nin; i++) {
        wbuf_bytes(&w, ins[i].op.hash.b, 32);
        wbuf_u32(&w, ins[i].op.n);
        wbuf_varbytes(&w, ins[i].sig, ins[i].sig_len);
        wbuf_u32(&w, ins[i].sequence);
    }
    wbuf_compact(&w, nout);
    for (size_t i = 0; i < nout; i++) {
        wbuf_i64(&w, outs[i].value);
        if (outs[i].script)
            wbuf_varbytes(&w, outs[i].script, outs[i].script_len);
        else
            wbuf_varbytes(&w, tb_p2wpkh, sizeof(tb_p2wpkh));
    }
    if (segwit) {
        for (size_t i = 0; i < nin; i++) {
            wbuf_compact(&w, ins[i].wit ? 1 : 0);
            if (ins[i].wit)
                wbuf_varbytes(&w, ins[i].wit, ins[i].wit_len);
        }
    }
    wbuf_u32(&w, locktime);
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(w.data, w.len, &why);
    if (!tx)
        fail_msg("test transaction does not parse: %s", why);
    wbuf_free(&w);
    return tx;
}

struct tx *tb_simple(const struct outpoint *ins, size_t nin, const int64_t *values, size_t nout)
{
    struct tb_in *in = calloc(nin, sizeof(*in));
    struct tb_out *out = calloc(nout, sizeof(*out));
    for (size_t i = 0; i < nin; i++) {
        in[i].op = ins[i];
        in[i].sequence = TB_SEQ_RBF;
    }
    for (size_t i = 0; i < nout; i++)
        out[i].value = values[i];
    struct tx *tx = tb_tx(2, in, nin, out, nout, 0);
    free(in);
    free(out);
    return tx;
}

struct outpoint tb_op(const struct tx *tx, uint32_t n)
{
    struct outpoint op = {tx->txid, n};
    return op;
}

void tb_utxo_add(struct tb_utxo *u, const struct outpoint *op, int64_t value, int32_t height,
                 bool coinbase)
{
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 64;
        u->v = realloc(u->v, u->cap * sizeof(*u->v));
    }
    struct tb_coin c = {*op, value, height, coinbase, NULL, 0};
    u->v[u->n++] = c;
}

struct outpoint tb_fund(struct tb_utxo *u, uint32_t seed, int64_t value, int32_t height,
                        bool coinbase)
{
    uint8_t s[4] = {(uint8_t)seed, (uint8_t)(seed >> 8), (uint8_t)(seed >> 16),
                    (uint8_t)(seed >> 24)};
    struct outpoint op = {{{0}}, seed % 3};
    hash_sha256d(s, sizeof(s), &op.hash);
    tb_utxo_add(u, &op, value, height, coinbase);
    return op;
}

struct outpoint tb_fund_script(struct tb_utxo *u, uint32_t seed, int64_t value,
                               const uint8_t *script, size_t script_len)
{
    struct outpoint op = tb_fund(u, seed, value, 1, false);
    u->v[u->n - 1].script = script;
    u->v[u->n - 1].script_len = script_len;
    return op;
}

static bool same(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && hash_eq(&a->hash, &b->hash);
}

void tb_utxo_del(struct tb_utxo *u, const struct outpoint *op)
{
    for (size_t i = 0; i < u->n; i++) {
        if (same(&u->v[i].op, op)) {
            u->v[i] = u->v[--u->n];
            return;
        }
    }
}

void tb_utxo_free(struct tb_utxo *u)
{
    free(u->v);
    memset(u, 0, sizeof(*u));
}

bool tb_utxo_lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    struct tb_utxo *u = ctx;
    for (size_t i = 0; i < u->n; i++) {
        if (same(&u->v[i].op, op)) {
            out->value = u->v[i].value;
            out->height = u->v[i].height;
            out->coinbase = u->v[i].coinbase;
            const uint8_t *script = u->v[i].script ? u->v[i].script : tb_p2wpkh;
            out->script_len = u->v[i].script ? u->v[i].script_len : sizeof(tb_p2wpkh);
            out->script = malloc(out->script_len);
            memcpy(out->script, script, out->script_len);
            return true;
        }
    }
    return false;
}

static void on_removed(void *ctx, const struct tx *tx, enum mempool_removal why, uint64_t seq)
{
    struct tb_fx *f = ctx;
    (void)tx;
    (void)seq;
    f->removed[why]++;
}

void tb_options(struct mempool_options *o)
{
    mempool_options_default(o);
    o->check_scripts = false;
}

struct tb_fx *tb_fx_new(const struct mempool_options *o)
{
    struct tb_fx *f = calloc(1, sizeof(*f));
    struct mempool_options def;
    tb_options(&def);
    f->mp = mempool_new(o ? o : &def, tb_utxo_lookup, &f->u);
    struct mempool_listener l = { NULL, on_removed, f };
    mempool_add_listener(f->mp, &l);
    f->tip.height = TB_TIP_HEIGHT;
    f->tip.mtp = TB_NOW - 3600;
    return f;
}

void tb_fx_check(struct tb_fx *f)
{
    char *err = NULL;
    if (mempool_check(f->mp, &err) != 0)
        fail_msg("%s", err);
}

void tb_fx_free(struct tb_fx *f)
{
    tb_fx_check(f);
    mempool_free(f->mp);
    tb_utxo_free(&f->u);
    free(f);
}
