/* Helpers for the mempool and miner tests: transactions built by
 * serializing into a wbuf and parsing, and a small in-memory UTXO set
 * behind the coin_lookup_fn interface. */
#ifndef HEARSAY_TESTS_MEMPOOL_TESTUTIL_H
#define HEARSAY_TESTS_MEMPOOL_TESTUTIL_H

#include "chain/primitives/coin.h"
#include "chain/mempool/mempool.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TB_SEQ_RBF 0xfffffffdu

struct tb_in {
    struct outpoint op;
    uint32_t sequence;
    const uint8_t *sig; /* scriptSig */
    size_t sig_len;
    const uint8_t *wit; /* one witness item (segwit serialization when set) */
    size_t wit_len;
};

struct tb_out {
    int64_t value;
    const uint8_t *script; /* NULL: a P2WPKH script */
    size_t script_len;
};

/* Builds and parses; fails the test if the result does not parse. */
struct tx *tb_tx(int32_t version, const struct tb_in *ins, size_t nin, const struct tb_out *outs,
                 size_t nout, uint32_t locktime);
/* Version 2, RBF sequences, P2WPKH outputs of the given values. */
struct tx *tb_simple(const struct outpoint *ins, size_t nin, const int64_t *values, size_t nout);
struct outpoint tb_op(const struct tx *tx, uint32_t n);

extern const uint8_t tb_p2wpkh[22];

/* Default options for fixtures whose coins are made-up P2WPKH outputs
 * spent without signatures: scripts are not checked (they are in
 * test_mempool's script test and the chain tests). */
void tb_options(struct mempool_options *o);

struct tb_coin {
    struct outpoint op;
    int64_t value;
    int32_t height;
    bool coinbase;
    const uint8_t *script; /* NULL: tb_p2wpkh */
    size_t script_len;
};

struct tb_utxo {
    struct tb_coin *v;
    size_t n, cap;
};

/* Adds a coin with a made-up txid from seed; returns its outpoint. */
struct outpoint tb_fund(struct tb_utxo *u, uint32_t seed, int64_t value, int32_t height,
                        bool coinbase);
/* tb_fund with a coin paying to script (static storage). */
struct outpoint tb_fund_script(struct tb_utxo *u, uint32_t seed, int64_t value,
                               const uint8_t *script, size_t script_len);
void tb_utxo_add(struct tb_utxo *u, const struct outpoint *op, int64_t value, int32_t height,
                 bool coinbase);
void tb_utxo_del(struct tb_utxo *u, const struct outpoint *op);
void tb_utxo_free(struct tb_utxo *u);
/* coin_lookup_fn over a struct tb_utxo. */
bool tb_utxo_lookup(void *ctx, const struct outpoint *op, struct coin *out);

/* A mempool over a tb_utxo, counting removals by reason. */
#define TB_NOW 1700000000
#define TB_TIP_HEIGHT 1000

struct tb_fx {
    struct tb_utxo u;
    struct mempool *mp;
    struct mempool_tip tip; /* TB_TIP_HEIGHT, median time an hour before TB_NOW */
    size_t removed[MEMPOOL_REMOVED_REORG + 1];
};

struct tb_fx *tb_fx_new(const struct mempool_options *o); /* NULL: defaults */
/* Fails the test when mempool_check finds an inconsistency. */
void tb_fx_check(struct tb_fx *f);
void tb_fx_free(struct tb_fx *f); /* checks first */

#endif
