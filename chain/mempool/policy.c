#include "chain/mempool/policy.h"

#include "chain/primitives/block.h"
#include "chain/script/script.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/sigops.h"

#include <stdlib.h>
#include <string.h>

bool policy_is_push_only(const uint8_t *s, size_t len)
{
    return script_is_push_only(s, len);
}

bool policy_is_witness_program(const uint8_t *s, size_t len)
{
    int version;
    const uint8_t *prog;
    size_t prog_len;
    return script_is_witness_program(s, len, &version, &prog, &prog_len);
}

/* A public key push of a plausible size for its first byte (CPubKey::ValidSize). */
static bool valid_pubkey(const uint8_t *d, size_t n)
{
    if (n == 33)
        return d[0] == 2 || d[0] == 3;
    if (n == 65)
        return d[0] == 4 || d[0] == 6 || d[0] == 7;
    return false;
}

/* OP_m <pubkey>... OP_n OP_CHECKMULTISIG with 1 <= m <= n <= 16. */
static bool is_multisig(const uint8_t *s, size_t len)
{
    if (len < 3 || s[len - 1] != OP_CHECKMULTISIG)
        return false;
    if (s[0] < OP_1 || s[0] > OP_16 || s[len - 2] < OP_1 || s[len - 2] > OP_16)
        return false;
    int m = s[0] - OP_1 + 1, n = s[len - 2] - OP_1 + 1, keys = 0;
    const uint8_t *pc = s + 1, *end = s + len - 2;
    struct script_op op;
    while (pc < end) {
        if (!script_get_op(&pc, end, &op) || !valid_pubkey(op.data, op.len))
            return false;
        keys++;
    }
    return keys == n && m <= n;
}

enum policy_script_type policy_script_type(const uint8_t *s, size_t len)
{
    if (script_is_p2sh(s, len))
        return POLICY_SCRIPTHASH;
    if (policy_is_witness_program(s, len)) {
        size_t plen = len - 2;
        if (s[0] == OP_0)
            return plen == 20 ? POLICY_WITNESS_V0_KEYHASH
                   : plen == 32 ? POLICY_WITNESS_V0_SCRIPTHASH
                                : POLICY_NONSTANDARD;
        if (s[0] == OP_1 && plen == 32)
            return POLICY_WITNESS_V1_TAPROOT;
        if (s[0] == OP_1 && plen == 2 && s[2] == 0x4e && s[3] == 0x73)
            return POLICY_ANCHOR;
        return POLICY_WITNESS_UNKNOWN;
    }
    if (len >= 1 && s[0] == OP_RETURN && policy_is_push_only(s + 1, len - 1))
        return POLICY_NULL_DATA;
    if ((len == 35 || len == 67) && s[0] == len - 2 && s[len - 1] == OP_CHECKSIG &&
        valid_pubkey(s + 1, len - 2))
        return POLICY_PUBKEY;
    if (len == 25 && s[0] == OP_DUP && s[1] == OP_HASH160 && s[2] == 20 &&
        s[23] == OP_EQUALVERIFY && s[24] == OP_CHECKSIG)
        return POLICY_PUBKEYHASH;
    if (is_multisig(s, len))
        return POLICY_MULTISIG;
    return POLICY_NONSTANDARD;
}

const char *policy_script_type_name(enum policy_script_type t)
{
    static const char *const names[] = {
        [POLICY_NONSTANDARD] = "nonstandard",
        [POLICY_PUBKEY] = "pubkey",
        [POLICY_PUBKEYHASH] = "pubkeyhash",
        [POLICY_SCRIPTHASH] = "scripthash",
        [POLICY_MULTISIG] = "multisig",
        [POLICY_NULL_DATA] = "nulldata",
        [POLICY_WITNESS_V0_KEYHASH] = "witness_v0_keyhash",
        [POLICY_WITNESS_V0_SCRIPTHASH] = "witness_v0_scripthash",
        [POLICY_WITNESS_V1_TAPROOT] = "witness_v1_taproot",
        [POLICY_ANCHOR] = "anchor",
        [POLICY_WITNESS_UNKNOWN] = "witness_unknown",
    };
    return (unsigned)t < sizeof(names) / sizeof(*names) ? names[t] : "nonstandard";
}

int64_t policy_fee_at(int64_t feerate, size_t vsize)
{
    int64_t fee = (int64_t)(((__int128)feerate * (__int128)vsize) / 1000);
    /* Core's CFeeRate never rounds a positive rate down to a zero fee. */
    if (fee == 0 && vsize > 0 && feerate > 0)
        fee = 1;
    return fee;
}

int64_t policy_dust_threshold(const struct tx_out *out, int64_t dust_feerate)
{
    if ((out->script_len > 0 && out->script[0] == OP_RETURN) || out->script_len > SCRIPT_MAX_SIZE)
        return 0; /* unspendable: never dust */
    size_t size = 8 + ser_compact_size(out->script_len) + out->script_len;
    /* Plus the size of the input that would spend it: outpoint, empty or
     * minimal scriptSig, sequence; witness data at a quarter. */
    size += policy_is_witness_program(out->script, out->script_len) ? 32 + 4 + 1 + 107 / 4 + 4
                                                                    : 32 + 4 + 1 + 107 + 4;
    return policy_fee_at(dust_feerate, size);
}

void policy_standard_default(struct policy_standard *ps)
{
    ps->max_datacarrier = POLICY_MAX_OP_RETURN_RELAY;
    ps->permit_bare_multisig = true;
    ps->dust_feerate = POLICY_DUST_RELAY_FEERATE;
}

/* Standard outputs: known types, OP_RETURN within the data limit, bare
 * multisig of at most 3 keys, no dust, at most one OP_RETURN. */
static bool standard_outputs(const struct tx *tx, const struct policy_standard *ps,
                             const char **reason)
{
    unsigned data_outs = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        const struct tx_out *o = &tx->vout[i];
        enum policy_script_type t = policy_script_type(o->script, o->script_len);
        if (t == POLICY_NONSTANDARD || (t == POLICY_NULL_DATA && o->script_len > ps->max_datacarrier))
            return *reason = "scriptpubkey", false;
        if (t == POLICY_MULTISIG && o->script[o->script_len - 2] > OP_1 + 2)
            return *reason = "scriptpubkey", false;
        if (t == POLICY_NULL_DATA) {
            data_outs++;
        } else if (t == POLICY_MULTISIG && !ps->permit_bare_multisig) {
            return *reason = "bare-multisig", false;
        } else if (o->value < policy_dust_threshold(o, ps->dust_feerate)) {
            return *reason = "dust", false;
        }
    }
    if (data_outs > 1)
        return *reason = "multi-op-return", false;
    return true;
}

bool policy_is_standard_tx(const struct tx *tx, const struct policy_standard *ps,
                           const char **reason)
{
    if (tx->version < POLICY_TX_MIN_VERSION || tx->version > POLICY_TX_MAX_VERSION)
        return *reason = "version", false;
    if (tx_weight(tx) > POLICY_MAX_STANDARD_TX_WEIGHT)
        return *reason = "tx-size", false;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        if (in->script_len > POLICY_MAX_SCRIPTSIG_SIZE)
            return *reason = "scriptsig-size", false;
        if (!policy_is_push_only(in->script, in->script_len))
            return *reason = "scriptsig-not-pushonly", false;
    }
    if (!standard_outputs(tx, ps, reason))
        return false;
    /* CVE-2017-12842: 64-byte transactions look like merkle nodes. */
    if (tx->base_size < POLICY_MIN_STANDARD_TX_NONWITNESS_SIZE)
        return *reason = "tx-size-small", false;
    return true;
}

/* ---- signature operations ---- */

size_t policy_vsize(size_t weight, unsigned sigop_cost)
{
    size_t w = (size_t)sigop_cost * POLICY_BYTES_PER_SIGOP;
    if (w < weight)
        w = weight;
    return (w + TX_WITNESS_SCALE - 1) / TX_WITNESS_SCALE;
}

bool policy_inputs_standard(const struct tx *tx, const struct tx_out *spent)
{
    for (size_t i = 0; i < tx->vin_count; i++) {
        enum policy_script_type t = policy_script_type(spent[i].script, spent[i].script_len);
        if (t == POLICY_NONSTANDARD || t == POLICY_WITNESS_UNKNOWN)
            return false;
        if (t == POLICY_SCRIPTHASH) {
            size_t rlen = 0;
            const uint8_t *redeem =
                sigops_redeem_script(tx->vin[i].script, tx->vin[i].script_len, &rlen);
            if (!redeem || sigops_count(redeem, rlen, true) > POLICY_MAX_P2SH_SIGOPS)
                return false;
        }
    }
    return true;
}

#define TAPROOT_ANNEX_TAG 0x50
#define TAPROOT_LEAF_MASK 0xfe
#define TAPROOT_LEAF_TAPSCRIPT 0xc0

/* Stack items before the last `keep` are each within the size limit. */
static bool items_small(const struct tx_in *in, size_t keep)
{
    for (size_t j = 0; j + keep < in->wit_count; j++)
        if (in->wit[j].len > POLICY_MAX_WITNESS_STACK_ITEM_SIZE)
            return false;
    return true;
}

static bool p2wsh_standard(const struct tx_in *in)
{
    const struct tx_witem *script = &in->wit[in->wit_count - 1];
    return script->len <= POLICY_MAX_P2WSH_SCRIPT_SIZE &&
           in->wit_count - 1 <= POLICY_MAX_P2WSH_STACK_ITEMS && items_small(in, 1);
}

static bool taproot_standard(const struct tx_in *in)
{
    size_t n = in->wit_count;
    if (n >= 2 && in->wit[n - 1].len > 0 && in->wit[n - 1].data[0] == TAPROOT_ANNEX_TAG)
        return false; /* annexes are reserved */
    if (n < 2)
        return true; /* key path */
    const struct tx_witem *control = &in->wit[n - 1];
    if (control->len > 0 && (control->data[0] & TAPROOT_LEAF_MASK) == TAPROOT_LEAF_TAPSCRIPT)
        return items_small(in, 2);
    return true;
}

bool policy_witness_standard(const struct tx *tx, const struct tx_out *spent)
{
    if (tx_is_coinbase(tx))
        return true;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        if (in->wit_count == 0)
            continue;
        const uint8_t *ps = spent[i].script;
        size_t plen = spent[i].script_len;
        bool p2sh = policy_script_type(ps, plen) == POLICY_SCRIPTHASH;
        if (p2sh && !(ps = sigops_redeem_script(in->script, in->script_len, &plen)))
            return false;
        if (!p2sh && policy_script_type(ps, plen) == POLICY_ANCHOR)
            return false;
        if (!policy_is_witness_program(ps, plen))
            return false;
        if (ps[0] == OP_0 && plen == 34 && !p2wsh_standard(in))
            return false;
        if (ps[0] == OP_1 && plen == 34 && !p2sh && !taproot_standard(in))
            return false;
    }
    return true;
}
