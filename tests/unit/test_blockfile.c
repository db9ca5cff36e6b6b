/* Block and undo files: framing, reads, preallocation, file switches,
 * torn tails, undo checksums, late undo syncs, scans, removal and info
 * records. */
#include "chain/storage/blockfile.h"
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

static const uint8_t MAGIC[4] = {0xfa, 0xbf, 0xb5, 0xda}; /* regtest */

struct fx {
    char *dir;
    struct blockfile *bf;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = testutil_tmpdir("blockfile");
    char *err = NULL;
    f->bf = blockfile_open(f->dir, MAGIC, true, &err);
    assert_non_null(f->bf);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    blockfile_close(f->bf);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static uint8_t *payload(size_t len, uint8_t seed)
{
    uint8_t *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7);
    return p;
}

static off_t file_size(const char *dir, const char *kind, int file)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s%05d.dat", dir, kind, file);
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void patch_file(const char *dir, const char *kind, int file, off_t off, uint8_t v)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s%05d.dat", dir, kind, file);
    int fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &v, 1, off), 1);
    close(fd);
}

static void append(struct fx *f, size_t len, uint8_t seed, int height, struct blockfile_pos *pos)
{
    char *err = NULL;
    uint8_t *p = payload(len, seed);
    assert_int_equal(blockfile_append_block(f->bf, p, len, height, 1000 + height, pos, &err), 0);
    free(p);
}

static void expect_block(struct fx *f, const struct blockfile_pos *pos, uint8_t seed)
{
    char *err = NULL;
    uint8_t *data = NULL;
    assert_int_equal(blockfile_read_block(f->bf, pos, &data, &err), 1);
    uint8_t *want = payload(pos->len, seed);
    assert_memory_equal(data, want, pos->len);
    free(want);
    free(data);
}

static void test_append_read(void **state)
{
    struct fx *f = *state;
    struct blockfile_pos a, b;
    append(f, 300, 1, 5, &a);
    append(f, 1000, 2, 4, &b);
    /* Core's framing: the payload follows magic and size. */
    assert_int_equal(a.file, 0);
    assert_int_equal(a.pos, 8);
    assert_int_equal(b.pos, 8 + 300 + 8);
    expect_block(f, &a, 1);
    expect_block(f, &b, 2);
    const struct blockfile_info *i = blockfile_info(f->bf, 0);
    assert_int_equal(i->blocks, 2);
    assert_int_equal(i->size, 2 * 8 + 1300);
    assert_int_equal(i->height_first, 4);
    assert_int_equal(i->height_last, 5);
    assert_int_equal(i->time_first, 1004);
    assert_int_equal(i->time_last, 1005);
    assert_int_equal(blockfile_usage(f->bf), 1316);
    /* The header on disk is the magic and the little-endian size. */
    char p[512];
    uint8_t hdr[8];
    snprintf(p, sizeof(p), "%s/blk00000.dat", f->dir);
    FILE *fp = fopen(p, "rb");
    assert_int_equal(fread(hdr, 1, 8, fp), 8);
    fclose(fp);
    assert_memory_equal(hdr, MAGIC, 4);
    assert_int_equal(hdr[4] | hdr[5] << 8, 300);
    /* A position that does not match the record is refused. */
    char *err = NULL;
    uint8_t *data = NULL;
    struct blockfile_pos wrong = {0, a.pos, a.len + 1};
    assert_int_equal(blockfile_read_block(f->bf, &wrong, &data, &err), 0);
    assert_non_null(strstr(err, "not the one indexed"));
    free(err);
}

static void test_preallocation(void **state)
{
    struct fx *f = *state;
    struct blockfile_pos a;
    append(f, 100, 1, 1, &a);
    /* Test-sized files grow by 16 KiB chunks, ahead of the data. */
    assert_int_equal(file_size(f->dir, "blk", 0), BLOCKFILE_FAST_CHUNK);
    append(f, 20000, 2, 2, &a);
    assert_int_equal(file_size(f->dir, "blk", 0), 2 * BLOCKFILE_FAST_CHUNK);
    char *err = NULL;
    struct hash256 prev = {{1}};
    uint8_t undo[50] = {3};
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, undo, sizeof(undo), &a, &err), 0);
    assert_int_equal(file_size(f->dir, "rev", 0), BLOCKFILE_UNDO_CHUNK);
    /* Full-size files: 16 MiB block chunks. */
    char *dir = testutil_tmpdir("blockfile-big");
    struct blockfile *big = blockfile_open(dir, MAGIC, false, &err);
    uint8_t *p = payload(1000, 1);
    assert_int_equal(blockfile_append_block(big, p, 1000, 0, 0, &a, &err), 0);
    assert_int_equal(file_size(dir, "blk", 0), BLOCKFILE_BLOCK_CHUNK);
    free(p);
    blockfile_close(big);
    testutil_rmtree(dir);
}

static void test_file_switch(void **state)
{
    struct fx *f = *state;
    struct blockfile_pos pos[5];
    for (int i = 0; i < 5; i++)
        append(f, 20000, (uint8_t)i, i, &pos[i]);
    /* Three records fill a 64 KiB file; the fourth starts the next. */
    assert_int_equal(pos[2].file, 0);
    assert_int_equal(pos[3].file, 1);
    assert_int_equal(pos[3].pos, 8);
    assert_int_equal(blockfile_last(f->bf), 1);
    assert_int_equal(blockfile_count(f->bf), 2);
    /* The finished file is cut back to its data. */
    assert_int_equal(file_size(f->dir, "blk", 0), 3 * 20008);
    assert_int_equal(blockfile_info(f->bf, 0)->blocks, 3);
    assert_int_equal(blockfile_info(f->bf, 1)->height_first, 3);
    for (int i = 0; i < 5; i++)
        expect_block(f, &pos[i], (uint8_t)i);
    /* A block larger than a test file gets one of its own. */
    struct blockfile_pos big;
    append(f, 100000, 9, 5, &big);
    assert_int_equal(big.file, 2);
    expect_block(f, &big, 9);
    /* Undo for a block of an older file goes to that file's rev file. */
    char *err = NULL;
    struct hash256 prev = {{7}};
    uint8_t undo[40] = {1, 2, 3};
    struct blockfile_pos u;
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, undo, sizeof(undo), &u, &err), 0);
    assert_int_equal(u.file, 0);
    uint8_t *back = NULL;
    assert_int_equal(blockfile_read_undo(f->bf, &u, &prev, &back, &err), 1);
    assert_memory_equal(back, undo, sizeof(undo));
    free(back);
    /* Removing a pair (pruning) forgets it; the last file stays. */
    assert_int_equal(blockfile_remove(f->bf, 0, &err), 0);
    assert_int_equal(file_size(f->dir, "blk", 0), -1);
    assert_int_equal(file_size(f->dir, "rev", 0), -1);
    assert_int_equal(blockfile_info(f->bf, 0)->blocks, 0);
    uint8_t *data = NULL;
    assert_int_equal(blockfile_read_block(f->bf, &pos[0], &data, &err), 0);
    free(err);
    err = NULL;
    assert_int_equal(blockfile_remove(f->bf, 2, &err), -1);
    free(err);
}

static void test_torn_tail(void **state)
{
    struct fx *f = *state;
    char *err = NULL;
    struct blockfile_pos a, b;
    append(f, 500, 1, 1, &a);
    struct blockfile_info after_a = *blockfile_info(f->bf, 0);
    append(f, 700, 2, 2, &b);
    /* The index saw only the first append: on restart the tail goes. */
    blockfile_close(f->bf);
    f->bf = blockfile_open(f->dir, MAGIC, true, &err);
    blockfile_set_info(f->bf, 0, &after_a);
    blockfile_set_last(f->bf, 0);
    assert_int_equal(blockfile_trim_tail(f->bf, &err), 0);
    assert_int_equal(file_size(f->dir, "blk", 0), 508);
    expect_block(f, &a, 1);
    uint8_t *data = NULL;
    assert_int_equal(blockfile_read_block(f->bf, &b, &data, &err), 0);
    assert_non_null(strstr(err, "truncated"));
    free(err);
    err = NULL;
    /* The next append reuses the space. */
    struct blockfile_pos c;
    append(f, 900, 3, 2, &c);
    assert_int_equal(c.pos, b.pos);
    expect_block(f, &c, 3);
    /* A missing file reads as missing, not as an error. */
    struct blockfile_pos gone = {7, 8, 10};
    assert_int_equal(blockfile_read_block(f->bf, &gone, &data, &err), 0);
    free(err);
}

/* Killed between a file switch and the index write that would have
 * recorded it: the index knows the old last file only. */
static void test_crash_during_switch(void **state)
{
    struct fx *f = *state;
    char *err = NULL;
    struct blockfile_pos pos[3], lost, next;
    for (int i = 0; i < 3; i++)
        append(f, 20000, (uint8_t)i, i, &pos[i]);
    struct blockfile_info seen = *blockfile_info(f->bf, 0);
    append(f, 20000, 3, 3, &lost);
    assert_int_equal(lost.file, 1);
    blockfile_close(f->bf);
    f->bf = blockfile_open(f->dir, MAGIC, true, &err);
    blockfile_set_info(f->bf, 0, &seen);
    blockfile_set_last(f->bf, 0);
    assert_int_equal(blockfile_trim_tail(f->bf, &err), 0);
    /* The next block switches again and takes the lost one's place. */
    append(f, 20000, 4, 3, &next);
    assert_int_equal(next.file, 1);
    assert_int_equal(next.pos, lost.pos);
    assert_int_equal(blockfile_info(f->bf, 1)->blocks, 1);
    for (int i = 0; i < 3; i++)
        expect_block(f, &pos[i], (uint8_t)i);
    expect_block(f, &next, 4);
}

static void test_undo_checksum(void **state)
{
    struct fx *f = *state;
    char *err = NULL;
    struct blockfile_pos blk, u1, u2;
    append(f, 200, 1, 1, &blk);
    struct hash256 prev = {{0xab}}, other = {{0xcd}};
    uint8_t *undo = payload(300, 4);
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, undo, 300, &u1, &err), 0);
    assert_int_equal(blockfile_append_undo(f->bf, 0, &other, undo, 10, &u2, &err), 0);
    assert_int_equal(u1.pos, 8);
    assert_int_equal(u2.pos, 8 + 300 + 32 + 8);
    assert_int_equal(blockfile_info(f->bf, 0)->undo_size, 2 * 40 + 310);
    uint8_t *back = NULL;
    assert_int_equal(blockfile_read_undo(f->bf, &u1, &prev, &back, &err), 1);
    assert_memory_equal(back, undo, 300);
    free(back);
    /* Another parent's hash, or a flipped byte, fails the checksum. */
    assert_int_equal(blockfile_read_undo(f->bf, &u1, &other, &back, &err), 0);
    assert_non_null(strstr(err, "checksum"));
    free(err);
    err = NULL;
    assert_int_equal(blockfile_flush(f->bf, &err), 0);
    patch_file(f->dir, "rev", 0, u1.pos + 100, (uint8_t)(undo[100] ^ 1));
    assert_int_equal(blockfile_read_undo(f->bf, &u1, &prev, &back, &err), 0);
    free(err);
    err = NULL;
    assert_int_equal(blockfile_read_undo(f->bf, &u2, &other, &back, &err), 1);
    free(back);
    free(undo);
}

/* Undo data for a block of an older file is not synced by the append
 * (the caller is the event loop) but handed to the next sync, once for
 * however many appends. */
static void test_late_undo_synced_later(void **state)
{
    struct fx *f = *state;
    char *err = NULL;
    struct blockfile_pos pos;
    for (int i = 0; i < 4; i++)
        append(f, 20000, (uint8_t)i, i, &pos);
    assert_int_equal(blockfile_last(f->bf), 1);
    struct blockfile_sync *s = blockfile_sync_take(f->bf, false, &err);
    assert_non_null(s); /* the finished file */
    assert_int_equal(blockfile_sync_run(s, &err), 0);
    assert_null(blockfile_sync_take(f->bf, false, &err));
    struct hash256 prev = {{7}};
    uint8_t undo[40] = {1, 2, 3};
    struct blockfile_pos u1, u2;
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, undo, sizeof(undo), &u1, &err), 0);
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, undo, sizeof(undo), &u2, &err), 0);
    s = blockfile_sync_take(f->bf, false, &err);
    assert_non_null(s);
    assert_int_equal(blockfile_sync_run(s, &err), 0);
    assert_null(blockfile_sync_take(f->bf, false, &err));
    uint8_t *back = NULL;
    assert_int_equal(blockfile_read_undo(f->bf, &u2, &prev, &back, &err), 1);
    assert_memory_equal(back, undo, sizeof(undo));
    free(back);
}

struct seen {
    struct blockfile_pos pos[8];
    uint8_t first[8];
    int n;
};

static int collect(void *ctx, const struct blockfile_pos *pos, const uint8_t *data)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        s->pos[s->n] = *pos;
        s->first[s->n] = data[0];
    }
    s->n++;
    return 0;
}

static void test_scan_and_reset(void **state)
{
    struct fx *f = *state;
    char *err = NULL;
    struct blockfile_pos a, b, c, u;
    append(f, 400, 1, 1, &a);
    append(f, 400, 2, 2, &b);
    append(f, 400, 3, 3, &c);
    struct hash256 prev = {{1}};
    assert_int_equal(blockfile_append_undo(f->bf, 0, &prev, (const uint8_t *)"undo", 4, &u, &err),
                     0);
    /* A torn second record: its size claims more than the next magic. */
    patch_file(f->dir, "blk", 0, b.pos - 3, 0x7f);
    struct seen s = {0};
    assert_int_equal(blockfile_scan(f->bf, 0, collect, &s, &err), 1);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.pos[0].pos, a.pos);
    assert_int_equal(s.pos[1].pos, c.pos);
    assert_int_equal(s.pos[1].len, 400);
    uint8_t *want = payload(1, 3);
    assert_int_equal(s.first[1], want[0]);
    free(want);
    assert_int_equal(blockfile_scan(f->bf, 5, collect, &s, &err), 0);
    /* A reset (reindex) empties the rev files and forgets the infos;
     * noting blocks rebuilds them. */
    assert_int_equal(blockfile_reset(f->bf, &err), 0);
    assert_int_equal(file_size(f->dir, "rev", 0), 0);
    assert_int_equal(blockfile_info(f->bf, 0)->blocks, 0);
    blockfile_note_block(f->bf, &c, 3, 1003);
    blockfile_note_block(f->bf, &a, 1, 1001);
    const struct blockfile_info *i = blockfile_info(f->bf, 0);
    assert_int_equal(i->blocks, 2);
    assert_int_equal(i->size, c.pos + c.len);
    assert_int_equal(i->height_first, 1);
    assert_int_equal(i->height_last, 3);
}

static void test_info_encoding(void **state)
{
    (void)state;
    struct blockfile_info in = {3, 1234, 567, 10, 20, 1600000000, 1600000600}, out;
    struct wbuf w;
    wbuf_init(&w);
    blockfile_info_encode(&in, &w);
    assert_true(blockfile_info_decode(w.data, w.len, &out));
    assert_int_equal(out.blocks, 3);
    assert_int_equal(out.size, 1234);
    assert_int_equal(out.undo_size, 567);
    assert_int_equal(out.height_first, 10);
    assert_int_equal(out.height_last, 20);
    assert_int_equal(out.time_first, 1600000000);
    assert_int_equal(out.time_last, 1600000600);
    assert_false(blockfile_info_decode(w.data, w.len - 1, &out));
    wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preallocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_undo_synced_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_and_reset, setup, teardown),
        cmocka_unit_test(test_info_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
