/* Acceptance checks, in Bitcoin Core's order (MemPoolAccept::PreChecks,
 * ReplacementChecks, Finalize) with its reject reasons. */
#include "chain/mempool/mempool_int.h"
#include "chain/mempool/truc.h"

#include "chain/util/log.h"
#include "chain/primitives/params.h"
#include "chain/script/interpreter.h"
#include "chain/validation/locktime.h"
#include "chain/validation/sigops.h"
#include "chain/validation/validation.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* One acceptance attempt. */
struct ws {
    struct mempool *mp;
    struct tx *tx;
    const struct mempool_tip *tip;
    struct mempool_reject *rej;
    struct mp_vec conflicts; /* direct conflicts, each once */
    struct mp_vec parents;   /* in-mempool parents, each once */
    struct mp_vec ancestors; /* parents and their ancestors */
    struct mp_vec replaced;  /* conflicts and their descendants */
    int64_t fee;
    size_t vsize;
    int32_t cb_height;
    int32_t *heights; /* per input: the coin's height (mempool: next block) */
    struct coin *coins;           /* per input: the confirmed coin, if it is one */
    struct tx_out *spent;         /* per input: the spent output */
    unsigned sigop_cost;
    int32_t lock_height;
    int64_t lock_time;
    bool sibling_eviction; /* a TRUC sibling joined the conflicts */
};

static enum mempool_status fail(struct ws *w, enum mempool_status st, const char *reason,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum mempool_status fail(struct ws *w, enum mempool_status st, const char *reason,
                                const char *fmt, ...)
{
    w->rej->status = st;
    w->rej->reason = reason;
    w->rej->detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->rej->detail, sizeof(w->rej->detail), fmt, ap);
        va_end(ap);
    }
    return st;
}

static void txid_str(const struct tx *tx, char out[HASH_HEX_LEN + 1])
{
    hash_to_hex(&tx->txid, out);
}

/* Adds e unless it carries this walk's mark: O(1) however many inputs
 * lead to the same entry. */
static void push_unique(struct mp_vec *v, struct mempool_entry *e, uint64_t ep)
{
    if (e->mark[1] != ep) {
        e->mark[1] = ep;
        mp_vec_push(v, e);
    }
}

/* Checks on the transaction alone and its identity. */
static enum mempool_status pre_checks(struct ws *w)
{
    const struct tx *tx = w->tx;
    const char *reason = NULL;
    if (!validation_check_transaction(tx, &reason))
        return fail(w, MEMPOOL_INVALID, reason, NULL);
    if (tx_is_coinbase(tx))
        return fail(w, MEMPOOL_INVALID, "coinbase", NULL);
    if (w->mp->opt.require_standard && !policy_is_standard_tx(tx, &w->mp->std, &reason))
        return fail(w, MEMPOOL_NOT_STANDARD, reason, NULL);
    if (!locktime_tx_final(tx, w->tip->height + 1, w->tip->mtp))
        return fail(w, MEMPOOL_PREMATURE, "non-final", NULL);
    if (mempool_get_wtxid(w->mp, &tx->wtxid))
        return fail(w, MEMPOOL_CONFLICT, "txn-already-in-mempool", NULL);
    if (mp_find(w->mp, &tx->txid))
        return fail(w, MEMPOOL_CONFLICT, "txn-same-nonwitness-data-in-mempool", NULL);
    uint64_t ep = ++w->mp->epoch[1];
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct mempool_entry *c = mp_find_spender(w->mp, &tx->vin[i].prevout);
        if (c)
            push_unique(&w->conflicts, c, ep);
    }
    return MEMPOOL_ACCEPTED;
}

/* When an input is missing: the transaction may be confirmed already
 * (its outputs exist), else it is an orphan. */
static enum mempool_status missing_input(struct ws *w)
{
    for (uint32_t i = 0; i < w->tx->vout_count; i++) {
        struct outpoint op = {w->tx->txid, i};
        struct coin c = {0};
        bool found = w->mp->lookup(w->mp->lookup_ctx, &op, &c);
        coin_clear(&c);
        if (found)
            return fail(w, MEMPOOL_CONFLICT, "txn-already-known", NULL);
    }
    return fail(w, MEMPOOL_MISSING_INPUTS, "bad-txns-inputs-missingorspent", NULL);
}

/* The earlier package transaction with this txid, NULL if none. */
static const struct tx *pkg_tx(const struct mempool *mp, const struct hash256 *txid)
{
    for (size_t i = 0; i < mp->n_pkg_txs; i++)
        if (hash_eq(&mp->pkg_txs[i]->txid, txid))
            return mp->pkg_txs[i];
    return NULL;
}

/* Finds every input among the mempool's outputs or the confirmed coins
 * (Core's CheckTxInputs), and computes the fee. */
static enum mempool_status check_inputs(struct ws *w)
{
    const struct tx *tx = w->tx;
    int32_t spend_height = w->tip->height + 1;
    int64_t in = 0, out = 0;
    uint64_t ep = ++w->mp->epoch[1];
    w->cb_height = -1;
    w->heights = xcalloc(tx->vin_count, sizeof(*w->heights));
    w->coins = xcalloc(tx->vin_count, sizeof(*w->coins));
    w->spent = xcalloc(tx->vin_count, sizeof(*w->spent));
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct outpoint *op = &tx->vin[i].prevout;
        struct mempool_entry *p = mp_find(w->mp, &op->hash);
        const struct tx *pkg = p ? NULL : pkg_tx(w->mp, &op->hash);
        if (pkg) {
            /* Judged with its package's parent, not in the mempool yet. */
            if (op->n >= pkg->vout_count)
                return missing_input(w);
            w->spent[i] = pkg->vout[op->n];
            w->heights[i] = spend_height;
        } else if (p) {
            if (op->n >= p->tx->vout_count)
                return missing_input(w);
            w->spent[i] = p->tx->vout[op->n];
            push_unique(&w->parents, p, ep);
            w->heights[i] = spend_height;
        } else {
            struct coin *cp = &w->coins[i];
            if (!w->mp->lookup(w->mp->lookup_ctx, op, cp))
                return missing_input(w);
            struct coin c = *cp;
            w->spent[i] = (struct tx_out){c.value, c.script, c.script_len};
            if (c.coinbase && spend_height - c.height < PARAMS_COINBASE_MATURITY)
                return fail(w, MEMPOOL_PREMATURE, "bad-txns-premature-spend-of-coinbase",
                            "tried to spend coinbase at depth %d", spend_height - c.height);
            if (c.coinbase && c.height > w->cb_height)
                w->cb_height = c.height;
            w->heights[i] = c.height;
        }
        int64_t value = w->spent[i].value;
        if (value < 0 || value > TX_MAX_MONEY || (in += value) > TX_MAX_MONEY)
            return fail(w, MEMPOOL_INVALID, "bad-txns-inputvalues-outofrange", NULL);
    }
    if (!tx_output_sum(tx, &out))
        return fail(w, MEMPOOL_INVALID, "bad-txns-txouttotal-toolarge", NULL);
    if (in < out)
        return fail(w, MEMPOOL_INVALID, "bad-txns-in-belowout", "value in (%" PRId64
                    ") < value out (%" PRId64 ")", in, out);
    w->fee = in - out;
    return MEMPOOL_ACCEPTED;
}

/* A confirmed coin's time lock counts from the median time past of the
 * block before it; without a lookup, or for a coin in the tip or the
 * mempool, the tip's (never too lenient). */
static int64_t tip_mtp_at(void *ctx, int32_t height)
{
    const struct mempool_tip *tip = ctx;
    return height >= tip->height || !tip->mtp_at ? tip->mtp : tip->mtp_at(tip->mtp_ctx, height);
}

/* BIP68 relative locks judged for the next block: its height and the
 * tip's median time past. */
static enum mempool_status check_sequence_locks(struct ws *w)
{
    struct locktime_seq l;
    locktime_sequence_locks(w->tx, w->heights, tip_mtp_at, (void *)w->tip, &l);
    w->lock_height = l.height;
    w->lock_time = l.time;
    if (!locktime_sequence_passed(&l, w->tip->height + 1, w->tip->mtp))
        return fail(w, MEMPOOL_PREMATURE, "non-BIP68-final", NULL);
    return MEMPOOL_ACCEPTED;
}

/* Core's AreInputsStandard, IsWitnessStandard and sigop limit; the sigop
 * cost also sets the virtual size when it outweighs the bytes. */
static enum mempool_status check_prevouts(struct ws *w)
{
    if (w->mp->opt.require_standard && !policy_inputs_standard(w->tx, w->spent))
        return fail(w, MEMPOOL_NOT_STANDARD, "bad-txns-nonstandard-inputs", NULL);
    if (w->mp->opt.require_standard && w->tx->has_witness &&
        !policy_witness_standard(w->tx, w->spent))
        return fail(w, MEMPOOL_WITNESS_MUTATED, "bad-witness-nonstandard", NULL);
    w->sigop_cost = sigops_tx_cost(w->tx, w->spent, SCRIPT_STANDARD_FLAGS);
    if (w->sigop_cost > POLICY_MAX_STANDARD_TX_SIGOPS_COST)
        return fail(w, MEMPOOL_NOT_STANDARD, "bad-txns-too-many-sigops", "%u", w->sigop_cost);
    w->vsize = policy_vsize(tx_weight(w->tx), w->sigop_cost);
    return MEMPOOL_ACCEPTED;
}

static enum mempool_status check_fee_rate(struct ws *w, int64_t now)
{
    int64_t rolling = mempool_rolling_min_fee(w->mp, now);
    int64_t need = policy_fee_at(rolling, w->vsize);
    if (rolling > 0 && w->fee < need)
        return fail(w, MEMPOOL_POLICY, "mempool min fee not met", "%" PRId64 " < %" PRId64,
                    w->fee, need);
    need = policy_fee_at(w->mp->opt.min_relay_feerate, w->vsize);
    if (w->fee < need)
        return fail(w, MEMPOOL_POLICY, "min relay fee not met", "%" PRId64 " < %" PRId64, w->fee,
                    need);
    return MEMPOOL_ACCEPTED;
}

/* Core's ancestor and descendant limits. A replacement of exactly one
 * transaction may use the room that transaction's package frees. */
static enum mempool_status check_limits(struct ws *w)
{
    const struct mempool_options *o = &w->mp->opt;
    for (size_t i = 0; i < w->parents.n; i++)
        mp_vec_push(&w->ancestors, w->parents.v[i]);
    mp_walk(w->mp, w->parents.v, w->parents.n, true, &w->ancestors);
    size_t desc_count = o->descendant_count, desc_vsize = o->descendant_vsize;
    if (w->conflicts.n == 1) {
        desc_count += 1;
        desc_vsize += w->conflicts.v[0]->fam.desc_vsize;
    }
    if (w->ancestors.n + 1 > o->ancestor_count)
        return fail(w, MEMPOOL_POLICY, "too-long-mempool-chain",
                    "too many unconfirmed ancestors [limit: %u]", o->ancestor_count);
    size_t anc_vsize = w->vsize;
    for (size_t i = 0; i < w->ancestors.n; i++)
        anc_vsize += w->ancestors.v[i]->vsize;
    if (anc_vsize > o->ancestor_vsize)
        return fail(w, MEMPOOL_POLICY, "too-long-mempool-chain",
                    "exceeds ancestor size limit [limit: %zu]", o->ancestor_vsize);
    for (size_t i = 0; i < w->ancestors.n; i++) {
        const struct mempool_entry *a = w->ancestors.v[i];
        char hex[HASH_HEX_LEN + 1];
        txid_str(a->tx, hex);
        if (a->fam.desc_count + 1 > desc_count)
            return fail(w, MEMPOOL_POLICY, "too-long-mempool-chain",
                        "too many descendants for tx %s [limit: %u]", hex, o->descendant_count);
        if (a->fam.desc_vsize + w->vsize > desc_vsize)
            return fail(w, MEMPOOL_POLICY, "too-long-mempool-chain",
                        "exceeds descendant size limit for tx %s [limit: %zu]", hex,
                        o->descendant_vsize);
    }
    /* Spending an output of a transaction it replaces is self-contradictory. */
    uint64_t ep = ++w->mp->epoch[1];
    for (size_t i = 0; i < w->conflicts.n; i++)
        w->conflicts.v[i]->mark[1] = ep;
    for (size_t i = 0; i < w->ancestors.n; i++)
        if (w->ancestors.v[i]->mark[1] == ep)
            return fail(w, MEMPOOL_INVALID, "bad-txns-spends-conflicting-tx", NULL);
    return MEMPOOL_ACCEPTED;
}

/* BIP431 (Core's SingleTRUCChecks). With sibling eviction allowed, a
 * lone sibling holding the parent's child slot joins the conflicts and
 * the replacement rules decide. */
static enum mempool_status check_truc(struct ws *w, bool allow_sibling_eviction)
{
    struct mempool_entry *sibling;
    if (truc_single_check(w->mp, w->tx, w->vsize, &w->parents, &w->conflicts, w->rej->detail,
                          &sibling))
        return MEMPOOL_ACCEPTED;
    if (allow_sibling_eviction && sibling) {
        w->rej->detail[0] = '\0';
        mp_vec_push(&w->conflicts, sibling);
        w->sibling_eviction = true;
        return MEMPOOL_ACCEPTED;
    }
    w->rej->status = MEMPOOL_POLICY;
    w->rej->reason = "TRUC-violation";
    return MEMPOOL_POLICY;
}

/* New inputs from the mempool must already be parents of what is replaced. */
static enum mempool_status check_no_new_unconfirmed(struct ws *w)
{
    uint64_t ep = ++w->mp->epoch[1];
    for (size_t i = 0; i < w->conflicts.n; i++) {
        const struct mempool_entry *c = w->conflicts.v[i];
        for (size_t j = 0; j < c->n_parents; j++)
            c->parents[j]->mark[1] = ep;
    }
    for (size_t i = 0; i < w->tx->vin_count; i++) {
        struct mempool_entry *p = mp_find(w->mp, &w->tx->vin[i].prevout.hash);
        if (p && p->mark[1] != ep) {
            char hex[HASH_HEX_LEN + 1];
            txid_str(w->tx, hex);
            return fail(w, MEMPOOL_POLICY, "replacement-adds-unconfirmed",
                        "replacement %s adds unconfirmed input, idx %zu", hex, i);
        }
    }
    return MEMPOOL_ACCEPTED;
}

/* Full-RBF rules: a better feerate than each direct conflict, at most 100
 * evictions, no new unconfirmed inputs, more fees than everything evicted
 * plus its own relay cost at the incremental feerate. */
static enum mempool_status check_replacement(struct ws *w)
{
    char hex[HASH_HEX_LEN + 1];
    txid_str(w->tx, hex);
    const char *low_fee =
        w->sibling_eviction ? "insufficient fee (including sibling eviction)" : "insufficient fee";
    size_t candidates = 0;
    for (size_t i = 0; i < w->conflicts.n; i++) {
        const struct mempool_entry *c = w->conflicts.v[i];
        if ((__int128)w->fee * (__int128)c->vsize <= (__int128)c->fee * (__int128)w->vsize)
            return fail(w, MEMPOOL_POLICY, low_fee,
                        "rejecting replacement %s; new feerate %" PRId64 " <= old feerate %" PRId64
                        " sat/kvB",
                        hex, w->fee * 1000 / (int64_t)w->vsize, c->fee * 1000 / (int64_t)c->vsize);
        candidates += c->fam.desc_count;
    }
    if (candidates > MEMPOOL_MAX_REPLACEMENTS)
        return fail(w, MEMPOOL_POLICY,
                    w->sibling_eviction ? "too many potential replacements (including sibling "
                                          "eviction)" : "too many potential replacements",
                    "rejecting replacement %s; too many potential replacements (%zu > %d)", hex,
                    candidates, MEMPOOL_MAX_REPLACEMENTS);
    enum mempool_status st = check_no_new_unconfirmed(w);
    if (st != MEMPOOL_ACCEPTED)
        return st;
    for (size_t i = 0; i < w->conflicts.n; i++)
        mp_vec_push(&w->replaced, w->conflicts.v[i]);
    mp_walk(w->mp, w->conflicts.v, w->conflicts.n, false, &w->replaced);
    int64_t old_fees = 0;
    for (size_t i = 0; i < w->replaced.n; i++)
        old_fees += w->replaced.v[i]->fee;
    if (w->fee < old_fees)
        return fail(w, MEMPOOL_POLICY, low_fee,
                    "rejecting replacement %s, less fees than conflicting txs; %" PRId64
                    " < %" PRId64, hex, w->fee, old_fees);
    int64_t relay = policy_fee_at(w->mp->opt.incremental_feerate, w->vsize);
    if (w->fee - old_fees < relay)
        return fail(w, MEMPOOL_POLICY, low_fee,
                    "rejecting replacement %s, not enough additional fees to relay; %" PRId64
                    " < %" PRId64, hex, w->fee - old_fees, relay);
    return MEMPOOL_ACCEPTED;
}

/* Core's SpendsNonAnchorWitnessProg: a witness program (pay-to-anchor
 * aside) is spent, natively or through P2SH, so a failure without any
 * witness may be a copy whose witness was stripped. */
static bool spends_witness_program(const struct ws *w)
{
    for (size_t i = 0; i < w->tx->vin_count; i++) {
        const uint8_t *ps = w->spent[i].script;
        size_t plen = w->spent[i].script_len, rlen = 0;
        if (policy_script_type(ps, plen) == POLICY_ANCHOR)
            continue;
        if (policy_is_witness_program(ps, plen))
            return true;
        const uint8_t *redeem =
            policy_script_type(ps, plen) == POLICY_SCRIPTHASH
                ? sigops_redeem_script(w->tx->vin[i].script, w->tx->vin[i].script_len, &rlen)
                : NULL;
        if (redeem && policy_is_witness_program(redeem, rlen))
            return true;
    }
    return false;
}

/* Core v30's PolicyScriptChecks (standard flags; any failure is
 * "mempool-script-verify-flag-failed", never a reason to punish the peer)
 * and ConsensusScriptChecks (the tip's flags, result cached for the
 * block that confirms the transaction). */
static enum mempool_status check_scripts(struct ws *w)
{
    if (!w->mp->opt.check_scripts)
        return MEMPOOL_ACCEPTED;
    /* Filled by the first run, reused by the second. */
    struct sighash_txdata txdata = {.tx = w->tx, .spent = w->spent};
    struct scriptcheck_failure f;
    char where[SCRIPTCHECK_DESCRIBE_LEN];
    if (!scriptcheck_run(&w->mp->scripts, &txdata, 1, SCRIPT_STANDARD_FLAGS,
                         SCRIPTCHECK_STORE_SIGS, &f)) {
        bool stripped = !w->tx->has_witness && spends_witness_program(w);
        scriptcheck_describe(w->tx, f.in, where);
        return fail(w, stripped ? MEMPOOL_WITNESS_MUTATED : MEMPOOL_NOT_STANDARD,
                    scriptcheck_mempool_reason(f.err), "%s", where);
    }
    if (!scriptcheck_run(&w->mp->scripts, &txdata, 1, w->tip->script_flags,
                         SCRIPTCHECK_STORE_SIGS | SCRIPTCHECK_STORE_RESULT, &f)) {
        scriptcheck_describe(w->tx, f.in, where);
        LOG_ERROR("BUG! PLEASE REPORT THIS! CheckInputScripts failed against latest-block but "
                  "not STANDARD flags: %s, %s", scriptcheck_block_reason(f.err), where);
        return fail(w, MEMPOOL_INVALID, scriptcheck_block_reason(f.err), "%s", where);
    }
    return MEMPOOL_ACCEPTED;
}

static void finalize(struct ws *w, int64_t entry_time)
{
    if (w->conflicts.n)
        mp_remove_tree(w->mp, w->conflicts.v, w->conflicts.n, MEMPOOL_REMOVED_REPLACED);
    struct mempool_entry *e = xcalloc(1, sizeof(*e));
    e->tx = tx_ref(w->tx);
    e->fee = w->fee;
    e->vsize = w->vsize;
    e->weight = tx_weight(w->tx);
    e->time = entry_time;
    e->height = w->tip->height;
    e->cb_height = w->cb_height;
    e->lock_height = w->lock_height;
    e->lock_time = w->lock_time;
    e->sigop_cost = w->sigop_cost;
    mp_add(w->mp, e);
}

static enum mempool_status run_checks(struct ws *w, int64_t now, unsigned flags)
{
    bool bypass_limits = flags & MP_BYPASS_LIMITS;
    bool package = flags & MP_PACKAGE_FEERATES;
    enum mempool_status st = pre_checks(w);
    if (st == MEMPOOL_ACCEPTED)
        st = check_inputs(w);
    if (st == MEMPOOL_ACCEPTED)
        st = check_sequence_locks(w);
    if (st == MEMPOOL_ACCEPTED)
        st = check_prevouts(w);
    if (st == MEMPOOL_ACCEPTED && !bypass_limits && !package)
        st = check_fee_rate(w, now);
    if (st == MEMPOOL_ACCEPTED)
        st = check_limits(w);
    /* As Core, a reorg's transactions return whatever their topology. */
    if (st == MEMPOOL_ACCEPTED && !bypass_limits)
        st = check_truc(w, !package);
    if (st == MEMPOOL_ACCEPTED && w->conflicts.n && !(flags & MP_PACKAGE_RBF))
        st = check_replacement(w);
    /* Last: the checks above are cheap, signatures are not. */
    if (st == MEMPOOL_ACCEPTED)
        st = check_scripts(w);
    return st;
}

enum mempool_status mp_accept(struct mempool *mp, struct tx *tx, const struct mempool_tip *tip,
                              int64_t entry_time, int64_t now, unsigned flags,
                              struct mempool_reject *rej, int64_t *fee, size_t *vsize)
{
    struct ws w = {.mp = mp, .tx = tx, .tip = tip, .rej = rej, .vsize = tx_vsize(tx)};
    rej->status = MEMPOOL_ACCEPTED;
    rej->reason = NULL;
    rej->detail[0] = '\0';
    enum mempool_status st = run_checks(&w, now, flags);
    if (st == MEMPOOL_ACCEPTED) {
        if (fee)
            *fee = w.fee;
        if (vsize)
            *vsize = w.vsize;
        if (!(flags & MP_TEST_ONLY))
            finalize(&w, entry_time);
    } else if (log_accept(LOG_MEMPOOLREJ)) {
        char hex[HASH_HEX_LEN + 1];
        txid_str(tx, hex);
        LOG_DEBUG(LOG_MEMPOOLREJ, "mempool: %s rejected: %s%s%s", hex, rej->reason,
                  rej->detail[0] ? ", " : "", rej->detail);
    }
    mp_vec_free(&w.conflicts);
    mp_vec_free(&w.parents);
    mp_vec_free(&w.ancestors);
    mp_vec_free(&w.replaced);
    free(w.heights);
    for (size_t i = 0; w.coins && i < tx->vin_count; i++)
        coin_clear(&w.coins[i]);
    free(w.coins);
    free(w.spent);
    return st;
}

enum mempool_status mempool_accept(struct mempool *mp, struct tx *tx,
                                   const struct mempool_tip *tip, int64_t now,
                                   struct mempool_reject *rej)
{
    enum mempool_status st = mp_accept(mp, tx, tip, now, now, 0, rej, NULL, NULL);
    if (st != MEMPOOL_ACCEPTED)
        return st;
    mempool_expire(mp, now);
    mp_trim(mp, now);
    if (!mempool_get_wtxid(mp, &tx->wtxid)) {
        rej->status = MEMPOOL_POLICY;
        rej->reason = "mempool full";
        return MEMPOOL_POLICY;
    }
    return MEMPOOL_ACCEPTED;
}

enum mempool_status mempool_test_accept(struct mempool *mp, struct tx *tx,
                                        const struct mempool_tip *tip, int64_t now,
                                        struct mempool_reject *rej, int64_t *fee, size_t *vsize)
{
    return mp_accept(mp, tx, tip, now, now, MP_TEST_ONLY, rej, fee, vsize);
}
