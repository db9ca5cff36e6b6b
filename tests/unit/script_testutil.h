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

#endif
