/* Mempool: every reject reason, full-RBF, chain limits, eviction and the
 * rolling minimum fee, expiry, block connect/disconnect, the dump file.
 * After each change the whole structure is re-verified (mempool_check). */
#include "chain/mempool/mempool.h"
#include "chain/script/interpreter.h"
#include "chain/validation/scriptcache.h"
#include "chain/mempool/miner.h"
#include "chain/mempool/policy.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define NOW TB_NOW
#define TIP_HEIGHT TB_TIP_HEIGHT

/* Accepts at time now, failing the test with the reason otherwise. */
static void accept_at(struct tb_fx *f, struct tx *tx, int64_t now)
{
    struct mempool_reject rej;
    enum mempool_status st = mempool_accept(f->mp, tx, &f->tip, now, &rej);
    if (st != MEMPOOL_ACCEPTED)
        fail_msg("rejected: %s (%s)", rej.reason, rej.detail);
    tb_fx_check(f);
}

static void accept_ok(struct tb_fx *f, struct tx *tx)
{
    accept_at(f, tx, NOW);
}

/* Expects a rejection with this status and reason; frees tx. */
static void expect_reject(struct tb_fx *f, struct tx *tx, enum mempool_status st, const char *reason)
{
    struct mempool_reject rej;
    size_t before = mempool_count(f->mp);
    enum mempool_status got = mempool_accept(f->mp, tx, &f->tip, NOW, &rej);
    if (got != st || !rej.reason || strcmp(rej.reason, reason) != 0)
        fail_msg("want %d %s, got %d %s (%s)", st, reason, got, rej.reason ? rej.reason : "-",
                 rej.detail);
    assert_int_equal(mempool_count(f->mp), before);
    tb_fx_check(f);
    tx_free(tx);
}

static struct tx *spend1(const struct outpoint *op, int64_t value)
{
    return tb_simple(op, 1, &value, 1);
}

static void test_accept_and_lookup(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct tx *a = spend1(&x, 99000);
    accept_ok(f, a);
    const struct mempool_entry *e = mempool_get(f->mp, &a->txid);
    assert_non_null(e);
    assert_ptr_equal(mempool_get_wtxid(f->mp, &a->wtxid), e);
    assert_ptr_equal(mempool_spender(f->mp, &x), e);
    assert_int_equal(mempool_entry_fee(e), 1000);
    assert_int_equal(mempool_entry_vsize(e), tx_vsize(a));
    assert_int_equal(mempool_entry_time(e), NOW);
    assert_int_equal(mempool_count(f->mp), 1);
    assert_int_equal(mempool_bytes(f->mp), tx_vsize(a));
    assert_int_equal(mempool_total_fee(f->mp), 1000);
    assert_true(mempool_usage(f->mp) > a->size);
    assert_ptr_equal(mempool_first(f->mp), e);
    assert_null(mempool_next(e));

    expect_reject(f, tx_ref(a), MEMPOOL_CONFLICT, "txn-already-in-mempool");
    /* A test accept changes nothing, even for a replacement. */
    struct tx *rbf = spend1(&x, 90000);
    struct mempool_reject rej;
    int64_t fee = 0;
    size_t vsize = 0;
    assert_int_equal(mempool_test_accept(f->mp, rbf, &f->tip, NOW, &rej, &fee, &vsize),
                     MEMPOOL_ACCEPTED);
    assert_int_equal(fee, 10000);
    assert_int_equal(vsize, tx_vsize(rbf));
    assert_null(mempool_get(f->mp, &rbf->txid));
    assert_ptr_equal(mempool_spender(f->mp, &x), e);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 0);
    tx_free(rbf);
    /* Same inputs and outputs with a witness: same txid, other wtxid. */
    static const uint8_t item[] = {1, 2, 3};
    struct tb_in in = {x, TB_SEQ_RBF, NULL, 0, item, sizeof(item)};
    struct tb_out out = {99000, NULL, 0};
    struct tx *aw = tb_tx(2, &in, 1, &out, 1, 0);
    assert_true(hash_eq(&aw->txid, &a->txid));
    expect_reject(f, aw, MEMPOOL_CONFLICT, "txn-same-nonwitness-data-in-mempool");
    tx_free(a);
    tb_fx_free(f);
}

static void test_consensus_rejects(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint null_op = {{{0}}, 0xffffffffu};
    struct tb_out out = {1000, NULL, 0};
    struct tb_in in = {x, TB_SEQ_RBF, NULL, 0, NULL, 0};

    expect_reject(f, tb_tx(2, &in, 1, &out, 0, 0), MEMPOOL_INVALID, "bad-txns-vout-empty");
    struct tb_out neg = {-1, NULL, 0};
    expect_reject(f, tb_tx(2, &in, 1, &neg, 1, 0), MEMPOOL_INVALID, "bad-txns-vout-negative");
    struct tb_out big = {TX_MAX_MONEY + 1, NULL, 0};
    expect_reject(f, tb_tx(2, &in, 1, &big, 1, 0), MEMPOOL_INVALID, "bad-txns-vout-toolarge");
    struct tb_out two[2] = {{TX_MAX_MONEY, NULL, 0}, {TX_MAX_MONEY, NULL, 0}};
    expect_reject(f, tb_tx(2, &in, 1, two, 2, 0), MEMPOOL_INVALID,
                  "bad-txns-txouttotal-toolarge");
    struct tb_in dup[2] = {in, in};
    expect_reject(f, tb_tx(2, dup, 2, &out, 1, 0), MEMPOOL_INVALID, "bad-txns-inputs-duplicate");
    struct tb_in with_null[2] = {in, {null_op, 0, NULL, 0, NULL, 0}};
    expect_reject(f, tb_tx(2, with_null, 2, &out, 1, 0), MEMPOOL_INVALID,
                  "bad-txns-prevout-null");
    static const uint8_t cbsig[] = {0x51, 0x00};
    struct tb_in cb = {null_op, 0xffffffffu, cbsig, sizeof(cbsig), NULL, 0};
    expect_reject(f, tb_tx(2, &cb, 1, &out, 1, 0), MEMPOOL_INVALID, "coinbase");
    cb.sig_len = 1;
    expect_reject(f, tb_tx(2, &cb, 1, &out, 1, 0), MEMPOOL_INVALID, "bad-cb-length");
    expect_reject(f, spend1(&x, 100001), MEMPOOL_INVALID, "bad-txns-in-belowout");
    struct outpoint huge = tb_fund(&f->u, 2, TX_MAX_MONEY + 1, 500, false);
    expect_reject(f, spend1(&huge, 1000), MEMPOOL_INVALID, "bad-txns-inputvalues-outofrange");
    tb_fx_free(f);
}

static void test_standardness_rejects(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 10000000, 500, false);
    struct tb_in in = {x, TB_SEQ_RBF, NULL, 0, NULL, 0};
    struct tb_out out = {90000, NULL, 0};

    expect_reject(f, tb_tx(4, &in, 1, &out, 1, 0), MEMPOOL_NOT_STANDARD, "version");
    expect_reject(f, tb_tx(0, &in, 1, &out, 1, 0), MEMPOOL_NOT_STANDARD, "version");
    static const uint8_t dup_op[] = {0x76};
    struct tb_in bad_sig = {x, TB_SEQ_RBF, dup_op, 1, NULL, 0};
    expect_reject(f, tb_tx(2, &bad_sig, 1, &out, 1, 0), MEMPOOL_NOT_STANDARD,
                  "scriptsig-not-pushonly");
    uint8_t *longsig = calloc(1, 1651);
    longsig[0] = 0x4d; /* OP_PUSHDATA2 1648 */
    longsig[1] = 0x70;
    longsig[2] = 0x06;
    struct tb_in long_in = {x, TB_SEQ_RBF, longsig, 1651, NULL, 0};
    expect_reject(f, tb_tx(2, &long_in, 1, &out, 1, 0), MEMPOOL_NOT_STANDARD, "scriptsig-size");
    free(longsig);
    struct tb_out odd = {90000, dup_op, 1};
    expect_reject(f, tb_tx(2, &in, 1, &odd, 1, 0), MEMPOOL_NOT_STANDARD, "scriptpubkey");
    struct tb_out dust = {293, NULL, 0}; /* P2WPKH dust threshold: 294 */
    expect_reject(f, tb_tx(2, &in, 1, &dust, 1, 0), MEMPOOL_NOT_STANDARD, "dust");
    static const uint8_t anchor[] = {0x51, 0x02, 0x4e, 0x73};
    struct tb_out anchor_dust = {239, anchor, sizeof(anchor)};
    expect_reject(f, tb_tx(2, &in, 1, &anchor_dust, 1, 0), MEMPOOL_NOT_STANDARD, "dust");

    uint8_t ret[84] = {0x6a, 0x4c, 81};
    struct tb_out data84[2] = {{0, ret, 84}, out};
    expect_reject(f, tb_tx(2, &in, 1, data84, 2, 0), MEMPOOL_NOT_STANDARD, "scriptpubkey");
    static const uint8_t small_ret[] = {0x6a, 0x01, 0x00};
    struct tb_out two_ret[3] = {{0, small_ret, 3}, {0, small_ret, 3}, out};
    expect_reject(f, tb_tx(2, &in, 1, two_ret, 3, 0), MEMPOOL_NOT_STANDARD, "multi-op-return");
    struct tb_out tiny = {0, small_ret, 1};
    expect_reject(f, tb_tx(2, &in, 1, &tiny, 1, 0), MEMPOOL_NOT_STANDARD, "tx-size-small");

    /* Weight over 400,000: some 3,300 outputs. */
    size_t n = 3300;
    struct tb_out *many = calloc(n, sizeof(*many));
    for (size_t i = 0; i < n; i++)
        many[i].value = 1000;
    expect_reject(f, tb_tx(2, &in, 1, many, n, 0), MEMPOOL_NOT_STANDARD, "tx-size");
    free(many);

    /* The limits themselves pass: 83-byte OP_RETURN, anchor at 240, v3. */
    ret[2] = 80;
    struct tb_out ok_outs[3] = {{0, ret, 83}, {240, anchor, sizeof(anchor)}, out};
    struct tx *ok = tb_tx(3, &in, 1, ok_outs, 3, 0);
    accept_ok(f, ok);
    tx_free(ok);
    tb_fx_free(f);
}

/* Sigop cost over the standard limit, and spends of nonstandard outputs. */
static void test_sigops_and_inputs(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 10000000, 500, false);
    struct tb_in in = {x, TB_SEQ_RBF, NULL, 0, NULL, 0};
    /* 201 bare 1-of-3 multisig outputs: 201 * 20 legacy sigops * 4 > 16,000. */
    uint8_t ms[105] = {0x51};
    for (int k = 0; k < 3; k++) {
        ms[1 + 34 * k] = 33;
        ms[2 + 34 * k] = 2;
    }
    ms[103] = 0x53;
    ms[104] = 0xae;
    struct tb_out *msouts = calloc(201, sizeof(*msouts));
    for (size_t i = 0; i < 201; i++)
        msouts[i] = (struct tb_out){10000, ms, sizeof(ms)};
    expect_reject(f, tb_tx(2, &in, 1, msouts, 201, 0), MEMPOOL_NOT_STANDARD,
                  "bad-txns-too-many-sigops");
    struct tx *ms_ok = tb_tx(2, &in, 1, msouts, 199, 0);
    accept_ok(f, ms_ok);
    /* plus 1 for the P2WPKH input */
    assert_int_equal(mempool_entry_sigop_cost(mempool_get(f->mp, &ms_ok->txid)), 199 * 80 + 1);
    free(msouts);

    /* Spending an output of an unknown witness version is not standard. */
    static const uint8_t v2prog[] = {0x52, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    struct tb_in ms_in = {tb_op(ms_ok, 0), TB_SEQ_RBF, NULL, 0, NULL, 0};
    struct tb_out fut = {5000, v2prog, sizeof(v2prog)};
    struct tx *to_future = tb_tx(2, &ms_in, 1, &fut, 1, 0);
    accept_ok(f, to_future);
    struct tb_in fut_in = {tb_op(to_future, 0), TB_SEQ_RBF, NULL, 0, NULL, 0};
    struct tb_out back = {4000, NULL, 0};
    expect_reject(f, tb_tx(2, &fut_in, 1, &back, 1, 0), MEMPOOL_NOT_STANDARD,
                  "bad-txns-nonstandard-inputs");
    /* A witness on a pay-to-anchor spend: the witness, not the tx, is bad. */
    static const uint8_t anchor[] = {0x51, 0x02, 0x4e, 0x73};
    struct tb_in ms1 = {tb_op(ms_ok, 1), TB_SEQ_RBF, NULL, 0, NULL, 0};
    struct tb_out outs[2] = {{240, anchor, sizeof(anchor)}, {9000, NULL, 0}};
    struct tx *anchored = tb_tx(2, &ms1, 1, outs, 2, 0);
    accept_ok(f, anchored);
    static const uint8_t item[] = {1};
    struct tb_in a_in[2] = {{tb_op(anchored, 0), TB_SEQ_RBF, NULL, 0, item, 1},
                            {tb_op(anchored, 1), TB_SEQ_RBF, NULL, 0, NULL, 0}};
    struct tb_out a_out = {8000, NULL, 0};
    expect_reject(f, tb_tx(2, a_in, 2, &a_out, 1, 0), MEMPOOL_WITNESS_MUTATED,
                  "bad-witness-nonstandard");
    tx_free(anchored);
    tx_free(ms_ok);
    tx_free(to_future);
    tb_fx_free(f);
}

static void test_input_rejects(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint unknown = {{{9}}, 0};
    expect_reject(f, spend1(&unknown, 1000), MEMPOOL_MISSING_INPUTS,
                  "bad-txns-inputs-missingorspent");

    /* Already confirmed: its input is spent and its output exists. */
    struct tx *a = spend1(&x, 99000);
    struct outpoint a0 = tb_op(a, 0);
    tb_utxo_del(&f->u, &x);
    tb_utxo_add(&f->u, &a0, 99000, 900, false);
    expect_reject(f, a, MEMPOOL_CONFLICT, "txn-already-known");

    struct outpoint young = tb_fund(&f->u, 2, 5000000000, TIP_HEIGHT - 50, true);
    expect_reject(f, spend1(&young, 4999990000), MEMPOOL_PREMATURE,
                  "bad-txns-premature-spend-of-coinbase");
    struct outpoint old = tb_fund(&f->u, 3, 5000000000, TIP_HEIGHT + 1 - 100, true);
    struct tx *mature = spend1(&old, 4999990000);
    accept_ok(f, mature);
    tx_free(mature);

    /* Locktime at the next block's height is not final yet. */
    struct outpoint y = tb_fund(&f->u, 4, 100000, 500, false);
    struct tb_in in = {y, 0, NULL, 0, NULL, 0};
    struct tb_out out = {90000, NULL, 0};
    expect_reject(f, tb_tx(2, &in, 1, &out, 1, TIP_HEIGHT + 1), MEMPOOL_PREMATURE, "non-final");
    struct tx *fin = tb_tx(2, &in, 1, &out, 1, TIP_HEIGHT);
    accept_ok(f, fin);
    tx_free(fin);

    struct outpoint z = tb_fund(&f->u, 5, 100000, 500, false);
    struct tx *probe = spend1(&z, 100000);
    int64_t vsize = (int64_t)tx_vsize(probe);
    tx_free(probe);
    expect_reject(f, spend1(&z, 100000 - vsize + 1), MEMPOOL_POLICY, "min relay fee not met");
    struct tx *paid = spend1(&z, 100000 - vsize);
    accept_ok(f, paid);
    tx_free(paid);
    tb_fx_free(f);
}

static int64_t fixed_mtp(void *ctx, int32_t height)
{
    return *(const int64_t *)ctx - (TIP_HEIGHT - height) * 600;
}

/* BIP68 relative locks by height and by time, against the next block. */
static void test_sequence_locks(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, TIP_HEIGHT - 5, false);
    struct tb_out out = {90000, NULL, 0};
    struct tb_in in = {x, 7, NULL, 0, NULL, 0}; /* 995 + 7 - 1 = 1001: not before 1002 */
    expect_reject(f, tb_tx(2, &in, 1, &out, 1, 0), MEMPOOL_PREMATURE, "non-BIP68-final");
    struct tx *v1 = tb_tx(1, &in, 1, &out, 1, 0); /* version 1: no relative locks */
    accept_ok(f, v1);
    tx_free(v1);

    struct outpoint y = tb_fund(&f->u, 2, 100000, TIP_HEIGHT - 5, false);
    in.op = y;
    in.sequence = 6; /* lock height 1000: final in block 1001 */
    struct tx *ok = tb_tx(2, &in, 1, &out, 1, 0);
    accept_ok(f, ok);
    /* A mempool parent counts as confirmed in the next block. */
    struct tb_in child_in = {tb_op(ok, 0), 1, NULL, 0, NULL, 0};
    struct tb_out child_out = {89000, NULL, 0};
    expect_reject(f, tb_tx(2, &child_in, 1, &child_out, 1, 0), MEMPOOL_PREMATURE,
                  "non-BIP68-final");

    /* Time locks: 512-second units from the median time before the coin. */
    struct outpoint z = tb_fund(&f->u, 3, 100000, TIP_HEIGHT - 5, false);
    in.op = z;
    in.sequence = (1u << 22) | 8; /* 4096 s from MTP(994) = tip MTP - 3600 */
    expect_reject(f, tb_tx(2, &in, 1, &out, 1, 0), MEMPOOL_PREMATURE, "non-BIP68-final");
    int64_t tip_mtp = f->tip.mtp;
    f->tip.mtp_at = fixed_mtp;
    f->tip.mtp_ctx = &tip_mtp;
    expect_reject(f, tb_tx(2, &in, 1, &out, 1, 0), MEMPOOL_PREMATURE, "non-BIP68-final");
    in.sequence = (1u << 22) | 7; /* 3584 s: over by the tip's MTP */
    struct tx *timed = tb_tx(2, &in, 1, &out, 1, 0);
    accept_ok(f, timed);
    f->tip.mtp_at = NULL;

    /* One block lower, the height lock of ok binds again. */
    struct block empty = {0};
    f->tip.height--;
    f->tip.mtp -= 600;
    mempool_block_disconnected(f->mp, &empty, &f->tip, NOW);
    assert_null(mempool_get(f->mp, &ok->txid));
    assert_null(mempool_get(f->mp, &timed->txid));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REORG], 2);
    tx_free(ok);
    tx_free(timed);
    tb_fx_free(f);
}

static void test_rbf(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct tx *a = spend1(&x, 99000); /* fee 1000 */
    accept_ok(f, a);
    struct outpoint a0 = tb_op(a, 0);
    struct tx *c = spend1(&a0, 98000); /* fee 1000, a descendant */
    accept_ok(f, c);
    int64_t vsize = (int64_t)tx_vsize(a);

    expect_reject(f, spend1(&x, 99500), MEMPOOL_POLICY, "insufficient fee"); /* lower feerate */
    expect_reject(f, spend1(&x, 98500), MEMPOOL_POLICY, "insufficient fee"); /* < 2000 total */
    expect_reject(f, spend1(&x, 100000 - 2000 - vsize + 1), MEMPOOL_POLICY, "insufficient fee");
    struct tx *b = spend1(&x, 100000 - 2000 - vsize);
    accept_ok(f, b);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 2);
    assert_null(mempool_get(f->mp, &a->txid));
    assert_null(mempool_get(f->mp, &c->txid));
    assert_int_equal(mempool_count(f->mp), 1);

    /* A replacement may not bring in new unconfirmed parents... */
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct tx *p = spend1(&y, 99000);
    accept_ok(f, p);
    struct outpoint ins[2] = {x, tb_op(p, 0)};
    int64_t v = 100000;
    expect_reject(f, tb_simple(ins, 2, &v, 1), MEMPOOL_POLICY, "replacement-adds-unconfirmed");
    /* ...nor spend what it replaces. */
    struct outpoint self[2] = {y, tb_op(p, 0)};
    expect_reject(f, tb_simple(self, 2, &v, 1), MEMPOOL_INVALID,
                  "bad-txns-spends-conflicting-tx");
    tx_free(a);
    tx_free(b);
    tx_free(c);
    tx_free(p);
    tb_fx_free(f);
}

/* Replacing n transactions, each spending one coin, at once. */
static enum mempool_status replace_many(size_t n)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint *ops = calloc(n, sizeof(*ops));
    for (size_t i = 0; i < n; i++) {
        ops[i] = tb_fund(&f->u, (uint32_t)(100 + i), 100000, 500, false);
        struct tx *t = spend1(&ops[i], 99000);
        accept_ok(f, t);
        tx_free(t);
    }
    int64_t v = (int64_t)n * 100000 - (int64_t)n * 1000 - 10 * 1000 * (int64_t)n;
    struct tx *big = tb_simple(ops, n, &v, 1);
    struct mempool_reject rej;
    enum mempool_status st = mempool_accept(f->mp, big, &f->tip, NOW, &rej);
    if (st != MEMPOOL_ACCEPTED)
        assert_string_equal(rej.reason, "too many potential replacements");
    else
        assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], n);
    tx_free(big);
    free(ops);
    tb_fx_free(f);
    return st;
}

static void test_rbf_eviction_cap(void **state)
{
    assert_int_equal(replace_many(MEMPOOL_MAX_REPLACEMENTS), MEMPOOL_ACCEPTED);
    assert_int_equal(replace_many(MEMPOOL_MAX_REPLACEMENTS + 1), MEMPOOL_POLICY);
}

static void test_ancestor_limits(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint op = tb_fund(&f->u, 1, 10000000, 500, false);
    int64_t value = 10000000;
    struct tx *first = NULL;
    for (int i = 0; i < MEMPOOL_DEFAULT_ANCESTOR_COUNT; i++) {
        value -= 1000;
        struct tx *t = spend1(&op, value);
        accept_ok(f, t);
        op = tb_op(t, 0);
        if (!first)
            first = tx_ref(t);
        tx_free(t);
    }
    expect_reject(f, spend1(&op, value - 1000), MEMPOOL_POLICY, "too-long-mempool-chain");
    struct mempool_family fam;
    mempool_entry_family(mempool_get(f->mp, &first->txid), &fam);
    assert_int_equal(fam.anc_count, 1);
    assert_int_equal(fam.desc_count, MEMPOOL_DEFAULT_ANCESTOR_COUNT);
    assert_int_equal(fam.desc_fees, MEMPOOL_DEFAULT_ANCESTOR_COUNT * 1000);
    tx_free(first);

    /* Descendants: a parent with 30 outputs takes 24 children, not 25. */
    struct outpoint y = tb_fund(&f->u, 2, 10000000, 500, false);
    int64_t vals[30];
    for (int i = 0; i < 30; i++)
        vals[i] = 300000;
    struct tx *parent = tb_simple(&y, 1, vals, 30);
    accept_ok(f, parent);
    for (uint32_t i = 0; i < 24; i++) {
        struct outpoint o = tb_op(parent, i);
        struct tx *ch = spend1(&o, 299000);
        accept_ok(f, ch);
        tx_free(ch);
    }
    struct outpoint o24 = tb_op(parent, 24);
    expect_reject(f, spend1(&o24, 299000), MEMPOOL_POLICY, "too-long-mempool-chain");
    mempool_entry_family(mempool_get(f->mp, &parent->txid), &fam);
    assert_int_equal(fam.desc_count, 25);
    tx_free(parent);
    tb_fx_free(f);
}

static void test_ancestor_size_limit(void **state)
{
    struct mempool_options o;
    tb_options(&o);
    o.ancestor_vsize = 250; /* three 82-vbyte transactions fit, four do not */
    struct tb_fx *f = tb_fx_new(&o);
    struct outpoint op = tb_fund(&f->u, 1, 100000, 500, false);
    int64_t value = 100000;
    for (int i = 0; i < 3; i++) {
        value -= 1000;
        struct tx *t = spend1(&op, value);
        accept_ok(f, t);
        op = tb_op(t, 0);
        tx_free(t);
    }
    expect_reject(f, spend1(&op, value - 1000), MEMPOOL_POLICY, "too-long-mempool-chain");
    tb_fx_free(f);
}

static void test_eviction_and_min_fee(void **state)
{
    /* Measure what ten transactions take, then bound the pool below it. */
    struct tb_fx *probe = tb_fx_new(NULL);
    struct tx *txs[10];
    for (int i = 0; i < 10; i++) {
        struct outpoint op = tb_fund(&probe->u, (uint32_t)(10 + i), 100000, 500, false);
        txs[i] = spend1(&op, 100000 - 1000 * (i + 1)); /* rising feerates */
        accept_ok(probe, txs[i]);
    }
    size_t usage = mempool_usage(probe->mp);
    tb_fx_free(probe);

    struct mempool_options o;
    tb_options(&o);
    o.max_usage = usage - 1;
    struct tb_fx *f = tb_fx_new(&o);
    for (int i = 0; i < 10; i++) {
        struct outpoint op = txs[i]->vin[0].prevout;
        tb_utxo_add(&f->u, &op, 100000, 500, false);
    }
    for (int i = 0; i < 9; i++)
        accept_ok(f, txs[i]);
    assert_int_equal(mempool_min_fee(f->mp, NOW), o.min_relay_feerate);
    accept_ok(f, txs[9]);
    assert_true(mempool_usage(f->mp) <= o.max_usage);
    assert_null(mempool_get(f->mp, &txs[0]->txid)); /* the cheapest went */
    assert_non_null(mempool_get(f->mp, &txs[9]->txid));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_SIZELIMIT], 1);
    /* Minimum fee: the evicted package's feerate plus the increment. */
    int64_t evicted_rate = 1000 * 1000 / (int64_t)tx_vsize(txs[0]);
    assert_int_equal(mempool_min_fee(f->mp, NOW), evicted_rate + o.incremental_feerate);

    struct outpoint z = tb_fund(&f->u, 99, 100000, 500, false);
    expect_reject(f, spend1(&z, 100000 - 1050), MEMPOOL_POLICY, "mempool min fee not met");
    /* Below every entry yet above the floor: added, then evicted again. */
    struct mempool_reject rej;
    struct tx *low = spend1(&txs[0]->vin[0].prevout, 100000 - 1500);
    assert_int_equal(mempool_accept(f->mp, low, &f->tip, NOW, &rej), MEMPOOL_POLICY);
    assert_string_equal(rej.reason, "mempool full");
    tx_free(low);
    tb_fx_check(f);

    /* After a block the rolling fee decays (12-hour half-life, faster
     * when the pool is small) back to nothing. */
    int64_t raised = mempool_min_fee(f->mp, NOW);
    assert_true(raised > evicted_rate + o.incremental_feerate);
    assert_int_equal(mempool_min_fee(f->mp, NOW + 3600), raised); /* no block yet */
    struct block empty = {0};
    mempool_block_connected(f->mp, &empty, &f->tip);
    assert_true(mempool_min_fee(f->mp, NOW + 3600) < raised);
    assert_int_equal(mempool_min_fee(f->mp, NOW + 7 * 86400), o.min_relay_feerate);
    for (int i = 0; i < 10; i++)
        tx_free(txs[i]);
    tb_fx_free(f);
}

static void test_expiry(void **state)
{
    struct mempool_options o;
    tb_options(&o);
    o.expiry = 3600;
    struct tb_fx *f = tb_fx_new(&o);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct tx *a = spend1(&x, 99000);
    accept_at(f, a, NOW);
    struct outpoint a0 = tb_op(a, 0);
    struct tx *child = spend1(&a0, 98000);
    accept_at(f, child, NOW + 1000);
    struct tx *d = spend1(&y, 99000);
    accept_at(f, d, NOW + 2000);
    assert_int_equal(mempool_expire(f->mp, NOW + 3600), 0);
    /* The parent expires and takes its younger child along. */
    assert_int_equal(mempool_expire(f->mp, NOW + 3601), 2);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_EXPIRY], 2);
    assert_non_null(mempool_get(f->mp, &d->txid));
    tb_fx_check(f);
    tx_free(a);
    tx_free(child);
    tx_free(d);
    tb_fx_free(f);
}

static struct tx *coinbase_tx(int64_t value, uint8_t tag)
{
    uint8_t sig[2] = {0x51, tag};
    struct tb_in in = {{{{0}}, 0xffffffffu}, 0xffffffffu, sig, 2, NULL, 0};
    struct tb_out out = {value, NULL, 0};
    return tb_tx(2, &in, 1, &out, 1, 0);
}

static void test_block_connected(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct tx *a = spend1(&x, 99000);
    accept_ok(f, a);
    struct outpoint a0 = tb_op(a, 0);
    struct tx *b = spend1(&a0, 98000);
    accept_ok(f, b);
    struct tx *c = spend1(&y, 99000);
    accept_ok(f, c);
    struct outpoint c0 = tb_op(c, 0);
    struct tx *c_child = spend1(&c0, 98000);
    accept_ok(f, c_child);

    /* The block confirms a and double-spends c with d. */
    struct tx *d = spend1(&y, 95000);
    struct tx *cb = coinbase_tx(5000000000, 1);
    struct tx *txs[] = {cb, a, d};
    struct block blk = {.tx_count = 3, .txs = txs};
    f->tip.height++;
    mempool_block_connected(f->mp, &blk, &f->tip);
    tb_fx_check(f);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_BLOCK], 1);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_CONFLICT], 2);
    assert_int_equal(mempool_count(f->mp), 1);
    const struct mempool_entry *eb = mempool_get(f->mp, &b->txid);
    assert_non_null(eb);
    struct mempool_family fam;
    mempool_entry_family(eb, &fam);
    assert_int_equal(fam.anc_count, 1);
    assert_int_equal(fam.anc_fees, 1000);
    tx_free(a);
    tx_free(b);
    tx_free(c);
    tx_free(c_child);
    tx_free(d);
    tx_free(cb);
    tb_fx_free(f);
}

static void test_block_disconnected(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    /* Block at TIP_HEIGHT + 1 confirms t1; the mempool holds its child. */
    struct tx *t1 = spend1(&x, 99000);
    struct tx *cb = coinbase_tx(5000000000, 2);
    struct outpoint t10 = tb_op(t1, 0), cb0 = tb_op(cb, 0);
    tb_utxo_del(&f->u, &x);
    tb_utxo_add(&f->u, &t10, 99000, TIP_HEIGHT + 1, false);
    tb_utxo_add(&f->u, &cb0, 5000000000, TIP_HEIGHT + 1, true);
    f->tip.height = TIP_HEIGHT + 1;
    struct tx *child = spend1(&t10, 98000);
    accept_ok(f, child);

    /* A mature coinbase spend that becomes immature one block lower. */
    struct outpoint edge = tb_fund(&f->u, 3, 5000000000, TIP_HEIGHT + 2 - 100, true);
    struct tx *edge_spend = spend1(&edge, 4999990000);
    accept_ok(f, edge_spend);

    struct tx *txs[] = {cb, t1};
    struct block blk = {.tx_count = 2, .txs = txs};
    tb_utxo_del(&f->u, &t10);
    tb_utxo_del(&f->u, &cb0);
    tb_utxo_add(&f->u, &x, 100000, 500, false);
    f->tip.height = TIP_HEIGHT;
    mempool_block_disconnected(f->mp, &blk, &f->tip, NOW + 10);
    tb_fx_check(f);
    const struct mempool_entry *e1 = mempool_get(f->mp, &t1->txid);
    assert_non_null(e1);
    assert_int_equal(mempool_entry_fee(e1), 1000);
    struct mempool_family fam;
    mempool_entry_family(mempool_get(f->mp, &child->txid), &fam);
    assert_int_equal(fam.anc_count, 2);
    assert_null(mempool_get(f->mp, &edge_spend->txid));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REORG], 1);
    tx_free(t1);
    tx_free(cb);
    tx_free(child);
    tx_free(edge_spend);
    tb_fx_free(f);
}

static void test_disconnected_coinbase_spenders(void **state)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct tx *cb = coinbase_tx(5000000000, 3);
    struct outpoint cb0 = tb_op(cb, 0);
    tb_utxo_add(&f->u, &cb0, 5000000000, TIP_HEIGHT - 150, true);
    struct tx *spend = spend1(&cb0, 4999990000);
    accept_ok(f, spend);
    struct tx *txs[] = {cb};
    struct block blk = {.tx_count = 1, .txs = txs};
    tb_utxo_del(&f->u, &cb0);
    mempool_block_disconnected(f->mp, &blk, &f->tip, NOW);
    assert_int_equal(mempool_count(f->mp), 0);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REORG], 1);
    tx_free(cb);
    tx_free(spend);
    tb_fx_free(f);
}

static void test_persistence(void **state)
{
    char dir[] = "/tmp/hearsay-mempool-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/mempool.dat", dir);

    struct tb_fx *f = tb_fx_new(NULL);
    struct tx *txs[6];
    struct outpoint op = tb_fund(&f->u, 1, 1000000, 500, false);
    for (int i = 0; i < 6; i++) {
        if (i == 3)
            op = tb_fund(&f->u, 2, 1000000, 500, false);
        txs[i] = spend1(&op, 1000000 - 1000 * (i % 3 + 1));
        op = tb_op(txs[i], 0);
        accept_at(f, txs[i], NOW + i);
    }
    char *err = NULL;
    assert_int_equal(mempool_dump(f->mp, path, &err), 0);

    struct tb_fx *g = tb_fx_new(NULL);
    for (size_t i = 0; i < f->u.n; i++)
        tb_utxo_add(&g->u, &f->u.v[i].op, f->u.v[i].value, f->u.v[i].height, false);
    struct mempool_load_stats st;
    assert_int_equal(mempool_load(g->mp, path, &g->tip, NOW + 100, &st, &err), 0);
    assert_int_equal(st.accepted, 6);
    assert_int_equal(st.failed + st.expired, 0);
    for (int i = 0; i < 6; i++) {
        const struct mempool_entry *e = mempool_get(g->mp, &txs[i]->txid);
        assert_non_null(e);
        assert_int_equal(mempool_entry_time(e), NOW + i);
        assert_int_equal(mempool_entry_fee(e), mempool_entry_fee(mempool_get(f->mp, &txs[i]->txid)));
    }
    tb_fx_check(g);

    /* Past the expiry, entries are dropped on load. */
    struct tb_fx *h = tb_fx_new(NULL);
    for (size_t i = 0; i < f->u.n; i++)
        tb_utxo_add(&h->u, &f->u.v[i].op, f->u.v[i].value, f->u.v[i].height, false);
    assert_int_equal(mempool_load(h->mp, path, &h->tip, NOW + 400 * 3600, &st, &err), 0);
    assert_int_equal(st.expired, 6);
    assert_int_equal(mempool_count(h->mp), 0);

    /* Loading adds parents first whatever their times; expiry still finds
     * an old child behind younger entries. */
    struct tb_fx *k = tb_fx_new(NULL);
    struct outpoint pc = tb_fund(&k->u, 7, 100000, 500, false);
    struct outpoint cc = tb_fund(&k->u, 8, 100000, 500, false);
    struct tx *young_parent = spend1(&pc, 99000), *indep = spend1(&cc, 99000);
    struct outpoint yp0 = tb_op(young_parent, 0);
    struct tx *old_child = spend1(&yp0, 98000);
    accept_at(k, indep, NOW + 3);
    accept_at(k, young_parent, NOW + 6);
    accept_at(k, old_child, NOW + 1); /* as after a reorg */
    assert_int_equal(mempool_dump(k->mp, path, &err), 0);
    struct tb_fx *l = tb_fx_new(NULL);
    for (size_t i = 0; i < k->u.n; i++)
        tb_utxo_add(&l->u, &k->u.v[i].op, k->u.v[i].value, k->u.v[i].height, false);
    assert_int_equal(mempool_load(l->mp, path, &l->tip, NOW + 10, &st, &err), 0);
    assert_int_equal(st.accepted, 3);
    assert_int_equal(mempool_expire(l->mp, NOW + 2 + MEMPOOL_DEFAULT_EXPIRY_HOURS * 3600), 1);
    assert_null(mempool_get(l->mp, &old_child->txid));
    tx_free(young_parent);
    tx_free(indep);
    tx_free(old_child);
    tb_fx_free(k);
    tb_fx_free(l);

    /* One flipped byte: the whole file is refused. */
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 30, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, 30, SEEK_SET);
    fputc(ch ^ 1, fp);
    fclose(fp);
    assert_int_equal(mempool_load(h->mp, path, &h->tip, NOW, &st, &err), -1);
    assert_non_null(strstr(err, "checksum"));
    free(err);
    err = NULL;
    assert_int_equal(mempool_load(h->mp, "/nonexistent/mempool.dat", &h->tip, NOW, &st, &err), -1);
    free(err);

    unlink(path);
    rmdir(dir);
    for (int i = 0; i < 6; i++)
        tx_free(txs[i]);
    tb_fx_free(f);
    tb_fx_free(g);
    tb_fx_free(h);
}

/* Scripts checked (the node's default), as Core v30: a copy with the
 * witness stripped is a possible witness mutation, a swapped witness
 * script fails the standard flags; neither keeps the real transaction
 * out, and the real one is cached under the tip's flags for its block. */
static void test_script_checks(void **state)
{
    (void)state;
    static const uint8_t op_true[] = {0x51}, op_2[] = {0x52};
    static uint8_t p2wsh[34] = {0x00, 32};
    hash_sha256(op_true, 1, p2wsh + 2);
    struct mempool_options o;
    mempool_options_default(&o);
    struct tb_fx *f = tb_fx_new(&o);
    struct scriptcache *cache = scriptcache_new(1 << 16);
    mempool_set_caches(f->mp, NULL, cache);
    f->tip.script_flags = SCRIPT_MANDATORY_FLAGS;
    struct outpoint x = tb_fund_script(&f->u, 77, 100000, p2wsh, sizeof(p2wsh));
    struct tb_out out = {99000, p2wsh, sizeof(p2wsh)};

    struct tb_in stripped = {x, TB_SEQ_RBF, NULL, 0, NULL, 0};
    expect_reject(f, tb_tx(2, &stripped, 1, &out, 1, 0), MEMPOOL_WITNESS_MUTATED,
                  "mempool-script-verify-flag-failed (Witness program was passed an empty "
                  "witness)");
    struct tb_in swapped = {x, TB_SEQ_RBF, NULL, 0, op_2, 1};
    expect_reject(f, tb_tx(2, &swapped, 1, &out, 1, 0), MEMPOOL_NOT_STANDARD,
                  "mempool-script-verify-flag-failed (Witness program hash mismatch)");
    assert_int_equal(scriptcache_entries(cache), 0);
    struct tb_in real = {x, TB_SEQ_RBF, NULL, 0, op_true, 1};
    struct tx *genuine = tb_tx(2, &real, 1, &out, 1, 0);
    accept_ok(f, genuine);
    assert_non_null(mempool_get_wtxid(f->mp, &genuine->wtxid));
    assert_true(scriptcache_contains(cache, &genuine->wtxid, SCRIPT_MANDATORY_FLAGS, false));
    assert_false(scriptcache_contains(cache, &genuine->wtxid, SCRIPT_STANDARD_FLAGS, false));
    tx_free(genuine);
    tb_fx_free(f);
    scriptcache_free(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_and_lookup),
        cmocka_unit_test(test_script_checks),
        cmocka_unit_test(test_consensus_rejects),
        cmocka_unit_test(test_standardness_rejects),
        cmocka_unit_test(test_sigops_and_inputs),
        cmocka_unit_test(test_input_rejects),
        cmocka_unit_test(test_sequence_locks),
        cmocka_unit_test(test_rbf),
        cmocka_unit_test(test_rbf_eviction_cap),
        cmocka_unit_test(test_ancestor_limits),
        cmocka_unit_test(test_ancestor_size_limit),
        cmocka_unit_test(test_eviction_and_min_fee),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_block_connected),
        cmocka_unit_test(test_block_disconnected),
        cmocka_unit_test(test_disconnected_coinbase_spenders),
        cmocka_unit_test(test_persistence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
