/* Scripts: Bitcoin Core's opcodes, ScriptError list, script numbers
 * (CScriptNum) and GetOp-style parsing with its minimal-push rule.
 *
 * Ownership: script.c. Scripts are plain byte ranges; nothing here
 * allocates. */
#ifndef HEARSAY_CHAIN_SCRIPT_SCRIPT_H
#define HEARSAY_CHAIN_SCRIPT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's consensus limits (script/script.h). */
#define SCRIPT_MAX_ELEMENT_SIZE 520
#define SCRIPT_MAX_OPS 201
#define SCRIPT_MAX_PUBKEYS_PER_MULTISIG 20
#define SCRIPT_MAX_SIZE 10000
#define SCRIPT_MAX_STACK_SIZE 1000
#define SCRIPT_LOCKTIME_THRESHOLD 500000000u
/* BIP342: budget per witness byte starts at 50 + witness size; each
 * signature check costs 50. */
#define SCRIPT_VALIDATION_WEIGHT_PER_SIGOP 50
#define SCRIPT_VALIDATION_WEIGHT_OFFSET 50

enum opcode {
    OP_0 = 0x00, OP_FALSE = OP_0,
    OP_PUSHDATA1 = 0x4c, OP_PUSHDATA2 = 0x4d, OP_PUSHDATA4 = 0x4e,
    OP_1NEGATE = 0x4f, OP_RESERVED = 0x50,
    OP_1 = 0x51, OP_TRUE = OP_1, OP_2, OP_3, OP_4, OP_5, OP_6, OP_7, OP_8,
    OP_9, OP_10, OP_11, OP_12, OP_13, OP_14, OP_15, OP_16,
    /* control */
    OP_NOP = 0x61, OP_VER, OP_IF, OP_NOTIF, OP_VERIF, OP_VERNOTIF, OP_ELSE,
    OP_ENDIF, OP_VERIFY, OP_RETURN,
    /* stack */
    OP_TOALTSTACK = 0x6b, OP_FROMALTSTACK, OP_2DROP, OP_2DUP, OP_3DUP,
    OP_2OVER, OP_2ROT, OP_2SWAP, OP_IFDUP, OP_DEPTH, OP_DROP, OP_DUP, OP_NIP,
    OP_OVER, OP_PICK, OP_ROLL, OP_ROT, OP_SWAP, OP_TUCK,
    /* splice */
    OP_CAT = 0x7e, OP_SUBSTR, OP_LEFT, OP_RIGHT, OP_SIZE,
    /* bit logic */
    OP_INVERT = 0x83, OP_AND, OP_OR, OP_XOR, OP_EQUAL, OP_EQUALVERIFY,
    OP_RESERVED1, OP_RESERVED2,
    /* numeric */
    OP_1ADD = 0x8b, OP_1SUB, OP_2MUL, OP_2DIV, OP_NEGATE, OP_ABS, OP_NOT,
    OP_0NOTEQUAL, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_LSHIFT, OP_RSHIFT,
    OP_BOOLAND, OP_BOOLOR, OP_NUMEQUAL, OP_NUMEQUALVERIFY, OP_NUMNOTEQUAL,
    OP_LESSTHAN, OP_GREATERTHAN, OP_LESSTHANOREQUAL, OP_GREATERTHANOREQUAL,
    OP_MIN, OP_MAX, OP_WITHIN,
    /* crypto */
    OP_RIPEMD160 = 0xa6, OP_SHA1, OP_SHA256, OP_HASH160, OP_HASH256,
    OP_CODESEPARATOR, OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_CHECKMULTISIG,
    OP_CHECKMULTISIGVERIFY,
    /* expansion */
    OP_NOP1 = 0xb0, OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY, OP_NOP4,
    OP_NOP5, OP_NOP6, OP_NOP7, OP_NOP8, OP_NOP9, OP_NOP10,
    OP_NOP2 = OP_CHECKLOCKTIMEVERIFY, OP_NOP3 = OP_CHECKSEQUENCEVERIFY,
    /* BIP342 */
    OP_CHECKSIGADD = 0xba,
    OP_INVALIDOPCODE = 0xff,
};

/* X(name, Core's ScriptErrorString text), in Core's enum order. The test
 * vectors name errors without the SCRIPT_ERR_ prefix, except SIG_NULLFAIL
 * which they call NULLFAIL (script_error_name handles that). */
#define SCRIPT_ERROR_LIST(X)                                                                    \
    X(OK, "No error")                                                                           \
    X(UNKNOWN_ERROR, "unknown error")                                                           \
    X(EVAL_FALSE, "Script evaluated without error but finished with a false/empty top stack element") \
    X(OP_RETURN, "OP_RETURN was encountered")                                                   \
    X(SCRIPT_SIZE, "Script is too big")                                                         \
    X(PUSH_SIZE, "Push value size limit exceeded")                                              \
    X(OP_COUNT, "Operation limit exceeded")                                                     \
    X(STACK_SIZE, "Stack size limit exceeded")                                                  \
    X(SIG_COUNT, "Signature count negative or greater than pubkey count")                       \
    X(PUBKEY_COUNT, "Pubkey count negative or limit exceeded")                                  \
    X(VERIFY, "Script failed an OP_VERIFY operation")                                           \
    X(EQUALVERIFY, "Script failed an OP_EQUALVERIFY operation")                                 \
    X(CHECKMULTISIGVERIFY, "Script failed an OP_CHECKMULTISIGVERIFY operation")                 \
    X(CHECKSIGVERIFY, "Script failed an OP_CHECKSIGVERIFY operation")                           \
    X(NUMEQUALVERIFY, "Script failed an OP_NUMEQUALVERIFY operation")                           \
    X(BAD_OPCODE, "Opcode missing or not understood")                                           \
    X(DISABLED_OPCODE, "Attempted to use a disabled opcode")                                    \
    X(INVALID_STACK_OPERATION, "Operation not valid with the current stack size")               \
    X(INVALID_ALTSTACK_OPERATION, "Operation not valid with the current altstack size")         \
    X(UNBALANCED_CONDITIONAL, "Invalid OP_IF construction")                                     \
    X(NEGATIVE_LOCKTIME, "Negative locktime")                                                   \
    X(UNSATISFIED_LOCKTIME, "Locktime requirement not satisfied")                               \
    X(SIG_HASHTYPE, "Signature hash type missing or not understood")                            \
    X(SIG_DER, "Non-canonical DER signature")                                                   \
    X(MINIMALDATA, "Data push larger than necessary")                                           \
    X(SIG_PUSHONLY, "Only push operators allowed in signatures")                                \
    X(SIG_HIGH_S, "Non-canonical signature: S value is unnecessarily high")                     \
    X(SIG_NULLDUMMY, "Dummy CHECKMULTISIG argument must be zero")                               \
    X(PUBKEYTYPE, "Public key is neither compressed or uncompressed")                           \
    X(CLEANSTACK, "Stack size must be exactly one after execution")                             \
    X(MINIMALIF, "OP_IF/NOTIF argument must be minimal")                                        \
    X(SIG_NULLFAIL, "Signature must be zero for failed CHECK(MULTI)SIG operation")              \
    X(DISCOURAGE_UPGRADABLE_NOPS, "NOPx reserved for soft-fork upgrades")                       \
    X(DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM, "Witness version reserved for soft-fork upgrades") \
    X(DISCOURAGE_UPGRADABLE_TAPROOT_VERSION, "Taproot version reserved for soft-fork upgrades") \
    X(DISCOURAGE_OP_SUCCESS, "OP_SUCCESSx reserved for soft-fork upgrades")                     \
    X(DISCOURAGE_UPGRADABLE_PUBKEYTYPE, "Public key version reserved for soft-fork upgrades")   \
    X(WITNESS_PROGRAM_WRONG_LENGTH, "Witness program has incorrect length")                     \
    X(WITNESS_PROGRAM_WITNESS_EMPTY, "Witness program was passed an empty witness")             \
    X(WITNESS_PROGRAM_MISMATCH, "Witness program hash mismatch")                                \
    X(WITNESS_MALLEATED, "Witness requires empty scriptSig")                                    \
    X(WITNESS_MALLEATED_P2SH, "Witness requires only-redeemscript scriptSig")                   \
    X(WITNESS_UNEXPECTED, "Witness provided for non-witness script")                            \
    X(WITNESS_PUBKEYTYPE, "Using non-compressed keys in segwit")                                \
    X(SCHNORR_SIG_SIZE, "Invalid Schnorr signature size")                                      \
    X(SCHNORR_SIG_HASHTYPE, "Invalid Schnorr signature hash type")                              \
    X(SCHNORR_SIG, "Invalid Schnorr signature")                                                 \
    X(TAPROOT_WRONG_CONTROL_SIZE, "Invalid Taproot control block size")                         \
    X(TAPSCRIPT_VALIDATION_WEIGHT, "Too much signature validation relative to witness weight")  \
    X(TAPSCRIPT_CHECKMULTISIG, "OP_CHECKMULTISIG(VERIFY) is not available in tapscript")        \
    X(TAPSCRIPT_MINIMALIF, "OP_IF/NOTIF argument must be minimal in tapscript")                 \
    X(TAPSCRIPT_EMPTY_PUBKEY, "Empty public key in tapscript")                                  \
    X(OP_CODESEPARATOR, "Using OP_CODESEPARATOR in non-witness script")                         \
    X(SIG_FINDANDDELETE, "Signature is found in scriptCode")

#define SCRIPT_ERR_ENUM_(name, text) SCRIPT_ERR_##name,
enum script_error { SCRIPT_ERROR_LIST(SCRIPT_ERR_ENUM_) SCRIPT_ERR_ERROR_COUNT };
#undef SCRIPT_ERR_ENUM_

/* Core's name for an opcode without the OP_ prefix where Core's
 * GetOpName drops it ("CHECKSIG", "NOP2" is "CHECKLOCKTIMEVERIFY"), or
 * NULL for bytes that are not opcodes (pushes other than OP_0, unknown).
 * Core's script assembly accepts these names with or without OP_. */
const char *script_opcode_name(uint8_t op);

/* One parsed operation (Core's GetScriptOp). */
struct script_op {
    uint8_t opcode;
    const uint8_t *data; /* push payload, NULL for non-push opcodes */
    size_t len;
};

/* Reads the operation at *pc (advanced past it). false at the end or on a
 * truncated push; then *pc is past the opcode and the length bytes it
 * could read, exactly where Core's GetOp leaves it. */
bool script_get_op(const uint8_t **pc, const uint8_t *end, struct script_op *op);

/* Core's CheckMinimalPush: whether data was pushed with the smallest
 * opcode (OP_0, OP_1..16, OP_1NEGATE, direct push, PUSHDATA1/2). */
bool script_minimal_push(const uint8_t *data, size_t len, uint8_t opcode);

/* Appends a push of data as Core's CScript << vector: a direct push up to
 * 75 bytes, else OP_PUSHDATA1, 2 or 4 (never OP_0 or OP_1..16 for data). */
struct wbuf;
void script_append_push(struct wbuf *w, const uint8_t *data, size_t len);

/* Whether every operation is a push (opcode <= OP_16), Core's IsPushOnly. */
bool script_is_push_only(const uint8_t *s, size_t len);
bool script_is_p2sh(const uint8_t *s, size_t len);
/* IsWitnessProgram: version 0..16 and a 2..40-byte program. */
bool script_is_witness_program(const uint8_t *s, size_t len, int *version,
                               const uint8_t **program, size_t *program_len);
/* BIP342 IsOpSuccess. */
bool script_is_op_success(uint8_t op);

/* Script numbers (CScriptNum): little-endian sign-magnitude, at most
 * max_len bytes (4 usually, 5 for locktimes), minimal when required. */
bool scriptnum_decode(const uint8_t *v, size_t len, bool require_minimal, size_t max_len,
                      int64_t *out, enum script_error *err);
/* Encodes n into out (at most 9 bytes), returns the length. */
size_t scriptnum_encode(int64_t n, uint8_t out[9]);
/* Core's CastToBool: nonzero, where negative zero is false. */
bool script_cast_bool(const uint8_t *v, size_t len);

#endif
