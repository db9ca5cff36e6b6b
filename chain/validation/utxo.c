#include "chain/validation/utxo.h"
#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/util/worker.h"
#include "chain/util/xmalloc.h"

#include <stdatomic.h>
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

/* A generation of the cache: a hash table of entries. A full table
 * grows into one twice its size a few slots per insert (moving millions
 * of entries at once would stop the loop for a second): until done, old
 * is the smaller table, read-only but for the entries taken out of it
 * (MOVED), and lookups that miss the new table look there. */
struct gen {
    struct slot *table; /* open addressing, linear probing, no tombstones */
    size_t cap;         /* a power of two */
    size_t count;       /* in both tables */
    size_t mem;
    struct slot *old; /* NULL when not growing */
    size_t old_cap;
    size_t old_next; /* old's slots below this were moved */
};

/* An old table's slot whose entry went to the new table: probes go on
 * past it. */
static struct entry moved_mark;
#define MOVED (&moved_mark)

/* Old slots moved per insert while growing: the move ends before the new
 * table is a third full (at least 2 would do: it starts a quarter full,
 * and half full is the limit). */
#define GROW_STEP 8

/* A frozen generation's write on the worker thread. */
struct write_job {
    struct store *store;
    struct store_batch *batch;
    struct gen *gen;
    struct hash256 tip;
    int rc;
    char *err;
    atomic_bool *running; /* cleared when done (rc and err then set) */
    atomic_uint_fast64_t *changes; /* the cache's, counted once written */
};

/* Flushes in the background (utxo_flush_background) freeze the current
 * generation and let the worker write it while a new, empty one takes the
 * changes. Until the next flush the frozen generation stays as a read-only
 * layer between the current one and the store: lookups that miss the
 * current generation copy its entries (a spent one there means absent),
 * so nothing ever reads the store before the frozen changes are in it. */
struct utxo {
    struct store *store;
    struct gen cur;
    struct gen *frozen; /* NULL when none */
    size_t frozen_dirty; /* its changes, until the write is known done */
    size_t budget;
    size_t dirty;
    struct store_batch *batch;
    struct worker *worker; /* started by the first background flush */
    bool shared_worker;    /* worker is the caller's (utxo_set_writer) */
    atomic_bool writing;   /* job is queued or running */
    struct write_job job;
    /* Prefetches and faulting in tables; started by the first one. */
    struct worker *reader;
    bool shared_reader;    /* reader is the caller's (utxo_set_reader) */
    /* Counts coins writes done and cache drops: a prefetch started before
     * one of them may have read what the store held before it. */
    atomic_uint_fast64_t changes;
    /* The last spent coin's script: the entry itself is freed or shrunk
     * by the spend, and copying a few dozen bytes is cheaper than keeping
     * it alive. */
    uint8_t *spent_script;
    size_t spent_cap;
};

/* Large tables ask for huge pages: each probe is a random access, and
 * with 4 KiB pages most of them would also miss the TLB. They are fresh
 * anonymous mappings, which read as zero until written: a new generation's
 * table costs the event loop no clearing pass (tens of milliseconds for a
 * large cache), its pages are filled in as entries land on them. */
#define HUGE_PAGE (2u << 20)
#define MIN_CAP 1024

static bool table_mapped(size_t cap)
{
    return cap * sizeof(struct slot) >= HUGE_PAGE;
}

static struct slot *table_alloc(size_t cap)
{
    if (!table_mapped(cap))
        return xcalloc(cap, sizeof(struct slot));
    /* Mapped one huge page larger, then trimmed to a huge-page boundary. */
    size_t bytes = cap * sizeof(struct slot), span = bytes + HUGE_PAGE;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort();
    size_t head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
    if (head)
        munmap(p, head);
    munmap(p + head + bytes, span - head - bytes);
    madvise(p + head, bytes, MADV_HUGEPAGE);
    return (struct slot *)(void *)(p + head);
}

/* A mapped table to fault in on the reader thread. */
#define POPULATE_STEP (4 * HUGE_PAGE)
struct table_span {
    void *p;
    size_t bytes;
};

/* Faults a new generation's table in, off the loop: zeroing its
 * huge pages on first touch cost the event loop up to 150 ms in the first
 * block after a flush (every block touches most of them). Faulting in
 * changes no contents, so the loop may insert meanwhile; and if the table
 * is gone meanwhile, the call fails on the hole or faults in, unchanged,
 * whatever memory is mapped there now. */
static void table_populate(void *arg)
{
    struct table_span *t = arg;
#ifdef MADV_POPULATE_WRITE
    /* A few huge pages per call: the call holds the process's memory map
     * lock, which the loop's brk and mmap calls wait for. */
    for (size_t off = 0; off < t->bytes; off += POPULATE_STEP) {
        size_t len = t->bytes - off < POPULATE_STEP ? t->bytes - off : POPULATE_STEP;
        if (madvise((uint8_t *)t->p + off, len, MADV_POPULATE_WRITE) < 0)
            break;
    }
#endif
    free(t);
}

static void table_free(struct slot *t, size_t cap)
{
    if (!table_mapped(cap))
        free(t);
    else
        munmap(t, cap * sizeof(struct slot));
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

static void gen_init(struct gen *g, size_t cap)
{
    *g = (struct gen){.cap = cap, .table = table_alloc(cap)};
}

/* Frees the entries, keeping the table (the old one goes). */
static void gen_clear(struct gen *g)
{
    /* Empty slots are left unwritten: in a large table, never touched
     * pages are still the shared zero page. */
    for (size_t i = 0; i < g->cap; i++) {
        if (g->table[i].e) {
            free(g->table[i].e);
            g->table[i].e = NULL;
        }
    }
    for (size_t i = g->old_next; g->old && i < g->old_cap; i++)
        if (g->old[i].e != MOVED)
            free(g->old[i].e);
    table_free(g->old, g->old_cap);
    g->old = NULL;
    g->count = 0;
    g->mem = 0;
}

/* g's entries into v (g->count of them at most); returns how many. */
static size_t gen_entries(const struct gen *g, struct entry **v)
{
    size_t n = 0;
    for (size_t i = 0; i < g->cap; i++)
        if (g->table[i].e)
            v[n++] = g->table[i].e;
    for (size_t i = g->old_next; g->old && i < g->old_cap; i++)
        if (g->old[i].e && g->old[i].e != MOVED)
            v[n++] = g->old[i].e;
    return n;
}

static int cmp_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* On the writer thread, a generation dropped: its entries are freed in
 * address order. In table order each free() merges its block with
 * neighbours scattered over the heap, a cache miss or more each: about a
 * second for millions of entries, all of it under the allocator's lock,
 * which the event loop waited for to allocate. In address order the frees
 * follow each other in memory and take a few percent of that (sorting the
 * pointers takes no lock). */
static void gen_free(void *arg)
{
    struct gen *g = arg;
    struct entry **v = malloc((g->count + 1) * sizeof(*v));
    if (v) {
        size_t n = gen_entries(g, v);
        qsort(v, n, sizeof(*v), cmp_address);
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        table_free(g->old, g->old_cap);
    } else {
        gen_clear(g); /* in table order, then */
    }
    table_free(g->table, g->cap);
    free(g);
}

static size_t gen_memory(const struct gen *g)
{
    return g->mem + (g->cap + (g->old ? g->old_cap : 0)) * sizeof(*g->table);
}

/* A new generation's table: as large as the last one grew (growing it
 * again would move every entry once more at each doubling), within a
 * quarter of the budget. */
static size_t start_cap(const struct utxo *u, size_t cap)
{
    while (cap > MIN_CAP && cap * sizeof(struct slot) > u->budget / 4)
        cap /= 2;
    return cap;
}

struct utxo *utxo_new(struct store *s, size_t budget_bytes)
{
    struct utxo *u = xcalloc(1, sizeof(*u));
    u->store = s;
    u->budget = budget_bytes;
    gen_init(&u->cur, MIN_CAP);
    u->batch = store_batch_new();
    return u;
}

/* Waits for the worker; -1 and *err if its last write failed. The frozen
 * generation, if any, is then in the store. */
static int finish_write(struct utxo *u, char **err)
{
    if (!u->worker)
        return 0;
    /* A shared worker may be busy with other work: only our write counts. */
    if (atomic_load(&u->writing))
        worker_wait(u->worker);
    u->frozen_dirty = 0;
    if (u->job.rc == 0)
        return 0;
    u->job.rc = 0;
    if (err) {
        *err = u->job.err;
        u->job.err = NULL;
    }
    return -1;
}

/* Hands the frozen generation, written, to the worker to free. */
static void drop_frozen(struct utxo *u)
{
    if (u->frozen)
        worker_submit(u->worker, gen_free, u->frozen);
    u->frozen = NULL;
}

void utxo_free(struct utxo *u)
{
    if (!u)
        return;
    if (finish_write(u, NULL) < 0)
        LOG_ERROR("UTXO cache: background write failed");
    if (!u->shared_reader)
        worker_free(u->reader);
    drop_frozen(u);
    if (u->shared_worker)
        worker_wait(u->worker); /* runs the queued free */
    else
        worker_free(u->worker); /* runs the queued free first */
    free(u->job.err);
    gen_clear(&u->cur);
    table_free(u->cur.table, u->cur.cap);
    store_batch_free(u->batch);
    free(u->spent_script);
    free(u);
}

void utxo_reset(struct utxo *u)
{
    char *err = NULL;
    finish_write(u, &err); /* the caller has an error of its own already */
    free(err);
    drop_frozen(u);
    gen_clear(&u->cur);
    u->dirty = 0;
    atomic_fetch_add(&u->changes, 1);
}

/* The slot holding op, or the empty slot where it would go. */
static size_t find_slot(const struct gen *g, const struct outpoint *op, uint64_t h)
{
    size_t mask = g->cap - 1;
    size_t i = h & mask;
    while (g->table[i].e && (g->table[i].h != h || !op_eq(&g->table[i].e->op, op)))
        i = (i + 1) & mask;
    return i;
}

/* op's slot in the old table, or old_cap when it is not there. */
static size_t old_find(const struct gen *g, const struct outpoint *op, uint64_t h)
{
    size_t mask = g->old_cap - 1;
    for (size_t i = h & mask; g->old[i].e; i = (i + 1) & mask)
        if (g->old[i].e != MOVED && g->old[i].h == h && op_eq(&g->old[i].e->op, op))
            return i;
    return g->old_cap;
}

/* op's entry in either table, without moving it (a frozen generation is
 * read by the writer thread meanwhile); NULL when absent. */
static const struct entry *gen_peek(const struct gen *g, const struct outpoint *op, uint64_t h)
{
    const struct entry *e = g->table[find_slot(g, op, h)].e;
    if (e || !g->old)
        return e;
    size_t j = old_find(g, op, h);
    return j < g->old_cap ? g->old[j].e : NULL;
}

/* As find_slot, first moving op's entry out of the old table if it is
 * there, so that changes only touch the new one. */
static size_t gen_slot(struct gen *g, const struct outpoint *op, uint64_t h)
{
    size_t i = find_slot(g, op, h);
    if (g->table[i].e || !g->old)
        return i;
    size_t j = old_find(g, op, h);
    if (j < g->old_cap) {
        g->table[i] = g->old[j];
        g->old[j].e = MOVED;
    }
    return i;
}

/* Moves up to n more of the old table's slots; frees it once empty. */
static void grow_step(struct gen *g, size_t n)
{
    for (; n > 0 && g->old_next < g->old_cap; n--, g->old_next++) {
        struct slot s = g->old[g->old_next];
        if (s.e && s.e != MOVED) {
            g->table[find_slot(g, &s.e->op, s.h)] = s;
            g->old[g->old_next].e = MOVED;
        }
    }
    if (g->old_next == g->old_cap) {
        table_free(g->old, g->old_cap);
        g->old = NULL;
    }
}

/* Finishes a growth at once, for the loops that walk the table. */
static void gen_settle(struct gen *g)
{
    if (g->old)
        grow_step(g, g->old_cap);
}

/* The reader thread, started on first use; false if it cannot start. */
static bool reader_started(struct utxo *u)
{
    return u->reader || (u->reader = worker_new("b-utxoread"));
}

/* Has the reader fault in the current generation's new table (a large
 * one). */
static void populate_soon(struct utxo *u)
{
    if (!table_mapped(u->cur.cap) || !reader_started(u))
        return;
    struct table_span *t = xmalloc(sizeof(*t));
    *t = (struct table_span){u->cur.table, u->cur.cap * sizeof(struct slot)};
    worker_submit(u->reader, table_populate, t);
}

/* e must be in neither of the current generation's tables. */
static void insert_entry(struct utxo *u, struct entry *e, uint64_t h)
{
    struct gen *g = &u->cur;
    if (!g->old && 2 * (g->count + 1) > g->cap) {
        g->old = g->table;
        g->old_cap = g->cap;
        g->old_next = 0;
        g->cap *= 2;
        g->table = table_alloc(g->cap);
        /* The moves and inserts land all over it at once: zeroing its
         * huge pages on their first writes held the loop for 150 ms. */
        populate_soon(u);
    }
    if (g->old)
        grow_step(g, GROW_STEP);
    g->table[find_slot(g, &e->op, h)] = (struct slot){h, e};
    g->count++;
    g->mem += entry_cost(e);
}

/* Removes the entry at slot i, shifting later members of its probe run
 * back so lookups never stop early. */
static void remove_slot(struct gen *g, size_t i)
{
    size_t mask = g->cap - 1;
    struct entry *gone = g->table[i].e;
    g->mem -= entry_cost(gone);
    g->count--;
    free(gone);
    g->table[i].e = NULL;
    for (size_t j = (i + 1) & mask; g->table[j].e; j = (j + 1) & mask) {
        size_t home = g->table[j].h & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        g->table[i] = g->table[j];
        g->table[j].e = NULL;
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

/* op's coin below the current generation: the frozen one's, else the
 * store's, as a clean entry (NULL with *rc 0 if absent or spent). */
static struct entry *fetch_below(struct utxo *u, const struct outpoint *op, uint64_t h, int *rc,
                                 char **err)
{
    if (u->frozen) {
        const struct entry *f = gen_peek(u->frozen, op, h);
        if (f) {
            *rc = (f->flags & F_SPENT) ? 0 : 1;
            return *rc ? entry_new(op, f->value, f->script, f->script_len, f->height,
                                   f->flags & F_COINBASE)
                       : NULL;
        }
    }
    struct coin c = {0};
    *rc = store_get_coin(u->store, op, &c, err);
    if (*rc != 1)
        return NULL;
    struct entry *e = entry_new(op, c.value, c.script, c.script_len, c.height,
                                c.coinbase ? F_COINBASE : 0);
    coin_clear(&c);
    return e;
}

/* The cached unspent entry for op, reading below on a miss; *slot is
 * where it sits. *rc: 1 found, 0 absent or spent, -1 error (*err). */
static struct entry *fetch(struct utxo *u, const struct outpoint *op, size_t *slot, int *rc,
                           char **err)
{
    uint64_t h = op_hash(op);
    size_t i = gen_slot(&u->cur, op, h);
    if (u->cur.table[i].e) {
        *slot = i;
        *rc = (u->cur.table[i].e->flags & F_SPENT) ? 0 : 1;
        return *rc ? u->cur.table[i].e : NULL;
    }
    struct entry *e = fetch_below(u, op, h, rc, err);
    if (!e)
        return NULL;
    insert_entry(u, e, h);
    *slot = find_slot(&u->cur, op, h);
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
    size_t i = gen_slot(&u->cur, op, h);
    struct entry *old = u->cur.table[i].e;
    if (old) {
        /* The store may hold a version of this coin: no longer fresh. */
        if (!(old->flags & F_FRESH))
            flags &= (uint8_t)~F_FRESH;
        if (old->flags & F_DIRTY)
            u->dirty--;
        remove_slot(&u->cur, i);
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
        remove_slot(&u->cur, slot);
        return 1;
    }
    /* Keep a small tombstone so the flush deletes the stored coin. */
    u->cur.mem -= entry_cost(e);
    e->script_len = 0;
    e->flags = F_SPENT | F_DIRTY;
    u->cur.table[slot].e = e = xrealloc(e, sizeof(*e));
    u->cur.mem += entry_cost(e);
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

/* The dirty entries of one of g's tables, added to items at *n. */
static void list_dirty(const struct slot *t, size_t cap, struct flush_item *items, size_t *n)
{
    for (size_t i = 0; i < cap; i++) {
        struct entry *e = t[i].e;
        if (e && e != MOVED && (e->flags & F_DIRTY))
            items[(*n)++] = (struct flush_item){__builtin_bswap64(hash_cheap(&e->op.hash)), e};
    }
}

/* Queues the dirty entries in key order: LevelDB inserts sorted keys into
 * its memtable several times faster than random ones. */
static void queue_dirty(const struct gen *g, struct store_batch *batch)
{
    struct flush_item *items = xmalloc((g->count + 1) * sizeof(*items));
    size_t n = 0;
    list_dirty(g->table, g->cap, items, &n);
    if (g->old)
        list_dirty(g->old, g->old_cap, items, &n);
    qsort(items, n, sizeof(*items), cmp_flush_item);
    for (size_t i = 0; i < n; i++) {
        struct entry *e = items[i].e;
        if (e->flags & F_SPENT)
            store_batch_del_coin(batch, &e->op);
        else
            store_batch_put_coin(batch, &e->op, e->value, e->script, e->script_len, e->height,
                                 (e->flags & F_COINBASE) != 0);
    }
    free(items);
}

/* Writes g's changes and the tip in one batch (on either thread: it only
 * reads g). */
static int write_gen(struct store *s, struct store_batch *batch, const struct gen *g,
                     const struct hash256 *tip, bool sync, char **err)
{
    store_batch_clear(batch);
    queue_dirty(g, batch);
    store_batch_set_tip(batch, tip);
    int r = store_write(s, batch, sync, err);
    store_batch_clear(batch);
    return r;
}

static int flush_now(struct utxo *u, const struct hash256 *tip, bool sync, char **err)
{
    if (finish_write(u, err) < 0)
        return -1;
    atomic_fetch_add(&u->changes, 1); /* the write below, and maybe drops */
    drop_frozen(u);
    if (write_gen(u->store, u->batch, &u->cur, tip, sync, err) < 0)
        return -1;
    if (utxo_over_budget(u)) {
        gen_clear(&u->cur);
        table_free(u->cur.table, u->cur.cap);
        gen_init(&u->cur, start_cap(u, u->cur.cap));
        populate_soon(u);
        u->dirty = 0;
        return 0;
    }
    /* Everything now matches the store: tombstones go, the rest is clean. */
    gen_settle(&u->cur);
    for (size_t i = 0; i < u->cur.cap;) {
        struct entry *e = u->cur.table[i].e;
        if (e && (e->flags & F_SPENT)) {
            remove_slot(&u->cur, i); /* may shift a later entry into slot i */
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

static void write_job_run(void *arg)
{
    struct write_job *j = arg;
    j->rc = write_gen(j->store, j->batch, j->gen, &j->tip, true, &j->err);
    atomic_fetch_add(j->changes, 1);
    atomic_store(j->running, false);
}

/* Waits for the previous write if the current generation has filled its
 * half of the budget meanwhile; 1 when the write is still running and
 * there is room to go on. */
static int wait_previous(struct utxo *u, char **err)
{
    if (!u->worker) {
        u->worker = worker_new("b-utxowrite");
        return u->worker ? 0 : err_set(err, "cannot start the UTXO cache's writer thread");
    }
    if (atomic_load(&u->writing) && !utxo_over_budget(u))
        return 1;
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "utxo flush wait");
    int r = finish_write(u, err);
    looplag_leave(&mark);
    return r;
}

static int flush_background(struct utxo *u, const struct hash256 *tip, char **err)
{
    int r = wait_previous(u, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    u->frozen_dirty = 0;
    if (!u->dirty) {
        drop_frozen(u);
        return 0;
    }
    struct gen *written = u->frozen;
    u->frozen = xmalloc(sizeof(*u->frozen));
    *u->frozen = u->cur;
    gen_init(&u->cur, start_cap(u, u->frozen->cap));
    /* On the reader: the loop fills the new table right away, while the
     * writer may still be syncing block files, then frees the last
     * generation. */
    populate_soon(u);
    if (written)
        worker_submit(u->worker, gen_free, written);
    u->frozen_dirty = u->dirty;
    u->dirty = 0;
    u->job = (struct write_job){ u->store, u->batch, u->frozen, *tip, 0, NULL, &u->writing,
                                 &u->changes };
    atomic_store(&u->writing, true);
    worker_submit(u->worker, write_job_run, &u->job);
    return 0;
}

void utxo_set_writer(struct utxo *u, struct worker *w)
{
    u->worker = w;
    u->shared_worker = w != NULL;
}

int utxo_flush_background(struct utxo *u, const struct hash256 *tip, char **err)
{
    struct looplag_mark mark;
    looplag_enter(looplag_default(), &mark, LOG_BLOCKSTORAGE, "utxo flush");
    int r = flush_background(u, tip, err);
    looplag_leave(&mark);
    return r;
}

size_t utxo_memory(const struct utxo *u)
{
    return gen_memory(&u->cur) + (u->frozen ? gen_memory(u->frozen) : 0);
}

size_t utxo_cached(const struct utxo *u)
{
    return u->cur.count + (u->frozen ? u->frozen->count : 0);
}

size_t utxo_dirty(const struct utxo *u)
{
    return u->dirty + u->frozen_dirty;
}

bool utxo_writing(struct utxo *u)
{
    return atomic_load(&u->writing);
}

bool utxo_over_budget(const struct utxo *u)
{
    /* The smallest table is a fixed cost: with a tiny budget it would
     * otherwise ask for a flush after every change. */
    size_t table = u->cur.cap > MIN_CAP ? u->cur.cap * sizeof(struct slot) : 0;
    return u->cur.mem + table > u->budget / 2;
}

struct prefetch_item {
    struct outpoint op;
    struct coin coin;
    int rc; /* store_get_coin's */
};

struct utxo_prefetch {
    struct store *store;
    struct prefetch_item *items;
    size_t n;
    uint_fast64_t changes; /* the cache's count at the start */
    struct outpoint *(*gather)(void *arg, size_t *n); /* NULL: items given */
    void *arg;
    void (*done)(void *ctx);
    void *ctx;
    atomic_bool ready;
};

/* On the reader thread. A store error is left for the loop's own read
 * of the coin to report. */
static void prefetch_run(void *arg)
{
    struct utxo_prefetch *pf = arg;
    if (pf->gather) {
        size_t n = 0;
        struct outpoint *ops = pf->gather(pf->arg, &n);
        pf->items = xcalloc(n ? n : 1, sizeof(*pf->items));
        for (size_t i = 0; i < n; i++)
            pf->items[i].op = ops[i];
        pf->n = n;
        free(ops);
    }
    for (size_t i = 0; i < pf->n; i++) {
        char *err = NULL;
        pf->items[i].rc = store_get_coin(pf->store, &pf->items[i].op, &pf->items[i].coin, &err);
        free(err);
    }
    /* pf may be freed as soon as it is ready: the callback is taken first. */
    void (*done)(void *) = pf->done;
    void *ctx = pf->ctx;
    atomic_store(&pf->ready, true);
    if (done)
        done(ctx);
}

/* op's entry in the current generation, else in the frozen one: NULL
 * when neither has one. */
static const struct entry *peek(const struct utxo *u, const struct outpoint *op, uint64_t h)
{
    const struct entry *e = gen_peek(&u->cur, op, h);
    return e || !u->frozen ? e : gen_peek(u->frozen, op, h);
}

static bool cached(const struct utxo *u, const struct outpoint *op, uint64_t h)
{
    return peek(u, op, h) != NULL;
}

bool utxo_have_cached(const struct utxo *u, const struct outpoint *op)
{
    const struct entry *e = peek(u, op, op_hash(op));
    return e && !(e->flags & F_SPENT);
}

/* pf (its store and callbacks set) goes to the reader thread. */
static struct utxo_prefetch *prefetch_submit(struct utxo *u, struct utxo_prefetch *pf)
{
    pf->store = u->store;
    pf->changes = atomic_load(&u->changes);
    worker_submit(u->reader, prefetch_run, pf);
    return pf;
}

struct utxo_prefetch *utxo_prefetch_start(struct utxo *u, const struct outpoint *ops, size_t n,
                                          void (*done)(void *ctx), void *ctx)
{
    if (!reader_started(u))
        return NULL; /* the loop reads them itself */
    struct prefetch_item *items = xcalloc(n ? n : 1, sizeof(*items));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!cached(u, &ops[i], op_hash(&ops[i])))
            items[k++].op = ops[i];
    if (!k) {
        free(items);
        return NULL;
    }
    struct utxo_prefetch *pf = xcalloc(1, sizeof(*pf));
    *pf = (struct utxo_prefetch){.items = items, .n = k, .done = done, .ctx = ctx};
    return prefetch_submit(u, pf);
}

struct utxo_prefetch *utxo_prefetch_gather(struct utxo *u,
                                           struct outpoint *(*gather)(void *arg, size_t *n),
                                           void *arg, void (*done)(void *ctx), void *ctx)
{
    if (!reader_started(u))
        return NULL;
    struct utxo_prefetch *pf = xcalloc(1, sizeof(*pf));
    *pf = (struct utxo_prefetch){.gather = gather, .arg = arg, .done = done, .ctx = ctx};
    return prefetch_submit(u, pf);
}

void utxo_set_reader(struct utxo *u, struct worker *w)
{
    u->reader = w;
    u->shared_reader = w != NULL;
}

bool utxo_prefetch_ready(const struct utxo_prefetch *pf)
{
    return atomic_load(&pf->ready);
}

size_t utxo_prefetch_finish(struct utxo *u, struct utxo_prefetch *pf, struct outpoint **absent,
                            size_t *n_absent)
{
    if (absent) {
        *absent = NULL;
        *n_absent = 0;
    }
    if (!pf)
        return 0;
    if (!atomic_load(&pf->ready))
        worker_wait(u->reader);
    bool stale = atomic_load(&u->changes) != pf->changes;
    if (absent && !stale)
        *absent = xcalloc(pf->n ? pf->n : 1, sizeof(**absent));
    size_t added = 0;
    for (size_t i = 0; i < pf->n; i++) {
        struct prefetch_item *it = &pf->items[i];
        uint64_t h = op_hash(&it->op);
        if (absent && !stale && it->rc == 0)
            (*absent)[(*n_absent)++] = it->op;
        if (!stale && it->rc == 1 && !cached(u, &it->op, h)) {
            insert_entry(u,
                         entry_new(&it->op, it->coin.value, it->coin.script, it->coin.script_len,
                                   it->coin.height, it->coin.coinbase ? F_COINBASE : 0),
                         h);
            added++;
        }
        coin_clear(&it->coin);
    }
    free(pf->items);
    free(pf);
    return added;
}
