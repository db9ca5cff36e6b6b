/* The best-chain activation, one block per step.
 *
 * A block that completes a stored chain (parallel download: the next one
 * arrives while many above it wait) would connect them all at once and
 * hold the event loop for seconds. Instead the block handler only stores
 * the block (its parse, checks and write are one turn of the loop, its
 * connect another), and netproc_tick makes one step per turn of the loop
 * (the wake-up is immediate while steps remain), so peers' messages,
 * timers and RPC calls run between blocks. The chainstate's callbacks
 * fire per block as before; blocks are requested after each step, the
 * tip is announced once the steps end.
 *
 * A step may also end with the block's script checks still running on the
 * script threads: the loop goes on, and the node's wake-up (the
 * chainstate's notify function) brings the next step once they are done.
 *
 * A block that a later step finds invalid is answered for by the peer
 * that sent it, as if it had failed on arrival (Core keeps the source of
 * each block for the same reason). */
#include "net/sync/netproc_int.h"

#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct np_block_src {
    struct hash256 hash;
    uint64_t peer;
    bool rebuilt;
};

void np_block_source(struct netproc *np, const struct np_peer *p, const struct hash256 *hash,
                     bool rebuilt)
{
    const struct bindex_node *n = chainstate_find(np->chain, hash);
    if (!np->activating || !n || chainstate_at(np->chain, n->height) == n)
        return;
    if (np->nsrcs == NETPROC_BLOCK_WINDOW) { /* bounded: the oldest goes */
        memmove(np->srcs, np->srcs + 1, --np->nsrcs * sizeof(*np->srcs));
    } else if (np->nsrcs == np->cap_srcs) {
        np->cap_srcs = np->cap_srcs ? np->cap_srcs * 2 : 16;
        np->srcs = xreallocarray(np->srcs, np->cap_srcs, sizeof(*np->srcs));
    }
    np->srcs[np->nsrcs++] = (struct np_block_src){*hash, p->id, rebuilt};
}

/* Sources of blocks that failed are punished; those of blocks now active
 * may become high-bandwidth compact block peers, as when a block connects
 * on arrival (Core's BlockChecked), and are forgotten, as are those of
 * blocks left off the chain when the activation ended. */
static void settle_sources(struct netproc *np)
{
    size_t keep = 0;
    for (size_t i = 0; i < np->nsrcs; i++) {
        struct np_block_src s = np->srcs[i];
        const struct bindex_node *n = chainstate_find(np->chain, &s.hash);
        struct np_peer *p = np_peer_find(np, s.peer);
        bool active = n && chainstate_at(np->chain, n->height) == n;
        if (n && (n->status & BINDEX_FAILED_MASK)) {
            if (p)
                np_block_failed(np, p, n->reason, false, s.rebuilt);
        } else if (active && p) {
            np_cmpct_block_from(np, p, &s.hash);
        } else if (n && np->activating && !active) {
            np->srcs[keep++] = s;
        }
    }
    np->nsrcs = keep;
}

void np_activate_tick(struct netproc *np, int64_t now)
{
    if (!np->activating)
        return;
    char *err = NULL;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_VALIDATION, "activation step");
    int rc = chainstate_activate_step(np->chain, &err);
    looplag_leave(&mark);
    np->activating = rc > 0;
    if (rc < 0)
        LOG_ERROR("connecting stored blocks: %s", err ? err : "storage error");
    free(err);
    settle_sources(np);
    np_request_blocks_all(np, now);
}

/* While a block's scripts are checked off the loop, the next step waits
 * for the wake-up that says they are done. */
bool netproc_activating(const struct netproc *np)
{
    return np->activating && !chainstate_connect_waiting(np->chain);
}

void np_blockstep_free(struct netproc *np)
{
    free(np->srcs);
}
