/* Header tree: insertion, work and best header, invalid subtrees,
 * ancestors, the active chain, locators and fork finding. */
#include "chain/validation/blockindex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define REGTEST_BITS 0x207fffff

/* Hashes here are labels: the tree does not recompute them. */
static struct hash256 label(uint32_t branch, uint32_t height)
{
    struct hash256 h;
    memset(&h, 0, sizeof(h));
    ser_put_le32(h.b, branch * 1000003u + height + 1);
    ser_put_le32(h.b + 4, branch);
    ser_put_le32(h.b + 8, height);
    return h;
}

/* Extends from parent with n headers of the given branch. */
static struct bindex_node *extend(struct bindex *bi, struct bindex_node *parent, uint32_t branch,
                                  int n, uint32_t bits)
{
    struct bindex_node *p = parent;
    for (int i = 0; i < n; i++) {
        struct block_header h = {.version = 4, .time = 1000 + (uint32_t)(p ? p->height + 1 : 0) * 600,
                                 .bits = bits};
        if (p)
            h.prev = p->hash;
        struct hash256 hash = label(branch, (uint32_t)(p ? p->height + 1 : 0));
        p = bindex_add(bi, &h, &hash);
        assert_non_null(p);
    }
    return p;
}

static void test_add_and_best(void **state)
{
    (void)state;
    struct bindex *bi = bindex_new();
    struct bindex_node *a = extend(bi, NULL, 0, 101, REGTEST_BITS);
    assert_int_equal(a->height, 100);
    assert_int_equal(a->work.w[0], 202);
    assert_ptr_equal(bindex_best_header(bi), a);
    assert_int_equal(bindex_count(bi), 101);
    struct hash256 h = label(0, 50);
    assert_ptr_equal(bindex_find(bi, &h), bindex_ancestor(a, 50));
    h = label(9, 9);
    assert_null(bindex_find(bi, &h));
    /* Adding a known header returns the node; an orphan is refused. */
    assert_ptr_equal(bindex_add(bi, &a->hdr, &a->hash), a);
    struct block_header orphan = {.prev = label(7, 7), .bits = REGTEST_BITS};
    assert_null(bindex_add(bi, &orphan, &h));

    /* A branch of equal work does not win: first seen does. */
    struct bindex_node *fork = bindex_ancestor(a, 90);
    struct bindex_node *b = extend(bi, fork, 1, 10, REGTEST_BITS);
    assert_int_equal(u256_cmp(&a->work, &b->work), 0);
    assert_ptr_equal(bindex_best_header(bi), a);
    b = extend(bi, b, 1, 1, REGTEST_BITS);
    assert_ptr_equal(bindex_best_header(bi), b);
    assert_ptr_equal(bindex_fork_point(a, b), fork);
    assert_ptr_equal(bindex_fork_point(b, fork), fork);

    /* Invalidating the branch marks descendants and restores the best. */
    struct bindex_node *bad = bindex_ancestor(b, 95);
    int changed = 0;
    bindex_mark_failed(bi, bad, "bad-txnmrklroot", NULL, NULL);
    assert_true(bad->status & BINDEX_FAILED);
    assert_string_equal(bad->reason, "bad-txnmrklroot");
    for (struct bindex_node *n = b; n != bad; n = n->prev) {
        assert_true(n->status & BINDEX_FAILED_CHILD);
        changed++;
    }
    assert_int_equal(changed, 6);
    assert_false(bindex_ancestor(b, 94)->status & BINDEX_FAILED_MASK);
    assert_ptr_equal(bindex_best_header(bi), a);
    /* New children of an invalid header are invalid too. */
    struct bindex_node *c = extend(bi, b, 1, 5, REGTEST_BITS);
    assert_true(c->status & BINDEX_FAILED_CHILD);
    assert_ptr_equal(bindex_best_header(bi), a);
    bindex_free(bi);
    bindex_free(NULL);
}

static void test_ancestor(void **state)
{
    (void)state;
    struct bindex *bi = bindex_new();
    struct bindex_node *tip = extend(bi, NULL, 0, 5000, REGTEST_BITS);
    struct bindex_node **byh = calloc(5000, sizeof(*byh));
    for (struct bindex_node *n = tip; n; n = n->prev)
        byh[n->height] = n;
    for (int from = 0; from < 5000; from += 37)
        for (int to = 0; to <= from; to += 13)
            assert_ptr_equal(bindex_ancestor(byh[from], to), byh[to]);
    assert_null(bindex_ancestor(tip, 5000));
    assert_null(bindex_ancestor(tip, -1));
    free(byh);
    bindex_free(bi);
}

static void test_active_and_locator(void **state)
{
    (void)state;
    struct bindex *bi = bindex_new();
    assert_int_equal(bindex_height(bi), -1);
    assert_null(bindex_tip(bi));
    struct bindex_node *a = extend(bi, NULL, 0, 1000, REGTEST_BITS);
    bindex_set_tip(bi, a);
    assert_int_equal(bindex_height(bi), 999);
    assert_ptr_equal(bindex_at(bi, 500), bindex_ancestor(a, 500));
    assert_null(bindex_at(bi, 1000));

    struct hash256 loc[101];
    size_t n = bindex_locator(bi, NULL, loc, 101);
    /* 10 one apart, then doubling steps, ending with genesis. */
    assert_true(hash_eq(&loc[0], &a->hash));
    struct hash256 h9 = label(0, 989), h11 = label(0, 988), h12 = label(0, 986);
    assert_true(hash_eq(&loc[10], &h9));
    assert_true(hash_eq(&loc[11], &h11));
    assert_true(hash_eq(&loc[12], &h12));
    struct hash256 g = label(0, 0);
    assert_true(hash_eq(&loc[n - 1], &g));
    assert_true(n < 30);

    /* A competing branch becomes active: the index follows it. */
    struct bindex_node *fork = bindex_ancestor(a, 900);
    struct bindex_node *b = extend(bi, fork, 1, 200, REGTEST_BITS);
    bindex_set_tip(bi, b);
    assert_false(bindex_contains(bi, a));
    assert_true(bindex_contains(bi, fork));
    assert_ptr_equal(bindex_at(bi, 950), bindex_ancestor(b, 950));

    /* A peer on the old branch: its locator's first hash on our chain
     * (at 862: 999..989, 988, 986, 982, 974, 958, 926, 862) is where
     * headers start; from the fork itself, the fork. */
    n = bindex_locator(bi, a, loc, 101);
    assert_ptr_equal(bindex_find_fork(bi, loc, n), bindex_at(bi, 862));
    n = bindex_locator(bi, fork, loc, 101);
    assert_ptr_equal(bindex_find_fork(bi, loc, n), fork);
    /* A peer ahead of us on our own chain: our tip. */
    bindex_set_tip(bi, bindex_ancestor(b, 1000));
    n = bindex_locator(bi, b, loc, 101);
    assert_ptr_equal(bindex_find_fork(bi, loc, n), bindex_ancestor(b, 1000));
    bindex_set_tip(bi, b);
    /* A locator of unknown hashes: genesis. */
    struct hash256 unknown = label(5, 5);
    assert_ptr_equal(bindex_find_fork(bi, &unknown, 1), bindex_at(bi, 0));
    /* Shrinking the chain. */
    bindex_set_tip(bi, fork);
    assert_int_equal(bindex_height(bi), 900);
    bindex_set_tip(bi, NULL);
    assert_int_equal(bindex_height(bi), -1);
    bindex_free(bi);
}

static void test_median_time(void **state)
{
    (void)state;
    struct bindex *bi = bindex_new();
    static const uint32_t times[] = {10, 50, 20, 40, 30, 90, 80, 70, 60, 100, 110, 5};
    struct bindex_node *p = NULL;
    for (uint32_t i = 0; i < 12; i++) {
        struct block_header h = {.time = times[i], .bits = REGTEST_BITS};
        if (p)
            h.prev = p->hash;
        struct hash256 hash = label(0, i);
        p = bindex_add(bi, &h, &hash);
        if (i == 2)
            assert_int_equal(bindex_median_time_past(p), 20);
    }
    /* The last 11: 50 20 40 30 90 80 70 60 100 110 5 -> median 60. */
    assert_int_equal(bindex_median_time_past(p), 60);
    bindex_free(bi);
}

static void test_record(void **state)
{
    (void)state;
    struct bindex *bi = bindex_new();
    struct bindex_node *a = extend(bi, NULL, 0, 3, REGTEST_BITS);
    a->status |= BINDEX_HAVE_DATA;
    bindex_mark_failed(bi, a, "high-hash", NULL, NULL);
    struct wbuf w;
    wbuf_init(&w);
    bindex_node_encode(a, &w);
    struct bindex_record rec;
    assert_true(bindex_record_decode(w.data, w.len, &rec));
    assert_int_equal(rec.height, 2);
    assert_int_equal(rec.status, BINDEX_HAVE_DATA | BINDEX_FAILED);
    assert_string_equal(rec.reason, "high-hash");
    assert_int_equal(u256_cmp(&rec.work, &a->work), 0);
    assert_true(hash_eq(&rec.hdr.prev, &a->hdr.prev));
    struct bindex_record bad;
    assert_false(bindex_record_decode(w.data, w.len - 1, &bad));
    assert_null(bad.reason);

    /* Restoring into a fresh tree. */
    struct bindex *bi2 = bindex_new();
    struct bindex_node *b = extend(bi2, NULL, 0, 3, REGTEST_BITS);
    assert_ptr_equal(bindex_best_header(bi2), b);
    bindex_restore(bi2, b, &rec);
    assert_true(b->status & BINDEX_FAILED);
    assert_ptr_not_equal(bindex_best_header(bi2), b);
    free(rec.reason);
    wbuf_free(&w);
    bindex_free(bi);
    bindex_free(bi2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_best),  cmocka_unit_test(test_ancestor),
        cmocka_unit_test(test_active_and_locator), cmocka_unit_test(test_median_time),
        cmocka_unit_test(test_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
