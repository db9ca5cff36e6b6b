/* Transactions: real public vectors, round trips, txid/wtxid, and the
 * malformed inputs a peer can send. */
#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "chain/primitives/tx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

struct vector {
    const char *name;
    const char *hex;
    const char *txid;
    const char *wtxid;
    bool witness;
    size_t vin, vout;
};

/* The mainnet genesis coinbase (block 0). */
#define GENESIS_COINBASE                                                                       \
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff" \
    "ff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272" \
    "696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000" \
    "434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f3" \
    "5504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"

/* Mainnet block 170: Satoshi to Hal Finney, the first payment. */
#define BLOCK170_PAYMENT                                                                       \
    "0100000001c997a5e56e104102fa209c6a852dd90660a20b2d9c352423edce25857fcd370400000000484730" \
    "4402204e45e16932b8af514961a1d3a1a25fdf3f4f7732e9d624c6c61548ab5fb8cd410220181522ec8eca07" \
    "de4860a4acdd12909d831cc56cbbac4622082221a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a" \
    "62fe09c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1" \
    "b7303b8a0626f1baded5c72a704f7e6cd84cac00286bee0000000043410411db93e1dcdb8a016b49840f8c53" \
    "bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b86" \
    "43f656b412a3ac00000000"

/* rust-bitcoin's decode_segwit_transaction vector (P2SH output, P2WPKH input). */
#define SEGWIT_P2WPKH                                                                          \
    "02000000000101595895ea20179de87052b4046dfe6fd515860505d6511a9004cf12a1f93cac7c0100000000" \
    "ffffffff01deb807000000000017a9140f3444e271620c736808aa7b33e370bd87cb5a078702483045022100" \
    "fb60dad8df4af2841adc0346638c16d0b8035f5e3f3753b88db122e70c79f9370220756e6633b17fd2710e62" \
    "6347d28d60b0a2d6cbb41de51740644b9fb3ba7751040121028fa937ca8cba2197a37c007176ed8941055d3b" \
    "cb8627d085e94553e62f057dcc00000000"

/* rust-bitcoin's decode_nonsegwit_transaction vector. */
#define LEGACY_P2PKH                                                                           \
    "0100000001a15d57094aa7a21a28cb20b59aab8fc7d1149a3bdbcddba9c622e4f5f6a99ece010000006c4930" \
    "46022100f93bb0e7d8db7bd46e40132d1f8242026e045f03a0efe71bbb8e3f475e970d790221009337cd7f1f" \
    "929f00cc6ff01f03729b069a7c21b59b1736ddfee5db5946c5da8c0121033b9b137ee87d5a812d6f506efdd3" \
    "7f0affa7ffc310711c06c7f3e097c9447c52ffffffff0100e1f505000000001976a9140389035a9225b3839e" \
    "2bbf32d826a1e222031fd888ac00000000"

/* BIP143 "Native P2WPKH" example: unsigned, then signed (input 0 legacy
 * P2PK, input 1 P2WPKH, so one empty and one non-empty witness). */
#define BIP143_P2WPKH_UNSIGNED                                                                 \
    "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeff" \
    "ffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02" \
    "202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976" \
    "a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000"
#define BIP143_P2WPKH_SIGNED                                                                   \
    "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000049" \
    "4830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b19" \
    "4ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279" \
    "655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a91482" \
    "80b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2" \
    "d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb13" \
    "66d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476" \
    "c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000"

/* BIP143 "Native P2WSH" examples (OP_CODESEPARATOR; SIGHASH_SINGLE|ANYONECANPAY). */
#define BIP143_P2WSH \
    "01000000000102fe3dc9208094f3ffd12645477b3dc56f60ec4fa8e6f5d67c565d1c6b9216b36e0000000048" \
    "47304402200af4e47c9b9629dbecc21f73af989bdaa911f7e6f6c2e9394588a3aa68f81e9902204f3fcf6ade" \
    "7e5abb1295b6774c8e0abd94ae62217367096bc02ee5e435b67da201ffffffff0815cf020f013ed6cf91d29f" \
    "4202e8a58726b1ac6c79da47c23d1bee0a6925f80000000000ffffffff0100f2052a010000001976a914a307" \
    "41f8145e5acadf23f751864167f32e0963f788ac000347304402200de66acf4527789bfda55fc5459e214fa6" \
    "083f936b430a762c629656216805ac0220396f550692cd347171cbc1ef1f51e15282e837bb2b30860dc77c8f" \
    "78bc8501e503473044022027dc95ad6b740fe5129e7e62a75dd00f291a2aeb1200b84b09d9e3789406b6c002" \
    "201a9ecd315dd6a0e632ab20bbb98948bc0c6fb204f2c286963bb48517a7058e27034721026dccc749adc2a9" \
    "d0d89497ac511f760f45c47dc5ed9cf352a58ac706453880aeadab210255a9626aebf5e29c0e6538428ba0d1" \
    "dcf6ca98ffdf086aa8ced5e0d0215ea465ac00000000"
#define BIP143_P2WSH_ACP \
    "01000000000102e9b542c5176808107ff1df906f46bb1f2583b16112b95ee5380665ba7fcfc0010000000000" \
    "ffffffff80e68831516392fcd100d186b3c2c7b95c80b53c77e77c35ba03a66b429a2a1b0000000000ffffff" \
    "ff0280969800000000001976a914de4b231626ef508c9a74a8517e6783c0546d6b2888ac8096980000000000" \
    "1976a9146648a8cd4531e1ec47f35916de8e259237294d1e88ac02483045022100f6a10b8604e6dc910194b7" \
    "9ccfc93e1bc0ec7c03453caaa8987f7d6c3413566002206216229ede9b4d6ec2d325be245c5b508ff0339bf1" \
    "794078e20bfe0babc7ffe683270063ab68210392972e2eb617b2388771abe27235fd5ac44af8e61693261550" \
    "447a4c3e39da98ac024730440220032521802a76ad7bf74d0e2c218b72cf0cbc867066e2e53db905ba37f130" \
    "397e02207709e2188ed7f08f4c952d9d13986da504502b8c3be59617e043552f506c46ff83275163ab682103" \
    "92972e2eb617b2388771abe27235fd5ac44af8e61693261550447a4c3e39da98ac00000000"

static const struct vector vectors[] = {
    { "genesis coinbase", GENESIS_COINBASE,
      "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
      "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", false, 1, 1 },
    { "block 170 payment", BLOCK170_PAYMENT,
      "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16",
      "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", false, 1, 2 },
    { "legacy p2pkh", LEGACY_P2PKH,
      "a6eab3c14ab5272a58a5ba91505ba1a4b6d7a3a9fcbd187b6cd99a7b6d548cb7",
      "a6eab3c14ab5272a58a5ba91505ba1a4b6d7a3a9fcbd187b6cd99a7b6d548cb7", false, 1, 1 },
    { "segwit p2wpkh", SEGWIT_P2WPKH,
      "f5864806e3565c34d1b41e716f72609d00b55ea5eac5b924c9719a842ef42206",
      "80b7d8a82d5d5bf92905b06f2014dd699e03837ca172e3a59d51426ebbe3e7f5", true, 1, 1 },
    { "bip143 p2wpkh signed", BIP143_P2WPKH_SIGNED,
      "e8151a2af31c368a35053ddd4bdb285a8595c769a3ad83e0fa02314a602d4609",
      "c36c38370907df2324d9ce9d149d191192f338b37665a82e78e76a12c909b762", true, 2, 2 },
    { "bip143 p2wsh", BIP143_P2WSH,
      "570e3730deeea7bd8bc92c836ccdeb4dd4556f2c33f2a1f7b889a4cb4e48d3ab",
      "dbff04c7044a569f179c843e929449f6a24be183e42c66be9032f1c9eaaf5811", true, 2, 1 },
    { "bip143 p2wsh anyonecanpay", BIP143_P2WSH_ACP,
      "e0b8142f587aaa322ca32abce469e90eda187f3851043cc4f2a0fff8c13fc84e",
      "6e4dd6473b52c00afec3af31b4a522eb9b51489683ce407a6c403313a0caa7a9", true, 2, 2 },
};

#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))

static void check_vector(const struct vector *v)
{
    size_t len;
    uint8_t *raw = test_unhex(v->hex, &len);
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(raw, len, &why);
    assert_non_null(tx);
    assert_int_equal(tx->has_witness, v->witness);
    assert_int_equal(tx->vin_count, v->vin);
    assert_int_equal(tx->vout_count, v->vout);
    assert_int_equal(tx->size, len);
    test_assert_hash_hex(&tx->txid, v->txid);
    test_assert_hash_hex(&tx->wtxid, v->wtxid);

    /* Byte-identical re-serialization with witness. */
    struct wbuf w;
    wbuf_init(&w);
    tx_serialize(tx, &w, true);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, raw, len);

    /* Without witness: base_size bytes that hash to the txid and parse
     * back to the same transaction minus its witness. */
    wbuf_reset(&w);
    tx_serialize(tx, &w, false);
    assert_int_equal(w.len, tx->base_size);
    struct hash256 id;
    hash_sha256d(w.data, w.len, &id);
    assert_true(hash_eq(&id, &tx->txid));
    struct tx *stripped = tx_from_bytes(w.data, w.len, &why);
    assert_non_null(stripped);
    assert_false(stripped->has_witness);
    assert_true(hash_eq(&stripped->txid, &tx->txid));
    assert_true(hash_eq(&stripped->wtxid, &tx->txid));
    tx_free(stripped);
    wbuf_free(&w);

    if (!v->witness)
        assert_int_equal(tx->base_size, len);
    assert_int_equal(tx_weight(tx), tx->base_size * 3 + tx->size);
    tx_free(tx);
    free(raw);
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++)
        check_vector(&vectors[i]);
}

static void test_bip143_unsigned_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(BIP143_P2WPKH_UNSIGNED, &len);
    struct tx *tx = tx_from_bytes(raw, len, NULL);
    assert_non_null(tx);
    assert_int_equal(tx->vin_count, 2);
    assert_int_equal(tx->vin[0].sequence, 0xffffffee);
    assert_int_equal(tx->vin[0].script_len, 0);
    assert_int_equal(tx->locktime, 0x11);
    assert_int_equal(tx->vout[0].value, 112340000);
    assert_int_equal(tx->vout[1].value, 223450000);
    struct wbuf w;
    wbuf_init(&w);
    tx_serialize(tx, &w, true);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, raw, len);
    wbuf_free(&w);
    tx_free(tx);
    free(raw);
}

static void test_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(SEGWIT_P2WPKH, &len);
    struct tx *tx = tx_from_bytes(raw, len, NULL);
    assert_non_null(tx);
    assert_int_equal(tx->version, 2);
    test_assert_hash_hex(&tx->vin[0].prevout.hash,
                    "7cac3cf9a112cf04901a51d605058615d56ffe6d04b45270e89d1720ea955859");
    assert_int_equal(tx->vin[0].prevout.n, 1);
    assert_int_equal(tx->vin[0].wit_count, 2);
    assert_int_equal(tx->vin[0].wit[0].len, 72);
    assert_int_equal(tx->vin[0].wit[1].len, 33);
    assert_int_equal(tx->vin[0].wit[1].data[0], 0x02);
    assert_int_equal(tx->vout[0].script_len, 23);
    assert_int_equal(tx_weight(tx), 442);
    assert_int_equal(tx_vsize(tx), 111);
    assert_false(tx_is_coinbase(tx));
    /* Pointers lead into the transaction's own copy, not the input. */
    assert_true(tx->vout[0].script >= tx->raw && tx->vout[0].script < tx->raw + tx->size);
    memset(raw, 0, len);
    assert_int_equal(tx->vin[0].wit[1].data[0], 0x02);
    tx_free(tx);
    free(raw);
}

static void test_truncations(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVECTORS; i++) {
        size_t len;
        uint8_t *raw = test_unhex(vectors[i].hex, &len);
        for (size_t n = 0; n < len; n++) {
            /* An exact-size copy so ASan catches any read past the end. */
            uint8_t *cut = malloc(n ? n : 1);
            memcpy(cut, raw, n);
            const char *why = NULL;
            struct cursor c;
            cursor_init(&c, cut, n);
            struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, &why);
            assert_null(tx);
            assert_non_null(why);
            assert_true(c.err);
            free(cut);
        }
        free(raw);
    }
}

static void test_trailing_and_cursor(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(LEGACY_P2PKH, &len);
    uint8_t *two = malloc(2 * len);
    memcpy(two, raw, len);
    memcpy(two + len, raw, len);
    const char *why = NULL;
    assert_null(tx_from_bytes(two, len + 1, &why));
    assert_string_equal(why, "trailing bytes after transaction");
    /* Two transactions back to back from one cursor. */
    struct cursor c;
    cursor_init(&c, two, 2 * len);
    struct tx *a = tx_parse(&c, TX_PARSE_WITNESS, NULL);
    struct tx *b = tx_parse(&c, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cursor_left(&c), 0);
    assert_true(hash_eq(&a->txid, &b->txid));
    /* Reference counting: two references, two frees (ASan checks). */
    assert_ptr_equal(tx_ref(a), a);
    tx_free(a);
    assert_int_equal(a->refs, 1);
    tx_free(a);
    tx_free(b);
    tx_free(NULL);
    free(two);
    free(raw);
}

static struct tx *parse_hex(const char *hex, const char **why)
{
    size_t len;
    uint8_t *raw = test_unhex(hex, &len);
    struct tx *tx = tx_from_bytes(raw, len, why);
    free(raw);
    return tx;
}

static void expect_reject(const char *hex, const char *reason)
{
    const char *why = NULL;
    struct tx *tx = parse_hex(hex, &why);
    assert_null(tx);
    assert_non_null(why);
    if (reason)
        assert_string_equal(why, reason);
}

/* One input spending 00..00:0 with script "51", one output of 1 sat. */
#define NULL_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define TX_IN "01" NULL_HASH "00000000" "0151" "ffffffff"
#define TX_OUT "01" "0100000000000000" "0151"

static void test_malformed(void **state)
{
    (void)state;
    /* The well-formed base case parses. */
    const char *why = NULL;
    struct tx *ok = parse_hex("01000000" TX_IN TX_OUT "00000000", &why);
    assert_non_null(ok);
    tx_free(ok);
    /* Non-canonical CompactSize: input count 1 as fd0100, script length. */
    expect_reject("01000000" "fd0100" NULL_HASH
                  "00000000" "0151" "ffffffff" TX_OUT "00000000", "bad input count");
    expect_reject("01000000" "01" NULL_HASH
                  "00000000" "fd0100" "51" "ffffffff" TX_OUT "00000000", "bad input script length");
    /* Input count 2^32-1, and the largest allowed count with no data. */
    expect_reject("01000000" "feffffffff" "00000000", "bad input count");
    expect_reject("01000000" "fe00000002" "00000000", "bad input count");
    expect_reject("01000000" "ffffffffffffffffff" "00000000", "bad input count");
    /* Script length far beyond the data: clean error, no allocation (a
     * 32 MiB one would abort the test, see chain_testutil.h). */
    expect_reject("01000000" "01" NULL_HASH
                  "00000000" "fe00000002" "51" "ffffffff" TX_OUT "00000000",
                  "bad input script length");
    expect_reject("01000000" "01" NULL_HASH
                  "00000000" "fe00000001" "51" "ffffffff" TX_OUT "00000000",
                  "bad input script length");
    expect_reject("01000000" TX_IN "01" "0100000000000000" "fdffff" "51" "00000000",
                  "bad output script length");
    /* Output count beyond the data. */
    expect_reject("01000000" TX_IN "fd0010" "00000000", "bad output count");
}

static void test_witness_rules(void **state)
{
    (void)state;
    /* Marker and flag but every witness stack empty: Core's
     * "Superfluous witness record". */
    expect_reject("02000000" "0001" TX_IN TX_OUT "00" "00000000", "superfluous witness record");
    /* Unknown optional data: flag 2, and flag 3 with a witness. */
    expect_reject("02000000" "0002" TX_IN TX_OUT "00000000", "unknown transaction optional data");
    expect_reject("02000000" "0003" TX_IN TX_OUT "0101aa" "00000000",
                  "unknown transaction optional data");
    /* A witness stack whose item count exceeds the data. */
    expect_reject("02000000" "0001" TX_IN TX_OUT "fd0001" "00000000", "bad witness item count");
    /* One empty witness item counts as a witness (stack not empty). */
    const char *why = NULL;
    struct tx *tx = parse_hex("02000000" "0001" TX_IN TX_OUT "0100" "00000000", &why);
    assert_non_null(tx);
    assert_true(tx->has_witness);
    assert_int_equal(tx->vin[0].wit_count, 1);
    assert_int_equal(tx->vin[0].wit[0].len, 0);
    assert_int_equal(tx->size, tx->base_size + 2 + 2);
    tx_free(tx);
    /* An empty input vector followed by flag 0: Core reads no outputs. */
    tx = parse_hex("01000000" "00" "00" "00000000", &why);
    assert_non_null(tx);
    assert_int_equal(tx->vin_count, 0);
    assert_int_equal(tx->vout_count, 0);
    assert_false(tx->has_witness);
    tx_free(tx);
    /* Marker, flag 1, zero inputs: no witness can exist. */
    expect_reject("01000000" "0001" "00" TX_OUT "00000000", "superfluous witness record");
    /* Without TX_PARSE_WITNESS an empty input vector is just that. */
    size_t len;
    uint8_t *raw = test_unhex("01000000" "00" TX_OUT "00000000", &len);
    struct cursor c;
    cursor_init(&c, raw, len);
    tx = tx_parse(&c, 0, &why);
    assert_non_null(tx);
    assert_int_equal(tx->vin_count, 0);
    assert_int_equal(tx->vout_count, 1);
    tx_free(tx);
    free(raw);
}

static void test_coinbase_and_sums(void **state)
{
    (void)state;
    int64_t sum = 0;
    struct tx *cb = parse_hex(GENESIS_COINBASE, NULL);
    assert_true(tx_is_coinbase(cb));
    assert_true(tx_output_sum(cb, &sum));
    assert_int_equal(sum, 50 * TX_COIN);
    tx_free(cb);

    struct tx *pay = parse_hex(BLOCK170_PAYMENT, NULL);
    assert_false(tx_is_coinbase(pay));
    assert_true(tx_output_sum(pay, &sum));
    assert_int_equal(sum, 50 * TX_COIN);
    /* Values are read-only to callers; the test edits them to check the
     * range rules. */
    pay->vout[0].value = -1;
    assert_false(tx_output_sum(pay, &sum));
    pay->vout[0].value = TX_MAX_MONEY + 1;
    assert_false(tx_output_sum(pay, &sum));
    pay->vout[0].value = TX_MAX_MONEY;
    pay->vout[1].value = 1;
    assert_false(tx_output_sum(pay, &sum));
    pay->vout[1].value = 0;
    assert_true(tx_output_sum(pay, &sum));
    assert_int_equal(sum, TX_MAX_MONEY);
    tx_free(pay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_bip143_unsigned_round_trip),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_trailing_and_cursor),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_witness_rules),
        cmocka_unit_test(test_coinbase_and_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
