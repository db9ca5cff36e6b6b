#include "chain/validation/blockstats.h"

#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MONEY (21000000LL * 100000000LL)
#define MAX_BLOCK_SERIALIZED_SIZE 4000000
#define MAX_SCRIPT_SIZE 10000
/* Core's PER_UTXO_OVERHEAD: outpoint, height, coinbase flag. */
#define PER_UTXO_OVERHEAD (36 + 4 + 1)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t blockstats_truncated_median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_i64);
    return n % 2 == 0 ? (v[n / 2 - 1] + v[n / 2]) / 2 : v[n / 2];
}

static int cmp_feerate(const void *a, const void *b)
{
    const struct blockstats_feerate *x = a, *y = b;
    if (x->feerate != y->feerate)
        return x->feerate < y->feerate ? -1 : 1;
    return (x->weight > y->weight) - (x->weight < y->weight);
}

void blockstats_percentiles(struct blockstats_feerate *v, size_t n, int64_t total_weight,
                            int64_t out[BLOCKSTATS_PERCENTILES])
{
    memset(out, 0, BLOCKSTATS_PERCENTILES * sizeof(*out));
    if (n == 0)
        return;
    qsort(v, n, sizeof(*v), cmp_feerate);
    const double at[BLOCKSTATS_PERCENTILES] = { total_weight / 10.0, total_weight / 4.0,
                                                total_weight / 2.0, (total_weight * 3.0) / 4.0,
                                                (total_weight * 9.0) / 10.0 };
    size_t next = 0;
    int64_t cumulative = 0;
    for (size_t i = 0; i < n; i++) {
        cumulative += v[i].weight;
        while (next < BLOCKSTATS_PERCENTILES && cumulative >= at[next])
            out[next++] = v[i].feerate;
    }
    for (; next < BLOCKSTATS_PERCENTILES; next++)
        out[next] = v[n - 1].feerate;
}

static bool unspendable(const uint8_t *script, size_t len)
{
    return (len > 0 && script[0] == 0x6a) || len > MAX_SCRIPT_SIZE;
}

static int64_t compact_size_len(size_t n)
{
    return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffffu ? 5 : 9;
}

/* What a UTXO entry for this output costs (Core's GetSerializeSize of the
 * output plus the per-entry overhead). */
static int64_t utxo_size(size_t script_len)
{
    return 8 + compact_size_len(script_len) + (int64_t)script_len + PER_UTXO_OVERHEAD;
}

/* Outputs of one transaction: their total, and the UTXO set changes. */
static int64_t add_outputs(const struct tx *tx, bool counted, struct blockstats *s,
                           int64_t *utxos)
{
    int64_t total = 0;
    for (size_t o = 0; o < tx->vout_count; o++) {
        const struct tx_out *out = &tx->vout[o];
        int64_t size = utxo_size(out->script_len);
        total += out->value;
        s->utxo_size_inc += size;
        if (!counted || unspendable(out->script, out->script_len))
            continue;
        (*utxos)++;
        s->utxo_size_inc_actual += size;
    }
    return total;
}

struct collect {
    int64_t *fees, *sizes;
    struct blockstats_feerate *rates;
    size_t n;
};

/* One transaction after the coinbase; in: what its inputs spent. */
static void add_tx(const struct tx *tx, int64_t in, int64_t out_total, struct blockstats *s,
                   struct collect *c)
{
    int64_t size = (int64_t)tx->size, weight = (int64_t)tx_weight(tx), fee = in - out_total;
    s->ins += (int64_t)tx->vin_count;
    s->total_out += out_total;
    s->total_size += size;
    s->total_weight += weight;
    if (size > s->maxtxsize)
        s->maxtxsize = size;
    if (size < s->mintxsize)
        s->mintxsize = size;
    if (tx->has_witness) {
        s->swtxs++;
        s->swtotal_size += size;
        s->swtotal_weight += weight;
    }
    int64_t feerate = weight ? fee * 4 / weight : 0;
    if (fee > s->maxfee)
        s->maxfee = fee;
    if (fee < s->minfee)
        s->minfee = fee;
    if (feerate > s->maxfeerate)
        s->maxfeerate = feerate;
    if (feerate < s->minfeerate)
        s->minfeerate = feerate;
    s->totalfee += fee;
    c->fees[c->n] = fee;
    c->sizes[c->n] = size;
    c->rates[c->n] = (struct blockstats_feerate){ feerate, weight };
    c->n++;
}

static void finish(const struct block *b, struct collect *c, int64_t utxos, struct blockstats *s)
{
    size_t others = b->tx_count > 1 ? b->tx_count - 1 : 0;
    s->txs = (int64_t)b->tx_count;
    s->avgfee = others ? s->totalfee / (int64_t)others : 0;
    s->avgfeerate = s->total_weight ? s->totalfee * 4 / s->total_weight : 0;
    s->avgtxsize = others ? s->total_size / (int64_t)others : 0;
    blockstats_percentiles(c->rates, c->n, s->total_weight, s->feerate_percentiles);
    s->medianfee = blockstats_truncated_median(c->fees, c->n);
    s->mediantxsize = blockstats_truncated_median(c->sizes, c->n);
    if (s->minfee == MAX_MONEY)
        s->minfee = 0;
    if (s->minfeerate == MAX_MONEY)
        s->minfeerate = 0;
    if (s->mintxsize == MAX_BLOCK_SERIALIZED_SIZE)
        s->mintxsize = 0;
    s->utxo_increase = s->outs - s->ins;
    s->utxo_increase_actual = utxos - s->ins;
}

int blockstats_compute(const struct block *b, const struct coin *spent, size_t n_spent,
                       bool genesis, struct blockstats *out)
{
    size_t need = 0;
    for (size_t t = 1; t < b->tx_count; t++)
        need += b->txs[t]->vin_count;
    if (need != n_spent)
        return -1;
    struct blockstats *s = memset(out, 0, sizeof(*out));
    s->minfee = s->minfeerate = MAX_MONEY;
    s->mintxsize = MAX_BLOCK_SERIALIZED_SIZE;
    size_t cap = b->tx_count ? b->tx_count : 1;
    struct collect c = { xcalloc(cap, sizeof(int64_t)), xcalloc(cap, sizeof(int64_t)),
                         xcalloc(cap, sizeof(struct blockstats_feerate)), 0 };
    int64_t utxos = 0;
    size_t k = 0;
    for (size_t t = 0; t < b->tx_count; t++) {
        const struct tx *tx = b->txs[t];
        s->outs += (int64_t)tx->vout_count;
        int64_t out_total = add_outputs(tx, !genesis, s, &utxos);
        if (t == 0)
            continue;
        int64_t in = 0;
        for (size_t i = 0; i < tx->vin_count; i++, k++) {
            in += spent[k].value;
            s->utxo_size_inc -= utxo_size(spent[k].script_len);
            s->utxo_size_inc_actual -= utxo_size(spent[k].script_len);
        }
        add_tx(tx, in, out_total, s, &c);
    }
    finish(b, &c, utxos, s);
    free(c.fees);
    free(c.sizes);
    free(c.rates);
    return 0;
}
