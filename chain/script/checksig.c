/* Signature opcodes: encoding rules (strict DER, hash types, public key
 * types), FindAndDelete, ECDSA and Schnorr checks through the signature
 * cache, OP_CHECKSIG(VERIFY), OP_CHECKSIGADD and OP_CHECKMULTISIG(VERIFY). */
#include "chain/script/interp_internal.h"
#include "chain/script/pubkey.h"
#include "chain/script/sigcache.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static bool set_err(enum script_error *err, enum script_error e)
{
    *err = e;
    return false;
}

/* Core's IsValidSignatureEncoding (BIP66), hash-type byte included. */
static bool der_strict(const uint8_t *sig, size_t n)
{
    if (n < 9 || n > 73 || sig[0] != 0x30 || sig[1] != n - 3)
        return false;
    size_t len_r = sig[3];
    if (5 + len_r >= n)
        return false;
    size_t len_s = sig[5 + len_r];
    if (len_r + len_s + 7 != n)
        return false;
    if (sig[2] != 0x02 || len_r == 0 || (sig[4] & 0x80))
        return false;
    if (len_r > 1 && sig[4] == 0 && !(sig[5] & 0x80))
        return false;
    if (sig[len_r + 4] != 0x02 || len_s == 0 || (sig[len_r + 6] & 0x80))
        return false;
    return !(len_s > 1 && sig[len_r + 6] == 0 && !(sig[len_r + 7] & 0x80));
}

static bool sig_encoding_ok(const uint8_t *sig, size_t n, uint32_t flags,
                            enum script_error *err)
{
    if (n == 0) /* an empty signature is the compact way to fail */
        return true;
    if ((flags & (SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_LOW_S | SCRIPT_VERIFY_STRICTENC)) &&
        !der_strict(sig, n))
        return set_err(err, SCRIPT_ERR_SIG_DER);
    if ((flags & SCRIPT_VERIFY_LOW_S) && !pubkey_ecdsa_low_s(sig, n - 1))
        return set_err(err, SCRIPT_ERR_SIG_HIGH_S);
    if (flags & SCRIPT_VERIFY_STRICTENC) {
        uint8_t base = sig[n - 1] & (uint8_t)~SIGHASH_ANYONECANPAY;
        if (base < SIGHASH_ALL || base > SIGHASH_SINGLE)
            return set_err(err, SCRIPT_ERR_SIG_HASHTYPE);
    }
    return true;
}

static bool pub_encoding_ok(const uint8_t *pub, size_t n, const struct exec_ctx *x,
                            enum script_error *err)
{
    bool compressed = n == 33 && (pub[0] == 0x02 || pub[0] == 0x03);
    bool uncompressed = n == 65 && pub[0] == 0x04;
    if ((x->flags & SCRIPT_VERIFY_STRICTENC) && !compressed && !uncompressed)
        return set_err(err, SCRIPT_ERR_PUBKEYTYPE);
    if ((x->flags & SCRIPT_VERIFY_WITNESS_PUBKEYTYPE) &&
        x->sigversion == SIGVERSION_WITNESS_V0 && !compressed)
        return set_err(err, SCRIPT_ERR_WITNESS_PUBKEYTYPE);
    return true;
}

size_t script_find_and_delete(const uint8_t *script, size_t len, uint8_t *out,
                              size_t *out_len, const uint8_t *sig, size_t sig_len)
{
    /* The pattern is the push of sig: CScript() << sig. */
    uint8_t pat[5 + SCRIPT_MAX_ELEMENT_SIZE];
    size_t hdr = sig_len < OP_PUSHDATA1 ? 1 : sig_len <= 0xff ? 2 : 3;
    if (sig_len > SCRIPT_MAX_ELEMENT_SIZE)
        return 0;
    pat[0] = hdr == 1 ? (uint8_t)sig_len : hdr == 2 ? OP_PUSHDATA1 : OP_PUSHDATA2;
    if (hdr > 1)
        pat[1] = sig_len & 0xff;
    if (hdr > 2)
        pat[2] = (uint8_t)(sig_len >> 8);
    memcpy(pat + hdr, sig, sig_len);
    size_t plen = hdr + sig_len, found = 0, w = 0;
    const uint8_t *pc = script, *pc2 = script, *end = script + len;
    struct script_op op;
    do {
        if (out)
            memmove(out + w, pc2, (size_t)(pc - pc2));
        w += (size_t)(pc - pc2);
        while ((size_t)(end - pc) >= plen && memcmp(pc, pat, plen) == 0) {
            pc += plen;
            found++;
        }
        pc2 = pc;
    } while (script_get_op(&pc, end, &op));
    if (out && found) {
        memmove(out + w, pc2, (size_t)(end - pc2));
        *out_len = w + (size_t)(end - pc2);
    }
    return found;
}

/* Core's CheckECDSASignature, through the cache. */
static bool ecdsa_ok(const uint8_t *sig, size_t sig_len, const uint8_t *pub, size_t pub_len,
                     const uint8_t *code, size_t code_len, struct exec_ctx *x)
{
    size_t want = pub_len ? (pub[0] == 2 || pub[0] == 3 ? 33
                             : pub[0] == 4 || pub[0] == 6 || pub[0] == 7 ? 65 : 0)
                          : 0;
    if (want == 0 || pub_len != want || sig_len == 0)
        return false;
    int32_t hash_type = sig[sig_len - 1];
    uint8_t hash[32], entry[32];
    if (x->sigversion == SIGVERSION_BASE)
        sighash_legacy(hash, x->d->tx, x->in, code, code_len, hash_type);
    else
        sighash_segwit_v0(hash, x->d, x->in, code, code_len, x->amount, hash_type);
    if (x->cache) {
        sigcache_entry_ecdsa(x->cache, entry, hash, pub, pub_len, sig, sig_len - 1);
        if (sigcache_contains(x->cache, entry))
            return true;
    }
    if (!pubkey_ecdsa_verify(pub, pub_len, sig, sig_len - 1, hash))
        return false;
    if (x->cache && x->store)
        sigcache_insert(x->cache, entry);
    return true;
}

bool check_schnorr(const uint8_t *sig, size_t sig_len, const uint8_t pub[32],
                   struct exec_ctx *x, enum script_error *err)
{
    if (sig_len != 64 && sig_len != 65)
        return set_err(err, SCRIPT_ERR_SCHNORR_SIG_SIZE);
    uint8_t hash_type = SIGHASH_DEFAULT;
    if (sig_len == 65 && (hash_type = sig[64]) == SIGHASH_DEFAULT)
        return set_err(err, SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    struct sighash_taproot_exec e = {
        .ext_flag = x->sigversion == SIGVERSION_TAPSCRIPT ? 1 : 0,
        .have_annex = x->annex_present,
        .codesep_pos = x->codesep_pos,
    };
    memcpy(e.annex_hash, x->annex_hash, 32);
    memcpy(e.tapleaf_hash, x->tapleaf_hash, 32);
    uint8_t hash[32], entry[32];
    if (!sighash_taproot(hash, x->d, x->in, hash_type, &e))
        return set_err(err, SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    if (x->cache) {
        sigcache_entry_schnorr(x->cache, entry, hash, pub, sig);
        if (sigcache_contains(x->cache, entry))
            return true;
    }
    if (!pubkey_schnorr_verify(pub, sig, hash))
        return set_err(err, SCRIPT_ERR_SCHNORR_SIG);
    if (x->cache && x->store)
        sigcache_insert(x->cache, entry);
    return true;
}

/* The scriptCode of a pre-tapscript signature check: from the last
 * OP_CODESEPARATOR on; in legacy scripts the signatures are deleted from
 * it, in a private copy made only when one is actually found. */
struct code {
    const uint8_t *p;
    size_t len;
    uint8_t *owned;
};

static void code_init(struct code *c, const uint8_t *begin, const uint8_t *end)
{
    c->p = begin;
    c->len = (size_t)(end - begin);
    c->owned = NULL;
}

static bool code_delete_sig(struct code *c, const struct item *sig, const struct exec_ctx *x,
                            enum script_error *err)
{
    if (x->sigversion != SIGVERSION_BASE ||
        !script_find_and_delete(c->p, c->len, NULL, NULL, item_data(sig), sig->len))
        return true;
    if (x->flags & SCRIPT_VERIFY_CONST_SCRIPTCODE)
        return set_err(err, SCRIPT_ERR_SIG_FINDANDDELETE);
    if (!c->owned) {
        c->owned = xmalloc(c->len);
        memcpy(c->owned, c->p, c->len);
        c->p = c->owned;
    }
    script_find_and_delete(c->owned, c->len, c->owned, &c->len, item_data(sig), sig->len);
    return true;
}

/* Core's EvalChecksigTapscript. */
static bool checksig_tapscript(const struct item *sig, const struct item *pub,
                               struct exec_ctx *x, bool *success, enum script_error *err)
{
    *success = sig->len != 0;
    if (*success) {
        x->weight_left -= SCRIPT_VALIDATION_WEIGHT_PER_SIGOP;
        if (x->weight_left < 0)
            return set_err(err, SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT);
    }
    if (pub->len == 0)
        return set_err(err, SCRIPT_ERR_TAPSCRIPT_EMPTY_PUBKEY);
    if (pub->len == 32)
        return !*success || check_schnorr(item_data(sig), sig->len, item_data(pub), x, err);
    if (x->flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE)
        return set_err(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE);
    return true;
}

/* Core's EvalChecksigPreTapscript. */
static bool checksig_ecdsa(const struct item *sig, const struct item *pub,
                           const uint8_t *begin, const uint8_t *end, struct exec_ctx *x,
                           bool *success, enum script_error *err)
{
    struct code c;
    code_init(&c, begin, end);
    bool ok = code_delete_sig(&c, sig, x, err) &&
              sig_encoding_ok(item_data(sig), sig->len, x->flags, err) &&
              pub_encoding_ok(item_data(pub), pub->len, x, err);
    if (ok) {
        *success = ecdsa_ok(item_data(sig), sig->len, item_data(pub), pub->len, c.p, c.len, x);
        if (!*success && (x->flags & SCRIPT_VERIFY_NULLFAIL) && sig->len)
            ok = set_err(err, SCRIPT_ERR_SIG_NULLFAIL);
    }
    free(c.owned);
    return ok;
}

bool op_checksig(struct stack *st, uint8_t opcode, const uint8_t *begin, const uint8_t *end,
                 struct exec_ctx *x, enum script_error *err)
{
    size_t need = opcode == OP_CHECKSIGADD ? 3 : 2;
    if (st->n < need)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    int64_t num = 0;
    const struct item *sig = stack_top(st, need), *pub = stack_top(st, 1);
    if (opcode == OP_CHECKSIGADD) {
        const struct item *n = stack_top(st, 2);
        if (!scriptnum_decode(item_data(n), n->len, x->flags & SCRIPT_VERIFY_MINIMALDATA, 4,
                              &num, err))
            return false;
    }
    bool success = false;
    bool ok = x->sigversion == SIGVERSION_TAPSCRIPT
                  ? checksig_tapscript(sig, pub, x, &success, err)
                  : checksig_ecdsa(sig, pub, begin, end, x, &success, err);
    if (!ok)
        return false;
    st->n -= need;
    if (opcode == OP_CHECKSIGADD) {
        stack_push_num(st, num + success);
        return true;
    }
    if (opcode == OP_CHECKSIGVERIFY)
        return success || set_err(err, SCRIPT_ERR_CHECKSIGVERIFY);
    stack_push_bool(st, success);
    return true;
}

/* The signatures are matched in order against the keys; each key is
 * tried once. Indexes count from the top of the stack, as Core's. */
static bool multisig_match(struct stack *st, size_t isig, size_t nsigs, size_t ikey,
                           size_t nkeys, const struct code *c, struct exec_ctx *x,
                           bool *success, enum script_error *err)
{
    *success = true;
    while (*success && nsigs > 0) {
        const struct item *sig = stack_top(st, isig), *pub = stack_top(st, ikey);
        if (!sig_encoding_ok(item_data(sig), sig->len, x->flags, err) ||
            !pub_encoding_ok(item_data(pub), pub->len, x, err))
            return false;
        if (ecdsa_ok(item_data(sig), sig->len, item_data(pub), pub->len, c->p, c->len, x)) {
            isig++;
            nsigs--;
        }
        ikey++;
        nkeys--;
        if (nsigs > nkeys)
            *success = false;
    }
    return true;
}

/* Pops keys, signatures and the dummy, enforcing NULLFAIL and NULLDUMMY. */
static bool multisig_cleanup(struct stack *st, size_t i, size_t ikey2, bool success,
                             const struct exec_ctx *x, enum script_error *err)
{
    while (i-- > 1) {
        /* Keys are not checked: the first ikey2 items popped are keys. */
        if (!success && (x->flags & SCRIPT_VERIFY_NULLFAIL) && !ikey2 &&
            stack_top(st, 1)->len)
            return set_err(err, SCRIPT_ERR_SIG_NULLFAIL);
        if (ikey2 > 0)
            ikey2--;
        st->n--;
    }
    if (st->n < 1)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    if ((x->flags & SCRIPT_VERIFY_NULLDUMMY) && stack_top(st, 1)->len)
        return set_err(err, SCRIPT_ERR_SIG_NULLDUMMY);
    st->n--;
    return true;
}

bool op_checkmultisig(struct stack *st, uint8_t opcode, const uint8_t *begin,
                      const uint8_t *end, struct exec_ctx *x, int *op_count,
                      enum script_error *err)
{
    bool minimal = x->flags & SCRIPT_VERIFY_MINIMALDATA;
    if (x->sigversion == SIGVERSION_TAPSCRIPT)
        return set_err(err, SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG);
    size_t i = 1;
    int64_t nkeys, nsigs;
    if (st->n < i)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    const struct item *it = stack_top(st, i);
    if (!scriptnum_decode(item_data(it), it->len, minimal, 4, &nkeys, err))
        return false;
    if (nkeys < 0 || nkeys > SCRIPT_MAX_PUBKEYS_PER_MULTISIG)
        return set_err(err, SCRIPT_ERR_PUBKEY_COUNT);
    if ((*op_count += (int)nkeys) > SCRIPT_MAX_OPS)
        return set_err(err, SCRIPT_ERR_OP_COUNT);
    size_t ikey = ++i, ikey2 = (size_t)nkeys + 2;
    i += (size_t)nkeys;
    if (st->n < i)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    it = stack_top(st, i);
    if (!scriptnum_decode(item_data(it), it->len, minimal, 4, &nsigs, err))
        return false;
    if (nsigs < 0 || nsigs > nkeys)
        return set_err(err, SCRIPT_ERR_SIG_COUNT);
    size_t isig = ++i;
    i += (size_t)nsigs;
    if (st->n < i)
        return set_err(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
    struct code c;
    code_init(&c, begin, end);
    bool success = false, ok = true;
    for (size_t k = 0; ok && k < (size_t)nsigs; k++)
        ok = code_delete_sig(&c, stack_top(st, isig + k), x, err);
    ok = ok && multisig_match(st, isig, (size_t)nsigs, ikey, (size_t)nkeys, &c, x, &success,
                              err);
    free(c.owned);
    if (!ok || !multisig_cleanup(st, i, ikey2, success, x, err))
        return false;
    if (opcode == OP_CHECKMULTISIGVERIFY)
        return success || set_err(err, SCRIPT_ERR_CHECKMULTISIGVERIFY);
    stack_push_bool(st, success);
    return true;
}
