/* Chainstate: chains built here block by block: linear growth, reorgs,
 * invalid blocks inside heavier branches, double spends across a reorg,
 * each kind of defective block, CVE-2012-2459 and persistence. */
#include "chain/validation/chainstate.h"
#include "chain/validation/coinstats.h"
#include "chain/mempool/mempool.h"
#include "chain/storage/store.h"
#include "chain/validation/validation.h"
#include "tests/unit/chainstate_fixture.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int setup(void **state)
{
    return csfix_setup(state, "chainstate");
}

static int teardown(void **state)
{
    return csfix_teardown(state);
}

/* A block on parent: coinbase claiming subsidy + fees, then txs. */
static struct block *make_block(struct csfix *f, const struct bindex_node *parent,
                                struct tx **txs, size_t n, int64_t fees)
{
    int height = parent->height + 1;
    struct tx *all[16];
    all[0] = testutil_coinbase(height, params_block_subsidy(f->p, height) + fees, ++f->tag);
    for (size_t i = 0; i < n; i++)
        all[1 + i] = txs[i];
    return testutil_block(&parent->hash, parent->hdr.time + 600, all, n + 1);
}

static enum chainstate_status submit(struct csfix *f, struct block *b, const char **reason)
{
    char *err = NULL;
    const char *r = NULL;
    enum chainstate_status st = chainstate_process_block(f->cs, b, &r, &err);
    if (st == CHAINSTATE_ERROR)
        fail_msg("process_block: %s", err);
    if (reason)
        *reason = r;
    return st;
}

/* Mines n coinbase-only blocks on parent; returns the last node. */
static const struct bindex_node *mine(struct csfix *f, const struct bindex_node *parent, int n)
{
    for (int i = 0; i < n; i++) {
        struct block *b = make_block(f, parent, NULL, 0, 0);
        assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
        parent = chainstate_find(f->cs, &b->hash);
        block_free(b);
    }
    return parent;
}

static struct outpoint coinbase_of(struct csfix *f, int height)
{
    struct block *b = chainstate_get_block(f->cs, &chainstate_at(f->cs, height)->hash, NULL);
    struct outpoint op = {b->txs[0]->txid, 0};
    block_free(b);
    return op;
}

static bool have_coin(struct csfix *f, const struct outpoint *op)
{
    struct coin c = {0};
    bool ok = chainstate_coin_lookup(f->cs, op, &c);
    coin_clear(&c);
    return ok;
}

static void test_linear_and_persist(void **state)
{
    struct csfix *f = *state;
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &f->p->genesis_hash));
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 120);
    assert_int_equal(chainstate_height(f->cs), 120);
    assert_ptr_equal(chainstate_tip(f->cs), tip);
    assert_ptr_equal(chainstate_best_header(f->cs), tip);
    assert_int_equal(f->connected, 120);
    struct outpoint op = coinbase_of(f, 5);
    assert_true(have_coin(f, &op));
    struct block *again = chainstate_get_block(f->cs, &tip->hash, NULL);
    assert_int_equal(submit(f, again, NULL), CHAINSTATE_DUPLICATE);
    block_free(again);

    /* Spend a mature coinbase, then check everything survives reopening. */
    int64_t out = 10 * TX_COIN;
    struct tx *spend = testutil_spend(&op, 1, &out, 1, 0);
    struct outpoint spent_out = {spend->txid, 0};
    struct block *b = make_block(f, tip, &spend, 1, params_block_subsidy(f->p, 5) - out);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
    block_free(b);
    assert_false(have_coin(f, &op));
    assert_true(have_coin(f, &spent_out));
    struct hash256 tip_hash = chainstate_tip(f->cs)->hash;
    csfix_reopen(f);
    assert_int_equal(chainstate_height(f->cs), 121);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &tip_hash));
    assert_false(have_coin(f, &op));
    assert_true(have_coin(f, &spent_out));
    struct coin c = {0};
    assert_true(chainstate_coin_lookup(f->cs, &spent_out, &c));
    assert_int_equal(c.value, out);
    assert_int_equal(c.height, 121);
    assert_false(c.coinbase);
    coin_clear(&c);
}

static void test_reorg(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *g = chainstate_tip(f->cs);
    const struct bindex_node *fork = mine(f, g, 5);
    const struct bindex_node *a = mine(f, fork, 5);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    f->connected = 0;
    /* A branch of equal work stays aside: the first seen wins. */
    const struct bindex_node *b = mine(f, fork, 5);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    assert_int_equal(f->connected, 0);
    b = mine(f, b, 1);
    assert_ptr_equal(chainstate_tip(f->cs), b);
    assert_int_equal(f->disconnected, 5);
    assert_int_equal(f->last_disconnected, 6);
    assert_int_equal(f->connected, 6);
    assert_int_equal(f->last_connected, 11);
    /* The old branch's coinbases are gone from the UTXO set. */
    struct block *old = chainstate_get_block(f->cs, &a->hash, NULL);
    struct outpoint op = {old->txs[0]->txid, 0};
    block_free(old);
    assert_false(have_coin(f, &op));
    op = coinbase_of(f, 11);
    assert_true(have_coin(f, &op));
    /* And back, and it all persists. */
    a = mine(f, a, 2);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    struct hash256 want = a->hash;
    csfix_reopen(f);
    assert_int_equal(chainstate_height(f->cs), 12);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &want));
}

/* A block that is fine alone but spends a coin that does not exist. */
static struct block *bad_spend_block(struct csfix *f, const struct bindex_node *parent)
{
    struct outpoint nowhere = {{{0x42}}, 7};
    int64_t v = 1000;
    struct tx *t = testutil_spend(&nowhere, 1, &v, 1, 0);
    return make_block(f, parent, &t, 1, 0);
}

static void test_invalid_in_heavier_branch(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *fork = mine(f, chainstate_tip(f->cs), 5);
    const struct bindex_node *a = mine(f, fork, 5);
    /* Branch b: two good blocks, a bad one, then more on top: it has more
     * work, but the tip must come back to a. */
    const struct bindex_node *b = mine(f, fork, 2);
    struct block *bad = bad_spend_block(f, b);
    const char *reason = NULL;
    assert_int_equal(submit(f, bad, &reason), CHAINSTATE_ACCEPTED); /* less work: stored only */
    const struct bindex_node *badn = chainstate_find(f->cs, &bad->hash);
    block_free(bad);
    const struct bindex_node *top = badn;
    for (int i = 0; i < 4; i++) {
        struct block *blk = make_block(f, top, NULL, 0, 0);
        enum chainstate_status st = submit(f, blk, &reason);
        top = chainstate_find(f->cs, &blk->hash);
        block_free(blk);
        if (i < 2)
            assert_int_equal(st, CHAINSTATE_ACCEPTED);
        else if (i == 2) /* the branch overtakes, fails at badn, falls back */
            assert_int_equal(st, CHAINSTATE_INVALID);
        else
            assert_int_equal(st, CHAINSTATE_INVALID); /* child of an invalid block */
    }
    assert_ptr_equal(chainstate_tip(f->cs), a);
    assert_true(badn->status & BINDEX_FAILED);
    assert_string_equal(badn->reason, "bad-txns-inputs-missingorspent");
    assert_true(badn->prev->status == (BINDEX_HAVE_DATA | BINDEX_HAVE_UNDO));
    assert_ptr_equal(chainstate_best_header(f->cs), a);
    /* The UTXO set is a's: b's good blocks were undone. */
    struct block *bb = chainstate_get_block(f->cs, &b->hash, NULL);
    struct outpoint op = {bb->txs[0]->txid, 0};
    block_free(bb);
    assert_false(have_coin(f, &op));
    /* The verdict survives a restart. */
    struct hash256 bad_hash = badn->hash, a_hash = a->hash;
    csfix_reopen(f);
    badn = chainstate_find(f->cs, &bad_hash);
    assert_true(badn->status & BINDEX_FAILED);
    assert_ptr_equal(chainstate_tip(f->cs), chainstate_find(f->cs, &a_hash));
}

static void test_double_spend_across_reorg(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *fork = mine(f, chainstate_tip(f->cs), 101);
    struct outpoint coin = coinbase_of(f, 1);
    int64_t va = 20 * TX_COIN, vb = 30 * TX_COIN;
    struct tx *ta = testutil_spend(&coin, 1, &va, 1, 0);
    struct tx *tb = testutil_spend(&coin, 1, &vb, 1, 0);
    struct outpoint oa = {ta->txid, 0}, ob = {tb->txid, 0};
    tx_free(tb); /* rebuilt identically below */
    int64_t fee_a = 50 * TX_COIN - va, fee_b = 50 * TX_COIN - vb;
    struct block *blk = make_block(f, fork, &ta, 1, fee_a);
    assert_int_equal(submit(f, blk, NULL), CHAINSTATE_ACCEPTED);
    block_free(blk);
    assert_true(have_coin(f, &oa));
    /* The same coin again on the same chain: a double spend. */
    tb = testutil_spend(&coin, 1, &vb, 1, 1);
    const char *reason = NULL;
    blk = make_block(f, chainstate_tip(f->cs), &tb, 1, fee_b);
    assert_int_equal(submit(f, blk, &reason), CHAINSTATE_INVALID);
    assert_string_equal(reason, "bad-txns-inputs-missingorspent");
    block_free(blk);
    /* On a competing branch it is fine, and wins after a reorg. */
    tb = testutil_spend(&coin, 1, &vb, 1, 0);
    blk = make_block(f, fork, &tb, 1, fee_b);
    assert_int_equal(submit(f, blk, NULL), CHAINSTATE_ACCEPTED);
    const struct bindex_node *b = chainstate_find(f->cs, &blk->hash);
    block_free(blk);
    mine(f, b, 1);
    assert_ptr_equal(chainstate_tip(f->cs)->prev, b);
    assert_false(have_coin(f, &oa));
    assert_true(have_coin(f, &ob));
    assert_false(have_coin(f, &coin));
}

/* Each defect on a block at the tip, with Core's reason. */
static void expect_reject(struct csfix *f, struct block *b, const char *want, bool marks_header)
{
    const char *reason = NULL;
    assert_int_equal(submit(f, b, &reason), CHAINSTATE_INVALID);
    assert_string_equal(reason, want);
    const struct bindex_node *n = chainstate_find(f->cs, &b->hash);
    if (marks_header)
        assert_true(n && (n->status & BINDEX_FAILED));
    else
        assert_true(!n || !(n->status & BINDEX_FAILED_MASK));
    block_free(b);
}

static void test_defects(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 101);
    int64_t subsidy = params_block_subsidy(f->p, tip->height + 1);

    struct block *b = make_block(f, tip, NULL, 0, 0);
    testutil_grind(&b->hdr, 0);
    b = testutil_rebuild(b);
    expect_reject(f, b, "high-hash", false);

    b = make_block(f, tip, NULL, 0, 0);
    b->hdr.merkle.b[0] ^= 1;
    testutil_grind(&b->hdr, 1);
    expect_reject(f, testutil_rebuild(b), "bad-txnmrklroot", false);

    struct tx *two[1] = {testutil_coinbase(tip->height + 1, 1, 99)};
    expect_reject(f, make_block(f, tip, two, 1, 0), "bad-cb-multiple", true);

    struct outpoint nowhere = {{{0x55}}, 0};
    int64_t v = 1;
    struct tx *t = testutil_spend(&nowhere, 1, &v, 1, 0);
    expect_reject(f, make_block(f, tip, &t, 1, 0), "bad-txns-inputs-missingorspent", true);

    expect_reject(f, make_block(f, tip, NULL, 0, 1), "bad-cb-amount", true);

    struct outpoint mature = coinbase_of(f, 1), young = coinbase_of(f, 50);
    v = subsidy + 1;
    t = testutil_spend(&mature, 1, &v, 1, 0);
    expect_reject(f, make_block(f, tip, &t, 1, 0), "bad-txns-in-belowout", true);
    v = 1;
    t = testutil_spend(&young, 1, &v, 1, 0);
    expect_reject(f, make_block(f, tip, &t, 1, 0), "bad-txns-premature-spend-of-coinbase",
                  true);
    /* A missing input outranks an immature one (Core's HaveInputs first). */
    struct outpoint both[2] = {young, nowhere};
    t = testutil_spend(both, 2, &v, 1, 0);
    expect_reject(f, make_block(f, tip, &t, 1, 0), "bad-txns-inputs-missingorspent", true);

    /* Overweight: four transactions of 300 kB each, 1.2 MB of base size. */
    struct tx *big[4];
    for (int i = 0; i < 4; i++) {
        struct outpoint o = coinbase_of(f, 2 + i);
        big[i] = testutil_spend(&o, 1, &v, 1, 300000);
    }
    expect_reject(f, make_block(f, tip, big, 4, 0), "bad-blk-length", true);

    /* Wrong BIP34 height in the coinbase. */
    struct tx *cb = testutil_coinbase(tip->height + 7, subsidy, 1234);
    expect_reject(f, testutil_block(&tip->hash, tip->hdr.time + 600, &cb, 1), "bad-cb-height",
                  true);
    /* Timestamp not above the median of the last 11. */
    cb = testutil_coinbase(tip->height + 1, subsidy, 1235);
    expect_reject(f, testutil_block(&tip->hash, bindex_median_time_past(tip), &cb, 1),
                  "time-too-old", true);
    /* Bits other than the expected ones. */
    b = make_block(f, tip, NULL, 0, 0);
    b->hdr.bits = 0x1f7fffff;
    testutil_grind(&b->hdr, 1);
    expect_reject(f, testutil_rebuild(b), "bad-diffbits", true);
    /* Unknown parent. */
    struct block_header orphan = tip->hdr;
    orphan.prev.b[5] ^= 0xff;
    cb = testutil_coinbase(tip->height + 1, subsidy, 1236);
    b = testutil_block(&orphan.prev, tip->hdr.time + 600, &cb, 1);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_MISSING_PARENT);
    block_free(b);
    /* None of it moved the tip; a good block still connects. */
    assert_ptr_equal(chainstate_tip(f->cs), tip);
    mine(f, tip, 1);
    assert_int_equal(chainstate_height(f->cs), tip->height + 1);
}

/* Connects a block with tx on parent: the new tip. */
static const struct bindex_node *accept_with(struct csfix *f, const struct bindex_node *parent,
                                             struct tx *tx)
{
    struct block *b = make_block(f, parent, &tx, 1, 0);
    const char *reason = NULL;
    enum chainstate_status st = submit(f, b, &reason);
    if (st != CHAINSTATE_ACCEPTED)
        fail_msg("block rejected: %s", reason ? reason : "?");
    const struct bindex_node *n = chainstate_find(f->cs, &b->hash);
    block_free(b);
    assert_ptr_equal(chainstate_tip(f->cs), n);
    return n;
}

/* BIP68 in blocks, with blocks 600 s apart. A coin confirmed at 102
 * spent with a 3-block lock is non-final in blocks 103 and 104 and final
 * in 105. With a 1024 s lock it counts from the median time past of block
 * 101 (the block before the coin's), so it is final in 104 and not in
 * 103; counting from block 102's it would still be locked in 104. Version
 * 1 transactions have no relative locks. */
static void test_bip68_in_blocks(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 101);
    struct outpoint cb = coinbase_of(f, 1);
    int64_t half = params_block_subsidy(f->p, 1) / 2, outs[3] = {half / 2, half / 2, half};
    struct tx *parent = testutil_spend(&cb, 1, outs, 3, 0);
    struct outpoint by_height = {parent->txid, 0}, by_time = {parent->txid, 1},
                    v1 = {parent->txid, 2};
    tip = accept_with(f, tip, parent);
    assert_int_equal(tip->height, 102);

    struct tx *h3 = testutil_resequence(testutil_spend(&by_height, 1, &outs[0], 1, 0), 3, 2);
    struct tx *t1024 = testutil_resequence(testutil_spend(&by_time, 1, &outs[1], 1, 0),
                                           (1u << 22) | 2, 2);
    struct tx *old = testutil_resequence(testutil_spend(&v1, 1, &outs[2], 1, 0), 3, 1);
    struct tx *one = tx_ref(h3);
    expect_reject(f, make_block(f, tip, &one, 1, 0), "bad-txns-nonfinal", true);
    one = tx_ref(t1024);
    expect_reject(f, make_block(f, tip, &one, 1, 0), "bad-txns-nonfinal", true);
    tip = accept_with(f, tip, old); /* 103 */
    one = tx_ref(h3);
    expect_reject(f, make_block(f, tip, &one, 1, 0), "bad-txns-nonfinal", true);
    tip = accept_with(f, tip, t1024); /* 104 */
    tip = accept_with(f, tip, h3);    /* 105 */
    assert_int_equal(tip->height, 105);

    /* A coin created in the same block is locked by any positive height
     * lock, and free with a lock of 0. */
    struct outpoint c2 = coinbase_of(f, 2);
    int64_t full = params_block_subsidy(f->p, 2);
    struct tx *txs[2] = {testutil_spend(&c2, 1, &full, 1, 0), NULL};
    struct outpoint same = {txs[0]->txid, 0};
    txs[1] = testutil_resequence(testutil_spend(&same, 1, &full, 1, 0), 1, 2);
    expect_reject(f, make_block(f, tip, txs, 2, 0), "bad-txns-nonfinal", true);
    txs[0] = testutil_spend(&c2, 1, &full, 1, 0);
    txs[1] = testutil_resequence(testutil_spend(&same, 1, &full, 1, 0), 0, 2);
    struct block *b = make_block(f, tip, txs, 2, 0);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
    block_free(b);
    assert_int_equal(chainstate_height(f->cs), 106);
}

/* BIP30 on a chain whose BIP34 height is far off: a coinbase repeating
 * the txid of an unspent one is refused; once the first one's output is
 * spent, the repeat may be mined (nothing unspent is overwritten). */
static void test_bip30(void **state)
{
    struct csfix *f = *state;
    static struct chain_params late_bip34;
    late_bip34 = *params_get(CHAIN_REGTEST);
    late_bip34.bip34_height = 100000;
    f->p = &late_bip34;
    csfix_reopen(f);
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 1);
    int64_t subsidy = params_block_subsidy(f->p, 2);
    struct tx *cb = testutil_coinbase(7777, subsidy, 42);
    struct outpoint first = {cb->txid, 0};
    struct block *b = testutil_block(&tip->hash, tip->hdr.time + 600, &cb, 1);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
    tip = chainstate_find(f->cs, &b->hash);
    block_free(b);
    cb = testutil_coinbase(7777, subsidy, 42);
    expect_reject(f, testutil_block(&tip->hash, tip->hdr.time + 600, &cb, 1), "bad-txns-BIP30",
                  true);

    tip = mine(f, tip, 100);
    tip = accept_with(f, tip, testutil_spend(&first, 1, &subsidy, 1, 0));
    cb = testutil_coinbase(7777, subsidy, 42);
    b = testutil_block(&tip->hash, tip->hdr.time + 600, &cb, 1);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
    assert_ptr_equal(chainstate_tip(f->cs), chainstate_find(f->cs, &b->hash));
    block_free(b);
}

static void test_cve_2012_2459(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 103);
    struct tx *txs[2];
    for (int i = 0; i < 2; i++) {
        struct outpoint o = coinbase_of(f, 1 + i);
        int64_t v = 10 * TX_COIN;
        txs[i] = testutil_spend(&o, 1, &v, 1, 0);
    }
    struct block *good = make_block(f, tip, txs, 2, 80 * TX_COIN);
    /* Three transactions: duplicating the last keeps the merkle root. */
    struct tx *dup[4] = {tx_ref(good->txs[0]), tx_ref(good->txs[1]), tx_ref(good->txs[2]),
                         tx_ref(good->txs[2])};
    struct block *mutated = testutil_block(&tip->hash, good->hdr.time, dup, 4);
    mutated->hdr = good->hdr;
    mutated = testutil_rebuild(mutated);
    assert_true(hash_eq(&mutated->hash, &good->hash));
    const char *reason = NULL;
    assert_int_equal(submit(f, mutated, &reason), CHAINSTATE_INVALID);
    assert_string_equal(reason, "bad-txns-duplicate");
    block_free(mutated);
    /* The header is not condemned: the real block is accepted. */
    assert_int_equal(submit(f, good, NULL), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &good->hash));
    tip = chainstate_tip(f->cs);

    /* A repeat that is not the duplicated tail changes the merkle root:
     * the block is what its header commits to, and invalid as Core finds
     * it, its second copy spending spent coins (the header condemned). */
    for (int i = 0; i < 2; i++) {
        struct outpoint o = coinbase_of(f, 3 + i);
        int64_t v = 10 * TX_COIN;
        txs[i] = testutil_spend(&o, 1, &v, 1, 0);
    }
    struct tx *again[3] = {txs[0], txs[1], tx_ref(txs[0])};
    expect_reject(f, make_block(f, tip, again, 3, 80 * TX_COIN), "bad-txns-inputs-missingorspent",
                  true);
    block_free(good);
}

/* A spend of op (no scriptSig) to script, carrying the one-byte witness
 * items given (none: a legacy serialization). */
static struct tx *witness_spend(const struct outpoint *op, int64_t value, const uint8_t *script,
                                size_t script_len, const uint8_t *const *items, size_t nitems)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    if (nitems) {
        wbuf_u8(&w, 0);
        wbuf_u8(&w, 1);
    }
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, op->hash.b, 32);
    wbuf_u32(&w, op->n);
    wbuf_varbytes(&w, NULL, 0);
    wbuf_u32(&w, 0xffffffff);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, value);
    wbuf_varbytes(&w, script, script_len);
    if (nitems) {
        wbuf_compact(&w, nitems);
        for (size_t i = 0; i < nitems; i++)
            wbuf_varbytes(&w, items[i], 1);
    }
    wbuf_u32(&w, 0);
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    assert_non_null(tx);
    return tx;
}

/* A block on parent with tx after a coinbase that carries the BIP141
 * witness nonce (zero) and the commitment to the block's witness root. */
static struct block *committed_block(struct csfix *f, const struct bindex_node *parent,
                                     struct tx *tx, int64_t fees)
{
    int height = parent->height + 1;
    struct block *draft = make_block(f, parent, (struct tx *[]){tx_ref(tx)}, 1, fees);
    uint8_t buf[64] = {0};
    block_witness_merkle_root(draft, (struct hash256 *)buf);
    block_free(draft);
    struct hash256 commit;
    hash_sha256d(buf, sizeof(buf), &commit);
    uint8_t script[16], out[38] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    memcpy(out + 6, commit.b, 32);
    size_t n = validation_bip34_prefix(height, script);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_u8(&w, 0);
    wbuf_u8(&w, 1);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, (uint8_t[32]){0}, 32);
    wbuf_u32(&w, 0xffffffff);
    wbuf_varbytes(&w, script, n);
    wbuf_u32(&w, 0xffffffff);
    wbuf_compact(&w, 2);
    wbuf_i64(&w, params_block_subsidy(f->p, height) + fees);
    wbuf_varbytes(&w, (uint8_t[]){0x51}, 1);
    wbuf_i64(&w, 0);
    wbuf_varbytes(&w, out, sizeof(out));
    wbuf_compact(&w, 1);
    wbuf_varbytes(&w, (uint8_t[32]){0}, 32);
    wbuf_u32(&w, 0);
    const char *why = NULL;
    struct tx *cb = tx_from_bytes(w.data, w.len, &why);
    wbuf_free(&w);
    assert_non_null(cb);
    return testutil_block(&parent->hash, parent->hdr.time + 600, (struct tx *[]){cb, tx}, 2);
}

/* Spends of a P2WSH(OP_TRUE) coin: witness commitments are consensus.
 * A stripped copy under the genuine header is a mutation and condemns
 * nothing; a stripped spend under its own, recommitted header is an
 * invalid block like any other, and so is a wrong witness script. */
static void test_witness_spends(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 101);
    uint8_t p2wsh[34] = {0x00, 0x20};
    hash_sha256((uint8_t[]){0x51}, 1, p2wsh + 2);
    struct outpoint mature = coinbase_of(f, 1);
    struct tx *fund = witness_spend(&mature, 10 * TX_COIN, p2wsh, sizeof(p2wsh), NULL, 0);
    struct outpoint coin = {fund->txid, 0};
    struct block *b = make_block(f, tip, &fund, 1, params_block_subsidy(f->p, 1) - 10 * TX_COIN);
    assert_int_equal(submit(f, b, NULL), CHAINSTATE_ACCEPTED);
    tip = chainstate_find(f->cs, &b->hash);
    block_free(b);

    const uint8_t op_true[] = {0x51}, op_2[] = {0x52};
    int64_t v = 9 * TX_COIN;
    struct tx *good = witness_spend(&coin, v, op_true, 1, (const uint8_t *[]){op_true}, 1);
    struct block *genuine = committed_block(f, tip, good, TX_COIN);
    const char *mismatch = "block-script-verify-flag-failed (Witness program hash mismatch)";
    struct tx *swapped = witness_spend(&coin, v, op_true, 1, (const uint8_t *[]){op_2}, 1);
    b = committed_block(f, tip, swapped, TX_COIN);
    struct hash256 swapped_hash = b->hash;
    expect_reject(f, b, mismatch, true);
    /* The genuine header over the stripped transaction. */
    struct tx *bare = witness_spend(&coin, v, op_true, 1, NULL, 0);
    assert_true(hash_eq(&bare->txid, &good->txid));
    b = testutil_block(&tip->hash, genuine->hdr.time,
                       (struct tx *[]){tx_ref(genuine->txs[0]), tx_ref(bare)}, 2);
    b->hdr = genuine->hdr;
    b = testutil_rebuild(b);
    assert_true(hash_eq(&b->hash, &genuine->hash));
    expect_reject(f, b, "bad-witness-merkle-match", false);
    /* Stripped and recommitted: another header, which no witness can fix. */
    b = committed_block(f, tip, bare, TX_COIN);
    assert_false(hash_eq(&b->hash, &genuine->hash));
    expect_reject(f, b, "block-script-verify-flag-failed (Witness program was passed an "
                        "empty witness)", true);
    assert_ptr_equal(chainstate_tip(f->cs), tip);
    assert_true(have_coin(f, &coin));

    assert_int_equal(submit(f, genuine, NULL), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &genuine->hash));
    assert_false(have_coin(f, &coin));
    block_free(genuine);
    /* Core's reasons are long: the stored one is whole after a restart. */
    csfix_reopen(f);
    assert_string_equal(chainstate_find(f->cs, &swapped_hash)->reason, mismatch);
}

static void test_headers_then_blocks(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *g = chainstate_tip(f->cs);
    struct block *blocks[6];
    struct block_header hdrs[6];
    struct hash256 prev = g->hash;
    uint32_t time = g->hdr.time;
    for (int i = 0; i < 6; i++) {
        struct tx *cb = testutil_coinbase(i + 1, params_block_subsidy(f->p, i + 1), 500 + i);
        time += 600;
        blocks[i] = testutil_block(&prev, time, &cb, 1);
        hdrs[i] = blocks[i]->hdr;
        prev = blocks[i]->hash;
    }
    char *err = NULL;
    const char *reason = NULL;
    struct hash256 bad;
    assert_int_equal(chainstate_process_headers(f->cs, hdrs, 6, &bad, &reason, &err),
                     CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_process_headers(f->cs, hdrs, 6, &bad, &reason, &err),
                     CHAINSTATE_DUPLICATE);
    assert_int_equal(chainstate_best_header(f->cs)->height, 6);
    assert_int_equal(chainstate_height(f->cs), 0);
    const struct bindex_node *want[10];
    assert_int_equal(chainstate_blocks_to_fetch(f->cs, want, 10), 6);
    assert_int_equal(want[0]->height, 1);
    assert_true(chainstate_initial_download(f->cs)); /* the test chain is from 2011 */
    /* Blocks out of order: the tip moves once the gap is filled. */
    for (int i = 5; i >= 1; i--)
        assert_int_equal(submit(f, blocks[i], NULL), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_int_equal(chainstate_blocks_to_fetch(f->cs, want, 10), 1);
    assert_ptr_equal(want[0], chainstate_find(f->cs, &blocks[0]->hash));
    assert_int_equal(submit(f, blocks[0], NULL), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_height(f->cs), 6);
    /* A bad header stops the batch and is named. */
    struct block_header h = hdrs[5];
    h.prev = blocks[5]->hash;
    h.time = hdrs[5].time + 600;
    h.bits = 0x1f7fffff;
    testutil_grind(&h, 1);
    assert_int_equal(chainstate_process_headers(f->cs, &h, 1, &bad, &reason, &err),
                     CHAINSTATE_INVALID);
    assert_string_equal(reason, "bad-diffbits");
    struct hash256 hh;
    block_header_hash(&h, &hh);
    assert_true(hash_eq(&bad, &hh));
    /* Locator and fork point for getheaders. */
    struct hash256 loc[101];
    size_t n = chainstate_locator(f->cs, NULL, loc, 101);
    assert_int_equal(n, 7);
    assert_ptr_equal(chainstate_find_fork(f->cs, loc + 2, n - 2), chainstate_at(f->cs, 4));
    struct block_header got[10];
    assert_int_equal(chainstate_get_headers(f->cs, loc + 2, n - 2, NULL, got, 10), 2);
    assert_true(hash_eq(&got[0].merkle, &hdrs[4].merkle));
    /* From height 1 on, stopping at height 3. */
    assert_int_equal(chainstate_get_headers(f->cs, loc + 5, n - 5, &blocks[2]->hash, got, 10),
                     2);
    assert_int_equal(chainstate_get_headers(f->cs, loc + 5, n - 5, NULL, got, 2), 2);
    assert_int_equal(chainstate_get_headers(f->cs, NULL, 0, &blocks[3]->hash, got, 10), 1);
    assert_true(hash_eq(&got[0].merkle, &hdrs[3].merkle));
    for (int i = 0; i < 6; i++)
        block_free(blocks[i]);
}

static void test_invalidate_reconsider(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *fork = mine(f, chainstate_tip(f->cs), 5);
    const struct bindex_node *a = mine(f, fork, 5);
    const struct bindex_node *b = mine(f, fork, 4);
    const struct bindex_node *a8 = bindex_ancestor(a, 8);
    char *err = NULL;
    f->disconnected = 0;
    /* Without a8 the best valid chain is b. */
    assert_int_equal(chainstate_invalidate(f->cs, &a8->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), b);
    assert_int_equal(f->disconnected, 5);
    assert_true(a8->status & BINDEX_FAILED);
    assert_true(a->status & BINDEX_FAILED_CHILD);
    assert_ptr_equal(chainstate_best_header(f->cs), b);
    /* Back again: a has more work. */
    assert_int_equal(chainstate_reconsider(f->cs, &a8->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    assert_false(a->status & BINDEX_FAILED_MASK);
    /* A block off the active chain: only its branch is affected. */
    const struct bindex_node *b8 = bindex_ancestor(b, 8);
    assert_int_equal(chainstate_invalidate(f->cs, &b8->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    assert_true(b->status & BINDEX_FAILED_CHILD);
    /* Unknown blocks and genesis are refused. */
    struct hash256 unknown = {{0x77}};
    assert_int_equal(chainstate_invalidate(f->cs, &unknown, &err), -1);
    assert_string_equal(err, "Block not found");
    free(err);
    err = NULL;
    assert_int_equal(chainstate_reconsider(f->cs, &chainstate_at(f->cs, 0)->hash, &err), -1);
    free(err);
    /* The verdicts persist. */
    struct hash256 b_hash = b->hash, a_hash = a->hash;
    csfix_reopen(f);
    assert_true(chainstate_find(f->cs, &b_hash)->status & BINDEX_FAILED_CHILD);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &a_hash));
}

/* The chainstate's callbacks driving the mempool, as the node wires them. */
struct pool_glue {
    struct chainstate *cs;
    struct mempool *mp;
};

static struct mempool_tip tip_of(struct chainstate *cs)
{
    struct mempool_tip t = {chainstate_height(cs), bindex_median_time_past(chainstate_tip(cs)),
                            NULL, NULL, chainstate_script_flags(cs)};
    return t;
}

static void pool_connected(void *ctx, const struct block *b, int height)
{
    struct pool_glue *g = ctx;
    (void)height;
    struct mempool_tip t = tip_of(g->cs);
    mempool_block_connected(g->mp, b, &t);
}

static void pool_disconnected(void *ctx, const struct block *b, int height)
{
    struct pool_glue *g = ctx;
    (void)height;
    struct mempool_tip t = tip_of(g->cs);
    mempool_block_disconnected(g->mp, b, &t, (int64_t)b->hdr.time + 3600);
}

static void test_reorg_updates_mempool(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *fork = mine(f, chainstate_tip(f->cs), 101);
    struct mempool_options mo;
    mempool_options_default(&mo);
    mo.require_standard = false; /* the test's scripts are bare OP_TRUE */
    struct pool_glue g = {f->cs, mempool_new(&mo, chainstate_coin_lookup, f->cs)};
    struct chainstate_callbacks cb = {pool_connected, pool_disconnected, &g, NULL};
    chainstate_add_callbacks(f->cs, &cb);

    struct outpoint coin = coinbase_of(f, 1);
    int64_t v = 50 * TX_COIN - 10000;
    struct tx *t = testutil_spend(&coin, 1, &v, 1, 0);
    struct mempool_reject rej;
    struct mempool_tip tip = tip_of(f->cs);
    assert_int_equal(mempool_accept(g.mp, t, &tip, fork->hdr.time, &rej), MEMPOOL_ACCEPTED);
    struct hash256 txid = t->txid;
    /* Confirmed in a block: it leaves the mempool. */
    struct block *a = make_block(f, fork, &t, 1, 10000);
    assert_int_equal(submit(f, a, NULL), CHAINSTATE_ACCEPTED);
    block_free(a);
    assert_int_equal(mempool_count(g.mp), 0);
    /* A longer branch without it: back in the mempool after the reorg. */
    mine(f, fork, 2);
    assert_int_equal(chainstate_height(f->cs), 103);
    assert_int_equal(mempool_count(g.mp), 1);
    assert_non_null(mempool_get(g.mp, &txid));
    chainstate_remove_callbacks(f->cs, &g);
    mempool_free(g.mp);
}

/* Damage the checks at opening report precisely instead of guessing. */
static void test_open_reports_damage(void **state)
{
    struct csfix *f = *state;
    mine(f, chainstate_tip(f->cs), 3);
    chainstate_close(f->cs);
    f->cs = NULL;
    char *err = NULL;
    /* Another network's store. */
    assert_null(chainstate_open(params_get(CHAIN_MAIN), f->dir, NULL, &err));
    assert_non_null(strstr(err, "genesis block is not main's"));
    free(err);
    /* A best block the block index does not know. */
    char coins[512];
    snprintf(coins, sizeof(coins), "%s/chainstate", f->dir);
    struct store *s = store_open(coins, 1 << 20, &err);
    struct store_batch *b = store_batch_new();
    struct hash256 unknown = {{0xab}};
    store_batch_set_tip(b, &unknown);
    assert_int_equal(store_write(s, b, true, &err), 0);
    store_batch_free(b);
    store_close(s);
    err = NULL;
    assert_null(chainstate_open(f->p, f->dir, NULL, &err));
    assert_non_null(strstr(err, "chainstate tip 0000000000000000000000000000000000000000000000"
                                "0000000000000000ab is not in the block index"));
    free(err);
}

/* preciousblock: a tie goes to the block made precious, the last call
 * wins, less work does nothing, more work still wins. */
static void test_precious(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *fork = mine(f, chainstate_tip(f->cs), 2);
    const struct bindex_node *a = mine(f, fork, 3);
    const struct bindex_node *b = mine(f, fork, 3);
    char *err = NULL;
    assert_ptr_equal(chainstate_tip(f->cs), a); /* first seen */
    f->disconnected = 0;
    assert_int_equal(chainstate_precious(f->cs, &b->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), b);
    assert_int_equal(f->disconnected, 3);
    assert_int_equal(chainstate_precious(f->cs, &a->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    /* Again on the tip: stays. */
    assert_int_equal(chainstate_precious(f->cs, &a->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    assert_int_equal(chainstate_precious(f->cs, &bindex_ancestor(b, fork->height + 1)->hash, &err),
                     0);
    assert_ptr_equal(chainstate_tip(f->cs), a);
    const struct bindex_node *b2 = mine(f, b, 1);
    assert_ptr_equal(chainstate_tip(f->cs), b2);
    assert_int_equal(chainstate_precious(f->cs, &a->hash, &err), 0);
    assert_ptr_equal(chainstate_tip(f->cs), b2);
    struct hash256 unknown = {{0x77}};
    assert_int_equal(chainstate_precious(f->cs, &unknown, &err), -1);
    assert_string_equal(err, "Block not found");
    free(err);
}

static int count_coin(void *ctx, const struct outpoint *op, const struct coin *c)
{
    int64_t *sum = ctx;
    sum[0]++;
    sum[1] += c->value;
    return 0;
}

/* The coin walk and its statistics follow the tip; a block's spent coins
 * come back from its undo data. */
static void test_coins_and_undo(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *tip = mine(f, chainstate_tip(f->cs), 101);
    char *err = NULL;
    struct coinstats before, after, again;
    assert_int_equal(coinstats_compute(f->cs, COINSTATS_HASH_MUHASH, &before, &err), 0);
    assert_int_equal(before.height, 101);
    assert_int_equal(before.txouts, 101); /* one per coinbase; genesis has none */
    assert_int_equal(before.transactions, 101);
    assert_int_equal(before.total_amount, 101 * 50 * 100000000LL);
    assert_true(hash_eq(&before.bestblock, &tip->hash));
    int64_t sum[2] = {0, 0};
    assert_int_equal(chainstate_foreach_coin(f->cs, count_coin, sum, &err), 0);
    assert_int_equal(sum[0], 101);
    assert_int_equal(sum[1], before.total_amount);
    /* Spend the first coinbase into two outputs. */
    struct outpoint op = coinbase_of(f, 1);
    int64_t outs[2] = {30 * 100000000LL, 19 * 100000000LL};
    struct tx *spend = testutil_spend(&op, 1, outs, 2, 0);
    struct block *blk = make_block(f, tip, &spend, 1, 100000000LL);
    assert_int_equal(submit(f, blk, NULL), CHAINSTATE_ACCEPTED);
    const struct bindex_node *n = chainstate_find(f->cs, &blk->hash);
    block_free(blk);
    assert_int_equal(coinstats_compute(f->cs, COINSTATS_HASH_MUHASH, &after, &err), 0);
    assert_int_equal(after.txouts, 101 - 1 + 1 + 2);
    assert_int_equal(after.transactions, 101 - 1 + 1 + 1);
    assert_false(hash_eq(&after.hash, &before.hash));
    struct coin *spent;
    size_t count;
    assert_int_equal(chainstate_spent_coins(f->cs, n, &spent, &count, &err), 1);
    assert_int_equal(count, 1);
    assert_int_equal(spent[0].value, 50 * 100000000LL);
    assert_int_equal(spent[0].height, 1);
    assert_true(spent[0].coinbase);
    coin_clear(&spent[0]);
    free(spent);
    /* Genesis has no undo data. */
    assert_int_equal(chainstate_spent_coins(f->cs, chainstate_at(f->cs, 0), &spent, &count, &err),
                     0);
    /* Back to the old tip: the same set, the same hash. */
    assert_int_equal(chainstate_invalidate(f->cs, &n->hash, &err), 0);
    assert_int_equal(coinstats_compute(f->cs, COINSTATS_HASH_MUHASH, &again, &err), 0);
    assert_true(hash_eq(&again.hash, &before.hash));
    assert_int_equal(again.bogosize, before.bogosize);
    assert_int_equal(coinstats_compute(f->cs, COINSTATS_HASH_NONE, &again, &err), 0);
    assert_true(hash_is_zero(&again.hash));
    assert_int_equal(again.txouts, 101);
}

static int64_t ibd_clock;

static int64_t ibd_now(void)
{
    return ibd_clock;
}

/* Core's IsInitialBlockDownload: a recent tip short of the minimum chain
 * work, or one older than the max tip age, is still initial download;
 * once out, it stays out. */
static void test_initial_download_min_work(void **state)
{
    struct csfix *f = *state;
    chainstate_close(f->cs);
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = 8u << 20;
    o.now = ibd_now;
    o.max_tip_age = 3600;
    o.min_chain_work_given = true;
    memset(&o.min_chain_work, 0, sizeof(o.min_chain_work));
    o.min_chain_work.b[0] = 6; /* genesis and two blocks (2 each on regtest) */
    char *err = NULL;
    f->cs = chainstate_open(f->p, f->dir, &o, &err);
    assert_non_null(f->cs);
    assert_int_equal(chainstate_min_chain_work(f->cs)->w[0], 6);
    const struct bindex_node *tip = chainstate_tip(f->cs);
    ibd_clock = (int64_t)tip->hdr.time + 60; /* recent, but too little work */
    assert_true(chainstate_initial_download(f->cs));
    tip = mine(f, tip, 1);
    assert_true(chainstate_initial_download(f->cs));
    tip = mine(f, tip, 1);
    ibd_clock = (int64_t)tip->hdr.time + 3601; /* enough work, too old */
    assert_true(chainstate_initial_download(f->cs));
    ibd_clock = (int64_t)tip->hdr.time + 3600;
    assert_false(chainstate_initial_download(f->cs));
    ibd_clock += 86400; /* latched */
    assert_false(chainstate_initial_download(f->cs));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linear_and_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initial_download_min_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_in_heavier_branch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_spend_across_reorg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_2012_2459, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bip68_in_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bip30, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_spends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_then_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_reports_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalidate_reconsider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precious, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coins_and_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorg_updates_mempool, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
