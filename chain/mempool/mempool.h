/* The mempool: unconfirmed transactions checked against the confirmed
 * coins (through a coin_lookup_fn, so it needs no storage) and against
 * each other, with Bitcoin Core's policy: standardness, fees, full-RBF
 * replacement, ancestor/descendant limits, a size bound with eviction by
 * lowest descendant feerate and a rising minimum fee, expiry, block
 * connect/disconnect updates and a dump file.
 *
 * Scripts and signatures are verified as Bitcoin Core v30 does: the
 * standard flags first, then the tip's consensus flags, whose success
 * goes into the script execution cache for block connection. Time and
 * the chain tip are passed in by the caller, so tests control both. */
#ifndef HEARSAY_CHAIN_MEMPOOL_H
#define HEARSAY_CHAIN_MEMPOOL_H

#include "chain/primitives/block.h"
#include "chain/primitives/coin.h"
#include "chain/primitives/tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMPOOL_DEFAULT_MAX_MB 300
#define MEMPOOL_DEFAULT_EXPIRY_HOURS 336
#define MEMPOOL_DEFAULT_MIN_RELAY_FEERATE 1000 /* sat per 1000 vB */
#define MEMPOOL_DEFAULT_INCREMENTAL_FEERATE 1000
#define MEMPOOL_DEFAULT_ANCESTOR_COUNT 25
#define MEMPOOL_DEFAULT_ANCESTOR_VSIZE 101000
#define MEMPOOL_MAX_REPLACEMENTS 100

struct mempool_options {
    int64_t min_relay_feerate;   /* -minrelaytxfee, sat/kvB */
    int64_t incremental_feerate; /* RBF and rolling minimum fee steps, sat/kvB */
    size_t max_usage;            /* -maxmempool in bytes of memory */
    int64_t expiry;              /* -mempoolexpiry in seconds */
    unsigned ancestor_count, descendant_count; /* counts include the tx itself */
    size_t ancestor_vsize, descendant_vsize;
    bool require_standard;
    /* Script and signature checks. Consensus: only tests that spend
     * made-up coins without signatures turn them off. */
    bool check_scripts;
    size_t max_datacarrier;
    bool permit_bare_multisig;
    int64_t dust_feerate;
};

void mempool_options_default(struct mempool_options *o);

/* The confirmed chain as the mempool needs it: the tip's height and median
 * time past. Transactions are judged for inclusion in the next block. */
struct mempool_tip {
    int32_t height;
    int64_t mtp;
    /* Median time past of the active chain's block at a height, for BIP68
     * time locks on confirmed coins. NULL: such a coin counts as confirmed
     * in the tip, which is the strictest reading (never too lenient). */
    int64_t (*mtp_at)(void *ctx, int32_t height);
    void *mtp_ctx;
    /* The tip's script flags (chainstate_script_flags): the consensus
     * check runs, and caches its result, under them. */
    uint32_t script_flags;
};

struct mempool;
struct mempool_entry;
struct chainstate;

/* The tip of cs's active chain as the mempool sees it, with Core's BIP68
 * clock: a coin confirmed at height h counts from the median time past
 * of the active block at h - 1 (the tip's when that is the tip). The one
 * builder every caller uses; cs must outlive *out. */
void mempool_tip_of(const struct chainstate *cs, struct mempool_tip *out);

/* lookup finds confirmed unspent outputs; ctx is passed back to it. */
struct mempool *mempool_new(const struct mempool_options *o, coin_lookup_fn lookup, void *ctx);
void mempool_free(struct mempool *mp); /* accepts NULL */

struct sigcache;
struct scriptcache;
/* The caches script checks use (owned by the caller; NULL: none). */
void mempool_set_caches(struct mempool *mp, struct sigcache *sigs, struct scriptcache *scripts);

enum mempool_status {
    MEMPOOL_ACCEPTED = 0,
    MEMPOOL_INVALID,        /* breaks consensus rules: never valid */
    MEMPOOL_NOT_STANDARD,   /* valid but not relayed by policy */
    MEMPOOL_MISSING_INPUTS, /* a parent is unknown (or spent): an orphan for relay */
    MEMPOOL_PREMATURE,      /* non-final, or spends an immature coinbase */
    MEMPOOL_CONFLICT,       /* already in the mempool or the chain */
    MEMPOOL_POLICY,         /* fees, chain limits, replacement rules, mempool full */
    MEMPOOL_WITNESS_MUTATED, /* nonstandard witness: another witness may pass (do not
                              * remember the txid as rejected) */
};

struct mempool_reject {
    enum mempool_status status;
    const char *reason; /* Core's short reason ("txn-mempool-conflict"), NULL when accepted */
    char detail[384];   /* human detail, may be empty */
};

/* The transaction failed only on its feerate (a floor, or a replacement's
 * fee): with a child paying for it, as a package, it may pass (Core's
 * TX_RECONSIDERABLE). */
bool mempool_reject_reconsiderable(const struct mempool_reject *rej);

/* Checks tx and adds it (taking a reference) at time now. Replaced
 * transactions are removed (reported through the removal callback). */
enum mempool_status mempool_accept(struct mempool *mp, struct tx *tx,
                                   const struct mempool_tip *tip, int64_t now,
                                   struct mempool_reject *rej);

/* Every check of mempool_accept without changing the mempool (Core's
 * testmempoolaccept). When accepted, *fee and *vsize (may be NULL) get the
 * fee and the virtual size it would be charged with. */
enum mempool_status mempool_test_accept(struct mempool *mp, struct tx *tx,
                                        const struct mempool_tip *tip, int64_t now,
                                        struct mempool_reject *rej, int64_t *fee, size_t *vsize);

enum mempool_removal {
    MEMPOOL_REMOVED_BLOCK,     /* confirmed */
    MEMPOOL_REMOVED_CONFLICT,  /* double spent by a block */
    MEMPOOL_REMOVED_REPLACED,  /* replaced by a higher-fee spend */
    MEMPOOL_REMOVED_SIZELIMIT, /* evicted by -maxmempool */
    MEMPOOL_REMOVED_EXPIRY,    /* older than -mempoolexpiry */
    MEMPOOL_REMOVED_REORG,     /* invalid after a block was disconnected */
};
const char *mempool_removal_name(enum mempool_removal why);

/* Told of every transaction entering the mempool and of every one
 * leaving it (before it is freed), each with the mempool sequence number
 * the change took (Core's GetAndIncrementSequence: one counter for both).
 * Either function may be NULL. */
struct mempool_listener {
    void (*added)(void *ctx, const struct tx *tx, uint64_t sequence);
    void (*removed)(void *ctx, const struct tx *tx, enum mempool_removal why,
                    uint64_t sequence);
    void *ctx;
};
#define MEMPOOL_MAX_LISTENERS 6
/* -1 when MEMPOOL_MAX_LISTENERS are registered already. */
int mempool_add_listener(struct mempool *mp, const struct mempool_listener *l);
/* Removes every listener whose ctx is ctx. */
void mempool_remove_listener(struct mempool *mp, const void *ctx);
/* The next sequence number (getrawmempool's mempool_sequence). */
uint64_t mempool_sequence(const struct mempool *mp);

/* ---- Packages (Core's ProcessNewPackage, as submitpackage uses it) ---- */

#define MEMPOOL_MAX_PACKAGE_COUNT 25
#define MEMPOOL_MAX_PACKAGE_WEIGHT 404000

/* Core's IsChildWithParentsTree: the last transaction spends every other
 * one, and none of the others spends another. */
bool mempool_package_is_child_with_parents(struct tx *const *txs, size_t n);

enum mempool_pkg_result {
    MEMPOOL_PKG_UNEVALUATED,   /* not judged (the package was refused whole) */
    MEMPOOL_PKG_VALID,         /* accepted now */
    MEMPOOL_PKG_IN_MEMPOOL,    /* was already there */
    MEMPOOL_PKG_OTHER_WITNESS, /* the same txid with another witness is there */
    MEMPOOL_PKG_INVALID,
};

struct mempool_pkg_tx {
    enum mempool_pkg_result result;
    struct mempool_reject rej; /* INVALID */
    int64_t fee;               /* VALID, IN_MEMPOOL */
    size_t vsize;
    int64_t eff_feerate;   /* VALID: sat/kvB it was judged at (its own, or the package's) */
    uint32_t eff_includes; /* VALID: bit i set when txs[i] is in that feerate */
    struct hash256 other_wtxid; /* OTHER_WITNESS */
};

struct mempool_pkg {
    const char *reason; /* NULL: every transaction is in the mempool */
    char detail[384];
    char reason_buf[256]; /* where reason points when it names transactions */
    struct hash256 *replaced; /* txids replaced (malloc'd) */
    size_t n_replaced;
};
void mempool_pkg_clear(struct mempool_pkg *p);

/* Accepts what it can of txs (n <= MEMPOOL_MAX_PACKAGE_COUNT, sorted
 * parents first): each transaction alone first; those failing only on
 * their feerate (or a replacement's fee), or on inputs from such a one,
 * are then judged together by their combined feerate (a child paying for
 * its parents). When those conflict with the mempool, Core v28's package
 * RBF applies: one parent and its child, replacing clusters of at most
 * two transactions, paying more than all they evict plus the incremental
 * relay fee for the package's size, and improving the feerate diagram. max_feerate
 * (sat/kvB, 0: none) caps each transaction's own feerate. res gets one
 * result per transaction; *out the package's outcome. */
void mempool_accept_package(struct mempool *mp, struct tx *const *txs, size_t n,
                            const struct mempool_tip *tip, int64_t now, int64_t max_feerate,
                            struct mempool_pkg_tx *res, struct mempool_pkg *out);

/* Core's package test-accept (testmempoolaccept with several
 * transactions), changing nothing: false when the package is refused
 * whole (out->reason and detail: not well formed, TRUC-violation), every
 * res[i] then UNEVALUATED. Else each transaction in order, judged by its
 * own fee and seeing the earlier ones' outputs, until the first INVALID
 * (out->reason "transaction failed"); those after it stay UNEVALUATED.
 * A transaction already in the mempool is INVALID. */
bool mempool_test_accept_package(struct mempool *mp, struct tx *const *txs, size_t n,
                                 const struct mempool_tip *tip, int64_t now,
                                 struct mempool_pkg_tx *res, struct mempool_pkg *out);

/* Block b was connected; tip is the new tip. Removes b's transactions and
 * everything spending the same outputs. */
void mempool_block_connected(struct mempool *mp, const struct block *b,
                             const struct mempool_tip *tip);
/* Block b was disconnected; tip is the new tip (b's parent). Returns b's
 * transactions to the mempool (re-checked, fee floors waived as in Core),
 * drops what the shorter chain no longer allows. Call once per block, tip
 * first, then mempool_block_connected for the new branch. */
void mempool_block_disconnected(struct mempool *mp, const struct block *b,
                                const struct mempool_tip *tip, int64_t now);

/* Removes transactions older than the expiry; returns how many. */
size_t mempool_expire(struct mempool *mp, int64_t now);
/* Minimum feerate (sat/kvB) for acceptance now: the minimum relay fee or
 * the rolling fee raised by evictions, decaying with a 12-hour half-life. */
int64_t mempool_min_fee(struct mempool *mp, int64_t now);
/* Bitcoin Core's GetMinFee: the rolling fee alone, 0 while no eviction
 * raised it (the feefilter we send starts from it, net/sync/feefilter.c). */
int64_t mempool_rolling_min_fee(struct mempool *mp, int64_t now);

/* Lookups and iteration, for relay and RPC. */
const struct mempool_entry *mempool_get(const struct mempool *mp, const struct hash256 *txid);
const struct mempool_entry *mempool_get_wtxid(const struct mempool *mp,
                                              const struct hash256 *wtxid);
/* The mempool transaction spending an outpoint, or NULL. */
const struct mempool_entry *mempool_spender(const struct mempool *mp, const struct outpoint *op);
/* All entries, oldest first: for (e = mempool_first(mp); e; e = mempool_next(e)). */
const struct mempool_entry *mempool_first(const struct mempool *mp);
const struct mempool_entry *mempool_next(const struct mempool_entry *e);

size_t mempool_count(const struct mempool *mp);
size_t mempool_bytes(const struct mempool *mp);   /* sum of vsizes (getmempoolinfo "bytes") */
size_t mempool_usage(const struct mempool *mp);   /* memory in use, as bounded by -maxmempool */
int64_t mempool_total_fee(const struct mempool *mp);
const struct mempool_options *mempool_get_options(const struct mempool *mp);

struct tx *mempool_entry_tx(const struct mempool_entry *e); /* borrowed; tx_ref to keep */
int64_t mempool_entry_fee(const struct mempool_entry *e);
size_t mempool_entry_vsize(const struct mempool_entry *e); /* sigop-adjusted, as Core's */
size_t mempool_entry_weight(const struct mempool_entry *e);
int64_t mempool_entry_time(const struct mempool_entry *e);
/* The sequence number its arrival took: below mempool_sequence() read at
 * some moment means it was in the mempool by then (Core's entry sequence). */
uint64_t mempool_entry_sequence(const struct mempool_entry *e);
int32_t mempool_entry_height(const struct mempool_entry *e); /* tip height at entry */
unsigned mempool_entry_sigop_cost(const struct mempool_entry *e);

/* Ancestor and descendant totals, each including the entry itself. */
struct mempool_family {
    size_t anc_count, anc_vsize;
    int64_t anc_fees;
    size_t desc_count, desc_vsize;
    int64_t desc_fees;
};
void mempool_entry_family(const struct mempool_entry *e, struct mempool_family *f);
/* Direct in-mempool parents and children. */
size_t mempool_entry_parents(const struct mempool_entry *e,
                             const struct mempool_entry *const **out);
size_t mempool_entry_children(const struct mempool_entry *e,
                              const struct mempool_entry *const **out);

/* Every in-mempool ancestor (up) or descendant (!up) of e, e itself
 * excluded, each once, nearest first: *out is malloc'd (free it; NULL
 * when none). Returns the count. */
size_t mempool_relatives(struct mempool *mp, const struct mempool_entry *e, bool up,
                         const struct mempool_entry ***out);

/* Recomputes every index and family total from scratch and compares:
 * 0, or -1 and *err (malloc'd). For tests and -checkmempool. */
int mempool_check(const struct mempool *mp, char **err);

/* Persistence: <chaindir>/mempool.dat in our own versioned format. dump
 * writes atomically (temporary file, fsync, rename); load re-checks each
 * transaction as it is accepted with its original time, and drops those
 * past the expiry. */
int mempool_dump(const struct mempool *mp, const char *path, char **err);
struct mempool_load_stats {
    size_t accepted, failed, expired;
};
int mempool_load(struct mempool *mp, const char *path, const struct mempool_tip *tip,
                 int64_t now, struct mempool_load_stats *st, char **err);

#endif
