/* Opcode names, GetOp parsing, minimal pushes and script numbers, as
 * Bitcoin Core's script/script.{h,cpp}. */
#include "chain/script/script.h"

#include "chain/primitives/serialize.h"

#include <string.h>

static const char *const op_names[256] = {
    [OP_1NEGATE] = "-1", [OP_RESERVED] = "OP_RESERVED",
    [OP_NOP] = "OP_NOP", [OP_VER] = "OP_VER", [OP_IF] = "OP_IF", [OP_NOTIF] = "OP_NOTIF",
    [OP_VERIF] = "OP_VERIF", [OP_VERNOTIF] = "OP_VERNOTIF", [OP_ELSE] = "OP_ELSE",
    [OP_ENDIF] = "OP_ENDIF", [OP_VERIFY] = "OP_VERIFY", [OP_RETURN] = "OP_RETURN",
    [OP_TOALTSTACK] = "OP_TOALTSTACK", [OP_FROMALTSTACK] = "OP_FROMALTSTACK",
    [OP_2DROP] = "OP_2DROP", [OP_2DUP] = "OP_2DUP", [OP_3DUP] = "OP_3DUP",
    [OP_2OVER] = "OP_2OVER", [OP_2ROT] = "OP_2ROT", [OP_2SWAP] = "OP_2SWAP",
    [OP_IFDUP] = "OP_IFDUP", [OP_DEPTH] = "OP_DEPTH", [OP_DROP] = "OP_DROP",
    [OP_DUP] = "OP_DUP", [OP_NIP] = "OP_NIP", [OP_OVER] = "OP_OVER", [OP_PICK] = "OP_PICK",
    [OP_ROLL] = "OP_ROLL", [OP_ROT] = "OP_ROT", [OP_SWAP] = "OP_SWAP", [OP_TUCK] = "OP_TUCK",
    [OP_CAT] = "OP_CAT", [OP_SUBSTR] = "OP_SUBSTR", [OP_LEFT] = "OP_LEFT",
    [OP_RIGHT] = "OP_RIGHT", [OP_SIZE] = "OP_SIZE", [OP_INVERT] = "OP_INVERT",
    [OP_AND] = "OP_AND", [OP_OR] = "OP_OR", [OP_XOR] = "OP_XOR", [OP_EQUAL] = "OP_EQUAL",
    [OP_EQUALVERIFY] = "OP_EQUALVERIFY", [OP_RESERVED1] = "OP_RESERVED1",
    [OP_RESERVED2] = "OP_RESERVED2", [OP_1ADD] = "OP_1ADD", [OP_1SUB] = "OP_1SUB",
    [OP_2MUL] = "OP_2MUL", [OP_2DIV] = "OP_2DIV", [OP_NEGATE] = "OP_NEGATE",
    [OP_ABS] = "OP_ABS", [OP_NOT] = "OP_NOT", [OP_0NOTEQUAL] = "OP_0NOTEQUAL",
    [OP_ADD] = "OP_ADD", [OP_SUB] = "OP_SUB", [OP_MUL] = "OP_MUL", [OP_DIV] = "OP_DIV",
    [OP_MOD] = "OP_MOD", [OP_LSHIFT] = "OP_LSHIFT", [OP_RSHIFT] = "OP_RSHIFT",
    [OP_BOOLAND] = "OP_BOOLAND", [OP_BOOLOR] = "OP_BOOLOR", [OP_NUMEQUAL] = "OP_NUMEQUAL",
    [OP_NUMEQUALVERIFY] = "OP_NUMEQUALVERIFY", [OP_NUMNOTEQUAL] = "OP_NUMNOTEQUAL",
    [OP_LESSTHAN] = "OP_LESSTHAN", [OP_GREATERTHAN] = "OP_GREATERTHAN",
    [OP_LESSTHANOREQUAL] = "OP_LESSTHANOREQUAL",
    [OP_GREATERTHANOREQUAL] = "OP_GREATERTHANOREQUAL", [OP_MIN] = "OP_MIN",
    [OP_MAX] = "OP_MAX", [OP_WITHIN] = "OP_WITHIN", [OP_RIPEMD160] = "OP_RIPEMD160",
    [OP_SHA1] = "OP_SHA1", [OP_SHA256] = "OP_SHA256", [OP_HASH160] = "OP_HASH160",
    [OP_HASH256] = "OP_HASH256", [OP_CODESEPARATOR] = "OP_CODESEPARATOR",
    [OP_CHECKSIG] = "OP_CHECKSIG", [OP_CHECKSIGVERIFY] = "OP_CHECKSIGVERIFY",
    [OP_CHECKMULTISIG] = "OP_CHECKMULTISIG",
    [OP_CHECKMULTISIGVERIFY] = "OP_CHECKMULTISIGVERIFY", [OP_NOP1] = "OP_NOP1",
    [OP_CHECKLOCKTIMEVERIFY] = "OP_CHECKLOCKTIMEVERIFY",
    [OP_CHECKSEQUENCEVERIFY] = "OP_CHECKSEQUENCEVERIFY", [OP_NOP4] = "OP_NOP4",
    [OP_NOP5] = "OP_NOP5", [OP_NOP6] = "OP_NOP6", [OP_NOP7] = "OP_NOP7",
    [OP_NOP8] = "OP_NOP8", [OP_NOP9] = "OP_NOP9", [OP_NOP10] = "OP_NOP10",
    [OP_CHECKSIGADD] = "OP_CHECKSIGADD", [OP_INVALIDOPCODE] = "OP_INVALIDOPCODE",
    [OP_1] = "1", [OP_2] = "2", [OP_3] = "3", [OP_4] = "4", [OP_5] = "5", [OP_6] = "6",
    [OP_7] = "7", [OP_8] = "8", [OP_9] = "9", [OP_10] = "10", [OP_11] = "11",
    [OP_12] = "12", [OP_13] = "13", [OP_14] = "14", [OP_15] = "15", [OP_16] = "16",
};

const char *script_opcode_name(uint8_t op)
{
    return op_names[op];
}

static uint32_t read_le(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

bool script_get_op(const uint8_t **pc, const uint8_t *end, struct script_op *op)
{
    const uint8_t *p = *pc;
    op->opcode = OP_INVALIDOPCODE;
    op->data = NULL;
    op->len = 0;
    if (p >= end)
        return false;
    uint8_t code = *p++;
    if (code <= OP_PUSHDATA4) {
        size_t n = code, hdr = code == OP_PUSHDATA1 ? 1 : code == OP_PUSHDATA2 ? 2 : code == OP_PUSHDATA4 ? 4 : 0;
        bool ok = (size_t)(end - p) >= hdr;
        if (ok && hdr) {
            n = read_le(p, hdr);
            p += hdr;
        }
        ok = ok && (size_t)(end - p) >= n;
        if (!ok) {
            *pc = p; /* where Core's GetOp stops: legacy sighashes depend on it */
            return false;
        }
        op->data = p;
        op->len = n;
        p += n;
    }
    op->opcode = code;
    *pc = p;
    return true;
}

bool script_minimal_push(const uint8_t *data, size_t len, uint8_t opcode)
{
    if (len == 0)
        return opcode == OP_0;
    if (len == 1 && data[0] >= 1 && data[0] <= 16)
        return opcode == OP_1 + (data[0] - 1);
    if (len == 1 && data[0] == 0x81)
        return opcode == OP_1NEGATE;
    if (len <= 75)
        return opcode == len;
    if (len <= 255)
        return opcode == OP_PUSHDATA1;
    if (len <= 65535)
        return opcode == OP_PUSHDATA2;
    return true;
}

bool script_is_push_only(const uint8_t *s, size_t len)
{
    const uint8_t *pc = s, *end = s + len;
    struct script_op op;
    while (pc < end) {
        if (!script_get_op(&pc, end, &op) || op.opcode > OP_16)
            return false;
    }
    return true;
}

bool script_is_p2sh(const uint8_t *s, size_t len)
{
    return len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL;
}

bool script_is_witness_program(const uint8_t *s, size_t len, int *version,
                               const uint8_t **program, size_t *program_len)
{
    if (len < 4 || len > 42)
        return false;
    if (s[0] != OP_0 && (s[0] < OP_1 || s[0] > OP_16))
        return false;
    if ((size_t)s[1] + 2 != len)
        return false;
    *version = s[0] == OP_0 ? 0 : s[0] - (OP_1 - 1);
    *program = s + 2;
    *program_len = s[1];
    return true;
}

bool script_is_op_success(uint8_t op)
{
    return op == 80 || op == 98 || (op >= 126 && op <= 129) || (op >= 131 && op <= 134) ||
           (op >= 137 && op <= 138) || (op >= 141 && op <= 142) || (op >= 149 && op <= 153) ||
           (op >= 187 && op <= 254);
}

bool scriptnum_decode(const uint8_t *v, size_t len, bool require_minimal, size_t max_len,
                      int64_t *out, enum script_error *err)
{
    if (len > max_len) {
        *err = SCRIPT_ERR_UNKNOWN_ERROR; /* Core throws scriptnum_error */
        return false;
    }
    /* Minimal: the top byte holds more than the sign bit, or the next byte
     * needs the space the sign bit would take. */
    if (require_minimal && len > 0 && (v[len - 1] & 0x7f) == 0 &&
        (len <= 1 || (v[len - 2] & 0x80) == 0)) {
        *err = SCRIPT_ERR_UNKNOWN_ERROR;
        return false;
    }
    if (len == 0) {
        *out = 0;
        return true;
    }
    uint64_t mag = 0;
    for (size_t i = 0; i < len; i++)
        mag |= (uint64_t)v[i] << (8 * i);
    if (v[len - 1] & 0x80) {
        mag &= ~((uint64_t)0x80 << (8 * (len - 1)));
        *out = -(int64_t)mag;
    } else {
        *out = (int64_t)mag;
    }
    return true;
}

size_t scriptnum_encode(int64_t n, uint8_t out[9])
{
    if (n == 0)
        return 0;
    bool neg = n < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    size_t len = 0;
    while (mag) {
        out[len++] = mag & 0xff;
        mag >>= 8;
    }
    /* The top bit is the sign: add a byte when the magnitude uses it. */
    if (out[len - 1] & 0x80)
        out[len++] = neg ? 0x80 : 0;
    else if (neg)
        out[len - 1] |= 0x80;
    return len;
}

bool script_cast_bool(const uint8_t *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (v[i] != 0)
            return !(i == len - 1 && v[i] == 0x80);
    }
    return false;
}

void script_append_push(struct wbuf *w, const uint8_t *data, size_t len)
{
    if (len < OP_PUSHDATA1) {
        wbuf_u8(w, (uint8_t)len);
    } else if (len <= 0xff) {
        wbuf_u8(w, OP_PUSHDATA1);
        wbuf_u8(w, (uint8_t)len);
    } else if (len <= 0xffff) {
        wbuf_u8(w, OP_PUSHDATA2);
        wbuf_u16(w, (uint16_t)len);
    } else {
        wbuf_u8(w, OP_PUSHDATA4);
        wbuf_u32(w, (uint32_t)len);
    }
    wbuf_bytes(w, data, len);
}
