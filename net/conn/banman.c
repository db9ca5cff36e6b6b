#include "net/conn/banman.h"
#include "chain/util/xmalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t V4_PREFIX[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct banman {
    struct banman_entry *v;
    size_t n, cap;
};

static bool is_v4(const uint8_t ip[16])
{
    return memcmp(ip, V4_PREFIX, 12) == 0;
}

static void mask(uint8_t ip[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - i * 8 : 0;
        ip[i] &= (uint8_t)(0xff00u >> keep);
    }
}

/* A netmask written as an address: contiguous ones, else -1. */
static int netmask_bits(const uint8_t m[16], unsigned from)
{
    unsigned bits = 0;
    bool zero_seen = false;
    for (unsigned i = from; i < 128; i++) {
        bool one = m[i / 8] & (0x80 >> (i % 8));
        if (one && zero_seen)
            return -1;
        if (one)
            bits++;
        else
            zero_seen = true;
    }
    return (int)bits;
}

static bool parse_ip(const char *s, uint8_t ip[16])
{
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memcpy(ip, V4_PREFIX, 12);
        memcpy(ip + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s, ip) == 1;
}

/* The part after '/': a length or (same family) a netmask. */
static int parse_prefix(const char *s, bool v4)
{
    unsigned max = v4 ? 32 : 128;
    char *end;
    if (*s >= '0' && *s <= '9' && strlen(s) <= 3) {
        unsigned long n = strtoul(s, &end, 10);
        return *end == '\0' && n <= max ? (int)n : -1;
    }
    uint8_t m[16];
    if (!parse_ip(s, m) || is_v4(m) != v4)
        return -1;
    return netmask_bits(m, v4 ? 96 : 0);
}

bool banman_parse_subnet(const char *s, struct banman_subnet *out)
{
    char buf[BANMAN_SUBNET_STRLEN];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!parse_ip(buf, out->ip))
        return false;
    bool v4 = is_v4(out->ip);
    int bits = slash ? parse_prefix(slash + 1, v4) : (v4 ? 32 : 128);
    if (bits < 0)
        return false;
    out->prefix = (unsigned)bits + (v4 ? 96 : 0);
    mask(out->ip, out->prefix);
    return true;
}

void banman_format_subnet(const struct banman_subnet *s, char out[BANMAN_SUBNET_STRLEN])
{
    char ip[INET6_ADDRSTRLEN];
    bool v4 = is_v4(s->ip) && s->prefix >= 96;
    if (v4)
        inet_ntop(AF_INET, s->ip + 12, ip, sizeof(ip));
    else
        inet_ntop(AF_INET6, s->ip, ip, sizeof(ip));
    snprintf(out, BANMAN_SUBNET_STRLEN, "%s/%u", ip, v4 ? s->prefix - 96 : s->prefix);
}

bool banman_subnet_match(const struct banman_subnet *s, const uint8_t ip[16])
{
    uint8_t m[16];
    memcpy(m, ip, 16);
    mask(m, s->prefix);
    return memcmp(m, s->ip, 16) == 0;
}

struct banman *banman_new(void)
{
    return xcalloc(1, sizeof(struct banman));
}

void banman_free(struct banman *bm)
{
    if (!bm)
        return;
    free(bm->v);
    free(bm);
}

static long find(const struct banman *bm, const struct banman_subnet *s)
{
    for (size_t i = 0; i < bm->n; i++)
        if (bm->v[i].subnet.prefix == s->prefix && memcmp(bm->v[i].subnet.ip, s->ip, 16) == 0)
            return (long)i;
    return -1;
}

int banman_add(struct banman *bm, const struct banman_subnet *s, int64_t created, int64_t until)
{
    if (find(bm, s) >= 0 || bm->n >= BANMAN_MAX)
        return -1;
    if (bm->n == bm->cap) {
        size_t cap = bm->cap ? bm->cap * 2 : 16;
        struct banman_entry *v = xrealloc(bm->v, cap * sizeof(*v));
        bm->v = v;
        bm->cap = cap;
    }
    bm->v[bm->n++] = (struct banman_entry){*s, created, until};
    return 0;
}

static void drop(struct banman *bm, size_t i)
{
    memmove(&bm->v[i], &bm->v[i + 1], (bm->n - i - 1) * sizeof(bm->v[0]));
    bm->n--;
}

int banman_remove(struct banman *bm, const struct banman_subnet *s)
{
    long i = find(bm, s);
    if (i < 0)
        return -1;
    drop(bm, (size_t)i);
    return 0;
}

void banman_clear(struct banman *bm)
{
    bm->n = 0;
}

void banman_sweep(struct banman *bm, int64_t now)
{
    for (size_t i = 0; i < bm->n;) {
        if (bm->v[i].until <= now)
            drop(bm, i); /* keeps the order bans were made in */
        else
            i++;
    }
}

bool banman_is_banned(const struct banman *bm, const uint8_t ip[16], int64_t now)
{
    for (size_t i = 0; i < bm->n; i++)
        if (bm->v[i].until > now && banman_subnet_match(&bm->v[i].subnet, ip))
            return true;
    return false;
}

const struct banman_entry *banman_list(const struct banman *bm, size_t *n)
{
    *n = bm->n;
    return bm->v;
}
