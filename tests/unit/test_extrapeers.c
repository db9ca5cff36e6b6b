/* Core's extra outbound peers (net/sync/extrapeers.c), on the netproc
 * harness with a fake connman and a mock clock: the stale tip check that
 * allows an extra full-relay peer, the eviction of the full-relay peer
 * with the oldest block announcement (protected peers and the only peer
 * of a network kept), the choice between the two youngest
 * block-relay-only peers, and the eviction of an outbound peer on an old
 * chain. Node 0 is under test; node 1 mines the blocks
 * that fake outbound peers (ids from 100) announce and deliver to it. */
#include "tests/unit/netproc_harness.h"

#define MIN (60 * SEC)

/* Peer id announces node 1's next block to node 0 by headers and sends
 * it; node 1 takes it too. Returns its header. */
static struct block_header peer_new_block(uint64_t id)
{
    struct block *b = mine(1, NULL, 0);
    struct block_header h = b->hdr;
    peer_sends_headers(id, &h, 1);
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    peer_sends(id, PROTO_CMD_BLOCK, &w);
    wbuf_free(&w);
    submit(1, b);
    assert_int_equal(chainstate_height(net.n[0].cs), chainstate_height(net.n[1].cs));
    return h;
}

static void connect_peer(uint64_t id, enum peer_kind kind, uint8_t network)
{
    struct net_peer_props p = props_of(id, false);
    p.kind = kind;
    p.network = network;
    netproc_connected(net.n[0].np, &p, net.now);
}

static void setup_extra(void)
{
    harness_extra = true;
    setup_net(2, 0);
}

/* TipMayBeStale: no new tip for 3 block intervals (regtest: 30 min),
 * checked every 10 minutes, allows an extra full-relay peer; a new tip
 * withdraws it at the next check. */
static void test_stale_tip(void **state)
{
    setup_extra();
    run_until(net.now + SEC);
    assert_false(net.try_new);
    run_until(net.now + 29 * MIN);
    assert_false(net.try_new);
    run_until(net.now + 12 * MIN);
    assert_true(net.try_new);
    mine_at(0, 1);
    run_until(net.now + 11 * MIN);
    assert_false(net.try_new);
    teardown_net();
}

/* With a full-relay peer beyond the slots, the one whose last new block
 * announcement is oldest goes: not within 30 s of connecting, not one of
 * the 4 protected peers that showed our chain, not the only IPv6 peer. */
static void test_evict_extra_full_relay(void **state)
{
    setup_extra();
    for (uint64_t id = 100; id <= 105; id++)
        connect_peer(id, PEER_FULL_RELAY, PROTO_NET_IPV4);
    connect_peer(106, PEER_FULL_RELAY, PROTO_NET_IPV6);
    struct block_header b1 = peer_new_block(100); /* 100 announced first */
    for (uint64_t id = 101; id <= 103; id++)
        peer_sends_headers(id, &b1, 1); /* on our chain: 100..103 protected */
    net.now += 5 * SEC;
    struct block_header b2 = peer_new_block(105); /* 105 announced b2 first */
    peer_sends_headers(104, &b2, 1); /* 104 had nothing new for us */
    net.extra_full = 1;
    net.try_new = true;
    run_until(net.now + 10 * SEC);
    assert_int_equal(net.ndropped, 0); /* connected under 30 s ago */
    run_until(net.now + 45 * SEC);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], 104);
    assert_false(net.try_new); /* the extra peer did come */
    /* Asked to go, 104 is no candidate; then 105 is the worst. */
    run_until(net.now + 45 * SEC);
    assert_int_equal(net.ndropped, 2);
    assert_int_equal(net.dropped[1], 105);
    netproc_disconnected(net.n[0].np, 104, net.now);
    netproc_disconnected(net.n[0].np, 105, net.now);
    /* No extra peer: nobody goes. */
    net.extra_full = 0;
    run_until(net.now + 2 * MIN);
    assert_int_equal(net.ndropped, 2);
    teardown_net();
}

/* Once the tip is recent, extra block-relay-only peers start; of the two
 * youngest, the one that gave us a new block least recently goes. */
static void test_extra_block_relay(void **state)
{
    setup_extra();
    run_until(net.now + SEC);
    assert_false(net.block_relay_started); /* genesis: a day old */
    connect_peer(110, PEER_BLOCK_RELAY, PROTO_NET_IPV4);
    connect_peer(111, PEER_BLOCK_RELAY, PROTO_NET_IPV4);
    connect_peer(112, PEER_BLOCK_RELAY, PROTO_NET_IPV4);
    peer_new_block(111);
    net.wall = (int64_t)chainstate_tip(net.n[0].cs)->hdr.time + 60;
    net.extra_block = 1;
    run_until(net.now + 45 * SEC); /* one check (every 45 s) */
    assert_true(net.block_relay_started);
    /* 112, the youngest, gave nothing: it goes. */
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], 112);
    netproc_disconnected(net.n[0].np, 112, net.now);
    /* The next extra peer brings a block after 111 did: 111 goes. */
    connect_peer(113, PEER_BLOCK_RELAY, PROTO_NET_IPV4);
    net.now += 5 * SEC;
    peer_new_block(113);
    run_until(net.now + 45 * SEC);
    assert_int_equal(net.ndropped, 2);
    assert_int_equal(net.dropped[1], 111);
    teardown_net();
}

/* Core's ConsiderEviction: an outbound peer whose best block has less
 * work than our tip has 20 minutes to show our tip's work, then is asked
 * for headers and dropped 2 minutes later if it still has not; a peer
 * that shows it meanwhile stays. */
static void test_old_chain_evicted(void **state)
{
    setup_net(1, 0);
    mine_at(0, 1);
    connect_peer(120, PEER_BLOCK_RELAY, PROTO_NET_IPV4); /* stays behind */
    connect_peer(121, PEER_BLOCK_RELAY, PROTO_NET_IPV4); /* catches up */
    run_until(net.now + 19 * MIN);
    assert_int_equal(net.ndropped, 0);
    peer_sends_headers(121, &chainstate_tip(net.n[0].cs)->hdr, 1);
    run_until(net.now + 2 * MIN);
    assert_int_equal(net.ndropped, 0); /* 120 was asked for headers */
    run_until(net.now + 2 * MIN);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], 120);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_tip),
        cmocka_unit_test(test_evict_extra_full_relay),
        cmocka_unit_test(test_extra_block_relay),
        cmocka_unit_test(test_old_chain_evicted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
