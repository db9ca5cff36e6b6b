/* The relay core: state, events, introspection. Rounds, fanout, trickle
 * and feedback are in relay_push.c. See relay.h for the model. */
#include "net/relay/relay.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "net/relay/prng.h"
#include "net/relay/relay_impl.h"
#include "net/relay/vec.h"
#include "chain/util/xmalloc.h"

/* ---- policy ---- */

void relay_policy_default(struct relay_policy *p)
{
    *p = (struct relay_policy){
        .fanout = 0,
        .stop = RELAY_STOP_ONCE,
        .stop_k = 1,
        .feedback = true,
        .round_interval_us = 0,
        .feedback_window_us = 2500000,
        .feedback_window_min_us = 100000,
        .trickle_in_us = 5000000,
        .trickle_out_us = 2000000,
        .max_per_trickle = RELAY_MAX_PER_TRICKLE,
        .max_inv_sz = RELAY_MAX_INV_SZ,
        .known_entries = 50000,
        .known_fp = 0.000001,
        .recent_entries = 120000,
        .recent_fp = 0.000001,
        .req_delay_us = 2000000,
        .req_txid_delay_us = 2000000,
        .req_timeout_us = 60000000,
        .max_in_flight = 100,
        .req_overload_delay_us = 2000000,
        .max_announced = 5000,
    };
}

void relay_policy_set_fanout(struct relay_policy *p, uint32_t fanout)
{
    p->fanout = fanout;
    /* Flooding, every neighbour that has it announces it, outbound ones
     * among them: waiting for those is cheap and keeps inbound peers from
     * steering our requests. With a fanout, pushes go to the pusher's
     * outbound peers first, so a rumor mostly arrives from a peer that is
     * inbound for us, and no preferred announcer is coming: the delay
     * would cost a hop's worth of time at every hop. */
    p->req_delay_us = fanout > 0 ? 0 : 2000000;
}

void relay_policy_set_recon(struct relay_policy *p, uint32_t flood)
{
    relay_policy_set_fanout(p, 0);
    p->txrecon = true;
    p->recon_flood = flood;
    if (flood > 0)
        p->req_delay_us = 0;
}

int relay_policy_parse_stop(struct relay_policy *p, const char *s, char **err)
{
    if (strcmp(s, "once") == 0) {
        p->stop = RELAY_STOP_ONCE;
        p->stop_k = 1;
        return 0;
    }
    enum relay_stop stop;
    const char *k;
    if (strncmp(s, "counter:", 8) == 0) {
        stop = RELAY_STOP_COUNTER;
        k = s + 8;
    } else if (strncmp(s, "coin:", 5) == 0) {
        stop = RELAY_STOP_COIN;
        k = s + 5;
    } else {
        return err_set(err, "unknown gossip stop rule '%s' (once, counter:K, coin:K)", s);
    }
    char *end;
    unsigned long v = strtoul(k, &end, 10);
    if (*k < '0' || *k > '9' || *end || v < 1 || v > 1000000)
        return err_set(err, "bad K in gossip stop rule '%s' (1 to 1000000)", s);
    p->stop = stop;
    p->stop_k = (uint32_t)v;
    return 0;
}

int relay_policy_check(const struct relay_policy *p, char **err)
{
    if (p->stop != RELAY_STOP_ONCE && p->stop != RELAY_STOP_COUNTER && p->stop != RELAY_STOP_COIN)
        return err_set(err, "unknown stop rule %d", (int)p->stop);
    if (p->fanout > 1000000)
        return err_set(err, "fanout above 1,000,000");
    if (p->stop != RELAY_STOP_ONCE && p->stop_k < 1)
        return err_set(err, "stop rule K must be at least 1");
    if (p->round_interval_us < 0 || p->feedback_window_us < 0 ||
        p->feedback_window_min_us < 0 || p->trickle_in_us < 0 ||
        p->trickle_out_us < 0 || p->req_delay_us < 0 || p->req_txid_delay_us < 0 ||
        p->req_overload_delay_us < 0 || p->pull_interval_us < 0)
        return err_set(err, "negative interval in relay policy");
    if (p->req_timeout_us <= 0)
        return err_set(err, "request timeout must be positive");
    if (p->max_inv_sz < 1 || p->max_inv_sz > RELAY_MAX_INV_SZ)
        return err_set(err, "max_inv_sz must be 1 to %d", RELAY_MAX_INV_SZ);
    if (p->recent_entries < 1 || !(p->recent_fp >= 0 && p->recent_fp < 1) ||
        !(p->known_fp >= 0 && p->known_fp < 1))
        return err_set(err, "bad seen-set size or false-positive rate");
    if (p->max_in_flight < 1 || p->max_announced < 1)
        return err_set(err, "request tracker caps must be at least 1");
    return 0;
}

void relay_policy_stop_str(const struct relay_policy *p, char *buf, size_t len)
{
    const char *blind = p->feedback ? "" : "/blind";
    if (p->stop == RELAY_STOP_ONCE)
        snprintf(buf, len, "once");
    else
        snprintf(buf, len, "%s:%u%s", p->stop == RELAY_STOP_COUNTER ? "counter" : "coin",
                 p->stop_k, blind);
}

/* ---- lifecycle ---- */

struct relay *relay_new(const struct relay_policy *policy, const struct relay_driver *driver,
                        void *ctx, uint64_t self, uint64_t seed, char **err)
{
    if (relay_policy_check(policy, err) < 0)
        return NULL;
    if (!driver || !driver->send_inv || !driver->send_getdata) {
        err_set(err, "relay driver needs send_inv and send_getdata");
        return NULL;
    }
    if (driver->pick_peer && policy->fanout == 0) {
        err_set(err, "implicit peers (pick_peer) need a fanout above 0");
        return NULL;
    }
    if (policy->pull_interval_us > 0 && !driver->send_pull) {
        err_set(err, "pull gossip needs the driver's send_pull");
        return NULL;
    }
    struct relay *r = xcalloc(1, sizeof(*r));
    r->p = policy;
    r->drv = driver;
    r->ctx = ctx;
    r->self = self;
    r->rng = seed;
    r->salt = prng_next(&r->rng);
    r->next_inbound_trickle = INT64_MIN;
    r->trickle_due = INT64_MAX;
    r->next_pull = INT64_MIN; /* the first tick asks */
    r->wake_rumors = INT64_MAX;
    return r;
}

static void peer_free(struct relay_peer *pe)
{
    hashtab_clear(&pe->queued);
    seenset_free(pe->known);
    free(pe->queue);
    free(pe);
}

static void rumor_free(struct relay_rumor *ru)
{
    free(ru->pending);
    free(ru->batches);
    free(ru);
}

void relay_free(struct relay *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n_rumors; i++)
        rumor_free(r->rumors[i]);
    free(r->rumors);
    hashtab_clear(&r->rumor_idx);
    for (uint32_t i = 0; i < r->n_peers; i++)
        peer_free(r->peers[i]);
    free(r->peers);
    hashtab_clear(&r->peer_idx);
    seenset_free(r->recent);
    seenset_free(r->rejects);
    seenset_free(r->reconsider);
    txreq_free(r->txreq);
    free(r->pullers);
    free(r);
}

uint64_t relay_self(const struct relay *r)
{
    return r->self;
}

const struct relay_policy *relay_policy(const struct relay *r)
{
    return r->p;
}

uint64_t relay_rand(struct relay *r)
{
    return prng_next(&r->rng);
}

/* ---- peers ---- */

static bool peer_match(const void *item, const void *arg)
{
    return ((const struct relay_peer *)item)->id == *(const uint64_t *)arg;
}

struct relay_peer *relay_peer_find(const struct relay *r, uint64_t id)
{
    return hashtab_find(&r->peer_idx, id, peer_match, &id);
}

struct relay_counters *relay_peer_counters(struct relay *r, uint64_t peer)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    return pe ? &pe->c : NULL;
}

int relay_peer_add(struct relay *r, uint64_t peer, const struct relay_peer_props *props,
                   int64_t now)
{
    if (relay_peer_find(r, peer))
        return -1;
    if (!vec_reserve((void **)&r->peers, &r->cap_peers, r->n_peers, sizeof(*r->peers), 8))
        return -1;
    struct relay_peer *pe = xcalloc(1, sizeof(*pe));
    pe->id = peer;
    pe->props = *props;
    pe->next_trickle = INT64_MIN;
    pe->resp_us = -1;
    if (r->p->known_entries > 0) {
        pe->known = seenset_new(r->p->known_entries, r->p->known_fp, prng_next(&r->rng));
        if (!pe->known) {
            free(pe);
            return -1;
        }
    }
    hashtab_insert(&r->peer_idx, peer, pe);
    r->peers[r->n_peers++] = pe;
    r->n_wtxid_peers += props->wtxidrelay;
    if (r->drv->trickled)
        relay_trickle_dirty(r); /* its timer fires at the next tick */
    LOG_DEBUG(LOG_RELAY, "relay: peer %llu added (%s)", (unsigned long long)peer,
              props->outbound ? "outbound" : "inbound");
    (void)now;
    return 0;
}

/* Pushes to a departed peer will never be answered: forget them rather
 * than count them useless. */
static void drop_pending_pushes(struct relay *r, uint64_t peer)
{
    for (uint32_t i = 0; i < r->n_rumors; i++)
        relay_push_forget(r->rumors[i], peer);
}

void relay_peer_remove(struct relay *r, uint64_t peer, int64_t now)
{
    struct relay_peer *pe = hashtab_remove(&r->peer_idx, peer, peer_match, &peer);
    if (r->txreq)
        txreq_peer_gone(r->txreq, peer, now);
    drop_pending_pushes(r, peer);
    if (!pe)
        return;
    for (uint32_t i = 0; i < r->n_peers; i++) {
        if (r->peers[i] == pe) {
            /* Keep the order: fanout draws depend on it, for reproducibility. */
            memmove(&r->peers[i], &r->peers[i + 1], (r->n_peers - i - 1) * sizeof(pe));
            r->n_peers--;
            break;
        }
    }
    r->n_wtxid_peers -= pe->props.wtxidrelay;
    peer_free(pe);
}

int relay_peer_set_props(struct relay *r, uint64_t peer, const struct relay_peer_props *props)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    if (!pe)
        return -1;
    r->n_wtxid_peers += (uint32_t)props->wtxidrelay - (uint32_t)pe->props.wtxidrelay;
    pe->props = *props;
    if (pe->n_queue > 0)
        relay_trickle_dirty(r); /* its queue may follow another timer now */
    return 0;
}

size_t relay_peer_count(const struct relay *r)
{
    return r->n_peers;
}

void relay_mark_known(struct relay_peer *pe, const struct hash256 *h)
{
    if (pe->known)
        seenset_insert(pe->known, h);
}

void relay_peer_note_known(struct relay *r, uint64_t peer, const struct hash256 *hash)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    if (pe)
        relay_mark_known(pe, hash);
}

bool relay_peer_knows(const struct relay *r, uint64_t peer, const struct hash256 *hash)
{
    const struct relay_peer *pe = relay_peer_find(r, peer);
    return pe && pe->known && seenset_contains(pe->known, hash);
}

/* ---- rumors ---- */

static bool rumor_match(const void *item, const void *arg)
{
    const struct relay_rumor *ru = item;
    return hash_eq(&ru->hash, arg) || hash_eq(&ru->wtxid, arg);
}

struct relay_rumor *relay_rumor_find(const struct relay *r, const struct hash256 *h)
{
    return hashtab_find(&r->rumor_idx, prng_hash_key(h, r->salt), rumor_match, h);
}

const struct hash256 *relay_hash_for(const struct relay_rumor *ru, const struct relay_peer *pe)
{
    return pe && pe->props.wtxidrelay ? &ru->wtxid : &ru->hash;
}

static int rumor_add(struct relay *r, struct relay_rumor *ru)
{
    if (!vec_reserve((void **)&r->rumors, &r->cap_rumors, r->n_rumors, sizeof(*r->rumors), 4))
        return -1;
    hashtab_insert(&r->rumor_idx, prng_hash_key(&ru->hash, r->salt), ru);
    if (!hash_eq(&ru->hash, &ru->wtxid))
        hashtab_insert(&r->rumor_idx, prng_hash_key(&ru->wtxid, r->salt), ru);
    r->rumors[r->n_rumors++] = ru;
    r->rumors_started++;
    if (ru->next_round < r->wake_rumors)
        r->wake_rumors = ru->next_round;
    return 0;
}

void relay_rumor_release(struct relay *r, struct relay_rumor *ru)
{
    hashtab_remove(&r->rumor_idx, prng_hash_key(&ru->hash, r->salt), rumor_match, &ru->hash);
    if (!hash_eq(&ru->hash, &ru->wtxid))
        hashtab_remove(&r->rumor_idx, prng_hash_key(&ru->wtxid, r->salt), rumor_match,
                       &ru->wtxid);
    r->rumors_removed++;
    if (log_accept(LOG_RELAY)) {
        char hex[HASH_HEX_LEN + 1];
        hash_to_hex(&ru->hash, hex);
        LOG_DEBUG(LOG_RELAY, "relay: %s removed (useless count %u)", hex, ru->useless);
    }
    if (r->drv->rumor_removed)
        r->drv->rumor_removed(r->ctx, r, &ru->hash);
    rumor_free(ru);
}

/* ---- events ---- */

/* Seen-sets and the tracker are allocated on first use: a simulated node
 * that never hears anything costs only its struct. */
static struct seenset *lazy_set(struct relay *r, struct seenset **s)
{
    if (!*s)
        *s = seenset_new(r->p->recent_entries, r->p->recent_fp, prng_next(&r->rng));
    return *s;
}

static struct txreq *lazy_txreq(struct relay *r)
{
    if (!r->txreq) {
        struct txreq_params tp = {
            .timeout_us = r->p->req_timeout_us,
            .max_announced = r->p->max_announced,
        };
        r->txreq = txreq_new(&tp, prng_next(&r->rng));
    }
    return r->txreq;
}

/* Accepted (or still being spread): never announce or request it again. */
static bool seen_accepted(const struct relay *r, const struct hash256 *h)
{
    return (r->recent && seenset_contains(r->recent, h)) || relay_rumor_find(r, h);
}

/* Accepted or rejected: never asked for again. The reconsiderable are
 * left out: the node may still ask for one as the missing parent of an
 * orphan that may pay for it (relay_want_tx). */
static bool seen_or_rejected(const struct relay *r, const struct hash256 *h)
{
    return seen_accepted(r, h) || relay_is_rejected(r, h);
}

/* What an announcement of is ignored: those, and the reconsiderable. */
static bool seen(const struct relay *r, const struct hash256 *h)
{
    return seen_or_rejected(r, h) || relay_is_reconsiderable(r, h);
}

bool relay_has_seen(const struct relay *r, const struct hash256 *hash)
{
    return seen(r, hash);
}

/* Hands a transaction we lack to the request tracker. */
static enum relay_ann_result track(struct relay *r, const struct relay_peer *pe, uint64_t peer,
                                   const struct hash256 *hash, bool is_wtx, bool solicited,
                                   int64_t now)
{
    struct txreq *t = lazy_txreq(r);
    if (!t)
        return RELAY_ANN_DROPPED;
    bool preferred = pe ? pe->props.outbound : true;
    /* Bitcoin Core's delays: non-preferred peers wait, and so do txid
     * announcements while a BIP339 peer may announce the wtxid. The first
     * exists so that preferred peers announce first when an inbound peer
     * races them (Core's TxRequestTracker rationale); an answer to our own
     * reconciliation round is no race: we asked for it, it is bounded by
     * the set size the peer declared for the round, and it stays
     * non-preferred, so a preferred announcer still goes first. */
    int64_t reqtime = now;
    if (!preferred && !solicited)
        reqtime += r->p->req_delay_us;
    if (!is_wtx && r->n_wtxid_peers > 0)
        reqtime += r->p->req_txid_delay_us;
    /* Core's overloaded peer: it may be slow or stalling us on purpose,
     * so others that announce the hash meanwhile are asked first. */
    if (txreq_in_flight(t, peer) >= r->p->max_in_flight)
        reqtime += r->p->req_overload_delay_us;
    switch (txreq_received_inv(t, peer, hash, is_wtx, preferred, reqtime)) {
    case TXREQ_ADDED:
        return RELAY_ANN_NEW;
    case TXREQ_DUPLICATE:
        return RELAY_ANN_KNOWN;
    case TXREQ_OVER_CAP:
    case TXREQ_NOMEM:
        break;
    }
    return RELAY_ANN_DROPPED;
}

static enum relay_ann_result on_inv(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                                    bool solicited, int64_t now)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    struct relay_counters *pc = pe ? &pe->c : NULL;
    bool is_block = inv->type == RELAY_INV_BLOCK;
    bool is_wtx = inv->type == RELAY_INV_WTX;
    if (!is_block && !is_wtx && inv->type != RELAY_INV_TX)
        return RELAY_ANN_DROPPED;
    /* BIP339: only a wtxidrelay peer announces by wtxid. A txid from one
     * is tracked, as Core tracks its MSG_WITNESS_TX (the driver drops its
     * MSG_TX). */
    if (pe && is_wtx && !pe->props.wtxidrelay)
        return RELAY_ANN_DROPPED;
    COUNT(r, pc, inv_received, 1);
    if (pe)
        relay_mark_known(pe, &inv->hash);
    struct relay_rumor *ru = relay_rumor_find(r, &inv->hash);
    if (ru)
        relay_push_verdict(r, ru, peer, false, now);
    if (seen(r, &inv->hash) || (r->drv->have && r->drv->have(r->ctx, r, inv))) {
        COUNT(r, pc, inv_dup, 1);
        return RELAY_ANN_KNOWN;
    }
    if (is_block)
        return RELAY_ANN_BLOCK;
    return track(r, pe, peer, &inv->hash, is_wtx, solicited, now);
}

enum relay_ann_result relay_on_inv(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                                   int64_t now)
{
    return on_inv(r, peer, inv, false, now);
}

enum relay_ann_result relay_on_answer(struct relay *r, uint64_t peer,
                                      const struct relay_inv *inv, int64_t now)
{
    return on_inv(r, peer, inv, inv->type != RELAY_INV_BLOCK, now);
}

enum relay_ann_result relay_want_tx(struct relay *r, uint64_t peer, const struct hash256 *txid,
                                    int64_t now)
{
    struct relay_inv inv = {RELAY_INV_TX, *txid};
    if (seen_or_rejected(r, txid) || (r->drv->have && r->drv->have(r->ctx, r, &inv)))
        return RELAY_ANN_KNOWN;
    return track(r, relay_peer_find(r, peer), peer, txid, false, false, now);
}

size_t relay_peer_room(const struct relay *r, uint64_t peer)
{
    size_t used = r->txreq ? txreq_count(r->txreq, peer) : 0;
    return used < r->p->max_announced ? r->p->max_announced - used : 0;
}

size_t relay_announcers(const struct relay *r, const struct hash256 *hash, uint64_t *out,
                        size_t max)
{
    return r->txreq ? txreq_announcers(r->txreq, hash, out, max) : 0;
}

/* The payload is here: nobody needs to be asked for it any more, and the
 * peer that sent it knows it. Returns that peer if explicit. */
static struct relay_peer *payload_done(struct relay *r, bool from_peer, uint64_t peer,
                                       const struct relay_tx_info *tx, int64_t now)
{
    if (r->txreq) {
        txreq_forget(r->txreq, &tx->txid);
        txreq_forget(r->txreq, &tx->wtxid);
    }
    struct relay_peer *pe = from_peer ? relay_peer_find(r, peer) : NULL;
    if (pe) {
        relay_mark_known(pe, &tx->txid);
        relay_mark_known(pe, &tx->wtxid);
    }
    return pe;
}

static struct relay_rumor *rumor_new(struct relay *r, const struct hash256 *hash,
                                     const struct hash256 *wtxid, int64_t now)
{
    struct relay_rumor *ru = xcalloc(1, sizeof(*ru));
    ru->hash = *hash;
    ru->wtxid = *wtxid;
    ru->seq = r->seq++;
    ru->accepted = now;
    /* Strictly after acceptance: a node infected during a round starts
     * spreading in the next one (the papers' synchronous cycles). Pure
     * pull has no rounds: the rumor spreads only in answers. */
    ru->next_round = r->p->pull_only ? INT64_MAX : now + 1;
    return ru;
}

/* Makes the transaction an infective rumor (and remembers it as seen). */
static bool tx_rumor_start(struct relay *r, const struct relay_tx_info *tx, int64_t now)
{
    struct seenset *recent = lazy_set(r, &r->recent);
    if (recent) {
        seenset_insert(recent, &tx->txid);
        if (!hash_eq(&tx->txid, &tx->wtxid))
            seenset_insert(recent, &tx->wtxid);
    }
    struct relay_rumor *ru = rumor_new(r, &tx->txid, &tx->wtxid, now);
    if (!ru)
        return false;
    ru->ancestors = tx->ancestors;
    ru->feerate = tx->feerate;
    if (rumor_add(r, ru) < 0) {
        rumor_free(ru);
        return false;
    }
    return true;
}

bool relay_on_tx_accepted(struct relay *r, bool from_peer, uint64_t peer,
                          const struct relay_tx_info *tx, int64_t now)
{
    struct relay_peer *pe = payload_done(r, from_peer, peer, tx, now);
    if (seen_accepted(r, &tx->txid) || seen_accepted(r, &tx->wtxid)) {
        COUNT(r, pe ? &pe->c : NULL, dup_payload, 1);
        return false;
    }
    return tx_rumor_start(r, tx, now);
}

bool relay_on_tx_readded(struct relay *r, const struct relay_tx_info *tx, int64_t now)
{
    /* Seen long ago, so the seen-set check of a new payload does not
     * apply; only a rumor still infective is left alone. */
    if (relay_rumor_find(r, &tx->txid) || relay_rumor_find(r, &tx->wtxid))
        return false;
    return tx_rumor_start(r, tx, now);
}

void relay_on_tx_rejected(struct relay *r, bool from_peer, uint64_t peer,
                          const struct relay_tx_info *tx, int64_t now)
{
    payload_done(r, from_peer, peer, tx, now);
    /* Like Bitcoin Core: the wtxid always; the txid only without witness,
     * since a mangled witness must not get the real transaction refused. */
    relay_reject_add(r, &tx->wtxid);
    if (hash_eq(&tx->txid, &tx->wtxid))
        relay_reject_add(r, &tx->txid);
}

bool relay_is_rejected(const struct relay *r, const struct hash256 *hash)
{
    return r->rejects && seenset_contains(r->rejects, hash);
}

void relay_reject_add(struct relay *r, const struct hash256 *hash)
{
    struct seenset *rej = lazy_set(r, &r->rejects);
    if (rej)
        seenset_insert(rej, hash);
}

void relay_on_tx_reconsiderable(struct relay *r, bool from_peer, uint64_t peer,
                                const struct relay_tx_info *tx, int64_t now)
{
    payload_done(r, from_peer, peer, tx, now);
    relay_reconsiderable_add(r, &tx->wtxid);
}

void relay_reconsiderable_add(struct relay *r, const struct hash256 *hash)
{
    struct seenset *s = lazy_set(r, &r->reconsider);
    if (s)
        seenset_insert(s, hash);
}

bool relay_is_reconsiderable(const struct relay *r, const struct hash256 *hash)
{
    return r->reconsider && seenset_contains(r->reconsider, hash);
}

bool relay_on_block_accepted(struct relay *r, bool from_peer, uint64_t peer,
                             const struct hash256 *hash, int64_t now)
{
    struct relay_peer *pe = from_peer ? relay_peer_find(r, peer) : NULL;
    if (pe)
        relay_mark_known(pe, hash);
    if (seen_accepted(r, hash)) {
        COUNT(r, pe ? &pe->c : NULL, dup_payload, 1);
        return false;
    }
    struct seenset *recent = lazy_set(r, &r->recent);
    if (recent)
        seenset_insert(recent, hash);
    struct relay_rumor *ru = rumor_new(r, hash, hash, now);
    if (!ru)
        return false;
    ru->is_block = true;
    if (rumor_add(r, ru) < 0) {
        rumor_free(ru);
        return false;
    }
    return true;
}

void relay_on_notfound(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                       int64_t now)
{
    COUNT(r, relay_peer_counters(r, peer), notfound, 1);
    if (r->txreq)
        txreq_received_response(r->txreq, peer, &inv->hash, now);
}

void relay_on_getdata(struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      int64_t now)
{
    struct relay_peer *pe = relay_peer_find(r, peer);
    COUNT(r, pe ? &pe->c : NULL, getdata_received, 1);
    if (pe) /* it will have it once served: never announce it there */
        relay_mark_known(pe, &inv->hash);
    struct relay_rumor *ru = relay_rumor_find(r, &inv->hash);
    if (ru)
        relay_push_verdict(r, ru, peer, true, now);
}

/* Most pullers a node keeps waiting for an answer (a bound on what a
 * peer flooding pulls can make it hold; one tick answers them all). */
#define RELAY_MAX_PULLERS 4096

void relay_on_pull(struct relay *r, uint64_t peer, int64_t now)
{
    COUNT(r, relay_peer_counters(r, peer), pulls_received, 1);
    if (r->n_rumors == 0 || r->n_pullers >= RELAY_MAX_PULLERS)
        return; /* no news: nothing to answer */
    for (uint32_t i = 0; i < r->n_pullers; i++)
        if (r->pullers[i] == peer)
            return;
    if (!vec_reserve((void **)&r->pullers, &r->cap_pullers, r->n_pullers, sizeof(*r->pullers), 4))
        return;
    if (r->n_pullers == 0)
        r->pull_due = now;
    r->pullers[r->n_pullers++] = peer;
}

void relay_on_new_tip(struct relay *r)
{
    if (r->rejects)
        seenset_reset(r->rejects);
    if (r->reconsider)
        seenset_reset(r->reconsider);
}

/* ---- the tick ---- */

struct reqbuf {
    struct relay *r;
    struct txreq_request *v;
    uint32_t n, cap;
};

static void on_request(void *ctx, const struct txreq_request *req)
{
    struct reqbuf *rb = ctx;
    if (!vec_reserve((void **)&rb->v, &rb->cap, rb->n, sizeof(*rb->v), 16))
        return; /* the request expires unsent and moves on */
    rb->v[rb->n++] = *req;
}

static void on_expired(void *ctx, uint64_t peer, const struct hash256 *hash)
{
    struct reqbuf *rb = ctx;
    COUNT(rb->r, relay_peer_counters(rb->r, peer), timeouts, 1);
    (void)hash;
}

static int request_cmp(const void *a, const void *b)
{
    const struct txreq_request *x = a, *y = b;
    if (x->peer != y->peer)
        return x->peer < y->peer ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq; /* announcement order */
}

/* Sends the tracker's due requests, per peer, in getdata messages of at
 * most MAX_GETDATA_SZ entries; what the node has meanwhile (confirmed,
 * say) is forgotten instead, as Core's GetRequestsToSend. */
static void request_tick(struct relay *r, int64_t now)
{
    if (!r->txreq || txreq_next_time(r->txreq) > now)
        return;
    struct reqbuf rb = {.r = r};
    txreq_poll(r->txreq, now, on_request, on_expired, &rb);
    if (rb.n == 0)
        return;
    qsort(rb.v, rb.n, sizeof(*rb.v), request_cmp);
    struct relay_inv batch[RELAY_MAX_GETDATA_SZ];
    for (size_t i = 0; i < rb.n;) {
        uint64_t peer = rb.v[i].peer;
        size_t k = 0;
        for (; i < rb.n && rb.v[i].peer == peer && k < RELAY_MAX_GETDATA_SZ; i++) {
            struct relay_inv inv = {.type = rb.v[i].is_wtxid ? RELAY_INV_WTX : RELAY_INV_TX,
                                    .hash = rb.v[i].hash};
            if (r->drv->have && r->drv->have(r->ctx, r, &inv))
                txreq_forget(r->txreq, &inv.hash);
            else
                batch[k++] = inv;
        }
        if (k == 0)
            continue;
        r->drv->send_getdata(r->ctx, r, peer, batch, k);
        COUNT(r, relay_peer_counters(r, peer), requests, k);
    }
    free(rb.v);
}

void relay_tick(struct relay *r, int64_t now)
{
    relay_push_tick(r, now);
    relay_trickle_tick(r, now);
    request_tick(r, now);
    relay_ask_tick(r, now);
    if (r->txreq && txreq_size(r->txreq) == 0) {
        /* Idle again: a simulated node goes back to its bare struct. */
        txreq_free(r->txreq);
        r->txreq = NULL;
    }
}

int64_t relay_next_wakeup(const struct relay *r)
{
    int64_t next = r->n_rumors ? r->wake_rumors : INT64_MAX;
    int64_t t = relay_trickle_next(r);
    if (t < next)
        next = t;
    if (r->txreq && (t = txreq_next_time(r->txreq)) < next)
        next = t;
    if (r->n_pullers > 0 && r->pull_due < next)
        next = r->pull_due;
    if (r->p->pull_interval_us > 0 && r->next_pull < next)
        next = r->next_pull;
    return next;
}

/* ---- introspection ---- */

static size_t rumors_memory(const struct relay *r)
{
    size_t m = r->cap_rumors * sizeof(*r->rumors) + hashtab_memory(&r->rumor_idx);
    for (uint32_t i = 0; i < r->n_rumors; i++)
        m += sizeof(struct relay_rumor) + r->rumors[i]->cap_pending * sizeof(struct relay_push) +
             r->rumors[i]->cap_batches * sizeof(struct relay_batch);
    return m;
}

void relay_get_info(const struct relay *r, struct relay_info *out)
{
    memset(out, 0, sizeof(*out));
    out->policy = *r->p;
    out->rumors_infective = r->n_rumors;
    out->rumors_started = r->rumors_started;
    out->rumors_removed = r->rumors_removed;
    out->peers = r->n_peers;
    size_t peers_mem = r->cap_peers * sizeof(*r->peers) + hashtab_memory(&r->peer_idx);
    for (uint32_t i = 0; i < r->n_peers; i++) {
        const struct relay_peer *pe = r->peers[i];
        out->queued += pe->n_queue;
        if (pe->known)
            out->known_memory += seenset_memory(pe->known);
        peers_mem += sizeof(*pe) + pe->cap_queue * sizeof(*pe->queue) +
                     hashtab_memory(&pe->queued);
    }
    if (r->recent) {
        out->recent_entries += seenset_count(r->recent);
        out->recent_memory += seenset_memory(r->recent);
    }
    const struct seenset *rej[] = {r->rejects, r->reconsider};
    for (size_t i = 0; i < 2; i++) {
        if (!rej[i])
            continue;
        out->recent_entries += seenset_count(rej[i]);
        out->recent_memory += seenset_memory(rej[i]);
    }
    size_t txreq_mem = 0;
    if (r->txreq) {
        out->tracked = txreq_size(r->txreq);
        out->in_flight = txreq_total_in_flight(r->txreq);
        out->tracked_hashes = txreq_hashes(r->txreq);
        txreq_mem = txreq_memory(r->txreq);
    }
    out->memory = sizeof(*r) + rumors_memory(r) + peers_mem + out->known_memory +
                  out->recent_memory + txreq_mem;
    out->totals = r->c;
}

int relay_get_peer_info(const struct relay *r, uint64_t peer, struct relay_peer_info *out)
{
    const struct relay_peer *pe = relay_peer_find(r, peer);
    if (!pe)
        return -1;
    memset(out, 0, sizeof(*out));
    out->props = pe->props;
    out->counters = pe->c;
    out->queued = pe->n_queue;
    out->known_memory = pe->known ? seenset_memory(pe->known) : 0;
    if (r->txreq) {
        out->tracked = txreq_count(r->txreq, peer);
        out->in_flight = txreq_in_flight(r->txreq, peer);
    }
    out->next_trickle = pe->n_queue == 0       ? INT64_MAX
                        : pe->props.outbound ? pe->next_trickle
                                             : r->next_inbound_trickle;
    return 0;
}

bool relay_is_infective(const struct relay *r, const struct hash256 *hash)
{
    return relay_rumor_find(r, hash) != NULL;
}

size_t relay_infective_count(const struct relay *r)
{
    return r->n_rumors;
}
