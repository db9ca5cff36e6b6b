/* BIP330 message codecs. */
#include "net/wire/txrecon_msg.h"

#include <stdlib.h>

#include "chain/util/xmalloc.h"

bool txrecon_send_decode(struct cursor *c, struct txrecon_send_msg *m)
{
    return cursor_u32(c, &m->version) && cursor_u64(c, &m->salt);
}

void txrecon_send_encode(struct wbuf *w, const struct txrecon_send_msg *m)
{
    wbuf_u32(w, m->version);
    wbuf_u64(w, m->salt);
}

bool txrecon_req_decode(struct cursor *c, struct txrecon_req_msg *m)
{
    return cursor_u16(c, &m->set_size) && cursor_u16(c, &m->q);
}

void txrecon_req_encode(struct wbuf *w, const struct txrecon_req_msg *m)
{
    wbuf_u16(w, m->set_size);
    wbuf_u16(w, m->q);
}

bool txrecon_sketch_decode(struct cursor *c, struct txrecon_sketch_msg *m)
{
    size_t n;
    if (!cursor_count(c, &n, TXRECON_MAX_SKETCH_BYTES, 1) || n % 4 != 0)
        return false;
    m->len = n;
    return cursor_view(c, &m->data, n);
}

void txrecon_sketch_encode(struct wbuf *w, const uint8_t *data, size_t len)
{
    wbuf_compact(w, len);
    wbuf_bytes(w, data, len);
}

bool txrecon_diff_decode(struct cursor *c, struct txrecon_diff_msg *m)
{
    uint8_t ok;
    size_t n;
    m->ask = NULL;
    m->n_ask = 0;
    if (!cursor_u8(c, &ok) || ok > 1 || !cursor_count(c, &n, TXRECON_MAX_ASK, 4))
        return false;
    m->success = ok == 1;
    if (n == 0)
        return true;
    m->ask = xmalloc(n * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++)
        if (!cursor_u32(c, &m->ask[i])) {
            txrecon_diff_clear(m);
            return false;
        }
    m->n_ask = n;
    return true;
}

void txrecon_diff_encode(struct wbuf *w, bool success, const uint32_t *ask, size_t n)
{
    wbuf_u8(w, success ? 1 : 0);
    wbuf_compact(w, n);
    for (size_t i = 0; i < n; i++)
        wbuf_u32(w, ask[i]);
}

void txrecon_diff_clear(struct txrecon_diff_msg *m)
{
    free(m->ask);
    m->ask = NULL;
    m->n_ask = 0;
}
