/* Core's EvalScript: the opcode loop, control flow, stack, numeric and
 * hash opcodes. Signature opcodes are in checksig.c, VerifyScript and the
 * witness rules in verify.c. */
#include "chain/script/interp_internal.h"
#include "chain/primitives/hash.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define SEQUENCE_LOCKTIME_DISABLE_FLAG (1u << 31)
#define SEQUENCE_LOCKTIME_TYPE_FLAG (1u << 22)
#define SEQUENCE_LOCKTIME_MASK 0x0000ffffu
#define SEQUENCE_FINAL 0xffffffffu

void stack_init(struct stack *s, size_t cap)
{
    s->n = 0;
    s->cap = 0;
    s->v = NULL;
    stack_reserve(s, cap);
}

void stack_reserve(struct stack *s, size_t extra)
{
    if (s->cap - s->n >= extra)
        return;
    size_t cap = s->cap ? s->cap * 2 : 32;
    while (cap - s->n < extra)
        cap *= 2;
    s->v = xreallocarray(s->v, cap, sizeof(*s->v));
    s->cap = cap;
}

void stack_free(struct stack *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void stack_push_ref(struct stack *s, const uint8_t *p, size_t len)
{
    static const uint8_t empty[1];
    struct item *it = &s->v[s->n++];
    it->ext = len ? p : empty;
    it->len = (uint32_t)len;
}

void stack_push_bytes(struct stack *s, const uint8_t *p, size_t len)
{
    struct item *it = &s->v[s->n++];
    it->ext = NULL;
    it->len = (uint32_t)len;
    memcpy(it->buf, p, len);
}

void stack_push_num(struct stack *s, int64_t n)
{
    uint8_t b[9];
    size_t len = scriptnum_encode(n, b);
    stack_push_bytes(s, b, len);
}

void stack_push_bool(struct stack *s, bool b)
{
    uint8_t one = 1;
    stack_push_bytes(s, &one, b ? 1 : 0);
}

static void pop(struct stack *s, size_t k)
{
    s->n -= k;
}

/* A copy of an item: inline values carry their bytes along. */
static void push_item(struct stack *s, const struct item *it)
{
    s->v[s->n++] = *it;
}

static bool top_num(struct stack *st, size_t i, bool minimal, int64_t *out,
                    enum script_error *err)
{
    const struct item *it = stack_top(st, i);
    return scriptnum_decode(item_data(it), it->len, minimal, 4, out, err);
}

static bool set_err(enum script_error *err, enum script_error e)
{
    *err = e;
    return false;
}

static bool op_altstack(struct stack *st, struct stack *alt, uint8_t op,
                        enum script_error *err)
{
    if (op == OP_TOALTSTACK) {
        stack_reserve(alt, 1);
        push_item(alt, stack_top(st, 1));
        pop(st, 1);
        return true;
    }
    if (alt->n < 1)
        return set_err(err, SCRIPT_ERR_INVALID_ALTSTACK_OPERATION);
    push_item(st, stack_top(alt, 1));
    pop(alt, 1);
    return true;
}

/* Stack manipulation opcodes. */
static bool op_stack(struct stack *st, struct stack *alt, uint8_t op, bool minimal,
                     enum script_error *err)
{
    static const uint8_t need[256] = {
        [OP_TOALTSTACK] = 1, [OP_2DROP] = 2, [OP_2DUP] = 2, [OP_3DUP] = 3, [OP_2OVER] = 4,
        [OP_2ROT] = 6, [OP_2SWAP] = 4, [OP_IFDUP] = 1, [OP_DROP] = 1, [OP_DUP] = 1,
        [OP_NIP] = 2, [OP_OVER] = 2, [OP_PICK] = 2, [OP_ROLL] = 2, [OP_ROT] = 3,
        [OP_SWAP] = 2, [OP_TUCK] = 2, [OP_SIZE] = 1,
    };
    if (st->n < need[op])
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    struct item a, b;
    switch (op) {
    case OP_TOALTSTACK:
    case OP_FROMALTSTACK:
        return op_altstack(st, alt, op, err);
    case OP_2DROP: pop(st, 2); break;
    case OP_2DUP:
    case OP_3DUP:
    case OP_2OVER: {
        size_t k = op == OP_3DUP ? 3 : 2, from = op == OP_2OVER ? 4 : k;
        for (size_t i = 0; i < k; i++)
            push_item(st, stack_top(st, from));
        break;
    }
    case OP_2ROT: /* (x1 x2 x3 x4 x5 x6 -- x3 x4 x5 x6 x1 x2) */
        a = *stack_top(st, 6), b = *stack_top(st, 5);
        memmove(stack_top(st, 6), stack_top(st, 4), 4 * sizeof(struct item));
        *stack_top(st, 2) = a, *stack_top(st, 1) = b;
        break;
    case OP_2SWAP:
        a = *stack_top(st, 4), b = *stack_top(st, 3);
        *stack_top(st, 4) = *stack_top(st, 2), *stack_top(st, 3) = *stack_top(st, 1);
        *stack_top(st, 2) = a, *stack_top(st, 1) = b;
        break;
    case OP_IFDUP:
        if (script_cast_bool(item_data(stack_top(st, 1)), stack_top(st, 1)->len))
            push_item(st, stack_top(st, 1));
        break;
    case OP_DEPTH: stack_push_num(st, (int64_t)st->n); break;
    case OP_DROP: pop(st, 1); break;
    case OP_DUP: push_item(st, stack_top(st, 1)); break;
    case OP_NIP: *stack_top(st, 2) = *stack_top(st, 1), pop(st, 1); break;
    case OP_OVER: push_item(st, stack_top(st, 2)); break;
    case OP_PICK:
    case OP_ROLL: {
        int64_t n;
        if (!top_num(st, 1, minimal, &n, err))
            return false;
        pop(st, 1);
        if (n < 0 || (uint64_t)n >= st->n)
            return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
        a = *stack_top(st, (size_t)n + 1);
        if (op == OP_ROLL) {
            memmove(stack_top(st, (size_t)n + 1), stack_top(st, (size_t)n),
                    (size_t)n * sizeof(struct item));
            pop(st, 1);
        }
        push_item(st, &a);
        break;
    }
    case OP_ROT: /* (x1 x2 x3 -- x2 x3 x1) */
        a = *stack_top(st, 3);
        *stack_top(st, 3) = *stack_top(st, 2), *stack_top(st, 2) = *stack_top(st, 1);
        *stack_top(st, 1) = a;
        break;
    case OP_SWAP:
        a = *stack_top(st, 2), *stack_top(st, 2) = *stack_top(st, 1), *stack_top(st, 1) = a;
        break;
    case OP_TUCK: /* (x1 x2 -- x2 x1 x2) */
        a = *stack_top(st, 1), b = *stack_top(st, 2);
        *stack_top(st, 2) = a, *stack_top(st, 1) = b;
        push_item(st, &a);
        break;
    case OP_SIZE: stack_push_num(st, stack_top(st, 1)->len); break;
    }
    return true;
}

static bool op_unary(struct stack *st, uint8_t op, bool minimal, enum script_error *err)
{
    int64_t n;
    if (st->n < 1)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    if (!top_num(st, 1, minimal, &n, err))
        return false;
    switch (op) {
    case OP_1ADD: n += 1; break;
    case OP_1SUB: n -= 1; break;
    case OP_NEGATE: n = -n; break;
    case OP_ABS: n = n < 0 ? -n : n; break;
    case OP_NOT: n = n == 0; break;
    case OP_0NOTEQUAL: n = n != 0; break;
    }
    pop(st, 1);
    stack_push_num(st, n);
    return true;
}

static bool op_binary(struct stack *st, uint8_t op, bool minimal, enum script_error *err)
{
    int64_t a, b, r = 0;
    if (st->n < 2)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    if (!top_num(st, 2, minimal, &a, err) || !top_num(st, 1, minimal, &b, err))
        return false;
    switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_BOOLAND: r = a != 0 && b != 0; break;
    case OP_BOOLOR: r = a != 0 || b != 0; break;
    case OP_NUMEQUAL:
    case OP_NUMEQUALVERIFY: r = a == b; break;
    case OP_NUMNOTEQUAL: r = a != b; break;
    case OP_LESSTHAN: r = a < b; break;
    case OP_GREATERTHAN: r = a > b; break;
    case OP_LESSTHANOREQUAL: r = a <= b; break;
    case OP_GREATERTHANOREQUAL: r = a >= b; break;
    case OP_MIN: r = a < b ? a : b; break;
    case OP_MAX: r = a > b ? a : b; break;
    }
    pop(st, 2);
    stack_push_num(st, r);
    if (op == OP_NUMEQUALVERIFY) {
        if (!r)
            return set_err(err, SCRIPT_ERR_NUMEQUALVERIFY);
        pop(st, 1);
    }
    return true;
}

static bool op_within(struct stack *st, bool minimal, enum script_error *err)
{
    int64_t x, lo, hi;
    if (st->n < 3)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    if (!top_num(st, 3, minimal, &x, err) || !top_num(st, 2, minimal, &lo, err) ||
        !top_num(st, 1, minimal, &hi, err))
        return false;
    pop(st, 3);
    stack_push_bool(st, lo <= x && x < hi);
    return true;
}

static bool op_hash(struct stack *st, uint8_t op, enum script_error *err)
{
    if (st->n < 1)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    const struct item *it = stack_top(st, 1);
    uint8_t out[32];
    size_t n = 20;
    switch (op) {
    case OP_RIPEMD160: hash_ripemd160(item_data(it), it->len, out); break;
    case OP_SHA1: hash_sha1(item_data(it), it->len, out); break;
    case OP_HASH160: hash_hash160(item_data(it), it->len, out); break;
    case OP_SHA256: hash_sha256(item_data(it), it->len, out), n = 32; break;
    default: {
        struct hash256 h;
        hash_sha256d(item_data(it), it->len, &h);
        memcpy(out, h.b, 32), n = 32;
    }
    }
    pop(st, 1);
    stack_push_bytes(st, out, n);
    return true;
}

static bool op_equal(struct stack *st, uint8_t op, enum script_error *err)
{
    if (st->n < 2)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    const struct item *a = stack_top(st, 2), *b = stack_top(st, 1);
    bool eq = a->len == b->len && memcmp(item_data(a), item_data(b), a->len) == 0;
    pop(st, 2);
    stack_push_bool(st, eq);
    if (op == OP_EQUALVERIFY) {
        if (!eq)
            return set_err(err, SCRIPT_ERR_EQUALVERIFY);
        pop(st, 1);
    }
    return true;
}

/* Core's CheckLockTime and CheckSequence against the spending tx. */
static bool locktime_ok(const struct exec_ctx *x, int64_t lock)
{
    const struct tx *tx = x->d->tx;
    bool tx_height = tx->locktime < SCRIPT_LOCKTIME_THRESHOLD;
    if (tx_height != (lock < SCRIPT_LOCKTIME_THRESHOLD))
        return false;
    if (lock > (int64_t)tx->locktime)
        return false;
    return tx->vin[x->in].sequence != SEQUENCE_FINAL;
}

static bool sequence_ok(const struct exec_ctx *x, int64_t seq)
{
    const struct tx *tx = x->d->tx;
    uint32_t tx_seq = tx->vin[x->in].sequence;
    if ((uint32_t)tx->version < 2 || (tx_seq & SEQUENCE_LOCKTIME_DISABLE_FLAG))
        return false;
    const uint32_t mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
    int64_t tx_masked = tx_seq & mask, masked = seq & mask;
    if ((tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG) != (masked < SEQUENCE_LOCKTIME_TYPE_FLAG))
        return false;
    return masked <= tx_masked;
}

/* OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY and the upgradable NOPs.
 * CLTV and CSV without their flag are plain NOPs, not discouraged ones:
 * so removing any flag never invalidates a spend (Core since 0.16). */
static bool op_nop(struct stack *st, uint8_t op, const struct exec_ctx *x, enum script_error *err)
{
    if (op != OP_CHECKLOCKTIMEVERIFY && op != OP_CHECKSEQUENCEVERIFY) {
        if (x->flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS)
            return set_err(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS);
        return true;
    }
    uint32_t enable = op == OP_CHECKLOCKTIMEVERIFY ? SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY
                                                   : SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
    if (!(x->flags & enable))
        return true;
    if (st->n < 1)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    /* 5-byte operands: lock times are unsigned 32-bit. */
    int64_t n;
    const struct item *it = stack_top(st, 1);
    if (!scriptnum_decode(item_data(it), it->len, x->flags & SCRIPT_VERIFY_MINIMALDATA, 5, &n,
                          err))
        return false;
    if (n < 0)
        return set_err(err, SCRIPT_ERR_NEGATIVE_LOCKTIME);
    if (op == OP_CHECKSEQUENCEVERIFY && (n & SEQUENCE_LOCKTIME_DISABLE_FLAG))
        return true;
    bool ok = op == OP_CHECKLOCKTIMEVERIFY ? locktime_ok(x, n) : sequence_ok(x, n);
    return ok || set_err(err, SCRIPT_ERR_UNSATISFIED_LOCKTIME);
}

/* Core's ConditionStack: only the depth and the first false matter. */
struct cond {
    uint32_t depth, first_false; /* first_false == UINT32_MAX: none */
};

static bool op_if(struct stack *st, struct cond *c, uint8_t op, bool exec,
                  const struct exec_ctx *x, enum script_error *err)
{
    bool value = false;
    if (exec) {
        if (st->n < 1)
            return set_err(err, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
        const struct item *it = stack_top(st, 1);
        const uint8_t *v = item_data(it);
        bool minimal = it->len == 0 || (it->len == 1 && v[0] == 1);
        if (x->sigversion == SIGVERSION_TAPSCRIPT && !minimal)
            return set_err(err, SCRIPT_ERR_TAPSCRIPT_MINIMALIF);
        if (x->sigversion == SIGVERSION_WITNESS_V0 && (x->flags & SCRIPT_VERIFY_MINIMALIF) &&
            !minimal)
            return set_err(err, SCRIPT_ERR_MINIMALIF);
        value = script_cast_bool(v, it->len);
        if (op == OP_NOTIF)
            value = !value;
        pop(st, 1);
    }
    if (!value && c->first_false == UINT32_MAX)
        c->first_false = c->depth;
    c->depth++;
    return true;
}

static bool op_control(struct stack *st, struct cond *c, uint8_t op, bool exec,
                       const struct exec_ctx *x, enum script_error *err)
{
    switch (op) {
    case OP_IF:
    case OP_NOTIF:
        return op_if(st, c, op, exec, x, err);
    case OP_ELSE:
        if (c->depth == 0)
            return set_err(err, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
        if (c->first_false == UINT32_MAX)
            c->first_false = c->depth - 1;
        else if (c->first_false == c->depth - 1)
            c->first_false = UINT32_MAX;
        return true;
    case OP_ENDIF:
        if (c->depth == 0)
            return set_err(err, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
        if (c->first_false == --c->depth)
            c->first_false = UINT32_MAX;
        return true;
    case OP_VERIFY:
        if (st->n < 1)
            return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
        if (!script_cast_bool(item_data(stack_top(st, 1)), stack_top(st, 1)->len))
            return set_err(err, SCRIPT_ERR_VERIFY);
        pop(st, 1);
        return true;
    case OP_RETURN:
        return set_err(err, SCRIPT_ERR_OP_RETURN);
    }
    return set_err(err, SCRIPT_ERR_BAD_OPCODE); /* OP_VERIF, OP_VERNOTIF */
}

static bool is_disabled(uint8_t op)
{
    return (op >= OP_CAT && op <= OP_RIGHT) || (op >= OP_INVERT && op <= OP_XOR) ||
           op == OP_2MUL || op == OP_2DIV || (op >= OP_MUL && op <= OP_RSHIFT);
}

/* One executed non-push, non-control opcode. */
static bool op_exec(struct stack *st, struct stack *alt, const struct script_op *o,
                    struct exec_ctx *x, const uint8_t *code_begin, const uint8_t *end,
                    int *op_count, enum script_error *err)
{
    uint8_t op = o->opcode;
    bool minimal = x->flags & SCRIPT_VERIFY_MINIMALDATA;
    if (op == OP_1NEGATE || (op >= OP_1 && op <= OP_16)) {
        stack_push_num(st, (int64_t)op - (OP_1 - 1));
        return true;
    }
    if (op == OP_NOP)
        return true;
    if (op == OP_VERIFY || op == OP_RETURN)
        return op_control(st, NULL, op, true, x, err);
    if (op == OP_NOP1 || (op >= OP_CHECKLOCKTIMEVERIFY && op <= OP_NOP10))
        return op_nop(st, op, x, err);
    if ((op >= OP_TOALTSTACK && op <= OP_TUCK) || op == OP_SIZE)
        return op_stack(st, alt, op, minimal, err);
    if (op == OP_EQUAL || op == OP_EQUALVERIFY)
        return op_equal(st, op, err);
    if ((op >= OP_1ADD && op <= OP_0NOTEQUAL))
        return op_unary(st, op, minimal, err);
    if (op >= OP_ADD && op <= OP_MAX)
        return op_binary(st, op, minimal, err);
    if (op == OP_WITHIN)
        return op_within(st, minimal, err);
    if (op >= OP_RIPEMD160 && op <= OP_HASH256)
        return op_hash(st, op, err);
    if (op == OP_CHECKSIG || op == OP_CHECKSIGVERIFY ||
        (op == OP_CHECKSIGADD && x->sigversion == SIGVERSION_TAPSCRIPT))
        return op_checksig(st, op, code_begin, end, x, err);
    if (op == OP_CHECKMULTISIG || op == OP_CHECKMULTISIGVERIFY)
        return op_checkmultisig(st, op, code_begin, end, x, op_count, err);
    return set_err(err, SCRIPT_ERR_BAD_OPCODE);
}

/* Checks done on every opcode before it runs, executed or not. */
static bool op_precheck(const struct script_op *o, const struct exec_ctx *x, int *op_count,
                        enum script_error *err)
{
    if (o->len > SCRIPT_MAX_ELEMENT_SIZE)
        return set_err(err, SCRIPT_ERR_PUSH_SIZE);
    if (x->sigversion != SIGVERSION_TAPSCRIPT && o->opcode > OP_16 &&
        ++*op_count > SCRIPT_MAX_OPS)
        return set_err(err, SCRIPT_ERR_OP_COUNT);
    if (is_disabled(o->opcode))
        return set_err(err, SCRIPT_ERR_DISABLED_OPCODE);
    if (o->opcode == OP_CODESEPARATOR && x->sigversion == SIGVERSION_BASE &&
        (x->flags & SCRIPT_VERIFY_CONST_SCRIPTCODE))
        return set_err(err, SCRIPT_ERR_OP_CODESEPARATOR);
    return true;
}

bool script_eval(struct stack *st, const uint8_t *s, size_t len, struct exec_ctx *x,
                 enum script_error *err)
{
    if (x->sigversion != SIGVERSION_TAPSCRIPT && len > SCRIPT_MAX_SIZE)
        return set_err(err, SCRIPT_ERR_SCRIPT_SIZE);
    const uint8_t *pc = s, *end = s + len, *code_begin = s;
    struct cond c = {0, UINT32_MAX};
    struct stack alt = {0};
    int op_count = 0;
    bool ok = true;
    x->codesep_pos = 0xffffffffu;
    for (uint32_t pos = 0; ok && pc < end; pos++) {
        bool exec = c.first_false == UINT32_MAX;
        struct script_op o;
        stack_reserve(st, STACK_OP_ROOM);
        if (!script_get_op(&pc, end, &o)) {
            ok = set_err(err, SCRIPT_ERR_BAD_OPCODE);
            break;
        }
        if (!op_precheck(&o, x, &op_count, err)) {
            ok = false;
            break;
        }
        if (exec && o.opcode <= OP_PUSHDATA4) {
            if ((x->flags & SCRIPT_VERIFY_MINIMALDATA) &&
                !script_minimal_push(o.data, o.len, o.opcode)) {
                ok = set_err(err, SCRIPT_ERR_MINIMALDATA);
                break;
            }
            stack_push_ref(st, o.data, o.len);
        } else if (o.opcode >= OP_IF && o.opcode <= OP_ENDIF) {
            ok = op_control(st, &c, o.opcode, exec, x, err);
        } else if (exec && o.opcode == OP_CODESEPARATOR) {
            code_begin = pc;
            x->codesep_pos = pos;
        } else if (exec) {
            ok = op_exec(st, &alt, &o, x, code_begin, end, &op_count, err);
        }
        if (ok && st->n + alt.n > SCRIPT_MAX_STACK_SIZE)
            ok = set_err(err, SCRIPT_ERR_STACK_SIZE);
    }
    if (ok && c.depth != 0)
        ok = set_err(err, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
    stack_free(&alt);
    return ok;
}
