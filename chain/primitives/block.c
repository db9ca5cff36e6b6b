/* Block headers, blocks and merkle roots. */
#include "chain/primitives/block.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The smallest transaction Core deserializes: version, an empty input
 * vector read as the marker with flag 0, locktime. Caps the tx count. */
#define MIN_TX_SIZE 10

bool block_header_parse(struct cursor *c, struct block_header *h)
{
    struct block_header t;
    bool ok = cursor_i32(c, &t.version) && cursor_bytes(c, t.prev.b, 32) &&
              cursor_bytes(c, t.merkle.b, 32) && cursor_u32(c, &t.time) &&
              cursor_u32(c, &t.bits) && cursor_u32(c, &t.nonce);
    if (ok)
        *h = t;
    return ok;
}

void block_header_serialize(const struct block_header *h, uint8_t out[BLOCK_HEADER_SIZE])
{
    ser_put_le32(out, (uint32_t)h->version);
    memcpy(out + 4, h->prev.b, 32);
    memcpy(out + 36, h->merkle.b, 32);
    ser_put_le32(out + 68, h->time);
    ser_put_le32(out + 72, h->bits);
    ser_put_le32(out + 76, h->nonce);
}

void block_header_hash(const struct block_header *h, struct hash256 *out)
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    block_header_serialize(h, buf);
    hash_sha256d(buf, sizeof(buf), out);
}

static struct block *fail(struct block *b, struct cursor *c, const char **reason,
                          const char *why)
{
    block_free(b);
    c->err = true;
    if (reason)
        *reason = why;
    return NULL;
}

struct block *block_parse(struct cursor *c, const char **reason)
{
    size_t start = c->pos;
    struct block *b = xmalloc(sizeof(*b));
    memset(b, 0, sizeof(*b));
    const uint8_t *hdr;
    struct cursor hc;
    if (!cursor_view(c, &hdr, BLOCK_HEADER_SIZE))
        return fail(b, c, reason, "truncated header");
    cursor_init(&hc, hdr, BLOCK_HEADER_SIZE);
    block_header_parse(&hc, &b->hdr); /* 80 bytes: cannot fail */
    hash_sha256d(hdr, BLOCK_HEADER_SIZE, &b->hash);
    size_t n;
    if (!cursor_count(c, &n, SER_MAX_SIZE, MIN_TX_SIZE))
        return fail(b, c, reason, "bad transaction count");
    b->txs = xmalloc(n * sizeof(*b->txs));
    b->base_size = BLOCK_HEADER_SIZE + ser_compact_size(n);
    for (size_t i = 0; i < n; i++) {
        const char *why;
        struct tx *tx = tx_parse(c, TX_PARSE_WITNESS, &why);
        if (!tx)
            return fail(b, c, reason, why);
        b->txs[b->tx_count++] = tx;
        b->base_size += tx->base_size;
    }
    b->size = c->pos - start;
    return b;
}

struct block *block_from_bytes(const void *data, size_t len, const char **reason)
{
    struct cursor c;
    cursor_init(&c, data, len);
    struct block *b = block_parse(&c, reason);
    if (b && cursor_left(&c) != 0)
        return fail(b, &c, reason, "trailing bytes after block");
    return b;
}

void block_serialize(const struct block *b, struct wbuf *w, bool with_witness)
{
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&b->hdr, hdr);
    wbuf_reserve(w, with_witness ? b->size : b->base_size);
    wbuf_bytes(w, hdr, sizeof(hdr));
    wbuf_compact(w, b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++)
        tx_serialize(b->txs[i], w, with_witness);
}

void block_free(struct block *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->tx_count; i++)
        tx_free(b->txs[i]);
    free(b->txs);
    free(b);
}

size_t block_weight(const struct block *b)
{
    return b->base_size * (TX_WITNESS_SCALE - 1) + b->size;
}

/* Bitcoin Core's ComputeMerkleRoot: at each level, note whether any pair
 * about to be combined is two equal hashes (before the odd last hash is
 * paired with itself, which is legitimate), then hash pairs in place. */
static void merkle_in_place(struct hash256 *h, size_t n, struct hash256 *root, bool *mutated)
{
    bool mutation = false;
    while (n > 1) {
        for (size_t i = 0; i + 1 < n; i += 2)
            if (hash_eq(&h[i], &h[i + 1]))
                mutation = true;
        if (n & 1)
            h[n] = h[n - 1];
        size_t pairs = (n + 1) / 2;
        for (size_t i = 0; i < pairs; i++)
            hash_sha256d_pair(&h[2 * i], &h[2 * i + 1], &h[i]);
        n = pairs;
    }
    if (mutated)
        *mutated = mutation;
    if (n == 0)
        memset(root->b, 0, 32);
    else
        *root = h[0];
}

void block_merkle_compute(const struct hash256 *leaves, size_t n, struct hash256 *root,
                          bool *mutated)
{
    /* One spare slot for the duplicated odd hash. */
    struct hash256 *h = xmalloc((n + 1) * sizeof(*h));
    if (n)
        memcpy(h, leaves, n * sizeof(*h));
    merkle_in_place(h, n, root, mutated);
    free(h);
}

void block_merkle_root(const struct block *b, struct hash256 *root, bool *mutated)
{
    struct hash256 *h = xmalloc((b->tx_count + 1) * sizeof(*h));
    for (size_t i = 0; i < b->tx_count; i++)
        h[i] = b->txs[i]->txid;
    merkle_in_place(h, b->tx_count, root, mutated);
    free(h);
}

void block_witness_merkle_root(const struct block *b, struct hash256 *root)
{
    struct hash256 *h = xmalloc((b->tx_count + 1) * sizeof(*h));
    for (size_t i = 0; i < b->tx_count; i++)
        h[i] = b->txs[i]->wtxid;
    if (b->tx_count)
        memset(h[0].b, 0, 32); /* BIP141: the coinbase's wtxid counts as zero */
    merkle_in_place(h, b->tx_count, root, NULL);
    free(h);
}
