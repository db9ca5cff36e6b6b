/* The mempool driven by a script of operations over spendable coins.
 *
 * Coins pay to P2WSH(OP_TRUE) (chain/primitives/optrue.h), so the
 * transactions built here are standard and valid: they reach acceptance,
 * package limits, replacement (conflicting spends at higher feerates),
 * trimming and eviction (a small pool), block connection (confirmations
 * and conflicts) and disconnection (transactions returned, or with a
 * non-standard one its spenders removed). A small UTXO table plays the
 * chain: blocks move coins in and out of it before the mempool hears of
 * them, as the chainstate does. Each input byte picks an operation, the
 * next bytes its arguments; raw transactions parsed from the input reach
 * the same code with arbitrary shapes. After every operation the mempool
 * must be within its limit; after the last it must be consistent
 * (mempool_check) and spend only coins of the chain or of itself. Those
 * walks of the whole pool run once per input, as Core's tx_pool target
 * checks once at its end: after every operation they took a tenth of the
 * CPU time, and a state broken by operation k is still caught by the
 * input cut after k, one truncation away for the fuzzer. */
#include "chain/mempool/mempool.h"
#include "chain/primitives/optrue.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_COINS 256 /* known outputs, confirmed or not */
#define MAX_TXS 64    /* transactions built (the block candidates) */
#define MAX_DEPTH 8   /* blocks connected and not yet disconnected */
#define MAX_BLOCK_TXS 8
#define MAX_OPS 64

struct utxo {
    struct optrue_coin c;
    int32_t height; /* -1: not confirmed (spent in the chain or unknown) */
};

struct block_rec {
    struct block b;
    struct tx *txs[MAX_BLOCK_TXS];
    /* Confirmed coins the block spent, to restore on disconnect. */
    struct utxo spent[MAX_BLOCK_TXS * 3];
    size_t n_spent;
};

struct world {
    struct mempool *mp;
    struct mempool_tip tip;
    int64_t now;
    struct utxo coins[MAX_COINS];
    size_t n_coins;
    bool coins_full; /* a coin went unrecorded: the table no longer knows them all */
    struct tx *txs[MAX_TXS];
    size_t n_txs;
    struct block_rec blocks[MAX_DEPTH];
    size_t depth;
};

static struct utxo *coin_find(struct world *w, const struct outpoint *op)
{
    for (size_t i = 0; i < w->n_coins; i++)
        if (hash_eq(&w->coins[i].c.op.hash, &op->hash) && w->coins[i].c.op.n == op->n)
            return &w->coins[i];
    return NULL;
}

static bool lookup(void *ctx, const struct outpoint *op, struct coin *out)
{
    struct utxo *u = coin_find(ctx, op);
    if (!u || u->height < 0)
        return false;
    out->value = u->c.value;
    out->height = u->height;
    out->coinbase = false;
    out->script_len = OPTRUE_SCRIPT_LEN;
    out->script = xmalloc(OPTRUE_SCRIPT_LEN);
    memcpy(out->script, optrue_script, OPTRUE_SCRIPT_LEN);
    return true;
}

/* Every input of every entry is a confirmed coin or a mempool output (as
 * far as the table knows every coin). */
static bool inputs_exist(struct world *w)
{
    for (const struct mempool_entry *e = mempool_first(w->mp); e && !w->coins_full;
         e = mempool_next(e)) {
        const struct tx *tx = mempool_entry_tx(e);
        for (size_t i = 0; i < tx->vin_count; i++) {
            const struct outpoint *op = &tx->vin[i].prevout;
            struct utxo *u = coin_find(w, op);
            if (!(u && u->height >= 0) && !mempool_get(w->mp, &op->hash))
                return false;
        }
    }
    return true;
}

/* Every operation that adds ends by trimming to the limit. */
static void within_limit(const struct mempool *mp)
{
    if (mempool_usage(mp) > mempool_get_options(mp)->max_usage) {
        fprintf(stderr, "mempool: %zu bytes over the %zu limit\n", mempool_usage(mp),
                mempool_get_options(mp)->max_usage);
        abort();
    }
}

static void consistent(struct world *w)
{
    if (!inputs_exist(w)) {
        fprintf(stderr, "mempool: an entry spends a coin of neither the chain nor the pool\n");
        abort();
    }
    char *err = NULL;
    if (mempool_check(w->mp, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
}

static void add_coin(struct world *w, struct optrue_coin c, int32_t height)
{
    struct utxo *u = coin_find(w, &c.op);
    if (u) {
        u->height = height;
        return;
    }
    if (w->n_coins < MAX_COINS)
        w->coins[w->n_coins++] = (struct utxo){c, height};
    else
        w->coins_full = true;
}

static void submit(struct world *w, struct tx *tx)
{
    struct mempool_reject rej;
    if (mempool_accept(w->mp, tx, &w->tip, w->now++, &rej) == MEMPOOL_ACCEPTED) {
        for (uint32_t i = 0; i < tx->vout_count; i++)
            add_coin(w, optrue_coin_of(tx, i), -1);
        if (w->n_txs < MAX_TXS) {
            w->txs[w->n_txs++] = tx;
            return;
        }
    }
    tx_free(tx);
}

/* Spends 1-3 known coins (any state: double spends make replacements)
 * into 1-4 outputs at a feerate of 1 to 256 sat/vB. */
static void op_spend(struct world *w, const uint8_t *a)
{
    if (w->n_coins == 0)
        return;
    struct optrue_coin in[3];
    size_t n_in = 1 + a[0] % 3;
    for (size_t i = 0; i < n_in; i++)
        in[i] = w->coins[a[1 + i] % w->n_coins].c;
    char *err = NULL;
    struct tx *tx = optrue_spend(in, n_in, 1 + a[4] % 4, 1000 * (int64_t)(1 + a[5]), &err);
    free(err);
    if (tx)
        submit(w, tx);
}

/* Whether tx may follow the n transactions before it in a valid block:
 * not one of them again, every input a confirmed coin or an output of one
 * of them, and no input they spend already (the chain never sees a block
 * that double-spends, so neither does the mempool). */
static bool connects(struct world *w, const struct tx *tx, struct tx **before, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (hash_eq(&before[k]->txid, &tx->txid))
            return false;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct outpoint *op = &tx->vin[i].prevout;
        struct utxo *u = coin_find(w, op);
        bool ok = u && u->height >= 0;
        for (size_t k = 0; k < n && !ok; k++)
            ok = hash_eq(&before[k]->txid, &op->hash);
        for (size_t k = 0; k < n && ok; k++)
            for (size_t j = 0; j < before[k]->vin_count && ok; j++)
                ok = !(hash_eq(&before[k]->vin[j].prevout.hash, &op->hash) &&
                       before[k]->vin[j].prevout.n == op->n);
        if (!ok)
            return false;
    }
    return true;
}

/* The same transaction at a version the mempool refuses: when its block
 * is disconnected it cannot return, and its spenders must go. */
static struct tx *nonstandard(struct tx *tx)
{
    struct wbuf w;
    wbuf_init(&w);
    tx_serialize(tx, &w, true);
    w.data[0] = 0x7f; /* the version's low byte */
    const char *why = NULL;
    struct tx *ns = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    tx_free(tx);
    return ns;
}

/* A block with up to mask-chosen mempool transactions that connect, and
 * with probability a spend of a confirmed coin the mempool never saw
 * (its conflicts must go), standard or not. */
static void op_connect(struct world *w, const uint8_t *a)
{
    if (w->depth == MAX_DEPTH)
        return;
    struct block_rec *r = &w->blocks[w->depth];
    memset(r, 0, sizeof(*r));
    size_t n = 0;
    for (size_t i = 0; i < w->n_txs && n < MAX_BLOCK_TXS - 1; i++) {
        struct tx *tx = w->txs[i];
        if ((a[0] >> (i % 8) & 1) && mempool_get(w->mp, &tx->txid) && connects(w, tx, r->txs, n))
            r->txs[n++] = tx_ref(tx);
    }
    if (a[1] & 1 && w->n_coins) {
        struct utxo *u = &w->coins[a[2] % w->n_coins];
        char *err = NULL;
        struct tx *tx = u->height >= 0 ? optrue_spend(&u->c, 1, 1, 2000, &err) : NULL;
        free(err);
        if (tx && a[1] & 2)
            tx = nonstandard(tx);
        if (tx && connects(w, tx, r->txs, n))
            r->txs[n++] = tx;
        else
            tx_free(tx);
    }
    /* The chain moves first: spent coins out, new outputs in. */
    int32_t height = w->tip.height + 1;
    for (size_t t = 0; t < n; t++) {
        const struct tx *tx = r->txs[t];
        for (size_t i = 0; i < tx->vin_count; i++) {
            struct utxo *u = coin_find(w, &tx->vin[i].prevout);
            if (u && u->height >= 0 && r->n_spent < sizeof(r->spent) / sizeof(r->spent[0])) {
                r->spent[r->n_spent++] = *u;
                u->height = -1;
            }
        }
        for (uint32_t i = 0; i < tx->vout_count; i++)
            add_coin(w, optrue_coin_of(tx, i), height);
    }
    r->b.txs = r->txs;
    r->b.tx_count = n;
    w->depth++;
    w->tip.height = height;
    w->tip.mtp += 600;
    mempool_block_connected(w->mp, &r->b, &w->tip);
}

static void op_disconnect(struct world *w)
{
    if (w->depth == 0)
        return;
    struct block_rec *r = &w->blocks[--w->depth];
    for (size_t t = 0; t < r->b.tx_count; t++)
        for (uint32_t i = 0; i < r->txs[t]->vout_count; i++) {
            struct optrue_coin c = optrue_coin_of(r->txs[t], i);
            struct utxo *u = coin_find(w, &c.op);
            if (u)
                u->height = -1;
        }
    for (size_t i = 0; i < r->n_spent; i++)
        coin_find(w, &r->spent[i].c.op)->height = r->spent[i].height;
    w->tip.height--;
    w->tip.mtp -= 600;
    mempool_block_disconnected(w->mp, &r->b, &w->tip, w->now);
    for (size_t t = 0; t < r->b.tx_count; t++)
        tx_free(r->txs[t]);
}

/* Arbitrary bytes as a transaction: the parser's shapes reach acceptance. */
static size_t op_raw(struct world *w, const uint8_t *p, size_t left)
{
    struct cursor c;
    cursor_init(&c, p, left);
    const char *why = NULL;
    struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, &why);
    if (tx)
        submit(w, tx);
    return left - cursor_left(&c);
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    struct mempool_options o;
    mempool_options_default(&o);
    o.max_usage = 12000; /* about a dozen entries: the seeds alone trim and evict */
    w->mp = mempool_new(&o, lookup, w);
    w->tip = (struct mempool_tip){.height = 600, .mtp = 1700000000};
    w->now = 1700000000;
    /* Sixteen confirmed coins of 0.001 to 0.5 BTC. */
    for (uint32_t i = 0; i < 16; i++) {
        struct optrue_coin c = {.value = 100000 * (int64_t)(1 + i * i * 2)};
        c.op.hash.b[0] = (uint8_t)(i + 1);
        c.op.hash.b[31] = 0x5a;
        add_coin(w, c, 100 + (int32_t)i);
    }
}

static void world_free(struct world *w)
{
    while (w->depth)
        op_disconnect(w);
    for (size_t i = 0; i < w->n_txs; i++)
        tx_free(w->txs[i]);
    mempool_free(w->mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    world_init(&w);
    size_t at = 0;
    for (int ops = 0; ops < MAX_OPS && at < size; ops++) {
        uint8_t a[6] = {0};
        uint8_t op = data[at++];
        if (op % 8 == 7) { /* a raw transaction follows */
            at += op_raw(&w, data + at, size - at);
        } else {
            for (size_t k = 0; k < sizeof(a) && at < size; k++)
                a[k] = data[at++];
            switch (op % 8) {
            case 0: case 1: case 2: case 3: op_spend(&w, a); break;
            case 4: op_connect(&w, a); break;
            case 5: op_disconnect(&w); break;
            default: w.now += 3600 * (int64_t)a[0]; mempool_expire(w.mp, w.now); break;
            }
        }
        within_limit(w.mp);
    }
    consistent(&w);
    world_free(&w);
    return 0;
}
