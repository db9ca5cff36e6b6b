/* Script verification of two real blocks given the coins they spend:
 * mainnet 300,025 (P2PKH and bare multisig, BIP16 only) and testnet3
 * 928,828 (mostly P2SH spends, no witness data; BIP16, 66, 65, CSV, segwit and
 * NULLDUMMY). Every input passes under the flags of its height; with one
 * byte of one signature changed the block fails, naming the transaction
 * and the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/script/interpreter.h"
#include "chain/util/xmalloc.h"
#include "tests/unit/blockcoins_testutil.h"
#include "tests/unit/chain_testutil.h"

#include <stdio.h>
#include <string.h>

/* The consensus flags in force at these heights (stated here; the chain's
 * own per-height rules live in chain/validation). */
#define FLAGS_MAIN_300025 SCRIPT_VERIFY_P2SH
#define FLAGS_TESTNET_928828                                                   \
    (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY | \
     SCRIPT_VERIFY_CHECKSEQUENCEVERIFY | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_NULLDUMMY)

struct failure {
    struct hash256 txid;
    size_t in;
    enum script_error err;
};

static struct blockcoins *load(const char *name)
{
    const char *src = getenv("HEARSAY_SRCDIR");
    char bpath[1024], upath[1024];
    char *err = NULL;
    snprintf(bpath, sizeof(bpath), "%s/tests/data/blocks/%s.raw", src ? src : ".", name);
    snprintf(upath, sizeof(upath), "%s/tests/data/blocks/%s-undo.raw", src ? src : ".", name);
    struct blockcoins *bc = blockcoins_load(bpath, upath, &err);
    if (!bc)
        fail_msg("%s", err);
    return bc;
}

/* Verifies every input; false at the first failure, which *f names. */
static bool verify_block(const struct blockcoins *bc, uint32_t flags, struct failure *f)
{
    for (size_t k = 0; k < bc->input_count; k++) {
        const struct blockcoins_input *p = &bc->inputs[k];
        enum script_error err;
        if (!script_verify_input(&bc->txdata[p->tx], p->in, flags, NULL, &err)) {
            f->txid = bc->block->txs[p->tx]->txid;
            f->in = p->in;
            f->err = err;
            return false;
        }
    }
    return true;
}

/* A DER signature in a list of pushes or witness items: starts with the
 * SEQUENCE tag and has a signature's size. */
static bool looks_like_sig(const uint8_t *p, size_t len)
{
    return len >= 9 && len <= 73 && p[0] == 0x30;
}

/* Offset in tx->raw of a byte inside the first signature of input in
 * (its R value), or 0 when the input has none. */
static size_t sig_byte_offset(const struct tx *tx, size_t in)
{
    const struct tx_in *txin = &tx->vin[in];
    for (size_t w = 0; w < txin->wit_count; w++)
        if (looks_like_sig(txin->wit[w].data, txin->wit[w].len))
            return (size_t)(txin->wit[w].data - tx->raw) + 10;
    const uint8_t *pc = txin->script, *end = txin->script + txin->script_len;
    struct script_op op;
    while (script_get_op(&pc, end, &op))
        if (op.data && looks_like_sig(op.data, op.len))
            return (size_t)(op.data - tx->raw) + 10;
    return 0;
}

/* Replaces transaction t of the block by a copy with one signature byte
 * of input `in` flipped; returns the new txid. */
static struct hash256 corrupt(struct blockcoins *bc, size_t t, size_t in)
{
    struct tx *tx = bc->block->txs[t];
    size_t off = sig_byte_offset(tx, in);
    assert_true(off > 0 && off < tx->size);
    uint8_t *raw = xmalloc(tx->size);
    memcpy(raw, tx->raw, tx->size);
    raw[off] ^= 0x01;
    const char *why = NULL;
    struct tx *bad = tx_from_bytes(raw, tx->size, &why);
    free(raw);
    assert_non_null(bad);
    const struct tx_out *spent = bc->txdata[t].spent;
    tx_free(tx);
    bc->block->txs[t] = bad;
    sighash_txdata_init(&bc->txdata[t], bad, spent);
    return bad->txid;
}

static bool is_p2sh(const struct tx_out *o)
{
    return o->script_len == 23 && o->script[0] == 0xa9 && o->script[1] == 0x14 &&
           o->script[22] == 0x87;
}

/* Picks the first input past the first tenth of the block (so the failure
 * is not simply the first input checked) that carries a signature and,
 * when want_p2sh, spends a P2SH output. */
static const struct blockcoins_input *pick(const struct blockcoins *bc, bool want_p2sh)
{
    for (size_t k = bc->input_count / 10; k < bc->input_count; k++) {
        const struct blockcoins_input *p = &bc->inputs[k];
        const struct tx *tx = bc->block->txs[p->tx];
        if (sig_byte_offset(tx, p->in) && (!want_p2sh || is_p2sh(&bc->spent[k])))
            return p;
    }
    return NULL;
}

static void check_block(const char *name, uint32_t height, size_t txs, size_t inputs,
                        uint32_t flags, bool p2sh)
{
    struct blockcoins *bc = load(name);
    struct failure f;
    char hex[HASH_HEX_LEN + 1];
    assert_int_equal(bc->height, height);
    assert_int_equal(bc->block->tx_count, txs);
    assert_int_equal(bc->input_count, inputs);
    if (!verify_block(bc, flags, &f)) {
        hash_to_hex(&f.txid, hex);
        fail_msg("%s: tx %s input %zu fails: %s", name, hex, f.in, script_error_name(f.err));
    }

    const struct blockcoins_input *p = pick(bc, p2sh);
    assert_non_null(p);
    size_t t = p->tx, in = p->in;
    struct hash256 bad_txid = corrupt(bc, t, in);
    assert_false(verify_block(bc, flags, &f));
    hash_to_hex(&f.txid, hex);
    print_message("%s with one signature byte changed: tx %s input %zu: %s\n", name, hex,
                  f.in, script_error_name(f.err));
    assert_true(hash_eq(&f.txid, &bad_txid));
    assert_int_equal(f.in, in);
    assert_int_not_equal(f.err, SCRIPT_ERR_OK);
    blockcoins_free(bc);
}

static void test_main_300025(void **state)
{
    check_block("block300025", 300025, 461, 1427, FLAGS_MAIN_300025, false);
}

static void test_testnet_928828(void **state)
{
    check_block("block928828", 928828, 201, 1972, FLAGS_TESTNET_928828, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_300025),
        cmocka_unit_test(test_testnet_928828),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
