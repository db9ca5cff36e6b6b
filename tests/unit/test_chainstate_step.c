/* The best-chain activation one block per step: a block accepted is
 * stored only, and each later step moves the tip by exactly one block, through reorganizations and invalid blocks alike,
 * to the same end as a whole activation. With a notify function set and
 * a short slice, a block's input checks take many steps, the coins
 * unchanged meanwhile, to the same end as one call. */
#include "chain/validation/chainstate.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate_int.h"
#include "chain/validation/utxo.h"
#include "tests/unit/chainstate_fixture.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* Transactions of the spending block (each spends one funded output; one
 * more spends an output of the first, in the same block). */
#define SLICED_TXS 24

static void wake(void *ctx)
{
    (void)ctx; /* the tests poll chainstate_connect_waiting instead */
}

/* A chainstate with a notify function set, reopened with the given slice
 * and cache (0: the fixture's). */
static int setup_notified(void **state, const char *tag, int64_t slice_us, size_t dbcache)
{
    csfix_setup(state, tag);
    struct csfix *f = *state;
    char *err = NULL;
    f->check_slice_us = slice_us;
    f->dbcache_bytes = dbcache;
    csfix_reopen(f);
    assert_int_equal(chainstate_set_connect_notify(f->cs, wake, NULL, &err), 0);
    return 0;
}

/* Steps that check about one transaction each. */
static int setup_sliced(void **state)
{
    return setup_notified(state, "chainstate_slices", 1, 0);
}

/* A cache of a few thousand coins. */
static int setup_small_cache(void **state)
{
    return setup_notified(state, "chainstate_small", 1, 256u << 10);
}

static int teardown_sliced(void **state)
{
    struct csfix *f = *state;
    char *err = NULL;
    assert_int_equal(chainstate_set_connect_notify(f->cs, NULL, NULL, &err), 0);
    return csfix_teardown(state);
}

/* One step with the notify function set; waits (bounded) while the
 * scripts run. */
static int sliced_step(struct csfix *f)
{
    char *err = NULL;
    int rc = chainstate_activate_step(f->cs, &err);
    if (rc < 0)
        fail_msg("activate_step: %s", err);
    for (int i = 0; i < 60000 && chainstate_connect_waiting(f->cs); i++)
        usleep(1000);
    return rc;
}

static void submit_both(struct csfix *f, struct csfix *ref, const struct block *b)
{
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(step_submit(f, b), CHAINSTATE_ACCEPTED);
    while (sliced_step(f) != 0)
        continue;
    if (ref)
        assert_int_equal(chainstate_process_block(ref->cs, b, &reason, &err),
                         CHAINSTATE_ACCEPTED);
}

/* A second chainstate, connecting each block in one call: what the
 * sliced one must match. */
static struct csfix *ref_open(void)
{
    void *rs;
    csfix_setup(&rs, "chainstate_whole");
    return rs;
}

static void ref_close(struct csfix *ref)
{
    void *rs = ref;
    csfix_teardown(&rs);
}

/* On both: 101 blocks (the first coinbase matures), then a block paying
 * it into SLICED_TXS outputs (funded). Returns that block's hash. */
static struct hash256 fund(struct csfix *f, struct csfix *ref, struct outpoint *funded)
{
    static const uint8_t op_true = 0x51;
    struct block *m[101];
    build(f, chainstate_tip(f->cs), m, 101, -1);
    for (int i = 0; i < 101; i++)
        submit_both(f, ref, m[i]);
    struct outpoint cb = {m[0]->txs[0]->txid, 0};
    struct tx *txs[2];
    int h = chainstate_height(f->cs) + 1;
    txs[0] = testutil_coinbase(h, params_block_subsidy(f->p, h), ++f->tag);
    txs[1] = testutil_spend_script(&cb, 1, SLICED_TXS, 100000000, &op_true, 1);
    for (uint32_t k = 0; k < SLICED_TXS; k++)
        funded[k] = (struct outpoint){txs[1]->txid, k};
    struct block *b = testutil_block(&m[100]->hash, m[100]->hdr.time + 600, txs, 2);
    submit_both(f, ref, b);
    struct hash256 hash = b->hash;
    block_free(b);
    free_blocks(m, 101);
    return hash;
}

/* A block on f's tip: a coinbase into txs[0], then txs[1..n-1] (taken
 * over). */
static struct block *block_on_tip(struct csfix *f, struct tx **txs, size_t n)
{
    const struct bindex_node *tip = chainstate_tip(f->cs);
    int h = tip->height + 1;
    txs[0] = testutil_coinbase(h, params_block_subsidy(f->p, h), ++f->tag);
    return testutil_block(&tip->hash, tip->hdr.time + 600, txs, n);
}

/* The block spending funded on the tip; transaction `missing` (-1: none)
 * spends an output that does not exist instead. */
static struct block *spender(struct csfix *f, const struct outpoint *funded, int missing)
{
    static const uint8_t op_true = 0x51;
    struct tx *txs[SLICED_TXS + 2];
    for (int k = 0; k < SLICED_TXS; k++) {
        struct outpoint in = funded[k];
        if (k + 1 == missing)
            in.n = SLICED_TXS + 7;
        txs[k + 1] = testutil_spend_script(&in, 1, 1, 99990000, &op_true, 1);
    }
    struct outpoint chained = {txs[1]->txid, 0};
    txs[SLICED_TXS + 1] = testutil_spend_script(&chained, 1, 1, 99980000, &op_true, 1);
    return block_on_tip(f, txs, SLICED_TXS + 2);
}

static bool have_coin(struct csfix *f, const struct outpoint *op, struct coin *c)
{
    *c = (struct coin){0};
    return chainstate_coin_lookup(f->cs, op, c);
}

/* Steps while b's checks go on, the coins it spends still unspent; the
 * steps it took to connect or fail. */
static int steps_for(struct csfix *f, const struct block *b, const struct outpoint *spent)
{
    int steps = 0, height = chainstate_height(f->cs);
    assert_int_equal(step_submit(f, b), CHAINSTATE_ACCEPTED);
    while (chainstate_height(f->cs) == height && chainstate_activation_pending(f->cs)) {
        struct coin c;
        assert_true(have_coin(f, spent, &c));
        coin_clear(&c);
        sliced_step(f);
        assert_true(++steps < 10000);
    }
    return steps;
}

/* Many small slices reach the tip and coins one call reaches. */
static void test_sliced_connect_matches_one_call(void **state)
{
    struct csfix *f = *state;
    struct csfix *ref = ref_open();
    struct outpoint funded[SLICED_TXS];
    fund(f, ref, funded);
    struct block *b = spender(f, funded, -1);
    assert_true(steps_for(f, b, &funded[0]) > 4);
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_block(ref->cs, b, &reason, &err), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b->hash));
    assert_true(hash_eq(&chainstate_tip(ref->cs)->hash, &b->hash));
    for (size_t t = 0; t < b->tx_count; t++) {
        struct outpoint op = {b->txs[t]->txid, 0};
        struct coin c, d;
        bool in_f = have_coin(f, &op, &c), in_ref = have_coin(ref, &op, &d);
        assert_int_equal(in_f, in_ref);
        assert_int_equal(in_f, t != 1); /* the first one's is spent in the block */
        assert_int_equal(c.value, d.value);
        assert_int_equal(c.height, d.height);
        coin_clear(&c);
        coin_clear(&d);
        if (t > 0 && t <= SLICED_TXS)
            assert_false(have_coin(f, &funded[t - 1], &c));
    }
    block_free(b);
    ref_close(ref);
}

/* An input missing halfway through the block: after its slices the block
 * fails as in one call, and nothing of it is applied. */
static void test_sliced_missing_input_fails_alike(void **state)
{
    struct csfix *f = *state;
    struct csfix *ref = ref_open();
    struct outpoint funded[SLICED_TXS];
    struct hash256 parent = fund(f, ref, funded);
    struct block *b = spender(f, funded, SLICED_TXS / 2);
    assert_true(steps_for(f, b, &funded[0]) > 4);
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_block(ref->cs, b, &reason, &err), CHAINSTATE_INVALID);
    assert_string_equal(reason, "bad-txns-inputs-missingorspent");
    const struct bindex_node *n = chainstate_find(f->cs, &b->hash);
    assert_true(n->status & BINDEX_FAILED_MASK);
    assert_string_equal(n->reason, reason);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &parent));
    for (int k = 0; k < SLICED_TXS; k++) {
        struct coin c;
        assert_true(have_coin(f, &funded[k], &c));
        coin_clear(&c);
    }
    assert_false(chainstate_activation_pending(f->cs));
    block_free(b);
    ref_close(ref);
}

/* Both chainstates have op's coin alike (or both lack it); whether they do. */
static bool same_coin(struct csfix *f, struct csfix *ref, const struct outpoint *op)
{
    struct coin c, d;
    bool in_f = have_coin(f, op, &c), in_ref = have_coin(ref, op, &d);
    assert_int_equal(in_f, in_ref);
    assert_int_equal(c.value, d.value);
    assert_int_equal(c.height, d.height);
    assert_int_equal(c.coinbase, d.coinbase);
    coin_clear(&c);
    coin_clear(&d);
    return in_f;
}

/* A transaction spending all the funded outputs: its inputs are found
 * over many slices (one each with the shortest slice), to the coins one
 * call gives; the undo data written meanwhile brings them back alike. */
static void test_sliced_many_inputs(void **state)
{
    static const uint8_t op_true = 0x51;
    struct csfix *f = *state;
    struct csfix *ref = ref_open();
    struct outpoint funded[SLICED_TXS];
    struct hash256 parent = fund(f, ref, funded);
    struct tx *txs[2];
    txs[1] = testutil_spend_script(funded, SLICED_TXS, 2, 100000000, &op_true, 1);
    struct block *b = block_on_tip(f, txs, 2);
    /* One transaction a step takes 4 steps; one input a step usually 12-16,
     * fewer when a fast build fits several in one microsecond's slice. */
    assert_true(steps_for(f, b, &funded[SLICED_TXS - 1]) > 4);
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_block(ref->cs, b, &reason, &err), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b->hash));
    assert_true(hash_eq(&chainstate_tip(ref->cs)->hash, &b->hash));
    for (uint32_t o = 0; o < 2; o++)
        assert_true(same_coin(f, ref, &(struct outpoint){b->txs[1]->txid, o}));
    for (int k = 0; k < SLICED_TXS; k++)
        assert_false(same_coin(f, ref, &funded[k]));
    assert_int_equal(chainstate_invalidate(f->cs, &b->hash, &err), 0);
    assert_int_equal(chainstate_invalidate(ref->cs, &b->hash, &err), 0);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &parent));
    for (int k = 0; k < SLICED_TXS; k++)
        assert_true(same_coin(f, ref, &funded[k]));
    assert_false(same_coin(f, ref, &(struct outpoint){b->txs[1]->txid, 0}));
    block_free(b);
    ref_close(ref);
}

/* A script failing in a block checked in slices, its scripts started in
 * a step of their own: the block is marked invalid as in one call,
 * nothing of it applied. */
static void test_sliced_bad_script(void **state)
{
    static const uint8_t op_true = 0x51, op_false = 0x00;
    struct csfix *f = *state;
    struct csfix *ref = ref_open();
    struct outpoint funded[SLICED_TXS];
    struct hash256 parent = fund(f, ref, funded);
    struct tx *txs[3];
    txs[1] = testutil_spend_script(funded, 1, 1, 99990000, &op_false, 1);
    struct outpoint locked = {txs[1]->txid, 0};
    txs[2] = testutil_spend_script(&locked, 1, 1, 99980000, &op_true, 1);
    struct block *b = block_on_tip(f, txs, 3);
    /* Five probes and two inputs; a fast build may fit two of them in one
     * microsecond's slice, so only "more than one step" is certain. */
    assert_true(steps_for(f, b, &funded[0]) > 1);
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_block(ref->cs, b, &reason, &err), CHAINSTATE_INVALID);
    assert_non_null(strstr(reason, "block-script-verify-flag-failed"));
    const struct bindex_node *n = chainstate_find(f->cs, &b->hash);
    assert_true(n->status & BINDEX_FAILED_MASK);
    assert_string_equal(n->reason, reason);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &parent));
    assert_true(same_coin(f, ref, &funded[0]));
    assert_false(chainstate_activation_pending(f->cs));
    block_free(b);
    ref_close(ref);
}

/* Leaves b's checks part done: one step, the tip not moved yet. */
static void start_slices(struct csfix *f, const struct block *b)
{
    int height = chainstate_height(f->cs);
    assert_int_equal(step_submit(f, b), CHAINSTATE_ACCEPTED);
    int rc;
    while ((rc = sliced_step(f)) == CHAINSTATE_STEP_WAIT) /* its reads first */
        continue;
    assert_int_equal(rc, 1);
    assert_int_equal(chainstate_height(f->cs), height);
    assert_false(chainstate_connect_waiting(f->cs)); /* the loop steps on at once */
}

/* submitblock's path while a block is part checked: it ends those checks
 * and connects that block, then its own. */
static void test_sync_caller_ends_sliced_checks(void **state)
{
    struct csfix *f = *state;
    struct outpoint funded[SLICED_TXS];
    fund(f, NULL, funded);
    int height = chainstate_height(f->cs);
    struct block *b = spender(f, funded, -1);
    start_slices(f, b);
    struct tx *txs[1];
    txs[0] = testutil_coinbase(height + 2, params_block_subsidy(f->p, height + 2), ++f->tag);
    struct block *child = testutil_block(&b->hash, b->hdr.time + 600, txs, 1);
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_block(f->cs, child, &reason, &err), CHAINSTATE_ACCEPTED);
    assert_true(hash_eq(&chainstate_at(f->cs, height + 1)->hash, &b->hash));
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &child->hash));
    assert_int_equal(sliced_step(f), 0);
    block_free(b);
    block_free(child);
}

/* invalidateblock of a block part checked: it connects first, then
 * leaves, the coins it spent back. */
static void test_invalidate_ends_sliced_checks(void **state)
{
    struct csfix *f = *state;
    struct outpoint funded[SLICED_TXS];
    struct hash256 parent = fund(f, NULL, funded);
    struct block *b = spender(f, funded, -1);
    start_slices(f, b);
    int connected = f->connected, disconnected = f->disconnected;
    char *err = NULL;
    assert_int_equal(chainstate_invalidate(f->cs, &b->hash, &err), 0);
    assert_int_equal(f->connected - connected, 1);
    assert_int_equal(f->disconnected - disconnected, 1);
    assert_true(chainstate_find(f->cs, &b->hash)->status & BINDEX_FAILED_MASK);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &parent));
    struct coin c;
    assert_true(have_coin(f, &funded[0], &c));
    coin_clear(&c);
    assert_false(chainstate_activation_pending(f->cs));
    block_free(b);
}

/* A job that holds the shared writer thread, as a slow disk would, until
 * released (or 10 s, then timed_out says the test would have hung). */
struct writer_hold {
    atomic_bool release, timed_out;
};

static void hold_writer(void *arg)
{
    struct writer_hold *h = arg;
    for (int i = 0; i < 10000 && !atomic_load(&h->release); i++)
        usleep(1000);
    atomic_store(&h->timed_out, !atomic_load(&h->release));
}

/* A block on the tip whose transaction pays coinbase `from` into n
 * OP_TRUE outputs: n new coins in the cache. */
static struct block *fan_out(struct csfix *f, const struct block *from, size_t n)
{
    static const uint8_t op_true = 0x51;
    const struct bindex_node *tip = chainstate_tip(f->cs);
    int h = tip->height + 1;
    struct outpoint cb = {from->txs[0]->txid, 0};
    struct tx *txs[2];
    txs[0] = testutil_coinbase(h, params_block_subsidy(f->p, h), ++f->tag);
    txs[1] = testutil_spend_script(&cb, 1, n, 1000000, &op_true, 1);
    return testutil_block(&tip->hash, tip->hdr.time + 600, txs, 2);
}

/* Submits b and steps until it is connected, never waiting for the held
 * writer: a step that waited would only return once the hold timed out. */
static void connect_held(struct csfix *f, const struct block *b, struct writer_hold *h)
{
    char *err = NULL;
    int height = chainstate_height(f->cs) + 1;
    assert_int_equal(step_submit(f, b), CHAINSTATE_ACCEPTED);
    for (int i = 0; i < 60000 && chainstate_height(f->cs) < height; i++) {
        if (chainstate_connect_waiting(f->cs))
            usleep(1000); /* its scripts */
        else if (chainstate_activate_step(f->cs, &err) < 0)
            fail_msg("activate_step: %s", err);
        assert_false(atomic_load(&h->timed_out));
    }
    assert_int_equal(chainstate_height(f->cs), height);
}

/* The coins cache over budget while the writer still writes the last
 * flush: the step returns STEP_WAIT at once, the loop is not held; once
 * the write is done, the next step flushes and goes on. */
static void test_step_waits_for_coins_writer(void **state)
{
    struct csfix *f = *state;
    char *err = NULL;
    struct block *m[103];
    build(f, chainstate_tip(f->cs), m, 101, -1);
    for (int i = 0; i < 101; i++)
        submit_both(f, NULL, m[i]);
    /* The writer is held: m[101]'s flush queues behind the hold, and
     * m[102] fills the cache over budget meanwhile. */
    struct writer_hold hold = {false, false};
    worker_submit(f->cs->writer, hold_writer, &hold);
    m[101] = fan_out(f, m[0], 3000);
    connect_held(f, m[101], &hold);
    assert_true(utxo_writing(f->cs->utxo));
    m[102] = fan_out(f, m[1], 3000);
    connect_held(f, m[102], &hold);
    assert_true(utxo_writing(f->cs->utxo));
    assert_true(utxo_over_budget(f->cs->utxo));
    struct block *next = fan_out(f, m[2], 10);
    assert_int_equal(step_submit(f, next), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_activate_step(f->cs, &err), CHAINSTATE_STEP_WAIT);
    assert_true(chainstate_connect_waiting(f->cs));
    assert_int_equal(chainstate_height(f->cs), 103);
    atomic_store(&hold.release, true);
    for (int i = 0; i < 60000 && chainstate_connect_waiting(f->cs); i++)
        usleep(1000);
    assert_false(chainstate_connect_waiting(f->cs));
    while (sliced_step(f) != 0)
        continue;
    assert_int_equal(chainstate_height(f->cs), 104);
    struct outpoint op = {m[102]->txs[1]->txid, 2999};
    struct coin c;
    assert_true(have_coin(f, &op, &c));
    coin_clear(&c);
    block_free(next);
    free_blocks(m, 103);
}

/* The coins a block spends are read on the UTXO cache's reader: while
 * it is held the step waits (the loop is not held, nothing is read on
 * it), once the reads are done the next step finds them cached and the
 * block connects. */
static void test_step_waits_for_input_reads(void **state)
{
    struct csfix *f = *state;
    char *err = NULL;
    struct outpoint funded[SLICED_TXS];
    fund(f, NULL, funded);
    /* Reopened, the coins are in the store only. */
    assert_int_equal(chainstate_set_connect_notify(f->cs, NULL, NULL, &err), 0);
    csfix_reopen(f);
    assert_int_equal(chainstate_set_connect_notify(f->cs, wake, NULL, &err), 0);
    struct worker *reader = worker_new("b-utxoread");
    utxo_set_reader(f->cs->utxo, reader);
    static struct writer_hold hold; /* outlives a failed assertion */
    atomic_store(&hold.release, false);
    worker_submit(reader, hold_writer, &hold);
    struct block *b = spender(f, funded, -1);
    int height = chainstate_height(f->cs);
    assert_int_equal(step_submit(f, b), CHAINSTATE_ACCEPTED);
    size_t cached = utxo_cached(f->cs->utxo);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(chainstate_activate_step(f->cs, &err), CHAINSTATE_STEP_WAIT);
        assert_true(chainstate_connect_waiting(f->cs));
    }
    assert_int_equal(utxo_cached(f->cs->utxo), cached);
    atomic_store(&hold.release, true);
    for (int i = 0; i < 60000 && chainstate_connect_waiting(f->cs); i++)
        usleep(1000);
    assert_false(atomic_load(&hold.timed_out));
    assert_false(chainstate_connect_waiting(f->cs));
    assert_int_equal(chainstate_activate_step(f->cs, &err), 1);
    assert_true(utxo_cached(f->cs->utxo) >= cached + SLICED_TXS);
    while (sliced_step(f) != 0)
        continue;
    assert_int_equal(chainstate_height(f->cs), height + 1);
    struct coin c;
    assert_false(have_coin(f, &funded[0], &c));
    utxo_set_reader(f->cs->utxo, NULL);
    worker_free(reader);
    block_free(b);
}

/* A stored block (not the latest accepted, which is kept parsed) is read
 * from its file on the reader thread too, not on the loop: while the
 * reader is held, the file may even be away, and the step still waits. */
static void test_step_loads_block_on_reader(void **state)
{
    struct csfix *f = *state;
    char *err = NULL;
    struct outpoint funded[SLICED_TXS];
    fund(f, NULL, funded);
    struct block *b[2];
    b[0] = spender(f, funded, -1);
    int height = chainstate_height(f->cs);
    assert_int_equal(step_submit(f, b[0]), CHAINSTATE_ACCEPTED);
    const struct bindex_node *n = chainstate_find(f->cs, &b[0]->hash);
    build(f, n, &b[1], 1, -1);
    assert_int_equal(step_submit(f, b[1]), CHAINSTATE_ACCEPTED); /* kept instead */
    assert_int_equal(chainstate_height(f->cs), height);          /* both stored only */
    struct worker *reader = worker_new("b-utxoread");
    utxo_set_reader(f->cs->utxo, reader);
    static struct writer_hold hold; /* outlives a failed assertion */
    atomic_store(&hold.release, false);
    worker_submit(reader, hold_writer, &hold);
    char *path = xasprintf("%s/blocks/blk00000.dat", f->dir);
    char *away = xasprintf("%s.away", path);
    assert_int_equal(rename(path, away), 0);
    for (int i = 0; i < 3; i++) {
        int rc = chainstate_activate_step(f->cs, &err);
        if (rc < 0)
            fail_msg("activate_step: %s", err);
        assert_int_equal(rc, CHAINSTATE_STEP_WAIT);
        assert_true(chainstate_connect_waiting(f->cs));
    }
    assert_int_equal(rename(away, path), 0);
    atomic_store(&hold.release, true);
    for (int i = 0; i < 60000 && chainstate_height(f->cs) < height + 2; i++) {
        if (chainstate_connect_waiting(f->cs))
            usleep(1000);
        else if (chainstate_activate_step(f->cs, &err) < 0)
            fail_msg("activate_step: %s", err);
    }
    assert_false(atomic_load(&hold.timed_out));
    assert_int_equal(chainstate_height(f->cs), height + 2);
    struct coin c;
    assert_false(have_coin(f, &funded[0], &c));
    utxo_set_reader(f->cs->utxo, NULL);
    worker_free(reader);
    free(path);
    free(away);
    block_free(b[0]);
    block_free(b[1]);
}

/* BIP30 with the block read on the reader thread: the coinbase it repeats
 * is in the store only, and the probe of its output, read there too,
 * still refuses it (an absent answer would let it overwrite the coin). */
static void test_sliced_bip30_from_store(void **state)
{
    struct csfix *f = *state;
    char *err = NULL;
    static struct chain_params late_bip34;
    late_bip34 = *params_get(CHAIN_REGTEST);
    late_bip34.bip34_height = 100000;
    f->p = &late_bip34;
    assert_int_equal(chainstate_set_connect_notify(f->cs, NULL, NULL, &err), 0);
    csfix_reopen(f);
    const struct bindex_node *tip = chainstate_tip(f->cs);
    int64_t subsidy = params_block_subsidy(f->p, tip->height + 1);
    struct tx *cb = testutil_coinbase(7777, subsidy, 42);
    struct block *b[3];
    b[0] = testutil_block(&tip->hash, tip->hdr.time + 600, &cb, 1);
    assert_int_equal(step_submit(f, b[0]), CHAINSTATE_ACCEPTED);
    while (one_step(f) != 0)
        continue;
    /* Reopened, the coinbase's coin is in the store only. */
    csfix_reopen(f);
    assert_int_equal(chainstate_set_connect_notify(f->cs, wake, NULL, &err), 0);
    int height = chainstate_height(f->cs);
    cb = testutil_coinbase(7777, subsidy, 42);
    b[1] = testutil_block(&b[0]->hash, b[0]->hdr.time + 600, &cb, 1);
    assert_int_equal(step_submit(f, b[1]), CHAINSTATE_ACCEPTED);
    build(f, chainstate_find(f->cs, &b[1]->hash), &b[2], 1, -1);
    step_submit(f, b[2]); /* kept instead of b[1], which is read from its file */
    for (int i = 0; i < 1000 && sliced_step(f) != 0; i++)
        continue;
    assert_int_equal(chainstate_height(f->cs), height);
    const struct bindex_node *n = chainstate_find(f->cs, &b[1]->hash);
    assert_true(n->status & BINDEX_FAILED);
    assert_string_equal(n->reason, "bad-txns-BIP30");
    free_blocks(b, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waiting_blocks_one_per_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorg_in_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_found_in_later_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sliced_connect_matches_one_call, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_sliced_missing_input_fails_alike, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_sliced_many_inputs, setup_sliced, teardown_sliced),
        cmocka_unit_test_setup_teardown(test_sliced_bad_script, setup_sliced, teardown_sliced),
        cmocka_unit_test_setup_teardown(test_sync_caller_ends_sliced_checks, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_step_waits_for_coins_writer, setup_small_cache,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_invalidate_ends_sliced_checks, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_step_waits_for_input_reads, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_step_loads_block_on_reader, setup_sliced,
                                        teardown_sliced),
        cmocka_unit_test_setup_teardown(test_sliced_bip30_from_store, setup_sliced,
                                        teardown_sliced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
