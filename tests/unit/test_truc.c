/* TRUC (BIP431) policy as Bitcoin Core's: each limit accepted at its
 * value and refused one past it with Core's reason and detail, version
 * inheritance both ways, sibling eviction with enough and too little fee
 * (the sibling signalling or not), the package rules (submitpackage and
 * package RBF), and a reorg returning transactions whatever their
 * topology. The mempool is re-verified after each change. */
#include "chain/mempool/mempool.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW TB_NOW
#define COIN_VALUE 1000000
#define SEQ_FINAL 0xffffffffu

static void accept_ok(struct tb_fx *f, struct tx *tx)
{
    struct mempool_reject rej;
    if (mempool_accept(f->mp, tx, &f->tip, NOW, &rej) != MEMPOOL_ACCEPTED)
        fail_msg("rejected: %s (%s)", rej.reason, rej.detail);
    tb_fx_check(f);
}

static bool in_pool(struct tb_fx *f, const struct tx *tx)
{
    return mempool_get(f->mp, &tx->txid) != NULL;
}

/* Core's "txid (wtxid=wtxid)" naming of a transaction. */
static void name(const struct tx *tx, char *out, size_t len)
{
    char t[HASH_HEX_LEN + 1], w[HASH_HEX_LEN + 1];
    hash_to_hex(&tx->txid, t);
    hash_to_hex(&tx->wtxid, w);
    snprintf(out, len, "%s (wtxid=%s)", t, w);
}

/* Expects this reason and exact detail, the mempool unchanged; frees tx. */
static void expect_reject(struct tb_fx *f, struct tx *tx, const char *reason, const char *detail)
{
    struct mempool_reject rej;
    size_t before = mempool_count(f->mp);
    assert_int_equal(mempool_accept(f->mp, tx, &f->tip, NOW, &rej), MEMPOOL_POLICY);
    assert_string_equal(rej.reason, reason);
    if (detail)
        assert_string_equal(rej.detail, detail);
    assert_int_equal(mempool_count(f->mp), before);
    tb_fx_check(f);
    tx_free(tx);
}

/* A TRUC-violation whose detail is pre, a's name, mid, and b's name if
 * any. */
static void expect_truc(struct tb_fx *f, struct tx *tx, const char *pre, const struct tx *a,
                        const char *mid, const struct tx *b)
{
    char na[200], nb[200] = "", want[400];
    name(a, na, sizeof(na));
    if (b)
        name(b, nb, sizeof(nb));
    snprintf(want, sizeof(want), "%s%s%s%s", pre, na, mid, nb);
    expect_reject(f, tx, "TRUC-violation", want);
}

/* A transaction of exactly target vbytes (no witness: vsize is size)
 * spending ins, paying out in equal P2WPKH outputs, padded by a
 * scriptSig of OP_0s. */
static struct tx *sized(int32_t version, const struct outpoint *ins, size_t nin, uint32_t seq,
                        int64_t out, size_t target)
{
    struct tb_in *in = calloc(nin, sizeof(*in));
    for (size_t i = 0; i < nin; i++)
        in[i] = (struct tb_in){ ins[i], seq, NULL, 0, NULL, 0 };
    struct tb_out one = { out, NULL, 0 };
    struct tx *probe = tb_tx(version, in, nin, &one, 1, 0);
    size_t n = 1 + (target - tx_vsize(probe)) / 31, pad = 0;
    tx_free(probe);
    struct tb_out *outs = calloc(n, sizeof(*outs));
    struct tx *tx = NULL;
    for (;;) {
        for (size_t i = 0; i < n; i++)
            outs[i] = (struct tb_out){ out / (int64_t)n, NULL, 0 };
        tx = tb_tx(version, in, nin, outs, n, 0);
        if (tx_vsize(tx) <= target)
            break;
        tx_free(tx);
        n--; /* the output count's own size grew */
    }
    pad = target - tx_vsize(tx);
    tx_free(tx);
    uint8_t *zeros = calloc(pad + 1, 1);
    in[0].sig = zeros;
    in[0].sig_len = pad;
    tx = tb_tx(version, in, nin, outs, n, 0);
    assert_int_equal(tx_vsize(tx), target);
    free(zeros);
    free(outs);
    free(in);
    return tx;
}

/* A lone transaction of version v spending op, with n_out outputs of
 * value each. */
static struct tx *fan(int32_t v, struct outpoint op, uint32_t seq, int64_t value, size_t n_out)
{
    struct tb_in in = { op, seq, NULL, 0, NULL, 0 };
    struct tb_out outs[4];
    for (size_t i = 0; i < n_out; i++)
        outs[i] = (struct tb_out){ value, NULL, 0 };
    return tb_tx(v, &in, 1, outs, n_out, 0);
}

static void test_max_vsize(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *heavy = sized(3, &x, 1, TB_SEQ_RBF, COIN_VALUE - 20000, 10001);
    char want[300];
    char nm[200];
    name(heavy, nm, sizeof(nm));
    snprintf(want, sizeof(want), "version=3 tx %s is too big: 10001 > 10000 virtual bytes", nm);
    expect_reject(f, heavy, "TRUC-violation", want);
    struct tx *at = sized(3, &x, 1, TB_SEQ_RBF, COIN_VALUE - 20000, 10000);
    accept_ok(f, at);
    /* The limit is TRUC's own: version 2 may be larger. */
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    struct tx *v2 = sized(2, &y, 1, TB_SEQ_RBF, COIN_VALUE - 20000, 10001);
    accept_ok(f, v2);
    tx_free(at);
    tx_free(v2);
    tb_fx_free(f);
}

static void test_child_vsize(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *parent = fan(3, x, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    accept_ok(f, parent);
    struct outpoint p0 = tb_op(parent, 0);
    struct tx *heavy = sized(3, &p0, 1, TB_SEQ_RBF, COIN_VALUE - 10000, 1001);
    char want[300], nm[200];
    name(heavy, nm, sizeof(nm));
    snprintf(want, sizeof(want), "version=3 child tx %s is too big: 1001 > 1000 virtual bytes",
             nm);
    expect_reject(f, heavy, "TRUC-violation", want);
    struct tx *at = sized(3, &p0, 1, TB_SEQ_RBF, COIN_VALUE - 10000, 1000);
    accept_ok(f, at);
    /* A replacement counts alone against the child limits. */
    struct tx *rbf = sized(3, &p0, 1, TB_SEQ_RBF, COIN_VALUE - 20000, 1000);
    accept_ok(f, rbf);
    assert_false(in_pool(f, at));
    const struct mempool_entry *e = mempool_get(f->mp, &parent->txid);
    struct mempool_family fam;
    mempool_entry_family(e, &fam);
    assert_int_equal(fam.desc_count, 2);
    tx_free(parent);
    tx_free(at);
    tx_free(rbf);
    tb_fx_free(f);
}

static void test_inheritance(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    struct tx *v3 = fan(3, x, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    struct tx *v2 = fan(2, y, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    accept_ok(f, v3);
    accept_ok(f, v2);
    struct tx *bad = fan(2, tb_op(v3, 0), TB_SEQ_RBF, COIN_VALUE - 2000, 1);
    expect_truc(f, bad, "non-version=3 tx ", bad, " cannot spend from version=3 tx ", v3);
    bad = fan(3, tb_op(v2, 0), TB_SEQ_RBF, COIN_VALUE - 2000, 1);
    expect_truc(f, bad, "version=3 tx ", bad, " cannot spend from non-version=3 tx ", v2);
    /* Confirmed outputs may be spent by any version. */
    struct outpoint z = tb_fund(&f->u, 3, COIN_VALUE, 500, false);
    struct tx *v1 = fan(1, z, SEQ_FINAL, COIN_VALUE - 1000, 1);
    accept_ok(f, v1);
    tx_free(v3);
    tx_free(v2);
    tx_free(v1);
    tb_fx_free(f);
}

static void test_ancestor_limit(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    struct tx *a = fan(3, x, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    struct tx *b = fan(3, y, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    accept_ok(f, a);
    accept_ok(f, b);
    /* Two unconfirmed parents: three ancestors counting itself. */
    struct outpoint ab[2] = { tb_op(a, 0), tb_op(b, 0) };
    struct tx *two = sized(3, ab, 2, TB_SEQ_RBF, 2 * COIN_VALUE - 5000, 300);
    expect_truc(f, two, "tx ", two, " would have too many ancestors", NULL);
    struct tx *child = fan(3, tb_op(a, 0), TB_SEQ_RBF, COIN_VALUE - 2000, 1);
    accept_ok(f, child);
    struct tx *grandchild = fan(3, tb_op(child, 0), TB_SEQ_RBF, COIN_VALUE - 3000, 1);
    expect_truc(f, grandchild, "tx ", grandchild, " would have too many ancestors", NULL);
    tx_free(a);
    tx_free(b);
    tx_free(child);
    tb_fx_free(f);
}

/* A parent with two outputs and its first child; the second child may
 * take the slot only by paying for the first under the replacement rules. */
static void sibling_case(bool signalling)
{
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *parent = fan(3, x, TB_SEQ_RBF, 400000, 2);
    accept_ok(f, parent);
    struct tx *first = fan(3, tb_op(parent, 0), signalling ? TB_SEQ_RBF : SEQ_FINAL, 390000, 1);
    accept_ok(f, first);
    /* A grandchild would have too many ancestors whatever it pays. */
    struct tx *gc = fan(3, tb_op(first, 0), TB_SEQ_RBF, 300000, 1);
    expect_truc(f, gc, "tx ", gc, " would have too many ancestors", NULL);
    /* Fee 10,000 pays no more than the sibling's: not enough. */
    expect_reject(f, fan(3, tb_op(parent, 1), TB_SEQ_RBF, 390000, 1),
                  "insufficient fee (including sibling eviction)", NULL);
    struct tx *second = fan(3, tb_op(parent, 1), TB_SEQ_RBF, 380000, 1);
    accept_ok(f, second);
    assert_false(in_pool(f, first));
    assert_true(in_pool(f, second));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 1);
    tx_free(parent);
    tx_free(first);
    tx_free(second);
    tb_fx_free(f);
}

static void test_sibling_eviction(void **state)
{
    (void)state;
    sibling_case(true);
    sibling_case(false);
}

/* testmempoolaccept judges a sibling eviction as acceptance would, and
 * changes nothing. */
static void test_sibling_test_accept(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *parent = fan(3, x, TB_SEQ_RBF, 400000, 2);
    accept_ok(f, parent);
    struct tx *first = fan(3, tb_op(parent, 0), TB_SEQ_RBF, 390000, 1);
    accept_ok(f, first);
    struct tx *second = fan(3, tb_op(parent, 1), TB_SEQ_RBF, 380000, 1);
    struct mempool_reject rej;
    assert_int_equal(mempool_test_accept(f->mp, second, &f->tip, NOW, &rej, NULL, NULL),
                     MEMPOOL_ACCEPTED);
    assert_true(in_pool(f, first));
    assert_false(in_pool(f, second));
    tx_free(parent);
    tx_free(first);
    tx_free(second);
    tb_fx_free(f);
}

/* ---- packages ---- */

struct pkg {
    struct tx *tx[3];
    size_t n;
    struct mempool_pkg_tx res[3];
    struct mempool_pkg out;
};

static void submit(struct tb_fx *f, struct pkg *p)
{
    mempool_accept_package(f->mp, p->tx, p->n, &f->tip, NOW, 0, p->res, &p->out);
    tb_fx_check(f);
}

static void pkg_free(struct pkg *p)
{
    mempool_pkg_clear(&p->out);
    for (size_t i = 0; i < p->n; i++)
        tx_free(p->tx[i]);
}

/* The package refused as a TRUC-violation whose detail is pre, a's
 * name and post, none of its transactions in the mempool. */
static void expect_pkg_truc(struct tb_fx *f, struct pkg *p, const char *pre, const struct tx *a,
                            const char *post)
{
    size_t before = mempool_count(f->mp);
    submit(f, p);
    assert_non_null(p->out.reason);
    assert_string_equal(p->out.reason, "TRUC-violation");
    char nm[200], want[400];
    name(a, nm, sizeof(nm));
    snprintf(want, sizeof(want), "%s%s%s", pre, nm, post);
    assert_string_equal(p->out.detail, want);
    assert_int_equal(mempool_count(f->mp), before);
    for (size_t i = 0; i < p->n; i++)
        assert_false(in_pool(f, p->tx[i]));
    pkg_free(p);
}

/* A zero-fee version 3 parent paid for by its child: accepted together. */
static void test_package_ok(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct pkg p = { .n = 2 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = sized(3, (struct outpoint[]){ tb_op(p.tx[0], 0) }, 1, TB_SEQ_RBF,
                    COIN_VALUE - 5000, 1000);
    submit(f, &p);
    assert_null(p.out.reason);
    assert_true(in_pool(f, p.tx[0]) && in_pool(f, p.tx[1]));
    pkg_free(&p);
    tb_fx_free(f);
}

static void test_package_limits(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct outpoint y = tb_fund(&f->u, 2, COIN_VALUE, 500, false);
    /* The child one vbyte over its limit. */
    struct pkg p = { .n = 2 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = sized(3, (struct outpoint[]){ tb_op(p.tx[0], 0) }, 1, TB_SEQ_RBF,
                    COIN_VALUE - 5000, 1001);
    expect_pkg_truc(f, &p, "version=3 child tx ", p.tx[1],
                    " is too big: 1001 > 1000 virtual bytes");
    /* Two version 3 parents in the package. */
    p = (struct pkg){ .n = 3 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = fan(3, y, TB_SEQ_RBF, COIN_VALUE, 1);
    struct outpoint both[2] = { tb_op(p.tx[0], 0), tb_op(p.tx[1], 0) };
    p.tx[2] = sized(3, both, 2, TB_SEQ_RBF, 2 * COIN_VALUE - 10000, 300);
    expect_pkg_truc(f, &p, "tx ", p.tx[2], " would have too many ancestors");
    /* A version 2 child of a version 3 parent in the package. */
    p = (struct pkg){ .n = 2 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = fan(2, tb_op(p.tx[0], 0), TB_SEQ_RBF, COIN_VALUE - 5000, 1);
    char post[300], nm[200];
    name(p.tx[0], nm, sizeof(nm));
    snprintf(post, sizeof(post), " cannot spend from version=3 tx %s", nm);
    expect_pkg_truc(f, &p, "non-version=3 tx ", p.tx[1], post);
    tb_fx_free(f);
}

/* In-mempool relatives count with the package's: a package parent of a
 * mempool transaction leaves its child no room, and two package members
 * may not share a mempool parent. */
static void test_package_and_mempool(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *a = fan(3, x, TB_SEQ_RBF, 400000, 2);
    accept_ok(f, a);
    struct pkg p = { .n = 2 };
    p.tx[0] = fan(3, tb_op(a, 0), TB_SEQ_RBF, 400000, 1);
    p.tx[1] = fan(3, tb_op(p.tx[0], 0), TB_SEQ_RBF, 390000, 1);
    expect_pkg_truc(f, &p, "tx ", p.tx[1], " would have too many ancestors");
    p = (struct pkg){ .n = 3 };
    p.tx[0] = fan(3, tb_op(a, 0), TB_SEQ_RBF, 400000, 1);
    p.tx[1] = fan(3, tb_op(a, 1), TB_SEQ_RBF, 400000, 1);
    struct outpoint both[2] = { tb_op(p.tx[0], 0), tb_op(p.tx[1], 0) };
    p.tx[2] = sized(3, both, 2, TB_SEQ_RBF, 780000, 300);
    expect_pkg_truc(f, &p, "tx ", a, " would exceed descendant count limit");
    assert_int_equal(mempool_count(f->mp), 1);
    tx_free(a);
    tb_fx_free(f);
}

/* Package RBF honours TRUC: a version 3 pair replacing a transaction is
 * refused when its child is over the child limit, accepted at it. */
static void test_package_rbf(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *old = fan(3, x, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    accept_ok(f, old);
    struct pkg p = { .n = 2 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = sized(3, (struct outpoint[]){ tb_op(p.tx[0], 0) }, 1, TB_SEQ_RBF,
                    COIN_VALUE - 20000, 1001);
    expect_pkg_truc(f, &p, "version=3 child tx ", p.tx[1],
                    " is too big: 1001 > 1000 virtual bytes");
    assert_true(in_pool(f, old));
    p = (struct pkg){ .n = 2 };
    p.tx[0] = fan(3, x, TB_SEQ_RBF, COIN_VALUE, 1);
    p.tx[1] = sized(3, (struct outpoint[]){ tb_op(p.tx[0], 0) }, 1, TB_SEQ_RBF,
                    COIN_VALUE - 20000, 1000);
    submit(f, &p);
    assert_null(p.out.reason);
    assert_false(in_pool(f, old));
    assert_true(in_pool(f, p.tx[0]) && in_pool(f, p.tx[1]));
    pkg_free(&p);
    tx_free(old);
    tb_fx_free(f);
}

/* As Core: transactions returned by a disconnected block are not held
 * to TRUC (a version 2 child of a version 3 parent, a chain of three). */
static void test_reorg_not_enforced(void **state)
{
    (void)state;
    struct tb_fx *f = tb_fx_new(NULL);
    struct outpoint x = tb_fund(&f->u, 1, COIN_VALUE, 500, false);
    struct tx *p1 = fan(3, x, TB_SEQ_RBF, COIN_VALUE - 1000, 1);
    struct tx *p2 = fan(3, tb_op(p1, 0), TB_SEQ_RBF, COIN_VALUE - 2000, 1);
    struct tx *p3 = fan(3, tb_op(p2, 0), TB_SEQ_RBF, COIN_VALUE - 3000, 1);
    /* Confirmed: p3's output is a coin, spent by a version 2 child. */
    struct outpoint p30 = tb_op(p3, 0);
    tb_utxo_del(&f->u, &x);
    tb_utxo_add(&f->u, &p30, COIN_VALUE - 3000, TB_TIP_HEIGHT, false);
    struct tx *v2 = fan(2, p30, TB_SEQ_RBF, COIN_VALUE - 4000, 1);
    accept_ok(f, v2);
    /* Disconnected: the coins are back before the block. */
    tb_utxo_del(&f->u, &p30);
    tb_utxo_add(&f->u, &x, COIN_VALUE, 500, false);
    struct tx *txs[] = { p1, p2, p3 };
    struct block blk = { .tx_count = 3, .txs = txs };
    f->tip.height--;
    mempool_block_disconnected(f->mp, &blk, &f->tip, NOW);
    tb_fx_check(f);
    assert_true(in_pool(f, p1) && in_pool(f, p2) && in_pool(f, p3) && in_pool(f, v2));
    assert_int_equal(mempool_count(f->mp), 4);
    tx_free(p1);
    tx_free(p2);
    tx_free(p3);
    tx_free(v2);
    tb_fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_vsize),
        cmocka_unit_test(test_child_vsize),
        cmocka_unit_test(test_inheritance),
        cmocka_unit_test(test_ancestor_limit),
        cmocka_unit_test(test_sibling_eviction),
        cmocka_unit_test(test_sibling_test_accept),
        cmocka_unit_test(test_package_ok),
        cmocka_unit_test(test_package_limits),
        cmocka_unit_test(test_package_and_mempool),
        cmocka_unit_test(test_package_rbf),
        cmocka_unit_test(test_reorg_not_enforced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
