/* BIP431 topologically restricted until confirmation (TRUC) transactions,
 * as Bitcoin Core's policy/truc_policy: a version 3 transaction is at most
 * 10,000 vB, has at most one unconfirmed ancestor, which must be version
 * 3 with no other unconfirmed descendant, and is then at most 1,000 vB;
 * no other version spends an unconfirmed version 3 output. Internal to
 * the mempool. */
#ifndef HEARSAY_CHAIN_MEMPOOL_TRUC_H
#define HEARSAY_CHAIN_MEMPOOL_TRUC_H

#include "chain/mempool/mempool_int.h"

#define TRUC_VERSION 3
#define TRUC_ANCESTOR_LIMIT 2   /* counting the transaction itself */
#define TRUC_DESCENDANT_LIMIT 2 /* counting the transaction itself */
#define TRUC_MAX_VSIZE 10000
#define TRUC_CHILD_MAX_VSIZE 1000

/* Room for Core's longest detail: two txids and two wtxids. */
#define TRUC_DETAIL_LEN 384

/* Core's SingleTRUCChecks for tx of virtual size vsize with its direct
 * in-mempool parents, given the direct conflicts it already replaces.
 * true when it passes; else false with Core's detail in err. When the
 * only failure is its parent's child slot, taken by a lone sibling that
 * may be evicted under the replacement rules, *sibling is that sibling
 * (NULL otherwise). */
bool truc_single_check(struct mempool *mp, const struct tx *tx, size_t vsize,
                       const struct mp_vec *parents, const struct mp_vec *conflicts,
                       char err[TRUC_DETAIL_LEN], struct mempool_entry **sibling);

/* Core's PackageTRUCChecks for pkg[i] (vsize vsize) among the package
 * pkg[0..n), sorted parents first, whose other members are not in the
 * mempool: the same limits counted across the package and the mempool.
 * true when it passes; else false with Core's detail in err. */
bool truc_package_check(const struct mempool *mp, struct tx *const *pkg, size_t n, size_t i,
                        size_t vsize, char err[TRUC_DETAIL_LEN]);

#endif
