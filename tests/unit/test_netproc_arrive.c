/* Large block messages parsed and checked on netproc's block thread
 * (net/sync/blockarrive.c): the outcome of each kind of block (valid,
 * mutated, malformed, bad merkle root, invalid at connect) is the one of
 * the same block handled on the loop; the sender's input is held
 * (netproc_input_held) until its block was processed, then resumed; a
 * peer gone meanwhile, or a netproc freed meanwhile, drops the result
 * cleanly; whether the block was requested is decided when its message is
 * handled, not when the thread is done. */
#include "tests/unit/netproc_harness.h"

#include "net/sync/netproc_int.h"

#include <stdatomic.h>
#include <unistd.h>

static atomic_int woke;
static int resumes;
static struct hash256 arriving; /* the block sent */
static bool stored_at_resume;
static char last_misbehaving[80];

static void arrive_wake(void *ctx)
{
    atomic_store(&woke, 1);
}

static void arrive_resume(void *ctx, uint64_t peer)
{
    assert_int_equal(peer, FAKE);
    resumes++;
    const struct bindex_node *n = chainstate_find(net.n[0].cs, &arriving);
    stored_at_resume = n && (n->status & BINDEX_HAVE_DATA);
    assert_false(netproc_input_held(net.n[0].np, FAKE));
}

static void arrive_misbehaving(void *ctx, uint64_t peer, const char *reason)
{
    net.misbehaving++;
    snprintf(last_misbehaving, sizeof(last_misbehaving), "%s", reason);
}

static void offload_io(int i, struct netproc_io *io)
{
    io->misbehaving = arrive_misbehaving;
    io->resume_input = arrive_resume;
    io->wake = arrive_wake;
}

static void inline_io(int i, struct netproc_io *io)
{
    io->misbehaving = arrive_misbehaving;
}

enum kind { VALID, MUTATED, MALFORMED, BAD_MERKLE, BAD_INPUTS };

struct outcome {
    int height;
    size_t misbehaving;
    char reason[80];
    uint64_t received;
    unsigned status; /* of the block's index entry (0: none) */
};

/* A block of about 60 kB on node 0's tip, over the offload threshold: a
 * padded spend of the coinbase at height 1 (BAD_INPUTS: of a coin that
 * does not exist); MUTATED's has a third transaction, so that repeating
 * the last keeps the merkle root. */
static struct block *big_block(enum kind k)
{
    struct outpoint none = {{{7}}, 0};
    int64_t out = 1000;
    struct tx *txs[2];
    if (k != BAD_INPUTS) {
        struct tx *plain = spend_coinbase(0, 1);
        out = plain->vout[0].value;
        txs[0] = testutil_spend(&plain->vin[0].prevout, 1, &out, 1, 60000);
        tx_free(plain);
    } else {
        txs[0] = testutil_spend(&none, 1, &out, 1, 60000);
    }
    size_t n = 1;
    if (k == MUTATED) {
        none.n = 1;
        out = 1000;
        txs[n++] = testutil_spend(&none, 1, &out, 1, 0);
    }
    struct block *b = mine(0, txs, n);
    for (size_t i = 0; i < n; i++)
        tx_free(txs[i]);
    return b;
}

/* The payload of kind k for block b. */
static void payload_of(const struct block *b, enum kind k, struct wbuf *w)
{
    block_serialize(b, w, true);
    if (k == MALFORMED) {
        w->len -= 10; /* truncated in the last transaction */
    } else if (k == BAD_MERKLE) {
        w->data[w->len - 8] ^= 1; /* the padding, under the merkle root */
    } else if (k == MUTATED) { /* CVE-2012-2459: the last transaction twice */
        struct wbuf last;
        wbuf_init(&last);
        tx_serialize(b->txs[b->tx_count - 1], &last, true);
        wbuf_bytes(w, last.data, last.len);
        w->data[BLOCK_HEADER_SIZE] = (uint8_t)(b->tx_count + 1); /* count < 253 */
        wbuf_free(&last);
    }
}

/* Node 0 (on the loop, or with the block thread) at height 101, where
 * the coinbase at height 1 matures. */
static void arrive_setup(bool offload)
{
    harness_io = offload ? offload_io : inline_io;
    setup_net(1, 0);
    harness_io = NULL;
    atomic_store(&woke, 0);
    resumes = 0;
    last_misbehaving[0] = '\0';
    mine_at(0, 101);
}

/* Peer sends block b as kind k. */
static void send_block(uint64_t peer, const struct block *b, enum kind k)
{
    struct wbuf w;
    wbuf_init(&w);
    payload_of(b, k, &w);
    assert_true(w.len > 50000);
    peer_sends(peer, PROTO_CMD_BLOCK, &w);
    wbuf_free(&w);
}

/* The thread's result, once there, handled by the loop. */
static void arrive_collect(void)
{
    for (int i = 0; i < 10000 && !atomic_load(&woke); i++)
        usleep(1000);
    assert_true(atomic_load(&woke));
    assert_true(netproc_next_wakeup(net.n[0].np) <= net.now);
    netproc_tick(net.n[0].np, net.now);
    harness_activate(net.n[0].np, net.now);
}

/* Node 0 is sent a block of kind k by the fake peer, which announced its
 * header first. */
static void run_case(bool offload, enum kind k, struct outcome *out)
{
    arrive_setup(offload);
    struct block *b = big_block(k);
    arriving = b->hash;
    connect_fake(FAKE, false);
    peer_sends_headers(FAKE, &b->hdr, 1);
    send_block(FAKE, b, k);
    if (offload) {
        assert_true(netproc_input_held(net.n[0].np, FAKE));
        assert_int_equal(chainstate_height(net.n[0].cs), 101); /* not yet */
        arrive_collect();
        assert_int_equal(resumes, 1);
        assert_false(netproc_input_held(net.n[0].np, FAKE));
        assert_int_equal(stored_at_resume, k == VALID || k == BAD_INPUTS);
    }
    struct netproc_info info;
    netproc_get_info(net.n[0].np, &info);
    const struct bindex_node *n = chainstate_find(net.n[0].cs, &b->hash);
    *out = (struct outcome){.height = chainstate_height(net.n[0].cs),
                            .misbehaving = net.misbehaving, .received = info.blocks_received,
                            .status = n ? n->status : 0};
    memcpy(out->reason, last_misbehaving, sizeof(out->reason));
    block_free(b);
    teardown_net();
}

/* The outcome with the thread is the one without, and as given. */
static void check_kind(enum kind k, int height, size_t misbehaving, const char *reason)
{
    struct outcome on, off;
    run_case(false, k, &on);
    run_case(true, k, &off);
    assert_int_equal(off.height, on.height);
    assert_int_equal(off.misbehaving, on.misbehaving);
    assert_int_equal(off.received, on.received);
    assert_int_equal(off.status, on.status);
    assert_string_equal(off.reason, on.reason);
    assert_int_equal(off.height, height);
    assert_int_equal(off.misbehaving, misbehaving);
    assert_string_equal(off.reason, reason);
}

static void test_arrive_valid(void **state)
{
    check_kind(VALID, 102, 0, "");
}

static void test_arrive_mutated(void **state)
{
    check_kind(MUTATED, 101, 1, "bad-txns-duplicate");
}

static void test_arrive_malformed(void **state)
{
    check_kind(MALFORMED, 101, 0, "");
}

static void test_arrive_bad_merkle(void **state)
{
    check_kind(BAD_MERKLE, 101, 1, "bad-txnmrklroot");
}

/* Passes the thread's checks, fails where the chain is needed. */
static void test_arrive_bad_inputs(void **state)
{
    check_kind(BAD_INPUTS, 101, 1, "bad-txns-inputs-missingorspent");
}

/* The sender disconnects while its block is on the thread: the result is
 * dropped, its input never resumed; then the same happens at shutdown
 * with the result still on the thread. */
static void test_arrive_peer_gone(void **state)
{
    for (int shutdown = 0; shutdown < 2; shutdown++) {
        arrive_setup(true);
        struct block *b = big_block(VALID);
        connect_fake(FAKE, false);
        peer_sends_headers(FAKE, &b->hdr, 1);
        send_block(FAKE, b, VALID);
        block_free(b);
        assert_true(netproc_input_held(net.n[0].np, FAKE));
        if (!shutdown) {
            netproc_disconnected(net.n[0].np, FAKE, net.now);
            arrive_collect();
            struct netproc_info info;
            netproc_get_info(net.n[0].np, &info);
            assert_int_equal(info.blocks_received, 0);
            assert_int_equal(chainstate_height(net.n[0].cs), 101);
        }
        assert_int_equal(resumes, 0);
        teardown_net(); /* waits for the thread */
    }
}

/* A block requested from one peer comes from another and goes to the
 * thread; meanwhile the request times out (its peer is dropped) and our
 * tip moves past the block's height. Requested when its message was
 * handled, it is still taken as requested: stored, though an unrequested
 * block with less work than the tip is not. */
static void test_arrive_requested_on_arrival(void **state)
{
    arrive_setup(true);
    struct block *b = big_block(VALID);
    arriving = b->hash;
    struct netproc *np = net.n[0].np;
    connect_fake(FAKE, false);
    connect_fake(FAKE + 1, false);
    peer_sends_headers(FAKE + 1, &b->hdr, 1);
    assert_true(np_block_in_flight(np, &b->hash));
    mine_at(0, 2); /* the tip at 103: b, at 102, has less work */
    send_block(FAKE, b, VALID);
    assert_true(netproc_input_held(np, FAKE));
    net.now += 3 * NETPROC_BLOCK_TIMEOUT_US;
    np_blocks_tick(np, net.now); /* the download timeout, without collecting */
    assert_int_equal(net.ndropped, 1);
    assert_int_equal(net.dropped[0], FAKE + 1);
    netproc_disconnected(np, FAKE + 1, net.now);
    assert_false(np_block_in_flight(np, &b->hash));
    arrive_collect();
    assert_int_equal(resumes, 1);
    assert_true(stored_at_resume);
    assert_int_equal(chainstate_height(net.n[0].cs), 103);
    block_free(b);
    teardown_net();
}

int main(void)
{
    harness_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrive_valid),
        cmocka_unit_test(test_arrive_mutated),
        cmocka_unit_test(test_arrive_malformed),
        cmocka_unit_test(test_arrive_bad_merkle),
        cmocka_unit_test(test_arrive_bad_inputs),
        cmocka_unit_test(test_arrive_peer_gone),
        cmocka_unit_test(test_arrive_requested_on_arrival),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
