#include "net/conn/anchors.h"

#include "chain/primitives/hash.h"
#include "chain/util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION 1
#define ENTRY_SIZE (8 + 16 + 2 + 4)
#define FILE_MAX (4 + 1 + 1 + ANCHORS_MAX_FILE * ENTRY_SIZE + 4)

static const uint8_t magic[4] = {'H', 'S', 'A', 'N'};

void anchors_encode(const struct proto_netaddr *a, size_t n, struct wbuf *w)
{
    struct hash256 h;
    size_t start = w->len;
    if (n > ANCHORS_MAX_FILE)
        n = ANCHORS_MAX_FILE;
    wbuf_bytes(w, magic, 4);
    wbuf_u8(w, VERSION);
    wbuf_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        wbuf_u64(w, a[i].services);
        wbuf_bytes(w, a[i].ip, 16);
        wbuf_u16be(w, a[i].port);
        wbuf_u32(w, a[i].time);
    }
    hash_sha256d(w->data + start, w->len - start, &h);
    wbuf_bytes(w, h.b, 4);
}

int anchors_decode(const uint8_t *data, size_t len, struct proto_netaddr *out, size_t cap,
                   size_t *n, char **err)
{
    struct hash256 h;
    struct cursor c;
    uint8_t m[4], version;
    uint64_t count;
    *n = 0;
    if (len < 4 + 1 + 1 + 4)
        return err_set(err, "anchors file too short");
    hash_sha256d(data, len - 4, &h);
    if (memcmp(h.b, data + len - 4, 4) != 0)
        return err_set(err, "anchors file checksum mismatch");
    cursor_init(&c, data, len - 4);
    if (!cursor_bytes(&c, m, 4) || memcmp(m, magic, 4) != 0)
        return err_set(err, "not an anchors file");
    if (!cursor_u8(&c, &version) || version != VERSION)
        return err_set(err, "anchors file version %u unknown", version);
    if (!cursor_compact(&c, &count, ANCHORS_MAX_FILE) || cursor_left(&c) != count * ENTRY_SIZE)
        return err_set(err, "anchors file length does not match its count");
    for (uint64_t i = 0; i < count; i++) {
        struct proto_netaddr a = {0};
        cursor_u64(&c, &a.services);
        cursor_bytes(&c, a.ip, 16);
        cursor_u16be(&c, &a.port);
        cursor_u32(&c, &a.time);
        if (*n < cap)
            out[(*n)++] = a;
    }
    return 0;
}

int anchors_write(const char *path, const struct proto_netaddr *a, size_t n, char **err)
{
    char tmp[4096];
    struct wbuf w;
    if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
        return err_set(err, "anchors path too long");
    wbuf_init(&w);
    anchors_encode(a, n, &w);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(w.data, 1, w.len, f) == w.len;
    ok = (f && fclose(f) == 0) && ok;
    wbuf_free(&w);
    if (!ok || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return err_set(err, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int anchors_read(const char *path, struct proto_netaddr *out, size_t cap, size_t *n,
                 char **err)
{
    uint8_t buf[FILE_MAX + 1];
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : err_set(err, "cannot read %s: %s", path, strerror(errno));
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    unlink(path);
    if (len > FILE_MAX)
        return err_set(err, "anchors file too long");
    return anchors_decode(buf, len, out, cap, n, err);
}
