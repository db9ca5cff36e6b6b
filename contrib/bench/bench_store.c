/* Block storage benchmark: blocks of 1-1.5 MB and their undo data (15%)
 * stored through the chainstate's block storage (block files plus the
 * block index database, chain/validation/blockstore.h), as a sync stores
 * them: per block an append, its index record and file info, then the
 * undo data and the record again; a synced index write every 500 MB, as
 * the UTXO flushes do. Then the same bytes appended to one flat file, for
 * the raw rate. Prints, per GB slice: MB/s, the cumulative and the slice's
 * write amplification (bytes this process wrote to disk, from
 * /proc/self/io write_bytes, over the bytes stored) and the longest single
 * store call. Prints figures; never fails on timing.
 *
 *   bench_store [GB] [dir]    (default 5 GB under $TMPDIR or /tmp; the
 *                              data is deleted at the end)
 */
#define _GNU_SOURCE
#include "chain/primitives/block.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/blockindex.h"
#include "chain/validation/blockstore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GB (1ull << 30)
#define SYNC_EVERY (500ull << 20)
#define POOL (64u << 20) /* random bytes the blocks are cut from */

static const uint8_t MAGIC[4] = {0xfa, 0xbf, 0xb5, 0xda};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t written_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    unsigned long long v = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "write_bytes: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Sizes and offsets of every block, drawn once so both phases store the
 * same bytes. */
struct plan {
    size_t n;
    uint32_t *len, *off;
};

static void make_plan(struct plan *p, uint64_t total)
{
    size_t cap = (size_t)(total / 1000000) + 2;
    p->len = xmalloc(cap * sizeof(*p->len));
    p->off = xmalloc(cap * sizeof(*p->off));
    uint64_t sum = 0;
    for (p->n = 0; sum < total && p->n < cap; p->n++) {
        p->len[p->n] = 1000000 + (uint32_t)(rng() % 500001);
        p->off[p->n] = (uint32_t)(rng() % (POOL - 2000000));
        sum += p->len[p->n] + p->len[p->n] * 15 / 100;
    }
}

struct slice {
    double start, longest;
    uint64_t stored, disk;
    uint64_t base; /* write_bytes when the phase began */
};

static void slice_begin(struct slice *s)
{
    uint64_t disk = written_bytes();
    *s = (struct slice){now(), 0, 0, disk, disk};
}

/* Prints a slice line when a GB boundary is crossed. */
static void account(struct slice *s, uint64_t stored, double call, const char *what)
{
    if (call > s->longest)
        s->longest = call;
    if (stored / GB == s->stored / GB)
        return;
    double t = now();
    uint64_t disk = written_bytes();
    printf("%-5s %4llu GB  %7.1f MB/s  WA %5.2f (slice %5.2f)  longest call %6.3f s\n", what,
           (unsigned long long)(stored / GB),
           (double)(stored - s->stored) / 1e6 / (t - s->start),
           (double)(disk - s->base) / (double)stored,
           (double)(disk - s->disk) / (double)(stored - s->stored), s->longest);
    fflush(stdout);
    *s = (struct slice){t, 0, stored, disk, s->base};
}

static void header_for(struct block_header *h, const struct hash256 *prev, uint32_t i)
{
    memset(h, 0, sizeof(*h));
    h->version = 4;
    h->prev = *prev;
    h->time = 1600000000 + i * 600;
    h->bits = 0x207fffff;
    h->nonce = i;
}

static int run_store(const char *dir, const struct plan *p, const uint8_t *pool)
{
    char *err = NULL;
    struct blockstore *bs = blockstore_open(dir, MAGIC, false, false, 8u << 20, &err);
    if (!bs) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    struct bindex *bi = bindex_new();
    struct hash256 prev = {{0}};
    uint8_t *block = xmalloc(1600000);
    uint64_t stored = 0, since_sync = 0;
    struct slice s;
    slice_begin(&s);
    for (size_t i = 0; i < p->n; i++) {
        struct block_header h;
        struct hash256 hash;
        header_for(&h, &prev, (uint32_t)i);
        block_header_hash(&h, &hash);
        struct bindex_node *n = bindex_add(bi, &h, &hash);
        memcpy(block, pool + p->off[i], p->len[i]);
        block_header_serialize(&h, block);
        uint32_t undo = p->len[i] * 15 / 100;
        double t0 = now();
        int rc = blockstore_save_block(bs, n, block, p->len[i], NULL, &err);
        if (rc == 0)
            rc = blockstore_write(bs, false, &err);
        if (rc == 0 && n->prev)
            rc = blockstore_save_undo(bs, n, pool + p->off[i] + 7, undo, &err);
        stored += p->len[i] + (n->prev ? undo : 0);
        since_sync += p->len[i] + undo;
        if (rc == 0)
            rc = blockstore_write(bs, since_sync >= SYNC_EVERY, &err);
        if (since_sync >= SYNC_EVERY)
            since_sync = 0;
        if (rc < 0) {
            fprintf(stderr, "bench_store: %s\n", err);
            break;
        }
        account(&s, stored, now() - t0, "store");
        prev = hash;
    }
    free(block);
    bindex_free(bi);
    blockstore_close(bs);
    return 0;
}

static void run_raw(const char *dir, const struct plan *p, const uint8_t *pool)
{
    char *path = blockstore_path(dir, "raw.dat");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        free(path);
        return;
    }
    uint64_t stored = 0, since_sync = 0;
    struct slice s;
    slice_begin(&s);
    for (size_t i = 0; i < p->n; i++) {
        uint32_t undo = p->len[i] * 15 / 100;
        double t0 = now();
        if (write(fd, pool + p->off[i], p->len[i]) < 0 || write(fd, pool + p->off[i], undo) < 0) {
            perror("write");
            break;
        }
        stored += p->len[i] + undo;
        since_sync += p->len[i] + undo;
        if (since_sync >= SYNC_EVERY) {
            fdatasync(fd);
            since_sync = 0;
        }
        account(&s, stored, now() - t0, "raw");
    }
    close(fd);
    unlink(path);
    free(path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    double gb = argc > 1 ? atof(argv[1]) : 5;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096];
    if (argc > 2)
        snprintf(dir, sizeof(dir), "%s", argv[2]);
    else
        snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX", tmp);
    if (argc <= 2 && !mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    uint8_t *pool = xmalloc(POOL);
    for (size_t i = 0; i < POOL; i += 8) {
        uint64_t v = rng();
        memcpy(pool + i, &v, 8);
    }
    struct plan p;
    make_plan(&p, (uint64_t)(gb * (double)GB));
    printf("%zu blocks of 1-1.5 MB with 15%% undo data, %.1f GB, in %s\n", p.n, gb, dir);
    int rc = run_store(dir, &p, pool);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == 0 && mkdir(dir, 0755) == 0)
        run_raw(dir, &p, pool);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(p.len);
    free(p.off);
    free(pool);
    return rc == 0 ? 0 : 1;
}
