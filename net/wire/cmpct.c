#include "net/wire/cmpct.h"

#include "chain/primitives/siphash.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Smallest serialized transaction (Core's MIN_SERIALIZABLE_TRANSACTION_
 * WEIGHT / 4): caps transaction counts before allocation. */
#define MIN_TX_SIZE 10

void cmpct_key_init(struct cmpct_key *k, const struct block_header *h, uint64_t nonce)
{
    uint8_t buf[BLOCK_HEADER_SIZE + 8], d[32];
    block_header_serialize(h, buf);
    ser_put_le64(buf + BLOCK_HEADER_SIZE, nonce);
    hash_sha256(buf, sizeof(buf), d);
    k->k0 = ser_le64(d);
    k->k1 = ser_le64(d + 8);
}

uint64_t cmpct_shortid(const struct cmpct_key *k, const struct hash256 *wtxid)
{
    return siphash24(k->k0, k->k1, wtxid->b, 32) & CMPCT_SHORTID_MASK;
}

/* ---- differential indexes (Core's DifferenceFormatter, 16-bit) ---- */

/* Reads the next index: the gap from the previous one plus one. */
static bool diff_read(struct cursor *c, uint32_t *shift, uint16_t *out)
{
    uint64_t gap;
    if (!cursor_compact(c, &gap, SER_MAX_SIZE))
        return false;
    uint64_t v = *shift + gap;
    if (v > UINT16_MAX)
        return false;
    *out = (uint16_t)v;
    *shift = (uint32_t)v + 1;
    return true;
}

/* ---- cmpctblock ---- */

size_t cmpct_block_tx_count(const struct cmpct_block *cb)
{
    return cb->nshort + cb->nprefilled;
}

void cmpct_block_clear(struct cmpct_block *cb)
{
    for (size_t i = 0; i < cb->nprefilled; i++)
        tx_free(cb->prefilled[i].tx);
    free(cb->prefilled);
    free(cb->shortids);
    memset(cb, 0, sizeof(*cb));
}

static bool prefilled_decode(struct cursor *c, struct cmpct_block *out)
{
    size_t n;
    if (!cursor_count(c, &n, CMPCT_MAX_TXS, 1 + MIN_TX_SIZE))
        return false;
    out->prefilled = n ? xcalloc(n, sizeof(*out->prefilled)) : NULL;
    uint32_t shift = 0;
    for (size_t i = 0; i < n; i++) {
        struct cmpct_prefilled *pf = &out->prefilled[i];
        if (!diff_read(c, &shift, &pf->index) ||
            !(pf->tx = tx_parse(c, TX_PARSE_WITNESS, NULL)))
            return false;
        out->nprefilled++;
    }
    return true;
}

bool cmpct_block_decode(struct cursor *c, struct cmpct_block *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *raw;
    if (!cursor_view(c, &raw, BLOCK_HEADER_SIZE))
        return false;
    struct cursor hc;
    cursor_init(&hc, raw, BLOCK_HEADER_SIZE);
    block_header_parse(&hc, &out->hdr);
    hash_sha256d(raw, BLOCK_HEADER_SIZE, &out->hash);
    size_t n;
    if (!cursor_u64(c, &out->nonce) ||
        !cursor_count(c, &n, CMPCT_MAX_TXS, CMPCT_SHORTID_BYTES))
        goto bad;
    out->shortids = n ? xcalloc(n, sizeof(*out->shortids)) : NULL;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s;
        if (!cursor_view(c, &s, CMPCT_SHORTID_BYTES))
            goto bad;
        out->shortids[i] = (uint64_t)ser_le32(s) | (uint64_t)s[4] << 32 | (uint64_t)s[5] << 40;
    }
    out->nshort = n;
    if (!prefilled_decode(c, out) || cmpct_block_tx_count(out) > CMPCT_MAX_TXS)
        goto bad;
    return true;
bad:
    cmpct_block_clear(out);
    return false;
}

void cmpct_block_encode(struct wbuf *w, const struct cmpct_block *cb)
{
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&cb->hdr, hdr);
    wbuf_bytes(w, hdr, sizeof(hdr));
    wbuf_u64(w, cb->nonce);
    wbuf_compact(w, cb->nshort);
    wbuf_reserve(w, cb->nshort * CMPCT_SHORTID_BYTES);
    for (size_t i = 0; i < cb->nshort; i++) {
        uint8_t s[8];
        ser_put_le64(s, cb->shortids[i]);
        wbuf_bytes(w, s, CMPCT_SHORTID_BYTES);
    }
    wbuf_compact(w, cb->nprefilled);
    uint32_t next = 0;
    for (size_t i = 0; i < cb->nprefilled; i++) {
        wbuf_compact(w, cb->prefilled[i].index - next);
        next = cb->prefilled[i].index + 1u;
        wbuf_bytes(w, cb->prefilled[i].tx->raw, cb->prefilled[i].tx->size);
    }
}

void cmpct_block_from_block(struct cmpct_block *cb, const struct block *b, uint64_t nonce)
{
    memset(cb, 0, sizeof(*cb));
    cb->hdr = b->hdr;
    cb->hash = b->hash;
    cb->nonce = nonce;
    bool prefill = b->tx_count > 0 && tx_is_coinbase(b->txs[0]);
    if (prefill) {
        cb->prefilled = xmalloc(sizeof(*cb->prefilled));
        cb->prefilled[0] = (struct cmpct_prefilled){0, tx_ref(b->txs[0])};
        cb->nprefilled = 1;
    }
    size_t first = cb->nprefilled;
    struct cmpct_key k;
    cmpct_key_init(&k, &b->hdr, nonce);
    if (b->tx_count <= first)
        return;
    cb->shortids = xcalloc(b->tx_count - first, sizeof(uint64_t));
    for (size_t i = first; i < b->tx_count; i++)
        cb->shortids[cb->nshort++] = cmpct_shortid(&k, &b->txs[i]->wtxid);
}

/* ---- getblocktxn, blocktxn ---- */

bool cmpct_getblocktxn_decode(struct cursor *c, struct cmpct_getblocktxn *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    if (!cursor_bytes(c, out->block.b, 32) || !cursor_count(c, &n, CMPCT_MAX_TXS, 1))
        return false;
    out->indexes = n ? xcalloc(n, sizeof(*out->indexes)) : NULL;
    uint32_t shift = 0;
    for (size_t i = 0; i < n; i++)
        if (!diff_read(c, &shift, &out->indexes[i])) {
            cmpct_getblocktxn_clear(out);
            return false;
        }
    out->n = n;
    return true;
}

void cmpct_getblocktxn_encode(struct wbuf *w, const struct cmpct_getblocktxn *m)
{
    wbuf_bytes(w, m->block.b, 32);
    wbuf_compact(w, m->n);
    uint32_t next = 0;
    for (size_t i = 0; i < m->n; i++) {
        wbuf_compact(w, m->indexes[i] - next);
        next = m->indexes[i] + 1u;
    }
}

void cmpct_getblocktxn_clear(struct cmpct_getblocktxn *m)
{
    free(m->indexes);
    memset(m, 0, sizeof(*m));
}

bool cmpct_blocktxn_decode(struct cursor *c, struct cmpct_blocktxn *out)
{
    memset(out, 0, sizeof(*out));
    size_t n;
    if (!cursor_bytes(c, out->block.b, 32) || !cursor_count(c, &n, CMPCT_MAX_TXS, MIN_TX_SIZE))
        return false;
    out->txs = n ? xcalloc(n, sizeof(*out->txs)) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(out->txs[i] = tx_parse(c, TX_PARSE_WITNESS, NULL))) {
            cmpct_blocktxn_clear(out);
            return false;
        }
        out->n++;
    }
    return true;
}

void cmpct_blocktxn_encode(struct wbuf *w, const struct cmpct_blocktxn *m)
{
    wbuf_bytes(w, m->block.b, 32);
    wbuf_compact(w, m->n);
    for (size_t i = 0; i < m->n; i++)
        wbuf_bytes(w, m->txs[i]->raw, m->txs[i]->size);
}

void cmpct_blocktxn_clear(struct cmpct_blocktxn *m)
{
    for (size_t i = 0; i < m->n; i++)
        tx_free(m->txs[i]);
    free(m->txs);
    memset(m, 0, sizeof(*m));
}
