/* Fuzz harness: the orphan pool under any sequence of operations. The
 * first bytes set small limits and build 16 transactions spending each
 * other's outputs or unknown ones; each following pair of bytes is an
 * operation (add, announcer, erase by wtxid, by peer, by block, work set,
 * take work, children) on one transaction and one of 4 peers. After each
 * the pool must recount to its counters (orphanage_check) and be within
 * its limits. */
#include <stdlib.h>
#include <string.h>

#include "chain/primitives/serialize.h"
#include "net/sync/orphanage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define NTX 16
#define NPEERS 4

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* Transaction i: 1 to 3 inputs (or 11 to 13, for the latency score),
 * each an output of an earlier one or of a transaction nobody has, and
 * two outputs; a padded script varies its weight. */
static struct tx *build(struct tx *const *txs, size_t i, struct input *in)
{
    uint8_t shape = take(in);
    size_t nin = 1 + shape % 3 + (shape & 0x80 ? 10 : 0);
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_compact(&w, nin);
    for (size_t k = 0; k < nin; k++) {
        uint8_t c = take(in);
        struct hash256 h = {{0}};
        if ((c & 1) && i > 0) {
            h = txs[(c >> 1) % i]->txid;
        } else {
            h.b[0] = c;
            h.b[1] = (uint8_t)k;
            h.b[2] = 0xee;
        }
        wbuf_bytes(&w, h.b, 32);
        wbuf_u32(&w, (c >> 4) & 1);
        wbuf_compact(&w, 0);
        wbuf_u32(&w, 0xffffffff);
    }
    wbuf_compact(&w, 2);
    for (int k = 0; k < 2; k++) {
        size_t pad = k == 0 ? (size_t)(shape & 0x70) * 4 : 0;
        uint8_t *script = calloc(1, pad + 1);
        CHECK(script);
        script[0] = 0x51; /* OP_TRUE */
        wbuf_i64(&w, 1000);
        wbuf_varbytes(&w, script, pad + 1);
        free(script);
    }
    wbuf_u32(&w, (uint32_t)i); /* locktime: distinct transactions */
    struct tx *tx = tx_from_bytes(w.data, w.len, NULL);
    CHECK(tx);
    wbuf_free(&w);
    return tx;
}

/* The pool holds its limits after every operation. */
static void check(const struct orphanage *o, uint32_t max_lat, int64_t reserved)
{
    CHECK(orphanage_check(o) == 0);
    struct orphanage_stats s;
    orphanage_get_stats(o, &s);
    CHECK(s.latency_score <= max_lat);
    CHECK(s.weight <= reserved * (int64_t)(s.peers ? s.peers : 1));
    CHECK(s.orphans <= s.announcements && s.peers <= NPEERS);
}

static void step(struct orphanage *o, struct tx *const *txs, uint8_t op, uint8_t arg)
{
    struct tx *tx = txs[arg % NTX];
    uint64_t peer = (arg >> 4) % NPEERS;
    struct tx *out[NTX * NPEERS];
    switch (op % 8) {
    case 0:
    case 1:
        orphanage_add(o, tx, peer);
        break;
    case 2:
        orphanage_add_announcer(o, &tx->wtxid, peer);
        break;
    case 3:
        orphanage_erase(o, &tx->wtxid);
        CHECK(!orphanage_get(o, &tx->wtxid));
        break;
    case 4:
        orphanage_erase_for_peer(o, peer);
        CHECK(!orphanage_has_work(o, peer));
        break;
    case 5: {
        struct tx *in_block[2] = {tx, txs[(arg + 1) % NTX]};
        struct block b = {.tx_count = 2, .txs = in_block};
        orphanage_erase_for_block(o, &b);
        CHECK(!orphanage_get(o, &tx->wtxid));
        break;
    }
    case 6:
        orphanage_add_children_to_work_set(o, tx);
        break;
    default: {
        struct tx *got = orphanage_take_work(o, peer);
        if (got)
            CHECK(orphanage_get(o, &got->wtxid) == got);
        tx_free(got);
        size_t n = orphanage_children_from_peer(o, tx, peer, out, NTX * NPEERS);
        for (size_t i = 0; i < n; i++)
            CHECK(tx_spends(out[i], &tx->txid) &&
                  orphanage_has_announcer(o, &out[i]->wtxid, peer));
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    /* At least one per peer, as Core's limit (3,000) is beside its peers. */
    uint32_t max_lat = NPEERS + take(&in) % 64;
    int64_t reserved = 200 + 40 * (int64_t)take(&in);
    struct tx *txs[NTX];
    for (size_t i = 0; i < NTX; i++)
        txs[i] = build(txs, i, &in);
    struct orphanage *o = orphanage_new(max_lat, reserved, take(&in));
    while (in.n >= 2) {
        uint8_t op = take(&in);
        step(o, txs, op, take(&in));
        check(o, max_lat, reserved);
    }
    orphanage_free(o);
    for (size_t i = 0; i < NTX; i++)
        tx_free(txs[i]);
    return 0;
}
