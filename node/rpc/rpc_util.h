/* Helpers shared by the chain, raw-transaction and mining RPC methods:
 * Bitcoin Core's script disassembly (ScriptToAsmStr), output script and
 * transaction JSON (ScriptToUniv, TxToUniv), descriptor checksums,
 * difficulty, and parameter parsing with Core's error messages. */
#ifndef HEARSAY_NODE_RPC_UTIL_H
#define HEARSAY_NODE_RPC_UTIL_H

#include "chain/validation/chainstate.h"
#include "chain/mempool/mempool.h"
#include "chain/primitives/params.h"
#include "chain/validation/pow.h"
#include "chain/primitives/tx.h"
#include "node/node.h"
#include "node/rpc/rpc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Script disassembly as Core's ScriptToAsmStr: pushes of up to 4 bytes as
 * numbers, longer ones as hex (with sighash_decode, DER signatures with a
 * defined hash type get "[ALL]" etc.), opcodes by name, "[error]" at a
 * truncated push. malloc'd; NULL only when out of memory. */
char *rpc_util_script_asm(const uint8_t *s, size_t len, bool sighash_decode);

/* Core's scriptPubKey object: asm, desc, hex, address (when the script has
 * one, not for bare pubkeys) and type. */
json_t *rpc_util_script_json(const struct chain_params *p, const uint8_t *s, size_t len);

/* The inferred descriptor with its checksum: pk(), rawtr(), multi(),
 * addr() or raw(). malloc'd. */
char *rpc_util_infer_descriptor(const struct chain_params *p, const uint8_t *s, size_t len);

/* Core's TxToUniv without undo data: txid, hash, version, size, vsize,
 * weight, locktime, vin, vout, and hex when include_hex. */
json_t *rpc_util_tx_json(const struct chain_params *p, const struct tx *tx, bool include_hex);

/* BIP380 descriptor checksum of desc[0..len): 8 characters and a NUL in
 * out. -1 when desc holds a character outside the descriptor charset. */
int rpc_util_desc_checksum(const char *desc, size_t len, char out[9]);

/* Core's GetDifficulty: the genesis target over the target of bits. */
double rpc_util_difficulty(uint32_t bits);
/* "bits" (8 hex digits), "target" and "difficulty" of compact bits. */
void rpc_util_bits_fields(json_t *o, uint32_t bits);
/* The 256-bit number (target or chain work) as 64 hex digits. */
json_t *rpc_util_u256_hex(const struct u256 *v);

/* A transaction from hex: witness 1 only in the BIP144 form, 0 only in
 * the legacy form, -1 either (BIP144 tried first), as Core's DecodeHexTx.
 * NULL when it does not parse (or has trailing bytes). */
struct tx *rpc_util_decode_tx(const char *hex, int witness);
/* The same from parameter i; when it does not parse, -22 with msg (Core's
 * wording differs by method). */
struct tx *rpc_util_tx_param(struct rpc_request *req, size_t i, int witness, const char *msg);

/* An amount in BTC (number or numeric string) as satoshis, def when
 * parameter i is omitted; else -3 "Invalid amount" / "Amount out of
 * range" and false. */
bool rpc_util_amount_param(struct rpc_request *req, size_t i, int64_t def, int64_t *out);
/* An unspendable output (OP_RETURN, oversized script) of tx carries more
 * than max_burn satoshis (sendrawtransaction's maxburnamount). */
bool rpc_util_burns_over(const struct tx *tx, int64_t max_burn);

/* Core's DEFAULT_MAX_RAW_TX_FEE_RATE: 0.10 BTC/kvB, in sat/kvB. */
#define RPC_UTIL_DEFAULT_MAX_FEERATE (TX_COIN / 10)
/* Core's MAX_PACKAGE_COUNT: testmempoolaccept and submitpackage. */
#define RPC_UTIL_MAX_PACKAGE 25
/* The array of raw transactions in parameter i, decoded into txs: their
 * count, or 0 after -8 (not 1 to 25 of them) or -22 (one does not
 * decode), Core's messages. */
size_t rpc_util_package_param(struct rpc_request *req, size_t i,
                              struct tx *txs[RPC_UTIL_MAX_PACKAGE]);
void rpc_util_free_txs(struct tx **txs, size_t n);

/* Hex of bytes as a JSON string. */
json_t *rpc_util_hex_json(const void *data, size_t len);

#endif
