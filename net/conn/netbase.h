/* Endpoints: parsing "host:port", and converting between socket addresses
 * and the wire's 16-byte form. */
#ifndef HEARSAY_NET_NETBASE_H
#define HEARSAY_NET_NETBASE_H

#include "net/wire/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETBASE_ADDR_STRLEN 64

/* "1.2.3.4", "1.2.3.4:8333", "[::1]:18444", "::1", "localhost:18444".
 * Names are resolved (getaddrinfo); the first result is used. */
int netbase_parse_endpoint(const char *s, uint16_t default_port, struct proto_netaddr *out,
                           char **err);
socklen_t netbase_to_sockaddr(const struct proto_netaddr *a, struct sockaddr_storage *ss);
bool netbase_from_sockaddr(const struct sockaddr *sa, struct proto_netaddr *out);
/* "1.2.3.4:8333" or "[::1]:18444". */
void netbase_format(const struct proto_netaddr *a, char out[NETBASE_ADDR_STRLEN]);
bool netbase_is_loopback(const struct proto_netaddr *a);

#endif
