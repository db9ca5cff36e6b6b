/* Address relay as Bitcoin Core does it (net_processing's addr handling,
 * RelayAddress, PushAddress and MaybeSendAddr):
 * - each peer has a known-address filter (a rolling Bloom seen-set of
 *   5000 entries at 0.001): what it sent us and what we sent it never goes to
 *   it again;
 * - an address is relayed only if it came in an addr message of at most
 *   10 entries, not in the answer to our getaddr, and is fresh (its time
 *   within the last 10 minutes), and then to 2 peers that take part in
 *   address relay, chosen by a keyed hash of the address and the day, so
 *   the same peers get it all day and their filters stop repeats;
 * - a peer's addresses go out in one message at Poisson intervals
 *   (30 s on average), its filter applied again at that moment;
 * - our own address goes to each peer about once a day (exponential,
 *   24 h on average), when we listen, are out of initial download and
 *   have one to advertise (localnode.c);
 * - what a peer may send us is a token bucket (0.1 address a second,
 *   at most 1000), the answer to our getaddr exempt;
 * - addresses of networks we cannot reach (Tor v3, I2P, CJDNS) are relayed
 *   (to 1 or 2 peers) but not stored, and only to peers that sent
 *   sendaddrv2: the v1 addr form cannot carry them.
 * Without the filter and the fixed choice, a fresh address kept bouncing
 * between nodes for its 10 minutes of freshness: an endless storm. */
#include "net/conn/connman_int.h"

#include "chain/primitives/hash.h"
#include "chain/primitives/siphash.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/relay/seenset.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000LL
#define ADDR_KNOWN_ENTRIES 5000
#define ADDR_KNOWN_FP 0.001
#define ADDR_RELAY_PEERS 2          /* for a reachable network (IPv4, IPv6) */
#define ADDR_FRESH_SECS 600         /* only addresses this fresh are relayed */
#define ADDR_RELAY_MAX_BATCH 10     /* bigger addr messages are not rumours */
#define ADDR_TOKENS_PER_SEC 0.1     /* MAX_ADDR_RATE_PER_SECOND */
#define ADDR_TOKENS_MAX 1000.0      /* MAX_ADDR_PROCESSING_TOKEN_BUCKET */
#define ADDR_ROTATE_SECS (24 * 3600) /* ROTATE_ADDR_RELAY_DEST_INTERVAL */
#define LOCAL_ADDR_EVERY_US (24 * 3600 * SEC) /* AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL */

/* The key a filter knows an address by: ip and port, as Core's GetKey
 * (the rest zero); for Tor v3 and I2P, wider than the key, a hash of the
 * network, address and port. Returns the bytes of k that are used. */
static size_t addr_key(const struct proto_netaddr *a, struct hash256 *k)
{
    memset(k, 0, sizeof(*k));
    if (!proto_netaddr_is_ip(a)) {
        uint8_t buf[1 + PROTO_NETADDR_MAX + 2];
        size_t len = proto_netaddr_len(a);
        buf[0] = a->net;
        memcpy(buf + 1, a->ip, len);
        buf[1 + len] = (uint8_t)(a->port >> 8);
        buf[2 + len] = (uint8_t)a->port;
        hash_sha256(buf, len + 3, k->b);
        return sizeof(k->b);
    }
    memcpy(k->b, a->ip, 16);
    k->b[16] = (uint8_t)(a->port >> 8);
    k->b[17] = (uint8_t)a->port;
    return 18;
}

/* Core's IsAddrCompatible: a peer that did not send sendaddrv2 only ever
 * gets addresses the v1 form can carry. */
static bool addr_compatible(const struct conn *c, const struct proto_netaddr *a)
{
    return c->p->sendaddrv2 || proto_netaddr_is_ip(a);
}

static bool known(const struct conn *c, const struct proto_netaddr *a)
{
    struct hash256 k;
    addr_key(a, &k);
    return c->addr_known && seenset_contains(c->addr_known, &k);
}

static void add_known(struct conn *c, const struct proto_netaddr *a)
{
    struct hash256 k;
    addr_key(a, &k);
    if (c->addr_known)
        seenset_insert(c->addr_known, &k);
}

void addrrelay_conn_init(struct connman *cm, struct conn *c)
{
    c->addr_tokens = 1; /* Core starts each peer with one address token */
    c->addr_token_time = connman_now();
    c->addr_known = seenset_new(ADDR_KNOWN_ENTRIES, ADDR_KNOWN_FP, connman_rand(cm));
}

void addrrelay_conn_free(struct conn *c)
{
    free(c->addr_out);
    c->addr_out = NULL;
    c->addr_out_n = c->addr_out_cap = 0;
    seenset_free(c->addr_known);
    c->addr_known = NULL;
}

/* An exponential delay of the given mean (Poisson arrivals). */
static int64_t poisson_delay(struct connman *cm, int64_t mean_us)
{
    double u = ((double)(connman_rand(cm) >> 11) + 1.0) / 9007199254740993.0; /* (0,1] */
    double d = -log(u) * (double)mean_us;
    return d > 1e15 ? (int64_t)1e15 : (int64_t)d;
}

/* Core's PushAddress: queued unless the peer knows it; a full queue
 * replaces a random entry. */
static void push_addr(struct connman *cm, struct conn *c, const struct proto_netaddr *a)
{
    if (known(c, a) || !addr_compatible(c, a))
        return;
    for (size_t i = 0; i < c->addr_out_n; i++)
        if (addrman_same_endpoint(&c->addr_out[i], a))
            return;
    if (c->addr_out_n == PROTO_MAX_ADDR) {
        c->addr_out[connman_rand(cm) % c->addr_out_n] = *a;
        return;
    }
    if (c->addr_out_n == c->addr_out_cap) {
        c->addr_out_cap = c->addr_out_cap ? c->addr_out_cap * 2 : 8;
        c->addr_out = xreallocarray(c->addr_out, c->addr_out_cap, sizeof(*c->addr_out));
    }
    c->addr_out[c->addr_out_n++] = *a;
}

static void send_addrs(struct conn *c, const struct proto_netaddr *a, size_t n)
{
    struct peer *p = c->p;
    bool v2 = p->sendaddrv2;
    for (size_t i = 0; i < n; i++)
        add_known(c, &a[i]);
    proto_addr_encode(peer_msg_begin(p, v2 ? PROTO_CMD_ADDRV2 : PROTO_CMD_ADDR), v2, a, n);
    peer_msg_end(p);
}

/* Core's RelayAddress: the eligible peers (those that can take the
 * address's form) with the highest keyed hash of (address, day, peer), the
 * day shifted per address so that rotations are not all at midnight. 2 of
 * them, or for a network we cannot reach 1 or 2 (by the same hash). */
static void relay_addr(struct connman *cm, struct conn *from, const struct proto_netaddr *a,
                       bool reachable, int64_t unix_now)
{
    struct hash256 k;
    size_t klen = addr_key(a, &k);
    uint64_t h[3];
    h[0] = siphash24(cm->addr_k0, cm->addr_k1, k.b, klen);
    h[1] = ((uint64_t)unix_now + h[0]) / ADDR_ROTATE_SECS;
    size_t npeers = ADDR_RELAY_PEERS;
    if (!reachable && !(siphash24(cm->addr_k0, cm->addr_k1, h, 2 * sizeof(h[0])) & 1))
        npeers = 1;
    struct conn *best[ADDR_RELAY_PEERS] = {NULL};
    uint64_t score[ADDR_RELAY_PEERS] = {0};
    for (size_t i = 0; i < cm->nconns; i++) {
        struct conn *c = cm->conns[i];
        if (c == from || c->p->state != PEER_READY || !c->addr_relay || !addr_compatible(c, a))
            continue;
        h[2] = c->p->id;
        uint64_t s = siphash24(cm->addr_k0, cm->addr_k1, h, sizeof(h));
        for (size_t j = 0; j < npeers; j++) {
            if (best[j] && s <= score[j])
                continue;
            memmove(&best[j + 1], &best[j], (npeers - 1 - j) * sizeof(best[0]));
            memmove(&score[j + 1], &score[j], (npeers - 1 - j) * sizeof(score[0]));
            best[j] = c;
            score[j] = s;
            break;
        }
    }
    for (size_t j = 0; j < npeers && best[j]; j++)
        push_addr(cm, best[j], a);
}

/* The address to advertise to this peer (localnode.c), remembered so
 * that we never dial it. */
static bool local_addr_for(struct connman *cm, const struct conn *c, struct proto_netaddr *me)
{
    if (!localnode_addr_for_peer(cm, c, me))
        return false;
    size_t i;
    for (i = 0; i < cm->nself && !addrman_same_endpoint(&cm->self[i], me); i++)
        ;
    if (i == cm->nself && cm->nself < sizeof(cm->self) / sizeof(cm->self[0]))
        cm->self[cm->nself++] = *me;
    return true;
}

void addrrelay_ready(struct connman *cm, struct conn *c)
{
    if (c->p->inbound)
        return;
    /* Outbound peers take part in address relay from the start (our
     * address goes at the next send: they may not know how to reach us),
     * and the answer to our getaddr may be large: let it in. */
    c->addr_relay = true;
    c->addr_tokens += ADDR_TOKENS_MAX;
}

/* Peers we exchange addresses with: not block-relay-only ones (Core's
 * SetupAddressRelay), nor feelers, which are closing. */
static bool addr_relay_peer(const struct peer *p)
{
    return p->inbound || p->manual || p->kind == PEER_FULL_RELAY || p->kind == PEER_ADDR_FETCH;
}

void addrrelay_enable(struct conn *c)
{
    if (addr_relay_peer(c->p))
        c->addr_relay = true;
}

/* Core's MaybeSendAddr for one peer. */
static void maybe_send(struct connman *cm, struct conn *c, int64_t now_us)
{
    if (!c->addr_relay)
        return;
    /* Not while in initial download, as Core: peers would come to us for
     * blocks we do not have yet. The first announcement follows it. */
    bool ibd = cm->h.initial_download && cm->h.initial_download(cm->h.ctx);
    if (!ibd && c->next_local_send < now_us) {
        struct proto_netaddr me;
        /* Again after the first: clear the filter, or it would stop it. */
        if (c->next_local_send != 0)
            seenset_reset(c->addr_known);
        if (local_addr_for(cm, c, &me))
            push_addr(cm, c, &me);
        c->next_local_send = now_us + poisson_delay(cm, LOCAL_ADDR_EVERY_US);
    }
    if (now_us <= c->next_addr_send)
        return;
    c->next_addr_send = now_us + poisson_delay(cm, cm->o.addr_send_us);
    size_t keep = 0;
    for (size_t i = 0; i < c->addr_out_n; i++)
        if (!known(c, &c->addr_out[i]))
            c->addr_out[keep++] = c->addr_out[i];
    if (keep)
        send_addrs(c, c->addr_out, keep);
    free(c->addr_out);
    c->addr_out = NULL;
    c->addr_out_n = c->addr_out_cap = 0;
}

void addrrelay_answer(struct connman *cm, struct conn *c, const struct proto_netaddr *a,
                      size_t n)
{
    c->addr_out_n = 0;
    for (size_t i = 0; i < n; i++)
        push_addr(cm, c, &a[i]);
}

void addrrelay_tick(struct connman *cm, int64_t now_us)
{
    for (size_t i = 0; i < cm->nconns; i++)
        if (cm->conns[i]->p->state == PEER_READY)
            maybe_send(cm, cm->conns[i], now_us);
}

/* Tokens trickle in up to the cap; the getaddr bonus may exceed it. */
static void refill_tokens(struct conn *c, int64_t now_us)
{
    double earned = (double)(now_us - c->addr_token_time) / SEC * ADDR_TOKENS_PER_SEC;
    if (earned > 0 && c->addr_tokens < ADDR_TOKENS_MAX)
        c->addr_tokens = c->addr_tokens + earned < ADDR_TOKENS_MAX ? c->addr_tokens + earned
                                                                    : ADDR_TOKENS_MAX;
    c->addr_token_time = now_us;
}

/* Core's IsRoutable for Tor v3, I2P and CJDNS: a CJDNS address outside
 * fc00::/8 is invalid. */
static bool unreachable_routable(const struct proto_netaddr *a)
{
    return a->net != PROTO_NET_CJDNS || a->ip[0] == 0xfc;
}

/* One address a peer sent, past the token bucket: stored, relayed if a
 * rumour. Returns whether it counts as processed (Core's addr_processed). */
static bool take_addr(struct connman *cm, struct conn *c, struct proto_netaddr e, bool rumour,
                      int64_t now, size_t *added)
{
    /* Only nodes that serve blocks, as Core (MayHaveUsefulAddressDB):
     * the rest is neither stored, nor relayed, nor marked known. */
    if (!(e.services & (PROTO_NODE_NETWORK | PROTO_NODE_NETWORK_LIMITED)))
        return false;
    /* Implausible times become five days old, as Core does. */
    if (e.time <= 100000000 || (int64_t)e.time > now + 600)
        e.time = (uint32_t)(now - 5 * 86400);
    add_known(c, &e);
    bool reachable = proto_netaddr_is_ip(&e);
    if (reachable && connman_is_discouraged(cm, &e))
        return false;
    if (reachable ? !addrman_addr_ok(&e, cm->o.allow_private) : !unreachable_routable(&e))
        return true;
    /* Only IP reaches addrman: we could never connect to the rest. */
    if (reachable)
        *added += addrman_add(cm->am, &e, &c->p->addr, now);
    if (rumour && (int64_t)e.time > now - ADDR_FRESH_SECS)
        relay_addr(cm, c, &e, reachable, now);
    return true;
}

/* The order the message is taken in, as Core shuffles it before the token
 * bucket (which entries a short bucket leaves out is not the sender's
 * choice): indexes of a, and from n on, of the skipped entries. */
static size_t *shuffled(struct connman *cm, size_t total)
{
    size_t *order = xreallocarray(NULL, total ? total : 1, sizeof(*order));
    for (size_t i = 0; i < total; i++) {
        size_t j = (size_t)(connman_rand(cm) % (i + 1));
        if (j != i)
            order[i] = order[j];
        order[j] = i;
    }
    return order;
}

void addrrelay_received(struct connman *cm, struct conn *c, const struct proto_netaddr *a,
                        size_t n, size_t skipped)
{
    int64_t now_us = connman_now(), now = (int64_t)time(NULL);
    struct peer *p = c->p;
    if (!addr_relay_peer(p)) {
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 ": ignoring addresses from a %s peer", p->id,
                  peer_kind_name(false, false, p->kind));
        return;
    }
    /* Core keeps an entry of an unknown network in the message (invalid,
     * never stored): it counts in the message's size and takes a token. */
    size_t total = n + skipped;
    /* An addr-fetch peer has given what it was for (Core: more than one
     * address, so that its own self-announcement does not count). */
    if (!p->inbound && !p->manual && p->kind == PEER_ADDR_FETCH && total > 1)
        peer_close(p, "addrfetch connection completed", false);
    c->addr_relay = true; /* an addr message: it takes part */
    refill_tokens(c, now_us);
    bool rumour = !p->getaddr_sent && total <= ADDR_RELAY_MAX_BATCH;
    size_t limited = 0, added = 0, processed = 0;
    size_t *order = shuffled(cm, total);
    for (size_t k = 0; k < total; k++) {
        if (c->addr_tokens < 1) {
            limited++;
            continue;
        }
        c->addr_tokens -= 1;
        if (order[k] < n && take_addr(cm, c, a[order[k]], rumour, now, &added))
            processed++;
    }
    free(order);
    if (total < PROTO_MAX_ADDR)
        p->getaddr_sent = false; /* the answer to our getaddr is in */
    c->addr_processed += processed;
    c->addr_rate_limited += limited;
    LOG_DEBUG(LOG_ADDRMAN, "peer=%" PRIu64 ": %zu addresses, %zu new, %zu rate-limited", p->id,
              n, added, limited);
}
