/* combinerawtransaction (Bitcoin Core's src/rpc/rawtransaction.cpp):
 * merges the signatures of partially signed variants of one transaction.
 * As Core's DataFromTransaction and ProduceSignature with no keys: an
 * input some variant already satisfies is taken from it; a multisig input
 * (bare, P2SH, P2WSH or P2SH-P2WSH) gets every valid signature any
 * variant holds, in key order, padded with empty ones while short. */
#include "node/rpc/rpc_glue.h"

#include "chain/mempool/mempool.h"
#include "chain/mempool/policy.h"
#include "chain/primitives/coin.h"
#include "chain/primitives/serialize.h"
#include "chain/script/interpreter.h"
#include "chain/script/pubkey.h"
#include "chain/script/script.h"
#include "chain/script/sighash.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/chainstate.h"
#include "node/rpc/rpc_util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

/* One input's satisfaction: scriptSig bytes and witness items. */
struct satisfaction {
    struct wbuf sig;
    size_t nwit;
    struct tx_witem wit[MAX_ITEMS];
    struct wbuf witbuf[MAX_ITEMS];
};

/* The output an input spends, from the mempool's transactions or the UTXO
 * set (Core's CCoinsViewMemPool); hold keeps a chain coin's script. */
static bool spent_output(struct node *node, const struct outpoint *op, struct tx_out *out,
                         struct coin *hold)
{
    const struct mempool_entry *e = mempool_get(node->mempool, &op->hash);
    if (e) {
        const struct tx *tx = mempool_entry_tx(e);
        if (op->n >= tx->vout_count)
            return false;
        *out = tx->vout[op->n];
        return true;
    }
    if (!chainstate_coin_lookup(node->chain, op, hold))
        return false;
    out->value = hold->value;
    out->script = hold->script;
    out->script_len = hold->script_len;
    return true;
}

/* The pushes of a push-only script; false when it is not one. */
static size_t script_pushes(const uint8_t *s, size_t len, struct tx_witem *out, size_t max)
{
    const uint8_t *pc = s, *end = s + len;
    struct script_op op;
    size_t n = 0;
    while (pc < end && n < max) {
        if (!script_get_op(&pc, end, &op) || op.opcode > OP_16)
            return 0;
        out[n].data = op.data;
        out[n++].len = op.data ? op.len : 0;
    }
    return pc == end ? n : 0;
}

/* Core's PushAll: empty as OP_0, 1..16 as OP_N, 0x81 as OP_1NEGATE. */
static void push_item(struct wbuf *w, const uint8_t *d, size_t n)
{
    if (n == 0)
        wbuf_u8(w, OP_0);
    else if (n == 1 && d[0] >= 1 && d[0] <= 16)
        wbuf_u8(w, (uint8_t)(OP_1 + d[0] - 1));
    else if (n == 1 && d[0] == 0x81)
        wbuf_u8(w, OP_1NEGATE);
    else
        script_append_push(w, d, n);
}

struct multi_ctx {
    const struct tx *tx;
    const struct sighash_txdata *txd;
    size_t in;
    const uint8_t *script; /* the multisig script */
    size_t len;
    bool witness;
    int64_t amount;
};

/* Whether item (a signature with its hash type) signs for pub. */
static bool signs(const struct multi_ctx *m, const struct tx_witem *item, const uint8_t *pub,
                  size_t pub_len)
{
    if (item->len < 9)
        return false;
    uint8_t hash[32];
    int32_t type = item->data[item->len - 1];
    if (m->witness)
        sighash_segwit_v0(hash, m->txd, m->in, m->script, m->len, m->amount, type);
    else
        sighash_legacy(hash, m->tx, m->in, m->script, m->len, type);
    return pubkey_ecdsa_verify(pub, pub_len, item->data, item->len - 1, hash);
}

/* The multisig stack: OP_0, the signatures found in key order (at most
 * k), empty ones for those missing. */
static size_t multi_stack(const struct multi_ctx *m, struct tx_witem *const *cands,
                          const size_t *ncands, size_t nvariants, struct tx_witem *out)
{
    const uint8_t *pc = m->script + 1, *end = m->script + m->len;
    size_t k = (size_t)(m->script[0] - OP_1 + 1), n = 1;
    struct script_op op;
    out[0].data = NULL;
    out[0].len = 0;
    while (n < k + 1 && pc < end && script_get_op(&pc, end, &op) && op.data) {
        bool found = false;
        for (size_t v = 0; v < nvariants && !found; v++)
            for (size_t j = 0; j < ncands[v] && !found; j++)
                if (signs(m, &cands[v][j], op.data, op.len)) {
                    out[n++] = cands[v][j];
                    found = true;
                }
    }
    while (n < k + 1) {
        out[n].data = NULL;
        out[n++].len = 0;
    }
    return n;
}

static void set_items(struct satisfaction *s, const struct tx_witem *items, size_t n)
{
    s->nwit = n;
    for (size_t i = 0; i < n; i++) {
        wbuf_init(&s->witbuf[i]);
        wbuf_bytes(&s->witbuf[i], items[i].data ? items[i].data : (const uint8_t *)"",
                   items[i].len);
        s->wit[i].data = s->witbuf[i].data;
        s->wit[i].len = items[i].len;
    }
}

/* The last item of any variant's stack whose hash is want (hash160 for a
 * redeem script, sha256 for a witness script). */
static bool find_script(struct tx_witem *const *stacks, const size_t *n, size_t nv, bool sha,
                        const uint8_t *want, struct tx_witem *out)
{
    for (size_t v = 0; v < nv; v++) {
        if (n[v] == 0)
            continue;
        uint8_t h[32];
        const struct tx_witem *last = &stacks[v][n[v] - 1];
        if (sha)
            hash_sha256(last->data, last->len, h);
        else
            hash_hash160(last->data, last->len, h);
        if (memcmp(h, want, sha ? 32 : 20) == 0) {
            *out = *last;
            return true;
        }
    }
    return false;
}

/* The script the output (script, P2SH or P2WSH) commits to, from the
 * stacks; it then leaves them, being no signature candidate. */
static bool reveal(struct tx_witem *const *stacks, size_t *n, size_t nv, bool sha,
                   const uint8_t **script, size_t *len, struct tx_witem *found)
{
    if (!find_script(stacks, n, nv, sha, *script + 2, found))
        return false;
    *script = found->data;
    *len = found->len;
    for (size_t v = 0; v < nv; v++)
        n[v] -= n[v] > 0;
    return true;
}

struct variants {
    struct tx **tx;
    size_t n;
    const struct tx_out *spent; /* of the first variant's inputs */
    const struct sighash_txdata *txd;
};

/* Merges the multisig signatures of input i into s; false when the input
 * is not a multisig one whose scripts a variant reveals. */
static bool merge_stacks(const struct variants *vs, size_t i, struct tx_witem **sigs,
                         size_t *nsig, struct tx_witem **wits, size_t *nwit,
                         struct satisfaction *s);

static bool merge_multisig(const struct variants *vs, size_t i, struct satisfaction *s)
{
    size_t nv = vs->n;
    struct tx_witem **sigs = xcalloc(nv, sizeof(*sigs)), **wits = xcalloc(nv, sizeof(*wits));
    size_t *nsig = xcalloc(nv, sizeof(*nsig)), *nwit = xcalloc(nv, sizeof(*nwit));
    struct tx_witem *items = xcalloc(nv * MAX_ITEMS, sizeof(*items));
    for (size_t v = 0; v < nv; v++) {
        const struct tx_in *in = vs->tx[v]->vin_count > i ? &vs->tx[v]->vin[i] : NULL;
        sigs[v] = items + v * MAX_ITEMS;
        nsig[v] = in ? script_pushes(in->script, in->script_len, sigs[v], MAX_ITEMS) : 0;
        wits[v] = in ? in->wit : NULL;
        nwit[v] = in ? in->wit_count : 0;
    }
    bool ok = merge_stacks(vs, i, sigs, nsig, wits, nwit, s);
    free(sigs);
    free(wits);
    free(nsig);
    free(nwit);
    free(items);
    return ok;
}

/* The scripts revealed (a redeem script for P2SH, a witness script for
 * P2WSH), then the multisig stack from every variant's candidates. */
static bool merge_stacks(const struct variants *vs, size_t i, struct tx_witem **sigs,
                         size_t *nsig, struct tx_witem **wits, size_t *nwit,
                         struct satisfaction *s)
{
    const struct tx_out *spk = &vs->spent[i];
    size_t nv = vs->n;
    struct tx_witem redeem = { NULL, 0 }, ws = { NULL, 0 };
    const uint8_t *script = spk->script;
    size_t len = spk->script_len;
    bool p2sh = script_is_p2sh(script, len);
    if (p2sh && !reveal(sigs, nsig, nv, false, &script, &len, &redeem))
        return false;
    bool wsh = policy_script_type(script, len) == POLICY_WITNESS_V0_SCRIPTHASH;
    if (wsh && !reveal(wits, nwit, nv, true, &script, &len, &ws))
        return false;
    if (policy_script_type(script, len) != POLICY_MULTISIG)
        return false;
    struct multi_ctx m = { vs->tx[0], vs->txd, i, script, len, wsh, spk->value };
    struct tx_witem stack[MAX_ITEMS + 1];
    size_t n = multi_stack(&m, wsh ? wits : sigs, wsh ? nwit : nsig, nv, stack);
    if (wsh) {
        stack[n++] = ws;
        set_items(s, stack, n);
    } else {
        for (size_t j = 0; j < n; j++)
            push_item(&s->sig, stack[j].data, stack[j].len);
    }
    if (p2sh)
        push_item(&s->sig, redeem.data, redeem.len);
    return true;
}

/* Input i: the first variant that satisfies it, else merged multisig
 * signatures, else nothing (Core's ProduceSignature without keys). */
static void satisfy(const struct variants *vs, size_t i, struct satisfaction *s)
{
    for (size_t v = 0; v < vs->n; v++) {
        const struct tx *tx = vs->tx[v];
        if (tx->vin_count != vs->tx[0]->vin_count)
            continue;
        struct sighash_txdata d;
        enum script_error err;
        sighash_txdata_init(&d, tx, vs->spent);
        if (script_verify_input(&d, i, SCRIPT_STANDARD_FLAGS, NULL, &err)) {
            wbuf_bytes(&s->sig, tx->vin[i].script, tx->vin[i].script_len);
            set_items(s, tx->vin[i].wit, tx->vin[i].wit_count);
            return;
        }
    }
    merge_multisig(vs, i, s);
}

/* The merged transaction: tx's version, outputs and locktime, each
 * input's new satisfaction. */
static void serialize(const struct tx *tx, struct satisfaction *sat, struct wbuf *w)
{
    bool witness = false;
    for (size_t i = 0; i < tx->vin_count; i++)
        witness |= sat[i].nwit > 0;
    wbuf_i32(w, tx->version);
    if (witness) {
        wbuf_u8(w, 0);
        wbuf_u8(w, 1);
    }
    wbuf_compact(w, tx->vin_count);
    for (size_t i = 0; i < tx->vin_count; i++) {
        wbuf_bytes(w, tx->vin[i].prevout.hash.b, 32);
        wbuf_u32(w, tx->vin[i].prevout.n);
        wbuf_varbytes(w, sat[i].sig.data, sat[i].sig.len);
        wbuf_u32(w, tx->vin[i].sequence);
    }
    wbuf_compact(w, tx->vout_count);
    for (size_t i = 0; i < tx->vout_count; i++) {
        wbuf_i64(w, tx->vout[i].value);
        wbuf_varbytes(w, tx->vout[i].script, tx->vout[i].script_len);
    }
    for (size_t i = 0; witness && i < tx->vin_count; i++) {
        wbuf_compact(w, sat[i].nwit);
        for (size_t j = 0; j < sat[i].nwit; j++)
            wbuf_varbytes(w, sat[i].wit[j].data, sat[i].wit[j].len);
    }
    wbuf_u32(w, tx->locktime);
}

static void satisfaction_free(struct satisfaction *s)
{
    wbuf_free(&s->sig);
    for (size_t j = 0; j < s->nwit; j++)
        wbuf_free(&s->witbuf[j]);
}

/* The spent outputs of tx's inputs; NULL after -25 when one is unknown. */
static struct tx_out *spent_outputs(struct rpc_request *req, const struct tx *tx,
                                    struct coin *hold)
{
    struct tx_out *spent = xcalloc(tx->vin_count ? tx->vin_count : 1, sizeof(*spent));
    for (size_t i = 0; i < tx->vin_count; i++)
        if (!spent_output(req->ctx, &tx->vin[i].prevout, &spent[i], &hold[i])) {
            free(spent);
            rpc_fail(req, RPC_VERIFY_ERROR, "Input not found or already spent");
            return NULL;
        }
    return spent;
}

static json_t *combine(struct rpc_request *req, struct variants *vs)
{
    const struct tx *tx = vs->tx[0];
    struct coin *hold = xcalloc(tx->vin_count ? tx->vin_count : 1, sizeof(*hold));
    struct tx_out *spent = spent_outputs(req, tx, hold);
    json_t *res = NULL;
    if (spent) {
        struct sighash_txdata txd;
        sighash_txdata_init(&txd, tx, spent);
        vs->spent = spent;
        vs->txd = &txd;
        struct satisfaction *sat = xcalloc(tx->vin_count ? tx->vin_count : 1, sizeof(*sat));
        for (size_t i = 0; i < tx->vin_count; i++) {
            wbuf_init(&sat[i].sig);
            satisfy(vs, i, &sat[i]);
        }
        struct wbuf w;
        wbuf_init(&w);
        serialize(tx, sat, &w);
        res = rpc_util_hex_json(w.data, w.len);
        wbuf_free(&w);
        for (size_t i = 0; i < tx->vin_count; i++)
            satisfaction_free(&sat[i]);
        free(sat);
    }
    for (size_t i = 0; i < tx->vin_count; i++)
        coin_clear(&hold[i]);
    free(hold);
    free(spent);
    return res;
}

static json_t *rpc_combinerawtransaction(struct rpc_request *req)
{
    json_t *txs = rpc_param(req, 0);
    struct variants vs = { .n = json_array_size(txs) };
    vs.tx = xcalloc(vs.n ? vs.n : 1, sizeof(*vs.tx));
    json_t *res = NULL;
    size_t got = 0;
    for (; got < vs.n; got++) {
        const char *hex = json_string_value(json_array_get(txs, got));
        if (!(vs.tx[got] = rpc_util_decode_tx(hex, -1)) || vs.tx[got]->vin_count == 0)
            break;
    }
    if (got < vs.n)
        rpc_fail(req, RPC_DESERIALIZATION_ERROR,
                 "TX decode failed for tx %zu. Make sure the tx has at least one input.", got);
    else if (vs.n == 0)
        rpc_fail(req, RPC_DESERIALIZATION_ERROR, "Missing transactions");
    else
        res = combine(req, &vs);
    for (size_t i = 0; i < vs.n; i++)
        tx_free(vs.tx[i]);
    free(vs.tx);
    return res;
}

static const struct rpc_method combine_methods[] = {
    { "combinerawtransaction", "rawtransactions", rpc_combinerawtransaction,
      "Combine multiple partially signed transactions into one transaction. The combined "
      "transaction may be another partially signed transaction or a fully signed transaction.",
      { { "txs", RPC_ARG_ARR, false,
          "The hex strings of partially signed transactions", NULL }, { NULL } } },
};

const struct rpc_method_set combine_rpc_methods = RPC_METHOD_SET(combine_methods);
