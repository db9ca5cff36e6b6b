/* Wallet-free P2WSH(OP_TRUE) transactions. See optrue.h. */
#include "chain/primitives/optrue.h"

#include "chain/util/err.h"
#include "chain/util/hex.h"
#include "chain/primitives/serialize.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_TRUE 0x51

/* 0x00 0x20 || sha256(0x51). */
const uint8_t optrue_script[OPTRUE_SCRIPT_LEN] = {
    0x00, 0x20, 0x4a, 0xe8, 0x15, 0x72, 0xf0, 0x6e, 0x1b, 0x88, 0xfd, 0x5c,
    0xed, 0x7a, 0x1a, 0x00, 0x09, 0x45, 0x43, 0x2e, 0x83, 0xe1, 0x55, 0x1e,
    0x6f, 0x72, 0x1e, 0xe9, 0xc0, 0x0b, 0x8c, 0xc3, 0x32, 0x60,
};

/* Serialized sizes: an input is outpoint, empty scriptSig, sequence; an
 * output is value, script length, script; an input's witness is the stack
 * count, the item's length and OP_TRUE. */
#define IN_SIZE (32 + 4 + 1 + 4)
#define OUT_SIZE (8 + 1 + OPTRUE_SCRIPT_LEN)
#define WITNESS_PER_INPUT 3

size_t optrue_vsize(size_t n_in, size_t n_out)
{
    size_t base = 4 + ser_compact_size(n_in) + n_in * IN_SIZE + ser_compact_size(n_out) +
                  n_out * OUT_SIZE + 4;
    /* Marker and flag, then one stack per input, all at witness weight. */
    size_t weight = base * TX_WITNESS_SCALE + 2 + n_in * WITNESS_PER_INPUT;
    return (weight + TX_WITNESS_SCALE - 1) / TX_WITNESS_SCALE;
}

int64_t optrue_fee(size_t n_in, size_t n_out, int64_t feerate)
{
    /* Rounded up, so the rate is met whatever rounding the node uses. */
    return (feerate * (int64_t)optrue_vsize(n_in, n_out) + 999) / 1000;
}

int64_t optrue_dust(void)
{
    /* Core's GetDustThreshold at 3000 sat/kvB: the output plus the
     * witness-discounted input that would spend it (32 + 4 + 1 + 107/4 + 4). */
    return (int64_t)(OUT_SIZE + 32 + 4 + 1 + 107 / 4 + 4) * 3000 / 1000;
}

static void write_tx(struct wbuf *w, const struct optrue_coin *in, size_t n_in,
                     const int64_t *values, size_t n_out)
{
    wbuf_i32(w, 2);
    wbuf_u8(w, 0x00); /* BIP144 marker */
    wbuf_u8(w, 0x01); /* flag */
    wbuf_compact(w, n_in);
    for (size_t i = 0; i < n_in; i++) {
        wbuf_bytes(w, in[i].op.hash.b, 32);
        wbuf_u32(w, in[i].op.n);
        wbuf_compact(w, 0); /* empty scriptSig: a native witness spend */
        wbuf_u32(w, OPTRUE_SEQUENCE);
    }
    wbuf_compact(w, n_out);
    for (size_t i = 0; i < n_out; i++) {
        wbuf_i64(w, values[i]);
        wbuf_varbytes(w, optrue_script, sizeof(optrue_script));
    }
    for (size_t i = 0; i < n_in; i++) {
        const uint8_t script = OP_TRUE;
        wbuf_compact(w, 1);                /* one item: the witness script */
        wbuf_varbytes(w, &script, 1);
    }
    wbuf_u32(w, 0); /* locktime */
}

/* The total of the coins, or -1 if any value or the sum is out of range. */
static int64_t coins_total(const struct optrue_coin *in, size_t n_in)
{
    int64_t total = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].value < 0 || in[i].value > TX_MAX_MONEY)
            return -1;
        total += in[i].value;
        if (total > TX_MAX_MONEY)
            return -1;
    }
    return total;
}

struct tx *optrue_spend(const struct optrue_coin *in, size_t n_in, size_t n_out, int64_t feerate,
                        char **err)
{
    if (n_in < 1 || n_in > OPTRUE_MAX_INPUTS || n_out < 1 || n_out > OPTRUE_MAX_OUTPUTS) {
        err_set(err, "inputs must be 1..%d and outputs 1..%d", OPTRUE_MAX_INPUTS,
             OPTRUE_MAX_OUTPUTS);
        return NULL;
    }
    if (feerate < 0 || feerate > TX_COIN) {
        err_set(err, "feerate %lld sat/kvB out of range", (long long)feerate);
        return NULL;
    }
    int64_t total = coins_total(in, n_in);
    if (total < 0) {
        err_set(err, "input value out of range");
        return NULL;
    }
    int64_t fee = optrue_fee(n_in, n_out, feerate);
    int64_t each = total > fee ? (total - fee) / (int64_t)n_out : 0;
    if (each < optrue_dust()) {
        err_set(err, "%lld sat cannot pay a fee of %lld and %zu outputs of at least %lld",
             (long long)total, (long long)fee, n_out, (long long)optrue_dust());
        return NULL;
    }
    int64_t *values = xmalloc(n_out * sizeof(*values));
    for (size_t i = 0; i < n_out; i++)
        values[i] = each;
    values[0] += total - fee - each * (int64_t)n_out;
    struct wbuf w;
    wbuf_init(&w);
    write_tx(&w, in, n_in, values, n_out);
    free(values);
    const char *reason = NULL;
    struct tx *tx = tx_from_bytes(w.data, w.len, &reason);
    wbuf_free(&w);
    if (!tx)
        err_set(err, "built transaction does not parse: %s", reason);
    return tx;
}

struct optrue_coin optrue_coin_of(const struct tx *tx, uint32_t n)
{
    struct optrue_coin c = {.op = {.hash = tx->txid, .n = n}, .value = tx->vout[n].value};
    return c;
}

static void free_all(struct tx **txs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tx_free(txs[i]);
        txs[i] = NULL;
    }
}

int optrue_chain(const struct optrue_coin *coin, size_t len, size_t n_out, int64_t feerate,
                 struct tx **txs, char **err)
{
    if (len < 1)
        return err_set(err, "a chain needs at least one transaction");
    struct optrue_coin next = *coin;
    for (size_t i = 0; i < len; i++) {
        txs[i] = optrue_spend(&next, 1, n_out, feerate, err);
        if (!txs[i]) {
            free_all(txs, i);
            return -1;
        }
        next = optrue_coin_of(txs[i], 0);
    }
    return 0;
}

int optrue_fanout(const struct optrue_coin *coin, size_t n_children, int64_t feerate,
                  struct tx **txs, char **err)
{
    txs[0] = optrue_spend(coin, 1, n_children, feerate, err);
    if (!txs[0])
        return -1;
    for (size_t i = 0; i < n_children; i++) {
        struct optrue_coin c = optrue_coin_of(txs[0], (uint32_t)i);
        txs[1 + i] = optrue_spend(&c, 1, 1, feerate, err);
        if (!txs[1 + i]) {
            free_all(txs, 1 + i);
            return -1;
        }
    }
    return 0;
}

char *optrue_hex(const struct tx *tx)
{
    char *hex = xmalloc(2 * tx->size + 1);
    hex_encode(tx->raw, tx->size, hex);
    return hex;
}
