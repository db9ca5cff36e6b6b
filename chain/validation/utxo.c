#include "chain/validation/utxo.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    F_DIRTY = 1,    /* differs from the store */
    F_FRESH = 2,    /* the store does not have it: spending it just forgets it */
    F_SPENT = 4,    /* a deletion waiting for the next flush */
    F_COINBASE = 8,
};

struct entry {
    struct outpoint op;
    int64_t value;
    int32_t height;
    uint8_t flags;
    uint32_t script_len;
    uint8_t script[];
};

/* Per-entry cost beyond its own bytes: allocator header and table slots. */
#define ENTRY_OVERHEAD 32

/* The key's hash beside the pointer: probes compare it before touching
 * the entry, saving a cache miss per mismatching slot. */
struct slot {
    uint64_t h;
    struct entry *e;
};

struct utxo {
    struct store *store;
    struct slot *table; /* open addressing, linear probing, no tombstones */
    size_t cap;           /* a power of two */
    size_t count;
    size_t mem;
    size_t budget;
    size_t dirty;
    struct store_batch *batch;
    /* The last spent coin's script: the entry itself is freed or shrunk
     * by the spend, and copying a few dozen bytes is cheaper than keeping
     * it alive. */
    uint8_t *spent_script;
    size_t spent_cap;
};

/* Large tables ask for huge pages: each probe is a random access, and
 * with 4 KiB pages most of them would also miss the TLB. */
#define HUGE_PAGE (2u << 20)

static struct slot *table_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(struct slot);
    if (bytes < HUGE_PAGE)
        return xcalloc(cap, sizeof(struct slot));
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        abort();
    madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

static size_t entry_cost(const struct entry *e)
{
    return sizeof(*e) + e->script_len + ENTRY_OVERHEAD;
}

static uint64_t op_hash(const struct outpoint *op)
{
    return hash_cheap(&op->hash) ^ ((uint64_t)op->n * 0x9e3779b97f4a7c15ull);
}

static bool op_eq(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && hash_eq(&a->hash, &b->hash);
}

struct utxo *utxo_new(struct store *s, size_t budget_bytes)
{
    struct utxo *u = xcalloc(1, sizeof(*u));
    u->store = s;
    u->budget = budget_bytes;
    u->cap = 1024;
    u->table = table_alloc(u->cap);
    u->batch = store_batch_new();
    return u;
}

static void drop_all(struct utxo *u)
{
    for (size_t i = 0; i < u->cap; i++) {
        free(u->table[i].e);
        u->table[i].e = NULL;
    }
    u->count = 0;
    u->mem = 0;
    u->dirty = 0;
}

void utxo_free(struct utxo *u)
{
    if (!u)
        return;
    drop_all(u);
    free(u->table);
    store_batch_free(u->batch);
    free(u->spent_script);
    free(u);
}

void utxo_reset(struct utxo *u)
{
    drop_all(u);
}

/* The slot holding op, or the empty slot where it would go. */
static size_t find_slot(const struct utxo *u, const struct outpoint *op, uint64_t h)
{
    size_t mask = u->cap - 1;
    size_t i = h & mask;
    while (u->table[i].e && (u->table[i].h != h || !op_eq(&u->table[i].e->op, op)))
        i = (i + 1) & mask;
    return i;
}

static void insert_entry(struct utxo *u, struct entry *e, uint64_t h)
{
    if (2 * (u->count + 1) > u->cap) {
        struct slot *old = u->table;
        size_t old_cap = u->cap;
        u->cap *= 2;
        u->table = table_alloc(u->cap);
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].e)
                u->table[find_slot(u, &old[i].e->op, old[i].h)] = old[i];
        free(old);
    }
    u->table[find_slot(u, &e->op, h)] = (struct slot){h, e};
    u->count++;
    u->mem += entry_cost(e);
}

/* Removes the entry at slot i, shifting later members of its probe run
 * back so lookups never stop early. */
static void remove_slot(struct utxo *u, size_t i)
{
    size_t mask = u->cap - 1;
    struct entry *gone = u->table[i].e;
    u->mem -= entry_cost(gone);
    u->count--;
    free(gone);
    u->table[i].e = NULL;
    for (size_t j = (i + 1) & mask; u->table[j].e; j = (j + 1) & mask) {
        size_t home = u->table[j].h & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        u->table[i] = u->table[j];
        u->table[j].e = NULL;
        i = j;
    }
}

static struct entry *entry_new(const struct outpoint *op, int64_t value, const uint8_t *script,
                               size_t script_len, int32_t height, uint8_t flags)
{
    struct entry *e = xmalloc(sizeof(*e) + script_len);
    e->op = *op;
    e->value = value;
    e->height = height;
    e->flags = flags;
    e->script_len = (uint32_t)script_len;
    memcpy(e->script, script, script_len);
    return e;
}

/* The cached unspent entry for op, reading the store on a miss; *slot is
 * where it sits. *rc: 1 found, 0 absent or spent, -1 error (*err). */
static struct entry *fetch(struct utxo *u, const struct outpoint *op, size_t *slot, int *rc,
                           char **err)
{
    uint64_t h = op_hash(op);
    size_t i = find_slot(u, op, h);
    if (u->table[i].e) {
        *slot = i;
        *rc = (u->table[i].e->flags & F_SPENT) ? 0 : 1;
        return *rc ? u->table[i].e : NULL;
    }
    struct coin c = {0};
    *rc = store_get_coin(u->store, op, &c, err);
    if (*rc != 1)
        return NULL;
    struct entry *e = entry_new(op, c.value, c.script, c.script_len, c.height,
                                c.coinbase ? F_COINBASE : 0);
    coin_clear(&c);
    insert_entry(u, e, h);
    *slot = find_slot(u, op, h);
    return e;
}

int utxo_get(struct utxo *u, const struct outpoint *op, struct coin *out, char **err)
{
    size_t slot;
    int rc;
    struct entry *e = fetch(u, op, &slot, &rc, err);
    if (rc != 1)
        return rc;
    out->value = e->value;
    out->height = e->height;
    out->coinbase = (e->flags & F_COINBASE) != 0;
    out->script_len = e->script_len;
    out->script = xmalloc(e->script_len ? e->script_len : 1);
    memcpy(out->script, e->script, e->script_len);
    return 1;
}

bool utxo_have(struct utxo *u, const struct outpoint *op, char **err)
{
    size_t slot;
    int rc;
    return fetch(u, op, &slot, &rc, err) != NULL;
}

void utxo_add(struct utxo *u, const struct outpoint *op, int64_t value, const uint8_t *script,
              size_t script_len, int32_t height, bool coinbase)
{
    uint8_t flags = F_DIRTY | F_FRESH | (coinbase ? F_COINBASE : 0);
    uint64_t h = op_hash(op);
    size_t i = find_slot(u, op, h);
    struct entry *old = u->table[i].e;
    if (old) {
        /* The store may hold a version of this coin: no longer fresh. */
        if (!(old->flags & F_FRESH))
            flags &= (uint8_t)~F_FRESH;
        if (old->flags & F_DIRTY)
            u->dirty--;
        remove_slot(u, i);
    }
    insert_entry(u, entry_new(op, value, script, script_len, height, flags), h);
    u->dirty++;
}

static void keep_spent_script(struct utxo *u, const struct entry *e, struct utxo_spent *info)
{
    if (e->script_len > u->spent_cap) {
        free(u->spent_script);
        u->spent_cap = e->script_len < 64 ? 64 : e->script_len;
        u->spent_script = xmalloc(u->spent_cap);
    }
    if (e->script_len)
        memcpy(u->spent_script, e->script, e->script_len);
    info->script = u->spent_script;
    info->script_len = e->script_len;
}

int utxo_spend(struct utxo *u, const struct outpoint *op, struct utxo_spent *info,
               struct wbuf *undo, char **err)
{
    size_t slot;
    int rc;
    struct entry *e = fetch(u, op, &slot, &rc, err);
    if (rc != 1)
        return rc;
    info->value = e->value;
    info->height = e->height;
    info->coinbase = (e->flags & F_COINBASE) != 0;
    keep_spent_script(u, e, info);
    if (undo)
        store_coin_encode(undo, e->value, e->script, e->script_len, e->height, info->coinbase);
    if (e->flags & F_DIRTY)
        u->dirty--;
    if (e->flags & F_FRESH) {
        remove_slot(u, slot);
        return 1;
    }
    /* Keep a small tombstone so the flush deletes the stored coin. */
    u->mem -= entry_cost(e);
    e->script_len = 0;
    e->flags = F_SPENT | F_DIRTY;
    u->table[slot].e = e = xrealloc(e, sizeof(*e));
    u->mem += entry_cost(e);
    u->dirty++;
    return 1;
}

/* A dirty entry and the first 8 bytes of its key, big-endian, so most
 * comparisons while sorting touch no entry. */
struct flush_item {
    uint64_t prefix;
    struct entry *e;
};

static int cmp_flush_item(const void *a, const void *b)
{
    const struct flush_item *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    int c = memcmp(x->e->op.hash.b, y->e->op.hash.b, 32);
    return c ? c : (x->e->op.n > y->e->op.n) - (x->e->op.n < y->e->op.n);
}

/* Queues the dirty entries in key order: LevelDB inserts sorted keys into
 * its memtable several times faster than random ones. */
static void queue_dirty(struct utxo *u)
{
    struct flush_item *items = xmalloc((u->count + 1) * sizeof(*items));
    size_t n = 0;
    for (size_t i = 0; i < u->cap; i++) {
        struct entry *e = u->table[i].e;
        if (e && (e->flags & F_DIRTY))
            items[n++] = (struct flush_item){__builtin_bswap64(hash_cheap(&e->op.hash)), e};
    }
    qsort(items, n, sizeof(*items), cmp_flush_item);
    for (size_t i = 0; i < n; i++) {
        struct entry *e = items[i].e;
        if (e->flags & F_SPENT)
            store_batch_del_coin(u->batch, &e->op);
        else
            store_batch_put_coin(u->batch, &e->op, e->value, e->script, e->script_len, e->height,
                                 (e->flags & F_COINBASE) != 0);
    }
    free(items);
}

static int flush_now(struct utxo *u, const struct hash256 *tip, bool sync, char **err)
{
    store_batch_clear(u->batch);
    queue_dirty(u);
    store_batch_set_tip(u->batch, tip);
    int r = store_write(u->store, u->batch, sync, err);
    store_batch_clear(u->batch);
    if (r < 0)
        return -1;
    if (utxo_over_budget(u)) {
        drop_all(u);
        return 0;
    }
    /* Everything now matches the store: tombstones go, the rest is clean. */
    for (size_t i = 0; i < u->cap;) {
        struct entry *e = u->table[i].e;
        if (e && (e->flags & F_SPENT)) {
            remove_slot(u, i); /* may shift a later entry into slot i */
            continue;
        }
        if (e)
            e->flags &= (uint8_t)~(F_DIRTY | F_FRESH);
        i++;
    }
    u->dirty = 0;
    return 0;
}

int utxo_flush(struct utxo *u, const struct hash256 *tip, bool sync, char **err)
{
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "utxo flush");
    int r = flush_now(u, tip, sync, err);
    looplag_leave(&mark);
    return r;
}

size_t utxo_memory(const struct utxo *u)
{
    return u->mem + u->cap * sizeof(*u->table);
}

size_t utxo_cached(const struct utxo *u)
{
    return u->count;
}

size_t utxo_dirty(const struct utxo *u)
{
    return u->dirty;
}

bool utxo_over_budget(const struct utxo *u)
{
    return utxo_memory(u) > u->budget;
}
