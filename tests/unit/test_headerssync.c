/* The low-work headers sync state (net/sync/headerssync.h) driven
 * directly with chains of real regtest headers: PRESYNC, REDOWNLOAD and
 * release as Bitcoin Core's HeadersSyncState; a redownloaded chain that
 * differs at a commitment aborts; a chain that ends short of the work
 * ends the sync; the commitments are bounded by the chain's time; and
 * the difficulty transitions allowed (Core's PermittedDifficultyTransition). */
#include "net/sync/headerssync.h"
#include "chain/primitives/siphash.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define FULL 2000 /* a full headers message */

static struct bindex_node genesis;
static const struct chain_params *regtest;

static void genesis_init(void)
{
    regtest = params_get(CHAIN_REGTEST);
    memset(&genesis, 0, sizeof(genesis));
    genesis.hdr = regtest->genesis;
    genesis.hash = regtest->genesis_hash;
    pow_work(genesis.hdr.bits, &genesis.work);
}

static void make_chain(const struct hash256 *prev, uint32_t time0, uint8_t tag,
                       struct block_header *out, size_t n)
{
    testutil_header_chain(prev, time0, regtest->pow_limit_bits, tag, out, n);
}

/* n headers on genesis. */
static struct block_header *chain_new(size_t n, uint8_t tag)
{
    struct block_header *c = malloc(n * sizeof(*c));
    make_chain(&genesis.hash, genesis.hdr.time + 1, tag, c, n);
    return c;
}

/* The work of genesis and n regtest headers (2 each). */
static void work_of(size_t n, struct u256 *out)
{
    struct u256 w;
    *out = genesis.work;
    u256_set_u64(&w, 2 * n);
    u256_add(out, &w);
}

/* c[0..n) as a peer serves it: full messages, then the rest; r holds
 * the last result. */
static void feed(struct hss *s, const struct block_header *c, size_t n, struct hss_result *r)
{
    for (size_t i = 0; i < n; i += FULL) {
        size_t k = n - i < FULL ? n - i : FULL;
        assert_int_equal(hss_process(s, c + i, k, k == FULL, r), 0);
    }
}

static const struct hss_salt salt = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 5};

static struct hss *sync_new(const struct chain_params *p, size_t work_headers, int64_t now)
{
    struct u256 min;
    work_of(work_headers, &min);
    return hss_new(p, 7, &genesis, &min, &salt, now);
}

#define NOW ((int64_t)regtest->genesis.time + 86400)

static void assert_from(const struct hss *s, const struct hash256 *want)
{
    struct hash256 h;
    hss_next_from(s, &h);
    assert_true(hash_eq(&h, want));
}

/* 3100 headers to reach the work of 3000: walked in two messages, asked
 * again from genesis, then all released once the redownload reaches the
 * work, chained to genesis and unchanged. */
static void test_presync_redownload_release(void **state)
{
    enum { N = 3100 };
    struct block_header *c = chain_new(N, 1);
    struct hss *s = sync_new(regtest, 3000, NOW);
    struct hss_result r;
    assert_int_equal(hss_process(s, c, FULL, true, &r), 0);
    assert_true(r.success && r.request_more);
    assert_null(r.ready);
    assert_int_equal(hss_state(s), HSS_PRESYNC);
    assert_int_equal(hss_presync_height(s), FULL);
    struct hash256 h;
    block_header_hash(&c[FULL - 1], &h);
    assert_from(s, &h);
    assert_int_equal(hss_commitments(s), 8); /* heights 5, 280, ... 1930 */
    assert_int_equal(hss_process(s, c + FULL, N - FULL, false, &r), 0);
    assert_true(r.success && r.request_more); /* the work is there: from the start */
    assert_int_equal(hss_state(s), HSS_REDOWNLOAD);
    assert_from(s, &genesis.hash);
    assert_int_equal(hss_process(s, c, FULL, true, &r), 0);
    assert_true(r.success && r.request_more);
    assert_int_equal(r.nready, 0); /* under the buffer, and short of the work */
    assert_int_equal(hss_buffered(s), FULL);
    assert_int_equal(hss_process(s, c + FULL, N - FULL, false, &r), 0);
    assert_true(r.success);
    assert_false(r.request_more);
    assert_int_equal(r.nready, N);
    for (size_t i = 0; i < N; i++)
        assert_memory_equal(&r.ready[i], &c[i], sizeof(c[i]));
    assert_int_equal(hss_state(s), HSS_FINAL);
    free(r.ready);
    hss_free(s);
    free(c);
}

/* With a buffer of 500, a redownloaded message releases all but the last
 * 500 headers, before the work is reached. */
static void test_release_over_buffer(void **state)
{
    enum { N = 2100 };
    static struct chain_params small;
    small = *regtest;
    small.hss_redownload_buffer = 500;
    struct block_header *c = chain_new(N, 2);
    struct hss *s = sync_new(&small, N - 10, NOW);
    struct hss_result r;
    feed(s, c, N, &r);
    assert_int_equal(hss_state(s), HSS_REDOWNLOAD);
    size_t before = hss_memory(s);
    assert_int_equal(hss_process(s, c, FULL, true, &r), 0);
    assert_true(r.success && r.request_more);
    assert_int_equal(r.nready, FULL - 500);
    assert_true(hss_memory(s) <= before + (500 + FULL) * 48); /* the ring's most */
    assert_true(hash_eq(&r.ready[0].prev, &genesis.hash));
    assert_memory_equal(&r.ready[FULL - 501], &c[FULL - 501], sizeof(c[0]));
    assert_int_equal(hss_buffered(s), 500);
    free(r.ready);
    hss_free(s);
    free(c);
}

/* The redownload serves another chain from height 554: its header at 555
 * (a commitment height, offset 5) is ground to the other bit, and the
 * sync ends there with nothing released. */
static void test_tampered_redownload_aborts(void **state)
{
    enum { N = 2100, FORK = 554 };
    struct block_header *c = chain_new(N, 3), *alt = malloc(N * sizeof(*alt));
    memcpy(alt, c, FORK * sizeof(*c));
    struct hash256 fork_hash, h;
    block_header_hash(&c[FORK - 1], &fork_hash);
    block_header_hash(&c[FORK], &h); /* the honest header at height 555 */
    bool want = !(siphash24(salt.k0, salt.k1, h.b, 32) & 1);
    make_chain(&fork_hash, c[FORK].time, 4, alt + FORK, 1);
    for (;;) {
        block_header_hash(&alt[FORK], &h);
        if ((siphash24(salt.k0, salt.k1, h.b, 32) & 1) == want)
            break;
        alt[FORK].nonce++;
        testutil_grind(&alt[FORK], 1);
    }
    make_chain(&h, c[FORK].time + 1, 4, alt + FORK + 1, N - FORK - 1);
    struct hss *s = sync_new(regtest, N - 10, NOW);
    struct hss_result r;
    feed(s, c, N, &r);
    assert_int_equal(hss_state(s), HSS_REDOWNLOAD);
    assert_int_equal(hss_process(s, alt, FULL, true, &r), 0);
    assert_false(r.success);
    assert_false(r.request_more);
    assert_null(r.ready);
    assert_int_equal(hss_state(s), HSS_FINAL);
    assert_int_equal(hss_buffered(s), 0); /* nothing kept */
    assert_int_equal(hss_commitments(s), 0);
    assert_int_equal(hss_process(s, c, FULL, true, &r), -1);
    hss_free(s);
    free(alt);
    free(c);
}

/* A chain that ends (a short message) short of the work ends the sync;
 * headers that do not follow the last one end it too. */
static void test_short_chain_ends(void **state)
{
    enum { N = 2100 };
    struct block_header *c = chain_new(N, 5);
    struct hss *s = sync_new(regtest, 5000, NOW);
    struct hss_result r;
    feed(s, c, N, &r);
    assert_true(r.success);
    assert_false(r.request_more);
    assert_int_equal(hss_state(s), HSS_FINAL);
    hss_free(s);
    s = sync_new(regtest, 5000, NOW);
    assert_int_equal(hss_process(s, c + 1, FULL, true, &r), 0); /* skips one */
    assert_false(r.success);
    assert_int_equal(hss_state(s), HSS_FINAL);
    hss_free(s);
    free(c);
}

/* Memory: the commitments are bounded by 6 headers a second from the
 * start's median time past to now plus 2 hours; 300 s allow 6 (a period
 * of 275), so the 7th, at height 1655, ends the sync. A sync within its
 * bounds holds a bit per period and at most the buffer and one message
 * of 48-byte headers (3000 with a buffer of 1000, where the second message
 * fills it). */
static void test_memory_bound(void **state)
{
    enum { N = 4100 };
    struct block_header *c = chain_new(N, 6);
    int64_t now = (int64_t)genesis.hdr.time - 7200 + 300;
    struct hss *s = sync_new(regtest, 5000, now);
    assert_int_equal(hss_max_commitments(s), 6);
    struct hss_result r;
    assert_int_equal(hss_process(s, c, FULL, true, &r), 0);
    assert_false(r.success);
    assert_int_equal(hss_state(s), HSS_FINAL);
    hss_free(s);
    static struct chain_params small;
    small = *regtest;
    small.hss_redownload_buffer = 1000;
    s = sync_new(&small, N - 50, NOW);
    feed(s, c, N, &r);
    assert_int_equal(hss_state(s), HSS_REDOWNLOAD);
    size_t presync = hss_memory(s);
    assert_true(presync < 1024);
    for (size_t i = 0; i < 2 * FULL; i += FULL) {
        assert_int_equal(hss_process(s, c + i, FULL, true, &r), 0);
        assert_true(r.success && r.request_more);
        free(r.ready);
    }
    assert_int_equal(hss_buffered(s), 1000);
    assert_true(hss_memory(s) <= presync + (1000 + FULL) * 48);
    hss_free(s);
    free(c);
}

/* Mainnet: bits stay within a period; at a boundary they move at most a
 * factor of 4 either way. Regtest allows anything. */
static void test_difficulty_transitions(void **state)
{
    const struct chain_params *main = params_get(CHAIN_MAIN);
    uint32_t bits = 0x1a0fffff;
    assert_true(pow_transition_permitted(main, 2015, bits, bits));
    assert_false(pow_transition_permitted(main, 2015, bits, bits - 1));
    assert_true(pow_transition_permitted(main, 2016, bits, 0x1a3ffffc)); /* 4x easier */
    assert_false(pow_transition_permitted(main, 2016, bits, 0x1a400000));
    assert_true(pow_transition_permitted(main, 2016, bits, 0x1a03ffff)); /* 4x harder */
    assert_false(pow_transition_permitted(main, 2016, bits, 0x1a03fffe));
    assert_true(pow_transition_permitted(regtest, 5, bits, 0x207fffff));
}

/* The sync itself holds headers to those transitions: a chain whose
 * difficulty changes within a period ends the sync in presync where the
 * network forbids it, and goes on where it allows anything. */
static void test_sync_checks_transitions(void **state)
{
    enum { N = 20 };
    struct block_header c[N];
    make_chain(&genesis.hash, genesis.hdr.time + 1, 7, c, N / 2);
    struct hash256 mid;
    block_header_hash(&c[N / 2 - 1], &mid);
    testutil_header_chain(&mid, genesis.hdr.time + 1 + N / 2, regtest->pow_limit_bits - 1, 7,
                          c + N / 2, N / 2);
    static struct chain_params strict;
    strict = *regtest;
    strict.pow_allow_min_difficulty = false;
    const struct chain_params *nets[2] = {&strict, regtest};
    for (int i = 0; i < 2; i++) {
        struct hss *s = sync_new(nets[i], 5000, NOW);
        struct hss_result r = {0};
        assert_int_equal(hss_process(s, c, N, true, &r), 0);
        assert_int_equal(r.success, i == 1);
        assert_int_equal(hss_state(s), i == 1 ? HSS_PRESYNC : HSS_FINAL);
        free(r.ready);
        hss_free(s);
    }
}

int main(void)
{
    genesis_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presync_redownload_release),
        cmocka_unit_test(test_release_over_buffer),
        cmocka_unit_test(test_tampered_redownload_aborts),
        cmocka_unit_test(test_short_chain_ends),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_difficulty_transitions),
        cmocka_unit_test(test_sync_checks_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
