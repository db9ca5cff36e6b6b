/* Consensus checks that need no script execution, and connecting or
 * disconnecting a block against the UTXO set.
 *
 * Scripts and signatures are NOT verified (only BIP141 witness program
 * commitments, chain/primitives/witness.h), nor are BIP68 relative lock
 * times or signature-operation limits. Everything else a block must
 * satisfy to join the chain is checked here; failures name the rule with
 * Bitcoin Core's reject reason ("high-hash", "bad-txnmrklroot", ...), a
 * static string. */
#ifndef HEARSAY_CHAIN_VALIDATION_H
#define HEARSAY_CHAIN_VALIDATION_H

#include "chain/primitives/block.h"
#include "chain/validation/blockindex.h"
#include "chain/primitives/params.h"
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
/* Structure needing no context: non-empty, size, one coinbase and it
 * first, each transaction well formed, no duplicate txids, merkle root
 * matching without the CVE-2012-2459 mutation. */
bool validation_block_basic(const struct block *b, const char **reason);

/* Rules that depend on the block's place in the chain: weight, final
 * transactions, the BIP34 height in the coinbase, the BIP141 witness
 * commitment (or no witness data at all). */
bool validation_block_context(const struct chain_params *p, const struct bindex_node *prev,
                              const struct block *b, const char **reason);

/* Applies the block at height to the UTXO set: spends inputs (which must
 * exist, be unspent and, for coinbase outputs, be 100 blocks deep, and
 * once segwit is active carry witnesses matching what they spend), adds
 * outputs, checks value conservation and the coinbase's claim (at most
 * subsidy plus fees). Undo data is appended to undo. On failure the UTXO
 * set is left as it was. Returns 0, or 1 with *reason when the block
 * breaks a rule, or -1 with *err on a storage error. */
int validation_connect(const struct chain_params *p, struct utxo *u, const struct block *b,
                       int height, struct wbuf *undo, const char **reason, char **err);

/* Reverses validation_connect using its undo data. -1 and *err when the
 * undo data does not match the block or storage fails. */
int validation_disconnect(struct utxo *u, const struct block *b, const uint8_t *undo,
                          size_t undo_len, char **err);

/* The BIP34 height push a coinbase script starts with (at most 5 bytes). */
size_t validation_bip34_prefix(int height, uint8_t out[5]);

#endif
