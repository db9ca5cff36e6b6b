/* BIP330 transaction reconciliation messages: sendtxrcncl (before verack),
 * reqrecon, sketch, reqsketchext and reconcildiff. Decoders read through
 * the bounded cursor, check caps before allocating, and return false on
 * malformed input. */
#ifndef HEARSAY_NET_TXRECON_MSG_H
#define HEARSAY_NET_TXRECON_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/primitives/serialize.h"

/* The protocol version we speak (Bitcoin Core's TXRECONCILIATION_VERSION). */
#define TXRECON_VERSION 1
/* Bitcoin Core's MAX_SKETCH_CAPACITY (2 << 12) for an initial sketch; an
 * extension doubles it. */
#define TXRECON_MAX_CAPACITY 8192
#define TXRECON_MAX_SKETCH_BYTES (2 * TXRECON_MAX_CAPACITY * 4)
/* Short ids in one reconcildiff: never more than a decoded difference. */
#define TXRECON_MAX_ASK (2 * TXRECON_MAX_CAPACITY)
/* q travels as a fixed-point uint16 (Core's Q_PRECISION, (2 << 14) - 1). */
#define TXRECON_Q_PRECISION 32767

struct txrecon_send_msg {
    uint32_t version;
    uint64_t salt;
};
bool txrecon_send_decode(struct cursor *c, struct txrecon_send_msg *m);
void txrecon_send_encode(struct wbuf *w, const struct txrecon_send_msg *m);

struct txrecon_req_msg {
    uint16_t set_size;
    uint16_t q; /* q * TXRECON_Q_PRECISION */
};
bool txrecon_req_decode(struct cursor *c, struct txrecon_req_msg *m);
void txrecon_req_encode(struct wbuf *w, const struct txrecon_req_msg *m);

/* sketch: a CompactSize byte vector, a whole number of 4-byte elements.
 * The data points into the cursor's buffer. */
struct txrecon_sketch_msg {
    const uint8_t *data;
    size_t len;
};
bool txrecon_sketch_decode(struct cursor *c, struct txrecon_sketch_msg *m);
void txrecon_sketch_encode(struct wbuf *w, const uint8_t *data, size_t len);

/* reconcildiff: success byte (0 or 1 exactly), then the short ids the
 * sender lacks (malloc'd; free with txrecon_diff_clear). */
struct txrecon_diff_msg {
    bool success;
    uint32_t *ask;
    size_t n_ask;
};
bool txrecon_diff_decode(struct cursor *c, struct txrecon_diff_msg *m);
void txrecon_diff_encode(struct wbuf *w, bool success, const uint32_t *ask, size_t n);
void txrecon_diff_clear(struct txrecon_diff_msg *m);

#endif
