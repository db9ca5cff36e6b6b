/* BIP159 in netproc, as Bitcoin Core: a pruned node (NODE_NETWORK_LIMITED
 * only) serves blocks within 288 + 2 of its tip and drops a peer asking
 * for an older one (after a notfound for it); a peer that advertises
 * NODE_NETWORK_LIMITED only is asked for no block during initial download
 * and never for one 286 or more below its best block. A peer promising
 * no blocks at all is not synced from, and one without NODE_WITNESS is
 * asked for no block under segwit rules (all of regtest's). */
#include "tests/unit/netproc_harness.h"

#define LIMITED (PROTO_NODE_NETWORK_LIMITED | PROTO_NODE_WITNESS)
#define FULL (PROTO_NODE_NETWORK | PROTO_NODE_WITNESS)

static void limited_node0(int i, struct netproc_options *o)
{
    o->limited = i == 0;
}

static void fake_connects(int node, uint64_t id, uint64_t services)
{
    struct net_peer_props fp = props_of(id, false);
    fp.services = services;
    netproc_connected(net.n[node].np, &fp, net.now);
}

/* Peer `id` sends node `to` node 0's headers from..to_h (at most 2000). */
static void fake_headers(int node, uint64_t id, int from, int to_h)
{
    size_t n = (size_t)(to_h - from + 1);
    uint8_t(*raw)[80] = malloc(n * 80);
    const uint8_t **ptrs = malloc(n * sizeof(*ptrs));
    for (size_t k = 0; k < n; k++) {
        block_header_serialize(&chainstate_at(net.n[0].cs, from + (int)k)->hdr, raw[k]);
        ptrs[k] = raw[k];
    }
    struct net_msg m = {.cmd = PROTO_CMD_HEADERS};
    m.u.headers.hdrs = ptrs;
    m.u.headers.n = n;
    netproc_message(net.n[node].np, id, &m, net.now);
    free(ptrs);
    free(raw);
}

static void fake_getdata(int node, const struct proto_inv *items, size_t n)
{
    struct net_msg m = {.cmd = PROTO_CMD_GETDATA};
    m.u.inv.items = items;
    m.u.inv.n = n;
    netproc_message(net.n[node].np, FAKE, &m, net.now);
}

static struct proto_inv block_item(int node, int height)
{
    return (struct proto_inv){PROTO_INV_BLOCK | PROTO_INV_WITNESS_FLAG,
                              chainstate_at(net.n[node].cs, height)->hash};
}

/* Node 0, pruned, at height 300, with the fake peer connected. */
static void pruned_node_300(void)
{
    harness_options = limited_node0;
    setup_net(1, 0);
    harness_options = NULL;
    mine_at(0, 300);
    fake_connects(0, FAKE, FULL);
}

/* Tip 300: height 10 (290 deep) is served, height 9 (291 deep) is
 * answered with notfound and the peer dropped; what it asked for after
 * that is not served. */
static void test_serves_window_only(void **state)
{
    pruned_node_300();
    struct proto_inv items[3] = {block_item(0, 10), block_item(0, 9), block_item(0, 300)};
    fake_getdata(0, items, 3);
    assert_int_equal(net.fake_nblocks, 1);
    assert_true(hash_eq(&net.fake_blocks[0], &items[0].hash));
    struct proto_inv nf[4];
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 4), 1);
    assert_int_equal(nf[0].type, items[1].type);
    assert_true(hash_eq(&nf[0].hash, &items[1].hash));
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE);
    assert_false(netproc_input_held(net.n[0].np, FAKE));
    teardown_net();
}

/* Without pruning the same request is served whole. */
static void test_full_node_serves_all(void **state)
{
    setup_net(1, 0);
    mine_at(0, 300);
    fake_connects(0, FAKE, FULL);
    struct proto_inv items[3] = {block_item(0, 10), block_item(0, 9), block_item(0, 1)};
    fake_getdata(0, items, 3);
    assert_int_equal(net.fake_nblocks, 3);
    struct proto_inv nf[4];
    assert_int_equal(fake_invs(PROTO_CMD_NOTFOUND, nf, 4), 0);
    assert_int_equal(net.ndropped, 0);
    teardown_net();
}

/* getblocks, as Core's pruned node: no inv for blocks at or below tip -
 * 282 (288 less an hour of blocks), and none after such a block. */
static void test_getblocks_window(void **state)
{
    pruned_node_300();
    struct hash256 from = chainstate_at(net.n[0].cs, 0)->hash; /* genesis: 1 is too old */
    struct net_msg m = {.cmd = PROTO_CMD_GETBLOCKS};
    m.u.locator = (struct proto_locator){.count = 1, .hashes = &from};
    netproc_message(net.n[0].np, FAKE, &m, net.now);
    assert_int_equal(queued(PROTO_CMD_INV, -1), 0);
    from = chainstate_at(net.n[0].cs, 18)->hash; /* 19 on: 19 > 300 - 282 */
    netproc_message(net.n[0].np, FAKE, &m, net.now);
    struct proto_inv inv[300];
    assert_int_equal(fake_invs(PROTO_CMD_INV, inv, 300), 282);
    assert_true(hash_eq(&inv[0].hash, &chainstate_at(net.n[0].cs, 19)->hash));
    teardown_net();
}

/* Out of initial download, node 1 hears of 600 blocks from a limited
 * peer: it asks for the oldest blocks the peer keeps (315 on: 600 - 315 <
 * 288 - 2), none below. */
static void test_limited_peer_window(void **state)
{
    setup_net(2, 0);
    mine_at(0, 600);
    fake_connects(1, FAKE, LIMITED);
    fake_headers(1, FAKE, 1, 600);
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[1].np, FAKE, &pi));
    assert_int_equal(pi.blocks_in_flight, NETPROC_MAX_BLOCKS_IN_FLIGHT);
    for (size_t k = 0; k < NETPROC_MAX_BLOCKS_IN_FLIGHT; k++)
        assert_int_equal(pi.inflight[k], 315 + (int)k);
    teardown_net();
}

/* A peer with those services connects to node 1 and sends node 0's
 * headers 1..to_h: how many blocks node 1 then asks it for. */
static size_t announcer_in_flight(uint64_t id, uint64_t services, int to_h)
{
    fake_connects(1, id, services);
    fake_headers(1, id, 1, to_h);
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[1].np, id, &pi));
    return pi.blocks_in_flight;
}

/* During initial download (the tip a month old) a limited peer is asked
 * for nothing; a full peer announcing the same headers is. */
static void test_limited_peer_ibd(void **state)
{
    setup_net(2, 0);
    net.wall = GENESIS_TIME + 30 * 24 * 3600;
    mine_at(0, 10);
    assert_int_equal(announcer_in_flight(FAKE, LIMITED, 10), 0);
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[1].np, FAKE, &pi));
    assert_int_equal(pi.synced_headers, 10);
    assert_int_equal(announcer_in_flight(FAKE + 1, FULL, 10), 10);
    teardown_net();
}

/* Core's CanServeBlocks and CanServeWitnesses: a peer without block
 * service is not synced from (no getheaders), and neither it nor one
 * without witnesses is asked for the blocks it announces; a full peer is. */
static void test_services_unfit(void **state)
{
    setup_net(2, 0);
    mine_at(0, 10);
    assert_int_equal(announcer_in_flight(FAKE, PROTO_NODE_WITNESS, 10), 0);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 0);
    assert_int_equal(announcer_in_flight(FAKE + 1, PROTO_NODE_NETWORK, 10), 0);
    assert_int_equal(net.fake_getdata, 0);
    assert_int_equal(announcer_in_flight(FAKE + 2, FULL, 10), 10);
    teardown_net();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serves_window_only),
        cmocka_unit_test(test_full_node_serves_all),
        cmocka_unit_test(test_getblocks_window),
        cmocka_unit_test(test_limited_peer_window),
        cmocka_unit_test(test_limited_peer_ibd),
        cmocka_unit_test(test_services_unfit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
