/* Block assembly: selection order (ancestor feerate, parents first), the
 * weight limit, the coinbase (BIP34 height, value, BIP141 commitment),
 * merkle root, proof of work, and the mempool update when it connects. */
#include "chain/mempool/mempool.h"
#include "chain/mempool/miner.h"
#include "chain/primitives/params.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW 1700000000

struct fx {
    struct tb_utxo u;
    struct mempool *mp;
    struct mempool_tip tip;
    struct tx *i1, *i2, *p, *c; /* independents, a parent and its child */
};

static void add(struct fx *f, struct tx *tx)
{
    struct mempool_reject rej;
    if (mempool_accept(f->mp, tx, &f->tip, NOW, &rej) != MEMPOOL_ACCEPTED)
        fail_msg("rejected: %s", rej.reason);
}

static struct tx *spend1(const struct outpoint *op, int64_t value)
{
    return tb_simple(op, 1, &value, 1);
}

/* i1 pays 1000 (~12 sat/vB), i2 3000 (~36), the parent 100 (~1.2) and
 * its child 5000: the pair's ancestor feerate (~31) puts it between. i2
 * arrives last, so block order is not arrival order. */
static struct fx *fx_new(void)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct mempool_options o;
    tb_options(&o);
    f->mp = mempool_new(&o, tb_utxo_lookup, &f->u);
    f->tip.height = 0;
    f->tip.mtp = NOW - 3600;
    struct outpoint a = tb_fund(&f->u, 1, 100000, 0, false);
    struct outpoint b = tb_fund(&f->u, 2, 100000, 0, false);
    struct outpoint c = tb_fund(&f->u, 3, 100000, 0, false);
    f->i1 = spend1(&a, 99000);
    f->p = spend1(&b, 99900);
    struct outpoint p0 = tb_op(f->p, 0);
    f->c = spend1(&p0, 94900);
    /* i2 carries a witness, so the witness root differs from the txid root. */
    static const uint8_t item[] = {0x30, 0x44, 0x02};
    struct tb_in in = {c, TB_SEQ_RBF, NULL, 0, item, sizeof(item)};
    struct tb_out out = {97000, NULL, 0};
    f->i2 = tb_tx(2, &in, 1, &out, 1, 0);
    add(f, f->i1);
    add(f, f->p);
    add(f, f->c);
    add(f, f->i2);
    return f;
}

static void fx_free(struct fx *f)
{
    tx_free(f->i1);
    tx_free(f->i2);
    tx_free(f->p);
    tx_free(f->c);
    mempool_free(f->mp);
    tb_utxo_free(&f->u);
    free(f);
}

static void test_selection_order(void **state)
{
    struct fx *f = fx_new();
    struct tx **txs;
    int64_t fees;
    size_t n = miner_select(f->mp, MINER_DEFAULT_MAX_WEIGHT, &txs, &fees);
    assert_int_equal(n, 4);
    assert_int_equal(fees, 1000 + 3000 + 100 + 5000);
    assert_ptr_equal(txs[0], f->i2);
    assert_ptr_equal(txs[1], f->p); /* the parent right before its child */
    assert_ptr_equal(txs[2], f->c);
    assert_ptr_equal(txs[3], f->i1);
    free(txs);

    /* Room for the coinbase reserve and two transactions only: the best
     * single one, then the package does not fit, then i1 does. */
    size_t w = tx_weight(f->i2);
    n = miner_select(f->mp, MINER_COINBASE_RESERVE + w + tx_weight(f->i1), &txs, &fees);
    assert_int_equal(n, 2);
    assert_ptr_equal(txs[0], f->i2);
    assert_ptr_equal(txs[1], f->i1);
    free(txs);
    fx_free(f);
}

static void test_block_assembly(void **state)
{
    struct fx *f = fx_new();
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct miner_template t = {.params = p, .prev = p->genesis_hash, .height = 1,
                               .time = p->genesis.time + 600, .bits = p->pow_limit_bits,
                               .script = tb_p2wpkh, .script_len = sizeof(tb_p2wpkh)};
    char *err = NULL;
    struct block *b = miner_create_block(&t, f->mp, &err);
    assert_non_null(b);
    assert_int_equal(b->tx_count, 5);
    assert_ptr_not_equal(b->txs[1], f->i2); /* parsed copies, same ids */
    assert_true(hash_eq(&b->txs[1]->txid, &f->i2->txid));
    assert_true(hash_eq(&b->txs[4]->txid, &f->i1->txid));

    const struct tx *cb = b->txs[0];
    assert_true(tx_is_coinbase(cb));
    assert_int_equal(cb->vout[0].value, params_block_subsidy(p, 1) + 9100);
    assert_int_equal(cb->vin[0].script[0], 0x51); /* BIP34: OP_1 for height 1 */
    assert_memory_equal(cb->vout[0].script, tb_p2wpkh, sizeof(tb_p2wpkh));

    /* BIP141: commitment = sha256d(witness root || reserved value). */
    assert_int_equal(cb->vin[0].wit_count, 1);
    assert_int_equal(cb->vin[0].wit[0].len, 32);
    struct hash256 wroot, commit, root;
    block_witness_merkle_root(b, &wroot);
    block_merkle_root(b, &root, NULL);
    assert_false(hash_eq(&wroot, &root));
    uint8_t pre[64] = {0};
    memcpy(pre, wroot.b, 32);
    memcpy(pre + 32, cb->vin[0].wit[0].data, 32);
    hash_sha256d(pre, 64, &commit);
    const struct tx_out *co = &cb->vout[1];
    assert_int_equal(co->script_len, 38);
    static const uint8_t head[] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    assert_memory_equal(co->script, head, 6);
    assert_memory_equal(co->script + 6, commit.b, 32);

    bool mutated = true;
    block_merkle_root(b, &root, &mutated);
    assert_true(hash_eq(&root, &b->hdr.merkle));
    assert_false(mutated);
    assert_true(hash_eq(&b->hdr.prev, &p->genesis_hash));
    assert_true(block_weight(b) <= BLOCK_MAX_WEIGHT);

    assert_int_equal(miner_grind(b, 1000000), 0);
    struct hash256 h;
    block_header_hash(&b->hdr, &h);
    assert_true(hash_eq(&h, &b->hash));
    assert_true(miner_check_pow(&h, b->hdr.bits));

    /* Connecting it empties the mempool. */
    f->tip.height = 1;
    mempool_block_connected(f->mp, b, &f->tip);
    assert_int_equal(mempool_count(f->mp), 0);
    assert_int_equal(mempool_check(f->mp, &err), 0);
    block_free(b);
    fx_free(f);
}

static void test_bip34_heights(void **state)
{
    static const struct {
        int32_t height;
        uint8_t prefix[4];
        size_t len;
    } cases[] = {
        {16, {0x60}, 1},
        {17, {0x01, 0x11}, 2},
        {128, {0x02, 0x80, 0x00}, 3},
        {1000, {0x02, 0xe8, 0x03}, 3},
        {70000, {0x03, 0x70, 0x11, 0x01}, 4},
    };
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct miner_template t = {.params = p, .height = cases[i].height, .bits = 0x207fffff,
                                   .script = tb_p2wpkh, .script_len = sizeof(tb_p2wpkh)};
        struct block *b = miner_create_block(&t, NULL, NULL);
        assert_non_null(b);
        assert_int_equal(b->tx_count, 1);
        const struct tx_in *in = &b->txs[0]->vin[0];
        assert_int_equal(in->script_len, cases[i].len + 1); /* then OP_0 */
        assert_memory_equal(in->script, cases[i].prefix, cases[i].len);
        block_free(b);
    }
}

static void test_targets(void **state)
{
    struct hash256 t;
    assert_true(miner_bits_to_target(0x1d00ffff, &t));
    for (int i = 0; i < 32; i++)
        assert_int_equal(t.b[i], (i == 26 || i == 27) ? 0xff : 0);
    assert_true(miner_bits_to_target(0x207fffff, &t));
    assert_int_equal(t.b[31], 0x7f);
    assert_int_equal(t.b[30], 0xff);
    assert_int_equal(t.b[28], 0);
    assert_false(miner_bits_to_target(0x04923456, &t)); /* negative */
    assert_false(miner_bits_to_target(0x1d000000, &t)); /* zero */
    assert_false(miner_bits_to_target(0xff123456, &t)); /* overflow */
    struct hash256 low = {{0}}, high;
    memset(high.b, 0xff, 32);
    assert_true(miner_check_pow(&low, 0x1d00ffff));
    assert_false(miner_check_pow(&high, 0x207fffff));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection_order),
        cmocka_unit_test(test_block_assembly),
        cmocka_unit_test(test_bip34_heights),
        cmocka_unit_test(test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
