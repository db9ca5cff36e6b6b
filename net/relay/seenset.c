/* Rolling seen-sets; see seenset.h. */
#include "net/relay/seenset.h"

#include <math.h>
#include <stdlib.h>

#include "net/relay/prng.h"
#include "chain/util/xmalloc.h"

struct seenset {
    uint32_t entries;
    bool exact;
    uint32_t per_gen;   /* insertions per generation */
    uint32_t in_gen;    /* insertions into the current generation */
    uint32_t gens_done; /* completed generations still remembered (<= 2) */
    uint64_t salt;
    /* Bloom: words[2w] and words[2w+1] are the low and high bit planes of
     * the 2-bit generation numbers (1..3, 0 = empty) of 64 positions. */
    uint32_t hashes;
    uint8_t gen;        /* current generation, 1..3 */
    uint64_t bits;      /* filter positions */
    /* Exact: two tables of `slots` keys; cur is the one being filled. */
    uint64_t slots;
    uint8_t cur;
    uint64_t *words;    /* Bloom planes, or the two exact tables */
};

static uint64_t bloom_bits(uint32_t entries, double fp, uint32_t *hashes)
{
    double logfp = log(fp);
    /* The optimal hash count for fp is log2(1/fp), capped to keep inserts
     * cheap; three generations of entries/2 can be live at once. */
    long k = lround(logfp / log(0.5));
    k = k < 1 ? 1 : k > 50 ? 50 : k;
    double live = 3.0 * ((entries + 1) / 2);
    double bits = ceil(-(double)k * live / log(1.0 - exp(logfp / (double)k)));
    *hashes = (uint32_t)k;
    return ((uint64_t)bits + 63) / 64 * 64;
}

static uint64_t exact_slots(uint32_t entries)
{
    uint64_t slots = 4;
    while (slots < 2ULL * entries) /* at most half full: short probes */
        slots *= 2;
    return slots;
}

size_t seenset_storage_bytes(uint32_t entries, double fp)
{
    uint32_t k;
    if (fp <= 0)
        return 2 * exact_slots(entries) * sizeof(uint64_t);
    return bloom_bits(entries, fp, &k) / 64 * 2 * sizeof(uint64_t);
}

struct seenset *seenset_new(uint32_t entries, double fp, uint64_t salt)
{
    if (entries == 0 || entries > (1u << 30) || !(fp >= 0 && fp < 1))
        return NULL;
    struct seenset *s = xcalloc(1, sizeof(*s));
    s->entries = entries;
    s->exact = fp <= 0;
    s->salt = salt;
    if (s->exact) {
        s->per_gen = entries;
        s->slots = exact_slots(entries);
    } else {
        s->per_gen = (entries + 1) / 2;
        s->bits = bloom_bits(entries, fp, &s->hashes);
    }
    s->gen = 1;
    return s;
}

void seenset_free(struct seenset *s)
{
    if (!s)
        return;
    free(s->words);
    free(s);
}

void seenset_reset(struct seenset *s)
{
    free(s->words);
    s->words = NULL;
    s->in_gen = 0;
    s->gens_done = 0;
    s->gen = 1;
    s->cur = 0;
}

static uint64_t exact_key(const struct seenset *s, const struct hash256 *h)
{
    uint64_t k = prng_hash_key(h, s->salt);
    return k ? k : 1; /* 0 marks an empty slot */
}

static bool exact_in(const uint64_t *table, uint64_t slots, uint64_t key)
{
    for (uint64_t i = prng_mix64(key) & (slots - 1);; i = (i + 1) & (slots - 1)) {
        if (table[i] == key)
            return true;
        if (table[i] == 0)
            return false;
    }
}

static bool exact_contains(const struct seenset *s, const struct hash256 *h)
{
    uint64_t key = exact_key(s, h);
    return exact_in(s->words, s->slots, key) || exact_in(s->words + s->slots, s->slots, key);
}

static void exact_insert(struct seenset *s, const struct hash256 *h)
{
    if (exact_contains(s, h))
        return;
    if (s->in_gen == s->per_gen) {
        /* The older table is dropped and becomes the new current one. */
        s->cur ^= 1;
        memset(s->words + s->cur * s->slots, 0, s->slots * sizeof(uint64_t));
        s->in_gen = 0;
        s->gens_done = 1;
    }
    uint64_t *table = s->words + s->cur * s->slots;
    uint64_t key = exact_key(s, h);
    uint64_t i = prng_mix64(key) & (s->slots - 1);
    while (table[i])
        i = (i + 1) & (s->slots - 1);
    table[i] = key;
    s->in_gen++;
}

/* Position i of h: double hashing over two salted keys, reduced to the
 * filter size by multiply-high. */
static uint64_t bloom_pos(const struct seenset *s, uint64_t k1, uint64_t k2, uint32_t i)
{
    return (uint64_t)(((unsigned __int128)(k1 + i * k2) * s->bits) >> 64);
}

static void bloom_keys(const struct seenset *s, const struct hash256 *h, uint64_t *k1,
                       uint64_t *k2)
{
    *k1 = prng_hash_key(h, s->salt);
    *k2 = prng_hash_key(h, ~s->salt) | 1;
}

static bool bloom_contains(const struct seenset *s, const struct hash256 *h)
{
    uint64_t k1, k2;
    bloom_keys(s, h, &k1, &k2);
    for (uint32_t i = 0; i < s->hashes; i++) {
        uint64_t p = bloom_pos(s, k1, k2, i);
        uint64_t w = p >> 6, bit = 1ULL << (p & 63);
        if (!((s->words[2 * w] | s->words[2 * w + 1]) & bit))
            return false;
    }
    return true;
}

/* Starts the next generation, wiping the positions of the one it reuses
 * (the oldest of the three). */
static void bloom_next_gen(struct seenset *s)
{
    s->gen = s->gen == 3 ? 1 : s->gen + 1;
    uint64_t lo = (s->gen & 1) ? ~0ULL : 0, hi = (s->gen & 2) ? ~0ULL : 0;
    for (uint64_t w = 0; w < s->bits / 64; w++) {
        uint64_t same = ~(s->words[2 * w] ^ lo) & ~(s->words[2 * w + 1] ^ hi);
        s->words[2 * w] &= ~same;
        s->words[2 * w + 1] &= ~same;
    }
    s->in_gen = 0;
    if (s->gens_done < 2)
        s->gens_done++;
}

static void bloom_insert(struct seenset *s, const struct hash256 *h)
{
    if (s->in_gen == s->per_gen)
        bloom_next_gen(s);
    uint64_t k1, k2;
    bloom_keys(s, h, &k1, &k2);
    uint64_t lo = (s->gen & 1) ? ~0ULL : 0, hi = (s->gen & 2) ? ~0ULL : 0;
    for (uint32_t i = 0; i < s->hashes; i++) {
        uint64_t p = bloom_pos(s, k1, k2, i);
        uint64_t w = p >> 6, bit = 1ULL << (p & 63);
        s->words[2 * w] = (s->words[2 * w] & ~bit) | (lo & bit);
        s->words[2 * w + 1] = (s->words[2 * w + 1] & ~bit) | (hi & bit);
    }
    s->in_gen++;
}

static size_t storage_of(const struct seenset *s)
{
    return s->exact ? 2 * s->slots * sizeof(uint64_t) : s->bits / 64 * 2 * sizeof(uint64_t);
}

void seenset_insert(struct seenset *s, const struct hash256 *h)
{
    if (!s->words)
        s->words = xcalloc(1, storage_of(s));
    if (s->exact)
        exact_insert(s, h);
    else
        bloom_insert(s, h);
}

bool seenset_contains(const struct seenset *s, const struct hash256 *h)
{
    if (!s->words)
        return false;
    return s->exact ? exact_contains(s, h) : bloom_contains(s, h);
}

size_t seenset_memory(const struct seenset *s)
{
    return sizeof(*s) + (s->words ? storage_of(s) : 0);
}

size_t seenset_count(const struct seenset *s)
{
    return (size_t)s->gens_done * s->per_gen + s->in_gen;
}
