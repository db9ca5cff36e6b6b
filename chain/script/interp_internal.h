/* Private to the interpreter's files: the stack of (pointer, length)
 * items and the execution context. Values pushed by the script or the
 * witness point into those (immutable) bytes; values computed by opcodes
 * (numbers, hashes, booleans: at most 32 bytes) live inline in the item,
 * so evaluation allocates nothing per opcode. */
#ifndef HEARSAY_CHAIN_SCRIPT_INTERP_INTERNAL_H
#define HEARSAY_CHAIN_SCRIPT_INTERP_INTERNAL_H

#include "chain/script/interpreter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sigversion { SIGVERSION_BASE, SIGVERSION_WITNESS_V0, SIGVERSION_TAPSCRIPT };

struct item {
    const uint8_t *ext; /* NULL: the value is in buf */
    uint32_t len;
    uint8_t buf[32];
};

static inline const uint8_t *item_data(const struct item *it)
{
    return it->ext ? it->ext : it->buf;
}

struct stack {
    struct item *v;
    size_t n, cap;
};

/* What one input's verification needs beside the script. */
struct exec_ctx {
    const struct sighash_txdata *d;
    size_t in;
    int64_t amount;
    uint32_t flags;
    struct sigcache *cache;
    bool store;
    enum sigversion sigversion;
    /* Taproot execution data (Core's ScriptExecutionData). */
    bool annex_present;
    uint8_t annex_hash[32];
    uint8_t tapleaf_hash[32];
    uint32_t codesep_pos;
    int64_t weight_left;
};

/* Stacks start small and grow: the evaluation loop reserves room for
 * what one opcode can push (STACK_OP_ROOM) before running it. */
#define STACK_OP_ROOM 4
void stack_init(struct stack *s, size_t cap);
/* Room for extra more items. */
void stack_reserve(struct stack *s, size_t extra);
void stack_free(struct stack *s);
void stack_push_ref(struct stack *s, const uint8_t *p, size_t len);
void stack_push_bytes(struct stack *s, const uint8_t *p, size_t len); /* len <= 32 */
void stack_push_num(struct stack *s, int64_t n);
void stack_push_bool(struct stack *s, bool b);
/* Item i counted from the top: stack_top(s, 1) is the top. */
static inline struct item *stack_top(struct stack *s, size_t i)
{
    return &s->v[s->n - i];
}

/* Core's EvalScript over script [s, s+len). */
bool script_eval(struct stack *st, const uint8_t *s, size_t len, struct exec_ctx *x,
                 enum script_error *err);

/* Signature opcodes (checksig.c). begin is where the scriptCode starts
 * (after the last executed OP_CODESEPARATOR). */
bool op_checksig(struct stack *st, uint8_t opcode, const uint8_t *begin, const uint8_t *end,
                 struct exec_ctx *x, enum script_error *err);
bool op_checkmultisig(struct stack *st, uint8_t opcode, const uint8_t *begin,
                      const uint8_t *end, struct exec_ctx *x, int *op_count,
                      enum script_error *err);
bool check_schnorr(const uint8_t *sig, size_t sig_len, const uint8_t pub[32],
                   struct exec_ctx *x, enum script_error *err);

/* Core's FindAndDelete of the push of sig in script: returns the number
 * of matches; when out is set (it may be script itself) and there are
 * any, the script without them goes to out and its length to *out_len. */
size_t script_find_and_delete(const uint8_t *script, size_t len, uint8_t *out,
                              size_t *out_len, const uint8_t *sig, size_t sig_len);

#endif
