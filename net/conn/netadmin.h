/* The connection manager's administration, for the network RPC methods:
 * manual bans, switching the network off and on, pings on demand, the
 * added-node list, and per-peer details connman's stats leave out. Kept
 * apart from connman.c; it reaches the same internals (net/conn/connman_int.h). */
#ifndef HEARSAY_NET_NETADMIN_H
#define HEARSAY_NET_NETADMIN_H

#include "net/conn/banman.h"
#include "net/conn/connman.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ban list, created on first use with the clock its expiry follows
 * (unix seconds; the node's, which setmocktime moves). NULL when out of
 * memory. */
struct banman *connman_bans(struct connman *cm, int64_t (*clock)(void));
/* Bans a subnet until a unix time and disconnects the peers inside it.
 * -1 if that subnet is already banned or the list is full. */
int connman_ban(struct connman *cm, const struct banman_subnet *s, int64_t until);
/* Is the address banned now (false while no ban was ever made)? */
bool connman_is_banned(struct connman *cm, const struct proto_netaddr *a);

/* Off: every connection is closed, none accepted or dialed. */
void connman_set_network_active(struct connman *cm, bool active);
bool connman_network_active(const struct connman *cm);

/* Every handshaked peer gets a ping at the next housekeeping tick (an
 * outstanding one is replaced), like Bitcoin Core's ping RPC. */
void connman_ping_all(struct connman *cm);

/* The -addnode / addnode RPC entries, in the order added. */
struct connman_added_node {
    const char *endpoint;         /* valid until the list changes */
    bool connected;               /* handshake done */
    char addr[64];                /* the connection's address, when connected */
};
/* Fills at most cap entries; returns the total. */
size_t connman_added_nodes(struct connman *cm, struct connman_added_node *out, size_t cap);

/* What getpeerinfo needs beyond struct net_peer_stats. */
struct connman_peer_extra {
    char addr_bind[64];          /* our end of the socket; "" if unknown */
    bool added;                  /* kept connected (-addnode, -connect) */
    uint64_t addr_processed;     /* addresses from it we processed */
    uint64_t addr_rate_limited;  /* addresses from it dropped by rate limit */
    int64_t time_offset;         /* its version time minus ours (seconds) */
    uint32_t permissions;        /* NET_PERM_* */
};
bool connman_peer_extra(struct connman *cm, uint64_t id, struct connman_peer_extra *out);

/* getnettotals' uploadtarget (Core's figures; seconds and bytes). */
struct connman_upload {
    int64_t timeframe;
    uint64_t target;
    bool target_reached, serve_historical_blocks;
    uint64_t bytes_left;
    int64_t time_left;
};
void connman_upload_status(struct connman *cm, struct connman_upload *out);

/* getnetworkinfo's localaddresses: our addresses (Core's mapLocalHost),
 * with their port and score. Fills at most cap; returns the total. */
size_t connman_local_addrs(struct connman *cm, struct connman_local_addr *out, size_t cap);

/* addpeeraddress (Core's hidden RPC): into the new table, with itself as
 * source; with tried, on to the tried table. false when not added. */
bool connman_add_address(struct connman *cm, const struct proto_netaddr *a, bool tried);

/* getaddrmaninfo: entries per network and table. */
struct connman_addrman_info {
    size_t new_ipv4, tried_ipv4, new_ipv6, tried_ipv6;
};
void connman_addrman_info(struct connman *cm, struct connman_addrman_info *out);
/* getnodeaddresses: up to max (0: all) known addresses of network net (0
 * any, 4 IPv4, 6 IPv6), shuffled, none of the terrible ones; malloc'd,
 * *n of them. */
struct proto_netaddr *connman_node_addresses(struct connman *cm, int net, size_t max, size_t *n);

#endif
