/* Bitcoin Core's unbroadcast set (CTxMemPool::m_unbroadcast_txids): the
 * transactions submitted locally (sendrawtransaction, submitpackage) that
 * no peer has asked for by getdata yet. The node re-announces them now
 * and then until one does; a transaction leaving the mempool leaves the
 * set.
 *
 * Beyond Core, a journal: each transaction added is appended, with one
 * plain write(), to a file in the datadir, so that a kill -9 cannot lose
 * it before any peer has it (the mempool is only saved at shutdown). On
 * start the journal's transactions are put back in the mempool and in the
 * set. The file is truncated when the set empties and rewritten when most
 * of its records are stale. */
#ifndef HEARSAY_CHAIN_MEMPOOL_UNBROADCAST_H
#define HEARSAY_CHAIN_MEMPOOL_UNBROADCAST_H

#include "chain/mempool/mempool.h"

#include <stdbool.h>
#include <stddef.h>

/* Core's reattempt interval: 10 minutes plus up to 5 at random. */
#define UNBROADCAST_REATTEMPT_S (10 * 60)
#define UNBROADCAST_REATTEMPT_JITTER_S (5 * 60)

struct unbroadcast;

/* Follows mp's removals (mp must outlive the set). */
struct unbroadcast *unbroadcast_new(struct mempool *mp);
void unbroadcast_free(struct unbroadcast *u); /* accepts NULL */

/* Adds a transaction of the mempool; true if it was not in the set. Also
 * journaled when a journal is open. */
bool unbroadcast_add(struct unbroadcast *u, const struct tx *tx);
/* Core's RemoveUnbroadcastTx (a peer asked for it); true if it was in. */
bool unbroadcast_remove(struct unbroadcast *u, const struct hash256 *txid);
/* Both accept NULL (no set: nothing in it). */
bool unbroadcast_has(const struct unbroadcast *u, const struct hash256 *txid);
size_t unbroadcast_count(const struct unbroadcast *u);
/* The txids in the set (malloc'd, *n of them; NULL when empty). */
struct hash256 *unbroadcast_txids(const struct unbroadcast *u, size_t *n);

/* Opens (creating it if needed) the journal at path. Its transactions are
 * offered to the mempool (tip, now as mempool_accept) and those in the
 * mempool afterwards, loaded or already there, join the set; the file is
 * then rewritten with the set alone. *restored (may be NULL) gets how
 * many joined. A torn last record (killed mid-write) is ignored. 0, or -1
 * and *err (malloc'd): the set then works without a journal. */
int unbroadcast_journal_open(struct unbroadcast *u, const char *path,
                             const struct mempool_tip *tip, int64_t now, size_t *restored,
                             char **err);

#endif
