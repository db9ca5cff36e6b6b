/* Crash safety: a child process stores a 2,000-block chain and is killed
 * with SIGKILL at random moments, 50 times. After each kill the store
 * must hold a UTXO set that is exactly the one of its recorded tip (no
 * half-applied block), and reopening must bring back every block the
 * child had reported accepted (nothing acknowledged is lost). When the
 * chain is complete a fresh store starts over.
 *
 * The child also meets a competing branch: after main block 1000 comes a
 * 150-block branch forking at 900 (a reorg of 100 blocks onto it), then
 * the rest of the main chain (a reorg of 150 blocks back), so kills also
 * land in the middle of reorganizations.
 *
 * A second test stops the child at chain changes drawn from the seed
 * instead (right after a block is connected or disconnected, before any
 * flush), so its runs repeat exactly: HEARSAY_CRASH_SEED=<n> repeats it
 * (the seed is printed). For the timed kills the seed only repeats the
 * delays: where they land depends on the machine. */
#include "chain/validation/chainstate.h"
#include "chain/storage/blockfile.h"
#include "chain/storage/store.h"
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
#define FORK_AT 900    /* the branch's parent: main block 900 */
#define BRANCH_LEN 150 /* overtakes main block 1000 at its 101st block */
#define SWITCH_AT 1000 /* the branch arrives after main block 1000 */
#define ORDER_LEN (CHAIN_LEN + BRANCH_LEN)
#define KILLS 50
#define FEE 1000
/* A small cache makes the child flush every few dozen blocks, so kills
 * land before, during and after flushes. */
#define CHILD_DBCACHE (40u << 10)

/* A block and the UTXO set expected with it as the tip. */
struct crash_block {
    struct block *b;
    int height;
    uint64_t digest; /* multiset digest of the UTXO set */
    size_t coins;
};

struct crash {
    const struct chain_params *p;
    struct crash_block main[CHAIN_LEN + 1]; /* [0] unused: genesis is built in */
    struct crash_block branch[BRANCH_LEN];
    struct crash_block *order[ORDER_LEN];   /* what the child submits, in order */
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

static void record(struct crash_block *cb, struct block *b, int height, const struct model *m)
{
    cb->b = b;
    cb->height = height;
    cb->digest = m->sum;
    cb->coins = m->n;
}

/* The branch: coinbase-only blocks on main block FORK_AT. */
static void build_branch(struct crash *c, struct model *m)
{
    const struct crash_block *parent = &c->main[FORK_AT];
    struct hash256 prev = parent->b->hash;
    uint32_t time = parent->b->hdr.time;
    for (int i = 0; i < BRANCH_LEN; i++) {
        int h = FORK_AT + 1 + i;
        struct tx *cb = testutil_coinbase(h, params_block_subsidy(c->p, h), 0x80000000u | (uint32_t)h);
        time += 599; /* a different time keeps the hashes apart */
        struct block *b = testutil_block(&prev, time, &cb, 1);
        prev = b->hash;
        model_apply(m, b, h);
        record(&c->branch[i], b, h, m);
    }
}

/* Main block h: a coinbase, and from height 101 a transaction spending
 * the coinbase 100 blocks down plus the previous transaction's change. */
static void build_chain(struct crash *c)
{
    struct model m = {0}, fork = {0};
    struct hash256 prev = c->p->genesis_hash;
    uint32_t time = c->p->genesis.time;
    const struct tx *last = NULL;
    for (int h = 1; h <= CHAIN_LEN; h++) {
        struct tx *txs[2];
        size_t n = 1;
        int64_t fees = 0;
        if (h > 100) {
            const struct tx *old_cb = c->main[h - 100].b->txs[0];
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
        struct block *b = testutil_block(&prev, time, txs, n);
        prev = b->hash;
        last = n == 2 ? b->txs[1] : NULL;
        model_apply(&m, b, h);
        record(&c->main[h], b, h, &m);
        if (h == FORK_AT) {
            fork = m;
            fork.ops = malloc(m.cap * sizeof(*m.ops));
            fork.dig = malloc(m.cap * sizeof(*m.dig));
            memcpy(fork.ops, m.ops, m.n * sizeof(*m.ops));
            memcpy(fork.dig, m.dig, m.n * sizeof(*m.dig));
        }
    }
    build_branch(c, &fork);
    size_t k = 0;
    for (int h = 1; h <= SWITCH_AT; h++)
        c->order[k++] = &c->main[h];
    for (int i = 0; i < BRANCH_LEN; i++)
        c->order[k++] = &c->branch[i];
    for (int h = SWITCH_AT + 1; h <= CHAIN_LEN; h++)
        c->order[k++] = &c->main[h];
    free(m.ops);
    free(m.dig);
    free(fork.ops);
    free(fork.dig);
}

/* The child stops itself, as abruptly as a kill, right after its
 * stop_after-th change of the active chain: between a block's connection
 * and the flush that may follow, and in the middle of reorganizations. */
static void stop_on_change(void *ctx, const struct block *b, int height)
{
    (void)b;
    (void)height;
    if (--*(int *)ctx == 0)
        _exit(0);
}

/* Submits the blocks in order (those already stored come back as
 * duplicates at once) and reports the tip height after each, after a
 * first -1 when it is ready to open the store. */
static int child_run(struct crash *c, const char *dir, int fd, int stop_after)
{
    int32_t ready = -1;
    if (write(fd, &ready, sizeof(ready)) != sizeof(ready))
        return 4;
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = CHILD_DBCACHE;
    /* Timed kills use 64 KiB block files: they land in appends and in
     * file switches (a dozen of them per chain) too. */
    o.fast_prune = stop_after == 0;
    char *err = NULL;
    struct chainstate *cs = chainstate_open(c->p, dir, &o, &err);
    if (!cs)
        return 2;
    if (stop_after > 0) {
        struct chainstate_callbacks cb = {stop_on_change, stop_on_change, &stop_after, NULL};
        chainstate_add_callbacks(cs, &cb);
    }
    for (size_t i = 0; i < ORDER_LEN; i++) {
        const char *reason = NULL;
        enum chainstate_status st = chainstate_process_block(cs, c->order[i]->b, &reason, &err);
        if (st != CHAINSTATE_ACCEPTED && st != CHAINSTATE_DUPLICATE)
            return 3;
        int32_t announced = chainstate_height(cs); /* what a node would now relay */
        if (write(fd, &announced, sizeof(announced)) != sizeof(announced))
            return 4;
    }
    chainstate_close(cs);
    return 0;
}

/* The block a hash names, genesis as NULL; fails the test if unknown. */
static const struct crash_block *lookup(const struct crash *c, const struct hash256 *h)
{
    if (hash_eq(h, &c->p->genesis_hash))
        return NULL;
    for (size_t i = 0; i < ORDER_LEN; i++)
        if (hash_eq(&c->order[i]->b->hash, h))
            return c->order[i];
    fail_msg("the tip is a block the child never had");
    return NULL;
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

static struct store *open_coins(const char *dir)
{
    char path[512], *err = NULL;
    snprintf(path, sizeof(path), "%s/chainstate", dir);
    struct store *s = store_open(path, 1 << 20, &err);
    if (!s)
        fail_msg("store_open: %s", err);
    return s;
}

/* The raw coins database: its UTXO set must be exactly its best block's.
 * Returns that block's height. */
static int check_store(const struct crash *c, const char *dir)
{
    char *err = NULL;
    struct store *s = open_coins(dir);
    struct hash256 tip;
    int r = store_get_tip(s, &tip, &err);
    int height = 0;
    struct digest_walk w = {0, 0};
    if (r == 1) {
        const struct crash_block *cb = lookup(c, &tip);
        assert_int_equal(store_foreach_coin(s, add_coin, &w, &err), 0);
        assert_int_equal(w.n, cb ? cb->coins : 0);
        assert_true(w.sum == (cb ? cb->digest : 0));
        height = cb ? cb->height : 0;
    }
    store_close(s);
    return height;
}

static struct hash256 stored_tip(const char *dir)
{
    char *err = NULL;
    struct hash256 tip;
    memset(&tip, 0, sizeof(tip));
    struct store *s = open_coins(dir);
    store_get_tip(s, &tip, &err);
    store_close(s);
    return tip;
}

struct crash_stats {
    int rounds, replays, on_branch, completed;
    int files; /* block files seen after the rounds' reopenings, summed */
};

/* Runs a child on dir until it is killed after delay_us (stop_after 0)
 * or stops itself, then checks what it left. Returns whether the full
 * chain is stored. */
static bool crash_round(struct crash *c, const char *dir, useconds_t delay_us, int stop_after,
                        struct crash_stats *st)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A new program, not a fork of this one: LevelDB's background
         * thread does not survive fork(), and a forked child would wait
         * forever for compactions that the parent's state says run. */
        char fd_arg[16], stop_arg[16];
        snprintf(fd_arg, sizeof(fd_arg), "%d", fds[1]);
        snprintf(stop_arg, sizeof(stop_arg), "%d", stop_after);
        close(fds[0]);
        execl("/proc/self/exe", "test_chain_crash", "--child", dir, fd_arg, stop_arg,
              (char *)NULL);
        _exit(5);
    }
    close(fds[1]);
    /* The clock starts when the child is ready to open the store. */
    int32_t v;
    if (read(fds[0], &v, sizeof(v)) == sizeof(v) && stop_after == 0) {
        usleep(delay_us);
        kill(pid, SIGKILL);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        fail_msg("child failed with %d", WEXITSTATUS(status));
    /* Any other signal is the child's own crash (a sanitizer's abort). */
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
        fail_msg("child died of signal %d", WTERMSIG(status));
    int32_t announced = 0;
    while (read(fds[0], &v, sizeof(v)) == sizeof(v))
        announced = v;
    close(fds[0]);
    /* The round's context, so that a failure below can be followed up
     * (for timed kills the seed alone does not repeat a run). */
    printf("round %d: %s %d, announced height %d\n", st->rounds++,
           stop_after ? "stopped after chain changes" : "killed after us",
           stop_after ? stop_after : (int)delay_us, announced);

    /* 1: the UTXO set on disk matches the stored tip exactly. */
    check_store(c, dir);
    struct hash256 tip_before = stored_tip(dir);
    /* 2: reopening replays to everything announced, or further. */
    char *err = NULL;
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.fast_prune = stop_after == 0;
    struct chainstate *cs = chainstate_open(c->p, dir, &o, &err);
    if (!cs)
        fail_msg("reopen: %s", err);
    int height = chainstate_height(cs);
    /* Every block of the active chain reads back from the block files. */
    for (int h = 0; h <= height; h++) {
        struct block *b = chainstate_get_block(cs, &chainstate_at(cs, h)->hash, &err);
        if (!b)
            fail_msg("block %d unreadable after the crash: %s", h, err ? err : "not stored");
        block_free(b);
    }
    assert_true(height >= announced);
    const struct crash_block *tip = lookup(c, &chainstate_tip(cs)->hash);
    assert_int_equal(tip ? tip->height : 0, height);
    st->on_branch += tip >= c->branch && tip < c->branch + BRANCH_LEN;
    st->replays += !hash_eq(&chainstate_tip(cs)->hash, &tip_before);
    st->files += blockfile_last(chainstate_block_files(cs));
    chainstate_close(cs);
    /* 3: and after the clean close, again exactly the tip's coins. */
    assert_int_equal(check_store(c, dir), height);
    return tip == &c->main[CHAIN_LEN];
}

static unsigned crash_seed(void)
{
    const char *seed_env = getenv("HEARSAY_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
    printf("crash test seed %u\n", seed);
    return seed;
}

static struct crash the_crash;

static int setup(void **state)
{
    the_crash.p = params_get(CHAIN_REGTEST);
    build_chain(&the_crash);
    *state = &the_crash;
    return 0;
}

static int teardown(void **state)
{
    struct crash *c = *state;
    for (size_t i = 0; i < ORDER_LEN; i++)
        block_free(c->order[i]->b);
    return 0;
}

/* SIGKILL at random moments: also inside LevelDB writes and opening. */
static void test_crash(void **state)
{
    struct crash *c = *state;
    srand(crash_seed());
    char *dir = testutil_tmpdir("crash");
    struct crash_stats st = {0};
    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        /* One kill in five within the first 5 ms: opening and the
         * first blocks are a window of their own. */
        useconds_t delay = (useconds_t)(rand() % (rand() % 5 == 0 ? 5000 : 150000));
        if (crash_round(c, dir, delay, 0, &st)) {
            st.completed++;
            testutil_rmtree(dir);
            dir = testutil_tmpdir("crash");
        }
    }
    printf("crash test: %d kills, %d needed a replay, %d left the tip on the branch, "
           "%d full chains stored, %d block files in all\n", KILLS, st.replays, st.on_branch,
           st.completed, st.files);
    testutil_rmtree(dir);
}

/* Stops at chain changes drawn from the seed, so a failure repeats with
 * its seed whatever the machine's load: through the whole chain once,
 * both reorganizations included, every 1 to 120 changes (each round
 * starts a program: about 40 of them keep the test short). */
static void test_crash_at_chain_changes(void **state)
{
    struct crash *c = *state;
    srand(crash_seed());
    char *dir = testutil_tmpdir("crash");
    struct crash_stats st = {0};
    while (!crash_round(c, dir, 0, 1 + rand() % 120, &st))
        assert_true(st.rounds < 1000);
    printf("crash test: %d stops, %d needed a replay, %d left the tip on the branch\n",
           st.rounds, st.replays, st.on_branch);
    testutil_rmtree(dir);
}

/* The child program: test_chain_crash --child <dir> <fd> <stop_after>. */
static int child_main(char **argv)
{
    static struct crash c;
    c.p = params_get(CHAIN_REGTEST);
    build_chain(&c);
    int rc = child_run(&c, argv[2], atoi(argv[3]), atoi(argv[4]));
    for (size_t i = 0; i < ORDER_LEN; i++)
        block_free(c.order[i]->b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--child") == 0)
        return child_main(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_crash_at_chain_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
