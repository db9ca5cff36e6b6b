/* Received blocks parsed and checked off the event loop.
 *
 * Parsing a block (every transaction allocated, its txid and wtxid
 * hashed) and its context-free checks (merkle roots, sizes, coinbase,
 * each transaction, legacy sigops: validation_block_precheck) take tens
 * of milliseconds for 1 MB. A large block message is copied to a job for
 * one worker thread, which does both; the loop then handles the parsed
 * block as np_on_block would have (the checks' outcome is kept in the
 * block, as Core's fChecked, so the chainstate does not repeat them).
 * While the block is on the thread, its peer's input is held
 * (netproc_input_held, io.resume_input once processed), so its
 * later messages are handled after its block; other peers go on. Jobs run
 * and come back in order; a job owns its payload and block, and names its
 * peer by id only, so a peer that disconnects meanwhile just has its
 * result dropped. */
#include "net/sync/netproc_int.h"

#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/validation.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Smaller blocks stay on the loop: about 4 ms of work at this size, far
 * more than the copy and the two thread hand-offs cost. */
#define ARRIVE_MIN_BYTES 50000
_Static_assert(ARRIVE_MIN_BYTES > BLOCK_HEADER_SIZE, "an offloaded payload holds a header");
/* Payload bytes handed to the thread and not yet collected, at most. */
#define ARRIVE_MAX_BYTES (32u << 20)

struct np_arrival {
    struct np_arrival *next;
    struct np_arrivals *q;
    uint64_t peer;
    bool requested; /* in flight when the message was handled */
    uint8_t *payload; /* freed once parsed */
    size_t len;
    struct block *b; /* NULL: malformed, why says */
    const char *why;
};

struct np_arrivals {
    struct worker *w;
    size_t bytes;         /* payloads handed over, not yet collected (loop only) */
    atomic_bool stopping; /* set at shutdown: queued jobs skip the parse */
    void (*wake)(void *ctx);
    void *wake_ctx;
    pthread_mutex_t mu; /* guards the done list, shared with the thread */
    struct np_arrival *done, **done_tail;
};

void np_arrivals_init(struct netproc *np)
{
    if (!np->io.resume_input || !np->io.wake)
        return;
    struct worker *w = worker_new("b-blockparse");
    if (!w) {
        LOG_WARN("netproc: no block thread: blocks are parsed on the loop");
        return;
    }
    struct np_arrivals *q = xcalloc(1, sizeof(*q));
    q->w = w;
    atomic_init(&q->stopping, false);
    q->wake = np->io.wake;
    q->wake_ctx = np->io.ctx;
    pthread_mutex_init(&q->mu, NULL);
    q->done_tail = &q->done;
    np->arrivals = q;
}

static void arrival_free(struct np_arrival *a)
{
    block_free(a->b);
    free(a->payload);
    free(a);
}

void np_arrivals_free(struct netproc *np)
{
    struct np_arrivals *q = np->arrivals;
    if (!q)
        return;
    atomic_store(&q->stopping, true);
    worker_free(q->w); /* runs the jobs queued, unparsed: each ends on the done list */
    while (q->done) {
        struct np_arrival *a = q->done;
        q->done = a->next;
        arrival_free(a);
    }
    pthread_mutex_destroy(&q->mu);
    free(q);
    np->arrivals = NULL;
}

/* On the worker thread. */
static void arrival_run(void *arg)
{
    struct np_arrival *a = arg;
    struct np_arrivals *q = a->q;
    if (!atomic_load(&q->stopping)) {
        a->b = np_block_parse(a->payload, a->len, &a->why);
        if (a->b)
            validation_block_precheck(a->b);
    }
    free(a->payload);
    a->payload = NULL;
    pthread_mutex_lock(&q->mu);
    *q->done_tail = a;
    q->done_tail = &a->next;
    pthread_mutex_unlock(&q->mu);
    q->wake(q->wake_ctx);
}

bool np_arrival_offload(struct netproc *np, struct np_peer *p, const struct net_msg *m)
{
    struct np_arrivals *q = np->arrivals;
    /* Past the cap (many peers' blocks at once) the loop parses: the
     * memory held for blocks in flight stays bounded, as one at a time. */
    if (!q || m->len < ARRIVE_MIN_BYTES || q->bytes + m->len > ARRIVE_MAX_BYTES)
        return false;
    q->bytes += m->len;
    struct np_arrival *a = xcalloc(1, sizeof(*a));
    a->q = q;
    a->peer = p->id;
    /* Decided now, as Core does on the message: a request that times out
     * while the block is on the thread does not make it unrequested. The
     * header is the payload's first bytes (the length is far above). */
    struct hash256 hash;
    hash_sha256d(m->payload, BLOCK_HEADER_SIZE, &hash);
    a->requested = np_block_in_flight(np, &hash);
    a->payload = xmalloc(m->len);
    memcpy(a->payload, m->payload, m->len);
    a->len = m->len;
    p->arriving++;
    worker_submit(q->w, arrival_run, a);
    return true;
}

bool np_arrivals_ready(const struct netproc *np)
{
    struct np_arrivals *q = np->arrivals;
    if (!q)
        return false;
    pthread_mutex_lock(&q->mu);
    bool ready = q->done != NULL;
    pthread_mutex_unlock(&q->mu);
    return ready;
}

void np_arrivals_collect(struct netproc *np, int64_t now)
{
    struct np_arrivals *q = np->arrivals;
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    struct np_arrival *list = q->done;
    q->done = NULL;
    q->done_tail = &q->done;
    pthread_mutex_unlock(&q->mu);
    while (list) {
        struct np_arrival *a = list;
        list = a->next;
        q->bytes -= a->len;
        struct np_peer *p = np_peer_find(np, a->peer);
        if (p) {
            struct looplag_mark mark;
            looplag_enter(looplag_default(), &mark, LOG_NET, "p2p message");
            np_block_arrived(np, p, a->b, a->why, a->requested, now);
            a->b = NULL; /* taken */
            np_message_done(np, a->peer, now);
            looplag_leave(&mark);
            /* Found again: processing may have moved or removed it. */
            p = np_peer_find(np, a->peer);
            if (p && --p->arriving == 0)
                np->io.resume_input(np->io.ctx, a->peer);
        }
        arrival_free(a);
    }
}
