/* Crediting and spending transactions for script tests, as Core's. */
#include "tests/unit/script_testutil.h"

static struct tx *finish(struct wbuf *w)
{
    struct tx *tx = tx_from_bytes(w->data, w->len, NULL);
    wbuf_free(w);
    return tx;
}

static struct tx *crediting_tx(const uint8_t *spk, size_t spk_len, int64_t amount)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 1);
    wbuf_compact(&w, 1);
    for (int i = 0; i < 32; i++)
        wbuf_u8(&w, 0);
    wbuf_u32(&w, 0xffffffffu);
    wbuf_varbytes(&w, (const uint8_t[]){OP_0, OP_0}, 2);
    wbuf_u32(&w, 0xffffffffu);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, amount);
    wbuf_varbytes(&w, spk, spk_len);
    wbuf_u32(&w, 0);
    return finish(&w);
}

static struct tx *spending_tx(const struct tx *credit, const uint8_t *sig, size_t sig_len,
                              const struct tx_witem *wit, size_t nwit)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 1);
    if (nwit)
        wbuf_bytes(&w, (const uint8_t[]){0, 1}, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, credit->txid.b, 32);
    wbuf_u32(&w, 0);
    wbuf_varbytes(&w, sig, sig_len);
    wbuf_u32(&w, 0xffffffffu);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, credit->vout[0].value);
    wbuf_compact(&w, 0);
    if (nwit) {
        wbuf_compact(&w, nwit);
        for (size_t i = 0; i < nwit; i++)
            wbuf_varbytes(&w, wit[i].data, wit[i].len);
    }
    wbuf_u32(&w, 0);
    return finish(&w);
}

bool script_test_build(struct script_test_spend *t, const uint8_t *sig, size_t sig_len,
                       const uint8_t *spk, size_t spk_len, const struct tx_witem *wit,
                       size_t nwit, int64_t amount)
{
    t->spend = NULL;
    t->credit = crediting_tx(spk, spk_len, amount);
    if (t->credit)
        t->spend = spending_tx(t->credit, sig, sig_len, wit, nwit);
    if (!t->spend)
        return false;
    sighash_txdata_init(&t->d, t->spend, t->credit->vout);
    return true;
}

void script_test_free(struct script_test_spend *t)
{
    tx_free(t->spend);
    tx_free(t->credit);
    t->spend = t->credit = NULL;
}

enum script_error script_test_verify(const struct script_test_spend *t, uint32_t flags,
                                     struct sigcache *cache, bool store)
{
    enum script_error err;
    script_verify_input_ex(&t->d, 0, flags, cache, store, &err);
    return err;
}

uint32_t script_test_fill_flags(uint32_t f)
{
    if (f & SCRIPT_VERIFY_CLEANSTACK)
        f |= SCRIPT_VERIFY_WITNESS;
    if (f & SCRIPT_VERIFY_WITNESS)
        f |= SCRIPT_VERIFY_P2SH;
    return f;
}

uint32_t script_test_remove_flag(uint32_t f, uint32_t bit)
{
    f &= ~bit;
    if (!(f & SCRIPT_VERIFY_P2SH))
        f &= ~SCRIPT_VERIFY_WITNESS;
    if (!(f & SCRIPT_VERIFY_WITNESS))
        f &= ~SCRIPT_VERIFY_CLEANSTACK;
    return f;
}
