/* The in-memory header tree: every known header with its height,
 * cumulative work and validation status, plus the active chain (the path
 * from genesis to the current tip, indexable by height).
 *
 * Nodes never move or disappear once added, so callers may keep pointers
 * to them for the tree's lifetime. The tree does no validation itself: the
 * chainstate checks a header before adding it. */
#ifndef HEARSAY_CHAIN_BLOCKINDEX_H
#define HEARSAY_CHAIN_BLOCKINDEX_H

#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/validation/pow.h"
#include "chain/primitives/serialize.h"
#include "chain/storage/blockfile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bindex_status {
    BINDEX_HAVE_DATA = 1u << 0,    /* the raw block is in a block file (data_pos) */
    BINDEX_HAVE_UNDO = 1u << 1,    /* its undo data is in a rev file (undo_pos) */
    BINDEX_FAILED = 1u << 2,       /* the block (or header) itself is invalid */
    BINDEX_FAILED_CHILD = 1u << 3, /* descends from an invalid block */
    /* Its data was stored and then pruned: it still links the chain above
     * it (Core keeps nTx of pruned blocks for the same reason). */
    BINDEX_PRUNED = 1u << 4,
};
#define BINDEX_FAILED_MASK (BINDEX_FAILED | BINDEX_FAILED_CHILD)

/* Longest reason kept for an invalid block. */
#define BINDEX_REASON_MAX 127

/* Nodes are numbered from here on as they are added; the numbers below
 * are for blocks made precious (preciousblock), which win ties. */
#define BINDEX_SEQ_FIRST ((uint64_t)1 << 62)

struct bindex_node {
    struct hash256 hash;
    struct block_header hdr;
    struct bindex_node *prev;
    struct bindex_node *skip; /* a farther ancestor, for O(log n) lookups */
    int height;
    uint32_t status;
    struct u256 work; /* cumulative work of the chain ending here */
    uint64_t seq;     /* order first seen: equal work goes to the earlier */
    char *reason;     /* why it is invalid (malloc'd), NULL if valid */
    /* This block and all its ancestors have data: it can be connected. */
    bool have_chain;
    /* Where the block and its undo data are (valid with HAVE_DATA and
     * HAVE_UNDO); the undo data is in the rev file of the block's file. */
    struct blockfile_pos data_pos, undo_pos;
};

struct bindex;

struct bindex *bindex_new(void);
void bindex_free(struct bindex *bi); /* accepts NULL */

struct bindex_node *bindex_find(const struct bindex *bi, const struct hash256 *hash);
size_t bindex_count(const struct bindex *bi);

/* Adds a header whose parent is already in the tree (or the genesis
 * header when the tree is empty). Returns the existing node if the hash is
 * known, NULL if the parent is unknown. A child of an invalid node is
 * marked BINDEX_FAILED_CHILD. */
struct bindex_node *bindex_add(struct bindex *bi, const struct block_header *hdr,
                               const struct hash256 *hash);

/* The valid header with the most work (ties: first seen). */
struct bindex_node *bindex_best_header(const struct bindex *bi);

/* Marks node invalid with reason and every descendant BINDEX_FAILED_CHILD;
 * changed (may be NULL) is called for each node whose status changed, so
 * the caller can persist it. Recomputes the best header. */
void bindex_mark_failed(struct bindex *bi, struct bindex_node *node, const char *reason,
                        void (*changed)(void *ctx, struct bindex_node *n), void *ctx);
/* Undoes bindex_mark_failed (reconsiderblock): clears the failure of
 * node, its ancestors and its descendants, reporting each change. */
void bindex_clear_failed(struct bindex *bi, struct bindex_node *node,
                         void (*changed)(void *ctx, struct bindex_node *n), void *ctx);
/* Calls fn for every node, in no particular order. */
void bindex_foreach(const struct bindex *bi, void (*fn)(void *ctx, struct bindex_node *n),
                    void *ctx);

struct bindex_node *bindex_ancestor(const struct bindex_node *n, int height);
/* The last common ancestor of a and b (NULL if they share none). */
struct bindex_node *bindex_fork_point(const struct bindex_node *a, const struct bindex_node *b);
/* Median of the timestamps of n and up to 10 of its ancestors (BIP113). */
uint32_t bindex_median_time_past(const struct bindex_node *n);

/* The active chain. set_tip rebuilds the height index from tip down to
 * where it meets the old chain; NULL empties it. */
void bindex_set_tip(struct bindex *bi, struct bindex_node *tip);
struct bindex_node *bindex_tip(const struct bindex *bi);
int bindex_height(const struct bindex *bi); /* -1 when empty */
struct bindex_node *bindex_at(const struct bindex *bi, int height); /* NULL if out of range */
bool bindex_contains(const struct bindex *bi, const struct bindex_node *n);

/* Block locator from n (NULL: the tip): the hashes of n, its 10 nearest
 * ancestors, then ancestors at doubling distances, ending with genesis.
 * Returns the count written (at most max). */
size_t bindex_locator(const struct bindex *bi, const struct bindex_node *n, struct hash256 *out,
                      size_t max);
/* The most recent active-chain block a peer's locator names: where
 * headers for it start. Genesis if none of its hashes is known. */
struct bindex_node *bindex_find_fork(const struct bindex *bi, const struct hash256 *locator,
                                     size_t n);

/* The persistent form of a node: header, height, status, work, reason,
 * the block and undo positions.
 * reason is malloc'd, NULL when there is none: loading holds every record
 * at once, and almost none has a reason. The caller frees it. */
struct bindex_record {
    struct block_header hdr;
    int height;
    uint32_t status;
    struct u256 work;
    char *reason;
    struct blockfile_pos data_pos, undo_pos;
};
void bindex_node_encode(const struct bindex_node *n, struct wbuf *w);
bool bindex_record_decode(const uint8_t *data, size_t len, struct bindex_record *out);
/* Sets a loaded node's status, reason and positions from its record. */
void bindex_restore(struct bindex *bi, struct bindex_node *n, const struct bindex_record *rec);

#endif
