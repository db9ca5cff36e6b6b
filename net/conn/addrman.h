/* The address manager: peers' addresses learned from addr/addrv2, kept in
 * "new" (heard of) and "tried" (connected to once) tables.
 *
 * Flood resistance works as in Bitcoin Core: an address learned from a
 * source lands in a bucket chosen by a secret key, the address's group and
 * the source's group, so all the addresses one source group sends share a
 * few of the new buckets (NEW_BUCKETS_PER_SOURCE) and cannot push out the
 * rest of the table; within a bucket an occupied slot is only taken over
 * from a "terrible" entry. Tried entries are bucketed by their own group.
 *
 * The tables persist in a LevelDB database (<chaindir>/peers): changes are
 * batched and written by addrman_flush. */
#ifndef HEARSAY_NET_ADDRMAN_H
#define HEARSAY_NET_ADDRMAN_H

#include "net/wire/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDRMAN_NEW_BUCKETS 256
#define ADDRMAN_TRIED_BUCKETS 64
#define ADDRMAN_BUCKET_SIZE 64
#define ADDRMAN_NEW_BUCKETS_PER_SOURCE 16
#define ADDRMAN_GETADDR_PCT 23 /* share of the table a getaddr answer shows */

struct addrman;

/* dir: the database directory, or NULL for a memory-only manager (tests).
 * allow_private: keep loopback and private addresses (regtest networks on
 * one machine); otherwise only publicly routable ones. seed drives the
 * random choices (0: from the system). */
struct addrman *addrman_new(const char *dir, bool allow_private, uint64_t seed, char **err);
void addrman_free(struct addrman *am); /* flushes first */
int addrman_flush(struct addrman *am, char **err);

/* Whether an address may be stored (and, if IP, relayed): IP only, as
 * the other networks are ones we cannot reach. */
bool addrman_addr_ok(const struct proto_netaddr *a, bool allow_private);
/* The group used for bucketing and outbound diversity: /16 for IPv4, /32
 * for IPv6, one shared group for local addresses. Returns bytes used. */
size_t addrman_group(const struct proto_netaddr *a, uint8_t out[5]);
bool addrman_same_endpoint(const struct proto_netaddr *a, const struct proto_netaddr *b);

/* Adds an address heard from src (an ip in src->ip). true if it is new.
 * A known address only gets a fresher time and more services. */
bool addrman_add(struct addrman *am, const struct proto_netaddr *a,
                 const struct proto_netaddr *src, int64_t now);
/* A connection attempt; failures count towards the backoff. */
void addrman_attempt(struct addrman *am, const struct proto_netaddr *a, bool failed,
                     int64_t now);
/* A successful handshake: the address moves to the tried table. */
void addrman_good(struct addrman *am, const struct proto_netaddr *a, int64_t now);

/* Picks an address to connect to (tried and new alike), skipping those
 * tried recently (backoff doubling with each failure) and those skip()
 * rejects. false when nothing suits. */
bool addrman_select(struct addrman *am, int64_t now,
                    bool (*skip)(void *ctx, const struct proto_netaddr *a), void *ctx,
                    struct proto_netaddr *out);
/* The same, among new (never connected) entries only: feelers. */
bool addrman_select_new(struct addrman *am, int64_t now,
                        bool (*skip)(void *ctx, const struct proto_netaddr *a), void *ctx,
                        struct proto_netaddr *out);
/* A random sample for getaddr: at most max and ADDRMAN_GETADDR_PCT % of
 * the table, terrible entries left out. Returns the count. */
size_t addrman_sample(struct addrman *am, int64_t now, struct proto_netaddr *out, size_t max);
/* The same without the percentage cap, of network net (0 any, 4 IPv4, 6
 * IPv6), in random order: getnodeaddresses. */
size_t addrman_sample_all(struct addrman *am, int64_t now, int net, struct proto_netaddr *out,
                          size_t max);

size_t addrman_size(const struct addrman *am);
size_t addrman_tried_count(const struct addrman *am);
/* Entries of one network (IPv4, else IPv6) in each table (getaddrmaninfo). */
void addrman_net_counts(const struct addrman *am, bool ipv4, size_t *n_new, size_t *n_tried);
/* Where an address sits: 0 absent, 1 new, 2 tried (tests). */
int addrman_find(const struct addrman *am, const struct proto_netaddr *a);

#endif
