/* Three generations of n/2 keys each share one bit array in which every
 * position holds the 2-bit number (1-3) of the generation that last set
 * it; 0 is empty. Starting a new generation clears the positions of the
 * oldest one, so a key stays for between one and a half and three
 * generations, i.e. at least the last n keys. The sizes follow Core's:
 * k = log(fp)/log(0.5) hash functions and enough positions for 1.5 n keys
 * at rate fp. */
#include "net/conn/rollbloom.h"

#include "chain/util/xmalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rollbloom {
    uint64_t tweak;
    uint32_t per_gen, in_gen; /* keys per generation; in the current one */
    uint32_t k;               /* hash functions */
    uint32_t gen;             /* current generation, 1..3 */
    uint32_t nbits;           /* positions */
    uint8_t *cells;           /* 4 positions a byte, 2 bits each */
};

struct rollbloom *rollbloom_new(uint32_t n, double fp, uint64_t tweak)
{
    if (n == 0 || n > 10000000 || !(fp > 0 && fp < 1))
        return NULL;
    struct rollbloom *f = xcalloc(1, sizeof(*f));
    f->tweak = tweak;
    f->per_gen = (n + 1) / 2;
    double k = round(log(fp) / log(0.5));
    f->k = k < 1 ? 1 : k > 50 ? 50 : (uint32_t)k;
    double max_keys = (double)f->per_gen * 3;
    f->nbits = (uint32_t)ceil(-1.0 * f->k * max_keys / log(1.0 - exp(log(fp) / f->k)));
    f->cells = xcalloc((f->nbits + 3) / 4, 1);
    f->gen = 1;
    return f;
}

void rollbloom_free(struct rollbloom *f)
{
    if (!f)
        return;
    free(f->cells);
    free(f);
}

void rollbloom_reset(struct rollbloom *f)
{
    memset(f->cells, 0, (f->nbits + 3) / 4);
    f->gen = 1;
    f->in_gen = 0;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Two independent 64-bit hashes of the salted key (FNV-1a, then mixed);
 * position i is h1 + i * h2 (double hashing). */
static void hash2(const struct rollbloom *f, const void *key, size_t len, uint64_t *h1,
                  uint64_t *h2)
{
    const uint8_t *b = key;
    uint64_t h = 0xcbf29ce484222325ull ^ f->tweak;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    *h1 = mix(h);
    *h2 = mix(h ^ 0x9e3779b97f4a7c15ull) | 1;
}

static uint32_t cell_get(const struct rollbloom *f, uint32_t pos)
{
    return (f->cells[pos / 4] >> (2 * (pos % 4))) & 3;
}

static void cell_set(struct rollbloom *f, uint32_t pos, uint32_t v)
{
    uint8_t *c = &f->cells[pos / 4];
    *c = (uint8_t)((*c & ~(3u << (2 * (pos % 4)))) | (v << (2 * (pos % 4))));
}

void rollbloom_insert(struct rollbloom *f, const void *key, size_t len)
{
    if (f->in_gen == f->per_gen) {
        f->in_gen = 0;
        f->gen = f->gen == 3 ? 1 : f->gen + 1;
        for (uint32_t p = 0; p < f->nbits; p++) /* the oldest generation goes */
            if (cell_get(f, p) == f->gen)
                cell_set(f, p, 0);
    }
    f->in_gen++;
    uint64_t h1, h2;
    hash2(f, key, len, &h1, &h2);
    for (uint32_t i = 0; i < f->k; i++)
        cell_set(f, (uint32_t)((h1 + i * h2) % f->nbits), f->gen);
}

bool rollbloom_contains(const struct rollbloom *f, const void *key, size_t len)
{
    uint64_t h1, h2;
    hash2(f, key, len, &h1, &h2);
    for (uint32_t i = 0; i < f->k; i++)
        if (cell_get(f, (uint32_t)((h1 + i * h2) % f->nbits)) == 0)
            return false;
    return true;
}
