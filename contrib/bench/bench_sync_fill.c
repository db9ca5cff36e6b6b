/* Fills a regtest node's chain store with a generated chain, for
 * contrib/bench/bench_sync.py (the node that the measured node syncs
 * from). Not itself a benchmark: it prints what it built.
 *
 *   bench_sync_fill <chaindir> <blocks> [block-bytes] [dbcache-MiB]
 *
 * chaindir is the node's <datadir>/regtest (the daemon must not be
 * running). Blocks are about block-bytes each (default 1,000,000), of
 * wallet-free P2WSH(OP_TRUE) transactions (chain/primitives/optrue.h)
 * that spend earlier outputs, oldest first, so lookups miss the cache and
 * blocks carry real undo data: most transactions spend two coins into
 * two, one in ten spends one into two, so the UTXO set grows as mainnet's
 * does. Coinbases pay the same script and are spent once mature. Block
 * times step by 10 minutes and end an hour ago, so the last day of blocks
 * is the live tip and the rest initial download. */
#include "chain/mempool/miner.h"
#include "chain/primitives/optrue.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MATURITY 100
#define FEERATE OPTRUE_FEERATE_DEFAULT

/* Spendable coins, oldest first. */
struct pool {
    struct optrue_coin *v;
    size_t head, tail, cap;
};

static void pool_push(struct pool *p, struct optrue_coin c)
{
    if (p->tail == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4096;
        p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
    }
    p->v[p->tail++] = c;
}

/* Forgets the spent coins at the front (once per block). */
static void pool_compact(struct pool *p)
{
    if (!p->head)
        return;
    memmove(p->v, p->v + p->head, (p->tail - p->head) * sizeof(*p->v));
    p->tail -= p->head;
    p->head = 0;
}

static size_t pool_size(const struct pool *p)
{
    return p->tail - p->head;
}

/* The next transaction from the pool's oldest coins, or NULL when the pool
 * is empty. Coins too small to split are merged into one output. */
static struct tx *next_tx(struct pool *p, size_t seq)
{
    size_t n_in = pool_size(p) >= 2 && seq % 10 != 0 ? 2 : 1;
    if (!pool_size(p))
        return NULL;
    struct optrue_coin in[2] = { p->v[p->head], n_in == 2 ? p->v[p->head + 1] : p->v[p->head] };
    p->head += n_in;
    char *err = NULL;
    struct tx *tx = optrue_spend(in, n_in, 2, FEERATE, &err);
    if (!tx) {
        free(err);
        err = NULL;
        tx = optrue_spend(in, n_in, 1, FEERATE, &err);
    }
    free(err); /* dust-sized coins stay unspent: the pool drops them */
    for (uint32_t i = 0; tx && i < tx->vout_count; i++)
        pool_push(p, optrue_coin_of(tx, i));
    return tx;
}

struct gen {
    const struct chain_params *p;
    struct chainstate *cs;
    struct pool pool;
    struct optrue_coin coinbase[MATURITY]; /* ring: the last MATURITY blocks' */
    size_t block_bytes;
    size_t seq;
    uint64_t bytes; /* serialized blocks, with witness */
    uint32_t time;
};

/* Transactions for the next block, up to about block_bytes. */
static size_t fill_txs(struct gen *g, struct tx ***txs, int64_t *fees)
{
    size_t n = 0, cap = 0, bytes = 1000, weight = MINER_COINBASE_RESERVE;
    *txs = NULL;
    *fees = 0;
    while (bytes < g->block_bytes) {
        struct tx *tx = next_tx(&g->pool, g->seq++);
        if (!tx) {
            if (!pool_size(&g->pool))
                break;
            continue;
        }
        if (weight + tx_weight(tx) > MINER_DEFAULT_MAX_WEIGHT) {
            tx_free(tx); /* its coins are gone from the pool: they stay unspent */
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            *txs = xrealloc(*txs, cap * sizeof(**txs));
        }
        (*txs)[n++] = tx;
        bytes += tx->size;
        weight += tx_weight(tx);
        *fees += optrue_fee(tx->vin_count, tx->vout_count, FEERATE);
    }
    return n;
}

static int add_block(struct gen *g, int height)
{
    pool_compact(&g->pool);
    if (height > MATURITY)
        pool_push(&g->pool, g->coinbase[height % MATURITY]);
    struct tx **txs;
    int64_t fees;
    size_t n = fill_txs(g, &txs, &fees);
    const struct bindex_node *tip = chainstate_tip(g->cs);
    struct miner_template t = { .params = g->p, .prev = tip->hash, .height = height,
                                .time = g->time += 600, .bits = g->p->pow_limit_bits,
                                .script = optrue_script, .script_len = OPTRUE_SCRIPT_LEN };
    char *err = NULL;
    const char *reason = NULL;
    struct block *b = miner_build_block(&t, txs, n, fees, &err);
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
    free(txs);
    int rc = -1;
    if (!b)
        fprintf(stderr, "block %d: %s\n", height, err);
    else if (miner_grind(b, UINT64_MAX) != 0)
        fprintf(stderr, "block %d: no nonce\n", height);
    else if (chainstate_process_block(g->cs, b, &reason, &err) != CHAINSTATE_ACCEPTED)
        fprintf(stderr, "block %d rejected: %s\n", height, reason ? reason : err);
    else
        rc = 0;
    if (rc == 0) {
        g->coinbase[height % MATURITY] = optrue_coin_of(b->txs[0], 0);
        g->bytes += b->size;
    }
    free(err);
    block_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    int nblocks = argc > 2 ? atoi(argv[2]) : 0;
    long block_bytes = argc > 3 ? atol(argv[3]) : 1000000;
    long mib = argc > 4 ? atol(argv[4]) : CHAINSTATE_DEFAULT_DBCACHE_MB;
    if (argc < 3 || nblocks < 1 || block_bytes < 1000 || block_bytes > BLOCK_MAX_SIZE ||
        mib < CHAINSTATE_MIN_DBCACHE_MB) {
        fprintf(stderr, "usage: %s <chaindir> <blocks> [block-bytes] [dbcache-MiB]\n", argv[0]);
        return 2;
    }
    struct gen g = { .p = params_get(CHAIN_REGTEST), .block_bytes = (size_t)block_bytes };
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = (size_t)mib << 20;
    char *err = NULL;
    g.cs = chainstate_open(g.p, argv[1], &o, &err);
    if (!g.cs) {
        fprintf(stderr, "open %s: %s\n", argv[1], err);
        return 1;
    }
    if (chainstate_height(g.cs) != 0) {
        fprintf(stderr, "%s already holds blocks\n", argv[1]);
        return 1;
    }
    g.time = (uint32_t)(time(NULL) - 3600 - 600 * (int64_t)nblocks);
    for (int h = 1; h <= nblocks; h++)
        if (add_block(&g, h) < 0)
            return 1;
    /* bench_sync.py reads this line. */
    printf("built %d blocks, %llu bytes, %zu coins spendable\n", chainstate_height(g.cs),
           (unsigned long long)g.bytes, pool_size(&g.pool));
    chainstate_close(g.cs);
    free(g.pool.v);
    return 0;
}
