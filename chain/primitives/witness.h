/* BIP141 witness program commitments: the part of segwit validation that
 * needs no script execution.
 *
 * hearsay verifies no scripts, but a witness that does not commit to the
 * program it spends is certainly invalid, and cheap to catch. Catching it
 * matters for relay: a copy of a transaction with its witness stripped or
 * replaced has the same txid as the real one, and must not take its place
 * in mempools (BIP141's malleability fix relies on nodes refusing it). */
#ifndef HEARSAY_CHAIN_WITNESS_H
#define HEARSAY_CHAIN_WITNESS_H

#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks one input against the script of the output it spends: a witness
 * program (native, or nested in P2SH) gets a matching witness and, native,
 * an empty scriptSig; anything else gets no witness at all. On failure
 * returns false with *reason, Bitcoin Core's wording for the script error
 * ("mandatory-script-verify-flag-failed (Witness program hash mismatch)"),
 * and *stripped set when the input carries no witness where one is needed
 * (a copy with its witness removed). */
bool witness_check_input(const struct tx_in *in, const uint8_t *prev_script, size_t prev_len,
                         const char **reason, bool *stripped);

/* witness_check_input over every input; prev_script[i]/prev_len[i] are the
 * spent outputs' scripts. Coinbases pass. */
bool witness_check_tx(const struct tx *tx, const uint8_t *const *prev_script,
                      const size_t *prev_len, const char **reason, bool *stripped);

#endif
