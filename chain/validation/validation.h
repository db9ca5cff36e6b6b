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
 * validation_connect_check, where its second copy spends spent coins. */
bool validation_block_basic(const struct block *b, const char **reason);
/* Runs validation_block_basic and computes the witness merkle root on the
 * caller's thread, keeping both in b: later checks of b answer from them
 * (b must not change after). */
void validation_block_precheck(struct block *b);

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

/* Core's ConnectBlock in three parts, so that the scripts may be checked
 * off the caller's thread.
 *
 * validation_connect_check: the block of index entry n (its height, its
 * ancestors' times) against the UTXO set, which it does not change:
 * BIP30, every input existing and unspent (in the set or from an earlier
 * transaction of the block) and, for coinbase outputs, 100 blocks deep,
 * value conservation, once CSV is active the BIP68 relative locks
 * ("bad-txns-nonfinal"), the sigop cost (80,000) and the coinbase's claim
 * (at most subsidy plus fees), in Core's order. 0 and *plan (what the
 * inputs spend), 1 with *reason when the block breaks a rule, -1 with
 * *err on a storage error. b must outlive the plan. */
struct validation_plan;
int validation_connect_check(const struct chain_params *p, struct utxo *u,
                             const struct block *b, const struct bindex_node *n,
                             struct validation_plan **plan, const char **reason, char **err);
/* The same checks in slices, so that an event loop may run between them
 * (they only read the UTXO set, into the plan: the caller must not change
 * the set until the plan is applied or freed; b and n must outlive it).
 * validation_connect_new begins; validation_connect_more checks one
 * output (BIP30), one input or one transaction's values at least, then
 * goes on until deadline_us (on looplag_now's clock; 0: none) passes, and
 * returns VALIDATION_MORE when checks remain,
 * else as validation_connect_check (after 0 it is not called again; after
 * 1 or -1 the plan is only to be freed). */
#define VALIDATION_MORE 2
struct validation_plan *validation_connect_new(const struct chain_params *p,
                                               const struct block *b,
                                               const struct bindex_node *n);
int validation_connect_more(const struct chain_params *p, struct utxo *u,
                            struct validation_plan *pl, int64_t deadline_us,
                            const char **reason, char **err);
/* The outpoints the plan's checks will read from the UTXO set, for a
 * prefetch: BIP30's probes of the block's outputs (when enforced), then
 * the coins its inputs spend (those of outputs of the block itself left
 * out), in the block's order: *n of them, the array the caller's. */
struct outpoint *validation_plan_reads(const struct validation_plan *pl, size_t *n);
/* ops (n of them, taken over; NULL: none) are known not to be in the
 * store, which the plan then does not read for them: a prefetch's
 * answers (utxo_prefetch_finish), good until the next coins write. */
void validation_plan_absent(struct validation_plan *pl, struct outpoint *ops, size_t n);
/* Starts every input's script checks with the block's flags on env's
 * workers; done(done_ctx) as for scriptcheck_start. Not called for an
 * assumed-valid block. */
void validation_plan_start(struct validation_plan *pl, const struct scriptcheck_env *env,
                           scriptcheck_done_fn done, void *done_ctx);
bool validation_plan_ready(const struct validation_plan *pl); /* finish would not wait */
/* Waits for the checks: 0 when they passed (or never started), 1 with
 * *reason ("block-script-verify-flag-failed (...)", the failing input in
 * the log). */
int validation_plan_finish(struct validation_plan *pl, const char **reason);
void validation_plan_free(struct validation_plan *pl); /* waits; accepts NULL */
/* Applies a checked block to the UTXO set: spends its inputs, adding
 * their coins to undo, and adds its outputs. -1 and *err on a storage
 * error (the set is then partly changed). */
int validation_connect_apply(struct utxo *u, const struct block *b, int height,
                             struct wbuf *undo, char **err);

/* Reverses validation_connect_apply using its undo data. -1 and *err when the
 * undo data does not match the block or storage fails. */
int validation_disconnect(struct utxo *u, const struct block *b, const uint8_t *undo,
                          size_t undo_len, char **err);

/* The BIP34 height push a coinbase script starts with (at most 5 bytes). */
size_t validation_bip34_prefix(int height, uint8_t out[5]);

#endif
