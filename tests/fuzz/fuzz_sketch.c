/* Fuzz harness: the PinSketch decoder over arbitrary sketch bytes. The
 * first byte picks the decode limit; whatever decodes must be distinct
 * nonzero ids that reproduce the sketch exactly. */
#include <stdlib.h>
#include <string.h>

#include "net/relay/sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + SKETCH_ELEM_BYTES)
        return 0;
    size_t cap = (size - 1) / SKETCH_ELEM_BYTES;
    if (cap > 256)
        cap = 256;
    size_t max = data[0] % (cap + 1);
    struct sketch *s = sketch_new(cap);
    CHECK(s);
    sketch_deserialize(s, data + 1);
    uint32_t *out = malloc((cap + 1) * sizeof(uint32_t));
    CHECK(out);
    int n = sketch_decode(s, max, out);
    CHECK(n >= -1 && n <= (int)max);
    if (n >= 0) {
        struct sketch *back = sketch_new(cap);
        CHECK(back);
        for (int i = 0; i < n; i++) {
            CHECK(out[i] != 0);
            for (int j = 0; j < i; j++)
                CHECK(out[i] != out[j]);
            sketch_add(back, out[i]);
        }
        uint8_t *a = malloc(cap * SKETCH_ELEM_BYTES), *b = malloc(cap * SKETCH_ELEM_BYTES);
        CHECK(a && b);
        sketch_serialize(s, a);
        sketch_serialize(back, b);
        CHECK(memcmp(a, b, cap * SKETCH_ELEM_BYTES) == 0);
        free(a);
        free(b);
        sketch_free(back);
    }
    free(out);
    sketch_free(s);
    return 0;
}
