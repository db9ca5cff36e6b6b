#include "tests/unit/blockcoins_testutil.h"

#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_all(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, "cannot open %s", path);
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

/* BIP34: the coinbase's scriptSig starts with a push of the height. */
static uint32_t coinbase_height(const struct tx *cb)
{
    const uint8_t *s = cb->vin[0].script;
    if (cb->vin[0].script_len < 1 || s[0] < 1 || s[0] > 4 || cb->vin[0].script_len < 1u + s[0])
        return 0;
    uint32_t h = 0;
    for (int i = s[0]; i >= 1; i--)
        h = (h << 8) | s[i];
    return h;
}

static void count_inputs(struct blockcoins *bc)
{
    size_t n = 0;
    for (size_t t = 1; t < bc->block->tx_count; t++)
        n += bc->block->txs[t]->vin_count;
    bc->input_count = n;
    bc->spent = xcalloc(n, sizeof(*bc->spent));
    bc->inputs = xcalloc(n, sizeof(*bc->inputs));
    bc->txdata = xcalloc(bc->block->tx_count, sizeof(*bc->txdata));
}

/* Reads one coin per input from the undo bytes, then each transaction's
 * signature-hash data over its slice of them. */
static int read_coins(struct blockcoins *bc, size_t undo_len, char **err)
{
    struct cursor c;
    size_t k = 0;
    cursor_init(&c, bc->undo, undo_len);
    for (size_t t = 1; t < bc->block->tx_count; t++) {
        const struct tx *tx = bc->block->txs[t];
        struct tx_out *first = &bc->spent[k];
        for (size_t i = 0; i < tx->vin_count; i++, k++) {
            struct tx_out *o = &bc->spent[k];
            if (!cursor_i64(&c, &o->value) ||
                !cursor_varbytes(&c, &o->script, &o->script_len, SER_MAX_SIZE))
                return err_set(err, "undo data ends at tx %zu input %zu", t, i);
            bc->inputs[k] = (struct blockcoins_input){t, i};
        }
        sighash_txdata_init(&bc->txdata[t], tx, first);
    }
    if (cursor_left(&c) != 0)
        return err_set(err, "%zu bytes of undo data left over", cursor_left(&c));
    return 0;
}

struct blockcoins *blockcoins_load(const char *block_path, const char *undo_path, char **err)
{
    size_t blen, ulen;
    const char *why = NULL;
    uint8_t *raw = read_all(block_path, &blen, err);
    if (!raw)
        return NULL;
    struct blockcoins *bc = xcalloc(1, sizeof(*bc));
    bc->block = block_from_bytes(raw, blen, &why);
    free(raw);
    if (!bc->block) {
        err_set(err, "%s: %s", block_path, why);
        blockcoins_free(bc);
        return NULL;
    }
    bc->height = coinbase_height(bc->block->txs[0]);
    bc->undo = read_all(undo_path, &ulen, err);
    if (bc->undo)
        count_inputs(bc);
    if (!bc->undo || read_coins(bc, ulen, err) < 0) {
        blockcoins_free(bc);
        return NULL;
    }
    return bc;
}

void blockcoins_free(struct blockcoins *bc)
{
    if (!bc)
        return;
    block_free(bc->block);
    free(bc->undo);
    free(bc->spent);
    free(bc->txdata);
    free(bc->inputs);
    free(bc);
}
