/* Legacy and BIP143 signature hashes and the per-transaction data they
 * share (Core's SignatureHash and PrecomputedTransactionData). */
#include "chain/script/sighash.h"
#include "chain/script/script.h"

#include <string.h>

static void put_u32(struct hash_ctx *h, uint32_t v)
{
    uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    hash_ctx_update(h, b, 4);
}

static void put_u64(struct hash_ctx *h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (v >> (8 * i)) & 0xff;
    hash_ctx_update(h, b, 8);
}

static void put_compact(struct hash_ctx *h, uint64_t v)
{
    uint8_t b[9];
    size_t n;
    if (v < 0xfd) {
        b[0] = (uint8_t)v;
        n = 1;
    } else if (v <= 0xffff) {
        b[0] = 0xfd, b[1] = v & 0xff, b[2] = (v >> 8) & 0xff;
        n = 3;
    } else if (v <= 0xffffffffu) {
        b[0] = 0xfe;
        for (int i = 0; i < 4; i++)
            b[1 + i] = (v >> (8 * i)) & 0xff;
        n = 5;
    } else {
        b[0] = 0xff;
        for (int i = 0; i < 8; i++)
            b[1 + i] = (v >> (8 * i)) & 0xff;
        n = 9;
    }
    hash_ctx_update(h, b, n);
}

static void put_outpoint(struct hash_ctx *h, const struct outpoint *o)
{
    hash_ctx_update(h, o->hash.b, 32);
    put_u32(h, o->n);
}

static void put_output(struct hash_ctx *h, const struct tx_out *o)
{
    put_u64(h, (uint64_t)o->value);
    put_compact(h, o->script_len);
    hash_ctx_update(h, o->script, o->script_len);
}

/* Single SHA-256 into single[32] and, when d_out is set, SHA256 of that. */
static void finish(struct hash_ctx *h, uint8_t single[32], uint8_t *d_out)
{
    hash_ctx_final(h, single);
    if (d_out)
        hash_sha256(single, 32, d_out);
}

void sighash_txdata_init(struct sighash_txdata *d, const struct tx *tx,
                         const struct tx_out *spent)
{
    memset(d, 0, sizeof(*d));
    d->tx = tx;
    d->spent = spent;
    struct hash_ctx *h = hash_ctx_new();
    for (size_t i = 0; i < tx->vin_count; i++)
        put_outpoint(h, &tx->vin[i].prevout);
    finish(h, d->sha_prevouts, d->hash_prevouts);
    for (size_t i = 0; i < tx->vin_count; i++)
        put_u32(h, tx->vin[i].sequence);
    finish(h, d->sha_sequences, d->hash_sequence);
    for (size_t i = 0; i < tx->vout_count; i++)
        put_output(h, &tx->vout[i]);
    finish(h, d->sha_outputs, d->hash_outputs);
    d->bip143_ready = true;
    if (spent) {
        for (size_t i = 0; i < tx->vin_count; i++)
            put_u64(h, (uint64_t)spent[i].value);
        finish(h, d->sha_amounts, NULL);
        for (size_t i = 0; i < tx->vin_count; i++) {
            put_compact(h, spent[i].script_len);
            hash_ctx_update(h, spent[i].script, spent[i].script_len);
        }
        finish(h, d->sha_scriptpubkeys, NULL);
        d->bip341_ready = true;
    }
    hash_ctx_free(h);
}

/* Core's SerializeScriptCode: the script without its OP_CODESEPARATORs.
 * The length counts every byte but the separators; the bytes stop where
 * parsing stops, so a truncated final push is written short, as Core. */
static void put_script_code(struct hash_ctx *h, const uint8_t *s, size_t len)
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
            hash_ctx_update(h, begin, (size_t)(pc - begin - 1));
            begin = pc;
        }
    }
    if (begin != end)
        hash_ctx_update(h, begin, (size_t)(pc - begin));
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
    struct hash_ctx *h = hash_ctx_new();
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
    struct hash256 r;
    hash_ctx_final_d(h, &r);
    memcpy(out, r.b, 32);
    hash_ctx_free(h);
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
        struct hash_ctx *o = hash_ctx_new();
        put_output(o, &tx->vout[in]);
        struct hash256 r;
        hash_ctx_final_d(o, &r);
        hash_ctx_free(o);
        memcpy(single_out, r.b, 32);
        outputs = single_out;
    }
    struct hash_ctx *h = hash_ctx_new();
    put_u32(h, (uint32_t)tx->version);
    hash_ctx_update(h, acp ? zero : d->hash_prevouts, 32);
    hash_ctx_update(h, !acp && all_outputs ? d->hash_sequence : zero, 32);
    put_outpoint(h, &tx->vin[in].prevout);
    put_compact(h, code_len);
    hash_ctx_update(h, script_code, code_len);
    put_u64(h, (uint64_t)amount);
    put_u32(h, tx->vin[in].sequence);
    hash_ctx_update(h, outputs, 32);
    put_u32(h, tx->locktime);
    put_u32(h, (uint32_t)hash_type);
    struct hash256 r;
    hash_ctx_final_d(h, &r);
    memcpy(out, r.b, 32);
    hash_ctx_free(h);
}
