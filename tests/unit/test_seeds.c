/* Peer discovery's pure parts: the seed tables (Core's BIP155 records, as
 * converted into net/conn/seeds_data.c), seed names and sources, the
 * anchors.dat file (round trip, corruption, delete-once-read) and the
 * getaddr reply cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/conn/addrcache.h"
#include "net/conn/anchors.h"
#include "net/conn/seeds.h"
#include "chain/primitives/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_v4(const struct proto_netaddr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3,
                  uint16_t port)
{
    const uint8_t want[16] = {[10] = 0xff, [11] = 0xff, [12] = b0, [13] = b1, [14] = b2,
                              [15] = b3};
    return memcmp(a->ip, want, 16) == 0 && a->port == port;
}

/* Records per BIP155 network id in a chain's raw table. */
static void count_networks(enum chain_type chain, size_t counts[8])
{
    const struct seeds_table *t = &seeds_fixed_tables[chain];
    memset(counts, 0, 8 * sizeof(counts[0]));
    for (size_t i = 0; i < t->len; i += 2 + t->data[i + 1] + 2)
        counts[t->data[i] < 8 ? t->data[i] : 0]++;
}

static bool is_v6(const struct proto_netaddr *a, const char *hex, uint16_t port)
{
    uint8_t want[16];
    for (int i = 0; i < 16; i++)
        sscanf(hex + 2 * i, "%2hhx", &want[i]);
    return memcmp(a->ip, want, 16) == 0 && a->port == port;
}

static void test_fixed_seed_tables(void **state)
{
    /* Core's chainparams_seed_main as stored: 512 IPv4, 140 IPv6 and 24
     * Tor v3 records (its Tor v2 ones are dropped by the converter). */
    size_t counts[8];
    count_networks(CHAIN_MAIN, counts);
    assert_int_equal(counts[PROTO_NET_IPV4], 512);
    assert_int_equal(counts[PROTO_NET_IPV6], 140);
    assert_int_equal(counts[PROTO_NET_TORV2], 0);
    assert_int_equal(counts[PROTO_NET_TORV3], 24);
    assert_int_equal(counts[0], 0);
    /* Only Tor v2 for testnet3 there, and no table yet for testnet4 and signet. */
    for (enum chain_type c = CHAIN_TESTNET3; c <= CHAIN_REGTEST; c++)
        assert_int_equal(seeds_fixed_tables[c].len, 0);

    /* Decoded: the reachable networks only (IPv4 and IPv6), in order. */
    struct proto_netaddr *v;
    size_t n;
    assert_int_equal(seeds_fixed(CHAIN_MAIN, &v, &n, NULL), 0);
    assert_int_equal(n, 512 + 140);
    assert_true(is_v4(&v[0], 2, 39, 173, 126, 8333));
    assert_true(is_v4(&v[1], 3, 14, 168, 201, 48333));
    assert_true(is_v4(&v[99], 62, 251, 54, 163, 8333));
    assert_true(is_v4(&v[511], 223, 16, 30, 175, 8333));
    assert_true(is_v6(&v[512], "200119f06001306f0ec47afffe8f66ec", 8333));
    assert_true(is_v6(&v[651], "2c0ffce8000004000b7c000000000001", 8333));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i].services, PROTO_NODE_NETWORK | PROTO_NODE_WITNESS);
    free(v);
    for (enum chain_type c = CHAIN_TESTNET3; c <= CHAIN_REGTEST; c++) {
        assert_int_equal(seeds_fixed(c, &v, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(v);
    }
}

static void test_decode_records(void **state)
{
    /* IPv4, a Tor v3 record (skipped: unreachable for us), IPv6. */
    uint8_t t[8 + 36 + 20] = {0x01, 0x04, 10, 0, 0, 1, 0x20, 0x8d, 0x04, 0x20};
    t[8 + 34] = 0x20, t[8 + 35] = 0x8d;
    uint8_t *six = t + 44;
    six[0] = 0x02, six[1] = 0x10, six[2] = 0x20, six[3] = 0x01, six[17] = 0x01;
    six[18] = 0x47, six[19] = 0x9d;
    struct proto_netaddr *v;
    size_t n;
    char *err = NULL;
    assert_int_equal(seeds_decode(t, sizeof(t), &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(is_v4(&v[0], 10, 0, 0, 1, 8333));
    assert_int_equal(v[1].ip[0], 0x20);
    assert_int_equal(v[1].ip[15], 0x01);
    assert_int_equal(v[1].port, 18333);
    free(v);
    /* Truncated, and an IPv4 record of the wrong length. */
    assert_int_equal(seeds_decode(t, 7, &v, &n, &err), -1);
    assert_non_null(strstr(err, "malformed fixed seed record at byte 0"));
    free(err);
    err = NULL;
    const uint8_t bad[] = {0x01, 0x05, 1, 2, 3, 4, 5, 0x20, 0x8d};
    assert_int_equal(seeds_decode(bad, sizeof(bad), &v, &n, &err), -1);
    assert_non_null(strstr(err, "malformed fixed seed record at byte 0"));
    free(err);
    err = NULL;
    /* After a good record, an IPv6 one cut short. */
    assert_int_equal(seeds_decode(t, 8 + 36 + 19, &v, &n, &err), -1);
    assert_non_null(strstr(err, "malformed fixed seed record at byte 44"));
    free(err);
}

static void test_dns_names(void **state)
{
    size_t n;
    const char *const *h = seeds_dns_hosts(CHAIN_MAIN, &n);
    assert_int_equal(n, 9);
    assert_string_equal(h[0], "seed.bitcoin.sipa.be");
    assert_null(seeds_dns_hosts(CHAIN_REGTEST, &n));
    assert_int_equal(n, 0);
    seeds_dns_hosts(CHAIN_TESTNET4, &n);
    assert_int_equal(n, 2);
    char name[64];
    assert_int_equal(seeds_service_name("seed.example", name, sizeof(name)), 0);
    assert_string_equal(name, "x9.seed.example");
    assert_int_equal(seeds_service_name("seed.example", name, 8), -1);
    struct proto_netaddr a, b;
    seeds_source("seed.a", &a);
    seeds_source("seed.b", &b);
    assert_int_equal(a.ip[0], 0xfd);
    assert_int_equal(a.ip[5], 0x24);
    assert_memory_not_equal(a.ip, b.ip, 16);
}

static struct proto_netaddr sample_anchor(uint8_t last)
{
    struct proto_netaddr a = {.time = 1700000000, .services = 0x409, .port = 8333};
    a.ip[10] = a.ip[11] = 0xff;
    a.ip[12] = 1, a.ip[13] = 2, a.ip[14] = 3, a.ip[15] = last;
    return a;
}

static void test_anchors_round_trip(void **state)
{
    struct proto_netaddr in[2] = {sample_anchor(4), sample_anchor(5)}, out[2];
    struct wbuf w;
    size_t n;
    wbuf_init(&w);
    anchors_encode(in, 2, &w);
    assert_int_equal(w.len, 4 + 1 + 1 + 2 * 30 + 4);
    assert_int_equal(anchors_decode(w.data, w.len, out, 2, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(in, out, sizeof(in));
    /* Only cap entries are kept. */
    assert_int_equal(anchors_decode(w.data, w.len, out, 1, &n, NULL), 0);
    assert_int_equal(n, 1);
    wbuf_free(&w);
}

static void expect_corrupt(const uint8_t *data, size_t len, const char *why)
{
    struct proto_netaddr out[2];
    size_t n = 7;
    char *err = NULL;
    assert_int_equal(anchors_decode(data, len, out, 2, &n, &err), -1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, why));
    free(err);
}

static void test_anchors_corruption(void **state)
{
    struct proto_netaddr in = sample_anchor(4);
    struct wbuf w;
    wbuf_init(&w);
    anchors_encode(&in, 1, &w);
    w.data[10] ^= 1; /* a bit of the address */
    expect_corrupt(w.data, w.len, "checksum");
    w.data[10] ^= 1;
    expect_corrupt(w.data, w.len - 1, "checksum"); /* truncated */
    expect_corrupt(w.data, 5, "too short");
    wbuf_free(&w);
    /* Well summed but not ours: the wrong magic, version or count. */
    const uint8_t head[][6] = {{'X', 'S', 'A', 'N', 1, 1}, {'H', 'S', 'A', 'N', 2, 1},
                               {'H', 'S', 'A', 'N', 1, 2}};
    const char *why[] = {"not an anchors file", "version", "count"};
    for (int k = 0; k < 3; k++) {
        struct wbuf b;
        struct hash256 h;
        wbuf_init(&b);
        wbuf_bytes(&b, head[k], 6);
        wbuf_bytes(&b, (uint8_t[30]){0}, 30);
        hash_sha256d(b.data, b.len, &h);
        wbuf_bytes(&b, h.b, 4);
        expect_corrupt(b.data, b.len, why[k]);
        wbuf_free(&b);
    }
}

static void test_anchors_file(void **state)
{
    char dir[] = "/tmp/test_anchors_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/anchors.dat", dir);
    struct proto_netaddr in[2] = {sample_anchor(4), sample_anchor(5)}, out[2];
    size_t n = 9;
    assert_int_equal(anchors_read(path, out, 2, &n, NULL), 0); /* none yet */
    assert_int_equal(n, 0);
    assert_int_equal(anchors_write(path, in, 2, NULL), 0);
    assert_int_equal(anchors_read(path, out, 2, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(access(path, F_OK), -1); /* deleted once read, as Core */
    /* A corrupt file is refused, and deleted all the same. */
    FILE *f = fopen(path, "wb");
    fputs("garbage garbage garbage", f);
    fclose(f);
    char *err = NULL;
    assert_int_equal(anchors_read(path, out, 2, &n, &err), -1);
    free(err);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
}

static size_t fills;

static size_t fill_counting(void *ctx, struct proto_netaddr *out, size_t max)
{
    fills++;
    out[0] = sample_anchor((uint8_t)fills);
    return 1;
}

static void test_addr_cache(void **state)
{
    struct addrcache *c = addrcache_new();
    size_t n;
    const int64_t t0 = 1700000000;
    fills = 0;
    const int64_t jitter = 5 * 3600;
    const struct proto_netaddr *a = addrcache_get(c, 1, t0, jitter, fill_counting, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].ip[15], 1);
    /* The same reply until 21 h plus the random part (here 5 h) are over. */
    a = addrcache_get(c, 1, t0 + ADDRCACHE_LIFETIME + jitter, 0, fill_counting, NULL, &n);
    assert_int_equal(a[0].ip[15], 1);
    assert_int_equal(fills, 1);
    /* Another network or local address has its own reply. */
    a = addrcache_get(c, 2, t0, 0, fill_counting, NULL, &n);
    assert_int_equal(a[0].ip[15], 2);
    a = addrcache_get(c, 1, t0 + ADDRCACHE_LIFETIME + jitter + 1, 0, fill_counting, NULL, &n);
    assert_int_equal(a[0].ip[15], 3);
    assert_int_equal(fills, 3);
    addrcache_free(c);
    addrcache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_seed_tables), cmocka_unit_test(test_decode_records),
        cmocka_unit_test(test_dns_names),         cmocka_unit_test(test_anchors_round_trip),
        cmocka_unit_test(test_anchors_corruption), cmocka_unit_test(test_anchors_file),
        cmocka_unit_test(test_addr_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
