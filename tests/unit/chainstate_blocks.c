/* Block building for the chain tests (kept apart from the directory
 * helpers so tests that need no blocks link without the primitives). */
#include "tests/unit/chainstate_util.h"

#include "chain/validation/pow.h"
#include "chain/validation/validation.h"

#include <stdio.h>
#include <stdlib.h>

static struct tx *parse_or_die(struct wbuf *w)
{
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(w->data, w->len, &why);
    if (!tx) {
        fprintf(stderr, "testutil: bad transaction: %s\n", why);
        abort();
    }
    wbuf_free(w);
    return tx;
}

struct tx *testutil_coinbase(int height, int64_t value, uint32_t tag)
{
    struct wbuf w;
    uint8_t script[16];
    size_t n = validation_bip34_prefix(height, script);
    script[n++] = 4;
    ser_put_le32(script + n, tag);
    n += 4;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, (uint8_t[32]){0}, 32);
    wbuf_u32(&w, 0xffffffff);
    wbuf_varbytes(&w, script, n);
    wbuf_u32(&w, 0xffffffff);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, value);
    wbuf_varbytes(&w, (uint8_t[]){0x51}, 1);
    wbuf_u32(&w, 0);
    return parse_or_die(&w);
}

/* Version 2, the inputs with empty scriptSigs and final sequences. */
static void write_inputs(struct wbuf *w, const struct outpoint *ins, size_t nin)
{
    wbuf_i32(w, 2);
    wbuf_compact(w, nin);
    for (size_t i = 0; i < nin; i++) {
        wbuf_bytes(w, ins[i].hash.b, 32);
        wbuf_u32(w, ins[i].n);
        wbuf_varbytes(w, NULL, 0);
        wbuf_u32(w, 0xffffffff);
    }
}

struct tx *testutil_spend(const struct outpoint *ins, size_t nin, const int64_t *outs, size_t nout,
                          size_t pad)
{
    struct wbuf w;
    wbuf_init(&w);
    write_inputs(&w, ins, nin);
    wbuf_compact(&w, nout);
    for (size_t i = 0; i < nout; i++) {
        wbuf_i64(&w, outs[i]);
        size_t len = 1 + (i == 0 ? pad : 0);
        wbuf_compact(&w, len);
        wbuf_u8(&w, 0x51);
        for (size_t k = 1; k < len; k++)
            wbuf_u8(&w, 0x00);
    }
    wbuf_u32(&w, 0);
    return parse_or_die(&w);
}

struct tx *testutil_spend_script(const struct outpoint *ins, size_t nin, size_t nout,
                                 int64_t value, const uint8_t *script, size_t script_len)
{
    struct wbuf w;
    wbuf_init(&w);
    write_inputs(&w, ins, nin);
    wbuf_compact(&w, nout);
    for (size_t i = 0; i < nout; i++) {
        wbuf_i64(&w, value);
        wbuf_varbytes(&w, script, script_len);
    }
    wbuf_u32(&w, 0);
    return parse_or_die(&w);
}

struct tx *testutil_resequence(struct tx *tx, uint32_t sequence, int32_t version)
{
    /* Written field by field: the parsed transaction keeps its raw bytes. */
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, version);
    wbuf_compact(&w, tx->vin_count);
    for (size_t i = 0; i < tx->vin_count; i++) {
        wbuf_bytes(&w, tx->vin[i].prevout.hash.b, 32);
        wbuf_u32(&w, tx->vin[i].prevout.n);
        wbuf_varbytes(&w, tx->vin[i].script, tx->vin[i].script_len);
        wbuf_u32(&w, sequence);
    }
    wbuf_compact(&w, tx->vout_count);
    for (size_t i = 0; i < tx->vout_count; i++) {
        wbuf_i64(&w, tx->vout[i].value);
        wbuf_varbytes(&w, tx->vout[i].script, tx->vout[i].script_len);
    }
    wbuf_u32(&w, tx->locktime);
    tx_free(tx);
    return parse_or_die(&w);
}

void testutil_grind(struct block_header *h, int want_valid)
{
    struct hash256 hash;
    struct u256 target, v;
    pow_bits_to_target(h->bits, &target, NULL, NULL);
    for (;; h->nonce++) {
        block_header_hash(h, &hash);
        u256_from_hash(&v, &hash);
        if ((u256_cmp(&v, &target) <= 0) == (want_valid != 0))
            return;
    }
}

void testutil_header_chain(const struct hash256 *prev, uint32_t time0, uint32_t bits, uint8_t tag,
                           struct block_header *out, size_t n)
{
    struct hash256 h = *prev;
    for (size_t i = 0; i < n; i++) {
        out[i] = (struct block_header){.version = 4, .prev = h, .time = time0 + (uint32_t)i,
                                       .bits = bits};
        memset(out[i].merkle.b, tag, sizeof(out[i].merkle.b));
        testutil_grind(&out[i], 1);
        block_header_hash(&out[i], &h);
    }
}

static struct block *assemble(const struct block_header *h, struct tx *const *txs, size_t n)
{
    struct wbuf w;
    uint8_t hdr[BLOCK_HEADER_SIZE];
    wbuf_init(&w);
    block_header_serialize(h, hdr);
    wbuf_bytes(&w, hdr, sizeof(hdr));
    wbuf_compact(&w, n);
    for (size_t i = 0; i < n; i++)
        tx_serialize(txs[i], &w, true);
    const char *why = NULL;
    struct block *b = block_from_bytes(w.data, w.len, &why);
    if (!b) {
        fprintf(stderr, "testutil: bad block: %s\n", why);
        abort();
    }
    wbuf_free(&w);
    return b;
}

struct block *testutil_block(const struct hash256 *prev, uint32_t time, struct tx **txs, size_t n)
{
    struct block_header h = {.version = 0x20000000, .prev = *prev, .time = time,
                             .bits = TESTUTIL_BITS};
    struct hash256 *ids = calloc(n + 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = txs[i]->txid;
    block_merkle_compute(ids, n, &h.merkle, NULL);
    free(ids);
    testutil_grind(&h, 1);
    struct block *b = assemble(&h, txs, n);
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
    return b;
}

struct block *testutil_rebuild(struct block *b)
{
    struct block *nb = assemble(&b->hdr, b->txs, b->tx_count);
    block_free(b);
    return nb;
}
