/* Standalone driver for the fuzz harnesses, so every harness also runs in
 * `make check` without libFuzzer: it feeds each file named on the command
 * line, then a bounded number of pseudo-random mutations of those inputs
 * (or of random bytes when none are given). Built with clang's
 * -fsanitize=fuzzer instead, the harness runs under libFuzzer and this
 * file is left out. */
#ifndef HEARSAY_LIBFUZZER
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    /* splitmix64: reproducible across runs and machines. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Flips, inserts, deletes or truncates a few bytes of a seed. */
static size_t mutate(const uint8_t *seed, size_t len, uint8_t *out, size_t cap)
{
    size_t n = len < cap ? len : cap;
    memcpy(out, seed, n);
    int edits = 1 + (int)(rng() % 4);
    for (int i = 0; i < edits; i++) {
        switch (rng() % 4) {
        case 0:
            if (n)
                out[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 1:
            if (n)
                out[rng() % n] = (uint8_t)rng();
            break;
        case 2:
            if (n)
                n = (size_t)(rng() % n);
            break;
        default:
            if (n < cap) {
                size_t at = n ? (size_t)(rng() % n) : 0;
                memmove(out + at + 1, out + at, n - at);
                out[at] = (uint8_t)rng();
                n++;
            }
            break;
        }
    }
    return n;
}

#define MAX_SEEDS 4096

/* Appends to paths[n..] the files of $env/<name>/; returns the new n. */
static size_t seed_dir_files(const char *env, const char *argv0, char **paths, size_t n)
{
    const char *root = getenv(env);
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    if (!strncmp(base, "fuzz_", 5))
        base += 5;
    if (!root)
        return n;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", root, base);
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        paths[n] = malloc(len);
        snprintf(paths[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int iterations = 2000;
    const char *env = getenv("FUZZ_ITERATIONS");
    if (env)
        iterations = atoi(env);

    /* Seeds: the files named, else every file in $FUZZ_SEEDS_DIR/<name>/
     * and $FUZZ_CORPUS_DIR/<name>/, where <name> is this program's name
     * without "fuzz_". */
    char **paths = calloc(MAX_SEEDS, sizeof(*paths));
    size_t npaths = 0;
    for (int i = 1; i < argc && npaths < MAX_SEEDS; i++)
        paths[npaths++] = strdup(argv[i]);
    if (argc < 2) {
        npaths = seed_dir_files("FUZZ_CORPUS_DIR", argv[0], paths,
                                seed_dir_files("FUZZ_SEEDS_DIR", argv[0], paths, 0));
        /* Every harness has seeds: none found means a misnamed directory,
         * and random bytes alone would pass without reaching the code. */
        if (npaths == 0 && getenv("FUZZ_SEEDS_DIR")) {
            fprintf(stderr, "fuzz: no inputs in $FUZZ_SEEDS_DIR or $FUZZ_CORPUS_DIR for %s\n",
                    argv[0]);
            free(paths);
            return 1;
        }
    }

    size_t nseeds = 0;
    uint8_t **seeds = calloc(npaths + 1, sizeof(*seeds));
    size_t *lens = calloc(npaths + 1, sizeof(*lens));
    for (size_t i = 0; i < npaths; i++) {
        seeds[nseeds] = read_file(paths[i], &lens[nseeds]);
        if (!seeds[nseeds]) {
            fprintf(stderr, "fuzz: cannot read %s\n", paths[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput(seeds[nseeds], lens[nseeds]);
        nseeds++;
        free(paths[i]);
    }
    free(paths);

    enum { CAP = 1 << 16 };
    uint8_t *buf = malloc(CAP);
    for (int it = 0; it < iterations; it++) {
        size_t n;
        if (nseeds) {
            size_t s = (size_t)(rng() % nseeds);
            n = mutate(seeds[s], lens[s], buf, CAP);
        } else {
            n = (size_t)(rng() % 512);
            for (size_t k = 0; k < n; k++)
                buf[k] = (uint8_t)rng();
        }
        /* A copy of exactly n bytes so ASan sees reads past the end. */
        uint8_t *in = malloc(n ? n : 1);
        memcpy(in, buf, n);
        LLVMFuzzerTestOneInput(in, n);
        free(in);
    }
    printf("fuzz: %zu seed(s), %d mutated input(s), no crash\n", nseeds, iterations);
    for (size_t i = 0; i < nseeds; i++)
        free(seeds[i]);
    free(seeds);
    free(lens);
    free(buf);
    return 0;
}
#endif /* HEARSAY_LIBFUZZER */
