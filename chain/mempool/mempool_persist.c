/* mempool.dat: "HSMP", version, count, then per transaction its entry
 * time and serialization (with witness), parents before children, and a
 * sha256d of everything before it, so a torn or altered file is refused
 * as a whole. */
#include "chain/mempool/mempool_int.h"

#include "chain/util/err.h"
#include "chain/util/fileio.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define DUMP_MAGIC "HSMP"
#define DUMP_VERSION 1
#define DUMP_MAX_FILE ((size_t)4 << 30)

/* Parents before children: an entry has more ancestors than any of its
 * ancestors. Ties keep arrival order. */
static int by_depth(const void *a, const void *b)
{
    const struct mempool_entry *x = *(const struct mempool_entry *const *)a;
    const struct mempool_entry *y = *(const struct mempool_entry *const *)b;
    if (x->fam.anc_count != y->fam.anc_count)
        return x->fam.anc_count < y->fam.anc_count ? -1 : 1;
    return x->time < y->time ? -1 : x->time > y->time;
}

static void serialize_all(const struct mempool *mp, struct wbuf *w)
{
    struct mempool_entry **all = xmalloc((mp->count + 1) * sizeof(*all));
    size_t n = 0;
    for (struct mempool_entry *e = mp->oldest; e; e = e->newer)
        all[n++] = e;
    qsort(all, n, sizeof(*all), by_depth);
    wbuf_bytes(w, DUMP_MAGIC, 4);
    wbuf_u32(w, DUMP_VERSION);
    wbuf_u64(w, n);
    for (size_t i = 0; i < n; i++) {
        wbuf_i64(w, all[i]->time);
        wbuf_varbytes(w, all[i]->tx->raw, all[i]->tx->size);
    }
    struct hash256 sum;
    hash_sha256d(w->data, w->len, &sum);
    wbuf_bytes(w, sum.b, 32);
    free(all);
}

int mempool_dump(const struct mempool *mp, const char *path, char **err)
{
    struct wbuf w;
    wbuf_init(&w);
    serialize_all(mp, &w);
    int rc = fileio_write_atomic(path, w.data, w.len, err);
    if (rc == 0)
        LOG_INFO("mempool: dumped %zu transactions to %s", mp->count, path);
    wbuf_free(&w);
    return rc;
}

/* Accepts one dumped transaction with its original entry time. */
static void load_one(struct mempool *mp, const uint8_t *raw, size_t len, int64_t time,
                     const struct mempool_tip *tip, int64_t now, struct mempool_load_stats *st)
{
    const char *why = NULL;
    struct tx *tx = tx_from_bytes(raw, len, &why);
    if (!tx) {
        st->failed++;
        return;
    }
    struct mempool_reject rej;
    if (time < now - mp->opt.expiry) {
        st->expired++;
    } else if (mp_accept(mp, tx, tip, time, now, 0, &rej, NULL, NULL) == MEMPOOL_ACCEPTED) {
        mp_trim(mp, now);
        st->accepted++;
    } else {
        st->failed++;
    }
    tx_free(tx);
}

int mempool_load(struct mempool *mp, const char *path, const struct mempool_tip *tip,
                 int64_t now, struct mempool_load_stats *st, char **err)
{
    memset(st, 0, sizeof(*st));
    size_t len = 0;
    uint8_t *buf = fileio_read_all(path, DUMP_MAX_FILE, &len, err);
    if (!buf)
        return -1;
    struct hash256 sum;
    if (len < 4 + 4 + 8 + 32 || memcmp(buf, DUMP_MAGIC, 4) != 0) {
        free(buf);
        return err_set(err, "%s: not a mempool file", path);
    }
    hash_sha256d(buf, len - 32, &sum);
    if (memcmp(sum.b, buf + len - 32, 32) != 0) {
        free(buf);
        return err_set(err, "%s: checksum mismatch", path);
    }
    struct cursor c;
    cursor_init(&c, buf + 4, len - 4 - 32);
    uint32_t version = 0;
    uint64_t n = 0;
    if (!cursor_u32(&c, &version) || version != DUMP_VERSION || !cursor_u64(&c, &n)) {
        free(buf);
        return err_set(err, "%s: unsupported version %u", path, version);
    }
    for (uint64_t i = 0; i < n; i++) {
        int64_t time;
        const uint8_t *raw;
        size_t rlen;
        if (!cursor_i64(&c, &time) || !cursor_varbytes(&c, &raw, &rlen, SER_MAX_SIZE))
            break;
        load_one(mp, raw, rlen, time, tip, now, st);
    }
    bool torn = c.err || cursor_left(&c) != 0;
    free(buf);
    mp_sort_arrivals(mp);
    if (torn)
        return err_set(err, "%s: malformed after %zu transactions", path,
                       st->accepted + st->failed + st->expired);
    LOG_INFO("mempool: loaded %zu transactions from %s (%zu failed, %zu expired)", st->accepted,
             path, st->failed, st->expired);
    return 0;
}
