#include "net/conn/peer.h"

#include "chain/primitives/tx.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/conn/addrman.h"
#include "net/wire/txrecon_msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*peer_handler)(struct peer *p, const struct net_msg *m);

/* The connection layer's half of a command's row (the wire half, name,
 * payload cap and decoder, is net/wire/protocol.c's): the states where it
 * is handled, the states where receiving it ends the connection, without
 * discouragement (Core's fDisconnect: feature negotiation after verack),
 * and its handler. In any other state it is ignored, as Bitcoin Core
 * ignores messages before the handshake completes and a second version. */
struct peer_command {
    uint8_t allowed;
    uint8_t refused;
    peer_handler handler;
};

static void on_version(struct peer *p, const struct net_msg *m);
static void on_verack(struct peer *p, const struct net_msg *m);
static void on_flag(struct peer *p, const struct net_msg *m);
static void on_ping(struct peer *p, const struct net_msg *m);
static void on_pong(struct peer *p, const struct net_msg *m);
static void on_getaddr(struct peer *p, const struct net_msg *m);
static void on_addr(struct peer *p, const struct net_msg *m);
static void on_relay(struct peer *p, const struct net_msg *m);
static void on_sendtxrcncl(struct peer *p, const struct net_msg *m);
static void on_hello(struct peer *p, const struct net_msg *m);
static void on_unoffered(struct peer *p, const struct net_msg *m);

#define NEW PEER_NEW
#define VER PEER_VERSION
#define RDY PEER_READY
static const struct peer_command commands[PROTO_CMD_COUNT] = {
    [PROTO_CMD_VERSION] = {NEW, 0, on_version},
    [PROTO_CMD_VERACK] = {VER, 0, on_verack},
    [PROTO_CMD_WTXIDRELAY] = {VER, RDY, on_flag},
    [PROTO_CMD_SENDADDRV2] = {VER, RDY, on_flag},
    [PROTO_CMD_SENDHEADERS] = {VER | RDY, 0, on_flag},
    [PROTO_CMD_SENDCMPCT] = {VER | RDY, 0, on_relay},
    [PROTO_CMD_FEEFILTER] = {RDY, 0, on_relay},
    [PROTO_CMD_PING] = {RDY, 0, on_ping},
    [PROTO_CMD_PONG] = {RDY, 0, on_pong},
    [PROTO_CMD_GETADDR] = {RDY, 0, on_getaddr},
    [PROTO_CMD_ADDR] = {RDY, 0, on_addr},
    [PROTO_CMD_ADDRV2] = {RDY, 0, on_addr},
    [PROTO_CMD_INV] = {RDY, 0, on_relay},
    [PROTO_CMD_GETDATA] = {RDY, 0, on_relay},
    [PROTO_CMD_NOTFOUND] = {RDY, 0, on_relay},
    [PROTO_CMD_TX] = {RDY, 0, on_relay},
    [PROTO_CMD_BLOCK] = {RDY, 0, on_relay},
    [PROTO_CMD_HEADERS] = {RDY, 0, on_relay},
    [PROTO_CMD_GETHEADERS] = {RDY, 0, on_relay},
    [PROTO_CMD_GETBLOCKS] = {RDY, 0, on_relay},
    [PROTO_CMD_MEMPOOL] = {RDY, 0, on_relay},
    [PROTO_CMD_CMPCTBLOCK] = {RDY, 0, on_relay},
    [PROTO_CMD_GETBLOCKTXN] = {RDY, 0, on_relay},
    [PROTO_CMD_BLOCKTXN] = {RDY, 0, on_relay},
    /* After verack only when we offered reconciliation (the handler). */
    [PROTO_CMD_SENDTXRCNCL] = {VER | RDY, 0, on_sendtxrcncl},
    [PROTO_CMD_REQRECON] = {RDY, 0, on_relay},
    [PROTO_CMD_SKETCH] = {RDY, 0, on_relay},
    [PROTO_CMD_REQSKETCHEXT] = {RDY, 0, on_relay},
    [PROTO_CMD_RECONCILDIFF] = {RDY, 0, on_relay},
    [PROTO_CMD_HSGOSSIP] = {VER, 0, on_hello},
    [PROTO_CMD_HSDIGEST] = {RDY, 0, on_relay},
    [PROTO_CMD_HSINV] = {RDY, 0, on_relay},
    [PROTO_CMD_HSSKETCH] = {RDY, 0, on_relay},
    [PROTO_CMD_HSASK] = {RDY, 0, on_relay},
    [PROTO_CMD_FILTERLOAD] = {RDY, 0, on_unoffered},
    [PROTO_CMD_FILTERADD] = {RDY, 0, on_unoffered},
    [PROTO_CMD_FILTERCLEAR] = {RDY, 0, on_unoffered},
    [PROTO_CMD_GETCFILTERS] = {RDY, 0, on_unoffered},
    [PROTO_CMD_GETCFHEADERS] = {RDY, 0, on_unoffered},
    [PROTO_CMD_GETCFCHECKPT] = {RDY, 0, on_unoffered},
    [PROTO_CMD_OTHER] = {0, 0, NULL},
};
#undef NEW
#undef VER
#undef RDY

/* Core's RejectIncomingTxs: block-relay-only and feeler peers are told
 * relay=0 and may never send us a transaction (inbound and manual peers
 * are PEER_FULL_RELAY). */
static bool rejects_txs(const struct peer *p)
{
    return p->kind == PEER_BLOCK_RELAY || p->kind == PEER_FEELER;
}

const char *peer_kind_name(bool inbound, bool manual, enum peer_kind kind)
{
    static const char *const names[] = {"outbound-full-relay", "block-relay-only", "feeler",
                                        "addr-fetch"};
    if (inbound)
        return "inbound";
    return manual ? "manual" : names[kind];
}

const char *peer_state_name(enum peer_state s)
{
    switch (s) {
    case PEER_NEW: return "new";
    case PEER_VERSION: return "version";
    case PEER_READY: return "ready";
    case PEER_CLOSING: return "closing";
    }
    return "?";
}

struct peer *peer_new(const struct peer_env *env, uint64_t id, bool inbound,
                      const struct proto_netaddr *addr)
{
    struct peer *p = xcalloc(1, sizeof(*p));
    p->id = id;
    p->env = env;
    p->state = PEER_NEW;
    p->inbound = inbound;
    p->addr = *addr;
    p->relay = true;
    p->connected = p->last_send = p->last_recv = env->now(env->ctx);
    p->ping_us = p->min_ping_us = -1;
    p->nonce = env->rand64(env->ctx);
    return p;
}

void peer_free(struct peer *p)
{
    free(p);
}

void peer_close(struct peer *p, const char *reason, bool discourage)
{
    if (p->state == PEER_CLOSING)
        return;
    /* Core's MaybeDiscourageAndDisconnect: a peer chosen by hand is never
     * punished for misbehaviour, not even disconnected. */
    if (discourage && p->manual) {
        LOG_WARN("peer=%" PRIu64 " misbehaving (%s): not punishing a manual peer", p->id, reason);
        return;
    }
    p->state = PEER_CLOSING;
    snprintf(p->close_reason, sizeof(p->close_reason), "%s", reason);
    p->env->closed(p->env->ctx, p, p->close_reason, discourage);
}

struct wbuf *peer_msg_begin(struct peer *p, enum proto_cmd cmd)
{
    struct wbuf *w = p->env->scratch;
    wbuf_reset(w);
    proto_begin(w, p->env->local->magic, cmd);
    p->building = cmd;
    return w;
}

void peer_msg_end(struct peer *p)
{
    struct wbuf *w = p->env->scratch;
    proto_finish(w, 0);
    if (p->state == PEER_CLOSING)
        return;
    p->sent[p->building].msgs++;
    p->sent[p->building].bytes += w->len;
    p->bytes_sent += w->len;
    p->last_send = p->env->now(p->env->ctx);
    p->env->send(p->env->ctx, p, w->data, w->len);
}

void peer_send(struct peer *p, enum proto_cmd cmd, const void *payload, size_t len)
{
    struct wbuf *w = peer_msg_begin(p, cmd);
    if (len)
        wbuf_bytes(w, payload, len);
    peer_msg_end(p);
}

static void send_version(struct peer *p)
{
    const struct peer_env *e = p->env;
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    v.services = e->local->services;
    v.time = e->wall(e->ctx);
    /* Core tells a peer its address only if it is routable. */
    v.addr_recv = p->addr;
    v.addr_recv.time = 0;
    if (!addrman_addr_ok(&p->addr, e->local->allow_private)) {
        memset(v.addr_recv.ip, 0, sizeof(v.addr_recv.ip));
        v.addr_recv.port = 0;
    }
    v.addr_from.services = e->local->services; /* address left unset, as Core does */
    v.nonce = p->nonce;
    snprintf(v.user_agent, sizeof(v.user_agent), "%s", e->local->user_agent);
    v.start_height = e->best_height(e->ctx);
    v.relay = e->local->relay && !rejects_txs(p);
    proto_version_encode(peer_msg_begin(p, PROTO_CMD_VERSION), &v);
    peer_msg_end(p);
    p->version_sent = true;
}

void peer_start(struct peer *p)
{
    if (!p->inbound && !p->version_sent)
        send_version(p);
}

static int32_t common_version(const struct peer *p)
{
    return p->version < PROTO_VERSION ? p->version : PROTO_VERSION;
}

/* Automatic outbound slots are for peers that serve blocks with
 * witnesses (Core's HasAllDesirableServiceFlags): NODE_NETWORK, or
 * NODE_NETWORK_LIMITED (the last 288 blocks) while our tip is recent. */
static bool desirable_services(const struct peer *p, uint64_t services)
{
    if (!(services & PROTO_NODE_WITNESS))
        return false;
    if (services & PROTO_NODE_NETWORK)
        return true;
    return (services & PROTO_NODE_NETWORK_LIMITED) && p->env->near_tip &&
           p->env->near_tip(p->env->ctx);
}

/* Refusals that end the handshake; NULL when the version is acceptable. */
static const char *version_refusal(const struct peer *p, const struct proto_version *v)
{
    if (v->version < PROTO_MIN_PEER_VERSION)
        return "obsolete protocol version";
    if (p->inbound && v->nonce && p->env->is_local_nonce(p->env->ctx, v->nonce))
        return "connected to self";
    /* Core's ExpectServicesFromConn: not of a feeler, which only checks
     * that the address answers. */
    if (!p->inbound && !p->manual && p->kind != PEER_FEELER && !desirable_services(p, v->services))
        return "peer does not offer the expected services";
    return NULL;
}

static void on_version(struct peer *p, const struct net_msg *m)
{
    const struct proto_version *v = &m->u.version;
    const char *refusal = version_refusal(p, v);
    if (refusal) {
        peer_close(p, refusal, false);
        return;
    }
    p->version = v->version;
    p->services = v->services;
    memcpy(p->user_agent, v->user_agent, sizeof(p->user_agent));
    p->start_height = v->start_height;
    p->time_offset = v->time - p->env->wall(p->env->ctx);
    p->relay = v->relay;
    p->their_nonce = v->nonce;
    p->addr_local = v->addr_recv;
    if (p->inbound)
        send_version(p);
    if (common_version(p) >= PROTO_WTXID_VERSION) {
        peer_send(p, PROTO_CMD_WTXIDRELAY, NULL, 0);
        peer_send(p, PROTO_CMD_SENDADDRV2, NULL, 0);
    }
    if (p->env->local->hello)
        peer_send(p, PROTO_CMD_HSGOSSIP, NULL, 0);
    /* BIP330, as Bitcoin Core: only when both sides relay transactions
     * (our version said so: not block-relay-only nor feeler), the peer
     * can relay by wtxid, and not to an addr-fetch peer; before verack. */
    if (p->env->local->txrecon && p->env->local->relay && !rejects_txs(p) && p->relay &&
        p->kind != PEER_ADDR_FETCH && common_version(p) >= PROTO_WTXID_VERSION) {
        struct txrecon_send_msg r = {.version = TXRECON_VERSION,
                                     .salt = p->env->rand64(p->env->ctx)};
        p->recon_salt_local = r.salt;
        p->recon_sent = true;
        txrecon_send_encode(peer_msg_begin(p, PROTO_CMD_SENDTXRCNCL), &r);
        peer_msg_end(p);
    }
    peer_send(p, PROTO_CMD_VERACK, NULL, 0);
    p->state = PEER_VERSION;
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " version %d %s height %d%s", p->id, (int)v->version,
              p->user_agent, (int)v->start_height, p->inbound ? " inbound" : "");
    /* A feeler only checks that the address answers: its version proves
     * it, so the connection manager marks the address good and closes the
     * link now, without waiting for verack (Core's ProcessMessage). */
    if (!p->inbound && p->kind == PEER_FEELER)
        p->env->ready(p->env->ctx, p);
}

static void on_verack(struct peer *p, const struct net_msg *m)
{
    const struct peer_local *l = p->env->local;
    int32_t v = common_version(p);
    p->state = PEER_READY;
    /* sendheaders and feefilter follow later, from the relay layer
     * (net/sync), as Core's SendMessages: they depend on the chain and
     * the mempool. */
    if (v >= PROTO_SHORT_IDS_VERSION && !l->no_cmpct) {
        /* Version 2, low bandwidth, as Core: high bandwidth is asked of
         * the peers that deliver new blocks first (net/sync/cmpctblock.c). */
        struct proto_sendcmpct sc = {.announce = false, .version = 2};
        proto_sendcmpct_encode(peer_msg_begin(p, PROTO_CMD_SENDCMPCT), &sc);
        peer_msg_end(p);
    }
    /* No address traffic on block-relay-only links (Core's
     * SetupAddressRelay); a feeler is closed on its version. */
    if (!p->inbound && (p->kind == PEER_FULL_RELAY || p->kind == PEER_ADDR_FETCH)) {
        peer_send(p, PROTO_CMD_GETADDR, NULL, 0);
        p->getaddr_sent = true;
    }
    p->next_ping = p->env->now(p->env->ctx);
    p->env->ready(p->env->ctx, p);
}

/* wtxidrelay, sendaddrv2, sendheaders: a feature switched on. */
static void on_flag(struct peer *p, const struct net_msg *m)
{
    if (m->cmd == PROTO_CMD_WTXIDRELAY)
        p->wtxidrelay = p->version >= PROTO_WTXID_VERSION;
    else if (m->cmd == PROTO_CMD_SENDADDRV2)
        p->sendaddrv2 = true;
    else if (!p->sendheaders) {
        p->sendheaders = true;
        /* After the handshake (Core often sends it later): tell the relay
         * layer, which announces blocks by headers from then on. */
        if (p->state == PEER_READY)
            p->env->relay(p->env->ctx, p, m);
    }
}

static void on_ping(struct peer *p, const struct net_msg *m)
{
    /* Before BIP31 a ping had no nonce and wanted no pong. */
    if (p->version > PROTO_BIP31_VERSION && m->u.nonce.present) {
        wbuf_u64(peer_msg_begin(p, PROTO_CMD_PONG), m->u.nonce.value);
        peer_msg_end(p);
    }
}

static void on_pong(struct peer *p, const struct net_msg *m)
{
    uint64_t nonce = m->u.nonce.value;
    if (!p->ping_sent)
        return;
    if (!m->u.nonce.present) {
        p->ping_sent = 0; /* cut short: a broken peer, cancel as Core does */
    } else if (nonce == p->ping_nonce) {
        int64_t rtt = p->env->now(p->env->ctx) - p->ping_sent;
        p->ping_us = rtt;
        if (p->min_ping_us < 0 || rtt < p->min_ping_us)
            p->min_ping_us = rtt;
        p->ping_sent = 0;
    } else if (nonce == 0) {
        p->ping_sent = 0; /* the peer cancels, as Bitcoin Core allows */
    }
}

static void on_getaddr(struct peer *p, const struct net_msg *m)
{
    /* Answered once per connection and only to inbound peers (answering
     * our own outbound peers would help fingerprint us), as Core does. */
    if (!p->inbound || p->getaddr_answered)
        return;
    p->getaddr_answered = true;
    p->env->getaddr(p->env->ctx, p);
}

static void on_addr(struct peer *p, const struct net_msg *m)
{
    LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " %s: %zu addresses, %zu of unknown networks", p->id,
              proto_cmd_name(m->cmd), m->u.addr.n, m->u.addr.skipped);
    /* Even empty: any addr message makes the peer an address relay
     * participant, and answers our getaddr (Core). */
    p->env->addrs(p->env->ctx, p, m->u.addr.a, m->u.addr.n, m->u.addr.skipped);
}

/* A transaction or its announcement from a peer that may not send one. */
static bool tx_forbidden(const struct peer *p, const struct net_msg *m)
{
    if (!rejects_txs(p))
        return false;
    if (m->cmd == PROTO_CMD_TX)
        return true;
    /* Core checks what its inv handling keeps: announcements by the
     * other id than BIP339 agreed are ignored before, unknown types are
     * no transactions. */
    for (size_t i = 0; m->cmd == PROTO_CMD_INV && i < m->u.inv.n; i++) {
        uint32_t type = m->u.inv.items[i].type;
        if (type != (p->wtxidrelay ? PROTO_INV_TX : PROTO_INV_WTX) && proto_inv_is_tx(type))
            return true;
    }
    return false;
}

static void on_relay(struct peer *p, const struct net_msg *m)
{
    if (tx_forbidden(p, m)) {
        /* A disconnect, not misbehaviour, as Core. */
        peer_close(p, "transaction sent in violation of protocol", false);
        return;
    }
    if (m->cmd == PROTO_CMD_FEEFILTER && m->u.feerate >= 0 &&
        m->u.feerate <= TX_MAX_MONEY)
        p->feefilter = m->u.feerate;
    p->env->relay(p->env->ctx, p, m);
}

long peer_frame_size(struct peer *p, const uint8_t hdr[PROTO_HEADER_SIZE])
{
    struct proto_header h;
    proto_header_decode(hdr, &h);
    const char *bad = proto_header_check(&h, p->env->local->magic);
    if (bad) {
        /* The stream cannot be followed: Bitcoin Core's V1Transport
         * disconnects, without discouragement. */
        peer_close(p, bad, false);
        return -1;
    }
    return (long)(PROTO_HEADER_SIZE + h.length);
}

/* The command table's gate: true when the handler should run. */
static bool gate(struct peer *p, enum proto_cmd cmd, const struct proto_header *h)
{
    const struct peer_command *row = &commands[cmd];
    char name[PROTO_COMMAND_SIZE + 1];
    if (row->refused & p->state) {
        char reason[48];
        snprintf(reason, sizeof(reason), "%s after verack", proto_cmd_name(cmd));
        peer_close(p, reason, false);
        return false;
    }
    if (!(row->allowed & p->state)) {
        proto_command_str(h->command, name);
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " ignoring %s %s in state %s", p->id,
                  cmd == PROTO_CMD_OTHER ? "unknown command" : "message", name,
                  peer_state_name(p->state));
        return false;
    }
    return true;
}

/* BIP330's sendtxrcncl, between version and verack. Bitcoin Core's
 * rules: ignored unless we sent ours; after verack, a second one, one
 * from a peer that does not relay transactions to us or that we asked
 * not to, or a version below 1 is a protocol violation, which ends the
 * connection without discouragement; one cut short is dropped. Without
 * reconciliation offered, it is an unknown command. */
static void on_sendtxrcncl(struct peer *p, const struct net_msg *msg)
{
    struct txrecon_send_msg m;
    struct cursor c;
    if (!p->env->local->txrecon)
        return;
    cursor_init(&c, msg->payload, msg->len);
    if (p->state == PEER_READY) {
        peer_close(p, "sendtxrcncl after verack", false);
    } else if (!p->relay || !p->env->local->relay || rejects_txs(p)) {
        peer_close(p, "sendtxrcncl without transaction relay", false);
    } else if (!txrecon_send_decode(&c, &m)) {
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " dropping malformed sendtxrcncl", p->id);
    } else if (!p->recon_sent) {
        /* Core's NOT_FOUND: we offered none, whatever its version. */
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " ignoring unexpected sendtxrcncl", p->id);
    } else if (p->recon_received) {
        peer_close(p, "sendtxrcncl sent twice", false);
    } else if (m.version < 1) {
        peer_close(p, "sendtxrcncl of version 0", false);
    } else {
        p->recon_received = true;
        p->recon_salt_remote = m.salt;
    }
}

/* hsgossip before verack: the peer reconciles mempools (when we do). */
static void on_hello(struct peer *p, const struct net_msg *m)
{
    if (p->env->local->hello)
        p->hello_received = true;
}

/* A request for a service we do not offer (NODE_BLOOM, NODE_COMPACT_FILTERS):
 * Core ends such a connection, without discouragement, so that the peer
 * looks for one that serves it. */
static void on_unoffered(struct peer *p, const struct net_msg *m)
{
    char reason[64];
    snprintf(reason, sizeof(reason), "%s for a service not offered", proto_cmd_name(m->cmd));
    peer_close(p, reason, false);
}

/* Bitcoin Core drops a message it cannot deserialize and keeps the peer
 * (ProcessMessages catches the exception); only its explicit limits on
 * list lengths are misbehaviour ("inv message size = 50001"), but a
 * locator over its limit is a disconnect without it, and a notfound over
 * its limit is ignored. */
static void undecodable(struct peer *p, enum proto_cmd cmd, const struct net_msg *m)
{
    char reason[64];
    const char *name = proto_cmd_name(cmd);
    if (!m->too_many || cmd == PROTO_CMD_NOTFOUND) {
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " dropping a malformed %s (%zu bytes)", p->id, name,
                  m->len);
    } else if (cmd == PROTO_CMD_GETHEADERS || cmd == PROTO_CMD_GETBLOCKS) {
        snprintf(reason, sizeof(reason), "%s locator size %zu > %d", name, m->too_many,
                 PROTO_MAX_LOCATOR);
        peer_close(p, reason, false);
    } else {
        snprintf(reason, sizeof(reason), "%s message size = %zu", name, m->too_many);
        peer_close(p, reason, true);
    }
}

void peer_handle(struct peer *p, const uint8_t *frame, size_t len)
{
    struct proto_header h;
    if (p->state == PEER_CLOSING || len < PROTO_HEADER_SIZE)
        return;
    proto_header_decode(frame, &h);
    if (len != PROTO_HEADER_SIZE + (size_t)h.length)
        return;
    const uint8_t *payload = frame + PROTO_HEADER_SIZE;
    const char *rejected = !proto_checksum_ok(&h, payload)    ? "bad checksum"
                           : !proto_command_valid(h.command) ? "bad command"
                                                              : NULL;
    /* Counted as Core counts them: under "*other*". */
    enum proto_cmd cmd = rejected ? PROTO_CMD_OTHER : proto_cmd_lookup(h.command);
    p->recv[cmd].msgs++;
    p->recv[cmd].bytes += len;
    p->bytes_recv += len;
    p->last_recv = p->env->now(p->env->ctx);
    if (rejected) {
        /* Bitcoin Core's V1Transport drops the message, keeps the peer. */
        LOG_DEBUG(LOG_NET, "peer=%" PRIu64 " dropping a message: %s (%" PRIu32 " bytes)", p->id,
                  rejected, h.length);
        return;
    }
    if (!gate(p, cmd, &h))
        return;
    struct net_msg m;
    if (!proto_msg_decode(cmd, payload, h.length, &m)) {
        undecodable(p, cmd, &m);
        return;
    }
    commands[cmd].handler(p, &m);
    proto_msg_clear(&m);
}

size_t peer_feed(struct peer *p, const uint8_t *data, size_t len)
{
    size_t used = 0;
    while (p->state != PEER_CLOSING && len - used >= PROTO_HEADER_SIZE) {
        long size = peer_frame_size(p, data + used);
        if (size < 0 || (size_t)size > len - used)
            break;
        peer_handle(p, data + used, (size_t)size);
        used += (size_t)size;
    }
    return used;
}

/* Core's MaybeSendPing: a peer before BIP31 gets a ping without nonce
 * (a keepalive it never answers), so none is outstanding and no pong is
 * waited for; it would otherwise be dropped for a ping timeout. */
static void send_ping(struct peer *p, int64_t now)
{
    p->next_ping = now + p->env->local->timeouts.ping_every;
    if (p->version <= PROTO_BIP31_VERSION) {
        peer_msg_begin(p, PROTO_CMD_PING);
        peer_msg_end(p);
        return;
    }
    do {
        p->ping_nonce = p->env->rand64(p->env->ctx);
    } while (p->ping_nonce == 0);
    wbuf_u64(peer_msg_begin(p, PROTO_CMD_PING), p->ping_nonce);
    peer_msg_end(p);
    p->ping_sent = now;
}

void peer_tick(struct peer *p, int64_t now)
{
    const struct peer_timeouts *t = &p->env->local->timeouts;
    if (p->state == PEER_CLOSING)
        return;
    if (p->state != PEER_READY) {
        if (now - p->connected > t->handshake)
            peer_close(p, "handshake timeout", false);
        return;
    }
    if (now - p->last_recv > t->inactivity) {
        peer_close(p, "inactivity timeout", false);
        return;
    }
    if (p->ping_sent && now - p->ping_sent > t->ping_wait) {
        peer_close(p, "ping timeout", false);
        return;
    }
    if (!p->ping_sent && now >= p->next_ping)
        send_ping(p, now);
}
