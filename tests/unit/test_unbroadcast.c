/* The unbroadcast set: membership, removal by getdata and by leaving the
 * mempool, and the journal: records appended per transaction, read back
 * into a fresh mempool (a kill -9), a torn or corrupt tail ignored, cut
 * to its header when the set empties, compacted when mostly stale. */
#include "chain/mempool/unbroadcast.h"
#include "tests/unit/mempool_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define HEADER 8

struct fx {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/test_unbroadcast.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/unbroadcast.dat", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Coin `seed` (a made-up outpoint, the same in every fixture). */
static struct outpoint coin(struct tb_fx *m, uint32_t seed)
{
    struct tb_utxo probe = {0};
    struct outpoint op = tb_fund(&probe, seed, 100000, 500, false);
    tb_utxo_free(&probe);
    struct coin c;
    if (tb_utxo_lookup(&m->u, &op, &c))
        coin_clear(&c);
    else
        tb_fund(&m->u, seed, 100000, 500, false);
    return op;
}

static struct tx *spend(struct tb_fx *m, uint32_t seed, int64_t value)
{
    struct outpoint op = coin(m, seed);
    return tb_simple(&op, 1, &value, 1);
}

static struct tx *accept(struct tb_fx *m, uint32_t seed, int64_t value)
{
    struct tx *tx = spend(m, seed, value);
    struct mempool_reject rej;
    if (mempool_accept(m->mp, tx, &m->tip, TB_NOW, &rej) != MEMPOOL_ACCEPTED)
        fail_msg("rejected: %s (%s)", rej.reason, rej.detail);
    return tx;
}

static void test_set(void **state)
{
    (void)state;
    struct tb_fx *m = tb_fx_new(NULL);
    struct unbroadcast *u = unbroadcast_new(m->mp);
    struct tx *a = accept(m, 1, 99000), *b = accept(m, 2, 99000);
    assert_true(unbroadcast_add(u, a));
    assert_false(unbroadcast_add(u, a));
    assert_true(unbroadcast_add(u, b));
    assert_int_equal(unbroadcast_count(u), 2);
    assert_true(unbroadcast_has(u, &a->txid));
    size_t n = 0;
    struct hash256 *ids = unbroadcast_txids(u, &n);
    assert_int_equal(n, 2);
    assert_true(hash_eq(&ids[0], &a->txid) || hash_eq(&ids[1], &a->txid));
    assert_true(hash_eq(&ids[0], &b->txid) || hash_eq(&ids[1], &b->txid));
    free(ids);

    /* A getdata served it. */
    assert_true(unbroadcast_remove(u, &a->txid));
    assert_false(unbroadcast_remove(u, &a->txid));
    assert_false(unbroadcast_has(u, &a->txid));
    /* Leaving the mempool (replaced by a higher fee) leaves the set. */
    struct tx *b2 = accept(m, 2, 90000);
    assert_null(mempool_get(m->mp, &b->txid));
    assert_false(unbroadcast_has(u, &b->txid));
    assert_int_equal(unbroadcast_count(u), 0);
    assert_null(unbroadcast_txids(u, &n));
    assert_int_equal(n, 0);
    assert_false(unbroadcast_has(NULL, &a->txid));
    assert_int_equal(unbroadcast_count(NULL), 0);
    unbroadcast_free(u);
    unbroadcast_free(NULL);
    tx_free(a);
    tx_free(b);
    tx_free(b2);
    tb_fx_free(m);
}

/* A fresh mempool (same coins) reading the journal: a restart after a
 * kill -9. Returns how many were restored. */
static size_t restart(const char *path, uint32_t coins, struct tb_fx **mp_out,
                      struct unbroadcast **u_out)
{
    struct tb_fx *m = tb_fx_new(NULL);
    for (uint32_t s = 1; s <= coins; s++)
        coin(m, s);
    struct unbroadcast *u = unbroadcast_new(m->mp);
    size_t restored = 99;
    char *err = NULL;
    assert_int_equal(unbroadcast_journal_open(u, path, &m->tip, TB_NOW, &restored, &err), 0);
    assert_null(err);
    assert_int_equal(mempool_count(m->mp), restored);
    *mp_out = m;
    *u_out = u;
    return restored;
}

static void test_journal_survives_a_kill(void **state)
{
    struct fx *f = *state;
    struct tb_fx *m;
    struct unbroadcast *u;
    assert_int_equal(restart(f->path, 0, &m, &u), 0); /* no file yet */
    assert_int_equal(file_size(f->path), HEADER);
    struct tx *a = accept(m, 1, 99000), *b = accept(m, 2, 98000);
    unbroadcast_add(u, a);
    off_t one = file_size(f->path);
    assert_int_equal(one, HEADER + 1 + (off_t)a->size + 4);
    unbroadcast_add(u, b);
    assert_true(file_size(f->path) > one);
    /* The process dies: nothing saved but the journal. */
    unbroadcast_free(u);
    tb_fx_free(m);

    assert_int_equal(restart(f->path, 2, &m, &u), 2);
    assert_true(unbroadcast_has(u, &a->txid));
    assert_true(unbroadcast_has(u, &b->txid));
    assert_non_null(mempool_get_wtxid(m->mp, &b->wtxid));
    assert_int_equal(mempool_entry_fee(mempool_get(m->mp, &b->txid)), 2000);
    /* Both served: the journal is cut to its header. */
    unbroadcast_remove(u, &a->txid);
    assert_true(file_size(f->path) > HEADER);
    unbroadcast_remove(u, &b->txid);
    assert_int_equal(file_size(f->path), HEADER);
    unbroadcast_free(u);
    tb_fx_free(m);
    assert_int_equal(restart(f->path, 2, &m, &u), 0);
    unbroadcast_free(u);
    tb_fx_free(m);
    tx_free(a);
    tx_free(b);
}

static void append(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "ab");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_torn_and_corrupt_tails(void **state)
{
    struct fx *f = *state;
    struct tb_fx *m;
    struct unbroadcast *u;
    restart(f->path, 0, &m, &u);
    struct tx *a = accept(m, 1, 99000);
    unbroadcast_add(u, a);
    unbroadcast_free(u);
    tb_fx_free(m);
    /* A record cut short by the kill. */
    const uint8_t torn[] = {0xfd, 0x10, 0x27, 1, 2, 3};
    append(f->path, torn, sizeof(torn));
    assert_int_equal(restart(f->path, 1, &m, &u), 1);
    /* Rewritten: the torn bytes are gone. */
    assert_int_equal(file_size(f->path), HEADER + 1 + (off_t)a->size + 4);
    struct tx *b = accept(m, 2, 99000);
    unbroadcast_add(u, b);
    unbroadcast_free(u);
    tb_fx_free(m);
    /* Flip a byte of b's checksum: b is refused, a still comes back. */
    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, -1, SEEK_END), 0);
    int c = fgetc(fp);
    assert_int_equal(fseek(fp, -1, SEEK_END), 0);
    fputc(c ^ 0xff, fp);
    fclose(fp);
    assert_int_equal(restart(f->path, 2, &m, &u), 1);
    assert_true(unbroadcast_has(u, &a->txid));
    assert_false(unbroadcast_has(u, &b->txid));
    unbroadcast_free(u);
    tb_fx_free(m);
    /* Not a journal at all: started afresh. */
    FILE *bad = fopen(f->path, "wb");
    assert_non_null(bad);
    fputs("garbage!garbage!", bad);
    fclose(bad);
    assert_int_equal(restart(f->path, 2, &m, &u), 0);
    assert_int_equal(file_size(f->path), HEADER);
    unbroadcast_free(u);
    tb_fx_free(m);
    tx_free(a);
    tx_free(b);
}

/* 70 added, 60 served, one more: the stale records are dropped. */
static void test_compaction(void **state)
{
    struct fx *f = *state;
    struct tb_fx *m;
    struct unbroadcast *u;
    restart(f->path, 0, &m, &u);
    struct tx *txs[71];
    for (uint32_t i = 0; i < 71; i++)
        txs[i] = accept(m, i + 1, 99000);
    for (int i = 0; i < 70; i++)
        unbroadcast_add(u, txs[i]);
    off_t full = file_size(f->path);
    for (int i = 0; i < 60; i++)
        unbroadcast_remove(u, &txs[i]->txid);
    assert_int_equal(file_size(f->path), full); /* not empty: left alone */
    unbroadcast_add(u, txs[70]);
    off_t record = 1 + (off_t)txs[0]->size + 4; /* all the same size */
    assert_int_equal(file_size(f->path), HEADER + 11 * record);
    unbroadcast_free(u);
    tb_fx_free(m);
    assert_int_equal(restart(f->path, 71, &m, &u), 11);
    for (int i = 60; i < 71; i++)
        assert_true(unbroadcast_has(u, &txs[i]->txid));
    unbroadcast_free(u);
    tb_fx_free(m);
    for (int i = 0; i < 71; i++)
        tx_free(txs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set),
        cmocka_unit_test_setup_teardown(test_journal_survives_a_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_and_corrupt_tails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
