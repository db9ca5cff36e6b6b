#include "net/conn/netadmin.h"

#include "chain/util/log.h"
#include "net/conn/connman_int.h"
#include "net/conn/netbase.h"

#include <event2/bufferevent.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int64_t ban_now(const struct connman *cm)
{
    return cm->ban_clock ? cm->ban_clock() : (int64_t)time(NULL);
}

struct banman *connman_bans(struct connman *cm, int64_t (*clock)(void))
{
    if (clock)
        cm->ban_clock = clock;
    if (!cm->bans)
        cm->bans = banman_new();
    if (cm->bans)
        banman_sweep(cm->bans, ban_now(cm));
    return cm->bans;
}

int connman_ban(struct connman *cm, const struct banman_subnet *s, int64_t until)
{
    struct banman *bm = connman_bans(cm, NULL);
    if (!bm || banman_add(bm, s, ban_now(cm), until) < 0)
        return -1;
    for (size_t i = 0; i < cm->nconns; i++) {
        struct peer *p = cm->conns[i]->p;
        if (p->state != PEER_CLOSING && banman_subnet_match(s, p->addr.ip))
            peer_close(p, "banned", false);
    }
    return 0;
}

bool connman_is_banned(struct connman *cm, const struct proto_netaddr *a)
{
    return cm->bans && banman_is_banned(cm->bans, a->ip, ban_now(cm));
}

void connman_set_network_active(struct connman *cm, bool active)
{
    if (cm->inactive == !active)
        return;
    cm->inactive = !active;
    LOG_INFO("setnetworkactive: %s", active ? "true" : "false");
    if (!active) {
        for (size_t i = 0; i < cm->nconns; i++)
            if (cm->conns[i]->p->state != PEER_CLOSING)
                peer_close(cm->conns[i]->p, "network turned off", false);
    } else {
        outbound_tick(cm, connman_now());
    }
}

bool connman_network_active(const struct connman *cm)
{
    return !cm->inactive;
}

void connman_ping_all(struct connman *cm)
{
    int64_t now = connman_now();
    for (size_t i = 0; i < cm->nconns; i++) {
        struct peer *p = cm->conns[i]->p;
        if (p->state != PEER_READY)
            continue;
        p->ping_sent = 0; /* a pong to the replaced ping is ignored */
        p->next_ping = now;
        peer_tick(p, now);
    }
}

size_t connman_added_nodes(struct connman *cm, struct connman_added_node *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = cm->nconnect; i < cm->ntargets; i++, n++) {
        if (n >= cap)
            continue;
        const struct target *t = &cm->targets[i];
        const struct conn *c = t->conn;
        out[n].endpoint = t->endpoint;
        out[n].connected = c && c->handshaked && c->p->state != PEER_CLOSING;
        out[n].addr[0] = '\0';
        if (out[n].connected)
            netbase_format(&c->p->addr, out[n].addr);
    }
    return n;
}

static void bind_addr(const struct conn *c, char out[64])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct proto_netaddr a;
    out[0] = '\0';
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        netbase_from_sockaddr((struct sockaddr *)&ss, &a))
        netbase_format(&a, out);
}

bool connman_peer_extra(struct connman *cm, uint64_t id, struct connman_peer_extra *out)
{
    const struct conn *c = connman_find(cm, id);
    if (!c)
        return false;
    memset(out, 0, sizeof(*out));
    bind_addr(c, out->addr_bind);
    out->added = c->target != NULL;
    out->addr_processed = c->addr_processed;
    out->addr_rate_limited = c->addr_rate_limited;
    out->time_offset = c->p->time_offset;
    out->permissions = c->perms;
    return true;
}
