/* Core's BuildCreditingTransaction / BuildSpendingTransaction: a coin
 * paying to a scriptPubKey and a one-input transaction spending it with a
 * scriptSig and witness, ready for script_verify_input. */
#ifndef HEARSAY_TESTS_SCRIPT_TESTUTIL_H
#define HEARSAY_TESTS_SCRIPT_TESTUTIL_H

#include "chain/primitives/tx.h"
#include "chain/script/interpreter.h"

struct script_test_spend {
    struct tx *credit, *spend;
    struct sighash_txdata d;
};

/* false when a transaction does not parse (it always should). */
bool script_test_build(struct script_test_spend *t, const uint8_t *sig, size_t sig_len,
                       const uint8_t *spk, size_t spk_len, const struct tx_witem *wit,
                       size_t nwit, int64_t amount);
void script_test_free(struct script_test_spend *t);
/* Verifies the spend's input under flags; returns the error (OK when valid). */
enum script_error script_test_verify(const struct script_test_spend *t, uint32_t flags,
                                     struct sigcache *cache, bool store);

/* Core's FillFlags: CLEANSTACK needs WITNESS, WITNESS needs P2SH (Core
 * asserts both, so tests only pass such sets). */
uint32_t script_test_fill_flags(uint32_t flags);
/* flags without bit and what depends on it (P2SH: WITNESS; WITNESS:
 * CLEANSTACK). Removing a flag so never turns a valid spend invalid. */
uint32_t script_test_remove_flag(uint32_t flags, uint32_t bit);

#endif
