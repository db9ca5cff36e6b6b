/* chain/script/bip32 against BIP32 test vector 1, chain/script/descriptor
 * against the BIP380 checksum examples and the BIP381-383 and BIP386 vectors
 * (tests/data/bip380/vectors.txt), and Bitcoin Core's canonical forms and
 * error messages (rpc_deriveaddresses.py, descriptor_tests.cpp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/params.h"
#include "chain/script/bip32.h"
#include "chain/script/descriptor.h"
#include "chain/util/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* BIP32 test vector 1: seed 000102...0f, each chain's xpub. */
static const struct {
    uint32_t child;
    const char *xpub;
} vector1[] = {
    { 0, "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsef"
         "D265TMg7usUDFdp6W1EGMcet8" },
    { BIP32_HARDENED, "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VT"
                      "sfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw" },
    { 1, "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq52"
         "7Hqck2AxYysAA7xmALppuCkwQ" },
    { BIP32_HARDENED | 2, "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2"
                          "dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5" },
    { 2, "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR"
         "62cfN7fe5JnJ7dh8zL4fiyLHV" },
    { 1000000000, "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHi"
                  "Ykro49S8yGasTvXEYBVPamhGW6cFJodrTHy" },
};

static void test_bip32_vector1(void **state)
{
    (void)state;
    const struct chain_params *p = params_get(CHAIN_MAIN);
    uint8_t seed[16];
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)i;
    struct bip32_key k, pub, child;
    char text[BIP32_TEXT_MAX];
    assert_true(bip32_from_seed(seed, sizeof(seed), &k));
    for (size_t i = 0; i < sizeof(vector1) / sizeof(*vector1); i++) {
        if (i > 0) {
            /* Non-hardened steps also from the parent's public key alone. */
            if (!(vector1[i].child & BIP32_HARDENED)) {
                assert_true(bip32_derive(&pub, vector1[i].child, &child));
                bip32_encode_pub(p, &child, text);
                assert_string_equal(text, vector1[i].xpub);
            } else {
                assert_false(bip32_derive(&pub, vector1[i].child, &child));
            }
            assert_true(bip32_derive(&k, vector1[i].child, &k));
        }
        bip32_encode_pub(p, &k, text);
        assert_string_equal(text, vector1[i].xpub);
        assert_true(bip32_decode(p, vector1[i].xpub, &pub));
        assert_false(pub.has_priv);
        assert_memory_equal(pub.pub, k.pub, 33);
    }
    /* The master xprv decodes to the same key; tpub is not a mainnet key. */
    assert_true(bip32_decode(p, "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvN"
                                "KmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi", &k));
    bip32_encode_pub(p, &k, text);
    assert_string_equal(text, vector1[0].xpub);
    assert_false(bip32_decode(params_get(CHAIN_REGTEST), vector1[0].xpub, &k));
}

static void test_checksum(void **state)
{
    (void)state;
    char sum[9];
    /* BIP380's examples. */
    assert_int_equal(descriptor_checksum("raw(deadbeef)", 13, sum), 0);
    assert_string_equal(sum, "89f8spxm");
    const struct chain_params *p = params_get(CHAIN_MAIN);
    char *err = NULL;
    struct descriptor *d = descriptor_parse(p, "raw(deadbeef)#89f8spxm", true, &err);
    assert_non_null(d);
    assert_string_equal(descriptor_string(d), "raw(deadbeef)#89f8spxm");
    descriptor_free(d);
    static const struct {
        const char *text, *error;
    } bad[] = {
        { "raw(deadbeef)#", "Expected 8 character checksum, not 0 characters" },
        { "raw(deadbeef)#89f8spxmx", "Expected 8 character checksum, not 9 characters" },
        { "raw(deadbeef)#89f8spxn",
          "Provided checksum '89f8spxn' does not match computed checksum '89f8spxm'" },
        { "raw(deadbeef)##9f8spxm", "Multiple '#' symbols" },
        { "raw(Ü)#00000000", "Invalid characters in payload" },
        { "raw(deadbeef)", "Missing checksum" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_null(descriptor_parse(p, bad[i].text, true, &err));
        assert_string_equal(err, bad[i].error);
        free(err);
    }
    /* BIP380: an error in the payload fails the checksum. */
    assert_null(descriptor_parse(p, "raw(deedbeef)#89f8spxm", true, &err));
    assert_memory_equal(err, "Provided checksum '89f8spxm' does not match", 43);
    free(err);
}

/* Each script of position pos against the expected hex. */
static void check_scripts(const struct descriptor *d, uint32_t pos, const char *hex)
{
    struct descriptor_script s[DESCRIPTOR_MAX_SCRIPTS];
    int n = descriptor_expand(d, pos, s);
    assert_int_equal(n, 1);
    char *got = malloc(s[0].len * 2 + 1);
    hex_encode(s[0].data, s[0].len, got);
    if (strcmp(got, hex) != 0)
        fail_msg("%s at %u: %s, want %s", descriptor_string(d), pos, got, hex);
    free(got);
    free(s[0].data);
}

static void test_bip_vectors(void **state)
{
    (void)state;
    const char *src = getenv("HEARSAY_SRCDIR");
    char path[1024], line[8192];
    snprintf(path, sizeof(path), "%s/tests/data/bip380/vectors.txt", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    const struct chain_params *p = params_get(CHAIN_MAIN);
    int valid = 0, invalid = 0;
    while (fgets(line, sizeof(line), f)) {
        char *save, *kind = strtok_r(line, " \n", &save), *text = strtok_r(NULL, " \n", &save);
        char *err = NULL;
        struct descriptor *d = descriptor_parse(p, text, false, &err);
        if (strcmp(kind, "invalid") == 0) {
            if (d)
                fail_msg("accepted %s", text);
            free(err);
            invalid++;
            continue;
        }
        if (!d)
            fail_msg("%s: %s", text, err);
        char *hex;
        for (uint32_t pos = 0; (hex = strtok_r(NULL, " \n", &save)) != NULL; pos++)
            check_scripts(d, pos, hex);
        /* The public form parses back to the same scripts and text. */
        struct descriptor *again = descriptor_parse(p, descriptor_string(d), true, &err);
        assert_non_null(again);
        assert_string_equal(descriptor_string(again), descriptor_string(d));
        assert_false(descriptor_has_private_keys(again));
        descriptor_free(again);
        descriptor_free(d);
        valid++;
    }
    fclose(f);
    assert_int_equal(valid, 42);
    assert_int_equal(invalid, 22);
}

/* Core's canonical forms: private keys as public, hex lowercased, the
 * hardened marker as written; and its error messages. */
static void test_core_forms(void **state)
{
    (void)state;
    const struct chain_params *rt = params_get(CHAIN_REGTEST);
    char *err = NULL;
    struct descriptor *d = descriptor_parse(
        rt, "wpkh(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ"
            "2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/1/1/0)#t6wfjs64", true, &err);
    assert_non_null(d);
    assert_string_equal(descriptor_string(d),
                        "wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQv"
                        "ao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1/1/0)#s9ga3alw");
    assert_true(descriptor_has_private_keys(d));
    assert_false(descriptor_is_range(d));
    descriptor_free(d);
    d = descriptor_parse(rt, "pkh([D34DB33F/44'/0h]03A34B99F22C790C4E36B2B3C2C35A36DB06226E41C692FC"
                             "82B8B56AC1C540C5BD)", false, &err);
    assert_non_null(d);
    const char *want = "pkh([d34db33f/44h/0h]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b"
                       "8b56ac1c540c5bd)";
    assert_memory_equal(descriptor_string(d), want, strlen(want));
    assert_int_equal(descriptor_string(d)[strlen(want)], '#');
    descriptor_free(d);
    static const struct {
        const char *text, *error;
    } bad[] = {
        { "foo(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
          "'foo(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)' is not a "
          "valid descriptor function" },
        { "wpkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa"
          "8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)", "Uncompressed keys are not allowed" },
        { "pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5be)",
          "Pubkey '03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5be' is invalid" },
        { "sh(sh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))",
          "Can only have sh() at top level" },
        { "pkh(xpub/1)", "key 'xpub/1' is not valid" },
        { "pkh([d34db33f/x]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
          "Key path value 'x' is not a valid uint32" },
        { "pkh([d34db3/1]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
          "Fingerprint is not 4 bytes (6 characters instead of 8 characters)" },
        { "multi(3,03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
          "Multisig threshold cannot be larger than the number of keys; threshold is 3 but only 1 "
          "keys specified" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_null(descriptor_parse(rt, bad[i].text, false, &err));
        assert_string_equal(err, bad[i].error);
        free(err);
    }
}

/* Hardened steps need the private key; combo() makes its four scripts. */
static void test_expand(void **state)
{
    (void)state;
    const struct chain_params *rt = params_get(CHAIN_REGTEST);
    struct descriptor_script s[DESCRIPTOR_MAX_SCRIPTS];
    struct descriptor *d = descriptor_parse(
        rt, "wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstx"
            "YSnhyswJ76uZPStJRJCTKvosUCJZL5B/1'/1/0)", false, NULL);
    assert_non_null(d);
    assert_int_equal(descriptor_expand(d, 0, s), -1);
    descriptor_free(d);
    d = descriptor_parse(rt, "combo(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5"
                             "bd)", false, NULL);
    assert_non_null(d);
    assert_int_equal(descriptor_expand(d, 0, s), 4);
    char hex[100];
    hex_encode(s[2].data, s[2].len, hex);
    assert_string_equal(hex, "00149a1c78a507689f6f54b847ad1cef1e614ee23f1e"); /* BIP382's wpkh */
    for (int i = 0; i < 4; i++)
        free(s[i].data);
    descriptor_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip32_vector1), cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_bip_vectors),   cmocka_unit_test(test_core_forms),
        cmocka_unit_test(test_expand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
