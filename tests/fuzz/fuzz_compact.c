/* Fuzz harness: CompactSize and the reads built on it. A value that reads
 * back must re-encode to exactly the bytes it was read from (only
 * canonical encodings are accepted). */
#include "chain/primitives/serialize.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void compact_round_trip(const uint8_t *data, size_t size, uint64_t max)
{
    struct cursor c;
    uint64_t v;
    cursor_init(&c, data, size);
    if (!cursor_compact(&c, &v, max)) {
        CHECK(c.err && cursor_left(&c) == 0);
        return;
    }
    CHECK(v <= max);
    CHECK(c.pos == ser_compact_size(v));
    struct wbuf w;
    wbuf_init(&w);
    wbuf_compact(&w, v);
    CHECK(w.len == c.pos && memcmp(w.data, data, w.len) == 0);
    wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compact_round_trip(data, size, UINT64_MAX);
    compact_round_trip(data, size, SER_MAX_SIZE);
    compact_round_trip(data, size, 252);

    /* A count never promises more items than the data could hold. */
    struct cursor c;
    size_t n;
    cursor_init(&c, data, size);
    if (cursor_count(&c, &n, SER_MAX_SIZE, 9))
        CHECK(n <= cursor_left(&c) / 9);

    /* Length-prefixed bytes stay inside the input. */
    const uint8_t *p;
    cursor_init(&c, data, size);
    while (cursor_varbytes(&c, &p, &n, SER_MAX_SIZE))
        CHECK(p >= data && p + n <= data + size);
    char s[65];
    cursor_init(&c, data, size);
    if (cursor_varstr(&c, s, 64))
        CHECK(strlen(s) <= 64);
    return 0;
}
