#include "net/conn/addrman.h"

#include "chain/primitives/hash.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "net/conn/netbase.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_ENTRIES ((ADDRMAN_NEW_BUCKETS + ADDRMAN_TRIED_BUCKETS) * ADDRMAN_BUCKET_SIZE)
#define MAP_CAP 65536 /* power of two, > 2 * MAX_ENTRIES */
#define DAY 86400

struct am_entry {
    struct proto_netaddr a;
    uint8_t src[16];
    int64_t last_try, last_success; /* unix seconds, 0 = never */
    int32_t attempts;
    bool used, tried;
    uint16_t bucket;
    uint8_t slot;
};

struct addrman {
    uint8_t key[32];
    bool allow_private;
    uint64_t rng;
    struct am_entry *v; /* MAX_ENTRIES slots; indices stay stable */
    size_t n, ntried, hiwater;
    int32_t *free_list;
    size_t nfree;
    int32_t new_tab[ADDRMAN_NEW_BUCKETS][ADDRMAN_BUCKET_SIZE];
    int32_t tried_tab[ADDRMAN_TRIED_BUCKETS][ADDRMAN_BUCKET_SIZE];
    int32_t *map; /* endpoint -> entry index, linear probing; -1 empty */
    leveldb_t *db;
    leveldb_writebatch_t *batch;
    size_t pending;
};

static uint64_t am_rand(struct addrman *am)
{
    uint64_t z = (am->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Keyed hash of a tag and data: the secret key makes bucket positions
 * unpredictable to an attacker choosing addresses. */
static uint64_t keyed(const struct addrman *am, char tag, const void *data, size_t len)
{
    uint8_t buf[32 + 1 + 64];
    uint8_t out[32];
    uint64_t v;
    memcpy(buf, am->key, 32);
    buf[32] = (uint8_t)tag;
    memcpy(buf + 33, data, len);
    hash_sha256(buf, 33 + len, out);
    memcpy(&v, out, 8);
    return v;
}

bool addrman_same_endpoint(const struct proto_netaddr *a, const struct proto_netaddr *b)
{
    return a->port == b->port && a->net == b->net &&
           memcmp(a->ip, b->ip, proto_netaddr_len(a)) == 0;
}

static bool is_local_or_private(const uint8_t *ip)
{
    static const uint8_t loop6[16] = {[15] = 1};
    if (memcmp(ip, (uint8_t[12]){[10] = 0xff, [11] = 0xff}, 12) == 0) {
        const uint8_t *b = ip + 12;
        return b[0] == 10 || b[0] == 127 || (b[0] == 169 && b[1] == 254) ||
               (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 198 && (b[1] & 0xfe) == 18) ||
               (b[0] == 192 && b[1] == 0 && b[2] == 2) ||
               (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
               (b[0] == 203 && b[1] == 0 && b[2] == 113) || b[0] >= 224;
    }
    return memcmp(ip, loop6, 16) == 0 || (ip[0] & 0xfe) == 0xfc ||
           (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) || ip[0] == 0xff ||
           (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8);
}

bool addrman_addr_ok(const struct proto_netaddr *a, bool allow_private)
{
    static const uint8_t zero[16];
    /* Networks we cannot reach are relayed, never stored, as Core ("do not
     * store addresses outside our network"). */
    if (!proto_netaddr_is_ip(a))
        return false;
    if (a->port == 0 || memcmp(a->ip, zero, 16) == 0)
        return false;
    if (proto_netaddr_is_ipv4(a)) {
        const uint8_t *b = a->ip + 12;
        if (b[0] == 0 || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255))
            return false;
    }
    return allow_private || !is_local_or_private(a->ip);
}

size_t addrman_group(const struct proto_netaddr *a, uint8_t out[5])
{
    if (is_local_or_private(a->ip)) {
        out[0] = 0;
        return 1;
    }
    if (proto_netaddr_is_ipv4(a)) {
        out[0] = PROTO_NET_IPV4;
        memcpy(out + 1, a->ip + 12, 2);
        return 3;
    }
    out[0] = PROTO_NET_IPV6;
    memcpy(out + 1, a->ip, 4);
    return 5;
}

static void group_of_ip(const uint8_t ip[16], uint8_t out[5], size_t *len)
{
    struct proto_netaddr t = {.port = 1};
    memcpy(t.ip, ip, 16);
    *len = addrman_group(&t, out);
}

/* The bucket and slot an entry belongs in. */
static void position(const struct addrman *am, const struct am_entry *e, bool tried,
                     uint16_t *bucket, uint8_t *slot)
{
    uint8_t g[5], sg[5], buf[32];
    size_t gl, sgl;
    gl = addrman_group(&e->a, g);
    uint8_t ep[18];
    memcpy(ep, e->a.ip, 16);
    ep[16] = (uint8_t)(e->a.port >> 8), ep[17] = (uint8_t)e->a.port;
    if (tried) {
        uint8_t h1 = (uint8_t)(keyed(am, 'T', ep, 18) % 8);
        memcpy(buf, g, gl);
        buf[gl] = h1;
        *bucket = (uint16_t)(keyed(am, 't', buf, gl + 1) % ADDRMAN_TRIED_BUCKETS);
    } else {
        group_of_ip(e->src, sg, &sgl);
        memcpy(buf, g, gl);
        memcpy(buf + gl, sg, sgl);
        uint8_t h1 = (uint8_t)(keyed(am, 'N', buf, gl + sgl) % ADDRMAN_NEW_BUCKETS_PER_SOURCE);
        memcpy(buf, sg, sgl);
        buf[sgl] = h1;
        *bucket = (uint16_t)(keyed(am, 'n', buf, sgl + 1) % ADDRMAN_NEW_BUCKETS);
    }
    memcpy(buf, ep, 18);
    buf[18] = tried, buf[19] = (uint8_t)(*bucket >> 8), buf[20] = (uint8_t)*bucket;
    *slot = (uint8_t)(keyed(am, 's', buf, 21) % ADDRMAN_BUCKET_SIZE);
}

static int32_t *cell(struct addrman *am, bool tried, uint16_t bucket, uint8_t slot)
{
    return tried ? &am->tried_tab[bucket][slot] : &am->new_tab[bucket][slot];
}

static size_t map_home(const struct proto_netaddr *a)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ a->ip[i]) * 0x100000001b3ull;
    h = (h ^ a->port) * 0x100000001b3ull;
    return (size_t)(h ^ (h >> 29)) & (MAP_CAP - 1);
}

static size_t map_slot(const struct addrman *am, const struct proto_netaddr *a)
{
    size_t i = map_home(a);
    while (am->map[i] >= 0 && !addrman_same_endpoint(&am->v[am->map[i]].a, a))
        i = (i + 1) & (MAP_CAP - 1);
    return i;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void map_delete(struct addrman *am, size_t i)
{
    size_t j = i;
    am->map[i] = -1;
    for (;;) {
        j = (j + 1) & (MAP_CAP - 1);
        if (am->map[j] < 0)
            return;
        size_t home = map_home(&am->v[am->map[j]].a);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            am->map[i] = am->map[j];
            am->map[j] = -1;
            i = j;
        }
    }
}

static void db_key(const struct proto_netaddr *a, char key[19])
{
    key[0] = 'e';
    memcpy(key + 1, a->ip, 16);
    key[17] = (char)(a->port >> 8), key[18] = (char)a->port;
}

static void db_put(struct addrman *am, const struct am_entry *e)
{
    if (!am->db)
        return;
    struct wbuf w;
    char key[19];
    wbuf_init(&w);
    wbuf_u32(&w, e->a.time);
    wbuf_u64(&w, e->a.services);
    wbuf_bytes(&w, e->src, 16);
    wbuf_i64(&w, e->last_try);
    wbuf_i64(&w, e->last_success);
    wbuf_i32(&w, e->attempts);
    wbuf_u8(&w, e->tried);
    db_key(&e->a, key);
    leveldb_writebatch_put(am->batch, key, sizeof(key), (const char *)w.data, w.len);
    am->pending++;
    wbuf_free(&w);
}

static void db_delete(struct addrman *am, const struct proto_netaddr *a)
{
    char key[19];
    if (!am->db)
        return;
    db_key(a, key);
    leveldb_writebatch_delete(am->batch, key, sizeof(key));
    am->pending++;
}

static void remove_entry(struct addrman *am, int32_t idx)
{
    struct am_entry *e = &am->v[idx];
    *cell(am, e->tried, e->bucket, e->slot) = -1;
    map_delete(am, map_slot(am, &e->a));
    db_delete(am, &e->a);
    if (e->tried)
        am->ntried--;
    e->used = false;
    am->free_list[am->nfree++] = idx;
    am->n--;
}

static bool is_terrible(const struct am_entry *e, int64_t now)
{
    if (e->last_try && now - e->last_try < 60)
        return false; /* just tried: give it a chance */
    if (e->a.time > now + 600 || e->a.time == 0 || now - (int64_t)e->a.time > 30 * DAY)
        return true;
    if (e->last_success == 0 && e->attempts >= 3)
        return true;
    return now - e->last_success > 7 * DAY && e->attempts >= 10;
}

/* Frees the cell an entry belongs in. In the new table a sitting entry
 * gives way only if it is terrible (that is the flood resistance); when
 * force is set (an entry demoted from tried) it is dropped regardless, as
 * Bitcoin Core does. Returns false if the cell stays taken. */
static bool claim(struct addrman *am, bool tried, uint16_t bucket, uint8_t slot, bool force,
                  int64_t now);

static void set_cell(struct addrman *am, int32_t idx, bool tried, uint16_t bucket, uint8_t slot)
{
    struct am_entry *e = &am->v[idx];
    e->tried = tried;
    e->bucket = bucket;
    e->slot = slot;
    *cell(am, tried, bucket, slot) = idx;
    if (tried)
        am->ntried++;
}

/* Moves a tried entry back to the new table to make room. */
static void demote(struct addrman *am, int32_t idx, int64_t now)
{
    struct am_entry *e = &am->v[idx];
    uint16_t b;
    uint8_t s;
    *cell(am, true, e->bucket, e->slot) = -1;
    am->ntried--;
    e->tried = false;
    position(am, e, false, &b, &s);
    claim(am, false, b, s, true, now);
    set_cell(am, idx, false, b, s);
    db_put(am, e);
}

static bool claim(struct addrman *am, bool tried, uint16_t bucket, uint8_t slot, bool force,
                  int64_t now)
{
    int32_t occ = *cell(am, tried, bucket, slot);
    if (occ < 0)
        return true;
    if (tried)
        demote(am, occ, now);
    else if (force || is_terrible(&am->v[occ], now))
        remove_entry(am, occ);
    else
        return false;
    return true;
}

static int32_t find(const struct addrman *am, const struct proto_netaddr *a)
{
    return am->map[map_slot(am, a)];
}

int addrman_find(const struct addrman *am, const struct proto_netaddr *a)
{
    int32_t idx = find(am, a);
    return idx < 0 ? 0 : am->v[idx].tried ? 2 : 1;
}

bool addrman_add(struct addrman *am, const struct proto_netaddr *a,
                 const struct proto_netaddr *src, int64_t now)
{
    if (!addrman_addr_ok(a, am->allow_private))
        return false;
    int32_t idx = find(am, a);
    if (idx >= 0) {
        struct am_entry *e = &am->v[idx];
        bool changed = a->time > e->a.time || (a->services | e->a.services) != e->a.services;
        if (a->time > e->a.time)
            e->a.time = a->time;
        e->a.services |= a->services;
        if (changed)
            db_put(am, e);
        return false;
    }
    struct am_entry e;
    memset(&e, 0, sizeof(e));
    e.a = *a;
    memcpy(e.src, src->ip, 16);
    uint16_t b;
    uint8_t s;
    position(am, &e, false, &b, &s);
    if (!claim(am, false, b, s, false, now)) {
        char str[NETBASE_ADDR_STRLEN];
        netbase_format(a, str);
        LOG_DEBUG(LOG_ADDRMAN, "addrman: %s refused, its new-table slot is taken", str);
        return false;
    }
    idx = am->nfree ? am->free_list[--am->nfree] : (int32_t)am->hiwater++;
    e.used = true;
    am->v[idx] = e;
    am->map[map_slot(am, a)] = idx;
    am->n++;
    set_cell(am, idx, false, b, s);
    db_put(am, &am->v[idx]);
    return true;
}

void addrman_attempt(struct addrman *am, const struct proto_netaddr *a, bool failed,
                     int64_t now)
{
    int32_t idx = find(am, a);
    if (idx < 0)
        return;
    am->v[idx].last_try = now;
    if (failed)
        am->v[idx].attempts++;
    db_put(am, &am->v[idx]);
}

void addrman_good(struct addrman *am, const struct proto_netaddr *a, int64_t now)
{
    int32_t idx = find(am, a);
    if (idx < 0)
        return;
    struct am_entry *e = &am->v[idx];
    e->last_try = e->last_success = now;
    e->attempts = 0;
    if (!e->tried) {
        uint16_t b;
        uint8_t s;
        position(am, e, true, &b, &s);
        *cell(am, false, e->bucket, e->slot) = -1;
        claim(am, true, b, s, true, now);
        set_cell(am, idx, true, b, s);
    }
    db_put(am, e);
}

/* Backoff: after an attempt that did not (yet) succeed, an address is
 * left alone for a minute, doubled with each failure (up to a day). An
 * address whose last attempt succeeded may be dialed again at once. */
static bool backing_off(const struct am_entry *e, int64_t now)
{
    if (!e->last_try || e->last_success >= e->last_try)
        return false;
    int shift = e->attempts < 10 ? e->attempts : 10;
    int64_t wait = 60LL << shift;
    return now - e->last_try < (wait < DAY ? wait : DAY);
}

/* want: 0 new only, 1 tried only, -1 either (half the time tried, when
 * there are tried entries, as Core does). */
static bool select_from(struct addrman *am, int64_t now, int want,
                        bool (*skip)(void *ctx, const struct proto_netaddr *a), void *ctx,
                        struct proto_netaddr *out)
{
    if (am->n == 0 || (want == 0 && am->ntried == am->n))
        return false;
    /* Random probes into the stable index range. */
    for (int i = 0; i < 256; i++) {
        bool want_tried = want >= 0 ? want == 1
                                    : am->ntried > 0 && (am->ntried == am->n || (am_rand(am) & 1));
        const struct am_entry *e = &am->v[am_rand(am) % am->hiwater];
        if (!e->used || e->tried != want_tried || backing_off(e, now) || is_terrible(e, now))
            continue;
        if (skip && skip(ctx, &e->a))
            continue;
        *out = e->a;
        return true;
    }
    return false;
}

bool addrman_select(struct addrman *am, int64_t now,
                    bool (*skip)(void *ctx, const struct proto_netaddr *a), void *ctx,
                    struct proto_netaddr *out)
{
    return select_from(am, now, -1, skip, ctx, out);
}

bool addrman_select_new(struct addrman *am, int64_t now,
                        bool (*skip)(void *ctx, const struct proto_netaddr *a), void *ctx,
                        struct proto_netaddr *out)
{
    return select_from(am, now, 0, skip, ctx, out);
}

/* A uniform random sample of at most want entries of network net (0
 * any, 4 or 6), terrible ones left out. */
static size_t sample(struct addrman *am, int64_t now, size_t want, int net,
                     struct proto_netaddr *out)
{
    int32_t *idx = xmalloc((am->n ? am->n : 1) * sizeof(*idx));
    size_t n = 0, got = 0;
    for (size_t i = 0; i < am->hiwater; i++)
        if (am->v[i].used &&
            (net == 0 || proto_netaddr_is_ipv4(&am->v[i].a) == (net == 4)))
            idx[n++] = (int32_t)i;
    /* Partial Fisher-Yates: a uniform sample without repeats. */
    for (size_t i = 0; i < n && got < want; i++) {
        size_t j = i + (size_t)(am_rand(am) % (n - i));
        int32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        if (!is_terrible(&am->v[idx[i]], now))
            out[got++] = am->v[idx[i]].a;
    }
    free(idx);
    return got;
}

size_t addrman_sample(struct addrman *am, int64_t now, struct proto_netaddr *out, size_t max)
{
    size_t want = am->n * ADDRMAN_GETADDR_PCT / 100;
    if (want == 0 && am->n)
        want = 1;
    return sample(am, now, want > max ? max : want, 0, out);
}

size_t addrman_sample_all(struct addrman *am, int64_t now, int net, struct proto_netaddr *out,
                          size_t max)
{
    return sample(am, now, max, net, out);
}

size_t addrman_size(const struct addrman *am)
{
    return am->n;
}

size_t addrman_tried_count(const struct addrman *am)
{
    return am->ntried;
}

void addrman_net_counts(const struct addrman *am, bool ipv4, size_t *n_new, size_t *n_tried)
{
    *n_new = *n_tried = 0;
    for (size_t i = 0; i < am->hiwater; i++) {
        const struct am_entry *e = &am->v[i];
        if (!e->used || proto_netaddr_is_ipv4(&e->a) != ipv4)
            continue;
        if (e->tried)
            (*n_tried)++;
        else
            (*n_new)++;
    }
}

static bool load_entry(struct addrman *am, const char *key, size_t klen, const char *val,
                       size_t vlen)
{
    struct am_entry e;
    struct cursor c;
    uint8_t tried;
    memset(&e, 0, sizeof(e));
    if (klen != 19)
        return false;
    memcpy(e.a.ip, key + 1, 16);
    e.a.port = (uint16_t)((uint8_t)key[17] << 8 | (uint8_t)key[18]);
    cursor_init(&c, val, vlen);
    cursor_u32(&c, &e.a.time);
    cursor_u64(&c, &e.a.services);
    cursor_bytes(&c, e.src, 16);
    cursor_i64(&c, &e.last_try);
    cursor_i64(&c, &e.last_success);
    cursor_i32(&c, &e.attempts);
    if (!cursor_u8(&c, &tried) || find(am, &e.a) >= 0 || am->hiwater >= MAX_ENTRIES)
        return false;
    uint16_t b;
    uint8_t s;
    position(am, &e, tried != 0, &b, &s);
    if (*cell(am, tried != 0, b, s) >= 0)
        return false; /* the table changed shape: drop the duplicate */
    int32_t idx = (int32_t)am->hiwater++;
    e.used = true;
    am->v[idx] = e;
    am->map[map_slot(am, &e.a)] = idx;
    am->n++;
    set_cell(am, idx, tried != 0, b, s);
    return true;
}

static int db_open(struct addrman *am, const char *dir, char **err)
{
    char *lerr = NULL;
    leveldb_options_t *opt = leveldb_options_create();
    leveldb_options_set_create_if_missing(opt, 1);
    am->db = leveldb_open(opt, dir, &lerr);
    leveldb_options_destroy(opt);
    if (!am->db) {
        if (err)
            *err = lerr ? lerr : xstrdup("cannot open the peers database");
        else
            leveldb_free(lerr);
        return -1;
    }
    am->batch = leveldb_writebatch_create();
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    size_t klen;
    char *key = leveldb_get(am->db, ro, "k", 1, &klen, &lerr);
    if (key && klen == 32) {
        memcpy(am->key, key, 32);
    } else {
        leveldb_writebatch_put(am->batch, "k", 1, (const char *)am->key, 32);
        am->pending++;
    }
    leveldb_free(key);
    leveldb_free(lerr);
    size_t loaded = 0, dropped = 0;
    leveldb_iterator_t *it = leveldb_create_iterator(am->db, ro);
    for (leveldb_iter_seek(it, "e", 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t vlen;
        const char *k = leveldb_iter_key(it, &klen);
        const char *v = leveldb_iter_value(it, &vlen);
        if (klen == 0 || k[0] != 'e')
            break;
        if (load_entry(am, k, klen, v, vlen))
            loaded++;
        else
            dropped++;
    }
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    LOG_DEBUG(LOG_ADDRMAN, "addrman: loaded %zu addresses (%zu tried), dropped %zu", loaded,
              am->ntried, dropped);
    return 0;
}

struct addrman *addrman_new(const char *dir, bool allow_private, uint64_t seed, char **err)
{
    struct addrman *am = xcalloc(1, sizeof(*am));
    am->allow_private = allow_private;
    am->v = xcalloc(MAX_ENTRIES, sizeof(*am->v));
    am->free_list = xmalloc(MAX_ENTRIES * sizeof(*am->free_list));
    am->map = xmalloc(MAP_CAP * sizeof(*am->map));
    memset(am->map, 0xff, MAP_CAP * sizeof(*am->map));
    memset(am->new_tab, 0xff, sizeof(am->new_tab));
    memset(am->tried_tab, 0xff, sizeof(am->tried_tab));
    if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = 0x5eed;
    am->rng = seed;
    for (int i = 0; i < 4; i++) {
        uint64_t r = am_rand(am);
        memcpy(am->key + 8 * i, &r, 8);
    }
    if (dir && db_open(am, dir, err) < 0) {
        addrman_free(am);
        return NULL;
    }
    return am;
}

int addrman_flush(struct addrman *am, char **err)
{
    char *lerr = NULL;
    if (!am->db || am->pending == 0)
        return 0;
    leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
    leveldb_write(am->db, wo, am->batch, &lerr);
    leveldb_writeoptions_destroy(wo);
    leveldb_writebatch_clear(am->batch);
    am->pending = 0;
    if (lerr) {
        if (err)
            *err = xstrdup(lerr);
        leveldb_free(lerr);
        return -1;
    }
    return 0;
}

void addrman_free(struct addrman *am)
{
    if (!am)
        return;
    char *err = NULL;
    if (addrman_flush(am, &err) < 0) {
        LOG_WARN("addrman: cannot save the peers database: %s", err);
        free(err);
    }
    if (am->batch)
        leveldb_writebatch_destroy(am->batch);
    if (am->db)
        leveldb_close(am->db);
    free(am->v);
    free(am->free_list);
    free(am->map);
    free(am);
}
