/* Mempool acceptance of arbitrary transactions, as they arrive from peers:
 * the input is a sequence of serialized transactions accepted in turn
 * (confirmed coins exist for every outpoint whose txid starts with an even
 * byte), then one is confirmed in a block and returned by a reorg. Never
 * crashes, and the mempool stays consistent (mempool_check). */
#include "chain/mempool/mempool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t p2wpkh[22] = {0x00, 0x14};

static bool lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    if (op->hash.b[0] & 1)
        return false;
    out->value = (int64_t)(op->hash.b[1] + 1) * 100000;
    out->height = op->hash.b[2] & 1 ? 1 : 500; /* some immature coinbases */
    out->coinbase = op->hash.b[3] & 1;
    out->script_len = op->hash.b[4] & 1 ? 0 : sizeof(p2wpkh);
    out->script = malloc(sizeof(p2wpkh));
    if (!out->script)
        abort();
    memcpy(out->script, p2wpkh, sizeof(p2wpkh));
    return true;
}

static void consistent(const struct mempool *mp)
{
    char *err = NULL;
    if (mempool_check(mp, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mempool_options o;
    mempool_options_default(&o);
    o.max_usage = 20000; /* small enough to evict */
    struct mempool *mp = mempool_new(&o, lookup, NULL);
    struct mempool_tip tip = {.height = 600, .mtp = 1700000000};
    struct cursor c;
    cursor_init(&c, data, size);
    struct tx *last = NULL;
    int64_t now = 1700000000;
    while (cursor_left(&c) > 0) {
        const char *why = NULL;
        struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, &why);
        if (!tx)
            break;
        struct mempool_reject rej;
        if (mempool_accept(mp, tx, &tip, now++, &rej) == MEMPOOL_ACCEPTED) {
            tx_free(last);
            last = tx_ref(tx);
        }
        tx_free(tx);
        consistent(mp);
    }
    if (last && mempool_get(mp, &last->txid)) {
        struct tx *txs[1] = {last};
        struct block b = {.tx_count = 1, .txs = txs};
        tip.height++;
        mempool_block_connected(mp, &b, &tip);
        consistent(mp);
        tip.height--;
        mempool_block_disconnected(mp, &b, &tip, now);
        consistent(mp);
    }
    mempool_expire(mp, now + 400 * 3600);
    consistent(mp);
    tx_free(last);
    mempool_free(mp);
    return 0;
}
