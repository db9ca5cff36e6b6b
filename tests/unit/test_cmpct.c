/* BIP152 codecs, short ids and reconstruction, on real blocks: mainnet
 * 426,884 and testnet3 898,352 with their cmpctblock payloads (from
 * bcoin's test data, tests/data/blocks/LICENSE-bcoin). */
#include "net/wire/cmpct.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint8_t *load(const char *name, size_t *len)
{
    const char *dir = getenv("HEARSAY_SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/blocks/%s", dir ? dir : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

struct pair {
    uint8_t *braw, *craw;
    size_t blen, clen;
    struct block *b;
    struct cmpct_block cb;
};

static void pair_load(struct pair *p, const char *block, const char *compact)
{
    p->braw = load(block, &p->blen);
    p->craw = load(compact, &p->clen);
    p->b = block_from_bytes(p->braw, p->blen, NULL);
    assert_non_null(p->b);
    struct cursor c;
    cursor_init(&c, p->craw, p->clen);
    assert_true(cmpct_block_decode(&c, &p->cb));
    assert_int_equal(cursor_left(&c), 0);
}

static void pair_free(struct pair *p)
{
    cmpct_block_clear(&p->cb);
    block_free(p->b);
    free(p->braw);
    free(p->craw);
}

/* ---- the vectors ---- */

static void check_vector(const char *block, const char *compact)
{
    struct pair p;
    pair_load(&p, block, compact);
    assert_memory_equal(p.cb.hash.b, p.b->hash.b, 32);
    assert_int_equal(cmpct_block_tx_count(&p.cb), p.b->tx_count);
    assert_int_equal(p.cb.nprefilled, 1);
    assert_int_equal(p.cb.prefilled[0].index, 0);
    assert_memory_equal(p.cb.prefilled[0].tx->wtxid.b, p.b->txs[0]->wtxid.b, 32);
    struct cmpct_key k;
    cmpct_key_init(&k, &p.b->hdr, p.cb.nonce);
    for (size_t i = 0; i < p.cb.nshort; i++)
        assert_true(p.cb.shortids[i] == cmpct_shortid(&k, &p.b->txs[i + 1]->wtxid));
    /* Re-encoding gives the payload back, and so does building it. */
    struct wbuf w;
    wbuf_init(&w);
    cmpct_block_encode(&w, &p.cb);
    assert_int_equal(w.len, p.clen);
    assert_memory_equal(w.data, p.craw, p.clen);
    struct cmpct_block built;
    cmpct_block_from_block(&built, p.b, p.cb.nonce);
    wbuf_reset(&w);
    cmpct_block_encode(&w, &built);
    assert_int_equal(w.len, p.clen);
    assert_memory_equal(w.data, p.craw, p.clen);
    cmpct_block_clear(&built);
    wbuf_free(&w);
    pair_free(&p);
}

static void test_vector_426884(void **state)
{
    check_vector("block426884.raw", "compact426884.raw");
}

static void test_vector_898352(void **state)
{
    check_vector("block898352.raw", "compact898352.raw");
}

/* ---- reconstruction ---- */

/* A test mempool view: the block's transactions but `skip` ones (every
 * skip-th from position 1; 0: none), offered newest first. */
static bool offer_pool(struct cmpct_partial *pb, const struct block *b, size_t skip)
{
    bool done = false;
    for (size_t i = b->tx_count; i-- > 1 && !done;)
        if (!skip || i % skip != 0)
            done = cmpct_partial_offer(pb, b->txs[i], false);
    return done;
}

static void assert_same_block(const struct block *got, const struct pair *p)
{
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(got, &w, true);
    assert_int_equal(w.len, p->blen);
    assert_memory_equal(w.data, p->braw, p->blen);
    assert_int_equal(got->size, p->b->size);
    assert_int_equal(got->base_size, p->b->base_size);
    wbuf_free(&w);
}

static void rebuild_from_mempool(const char *block, const char *compact)
{
    struct pair p;
    pair_load(&p, block, compact);
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 42, &pb), CMPCT_OK);
    assert_true(offer_pool(pb, p.b, 0));
    assert_int_equal(cmpct_partial_missing_count(pb), 0);
    size_t pool, extra;
    cmpct_partial_counts(pb, &pool, &extra);
    assert_int_equal(pool, p.b->tx_count - 1);
    assert_int_equal(extra, 0);
    struct block *got;
    assert_int_equal(cmpct_partial_fill(pb, NULL, 0, &got), CMPCT_OK);
    assert_same_block(got, &p);
    /* Filled once only. */
    struct block *again;
    assert_int_equal(cmpct_partial_fill(pb, NULL, 0, &again), CMPCT_INVALID);
    assert_null(again);
    block_free(got);
    cmpct_partial_free(pb);
    pair_free(&p);
}

static void test_rebuild_426884(void **state)
{
    rebuild_from_mempool("block426884.raw", "compact426884.raw");
}

static void test_rebuild_898352(void **state)
{
    rebuild_from_mempool("block898352.raw", "compact898352.raw");
}

/* Some transactions missing: their positions go out in getblocktxn, the
 * answer comes in blocktxn, both through the codecs, and fill the block. */
static void test_missing_round_trip(void **state)
{
    struct pair p;
    pair_load(&p, "block426884.raw", "compact426884.raw");
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 7, &pb), CMPCT_OK);
    assert_false(offer_pool(pb, p.b, 97));
    size_t nmiss = cmpct_partial_missing_count(pb);
    assert_int_equal(nmiss, (p.b->tx_count - 1) / 97);
    struct cmpct_getblocktxn req = {.block = p.b->hash, .n = nmiss};
    req.indexes = malloc(nmiss * sizeof(uint16_t));
    cmpct_partial_missing(pb, req.indexes);
    for (size_t i = 0; i < nmiss; i++)
        assert_int_equal(req.indexes[i], 97 * (i + 1));
    struct wbuf w;
    wbuf_init(&w);
    cmpct_getblocktxn_encode(&w, &req);
    struct cmpct_getblocktxn req2;
    struct cursor c;
    cursor_init(&c, w.data, w.len);
    assert_true(cmpct_getblocktxn_decode(&c, &req2));
    assert_int_equal(req2.n, nmiss);
    assert_memory_equal(req2.indexes, req.indexes, nmiss * sizeof(uint16_t));
    assert_memory_equal(req2.block.b, p.b->hash.b, 32);
    /* The server's side: the transactions at those positions. */
    struct cmpct_blocktxn resp = {.block = req2.block, .n = req2.n};
    resp.txs = malloc(req2.n * sizeof(*resp.txs));
    for (size_t i = 0; i < req2.n; i++)
        resp.txs[i] = tx_ref(p.b->txs[req2.indexes[i]]);
    wbuf_reset(&w);
    cmpct_blocktxn_encode(&w, &resp);
    struct cmpct_blocktxn resp2;
    cursor_init(&c, w.data, w.len);
    assert_true(cmpct_blocktxn_decode(&c, &resp2));
    assert_int_equal(cursor_left(&c), 0);
    assert_int_equal(resp2.n, nmiss);
    /* Too few is a protocol violation; the right ones rebuild the block. */
    struct block *got;
    assert_int_equal(cmpct_partial_fill(pb, resp2.txs, resp2.n - 1, &got), CMPCT_INVALID);
    cmpct_partial_free(pb);
    assert_int_equal(cmpct_partial_new(&p.cb, 7, &pb), CMPCT_OK);
    offer_pool(pb, p.b, 97);
    assert_int_equal(cmpct_partial_fill(pb, resp2.txs, resp2.n, &got), CMPCT_OK);
    assert_same_block(got, &p);
    block_free(got);
    cmpct_partial_free(pb);
    cmpct_getblocktxn_clear(&req);
    cmpct_getblocktxn_clear(&req2);
    cmpct_blocktxn_clear(&resp);
    cmpct_blocktxn_clear(&resp2);
    wbuf_free(&w);
    pair_free(&p);
}

/* Two short ids alike in one cmpctblock: Core's "Short ID collision",
 * answered by fetching the full block. */
static void test_duplicate_shortids(void **state)
{
    struct pair p;
    pair_load(&p, "block426884.raw", "compact426884.raw");
    p.cb.shortids[5] = p.cb.shortids[9];
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 1, &pb), CMPCT_FAILED);
    assert_null(pb);
    pair_free(&p);
}

/* A transaction of ours matches a short id but is not the block's (what
 * a collision looks like): the merkle root fails, so the full block is
 * needed. The same transaction offered twice (mempool and extra pool)
 * is no collision. */
static void test_collision_fails_merkle(void **state)
{
    struct pair p, q;
    pair_load(&p, "block426884.raw", "compact426884.raw");
    pair_load(&q, "block898352.raw", "compact898352.raw");
    struct cmpct_key k;
    cmpct_key_init(&k, &p.cb.hdr, p.cb.nonce);
    struct tx *impostor = q.b->txs[1];
    p.cb.shortids[3] = cmpct_shortid(&k, &impostor->wtxid);
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 3, &pb), CMPCT_OK);
    offer_pool(pb, p.b, 0);
    assert_true(cmpct_partial_offer(pb, impostor, false));
    assert_true(cmpct_partial_offer(pb, impostor, true)); /* same wtxid: kept */
    assert_int_equal(cmpct_partial_missing_count(pb), 0);
    struct block *got;
    assert_int_equal(cmpct_partial_fill(pb, NULL, 0, &got), CMPCT_FAILED);
    assert_null(got);
    cmpct_partial_free(pb);
    pair_free(&q);
    pair_free(&p);
}

/* The extra pool fills what the mempool lacks, and is counted. */
static void test_extra_pool(void **state)
{
    struct pair p;
    pair_load(&p, "block898352.raw", "compact898352.raw");
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 5, &pb), CMPCT_OK);
    assert_false(offer_pool(pb, p.b, 2));
    assert_true(p.b->tx_count > 2);
    for (size_t i = 2; i < p.b->tx_count; i += 2)
        cmpct_partial_offer(pb, p.b->txs[i], true);
    assert_int_equal(cmpct_partial_missing_count(pb), 0);
    size_t pool, extra;
    cmpct_partial_counts(pb, &pool, &extra);
    assert_int_equal(extra, (p.b->tx_count - 1) / 2);
    struct block *got;
    assert_int_equal(cmpct_partial_fill(pb, NULL, 0, &got), CMPCT_OK);
    assert_same_block(got, &p);
    block_free(got);
    cmpct_partial_free(pb);
    pair_free(&p);
}

/* ---- malformed input ---- */

static bool decode_cmpct(const uint8_t *d, size_t n)
{
    struct cmpct_block cb;
    struct cursor c;
    cursor_init(&c, d, n);
    bool ok = cmpct_block_decode(&c, &cb);
    cmpct_block_clear(&cb);
    return ok;
}

static void test_decode_caps(void **state)
{
    struct pair p;
    pair_load(&p, "block898352.raw", "compact898352.raw");
    /* Every truncation fails. */
    for (size_t n = 0; n < p.clen; n++)
        assert_false(decode_cmpct(p.craw, n));
    /* A short-id count the payload cannot hold fails before allocating. */
    uint8_t big[80 + 8 + 5];
    memcpy(big, p.craw, 88);
    big[88] = 0xfe;
    ser_put_le32(big + 89, 60000);
    assert_false(decode_cmpct(big, sizeof(big)));
    /* getblocktxn: an index past 16 bits overflows. */
    uint8_t req[32 + 1 + 3 + 3] = {0};
    req[32] = 2;
    req[33] = 0xfd, req[34] = 0xff, req[35] = 0xff; /* 65535 */
    req[36] = 0xfd, req[37] = 0x00, req[38] = 0x00; /* +0+1 = 65536 */
    struct cmpct_getblocktxn g;
    struct cursor c;
    cursor_init(&c, req, sizeof(req));
    assert_false(cmpct_getblocktxn_decode(&c, &g));
    cursor_init(&c, req, 36);
    req[32] = 1;
    assert_true(cmpct_getblocktxn_decode(&c, &g));
    assert_int_equal(g.indexes[0], 65535);
    cmpct_getblocktxn_clear(&g);
    /* A prefilled index beyond the short ids breaks the protocol. */
    p.cb.prefilled[0].index = (uint16_t)(p.cb.nshort + 1);
    struct cmpct_partial *pb;
    assert_int_equal(cmpct_partial_new(&p.cb, 1, &pb), CMPCT_INVALID);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_426884),
        cmocka_unit_test(test_vector_898352),
        cmocka_unit_test(test_rebuild_426884),
        cmocka_unit_test(test_rebuild_898352),
        cmocka_unit_test(test_missing_round_trip),
        cmocka_unit_test(test_duplicate_shortids),
        cmocka_unit_test(test_collision_fails_merkle),
        cmocka_unit_test(test_extra_pool),
        cmocka_unit_test(test_decode_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
