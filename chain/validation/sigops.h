/* Signature-operation counting, as Bitcoin Core's GetLegacySigOpCount,
 * GetP2SHSigOpCount, CountWitnessSigOps and GetTransactionSigOpCost: the
 * one implementation behind the block limit (MAX_BLOCK_SIGOPS_COST) and
 * the mempool's standardness limit and virtual size. */
#ifndef HEARSAY_CHAIN_SIGOPS_H
#define HEARSAY_CHAIN_SIGOPS_H

#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's MAX_BLOCK_SIGOPS_COST. */
#define SIGOPS_MAX_BLOCK_COST 80000

/* Core's CScript::GetSigOpCount: CHECKMULTISIG counts its key count when
 * accurate and an OP_1..OP_16 precedes it, else 20. Stops at a broken push. */
unsigned sigops_count(const uint8_t *s, size_t len, bool accurate);

/* The last item a push-only scriptSig pushes (a P2SH redeem script), or
 * NULL when the script is empty or not push-only. */
const uint8_t *sigops_redeem_script(const uint8_t *script_sig, size_t len, size_t *out_len);

/* Legacy sigops of every scriptSig and output script, unweighted. */
unsigned sigops_legacy(const struct tx *tx);

/* Core's GetTransactionSigOpCost: legacy sigops at 4 each, P2SH redeem
 * scripts at 4 each when flags has SCRIPT_VERIFY_P2SH, witness sigops at 1
 * when it has SCRIPT_VERIFY_WITNESS. spent[i] is the output input i spends
 * (unused for a coinbase, which may pass NULL). */
unsigned sigops_tx_cost(const struct tx *tx, const struct tx_out *spent, uint32_t flags);

#endif
