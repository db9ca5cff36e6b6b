/* A block's connect with its script checks off the caller's thread: the
 * step returns while the script threads work, the coins stay as they were
 * until the result is applied on a later step, a failing script marks the
 * block invalid there, and a caller that needs the activation complete
 * (submitblock's path) finishes the block in flight first. */
#include "chain/validation/chainstate.h"
#include "tests/unit/chainstate_util.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* Outputs per funding block: each costs 80 sigops (bare 1-of-20
 * multisig), 320 of them stay well under a block's 80,000; three funding
 * blocks make a spender of 960 inputs, about 19,000 signature checks. */
#define SLOW_OUTPUTS 320
#define SLOW_INPUTS (3 * SLOW_OUTPUTS)

struct fixture {
    char *dir;
    const struct chain_params *p;
    struct chainstate *cs;
    int connected;
    int pipe[2]; /* the notify function writes here, as the node does */
    uint32_t tag;
    struct outpoint coinbases[8]; /* mature coinbases to spend */
};

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct fixture *f = ctx;
    (void)b;
    (void)height;
    f->connected++;
}

static void notify(void *ctx)
{
    struct fixture *f = ctx;
    ssize_t n = write(f->pipe[1], "x", 1);
    (void)n;
}

static void submit(struct fixture *f, const struct block *b)
{
    char *err = NULL;
    const char *reason = NULL;
    enum chainstate_status st = chainstate_process_block(f->cs, b, &reason, &err);
    if (st != CHAINSTATE_ACCEPTED)
        fail_msg("process_block: %d %s %s", st, reason ? reason : "", err ? err : "");
}

static struct block *next_block(struct fixture *f, struct tx **txs, size_t n)
{
    const struct bindex_node *tip = chainstate_tip(f->cs);
    int h = tip->height + 1;
    txs[0] = testutil_coinbase(h, params_block_subsidy(f->p, h), ++f->tag);
    return testutil_block(&tip->hash, tip->hdr.time + 600, txs, n);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *err = NULL;
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = 16u << 20;
    o.script_threads = 3; /* three script threads whatever the machine */
    o.assumevalid_given = true; /* zero: every script is checked */
    o.check_slice_us = 0; /* a block's input checks in one step, however slow the machine */
    f->dir = testutil_tmpdir("connect_async");
    f->p = params_get(CHAIN_REGTEST);
    f->cs = chainstate_open(f->p, f->dir, &o, &err);
    if (!f->cs)
        fail_msg("open: %s", err);
    struct chainstate_callbacks cb = {.connected = on_connected, .ctx = f};
    chainstate_add_callbacks(f->cs, &cb);
    assert_int_equal(pipe(f->pipe), 0);
    /* Coinbases mature after 100 blocks. */
    for (int i = 0; i < 100 + 8; i++) {
        struct tx *txs[1];
        struct block *b = next_block(f, txs, 1);
        if (i < 8)
            f->coinbases[i] = (struct outpoint){b->txs[0]->txid, 0};
        submit(f, b);
        block_free(b);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char *err = NULL;
    assert_int_equal(chainstate_set_connect_notify(f->cs, NULL, NULL, &err), 0);
    chainstate_close(f->cs);
    close(f->pipe[0]);
    close(f->pipe[1]);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

/* An output whose spending costs twenty signature verifications (a
 * well-formed signature that matches none of twenty keys) and then
 * succeeds: 1-of-20 CHECKMULTISIG, its result dropped, OP_TRUE. */
static size_t slow_script(uint8_t *s)
{
    static const uint8_t sig[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01};
    static const uint8_t g[33] = {
        0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0,
        0x62, 0x95, 0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d,
        0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};
    size_t n = 0;
    s[n++] = 0x00; /* the multisig dummy */
    s[n++] = sizeof(sig);
    memcpy(s + n, sig, sizeof(sig));
    n += sizeof(sig);
    s[n++] = 0x51; /* 1 */
    for (int k = 0; k < 20; k++) {
        s[n++] = sizeof(g);
        memcpy(s + n, g, sizeof(g));
        n += sizeof(g);
    }
    s[n++] = 0x01; /* push 20 */
    s[n++] = 20;
    s[n++] = 0xae; /* CHECKMULTISIG */
    s[n++] = 0x75; /* DROP */
    s[n++] = 0x51; /* TRUE */
    return n;
}

/* Connects three blocks paying SLOW_INPUTS slow outputs from the first
 * three coinbases; fills ins with them. */
static void fund_slow(struct fixture *f, struct outpoint *ins)
{
    uint8_t script[800];
    size_t len = slow_script(script);
    for (int i = 0; i < 3; i++) {
        struct tx *txs[2];
        txs[1] = testutil_spend_script(&f->coinbases[i], 1, SLOW_OUTPUTS, 1000, script, len);
        for (uint32_t k = 0; k < SLOW_OUTPUTS; k++)
            ins[i * SLOW_OUTPUTS + k] = (struct outpoint){txs[1]->txid, k};
        struct block *b = next_block(f, txs, 2);
        submit(f, b);
        block_free(b);
    }
}

/* A block on the tip spending ins to OP_TRUE. */
static struct block *slow_spender(struct fixture *f, struct outpoint *ins, size_t n)
{
    static const uint8_t op_true = 0x51;
    struct tx *txs[2];
    txs[1] = testutil_spend_script(ins, n, 1, 1000, &op_true, 1);
    return next_block(f, txs, 2);
}

/* Waits (bounded) for the notify function's byte. */
static void wait_notified(struct fixture *f)
{
    struct pollfd pfd = {.fd = f->pipe[0], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 60000), 1);
    char c;
    assert_int_equal(read(f->pipe[0], &c, 1), 1);
}

/* Submits b one step at a time with the notify function set: stored, then
 * the step that connects it returns while its scripts are checked. */
static void start_in_flight(struct fixture *f, const struct block *b)
{
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_set_connect_notify(f->cs, notify, f, &err), 0);
    assert_int_equal(chainstate_accept_block(f->cs, b, &reason, &err), CHAINSTATE_ACCEPTED);
    assert_int_equal(chainstate_activate_step(f->cs, &err), CHAINSTATE_STEP_WAIT);
    /* The caller's thread is free: nineteen thousand signature checks are
     * not done by now. */
    assert_true(chainstate_connect_waiting(f->cs));
}

/* Funds and submits a block of SLOW_INPUTS slow inputs (ins), left in
 * flight. */
static struct block *slow_block_in_flight(struct fixture *f, struct outpoint *ins)
{
    fund_slow(f, ins);
    struct block *b = slow_spender(f, ins, SLOW_INPUTS);
    start_in_flight(f, b);
    return b;
}

/* The step returns with the scripts still running; the coins the block
 * spends stay unspent (what mempool acceptance reads) and the tip stays,
 * until the step after the notification applies the block. */
static void test_connect_finishes_on_a_later_step(void **state)
{
    struct fixture *f = *state;
    struct outpoint ins[SLOW_INPUTS];
    char *err = NULL;
    struct block *b = slow_block_in_flight(f, ins);
    int height = chainstate_height(f->cs), connected = f->connected;
    /* Stored, but the tip is still its parent. */
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b->hdr.prev));
    assert_non_null(chainstate_find(f->cs, &b->hash));
    assert_true(chainstate_activation_pending(f->cs));
    struct coin c = {0};
    assert_true(chainstate_coin_lookup(f->cs, &ins[0], &c));
    coin_clear(&c);
    assert_int_equal(chainstate_activate_step(f->cs, &err), CHAINSTATE_STEP_WAIT);
    wait_notified(f);
    assert_false(chainstate_connect_waiting(f->cs));
    assert_int_equal(chainstate_activate_step(f->cs, &err), 0); /* b was the last */
    assert_int_equal(chainstate_height(f->cs), height + 1);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b->hash));
    assert_int_equal(f->connected, connected + 1);
    assert_false(chainstate_coin_lookup(f->cs, &ins[0], &c));
    assert_false(chainstate_activation_pending(f->cs));
    block_free(b);
}

/* A script failing after thousands of passing checks: the block is
 * marked invalid on the step after the notification, with Core's
 * reason, and the tip stays. */
static void test_failing_script_marks_invalid(void **state)
{
    struct fixture *f = *state;
    struct outpoint ins[SLOW_INPUTS + 1];
    char *err = NULL;
    static const uint8_t op_false = 0x00;
    fund_slow(f, ins);
    struct tx *txs[2];
    txs[1] = testutil_spend_script(&f->coinbases[3], 1, 1, 1000, &op_false, 1);
    ins[SLOW_INPUTS] = (struct outpoint){txs[1]->txid, 0};
    struct block *fund = next_block(f, txs, 2);
    submit(f, fund);
    block_free(fund);
    int height = chainstate_height(f->cs);
    struct block *b = slow_spender(f, ins, SLOW_INPUTS + 1);
    start_in_flight(f, b);
    wait_notified(f);
    assert_int_equal(chainstate_activate_step(f->cs, &err), 0); /* nothing else to connect */
    const struct bindex_node *n = chainstate_find(f->cs, &b->hash);
    assert_non_null(n);
    assert_true(n->status & BINDEX_FAILED_MASK);
    assert_string_equal(n->reason, "block-script-verify-flag-failed (Script evaluated without "
                                   "error but finished with a false/empty top stack element)");
    assert_int_equal(chainstate_height(f->cs), height);
    struct coin c = {0};
    assert_true(chainstate_coin_lookup(f->cs, &ins[0], &c)); /* nothing applied */
    coin_clear(&c);
    assert_false(chainstate_activation_pending(f->cs));
    block_free(b);
}

/* submitblock's path while a block is in flight: it finishes that block
 * (waiting for its scripts) and then connects its own, in order. */
static void test_sync_caller_finishes_block_in_flight(void **state)
{
    struct fixture *f = *state;
    struct outpoint ins[SLOW_INPUTS];
    char *err = NULL;
    struct block *b = slow_block_in_flight(f, ins);
    int height = chainstate_height(f->cs), connected = f->connected; /* b not applied yet */
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &b->hdr.prev));
    struct tx *txs[1];
    txs[0] = testutil_coinbase(height + 2, params_block_subsidy(f->p, height + 2), ++f->tag);
    struct block *child = testutil_block(&b->hash, b->hdr.time + 600, txs, 1);
    submit(f, child);
    assert_false(chainstate_connect_waiting(f->cs));
    assert_int_equal(chainstate_height(f->cs), height + 2);
    assert_true(hash_eq(&chainstate_at(f->cs, height + 1)->hash, &b->hash));
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &child->hash));
    assert_int_equal(f->connected, connected + 2);
    wait_notified(f); /* the wake-up still came; the next step finds nothing */
    assert_int_equal(chainstate_activate_step(f->cs, &err), 0);
    block_free(b);
    block_free(child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_finishes_on_a_later_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_script_marks_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_caller_finishes_block_in_flight, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
