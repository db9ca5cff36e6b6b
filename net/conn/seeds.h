/* Where a node with no peers finds some, per chain, as Bitcoin Core: DNS
 * seed host names (chainparams.cpp vSeeds) and the fixed seed addresses
 * compiled in (chainparamsseeds.h, converted to net/conn/seeds_data.c by
 * contrib/seeds/convert-seeds.py). Data and pure helpers only: the
 * lookups and their timing are in net/conn/discovery.c. */
#ifndef HEARSAY_NET_SEEDS_H
#define HEARSAY_NET_SEEDS_H

#include "chain/primitives/params.h"
#include "net/wire/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The service bits asked of DNS seeds (Core's SeedsServiceFlags): the
 * "x9." subdomain names peers with NODE_NETWORK | NODE_WITNESS. */
#define SEEDS_SERVICES (PROTO_NODE_NETWORK | PROTO_NODE_WITNESS)

/* DNS seed host names of a chain; none on regtest. */
const char *const *seeds_dns_hosts(enum chain_type chain, size_t *n);

/* The name actually looked up: "x9.<host>" (Core asks every seed for the
 * subdomain of the services it wants). 0, or -1 when it does not fit. */
int seeds_service_name(const char *host, char *out, size_t cap);

/* Fixed seeds of a chain, decoded (IPv4 and IPv6 only: the networks
 * hearsay reaches). *out is malloc'd; *n may be 0. -1 on a corrupt table. */
int seeds_fixed(enum chain_type chain, struct proto_netaddr **out, size_t *n, char **err);

/* Decodes a table in Core's chainparamsseeds.h form: BIP155 records of
 * network id, address length, address bytes and a big-endian port.
 * Records of other networks (Tor, I2P, CJDNS) are skipped; a record of a
 * known network with the wrong length or a truncated record is an error. */
int seeds_decode(const uint8_t *data, size_t len, struct proto_netaddr **out, size_t *n,
                 char **err);

/* The pseudo address a seed's answers are filed under in the address
 * manager (Core's CNetAddr::SetInternal): fd6b:88c0:8724 followed by the
 * first 10 bytes of SHA-256(name), so each seed is its own source group. */
void seeds_source(const char *name, struct proto_netaddr *out);

/* The generated tables (net/conn/seeds_data.c). */
struct seeds_table {
    const uint8_t *data;
    size_t len;
};
extern const struct seeds_table seeds_fixed_tables[CHAIN_REGTEST + 1];

#endif
