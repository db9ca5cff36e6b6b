#include "chain/mempool/miner.h"

#include "chain/util/err.h"
#include "chain/mempool/mempool_map.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_0 0x00
#define OP_1 0x51
#define OP_RETURN 0x6a
#define MAX_BLOCK_SIGOPS_COST 80000
#define COINBASE_SIGOPS_RESERVE 400 /* as Core's BlockAssembler */
/* Stop looking once this many packages did not fit in a nearly full block. */
#define MAX_CONSECUTIVE_FAILURES 1000

/* ---- transaction selection ---- */

struct cand {
    const struct mempool_entry *e;
    int64_t mod_fee; /* fees of the ancestors not yet in the block, itself included */
    size_t mod_vsize;
    uint32_t version; /* bumped when mod_* change; older heap items are stale */
    uint32_t mark;
    bool done, failed;
};

struct item {
    size_t idx;
    uint32_t version;
    int64_t fee;
    size_t vsize;
};

struct selector {
    struct cand *c;
    size_t n;
    struct mpmap index; /* txid -> candidate (aux = index) */
    struct item *heap;
    size_t heap_len, heap_cap;
    uint32_t epoch;
    size_t *work;
};

static bool item_better(const struct item *a, const struct item *b)
{
    return (__int128)a->fee * (__int128)b->vsize > (__int128)b->fee * (__int128)a->vsize;
}

static void heap_push(struct selector *s, size_t idx)
{
    if (s->heap_len == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 64;
        s->heap = xrealloc(s->heap, s->heap_cap * sizeof(*s->heap));
    }
    struct cand *c = &s->c[idx];
    struct item it = {idx, c->version, c->mod_fee, c->mod_vsize};
    size_t i = s->heap_len++;
    while (i > 0 && item_better(&it, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = it;
}

static struct item heap_pop(struct selector *s)
{
    struct item top = s->heap[0], last = s->heap[--s->heap_len];
    size_t i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= s->heap_len)
            break;
        if (k + 1 < s->heap_len && item_better(&s->heap[k + 1], &s->heap[k]))
            k++;
        if (!item_better(&s->heap[k], &last))
            break;
        s->heap[i] = s->heap[k];
        i = k;
    }
    if (s->heap_len)
        s->heap[i] = last;
    return top;
}

static size_t index_of(const struct selector *s, const struct mempool_entry *e)
{
    const struct hash256 *txid = &mempool_entry_tx(e)->txid;
    uint64_t key = hash_cheap(txid);
    size_t it = mpmap_start(&s->index, key);
    const struct mpmap_slot *slot;
    while ((slot = mpmap_next(&s->index, key, &it)))
        if (slot->val == e)
            return slot->aux;
    abort(); /* every mempool entry was indexed */
}

/* Collects idx and its ancestors (or descendants) not yet in the block
 * into s->work; returns the count. */
static size_t gather(struct selector *s, size_t idx, bool up)
{
    uint32_t ep = ++s->epoch;
    size_t n = 0;
    s->work[n++] = idx;
    s->c[idx].mark = ep;
    for (size_t k = 0; k < n; k++) {
        const struct mempool_entry *const *rel;
        const struct mempool_entry *e = s->c[s->work[k]].e;
        size_t nrel = up ? mempool_entry_parents(e, &rel) : mempool_entry_children(e, &rel);
        for (size_t j = 0; j < nrel; j++) {
            size_t r = index_of(s, rel[j]);
            if (s->c[r].mark != ep && !s->c[r].done) {
                s->c[r].mark = ep;
                s->work[n++] = r;
            }
        }
    }
    return n;
}

/* Orders a package parents first: a transaction has more in-mempool
 * ancestors than any of its ancestors. Packages are small (the ancestor
 * limit), so insertion sort. */
static void sort_package(const struct selector *s, size_t *pkg, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = pkg[i], j = i;
        struct mempool_family fx, fj;
        mempool_entry_family(s->c[x].e, &fx);
        while (j > 0) {
            mempool_entry_family(s->c[pkg[j - 1]].e, &fj);
            if (fj.anc_count <= fx.anc_count)
                break;
            pkg[j] = pkg[j - 1];
            j--;
        }
        pkg[j] = x;
    }
}

static void selector_init(struct selector *s, const struct mempool *mp)
{
    memset(s, 0, sizeof(*s));
    s->n = mempool_count(mp);
    s->c = xcalloc(s->n, sizeof(*s->c));
    s->work = xcalloc(s->n, sizeof(*s->work));
    mpmap_init(&s->index);
    size_t i = 0;
    for (const struct mempool_entry *e = mempool_first(mp); e; e = mempool_next(e), i++) {
        struct mempool_family f;
        mempool_entry_family(e, &f);
        s->c[i].e = e;
        s->c[i].mod_fee = f.anc_fees;
        s->c[i].mod_vsize = f.anc_vsize;
        mpmap_put(&s->index, hash_cheap(&mempool_entry_tx(e)->txid), (void *)e, (uint32_t)i);
        heap_push(s, i);
    }
}

static void selector_free(struct selector *s)
{
    free(s->c);
    free(s->work);
    free(s->heap);
    mpmap_free(&s->index);
}

/* Marks the package in s->work[0..n) done and lowers the ancestor totals
 * of the descendants left behind. */
static void commit_package(struct selector *s, size_t n, struct tx **out, size_t *count,
                           int64_t *fees)
{
    size_t *pkg = xcalloc(n, sizeof(*pkg));
    memcpy(pkg, s->work, n * sizeof(*pkg));
    sort_package(s, pkg, n);
    for (size_t i = 0; i < n; i++) {
        struct cand *c = &s->c[pkg[i]];
        c->done = true;
        out[(*count)++] = mempool_entry_tx(c->e);
        *fees += mempool_entry_fee(c->e);
    }
    for (size_t i = 0; i < n; i++) {
        const struct mempool_entry *e = s->c[pkg[i]].e;
        size_t nd = gather(s, pkg[i], false);
        for (size_t k = 1; k < nd; k++) {
            struct cand *d = &s->c[s->work[k]];
            d->mod_fee -= mempool_entry_fee(e);
            d->mod_vsize -= mempool_entry_vsize(e);
            d->version++;
            heap_push(s, s->work[k]);
        }
    }
    free(pkg);
}

size_t miner_select(const struct mempool *mp, size_t max_weight, struct tx ***out,
                    int64_t *fees)
{
    struct selector s;
    selector_init(&s, mp);
    *out = xcalloc(s.n, sizeof(**out));
    *fees = 0;
    size_t count = 0, weight = MINER_COINBASE_RESERVE, failures = 0;
    unsigned sigops = COINBASE_SIGOPS_RESERVE;
    while (s.heap_len) {
        struct item it = heap_pop(&s);
        struct cand *c = &s.c[it.idx];
        if (c->done || c->failed || it.version != c->version)
            continue;
        size_t n = gather(&s, it.idx, true), pkg_weight = 0;
        unsigned pkg_sigops = 0;
        for (size_t i = 0; i < n; i++) {
            pkg_weight += mempool_entry_weight(s.c[s.work[i]].e);
            pkg_sigops += mempool_entry_sigop_cost(s.c[s.work[i]].e);
        }
        if (weight + pkg_weight > max_weight || sigops + pkg_sigops >= MAX_BLOCK_SIGOPS_COST) {
            c->failed = true;
            if (++failures > MAX_CONSECUTIVE_FAILURES &&
                weight > max_weight - MINER_COINBASE_RESERVE)
                break;
            continue;
        }
        failures = 0;
        weight += pkg_weight;
        sigops += pkg_sigops;
        commit_package(&s, n, *out, &count, fees);
    }
    selector_free(&s);
    return count;
}

/* ---- coinbase and block ---- */

/* BIP34: the height as a minimal script number push (OP_1..OP_16 for
 * small heights, as Core's CScript << int), then OP_0 as Core's miner. */
static size_t coinbase_script(int32_t height, uint8_t out[8])
{
    size_t n = 0;
    if (height == 0) {
        out[n++] = OP_0;
    } else if (height >= 1 && height <= 16) {
        out[n++] = (uint8_t)(OP_1 + height - 1);
    } else {
        uint8_t num[5];
        size_t k = 0;
        for (uint32_t v = (uint32_t)height; v; v >>= 8)
            num[k++] = (uint8_t)v;
        if (num[k - 1] & 0x80)
            num[k++] = 0;
        out[n++] = (uint8_t)k;
        memcpy(out + n, num, k);
        n += k;
    }
    out[n++] = OP_0;
    return n;
}

static void write_coinbase(struct wbuf *w, const struct miner_template *t, int64_t value,
                           const struct hash256 *witness_root)
{
    static const uint8_t reserved[32];
    uint8_t sig[8];
    size_t sig_len = coinbase_script(t->height, sig);
    wbuf_i32(w, 2);
    wbuf_u8(w, 0); /* BIP144 marker and flag */
    wbuf_u8(w, 1);
    wbuf_compact(w, 1);
    wbuf_bytes(w, reserved, 32);
    wbuf_u32(w, 0xffffffffu);
    wbuf_varbytes(w, sig, sig_len);
    wbuf_u32(w, 0xffffffffu);
    wbuf_compact(w, 2);
    wbuf_i64(w, value);
    wbuf_varbytes(w, t->script, t->script_len);
    /* BIP141 commitment: sha256d(witness root || witness reserved value). */
    uint8_t commit[38] = {OP_RETURN, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    uint8_t pre[64];
    memcpy(pre, witness_root->b, 32);
    memcpy(pre + 32, reserved, 32);
    struct hash256 c;
    hash_sha256d(pre, 64, &c);
    memcpy(commit + 6, c.b, 32);
    wbuf_i64(w, 0);
    wbuf_varbytes(w, commit, sizeof(commit));
    wbuf_compact(w, 1); /* the coinbase witness: the reserved value */
    wbuf_varbytes(w, reserved, 32);
    wbuf_u32(w, 0);
}

/* Serializes header and transactions and parses the result, so the block
 * is built by the same code that reads blocks from the network. */
static struct block *assemble(const struct miner_template *t, struct tx *coinbase,
                              struct tx *const *txs, size_t n, char **err)
{
    struct hash256 *leaves = xcalloc(n + 1, sizeof(*leaves));
    leaves[0] = coinbase->txid;
    for (size_t i = 0; i < n; i++)
        leaves[i + 1] = txs[i]->txid;
    struct block_header h = {.version = t->version ? t->version : MINER_BLOCK_VERSION,
                             .prev = t->prev, .time = t->time, .bits = t->bits};
    block_merkle_compute(leaves, n + 1, &h.merkle, NULL);
    free(leaves);
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&h, hdr);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, hdr, sizeof(hdr));
    wbuf_compact(&w, n + 1);
    tx_serialize(coinbase, &w, true);
    for (size_t i = 0; i < n; i++)
        tx_serialize(txs[i], &w, true);
    const char *why = NULL;
    struct block *b = block_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    if (!b)
        err_set(err, "assembled block does not parse: %s", why ? why : "?");
    return b;
}

struct block *miner_create_block(const struct miner_template *t, const struct mempool *mp,
                                 char **err)
{
    struct tx **txs = NULL;
    int64_t fees = 0;
    size_t n = 0;
    size_t max_weight = t->max_weight ? t->max_weight : MINER_DEFAULT_MAX_WEIGHT;
    if (mp)
        n = miner_select(mp, max_weight, &txs, &fees);
    struct block *b = miner_build_block(t, txs, n, fees, err);
    free(txs);
    return b;
}

struct block *miner_build_block(const struct miner_template *t, struct tx *const *txs, size_t n,
                                int64_t fees, char **err)
{
    struct hash256 *wleaves = xcalloc(n + 1, sizeof(*wleaves));
    for (size_t i = 0; i < n; i++)
        wleaves[i + 1] = txs[i]->wtxid; /* the coinbase's stays zero */
    struct hash256 wroot;
    block_merkle_compute(wleaves, n + 1, &wroot, NULL);
    free(wleaves);
    struct wbuf w;
    wbuf_init(&w);
    write_coinbase(&w, t, params_block_subsidy(t->params, t->height) + fees, &wroot);
    const char *why = NULL;
    struct tx *coinbase = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    struct block *b = NULL;
    if (coinbase) {
        b = assemble(t, coinbase, txs, n, err);
    } else {
        err_set(err, "coinbase does not parse: %s", why ? why : "?");
    }
    tx_free(coinbase);
    return b;
}

/* ---- proof of work ---- */

bool miner_bits_to_target(uint32_t bits, struct hash256 *target)
{
    memset(target->b, 0, 32);
    uint32_t size = bits >> 24, mant = bits & 0x007fffffu;
    if ((bits & 0x00800000u) || mant == 0)
        return false;
    if (size > 34 || (mant > 0xff && size > 33) || (mant > 0xffff && size > 32))
        return false;
    if (size <= 3) {
        mant >>= 8 * (3 - size);
        for (int i = 0; i < 3; i++)
            target->b[i] = (uint8_t)(mant >> (8 * i));
    } else {
        for (uint32_t i = 0; i < 3; i++)
            if (size - 3 + i < 32)
                target->b[size - 3 + i] = (uint8_t)(mant >> (8 * i));
    }
    return !hash_is_zero(target);
}

bool miner_check_pow(const struct hash256 *hash, uint32_t bits)
{
    struct hash256 target;
    if (!miner_bits_to_target(bits, &target))
        return false;
    for (int i = 31; i >= 0; i--)
        if (hash->b[i] != target.b[i])
            return hash->b[i] < target.b[i];
    return true;
}

int miner_grind(struct block *b, uint64_t max_tries)
{
    struct block_header h = b->hdr;
    for (uint64_t i = 0; i < max_tries; i++) {
        struct hash256 hash;
        block_header_hash(&h, &hash);
        if (miner_check_pow(&hash, h.bits)) {
            b->hdr.nonce = h.nonce;
            b->hash = hash;
            return 0;
        }
        if (h.nonce == 0xffffffffu)
            return -1;
        h.nonce++;
    }
    return -1;
}
