/* Framing against real captured bytes, and every codec's round trip and
 * truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/hex.h"
#include "net/wire/protocol.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t MAIN_MAGIC[4] = {0xf9, 0xbe, 0xb4, 0xd9};
static const uint8_t REGTEST_MAGIC[4] = {0xfa, 0xbf, 0xb5, 0xda};

/* A version message sent by Bitcoin Core 23.0 on mainnet (captured and
 * published at https://stacker.news/items/83748). */
static const char CORE23_VERSION[] =
    "f9beb4d976657273696f6e000000000066000000bdcad498801101000d0400000000000050835063"
    "0000000000000000000000000000000000000000000000000000000000000d040000000000000000"
    "00000000000000000000000000000000ff0ae91284bdd3e2102f5361746f7368693a32332e302e30"
    "2f8e960b0001";
/* The Bitcoin wiki's version example (0.7.2: no relay flag). */
static const char WIKI_VERSION[] =
    "f9beb4d976657273696f6e000000000064000000358d493262ea0000010000000000000011b2d05000"
    "000000010000000000000000000000000000000000ffff00000000000000000000000000000000000000"
    "0000000000ffff0000000000003b2eb35d8ce617650f2f5361746f7368693a302e372e322fc03e0300";
/* verack, ping, sendcmpct and feefilter sent by bitcoind -regtest. */
static const char REGTEST_VERACK[] = "fabfb5da76657261636b000000000000000000005df6e0e2";
static const char REGTEST_PING[] =
    "fabfb5da70696e670000000000000000080000000518a0f806d2e2149c8064fd";
static const char REGTEST_SENDCMPCT[] =
    "fabfb5da73656e64636d70637400000009000000e92f5ef8000200000000000000";
static const char REGTEST_FEEFILTER[] =
    "fabfb5da66656566696c746572000000080000000a19f7997a9e970000000000";

static size_t unhex(const char *hex, uint8_t **out)
{
    ssize_t n = hex_decode_alloc(hex, out);
    assert_true(n >= 0);
    return (size_t)n;
}

/* Decodes a captured frame's header, checks it and its checksum, and
 * checks that re-framing the payload reproduces the exact bytes. */
static void check_capture(const char *hex, const uint8_t magic[4], const char *cmd,
                          uint8_t **frame, size_t *len)
{
    *len = unhex(hex, frame);
    assert_true(*len >= PROTO_HEADER_SIZE);
    struct proto_header h;
    proto_header_decode(*frame, &h);
    assert_null(proto_header_check(&h, magic));
    assert_true(proto_command_is(h.command, cmd));
    assert_int_equal(h.length, *len - PROTO_HEADER_SIZE);
    assert_true(proto_checksum_ok(&h, *frame + PROTO_HEADER_SIZE));
    struct wbuf w;
    wbuf_init(&w);
    proto_frame(&w, magic, cmd, *frame + PROTO_HEADER_SIZE, h.length);
    assert_int_equal(w.len, *len);
    assert_memory_equal(w.data, *frame, *len);
    wbuf_free(&w);
}

static void test_core_version(void **state)
{
    uint8_t *f;
    size_t len;
    check_capture(CORE23_VERSION, MAIN_MAGIC, "version", &f, &len);
    struct cursor c;
    struct proto_version v;
    cursor_init(&c, f + PROTO_HEADER_SIZE, len - PROTO_HEADER_SIZE);
    assert_true(proto_version_decode(&c, &v));
    assert_int_equal(v.version, 70016);
    assert_int_equal(v.services, PROTO_NODE_NETWORK | PROTO_NODE_BLOOM | PROTO_NODE_WITNESS |
                                     PROTO_NODE_NETWORK_LIMITED);
    assert_int_equal(v.time, 0x63508350);
    assert_int_equal(v.addr_from.services, 0x40d);
    assert_int_equal(v.nonce, 0xe2d3bd8412e90affull);
    assert_string_equal(v.user_agent, "/Satoshi:23.0.0/");
    assert_int_equal(v.start_height, 759438);
    assert_true(v.relay);
    /* Our encoder gives back the same payload. */
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    assert_int_equal(w.len, len - PROTO_HEADER_SIZE);
    assert_memory_equal(w.data, f + PROTO_HEADER_SIZE, w.len);
    wbuf_free(&w);
    free(f);
}

static void test_old_version(void **state)
{
    uint8_t *f;
    size_t len;
    check_capture(WIKI_VERSION, MAIN_MAGIC, "version", &f, &len);
    struct cursor c;
    struct proto_version v;
    cursor_init(&c, f + PROTO_HEADER_SIZE, len - PROTO_HEADER_SIZE);
    assert_true(proto_version_decode(&c, &v));
    assert_int_equal(v.version, 60002);
    assert_int_equal(v.services, 1);
    assert_string_equal(v.user_agent, "/Satoshi:0.7.2/");
    assert_int_equal(v.start_height, 212672);
    assert_true(v.relay); /* absent flag */
    assert_true(proto_netaddr_is_ipv4(&v.addr_recv));
    free(f);
}

static void test_regtest_captures(void **state)
{
    uint8_t *f;
    size_t len;
    struct cursor c;
    check_capture(REGTEST_VERACK, REGTEST_MAGIC, "verack", &f, &len);
    assert_int_equal(len, PROTO_HEADER_SIZE);
    free(f);

    check_capture(REGTEST_PING, REGTEST_MAGIC, "ping", &f, &len);
    uint64_t nonce;
    cursor_init(&c, f + PROTO_HEADER_SIZE, 8);
    assert_true(proto_u64_decode(&c, &nonce));
    assert_int_equal(nonce, 0xfd64809c14e2d206ull);
    struct proto_header h;
    proto_header_decode(f, &h);
    f[PROTO_HEADER_SIZE] ^= 1;
    assert_false(proto_checksum_ok(&h, f + PROTO_HEADER_SIZE));
    /* Regtest bytes under the mainnet magic are refused. */
    assert_string_equal(proto_header_check(&h, MAIN_MAGIC), "bad magic");
    free(f);

    check_capture(REGTEST_SENDCMPCT, REGTEST_MAGIC, "sendcmpct", &f, &len);
    struct proto_sendcmpct m;
    cursor_init(&c, f + PROTO_HEADER_SIZE, len - PROTO_HEADER_SIZE);
    assert_true(proto_sendcmpct_decode(&c, &m));
    assert_false(m.announce);
    assert_int_equal(m.version, 2);
    free(f);

    check_capture(REGTEST_FEEFILTER, REGTEST_MAGIC, "feefilter", &f, &len);
    int64_t rate;
    cursor_init(&c, f + PROTO_HEADER_SIZE, len - PROTO_HEADER_SIZE);
    assert_true(proto_feefilter_decode(&c, &rate));
    assert_true(rate > 0);
    free(f);
}

static void test_header_checks(void **state)
{
    uint8_t raw[PROTO_HEADER_SIZE] = {0xfa, 0xbf, 0xb5, 0xda, 'p', 'i', 'n', 'g'};
    struct proto_header h;
    ser_put_le32(raw + 16, PROTO_MAX_PAYLOAD);
    proto_header_decode(raw, &h);
    assert_null(proto_header_check(&h, REGTEST_MAGIC));
    ser_put_le32(raw + 16, PROTO_MAX_PAYLOAD + 1);
    proto_header_decode(raw, &h);
    assert_string_equal(proto_header_check(&h, REGTEST_MAGIC), "oversized message");
    /* A bad command is the message's problem, not the stream's: the
     * header is followed and the message dropped (Core's V1Transport). */
    ser_put_le32(raw + 16, 8);
    raw[10] = 'x'; /* "ping\0\0x": a byte after the NUL padding */
    proto_header_decode(raw, &h);
    assert_null(proto_header_check(&h, REGTEST_MAGIC));
    assert_false(proto_command_valid(h.command));
    raw[10] = 0;
    raw[5] = 0x07; /* not printable */
    proto_header_decode(raw, &h);
    assert_false(proto_command_valid(h.command));
}

static void test_command_compare(void **state)
{
    char cmd[PROTO_COMMAND_SIZE] = "ping";
    assert_true(proto_command_is(cmd, "ping"));
    assert_false(proto_command_is(cmd, "pin"));
    assert_false(proto_command_is(cmd, "pingpong"));
    memcpy(cmd, "pingpongpong", 12); /* no NUL at all */
    assert_true(proto_command_valid(cmd));
    assert_true(proto_command_is(cmd, "pingpongpong"));
    assert_false(proto_command_is(cmd, "pingpongpon"));
    assert_int_equal(proto_cmd_lookup(cmd), PROTO_CMD_OTHER);
    char v[PROTO_COMMAND_SIZE] = "addrv2";
    assert_int_equal(proto_cmd_lookup(v), PROTO_CMD_ADDRV2);
    assert_string_equal(proto_cmd_name(PROTO_CMD_GETHEADERS), "getheaders");
}

/* The command table: a row for every command, names unique, at most 12
 * bytes and valid on the wire, lookup the inverse of the name, and the
 * header built from the enum the one built from the name. */
static void test_command_table(void **state)
{
    for (int i = 0; i < PROTO_CMD_OTHER; i++) {
        enum proto_cmd cmd = (enum proto_cmd)i;
        const char *name = proto_cmd_name(cmd);
        size_t n = strlen(name);
        assert_true(n > 0 && n <= PROTO_COMMAND_SIZE);
        char field[PROTO_COMMAND_SIZE] = {0};
        memcpy(field, name, n);
        assert_true(proto_command_valid(field));
        assert_int_equal(proto_cmd_lookup(field), cmd);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, proto_cmd_name((enum proto_cmd)j));
        struct wbuf by_enum, by_name;
        wbuf_init(&by_enum);
        wbuf_init(&by_name);
        size_t start = proto_begin(&by_enum, REGTEST_MAGIC, cmd);
        wbuf_u32(&by_enum, 7);
        proto_finish(&by_enum, start);
        proto_frame(&by_name, REGTEST_MAGIC, name, "\x07\0\0\0", 4);
        assert_int_equal(by_enum.len, PROTO_HEADER_SIZE + 4);
        assert_memory_equal(by_enum.data, by_name.data, by_name.len);
        wbuf_free(&by_enum);
        wbuf_free(&by_name);
    }
    /* Unknown commands, and a peer naming ours: counted as other. */
    assert_string_equal(proto_cmd_name(PROTO_CMD_OTHER), "*other*");
    assert_string_equal(proto_cmd_name(PROTO_CMD_COUNT), "*other*");
    char other[PROTO_COMMAND_SIZE] = "*other*";
    assert_int_equal(proto_cmd_lookup(other), PROTO_CMD_OTHER);
    char cased[PROTO_COMMAND_SIZE] = "Inv";
    assert_int_equal(proto_cmd_lookup(cased), PROTO_CMD_OTHER);
    /* The 12-byte names fill the field with no NUL. */
    char ext[PROTO_COMMAND_SIZE];
    memcpy(ext, "reqsketchext", 12);
    assert_int_equal(proto_cmd_lookup(ext), PROTO_CMD_REQSKETCHEXT);
}

/* Lists over their limit (MAX_INV_SZ, MAX_HEADERS_RESULTS,
 * MAX_ADDR_TO_SEND, MAX_LOCATOR_SZ): too_many only when every entry is
 * there, since Core reads the list before it checks the length; the
 * largest legal list decodes. */
static void test_list_limits(void **state)
{
    static const struct {
        enum proto_cmd cmd;
        size_t max, item, head, tail;
    } lists[] = {
        {PROTO_CMD_INV, PROTO_MAX_INV, 36, 0, 0},
        {PROTO_CMD_GETDATA, PROTO_MAX_INV, 36, 0, 0},
        {PROTO_CMD_NOTFOUND, PROTO_MAX_INV, 36, 0, 0},
        {PROTO_CMD_ADDR, PROTO_MAX_ADDR, 30, 0, 0},
        {PROTO_CMD_HEADERS, PROTO_MAX_HEADERS, 81, 0, 0},
        {PROTO_CMD_GETHEADERS, PROTO_MAX_LOCATOR, 32, 4, 32},
        {PROTO_CMD_GETBLOCKS, PROTO_MAX_LOCATOR, 32, 4, 32},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        for (size_t n = lists[i].max; n <= lists[i].max + 1; n++) {
            struct wbuf w;
            wbuf_init(&w);
            wbuf_bytes(&w, "\0\0\0\0", lists[i].head);
            wbuf_compact(&w, n);
            uint8_t *zeros = calloc(n + 1, lists[i].item);
            wbuf_bytes(&w, zeros, n * lists[i].item + lists[i].tail);
            free(zeros);
            struct net_msg m;
            bool ok = proto_msg_decode(lists[i].cmd, w.data, w.len, &m);
            assert_int_equal(ok, n == lists[i].max);
            assert_int_equal(m.too_many, n == lists[i].max ? 0 : n);
            proto_msg_clear(&m);
            /* One byte short: malformed, not too many. */
            assert_false(proto_msg_decode(lists[i].cmd, w.data, w.len - 1 - lists[i].tail, &m));
            assert_int_equal(m.too_many, 0);
            wbuf_free(&w);
        }
    }
}

/* Bytes after the fields are ignored, as Core ignores them (a later
 * version may add fields). */
static void test_trailing_bytes(void **state)
{
    struct net_msg m;
    const uint8_t nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_true(proto_msg_decode(PROTO_CMD_PING, nine, 9, &m));
    assert_true(m.u.nonce.present && m.u.nonce.value == 0x0807060504030201ull);
    assert_true(proto_msg_decode(PROTO_CMD_FEEFILTER, nine, 9, &m));
    assert_true(proto_msg_decode(PROTO_CMD_VERACK, nine, 9, &m));
    struct wbuf w;
    wbuf_init(&w);
    struct proto_version v = {.version = PROTO_VERSION, .start_height = 7, .relay = true};
    proto_version_encode(&w, &v);
    uint8_t *more = calloc(2000, 1);
    wbuf_bytes(&w, more, 2000); /* beyond the old 1,024-byte cap too */
    free(more);
    assert_true(proto_msg_decode(PROTO_CMD_VERSION, w.data, w.len, &m));
    assert_int_equal(m.u.version.start_height, 7);
    wbuf_reset(&w);
    struct proto_inv it = {.type = PROTO_INV_WTX};
    proto_inv_encode(&w, &it, 1);
    wbuf_bytes(&w, "future", 6);
    assert_true(proto_msg_decode(PROTO_CMD_INV, w.data, w.len, &m));
    assert_int_equal(m.u.inv.n, 1);
    proto_msg_clear(&m);
    wbuf_free(&w);
}

/* The rows' decoders: lists land in the union and are freed by
 * proto_msg_clear; a ping without a nonce is not malformed; commands
 * without a decoder keep their raw payload. */
static void test_msg_decode(void **state)
{
    struct net_msg m;
    assert_true(proto_msg_decode(PROTO_CMD_PING, NULL, 0, &m));
    assert_false(m.u.nonce.present);
    const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_true(proto_msg_decode(PROTO_CMD_PONG, nonce, 8, &m));
    assert_true(m.u.nonce.present);
    assert_true(m.u.nonce.value == 0x0807060504030201ull);

    struct proto_inv items[2];
    memset(items, 0x33, sizeof(items));
    items[0].type = PROTO_INV_WTX;
    items[1].type = PROTO_INV_BLOCK;
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, 2);
    assert_true(proto_msg_decode(PROTO_CMD_GETDATA, w.data, w.len, &m));
    assert_int_equal(m.cmd, PROTO_CMD_GETDATA);
    assert_int_equal(m.u.inv.n, 2);
    assert_int_equal(m.u.inv.items[1].type, PROTO_INV_BLOCK);
    assert_ptr_equal(m.owned, m.u.inv.items);
    proto_msg_clear(&m);
    assert_null(m.owned);
    assert_false(proto_msg_decode(PROTO_CMD_INV, w.data, w.len - 1, &m));
    assert_null(m.owned);

    assert_true(proto_msg_decode(PROTO_CMD_TX, w.data, w.len, &m));
    assert_ptr_equal(m.payload, w.data);
    assert_int_equal(m.len, w.len);
    assert_null(m.owned);

    wbuf_reset(&w);
    struct hash256 loc[3];
    memset(loc, 0x44, sizeof(loc));
    proto_locator_encode(&w, PROTO_VERSION, loc, 3, &loc[0]);
    assert_true(proto_msg_decode(PROTO_CMD_GETBLOCKS, w.data, w.len, &m));
    assert_int_equal(m.u.locator.count, 3);
    assert_memory_equal(m.u.locator.hashes[2].b, loc[2].b, 32);
    proto_msg_clear(&m);
    wbuf_free(&w);
}

/* Every strict prefix of buf must fail to decode. */
typedef bool (*decode_fn)(const uint8_t *p, size_t n);
static void check_truncations(const struct wbuf *w, decode_fn fn)
{
    assert_true(fn(w->data, w->len));
    for (size_t n = 0; n < w->len; n++)
        assert_false(fn(w->data, n));
}

static bool dec_inv(const uint8_t *p, size_t n)
{
    struct cursor c;
    struct proto_inv *items;
    size_t count;
    cursor_init(&c, p, n);
    bool ok = proto_inv_decode(&c, &items, &count);
    free(items);
    return ok;
}

static void test_inv(void **state)
{
    struct proto_inv in[3];
    for (int i = 0; i < 3; i++) {
        in[i].type = i == 0 ? PROTO_INV_WTX : PROTO_INV_BLOCK;
        memset(in[i].hash.b, 0x11 * (i + 1), 32);
    }
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, in, 3);
    assert_int_equal(w.len, 1 + 3 * 36);
    struct cursor c;
    struct proto_inv *out;
    size_t n;
    cursor_init(&c, w.data, w.len);
    assert_true(proto_inv_decode(&c, &out, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(out, in, sizeof(in));
    free(out);
    check_truncations(&w, dec_inv);
    /* A count above 50000 fails before anything is allocated. */
    wbuf_reset(&w);
    wbuf_compact(&w, PROTO_MAX_INV + 1);
    assert_false(dec_inv(w.data, w.len));
    wbuf_free(&w);
}

static bool dec_addr(const uint8_t *p, size_t n, bool v2, size_t *kept, size_t *skipped)
{
    struct cursor c;
    struct proto_netaddr *a;
    cursor_init(&c, p, n);
    bool ok = proto_addr_decode(&c, v2, &a, kept, skipped);
    free(a);
    return ok;
}
static bool dec_addr1(const uint8_t *p, size_t n)
{
    size_t k, s;
    return dec_addr(p, n, false, &k, &s);
}
static bool dec_addr2(const uint8_t *p, size_t n)
{
    size_t k, s;
    return dec_addr(p, n, true, &k, &s);
}

/* Decodes an addr (v2 = false) or addrv2 message that must keep want
 * entries and skip none; returns them (free them). */
static struct proto_netaddr *decode_kept(const struct wbuf *w, bool v2, size_t want)
{
    struct cursor c;
    struct proto_netaddr *out;
    size_t n, skipped;
    cursor_init(&c, w->data, w->len);
    assert_true(proto_addr_decode(&c, v2, &out, &n, &skipped));
    assert_int_equal(n, want);
    assert_int_equal(skipped, 0);
    return out;
}

static void test_addr(void **state)
{
    struct proto_netaddr a[2];
    memset(a, 0, sizeof(a));
    a[0].time = 1700000000;
    a[0].services = PROTO_NODE_NETWORK | PROTO_NODE_WITNESS;
    a[0].ip[10] = a[0].ip[11] = 0xff;
    a[0].ip[12] = 127, a[0].ip[15] = 1;
    a[0].port = 18444;
    a[1] = a[0];
    a[1].ip[0] = 0x20, a[1].ip[1] = 0x01, a[1].ip[10] = 0x12; /* an IPv6 address */
    for (int v2 = 0; v2 < 2; v2++) {
        struct wbuf w;
        wbuf_init(&w);
        proto_addr_encode(&w, v2, a, 2);
        struct proto_netaddr *out = decode_kept(&w, v2, 2);
        assert_memory_equal(out, a, sizeof(a));
        free(out);
        check_truncations(&w, v2 ? dec_addr2 : dec_addr1);
        wbuf_free(&w);
    }
    /* addrv2: an IPv4 of the wrong length fails. */
    struct wbuf w;
    wbuf_init(&w);
    uint8_t onion[32] = {0};
    size_t kept, skipped;
    wbuf_compact(&w, 1);
    wbuf_u32(&w, 1), wbuf_compact(&w, 1), wbuf_u8(&w, PROTO_NET_IPV4);
    wbuf_varbytes(&w, onion, 5), wbuf_u16be(&w, 1);
    assert_false(dec_addr2(w.data, w.len));
    /* TORv2 (id 3) is no longer a network Core knows: skipped like any
     * unknown id, whatever its length, not a malformed message. */
    wbuf_reset(&w);
    wbuf_compact(&w, 1);
    wbuf_u32(&w, 1), wbuf_compact(&w, 1), wbuf_u8(&w, PROTO_NET_TORV2);
    wbuf_varbytes(&w, onion, 32), wbuf_u16be(&w, 9050);
    assert_true(dec_addr(w.data, w.len, true, &kept, &skipped));
    assert_int_equal(kept, 0);
    assert_int_equal(skipped, 1);
    /* 1001 addresses: refused. */
    wbuf_reset(&w);
    struct proto_netaddr *many = calloc(PROTO_MAX_ADDR + 1, sizeof(*many));
    proto_addr_encode(&w, false, many, PROTO_MAX_ADDR + 1);
    assert_false(dec_addr1(w.data, w.len));
    wbuf_reset(&w);
    proto_addr_encode(&w, false, many, PROTO_MAX_ADDR);
    assert_true(dec_addr1(w.data, w.len));
    free(many);
    wbuf_free(&w);
}

/* An addrv2 message of one entry of network net with len address bytes. */
static void addrv2_one(struct wbuf *w, uint8_t net, const uint8_t *bytes, size_t len)
{
    wbuf_reset(w);
    wbuf_compact(w, 1);
    wbuf_u32(w, 1700000000), wbuf_compact(w, PROTO_NODE_NETWORK), wbuf_u8(w, net);
    wbuf_varbytes(w, bytes, len), wbuf_u16be(w, 8333);
}

/* BIP155 entries of networks we cannot reach (Tor v3, I2P, CJDNS) are kept
 * with their network id and bytes, as Core keeps them to relay: they go
 * out again in addrv2, never in a v1 addr message (Core's
 * IsAddrV1Compatible). A wrong length for their network is a malformed
 * message, as Core throws on it. */
static void test_addrv2_other_networks(void **state)
{
    static const struct {
        uint8_t net;
        size_t len;
    } nets[] = {{PROTO_NET_TORV3, 32}, {PROTO_NET_I2P, 32}, {PROTO_NET_CJDNS, 16}};
    uint8_t bytes[33];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)(0xfc + i);
    struct wbuf w, again;
    wbuf_init(&w);
    wbuf_init(&again);
    for (size_t k = 0; k < 3; k++) {
        addrv2_one(&w, nets[k].net, bytes, nets[k].len);
        struct proto_netaddr *out = decode_kept(&w, true, 1);
        assert_int_equal(out[0].net, nets[k].net);
        assert_false(proto_netaddr_is_ip(&out[0]));
        assert_false(proto_netaddr_is_ipv4(&out[0]));
        assert_int_equal(proto_netaddr_len(&out[0]), nets[k].len);
        assert_memory_equal(out[0].ip, bytes, nets[k].len);
        assert_int_equal(out[0].port, 8333);
        /* The same bytes out again in addrv2. */
        wbuf_reset(&again);
        proto_addr_encode(&again, true, out, 1);
        assert_int_equal(again.len, w.len);
        assert_memory_equal(again.data, w.data, w.len);
        /* Left out of a v1 addr message: an empty one. */
        wbuf_reset(&again);
        proto_addr_encode(&again, false, out, 1);
        assert_int_equal(again.len, 1);
        assert_int_equal(again.data[0], 0);
        free(out);
        check_truncations(&w, dec_addr2);
        /* One byte short or long: malformed. */
        addrv2_one(&w, nets[k].net, bytes, nets[k].len - 1);
        assert_false(dec_addr2(w.data, w.len));
        addrv2_one(&w, nets[k].net, bytes, nets[k].len + 1);
        assert_false(dec_addr2(w.data, w.len));
    }
    /* A v1 message with an IP entry among them keeps the IP one only. */
    struct proto_netaddr mix[2];
    memset(mix, 0, sizeof(mix));
    mix[0].net = PROTO_NET_TORV3;
    memcpy(mix[0].ip, bytes, 32);
    mix[1].ip[10] = mix[1].ip[11] = 0xff, mix[1].ip[12] = 8, mix[1].port = 8333;
    wbuf_reset(&w);
    proto_addr_encode(&w, false, mix, 2);
    struct proto_netaddr *out = decode_kept(&w, false, 1);
    assert_true(proto_netaddr_is_ipv4(&out[0]));
    free(out);
    wbuf_free(&w);
    wbuf_free(&again);
}

static bool dec_locator(const uint8_t *p, size_t n)
{
    struct cursor c;
    struct proto_locator loc;
    cursor_init(&c, p, n);
    bool ok = proto_locator_decode(&c, &loc);
    if (ok)
        proto_locator_clear(&loc);
    return ok;
}

static void test_locator(void **state)
{
    struct hash256 h[2], stop;
    memset(h, 0xab, sizeof(h));
    memset(&stop, 0, sizeof(stop));
    struct wbuf w;
    wbuf_init(&w);
    proto_locator_encode(&w, PROTO_VERSION, h, 2, &stop);
    struct cursor c;
    struct proto_locator loc;
    cursor_init(&c, w.data, w.len);
    assert_true(proto_locator_decode(&c, &loc));
    assert_int_equal(loc.version, PROTO_VERSION);
    assert_int_equal(loc.count, 2);
    assert_memory_equal(loc.hashes, h, sizeof(h));
    proto_locator_clear(&loc);
    check_truncations(&w, dec_locator);
    wbuf_reset(&w);
    wbuf_u32(&w, 1);
    wbuf_compact(&w, PROTO_MAX_LOCATOR + 1);
    assert_false(dec_locator(w.data, w.len));
    wbuf_free(&w);
}

static bool dec_headers(const uint8_t *p, size_t n)
{
    struct cursor c;
    const uint8_t **h;
    size_t count;
    cursor_init(&c, p, n);
    bool ok = proto_headers_decode(&c, &h, &count);
    free(h);
    return ok;
}

static void test_headers(void **state)
{
    uint8_t hdrs[2][80];
    memset(hdrs[0], 1, 80);
    memset(hdrs[1], 2, 80);
    struct wbuf w;
    wbuf_init(&w);
    proto_headers_encode(&w, hdrs, 2);
    assert_int_equal(w.len, 1 + 2 * 81);
    struct cursor c;
    const uint8_t **out;
    size_t n;
    cursor_init(&c, w.data, w.len);
    assert_true(proto_headers_decode(&c, &out, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(out[1], hdrs[1], 80);
    free(out);
    check_truncations(&w, dec_headers);
    wbuf_free(&w);
}

static bool dec_version(const uint8_t *p, size_t n)
{
    struct cursor c;
    struct proto_version v;
    cursor_init(&c, p, n);
    return proto_version_decode(&c, &v);
}

static void test_version_truncation(void **state)
{
    struct proto_version v;
    memset(&v, 0, sizeof(v));
    v.version = PROTO_VERSION;
    strcpy(v.user_agent, "/hearsay:0.1.0/");
    v.start_height = 7;
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    /* Prefixes that end exactly between optional groups are valid (old
     * peers); every other prefix is a truncated version. */
    size_t ua_end = 46 + 34 + 1 + strlen(v.user_agent);
    for (size_t n = 0; n <= w.len; n++) {
        bool boundary = n == 46 || n == 80 || n == ua_end || n == ua_end + 4 || n == w.len;
        assert_int_equal(dec_version(w.data, n), boundary);
    }
    /* A 257-byte user agent is refused. */
    wbuf_reset(&w);
    wbuf_bytes(&w, (uint8_t[80]){0}, 80);
    wbuf_compact(&w, 257);
    for (int i = 0; i < 257; i++)
        wbuf_u8(&w, 'a');
    assert_false(dec_version(w.data, w.len));
    wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_version),
        cmocka_unit_test(test_old_version),
        cmocka_unit_test(test_regtest_captures),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_command_compare),
        cmocka_unit_test(test_inv),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_addrv2_other_networks),
        cmocka_unit_test(test_locator),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_version_truncation),
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_list_limits),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_msg_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
