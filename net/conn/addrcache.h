/* The getaddr reply cache (Bitcoin Core's m_addr_response_caches): every
 * requester that reaches us through the same network and local address
 * gets the same reply for 21 to 27 hours, so that repeated getaddr cannot
 * map our whole address table (or tell our addresses apart by network).
 * Pure: the caller supplies the time, the randomness and the filler. */
#ifndef HEARSAY_NET_ADDRCACHE_H
#define HEARSAY_NET_ADDRCACHE_H

#include "net/wire/protocol.h"

#include <stddef.h>
#include <stdint.h>

#define ADDRCACHE_LIFETIME (21 * 3600) /* plus a random 0-6 hours */
#define ADDRCACHE_JITTER (6 * 3600)

struct addrcache;

/* Fills out with up to max addresses; returns the count. */
typedef size_t (*addrcache_fill_fn)(void *ctx, struct proto_netaddr *out, size_t max);

struct addrcache *addrcache_new(void);
void addrcache_free(struct addrcache *c);

/* The reply for key at now (unix seconds): the cached one while it lasts,
 * else a new one from fill (at most PROTO_MAX_ADDR addresses), kept until
 * now + ADDRCACHE_LIFETIME + rnd % ADDRCACHE_JITTER. Valid until the next
 * call. */
const struct proto_netaddr *addrcache_get(struct addrcache *c, uint64_t key, int64_t now,
                                          uint64_t rnd, addrcache_fill_fn fill, void *ctx,
                                          size_t *n);

#endif
