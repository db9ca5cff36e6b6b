#include "chain/storage/store.h"

#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    KEY_INDEX = 'h',
    KEY_FILE_INFO = 'f',
    KEY_LAST_FILE = 'l',
    KEY_FLAG = 'F',
    KEY_COIN = 'c',
    KEY_TIP = 'T',
};

#define COIN_KEY_LEN 37 /* prefix, txid, index */
#define STORE_MIN_WRITE_BUFFER (4u << 20) /* LevelDB's default */
#define STORE_FILE_SIZE (32u << 20)
#define COIN_MAX_SCRIPT 4000000 /* no output script can exceed a block */

struct store {
    leveldb_t *db;
    leveldb_options_t *opts;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *ropts;
    leveldb_readoptions_t *scan_opts; /* walks do not evict hot entries */
    leveldb_writeoptions_t *wsync;
    leveldb_writeoptions_t *wnosync;
};

struct store_batch {
    leveldb_writebatch_t *wb;
    size_t count;
    struct wbuf tmp;
};

/* LevelDB's error strings are malloc'd by it and freed with leveldb_free. */
static void take_err(char **err, const char *what, char *lerr)
{
    err_set(err, "%s: %s", what, lerr);
    leveldb_free(lerr);
}

struct store *store_open(const char *dir, size_t cache_bytes, char **err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    s->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(s->opts, 1);
    leveldb_options_set_max_open_files(s->opts, 64);
    /* Half the budget to the read cache, half to the write buffer, like
     * Bitcoin Core's split for its LevelDB databases. */
    size_t half = cache_bytes / 2 < (1u << 20) ? (1u << 20) : cache_bytes / 2;
    s->cache = leveldb_cache_create_lru(half);
    leveldb_options_set_cache(s->opts, s->cache);
    /* A write buffer below LevelDB's default only adds compactions. */
    leveldb_options_set_write_buffer_size(s->opts, half < STORE_MIN_WRITE_BUFFER
                                                       ? STORE_MIN_WRITE_BUFFER : half);
    leveldb_options_set_max_file_size(s->opts, STORE_FILE_SIZE);
    /* Most coin lookups of new outputs miss: a bloom filter saves the read. */
    s->filter = leveldb_filterpolicy_create_bloom(10);
    /* Hashes, keys and scripts hardly compress: Bitcoin Core turns
     * compression off too, which saves the compaction thread's time. */
    leveldb_options_set_compression(s->opts, leveldb_no_compression);
    leveldb_options_set_filter_policy(s->opts, s->filter);
    char *lerr = NULL;
    s->db = leveldb_open(s->opts, dir, &lerr);
    if (lerr) {
        take_err(err, dir, lerr);
        s->db = NULL;
        store_close(s);
        return NULL;
    }
    s->ropts = leveldb_readoptions_create();
    s->scan_opts = leveldb_readoptions_create();
    leveldb_readoptions_set_fill_cache(s->scan_opts, 0);
    s->wsync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(s->wsync, 1);
    s->wnosync = leveldb_writeoptions_create();
    return s;
}

int store_destroy(const char *dir, char **err)
{
    leveldb_options_t *opts = leveldb_options_create();
    char *lerr = NULL;
    leveldb_destroy_db(opts, dir, &lerr);
    leveldb_options_destroy(opts);
    if (lerr) {
        take_err(err, dir, lerr);
        return -1;
    }
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->db)
        leveldb_close(s->db);
    if (s->ropts)
        leveldb_readoptions_destroy(s->ropts);
    if (s->scan_opts)
        leveldb_readoptions_destroy(s->scan_opts);
    if (s->wsync)
        leveldb_writeoptions_destroy(s->wsync);
    if (s->wnosync)
        leveldb_writeoptions_destroy(s->wnosync);
    leveldb_options_destroy(s->opts);
    leveldb_cache_destroy(s->cache);
    leveldb_filterpolicy_destroy(s->filter);
    free(s);
}

struct store_batch *store_batch_new(void)
{
    struct store_batch *b = xcalloc(1, sizeof(*b));
    b->wb = leveldb_writebatch_create();
    wbuf_init(&b->tmp);
    return b;
}

void store_batch_free(struct store_batch *b)
{
    if (!b)
        return;
    leveldb_writebatch_destroy(b->wb);
    wbuf_free(&b->tmp);
    free(b);
}

void store_batch_clear(struct store_batch *b)
{
    leveldb_writebatch_clear(b->wb);
    b->count = 0;
}

size_t store_batch_count(const struct store_batch *b)
{
    return b->count;
}

static void hash_key(uint8_t key[33], uint8_t prefix, const struct hash256 *h)
{
    key[0] = prefix;
    memcpy(key + 1, h->b, 32);
}

/* Big-endian file numbers keep the infos in file order. */
static void file_key(uint8_t key[5], int file)
{
    key[0] = KEY_FILE_INFO;
    key[1] = (uint8_t)((uint32_t)file >> 24);
    key[2] = (uint8_t)((uint32_t)file >> 16);
    key[3] = (uint8_t)((uint32_t)file >> 8);
    key[4] = (uint8_t)file;
}

static void flag_key(struct wbuf *key, const char *name)
{
    wbuf_init(key);
    wbuf_u8(key, KEY_FLAG);
    wbuf_bytes(key, name, strlen(name));
}

static void coin_key(uint8_t key[COIN_KEY_LEN], const struct outpoint *op)
{
    key[0] = KEY_COIN;
    memcpy(key + 1, op->hash.b, 32);
    /* Big-endian so a transaction's outputs sort together and in order. */
    key[33] = (uint8_t)(op->n >> 24);
    key[34] = (uint8_t)(op->n >> 16);
    key[35] = (uint8_t)(op->n >> 8);
    key[36] = (uint8_t)op->n;
}

static void batch_put(struct store_batch *b, const uint8_t *key, size_t klen, const void *data,
                      size_t len)
{
    leveldb_writebatch_put(b->wb, (const char *)key, klen, data, len);
    b->count++;
}

void store_batch_put_index(struct store_batch *b, const struct hash256 *hash, const void *rec,
                           size_t len)
{
    uint8_t key[33];
    hash_key(key, KEY_INDEX, hash);
    batch_put(b, key, sizeof(key), rec, len);
}

void store_batch_put_file_info(struct store_batch *b, int file, const void *rec, size_t len)
{
    uint8_t key[5];
    file_key(key, file);
    batch_put(b, key, sizeof(key), rec, len);
}

void store_batch_set_last_file(struct store_batch *b, int file)
{
    uint8_t key = KEY_LAST_FILE, val[4];
    ser_put_le32(val, (uint32_t)file);
    batch_put(b, &key, 1, val, sizeof(val));
}

void store_batch_set_flag(struct store_batch *b, const char *name, bool on)
{
    struct wbuf key;
    uint8_t val = on ? '1' : '0';
    flag_key(&key, name);
    batch_put(b, key.data, key.len, &val, 1);
    wbuf_free(&key);
}

void store_coin_encode(struct wbuf *w, int64_t value, const uint8_t *script, size_t script_len,
                       int32_t height, bool coinbase)
{
    wbuf_compact(w, (uint64_t)(uint32_t)height << 1 | (coinbase ? 1 : 0));
    wbuf_i64(w, value);
    wbuf_varbytes(w, script, script_len);
}

bool store_coin_decode(struct cursor *c, struct coin *out)
{
    uint64_t code;
    int64_t value;
    const uint8_t *script;
    size_t len;
    if (!cursor_compact(c, &code, 0xffffffffull) || !cursor_i64(c, &value) ||
        !cursor_varbytes(c, &script, &len, COIN_MAX_SCRIPT))
        return false;
    out->height = (int32_t)(code >> 1);
    out->coinbase = code & 1;
    out->value = value;
    out->script_len = len;
    out->script = xmalloc(len ? len : 1);
    memcpy(out->script, script, len);
    return true;
}

void store_batch_put_coin(struct store_batch *b, const struct outpoint *op, int64_t value,
                          const uint8_t *script, size_t script_len, int32_t height, bool coinbase)
{
    uint8_t key[COIN_KEY_LEN];
    coin_key(key, op);
    wbuf_reset(&b->tmp);
    store_coin_encode(&b->tmp, value, script, script_len, height, coinbase);
    leveldb_writebatch_put(b->wb, (const char *)key, sizeof(key), (const char *)b->tmp.data,
                           b->tmp.len);
    b->count++;
}

void store_batch_del_coin(struct store_batch *b, const struct outpoint *op)
{
    uint8_t key[COIN_KEY_LEN];
    coin_key(key, op);
    leveldb_writebatch_delete(b->wb, (const char *)key, sizeof(key));
    b->count++;
}

void store_batch_set_tip(struct store_batch *b, const struct hash256 *hash)
{
    uint8_t key = KEY_TIP;
    leveldb_writebatch_put(b->wb, (const char *)&key, 1, (const char *)hash->b, 32);
    b->count++;
}

int store_write(struct store *s, struct store_batch *b, bool sync, char **err)
{
    char *lerr = NULL;
    leveldb_write(s->db, sync ? s->wsync : s->wnosync, b->wb, &lerr);
    if (lerr) {
        take_err(err, "write", lerr);
        return -1;
    }
    return 0;
}

/* One get; *val is LevelDB-malloc'd (free with leveldb_free). */
static int store_get(struct store *s, const uint8_t *key, size_t klen, char **val, size_t *vlen,
                     char **err)
{
    char *lerr = NULL;
    *val = leveldb_get(s->db, s->ropts, (const char *)key, klen, vlen, &lerr);
    if (lerr) {
        take_err(err, "read", lerr);
        return -1;
    }
    return *val ? 1 : 0;
}

int store_get_file_info(struct store *s, int file, uint8_t **data, size_t *len, char **err)
{
    uint8_t key[5];
    char *val;
    file_key(key, file);
    int r = store_get(s, key, sizeof(key), &val, len, err);
    if (r != 1)
        return r;
    *data = xmalloc(*len ? *len : 1);
    memcpy(*data, val, *len);
    leveldb_free(val);
    return 1;
}

int store_get_last_file(struct store *s, int *file, char **err)
{
    uint8_t key = KEY_LAST_FILE;
    char *val;
    size_t len;
    int r = store_get(s, &key, 1, &val, &len, err);
    if (r != 1)
        return r;
    uint32_t v = len == 4 ? ser_le32((const uint8_t *)val) : UINT32_MAX;
    leveldb_free(val);
    if (v > INT32_MAX)
        return err_set(err, "corrupt last block file record");
    *file = (int)v;
    return 1;
}

int store_get_flag(struct store *s, const char *name, bool *on, char **err)
{
    struct wbuf key;
    char *val;
    size_t len;
    flag_key(&key, name);
    int r = store_get(s, key.data, key.len, &val, &len, err);
    wbuf_free(&key);
    if (r != 1)
        return r;
    *on = len == 1 && val[0] == '1';
    leveldb_free(val);
    return 1;
}

static int decode_coin_value(const char *val, size_t len, struct coin *out, char **err)
{
    struct cursor c;
    cursor_init(&c, val, len);
    if (!store_coin_decode(&c, out) || cursor_left(&c) != 0) {
        err_set(err, "corrupt coin record");
        return -1;
    }
    return 1;
}

int store_get_coin(struct store *s, const struct outpoint *op, struct coin *out, char **err)
{
    uint8_t key[COIN_KEY_LEN];
    char *val;
    size_t len;
    coin_key(key, op);
    int r = store_get(s, key, sizeof(key), &val, &len, err);
    if (r != 1)
        return r;
    r = decode_coin_value(val, len, out, err);
    leveldb_free(val);
    return r;
}

int store_get_tip(struct store *s, struct hash256 *hash, char **err)
{
    uint8_t key = KEY_TIP;
    char *val;
    size_t len;
    int r = store_get(s, &key, 1, &val, &len, err);
    if (r != 1)
        return r;
    if (len != 32) {
        leveldb_free(val);
        err_set(err, "corrupt tip record");
        return -1;
    }
    memcpy(hash->b, val, 32);
    leveldb_free(val);
    return 1;
}

/* Walks the keys of one prefix and hands each entry to visit. */
typedef int (*scan_fn)(void *ctx, const uint8_t *key, size_t klen, const char *val, size_t vlen,
                       char **err);

static int store_scan(leveldb_t *db, const leveldb_readoptions_t *opts, uint8_t prefix,
                      scan_fn visit, void *ctx, char **err)
{
    leveldb_iterator_t *it = leveldb_create_iterator(db, opts);
    int r = 0;
    for (leveldb_iter_seek(it, (const char *)&prefix, 1); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *key = (const uint8_t *)leveldb_iter_key(it, &klen);
        if (klen == 0 || key[0] != prefix)
            break;
        const char *val = leveldb_iter_value(it, &vlen);
        r = visit(ctx, key, klen, val, vlen, err);
        if (r)
            break;
    }
    char *lerr = NULL;
    leveldb_iter_get_error(it, &lerr);
    leveldb_iter_destroy(it);
    if (lerr) {
        take_err(err, "scan", lerr);
        return -1;
    }
    return r;
}

struct index_walk {
    store_index_fn fn;
    void *ctx;
};

static int visit_index(void *ctx, const uint8_t *key, size_t klen, const char *val, size_t vlen,
                       char **err)
{
    struct index_walk *w = ctx;
    struct hash256 h;
    if (klen != 33) {
        err_set(err, "corrupt block index key");
        return -1;
    }
    memcpy(h.b, key + 1, 32);
    return w->fn(w->ctx, &h, (const uint8_t *)val, vlen);
}

int store_foreach_index(struct store *s, store_index_fn fn, void *ctx, char **err)
{
    struct index_walk w = {fn, ctx};
    return store_scan(s->db, s->scan_opts, KEY_INDEX, visit_index, &w, err);
}

struct coin_walk {
    store_coin_fn fn;
    void *ctx;
};

static int visit_coin(void *ctx, const uint8_t *key, size_t klen, const char *val, size_t vlen,
                      char **err)
{
    struct coin_walk *w = ctx;
    struct outpoint op;
    struct coin coin = {0};
    if (klen != COIN_KEY_LEN) {
        err_set(err, "corrupt coin key");
        return -1;
    }
    memcpy(op.hash.b, key + 1, 32);
    op.n = (uint32_t)key[33] << 24 | (uint32_t)key[34] << 16 | (uint32_t)key[35] << 8 | key[36];
    if (decode_coin_value(val, vlen, &coin, err) < 0)
        return -1;
    int r = w->fn(w->ctx, &op, &coin);
    coin_clear(&coin);
    return r;
}

int store_foreach_coin(struct store *s, store_coin_fn fn, void *ctx, char **err)
{
    struct coin_walk w = {fn, ctx};
    return store_scan(s->db, s->scan_opts, KEY_COIN, visit_coin, &w, err);
}

struct store_snapshot {
    leveldb_t *db;
    const leveldb_snapshot_t *snap;
    leveldb_readoptions_t *opts;
};

struct store_snapshot *store_snapshot_new(struct store *s)
{
    struct store_snapshot *snap = xcalloc(1, sizeof(*snap));
    snap->db = s->db;
    snap->snap = leveldb_create_snapshot(s->db);
    snap->opts = leveldb_readoptions_create();
    leveldb_readoptions_set_fill_cache(snap->opts, 0);
    leveldb_readoptions_set_snapshot(snap->opts, snap->snap);
    return snap;
}

void store_snapshot_free(struct store_snapshot *snap)
{
    if (!snap)
        return;
    leveldb_readoptions_destroy(snap->opts);
    leveldb_release_snapshot(snap->db, snap->snap);
    free(snap);
}

int store_snapshot_foreach_coin(struct store_snapshot *snap, store_coin_fn fn, void *ctx,
                                char **err)
{
    struct coin_walk w = {fn, ctx};
    return store_scan(snap->db, snap->opts, KEY_COIN, visit_coin, &w, err);
}

uint64_t store_coins_disk_size(struct store *s)
{
    /* Core's CCoinsViewDB::EstimateSize: LevelDB's estimate for the key
     * range of the coins. */
    const char start = KEY_COIN, limit = KEY_COIN + 1;
    const char *starts[1] = { &start }, *limits[1] = { &limit };
    size_t start_len[1] = { 1 }, limit_len[1] = { 1 };
    uint64_t size = 0;
    leveldb_approximate_sizes(s->db, 1, starts, start_len, limits, limit_len, &size);
    return size;
}
