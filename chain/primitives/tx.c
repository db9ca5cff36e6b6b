/* Transactions: parsing follows Bitcoin Core's UnserializeTransaction
 * (primitives/transaction.h) step for step, so we accept and reject
 * exactly the byte strings it does.
 *
 * Parsing makes two passes over the bytes. The first validates and counts
 * (inputs, outputs, witness items) without allocating; the second runs
 * over the transaction's own copy of its serialization and points scripts
 * and witness items into it. That gives one allocation per transaction:
 *
 *   struct tx | vin[] | vout[] | witness items[] | raw bytes
 *
 * Because every CompactSize is canonical, raw is also the exact
 * serialization, and the legacy (txid) serialization of a witness
 * transaction is three ranges of it: version, inputs+outputs, locktime. */
#include "chain/primitives/tx.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smallest encodings, used to cap counts by the bytes that remain:
 * an input is prevout (36) + empty script (1) + sequence (4); an output
 * is value (8) + empty script (1); a witness item is its length byte. */
#define MIN_TXIN_SIZE 41
#define MIN_TXOUT_SIZE 9
#define MIN_WITEM_SIZE 1

/* What the counting pass learns, to size the allocation. */
struct tx_shape {
    size_t vin_count;
    size_t vout_count;
    size_t wit_items;
    bool has_witness;
    size_t outs_end; /* offset just past the outputs, from the tx start */
};

static const char *walk_inputs(struct cursor *c, size_t n, struct tx_in *vin)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *prev, *script;
        size_t script_len;
        uint32_t index, sequence;
        if (!cursor_view(c, &prev, 32) || !cursor_u32(c, &index))
            return "truncated input";
        if (!cursor_varbytes(c, &script, &script_len, SER_MAX_SIZE))
            return "bad input script length";
        if (!cursor_u32(c, &sequence))
            return "truncated input";
        if (vin) {
            memcpy(vin[i].prevout.hash.b, prev, 32);
            vin[i].prevout.n = index;
            vin[i].script = script;
            vin[i].script_len = script_len;
            vin[i].sequence = sequence;
            vin[i].wit_count = 0;
            vin[i].wit = NULL;
        }
    }
    return NULL;
}

static const char *walk_outputs(struct cursor *c, size_t *count, struct tx_out *vout)
{
    if (!cursor_count(c, count, SER_MAX_SIZE, MIN_TXOUT_SIZE))
        return "bad output count";
    for (size_t i = 0; i < *count; i++) {
        int64_t value;
        const uint8_t *script;
        size_t script_len;
        if (!cursor_i64(c, &value))
            return "truncated output";
        if (!cursor_varbytes(c, &script, &script_len, SER_MAX_SIZE))
            return "bad output script length";
        if (vout) {
            vout[i].value = value;
            vout[i].script = script;
            vout[i].script_len = script_len;
        }
    }
    return NULL;
}

/* Witness stacks, one per input. pool (fill pass only) holds the items of
 * all inputs back to back; s->wit_items and s->has_witness start cleared. */
static const char *walk_witness(struct cursor *c, struct tx_shape *s, struct tx_in *vin,
                                struct tx_witem *pool)
{
    for (size_t i = 0; i < s->vin_count; i++) {
        size_t items;
        if (!cursor_count(c, &items, SER_MAX_SIZE, MIN_WITEM_SIZE))
            return "bad witness item count";
        if (items)
            s->has_witness = true;
        struct tx_witem *w = pool ? pool + s->wit_items : NULL;
        for (size_t k = 0; k < items; k++) {
            const uint8_t *data;
            size_t len;
            if (!cursor_varbytes(c, &data, &len, SER_MAX_SIZE))
                return "bad witness item length";
            if (w) {
                w[k].data = data;
                w[k].len = len;
            }
        }
        if (vin) {
            vin[i].wit_count = items;
            vin[i].wit = items ? w : NULL;
        }
        s->wit_items += items;
    }
    /* Core: "Superfluous witness record". */
    return s->has_witness ? NULL : "superfluous witness record";
}

/* One pass over a serialization starting at the cursor. With tx == NULL it
 * validates and fills in the shape; with tx (whose arrays are laid out from
 * that shape) it fills the fields too. */
static const char *walk(struct cursor *c, int flags, struct tx_shape *s, struct tx *tx)
{
    size_t start = c->pos;
    int32_t version;
    uint8_t opt = 0;
    bool outputs_follow = true;
    const char *why;

    if (!cursor_i32(c, &version))
        return "truncated version";
    /* An empty input vector may be the BIP144 marker: a flag byte follows. */
    if (!cursor_count(c, &s->vin_count, SER_MAX_SIZE, MIN_TXIN_SIZE))
        return "bad input count";
    if (s->vin_count == 0 && (flags & TX_PARSE_WITNESS)) {
        if (!cursor_u8(c, &opt))
            return "truncated witness flag";
        outputs_follow = opt != 0;
        if (outputs_follow && !cursor_count(c, &s->vin_count, SER_MAX_SIZE, MIN_TXIN_SIZE))
            return "bad input count";
    }
    if ((why = walk_inputs(c, s->vin_count, tx ? tx->vin : NULL)))
        return why;
    s->vout_count = 0;
    if (outputs_follow && (why = walk_outputs(c, &s->vout_count, tx ? tx->vout : NULL)))
        return why;
    s->outs_end = c->pos - start;
    s->has_witness = false;
    s->wit_items = 0;
    if (opt & 1) {
        opt ^= 1;
        struct tx_witem *pool = tx ? (struct tx_witem *)(tx->vout + s->vout_count) : NULL;
        if ((why = walk_witness(c, s, tx ? tx->vin : NULL, pool)))
            return why;
    }
    if (opt)
        return "unknown transaction optional data";
    uint32_t locktime;
    if (!cursor_u32(c, &locktime))
        return "truncated locktime";
    if (tx) {
        tx->version = version;
        tx->locktime = locktime;
    }
    return NULL;
}

static void compute_ids(struct tx *tx, size_t outs_end)
{
    hash_sha256d(tx->raw, tx->size, &tx->wtxid);
    if (!tx->has_witness) {
        tx->txid = tx->wtxid;
        return;
    }
    /* Skip the marker and flag (2 bytes after the version) and the witness
     * section between the outputs and the locktime. */
    struct hash_ctx *h = hash_ctx_thread();
    hash_ctx_update(h, tx->raw, 4);
    hash_ctx_update(h, tx->raw + 6, outs_end - 6);
    hash_ctx_update(h, tx->raw + tx->size - 4, 4);
    hash_ctx_final_d(h, &tx->txid);
}

struct tx *tx_parse(struct cursor *c, int flags, const char **reason)
{
    struct tx_shape s;
    size_t start = c->pos;
    const char *why = c->err ? "truncated" : walk(c, flags, &s, NULL);
    if (why) {
        c->err = true;
        if (reason)
            *reason = why;
        return NULL;
    }
    size_t size = c->pos - start;
    /* Counts are bounded by the bytes consumed (cursor_count), so this
     * sum cannot overflow and is proportional to the input. */
    size_t arrays = s.vin_count * sizeof(struct tx_in) + s.vout_count * sizeof(struct tx_out) +
                    s.wit_items * sizeof(struct tx_witem);
    struct tx *tx = xmalloc(sizeof(*tx) + arrays + size);
    tx->vin = (struct tx_in *)(tx + 1);
    tx->vout = (struct tx_out *)(tx->vin + s.vin_count);
    tx->raw = (uint8_t *)(tx + 1) + arrays;
    memcpy(tx->raw, c->p + start, size);

    struct cursor own;
    cursor_init(&own, tx->raw, size);
    walk(&own, flags, &s, tx); /* same bytes: cannot fail */
    tx->vin_count = s.vin_count;
    tx->vout_count = s.vout_count;
    tx->has_witness = s.has_witness;
    tx->size = size;
    tx->base_size = s.has_witness ? 4 + (s.outs_end - 6) + 4 : size;
    tx->refs = 1;
    compute_ids(tx, s.outs_end);
    return tx;
}

struct tx *tx_from_bytes(const void *data, size_t len, const char **reason)
{
    struct cursor c;
    cursor_init(&c, data, len);
    struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, reason);
    if (tx && cursor_left(&c) != 0) {
        tx_free(tx);
        if (reason)
            *reason = "trailing bytes after transaction";
        return NULL;
    }
    return tx;
}

void tx_serialize(const struct tx *tx, struct wbuf *w, bool with_witness)
{
    if (with_witness || !tx->has_witness) {
        wbuf_bytes(w, tx->raw, tx->size);
        return;
    }
    size_t outs_end = tx->base_size - 8 + 6;
    wbuf_reserve(w, tx->base_size);
    wbuf_bytes(w, tx->raw, 4);
    wbuf_bytes(w, tx->raw + 6, outs_end - 6);
    wbuf_bytes(w, tx->raw + tx->size - 4, 4);
}

struct tx *tx_ref(struct tx *tx)
{
    if (tx)
        tx->refs++;
    return tx;
}

void tx_free(struct tx *tx)
{
    if (tx && --tx->refs == 0)
        free(tx);
}

bool tx_is_coinbase(const struct tx *tx)
{
    return tx->vin_count == 1 && tx->vin[0].prevout.n == 0xffffffffu &&
           hash_is_zero(&tx->vin[0].prevout.hash);
}

bool tx_spends(const struct tx *tx, const struct hash256 *txid)
{
    for (size_t i = 0; i < tx->vin_count; i++)
        if (hash_eq(&tx->vin[i].prevout.hash, txid))
            return true;
    return false;
}

size_t tx_weight(const struct tx *tx)
{
    return tx->base_size * (TX_WITNESS_SCALE - 1) + tx->size;
}

size_t tx_vsize(const struct tx *tx)
{
    return (tx_weight(tx) + TX_WITNESS_SCALE - 1) / TX_WITNESS_SCALE;
}

bool tx_output_sum(const struct tx *tx, int64_t *sum)
{
    int64_t total = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        int64_t v = tx->vout[i].value;
        if (v < 0 || v > TX_MAX_MONEY)
            return false;
        total += v; /* both terms <= MAX_MONEY: no overflow */
        if (total > TX_MAX_MONEY)
            return false;
    }
    *sum = total;
    return true;
}
