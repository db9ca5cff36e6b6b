/* The unbroadcast set and its journal. Journal layout: "HSUB", u32
 * version, then records: CompactSize length, the transaction (with
 * witness), the first 4 bytes of its sha256d. A record is written with a
 * single write() so a kill -9 leaves whole records, at worst a torn last
 * one (a power cut may lose the unsynced tail: no fsync per transaction). */
#include "chain/mempool/unbroadcast.h"

#include "chain/mempool/mempool_map.h"
#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/fileio.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOURNAL_MAGIC "HSUB"
#define JOURNAL_VERSION 1
#define JOURNAL_HEADER 8
#define JOURNAL_MAX_FILE ((size_t)256 << 20)
/* Rewritten when its records outnumber the set twice over (and a few). */
#define JOURNAL_STALE_MIN 64

struct ub_item {
    struct hash256 txid, wtxid;
};

struct unbroadcast {
    struct mempool *mp;
    struct mpmap by_txid; /* hash_cheap(txid) -> struct ub_item */
    char *path;           /* the journal, NULL: none */
    int fd;
    size_t records;       /* in the journal, stale ones included */
};

static struct ub_item *find(const struct unbroadcast *u, const struct hash256 *txid)
{
    uint64_t key = hash_cheap(txid);
    size_t it = mpmap_start(&u->by_txid, key);
    const struct mpmap_slot *s;
    while ((s = mpmap_next(&u->by_txid, key, &it)) != NULL) {
        struct ub_item *item = s->val;
        if (hash_eq(&item->txid, txid))
            return item;
    }
    return NULL;
}

static void on_removed(void *ctx, const struct tx *tx, enum mempool_removal why,
                       uint64_t sequence)
{
    (void)why;
    (void)sequence;
    unbroadcast_remove(ctx, &tx->txid);
}

struct unbroadcast *unbroadcast_new(struct mempool *mp)
{
    struct unbroadcast *u = xcalloc(1, sizeof(*u));
    u->mp = mp;
    u->fd = -1;
    mpmap_init(&u->by_txid);
    struct mempool_listener l = {.removed = on_removed, .ctx = u};
    if (mempool_add_listener(mp, &l) != 0)
        LOG_WARN("unbroadcast: no listener slot left; entries leave only by getdata");
    return u;
}

static void journal_close(struct unbroadcast *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    free(u->path);
    u->path = NULL;
}

void unbroadcast_free(struct unbroadcast *u)
{
    if (!u)
        return;
    mempool_remove_listener(u->mp, u);
    for (size_t i = 0; i <= u->by_txid.mask && u->by_txid.slots; i++)
        free(u->by_txid.slots[i].val);
    mpmap_free(&u->by_txid);
    journal_close(u);
    free(u);
}

static void journal_fail(struct unbroadcast *u, const char *what)
{
    LOG_WARN("unbroadcast: %s %s: %s; going on without the journal", what, u->path,
             strerror(errno));
    journal_close(u);
}

static void record(struct wbuf *w, const struct tx *tx)
{
    struct hash256 sum;
    hash_sha256d(tx->raw, tx->size, &sum);
    wbuf_varbytes(w, tx->raw, tx->size);
    wbuf_bytes(w, sum.b, 4);
}

static void journal_append(struct unbroadcast *u, const struct tx *tx)
{
    struct wbuf w;
    wbuf_init(&w);
    record(&w, tx);
    ssize_t n = write(u->fd, w.data, w.len);
    if (n != (ssize_t)w.len)
        journal_fail(u, "cannot append to");
    else
        u->records++;
    wbuf_free(&w);
}

/* The header and one record per member still in the mempool, replacing
 * the file atomically; the descriptor follows the new file. */
static void journal_rewrite(struct unbroadcast *u)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, JOURNAL_MAGIC, 4);
    wbuf_u32(&w, JOURNAL_VERSION);
    size_t n = 0;
    struct hash256 *ids = unbroadcast_txids(u, &n);
    for (size_t i = 0; i < n; i++) {
        const struct mempool_entry *e = mempool_get(u->mp, &ids[i]);
        if (e)
            record(&w, mempool_entry_tx(e));
    }
    free(ids);
    char *err = NULL;
    int rc = fileio_write_atomic(u->path, w.data, w.len, &err);
    wbuf_free(&w);
    if (rc != 0) {
        LOG_WARN("unbroadcast: %s; going on without the journal", err);
        free(err);
        journal_close(u);
        return;
    }
    if (u->fd >= 0)
        close(u->fd);
    u->fd = open(u->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (u->fd < 0)
        journal_fail(u, "cannot reopen");
    u->records = n;
}

bool unbroadcast_add(struct unbroadcast *u, const struct tx *tx)
{
    if (find(u, &tx->txid))
        return false;
    struct ub_item *item = xmalloc(sizeof(*item));
    item->txid = tx->txid;
    item->wtxid = tx->wtxid;
    mpmap_put(&u->by_txid, hash_cheap(&tx->txid), item, 0);
    if (u->fd < 0)
        return true;
    if (u->records >= JOURNAL_STALE_MIN && u->records > 2 * u->by_txid.count)
        journal_rewrite(u); /* includes tx */
    else
        journal_append(u, tx);
    return true;
}

bool unbroadcast_remove(struct unbroadcast *u, const struct hash256 *txid)
{
    struct ub_item *item = find(u, txid);
    if (!item)
        return false;
    mpmap_del(&u->by_txid, hash_cheap(txid), item, 0);
    free(item);
    /* Empty: every record is stale; cutting the file needs no fsync. */
    if (u->by_txid.count == 0 && u->fd >= 0 && u->records > 0) {
        if (ftruncate(u->fd, JOURNAL_HEADER) != 0)
            journal_fail(u, "cannot truncate");
        else
            u->records = 0;
    }
    return true;
}

bool unbroadcast_has(const struct unbroadcast *u, const struct hash256 *txid)
{
    return u && find(u, txid) != NULL;
}

size_t unbroadcast_count(const struct unbroadcast *u)
{
    return u ? u->by_txid.count : 0;
}

struct hash256 *unbroadcast_txids(const struct unbroadcast *u, size_t *n)
{
    *n = 0;
    if (u->by_txid.count == 0)
        return NULL;
    struct hash256 *out = xmalloc(u->by_txid.count * sizeof(*out));
    for (size_t i = 0; i <= u->by_txid.mask; i++)
        if (u->by_txid.slots[i].val)
            out[(*n)++] = ((struct ub_item *)u->by_txid.slots[i].val)->txid;
    return out;
}

/* One journaled transaction back into the mempool and the set. */
static void restore_one(struct unbroadcast *u, const uint8_t *raw, size_t len,
                        const struct mempool_tip *tip, int64_t now)
{
    struct tx *tx = tx_from_bytes(raw, len, NULL);
    if (!tx)
        return;
    struct mempool_reject rej;
    if (!mempool_get_wtxid(u->mp, &tx->wtxid) &&
        mempool_accept(u->mp, tx, tip, now, &rej) != MEMPOOL_ACCEPTED)
        LOG_DEBUG(LOG_MEMPOOL, "unbroadcast: journaled transaction not restored: %s",
                  rej.reason ? rej.reason : "rejected");
    if (mempool_get_wtxid(u->mp, &tx->wtxid))
        unbroadcast_add(u, tx);
    tx_free(tx);
}

/* Replays whole records up to the first torn or corrupt one. */
static void replay(struct unbroadcast *u, const uint8_t *buf, size_t len,
                   const struct mempool_tip *tip, int64_t now)
{
    if (len < JOURNAL_HEADER || memcmp(buf, JOURNAL_MAGIC, 4) != 0) {
        LOG_WARN("unbroadcast: %s is not a journal; starting a new one", u->path);
        return;
    }
    struct cursor c;
    cursor_init(&c, buf + JOURNAL_HEADER, len - JOURNAL_HEADER);
    size_t whole = 0;
    while (cursor_left(&c) > 0) {
        const uint8_t *raw;
        size_t rlen;
        uint8_t check[4];
        struct hash256 sum;
        if (!cursor_varbytes(&c, &raw, &rlen, SER_MAX_SIZE) || !cursor_bytes(&c, check, 4))
            break;
        hash_sha256d(raw, rlen, &sum);
        if (memcmp(sum.b, check, 4) != 0)
            break;
        restore_one(u, raw, rlen, tip, now);
        whole++;
    }
    if (cursor_left(&c) > 0 || c.err)
        LOG_WARN("unbroadcast: %s: ignoring a torn record after %zu", u->path, whole);
}

int unbroadcast_journal_open(struct unbroadcast *u, const char *path,
                             const struct mempool_tip *tip, int64_t now, size_t *restored,
                             char **err)
{
    journal_close(u);
    u->path = xstrdup(path);
    size_t len = 0;
    char *rerr = NULL;
    uint8_t *buf = access(path, F_OK) == 0 ? fileio_read_all(path, JOURNAL_MAX_FILE, &len, &rerr)
                                           : NULL;
    if (rerr) {
        err_set(err, "%s", rerr);
        free(rerr);
        journal_close(u);
        return -1;
    }
    size_t before = unbroadcast_count(u);
    if (buf)
        replay(u, buf, len, tip, now);
    free(buf);
    if (restored)
        *restored = unbroadcast_count(u) - before;
    journal_rewrite(u);
    if (u->fd < 0)
        return err_set(err, "cannot write the journal %s", path);
    return 0;
}
