#include "net/conn/netbase.h"
#include "chain/util/xmalloc.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool netbase_from_sockaddr(const struct sockaddr *sa, struct proto_netaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memcpy(out->ip, v4mapped, 12);
        memcpy(out->ip + 12, &s4->sin_addr, 4);
        out->port = ntohs(s4->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->ip, &s6->sin6_addr, 16);
        out->port = ntohs(s6->sin6_port);
        return true;
    }
    return false;
}

socklen_t netbase_to_sockaddr(const struct proto_netaddr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (proto_netaddr_is_ipv4(a)) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->ip + 12, 4);
        s4->sin_port = htons(a->port);
        return sizeof(*s4);
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, a->ip, 16);
    s6->sin6_port = htons(a->port);
    return sizeof(*s6);
}

void netbase_format(const struct proto_netaddr *a, char out[NETBASE_ADDR_STRLEN])
{
    char ip[INET6_ADDRSTRLEN];
    if (proto_netaddr_is_ipv4(a)) {
        inet_ntop(AF_INET, a->ip + 12, ip, sizeof(ip));
        snprintf(out, NETBASE_ADDR_STRLEN, "%s:%u", ip, a->port);
    } else {
        inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
        snprintf(out, NETBASE_ADDR_STRLEN, "[%s]:%u", ip, a->port);
    }
}

bool netbase_is_loopback(const struct proto_netaddr *a)
{
    static const uint8_t loop6[16] = {[15] = 1};
    return (proto_netaddr_is_ipv4(a) && a->ip[12] == 127) || memcmp(a->ip, loop6, 16) == 0;
}

/* Splits host and port; host is copied into out (cap bytes). */
static int split(const char *s, char *host, size_t cap, long *port)
{
    const char *colon;
    size_t hl;
    *port = -1;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || (end[1] && end[1] != ':'))
            return -1;
        hl = (size_t)(end - s - 1);
        if (hl < cap)
            memcpy(host, s + 1, hl);
        colon = end[1] ? end + 1 : NULL;
    } else {
        colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        hl = colon ? (size_t)(colon - s) : strlen(s);
        if (hl < cap)
            memcpy(host, s, hl);
    }
    if (hl == 0 || hl >= cap)
        return -1;
    host[hl] = '\0';
    if (colon) {
        char *end;
        *port = strtol(colon + 1, &end, 10);
        if (*end || *port <= 0 || *port > 65535)
            return -1;
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int netbase_parse_endpoint(const char *s, uint16_t default_port, struct proto_netaddr *out,
                           char **err)
{
    char host[256];
    long port;
    if (split(s, host, sizeof(host), &port) < 0) {
        if (err)
            *err = xstrdup("bad address (expected host, host:port or [ipv6]:port)");
        return -1;
    }
    /* Tor and I2P names: we have no proxy to reach them, and a DNS lookup
     * would only leak the name. */
    if (ends_with(host, ".onion") || ends_with(host, ".i2p")) {
        if (err) {
            char msg[320];
            snprintf(msg, sizeof(msg), "cannot connect to %s: Tor and I2P are not reachable", host);
            *err = xstrdup(msg);
        }
        return -1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res || !netbase_from_sockaddr(res->ai_addr, out)) {
        if (err) {
            char msg[320];
            snprintf(msg, sizeof(msg), "cannot resolve %s: %s", host,
                     rc ? gai_strerror(rc) : "no address");
            *err = xstrdup(msg);
        }
        if (res)
            freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    out->port = port > 0 ? (uint16_t)port : default_port;
    return 0;
}
