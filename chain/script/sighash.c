/* Legacy and BIP143 signature hashes and the per-transaction data they
 * share (Core's SignatureHash and PrecomputedTransactionData). */
#include "chain/script/sighash.h"
#include "chain/primitives/serialize.h"
#include "chain/script/script.h"

#include <string.h>

/* Serialization straight into SHA-256 through a buffer: legacy hashes
 * write many small fields, and one digest update per field would cost
 * more than the hashing itself. */
struct hw {
    struct hash_ctx *h;
    size_t n;
    uint8_t buf[4096];
};

static void hw_flush(struct hw *w)
{
    hash_ctx_update(w->h, w->buf, w->n);
    w->n = 0;
}

static void hw_put(struct hw *w, const void *p, size_t len)
{
    if (len > sizeof(w->buf) - w->n) {
        hw_flush(w);
        if (len > sizeof(w->buf)) {
            hash_ctx_update(w->h, p, len);
            return;
        }
    }
    memcpy(w->buf + w->n, p, len);
    w->n += len;
}

static void put_u32(struct hw *h, uint32_t v)
{
    uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    hw_put(h, b, 4);
}

static void put_u64(struct hw *h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (v >> (8 * i)) & 0xff;
    hw_put(h, b, 8);
}

static void put_compact(struct hw *h, uint64_t v)
{
    uint8_t b[SER_COMPACT_MAX];
    hw_put(h, b, ser_put_compact(b, v));
}

static void put_outpoint(struct hw *h, const struct outpoint *o)
{
    hw_put(h, o->hash.b, 32);
    put_u32(h, o->n);
}

static void put_output(struct hw *h, const struct tx_out *o)
{
    put_u64(h, (uint64_t)o->value);
    put_compact(h, o->script_len);
    hw_put(h, o->script, o->script_len);
}

static void hw_begin(struct hw *w)
{
    w->h = hash_ctx_new();
    w->n = 0;
}

/* Single SHA-256 into single[32] and, when d_out is set, SHA256 of that;
 * the writer is ready for the next message. */
static void hw_final(struct hw *w, uint8_t single[32], uint8_t *d_out)
{
    hw_flush(w);
    hash_ctx_final(w->h, single);
    if (d_out)
        hash_sha256(single, 32, d_out);
}

/* Double SHA-256, and the writer is released. */
static void hw_end_d(struct hw *w, uint8_t out[32])
{
    uint8_t single[32];
    hw_final(w, single, out);
    hash_ctx_free(w->h);
}

void sighash_txdata_init(struct sighash_txdata *d, const struct tx *tx,
                         const struct tx_out *spent)
{
    memset(d, 0, sizeof(*d));
    d->tx = tx;
    d->spent = spent;
    struct hw hb, *h = &hb;
    hw_begin(h);
    for (size_t i = 0; i < tx->vin_count; i++)
        put_outpoint(h, &tx->vin[i].prevout);
    hw_final(h, d->sha_prevouts, d->hash_prevouts);
    for (size_t i = 0; i < tx->vin_count; i++)
        put_u32(h, tx->vin[i].sequence);
    hw_final(h, d->sha_sequences, d->hash_sequence);
    for (size_t i = 0; i < tx->vout_count; i++)
        put_output(h, &tx->vout[i]);
    hw_final(h, d->sha_outputs, d->hash_outputs);
    d->bip143_ready = true;
    if (spent) {
        for (size_t i = 0; i < tx->vin_count; i++)
            put_u64(h, (uint64_t)spent[i].value);
        hw_final(h, d->sha_amounts, NULL);
        for (size_t i = 0; i < tx->vin_count; i++) {
            put_compact(h, spent[i].script_len);
            hw_put(h, spent[i].script, spent[i].script_len);
        }
        hw_final(h, d->sha_scriptpubkeys, NULL);
        d->bip341_ready = true;
    }
    hash_ctx_free(h->h);
}

/* Core's SerializeScriptCode: the script without its OP_CODESEPARATORs.
 * The length counts every byte but the separators; the bytes stop where
 * parsing stops, so a truncated final push is written short, as Core. */
static void put_script_code(struct hw *h, const uint8_t *s, size_t len)
{
    const uint8_t *pc = s, *end = s + len, *begin = s;
    struct script_op op;
    size_t seps = 0;
    while (script_get_op(&pc, end, &op))
        seps += op.opcode == OP_CODESEPARATOR;
    put_compact(h, len - seps);
    pc = s;
    while (script_get_op(&pc, end, &op)) {
        if (op.opcode == OP_CODESEPARATOR) {
            hw_put(h, begin, (size_t)(pc - begin - 1));
            begin = pc;
        }
    }
    if (begin != end)
        hw_put(h, begin, (size_t)(pc - begin));
}

static void sighash_one(uint8_t out[32])
{
    memset(out, 0, 32);
    out[0] = 1;
}

void sighash_legacy(uint8_t out[32], const struct tx *tx, size_t in,
                    const uint8_t *script_code, size_t code_len, int32_t hash_type)
{
    int base = hash_type & 0x1f;
    bool acp = (hash_type & SIGHASH_ANYONECANPAY) != 0;
    if (in >= tx->vin_count || (base == SIGHASH_SINGLE && in >= tx->vout_count)) {
        sighash_one(out);
        return;
    }
    struct hw hb, *h = &hb;
    hw_begin(h);
    put_u32(h, (uint32_t)tx->version);
    put_compact(h, acp ? 1 : tx->vin_count);
    for (size_t i = acp ? in : 0; i < (acp ? in + 1 : tx->vin_count); i++) {
        put_outpoint(h, &tx->vin[i].prevout);
        if (i == in)
            put_script_code(h, script_code, code_len);
        else
            put_compact(h, 0);
        bool zero_seq = i != in && (base == SIGHASH_SINGLE || base == SIGHASH_NONE);
        put_u32(h, zero_seq ? 0 : tx->vin[i].sequence);
    }
    size_t nout = base == SIGHASH_NONE ? 0 : base == SIGHASH_SINGLE ? in + 1 : tx->vout_count;
    put_compact(h, nout);
    for (size_t i = 0; i < nout; i++) {
        if (base == SIGHASH_SINGLE && i != in) {
            put_u64(h, UINT64_MAX); /* CTxOut() : value -1, empty script */
            put_compact(h, 0);
        } else {
            put_output(h, &tx->vout[i]);
        }
    }
    put_u32(h, tx->locktime);
    put_u32(h, (uint32_t)hash_type);
    hw_end_d(h, out);
}

void sighash_segwit_v0(uint8_t out[32], const struct sighash_txdata *d, size_t in,
                       const uint8_t *script_code, size_t code_len, int64_t amount,
                       int32_t hash_type)
{
    static const uint8_t zero[32];
    const struct tx *tx = d->tx;
    int base = hash_type & 0x1f;
    bool acp = (hash_type & SIGHASH_ANYONECANPAY) != 0;
    bool all_outputs = base != SIGHASH_SINGLE && base != SIGHASH_NONE;
    uint8_t single_out[32];
    const uint8_t *outputs = zero;
    if (all_outputs) {
        outputs = d->hash_outputs;
    } else if (base == SIGHASH_SINGLE && in < tx->vout_count) {
        struct hw o;
        hw_begin(&o);
        put_output(&o, &tx->vout[in]);
        hw_end_d(&o, single_out);
        outputs = single_out;
    }
    struct hw hb, *h = &hb;
    hw_begin(h);
    put_u32(h, (uint32_t)tx->version);
    hw_put(h, acp ? zero : d->hash_prevouts, 32);
    hw_put(h, !acp && all_outputs ? d->hash_sequence : zero, 32);
    put_outpoint(h, &tx->vin[in].prevout);
    put_compact(h, code_len);
    hw_put(h, script_code, code_len);
    put_u64(h, (uint64_t)amount);
    put_u32(h, tx->vin[in].sequence);
    hw_put(h, outputs, 32);
    put_u32(h, tx->locktime);
    put_u32(h, (uint32_t)hash_type);
    hw_end_d(h, out);
}
