/* Taproot spends built and signed here, checked through
 * script_verify_input under Core's standard and mandatory flags: the key
 * path (with and without an annex) and the script path over a four-leaf
 * tree: OP_CHECKSIG, a 2-of-3 OP_CHECKSIGADD, an OP_SUCCESS leaf and a
 * leaf whose signature checks exceed the validation-weight budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/serialize.h"
#include "chain/script/interpreter.h"
#include "chain/script/pubkey.h"
#include "chain/script/taproot.h"
#include "chain/util/xmalloc.h"
#include "tests/unit/chain_testutil.h"
#include "tests/unit/script_testutil.h"
#include "tests/unit/taproot_testutil.h"

#include <string.h>

#define AMOUNT 100000
#define NLEAVES 4
#define CB_LEN (TAPROOT_CONTROL_BASE_SIZE + 2 * TAPROOT_CONTROL_NODE_SIZE)
/* The budget leaf checks one signature `repeats` times (OP_DUP <key>
 * OP_CHECKSIGVERIFY, then <key> OP_CHECKSIG): each check costs 50 of
 * BIP342's budget (50 + witness size) but adds only 35 witness bytes, so
 * enough of them run over. */
#define CHEAP_REPEATS 4
#define COSTLY_REPEATS 24

enum leaf_id { LEAF_CHECKSIG, LEAF_MULTI, LEAF_SUCCESS, LEAF_BUDGET };

struct fixture {
    secp256k1_context *ctx;
    secp256k1_keypair keys[3], internal_kp, tweaked_kp;
    uint8_t x[3][32], internal[32], output[32], spk[34];
    uint8_t scripts[NLEAVES][1024];
    size_t script_len[NLEAVES];
    uint8_t leaf_hash[NLEAVES][32];
    uint8_t cb[NLEAVES][CB_LEN];
};

static size_t push_key(uint8_t *s, const uint8_t x[32])
{
    s[0] = 32;
    memcpy(s + 1, x, 32);
    return 33;
}

static size_t budget_script(uint8_t *s, const uint8_t x[32], int repeats)
{
    size_t n = 0;
    for (int i = 1; i < repeats; i++) {
        s[n++] = OP_DUP;
        n += push_key(s + n, x);
        s[n++] = OP_CHECKSIGVERIFY;
    }
    n += push_key(s + n, x);
    s[n++] = OP_CHECKSIG;
    return n;
}

static void build_scripts(struct fixture *f, int budget_repeats)
{
    uint8_t *s = f->scripts[LEAF_CHECKSIG];
    size_t n = push_key(s, f->x[0]);
    s[n++] = OP_CHECKSIG;
    f->script_len[LEAF_CHECKSIG] = n;

    s = f->scripts[LEAF_MULTI];
    n = push_key(s, f->x[0]);
    s[n++] = OP_CHECKSIG;
    n += push_key(s + n, f->x[1]);
    s[n++] = OP_CHECKSIGADD;
    n += push_key(s + n, f->x[2]);
    s[n++] = OP_CHECKSIGADD;
    s[n++] = OP_2;
    s[n++] = OP_NUMEQUAL;
    f->script_len[LEAF_MULTI] = n;

    f->scripts[LEAF_SUCCESS][0] = OP_RESERVED; /* OP_SUCCESS80 in tapscript */
    f->script_len[LEAF_SUCCESS] = 1;

    f->script_len[LEAF_BUDGET] = budget_script(f->scripts[LEAF_BUDGET], f->x[0], budget_repeats);
}

/* Tree ((checksig, multi), (success, budget)): leaf hashes, root, output
 * key, and each leaf's control block (sibling leaf, then other branch). */
static void build_tree(struct fixture *f)
{
    uint8_t left[32], right[32], root[32], tweak[32];
    int parity;
    for (int i = 0; i < NLEAVES; i++)
        taproot_leaf_hash(f->leaf_hash[i], TAPROOT_LEAF_TAPSCRIPT, f->scripts[i],
                          f->script_len[i]);
    taproot_branch_hash(left, f->leaf_hash[0], f->leaf_hash[1]);
    taproot_branch_hash(right, f->leaf_hash[2], f->leaf_hash[3]);
    taproot_branch_hash(root, left, right);
    assert_true(pubkey_taproot_output(f->output, &parity, f->internal, root));
    for (int i = 0; i < NLEAVES; i++) {
        f->cb[i][0] = (uint8_t)(TAPROOT_LEAF_TAPSCRIPT | parity);
        memcpy(f->cb[i] + 1, f->internal, 32);
        memcpy(f->cb[i] + 33, f->leaf_hash[i ^ 1], 32);
        memcpy(f->cb[i] + 65, i < 2 ? right : left, 32);
    }
    f->spk[0] = OP_1;
    f->spk[1] = 32;
    memcpy(f->spk + 2, f->output, 32);
    f->tweaked_kp = f->internal_kp;
    test_tap_tweak(tweak, f->internal, root);
    assert_true(secp256k1_keypair_xonly_tweak_add(f->ctx, &f->tweaked_kp, tweak));
}

static struct fixture *fixture_new(int budget_repeats)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t sec[32];
    for (int i = 0; i < 3; i++) {
        memset(sec, 0x11 * (i + 1), 32);
        test_keypair(f->ctx, sec, &f->keys[i], f->x[i]);
    }
    memset(sec, 0x77, 32);
    test_keypair(f->ctx, sec, &f->internal_kp, f->internal);
    build_scripts(f, budget_repeats);
    build_tree(f);
    return f;
}

static int setup_cheap(void **state)
{
    *state = fixture_new(CHEAP_REPEATS);
    return 0;
}

static int setup_costly(void **state)
{
    *state = fixture_new(COSTLY_REPEATS);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    secp256k1_context_destroy(f->ctx);
    free(f);
    return 0;
}

/* BIP341 signature of the fixture's spend: key path (leaf NULL) or the
 * given leaf, with an optional annex, by keypair kp. */
static void sign(const struct fixture *f, const secp256k1_keypair *kp,
                 const uint8_t *leaf, const uint8_t *annex, size_t annex_len, uint8_t sig[64])
{
    struct script_test_spend t;
    struct sighash_taproot_exec exec = {.ext_flag = leaf ? 1 : 0, .codesep_pos = 0xffffffff};
    uint8_t h[32], aux[32] = {0};
    assert_true(script_test_build(&t, NULL, 0, f->spk, sizeof(f->spk), NULL, 0, AMOUNT));
    if (leaf)
        memcpy(exec.tapleaf_hash, leaf, 32);
    if (annex) {
        struct wbuf w;
        wbuf_init(&w);
        wbuf_varbytes(&w, annex, annex_len);
        hash_sha256(w.data, w.len, exec.annex_hash);
        wbuf_free(&w);
        exec.have_annex = true;
    }
    assert_true(sighash_taproot(h, &t.d, 0, SIGHASH_DEFAULT, &exec));
    assert_true(secp256k1_schnorrsig_sign32(f->ctx, sig, h, kp, aux));
    script_test_free(&t);
}

/* Verifies the spend of spk with witness wit under flags: the result must
 * be want (SCRIPT_ERR_OK: valid). */
static void expect(const uint8_t *spk, const struct tx_witem *wit, size_t n, uint32_t flags,
                   enum script_error want)
{
    struct script_test_spend t;
    assert_true(script_test_build(&t, NULL, 0, spk, 34, wit, n, AMOUNT));
    enum script_error err = script_test_verify(&t, flags, NULL, false);
    if (err != want)
        fail_msg("flags %#x: got %s, want %s", flags, script_error_name(err),
                 script_error_name(want));
    script_test_free(&t);
}

/* The same outcome under both of Core's flag sets. */
static void expect_both(const uint8_t *spk, const struct tx_witem *wit, size_t n,
                        enum script_error want)
{
    expect(spk, wit, n, SCRIPT_STANDARD_FLAGS, want);
    expect(spk, wit, n, SCRIPT_MANDATORY_FLAGS, want);
}

static void test_key_path(void **state)
{
    struct fixture *f = *state;
    uint8_t sig[64], bad[64];
    sign(f, &f->tweaked_kp, NULL, NULL, 0, sig);
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}}, 1, SCRIPT_ERR_OK);
    /* The untweaked internal key is the wrong key for the output. */
    sign(f, &f->internal_kp, NULL, NULL, 0, bad);
    expect_both(f->spk, (struct tx_witem[]){{bad, 64}}, 1, SCRIPT_ERR_SCHNORR_SIG);
    /* Explicit SIGHASH_ALL byte: a different message, so this signature
     * (made for DEFAULT) fails; a 66-byte one is the wrong size. */
    uint8_t sig65[66];
    memcpy(sig65, sig, 64);
    sig65[64] = SIGHASH_ALL;
    expect_both(f->spk, (struct tx_witem[]){{sig65, 65}}, 1, SCRIPT_ERR_SCHNORR_SIG);
    expect_both(f->spk, (struct tx_witem[]){{sig65, 66}}, 1, SCRIPT_ERR_SCHNORR_SIG_SIZE);
    /* An explicit 0x00 hash type is not DEFAULT: refused. */
    sig65[64] = SIGHASH_DEFAULT;
    expect_both(f->spk, (struct tx_witem[]){{sig65, 65}}, 1, SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
}

static void test_annex(void **state)
{
    struct fixture *f = *state;
    static const uint8_t annex[] = {0x50, 0xde, 0xad};
    uint8_t sig[64], plain[64];
    sign(f, &f->tweaked_kp, NULL, annex, sizeof(annex), sig);
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, {annex, sizeof(annex)}}, 2, SCRIPT_ERR_OK);
    /* The annex is committed to: a signature made without it fails. */
    sign(f, &f->tweaked_kp, NULL, NULL, 0, plain);
    expect_both(f->spk, (struct tx_witem[]){{plain, 64}, {annex, sizeof(annex)}}, 2,
                SCRIPT_ERR_SCHNORR_SIG);
    /* On the script path too. */
    sign(f, &f->keys[0], f->leaf_hash[LEAF_CHECKSIG], annex, sizeof(annex), sig);
    expect_both(f->spk,
                (struct tx_witem[]){{sig, 64},
                                {f->scripts[LEAF_CHECKSIG], f->script_len[LEAF_CHECKSIG]},
                                {f->cb[LEAF_CHECKSIG], CB_LEN},
                                {annex, sizeof(annex)}},
                4, SCRIPT_ERR_OK);
}

static void test_script_path_checksig(void **state)
{
    struct fixture *f = *state;
    uint8_t sig[64], cb[CB_LEN];
    const uint8_t *leaf = f->leaf_hash[LEAF_CHECKSIG];
    struct tx_witem script = {f->scripts[LEAF_CHECKSIG], f->script_len[LEAF_CHECKSIG]};
    sign(f, &f->keys[0], leaf, NULL, 0, sig);
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, script, {f->cb[LEAF_CHECKSIG], CB_LEN}}, 3,
                SCRIPT_ERR_OK);
    /* Wrong key: key 2 signs for key 1's leaf. */
    uint8_t bad[64];
    sign(f, &f->keys[1], leaf, NULL, 0, bad);
    expect_both(f->spk, (struct tx_witem[]){{bad, 64}, script, {f->cb[LEAF_CHECKSIG], CB_LEN}}, 3,
                SCRIPT_ERR_SCHNORR_SIG);
    /* Wrong control block: a path node changed, the parity flipped, a
     * size that is not 33 + 32k. */
    memcpy(cb, f->cb[LEAF_CHECKSIG], CB_LEN);
    cb[40] ^= 1;
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, script, {cb, CB_LEN}}, 3,
                SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    memcpy(cb, f->cb[LEAF_CHECKSIG], CB_LEN);
    cb[0] ^= 1;
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, script, {cb, CB_LEN}}, 3,
                SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, script, {f->cb[LEAF_CHECKSIG], CB_LEN - 1}},
                3, SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE);
    /* Another leaf's control block does not commit to this script. */
    expect_both(f->spk, (struct tx_witem[]){{sig, 64}, script, {f->cb[LEAF_MULTI], CB_LEN}}, 3,
                SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
}

static void test_checksigadd_2_of_3(void **state)
{
    struct fixture *f = *state;
    uint8_t s1[64], s2[64], s3[64];
    const uint8_t *leaf = f->leaf_hash[LEAF_MULTI];
    struct tx_witem script = {f->scripts[LEAF_MULTI], f->script_len[LEAF_MULTI]};
    struct tx_witem cb = {f->cb[LEAF_MULTI], CB_LEN};
    struct tx_witem none = {NULL, 0};
    sign(f, &f->keys[0], leaf, NULL, 0, s1);
    sign(f, &f->keys[1], leaf, NULL, 0, s2);
    sign(f, &f->keys[2], leaf, NULL, 0, s3);
    /* Key 1's check pops the top item: the stack lists key 3's first. */
    expect_both(f->spk, (struct tx_witem[]){{s3, 64}, none, {s1, 64}, script, cb}, 5, SCRIPT_ERR_OK);
    expect_both(f->spk, (struct tx_witem[]){none, {s2, 64}, {s1, 64}, script, cb}, 5, SCRIPT_ERR_OK);
    expect_both(f->spk, (struct tx_witem[]){{s3, 64}, {s2, 64}, {s1, 64}, script, cb}, 5,
                SCRIPT_ERR_EVAL_FALSE);
    /* One signature is not enough. */
    expect_both(f->spk, (struct tx_witem[]){none, none, {s1, 64}, script, cb}, 5,
                SCRIPT_ERR_EVAL_FALSE);
    /* Wrong key: key 2's signature in key 3's place. */
    expect_both(f->spk, (struct tx_witem[]){{s2, 64}, none, {s1, 64}, script, cb}, 5,
                SCRIPT_ERR_SCHNORR_SIG);
}

static void test_op_success(void **state)
{
    struct fixture *f = *state;
    struct tx_witem wit[] = {{f->scripts[LEAF_SUCCESS], 1}, {f->cb[LEAF_SUCCESS], CB_LEN}};
    expect(f->spk, wit, 2, SCRIPT_STANDARD_FLAGS, SCRIPT_ERR_DISCOURAGE_OP_SUCCESS);
    expect(f->spk, wit, 2, SCRIPT_MANDATORY_FLAGS, SCRIPT_ERR_OK);
    /* Still committed to: the wrong control block fails first. */
    struct tx_witem wrong[] = {{f->scripts[LEAF_SUCCESS], 1}, {f->cb[LEAF_BUDGET], CB_LEN}};
    expect(f->spk, wrong, 2, SCRIPT_MANDATORY_FLAGS, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
}

/* The budget leaf: CHEAP_REPEATS checks fit the budget, COSTLY_REPEATS
 * do not (the fixture decides which one the tree holds). */
static void check_budget(struct fixture *f, enum script_error want)
{
    uint8_t sig[64];
    sign(f, &f->keys[0], f->leaf_hash[LEAF_BUDGET], NULL, 0, sig);
    expect_both(f->spk,
                (struct tx_witem[]){{sig, 64},
                                {f->scripts[LEAF_BUDGET], f->script_len[LEAF_BUDGET]},
                                {f->cb[LEAF_BUDGET], CB_LEN}},
                3, want);
}

static void test_budget_within(void **state)
{
    check_budget(*state, SCRIPT_ERR_OK);
}

static void test_budget_over(void **state)
{
    check_budget(*state, SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_path, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_annex, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_script_path_checksig, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_checksigadd_2_of_3, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_op_success, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_budget_within, setup_cheap, teardown),
        cmocka_unit_test_setup_teardown(test_budget_over, setup_costly, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
