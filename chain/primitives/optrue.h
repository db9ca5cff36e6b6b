/* Wallet-free transactions: spending P2WSH(OP_TRUE) outputs.
 *
 * As in Bitcoin Core's functional tests (MiniWallet's ADDRESS_OP_TRUE),
 * coins are mined to the P2WSH output of the witness script OP_TRUE
 * (0x51): the output script is 0x00 0x20 || sha256(0x51), and anyone can
 * spend it with the witness stack [0x51] and an empty scriptSig. No key,
 * no signature, no wallet.
 *
 * The transactions built here are what Core relays: version 2, one
 * P2WSH(OP_TRUE) output per output (standard, never dust), the witness
 * script as the only witness item (P2WSH spends are standard inputs),
 * sequence 0xfffffffd (BIP125 signalling), locktime 0, and a fee of at
 * least feerate (sat/kvB) times the virtual size. Every output pays back
 * to the same script, so outputs feed chains and fan-outs of spends.
 *
 * Sizes are exact and known in advance: optrue_vsize(n_in, n_out) is the
 * vsize of any such transaction, which is what makes the fee exact. */
#ifndef HEARSAY_CHAIN_OPTRUE_H
#define HEARSAY_CHAIN_OPTRUE_H

#include "chain/primitives/tx.h"

#include <stddef.h>
#include <stdint.h>

#define OPTRUE_SCRIPT_LEN 34
/* Bitcoin Core's default -minrelaytxfee (sat/kvB): 1 sat/vB. */
#define OPTRUE_FEERATE_DEFAULT 1000
/* Caps that keep every transaction under Core's standard weight. */
#define OPTRUE_MAX_INPUTS 1000
#define OPTRUE_MAX_OUTPUTS 1000
#define OPTRUE_SEQUENCE 0xfffffffdu

/* The P2WSH(OP_TRUE) output script. */
extern const uint8_t optrue_script[OPTRUE_SCRIPT_LEN];

/* An output of P2WSH(OP_TRUE) that can be spent. */
struct optrue_coin {
    struct outpoint op;
    int64_t value; /* satoshis */
};

/* Exact virtual size of a transaction with n_in inputs and n_out outputs. */
size_t optrue_vsize(size_t n_in, size_t n_out);
/* Fee at feerate (sat/kvB) for that size, rounded up (never below what
 * Core asks at that rate). */
int64_t optrue_fee(size_t n_in, size_t n_out, int64_t feerate);
/* The smallest output value that is not dust at Core's dust relay fee. */
int64_t optrue_dust(void);

/* Spends in[0..n_in) into n_out outputs of equal value (the remainder of
 * the division goes to output 0), paying optrue_fee(n_in, n_out,
 * feerate). NULL and *err (malloc'd) when a count is out of range, a
 * value is out of range, or the coins do not cover the fee plus n_out
 * non-dust outputs. */
struct tx *optrue_spend(const struct optrue_coin *in, size_t n_in, size_t n_out, int64_t feerate,
                        char **err);
/* The coin paid by output n of a transaction built here. */
struct optrue_coin optrue_coin_of(const struct tx *tx, uint32_t n);

/* A chain of len transactions: the first spends coin, each next one
 * spends output 0 of the one before; n_out outputs each. txs[0..len)
 * are set (free each with tx_free). 0, or -1 with *err and nothing set. */
int optrue_chain(const struct optrue_coin *coin, size_t len, size_t n_out, int64_t feerate,
                 struct tx **txs, char **err);
/* A fan-out: txs[0] spends coin into n_children outputs, txs[1 + i]
 * spends output i of it into one output. 0, or -1 with *err. */
int optrue_fanout(const struct optrue_coin *coin, size_t n_children, int64_t feerate,
                  struct tx **txs, char **err);

/* The serialization with witness as lowercase hex (malloc'd, NUL-ended):
 * what sendrawtransaction takes. */
char *optrue_hex(const struct tx *tx);

#endif
