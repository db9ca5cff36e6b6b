/* Signature cache: open addressing over a fixed table of 32-byte salted
 * entries. An entry lives in one of PROBE slots after its home slot;
 * when all are taken one of them (chosen by the entry's own random bits)
 * is replaced, so the table stays within its byte budget. */
#include "chain/script/sigcache.h"
#include "chain/primitives/hash.h"
#include "chain/util/xmalloc.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBE 8
#define ENTRY 32
#define MAX_PART 520 /* a stack element: the longest pubkey or signature */

struct sigcache {
    pthread_rwlock_t lock;
    uint8_t salt[32];
    size_t nslots, count;
    uint8_t (*slots)[ENTRY]; /* all zero: empty */
};

struct sigcache *sigcache_new(size_t max_bytes)
{
    struct sigcache *c = xcalloc(1, sizeof(*c));
    c->nslots = max_bytes / ENTRY < PROBE ? PROBE : max_bytes / ENTRY;
    c->slots = xcalloc(c->nslots, ENTRY);
    /* The salt keeps others from aiming collisions at our slots. */
    if (RAND_bytes(c->salt, sizeof(c->salt)) != 1 || pthread_rwlock_init(&c->lock, NULL) != 0)
        abort();
    return c;
}

void sigcache_free(struct sigcache *c)
{
    if (!c)
        return;
    pthread_rwlock_destroy(&c->lock);
    free(c->slots);
    free(c);
}

/* SHA256(salt || 32 bytes of the domain letter || parts): the padding
 * keeps ECDSA and Schnorr entries apart, as Core's two salted hashers. */
static void entry_of(const struct sigcache *c, uint8_t entry[ENTRY], char domain,
                     const uint8_t hash[32], const uint8_t *pub, size_t pub_len,
                     const uint8_t *sig, size_t sig_len)
{
    uint8_t buf[96 + 2 * MAX_PART];
    size_t n = 0;
    if (pub_len > MAX_PART)
        pub_len = MAX_PART;
    if (sig_len > MAX_PART)
        sig_len = MAX_PART;
    memcpy(buf, c->salt, 32);
    memset(buf + 32, domain, 32);
    memcpy(buf + 64, hash, 32);
    n = 96;
    memcpy(buf + n, pub, pub_len);
    n += pub_len;
    memcpy(buf + n, sig, sig_len);
    n += sig_len;
    hash_sha256(buf, n, entry);
}

void sigcache_entry_ecdsa(const struct sigcache *c, uint8_t entry[32], const uint8_t hash[32],
                          const uint8_t *pub, size_t pub_len, const uint8_t *sig,
                          size_t sig_len)
{
    entry_of(c, entry, 'E', hash, pub, pub_len, sig, sig_len);
}

void sigcache_entry_schnorr(const struct sigcache *c, uint8_t entry[32],
                            const uint8_t hash[32], const uint8_t xonly[32],
                            const uint8_t sig[64])
{
    entry_of(c, entry, 'S', hash, xonly, 32, sig, 64);
}

static size_t home(const struct sigcache *c, const uint8_t entry[ENTRY])
{
    uint64_t v;
    memcpy(&v, entry, sizeof(v));
    return (size_t)(v % c->nslots);
}

/* The slot holding entry, or NULL. */
static uint8_t *find(const struct sigcache *c, const uint8_t entry[ENTRY])
{
    size_t h = home(c, entry);
    for (size_t i = 0; i < PROBE; i++) {
        uint8_t *s = c->slots[(h + i) % c->nslots];
        if (memcmp(s, entry, ENTRY) == 0)
            return s;
    }
    return NULL;
}

bool sigcache_contains(struct sigcache *c, const uint8_t entry[32])
{
    pthread_rwlock_rdlock(&c->lock);
    bool hit = find(c, entry) != NULL;
    pthread_rwlock_unlock(&c->lock);
    return hit;
}

bool sigcache_take(struct sigcache *c, const uint8_t entry[32])
{
    pthread_rwlock_wrlock(&c->lock);
    uint8_t *s = find(c, entry);
    if (s) {
        memset(s, 0, ENTRY);
        c->count--;
    }
    pthread_rwlock_unlock(&c->lock);
    return s != NULL;
}

void sigcache_insert(struct sigcache *c, const uint8_t entry[32])
{
    static const uint8_t empty[ENTRY];
    if (memcmp(entry, empty, ENTRY) == 0)
        return; /* cannot be told from an empty slot; never happens */
    pthread_rwlock_wrlock(&c->lock);
    if (!find(c, entry)) {
        size_t h = home(c, entry), slot = (h + entry[8] % PROBE) % c->nslots;
        for (size_t i = 0; i < PROBE; i++) {
            size_t s = (h + i) % c->nslots;
            if (memcmp(c->slots[s], empty, ENTRY) == 0) {
                slot = s;
                c->count++;
                break;
            }
        }
        memcpy(c->slots[slot], entry, ENTRY);
    }
    pthread_rwlock_unlock(&c->lock);
}

size_t sigcache_count(struct sigcache *c)
{
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->count;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

size_t sigcache_capacity(const struct sigcache *c)
{
    return c->nslots;
}
