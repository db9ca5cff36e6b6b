/* Headers below the anti-DoS work threshold over the in-memory network
 * (tests/unit/netproc_harness.h), as Bitcoin Core's net_processing: a
 * short low-work chain is dropped, a full one walked in a low-work sync
 * (presync, then redownload) and stored only once its work is proven; a
 * redownload that differs stores nothing; a cmpctblock on a low-work
 * parent is ignored; during initial download an outbound peer whose whole
 * headers chain lacks the minimum chain work is dropped. */
#include "tests/unit/netproc_harness.h"
#include "net/wire/cmpct.h"

#define FULL NETPROC_MAX_HEADERS

/* c[0..n) from the fake peer id as a peer serves them: full messages,
 * then the rest. */
static void send_chain(uint64_t id, const struct block_header *c, size_t n)
{
    for (size_t i = 0; i < n; i += FULL)
        peer_sends_headers(id, c + i, n - i < FULL ? n - i : FULL);
}

/* The first locator entry of the last getheaders queued for the fake
 * peers; false if none. */
static bool last_getheaders_from(struct hash256 *out)
{
    for (size_t i = net.nq; i-- > 0;) {
        if (net.q[i].to != -1 || net.q[i].cmd != PROTO_CMD_GETHEADERS)
            continue;
        struct cursor c;
        struct proto_locator loc;
        cursor_init(&c, net.q[i].data, net.q[i].len);
        assert_true(proto_locator_decode(&c, &loc));
        assert_true(loc.count > 0);
        *out = loc.hashes[0];
        proto_locator_clear(&loc);
        return true;
    }
    return false;
}

static void assert_asked_from(const struct hash256 *want)
{
    struct hash256 h;
    assert_true(last_getheaders_from(&h));
    assert_true(hash_eq(&h, want));
}

static int presynced(uint64_t id)
{
    struct netproc_peer_info pi;
    assert_true(netproc_get_peer_info(net.n[0].np, id, &pi));
    return pi.presynced_headers;
}

static bool stored(const struct block_header *h)
{
    struct hash256 hash;
    block_header_hash(h, &hash);
    return chainstate_find(net.n[0].cs, &hash) != NULL;
}

static const struct hash256 *genesis_hash(void)
{
    return &params_get(CHAIN_REGTEST)->genesis_hash;
}

/* n headers forking at genesis, a second apart. */
static struct block_header *fork_chain(size_t n, uint8_t tag)
{
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct block_header *c = malloc(n * sizeof(*c));
    testutil_header_chain(genesis_hash(), p->genesis.time + 1, p->pow_limit_bits, tag, c, n);
    return c;
}

/* Regtest with a minimum chain work of 6000: genesis and 2999 headers. */
static void setup_min_work_6000(void)
{
    static struct chain_params high;
    high = *params_get(CHAIN_REGTEST);
    memset(&high.min_chain_work, 0, sizeof(high.min_chain_work));
    high.min_chain_work.b[0] = 6000 & 0xff;
    high.min_chain_work.b[1] = 6000 >> 8;
    harness_params = &high;
    setup_net(1, 0);
    harness_params = NULL;
}

static bool may_download(void *ctx, uint64_t peer)
{
    (void)ctx;
    return peer == FAKE + 1;
}

static void download_io(int i, struct netproc_io *io)
{
    io->may_download = may_download;
}

/* Core's GETHEADERS below the minimum chain work: an empty answer, but to
 * a peer with the download permission our headers. */
static void test_getheaders_below_min_work(void **state)
{
    harness_io = download_io;
    setup_min_work_6000();
    harness_io = NULL;
    mine_at(0, 10);
    connect_fake(FAKE, true);
    connect_fake(FAKE + 1, true);
    run_until(net.now + SEC);
    struct hash256 loc = *genesis_hash(), stop = {{0}};
    struct wbuf w;
    wbuf_init(&w);
    proto_locator_encode(&w, PROTO_VERSION, &loc, 1, &stop);
    for (uint64_t id = FAKE; id <= FAKE + 1; id++) {
        size_t before = net.nq;
        peer_sends(id, PROTO_CMD_GETHEADERS, &w);
        struct net_msg m;
        bool found = false;
        for (size_t i = before; i < net.nq; i++) {
            if (net.q[i].cmd != PROTO_CMD_HEADERS)
                continue;
            assert_true(proto_msg_decode(PROTO_CMD_HEADERS, net.q[i].data, net.q[i].len, &m));
            assert_int_equal(m.u.headers.n, id == FAKE ? 0 : 10);
            proto_msg_clear(&m);
            found = true;
        }
        assert_true(found);
    }
    wbuf_free(&w);
    teardown_net();
}

/* A low-work sync's getheaders stays awaited: a block inv from the peer
 * right after its first message asks for no other headers (that answer
 * would end the sync). */
static void test_sync_getheaders_awaited(void **state)
{
    setup_min_work_6000();
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    struct block_header *c = fork_chain(FULL, 5);
    peer_sends_headers(FAKE, c, FULL);
    assert_int_equal(presynced(FAKE), FULL);
    size_t asked = queued(PROTO_CMD_GETHEADERS, -1);
    struct proto_inv it = {PROTO_INV_BLOCK, {{0}}};
    memset(it.hash.b, 0x5a, sizeof(it.hash.b));
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, &it, 1);
    peer_sends(FAKE, PROTO_CMD_INV, &w);
    wbuf_free(&w);
    assert_int_equal(queued(PROTO_CMD_GETHEADERS, -1), asked);
    assert_int_equal(presynced(FAKE), FULL);
    free(c);
    teardown_net();
}

/* Regtest (minimum chain work 0) on a 300-block chain: the threshold is
 * the tip's work less 144 blocks' (314). A fork of 100 headers from
 * genesis claims 202: dropped, not stored, nobody punished; one of 2000
 * claims more than the tip and is stored at once. */
static void test_tip_threshold(void **state)
{
    setup_net(1, 0);
    mine_at(0, 300);
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    struct block_header *c = fork_chain(FULL, 1);
    peer_sends_headers(FAKE, c, 100);
    assert_false(stored(&c[0]));
    assert_int_equal(presynced(FAKE), -1);
    assert_int_equal(net.misbehaving, 0);
    peer_sends_headers(FAKE, c, FULL);
    assert_true(stored(&c[FULL - 1]));
    assert_int_equal(chainstate_best_header(net.n[0].cs)->height, FULL);
    free(c);
    teardown_net();
}

/* Under a minimum chain work of 6000, a chain of 3100 headers from genesis
 * (6202) is walked (nothing stored, getheaders from its last header), asked
 * again from genesis once its work shows, checked and stored only when the
 * redownload reaches the work; getpeerinfo shows the presync height. */
static void test_presync_redownload(void **state)
{
    enum { N = 3100 };
    setup_min_work_6000();
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    struct block_header *c = fork_chain(N, 2);
    struct hash256 h;
    peer_sends_headers(FAKE, c, FULL);
    assert_false(stored(&c[0]));
    assert_int_equal(presynced(FAKE), FULL);
    block_header_hash(&c[FULL - 1], &h);
    assert_asked_from(&h);
    peer_sends_headers(FAKE, c + FULL, N - FULL);
    assert_false(stored(&c[0]));
    assert_asked_from(genesis_hash()); /* the work is there: from the start */
    peer_sends_headers(FAKE, c, FULL);
    assert_false(stored(&c[0]));
    assert_asked_from(&h);
    peer_sends_headers(FAKE, c + FULL, N - FULL);
    assert_true(stored(&c[N - 1]));
    assert_int_equal(chainstate_best_header(net.n[0].cs)->height, N);
    assert_int_equal(presynced(FAKE), -1);
    assert_int_equal(net.misbehaving, 0);
    assert_int_equal(net.ndropped, 0);
    free(c);
    teardown_net();
}

/* The redownload serves another chain: its commitments do not match,
 * nothing is stored, nobody is punished; the other chain, from genesis
 * and as low, starts a new presync. A short low-work message outside a
 * sync is dropped. */
static void test_tampered_redownload(void **state)
{
    enum { N = 3100 };
    setup_min_work_6000();
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    struct block_header *c = fork_chain(N, 3), *d = fork_chain(N, 4);
    send_chain(FAKE, c, N);
    assert_asked_from(genesis_hash());
    send_chain(FAKE, d, N);
    assert_false(stored(&c[0]));
    assert_false(stored(&d[0]));
    assert_int_equal(chainstate_best_header(net.n[0].cs)->height, 0);
    assert_int_equal(net.misbehaving, 0);
    assert_int_equal(presynced(FAKE), N); /* d's own sync reached its end */
    connect_fake(FAKE + 1, false);
    peer_sends_headers(FAKE + 1, c, 100);
    assert_false(stored(&c[0]));
    assert_int_equal(presynced(FAKE + 1), -1);
    free(c);
    free(d);
    teardown_net();
}

/* On a 300-block chain, a cmpctblock whose parent is genesis is below the
 * threshold: ignored, its header not stored. */
static void test_lowwork_cmpctblock(void **state)
{
    setup_net(1, 0);
    mine_at(0, 300);
    connect_fake(FAKE, false);
    run_until(net.now + SEC);
    struct tx *cb = testutil_coinbase(1, 50 * 100000000LL, 77);
    struct block *b =
        testutil_block(genesis_hash(), params_get(CHAIN_REGTEST)->genesis.time + 60, &cb, 1);
    struct cmpct_block cmpct;
    cmpct_block_from_block(&cmpct, b, 0x1234);
    struct wbuf w;
    wbuf_init(&w);
    cmpct_block_encode(&w, &cmpct);
    peer_sends(FAKE, PROTO_CMD_CMPCTBLOCK, &w);
    assert_null(chainstate_find(net.n[0].cs, &b->hash));
    assert_int_equal(net.misbehaving, 0);
    wbuf_free(&w);
    cmpct_block_clear(&cmpct);
    block_free(b);
    teardown_net();
}

/* During initial download, an outbound peer whose headers end (a short
 * message) below the minimum chain work is dropped; an inbound one is not. */
static void test_insufficient_work_outbound(void **state)
{
    setup_min_work_6000();
    net.wall = GENESIS_TIME + 30 * 86400; /* our blocks are a month old */
    mine_at(0, 5);
    connect_fake(FAKE, true);
    connect_fake(FAKE + 1, false);
    run_until(net.now + SEC);
    struct block_header two[2] = {chainstate_at(net.n[0].cs, 4)->hdr,
                                  chainstate_at(net.n[0].cs, 5)->hdr};
    peer_sends_headers(FAKE, two, 2);
    assert_int_equal(net.ndropped, 0);
    peer_sends_headers(FAKE + 1, two, 2);
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE + 1);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tip_threshold),
        cmocka_unit_test(test_getheaders_below_min_work),
        cmocka_unit_test(test_sync_getheaders_awaited),
        cmocka_unit_test(test_presync_redownload),
        cmocka_unit_test(test_tampered_redownload),
        cmocka_unit_test(test_lowwork_cmpctblock),
        cmocka_unit_test(test_insufficient_work_outbound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
