/* Fuzz harness: the BIP152 payloads (net/wire/cmpct.h). Each input is
 * tried as cmpctblock, getblocktxn and blocktxn; what decodes must
 * re-encode to exactly the bytes it was read from (every field is
 * canonical). A decoded cmpctblock also goes through reconstruction,
 * offered its own prefilled transactions, then filled with whatever
 * positions are missing. */
#include "net/wire/cmpct.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void check_bytes(const struct wbuf *w, const uint8_t *data, const struct cursor *c)
{
    CHECK(w->len == c->pos && memcmp(w->data, data, w->len) == 0);
}

static void fuzz_rebuild(const struct cmpct_block *cb)
{
    struct cmpct_partial *pb;
    enum cmpct_status st = cmpct_partial_new(cb, 0x5eed, &pb);
    CHECK((st == CMPCT_OK) == (pb != NULL));
    if (!pb)
        return;
    for (size_t i = 0; i < cb->nprefilled; i++)
        cmpct_partial_offer(pb, cb->prefilled[i].tx, i & 1);
    size_t n = cmpct_partial_missing_count(pb);
    CHECK(n <= cmpct_block_tx_count(cb));
    /* The missing positions filled with prefilled transactions (when
     * there are any): a wrong fill must fail cleanly. */
    struct tx **fill = n && cb->nprefilled ? malloc(n * sizeof(*fill)) : NULL;
    for (size_t i = 0; fill && i < n; i++)
        fill[i] = cb->prefilled[i % cb->nprefilled].tx;
    struct block *b = NULL;
    if (fill || !n) {
        st = cmpct_partial_fill(pb, fill, n, &b);
        CHECK((st == CMPCT_OK) == (b != NULL));
        CHECK(!b || b->tx_count == cmpct_block_tx_count(cb));
    }
    block_free(b);
    free(fill);
    cmpct_partial_free(pb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor c;
    struct wbuf w;
    wbuf_init(&w);

    struct cmpct_block cb;
    cursor_init(&c, data, size);
    if (cmpct_block_decode(&c, &cb)) {
        cmpct_block_encode(&w, &cb);
        check_bytes(&w, data, &c);
        fuzz_rebuild(&cb);
        cmpct_block_clear(&cb);
    }

    struct cmpct_getblocktxn g;
    cursor_init(&c, data, size);
    if (cmpct_getblocktxn_decode(&c, &g)) {
        wbuf_reset(&w);
        cmpct_getblocktxn_encode(&w, &g);
        check_bytes(&w, data, &c);
        for (size_t i = 1; i < g.n; i++)
            CHECK(g.indexes[i] > g.indexes[i - 1]);
        cmpct_getblocktxn_clear(&g);
    }

    struct cmpct_blocktxn t;
    cursor_init(&c, data, size);
    if (cmpct_blocktxn_decode(&c, &t)) {
        wbuf_reset(&w);
        cmpct_blocktxn_encode(&w, &t);
        check_bytes(&w, data, &c);
        cmpct_blocktxn_clear(&t);
    }
    wbuf_free(&w);
    return 0;
}
