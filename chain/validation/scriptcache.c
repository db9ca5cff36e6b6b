#include "chain/validation/scriptcache.h"

#include "chain/script/sigcache.h"
#include "chain/util/xmalloc.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define MIN_ENTRIES 1024

/* The signature cache's bounded set holds the entries; this salt is the
 * execution cache's own. */
struct scriptcache {
    uint8_t salt[32];
    struct sigcache *set;
};

struct scriptcache *scriptcache_new(size_t max_bytes)
{
    size_t cap = MIN_ENTRIES;
    while (cap * 2 * 32 <= max_bytes)
        cap *= 2;
    struct scriptcache *c = xcalloc(1, sizeof(*c));
    c->set = sigcache_new(cap * 32);
    if (RAND_bytes(c->salt, sizeof(c->salt)) != 1)
        abort();
    return c;
}

void scriptcache_free(struct scriptcache *c)
{
    if (!c)
        return;
    sigcache_free(c->set);
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

bool scriptcache_contains(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags,
                          bool erase)
{
    uint8_t key[32];
    entry_key(c, wtxid, flags, key);
    return erase ? sigcache_take(c->set, key) : sigcache_contains(c->set, key);
}

void scriptcache_insert(struct scriptcache *c, const struct hash256 *wtxid, uint32_t flags)
{
    uint8_t key[32];
    entry_key(c, wtxid, flags, key);
    sigcache_insert(c->set, key);
}

size_t scriptcache_entries(const struct scriptcache *c)
{
    return sigcache_count(c->set);
}

size_t scriptcache_capacity(const struct scriptcache *c)
{
    return sigcache_capacity(c->set);
}
