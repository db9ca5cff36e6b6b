/* Helpers shared by the chain tests: temporary directories and valid
 * regtest blocks built on the spot (coinbase with the BIP34 height,
 * merkle root, nonce ground against 0x207fffff, about two tries). */
#ifndef HEARSAY_TESTS_CHAINSTATE_UTIL_H
#define HEARSAY_TESTS_CHAINSTATE_UTIL_H

#include "chain/primitives/block.h"
#include "chain/primitives/tx.h"

#include <stddef.h>
#include <stdint.h>

#define TESTUTIL_BITS 0x207fffff

/* Creates a fresh directory under $TMPDIR (or /tmp); malloc'd path. */
char *testutil_tmpdir(const char *tag);
/* Removes a directory tree and frees the path; accepts NULL. */
void testutil_rmtree(char *path);

/* A coinbase for height paying value to OP_TRUE; tag varies the txid. */
struct tx *testutil_coinbase(int height, int64_t value, uint32_t tag);
/* A transaction spending ins, with nout outputs of the given values,
 * each to OP_TRUE. pad adds that many bytes to the first output script
 * (after OP_TRUE) to make large transactions. */
struct tx *testutil_spend(const struct outpoint *ins, size_t nin, const int64_t *outs, size_t nout,
                          size_t pad);
/* The same with nout outputs of value each, paying to script. */
struct tx *testutil_spend_script(const struct outpoint *ins, size_t nin, size_t nout,
                                 int64_t value, const uint8_t *script, size_t script_len);
/* tx (without witnesses) with every input's sequence set to sequence and
 * the version to version (BIP68 locks), rewritten; frees tx. */
struct tx *testutil_resequence(struct tx *tx, uint32_t sequence, int32_t version);
/* A block on prev with these transactions (references taken over): the
 * merkle root is computed and the nonce ground. */
struct block *testutil_block(const struct hash256 *prev, uint32_t time, struct tx **txs, size_t n);
/* Re-parses b after its header or transactions were changed by hand
 * (keeping the header as is) and returns the new block; frees b. */
struct block *testutil_rebuild(struct block *b);
/* Grinds the nonce so the hash meets (want_valid) or misses the target. */
void testutil_grind(struct block_header *h, int want_valid);
/* n valid headers (no blocks behind them) chained on prev, with these
 * bits, a second apart from time0, told apart from other chains by tag. */
void testutil_header_chain(const struct hash256 *prev, uint32_t time0, uint32_t bits, uint8_t tag,
                           struct block_header *out, size_t n);

#endif
