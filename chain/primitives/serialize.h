/* Bounded read cursor and growable write buffer for Bitcoin serialization.
 *
 * Every read can fail at the end of the data: it returns false and leaves
 * the output untouched. Once a read fails the cursor is poisoned (cur->err)
 * and all later reads fail too, so a parser may check once at the end. */
#ifndef HEARSAY_CHAIN_SERIALIZE_H
#define HEARSAY_CHAIN_SERIALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool err;
};

/* Largest CompactSize any count may have (Bitcoin Core's MAX_SIZE). */
#define SER_MAX_SIZE 0x02000000u

void cursor_init(struct cursor *c, const void *data, size_t len);
size_t cursor_left(const struct cursor *c);
const uint8_t *cursor_ptr(const struct cursor *c);

bool cursor_u8(struct cursor *c, uint8_t *out);
bool cursor_u16(struct cursor *c, uint16_t *out);   /* little-endian */
bool cursor_u16be(struct cursor *c, uint16_t *out); /* big-endian (ports) */
bool cursor_u32(struct cursor *c, uint32_t *out);
bool cursor_i32(struct cursor *c, int32_t *out);
bool cursor_u64(struct cursor *c, uint64_t *out);
bool cursor_i64(struct cursor *c, int64_t *out);
bool cursor_bool(struct cursor *c, bool *out); /* one byte, 0 or 1 */
bool cursor_bytes(struct cursor *c, void *out, size_t n);
bool cursor_skip(struct cursor *c, size_t n);
/* Points *out at the next n bytes without copying. */
bool cursor_view(struct cursor *c, const uint8_t **out, size_t n);

/* CompactSize. Non-canonical encodings fail, and so does any value above
 * max (pass SER_MAX_SIZE when there is no tighter cap). Capping happens
 * before the caller allocates anything. */
bool cursor_compact(struct cursor *c, uint64_t *out, uint64_t max);
/* A count of items each at least min_item_size bytes long: also fails when
 * the remaining data cannot possibly hold that many items. */
bool cursor_count(struct cursor *c, size_t *out, size_t max, size_t min_item_size);
/* CompactSize length then bytes, viewed in place; length capped by max. */
bool cursor_varbytes(struct cursor *c, const uint8_t **out, size_t *len, size_t max);
/* CompactSize length then a string copied into out (NUL-terminated);
 * fails if the length exceeds cap (out must hold cap + 1 bytes). */
bool cursor_varstr(struct cursor *c, char *out, size_t cap);

/* Growable write buffer. Allocation failure aborts (as Tor's tor_malloc
 * does): there is no sane recovery from out-of-memory in a relay node. */
struct wbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void wbuf_init(struct wbuf *w);
void wbuf_free(struct wbuf *w); /* accepts a zeroed or freed buffer */
void wbuf_reset(struct wbuf *w); /* len = 0, keeps the memory */
void wbuf_reserve(struct wbuf *w, size_t extra);
/* Hands the bytes to the caller (who frees them) and resets the buffer. */
uint8_t *wbuf_detach(struct wbuf *w, size_t *len);

void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u16(struct wbuf *w, uint16_t v);
void wbuf_u16be(struct wbuf *w, uint16_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_i32(struct wbuf *w, int32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
void wbuf_i64(struct wbuf *w, int64_t v);
void wbuf_bytes(struct wbuf *w, const void *p, size_t n);
void wbuf_compact(struct wbuf *w, uint64_t v);
void wbuf_varbytes(struct wbuf *w, const void *p, size_t n);
void wbuf_varstr(struct wbuf *w, const char *s);

/* Size in bytes of v's CompactSize encoding. */
size_t ser_compact_size(uint64_t v);
/* Writes v's CompactSize encoding into out; returns its size. For
 * serializers that feed a hash directly, without a wbuf. */
#define SER_COMPACT_MAX 9
size_t ser_put_compact(uint8_t out[SER_COMPACT_MAX], uint64_t v);

/* Little-endian helpers on raw memory. */
static inline uint32_t ser_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void ser_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint64_t ser_le64(const uint8_t *p)
{
    return (uint64_t)ser_le32(p) | (uint64_t)ser_le32(p + 4) << 32;
}
static inline void ser_put_le64(uint8_t *p, uint64_t v)
{
    ser_put_le32(p, (uint32_t)v);
    ser_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
