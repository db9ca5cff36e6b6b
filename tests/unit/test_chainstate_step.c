/* The best-chain activation one block per step: a block accepted is
 * stored only, and each later step moves the tip by exactly one block, through reorganizations and invalid blocks alike,
 * to the same end as a whole activation. */
#include "chain/validation/chainstate.h"
#include "tests/unit/chainstate_fixture.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int setup(void **state)
{
    return csfix_setup(state, "chainstate_step");
}

static int teardown(void **state)
{
    return csfix_teardown(state);
}

/* n blocks on parent, none submitted; the coinbase of block `bad` (-1:
 * none) claims a satoshi above the subsidy: invalid when it connects. */
static void build(struct csfix *f, const struct bindex_node *parent, struct block **out, int n,
                  int bad)
{
    struct hash256 prev = parent->hash;
    uint32_t time = parent->hdr.time;
    for (int i = 0; i < n; i++) {
        int h = parent->height + 1 + i;
        struct tx *cb = testutil_coinbase(h, params_block_subsidy(f->p, h) + (i == bad),
                                          ++f->tag);
        time += 600;
        out[i] = testutil_block(&prev, time, &cb, 1);
        prev = out[i]->hash;
    }
}

static void headers(struct csfix *f, struct block **bs, int n)
{
    struct block_header h[16];
    char *err = NULL;
    const char *reason = NULL;
    for (int i = 0; i < n; i++)
        h[i] = bs[i]->hdr;
    assert_int_equal(chainstate_process_headers(f->cs, h, (size_t)n, NULL, &reason, &err),
                     CHAINSTATE_ACCEPTED);
}

static enum chainstate_status step_submit(struct csfix *f, const struct block *b)
{
    char *err = NULL;
    const char *reason = NULL;
    enum chainstate_status st = chainstate_accept_block(f->cs, b, &reason, &err);
    if (st == CHAINSTATE_ERROR)
        fail_msg("accept_block: %s", err);
    return st;
}

/* One step: the tip moves by exactly one block; returns the step's answer. */
static int one_step(struct csfix *f)
{
    char *err = NULL;
    int moves = f->connected + f->disconnected;
    int rc = chainstate_activate_step(f->cs, &err);
    if (rc < 0)
        fail_msg("activate_step: %s", err);
    assert_int_equal(f->connected + f->disconnected, moves + 1);
    return rc;
}

static void free_blocks(struct block **bs, int n)
{
    for (int i = 0; i < n; i++)
        block_free(bs[i]);
}

static void test_waiting_blocks_one_per_step(void **state)
{
    struct csfix *f = *state;
    struct block *b[6];
    build(f, chainstate_tip(f->cs), b, 6, -1);
    headers(f, b, 6);
    for (int i = 1; i < 6; i++) /* five stored, waiting for the first */
        assert_int_equal(step_submit(f, b[i]), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_int_equal(f->connected, 0);
    /* Stored only: it connects on a later step. */
    assert_int_equal(step_submit(f, b[0]), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_int_equal(f->connected, 0);
    assert_true(chainstate_activation_pending(f->cs));
    for (int h = 1; h <= 6; h++) {
        assert_int_equal(f->settled, 0); /* the tip settles once, at the end */
        assert_int_equal(one_step(f), h < 6);
        assert_int_equal(chainstate_height(f->cs), h);
        assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b[h - 1]->hash));
    }
    char *err = NULL;
    assert_int_equal(chainstate_activate_step(f->cs, &err), 0); /* nothing left */
    assert_int_equal(f->settled, 1);
    assert_int_equal(f->connected, 6);
    assert_int_equal(f->disconnected, 0);
    free_blocks(b, 6);
}

/* A heavier branch: the tip leaves block by block, then the branch joins
 * block by block. */
static void test_reorg_in_steps(void **state)
{
    struct csfix *f = *state;
    const struct bindex_node *genesis = chainstate_tip(f->cs);
    struct block *a[3], *b[4];
    build(f, genesis, a, 3, -1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(step_submit(f, a[i]), CHAINSTATE_ACCEPTED);
        assert_int_equal(one_step(f), 0);
    }
    assert_int_equal(chainstate_height(f->cs), 3);
    build(f, genesis, b, 4, -1);
    for (int i = 0; i < 3; i++) /* not more work than the tip: stored only */
        assert_int_equal(step_submit(f, b[i]), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &a[2]->hash));
    int base = f->connected, settled = f->settled;
    assert_int_equal(step_submit(f, b[3]), CHAINSTATE_ACCEPTED);
    assert_int_equal(f->disconnected, 0);
    assert_int_equal(one_step(f), 1);
    assert_int_equal(f->disconnected, 1);
    assert_int_equal(chainstate_height(f->cs), 2);
    assert_int_equal(one_step(f), 1);
    assert_int_equal(one_step(f), 1);
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_int_equal(f->disconnected, 3);
    for (int h = 1; h <= 4; h++) {
        assert_int_equal(one_step(f), h < 4);
        assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b[h - 1]->hash));
    }
    assert_int_equal(f->connected - base, 4);
    assert_int_equal(f->settled - settled, 1);
    free_blocks(a, 3);
    free_blocks(b, 4);
}

/* A stored block found invalid by a later step is marked so, with its
 * descendants, and the tip stays on the last valid block: the same end
 * as a whole activation reaches in one call. */
static void test_invalid_found_in_later_step(void **state)
{
    struct csfix *f = *state;
    struct block *c[3];
    /* c[1] claims one satoshi too many; c[2] builds on it. */
    build(f, chainstate_tip(f->cs), c, 3, 1);
    headers(f, c, 3);
    assert_int_equal(step_submit(f, c[2]), CHAINSTATE_ACCEPTED);
    assert_int_equal(step_submit(f, c[1]), CHAINSTATE_ACCEPTED); /* valid alone */
    assert_int_equal(step_submit(f, c[0]), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_height(f->cs), 0);
    assert_int_equal(one_step(f), 1);
    assert_int_equal(chainstate_height(f->cs), 1);
    char *err = NULL;
    assert_int_equal(chainstate_activate_step(f->cs, &err), 0); /* c[1] fails: nothing left */
    const struct bindex_node *bad = chainstate_find(f->cs, &c[1]->hash);
    assert_true(bad->status & BINDEX_FAILED_MASK);
    assert_string_equal(bad->reason, "bad-cb-amount");
    assert_true(chainstate_find(f->cs, &c[2]->hash)->status & BINDEX_FAILED_MASK);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &c[0]->hash));
    assert_int_equal(f->connected, 1);
    assert_int_equal(f->settled, 1); /* on c[0], after c[1] failed */
    free_blocks(c, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waiting_blocks_one_per_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorg_in_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_found_in_later_step, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
