/* Manual bans (setban, listbanned, clearbanned): IP subnets refused for
 * inbound connections and automatic outbound ones, each until a unix time.
 * Unlike discouragement (misbehaviour, refused only when slots are short),
 * a ban always refuses. In memory only: bans do not survive a restart. */
#ifndef HEARSAY_NET_BANMAN_H
#define HEARSAY_NET_BANMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BANMAN_MAX 10000 /* entries; more is refused */
#define BANMAN_SUBNET_STRLEN 64

/* An IPv6 prefix; IPv4 as IPv4-mapped (::ffff:a.b.c.d, prefix >= 96). */
struct banman_subnet {
    uint8_t ip[16]; /* bits after the prefix are zero */
    unsigned prefix; /* 0..128 */
};

struct banman_entry {
    struct banman_subnet subnet;
    int64_t created, until; /* unix seconds */
};

/* "1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0", "::1", "2001:db8::/32"
 * (no port, no names). false if it is none of those. */
bool banman_parse_subnet(const char *s, struct banman_subnet *out);
/* "1.2.3.0/24", "::1/128" (Bitcoin Core's CSubNet::ToString). */
void banman_format_subnet(const struct banman_subnet *s, char out[BANMAN_SUBNET_STRLEN]);
bool banman_subnet_match(const struct banman_subnet *s, const uint8_t ip[16]);

struct banman;
struct banman *banman_new(void);
void banman_free(struct banman *bm);

/* Adds a ban; -1 if the very subnet is already banned (or the list is
 * full). */
int banman_add(struct banman *bm, const struct banman_subnet *s, int64_t created,
               int64_t until);
/* -1 if that subnet was not banned. */
int banman_remove(struct banman *bm, const struct banman_subnet *s);
void banman_clear(struct banman *bm);
/* Drops bans that ended by now. */
void banman_sweep(struct banman *bm, int64_t now);
/* Is the address inside a ban still running at now? */
bool banman_is_banned(const struct banman *bm, const uint8_t ip[16], int64_t now);
/* The entries (valid until the next change); count in *n. */
const struct banman_entry *banman_list(const struct banman *bm, size_t *n);

#endif
