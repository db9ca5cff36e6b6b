/* Crash safety: a child process stores a 2,000-block chain and is killed
 * with SIGKILL at random moments, 50 times. After each kill the store
 * must hold a UTXO set that is exactly the one of its recorded tip (no
 * half-applied block), and reopening must bring back every block the
 * child had reported accepted (nothing acknowledged is lost). When the
 * chain is complete a fresh store starts over.
 *
 * HEARSAY_CRASH_SEED=<n> repeats a run; the seed is printed. */
#include "chain/chainstate.h"
#include "chain/store.h"
#include "tests/unit/chainstate_util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define CHAIN_LEN 2000
#define KILLS 50
#define FEE 1000
/* A small cache makes the child flush every few dozen blocks, so kills
 * land before, during and after flushes. */
#define CHILD_DBCACHE (40u << 10)

struct crash {
    const struct chain_params *p;
    struct block *blocks[CHAIN_LEN + 1]; /* [0] unused: genesis is built in */
    uint64_t digest[CHAIN_LEN + 1];      /* UTXO multiset digest at each height */
    size_t coins[CHAIN_LEN + 1];
};

static uint64_t coin_digest(const struct outpoint *op, int64_t value, int32_t height, bool cb)
{
    uint8_t buf[32 + 4 + 8 + 4 + 1];
    struct hash256 h;
    memcpy(buf, op->hash.b, 32);
    ser_put_le32(buf + 32, op->n);
    ser_put_le64(buf + 36, (uint64_t)value);
    ser_put_le32(buf + 44, (uint32_t)height);
    buf[48] = cb;
    hash_sha256d(buf, sizeof(buf), &h);
    return hash_cheap(&h);
}

/* The live coins of the reference model: a plain array is enough here. */
struct model {
    struct outpoint *ops;
    uint64_t *dig;
    size_t n, cap;
    uint64_t sum;
};

static void model_add(struct model *m, const struct outpoint *op, uint64_t d)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->ops = realloc(m->ops, m->cap * sizeof(*m->ops));
        m->dig = realloc(m->dig, m->cap * sizeof(*m->dig));
    }
    m->ops[m->n] = *op;
    m->dig[m->n++] = d;
    m->sum += d;
}

static void model_spend(struct model *m, const struct outpoint *op)
{
    for (size_t i = m->n; i-- > 0;) {
        if (m->ops[i].n == op->n && hash_eq(&m->ops[i].hash, &op->hash)) {
            m->sum -= m->dig[i];
            m->ops[i] = m->ops[--m->n];
            m->dig[i] = m->dig[m->n];
            return;
        }
    }
    fail_msg("model: spending an unknown coin");
}

static void model_apply(struct model *m, const struct block *b, int height)
{
    for (size_t t = 0; t < b->tx_count; t++) {
        const struct tx *tx = b->txs[t];
        if (t > 0)
            for (size_t i = 0; i < tx->vin_count; i++)
                model_spend(m, &tx->vin[i].prevout);
        for (uint32_t o = 0; o < tx->vout_count; o++) {
            struct outpoint op = {tx->txid, o};
            model_add(m, &op, coin_digest(&op, tx->vout[o].value, height, t == 0));
        }
    }
}

/* Block h: a coinbase, and from height 101 a transaction spending the
 * coinbase 100 blocks down plus the previous transaction's change. */
static void build_chain(struct crash *c)
{
    struct model m = {0};
    struct hash256 prev = c->p->genesis_hash;
    uint32_t time = c->p->genesis.time;
    const struct tx *last = NULL;
    for (int h = 1; h <= CHAIN_LEN; h++) {
        struct tx *txs[2];
        size_t n = 1;
        int64_t fees = 0;
        if (h > 100) {
            const struct tx *old_cb = c->blocks[h - 100]->txs[0];
            struct outpoint ins[2] = {{old_cb->txid, 0}, {{{0}}, 1}};
            int64_t in = old_cb->vout[0].value;
            size_t nin = 1;
            if (last) {
                ins[1].hash = last->txid;
                in += last->vout[1].value;
                nin = 2;
            }
            int64_t outs[2] = {in / 2, in - in / 2 - FEE};
            txs[1] = testutil_spend(ins, nin, outs, 2, 0);
            fees = FEE;
            n = 2;
        }
        txs[0] = testutil_coinbase(h, params_block_subsidy(c->p, h) + fees, (uint32_t)h);
        time += 600;
        c->blocks[h] = testutil_block(&prev, time, txs, n);
        prev = c->blocks[h]->hash;
        last = n == 2 ? c->blocks[h]->txs[1] : NULL;
        model_apply(&m, c->blocks[h], h);
        c->digest[h] = m.sum;
        c->coins[h] = m.n;
    }
    free(m.ops);
    free(m.dig);
}

static int child_run(struct crash *c, const char *dir, int fd)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = CHILD_DBCACHE;
    char *err = NULL;
    struct chainstate *cs = chainstate_open(c->p, dir, &o, &err);
    if (!cs)
        return 2;
    for (int h = chainstate_height(cs) + 1; h <= CHAIN_LEN; h++) {
        const char *reason = NULL;
        if (chainstate_process_block(cs, c->blocks[h], &reason, &err) != CHAINSTATE_ACCEPTED)
            return 3;
        int32_t announced = h; /* what a node would now relay */
        if (write(fd, &announced, sizeof(announced)) != sizeof(announced))
            return 4;
    }
    chainstate_close(cs);
    return 0;
}

static int height_of(const struct crash *c, const struct hash256 *h)
{
    if (hash_eq(h, &c->p->genesis_hash))
        return 0;
    for (int i = 1; i <= CHAIN_LEN; i++)
        if (hash_eq(&c->blocks[i]->hash, h))
            return i;
    return -1;
}

struct digest_walk {
    uint64_t sum;
    size_t n;
};

static int add_coin(void *ctx, const struct outpoint *op, const struct coin *coin)
{
    struct digest_walk *w = ctx;
    w->sum += coin_digest(op, coin->value, coin->height, coin->coinbase);
    w->n++;
    return 0;
}

/* The raw store: its UTXO set must be exactly its tip's. Returns the
 * tip height. */
static int check_store(const struct crash *c, const char *dir)
{
    char *err = NULL;
    struct store *s = store_open(dir, 1 << 20, &err);
    if (!s)
        fail_msg("store_open: %s", err);
    struct hash256 tip;
    int r = store_get_tip(s, &tip, &err);
    int height = 0;
    struct digest_walk w = {0, 0};
    if (r == 1) {
        height = height_of(c, &tip);
        assert_true(height >= 0);
        assert_int_equal(store_foreach_coin(s, add_coin, &w, &err), 0);
        assert_int_equal(w.n, height ? c->coins[height] : 0);
        assert_true(w.sum == (height ? c->digest[height] : 0));
    }
    store_close(s);
    return height;
}

static void test_crash(void **state)
{
    (void)state;
    static struct crash c;
    c.p = params_get(CHAIN_REGTEST);
    build_chain(&c);
    const char *seed_env = getenv("HEARSAY_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
    printf("crash test seed %u\n", seed);
    srand(seed);
    char *dir = testutil_tmpdir("crash");
    int completed = 0, replays = 0, max_delay_us = 150000;
    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            _exit(child_run(&c, dir, fds[1]));
        }
        close(fds[1]);
        /* One kill in five within the first 5 ms: opening and the
         * first blocks are a window of their own. */
        usleep((useconds_t)(rand() % (rand() % 5 == 0 ? 5000 : max_delay_us)));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            fail_msg("child failed with %d", WEXITSTATUS(status));
        int32_t announced = 0, v;
        while (read(fds[0], &v, sizeof(v)) == sizeof(v))
            announced = v;
        close(fds[0]);

        /* 1: the UTXO set on disk matches the stored tip exactly. */
        int flushed = check_store(&c, dir);
        /* 2: reopening replays to everything announced, or further. */
        char *err = NULL;
        struct chainstate *cs = chainstate_open(c.p, dir, NULL, &err);
        if (!cs)
            fail_msg("reopen after kill %d: %s", kill_no, err);
        int height = chainstate_height(cs);
        assert_true(height >= announced);
        assert_true(height >= flushed);
        assert_true(hash_eq(&chainstate_tip(cs)->hash,
                            height ? &c.blocks[height]->hash : &c.p->genesis_hash));
        replays += height > flushed;
        chainstate_close(cs);
        /* 3: and after the clean close, again exactly the tip's coins. */
        assert_int_equal(check_store(&c, dir), height);
        if (height == CHAIN_LEN) {
            completed++;
            testutil_rmtree(dir);
            dir = testutil_tmpdir("crash");
        }
    }
    printf("crash test: %d kills, %d needed a replay, %d full chains stored\n", KILLS, replays,
           completed);
    testutil_rmtree(dir);
    for (int h = 1; h <= CHAIN_LEN; h++)
        block_free(c.blocks[h]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_crash)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
