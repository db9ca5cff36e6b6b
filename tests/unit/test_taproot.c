/* chain/script/taproot and sighash_taproot against Bitcoin Core's BIP341
 * wallet vectors: script trees (leaf hashes, merkle roots, tweaks, output
 * keys and their bech32m addresses, control blocks) and key-path spending
 * (the precomputed sha_* values, every signature hash, and the signatures
 * themselves). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/address.h"
#include "chain/primitives/params.h"
#include "chain/primitives/tx.h"
#include "chain/script/pubkey.h"
#include "chain/script/sighash.h"
#include "chain/script/taproot.h"
#include "tests/unit/chain_testutil.h"
#include "tests/unit/taproot_testutil.h"

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <string.h>

#define MAX_LEAVES 8

static json_t *vectors;
static secp256k1_context *sign_ctx;

static int setup(void **state)
{
    const char *src = getenv("HEARSAY_SRCDIR");
    char path[1024];
    json_error_t err;
    snprintf(path, sizeof(path), "%s/tests/data/bip341/bip341_wallet_vectors.json",
             src ? src : ".");
    vectors = json_load_file(path, 0, &err);
    if (!vectors)
        fprintf(stderr, "%s: %s\n", path, err.text);
    sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    return vectors && sign_ctx ? 0 : -1;
}

static int teardown(void **state)
{
    json_decref(vectors);
    secp256k1_context_destroy(sign_ctx);
    return 0;
}

static void get_hex(json_t *obj, const char *key, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(obj, key));
    assert_non_null(s);
    assert_int_equal(hex_decode(s, out, n), (ssize_t)n);
}

static void assert_hex_str(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[256];
    assert_non_null(hex);
    assert_true(n <= sizeof(want));
    assert_int_equal(hex_decode(hex, want, n), (ssize_t)n);
    assert_memory_equal(got, want, n);
}

static void assert_hex(const uint8_t *got, size_t n, json_t *obj, const char *key)
{
    assert_hex_str(got, n, json_string_value(json_object_get(obj, key)));
}

struct leaf {
    int id;
    uint8_t version;
    uint8_t hash[32];
    size_t depth;
    uint8_t path[TAPROOT_CONTROL_MAX_NODE_COUNT][32]; /* siblings, leaf upwards */
};

struct tree {
    struct leaf leaves[MAX_LEAVES];
    size_t n;
};

/* Hash of a (sub)tree in the vectors' form: a leaf object or a pair; each
 * leaf below gets the other side's hash appended to its path. */
static void tree_hash(json_t *node, struct tree *t, uint8_t out[32])
{
    if (json_is_object(node)) {
        assert_true(t->n < MAX_LEAVES);
        struct leaf *l = &t->leaves[t->n++];
        size_t len;
        uint8_t *script = test_unhex(json_string_value(json_object_get(node, "script")), &len);
        l->id = (int)json_integer_value(json_object_get(node, "id"));
        l->version = (uint8_t)json_integer_value(json_object_get(node, "leafVersion"));
        l->depth = 0;
        taproot_leaf_hash(l->hash, l->version, script, len);
        memcpy(out, l->hash, 32);
        free(script);
        return;
    }
    assert_int_equal(json_array_size(node), 2);
    uint8_t left[32], right[32];
    size_t first = t->n;
    tree_hash(json_array_get(node, 0), t, left);
    size_t mid = t->n;
    tree_hash(json_array_get(node, 1), t, right);
    for (size_t i = first; i < t->n; i++) {
        struct leaf *l = &t->leaves[i];
        memcpy(l->path[l->depth++], i < mid ? right : left, 32);
    }
    taproot_branch_hash(out, left, right);
}

/* The control block of a leaf, checked against the expected one, then
 * through taproot_verify_commitment (and a corrupted copy of it). */
static void check_control_block(const struct leaf *l, const uint8_t internal[32], int parity,
                                const uint8_t program[32], json_t *expected)
{
    uint8_t cb[TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * 8];
    size_t len = TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * l->depth;
    assert_true(l->depth <= 8);
    cb[0] = (uint8_t)(l->version | parity);
    memcpy(cb + 1, internal, 32);
    for (size_t i = 0; i < l->depth; i++)
        memcpy(cb + TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * i, l->path[i], 32);
    size_t want_len;
    uint8_t *want = test_unhex(json_string_value(json_array_get(expected, (size_t)l->id)),
                               &want_len);
    assert_int_equal(want_len, len);
    assert_memory_equal(cb, want, len);
    free(want);
    assert_true(taproot_verify_commitment(cb, len, program, l->hash));
    cb[0] ^= 1; /* wrong parity */
    assert_false(taproot_verify_commitment(cb, len, program, l->hash));
    cb[0] ^= 1;
    cb[len - 1] ^= 0x80; /* wrong node, or wrong internal key without nodes */
    assert_false(taproot_verify_commitment(cb, len, program, l->hash));
}

static void check_script_pubkey_case(json_t *c, int *control_blocks)
{
    json_t *given = json_object_get(c, "given"), *inter = json_object_get(c, "intermediary");
    json_t *expected = json_object_get(c, "expected");
    json_t *tree_json = json_object_get(given, "scriptTree");
    uint8_t internal[32], root[32], tweak[32], out[32], spk[34];
    struct tree tree = {.n = 0};
    int parity;
    bool has_tree = !json_is_null(tree_json);

    get_hex(given, "internalPubkey", internal, 32);
    if (has_tree) {
        tree_hash(tree_json, &tree, root);
        assert_hex(root, 32, inter, "merkleRoot");
        json_t *hashes = json_object_get(inter, "leafHashes");
        for (size_t i = 0; i < tree.n; i++)
            assert_hex_str(tree.leaves[i].hash, 32,
                           json_string_value(json_array_get(hashes, (size_t)tree.leaves[i].id)));
    }
    test_tap_tweak(tweak, internal, has_tree ? root : NULL);
    assert_hex(tweak, 32, inter, "tweak");
    assert_true(pubkey_taproot_output(out, &parity, internal, has_tree ? root : NULL));
    assert_hex(out, 32, inter, "tweakedPubkey");
    spk[0] = 0x51;
    spk[1] = 0x20;
    memcpy(spk + 2, out, 32);
    assert_hex(spk, 34, expected, "scriptPubKey");
    char addr[ADDRESS_MAX_LEN];
    assert_int_equal(address_encode(params_get(CHAIN_MAIN), spk, 34, addr), 0);
    assert_string_equal(addr, json_string_value(json_object_get(expected, "bip350Address")));
    json_t *cbs = json_object_get(expected, "scriptPathControlBlocks");
    assert_int_equal(json_array_size(cbs), tree.n);
    for (size_t i = 0; i < tree.n; i++) {
        check_control_block(&tree.leaves[i], internal, parity, out, cbs);
        (*control_blocks)++;
    }
}

static void test_script_pubkey(void **state)
{
    json_t *cases = json_object_get(vectors, "scriptPubKey");
    int control_blocks = 0;
    assert_int_equal(json_array_size(cases), 7);
    for (size_t i = 0; i < json_array_size(cases); i++)
        check_script_pubkey_case(json_array_get(cases, i), &control_blocks);
    assert_int_equal(control_blocks, 12);
}

struct spend {
    struct tx *tx;
    struct tx_out spent[16];
    uint8_t *scripts[16];
    struct sighash_txdata d;
};

static void load_spend(json_t *given, struct spend *sp)
{
    size_t len;
    const char *why = NULL;
    uint8_t *raw = test_unhex(json_string_value(json_object_get(given, "rawUnsignedTx")), &len);
    sp->tx = tx_from_bytes(raw, len, &why);
    free(raw);
    assert_non_null(sp->tx);
    json_t *utxos = json_object_get(given, "utxosSpent");
    assert_int_equal(json_array_size(utxos), sp->tx->vin_count);
    assert_true(sp->tx->vin_count <= 16);
    for (size_t i = 0; i < sp->tx->vin_count; i++) {
        json_t *u = json_array_get(utxos, i);
        sp->scripts[i] =
            test_unhex(json_string_value(json_object_get(u, "scriptPubKey")), &len);
        sp->spent[i].script = sp->scripts[i];
        sp->spent[i].script_len = len;
        sp->spent[i].value = json_integer_value(json_object_get(u, "amountSats"));
    }
    sighash_txdata_init(&sp->d, sp->tx, sp->spent);
}

static void free_spend(struct spend *sp)
{
    for (size_t i = 0; i < sp->tx->vin_count; i++)
        free(sp->scripts[i]);
    tx_free(sp->tx);
}

/* The tweaked key signs the vector's sighash with aux_rand zero (as the
 * vectors were made): the signature, plus the hash type unless DEFAULT,
 * must be the expected witness, and must verify against the output key. */
static void check_signature(const struct spend *sp, json_t *given, json_t *inter,
                            json_t *expected, const uint8_t sighash[32], uint8_t hash_type)
{
    uint8_t sec[32], internal[32], root[32], tweak[32], sig[65], aux[32] = {0};
    secp256k1_keypair kp;
    json_t *root_json = json_object_get(given, "merkleRoot");
    bool has_root = !json_is_null(root_json);
    size_t in = (size_t)json_integer_value(json_object_get(given, "txinIndex"));

    get_hex(given, "internalPrivkey", sec, 32);
    if (has_root)
        get_hex(given, "merkleRoot", root, 32);
    test_keypair(sign_ctx, sec, &kp, internal);
    assert_hex(internal, 32, inter, "internalPubkey");
    test_tap_tweak(tweak, internal, has_root ? root : NULL);
    assert_hex(tweak, 32, inter, "tweak");
    assert_true(secp256k1_keypair_xonly_tweak_add(sign_ctx, &kp, tweak));
    assert_true(secp256k1_keypair_sec(sign_ctx, sec, &kp));
    assert_hex(sec, 32, inter, "tweakedPrivkey");
    assert_true(secp256k1_schnorrsig_sign32(sign_ctx, sig, sighash, &kp, aux));
    sig[64] = hash_type;
    assert_hex_str(sig, hash_type ? 65 : 64,
                   json_string_value(json_array_get(json_object_get(expected, "witness"), 0)));
    /* The spent output is P2TR: its program is the key that must verify. */
    assert_int_equal(sp->spent[in].script_len, 34);
    assert_true(pubkey_schnorr_verify(sp->spent[in].script + 2, sig, sighash));
    sig[0] ^= 1;
    assert_false(pubkey_schnorr_verify(sp->spent[in].script + 2, sig, sighash));
}

static void test_key_path_spending(void **state)
{
    json_t *cases = json_object_get(vectors, "keyPathSpending");
    int inputs = 0;
    assert_int_equal(json_array_size(cases), 1);
    json_t *c = json_array_get(cases, 0);
    json_t *inter = json_object_get(c, "intermediary");
    struct spend sp;
    load_spend(json_object_get(c, "given"), &sp);
    assert_true(sp.d.bip341_ready);
    assert_hex(sp.d.sha_amounts, 32, inter, "hashAmounts");
    assert_hex(sp.d.sha_outputs, 32, inter, "hashOutputs");
    assert_hex(sp.d.sha_prevouts, 32, inter, "hashPrevouts");
    assert_hex(sp.d.sha_scriptpubkeys, 32, inter, "hashScriptPubkeys");
    assert_hex(sp.d.sha_sequences, 32, inter, "hashSequences");

    json_t *spends = json_object_get(c, "inputSpending");
    for (size_t i = 0; i < json_array_size(spends); i++) {
        json_t *s = json_array_get(spends, i);
        json_t *given = json_object_get(s, "given"), *si = json_object_get(s, "intermediary");
        size_t in = (size_t)json_integer_value(json_object_get(given, "txinIndex"));
        uint8_t hash_type = (uint8_t)json_integer_value(json_object_get(given, "hashType"));
        struct sighash_taproot_exec exec = {.ext_flag = 0, .codesep_pos = 0xffffffff};
        uint8_t h[32];
        assert_true(sighash_taproot(h, &sp.d, in, hash_type, &exec));
        assert_hex(h, 32, si, "sigHash");
        check_signature(&sp, given, si, json_object_get(s, "expected"), h, hash_type);
        inputs++;
    }
    assert_int_equal(inputs, 7);
    free_spend(&sp);
}

/* Core's SignatureHashSchnorr failures: hash types outside 0-3 and
 * 0x81-0x83, SIGHASH_SINGLE past the outputs, no spent outputs. */
static void test_sighash_rejects(void **state)
{
    json_t *c = json_array_get(json_object_get(vectors, "keyPathSpending"), 0);
    struct spend sp;
    struct sighash_taproot_exec exec = {.ext_flag = 0, .codesep_pos = 0xffffffff};
    uint8_t h[32], h2[32];
    load_spend(json_object_get(c, "given"), &sp);
    const uint8_t bad[] = {0x04, 0x80, 0x84, 0xff, 0x41};
    for (size_t i = 0; i < sizeof(bad); i++)
        assert_false(sighash_taproot(h, &sp.d, 0, bad[i], &exec));
    assert_int_equal(sp.tx->vout_count, 2);
    assert_true(sighash_taproot(h, &sp.d, 1, SIGHASH_SINGLE, &exec));
    assert_false(sighash_taproot(h, &sp.d, 2, SIGHASH_SINGLE, &exec));
    assert_false(sighash_taproot(h, &sp.d, 2, SIGHASH_SINGLE | SIGHASH_ANYONECANPAY, &exec));
    assert_true(sighash_taproot(h, &sp.d, 2, SIGHASH_NONE, &exec));
    /* DEFAULT and ALL commit to the same data but differ by the type byte. */
    assert_true(sighash_taproot(h, &sp.d, 0, SIGHASH_DEFAULT, &exec));
    assert_true(sighash_taproot(h2, &sp.d, 0, SIGHASH_ALL, &exec));
    assert_memory_not_equal(h, h2, 32);
    /* An annex and the script path each change the message. */
    exec.have_annex = true;
    memset(exec.annex_hash, 0x50, 32);
    assert_true(sighash_taproot(h2, &sp.d, 0, SIGHASH_DEFAULT, &exec));
    assert_memory_not_equal(h, h2, 32);
    exec.have_annex = false;
    exec.ext_flag = 1;
    assert_true(sighash_taproot(h2, &sp.d, 0, SIGHASH_DEFAULT, &exec));
    assert_memory_not_equal(h, h2, 32);
    uint8_t h3[32];
    exec.codesep_pos = 3;
    assert_true(sighash_taproot(h3, &sp.d, 0, SIGHASH_DEFAULT, &exec));
    assert_memory_not_equal(h2, h3, 32);
    struct sighash_txdata no_spent;
    sighash_txdata_init(&no_spent, sp.tx, NULL);
    assert_false(sighash_taproot(h, &no_spent, 0, SIGHASH_DEFAULT, &exec));
    free_spend(&sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_pubkey),
        cmocka_unit_test(test_key_path_spending),
        cmocka_unit_test(test_sighash_rejects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
