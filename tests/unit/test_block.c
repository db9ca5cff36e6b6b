/* Blocks: genesis blocks, a real two-transaction block, merkle roots with
 * the CVE-2012-2459 mutation, truncation, weight and size. */
#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/primitives/params.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

/* Mainnet block 170, the first block with a payment. */
static const char block170_hex[] =
    "0100000055bd840a78798ad0da853f68974f3d183e2bd1db6a842c1feecf222a00000000ff104ccb05421ab93e"
    "63f8c3ce5c2c2e9dbb37de2764b3a3175c8166562cac7d51b96a49ffff001d283e9e700201000000010000000000"
    "000000000000000000000000000000000000000000000000000000ffffffff0704ffff001d0102ffffffff0100f2"
    "052a01000000434104d46c4968bde02899d2aa0963367c7a6ce34eec332b32e42e5f3407e052d64ac625da6f07"
    "18e7b302140434bd725706957c092db53805b821a85b23a7ac61725bac000000000100000001c997a5e56e1041"
    "02fa209c6a852dd90660a20b2d9c352423edce25857fcd3704000000004847304402204e45e16932b8af514961"
    "a1d3a1a25fdf3f4f7732e9d624c6c61548ab5fb8cd410220181522ec8eca07de4860a4acdd12909d831cc56cbb"
    "ac4622082221a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a62fe09c5f51b13905f07f06b99a2f7"
    "159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a0626f1baded5c72a704f7e6c"
    "d84cac00286bee0000000043410411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a"
    "5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3ac00000000";

/* rust-bitcoin's segwit vector: txid f586..., wtxid 80b7... */
static const char segwit_tx_hex[] =
    "02000000000101595895ea20179de87052b4046dfe6fd515860505d6511a9004cf12a1f93cac7c0100000000"
    "ffffffff01deb807000000000017a9140f3444e271620c736808aa7b33e370bd87cb5a078702483045022100"
    "fb60dad8df4af2841adc0346638c16d0b8035f5e3f3753b88db122e70c79f9370220756e6633b17fd2710e62"
    "6347d28d60b0a2d6cbb41de51740644b9fb3ba7751040121028fa937ca8cba2197a37c007176ed8941055d3b"
    "cb8627d085e94553e62f057dcc00000000";

/* Serializes b (size or base_size bytes, as asked) and parses that. */
static struct block *reparse(const struct block *b, bool with_witness)
{
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, with_witness);
    assert_int_equal(w.len, with_witness ? b->size : b->base_size);
    struct block *again = block_from_bytes(w.data, w.len, NULL);
    assert_non_null(again);
    wbuf_free(&w);
    return again;
}

static void check_genesis(enum chain_type type, const char *hash, const char *merkle)
{
    const struct chain_params *p = params_get(type);
    struct block *b = params_genesis_block(p);
    assert_non_null(b);
    test_assert_hash_hex(&b->hash, hash);
    test_assert_hash_hex(&b->hdr.merkle, merkle);
    test_assert_hash_hex(&p->genesis_hash, hash);
    struct hash256 h, root;
    block_header_hash(&p->genesis, &h);
    test_assert_hash_hex(&h, hash);
    bool mutated = true;
    block_merkle_root(b, &root, &mutated);
    assert_false(mutated);
    test_assert_hash_hex(&root, merkle);
    assert_int_equal(b->tx_count, 1);
    assert_true(tx_is_coinbase(b->txs[0]));
    /* It serializes back to the bytes that parse to it. */
    struct block *again = reparse(b, true);
    assert_true(hash_eq(&again->hash, &b->hash));
    block_free(again);
    block_free(b);
}

static void test_genesis_blocks(void **state)
{
    (void)state;
    static const char satoshi_root[] =
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
    check_genesis(CHAIN_MAIN, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                  satoshi_root);
    check_genesis(CHAIN_TESTNET3,
                  "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", satoshi_root);
    check_genesis(CHAIN_TESTNET4,
                  "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
                  "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e");
    check_genesis(CHAIN_SIGNET, "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
                  satoshi_root);
    check_genesis(CHAIN_REGTEST,
                  "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", satoshi_root);
    /* The mainnet genesis block is 285 bytes, no witness. */
    struct block *b = params_genesis_block(params_get(CHAIN_MAIN));
    assert_int_equal(b->size, 285);
    assert_int_equal(b->base_size, 285);
    assert_int_equal(block_weight(b), 4 * 285);
    block_free(b);
}

static void test_block170(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(block170_hex, &len);
    const char *why = NULL;
    struct block *b = block_from_bytes(raw, len, &why);
    assert_non_null(b);
    test_assert_hash_hex(&b->hash,
                         "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee");
    assert_int_equal(b->hdr.version, 1);
    assert_int_equal(b->hdr.time, 1231731025);
    assert_int_equal(b->hdr.bits, 0x1d00ffff);
    assert_int_equal(b->tx_count, 2);
    test_assert_hash_hex(&b->txs[0]->txid,
                    "b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082");
    test_assert_hash_hex(&b->txs[1]->txid,
                    "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16");
    struct hash256 root;
    bool mutated = true;
    block_merkle_root(b, &root, &mutated);
    assert_false(mutated);
    assert_true(hash_eq(&root, &b->hdr.merkle));
    test_assert_hash_hex(&root, "7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff");
    assert_int_equal(b->size, len);
    assert_int_equal(b->base_size, len);
    assert_int_equal(block_weight(b), 4 * len);

    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, raw, len);
    wbuf_reset(&w);
    block_serialize(b, &w, false);
    assert_memory_equal(w.data, raw, len);
    wbuf_free(&w);

    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&b->hdr, hdr);
    assert_memory_equal(hdr, raw, BLOCK_HEADER_SIZE);
    block_free(b);
    free(raw);
}

/* Each proper prefix, in an exact-size copy so ASan sees any overread. */
static void assert_every_prefix_fails(const uint8_t *raw, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, raw, n);
        const char *why = NULL;
        assert_null(block_from_bytes(cut, n, &why));
        assert_non_null(why);
        free(cut);
    }
}

static void test_truncations(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(block170_hex, &len);
    assert_every_prefix_fails(raw, len);
    const char *why = NULL;
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, raw, len);
    longer[len] = 0;
    assert_null(block_from_bytes(longer, len + 1, &why));
    assert_string_equal(why, "trailing bytes after block");
    /* A transaction count of 2^32-1 after the header. */
    memcpy(longer + 80, "\xfe\xff\xff\xff\xff", 5);
    assert_null(block_from_bytes(longer, 85, &why));
    assert_string_equal(why, "bad transaction count");
    free(longer);
    free(raw);
}

static void leaf(struct hash256 *h, uint8_t tag)
{
    memset(h->b, 0, 32);
    h->b[0] = tag;
}

static void test_merkle_mutation(void **state)
{
    (void)state;
    struct hash256 l[8], r1, r2, r3;
    bool mutated;
    /* [a b c] and [a b c c]: same root, the second is mutated. */
    for (int i = 0; i < 4; i++)
        leaf(&l[i], (uint8_t)(i + 1));
    l[3] = l[2];
    block_merkle_compute(l, 3, &r1, &mutated);
    assert_false(mutated);
    block_merkle_compute(l, 4, &r2, &mutated);
    assert_true(mutated);
    assert_true(hash_eq(&r1, &r2));
    /* [a..f] and [a..f e f]: the duplicate pair shows one level up. */
    for (int i = 0; i < 6; i++)
        leaf(&l[i], (uint8_t)(i + 1));
    l[6] = l[4];
    l[7] = l[5];
    block_merkle_compute(l, 6, &r1, &mutated);
    assert_false(mutated);
    block_merkle_compute(l, 8, &r2, &mutated);
    assert_true(mutated);
    assert_true(hash_eq(&r1, &r2));
    /* One leaf is its own root; none gives zero. */
    block_merkle_compute(l, 1, &r3, &mutated);
    assert_true(hash_eq(&r3, &l[0]));
    assert_false(mutated);
    block_merkle_compute(l, 0, &r3, NULL);
    assert_true(hash_is_zero(&r3));
    /* Two leaves: sha256d of their concatenation. */
    uint8_t cat[64];
    memcpy(cat, l[0].b, 32);
    memcpy(cat + 32, l[1].b, 32);
    hash_sha256d(cat, 64, &r2);
    block_merkle_compute(l, 2, &r3, NULL);
    assert_true(hash_eq(&r2, &r3));
}

/* A block from block 170's header and the given transactions. */
static struct block *assemble(const char *const *tx_hex, size_t n)
{
    size_t len;
    uint8_t *raw = test_unhex(block170_hex, &len);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, raw, BLOCK_HEADER_SIZE);
    wbuf_compact(&w, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *t = test_unhex(tx_hex[i], &len);
        wbuf_bytes(&w, t, len);
        free(t);
    }
    struct block *b = block_from_bytes(w.data, w.len, NULL);
    assert_non_null(b);
    wbuf_free(&w);
    free(raw);
    return b;
}

static void test_block_mutation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(block170_hex, &len);
    /* Split block 170's two transactions back into hex. */
    struct block *b170 = block_from_bytes(raw, len, NULL);
    struct wbuf w;
    wbuf_init(&w);
    char *hex[2];
    for (int i = 0; i < 2; i++) {
        wbuf_reset(&w);
        tx_serialize(b170->txs[i], &w, true);
        hex[i] = malloc(2 * w.len + 1);
        hex_encode(w.data, w.len, hex[i]);
    }
    const char *three[] = { hex[0], hex[1], segwit_tx_hex };
    const char *four[] = { hex[0], hex[1], segwit_tx_hex, segwit_tx_hex };
    struct block *a = assemble(three, 3), *m = assemble(four, 4);
    struct hash256 ra, rm;
    bool mut_a, mut_m;
    block_merkle_root(a, &ra, &mut_a);
    block_merkle_root(m, &rm, &mut_m);
    assert_false(mut_a);
    assert_true(mut_m);
    assert_true(hash_eq(&ra, &rm)); /* CVE-2012-2459: same root, more txs */
    block_free(a);
    block_free(m);
    for (int i = 0; i < 2; i++)
        free(hex[i]);
    wbuf_free(&w);
    block_free(b170);
    free(raw);
}

static void test_witness_block(void **state)
{
    (void)state;
    static const char cb_hex[] =
        "01000000" "01" "0000000000000000000000000000000000000000000000000000000000000000"
        "ffffffff" "07" "04ffff001d0102" "ffffffff" "01" "00f2052a01000000" "01" "51" "00000000";
    size_t cb_len = (sizeof(cb_hex) - 1) / 2, sw_len;
    const char *txs[] = { cb_hex, segwit_tx_hex };
    struct block *b = assemble(txs, 2);
    uint8_t *sw = test_unhex(segwit_tx_hex, &sw_len);
    struct tx *s = b->txs[1];
    assert_true(s->has_witness);
    assert_int_equal(b->size, BLOCK_HEADER_SIZE + 1 + cb_len + sw_len);
    assert_int_equal(b->base_size, BLOCK_HEADER_SIZE + 1 + cb_len + s->base_size);
    assert_int_equal(block_weight(b), 3 * b->base_size + b->size);

    struct wbuf full;
    wbuf_init(&full);
    block_serialize(b, &full, true);
    assert_every_prefix_fails(full.data, full.len);
    wbuf_free(&full);

    /* Witness root: the coinbase's wtxid counts as zero. */
    struct hash256 zero, want, got;
    memset(zero.b, 0, 32);
    hash_sha256d_pair(&zero, &s->wtxid, &want);
    block_witness_merkle_root(b, &got);
    assert_true(hash_eq(&want, &got));

    /* Without witness: base_size bytes that parse to the same txids. */
    struct block *stripped = reparse(b, false);
    assert_int_equal(stripped->size, b->base_size);
    assert_true(hash_eq(&stripped->txs[1]->txid, &s->txid));
    assert_false(stripped->txs[1]->has_witness);
    block_free(stripped);
    free(sw);
    block_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis_blocks),
        cmocka_unit_test(test_block170),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_merkle_mutation),
        cmocka_unit_test(test_block_mutation),
        cmocka_unit_test(test_witness_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
