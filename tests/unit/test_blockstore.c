/* The chainstate on block files: a reindex of blocks stored out of order
 * across 64 KiB files, torn data found on open and fetched again, a torn
 * tail cut off, and removing a block file pair (pruning). */
#include "chain/storage/blockfile.h"
#include "chain/validation/chainstate.h"
#include "tests/unit/chainstate_util.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define CHAIN 800 /* coinbase-only blocks of ~180 bytes: two 64 KiB files */

struct fx {
    char *dir;
    const struct chain_params *p;
    struct chainstate *cs;
    struct block *blocks[CHAIN + 1]; /* [0] unused: genesis */
};

static void open_cs(struct fx *f, bool reindex)
{
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = 8u << 20;
    o.fast_prune = true;
    o.reindex = reindex;
    char *err = NULL;
    f->cs = chainstate_open(f->p, f->dir, &o, &err);
    if (!f->cs)
        fail_msg("open: %s", err);
}

/* A chain of CHAIN blocks, the coinbase of block 1 spent in block 110. */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = testutil_tmpdir("blockstore");
    f->p = params_get(CHAIN_REGTEST);
    struct hash256 prev = f->p->genesis_hash;
    uint32_t time = 1700000000;
    for (int h = 1; h <= CHAIN; h++) {
        struct tx *txs[2];
        size_t n = 1;
        int64_t fee = 0;
        if (h == 110) {
            struct outpoint op = {f->blocks[1]->txs[0]->txid, 0};
            int64_t out = params_block_subsidy(f->p, 1) - 1000;
            txs[n++] = testutil_spend(&op, 1, &out, 1, 0);
            fee = 1000;
        }
        txs[0] = testutil_coinbase(h, params_block_subsidy(f->p, h) + fee, (uint32_t)h);
        f->blocks[h] = testutil_block(&prev, time + (uint32_t)h * 600, txs, n);
        prev = f->blocks[h]->hash;
    }
    open_cs(f, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    chainstate_close(f->cs);
    for (int h = 1; h <= CHAIN; h++)
        block_free(f->blocks[h]);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void submit(struct fx *f, int h)
{
    char *err = NULL;
    const char *reason = NULL;
    enum chainstate_status st = chainstate_process_block(f->cs, f->blocks[h], &reason, &err);
    if (st != CHAINSTATE_ACCEPTED)
        fail_msg("block %d: status %d %s %s", h, st, reason ? reason : "", err ? err : "");
}

static void headers(struct fx *f, int upto)
{
    struct block_header *hdrs = calloc((size_t)upto, sizeof(*hdrs));
    for (int h = 1; h <= upto; h++)
        hdrs[h - 1] = f->blocks[h]->hdr;
    char *err = NULL;
    const char *reason = NULL;
    assert_int_equal(chainstate_process_headers(f->cs, hdrs, (size_t)upto, NULL, &reason, &err),
                     CHAINSTATE_ACCEPTED);
    free(hdrs);
}

static bool has_coin(struct fx *f, int h)
{
    struct outpoint op = {f->blocks[h]->txs[0]->txid, 0};
    struct coin c = {0};
    bool found = chainstate_coin_lookup(f->cs, &op, &c);
    coin_clear(&c);
    return found;
}

static void expect_full_chain(struct fx *f)
{
    assert_int_equal(chainstate_height(f->cs), CHAIN);
    assert_true(hash_eq(&chainstate_tip(f->cs)->hash, &f->blocks[CHAIN]->hash));
    assert_false(has_coin(f, 1)); /* spent at 110 */
    for (int h = 2; h <= CHAIN; h += 13)
        assert_true(has_coin(f, h));
    struct outpoint spend = {f->blocks[110]->txs[1]->txid, 0};
    struct coin c = {0};
    assert_true(chainstate_coin_lookup(f->cs, &spend, &c));
    coin_clear(&c);
}

static void test_reindex_out_of_order(void **state)
{
    struct fx *f = *state;
    /* Headers first, then blocks in an order that stores children
     * before their parents in the files: each run of ten backwards. */
    headers(f, CHAIN);
    for (int base = 1; base <= CHAIN; base += 10)
        for (int h = base + 9; h >= base; h--)
            if (h <= CHAIN)
                submit(f, h);
    expect_full_chain(f);
    const struct bindex_node *b10 = chainstate_find(f->cs, &f->blocks[10]->hash);
    const struct bindex_node *b9 = chainstate_find(f->cs, &f->blocks[9]->hash);
    assert_true(b10->data_pos.pos < b9->data_pos.pos); /* out of order on disk */
    assert_true(blockfile_last(chainstate_block_files(f->cs)) >= 1);
    chainstate_close(f->cs);
    /* Rebuilt from the files alone: same tip, same coins. */
    open_cs(f, true);
    expect_full_chain(f);
    chainstate_close(f->cs);
    open_cs(f, false);
    expect_full_chain(f);
}

static void flip_byte(const char *dir, int file, uint32_t off)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/blocks/blk%05d.dat", dir, file);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= 0x5a;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void test_torn_block_fetched_again(void **state)
{
    struct fx *f = *state;
    headers(f, 5);
    for (int h = 1; h <= 3; h++)
        submit(f, h);
    submit(f, 5); /* stored, waiting for block 4 */
    struct blockfile_pos pos = chainstate_find(f->cs, &f->blocks[5]->hash)->data_pos;
    chainstate_close(f->cs);
    flip_byte(f->dir, pos.file, pos.pos + 4); /* inside its header */
    open_cs(f, false);
    const struct bindex_node *n5 = chainstate_find(f->cs, &f->blocks[5]->hash);
    assert_false(n5->status & BINDEX_HAVE_DATA);
    const struct bindex_node *want[8];
    assert_int_equal(chainstate_blocks_to_fetch(f->cs, want, 8), 2);
    assert_int_equal(want[0]->height, 4);
    assert_int_equal(want[1]->height, 5);
    submit(f, 4);
    submit(f, 5);
    assert_int_equal(chainstate_height(f->cs), 5);
}

static off_t blk_size(const char *dir, int file)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/blocks/blk%05d.dat", dir, file);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_torn_tail_cut(void **state)
{
    struct fx *f = *state;
    for (int h = 1; h <= 20; h++)
        submit(f, h);
    int last = blockfile_last(chainstate_block_files(f->cs));
    chainstate_close(f->cs);
    /* What an append the index never saw leaves behind. */
    char path[512];
    snprintf(path, sizeof(path), "%s/blocks/blk%05d.dat", f->dir, last);
    FILE *fp = fopen(path, "ab");
    fwrite("\xfa\xbf\xb5\xda\xff\xff", 1, 6, fp);
    fclose(fp);
    open_cs(f, false);
    const struct blockfile_info *i = blockfile_info(chainstate_block_files(f->cs), last);
    assert_int_equal(blk_size(f->dir, last), i->size);
    for (int h = 21; h <= 30; h++)
        submit(f, h);
    chainstate_close(f->cs);
    open_cs(f, false);
    assert_int_equal(chainstate_height(f->cs), 30);
    struct block *b = chainstate_get_block(f->cs, &f->blocks[21]->hash, NULL);
    assert_non_null(b);
    block_free(b);
}

static void test_remove_block_file(void **state)
{
    struct fx *f = *state;
    for (int h = 1; h <= CHAIN; h++)
        submit(f, h);
    const struct blockfile *files = chainstate_block_files(f->cs);
    const struct bindex_node *b1 = chainstate_at(f->cs, 1);
    assert_int_equal(chainstate_block_file(f->cs, b1), 0);
    uint32_t in_file0 = blockfile_info(files, 0)->blocks;
    assert_true(in_file0 > 10);
    char *err = NULL;
    assert_int_equal(chainstate_remove_block_files(f->cs, (const int[]){0}, 1, &err), 0);
    assert_int_equal(blk_size(f->dir, 0), -1);
    assert_false(b1->status & (BINDEX_HAVE_DATA | BINDEX_HAVE_UNDO));
    assert_int_equal(chainstate_block_file(f->cs, b1), -1);
    assert_null(chainstate_get_block(f->cs, &b1->hash, NULL));
    assert_int_equal(blockfile_info(files, 0)->blocks, 0);
    /* The last file stays. */
    assert_int_equal(chainstate_remove_block_files(f->cs, (const int[]){blockfile_last(files)}, 1, &err), -1);
    free(err);
    /* A pruned store opens again and keeps going. */
    chainstate_close(f->cs);
    open_cs(f, false);
    assert_int_equal(chainstate_height(f->cs), CHAIN);
    assert_false(chainstate_at(f->cs, 1)->status & BINDEX_HAVE_DATA);
    assert_true(chainstate_at(f->cs, CHAIN)->status & BINDEX_HAVE_DATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reindex_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_block_fetched_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_block_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
