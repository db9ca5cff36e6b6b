/* Packages: a child paying for a parent below the minimum feerate, a
 * package still too poor, members accepted alone, the well-formedness
 * rules, max feerate, a failing trial undone without a trace, and a
 * member replacing alone (package replacements: test_mempool_pkgrbf), and
 * the package test-accept.
 * The mempool is re-verified after each package. */
#include "chain/mempool/mempool.h"
#include "chain/mempool/policy.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW TB_NOW

/* Counts additions, with their sequence numbers. */
struct adds {
    size_t n;
    uint64_t seq[8];
    struct hash256 txid[8];
};

static void on_added(void *ctx, const struct tx *tx, uint64_t seq)
{
    struct adds *a = ctx;
    if (a->n < 8) {
        a->seq[a->n] = seq;
        a->txid[a->n] = tx->txid;
    }
    a->n++;
}

static struct tx *spend1(const struct outpoint *op, int64_t value)
{
    return tb_simple(op, 1, &value, 1);
}

static struct tx *spend2(const struct outpoint *a, const struct outpoint *b, int64_t value)
{
    struct outpoint ins[2] = { *a, *b };
    return tb_simple(ins, 2, &value, 1);
}

static void run(struct tb_fx *f, struct tx **txs, size_t n, int64_t max_feerate,
                struct mempool_pkg_tx *res, struct mempool_pkg *out)
{
    mempool_accept_package(f->mp, txs, n, &f->tip, NOW, max_feerate, res, out);
    tb_fx_check(f);
}

static void free_all(struct tx **txs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
}

/* A fixture whose listener counts additions into *adds. */
static struct tb_fx *fx_counting(struct adds *adds)
{
    struct tb_fx *f = tb_fx_new(NULL);
    memset(adds, 0, sizeof(*adds));
    struct mempool_listener l = { on_added, NULL, adds };
    mempool_add_listener(f->mp, &l);
    return f;
}

/* txs[0]: a parent paying no fee; txs[1]: its child with these outputs. */
static void zero_fee_pair(struct tb_fx *f, const int64_t *values, size_t nout, struct tx **txs)
{
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    txs[0] = spend1(&x, 100000);
    struct outpoint p = tb_op(txs[0], 0);
    txs[1] = tb_simple(&p, 1, values, nout);
}

/* Nothing entered, nobody heard of anything, the sequence is where it was. */
static void assert_untouched(struct tb_fx *f, const struct adds *adds, uint64_t seq0)
{
    assert_int_equal(mempool_count(f->mp), 0);
    assert_int_equal(adds->n, 0);
    assert_int_equal(mempool_sequence(f->mp), seq0);
}

static void test_child_pays_for_parent(void **state)
{
    (void)state;
    struct adds adds;
    struct tb_fx *f = fx_counting(&adds);
    struct tx *txs[2];
    zero_fee_pair(f, (int64_t[]){ 90000 }, 1, txs);
    uint64_t seq0 = mempool_sequence(f->mp);
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    run(f, txs, 2, 0, res, &out);
    assert_null(out.reason);
    assert_int_equal(mempool_count(f->mp), 2);
    size_t total = tx_vsize(txs[0]) + tx_vsize(txs[1]);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res[i].result, MEMPOOL_PKG_VALID);
        assert_int_equal(res[i].eff_feerate, 10000 * 1000 / (int64_t)total);
        assert_int_equal(res[i].eff_includes, 3);
        assert_int_equal(res[i].vsize, tx_vsize(txs[i]));
    }
    assert_int_equal(res[0].fee, 0);
    assert_int_equal(res[1].fee, 10000);
    /* Listeners heard of both, parent first, with consecutive sequences. */
    assert_int_equal(adds.n, 2);
    assert_true(hash_eq(&adds.txid[0], &txs[0]->txid) && hash_eq(&adds.txid[1], &txs[1]->txid));
    assert_true(adds.seq[0] == seq0 && adds.seq[1] == seq0 + 1);
    assert_int_equal(mempool_sequence(f->mp), seq0 + 2);
    /* Again: both are there already. */
    run(f, txs, 2, 0, res, &out);
    assert_null(out.reason);
    assert_int_equal(res[0].result, MEMPOOL_PKG_IN_MEMPOOL);
    assert_int_equal(res[1].fee, 10000);
    mempool_pkg_clear(&out);
    free_all(txs, 2);
    tb_fx_free(f);
}

static void test_package_too_poor(void **state)
{
    (void)state;
    struct adds adds;
    struct tb_fx *f = fx_counting(&adds);
    struct tx *txs[2];
    zero_fee_pair(f, (int64_t[]){ 99950 }, 1, txs); /* 50 sat for both: below 1 sat/vB */
    uint64_t seq0 = mempool_sequence(f->mp);
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    run(f, txs, 2, 0, res, &out);
    assert_string_equal(out.reason, "package-fee-too-low");
    assert_untouched(f, &adds, seq0); /* the trial was never visible */
    assert_int_equal(f->removed[MEMPOOL_REMOVED_CONFLICT], 0);
    /* Each keeps the reason it failed with alone. */
    assert_int_equal(res[0].result, MEMPOOL_PKG_INVALID);
    assert_string_equal(res[0].rej.reason, "min relay fee not met");
    assert_string_equal(res[1].rej.reason, "bad-txns-inputs-missingorspent");
    free_all(txs, 2);
    tb_fx_free(f);
}

/* Members good enough alone enter alone, at their own feerate. */
static void test_each_alone(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct tx *txs[3];
    txs[0] = spend1(&x, 95000);
    txs[1] = spend1(&y, 98000);
    struct outpoint a = tb_op(txs[0], 0), b = tb_op(txs[1], 0);
    txs[2] = spend2(&a, &b, 190000);
    assert_true(mempool_package_is_child_with_parents(txs, 3));
    struct mempool_pkg_tx res[3];
    struct mempool_pkg out;
    run(f, txs, 3, 0, res, &out);
    assert_null(out.reason);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res[i].result, MEMPOOL_PKG_VALID);
        assert_int_equal(res[i].eff_includes, 1u << i);
        assert_int_equal(res[i].eff_feerate, res[i].fee * 1000 / (int64_t)res[i].vsize);
    }
    assert_int_equal(res[2].fee, 3000);
    free_all(txs, 3);
    tb_fx_free(f);
}

static void expect_refused(struct tb_fx *f, struct tx **txs, size_t n, const char *reason)
{
    struct mempool_pkg_tx res[MEMPOOL_MAX_PACKAGE_COUNT + 1];
    struct mempool_pkg out;
    run(f, txs, n, 0, res, &out);
    assert_string_equal(out.reason, reason);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(res[i].result, MEMPOOL_PKG_UNEVALUATED);
    assert_int_equal(mempool_count(f->mp), 0);
}

static void test_well_formed(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct tx *p = spend1(&x, 99000), *q = spend1(&y, 99000);
    struct outpoint po = tb_op(p, 0), qo = tb_op(q, 0);
    struct tx *c = spend1(&po, 98000), *dbl = spend1(&x, 98000);
    struct tx *dup[2] = { p, p }, *unsorted[2] = { c, p }, *conflict[2] = { p, dbl };
    expect_refused(f, dup, 2, "package-contains-duplicates");
    expect_refused(f, unsorted, 2, "package-not-sorted");
    expect_refused(f, conflict, 2, "conflict-in-package");
    struct tx *many[MEMPOOL_MAX_PACKAGE_COUNT + 1];
    for (size_t i = 0; i <= MEMPOOL_MAX_PACKAGE_COUNT; i++)
        many[i] = p;
    expect_refused(f, many, MEMPOOL_MAX_PACKAGE_COUNT + 1, "package-too-many-transactions");
    /* Topology: the child must spend every parent, parents not each other. */
    struct tx *pc[2] = { p, c }, *pq[2] = { p, q }, *one[1] = { p };
    assert_true(mempool_package_is_child_with_parents(pc, 2));
    assert_false(mempool_package_is_child_with_parents(pq, 2));
    assert_false(mempool_package_is_child_with_parents(one, 1));
    struct tx *both = spend2(&po, &qo, 196000), *chain3[3] = { p, c, NULL };
    struct outpoint co = tb_op(c, 0);
    chain3[2] = spend2(&co, &po, 1000); /* conflicts with c too, but topology first */
    assert_false(mempool_package_is_child_with_parents(chain3, 3)); /* c spends p */
    struct tx *tree[3] = { p, q, both };
    assert_true(mempool_package_is_child_with_parents(tree, 3));
    tx_free(chain3[2]);
    tx_free(both);
    free_all((struct tx *[]){ p, q, c, dbl }, 4);
    tb_fx_free(f);
}

static void test_max_feerate(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 1000000, 500, false);
    struct tx *txs[1] = { spend1(&x, 100000) }; /* 900000 sat: over 0.1 BTC/kvB */
    struct mempool_pkg_tx res[1];
    struct mempool_pkg out;
    run(f, txs, 1, TX_COIN / 10, res, &out);
    assert_string_equal(out.reason, "transaction failed");
    assert_int_equal(res[0].result, MEMPOOL_PKG_INVALID);
    assert_string_equal(res[0].rej.reason, "max feerate exceeded");
    assert_int_equal(mempool_count(f->mp), 0);
    run(f, txs, 1, 0, res, &out); /* 0: no cap */
    assert_null(out.reason);
    assert_int_equal(res[0].result, MEMPOOL_PKG_VALID);
    free_all(txs, 1);
    tb_fx_free(f);
}

/* The child fails for another reason than its feerate once its parent is
 * there: the parent, admitted only for the trial, leaves no trace. */
static void test_failed_trial_undone(void **state)
{
    (void)state;
    struct adds adds;
    struct tb_fx *f = fx_counting(&adds);
    struct tx *txs[2];
    zero_fee_pair(f, (int64_t[]){ 80000, 100 }, 2, txs); /* a dust output */
    uint64_t seq0 = mempool_sequence(f->mp);
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    run(f, txs, 2, 0, res, &out);
    assert_string_equal(out.reason, "transaction failed");
    assert_string_equal(res[1].rej.reason, "dust");
    assert_string_equal(res[0].rej.reason, "min relay fee not met");
    assert_untouched(f, &adds, seq0);
    free_all(txs, 2);
    tb_fx_free(f);
}

static void test_replacements(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, 100000, 500, false);
    struct mempool_reject rej;
    struct tx *old = spend1(&x, 99000), *old2 = spend1(&y, 99000);
    assert_int_equal(mempool_accept(f->mp, old, &f->tip, NOW, &rej), MEMPOOL_ACCEPTED);
    assert_int_equal(mempool_accept(f->mp, old2, &f->tip, NOW, &rej), MEMPOOL_ACCEPTED);
    /* A parent paying enough alone replaces old under the usual rules. */
    struct tx *txs[2];
    txs[0] = spend1(&x, 90000);
    struct outpoint p = tb_op(txs[0], 0);
    txs[1] = spend1(&p, 89000);
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    run(f, txs, 2, 0, res, &out);
    assert_null(out.reason);
    assert_int_equal(out.n_replaced, 1);
    assert_true(hash_eq(&out.replaced[0], &old->txid));
    mempool_pkg_clear(&out);
    free_all(txs, 2);
    tx_free(old);
    tx_free(old2);
    tb_fx_free(f);
}

/* Test-accept: each judged by its own fee, seeing the earlier ones'
 * outputs, stopping at the first failure; nothing changes. */
static void test_test_accept(void **state)
{
    (void)state;
    struct adds adds;
    struct tb_fx *f = fx_counting(&adds);
    struct outpoint x = tb_fund(&f->u, 1, 100000, 500, false);
    struct tx *txs[2];
    txs[0] = spend1(&x, 98000);
    struct outpoint p = tb_op(txs[0], 0);
    txs[1] = spend1(&p, 97000);
    uint64_t seq0 = mempool_sequence(f->mp);
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
    assert_true(mempool_test_accept_package(f->mp, txs, 2, &f->tip, NOW, res, &out));
    assert_null(out.reason);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res[i].result, MEMPOOL_PKG_VALID);
        assert_int_equal(res[i].fee, i ? 1000 : 2000);
        assert_int_equal(res[i].vsize, tx_vsize(txs[i]));
        assert_int_equal(res[i].eff_includes, 1u << i);
        assert_int_equal(res[i].eff_feerate, res[i].fee * 1000 / (int64_t)res[i].vsize);
    }
    assert_untouched(f, &adds, seq0);
    /* Unsorted: refused whole. */
    struct tx *unsorted[2] = { txs[1], txs[0] };
    assert_false(mempool_test_accept_package(f->mp, unsorted, 2, &f->tip, NOW, res, &out));
    assert_string_equal(out.reason, "package-not-sorted");
    assert_true(res[0].result == MEMPOOL_PKG_UNEVALUATED &&
                res[1].result == MEMPOOL_PKG_UNEVALUATED);
    /* A parent too poor alone (no package feerate here) stops its child. */
    struct tx *poor[2];
    zero_fee_pair(f, (int64_t[]){ 90000 }, 1, poor);
    assert_true(mempool_test_accept_package(f->mp, poor, 2, &f->tip, NOW, res, &out));
    assert_string_equal(out.reason, "transaction failed");
    assert_int_equal(res[0].result, MEMPOOL_PKG_INVALID);
    assert_string_equal(res[0].rej.reason, "min relay fee not met");
    assert_int_equal(res[1].result, MEMPOOL_PKG_UNEVALUATED);
    /* A transaction in the mempool already is refused. */
    struct mempool_reject rej;
    assert_int_equal(mempool_accept(f->mp, txs[0], &f->tip, NOW, &rej), MEMPOOL_ACCEPTED);
    assert_true(mempool_test_accept_package(f->mp, txs, 2, &f->tip, NOW, res, &out));
    assert_string_equal(res[0].rej.reason, "txn-already-in-mempool");
    assert_int_equal(res[1].result, MEMPOOL_PKG_UNEVALUATED);
    assert_int_equal(mempool_count(f->mp), 1);
    tb_fx_check(f);
    free_all(txs, 2);
    free_all(poor, 2);
    tb_fx_free(f);
}

/* Test-accept applies the TRUC package rules: two children of one
 * version 3 parent refuse the package whole. */
static void test_test_accept_truc(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct tb_in in = { tb_fund(&f->u, 1, 100000, 500, false), TB_SEQ_RBF, NULL, 0, NULL, 0 };
    struct tb_out two[2] = { { 49000, NULL, 0 }, { 49000, NULL, 0 } }, one = { 48000, NULL, 0 };
    struct tx *txs[3];
    txs[0] = tb_tx(3, &in, 1, two, 2, 0);
    for (uint32_t i = 0; i < 2; i++) {
        struct tb_in c = { tb_op(txs[0], i), TB_SEQ_RBF, NULL, 0, NULL, 0 };
        txs[1 + i] = tb_tx(3, &c, 1, &one, 1, 0);
    }
    struct mempool_pkg_tx res[3];
    struct mempool_pkg out;
    assert_true(mempool_test_accept_package(f->mp, txs, 2, &f->tip, NOW, res, &out));
    assert_int_equal(res[1].result, MEMPOOL_PKG_VALID);
    assert_false(mempool_test_accept_package(f->mp, txs, 3, &f->tip, NOW, res, &out));
    assert_string_equal(out.reason, "TRUC-violation");
    assert_true(out.detail[0] != '\0');
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i].result, MEMPOOL_PKG_UNEVALUATED);
    assert_int_equal(mempool_count(f->mp), 0);
    free_all(txs, 3);
    tb_fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_pays_for_parent),
        cmocka_unit_test(test_package_too_poor),
        cmocka_unit_test(test_each_alone),
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_max_feerate),
        cmocka_unit_test(test_failed_trial_undone),
        cmocka_unit_test(test_replacements),
        cmocka_unit_test(test_test_accept),
        cmocka_unit_test(test_test_accept_truc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
