/* Package acceptance, as Bitcoin Core's AcceptPackage (v28+): every
 * transaction alone first, then the ones that failed only on feerate (and
 * their children) together, judged by their combined feerate. */
#include "chain/mempool/mempool_int.h"
#include "chain/mempool/truc.h"

#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mempool_package_is_child_with_parents(struct tx *const *txs, size_t n)
{
    if (n < 2)
        return false;
    const struct tx *child = txs[n - 1];
    for (size_t i = 0; i + 1 < n; i++) {
        if (!tx_spends(child, &txs[i]->txid))
            return false;
        for (size_t j = 0; j + 1 < n; j++)
            if (tx_spends(txs[i], &txs[j]->txid))
                return false;
    }
    return true;
}

static bool same_outpoint(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && hash_eq(&a->hash, &b->hash);
}

static bool set_reason(struct mempool_pkg *out, const char *reason)
{
    out->reason = reason;
    out->detail[0] = '\0';
    return false;
}

/* Core's IsWellFormedPackage: count, weight, no duplicates, parents
 * first, no two transactions spending one output. */
static bool well_formed(struct tx *const *txs, size_t n, struct mempool_pkg *out)
{
    if (n > MEMPOOL_MAX_PACKAGE_COUNT)
        return set_reason(out, "package-too-many-transactions");
    size_t weight = 0;
    for (size_t i = 0; i < n; i++)
        weight += tx_weight(txs[i]);
    if (n > 1 && weight > MEMPOOL_MAX_PACKAGE_WEIGHT)
        return set_reason(out, "package-too-large");
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (hash_eq(&txs[i]->txid, &txs[j]->txid))
                return set_reason(out, "package-contains-duplicates");
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (tx_spends(txs[i], &txs[j]->txid))
                return set_reason(out, "package-not-sorted");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < txs[i]->vin_count; k++)
            for (size_t j = 0; j < i; j++)
                for (size_t m = 0; m < txs[j]->vin_count; m++)
                    if (same_outpoint(&txs[i]->vin[k].prevout, &txs[j]->vin[m].prevout))
                        return set_reason(out, "conflict-in-package");
    return true;
}

/* Collects the txids replaced while the package is judged. */
static void on_removed(void *ctx, const struct tx *tx, enum mempool_removal why, uint64_t seq)
{
    (void)seq;
    struct mempool_pkg *out = ctx;
    if (why != MEMPOOL_REMOVED_REPLACED)
        return;
    out->replaced = xreallocarray(out->replaced, out->n_replaced + 1, sizeof(*out->replaced));
    out->replaced[out->n_replaced++] = tx->txid;
}

bool mp_pkg_exceeds(int64_t fee, size_t vsize, int64_t max_feerate)
{
    return max_feerate > 0 && fee > policy_fee_at(max_feerate, vsize);
}

void mp_pkg_max_feerate_failure(struct mempool_pkg_tx *r)
{
    r->result = MEMPOOL_PKG_INVALID;
    r->rej.status = MEMPOOL_POLICY;
    r->rej.reason = "max feerate exceeded";
    r->rej.detail[0] = '\0';
}

/* One transaction alone. true when it may be retried with the package:
 * it failed only on feerate, or on inputs a failed parent would give. */
static bool accept_alone(struct mempool *mp, struct tx *tx, const struct mempool_tip *tip,
                         int64_t now, int64_t max_feerate, uint32_t self,
                         struct mempool_pkg_tx *r)
{
    const struct mempool_entry *e = mempool_get_wtxid(mp, &tx->wtxid);
    if (e || (e = mempool_get(mp, &tx->txid))) {
        bool same = hash_eq(&mempool_entry_tx(e)->wtxid, &tx->wtxid);
        r->result = same ? MEMPOOL_PKG_IN_MEMPOOL : MEMPOOL_PKG_OTHER_WITNESS;
        r->fee = mempool_entry_fee(e);
        r->vsize = mempool_entry_vsize(e);
        r->other_wtxid = mempool_entry_tx(e)->wtxid;
        return false;
    }
    enum mempool_status st =
        mp_accept(mp, tx, tip, now, now, MP_TEST_ONLY, &r->rej, &r->fee, &r->vsize);
    if (st == MEMPOOL_ACCEPTED && mp_pkg_exceeds(r->fee, r->vsize, max_feerate)) {
        mp_pkg_max_feerate_failure(r);
        return false;
    }
    if (st == MEMPOOL_ACCEPTED)
        st = mp_accept(mp, tx, tip, now, now, 0, &r->rej, &r->fee, &r->vsize);
    if (st == MEMPOOL_ACCEPTED) {
        r->result = MEMPOOL_PKG_VALID;
        r->eff_feerate = r->fee * 1000 / (int64_t)r->vsize;
        r->eff_includes = self;
        return false;
    }
    r->result = MEMPOOL_PKG_INVALID;
    if (st == MEMPOOL_MISSING_INPUTS) {
        r->rej.reason = "bad-txns-inputs-missingorspent";
        return true;
    }
    return mempool_reject_reconsiderable(&r->rej);
}

/* Core's TX_RECONSIDERABLE: feerate floors, and a replacement's fee (a
 * package may pay it). */
bool mempool_reject_reconsiderable(const struct mempool_reject *rej)
{
    return rej->status == MEMPOOL_POLICY && rej->reason &&
           (!strcmp(rej->reason, "min relay fee not met") ||
            !strcmp(rej->reason, "mempool min fee not met") ||
            !strncmp(rej->reason, "insufficient fee", strlen("insufficient fee")));
}

/* Spends what the mempool already spends: a package replacement, judged
 * apart, since a trial must be undoable. */
static bool conflicts(const struct mempool *mp, const struct tx *tx)
{
    for (size_t i = 0; i < tx->vin_count; i++)
        if (mempool_spender(mp, &tx->vin[i].prevout))
            return true;
    return false;
}

struct trial {
    struct mempool_entry *added[MEMPOOL_MAX_PACKAGE_COUNT];
    size_t n;
    int64_t fee;
    size_t vsize;
};

/* Adds the trial's transactions without telling the listeners and without
 * the per-transaction fee floors. false (after failing *r) when one
 * cannot enter. */
static bool trial_add(struct mempool *mp, struct tx *tx, const struct mempool_tip *tip,
                      int64_t now, int64_t max_feerate, struct trial *t,
                      struct mempool_pkg_tx *r)
{
    int64_t fee;
    size_t vsize;
    struct mempool_reject rej;
    if (mp_accept(mp, tx, tip, now, now, MP_PACKAGE_FEERATES, &rej, &fee, &vsize) !=
        MEMPOOL_ACCEPTED) {
        r->rej = rej;
        return false;
    }
    t->added[t->n++] = mp_find(mp, &tx->txid);
    t->fee += fee;
    t->vsize += vsize;
    if (mp_pkg_exceeds(fee, vsize, max_feerate)) {
        mp_pkg_max_feerate_failure(r);
        return false;
    }
    r->fee = fee;
    r->vsize = vsize;
    return true;
}

/* Core's PackageTRUCChecks over the transactions in idx, before any
 * enters (package RBF included). Sizes by weight: the sigop-adjusted one
 * meets the single-transaction rules as each member enters. */
static bool truc_ok(const struct mempool *mp, struct tx *const *txs, const size_t *idx, size_t k,
                    struct mempool_pkg *out)
{
    struct tx *sub[MEMPOOL_MAX_PACKAGE_COUNT];
    for (size_t i = 0; i < k; i++)
        sub[i] = txs[idx[i]];
    for (size_t i = 0; i < k; i++) {
        if (!truc_package_check(mp, sub, k, i, tx_vsize(sub[i]), out->detail)) {
            out->reason = "TRUC-violation";
            return false;
        }
    }
    return true;
}

/* Core's AcceptMultipleTransactions for the transactions in idx: all
 * enter, and together they pay the mempool's minimum feerate, or none
 * stays. Listeners hear of them only once they stay. */
static void accept_together(struct mempool *mp, struct tx *const *txs, const size_t *idx,
                            size_t k, const struct mempool_tip *tip, int64_t now,
                            int64_t max_feerate, struct mempool_pkg_tx *res,
                            struct mempool_pkg *out)
{
    if (!truc_ok(mp, txs, idx, k, out))
        return;
    for (size_t i = 0; i < k; i++) {
        if (conflicts(mp, txs[idx[i]])) {
            mp_package_rbf(mp, txs, idx, k, tip, now, max_feerate, res, out);
            return;
        }
    }
    struct mempool_listener saved[MEMPOOL_MAX_LISTENERS];
    size_t n_saved = mp->n_listeners;
    uint64_t seq0 = mp->sequence;
    memcpy(saved, mp->listeners, sizeof(saved));
    mp->n_listeners = 0;
    struct trial t = { .n = 0 };
    size_t failed = k;
    for (size_t i = 0; i < k && failed == k; i++) {
        struct mempool_pkg_tx r = res[idx[i]];
        if (trial_add(mp, txs[idx[i]], tip, now, max_feerate, &t, &r)) {
            res[idx[i]] = r;
        } else {
            failed = i; /* its reason replaces the one it had alone */
            res[idx[i]].rej = r.rej;
        }
    }
    int64_t floor = mempool_rolling_min_fee(mp, now);
    if (floor < mp->opt.min_relay_feerate)
        floor = mp->opt.min_relay_feerate;
    bool low = failed == k && t.fee < policy_fee_at(floor, t.vsize);
    if (failed < k || low) {
        if (t.n)
            mp_remove_tree(mp, t.added, t.n, MEMPOOL_REMOVED_CONFLICT);
        mp->sequence = seq0; /* nothing happened, as far as anyone can tell */
        out->reason = failed < k ? "transaction failed" : "package-fee-too-low";
    }
    memcpy(mp->listeners, saved, sizeof(saved));
    mp->n_listeners = n_saved;
    if (failed < k || low)
        return;
    mp_pkg_valid(res, idx, k, t.fee, t.vsize);
    for (size_t i = 0; i < k; i++) {
        for (size_t l = 0; l < mp->n_listeners; l++)
            if (mp->listeners[l].added)
                mp->listeners[l].added(mp->listeners[l].ctx, txs[idx[i]], seq0 + i);
    }
}

void mp_pkg_valid(struct mempool_pkg_tx *res, const size_t *idx, size_t k, int64_t fee,
                  size_t vsize)
{
    uint32_t all = 0;
    for (size_t i = 0; i < k; i++)
        all |= 1u << idx[i];
    for (size_t i = 0; i < k; i++) {
        struct mempool_pkg_tx *r = &res[idx[i]];
        r->result = MEMPOOL_PKG_VALID;
        r->eff_feerate = fee * 1000 / (int64_t)vsize;
        r->eff_includes = all;
    }
}

/* After the size limit: what was accepted but evicted again failed. */
static void check_still_there(struct mempool *mp, struct tx *const *txs, size_t n,
                              struct mempool_pkg_tx *res, struct mempool_pkg *out)
{
    for (size_t i = 0; i < n; i++) {
        if ((res[i].result != MEMPOOL_PKG_VALID && res[i].result != MEMPOOL_PKG_IN_MEMPOOL) ||
            mempool_get_wtxid(mp, &txs[i]->wtxid))
            continue;
        res[i].result = MEMPOOL_PKG_INVALID;
        res[i].rej = (struct mempool_reject){ MEMPOOL_POLICY, "mempool full", "" };
        out->reason = "transaction failed";
    }
}

void mempool_accept_package(struct mempool *mp, struct tx *const *txs, size_t n,
                            const struct mempool_tip *tip, int64_t now, int64_t max_feerate,
                            struct mempool_pkg_tx *res, struct mempool_pkg *out)
{
    memset(out, 0, sizeof(*out));
    memset(res, 0, n * sizeof(*res));
    if (!well_formed(txs, n, out))
        return;
    bool registered = mp->n_listeners < MEMPOOL_MAX_LISTENERS;
    if (registered)
        mp->listeners[mp->n_listeners++] = (struct mempool_listener){ NULL, on_removed, out };
    size_t again[MEMPOOL_MAX_PACKAGE_COUNT], k = 0;
    bool quit = false;
    for (size_t i = 0; i < n; i++) {
        if (!accept_alone(mp, txs[i], tip, now, max_feerate, 1u << i, &res[i]))
            quit = quit || res[i].result == MEMPOOL_PKG_INVALID;
        else if (n == 1)
            quit = true;
        else
            again[k++] = i;
    }
    if (quit)
        out->reason = "transaction failed";
    else if (k)
        accept_together(mp, txs, again, k, tip, now, max_feerate, res, out);
    if (registered)
        mempool_remove_listener(mp, out);
    mp_trim(mp, now);
    check_still_there(mp, txs, n, res, out);
}

bool mempool_test_accept_package(struct mempool *mp, struct tx *const *txs, size_t n,
                                 const struct mempool_tip *tip, int64_t now,
                                 struct mempool_pkg_tx *res, struct mempool_pkg *out)
{
    memset(out, 0, sizeof(*out));
    memset(res, 0, n * sizeof(*res));
    if (!well_formed(txs, n, out))
        return false;
    const struct tx *seen[MEMPOOL_MAX_PACKAGE_COUNT];
    size_t idx[MEMPOOL_MAX_PACKAGE_COUNT];
    for (size_t i = 0; i < n; i++) {
        struct mempool_pkg_tx *r = &res[i];
        mp->pkg_txs = seen;
        mp->n_pkg_txs = i;
        enum mempool_status st =
            mp_accept(mp, txs[i], tip, now, now, MP_TEST_ONLY, &r->rej, &r->fee, &r->vsize);
        mp->pkg_txs = NULL;
        mp->n_pkg_txs = 0;
        if (st != MEMPOOL_ACCEPTED) {
            r->result = MEMPOOL_PKG_INVALID;
            out->reason = "transaction failed";
            return true;
        }
        r->result = MEMPOOL_PKG_VALID;
        r->eff_feerate = r->fee * 1000 / (int64_t)r->vsize;
        r->eff_includes = 1u << i;
        seen[i] = txs[i];
        idx[i] = i;
    }
    if (truc_ok(mp, txs, idx, n, out))
        return true;
    memset(res, 0, n * sizeof(*res));
    return false;
}

void mempool_pkg_clear(struct mempool_pkg *p)
{
    free(p->replaced);
    p->replaced = NULL;
    p->n_replaced = 0;
}
