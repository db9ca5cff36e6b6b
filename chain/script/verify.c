/* Core's VerifyScript: scriptSig then scriptPubKey on one stack, P2SH,
 * witness programs (v0 P2WPKH/P2WSH, v1 taproot key and script paths,
 * tapscript), CLEANSTACK and unexpected witnesses. */
#include "chain/script/interp_internal.h"
#include "chain/primitives/serialize.h"
#include "chain/script/taproot.h"

#include <string.h>

#define ANNEX_TAG 0x50
#define TAPROOT_CONTROL_MAX_SIZE \
    (TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * TAPROOT_CONTROL_MAX_NODE_COUNT)

static bool set_err(enum script_error *err, enum script_error e)
{
    *err = e;
    return false;
}

static bool top_true(struct stack *st)
{
    return st->n > 0 && script_cast_bool(item_data(stack_top(st, 1)), stack_top(st, 1)->len);
}

/* Core's ExecuteWitnessScript: the witness items (without the script and
 * control block) become the stack, and the script must leave exactly one
 * true item. */
static bool exec_witness_script(const struct tx_witem *items, size_t n, const uint8_t *script,
                                size_t len, struct exec_ctx *x, enum script_error *err)
{
    if (x->sigversion == SIGVERSION_TAPSCRIPT) {
        /* OP_SUCCESSx overrides everything, including the limits below. */
        const uint8_t *pc = script, *end = script + len;
        struct script_op op;
        while (pc < end) {
            if (!script_get_op(&pc, end, &op))
                return set_err(err, SCRIPT_ERR_BAD_OPCODE);
            if (script_is_op_success(op.opcode))
                return !(x->flags & SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS) ||
                       set_err(err, SCRIPT_ERR_DISCOURAGE_OP_SUCCESS);
        }
        if (n > SCRIPT_MAX_STACK_SIZE)
            return set_err(err, SCRIPT_ERR_STACK_SIZE);
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].len > SCRIPT_MAX_ELEMENT_SIZE)
            return set_err(err, SCRIPT_ERR_PUSH_SIZE);
    }
    struct stack st;
    stack_init(&st, n + STACK_OP_ROOM);
    for (size_t i = 0; i < n; i++)
        stack_push_ref(&st, items[i].data, items[i].len);
    bool ok = script_eval(&st, script, len, x, err);
    if (ok && st.n != 1)
        ok = set_err(err, SCRIPT_ERR_CLEANSTACK);
    if (ok && !top_true(&st))
        ok = set_err(err, SCRIPT_ERR_EVAL_FALSE);
    stack_free(&st);
    return ok;
}

static bool verify_v0(const struct tx_in *in, const uint8_t *prog, size_t prog_len,
                      struct exec_ctx *x, enum script_error *err)
{
    x->sigversion = SIGVERSION_WITNESS_V0;
    if (prog_len == 32) {
        if (in->wit_count == 0)
            return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY);
        const struct tx_witem *s = &in->wit[in->wit_count - 1];
        uint8_t h[32];
        hash_sha256(s->data, s->len, h);
        if (memcmp(h, prog, 32) != 0)
            return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
        return exec_witness_script(in->wit, in->wit_count - 1, s->data, s->len, x, err);
    }
    if (prog_len == 20) {
        if (in->wit_count != 2)
            return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
        uint8_t s[25] = {OP_DUP, OP_HASH160, 20};
        memcpy(s + 3, prog, 20);
        s[23] = OP_EQUALVERIFY;
        s[24] = OP_CHECKSIG;
        return exec_witness_script(in->wit, 2, s, sizeof(s), x, err);
    }
    return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_WRONG_LENGTH);
}

/* BIP341 script path: control block, leaf commitment, tapscript. */
static bool verify_script_path(const struct tx_in *in, size_t n, const uint8_t prog[32],
                               struct exec_ctx *x, enum script_error *err)
{
    const struct tx_witem *control = &in->wit[n - 1], *script = &in->wit[n - 2];
    if (control->len < TAPROOT_CONTROL_BASE_SIZE || control->len > TAPROOT_CONTROL_MAX_SIZE ||
        (control->len - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE != 0)
        return set_err(err, SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE);
    uint8_t leaf = control->data[0] & TAPROOT_LEAF_MASK;
    taproot_leaf_hash(x->tapleaf_hash, leaf, script->data, script->len);
    if (!taproot_verify_commitment(control->data, control->len, prog, x->tapleaf_hash))
        return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    if (leaf == TAPROOT_LEAF_TAPSCRIPT) {
        /* Budget: 50 plus the serialized size of the whole witness. */
        size_t size = ser_compact_size(in->wit_count);
        for (size_t i = 0; i < in->wit_count; i++)
            size += ser_compact_size(in->wit[i].len) + in->wit[i].len;
        x->weight_left = (int64_t)size + SCRIPT_VALIDATION_WEIGHT_OFFSET;
        x->sigversion = SIGVERSION_TAPSCRIPT;
        return exec_witness_script(in->wit, n - 2, script->data, script->len, x, err);
    }
    if (x->flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION)
        return set_err(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION);
    return true;
}

static bool verify_taproot(const struct tx_in *in, const uint8_t prog[32], struct exec_ctx *x,
                           enum script_error *err)
{
    if (!(x->flags & SCRIPT_VERIFY_TAPROOT))
        return true;
    size_t n = in->wit_count;
    if (n == 0)
        return set_err(err, SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY);
    const struct tx_witem *last = &in->wit[n - 1];
    x->annex_present = n >= 2 && last->len > 0 && last->data[0] == ANNEX_TAG;
    if (x->annex_present) {
        /* sha256(compact_size(len) || annex) */
        struct hash_ctx *h = hash_ctx_new();
        uint8_t cs[SER_COMPACT_MAX];
        hash_ctx_update(h, cs, ser_put_compact(cs, last->len));
        hash_ctx_update(h, last->data, last->len);
        hash_ctx_final(h, x->annex_hash);
        hash_ctx_free(h);
        n--;
    }
    if (n == 1) {
        x->sigversion = SIGVERSION_BASE; /* key path: ext_flag 0 */
        x->codesep_pos = 0xffffffffu;
        return check_schnorr(in->wit[0].data, in->wit[0].len, prog, x, err);
    }
    return verify_script_path(in, n, prog, x, err);
}

/* Core's VerifyWitnessProgram. */
static bool verify_witness_program(const struct tx_in *in, int version, const uint8_t *prog,
                                   size_t prog_len, bool is_p2sh, struct exec_ctx *x,
                                   enum script_error *err)
{
    static const uint8_t anchor[2] = {0x4e, 0x73};
    if (version == 0)
        return verify_v0(in, prog, prog_len, x, err);
    if (version == 1 && prog_len == 32 && !is_p2sh)
        return verify_taproot(in, prog, x, err);
    if (version == 1 && prog_len == 2 && !is_p2sh && memcmp(prog, anchor, 2) == 0)
        return true; /* pay-to-anchor */
    if (x->flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM)
        return set_err(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM);
    return true;
}

/* The scriptSig must be exactly one push of the redeem script (P2SH
 * witness programs): CScript() << redeem. */
static bool is_single_push_of(const uint8_t *sig, size_t sig_len, const uint8_t *redeem,
                              size_t len)
{
    const uint8_t *pc = sig, *end = sig + sig_len;
    struct script_op op;
    if (!script_get_op(&pc, end, &op) || pc != end || op.opcode > OP_PUSHDATA4)
        return false;
    uint8_t expect = len < OP_PUSHDATA1 ? (uint8_t)len : len <= 0xff ? OP_PUSHDATA1
                                                                       : OP_PUSHDATA2;
    return op.opcode == expect && op.len == len && memcmp(op.data, redeem, len) == 0;
}

/* A witness program in script (the scriptPubKey, or the P2SH redeem
 * script) runs with the input's witness; the scriptSig must be empty, or
 * exactly the push of the redeem script. Then the stack counts as clean. */
static bool witness_step(const struct tx_in *in, const uint8_t *s, size_t len, bool is_p2sh,
                         bool *had_witness, struct stack *st, struct exec_ctx *x,
                         enum script_error *err)
{
    int version;
    const uint8_t *prog;
    size_t prog_len;
    if (!(x->flags & SCRIPT_VERIFY_WITNESS) ||
        !script_is_witness_program(s, len, &version, &prog, &prog_len))
        return true;
    *had_witness = true;
    if (is_p2sh && !is_single_push_of(in->script, in->script_len, s, len))
        return set_err(err, SCRIPT_ERR_WITNESS_MALLEATED_P2SH);
    if (!is_p2sh && in->script_len != 0)
        return set_err(err, SCRIPT_ERR_WITNESS_MALLEATED);
    if (!verify_witness_program(in, version, prog, prog_len, is_p2sh, x, err))
        return false;
    st->n = 1;
    return true;
}

/* BIP16: the redeem script (last push of the scriptSig) runs on the
 * stack the scriptSig left. */
static bool verify_p2sh(const struct tx_in *in, struct stack *st, bool *had_witness,
                        struct exec_ctx *x, enum script_error *err)
{
    if (!script_is_push_only(in->script, in->script_len))
        return set_err(err, SCRIPT_ERR_SIG_PUSHONLY);
    /* Not empty: HASH160 <h> EQUAL succeeded on it. Copy the redeem script
     * out of its item: it may be inline and popping frees the slot. */
    const struct item *top = stack_top(st, 1);
    uint8_t inline_copy[32];
    const uint8_t *redeem = top->ext;
    size_t len = top->len;
    if (!redeem) {
        memcpy(inline_copy, top->buf, len);
        redeem = inline_copy;
    }
    st->n--;
    if (!script_eval(st, redeem, len, x, err))
        return false;
    if (!top_true(st))
        return set_err(err, SCRIPT_ERR_EVAL_FALSE);
    return witness_step(in, redeem, len, true, had_witness, st, x, err);
}

static bool verify_script(const struct tx_in *in, const struct tx_out *spent,
                          struct stack *st, struct stack *copy, struct exec_ctx *x,
                          enum script_error *err)
{
    bool had_witness = false;
    uint32_t flags = x->flags;
    if ((flags & SCRIPT_VERIFY_SIGPUSHONLY) && !script_is_push_only(in->script, in->script_len))
        return set_err(err, SCRIPT_ERR_SIG_PUSHONLY);
    /* The stack the scriptSig leaves is kept for a redeem script only. */
    bool p2sh = (flags & SCRIPT_VERIFY_P2SH) && script_is_p2sh(spent->script, spent->script_len);
    x->sigversion = SIGVERSION_BASE;
    if (!script_eval(st, in->script, in->script_len, x, err))
        return false;
    if (p2sh) {
        stack_reserve(copy, st->n + STACK_OP_ROOM);
        memcpy(copy->v, st->v, st->n * sizeof(*st->v));
        copy->n = st->n;
    }
    if (!script_eval(st, spent->script, spent->script_len, x, err))
        return false;
    if (!top_true(st))
        return set_err(err, SCRIPT_ERR_EVAL_FALSE);
    if (!witness_step(in, spent->script, spent->script_len, false, &had_witness, st, x, err))
        return false;
    if (p2sh) {
        x->sigversion = SIGVERSION_BASE;
        if (!verify_p2sh(in, copy, &had_witness, x, err))
            return false;
        st = copy;
    }
    /* Core asserts CLEANSTACK implies P2SH and WITNESS; callers must pass
     * such sets, and a bad set only makes this check stricter. */
    if ((flags & SCRIPT_VERIFY_CLEANSTACK) && st->n != 1)
        return set_err(err, SCRIPT_ERR_CLEANSTACK);
    if ((flags & SCRIPT_VERIFY_WITNESS) && !had_witness && in->wit_count != 0)
        return set_err(err, SCRIPT_ERR_WITNESS_UNEXPECTED);
    return true;
}

bool script_verify_input_ex(const struct sighash_txdata *d, size_t in, uint32_t flags,
                            struct sigcache *cache, bool store, enum script_error *err)
{
    if (!d->spent || in >= d->tx->vin_count)
        return set_err(err, SCRIPT_ERR_UNKNOWN_ERROR);
    struct exec_ctx x = {.d = d, .in = in, .amount = d->spent[in].value, .flags = flags,
                         .cache = cache, .store = store};
    struct stack st, copy = {0};
    stack_init(&st, 32);
    *err = SCRIPT_ERR_UNKNOWN_ERROR;
    bool ok = verify_script(&d->tx->vin[in], &d->spent[in], &st, &copy, &x, err);
    if (ok)
        *err = SCRIPT_ERR_OK;
    stack_free(&st);
    stack_free(&copy);
    return ok;
}

bool script_verify_input(const struct sighash_txdata *d, size_t in, uint32_t flags,
                         struct sigcache *cache, enum script_error *err)
{
    return script_verify_input_ex(d, in, flags, cache, false, err);
}

#define SCRIPT_ERR_TEXT_(name, text) [SCRIPT_ERR_##name] = text,
#define SCRIPT_ERR_NAME_(name, text) [SCRIPT_ERR_##name] = #name,
static const char *const error_texts[] = {SCRIPT_ERROR_LIST(SCRIPT_ERR_TEXT_)};
static const char *const error_names[] = {SCRIPT_ERROR_LIST(SCRIPT_ERR_NAME_)};

const char *script_error_string(enum script_error e)
{
    return (unsigned)e < SCRIPT_ERR_ERROR_COUNT && e != SCRIPT_ERR_UNKNOWN_ERROR
               ? error_texts[e]
               : "unknown error";
}

const char *script_error_name(enum script_error e)
{
    if (e == SCRIPT_ERR_SIG_NULLFAIL)
        return "NULLFAIL"; /* the test vectors' name */
    return (unsigned)e < SCRIPT_ERR_ERROR_COUNT ? error_names[e] : "UNKNOWN_ERROR";
}
