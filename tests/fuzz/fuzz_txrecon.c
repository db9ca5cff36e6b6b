/* Fuzz harness: the four BIP330 round messages (and sendtxrcncl) through
 * their decoders and a responder and an initiator in every phase. The
 * first byte picks the message; decodes must re-encode to the bytes
 * read, and no input may crash the state machine. */
#include <stdlib.h>
#include <string.h>

#include "net/relay/txrecon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void reencodes(const struct wbuf *w, const struct cursor *c, const uint8_t *data)
{
    CHECK(w->len == c->pos && memcmp(w->data, data, w->len) == 0);
}

static void feed(struct txrecon *resp, struct txrecon *init, uint8_t kind, const uint8_t *data,
                 size_t size)
{
    struct cursor c;
    struct wbuf w;
    struct txrecon_out o;
    cursor_init(&c, data, size);
    wbuf_init(&w);
    txrecon_out_init(&o);
    switch (kind % 5) {
    case 0: {
        struct txrecon_send_msg m;
        if (txrecon_send_decode(&c, &m)) {
            txrecon_send_encode(&w, &m);
            reencodes(&w, &c, data);
        }
        break;
    }
    case 1: {
        struct txrecon_req_msg m;
        if (txrecon_req_decode(&c, &m)) {
            txrecon_req_encode(&w, &m);
            reencodes(&w, &c, data);
            txrecon_on_req(resp, 1, &m, &o);
        }
        break;
    }
    case 2: {
        struct txrecon_sketch_msg m;
        if (txrecon_sketch_decode(&c, &m)) {
            CHECK(m.len % 4 == 0 && m.len <= TXRECON_MAX_SKETCH_BYTES);
            txrecon_sketch_encode(&w, m.data, m.len);
            reencodes(&w, &c, data);
            txrecon_on_sketch(init, 2, m.data, m.len, &o);
        }
        break;
    }
    case 3:
        txrecon_on_reqext(resp, 1, &o);
        break;
    default: {
        struct txrecon_diff_msg m;
        if (txrecon_diff_decode(&c, &m)) {
            CHECK(m.n_ask <= TXRECON_MAX_ASK);
            txrecon_diff_encode(&w, m.success, m.ask, m.n_ask);
            reencodes(&w, &c, data);
            txrecon_on_diff(resp, 1, &m, &o);
            txrecon_diff_clear(&m);
        }
        break;
    }
    }
    txrecon_out_free(&o);
    wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct txrecon *resp = txrecon_new(TXRECON_DEFAULT_Q), *init = txrecon_new(TXRECON_DEFAULT_Q);
    CHECK(resp && init);
    CHECK(txrecon_peer_add(resp, 1, false, 5, 6) == 0);
    CHECK(txrecon_peer_add(init, 2, true, 6, 5) == 0);
    struct hash256 h, other;
    for (int i = 0; i < 8; i++) {
        memset(&h, i + 1, sizeof(h));
        txrecon_add(resp, 1, &h, &other);
        h.b[0] ^= 0x80;
        txrecon_add(init, 2, &h, &other);
    }
    /* The initiator waits for a sketch; feed the rest to both. */
    struct txrecon_out o;
    txrecon_out_init(&o);
    txrecon_start(init, 2, &o);
    txrecon_out_free(&o);
    /* Several messages: split at 0xff bytes, each led by its kind. */
    size_t start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == 0xff) {
            if (i > start)
                feed(resp, init, data[start], data + start + 1, i - start - 1);
            start = i + 1;
        }
    txrecon_free(resp);
    txrecon_free(init);
    return 0;
}
