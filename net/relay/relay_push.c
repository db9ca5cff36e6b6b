/* The push side of the relay core: rounds, fanout choice, stop rules with
 * feedback, and the per-peer trickle. See relay.h for the model. */
#include <stdlib.h>
#include <string.h>

#include "chain/util/log.h"
#include "net/relay/prng.h"
#include "net/relay/relay_impl.h"
#include "net/relay/vec.h"
#include "chain/util/xmalloc.h"

/* Announcements sent outside the trickle (blocks, implicit peers),
 * collected during a tick and sent per peer at its end. */
struct direct {
    uint64_t peer;
    uint64_t seq;
    bool headers;
    struct relay_inv inv;
};

struct tickbuf {
    struct direct *d;
    uint32_t n, cap;
    uint64_t *targets; /* one round's chosen peers */
    uint32_t *cand;    /* explicit peers eligible for a round */
    size_t cap_targets;
};

static bool direct_add(struct tickbuf *tb, const struct direct *d)
{
    if (!vec_reserve((void **)&tb->d, &tb->cap, tb->n, sizeof(*tb->d), 16))
        return false;
    tb->d[tb->n++] = *d;
    return true;
}

/* ---- feedback and stop rules ---- */

static void stop_rumor(struct relay_rumor *ru)
{
    ru->stop = true;
}

/* The stop rule's step after one contact (a push, or a round of answers). */
static void judge(struct relay *r, struct relay_rumor *ru, bool useful)
{
    if (useful) {
        ru->useless = 0; /* the counter counts consecutive useless contacts */
    } else if (r->p->stop == RELAY_STOP_COUNTER) {
        if (++ru->useless >= r->p->stop_k)
            stop_rumor(ru);
    } else if (r->p->stop == RELAY_STOP_COIN) {
        if (prng_below(&r->rng, r->p->stop_k) == 0)
            stop_rumor(ru);
    }
}

static struct relay_batch *batch_find(struct relay_rumor *ru, uint32_t id)
{
    for (uint32_t i = 0; i < ru->n_batches; i++)
        if (ru->batches[i].id == id)
            return &ru->batches[i];
    return NULL;
}

/* The answer round pulls are answered in now: the open one, or a new one
 * lasting a pull interval. NULL when out of memory (answers then count
 * one by one). */
static struct relay_batch *batch_current(struct relay *r, struct relay_rumor *ru, int64_t now)
{
    if (ru->n_batches && now < ru->batches[ru->n_batches - 1].ends)
        return &ru->batches[ru->n_batches - 1];
    if (!vec_reserve((void **)&ru->batches, &ru->cap_batches, ru->n_batches,
                     sizeof(*ru->batches), 2))
        return NULL;
    int64_t len = r->p->pull_interval_us > 0 ? r->p->pull_interval_us : 1;
    struct relay_batch *b = &ru->batches[ru->n_batches++];
    *b = (struct relay_batch){.id = ++ru->batch_seq, .ends = now + len};
    if (b->ends < r->wake_rumors)
        r->wake_rumors = b->ends;
    return b;
}

/* Judges the answer rounds that are over and have all their verdicts. */
static void close_batches(struct relay *r, struct relay_rumor *ru, int64_t now)
{
    for (uint32_t i = 0; i < ru->n_batches;) {
        struct relay_batch *b = &ru->batches[i];
        if (b->open > 0 || now < b->ends) {
            i++;
            continue;
        }
        if (b->useful || b->useless)
            judge(r, ru, b->useful);
        memmove(b, b + 1, (ru->n_batches - i - 1) * sizeof(*b));
        ru->n_batches--;
    }
    if (ru->n_batches == 0) {
        free(ru->batches);
        ru->batches = NULL;
        ru->cap_batches = 0;
    }
}

/* The verdict on one push or answer, for the feedback variants. */
static void apply_verdict(struct relay *r, struct relay_rumor *ru, const struct relay_push *pu,
                          bool useful)
{
    struct relay_counters *pc = relay_peer_counters(r, pu->peer);
    if (useful)
        COUNT(r, pc, push_useful, 1);
    else
        COUNT(r, pc, push_useless, 1);
    struct relay_batch *b = pu->batch ? batch_find(ru, pu->batch) : NULL;
    if (!b) {
        judge(r, ru, useful);
        return;
    }
    b->open--;
    b->useful |= useful;
    b->useless |= !useful;
}

/* A peer that asked for what we announced took d to do so: its window
 * follows the slowest of its recent answers. */
static void learn_response(struct relay *r, uint64_t peer, int64_t d)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    if (!pe || d < 0)
        return;
    int64_t decayed = pe->resp_us - pe->resp_us / 8;
    pe->resp_us = d > decayed ? d : decayed;
}

/* The window of an inbound peer not yet seen asking: for it we are a
 * preferred (outbound) announcer, which Bitcoin Core asks at once, so a
 * round trip and its message loop are all there is to wait for. */
#define RELAY_WINDOW_PREFERRED_US 500000

/* How long a push to this peer waits for its getdata. A peer that has
 * asked before gets twice its recent worst, within [min, window]; one
 * never seen asking gets the whole window, which must cover Bitcoin
 * Core's 2 s delay for announcements from non-preferred peers (we are
 * one for our outbound peers), or half a second if it is inbound. */
static int64_t window_for(const struct relay *r, uint64_t peer)
{
    const struct relay_policy *p = r->p;
    const struct relay_peer *pe = p->feedback_window_min_us > 0 ? relay_peer_find(r, peer) : NULL;
    int64_t w = p->feedback_window_us;
    if (!pe)
        return w;
    if (pe->resp_us < 0)
        return pe->props.outbound || w < RELAY_WINDOW_PREFERRED_US ? w : RELAY_WINDOW_PREFERRED_US;
    int64_t learnt = 2 * pe->resp_us;
    if (learnt < p->feedback_window_min_us)
        learnt = p->feedback_window_min_us;
    return learnt < w ? learnt : w;
}

void relay_push_verdict(struct relay *r, struct relay_rumor *ru, uint64_t peer, bool useful,
                        int64_t now)
{
    for (uint32_t i = 0; i < ru->n_pending; i++) {
        if (ru->pending[i].peer != peer)
            continue;
        struct relay_push pu = ru->pending[i];
        ru->pending[i] = ru->pending[--ru->n_pending];
        if (useful && pu.sent != RELAY_PUSH_QUEUED)
            learn_response(r, peer, now - pu.sent);
        apply_verdict(r, ru, &pu, useful);
        if (ru->stop && now < r->wake_rumors)
            r->wake_rumors = now; /* removed at the next tick */
        /* The last verdict of a round lets the next one run at once, and
         * an answer round be judged. */
        if (ru->n_pending == 0 && ru->next_round < r->wake_rumors)
            r->wake_rumors = ru->next_round;
        if (ru->n_batches && ru->batches[0].ends < r->wake_rumors)
            r->wake_rumors = ru->batches[0].ends;
        return;
    }
}

void relay_push_forget(struct relay_rumor *ru, uint64_t peer)
{
    for (uint32_t j = 0; j < ru->n_pending;) {
        struct relay_push *pu = &ru->pending[j];
        if (pu->peer != peer) {
            j++;
            continue;
        }
        struct relay_batch *b = pu->batch ? batch_find(ru, pu->batch) : NULL;
        if (b) /* its answer round is judged on the others' verdicts */
            b->open--;
        *pu = ru->pending[--ru->n_pending];
    }
}

void relay_push_sent(struct relay *r, struct relay_rumor *ru, uint64_t peer, int64_t now)
{
    for (uint32_t i = 0; i < ru->n_pending; i++) {
        struct relay_push *pu = &ru->pending[i];
        if (pu->peer != peer || pu->sent != RELAY_PUSH_QUEUED)
            continue;
        pu->sent = now;
        pu->due = now + window_for(r, peer);
        if (pu->due + 1 < r->wake_rumors)
            r->wake_rumors = pu->due + 1;
        return;
    }
}

/* Pushes without a getdata by the end of their window (from the send)
 * were useless. */
static void settle_due(struct relay *r, struct relay_rumor *ru, int64_t now)
{
    for (uint32_t i = 0; i < ru->n_pending;) {
        struct relay_push pu = ru->pending[i];
        if (pu.sent != RELAY_PUSH_QUEUED && now > pu.due) {
            ru->pending[i] = ru->pending[--ru->n_pending];
            apply_verdict(r, ru, &pu, false);
        } else {
            i++;
        }
    }
    close_batches(r, ru, now);
}

static bool wants_feedback(const struct relay *r)
{
    return r->p->feedback && r->p->stop != RELAY_STOP_ONCE;
}

/* `now` is the send time, or RELAY_PUSH_QUEUED for a push waiting in a
 * trickle queue (its window starts when relay_push_sent is called). */
static void record_push(struct relay *r, struct relay_rumor *ru, uint64_t peer, int64_t now,
                        struct relay_batch *b)
{
    if (!wants_feedback(r))
        return;
    if (!vec_reserve((void **)&ru->pending, &ru->cap_pending, ru->n_pending,
                     sizeof(*ru->pending), 2))
        return; /* an unrecorded push simply gets no verdict */
    int64_t due = now == RELAY_PUSH_QUEUED ? RELAY_PUSH_QUEUED : now + window_for(r, peer);
    ru->pending[ru->n_pending++] =
        (struct relay_push){.peer = peer, .sent = now, .due = due, .batch = b ? b->id : 0};
    if (b)
        b->open++;
}

/* The rules that need no feedback, after `pushes` pushes (a round's, or
 * answers to pulls): once, K pushes, a coin per push. */
static void apply_blind(struct relay *r, struct relay_rumor *ru, size_t pushes)
{
    const struct relay_policy *p = r->p;
    if (p->stop == RELAY_STOP_ONCE) {
        stop_rumor(ru);
    } else if (!p->feedback && p->stop == RELAY_STOP_COUNTER) {
        ru->useless += (uint32_t)pushes;
        if (ru->useless >= p->stop_k)
            stop_rumor(ru);
    } else if (!p->feedback && p->stop == RELAY_STOP_COIN) {
        for (size_t i = 0; i < pushes && !ru->stop; i++)
            if (prng_below(&r->rng, p->stop_k) == 0)
                stop_rumor(ru);
    }
}

/* The end of a round: nobody left to tell removes the rumor. */
static void after_round(struct relay *r, struct relay_rumor *ru, size_t pushes, int64_t now)
{
    if (pushes == 0)
        stop_rumor(ru);
    else
        apply_blind(r, ru, pushes);
    int64_t gap = r->p->round_interval_us > 0 ? r->p->round_interval_us : 1;
    ru->next_round = ru->stop ? INT64_MAX : now + gap;
}

/* ---- choosing the peers of a round ---- */

static bool grow_targets(struct tickbuf *tb, size_t need)
{
    if (need <= tb->cap_targets)
        return true;
    uint64_t *t = xrealloc(tb->targets, need * sizeof(*t));
    tb->targets = t;
    uint32_t *c = xrealloc(tb->cand, need * sizeof(*c));
    tb->cand = c;
    tb->cap_targets = need;
    return true;
}

static bool eligible(const struct relay *r, const struct relay_rumor *ru,
                     const struct relay_peer *pe)
{
    const struct hash256 *h = relay_hash_for(ru, pe);
    if (pe->known && seenset_contains(pe->known, h))
        return false;
    if (pe->queued.n && hashtab_find(&pe->queued, prng_hash_key(h, r->salt), NULL, NULL))
        return false;
    /* BIP133: no announcements below the peer's fee filter. */
    return ru->is_block || ru->feerate >= pe->props.feefilter;
}

/* Moves k uniformly chosen items of v[0..n) to its front. */
static void partial_shuffle(struct relay *r, uint32_t *v, size_t n, size_t k)
{
    for (size_t i = 0; i < k && i < n; i++) {
        size_t j = i + (size_t)prng_below(&r->rng, n - i);
        uint32_t x = v[i];
        v[i] = v[j];
        v[j] = x;
    }
}

/* Is this rumor relayed the Erlay way (txrecon policy, a transaction)? */
static bool erlay(const struct relay *r, const struct relay_rumor *ru)
{
    return r->p->txrecon && r->drv->recon_add && !ru->is_block;
}

/* Explicit peers: those not known to have it, outbound ones first; a
 * random `fanout` of them (all when fanout is 0). Reconciling peers are
 * left to choose_erlay. Returns the count, the peer indexes in tb->cand. */
static size_t choose_explicit(struct relay *r, const struct relay_rumor *ru, struct tickbuf *tb)
{
    size_t n_out = 0, n = 0;
    bool skip_recon = erlay(r, ru);
    for (int out = 1; out >= 0; out--) {
        for (uint32_t i = 0; i < r->n_peers; i++) {
            const struct relay_peer *pe = r->peers[i];
            if (pe->props.outbound == (out == 1) && !(skip_recon && pe->props.reconcile) &&
                eligible(r, ru, pe))
                tb->cand[n++] = i;
        }
        if (out)
            n_out = n;
    }
    size_t f = ru->is_block ? 0 : r->p->fanout; /* blocks always flood */
    if (f == 0 || n <= f)
        return n;
    if (n_out >= f) {
        partial_shuffle(r, tb->cand, n_out, f);
    } else {
        partial_shuffle(r, tb->cand + n_out, n - n_out, f - n_out);
    }
    return f;
}

/* Erlay (after choose_explicit's k): the reconciling peers that lack it,
 * a random recon_flood of the outbound ones first (flooded), then the
 * others (left to reconciliation). Returns the total; *flood the count
 * of flooded ones, which follow the first k. */
static size_t choose_erlay(struct relay *r, const struct relay_rumor *ru, struct tickbuf *tb,
                           size_t k, size_t *flood)
{
    size_t n = k, n_out = 0;
    for (int out = 1; out >= 0; out--) {
        for (uint32_t i = 0; i < r->n_peers; i++) {
            const struct relay_peer *pe = r->peers[i];
            if (pe->props.reconcile && pe->props.outbound == (out == 1) && eligible(r, ru, pe))
                tb->cand[n++] = i;
        }
        if (out)
            n_out = n - k;
    }
    *flood = n_out < r->p->recon_flood ? n_out : r->p->recon_flood;
    partial_shuffle(r, tb->cand + k, n_out, *flood);
    return n;
}

/* Implicit peers: the driver picks, excluding this round's earlier picks. */
static size_t choose_implicit(struct relay *r, const struct relay_rumor *ru, struct tickbuf *tb)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->p->fanout; i++) {
        uint64_t peer;
        if (!r->drv->pick_peer(r->ctx, r, &ru->hash, tb->targets, n, &peer))
            break;
        tb->targets[n++] = peer;
    }
    return n;
}

/* ---- pushing ---- */

static void trickle_arm(struct relay *r, struct relay_peer *pe, int64_t now)
{
    bool out = pe->props.outbound;
    int64_t *timer = out ? &pe->next_trickle : &r->next_inbound_trickle;
    /* A Poisson process is memoryless: a timer that lapsed while the queue
     * was empty restarts from now, as if it had kept ticking. */
    if (*timer < now)
        *timer = now + prng_exp(&r->rng, out ? r->p->trickle_out_us : r->p->trickle_in_us);
}

static bool enqueue(struct relay *r, struct relay_peer *pe, const struct relay_rumor *ru,
                    int64_t now)
{
    const struct hash256 *h = relay_hash_for(ru, pe);
    /* A backlog longer than the known set remembers is pointless (and
     * unbounded under load): beyond it the peer is left to anti-entropy. */
    if (r->p->known_entries && pe->n_queue >= r->p->known_entries)
        return false;
    if (!vec_reserve((void **)&pe->queue, &pe->cap_queue, pe->n_queue, sizeof(*pe->queue), 8))
        return false;
    hashtab_insert(&pe->queued, prng_hash_key(h, r->salt), pe);
    if (pe->n_queue == 0)
        trickle_arm(r, pe, now);
    int64_t due = pe->props.outbound ? pe->next_trickle : r->next_inbound_trickle;
    if (due < r->trickle_due)
        r->trickle_due = due;
    pe->queue[pe->n_queue++] = (struct relay_qitem){
        .inv = {.type = pe->props.wtxidrelay ? RELAY_INV_WTX : RELAY_INV_TX, .hash = *h},
        .ancestors = ru->ancestors,
        .feerate = ru->feerate,
        .seq = ru->seq,
    };
    return true;
}

static bool push_explicit(struct relay *r, struct relay_rumor *ru, struct relay_peer *pe,
                          struct tickbuf *tb, int64_t now)
{
    if (!ru->is_block)
        return enqueue(r, pe, ru, now);
    relay_mark_known(pe, &ru->hash);
    struct direct d = {
        .peer = pe->id,
        .seq = ru->seq,
        .headers = pe->props.sendheaders && r->drv->send_headers,
        .inv = {.type = RELAY_INV_BLOCK, .hash = ru->hash},
    };
    return direct_add(tb, &d);
}

static bool push_implicit(struct relay_rumor *ru, uint64_t peer, struct tickbuf *tb)
{
    struct direct d = {
        .peer = peer,
        .seq = ru->seq,
        .inv = {.type = ru->is_block ? RELAY_INV_BLOCK : RELAY_INV_WTX, .hash = ru->wtxid},
    };
    return direct_add(tb, &d);
}

static void run_round(struct relay *r, struct relay_rumor *ru, struct tickbuf *tb, int64_t now)
{
    size_t pushes = 0;
    if (r->drv->pick_peer) {
        size_t n = choose_implicit(r, ru, tb);
        for (size_t i = 0; i < n; i++) {
            if (push_implicit(ru, tb->targets[i], tb)) {
                record_push(r, ru, tb->targets[i], now, NULL);
                pushes++;
            }
        }
    } else {
        size_t n = choose_explicit(r, ru, tb), pushed = n, flood = 0;
        if (erlay(r, ru)) {
            n = choose_erlay(r, ru, tb, n, &flood);
            pushed += flood;
        }
        for (size_t i = 0; i < pushed; i++) {
            struct relay_peer *pe = r->peers[tb->cand[i]];
            if (push_explicit(r, ru, pe, tb, now)) {
                if (!ru->is_block)
                    record_push(r, ru, pe->id, RELAY_PUSH_QUEUED, NULL);
                pushes++;
            }
        }
        /* The rest learn it at their next reconciliation. */
        for (size_t i = pushed; i < n; i++) {
            struct relay_peer *pe = r->peers[tb->cand[i]];
            relay_mark_known(pe, &ru->wtxid);
            r->drv->recon_add(r->ctx, r, pe->id, &ru->wtxid);
            pushes++;
        }
        if (ru->is_block)
            stop_rumor(ru); /* flooded once, like Bitcoin: see relay.h */
    }
    if (log_accept(LOG_RELAY)) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&ru->hash, hex);
        LOG_DEBUG(LOG_RELAY, "relay: %s round: %zu pushes", hex, pushes);
    }
    after_round(r, ru, pushes, now);
}

/* ---- sending ---- */

/* Sends v[0..n) (one peer's inventory) as inv messages of at most
 * max_inv_sz entries. */
static void send_invs(struct relay *r, uint64_t peer, const struct relay_inv *v, size_t n)
{
    for (size_t off = 0; off < n; off += r->p->max_inv_sz) {
        size_t k = n - off < r->p->max_inv_sz ? n - off : r->p->max_inv_sz;
        r->drv->send_inv(r->ctx, r, peer, v + off, k);
    }
    COUNT(r, relay_peer_counters(r, peer), inv_sent, n);
}

static int direct_cmp(const void *a, const void *b)
{
    const struct direct *x = a, *y = b;
    if (x->peer != y->peer)
        return x->peer < y->peer ? -1 : 1;
    if (x->headers != y->headers)
        return x->headers ? 1 : -1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sends one peer's run of direct announcements, d[0..n) (all headers or
 * all inv). */
static void send_run(struct relay *r, const struct direct *d, size_t n)
{
    uint64_t peer = d[0].peer;
    if (d[0].headers) {
        struct hash256 *h = xmalloc(n * sizeof(*h));
        for (size_t i = 0; i < n; i++)
            h[i] = d[i].inv.hash;
        r->drv->send_headers(r->ctx, r, peer, h, n);
        COUNT(r, relay_peer_counters(r, peer), headers_sent, n);
        free(h);
        return;
    }
    struct relay_inv *v = xmalloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = d[i].inv;
    send_invs(r, peer, v, n);
    free(v);
}

static void flush_direct(struct relay *r, struct tickbuf *tb)
{
    if (tb->n == 0)
        return;
    qsort(tb->d, tb->n, sizeof(*tb->d), direct_cmp);
    for (size_t i = 0; i < tb->n;) {
        size_t j = i + 1;
        while (j < tb->n && tb->d[j].peer == tb->d[i].peer && tb->d[j].headers == tb->d[i].headers)
            j++;
        send_run(r, tb->d + i, j - i);
        i = j;
    }
    tb->n = 0;
}

/* ---- the tick ---- */

/* When a rumor has work next: removal, a verdict falling due, the end of
 * an answer round with all its verdicts, or its next round, which waits
 * for the verdicts on the previous one (pushes still queued wake nothing:
 * relay_push_sent starts their window). */
static int64_t rumor_wake(const struct relay_rumor *ru, int64_t now)
{
    if (ru->stop)
        return now;
    int64_t w = ru->n_pending ? INT64_MAX : ru->next_round;
    for (uint32_t i = 0; i < ru->n_pending; i++) {
        const struct relay_push *pu = &ru->pending[i];
        if (pu->sent != RELAY_PUSH_QUEUED && pu->due + 1 < w)
            w = pu->due + 1;
    }
    for (uint32_t i = 0; i < ru->n_batches; i++)
        if (ru->batches[i].open == 0 && ru->batches[i].ends < w)
            w = ru->batches[i].ends;
    return w;
}

/* Removes stopped rumors, keeping acceptance order; returns the earliest
 * wake of those left. */
static int64_t sweep(struct relay *r, int64_t now)
{
    int64_t wake = INT64_MAX;
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->n_rumors; i++) {
        struct relay_rumor *ru = r->rumors[i];
        if (ru->stop) {
            relay_rumor_release(r, ru);
            continue;
        }
        int64_t w = rumor_wake(ru, now);
        if (w < wake)
            wake = w;
        r->rumors[k++] = ru;
    }
    r->n_rumors = k;
    if (k == 0) {
        free(r->rumors);
        r->rumors = NULL;
        r->cap_rumors = 0;
    }
    return wake;
}

/* Does any explicit peer lack the rumor (not known to have it)? */
static bool someone_lacks(const struct relay *r, const struct relay_rumor *ru)
{
    for (uint32_t i = 0; i < r->n_peers; i++) {
        const struct relay_peer *pe = r->peers[i];
        if (!pe->known || !seenset_contains(pe->known, relay_hash_for(ru, pe)))
            return true;
    }
    return false;
}

/* A puller known to have the rumor: the papers' answer would have told it
 * nothing new, a useless contact (nothing is sent); and a rumor every
 * peer is known to have has nobody left to tell. */
static void known_puller(struct relay *r, struct relay_rumor *ru, int64_t now)
{
    if (wants_feedback(r)) {
        struct relay_batch *b = batch_current(r, ru, now);
        if (b)
            b->useless = true;
        else
            judge(r, ru, false);
    }
    if (!someone_lacks(r, ru))
        stop_rumor(ru);
}

/* Answers one puller with the rumor, unless it is known to have it. */
static void answer_pull(struct relay *r, struct relay_rumor *ru, uint64_t peer,
                        struct relay_peer *pe, struct tickbuf *tb, int64_t now)
{
    if (pe && pe->known && seenset_contains(pe->known, relay_hash_for(ru, pe))) {
        known_puller(r, ru, now);
        return;
    }
    if (pe && !eligible(r, ru, pe))
        return; /* queued for it already, or under its fee filter */
    struct direct d = {.peer = peer, .seq = ru->seq};
    d.inv.type = ru->is_block ? RELAY_INV_BLOCK
                 : !pe || pe->props.wtxidrelay ? RELAY_INV_WTX : RELAY_INV_TX;
    d.inv.hash = pe ? *relay_hash_for(ru, pe) : ru->wtxid;
    if (!direct_add(tb, &d))
        return;
    if (pe)
        relay_mark_known(pe, &d.inv.hash);
    record_push(r, ru, peer, now, wants_feedback(r) ? batch_current(r, ru, now) : NULL);
    apply_blind(r, ru, 1);
}

/* Answers the pulls received since the last tick: each infective rumor
 * the asker is not known to have, sent at once; the answers of one pull
 * interval are one contact for the stop rule. */
static void answer_pulls(struct relay *r, struct tickbuf *tb, int64_t now)
{
    for (uint32_t i = 0; i < r->n_pullers; i++) {
        uint64_t peer = r->pullers[i];
        struct relay_peer *pe = relay_peer_find(r, peer);
        for (uint32_t j = 0; j < r->n_rumors; j++)
            if (!r->rumors[j]->stop)
                answer_pull(r, r->rumors[j], peer, pe, tb, now);
    }
    r->n_pullers = 0;
    free(r->pullers);
    r->pullers = NULL;
    r->cap_pullers = 0;
}

void relay_ask_tick(struct relay *r, int64_t now)
{
    if (r->p->pull_interval_us <= 0 || r->next_pull > now)
        return;
    r->next_pull = now + r->p->pull_interval_us;
    uint64_t peer;
    if (r->drv->pick_peer) {
        static const struct hash256 none;
        if (!r->drv->pick_peer(r->ctx, r, &none, NULL, 0, &peer))
            return;
    } else if (r->n_peers > 0) {
        peer = r->peers[prng_below(&r->rng, r->n_peers)]->id;
    } else {
        return;
    }
    COUNT(r, relay_peer_counters(r, peer), pulls_sent, 1);
    r->drv->send_pull(r->ctx, r, peer);
}

void relay_push_tick(struct relay *r, int64_t now)
{
    if (r->n_pullers == 0 && (r->n_rumors == 0 || r->wake_rumors > now))
        return;
    struct tickbuf tb = {0};
    size_t need = r->drv->pick_peer ? r->p->fanout : r->n_peers;
    if (!grow_targets(&tb, need ? need : 1))
        return;
    /* Verdicts first, so a rumor that has just lost interest does not push. */
    for (uint32_t i = 0; i < r->n_rumors; i++)
        settle_due(r, r->rumors[i], now);
    for (uint32_t i = 0; i < r->n_rumors; i++) {
        struct relay_rumor *ru = r->rumors[i];
        if (!ru->stop && ru->n_pending == 0 && ru->next_round <= now)
            run_round(r, ru, &tb, now);
    }
    answer_pulls(r, &tb, now);
    flush_direct(r, &tb);
    r->wake_rumors = sweep(r, now);
    free(tb.d);
    free(tb.targets);
    free(tb.cand);
}

/* ---- the trickle ---- */

static int qitem_cmp(const void *a, const void *b)
{
    const struct relay_qitem *x = a, *y = b;
    /* Parents before children: a child has more in-mempool ancestors. */
    if (x->ancestors != y->ancestors)
        return x->ancestors < y->ancestors ? -1 : 1;
    if (x->feerate != y->feerate)
        return x->feerate > y->feerate ? -1 : 1; /* then the best paying */
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sends up to max_per_trickle of the peer's queue, best first, skipping
 * what the peer has announced to us meanwhile, no longer pays its fee
 * filter, or the node no longer has (Core's SendMessages: mined, replaced
 * or evicted meanwhile, the peer would only get notfound for it). */
static void flush_queue(struct relay *r, struct relay_peer *pe, int64_t now)
{
    qsort(pe->queue, pe->n_queue, sizeof(*pe->queue), qitem_cmp);
    size_t cap = r->p->max_per_trickle ? r->p->max_per_trickle : pe->n_queue;
    struct relay_inv *v = xmalloc((cap < pe->n_queue ? cap : pe->n_queue) * sizeof(*v));
    size_t i = 0, k = 0;
    for (; i < pe->n_queue && k < cap; i++) {
        const struct relay_qitem *q = &pe->queue[i];
        hashtab_remove(&pe->queued, prng_hash_key(&q->inv.hash, r->salt), NULL, NULL);
        struct relay_rumor *ru = relay_rumor_find(r, &q->inv.hash);
        if ((pe->known && seenset_contains(pe->known, &q->inv.hash)) ||
            q->feerate < pe->props.feefilter ||
            (r->drv->pooled && !r->drv->pooled(r->ctx, r, &q->inv))) {
            if (ru) /* the peer has it, will not take it, or we lost it */
                relay_push_verdict(r, ru, pe->id, false, now);
            continue;
        }
        relay_mark_known(pe, &q->inv.hash);
        if (ru)
            relay_push_sent(r, ru, pe->id, now);
        v[k++] = q->inv;
    }
    if (k > 0)
        send_invs(r, pe->id, v, k);
    free(v);
    pe->n_queue -= (uint32_t)i;
    memmove(pe->queue, pe->queue + i, pe->n_queue * sizeof(*pe->queue));
    if (pe->n_queue == 0) {
        free(pe->queue);
        pe->queue = NULL;
        pe->cap_queue = 0;
    }
}

/* The earliest trickle time of a running timer: a queue's, or with a
 * driver that follows trickles (trickled) an idle peer's too, as Core's
 * runs on; an idle timer of mean 0 fires at every tick (every_tick)
 * rather than ask for a wakeup of its own. */
static int64_t trickle_scan(struct relay *r)
{
    int64_t next = INT64_MAX;
    r->trickle_every_tick = false;
    for (uint32_t i = 0; i < r->n_peers; i++) {
        const struct relay_peer *pe = r->peers[i];
        if (pe->n_queue == 0) {
            if (!r->drv->trickled)
                continue;
            if ((pe->props.outbound ? r->p->trickle_out_us : r->p->trickle_in_us) == 0) {
                r->trickle_every_tick = true;
                continue;
            }
        }
        int64_t t = pe->props.outbound ? pe->next_trickle : r->next_inbound_trickle;
        if (t < next)
            next = t;
    }
    return next;
}

/* Flushes the queues whose timer is due. A driver that follows trickles
 * hears of each peer whose timer fired, queue empty or not: Core takes
 * the mempool sequence that getdata serving goes by at every trickle. */
void relay_trickle_tick(struct relay *r, int64_t now)
{
    if (r->trickle_due > now && !r->trickle_every_tick)
        return;
    bool follow = r->drv->trickled != NULL;
    bool inbound_due = r->next_inbound_trickle <= now, inbound_fired = false;
    for (uint32_t i = 0; i < r->n_peers; i++) {
        struct relay_peer *pe = r->peers[i];
        if (pe->n_queue == 0 && !follow)
            continue;
        if (pe->props.outbound ? pe->next_trickle > now : !inbound_due)
            continue;
        if (pe->n_queue > 0)
            flush_queue(r, pe, now);
        if (pe->props.outbound)
            pe->next_trickle = now + prng_exp(&r->rng, r->p->trickle_out_us);
        else
            inbound_fired = true;
        if (follow)
            r->drv->trickled(r->ctx, r, pe->id);
    }
    if (inbound_fired)
        r->next_inbound_trickle = now + prng_exp(&r->rng, r->p->trickle_in_us);
    r->trickle_due = trickle_scan(r);
}

int64_t relay_trickle_next(const struct relay *r)
{
    return r->trickle_due;
}

void relay_trickle_dirty(struct relay *r)
{
    r->trickle_due = INT64_MIN;
}
