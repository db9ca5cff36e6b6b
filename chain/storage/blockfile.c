/* memmem */
#define _GNU_SOURCE
#include "chain/storage/blockfile.h"

#include "chain/primitives/block.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHECKSUM_SIZE 32

enum kind { KIND_BLK, KIND_REV };

struct blockfile {
    char *dir;
    uint8_t magic[4];
    uint32_t max_size;
    uint32_t chunk[2]; /* by kind */
    struct blockfile_info *infos;
    int count, cap;
    int last;
    int fd[2];       /* the last file's blk and rev, -1 until used */
    int fd_file;     /* the file fd[] belong to */
    bool dirty[2];   /* written since the last flush */
    /* Finished files' writes not synced yet (NULL: none). */
    struct blockfile_sync *pending;
};

/* Descriptors (duplicates, owned) whose writes still need an fdatasync. */
struct blockfile_sync {
    struct sync_fd {
        int fd;
        enum kind kind;
        int file;
    } *v;
    size_t n, cap;
};

static char *file_path(const struct blockfile *bf, enum kind k, int file)
{
    size_t n = strlen(bf->dir) + 32;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s%05d.dat", bf->dir, k == KIND_BLK ? "blk" : "rev", file);
    return p;
}

static int sys_err(char **err, const struct blockfile *bf, const char *what, enum kind k,
                   int file)
{
    int e = errno;
    char *p = file_path(bf, k, file);
    err_set(err, "%s %s: %s", what, p, strerror(e));
    free(p);
    return -1;
}

/* fd of a file, -1 with errno on failure. */
static int open_file(const struct blockfile *bf, enum kind k, int file, int flags)
{
    char *p = file_path(bf, k, file);
    int fd = open(p, flags | O_CLOEXEC, 0644);
    free(p);
    return fd;
}

static void grow_infos(struct blockfile *bf, int file)
{
    if (file < bf->count)
        return;
    if (file >= bf->cap) {
        int cap = bf->cap ? bf->cap : 16;
        while (cap <= file)
            cap *= 2;
        bf->infos = xreallocarray(bf->infos, (size_t)cap, sizeof(*bf->infos));
        bf->cap = cap;
    }
    memset(&bf->infos[bf->count], 0, (size_t)(file + 1 - bf->count) * sizeof(*bf->infos));
    bf->count = file + 1;
}

struct blockfile *blockfile_open(const char *dir, const uint8_t magic[4], bool fast,
                                 char **err)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        err_set(err, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct blockfile *bf = xcalloc(1, sizeof(*bf));
    bf->dir = xstrdup(dir);
    memcpy(bf->magic, magic, 4);
    bf->max_size = fast ? BLOCKFILE_FAST_FILE_SIZE : BLOCKFILE_MAX_FILE_SIZE;
    bf->chunk[KIND_BLK] = fast ? BLOCKFILE_FAST_CHUNK : BLOCKFILE_BLOCK_CHUNK;
    bf->chunk[KIND_REV] = BLOCKFILE_UNDO_CHUNK;
    bf->fd[0] = bf->fd[1] = -1;
    grow_infos(bf, 0);
    return bf;
}

static void close_fds(struct blockfile *bf)
{
    for (int k = 0; k < 2; k++) {
        if (bf->fd[k] >= 0)
            close(bf->fd[k]);
        bf->fd[k] = -1;
    }
}

void blockfile_close(struct blockfile *bf)
{
    if (!bf)
        return;
    close_fds(bf);
    blockfile_sync_free(bf->pending);
    free(bf->infos);
    free(bf->dir);
    free(bf);
}

void blockfile_set_info(struct blockfile *bf, int file, const struct blockfile_info *info)
{
    grow_infos(bf, file);
    bf->infos[file] = *info;
}

void blockfile_set_last(struct blockfile *bf, int file)
{
    grow_infos(bf, file);
    if (bf->fd_file != file)
        close_fds(bf);
    bf->last = file;
}

/* The cached write fd of the last file's blk or rev file. */
static int last_fd(struct blockfile *bf, enum kind k, char **err)
{
    if (bf->fd_file != bf->last)
        close_fds(bf);
    bf->fd_file = bf->last;
    if (bf->fd[k] < 0 && (bf->fd[k] = open_file(bf, k, bf->last, O_RDWR | O_CREAT)) < 0)
        return sys_err(err, bf, "cannot open", k, bf->last);
    return bf->fd[k];
}

static int truncate_to(struct blockfile *bf, enum kind k, int file, uint32_t size, char **err)
{
    struct stat st;
    int fd = open_file(bf, k, file, O_RDWR);
    if (fd < 0)
        return errno == ENOENT ? 0 : sys_err(err, bf, "cannot open", k, file);
    int rc = 0;
    if (fstat(fd, &st) < 0 || (st.st_size > (off_t)size && ftruncate(fd, size) < 0))
        rc = sys_err(err, bf, "cannot truncate", k, file);
    close(fd);
    return rc;
}

int blockfile_trim_tail(struct blockfile *bf, char **err)
{
    const struct blockfile_info *i = &bf->infos[bf->last];
    close_fds(bf);
    if (truncate_to(bf, KIND_BLK, bf->last, i->size, err) < 0 ||
        truncate_to(bf, KIND_REV, bf->last, i->undo_size, err) < 0)
        return -1;
    return 0;
}

/* Core's FlatFileSeq::Allocate: whole chunks ahead of the write, so the
 * file system lays the file out contiguously. A file system without
 * fallocate only loses that benefit; a full disk fails the write. */
static void preallocate(int fd, uint32_t end, size_t add, uint32_t chunk)
{
    uint64_t old_chunks = ((uint64_t)end + chunk - 1) / chunk;
    uint64_t new_chunks = ((uint64_t)end + add + chunk - 1) / chunk;
    if (new_chunks > old_chunks)
        (void)posix_fallocate(fd, (off_t)(old_chunks * chunk),
                              (off_t)((new_chunks - old_chunks) * chunk));
}

static int write_all(int fd, struct iovec *iov, int n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwritev(fd, iov, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Adds fd (owned) to what *s syncs; closed at once if a descriptor of
 * the same file is there already (a sync covers the file, not one
 * descriptor's writes). */
static void sync_add(struct blockfile_sync **s, int fd, enum kind k, int file)
{
    for (size_t i = 0; *s && i < (*s)->n; i++) {
        if ((*s)->v[i].kind == k && (*s)->v[i].file == file) {
            close(fd);
            return;
        }
    }
    if (!*s)
        *s = xcalloc(1, sizeof(**s));
    if ((*s)->n == (*s)->cap) {
        (*s)->cap = (*s)->cap ? 2 * (*s)->cap : 4;
        (*s)->v = xreallocarray((*s)->v, (*s)->cap, sizeof(*(*s)->v));
    }
    (*s)->v[(*s)->n++] = (struct sync_fd){fd, k, file};
}

/* Moves the last file's unsynced writes of kind k into *s, as a
 * duplicate descriptor: the file's own may be closed meanwhile. */
static int defer_sync(struct blockfile *bf, struct blockfile_sync **s, enum kind k, char **err)
{
    if (!bf->dirty[k] || bf->fd[k] < 0)
        return 0;
    int fd = fcntl(bf->fd[k], F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return sys_err(err, bf, "cannot sync", k, bf->fd_file);
    sync_add(s, fd, k, bf->fd_file);
    bf->dirty[k] = false;
    return 0;
}

/* Ends the last file (trimmed to its data; its sync is left to the next
 * blockfile_sync_take) and starts the next. */
static int next_file(struct blockfile *bf, char **err)
{
    if (defer_sync(bf, &bf->pending, KIND_BLK, err) < 0 ||
        defer_sync(bf, &bf->pending, KIND_REV, err) < 0 || blockfile_trim_tail(bf, err) < 0)
        return -1;
    grow_infos(bf, bf->last + 1);
    bf->last++;
    return 0;
}

static void header(const struct blockfile *bf, uint8_t hdr[BLOCKFILE_HEADER_SIZE], size_t len)
{
    memcpy(hdr, bf->magic, 4);
    ser_put_le32(hdr + 4, (uint32_t)len);
}

static void note(struct blockfile_info *i, int height, uint64_t time)
{
    if (i->blocks == 0 || height < i->height_first)
        i->height_first = height;
    if (i->blocks == 0 || time < i->time_first)
        i->time_first = time;
    if (i->blocks == 0 || height > i->height_last)
        i->height_last = height;
    if (i->blocks == 0 || time > i->time_last)
        i->time_last = time;
    i->blocks++;
}

int blockfile_append_block(struct blockfile *bf, const uint8_t *data, size_t len, int height,
                           uint64_t time, struct blockfile_pos *out, char **err)
{
    if (len > BLOCKFILE_MAX_RECORD)
        return err_set(err, "block of %zu bytes is too large to store", len);
    size_t need = len + BLOCKFILE_HEADER_SIZE;
    /* A block larger than a (test-sized) file gets a file of its own. */
    if (bf->infos[bf->last].size > 0 && bf->infos[bf->last].size + need > bf->max_size &&
        next_file(bf, err) < 0)
        return -1;
    struct blockfile_info *i = &bf->infos[bf->last];
    int fd = last_fd(bf, KIND_BLK, err);
    if (fd < 0)
        return -1;
    uint8_t hdr[BLOCKFILE_HEADER_SIZE];
    header(bf, hdr, len);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
    preallocate(fd, i->size, need, bf->chunk[KIND_BLK]);
    if (write_all(fd, iov, 2, i->size) < 0)
        return sys_err(err, bf, "cannot write", KIND_BLK, bf->last);
    bf->dirty[KIND_BLK] = true;
    *out = (struct blockfile_pos){bf->last, i->size + BLOCKFILE_HEADER_SIZE, (uint32_t)len};
    i->size += (uint32_t)need;
    note(i, height, time);
    return 0;
}

void blockfile_note_block(struct blockfile *bf, const struct blockfile_pos *pos, int height,
                          uint64_t time)
{
    grow_infos(bf, pos->file);
    struct blockfile_info *i = &bf->infos[pos->file];
    if (pos->pos + pos->len > i->size)
        i->size = pos->pos + pos->len;
    note(i, height, time);
    if (pos->file > bf->last)
        blockfile_set_last(bf, pos->file);
}

static void undo_checksum(const struct hash256 *prev, const uint8_t *data, size_t len,
                          struct hash256 *out)
{
    struct hash_ctx *ctx = hash_ctx_new();
    hash_ctx_update(ctx, prev->b, 32);
    hash_ctx_update(ctx, data, len);
    hash_ctx_final_d(ctx, out);
    hash_ctx_free(ctx);
}

int blockfile_append_undo(struct blockfile *bf, int file, const struct hash256 *prev,
                          const uint8_t *data, size_t len, struct blockfile_pos *out,
                          char **err)
{
    if (file < 0 || file >= bf->count)
        return err_set(err, "undo data for unknown block file %d", file);
    if (len > BLOCKFILE_MAX_RECORD)
        return err_set(err, "undo data of %zu bytes is too large to store", len);
    struct blockfile_info *i = &bf->infos[file];
    bool last = file == bf->last;
    /* Undo for a block of an older file (a late connect: blocks are
     * stored as they arrive, ahead of their connection) goes through a
     * descriptor of its own, handed to the next sync like a finished
     * file's (an fdatasync here would hold the caller, the event loop). */
    int fd = last ? last_fd(bf, KIND_REV, err) : open_file(bf, KIND_REV, file, O_RDWR | O_CREAT);
    if (fd < 0)
        return last ? -1 : sys_err(err, bf, "cannot open", KIND_REV, file);
    uint8_t hdr[BLOCKFILE_HEADER_SIZE];
    struct hash256 sum;
    header(bf, hdr, len);
    undo_checksum(prev, data, len, &sum);
    struct iovec iov[3] = {{hdr, sizeof(hdr)}, {(void *)data, len}, {sum.b, CHECKSUM_SIZE}};
    size_t need = len + BLOCKFILE_HEADER_SIZE + CHECKSUM_SIZE;
    preallocate(fd, i->undo_size, need, bf->chunk[KIND_REV]);
    if (write_all(fd, iov, 3, i->undo_size) < 0) {
        sys_err(err, bf, "cannot write", KIND_REV, file);
        if (!last)
            close(fd);
        return -1;
    }
    if (last)
        bf->dirty[KIND_REV] = true;
    else
        sync_add(&bf->pending, fd, KIND_REV, file);
    *out = (struct blockfile_pos){file, i->undo_size + BLOCKFILE_HEADER_SIZE, (uint32_t)len};
    i->undo_size += (uint32_t)need;
    return 0;
}

/* One preadv of header, payload and (for undo) checksum. */
static int read_record(const struct blockfile *bf, enum kind k,
                       const struct blockfile_pos *pos, uint8_t **data,
                       uint8_t sum[CHECKSUM_SIZE], char **err)
{
    if (pos->file < 0 || pos->pos < BLOCKFILE_HEADER_SIZE || pos->len > BLOCKFILE_MAX_RECORD) {
        err_set(err, "no valid position in file %d", pos->file);
        return 0;
    }
    int fd = open_file(bf, k, pos->file, O_RDONLY);
    if (fd < 0) {
        int missing = errno == ENOENT;
        sys_err(err, bf, "cannot open", k, pos->file);
        return missing ? 0 : -1;
    }
    uint8_t hdr[BLOCKFILE_HEADER_SIZE];
    uint8_t *buf = xmalloc(pos->len ? pos->len : 1);
    struct iovec iov[3] = {{hdr, sizeof(hdr)}, {buf, pos->len}, {sum, CHECKSUM_SIZE}};
    size_t want = BLOCKFILE_HEADER_SIZE + pos->len + (sum ? CHECKSUM_SIZE : 0);
    ssize_t got;
    do
        got = preadv(fd, iov, sum ? 3 : 2, pos->pos - BLOCKFILE_HEADER_SIZE);
    while (got < 0 && errno == EINTR);
    int rc = got < 0 ? sys_err(err, bf, "cannot read", k, pos->file) : 1;
    close(fd);
    if (rc == 1 && ((size_t)got != want || memcmp(hdr, bf->magic, 4) != 0 ||
                    ser_le32(hdr + 4) != pos->len)) {
        char *p = file_path(bf, k, pos->file);
        err_set(err, "%s: record at %u is %s", p, pos->pos,
                (size_t)got != want ? "truncated" : "not the one indexed");
        free(p);
        rc = 0;
    }
    if (rc != 1) {
        free(buf);
        return rc;
    }
    *data = buf;
    return 1;
}

int blockfile_read_block(const struct blockfile *bf, const struct blockfile_pos *pos,
                         uint8_t **data, char **err)
{
    return read_record(bf, KIND_BLK, pos, data, NULL, err);
}

int blockfile_read_undo(const struct blockfile *bf, const struct blockfile_pos *pos,
                        const struct hash256 *prev, uint8_t **data, char **err)
{
    uint8_t sum[CHECKSUM_SIZE];
    struct hash256 want;
    int rc = read_record(bf, KIND_REV, pos, data, sum, err);
    if (rc != 1)
        return rc;
    undo_checksum(prev, *data, pos->len, &want);
    if (memcmp(want.b, sum, CHECKSUM_SIZE) != 0) {
        free(*data);
        *data = NULL;
        err_set(err, "undo data at file %d offset %u: checksum mismatch", pos->file, pos->pos);
        return 0;
    }
    return 1;
}

bool blockfile_exists(const struct blockfile *bf, int file)
{
    struct stat st;
    char *p = file_path(bf, KIND_BLK, file);
    bool there = stat(p, &st) == 0;
    free(p);
    return there;
}

struct blockfile_sync *blockfile_sync_take(struct blockfile *bf, bool current, char **err)
{
    struct blockfile_sync *s = bf->pending;
    bf->pending = NULL;
    if (current && (defer_sync(bf, &s, KIND_BLK, err) < 0 ||
                    defer_sync(bf, &s, KIND_REV, err) < 0)) {
        blockfile_sync_free(s);
        return BLOCKFILE_SYNC_FAILED;
    }
    return s;
}

void blockfile_sync_free(struct blockfile_sync *s)
{
    if (!s || s == BLOCKFILE_SYNC_FAILED)
        return;
    for (size_t i = 0; i < s->n; i++)
        close(s->v[i].fd);
    free(s->v);
    free(s);
}

int blockfile_sync_run(struct blockfile_sync *s, char **err)
{
    if (s == BLOCKFILE_SYNC_FAILED)
        return err_set(err, "cannot sync the block files");
    int rc = 0;
    for (size_t i = 0; s && i < s->n && rc == 0; i++) {
        if (fdatasync(s->v[i].fd) < 0)
            rc = err_set(err, "cannot sync %s%05d.dat: %s", s->v[i].kind == KIND_BLK ? "blk" : "rev",
                         s->v[i].file, strerror(errno));
    }
    blockfile_sync_free(s);
    return rc;
}

int blockfile_flush(struct blockfile *bf, char **err)
{
    struct blockfile_sync *s = blockfile_sync_take(bf, true, err);
    return s == BLOCKFILE_SYNC_FAILED ? -1 : blockfile_sync_run(s, err);
}

int blockfile_last(const struct blockfile *bf)
{
    return bf->last;
}

int blockfile_count(const struct blockfile *bf)
{
    return bf->count;
}

const struct blockfile_info *blockfile_info(const struct blockfile *bf, int file)
{
    return file >= 0 && file < bf->count ? &bf->infos[file] : NULL;
}

uint64_t blockfile_usage(const struct blockfile *bf)
{
    uint64_t total = 0;
    for (int f = 0; f < bf->count; f++)
        total += (uint64_t)bf->infos[f].size + bf->infos[f].undo_size;
    return total;
}

int blockfile_remove(struct blockfile *bf, int file, char **err)
{
    if (file < 0 || file >= bf->count || file == bf->last)
        return err_set(err, "block file %d cannot be removed", file);
    for (int k = 0; k < 2; k++) {
        char *p = file_path(bf, (enum kind)k, file);
        int rc = unlink(p);
        free(p);
        if (rc < 0 && errno != ENOENT)
            return sys_err(err, bf, "cannot remove", (enum kind)k, file);
    }
    memset(&bf->infos[file], 0, sizeof(bf->infos[file]));
    return 0;
}

int blockfile_reset(struct blockfile *bf, char **err)
{
    close_fds(bf);
    for (int f = 0; blockfile_exists(bf, f); f++) {
        if (truncate_to(bf, KIND_REV, f, 0, err) < 0)
            return -1;
    }
    bf->count = 0;
    bf->last = 0;
    bf->dirty[0] = bf->dirty[1] = false;
    grow_infos(bf, 0);
    return 0;
}

/* The offset of the next record header at or after off, or len. */
static size_t find_magic(const struct blockfile *bf, const uint8_t *map, size_t len, size_t off)
{
    if (off >= len)
        return len;
    const uint8_t *p = memmem(map + off, len - off, bf->magic, 4);
    return p ? (size_t)(p - map) : len;
}

int blockfile_scan(struct blockfile *bf, int file, blockfile_scan_fn fn, void *ctx, char **err)
{
    struct stat st;
    int fd = open_file(bf, KIND_BLK, file, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 0 : sys_err(err, bf, "cannot open", KIND_BLK, file);
    if (fstat(fd, &st) < 0) {
        sys_err(err, bf, "cannot stat", KIND_BLK, file);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED)
        return sys_err(err, bf, "cannot map", KIND_BLK, file);
    int rc = 1;
    for (size_t off = find_magic(bf, map, len, 0); off + BLOCKFILE_HEADER_SIZE <= len;) {
        uint32_t size = ser_le32(map + off + 4);
        size_t start = off + BLOCKFILE_HEADER_SIZE;
        /* A torn or garbage record: look for the next magic after it. */
        if (size < BLOCK_HEADER_SIZE || size > BLOCKFILE_MAX_RECORD || size > len - start ||
            start + size > UINT32_MAX) {
            off = find_magic(bf, map, len, off + 1);
            continue;
        }
        struct blockfile_pos pos = {file, (uint32_t)start, size};
        if (fn(ctx, &pos, map + start) != 0) {
            rc = -1;
            break;
        }
        off = find_magic(bf, map, len, start + size);
    }
    if (map)
        munmap(map, len);
    return rc;
}

void blockfile_info_encode(const struct blockfile_info *info, struct wbuf *w)
{
    wbuf_u32(w, info->blocks);
    wbuf_u32(w, info->size);
    wbuf_u32(w, info->undo_size);
    wbuf_i32(w, info->height_first);
    wbuf_i32(w, info->height_last);
    wbuf_u64(w, info->time_first);
    wbuf_u64(w, info->time_last);
}

bool blockfile_info_decode(const uint8_t *data, size_t len, struct blockfile_info *out)
{
    struct cursor c;
    cursor_init(&c, data, len);
    cursor_u32(&c, &out->blocks);
    cursor_u32(&c, &out->size);
    cursor_u32(&c, &out->undo_size);
    cursor_i32(&c, &out->height_first);
    cursor_i32(&c, &out->height_last);
    cursor_u64(&c, &out->time_first);
    cursor_u64(&c, &out->time_last);
    return !c.err && cursor_left(&c) == 0;
}
