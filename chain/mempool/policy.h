/* Transaction checks that need no coins: Bitcoin Core's context-free
 * consensus checks (CheckTransaction), finality (IsFinalTx) and relay
 * standardness (IsStandardTx, dust, output script types). Every failure
 * gives Core's short reject reason as a static string. */
#ifndef HEARSAY_CHAIN_POLICY_H
#define HEARSAY_CHAIN_POLICY_H

#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_STANDARD_TX_WEIGHT 400000
#define POLICY_MIN_STANDARD_TX_NONWITNESS_SIZE 65
#define POLICY_MAX_SCRIPTSIG_SIZE 1650
#define POLICY_MAX_OP_RETURN_RELAY 83 /* whole script, OP_RETURN included */
#define POLICY_DUST_RELAY_FEERATE 3000 /* sat per 1000 vB */
#define POLICY_TX_MIN_VERSION 1
#define POLICY_TX_MAX_VERSION 3
#define POLICY_MAX_STANDARD_TX_SIGOPS_COST 16000 /* a fifth of a block's */
#define POLICY_MAX_P2SH_SIGOPS 15
#define POLICY_BYTES_PER_SIGOP 20
#define POLICY_MAX_P2WSH_SCRIPT_SIZE 3600
#define POLICY_MAX_P2WSH_STACK_ITEMS 100
#define POLICY_MAX_WITNESS_STACK_ITEM_SIZE 80

enum policy_script_type {
    POLICY_NONSTANDARD,
    POLICY_PUBKEY,
    POLICY_PUBKEYHASH,
    POLICY_SCRIPTHASH,
    POLICY_MULTISIG,
    POLICY_NULL_DATA,
    POLICY_WITNESS_V0_KEYHASH,
    POLICY_WITNESS_V0_SCRIPTHASH,
    POLICY_WITNESS_V1_TAPROOT,
    POLICY_ANCHOR,
    POLICY_WITNESS_UNKNOWN,
};

/* Classifies an output script the way Core's Solver does. */
enum policy_script_type policy_script_type(const uint8_t *s, size_t len);
/* Core's names: "pubkeyhash", "witness_v0_keyhash", "nulldata", ... */
const char *policy_script_type_name(enum policy_script_type t);
/* Only push opcodes (OP_16 and below), each push complete. */
bool policy_is_push_only(const uint8_t *s, size_t len);
/* Whether the script is a witness program (version 0..16, 2..40 bytes). */
bool policy_is_witness_program(const uint8_t *s, size_t len);

/* Fee in satoshis for vsize bytes at feerate sat/kvB, as Core's CFeeRate. */
int64_t policy_fee_at(int64_t feerate, size_t vsize);
/* Smallest non-dust value of an output at dust_feerate (sat/kvB). */
int64_t policy_dust_threshold(const struct tx_out *out, int64_t dust_feerate);

/* Core's virtual size: weight, or sigop cost at 20 bytes each when that is
 * larger, divided by 4 rounding up. */
size_t policy_vsize(size_t weight, unsigned sigop_cost);
/* Core's AreInputsStandard: spends only known output types, and P2SH
 * redeem scripts of at most 15 sigops. */
bool policy_inputs_standard(const struct tx *tx, const struct tx_out *spent);

/* Core's IsWitnessStandard: witness data only on witness spends (never on
 * pay-to-anchor), P2WSH scripts and stacks within their limits, no taproot
 * annex, tapscript stack items of at most 80 bytes. */
bool policy_witness_standard(const struct tx *tx, const struct tx_out *spent);

struct policy_standard {
    size_t max_datacarrier;    /* POLICY_MAX_OP_RETURN_RELAY */
    bool permit_bare_multisig; /* Core's default: true */
    int64_t dust_feerate;      /* POLICY_DUST_RELAY_FEERATE */
};

void policy_standard_default(struct policy_standard *ps);
/* Core's IsStandardTx plus the tx-size-small rule. */
bool policy_is_standard_tx(const struct tx *tx, const struct policy_standard *ps,
                           const char **reason);

#endif
