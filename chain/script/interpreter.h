/* Script verification: Bitcoin Core's VerifyScript and EvalScript, every
 * verification flag, segwit v0, taproot key and script paths, tapscript.
 *
 * Ownership: interpreter.c (and the opcode/error tables in script.h). The
 * flags carry Core's bit values, so flag sets read from Core's test
 * vectors map one to one. */
#ifndef HEARSAY_CHAIN_SCRIPT_INTERPRETER_H
#define HEARSAY_CHAIN_SCRIPT_INTERPRETER_H

#include "chain/script/script.h" /* enum script_error, opcodes */
#include "chain/script/sighash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_VERIFY_NONE 0u
#define SCRIPT_VERIFY_P2SH (1u << 0)
#define SCRIPT_VERIFY_STRICTENC (1u << 1)
#define SCRIPT_VERIFY_DERSIG (1u << 2)
#define SCRIPT_VERIFY_LOW_S (1u << 3)
#define SCRIPT_VERIFY_NULLDUMMY (1u << 4)
#define SCRIPT_VERIFY_SIGPUSHONLY (1u << 5)
#define SCRIPT_VERIFY_MINIMALDATA (1u << 6)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS (1u << 7)
#define SCRIPT_VERIFY_CLEANSTACK (1u << 8)
#define SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY (1u << 9)
#define SCRIPT_VERIFY_CHECKSEQUENCEVERIFY (1u << 10)
#define SCRIPT_VERIFY_WITNESS (1u << 11)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM (1u << 12)
#define SCRIPT_VERIFY_MINIMALIF (1u << 13)
#define SCRIPT_VERIFY_NULLFAIL (1u << 14)
#define SCRIPT_VERIFY_WITNESS_PUBKEYTYPE (1u << 15)
#define SCRIPT_VERIFY_CONST_SCRIPTCODE (1u << 16)
#define SCRIPT_VERIFY_TAPROOT (1u << 17)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION (1u << 18)
#define SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS (1u << 19)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE (1u << 20)

/* Core's MANDATORY_SCRIPT_VERIFY_FLAGS and STANDARD_SCRIPT_VERIFY_FLAGS
 * (policy/policy.h): the consensus set mempool acceptance re-checks with,
 * and the policy set it checks first. */
#define SCRIPT_MANDATORY_FLAGS                                                  \
    (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_NULLDUMMY |      \
     SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY | SCRIPT_VERIFY_CHECKSEQUENCEVERIFY |    \
     SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT)
#define SCRIPT_STANDARD_FLAGS                                                   \
    (SCRIPT_MANDATORY_FLAGS | SCRIPT_VERIFY_STRICTENC | SCRIPT_VERIFY_MINIMALDATA | \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS | SCRIPT_VERIFY_CLEANSTACK |       \
     SCRIPT_VERIFY_MINIMALIF | SCRIPT_VERIFY_NULLFAIL | SCRIPT_VERIFY_LOW_S |   \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM |                      \
     SCRIPT_VERIFY_WITNESS_PUBKEYTYPE | SCRIPT_VERIFY_CONST_SCRIPTCODE |        \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION |                      \
     SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS |                                      \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE)

struct sigcache; /* chain/script/sigcache.h; NULL means no cache */

/* Verifies input `in` of d->tx against d->spent[in] (value and
 * scriptPubKey) under flags: scriptSig, scriptPubKey, P2SH, witness.
 * Pure: reads only its arguments, safe on worker threads. On failure *err
 * says why (Core's ScriptError). */
bool script_verify_input(const struct sighash_txdata *d, size_t in, uint32_t flags,
                         struct sigcache *cache, enum script_error *err);
/* The same, choosing whether signatures verified now go into the cache:
 * the mempool stores (store true), block connection only looks up (Core's
 * cacheSigStore). script_verify_input never stores. */
bool script_verify_input_ex(const struct sighash_txdata *d, size_t in, uint32_t flags,
                            struct sigcache *cache, bool store, enum script_error *err);

/* Core's ScriptErrorString text for an error ("Signature must be zero for
 * failed CHECK(MULTI)SIG operation", ...), used in reject reasons, and
 * the SCRIPT_ERR_* name without the prefix ("NULLFAIL"), used by the
 * test vectors. */
const char *script_error_string(enum script_error err);
const char *script_error_name(enum script_error err);

#endif
