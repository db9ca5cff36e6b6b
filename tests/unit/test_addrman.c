/* The address manager: validation, bucketing, flood resistance, tried
 * table, selection backoff, getaddr sampling and persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/conn/addrman.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1700000000

static struct proto_netaddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct proto_netaddr n;
    memset(&n, 0, sizeof(n));
    n.ip[10] = n.ip[11] = 0xff;
    n.ip[12] = a, n.ip[13] = b, n.ip[14] = c, n.ip[15] = d;
    n.port = port;
    n.time = NOW - 100;
    n.services = PROTO_NODE_NETWORK;
    return n;
}

static void test_validation(void **state)
{
    struct proto_netaddr a = v4(8, 8, 4, 4, 8333);
    assert_true(addrman_addr_ok(&a, false));
    a.port = 0;
    assert_false(addrman_addr_ok(&a, false));
    a = v4(127, 0, 0, 1, 18444);
    assert_false(addrman_addr_ok(&a, false));
    assert_true(addrman_addr_ok(&a, true));
    a = v4(192, 168, 1, 1, 8333);
    assert_false(addrman_addr_ok(&a, false));
    a = v4(0, 1, 2, 3, 8333);
    assert_false(addrman_addr_ok(&a, true));
    struct proto_netaddr six;
    memset(&six, 0, sizeof(six));
    six.ip[0] = 0x20, six.ip[1] = 0x01, six.ip[2] = 0x0d, six.ip[3] = 0xb8; /* documentation */
    six.port = 8333;
    assert_false(addrman_addr_ok(&six, false));
    six.ip[2] = 0x41;
    assert_true(addrman_addr_ok(&six, false));
    /* Groups: /16 for IPv4. */
    uint8_t g1[5], g2[5];
    struct proto_netaddr x = v4(8, 8, 1, 1, 1), y = v4(8, 8, 200, 9, 2);
    assert_int_equal(addrman_group(&x, g1), 3);
    addrman_group(&y, g2);
    assert_memory_equal(g1, g2, 3);
}

/* Core stores addresses of reachable networks only ("do not store
 * addresses outside our network"): Tor v3, I2P and CJDNS ones are relayed,
 * never stored, so never selected for a connection. An onion address whose
 * first 16 bytes are those of a stored IPv6 one is another endpoint. */
static void test_unreachable_networks_not_stored(void **state)
{
    struct addrman *am = addrman_new(NULL, false, 7, NULL);
    struct proto_netaddr six, onion, src = v4(9, 9, 9, 9, 8333);
    memset(&six, 0, sizeof(six));
    six.ip[0] = 0x20, six.ip[1] = 0x01, six.ip[2] = 0x41, six.ip[15] = 1;
    six.port = 8333, six.time = NOW - 100, six.services = PROTO_NODE_NETWORK;
    onion = six;
    onion.net = PROTO_NET_TORV3;
    onion.ip[31] = 0x77;
    for (uint8_t net = PROTO_NET_TORV3; net <= PROTO_NET_CJDNS; net++) {
        struct proto_netaddr a = onion;
        a.net = net;
        a.ip[0] = 0xfc; /* a valid CJDNS address */
        assert_false(addrman_addr_ok(&a, true));
        assert_false(addrman_add(am, &a, &src, NOW));
    }
    assert_int_equal(addrman_size(am), 0);
    assert_true(addrman_add(am, &six, &src, NOW));
    assert_int_equal(addrman_find(am, &onion), 0);
    assert_false(addrman_same_endpoint(&six, &onion));
    struct proto_netaddr got;
    assert_true(addrman_select(am, NOW, NULL, NULL, &got));
    assert_true(proto_netaddr_is_ip(&got));
    addrman_free(am);
}

static void test_add_good_select(void **state)
{
    struct addrman *am = addrman_new(NULL, false, 1, NULL);
    struct proto_netaddr src = v4(1, 2, 3, 4, 8333);
    struct proto_netaddr a = v4(8, 8, 4, 4, 8333);
    assert_true(addrman_add(am, &a, &src, NOW));
    assert_false(addrman_add(am, &a, &src, NOW)); /* known */
    struct proto_netaddr priv = v4(10, 0, 0, 1, 8333);
    assert_false(addrman_add(am, &priv, &src, NOW));
    assert_int_equal(addrman_size(am), 1);
    assert_int_equal(addrman_find(am, &a), 1);
    addrman_good(am, &a, NOW);
    assert_int_equal(addrman_find(am, &a), 2);
    assert_int_equal(addrman_tried_count(am), 1);
    /* A success does not hold an address back; a pending attempt holds it
     * for a minute, and failures double the wait. */
    struct proto_netaddr out;
    assert_true(addrman_select(am, NOW + 1, NULL, NULL, &out));
    assert_true(addrman_same_endpoint(&out, &a));
    addrman_attempt(am, &a, false, NOW + 10);
    assert_false(addrman_select(am, NOW + 20, NULL, NULL, &out));
    assert_true(addrman_select(am, NOW + 71, NULL, NULL, &out));
    addrman_attempt(am, &a, true, NOW + 100);
    addrman_attempt(am, &a, true, NOW + 100);
    assert_false(addrman_select(am, NOW + 100 + 200, NULL, NULL, &out)); /* 4 min wait */
    assert_true(addrman_select(am, NOW + 100 + 241, NULL, NULL, &out));
    addrman_free(am);
}

static void test_flood_resistance(void **state)
{
    struct addrman *am = addrman_new(NULL, false, 7, NULL);
    /* Honest addresses from many sources first. */
    for (int i = 0; i < 200; i++) {
        struct proto_netaddr src = v4(20, (uint8_t)i, 1, 1, 8333);
        struct proto_netaddr a = v4(30, (uint8_t)i, 2, 2, 8333);
        addrman_add(am, &a, &src, NOW);
    }
    size_t honest = addrman_size(am);
    assert_true(honest > 180);
    /* One attacker sends 20000 addresses from all over the address space. */
    struct proto_netaddr evil = v4(66, 6, 6, 6, 8333);
    for (int i = 0; i < 20000; i++) {
        struct proto_netaddr a = v4((uint8_t)(40 + i % 150), (uint8_t)(i / 150), 3, 3, 8333);
        addrman_add(am, &a, &evil, NOW);
    }
    /* It fills at most its 16 new buckets and displaces no honest entry. */
    assert_true(addrman_size(am) - honest <= ADDRMAN_NEW_BUCKETS_PER_SOURCE * ADDRMAN_BUCKET_SIZE);
    for (int i = 0; i < 200; i++) {
        struct proto_netaddr src = v4(20, (uint8_t)i, 1, 1, 8333);
        struct proto_netaddr a = v4(30, (uint8_t)i, 2, 2, 8333);
        if (!addrman_add(am, &a, &src, NOW))
            continue; /* known already (or lost to a collision at first add) */
        fail_msg("honest address %d was displaced", i);
    }
    addrman_free(am);
}

static void test_terrible_replaced(void **state)
{
    struct addrman *am = addrman_new(NULL, false, 3, NULL);
    struct proto_netaddr src = v4(5, 5, 5, 5, 8333);
    /* Stale entries (time 0) give way to fresh ones in the same slots. */
    for (int i = 0; i < 3000; i++) {
        struct proto_netaddr a = v4(50, (uint8_t)(i / 250), (uint8_t)(i % 250), 1, 8333);
        a.time = 0;
        addrman_add(am, &a, &src, NOW);
    }
    size_t stale = addrman_size(am);
    for (int i = 0; i < 3000; i++) {
        struct proto_netaddr a = v4(60, (uint8_t)(i / 250), (uint8_t)(i % 250), 1, 8333);
        addrman_add(am, &a, &src, NOW);
    }
    size_t fresh = 0;
    for (int i = 0; i < 3000; i++) {
        struct proto_netaddr a = v4(60, (uint8_t)(i / 250), (uint8_t)(i % 250), 1, 8333);
        fresh += addrman_find(am, &a) != 0;
    }
    assert_true(fresh >= stale * 9 / 10);
    assert_true(addrman_size(am) <= ADDRMAN_NEW_BUCKETS_PER_SOURCE * ADDRMAN_BUCKET_SIZE);
    addrman_free(am);
}

static void test_sample(void **state)
{
    struct addrman *am = addrman_new(NULL, false, 9, NULL);
    for (int i = 0; i < 100; i++) {
        struct proto_netaddr src = v4(20, (uint8_t)i, 1, 1, 8333);
        struct proto_netaddr a = v4(30, (uint8_t)i, 2, 2, 8333);
        addrman_add(am, &a, &src, NOW);
    }
    struct proto_netaddr out[1000];
    size_t n = addrman_sample(am, NOW, out, 1000);
    assert_int_equal(n, addrman_size(am) * 23 / 100);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_false(addrman_same_endpoint(&out[i], &out[j]));
    assert_int_equal(addrman_sample(am, NOW, out, 5), 5);
    addrman_free(am);
}

static void test_persistence(void **state)
{
    char dir[] = "/tmp/hearsay-addrman-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/peers", dir);
    char *err = NULL;
    struct addrman *am = addrman_new(path, false, 11, &err);
    assert_non_null(am);
    for (int i = 0; i < 50; i++) {
        struct proto_netaddr src = v4(20, (uint8_t)i, 1, 1, 8333);
        struct proto_netaddr a = v4(30, (uint8_t)i, 2, 2, 8333);
        addrman_add(am, &a, &src, NOW);
        if (i < 5)
            addrman_good(am, &a, NOW);
    }
    size_t size = addrman_size(am), tried = addrman_tried_count(am);
    addrman_free(am);
    am = addrman_new(path, false, 12, &err); /* another seed: the key is stored */
    assert_non_null(am);
    assert_int_equal(addrman_size(am), size);
    assert_int_equal(addrman_tried_count(am), tried);
    struct proto_netaddr a = v4(30, 3, 2, 2, 8333);
    assert_int_equal(addrman_find(am, &a), 2);
    addrman_free(am);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_unreachable_networks_not_stored),
        cmocka_unit_test(test_add_good_select),
        cmocka_unit_test(test_flood_resistance),
        cmocka_unit_test(test_terrible_replaced),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_persistence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
