/* Addresses: BIP173/BIP350 vectors, Bitcoin Core's key_io and base58
 * vectors, and the distinct error for each kind of bad address. */
#include "chain/primitives/address.h"
#include "chain/util/hex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const struct chain_params main_p = {
    .base58_pubkey = 0, .base58_script = 5, .bech32_hrp = "bc"};
static const struct chain_params test_p = {
    .base58_pubkey = 111, .base58_script = 196, .bech32_hrp = "tb"};
static const struct chain_params reg_p = {
    .base58_pubkey = 111, .base58_script = 196, .bech32_hrp = "bcrt"};

static void test_bech32_checksums(void **state)
{
    static const char *valid32[] = {
        "A12UEL5L", "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    static const char *valid32m[] = {
        "A1LQFN3A", "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    };
    char hrp[ADDRESS_MAX_LEN], again[ADDRESS_MAX_LEN];
    uint8_t data[ADDRESS_MAX_LEN];
    size_t n;
    bool bad;
    for (size_t i = 0; i < sizeof(valid32) / sizeof(*valid32); i++) {
        assert_int_equal(bech32_decode(valid32[i], hrp, data, &n, &bad), BECH32_BECH32);
        assert_int_equal(bech32_encode(BECH32_BECH32, hrp, data, n, again), 0);
        assert_int_equal(strcasecmp(again, valid32[i]), 0);
    }
    for (size_t i = 0; i < sizeof(valid32m) / sizeof(*valid32m); i++) {
        assert_int_equal(bech32_decode(valid32m[i], hrp, data, &n, &bad), BECH32_BECH32M);
        assert_int_equal(bech32_encode(BECH32_BECH32M, hrp, data, n, again), 0);
        assert_int_equal(strcasecmp(again, valid32m[i]), 0);
    }
}

static void test_bech32_invalid(void **state)
{
    static const char *invalid[] = {
        "\x20" "1nwldj5", "\x7f" "1axkwrx", "\x80" "1eym55h",
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
        "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\xff",
        "A1G7SGD8", "10a06t8", "1qzzfhee",
        "\x20" "1xj0phk", "\x7f" "1g6xzxy", "\x80" "1vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd", "mm1crxm3i",
        "au1s5cgom", "M1VUXWEZ", "16plkw9", "1p2gdwpf",
    };
    char hrp[ADDRESS_MAX_LEN];
    uint8_t data[ADDRESS_MAX_LEN];
    size_t n;
    bool bad;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++)
        assert_int_equal(bech32_decode(invalid[i], hrp, data, &n, &bad), BECH32_INVALID);
    /* A checksum computed over the uppercase hrp is a checksum error. */
    assert_int_equal(bech32_decode("A1G7SGD8", hrp, data, &n, &bad), BECH32_INVALID);
    assert_true(bad);
    assert_int_equal(bech32_decode("x1b4n0q5v", hrp, data, &n, &bad), BECH32_INVALID);
    assert_false(bad);
}

struct vector {
    const struct chain_params *p;
    const char *addr;
    const char *script_hex;
    enum address_type type;
};

static void check_vector(const struct vector *v)
{
    uint8_t script[ADDRESS_MAX_SCRIPT];
    size_t len = 0;
    enum address_type type = ADDRESS_NONE;
    char hex[2 * ADDRESS_MAX_SCRIPT + 1], back[ADDRESS_MAX_LEN];
    assert_int_equal(address_decode(v->p, v->addr, script, &len, &type), ADDRESS_OK);
    hex_encode(script, len, hex);
    assert_string_equal(hex, v->script_hex);
    assert_int_equal(type, v->type);
    assert_int_equal(address_script_type(script, len), v->type);
    assert_int_equal(address_encode(v->p, script, len, back), 0);
    assert_int_equal(strcasecmp(back, v->addr), 0);
    /* Encoding is canonical: lowercase bech32. */
    if (v->type >= ADDRESS_P2WPKH)
        for (const char *c = back; *c; c++)
            assert_false(*c >= 'A' && *c <= 'Z');
}

static void test_segwit_vectors(void **state)
{
    static const struct vector vs[] = {
        {&main_p, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
         "0014751e76e8199196d454941c45d1b3a323f1433bd6", ADDRESS_P2WPKH},
        {&test_p, "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
         "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", ADDRESS_P2WSH},
        {&main_p, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
         "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
         ADDRESS_WITNESS_UNKNOWN},
        {&main_p, "BC1SW50QGDZ25J", "6002751e", ADDRESS_WITNESS_UNKNOWN},
        {&main_p, "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323",
         ADDRESS_WITNESS_UNKNOWN},
        {&test_p, "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
         "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", ADDRESS_P2WSH},
        {&test_p, "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
         "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", ADDRESS_P2TR},
        {&main_p, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
         "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", ADDRESS_P2TR},
        {&reg_p, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9",
         "00146f58bac9506f9bfb821d62e69330410bb56f0085", ADDRESS_P2WPKH},
        {&reg_p, "bcrt1qan8gntac7z7me2ejt4hpru42ad2f759fmy0m3ejvs98656znv7eqga4uhv",
         "0020ecce89afb8f0bdbcab325d6e11f2aaeb549f50a9d91fb8e64c814faa685367b2", ADDRESS_P2WSH},
        {&reg_p, "bcrt1pfwxjqvtt4tcxrtdluukfmy2dv7xd2qzdfy6kajv5nwn4yam3wxkq3553uh",
         "51204b8d20316baaf061adbfe72c9d914d678cd5004d49356ec9949ba752777171ac", ADDRESS_P2TR},
    };
    for (size_t i = 0; i < sizeof(vs) / sizeof(*vs); i++)
        check_vector(&vs[i]);
}

static void test_base58_addresses(void **state)
{
    static const struct vector vs[] = {
        {&main_p, "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo",
         "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac", ADDRESS_P2PKH},
        {&main_p, "36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm",
         "a914373b819a068f32b7a6b38b6b38729647cfde01c287", ADDRESS_P2SH},
        {&main_p, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
         "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", ADDRESS_P2PKH},
        {&reg_p, "n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ",
         "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac", ADDRESS_P2PKH},
        {&reg_p, "2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA",
         "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87", ADDRESS_P2SH},
        {&test_p, "mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ",
         "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac", ADDRESS_P2PKH},
    };
    for (size_t i = 0; i < sizeof(vs) / sizeof(*vs); i++)
        check_vector(&vs[i]);
}

static void test_base58_plain(void **state)
{
    static const char *pairs[][2] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
        uint8_t bin[64], back[64];
        ssize_t n = hex_decode(pairs[i][0], bin, sizeof(bin));
        assert_true(n >= 0);
        char text[BASE58_MAX_TEXT + 1];
        base58_encode(bin, (size_t)n, text);
        assert_string_equal(text, pairs[i][1]);
        assert_int_equal(base58_decode(pairs[i][1], back, sizeof(back)), n);
        assert_memory_equal(back, bin, (size_t)n);
    }
    uint8_t out[64];
    assert_int_equal(base58_decode("invalid0", out, sizeof(out)), -1); /* '0' and 'l' */
    assert_int_equal(base58_decode("3SEo3LWLoPntC", out, 4), -1);     /* over max */
}

struct bad {
    const struct chain_params *p;
    const char *addr;
    enum address_error err;
};

static void test_invalid_addresses(void **state)
{
    static const struct bad bads[] = {
        {&test_p, "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
         ADDRESS_ERR_WRONG_NETWORK},
        {&main_p, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
         ADDRESS_ERR_CHECKSUM_VARIANT},
        {&test_p, "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
         ADDRESS_ERR_CHECKSUM_VARIANT},
        {&main_p, "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
         ADDRESS_ERR_CHECKSUM_VARIANT},
        {&main_p, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", ADDRESS_ERR_CHECKSUM_VARIANT},
        {&test_p, "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
         ADDRESS_ERR_CHECKSUM_VARIANT},
        {&main_p, "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
         ADDRESS_ERR_ENCODING},
        {&main_p, "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
         ADDRESS_ERR_WITNESS_VERSION},
        {&main_p, "bc1pw5dgrnzv", ADDRESS_ERR_PROGRAM_SIZE},
        {&main_p, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
         ADDRESS_ERR_PROGRAM_SIZE},
        {&main_p, "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", ADDRESS_ERR_PROGRAM_SIZE},
        {&test_p, "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
         ADDRESS_ERR_ENCODING},
        {&main_p, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
         ADDRESS_ERR_PADDING},
        {&test_p, "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
         ADDRESS_ERR_PADDING},
        {&main_p, "bc1gmk9yu", ADDRESS_ERR_WITNESS_VERSION},
        /* One character changed in a good address: a checksum error of its kind. */
        {&main_p, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ADDRESS_ERR_BECH32_CHECKSUM},
        {&main_p, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", ADDRESS_ERR_BASE58_CHECKSUM},
        /* Good addresses of other networks. */
        {&reg_p, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ADDRESS_ERR_WRONG_NETWORK},
        {&reg_p, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ADDRESS_ERR_WRONG_NETWORK},
        {&main_p, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", ADDRESS_ERR_WRONG_NETWORK},
        /* A base58check payload that is not 21 bytes (a WIF key). */
        {&main_p, "5HsL2nZuEebU5nM3RxNVQD9GcAnvNMahqQskf4fkqHe54zwd14e", ADDRESS_ERR_BASE58_LENGTH},
        {&main_p, "", ADDRESS_ERR_ENCODING},
        {&main_p, "not an address", ADDRESS_ERR_ENCODING},
    };
    for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
        uint8_t script[ADDRESS_MAX_SCRIPT];
        size_t len;
        enum address_error e = address_decode(bads[i].p, bads[i].addr, script, &len, NULL);
        if (e != bads[i].err)
            fail_msg("%s: got %d (%s), want %d", bads[i].addr, e, address_error_str(e),
                     bads[i].err);
        assert_non_null(address_error_str(e));
    }
}

static void test_scripts_without_address(void **state)
{
    static const char *scripts[] = {
        "6a0568656c6c6f",                                 /* OP_RETURN */
        "21030000000000000000000000000000000000000000000000000000000000000000ac", /* P2PK */
        "0013751e76e8199196d454941c45d1b3a323f1433b",     /* v0, 19 bytes */
        "0001ff",                                         /* program too short */
        "",
    };
    for (size_t i = 0; i < sizeof(scripts) / sizeof(*scripts); i++) {
        uint8_t s[64];
        char out[ADDRESS_MAX_LEN];
        ssize_t n = hex_decode(scripts[i], s, sizeof(s));
        assert_true(n >= 0);
        assert_int_equal(address_script_type(s, (size_t)n), ADDRESS_NONE);
        assert_int_equal(address_encode(&main_p, s, (size_t)n, out), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bech32_checksums),
        cmocka_unit_test(test_bech32_invalid),
        cmocka_unit_test(test_segwit_vectors),
        cmocka_unit_test(test_base58_addresses),
        cmocka_unit_test(test_base58_plain),
        cmocka_unit_test(test_invalid_addresses),
        cmocka_unit_test(test_scripts_without_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
