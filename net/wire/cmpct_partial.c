/* The partially downloaded block: a cmpctblock's positions filled from
 * the prefilled transactions and whatever we hold that matches a short
 * id, then completed by blocktxn. Bitcoin Core's PartiallyDownloadedBlock. */
#include "net/wire/cmpct.h"

#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Longest probe in the short-id table. Ids are uniform and the table
 * salted, so a long run means ids chosen to collide: rebuild from the
 * full block instead (Core gives up above 12 per bucket). */
#define MAX_PROBE 32

struct slot {
    uint64_t id;  /* short id + 1; 0: empty */
    uint16_t pos; /* block position */
};

struct cmpct_partial {
    struct block_header hdr;
    struct hash256 hash;
    struct cmpct_key key;
    size_t count;     /* transactions in the block */
    struct tx **txs;  /* count entries; NULL: missing */
    bool *have;       /* a short id matched (even if then reset by a collision) */
    size_t nshort, from_pool, from_extra;
    struct slot *table;
    size_t mask;
    uint64_t salt;
    bool filled;
};

static size_t slot_of(const struct cmpct_partial *pb, uint64_t id)
{
    return (size_t)(((id ^ pb->salt) * 0x9e3779b97f4a7c15ull) >> 32) & pb->mask;
}

/* Adds id -> pos; CMPCT_FAILED on a duplicate or a long probe. */
static enum cmpct_status table_add(struct cmpct_partial *pb, uint64_t id, uint16_t pos)
{
    size_t s = slot_of(pb, id);
    for (int probe = 0; probe < MAX_PROBE; probe++, s = (s + 1) & pb->mask) {
        if (pb->table[s].id == 0) {
            pb->table[s] = (struct slot){id + 1, pos};
            return CMPCT_OK;
        }
        if (pb->table[s].id == id + 1)
            return CMPCT_FAILED; /* Core: "Short ID collision" */
    }
    return CMPCT_FAILED;
}

static const struct slot *table_find(const struct cmpct_partial *pb, uint64_t id)
{
    size_t s = slot_of(pb, id);
    for (int probe = 0; probe < MAX_PROBE; probe++, s = (s + 1) & pb->mask) {
        if (pb->table[s].id == 0)
            return NULL;
        if (pb->table[s].id == id + 1)
            return &pb->table[s];
    }
    return NULL;
}

/* Places the prefilled transactions: each index must leave room for the
 * short ids (Core's InitData rules). */
static enum cmpct_status place_prefilled(struct cmpct_partial *pb, const struct cmpct_block *cb)
{
    for (size_t i = 0; i < cb->nprefilled; i++) {
        const struct cmpct_prefilled *pf = &cb->prefilled[i];
        if (pf->index > cb->nshort + i || pb->txs[pf->index])
            return CMPCT_INVALID;
        pb->txs[pf->index] = tx_ref(pf->tx);
    }
    return CMPCT_OK;
}

static enum cmpct_status index_shortids(struct cmpct_partial *pb, const struct cmpct_block *cb)
{
    size_t size = 16;
    while (size < cb->nshort * 2)
        size *= 2;
    pb->table = xcalloc(size, sizeof(*pb->table));
    pb->mask = size - 1;
    size_t pos = 0;
    for (size_t i = 0; i < cb->nshort; i++, pos++) {
        while (pb->txs[pos]) /* skip the prefilled positions */
            pos++;
        enum cmpct_status st = table_add(pb, cb->shortids[i], (uint16_t)pos);
        if (st != CMPCT_OK)
            return st;
    }
    return CMPCT_OK;
}

enum cmpct_status cmpct_partial_new(const struct cmpct_block *cb, uint64_t salt,
                                    struct cmpct_partial **out)
{
    *out = NULL;
    size_t count = cmpct_block_tx_count(cb);
    if (count == 0 || count > CMPCT_MAX_TXS)
        return CMPCT_INVALID;
    struct cmpct_partial *pb = xcalloc(1, sizeof(*pb));
    pb->hdr = cb->hdr;
    pb->hash = cb->hash;
    pb->count = count;
    pb->nshort = cb->nshort;
    pb->salt = salt;
    cmpct_key_init(&pb->key, &cb->hdr, cb->nonce);
    pb->txs = xcalloc(count, sizeof(*pb->txs));
    pb->have = xcalloc(count, sizeof(*pb->have));
    enum cmpct_status st = place_prefilled(pb, cb);
    if (st == CMPCT_OK)
        st = index_shortids(pb, cb);
    if (st != CMPCT_OK) {
        cmpct_partial_free(pb);
        return st;
    }
    *out = pb;
    return CMPCT_OK;
}

void cmpct_partial_free(struct cmpct_partial *pb)
{
    if (!pb)
        return;
    for (size_t i = 0; pb->txs && i < pb->count; i++)
        tx_free(pb->txs[i]);
    free(pb->txs);
    free(pb->have);
    free(pb->table);
    free(pb);
}

const struct hash256 *cmpct_partial_hash(const struct cmpct_partial *pb)
{
    return &pb->hash;
}

bool cmpct_partial_offer(struct cmpct_partial *pb, struct tx *tx, bool extra)
{
    if (pb->filled)
        return true;
    const struct slot *s = table_find(pb, cmpct_shortid(&pb->key, &tx->wtxid));
    if (s) {
        struct tx **at = &pb->txs[s->pos];
        if (!pb->have[s->pos]) {
            *at = tx_ref(tx);
            pb->have[s->pos] = true;
            pb->from_pool++;
            pb->from_extra += extra;
        } else if (*at && !hash_eq(&(*at)->wtxid, &tx->wtxid)) {
            /* Two of ours match one id: request it rather than guess. */
            tx_free(*at);
            *at = NULL;
            pb->from_pool--;
        }
    }
    return pb->from_pool == pb->nshort;
}

size_t cmpct_partial_missing_count(const struct cmpct_partial *pb)
{
    size_t n = 0;
    for (size_t i = 0; i < pb->count; i++)
        n += pb->txs[i] == NULL;
    return n;
}

void cmpct_partial_missing(const struct cmpct_partial *pb, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < pb->count; i++)
        if (!pb->txs[i])
            out[n++] = (uint16_t)i;
}

void cmpct_partial_counts(const struct cmpct_partial *pb, size_t *from_pool, size_t *from_extra)
{
    *from_pool = pb->from_pool;
    *from_extra = pb->from_extra;
}

enum cmpct_status cmpct_partial_fill(struct cmpct_partial *pb, struct tx *const *missing,
                                     size_t n, struct block **out)
{
    *out = NULL;
    if (pb->filled || n != cmpct_partial_missing_count(pb))
        return CMPCT_INVALID;
    pb->filled = true;
    struct block *b = xcalloc(1, sizeof(*b));
    b->hdr = pb->hdr;
    b->hash = pb->hash;
    b->txs = pb->txs; /* the block takes the references */
    b->tx_count = pb->count;
    pb->txs = NULL;
    b->size = b->base_size = BLOCK_HEADER_SIZE + ser_compact_size(b->tx_count);
    size_t k = 0;
    for (size_t i = 0; i < b->tx_count; i++) {
        if (!b->txs[i])
            b->txs[i] = tx_ref(missing[k++]);
        b->size += b->txs[i]->size;
        b->base_size += b->txs[i]->base_size;
    }
    struct hash256 root;
    bool mutated = false;
    block_merkle_root(b, &root, &mutated);
    if (mutated || !hash_eq(&root, &b->hdr.merkle)) {
        block_free(b);
        return CMPCT_FAILED; /* a short-id collision, most likely */
    }
    *out = b;
    return CMPCT_OK;
}
