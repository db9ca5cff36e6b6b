/* Package RBF (Core v28): a zero-fee parent and its child replacing a
 * lone transaction and a two-transaction cluster, and each rule refusing
 * one case with Core's reason: a cluster of three, too little fee, a
 * package no better than its parent, a diagram not improved, too many
 * replacements, two parents, a mempool ancestor. A refused package leaves
 * the mempool exactly as it was; the mempool is re-verified after each. */
#include "chain/mempool/mempool.h"
#include "chain/mempool/policy.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW TB_NOW
#define COIN_VALUE 100000

static struct tx *spend1(const struct outpoint *op, int64_t value)
{
    return tb_simple(op, 1, &value, 1);
}

static struct tx *spend2(const struct outpoint *a, const struct outpoint *b, int64_t value)
{
    struct outpoint ins[2] = { *a, *b };
    return tb_simple(ins, 2, &value, 1);
}

static void in_pool(struct tb_fx *f, struct tx *tx)
{
    struct mempool_reject rej;
    assert_int_equal(mempool_accept(f->mp, tx, &f->tip, NOW, &rej), MEMPOOL_ACCEPTED);
}

/* A package: a parent spending op and paying parent_fee, its child
 * paying child_fee. */
struct pkg {
    struct tx *tx[2];
    struct mempool_pkg_tx res[2];
    struct mempool_pkg out;
};

static void make_pkg(struct pkg *p, const struct outpoint *op, int64_t in_value,
                     int64_t parent_fee, int64_t child_fee)
{
    memset(p, 0, sizeof(*p));
    p->tx[0] = spend1(op, in_value - parent_fee);
    struct outpoint po = tb_op(p->tx[0], 0);
    p->tx[1] = spend1(&po, in_value - parent_fee - child_fee);
}

static void submit(struct tb_fx *f, struct pkg *p)
{
    mempool_accept_package(f->mp, p->tx, 2, &f->tip, NOW, 0, p->res, &p->out);
    tb_fx_check(f);
}

static void pkg_free(struct pkg *p)
{
    mempool_pkg_clear(&p->out);
    tx_free(p->tx[0]);
    tx_free(p->tx[1]);
}

static void assert_in(struct tb_fx *f, const struct tx *tx, bool there)
{
    assert_int_equal(mempool_get(f->mp, &tx->txid) != NULL, there);
}

/* The package was refused with this reason (and detail, unless NULL);
 * the transactions in keep are still there, the package's are not. */
static void assert_refused(struct tb_fx *f, struct pkg *p, const char *reason,
                           const char *detail, struct tx *const *keep, size_t n_keep)
{
    size_t count = mempool_count(f->mp);
    submit(f, p);
    assert_non_null(p->out.reason);
    assert_string_equal(p->out.reason, reason);
    if (detail)
        assert_string_equal(p->out.detail, detail);
    assert_int_equal(p->out.n_replaced, 0);
    assert_int_equal(mempool_count(f->mp), count);
    for (size_t i = 0; i < n_keep; i++)
        assert_in(f, keep[i], true);
    assert_in(f, p->tx[0], false);
    assert_in(f, p->tx[1], false);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 0);
}

static bool replaced_has(const struct mempool_pkg *out, const struct tx *tx)
{
    for (size_t i = 0; i < out->n_replaced; i++)
        if (hash_eq(&out->replaced[i], &tx->txid))
            return true;
    return false;
}

static void test_replaces_one(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *old = spend1(&x, COIN_VALUE - 1000);
    in_pool(f, old);
    struct pkg p;
    make_pkg(&p, &x, COIN_VALUE, 0, 5000);
    submit(f, &p);
    assert_null(p.out.reason);
    assert_int_equal(p.out.n_replaced, 1);
    assert_true(replaced_has(&p.out, old));
    assert_in(f, old, false);
    size_t vsize = tx_vsize(p.tx[0]) + tx_vsize(p.tx[1]);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(p.res[i].result, MEMPOOL_PKG_VALID);
        assert_int_equal(p.res[i].eff_feerate, 5000 * 1000 / (int64_t)vsize);
        assert_int_equal(p.res[i].eff_includes, 3);
        assert_in(f, p.tx[i], true);
    }
    /* Alone, the zero-fee parent had failed on its fee. */
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 1);
    pkg_free(&p);
    tx_free(old);
    tb_fx_free(f);
}

/* A parent and child in the mempool, both evicted: one conflicting with
 * the new parent, its child with it. */
static void test_replaces_cluster_of_two(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *a = spend1(&x, COIN_VALUE - 1000);
    struct outpoint ao = tb_op(a, 0);
    struct tx *b = spend1(&ao, COIN_VALUE - 2000);
    in_pool(f, a);
    in_pool(f, b);
    struct pkg p;
    make_pkg(&p, &x, COIN_VALUE, 0, 3000); /* 3000 > 2000 + 1 sat/vB of the package */
    submit(f, &p);
    assert_null(p.out.reason);
    assert_int_equal(p.out.n_replaced, 2);
    assert_true(replaced_has(&p.out, a) && replaced_has(&p.out, b));
    assert_int_equal(mempool_count(f->mp), 2);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 2);
    pkg_free(&p);
    tx_free(a);
    tx_free(b);
    tb_fx_free(f);
}

/* Rule: every conflict's cluster has at most two transactions. A chain
 * of three, conflicted at its top, middle and bottom. */
static void test_cluster_of_three(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    struct outpoint z = tb_fund(&f->u, 3, COIN_VALUE, 500, false);
    struct tx *a = spend1(&x, COIN_VALUE - 1000);
    struct outpoint ao = tb_op(a, 0);
    struct tx *b = spend2(&ao, &y, 2 * COIN_VALUE - 2000);
    struct outpoint bo = tb_op(b, 0);
    struct tx *c = spend2(&bo, &z, 3 * COIN_VALUE - 3000);
    struct tx *chain[3] = { a, b, c };
    for (int i = 0; i < 3; i++)
        in_pool(f, chain[i]);
    const struct outpoint *at[3] = { &x, &y, &z };
    const char *what[3] = { "has 2 descendants, max 1 allowed",
                            "has both ancestor and descendant, exceeding cluster limit of 2",
                            "has 2 ancestors, max 1 allowed" };
    for (int i = 0; i < 3; i++) {
        char hex[HASH_HEX_LEN + 1], want[256];
        hash_to_hex(&chain[i]->txid, hex);
        snprintf(want, sizeof(want), "package RBF failed: %s %s", hex, what[i]);
        struct pkg p;
        make_pkg(&p, at[i], COIN_VALUE, 0, 20000);
        assert_refused(f, &p, want, "", chain, 3);
        pkg_free(&p);
    }
    for (int i = 0; i < 3; i++)
        tx_free(chain[i]);
    tb_fx_free(f);
}

/* Rules 3 and 4 over the package: more than the evicted paid, plus the
 * incremental relay fee for the package's size. */
static void test_not_enough_fee(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *old = spend1(&x, COIN_VALUE - 5000);
    in_pool(f, old);
    struct pkg p;
    make_pkg(&p, &x, COIN_VALUE, 0, 4000);
    char child[HASH_HEX_LEN + 1], want[256];
    hash_to_hex(&p.tx[1]->txid, child);
    snprintf(want, sizeof(want), "rejecting replacement %s, less fees than conflicting txs; "
                                 "0.00004 < 0.00005", child);
    assert_refused(f, &p, "package RBF failed: insufficient anti-DoS fees", want, &old, 1);
    /* Alone the parent failed on its fee, the child on its missing parent. */
    assert_string_equal(p.res[0].rej.reason, "min relay fee not met");
    assert_string_equal(p.res[1].rej.reason, "bad-txns-inputs-missingorspent");
    pkg_free(&p);
    make_pkg(&p, &x, COIN_VALUE, 0, 5100); /* 100 more: less than the package's vsize */
    size_t vsize = tx_vsize(p.tx[0]) + tx_vsize(p.tx[1]);
    hash_to_hex(&p.tx[1]->txid, child);
    snprintf(want, sizeof(want), "rejecting replacement %s, not enough additional fees to "
                                 "relay; 0.000001 < 0.00000%zu", child, vsize);
    assert_refused(f, &p, "package RBF failed: insufficient anti-DoS fees", want, &old, 1);
    pkg_free(&p);
    tx_free(old);
    tb_fx_free(f);
}

/* The package must be a chunk of its own: a child lowering its parent's
 * feerate is refused even though the total pays for the replacement. */
static void test_no_better_than_parent(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *old = spend1(&x, COIN_VALUE - 10000);
    in_pool(f, old);
    struct pkg p;
    make_pkg(&p, &x, COIN_VALUE, 9000, 1200); /* alone: a lower feerate than old's */
    int64_t vp = (int64_t)tx_vsize(p.tx[0]), vs = vp + (int64_t)tx_vsize(p.tx[1]);
    char want[200];
    snprintf(want, sizeof(want), "package feerate 0.%08lld BTC/kvB <= parent feerate is "
                                 "0.%08lld BTC/kvB", (long long)(10200 * 1000 / vs),
             (long long)(9000 * 1000 / vp));
    assert_refused(f, &p, "package RBF failed: package feerate is less than or equal to parent "
                          "feerate", want, &old, 1);
    assert_string_equal(p.res[0].rej.reason, "insufficient fee");
    pkg_free(&p);
    tx_free(old);
    tb_fx_free(f);
}

/* The feerate diagram must improve: evicting a high-feerate parent for a
 * package paying more in total but at a lower feerate lowers the top of
 * the mempool. */
static void test_diagram_not_improved(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *a = spend1(&x, COIN_VALUE - 20000);
    struct outpoint ao = tb_op(a, 0);
    struct tx *b = spend1(&ao, COIN_VALUE - 21000);
    in_pool(f, a);
    in_pool(f, b);
    struct tx *keep[2] = { a, b };
    struct pkg p;
    make_pkg(&p, &x, COIN_VALUE, 0, 22000);
    assert_refused(f, &p, "package RBF failed: insufficient feerate: does not improve feerate "
                          "diagram", "", keep, 2);
    pkg_free(&p);
    /* Paying more than the parent's feerate over both: accepted. */
    make_pkg(&p, &x, COIN_VALUE, 0, 45000);
    submit(f, &p);
    assert_null(p.out.reason);
    assert_int_equal(p.out.n_replaced, 2);
    pkg_free(&p);
    tx_free(a);
    tx_free(b);
    tb_fx_free(f);
}

/* Rule 5: at most 100 evicted, counted over both members' conflicts. */
static void test_too_many_replacements(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    enum { N = MEMPOOL_MAX_REPLACEMENTS + 1 };
    struct outpoint ops[N];
    struct tx *olds[N];
    for (uint32_t i = 0; i < N; i++) {
        ops[i] = tb_fund(&f->u, 10 + i, 10000, 500, false);
        olds[i] = spend1(&ops[i], 9000);
        in_pool(f, olds[i]);
    }
    struct pkg p;
    memset(&p, 0, sizeof(p));
    int64_t out_value = 10000 * N;
    p.tx[0] = tb_simple(ops, N, &out_value, 1);
    struct outpoint po = tb_op(p.tx[0], 0);
    p.tx[1] = spend1(&po, out_value - 200000);
    char child[HASH_HEX_LEN + 1], want[256];
    hash_to_hex(&p.tx[1]->txid, child);
    snprintf(want, sizeof(want), "rejecting replacement %s; too many potential replacements "
                                 "(101 > 100)\n", child);
    assert_refused(f, &p, "package RBF failed: too many potential replacements", want, olds, N);
    pkg_free(&p);
    for (int i = 0; i < N; i++)
        tx_free(olds[i]);
    tb_fx_free(f);
}

/* Only one parent and its child: with a second parent, or a mempool
 * ancestor, the cluster would grow past two. */
static void test_shape(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    struct outpoint z = tb_fund(&f->u, 3, COIN_VALUE, 500, false);
    struct tx *old = spend1(&x, COIN_VALUE - 1000);
    struct tx *m = spend1(&z, COIN_VALUE - 1000);
    in_pool(f, old);
    in_pool(f, m);
    struct tx *keep[2] = { old, m };
    /* Two zero-fee parents, one conflicting, and their child. */
    struct tx *p1 = spend1(&x, COIN_VALUE), *p2 = spend1(&y, COIN_VALUE);
    struct outpoint o1 = tb_op(p1, 0), o2 = tb_op(p2, 0);
    struct tx *c = spend2(&o1, &o2, 2 * COIN_VALUE - 20000);
    struct tx *three[3] = { p1, p2, c };
    struct mempool_pkg_tx res[3];
    struct mempool_pkg out;
    mempool_accept_package(f->mp, three, 3, &f->tip, NOW, 0, res, &out);
    tb_fx_check(f);
    assert_string_equal(out.reason, "package RBF failed: package must be 1-parent-1-child");
    assert_int_equal(mempool_count(f->mp), 2);
    mempool_pkg_clear(&out);
    /* A parent also spending the mempool's m. */
    struct outpoint mo = tb_op(m, 0);
    struct pkg p;
    memset(&p, 0, sizeof(p));
    int64_t v = 2 * COIN_VALUE - 1000;
    p.tx[0] = spend2(&x, &mo, v);
    struct outpoint po = tb_op(p.tx[0], 0);
    p.tx[1] = spend1(&po, v - 20000);
    assert_refused(f, &p, "package RBF failed: new transaction cannot have mempool ancestors",
                   "", keep, 2);
    pkg_free(&p);
    tx_free(p1);
    tx_free(p2);
    tx_free(c);
    tx_free(old);
    tx_free(m);
    tb_fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaces_one),
        cmocka_unit_test(test_replaces_cluster_of_two),
        cmocka_unit_test(test_cluster_of_three),
        cmocka_unit_test(test_not_enough_fee),
        cmocka_unit_test(test_no_better_than_parent),
        cmocka_unit_test(test_diagram_not_improved),
        cmocka_unit_test(test_too_many_replacements),
        cmocka_unit_test(test_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
