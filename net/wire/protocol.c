#include "net/wire/protocol.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

typedef bool (*proto_decoder)(struct cursor *c, struct net_msg *m);

/* One row per command: its name (NUL-padded to the 12-byte field) and
 * its decoder (NULL: the handler parses the raw payload). No cap per
 * command: like Bitcoin Core, any payload up to PROTO_MAX_PAYLOAD is
 * decoded, bytes after the fields read are ignored (room for future
 * fields), and list counts are checked by the decoders before anything
 * is allocated. */
struct proto_cmd_row {
    char name[PROTO_COMMAND_SIZE + 1];
    proto_decoder decode;
};

static bool dec_version(struct cursor *c, struct net_msg *m);
static bool dec_addr(struct cursor *c, struct net_msg *m);
static bool dec_nonce(struct cursor *c, struct net_msg *m);
static bool dec_inv(struct cursor *c, struct net_msg *m);
static bool dec_locator(struct cursor *c, struct net_msg *m);
static bool dec_headers(struct cursor *c, struct net_msg *m);
static bool dec_feefilter(struct cursor *c, struct net_msg *m);
static bool dec_sendcmpct(struct cursor *c, struct net_msg *m);

static const struct proto_cmd_row rows[PROTO_CMD_COUNT] = {
    [PROTO_CMD_VERSION] = {"version", dec_version},
    [PROTO_CMD_VERACK] = {"verack", NULL},
    [PROTO_CMD_WTXIDRELAY] = {"wtxidrelay", NULL},
    [PROTO_CMD_SENDADDRV2] = {"sendaddrv2", NULL},
    [PROTO_CMD_SENDHEADERS] = {"sendheaders", NULL},
    [PROTO_CMD_SENDCMPCT] = {"sendcmpct", dec_sendcmpct},
    [PROTO_CMD_FEEFILTER] = {"feefilter", dec_feefilter},
    [PROTO_CMD_PING] = {"ping", dec_nonce},
    [PROTO_CMD_PONG] = {"pong", dec_nonce},
    [PROTO_CMD_GETADDR] = {"getaddr", NULL},
    [PROTO_CMD_ADDR] = {"addr", dec_addr},
    [PROTO_CMD_ADDRV2] = {"addrv2", dec_addr},
    [PROTO_CMD_INV] = {"inv", dec_inv},
    [PROTO_CMD_GETDATA] = {"getdata", dec_inv},
    [PROTO_CMD_NOTFOUND] = {"notfound", dec_inv},
    [PROTO_CMD_TX] = {"tx", NULL},
    [PROTO_CMD_BLOCK] = {"block", NULL},
    [PROTO_CMD_HEADERS] = {"headers", dec_headers},
    [PROTO_CMD_GETHEADERS] = {"getheaders", dec_locator},
    [PROTO_CMD_GETBLOCKS] = {"getblocks", dec_locator},
    [PROTO_CMD_MEMPOOL] = {"mempool", NULL},
    [PROTO_CMD_CMPCTBLOCK] = {"cmpctblock", NULL},
    [PROTO_CMD_GETBLOCKTXN] = {"getblocktxn", NULL},
    [PROTO_CMD_BLOCKTXN] = {"blocktxn", NULL},
    [PROTO_CMD_SENDTXRCNCL] = {"sendtxrcncl", NULL},
    [PROTO_CMD_REQRECON] = {"reqrecon", NULL},
    [PROTO_CMD_SKETCH] = {"sketch", NULL},
    [PROTO_CMD_REQSKETCHEXT] = {"reqsketchext", NULL},
    [PROTO_CMD_RECONCILDIFF] = {"reconcildiff", NULL},
    [PROTO_CMD_HSGOSSIP] = {"hsgossip", NULL},
    [PROTO_CMD_HSDIGEST] = {"hsdigest", NULL},
    [PROTO_CMD_HSINV] = {"hsinv", NULL},
    [PROTO_CMD_HSSKETCH] = {"hssketch", NULL},
    [PROTO_CMD_HSASK] = {"hsask", NULL},
    [PROTO_CMD_FILTERLOAD] = {"filterload", NULL},
    [PROTO_CMD_FILTERADD] = {"filteradd", NULL},
    [PROTO_CMD_FILTERCLEAR] = {"filterclear", NULL},
    [PROTO_CMD_GETCFILTERS] = {"getcfilters", NULL},
    [PROTO_CMD_GETCFHEADERS] = {"getcfheaders", NULL},
    [PROTO_CMD_GETCFCHECKPT] = {"getcfcheckpt", NULL},
    [PROTO_CMD_OTHER] = {"*other*", NULL},
};

static const struct proto_cmd_row *row_of(enum proto_cmd cmd)
{
    return &rows[(unsigned)cmd < PROTO_CMD_COUNT ? cmd : PROTO_CMD_OTHER];
}

const char *proto_cmd_name(enum proto_cmd cmd)
{
    return row_of(cmd)->name;
}

enum proto_cmd proto_cmd_lookup(const char command[PROTO_COMMAND_SIZE])
{
    for (int i = 0; i < PROTO_CMD_OTHER; i++)
        if (memcmp(command, rows[i].name, PROTO_COMMAND_SIZE) == 0)
            return (enum proto_cmd)i;
    return PROTO_CMD_OTHER;
}

void proto_header_decode(const uint8_t raw[PROTO_HEADER_SIZE], struct proto_header *h)
{
    memcpy(h->magic, raw, 4);
    memcpy(h->command, raw + 4, PROTO_COMMAND_SIZE);
    h->length = ser_le32(raw + 16);
    memcpy(h->checksum, raw + 20, 4);
}

bool proto_command_valid(const char command[PROTO_COMMAND_SIZE])
{
    size_t i = 0;
    while (i < PROTO_COMMAND_SIZE && command[i] != '\0') {
        if (command[i] < ' ' || command[i] > '~')
            return false;
        i++;
    }
    for (; i < PROTO_COMMAND_SIZE; i++)
        if (command[i] != '\0')
            return false;
    return true;
}

bool proto_command_is(const char command[PROTO_COMMAND_SIZE], const char *name)
{
    char padded[PROTO_COMMAND_SIZE] = {0};
    size_t n = strlen(name);
    if (n > PROTO_COMMAND_SIZE)
        return false;
    memcpy(padded, name, n);
    return memcmp(padded, command, PROTO_COMMAND_SIZE) == 0;
}

void proto_command_str(const char command[PROTO_COMMAND_SIZE], char out[PROTO_COMMAND_SIZE + 1])
{
    size_t i;
    for (i = 0; i < PROTO_COMMAND_SIZE && command[i]; i++)
        out[i] = (command[i] >= ' ' && command[i] <= '~') ? command[i] : '?';
    out[i] = '\0';
}

const char *proto_header_check(const struct proto_header *h, const uint8_t magic[4])
{
    if (memcmp(h->magic, magic, 4) != 0)
        return "bad magic";
    if (h->length > PROTO_MAX_PAYLOAD)
        return "oversized message";
    return NULL;
}

void proto_checksum(const void *payload, size_t len, uint8_t out[4])
{
    struct hash256 h;
    hash_sha256d(payload, len, &h);
    memcpy(out, h.b, 4);
}

bool proto_checksum_ok(const struct proto_header *h, const void *payload)
{
    uint8_t sum[4];
    proto_checksum(payload, h->length, sum);
    return memcmp(sum, h->checksum, 4) == 0;
}

/* The header with a zero length and checksum (proto_finish fills them). */
static size_t begin_named(struct wbuf *w, const uint8_t magic[4], const char *name, size_t n)
{
    size_t start = w->len;
    uint8_t hdr[PROTO_HEADER_SIZE] = {0};
    memcpy(hdr, magic, 4);
    memcpy(hdr + 4, name, n < PROTO_COMMAND_SIZE ? n : PROTO_COMMAND_SIZE);
    wbuf_bytes(w, hdr, sizeof(hdr));
    return start;
}

size_t proto_begin(struct wbuf *w, const uint8_t magic[4], enum proto_cmd cmd)
{
    return begin_named(w, magic, row_of(cmd)->name, PROTO_COMMAND_SIZE);
}

void proto_finish(struct wbuf *w, size_t start)
{
    uint8_t *hdr = w->data + start;
    size_t len = w->len - start - PROTO_HEADER_SIZE;
    ser_put_le32(hdr + 16, (uint32_t)len);
    proto_checksum(hdr + PROTO_HEADER_SIZE, len, hdr + 20);
}

void proto_frame(struct wbuf *w, const uint8_t magic[4], const char *command,
                 const void *payload, size_t len)
{
    size_t start = begin_named(w, magic, command, strlen(command));
    if (len)
        wbuf_bytes(w, payload, len);
    proto_finish(w, start);
}

static const uint8_t ipv4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool proto_netaddr_is_ipv4(const struct proto_netaddr *a)
{
    return a->net == 0 && memcmp(a->ip, ipv4_prefix, 12) == 0;
}

bool proto_netaddr_is_ip(const struct proto_netaddr *a)
{
    return a->net == 0;
}

size_t proto_netaddr_len(const struct proto_netaddr *a)
{
    return a->net == PROTO_NET_TORV3 || a->net == PROTO_NET_I2P ? 32 : 16;
}

uint8_t proto_netaddr_bip155(const struct proto_netaddr *a)
{
    if (a->net)
        return a->net;
    return proto_netaddr_is_ipv4(a) ? PROTO_NET_IPV4 : PROTO_NET_IPV6;
}

/* The 26-byte form of version and addr (services, ip, big-endian port). */
static bool netaddr_v1_decode(struct cursor *c, struct proto_netaddr *a)
{
    cursor_u64(c, &a->services);
    cursor_bytes(c, a->ip, 16);
    return cursor_u16be(c, &a->port);
}

static void netaddr_v1_encode(struct wbuf *w, const struct proto_netaddr *a)
{
    wbuf_u64(w, a->services);
    wbuf_bytes(w, a->ip, 16);
    wbuf_u16be(w, a->port);
}

bool proto_version_decode(struct cursor *c, struct proto_version *v)
{
    memset(v, 0, sizeof(*v));
    v->relay = true; /* absent flag: relay (BIP37) */
    cursor_i32(c, &v->version);
    cursor_u64(c, &v->services);
    cursor_i64(c, &v->time);
    if (!netaddr_v1_decode(c, &v->addr_recv))
        return false;
    if (cursor_left(c) > 0) {
        netaddr_v1_decode(c, &v->addr_from);
        cursor_u64(c, &v->nonce);
    }
    if (cursor_left(c) > 0)
        cursor_varstr(c, v->user_agent, PROTO_MAX_USER_AGENT);
    if (cursor_left(c) > 0)
        cursor_i32(c, &v->start_height);
    if (cursor_left(c) > 0) {
        uint8_t relay;
        if (cursor_u8(c, &relay))
            v->relay = relay != 0;
    }
    return !c->err;
}

void proto_version_encode(struct wbuf *w, const struct proto_version *v)
{
    wbuf_i32(w, v->version);
    wbuf_u64(w, v->services);
    wbuf_i64(w, v->time);
    netaddr_v1_encode(w, &v->addr_recv);
    netaddr_v1_encode(w, &v->addr_from);
    wbuf_u64(w, v->nonce);
    wbuf_varstr(w, v->user_agent);
    wbuf_i32(w, v->start_height);
    wbuf_u8(w, v->relay ? 1 : 0);
}

bool proto_u64_decode(struct cursor *c, uint64_t *v)
{
    return cursor_u64(c, v);
}

bool proto_feefilter_decode(struct cursor *c, int64_t *feerate)
{
    return cursor_i64(c, feerate);
}

bool proto_sendcmpct_decode(struct cursor *c, struct proto_sendcmpct *m)
{
    uint8_t announce;
    if (!cursor_u8(c, &announce) || !cursor_u64(c, &m->version))
        return false;
    m->announce = announce != 0;
    return true;
}

void proto_sendcmpct_encode(struct wbuf *w, const struct proto_sendcmpct *m)
{
    wbuf_u8(w, m->announce ? 1 : 0);
    wbuf_u64(w, m->version);
}

bool proto_bip155_addr_decode(struct cursor *c, struct proto_netaddr *a, bool *keep)
{
    uint8_t net;
    const uint8_t *bytes;
    size_t len;
    cursor_u8(c, &net);
    if (!cursor_varbytes(c, &bytes, &len, PROTO_MAX_ADDRV2_BYTES) || !cursor_u16be(c, &a->port))
        return false;
    *keep = false;
    static const size_t sizes[] = {[PROTO_NET_IPV4] = 4, [PROTO_NET_IPV6] = 16,
                                   [PROTO_NET_TORV3] = 32, [PROTO_NET_I2P] = 32,
                                   [PROTO_NET_CJDNS] = 16};
    /* Unknown networks are skipped, as BIP155 says, whatever their length;
     * TORv2 among them since Core dropped it. A known network's address of
     * the wrong length makes the message malformed. */
    if (net < PROTO_NET_IPV4 || net > PROTO_NET_CJDNS || net == PROTO_NET_TORV2)
        return true;
    if (len != sizes[net])
        return false;
    memset(a->ip, 0, sizeof(a->ip));
    a->net = 0;
    if (net == PROTO_NET_IPV4) {
        memcpy(a->ip, ipv4_prefix, 12);
        memcpy(a->ip + 12, bytes, 4);
        *keep = true;
    } else if (net == PROTO_NET_IPV6) {
        memcpy(a->ip, bytes, 16);
        /* An IPv4 address dressed as IPv6 must use the IPv4 id (BIP155). */
        *keep = memcmp(bytes, ipv4_prefix, 12) != 0;
    } else {
        a->net = net;
        memcpy(a->ip, bytes, len);
        *keep = true;
    }
    return true;
}

/* One BIP155 entry: time, services, then the address. */
static bool addrv2_entry_decode(struct cursor *c, struct proto_netaddr *a, bool *keep)
{
    cursor_u32(c, &a->time);
    cursor_compact(c, &a->services, UINT64_MAX);
    return proto_bip155_addr_decode(c, a, keep);
}

bool proto_addr_decode(struct cursor *c, bool v2, struct proto_netaddr **out, size_t *n,
                       size_t *skipped)
{
    size_t count, kept = 0;
    *out = NULL;
    *n = 0;
    *skipped = 0;
    if (!cursor_count(c, &count, PROTO_MAX_ADDR, v2 ? 9 : 30))
        return false;
    struct proto_netaddr *a = xcalloc(count ? count : 1, sizeof(*a));
    for (size_t i = 0; i < count; i++) {
        bool keep = true;
        struct proto_netaddr *e = &a[kept];
        bool ok = v2 ? addrv2_entry_decode(c, e, &keep)
                     : (cursor_u32(c, &e->time), netaddr_v1_decode(c, e));
        if (!ok) {
            free(a);
            return false;
        }
        if (keep)
            kept++;
        else
            (*skipped)++;
    }
    *out = a;
    *n = kept;
    return true;
}

void proto_addr_encode(struct wbuf *w, bool v2, const struct proto_netaddr *a, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += v2 || proto_netaddr_is_ip(&a[i]);
    wbuf_compact(w, count);
    for (size_t i = 0; i < n; i++) {
        if (!v2) {
            /* The 16-byte form holds IP only (Core's IsAddrV1Compatible). */
            if (!proto_netaddr_is_ip(&a[i]))
                continue;
            wbuf_u32(w, a[i].time);
            netaddr_v1_encode(w, &a[i]);
            continue;
        }
        wbuf_u32(w, a[i].time);
        wbuf_compact(w, a[i].services);
        uint8_t net = proto_netaddr_bip155(&a[i]);
        wbuf_u8(w, net);
        if (net == PROTO_NET_IPV4)
            wbuf_varbytes(w, a[i].ip + 12, 4);
        else
            wbuf_varbytes(w, a[i].ip, proto_netaddr_len(&a[i]));
        wbuf_u16be(w, a[i].port);
    }
}

bool proto_inv_is_tx(uint32_t type)
{
    return type == PROTO_INV_TX || type == PROTO_INV_WTX || type == PROTO_INV_WITNESS_TX;
}

bool proto_inv_is_block(uint32_t type)
{
    return type == PROTO_INV_BLOCK || type == PROTO_INV_WITNESS_BLOCK ||
           type == PROTO_INV_FILTERED_BLOCK || type == PROTO_INV_CMPCT_BLOCK;
}

bool proto_inv_decode(struct cursor *c, struct proto_inv **items, size_t *n)
{
    size_t count;
    *items = NULL;
    *n = 0;
    if (!cursor_count(c, &count, PROTO_MAX_INV, 36))
        return false;
    if (count == 0)
        return true;
    struct proto_inv *v = xmalloc(count * sizeof(*v));
    for (size_t i = 0; i < count; i++) {
        cursor_u32(c, &v[i].type);
        cursor_bytes(c, v[i].hash.b, 32);
    }
    *items = v;
    *n = count;
    return true; /* cursor_count guaranteed the bytes */
}

void proto_inv_encode(struct wbuf *w, const struct proto_inv *items, size_t n)
{
    wbuf_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        wbuf_u32(w, items[i].type);
        wbuf_bytes(w, items[i].hash.b, 32);
    }
}

bool proto_locator_decode(struct cursor *c, struct proto_locator *loc)
{
    memset(loc, 0, sizeof(*loc));
    cursor_u32(c, &loc->version);
    if (!cursor_count(c, &loc->count, PROTO_MAX_LOCATOR, 32))
        return false;
    if (loc->count) {
        loc->hashes = xmalloc(loc->count * sizeof(*loc->hashes));
    }
    for (size_t i = 0; i < loc->count; i++)
        cursor_bytes(c, loc->hashes[i].b, 32);
    if (!cursor_bytes(c, loc->stop.b, 32)) {
        proto_locator_clear(loc);
        return false;
    }
    return true;
}

void proto_locator_encode(struct wbuf *w, uint32_t version, const struct hash256 *hashes,
                          size_t n, const struct hash256 *stop)
{
    wbuf_u32(w, version);
    wbuf_compact(w, n);
    for (size_t i = 0; i < n; i++)
        wbuf_bytes(w, hashes[i].b, 32);
    wbuf_bytes(w, stop->b, 32);
}

void proto_locator_clear(struct proto_locator *loc)
{
    free(loc->hashes);
    loc->hashes = NULL;
    loc->count = 0;
}

bool proto_headers_decode(struct cursor *c, const uint8_t ***hdrs, size_t *n)
{
    size_t count;
    *hdrs = NULL;
    *n = 0;
    if (!cursor_count(c, &count, PROTO_MAX_HEADERS, 81))
        return false;
    if (count == 0)
        return true;
    const uint8_t **v = xmalloc(count * sizeof(*v));
    for (size_t i = 0; i < count; i++) {
        uint64_t txs;
        cursor_view(c, &v[i], 80);
        if (!cursor_compact(c, &txs, SER_MAX_SIZE)) {
            free(v);
            return false;
        }
    }
    *hdrs = v;
    *n = count;
    return true;
}

void proto_headers_encode(struct wbuf *w, const uint8_t (*hdrs)[80], size_t n)
{
    wbuf_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        wbuf_bytes(w, hdrs[i], 80);
        wbuf_u8(w, 0);
    }
}

/* ---- the table's decoders ---- */

/* A list longer than its protocol limit, skip bytes into the payload.
 * Bitcoin Core reads the whole list before it checks the length, so only
 * a list whose entries are all there counts (m->too_many: the connection
 * layer applies Core's rule for the command); a count the payload cannot
 * hold is merely malformed. */
static bool over_limit(const struct cursor *c, size_t skip, size_t max, size_t min_item,
                       struct net_msg *m)
{
    struct cursor peek = *c;
    size_t count;
    if ((skip && !cursor_skip(&peek, skip)) ||
        !cursor_count(&peek, &count, SER_MAX_SIZE, min_item) || count <= max)
        return false;
    m->too_many = count;
    return true;
}

static bool dec_version(struct cursor *c, struct net_msg *m)
{
    return proto_version_decode(c, &m->u.version);
}

static bool dec_addr(struct cursor *c, struct net_msg *m)
{
    struct proto_netaddr *a;
    bool v2 = m->cmd == PROTO_CMD_ADDRV2;
    if (over_limit(c, 0, PROTO_MAX_ADDR, v2 ? 9 : 30, m) ||
        !proto_addr_decode(c, v2, &a, &m->u.addr.n, &m->u.addr.skipped))
        return false;
    m->u.addr.a = a;
    m->owned = a;
    return true;
}

/* Never malformed: before BIP31 a ping had no nonce, and a nonce cut short
 * is ignored as Bitcoin Core ignores it. */
static bool dec_nonce(struct cursor *c, struct net_msg *m)
{
    m->u.nonce.present = proto_u64_decode(c, &m->u.nonce.value);
    return true;
}

static bool dec_inv(struct cursor *c, struct net_msg *m)
{
    struct proto_inv *items;
    if (over_limit(c, 0, PROTO_MAX_INV, 36, m) || !proto_inv_decode(c, &items, &m->u.inv.n))
        return false;
    m->u.inv.items = items;
    m->owned = items;
    return true;
}

static bool dec_locator(struct cursor *c, struct net_msg *m)
{
    if (over_limit(c, 4, PROTO_MAX_LOCATOR, 32, m) || !proto_locator_decode(c, &m->u.locator))
        return false;
    m->owned = m->u.locator.hashes;
    return true;
}

static bool dec_headers(struct cursor *c, struct net_msg *m)
{
    const uint8_t **hdrs;
    if (over_limit(c, 0, PROTO_MAX_HEADERS, 81, m) ||
        !proto_headers_decode(c, &hdrs, &m->u.headers.n))
        return false;
    m->u.headers.hdrs = hdrs;
    m->owned = hdrs;
    return true;
}

static bool dec_feefilter(struct cursor *c, struct net_msg *m)
{
    return proto_feefilter_decode(c, &m->u.feerate);
}

static bool dec_sendcmpct(struct cursor *c, struct net_msg *m)
{
    return proto_sendcmpct_decode(c, &m->u.sendcmpct);
}

bool proto_msg_decode(enum proto_cmd cmd, const uint8_t *payload, size_t len,
                      struct net_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->cmd = cmd;
    m->payload = payload;
    m->len = len;
    proto_decoder decode = row_of(cmd)->decode;
    if (!decode)
        return true;
    struct cursor c;
    cursor_init(&c, payload, len);
    return decode(&c, m);
}

void proto_msg_clear(struct net_msg *m)
{
    free(m->owned);
    m->owned = NULL;
}
