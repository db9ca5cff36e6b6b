/* Internals shared by the mempool's files (mempool.c: the graph, indexes,
 * limits and block updates; mempool_accept.c: the acceptance checks;
 * mempool_persist.c: the dump file). Not for other modules. */
#ifndef HEARSAY_CHAIN_MEMPOOL_INT_H
#define HEARSAY_CHAIN_MEMPOOL_INT_H

#include "chain/mempool/mempool.h"
#include "chain/mempool/mempool_map.h"
#include "chain/mempool/policy.h"
#include "chain/validation/scriptcheck.h"

struct mempool_entry {
    struct tx *tx;
    int64_t fee;
    size_t vsize, weight;
    size_t usage; /* memory charged to this entry */
    int64_t time;
    uint64_t sequence; /* the mempool sequence number its arrival took */
    int32_t height;
    int32_t cb_height; /* height of the youngest coinbase it spends, -1 if none */
    int32_t lock_height; /* BIP68: final from the block after this height */
    int64_t lock_time;   /* BIP68: final once the tip's median time passes this */
    unsigned sigop_cost;
    struct mempool_family fam;
    struct mempool_entry **parents, **children;
    size_t n_parents, cap_parents, n_children, cap_children;
    struct mempool_entry *older, *newer; /* arrival order */
    size_t heap_pos;                     /* in the eviction heap */
    uint64_t mark[2];                    /* graph walks, two independent epochs */
};

/* A growable array of entries. */
struct mp_vec {
    struct mempool_entry **v;
    size_t n, cap;
};

struct mempool {
    struct mempool_options opt;
    struct scriptcheck_env scripts; /* no queue: one transaction at a time */
    struct policy_standard std;
    coin_lookup_fn lookup;
    void *lookup_ctx;
    struct mempool_listener listeners[MEMPOOL_MAX_LISTENERS];
    size_t n_listeners;
    uint64_t sequence; /* Core's m_sequence_number */

    struct mpmap by_txid, by_wtxid, by_spent;
    struct mempool_entry *oldest, *newest;
    struct mempool_entry **heap; /* min-heap by descendant score: next to evict on top */
    size_t heap_len, heap_cap;

    struct mp_vec scratch; /* family_sum's work list */
    size_t count, total_vsize, entries_usage;
    int64_t total_fee;
    uint64_t epoch[2];

    /* Core's rolling minimum fee (sat/kvB), raised by evictions. */
    double rolling_fee;
    int64_t rolling_updated;
    bool block_since_bump;

    /* A package's earlier transactions, whose outputs the one being judged
     * may spend though they are not in the mempool (Core's package coins
     * view): package RBF and package test-accept; none otherwise. */
    const struct tx *const *pkg_txs;
    size_t n_pkg_txs;
};

void mp_vec_push(struct mp_vec *v, struct mempool_entry *e);
void mp_vec_free(struct mp_vec *v);

uint64_t mp_outpoint_key(const struct outpoint *op);
struct mempool_entry *mp_find(const struct mempool *mp, const struct hash256 *txid);
struct mempool_entry *mp_find_spender(const struct mempool *mp, const struct outpoint *op);

/* Appends to out every strict ancestor (up) or descendant (!up) of the
 * start entries that is not itself a start entry, each once. */
void mp_walk(struct mempool *mp, struct mempool_entry *const *start, size_t n, bool up,
             struct mp_vec *out);

/* Links a filled entry (tx, fee, sizes, time, heights) into the graph and
 * indexes and sets the family totals of it and its relatives. */
void mp_add(struct mempool *mp, struct mempool_entry *e);
/* Removes the entries and all their descendants. */
void mp_remove_tree(struct mempool *mp, struct mempool_entry *const *es, size_t n,
                    enum mempool_removal why);
/* Puts the arrival list in entry-time order again (after a load, which
 * adds parents first whatever their times), so expiry can stop at the
 * first young entry. */
void mp_sort_arrivals(struct mempool *mp);
/* Evicts by lowest descendant score until usage fits the bound. */
void mp_trim(struct mempool *mp, int64_t now);

/* mp_accept flags: Core's bypass_limits (no fee floors, no TRUC rules)
 * for transactions returned by a disconnected block; checks only
 * (testmempoolaccept). */
#define MP_BYPASS_LIMITS 1u
#define MP_TEST_ONLY 2u
/* In a package replacing mempool transactions: the package rules judge the
 * replacement (mp_package_rbf), not the single-transaction ones. */
#define MP_PACKAGE_RBF 4u
/* A member of a package judged together (Core's package_feerates): no
 * per-transaction fee floors, no TRUC sibling eviction. */
#define MP_PACKAGE_FEERATES 8u

/* The acceptance checks, with the entry time apart from the clock (the
 * dump file keeps original times). On success *fee and *vsize (may be
 * NULL) get what was charged. */
enum mempool_status mp_accept(struct mempool *mp, struct tx *tx, const struct mempool_tip *tip,
                              int64_t entry_time, int64_t now, unsigned flags,
                              struct mempool_reject *rej, int64_t *fee, size_t *vsize);

/* Shared by the package files: a feerate over max_feerate (0: none);
 * its failure; the members idx[0..k) accepted at the package's feerate. */
bool mp_pkg_exceeds(int64_t fee, size_t vsize, int64_t max_feerate);
void mp_pkg_max_feerate_failure(struct mempool_pkg_tx *r);
void mp_pkg_valid(struct mempool_pkg_tx *res, const size_t *idx, size_t k, int64_t fee,
                  size_t vsize);

/* Core v28's package RBF for the transactions idx[0..k) of txs that failed
 * alone and conflict with the mempool: checks every rule first, then
 * evicts the conflicts (with their descendants, as replaced) and adds the
 * package; else leaves the mempool as it was and out->reason says why. */
void mp_package_rbf(struct mempool *mp, struct tx *const *txs, const size_t *idx, size_t k,
                    const struct mempool_tip *tip, int64_t now, int64_t max_feerate,
                    struct mempool_pkg_tx *res, struct mempool_pkg *out);

#endif
