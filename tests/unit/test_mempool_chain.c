/* The mempool beside a real chainstate: blocks mined from it (miner) are
 * accepted by the chain, confirmation empties it through the chainstate's
 * callbacks, and a competing branch that overtakes returns transactions
 * to it, or drops them when the branch double-spends them. */
#include "chain/validation/blockindex.h"
#include "chain/validation/chainstate.h"
#include "chain/mempool/mempool.h"
#include "chain/mempool/miner.h"
#include "chain/primitives/optrue.h"
#include "tests/unit/chainstate_util.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct world {
    char *dir;
    struct chainstate *cs;
    struct mempool *mp;
    const struct chain_params *p;
    size_t removed[MEMPOOL_REMOVED_REORG + 1];
};

static int64_t clock_now(void)
{
    return 1296688602 + 1000 * 600; /* well after every block's time */
}

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct world *w = ctx;
    struct mempool_tip tip;
    mempool_tip_of(w->cs, &tip);
    mempool_block_connected(w->mp, b, &tip);
}

static void on_disconnected(void *ctx, const struct block *b, int height)
{
    struct world *w = ctx;
    struct mempool_tip tip;
    mempool_tip_of(w->cs, &tip);
    mempool_block_disconnected(w->mp, b, &tip, clock_now());
}

static void on_removed(void *ctx, const struct tx *tx, enum mempool_removal why, uint64_t seq)
{
    struct world *w = ctx;
    w->removed[why]++;
}

static struct world *world_new(void)
{
    struct world *w = calloc(1, sizeof(*w));
    w->p = params_get(CHAIN_REGTEST);
    w->dir = testutil_tmpdir("mempool-chain");
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = (size_t)CHAINSTATE_MIN_DBCACHE_MB << 20;
    o.now = clock_now;
    char *err = NULL;
    w->cs = chainstate_open(w->p, w->dir, &o, &err);
    if (!w->cs)
        fail_msg("chainstate_open: %s", err);
    struct mempool_options mo;
    tb_options(&mo);
    w->mp = mempool_new(&mo, chainstate_coin_lookup, w->cs);
    struct mempool_listener l = { NULL, on_removed, w };
    mempool_add_listener(w->mp, &l);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, w, NULL};
    chainstate_add_callbacks(w->cs, &cb);
    return w;
}

static void world_free(struct world *w)
{
    char *err = NULL;
    if (mempool_check(w->mp, &err) != 0)
        fail_msg("%s", err);
    chainstate_close(w->cs);
    mempool_free(w->mp);
    testutil_rmtree(w->dir);
    free(w);
}

/* Any outpoint is a mature coin: lets a side mempool hold a transaction
 * that the active chain's UTXO set no longer has the input of. */
static bool any_coin(void *ctx, const struct outpoint *op, struct coin *out)
{
    out->value = 50 * TX_COIN;
    out->height = 1;
    out->coinbase = true;
    out->script = malloc(sizeof(tb_p2wpkh));
    memcpy(out->script, tb_p2wpkh, sizeof(tb_p2wpkh));
    out->script_len = sizeof(tb_p2wpkh);
    return true;
}

/* Blocks verify scripts, so every coin here can really be spent:
 * coinbases pay P2WSH(<tag> OP_DROP OP_TRUE), the tag making branches
 * differ, and transactions pay P2WSH(OP_TRUE). Either is spent with its
 * witness script as the only witness item. */
static void tagged_script(uint8_t tag, uint8_t ws[4])
{
    ws[0] = 0x01;
    ws[1] = tag;
    ws[2] = 0x75; /* OP_DROP */
    ws[3] = 0x51; /* OP_TRUE */
}

static const uint8_t op_true[1] = {0x51};

/* One input, one P2WSH(OP_TRUE) output of value v. */
static struct tx *spend(const struct outpoint *op, int64_t v, const uint8_t *wit, size_t wit_len)
{
    struct tb_in in = {.op = *op, .sequence = TB_SEQ_RBF, .wit = wit, .wit_len = wit_len};
    struct tb_out out = {.value = v, .script = optrue_script, .script_len = OPTRUE_SCRIPT_LEN};
    return tb_tx(2, &in, 1, &out, 1, 0);
}

/* Mines on prev (the tip when NULL) with the mempool's transactions, or
 * none when empty is set, or only extra (a transaction the mempool never
 * saw); tag varies the payout so branches differ. Returns the block (the
 * caller frees it) after the chain accepted it. */
static struct block *mine(struct world *w, const struct bindex_node *prev, bool empty, uint8_t tag,
                          struct tx *extra)
{
    if (!prev)
        prev = chainstate_tip(w->cs);
    uint8_t ws[4], script[34] = {0x00, 0x20};
    tagged_script(tag, ws);
    hash_sha256(ws, sizeof(ws), script + 2);
    struct miner_template t = {.params = w->p, .prev = prev->hash, .height = prev->height + 1,
                               .time = prev->hdr.time + 600, .bits = w->p->pow_limit_bits,
                               .script = script, .script_len = sizeof(script)};
    struct mempool *side = NULL;
    if (extra) {
        struct mempool_options mo;
        tb_options(&mo);
        side = mempool_new(&mo, any_coin, NULL);
        struct mempool_tip tip = {.height = prev->height, .mtp = bindex_median_time_past(prev)};
        struct mempool_reject rej;
        assert_int_equal(mempool_accept(side, extra, &tip, clock_now(), &rej), MEMPOOL_ACCEPTED);
    }
    char *err = NULL;
    struct block *b = miner_create_block(&t, side ? side : empty ? NULL : w->mp, &err);
    mempool_free(side);
    assert_non_null(b);
    assert_int_equal(miner_grind(b, 1000000), 0);
    const char *reason = NULL;
    enum chainstate_status st = chainstate_process_block(w->cs, b, &reason, &err);
    if (st != CHAINSTATE_ACCEPTED)
        fail_msg("block refused: %s %s", reason ? reason : "", err ? err : "");
    return b;
}

static void accept_tx(struct world *w, struct tx *tx)
{
    struct mempool_tip tip;
    mempool_tip_of(w->cs, &tip);
    struct mempool_reject rej;
    if (mempool_accept(w->mp, tx, &tip, clock_now(), &rej) != MEMPOOL_ACCEPTED)
        fail_msg("rejected: %s (%s)", rej.reason, rej.detail);
}

/* 101 blocks make block 1's coinbase spendable; a parent and child spend it. */
static struct tx *setup(struct world *w, struct tx **child)
{
    struct block *first = mine(w, NULL, true, 1, NULL);
    struct outpoint cb0 = {first->txs[0]->txid, 0};
    int64_t cb_value = first->txs[0]->vout[0].value;
    block_free(first);
    for (int i = 0; i < 100; i++)
        block_free(mine(w, NULL, true, 1, NULL));
    assert_int_equal(chainstate_height(w->cs), 101);
    int64_t v = cb_value - 10000;
    uint8_t ws[4];
    tagged_script(1, ws);
    struct tx *parent = spend(&cb0, v, ws, sizeof(ws));
    accept_tx(w, parent);
    struct outpoint p0 = tb_op(parent, 0);
    v -= 10000;
    *child = spend(&p0, v, op_true, sizeof(op_true));
    accept_tx(w, *child);
    return parent;
}

/* The one tip builder: the tip's height and clock, and for BIP68 the
 * median time past of each active block below the tip (Core's
 * GetAncestor(h - 1)->GetMedianTimePast()). */
static void test_tip_clock(void **state)
{
    struct world *w = world_new();
    for (int i = 0; i < 14; i++)
        block_free(mine(w, NULL, true, 1, NULL));
    struct mempool_tip tip;
    mempool_tip_of(w->cs, &tip);
    const struct bindex_node *n = chainstate_tip(w->cs);
    assert_int_equal(tip.height, 14);
    assert_int_equal(tip.mtp, bindex_median_time_past(n));
    assert_non_null(tip.mtp_at);
    for (int32_t h = 0; h < tip.height; h++) {
        int64_t want = bindex_median_time_past(chainstate_at(w->cs, h));
        assert_int_equal(tip.mtp_at(tip.mtp_ctx, h), want);
    }
    /* Early blocks share a median; by height 13 it has moved on. */
    assert_true(tip.mtp_at(tip.mtp_ctx, 13) > tip.mtp_at(tip.mtp_ctx, 1));
    world_free(w);
    (void)state;
}

static void test_confirm_and_reorg_back(void **state)
{
    struct world *w = world_new();
    struct tx *child, *parent = setup(w, &child);
    const struct bindex_node *fork = chainstate_tip(w->cs);

    struct block *b102 = mine(w, NULL, false, 1, NULL);
    assert_int_equal(b102->tx_count, 3); /* coinbase, parent, child: parents first */
    assert_true(hash_eq(&b102->txs[1]->txid, &parent->txid));
    assert_int_equal(b102->txs[0]->vout[0].value, params_block_subsidy(w->p, 102) + 20000);
    assert_int_equal(mempool_count(w->mp), 0);
    assert_int_equal(w->removed[MEMPOOL_REMOVED_BLOCK], 2);

    /* A longer branch without them: both come back, linked again. */
    struct block *a = mine(w, fork, true, 2, NULL);
    struct block *b = mine(w, chainstate_find(w->cs, &a->hash), true, 2, NULL);
    assert_true(hash_eq(&chainstate_tip(w->cs)->hash, &b->hash));
    assert_int_equal(mempool_count(w->mp), 2);
    struct mempool_family f;
    mempool_entry_family(mempool_get(w->mp, &child->txid), &f);
    assert_int_equal(f.anc_count, 2);
    block_free(a);
    block_free(b);
    block_free(b102);
    tx_free(parent);
    tx_free(child);
    world_free(w);
}

static void test_double_spend_across_reorg(void **state)
{
    struct world *w = world_new();
    struct tx *child, *parent = setup(w, &child);
    const struct bindex_node *fork = chainstate_tip(w->cs);
    struct block *b102 = mine(w, NULL, false, 1, NULL);

    /* The branch spends the same coinbase output another way. */
    struct outpoint cb0 = parent->vin[0].prevout;
    int64_t v = 1000000;
    uint8_t ws[4];
    tagged_script(1, ws);
    struct tx *thief = spend(&cb0, v, ws, sizeof(ws));
    assert_false(hash_eq(&thief->txid, &parent->txid));
    struct block *a = mine(w, fork, true, 3, thief);
    struct block *b = mine(w, chainstate_find(w->cs, &a->hash), true, 3, NULL);
    assert_true(hash_eq(&chainstate_tip(w->cs)->hash, &b->hash));
    assert_int_equal(mempool_count(w->mp), 0);
    assert_int_equal(w->removed[MEMPOOL_REMOVED_CONFLICT], 2);
    /* And the double spend cannot come back in. */
    struct mempool_tip tip;
    mempool_tip_of(w->cs, &tip);
    struct mempool_reject rej;
    assert_int_equal(mempool_accept(w->mp, parent, &tip, clock_now(), &rej),
                     MEMPOOL_MISSING_INPUTS);
    block_free(a);
    block_free(b);
    block_free(b102);
    tx_free(thief);
    tx_free(parent);
    tx_free(child);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tip_clock),
        cmocka_unit_test(test_confirm_and_reorg_back),
        cmocka_unit_test(test_double_spend_across_reorg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
