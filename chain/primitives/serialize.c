#include "chain/primitives/serialize.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cursor_init(struct cursor *c, const void *data, size_t len)
{
    /* Never NULL: pointer arithmetic on NULL, even + 0, is undefined. */
    static const uint8_t nothing[1];
    c->p = data ? data : nothing;
    c->len = data ? len : 0;
    c->pos = 0;
    c->err = false;
}

size_t cursor_left(const struct cursor *c)
{
    return c->err ? 0 : c->len - c->pos;
}

const uint8_t *cursor_ptr(const struct cursor *c)
{
    return c->p + c->pos;
}

/* The single place that decides whether n more bytes exist. */
static const uint8_t *take(struct cursor *c, size_t n)
{
    if (c->err || n > c->len - c->pos) {
        c->err = true;
        return NULL;
    }
    const uint8_t *p = c->p + c->pos;
    c->pos += n;
    return p;
}

bool cursor_u8(struct cursor *c, uint8_t *out)
{
    const uint8_t *p = take(c, 1);
    if (!p)
        return false;
    *out = p[0];
    return true;
}

bool cursor_u16(struct cursor *c, uint16_t *out)
{
    const uint8_t *p = take(c, 2);
    if (!p)
        return false;
    *out = (uint16_t)(p[0] | p[1] << 8);
    return true;
}

bool cursor_u16be(struct cursor *c, uint16_t *out)
{
    const uint8_t *p = take(c, 2);
    if (!p)
        return false;
    *out = (uint16_t)(p[0] << 8 | p[1]);
    return true;
}

bool cursor_u32(struct cursor *c, uint32_t *out)
{
    const uint8_t *p = take(c, 4);
    if (!p)
        return false;
    *out = ser_le32(p);
    return true;
}

bool cursor_i32(struct cursor *c, int32_t *out)
{
    uint32_t v;
    if (!cursor_u32(c, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

bool cursor_u64(struct cursor *c, uint64_t *out)
{
    const uint8_t *p = take(c, 8);
    if (!p)
        return false;
    *out = ser_le64(p);
    return true;
}

bool cursor_i64(struct cursor *c, int64_t *out)
{
    uint64_t v;
    if (!cursor_u64(c, &v))
        return false;
    *out = (int64_t)v;
    return true;
}

bool cursor_bool(struct cursor *c, bool *out)
{
    uint8_t v;
    if (!cursor_u8(c, &v))
        return false;
    *out = v != 0;
    return true;
}

bool cursor_bytes(struct cursor *c, void *out, size_t n)
{
    const uint8_t *p = take(c, n);
    if (!p)
        return false;
    if (n)
        memcpy(out, p, n);
    return true;
}

bool cursor_skip(struct cursor *c, size_t n)
{
    return take(c, n) != NULL;
}

bool cursor_view(struct cursor *c, const uint8_t **out, size_t n)
{
    const uint8_t *p = take(c, n);
    if (!p)
        return false;
    *out = p;
    return true;
}

bool cursor_compact(struct cursor *c, uint64_t *out, uint64_t max)
{
    uint8_t tag;
    uint64_t v;
    if (!cursor_u8(c, &tag))
        return false;
    if (tag < 0xfd) {
        v = tag;
    } else if (tag == 0xfd) {
        uint16_t x;
        if (!cursor_u16(c, &x) || x < 0xfd)
            goto bad;
        v = x;
    } else if (tag == 0xfe) {
        uint32_t x;
        if (!cursor_u32(c, &x) || x < 0x10000u)
            goto bad;
        v = x;
    } else {
        if (!cursor_u64(c, &v) || v < 0x100000000ull)
            goto bad;
    }
    if (v > max)
        goto bad;
    *out = v;
    return true;
bad:
    c->err = true;
    return false;
}

bool cursor_count(struct cursor *c, size_t *out, size_t max, size_t min_item_size)
{
    uint64_t v;
    if (!cursor_compact(c, &v, max))
        return false;
    if (min_item_size && v > cursor_left(c) / min_item_size) {
        c->err = true;
        return false;
    }
    *out = (size_t)v;
    return true;
}

bool cursor_varbytes(struct cursor *c, const uint8_t **out, size_t *len, size_t max)
{
    uint64_t n;
    if (!cursor_compact(c, &n, max))
        return false;
    if (!cursor_view(c, out, (size_t)n))
        return false;
    *len = (size_t)n;
    return true;
}

bool cursor_varstr(struct cursor *c, char *out, size_t cap)
{
    const uint8_t *p;
    size_t n;
    if (!cursor_varbytes(c, &p, &n, cap))
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

void wbuf_init(struct wbuf *w)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
}

void wbuf_free(struct wbuf *w)
{
    if (!w)
        return;
    free(w->data);
    wbuf_init(w);
}

void wbuf_reset(struct wbuf *w)
{
    w->len = 0;
}

void wbuf_reserve(struct wbuf *w, size_t extra)
{
    if (w->cap - w->len >= extra)
        return;
    size_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < extra) {
        if (cap > SIZE_MAX / 2) {
            fprintf(stderr, "wbuf: size overflow\n");
            abort();
        }
        cap *= 2;
    }
    uint8_t *d = xrealloc(w->data, cap);
    w->data = d;
    w->cap = cap;
}

uint8_t *wbuf_detach(struct wbuf *w, size_t *len)
{
    uint8_t *d = w->data;
    if (len)
        *len = w->len;
    wbuf_init(w);
    return d;
}

void wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
    if (!n)
        return;
    wbuf_reserve(w, n);
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

void wbuf_u8(struct wbuf *w, uint8_t v)
{
    wbuf_bytes(w, &v, 1);
}

void wbuf_u16(struct wbuf *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    wbuf_bytes(w, b, 2);
}

void wbuf_u16be(struct wbuf *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    wbuf_bytes(w, b, 2);
}

void wbuf_u32(struct wbuf *w, uint32_t v)
{
    uint8_t b[4];
    ser_put_le32(b, v);
    wbuf_bytes(w, b, 4);
}

void wbuf_i32(struct wbuf *w, int32_t v)
{
    wbuf_u32(w, (uint32_t)v);
}

void wbuf_u64(struct wbuf *w, uint64_t v)
{
    uint8_t b[8];
    ser_put_le64(b, v);
    wbuf_bytes(w, b, 8);
}

void wbuf_i64(struct wbuf *w, int64_t v)
{
    wbuf_u64(w, (uint64_t)v);
}

void wbuf_compact(struct wbuf *w, uint64_t v)
{
    uint8_t b[SER_COMPACT_MAX];
    wbuf_bytes(w, b, ser_put_compact(b, v));
}

void wbuf_varbytes(struct wbuf *w, const void *p, size_t n)
{
    wbuf_compact(w, n);
    wbuf_bytes(w, p, n);
}

void wbuf_varstr(struct wbuf *w, const char *s)
{
    wbuf_varbytes(w, s, strlen(s));
}

size_t ser_compact_size(uint64_t v)
{
    if (v < 0xfd)
        return 1;
    if (v <= 0xffff)
        return 3;
    if (v <= 0xffffffffu)
        return 5;
    return 9;
}

size_t ser_put_compact(uint8_t out[SER_COMPACT_MAX], uint64_t v)
{
    size_t n = ser_compact_size(v);
    if (n == 1) {
        out[0] = (uint8_t)v;
        return 1;
    }
    out[0] = n == 3 ? 0xfd : n == 5 ? 0xfe : 0xff;
    for (size_t i = 1; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (i - 1)));
    return n;
}
