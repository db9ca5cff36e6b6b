#include "chain/validation/scriptcache.h"

#include "chain/util/xmalloc.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MIN_ENTRIES 1024
/* Slots probed per key: a key lives in one of them. */
#define PROBES 8

struct scriptcache {
    uint8_t salt[32];
    uint8_t (*slot)[32]; /* all zero: empty */
    size_t mask;         /* capacity - 1 */
    size_t used;
    uint64_t rng;
};

struct scriptcache *scriptcache_new(size_t max_bytes)
{
    size_t cap = MIN_ENTRIES;
    while (cap * 2 * 32 <= max_bytes)
        cap *= 2;
    struct scriptcache *c = xcalloc(1, sizeof(*c));
    c->slot = xcalloc(cap, sizeof(*c->slot));
    c->mask = cap - 1;
    /* The salt keeps others from aiming collisions at our slots. */
    if (RAND_bytes(c->salt, sizeof(c->salt)) != 1 ||
        getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng))
        abort();
    c->rng |= 1;
    return c;
}

void scriptcache_free(struct scriptcache *c)
{
    if (!c)
        return;
    free(c->slot);
    free(c);
}

/* Core's entry: SHA-256 of salt, wtxid and the flags (little-endian). */
static void entry_key(const struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags,
                      uint8_t out[32])
{
    uint8_t buf[32 + 32 + 4];
    memcpy(buf, c->salt, 32);
    memcpy(buf + 32, wtxid->b, 32);
    for (int i = 0; i < 4; i++)
        buf[64 + i] = (uint8_t)(flags >> (8 * i));
    hash_sha256(buf, sizeof(buf), out);
}

static size_t home(const struct scriptcache *c, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return (size_t)h & c->mask;
}

bool scriptcache_contains(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags,
                          bool erase)
{
    uint8_t key[32];
    entry_key(c, wtxid, flags, key);
    size_t at = home(c, key);
    for (size_t k = 0; k < PROBES; k++) {
        uint8_t *s = c->slot[(at + k) & c->mask];
        if (memcmp(s, key, 32) == 0) {
            if (erase) {
                memset(s, 0, 32);
                c->used--;
            }
            return true;
        }
    }
    return false;
}

void scriptcache_insert(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags)
{
    static const uint8_t empty[32];
    uint8_t key[32];
    entry_key(c, wtxid, flags, key);
    size_t at = home(c, key);
    uint8_t *victim = NULL;
    for (size_t k = 0; k < PROBES; k++) {
        uint8_t *s = c->slot[(at + k) & c->mask];
        if (memcmp(s, key, 32) == 0)
            return;
        if (!victim && memcmp(s, empty, 32) == 0)
            victim = s;
    }
    if (victim) {
        c->used++;
    } else {
        /* Full around here: replace a random one of the probed slots. */
        c->rng ^= c->rng << 13;
        c->rng ^= c->rng >> 7;
        c->rng ^= c->rng << 17;
        victim = c->slot[(at + (c->rng % PROBES)) & c->mask];
    }
    memcpy(victim, key, 32);
}

size_t scriptcache_entries(const struct scriptcache *c)
{
    return c->used;
}

size_t scriptcache_capacity(const struct scriptcache *c)
{
    return c->mask + 1;
}
