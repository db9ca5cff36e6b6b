#include "chain/validation/blockindex.h"
#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_NODES 1024

struct slab {
    struct slab *next;
    size_t used;
    struct bindex_node nodes[SLAB_NODES];
};

struct bindex {
    struct bindex_node **table; /* open addressing, linear probing */
    size_t cap;                 /* a power of two */
    size_t count;
    struct slab *slabs;
    struct bindex_node *best;
    uint64_t next_seq;
    struct bindex_node **active; /* active chain by height */
    size_t active_cap;
    int height;
    uint32_t cached_bits; /* most blocks share bits: work is cached */
    struct u256 cached_work;
};

struct bindex *bindex_new(void)
{
    struct bindex *bi = xcalloc(1, sizeof(*bi));
    bi->cap = 1024;
    bi->table = xcalloc(bi->cap, sizeof(*bi->table));
    bi->height = -1;
    bi->next_seq = BINDEX_SEQ_FIRST;
    pow_work(0, &bi->cached_work);
    return bi;
}

void bindex_free(struct bindex *bi)
{
    if (!bi)
        return;
    while (bi->slabs) {
        struct slab *s = bi->slabs;
        bi->slabs = s->next;
        for (size_t i = 0; i < s->used; i++)
            free(s->nodes[i].reason);
        free(s);
    }
    free(bi->table);
    free(bi->active);
    free(bi);
}

size_t bindex_count(const struct bindex *bi)
{
    return bi->count;
}

struct bindex_node *bindex_find(const struct bindex *bi, const struct hash256 *hash)
{
    size_t mask = bi->cap - 1;
    for (size_t i = hash_cheap(hash) & mask;; i = (i + 1) & mask) {
        struct bindex_node *n = bi->table[i];
        if (!n || hash_eq(&n->hash, hash))
            return n;
    }
}

static void table_put(struct bindex_node **table, size_t cap, struct bindex_node *n)
{
    size_t mask = cap - 1;
    size_t i = hash_cheap(&n->hash) & mask;
    while (table[i])
        i = (i + 1) & mask;
    table[i] = n;
}

static void table_grow(struct bindex *bi)
{
    size_t cap = bi->cap * 2;
    struct bindex_node **t = xcalloc(cap, sizeof(*t));
    for (size_t i = 0; i < bi->cap; i++)
        if (bi->table[i])
            table_put(t, cap, bi->table[i]);
    free(bi->table);
    bi->table = t;
    bi->cap = cap;
}

static struct bindex_node *node_alloc(struct bindex *bi)
{
    if (!bi->slabs || bi->slabs->used == SLAB_NODES) {
        struct slab *s = xcalloc(1, sizeof(*s));
        s->next = bi->slabs;
        bi->slabs = s;
    }
    return &bi->slabs->nodes[bi->slabs->used++];
}

/* Skip-list heights: each node links to an ancestor chosen so that any
 * ancestor is reached in O(log n) hops (the scheme of Core's pskip). */
static int clear_lowest_bit(int n)
{
    return n & (n - 1);
}

static int skip_height(int height)
{
    if (height < 2)
        return 0;
    return (height & 1) ? clear_lowest_bit(clear_lowest_bit(height - 1)) + 1
                        : clear_lowest_bit(height);
}

struct bindex_node *bindex_ancestor(const struct bindex_node *n, int height)
{
    if (!n || height > n->height || height < 0)
        return NULL;
    const struct bindex_node *walk = n;
    while (walk->height > height) {
        int hs = skip_height(walk->height);
        int hs_prev = skip_height(walk->height - 1);
        /* Take the skip unless the parent's skip lands closer without
         * overshooting. */
        if (walk->skip &&
            (hs == height || (hs > height && !(hs_prev < hs - 2 && hs_prev >= height))))
            walk = walk->skip;
        else
            walk = walk->prev;
    }
    return (struct bindex_node *)walk;
}

static bool better(const struct bindex_node *a, const struct bindex_node *b)
{
    int c = u256_cmp(&a->work, &b->work);
    return c > 0 || (c == 0 && a->seq < b->seq);
}

static void block_work(struct bindex *bi, uint32_t bits, struct u256 *out)
{
    if (bits != bi->cached_bits) {
        bi->cached_bits = bits;
        pow_work(bits, &bi->cached_work);
    }
    *out = bi->cached_work;
}

struct bindex_node *bindex_add(struct bindex *bi, const struct block_header *hdr,
                               const struct hash256 *hash)
{
    struct bindex_node *n = bindex_find(bi, hash);
    if (n)
        return n;
    struct bindex_node *prev = NULL;
    if (bi->count > 0 && !(prev = bindex_find(bi, &hdr->prev)))
        return NULL;
    if (2 * (bi->count + 1) > bi->cap)
        table_grow(bi);
    n = node_alloc(bi);
    n->hash = *hash;
    n->hdr = *hdr;
    n->prev = prev;
    n->height = prev ? prev->height + 1 : 0;
    n->skip = prev ? bindex_ancestor(prev, skip_height(n->height)) : NULL;
    block_work(bi, hdr->bits, &n->work);
    if (prev) {
        u256_add(&n->work, &prev->work);
        if (prev->status & BINDEX_FAILED_MASK)
            n->status |= BINDEX_FAILED_CHILD;
    }
    n->seq = bi->next_seq++;
    table_put(bi->table, bi->cap, n);
    bi->count++;
    if (!(n->status & BINDEX_FAILED_MASK) && (!bi->best || better(n, bi->best)))
        bi->best = n;
    return n;
}

struct bindex_node *bindex_best_header(const struct bindex *bi)
{
    return bi->best;
}

void bindex_foreach(const struct bindex *bi, void (*fn)(void *ctx, struct bindex_node *n),
                    void *ctx)
{
    for (struct slab *s = bi->slabs; s; s = s->next)
        for (size_t i = 0; i < s->used; i++)
            fn(ctx, &s->nodes[i]);
}

static void recompute_best(struct bindex *bi)
{
    bi->best = NULL;
    for (struct slab *s = bi->slabs; s; s = s->next) {
        for (size_t i = 0; i < s->used; i++) {
            struct bindex_node *n = &s->nodes[i];
            if (!(n->status & BINDEX_FAILED_MASK) && (!bi->best || better(n, bi->best)))
                bi->best = n;
        }
    }
}

static void set_reason(struct bindex_node *n, const char *reason)
{
    free(n->reason);
    size_t len = strnlen(reason, BINDEX_REASON_MAX);
    n->reason = xmalloc(len + 1);
    memcpy(n->reason, reason, len);
    n->reason[len] = '\0';
}

/* Who to tell about status changes. */
struct status_report {
    void (*changed)(void *ctx, struct bindex_node *n);
    void *ctx;
};

/* Invalid blocks are rare: a pass over all nodes is simpler than keeping
 * child lists. */
static void each_descendant(struct bindex *bi, const struct bindex_node *node,
                            void (*fn)(struct bindex_node *n, const struct status_report *r),
                            const struct status_report *r)
{
    for (struct slab *s = bi->slabs; s; s = s->next) {
        for (size_t i = 0; i < s->used; i++) {
            struct bindex_node *n = &s->nodes[i];
            if (n->height > node->height && bindex_ancestor(n, node->height) == node)
                fn(n, r);
        }
    }
}

static void fail_child(struct bindex_node *n, const struct status_report *r)
{
    if (n->status & BINDEX_FAILED_MASK)
        return;
    n->status |= BINDEX_FAILED_CHILD;
    set_reason(n, "bad-prevblk");
    if (r->changed)
        r->changed(r->ctx, n);
}

void bindex_mark_failed(struct bindex *bi, struct bindex_node *node, const char *reason,
                        void (*changed)(void *ctx, struct bindex_node *n), void *ctx)
{
    struct status_report r = {changed, ctx};
    node->status |= BINDEX_FAILED;
    set_reason(node, reason);
    if (changed)
        changed(ctx, node);
    each_descendant(bi, node, fail_child, &r);
    recompute_best(bi);
}

static void clear_one(struct bindex_node *n, const struct status_report *r)
{
    if (!(n->status & BINDEX_FAILED_MASK))
        return;
    n->status &= ~(uint32_t)BINDEX_FAILED_MASK;
    free(n->reason);
    n->reason = NULL;
    if (r->changed)
        r->changed(r->ctx, n);
}

void bindex_clear_failed(struct bindex *bi, struct bindex_node *node,
                         void (*changed)(void *ctx, struct bindex_node *n), void *ctx)
{
    struct status_report r = {changed, ctx};
    for (struct bindex_node *a = node; a; a = a->prev)
        clear_one(a, &r);
    each_descendant(bi, node, clear_one, &r);
    recompute_best(bi);
}

struct bindex_node *bindex_fork_point(const struct bindex_node *a, const struct bindex_node *b)
{
    if (!a || !b)
        return NULL;
    if (a->height > b->height)
        a = bindex_ancestor(a, b->height);
    else if (b->height > a->height)
        b = bindex_ancestor(b, a->height);
    while (a && b && a != b) {
        a = a->prev;
        b = b->prev;
    }
    return (struct bindex_node *)a;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t bindex_median_time_past(const struct bindex_node *n)
{
    uint32_t times[11];
    int k = 0;
    for (; n && k < 11; n = n->prev)
        times[k++] = n->hdr.time;
    if (k == 0)
        return 0;
    qsort(times, (size_t)k, sizeof(times[0]), cmp_u32);
    return times[k / 2];
}

void bindex_set_tip(struct bindex *bi, struct bindex_node *tip)
{
    if (!tip) {
        bi->height = -1;
        return;
    }
    if ((size_t)tip->height >= bi->active_cap) {
        size_t cap = bi->active_cap ? bi->active_cap : 1024;
        while (cap <= (size_t)tip->height)
            cap *= 2;
        bi->active = xrealloc(bi->active, cap * sizeof(*bi->active));
        bi->active_cap = cap;
    }
    int old_height = bi->height;
    /* Rewrite from the tip down until the old chain agrees. */
    for (struct bindex_node *n = tip; n; n = n->prev) {
        if (n->height <= old_height && bi->active[n->height] == n)
            break;
        bi->active[n->height] = n;
    }
    bi->height = tip->height;
}

struct bindex_node *bindex_tip(const struct bindex *bi)
{
    return bi->height < 0 ? NULL : bi->active[bi->height];
}

int bindex_height(const struct bindex *bi)
{
    return bi->height;
}

struct bindex_node *bindex_at(const struct bindex *bi, int height)
{
    if (height < 0 || height > bi->height)
        return NULL;
    return bi->active[height];
}

bool bindex_contains(const struct bindex *bi, const struct bindex_node *n)
{
    return n && bindex_at(bi, n->height) == n;
}

size_t bindex_locator(const struct bindex *bi, const struct bindex_node *n, struct hash256 *out,
                      size_t max)
{
    if (!n)
        n = bindex_tip(bi);
    size_t count = 0;
    int step = 1;
    while (n && count < max) {
        out[count++] = n->hash;
        if (n->height == 0)
            break;
        int h = n->height - step;
        if (h < 0)
            h = 0;
        if (count > 10)
            step *= 2;
        /* Ancestors on the active chain are found by index. */
        n = bindex_contains(bi, n) ? bindex_at(bi, h) : bindex_ancestor(n, h);
    }
    return count;
}

struct bindex_node *bindex_find_fork(const struct bindex *bi, const struct hash256 *locator,
                                     size_t n)
{
    struct bindex_node *tip = bindex_tip(bi);
    for (size_t i = 0; i < n; i++) {
        struct bindex_node *node = bindex_find(bi, &locator[i]);
        if (!node)
            continue;
        if (bindex_contains(bi, node))
            return node;
        /* A locator from beyond our tip on our own chain. */
        if (tip && bindex_ancestor(node, tip->height) == tip)
            return tip;
    }
    return bindex_at(bi, 0);
}

void bindex_node_encode(const struct bindex_node *n, struct wbuf *w)
{
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&n->hdr, hdr);
    wbuf_bytes(w, hdr, sizeof(hdr));
    wbuf_i32(w, n->height);
    wbuf_u32(w, n->status);
    for (int i = 0; i < 8; i++)
        wbuf_u32(w, n->work.w[i]);
    wbuf_varstr(w, n->reason ? n->reason : "");
    const struct blockfile_pos *pos[2] = {&n->data_pos, &n->undo_pos};
    for (int i = 0; i < 2; i++) {
        wbuf_i32(w, pos[i]->file);
        wbuf_u32(w, pos[i]->pos);
        wbuf_u32(w, pos[i]->len);
    }
}

bool bindex_record_decode(const uint8_t *data, size_t len, struct bindex_record *out)
{
    struct cursor c;
    cursor_init(&c, data, len);
    if (!block_header_parse(&c, &out->hdr))
        return false;
    cursor_i32(&c, &out->height);
    cursor_u32(&c, &out->status);
    for (int i = 0; i < 8; i++)
        cursor_u32(&c, &out->work.w[i]);
    char reason[BINDEX_REASON_MAX + 1];
    cursor_varstr(&c, reason, BINDEX_REASON_MAX);
    struct blockfile_pos *pos[2] = {&out->data_pos, &out->undo_pos};
    for (int i = 0; i < 2; i++) {
        cursor_i32(&c, &pos[i]->file);
        cursor_u32(&c, &pos[i]->pos);
        cursor_u32(&c, &pos[i]->len);
    }
    out->reason = NULL;
    if (c.err || cursor_left(&c) != 0 || out->height < 0)
        return false;
    if (reason[0])
        out->reason = xstrdup(reason);
    return true;
}

void bindex_restore(struct bindex *bi, struct bindex_node *n, const struct bindex_record *rec)
{
    n->status |= rec->status;
    n->data_pos = rec->data_pos;
    n->undo_pos = rec->undo_pos;
    if (rec->reason)
        set_reason(n, rec->reason);
    if ((n->status & BINDEX_FAILED_MASK) && bi->best == n)
        recompute_best(bi);
}
