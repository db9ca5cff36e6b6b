/* netproc's headers and block announcements over the in-memory network
 * (tests/unit/netproc_harness.h), as Bitcoin Core's net_processing:
 * sendheaders, headers that do not connect or break the rules, the
 * initial headers sync with one peer and the getheaders it sends (one at
 * a time per peer, one new peer per block inv), and what announces our
 * blocks (the headers a peer lacks, up to 8, else an inv; nothing during
 * initial download). */
#include "tests/unit/netproc_harness.h"

/* sendheaders long after the handshake still switches block
 * announcements to headers (it used to be noticed in the first 10 s). */
static void test_late_sendheaders(void **state)
{
    setup_net(1, 0);
    struct net_peer_props fp = props_of(FAKE, true);
    fp.sendheaders = false;
    netproc_connected(net.n[0].np, &fp, net.now);
    mine_at(0, 1);
    run_until(net.now + 30 * SEC);
    assert_int_equal(net.fake_block_invs, 1);
    assert_int_equal(net.fake_headers, 0);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_SENDHEADERS, NULL, 0);
    run_until(net.now + SEC);
    mine_at(0, 1);
    run_until(net.now + 30 * SEC);
    assert_int_equal(net.fake_block_invs, 1);
    assert_int_equal(net.fake_headers, 1);
    teardown_net();
}

/* A header more than 2 hours ahead of our clock (Core's BLOCK_TIME_FUTURE)
 * is ignored, not punished; a header with bad proof of work is. */
static void test_future_header_not_punished(void **state)
{
    setup_net(1, 0);
    connect_fake(FAKE, false);
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    struct tx *cb = testutil_coinbase(1, 50 * 100000000LL, 7);
    struct block *b = testutil_block(&tip->hash, (uint32_t)time(NULL) + 3 * 3600, &cb, 1);
    uint8_t raw[1][80];
    block_header_serialize(&b->hdr, raw[0]);
    struct wbuf w;
    wbuf_init(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, 1);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_HEADERS, w.data, w.len);
    run_until(net.now + SEC);
    assert_int_equal(net.misbehaving, 0);
    assert_null(chainstate_find(net.n[0].cs, &b->hash));
    raw[0][72] ^= 0xff; /* nBits: no longer the chain's */
    wbuf_reset(&w);
    proto_headers_encode(&w, (const uint8_t(*)[80])raw, 1);
    io_send((void *)(intptr_t)-1, 1, PROTO_CMD_HEADERS, w.data, w.len);
    run_until(net.now + SEC);
    assert_int_equal(net.misbehaving, 1);
    wbuf_free(&w);
    block_free(b);
    teardown_net();
}

/* As Core: headers that do not connect get a getheaders for the gap, not
 * a punishment (HandleUnconnectingHeaders); headers whose proof of work
 * fails their own nBits, or that do not chain, are punished
 * (CheckHeadersPoW); so is a block whose parent we do not know
 * (BLOCK_MISSING_PREV in MaybePunishNodeForBlock). */
static void test_unconnecting_and_missing_prev(void **state)
{
    setup_net(1, 0);
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    peer_sends_headers(FAKE, NULL, 0); /* its answer to our initial getheaders */
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    struct hash256 unknown;
    memset(&unknown, 0x5a, sizeof(unknown));
    struct tx *cb = testutil_coinbase(2, 50 * 100000000LL, 9);
    struct block *orphan = testutil_block(&unknown, tip->hdr.time + 120, &cb, 1);
    peer_sends_headers(FAKE, &orphan->hdr, 1);
    assert_int_equal(net.misbehaving, 0);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1);
    /* Two headers that each pass but do not chain. */
    cb = testutil_coinbase(1, 50 * 100000000LL, 10);
    struct block *first = testutil_block(&tip->hash, tip->hdr.time + 60, &cb, 1);
    struct block_header pair[2] = {first->hdr, orphan->hdr};
    peer_sends_headers(FAKE, pair, 2);
    assert_int_equal(net.misbehaving, 1);
    assert_null(chainstate_find(net.n[0].cs, &first->hash));
    /* A header whose hash misses its own target. */
    struct block_header weak = first->hdr;
    testutil_grind(&weak, 0);
    peer_sends_headers(FAKE, &weak, 1);
    assert_int_equal(net.misbehaving, 2);
    /* The block whose parent we lack. */
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(orphan, &w, true);
    peer_sends(FAKE, PROTO_CMD_BLOCK, &w);
    assert_int_equal(net.misbehaving, 3);
    wbuf_free(&w);
    block_free(orphan);
    block_free(first);
    teardown_net();
}

static void fake_sends_block(const struct block *b)
{
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    peer_sends(FAKE, PROTO_CMD_BLOCK, &w);
    wbuf_free(&w);
}

/* Core's AcceptBlock: a block nobody asked for is stored only if it could
 * make the tip (at least the tip's work, at most 288 above it, past the
 * minimum chain work). A fork block with less work keeps only its
 * header, the peer unpunished; one on the tip is taken. */
static void test_unrequested_blocks(void **state)
{
    setup_net(1, 0);
    mine_at(0, 3);
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    peer_sends_headers(FAKE, NULL, 0); /* its answer to our initial getheaders */
    const struct bindex_node *one = chainstate_at(net.n[0].cs, 1);
    struct tx *cb = testutil_coinbase(2, 50 * 100000000LL, 77);
    struct block *fork = testutil_block(&one->hash, one->hdr.time + 61, &cb, 1);
    fake_sends_block(fork);
    const struct bindex_node *n = chainstate_find(net.n[0].cs, &fork->hash);
    assert_non_null(n);
    assert_false(n->status & BINDEX_HAVE_DATA);
    assert_int_equal(net.misbehaving, 0);
    const struct bindex_node *tip = chainstate_tip(net.n[0].cs);
    cb = testutil_coinbase(4, 50 * 100000000LL, 78);
    struct block *next = testutil_block(&tip->hash, tip->hdr.time + 60, &cb, 1);
    fake_sends_block(next);
    assert_int_equal(chainstate_height(net.n[0].cs), 4);
    block_free(fork);
    block_free(next);
    teardown_net();
}

/* Core's BLOCK handler before anything else: an unrequested block whose
 * new header is on a low-work chain is ignored, its header not stored
 * (else blocks would build the header chains the low-work headers sync
 * keeps out); a mutated one (here a coinbase changed after its merkle
 * root was computed) gets its sender punished, even where the block
 * would not be kept. */
static void test_unrequested_low_work_or_mutated(void **state)
{
    setup_net(1, 0);
    mine_at(0, 300); /* the threshold: the tip's work less 144 blocks' */
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    peer_sends_headers(FAKE, NULL, 0);
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct tx *cb = testutil_coinbase(1, 50 * 100000000LL, 91);
    struct block *low = testutil_block(&p->genesis_hash, p->genesis.time + 61, &cb, 1);
    fake_sends_block(low);
    assert_null(chainstate_find(net.n[0].cs, &low->hash));
    assert_int_equal(net.misbehaving, 0);
    const struct bindex_node *fork_at = chainstate_at(net.n[0].cs, 250);
    cb = testutil_coinbase(251, 50 * 100000000LL, 92);
    struct block *mut = testutil_block(&fork_at->hash, fork_at->hdr.time + 61, &cb, 1);
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(mut, &w, true);
    w.data[w.len - 1] ^= 1; /* the coinbase's lock time: another txid */
    peer_sends(FAKE, PROTO_CMD_BLOCK, &w);
    wbuf_free(&w);
    assert_int_equal(net.misbehaving, 1);
    assert_null(chainstate_find(net.n[0].cs, &mut->hash));
    block_free(low);
    block_free(mut);
    teardown_net();
}

/* An inv of the block hash tag..tag from each of node 0's fake peers ids[0..n). */
static void fakes_inv_block(const uint64_t *ids, size_t n, uint8_t tag)
{
    struct proto_inv it = {PROTO_INV_BLOCK, {{0}}};
    memset(it.hash.b, tag, sizeof(it.hash.b));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &it, 1);
    for (size_t i = 0; i < n; i++)
        peer_sends(ids[i], PROTO_CMD_INV, &w);
    wbuf_free(&w);
}

/* Core's block inv during the initial headers sync (with one peer): a
 * peer we do not sync with is asked for headers on an inv of a block we
 * lack once, and one such peer per new block. */
static void test_inv_headers_during_sync(void **state)
{
    setup_net(1, 0);
    net.wall = GENESIS_TIME + 30 * 86400; /* our best header is old */
    for (uint64_t id = FAKE; id <= FAKE + 2; id++)
        connect_fake(id, false);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1); /* the sync peer, FAKE */
    const uint64_t a = FAKE + 1, b = FAKE + 2, ab[2] = {a, b}, ba[2] = {b, a};
    fakes_inv_block(ab, 2, 0x71); /* a is asked, b not: the same block */
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 2);
    fakes_inv_block(ab, 1, 0x72); /* a was asked once already */
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 2);
    fakes_inv_block(ba, 2, 0x73); /* a new block: b is asked */
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 3);
    teardown_net();
}

/* Core's MaybeSendGetHeaders: while a getheaders of ours awaits its
 * answer (2 minutes at most), headers we cannot connect ask for no more,
 * so that each announcement does not start another stream of headers
 * beside the running one; headers that connect, or none, are the answer. */
static void test_getheaders_one_at_a_time(void **state)
{
    setup_net(2, 0);
    mine_at(1, 4); /* node 0 knows none of these */
    const struct block_header *h[5];
    for (int i = 1; i <= 4; i++)
        h[i] = &chainstate_at(net.n[1].cs, i)->hdr;
    connect_fake(FAKE, false);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1); /* the initial one */
    peer_sends_headers(FAKE, h[3], 1);
    peer_sends_headers(FAKE, h[4], 1);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1);
    peer_sends_headers(FAKE, NULL, 0); /* the answer: nothing new */
    peer_sends_headers(FAKE, h[3], 1);
    peer_sends_headers(FAKE, h[4], 1);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 2);
    struct block_header pair[2] = {*h[1], *h[2]};
    peer_sends_headers(FAKE, pair, 2); /* they connect: an answer */
    peer_sends_headers(FAKE, h[4], 1);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 3);
    net.now += 2 * 60 * SEC + 1; /* no answer in time: asked again */
    peer_sends_headers(FAKE, h[4], 1);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 4);
    assert_int_equal(net.misbehaving, 0);
    teardown_net();
}

/* A block announced while our getheaders awaits its answer is not lost:
 * if the answer lacks it, it is asked for then (Core remembers it as the
 * peer's hashLastUnknownBlock); once known, the peer is known to have it. */
static void test_announcement_while_getheaders_awaits(void **state)
{
    setup_net(2, 0);
    mine_at(1, 2);
    connect_fake(FAKE, false);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1); /* the initial one */
    const uint64_t fake = FAKE;
    fakes_inv_block(&fake, 1, 0x74);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 1);
    peer_sends_headers(FAKE, &chainstate_at(net.n[1].cs, 1)->hdr, 1); /* the answer */
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 2);
    peer_sends_headers(FAKE, &chainstate_at(net.n[1].cs, 2)->hdr, 1);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), 2); /* asked once */
    teardown_net();
}

/* Core's headers announcement (SendMessages): the blocks a peer lacks,
 * oldest first, when they connect to one it has and are at most 8, so
 * that two blocks connected at once do not reach it as a header it cannot
 * connect; more than 8, an inv of the tip. */
static void test_announce_connecting_headers(void **state)
{
    setup_net(1, 0);
    mine_at(0, 1);
    connect_fake(FAKE, false);
    peer_sends_headers(FAKE, &chainstate_tip(net.n[0].cs)->hdr, 1); /* it has our tip */
    run_until(net.now + SEC);
    size_t msgs = net.fake_headers, entries = net.fake_header_entries;
    mine_at(0, 2); /* between two of our ticks */
    run_until(net.now + SEC);
    assert_int_equal(net.fake_headers, msgs + 1);
    assert_int_equal(net.fake_header_entries, entries + 2);
    assert_int_equal(net.fake_block_invs, 0);
    mine_at(0, 9);
    run_until(net.now + SEC);
    assert_int_equal(net.fake_headers, msgs + 1);
    assert_int_equal(net.fake_block_invs, 1);
    teardown_net();
}

/* Core announces no block during initial download (UpdatedBlockTip). */
static void test_no_announcement_during_ibd(void **state)
{
    setup_net(1, 0);
    net.wall = GENESIS_TIME + 30 * 86400; /* initial download */
    connect_fake(FAKE, false);
    peer_sends_headers(FAKE, NULL, 0);
    mine_at(0, 1);
    run_until(net.now + SEC);
    assert_int_equal(net.fake_headers + net.fake_block_invs, 0);
    net.wall = (int64_t)chainstate_tip(net.n[0].cs)->hdr.time + 120;
    mine_at(0, 1);
    run_until(net.now + SEC);
    assert_int_equal(net.fake_headers + net.fake_block_invs, 1);
    teardown_net();
}

/* Core's initial headers sync: with our best header over a day old,
 * headers are asked of one (outbound) peer only; once the headers bring
 * us close to today, of the others too. */
static void test_headers_from_one_peer(void **state)
{
    setup_net(3, 0);
    net.wall = GENESIS_TIME + 30 * 86400;
    link_nodes(1, 0);
    mine_at(0, 20);
    run_until(net.now + 10 * SEC);
    assert_int_equal(chainstate_height(net.n[1].cs), 20);
    link_nodes(2, 0);
    link_nodes(2, 1);
    assert_int_equal(net.getheaders[2][0], 1); /* the first outbound peer */
    assert_int_equal(net.getheaders[2][1], 0);
    run_until(net.now + 10 * SEC);
    assert_int_equal(chainstate_height(net.n[2].cs), 20);
    assert_int_equal(net.getheaders[2][1], 0); /* still not close to today */
    net.wall = (int64_t)chainstate_tip(net.n[2].cs)->hdr.time + 3600;
    netproc_tick(net.n[2].np, net.now);
    assert_int_equal(net.getheaders[2][1], 1);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_late_sendheaders),
        cmocka_unit_test(test_future_header_not_punished),
        cmocka_unit_test(test_unconnecting_and_missing_prev),
        cmocka_unit_test(test_unrequested_blocks),
        cmocka_unit_test(test_unrequested_low_work_or_mutated),
        cmocka_unit_test(test_headers_from_one_peer),
        cmocka_unit_test(test_getheaders_one_at_a_time),
        cmocka_unit_test(test_inv_headers_during_sync),
        cmocka_unit_test(test_announcement_while_getheaders_awaits),
        cmocka_unit_test(test_announce_connecting_headers),
        cmocka_unit_test(test_no_announcement_during_ibd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
