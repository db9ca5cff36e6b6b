/* Consensus checks, and connecting or disconnecting a block against the
 * UTXO set: scripts and signatures with the flags of the block's height
 * (chain/validation/scriptcheck.h), the block's sigop cost, values,
 * maturity, BIP68 relative lock times, BIP30 and the coinbase's claim.
 * Failures name the rule with Bitcoin Core's
 * reject reason ("high-hash", "bad-txnmrklroot", ...), a static string. */
#ifndef HEARSAY_CHAIN_VALIDATION_H
#define HEARSAY_CHAIN_VALIDATION_H

#include "chain/primitives/block.h"
#include "chain/validation/blockindex.h"
#include "chain/primitives/params.h"
#include "chain/validation/scriptcheck.h"
#include "chain/validation/utxo.h"

#include <stdbool.h>
#include <stdint.h>

/* Blocks may be at most this far ahead of the clock. */
#define VALIDATION_MAX_FUTURE_SECS (2 * 60 * 60)

/* A header's proof of work against its own bits (no context). */
bool validation_header_pow(const struct chain_params *p, const struct block_header *h,
                           const struct hash256 *hash, const char **reason);

/* A header in the context of its parent: expected bits, timestamp above
 * the median of the last 11 and at most 2 hours past now, version
 * minimums after BIP34/66/65, and testnet4's BIP94 timewarp rule. */
bool validation_header_context(const struct chain_params *p, const struct bindex_node *prev,
                               const struct block_header *h, int64_t now, const char **reason);

/* Core's CheckTransaction: the rules one transaction must meet alone,
 * for blocks and the mempool alike. */
bool validation_check_transaction(const struct tx *tx, const char **reason);
/* Structure needing no context (Core's CheckBlock): non-empty, size, one
 * coinbase and it first, each transaction well formed, merkle root
 * matching without the CVE-2012-2459 mutation, legacy sigops within the
 * block limit. A transaction repeated elsewhere in the block is left to
 * validation_connect, where its second copy spends spent coins. */
bool validation_block_basic(const struct block *b, const char **reason);

/* Rules that depend on the block's place in the chain: weight, final
 * transactions, the BIP34 height in the coinbase, the BIP141 witness
 * commitment (or no witness data at all). */
bool validation_block_context(const struct chain_params *p, const struct bindex_node *prev,
                              const struct block *b, const char **reason);

/* Core's GetBlockScriptFlags: P2SH, WITNESS and TAPROOT (but for the
 * chain's two exception blocks), DERSIG, CHECKLOCKTIMEVERIFY,
 * CHECKSEQUENCEVERIFY and NULLDUMMY from their activation heights. */
uint32_t validation_script_flags(const struct chain_params *p, int height,
                                 const struct hash256 *hash);

/* Applies the block of index entry n (its height, its ancestors' times)
 * to the UTXO set: spends inputs (which must exist, be unspent and, for
 * coinbase outputs, be 100 blocks deep, and once CSV is active meet the
 * BIP68 relative locks of their transaction: "bad-txns-nonfinal"), adds
 * outputs, checks value conservation, the sigop cost (80,000) and the
 * coinbase's claim (at most subsidy plus fees), then, unless scripts is
 * NULL (an assumed-valid block), every input's scripts with the flags of
 * the block ("block-script-verify-flag-failed (...)"). Undo data is
 * appended to undo. On failure the UTXO set is left as it was. Returns 0,
 * or 1 with *reason when the block breaks a rule, or -1 with *err on a
 * storage error. */
int validation_connect(const struct chain_params *p, struct utxo *u, const struct block *b,
                       const struct bindex_node *n, const struct scriptcheck_env *scripts,
                       struct wbuf *undo, const char **reason, char **err);

/* Reverses validation_connect using its undo data. -1 and *err when the
 * undo data does not match the block or storage fails. */
int validation_disconnect(struct utxo *u, const struct block *b, const uint8_t *undo,
                          size_t undo_len, char **err);

/* The BIP34 height push a coinbase script starts with (at most 5 bytes). */
size_t validation_bip34_prefix(int height, uint8_t out[5]);

#endif
