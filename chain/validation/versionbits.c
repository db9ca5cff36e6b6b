/* BIP9 state machine, as Bitcoin Core's AbstractThresholdConditionChecker
 * (src/versionbits.cpp). */
#include "chain/validation/versionbits.h"

#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *versionbits_state_name(enum versionbits_state s)
{
    static const char *const names[] = { "defined", "started", "locked_in", "active",
                                         "failed" };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

bool versionbits_signals(const struct versionbits_rule *r, const struct bindex_node *n)
{
    uint32_t v = (uint32_t)n->hdr.version;
    return (v & VERSIONBITS_TOP_MASK) == VERSIONBITS_TOP_BITS && (v & (1u << r->bit)) != 0;
}

/* Open addressing on node addresses; the parent of genesis (NULL) has its
 * own slot. States are stored plus one, so zero marks an empty slot. */
struct versionbits_cache {
    const struct bindex_node **key;
    uint8_t *state;
    size_t cap, n;
    uint8_t genesis_parent;
};

struct versionbits_cache *versionbits_cache_new(void)
{
    return xcalloc(1, sizeof(struct versionbits_cache));
}

void versionbits_cache_free(struct versionbits_cache *c)
{
    if (!c)
        return;
    free(c->key);
    free(c->state);
    free(c);
}

static void cache_clear(struct versionbits_cache *c)
{
    if (c->cap)
        memset(c->state, 0, c->cap);
    c->n = 0;
    c->genesis_parent = 0;
}

static size_t slot_of(const struct versionbits_cache *c, const struct bindex_node *k)
{
    uint64_t h = (uint64_t)(uintptr_t)k * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & (c->cap - 1);
    while (c->state[i] && c->key[i] != k)
        i = (i + 1) & (c->cap - 1);
    return i;
}

/* The cached state of the block after k, or -1. */
static int cache_get(const struct versionbits_cache *c, const struct bindex_node *k)
{
    if (!k)
        return c->genesis_parent ? c->genesis_parent - 1 : -1;
    if (!c->cap)
        return -1;
    size_t i = slot_of(c, k);
    return c->state[i] ? c->state[i] - 1 : -1;
}

static void cache_put(struct versionbits_cache *c, const struct bindex_node *k,
                      enum versionbits_state s)
{
    if (!k) {
        c->genesis_parent = (uint8_t)(s + 1);
        return;
    }
    if (2 * (c->n + 1) > c->cap) { /* keep the table at most half full */
        struct versionbits_cache old = *c;
        c->cap = old.cap ? 2 * old.cap : 64;
        c->key = xcalloc(c->cap, sizeof(*c->key));
        c->state = xcalloc(c->cap, 1);
        c->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.state[i]) {
                size_t j = slot_of(c, old.key[i]);
                c->key[j] = old.key[i];
                c->state[j] = old.state[i];
                c->n++;
            }
        free(old.key);
        free(old.state);
    }
    size_t i = slot_of(c, k);
    if (!c->state[i])
        c->n++;
    c->key[i] = k;
    c->state[i] = (uint8_t)(s + 1);
}

/* The last block of the period before the one of the block after prev:
 * every block of a period has the state computed from there. */
static const struct bindex_node *period_parent(const struct versionbits_rule *r,
                                               const struct bindex_node *prev)
{
    return prev ? bindex_ancestor(prev, prev->height - ((prev->height + 1) % r->period)) : NULL;
}

static int count_signals(const struct versionbits_rule *r, const struct bindex_node *last)
{
    int count = 0;
    for (int i = 0; i < r->period && last; i++, last = last->prev)
        count += versionbits_signals(r, last);
    return count;
}

/* The state after one more period, from the state of the period ending
 * at prev. */
static enum versionbits_state next_state(const struct versionbits_rule *r,
                                         enum versionbits_state s, const struct bindex_node *prev)
{
    int64_t mtp = bindex_median_time_past(prev);
    switch (s) {
    case VERSIONBITS_DEFINED:
        return mtp >= r->start_time ? VERSIONBITS_STARTED : s;
    case VERSIONBITS_STARTED:
        if (count_signals(r, prev) >= r->threshold)
            return VERSIONBITS_LOCKED_IN;
        return mtp >= r->timeout ? VERSIONBITS_FAILED : s;
    case VERSIONBITS_LOCKED_IN:
        return prev->height + 1 >= r->min_activation_height ? VERSIONBITS_ACTIVE : s;
    default:
        return s; /* ACTIVE and FAILED are final */
    }
}

enum versionbits_state versionbits_state_for(const struct versionbits_rule *r,
                                             struct versionbits_cache *c,
                                             const struct bindex_node *prev)
{
    if (r->start_time == PARAMS_VB_ALWAYS_ACTIVE)
        return VERSIONBITS_ACTIVE;
    if (r->start_time == PARAMS_VB_NEVER_ACTIVE)
        return VERSIONBITS_FAILED;
    prev = period_parent(r, prev);
    /* Walk back a period at a time to a known state; the periods passed
     * are computed forward from there. */
    size_t n = 0, cap = 0;
    const struct bindex_node **todo = NULL;
    while (cache_get(c, prev) < 0) {
        if (!prev) {
            cache_put(c, prev, VERSIONBITS_DEFINED); /* genesis is DEFINED */
            break;
        }
        if ((int64_t)bindex_median_time_past(prev) < r->start_time) {
            /* So is every earlier period: no need to go further. */
            cache_put(c, prev, VERSIONBITS_DEFINED);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            todo = xreallocarray(todo, cap, sizeof(*todo));
        }
        todo[n++] = prev;
        prev = bindex_ancestor(prev, prev->height - r->period);
    }
    enum versionbits_state s = (enum versionbits_state)cache_get(c, prev);
    while (n > 0) {
        prev = todo[--n];
        s = next_state(r, s, prev);
        cache_put(c, prev, s);
    }
    free(todo);
    return s;
}

int versionbits_since_for(const struct versionbits_rule *r, struct versionbits_cache *c,
                          const struct bindex_node *prev)
{
    if (r->start_time == PARAMS_VB_ALWAYS_ACTIVE || r->start_time == PARAMS_VB_NEVER_ACTIVE)
        return 0;
    enum versionbits_state initial = versionbits_state_for(r, c, prev);
    if (initial == VERSIONBITS_DEFINED) /* BIP9: genesis is DEFINED */
        return 0;
    prev = period_parent(r, prev); /* not NULL: only genesis' parent is DEFINED */
    const struct bindex_node *earlier = bindex_ancestor(prev, prev->height - r->period);
    while (earlier && versionbits_state_for(r, c, earlier) == initial) {
        prev = earlier;
        earlier = bindex_ancestor(prev, prev->height - r->period);
    }
    return prev->height + 1;
}

void versionbits_statistics(const struct versionbits_rule *r, const struct bindex_node *n,
                            struct versionbits_stats *out, char *signalling)
{
    *out = (struct versionbits_stats){ .period = r->period, .threshold = r->threshold };
    if (signalling)
        signalling[0] = 0;
    if (!n)
        return;
    int in_period = 1 + n->height % r->period;
    if (signalling)
        signalling[in_period] = 0;
    for (int i = in_period - 1; i >= 0; i--, n = n->prev) {
        bool s = versionbits_signals(r, n);
        out->count += s;
        if (signalling)
            signalling[i] = s ? '#' : '-';
    }
    out->elapsed = in_period;
    out->possible = r->period - r->threshold >= out->elapsed - out->count;
}

struct versionbits {
    struct params_deployment dep[PARAMS_DEP_COUNT];
    struct versionbits_rule rule[PARAMS_DEP_COUNT];
    struct versionbits_cache *cache[PARAMS_DEP_COUNT];
};

static void set_rule(struct versionbits *vb, int pos, int period, int threshold)
{
    const struct params_deployment *d = &vb->dep[pos];
    vb->rule[pos] = (struct versionbits_rule){ d->bit, d->start_time, d->timeout,
                                               d->min_activation_height, period, threshold };
}

struct versionbits *versionbits_new(const struct chain_params *p)
{
    struct versionbits *vb = xcalloc(1, sizeof(*vb));
    for (int i = 0; i < PARAMS_DEP_COUNT; i++) {
        vb->dep[i] = p->deployments[i];
        set_rule(vb, i, p->vb_period, p->vb_threshold);
        vb->cache[i] = versionbits_cache_new();
    }
    return vb;
}

void versionbits_free(struct versionbits *vb)
{
    if (!vb)
        return;
    for (int i = 0; i < PARAMS_DEP_COUNT; i++)
        versionbits_cache_free(vb->cache[i]);
    free(vb);
}

/* Core's ParseInt64 / ParseInt32: the whole text, in range. */
static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r'))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int versionbits_override(struct versionbits *vb, const char *spec, char **err)
{
    char *copy = xstrdup(spec), *field[5];
    size_t n = 0;
    /* Core's SplitString: every ':' separates, empty fields included. */
    for (char *p = copy; p; n++) {
        char *colon = strchr(p, ':');
        if (colon)
            *colon = 0;
        if (n < 5)
            field[n] = p;
        p = colon ? colon + 1 : NULL;
    }
    int rc = -1, pos = 0;
    int64_t start, timeout, min_height = 0;
    if (n < 3 || n > 4)
        err_set(err, "Version bits parameters malformed, expecting "
                     "deployment:start:end[:min_activation_height]");
    else if (!parse_int(field[1], INT64_MIN, INT64_MAX, &start))
        err_set(err, "Invalid nStartTime (%s)", field[1]);
    else if (!parse_int(field[2], INT64_MIN, INT64_MAX, &timeout))
        err_set(err, "Invalid nTimeout (%s)", field[2]);
    else if (n == 4 && !parse_int(field[3], INT32_MIN, INT32_MAX, &min_height))
        err_set(err, "Invalid min_activation_height (%s)", field[3]);
    else {
        while (pos < PARAMS_DEP_COUNT && strcmp(vb->dep[pos].name, field[0]))
            pos++;
        if (pos == PARAMS_DEP_COUNT)
            err_set(err, "Invalid deployment (%s)", field[0]);
        else
            rc = 0;
    }
    if (rc == 0) {
        vb->dep[pos].start_time = start;
        vb->dep[pos].timeout = timeout;
        vb->dep[pos].min_activation_height = (int)min_height;
        set_rule(vb, pos, vb->rule[pos].period, vb->rule[pos].threshold);
        cache_clear(vb->cache[pos]);
    }
    free(copy);
    return rc < 0 ? -1 : pos;
}

const struct params_deployment *versionbits_deployment(const struct versionbits *vb, int pos)
{
    return &vb->dep[pos];
}

const struct versionbits_rule *versionbits_rule(const struct versionbits *vb, int pos)
{
    return &vb->rule[pos];
}

bool versionbits_enabled(const struct versionbits *vb, int pos)
{
    return vb->dep[pos].start_time != PARAMS_VB_NEVER_ACTIVE;
}

enum versionbits_state versionbits_state(struct versionbits *vb, int pos,
                                         const struct bindex_node *prev)
{
    return versionbits_state_for(&vb->rule[pos], vb->cache[pos], prev);
}

int versionbits_since(struct versionbits *vb, int pos, const struct bindex_node *prev)
{
    return versionbits_since_for(&vb->rule[pos], vb->cache[pos], prev);
}

int32_t versionbits_block_version(struct versionbits *vb, const struct bindex_node *prev)
{
    uint32_t v = VERSIONBITS_TOP_BITS;
    for (int i = 0; i < PARAMS_DEP_COUNT; i++) {
        enum versionbits_state s = versionbits_state(vb, i, prev);
        if (s == VERSIONBITS_STARTED || s == VERSIONBITS_LOCKED_IN)
            v |= 1u << vb->rule[i].bit;
    }
    return (int32_t)v;
}
