/* Benchmark: transaction parse + txid/wtxid throughput over a realistic
 * mix, and (double) SHA-256 throughput beside `openssl speed -evp sha256`.
 *
 *   bench_parse [--seconds S] [--no-openssl]
 *
 * Times are CPU time of this thread, as `openssl speed` (without
 * -elapsed) uses CPU time too, so the two compare on a busy machine.
 * Prints figures only; it never passes or fails on timing. */
#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/tx.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_bytes(struct wbuf *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wbuf_u8(w, (uint8_t)rng());
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Input kinds: a P2PKH spend (signature and key in the script), a P2WPKH
 * spend (signature and key in the witness), a 2-of-3 P2WSH spend. */
enum spend { SPEND_P2PKH, SPEND_P2WPKH, SPEND_P2WSH };

static void put_witness(struct wbuf *w, enum spend kind)
{
    if (kind == SPEND_P2PKH) {
        wbuf_u8(w, 0);
        return;
    }
    if (kind == SPEND_P2WPKH) {
        wbuf_u8(w, 2);
        wbuf_compact(w, 72);
        random_bytes(w, 72);
        wbuf_compact(w, 33);
        random_bytes(w, 33);
        return;
    }
    wbuf_u8(w, 4); /* empty dummy, two signatures, the 2-of-3 script */
    wbuf_u8(w, 0);
    for (int i = 0; i < 2; i++) {
        wbuf_compact(w, 72);
        random_bytes(w, 72);
    }
    wbuf_compact(w, 105);
    random_bytes(w, 105);
}

/* Appends one transaction of n_in inputs of the given kind, two outputs. */
static void make_tx(struct wbuf *w, size_t n_in, enum spend kind)
{
    bool witness = kind != SPEND_P2PKH;
    wbuf_i32(w, 2);
    if (witness) {
        wbuf_u8(w, 0);
        wbuf_u8(w, 1);
    }
    wbuf_compact(w, n_in);
    for (size_t i = 0; i < n_in; i++) {
        random_bytes(w, 32);
        wbuf_u32(w, (uint32_t)(rng() % 4));
        if (witness) {
            wbuf_u8(w, 0);
        } else {
            wbuf_compact(w, 107); /* <72-byte sig> <33-byte key> */
            random_bytes(w, 107);
        }
        wbuf_u32(w, 0xfffffffd);
    }
    wbuf_compact(w, 2);
    for (int i = 0; i < 2; i++) {
        wbuf_i64(w, (int64_t)(rng() % (TX_COIN * 10)));
        size_t script = i ? 22 : 25; /* P2WPKH and P2PKH outputs */
        wbuf_compact(w, script);
        random_bytes(w, script);
    }
    if (witness)
        for (size_t i = 0; i < n_in; i++)
            put_witness(w, kind);
    wbuf_u32(w, 0);
}

/* About target bytes of transactions: 35% legacy and 45% P2WPKH with 1-3
 * inputs, 10% 2-of-3 P2WSH with 1-2, 10% consolidations of 10-30 inputs. */
static size_t make_mix(struct wbuf *w, size_t target)
{
    size_t count = 0;
    while (w->len < target) {
        unsigned r = (unsigned)(rng() % 100);
        if (r < 35)
            make_tx(w, 1 + rng() % 3, SPEND_P2PKH);
        else if (r < 80)
            make_tx(w, 1 + rng() % 3, SPEND_P2WPKH);
        else if (r < 90)
            make_tx(w, 1 + rng() % 2, SPEND_P2WSH);
        else
            make_tx(w, 10 + rng() % 21, rng() % 2 ? SPEND_P2WPKH : SPEND_P2PKH);
        count++;
    }
    return count;
}

static void bench_parse(double seconds)
{
    struct wbuf w;
    wbuf_init(&w);
    size_t ntx = make_mix(&w, 4u << 20);
    size_t rounds = 0, witness = 0;
    double t0 = cpu_now(), t;
    do {
        struct cursor c;
        cursor_init(&c, w.data, w.len);
        for (size_t i = 0; i < ntx; i++) {
            struct tx *tx = tx_parse(&c, TX_PARSE_WITNESS, NULL);
            if (!tx) {
                fprintf(stderr, "bench: generated transaction %zu does not parse\n", i);
                exit(1);
            }
            witness += tx->has_witness;
            tx_free(tx);
        }
        rounds++;
        t = cpu_now() - t0;
    } while (t < seconds);
    double bytes = (double)w.len * (double)rounds;
    printf("tx parse + txid + wtxid: %zu txs, %.0f bytes average, %.0f%% segwit\n", ntx,
           (double)w.len / (double)ntx, 100.0 * (double)witness / (double)(ntx * rounds));
    printf("  %.1f MB/s, %.0f tx/s (goal: >= 200 MB/s)\n\n", bytes / t / 1e6,
           (double)(ntx * rounds) / t);
    wbuf_free(&w);
}

/* A block of about 1 MB of the same mix: parse, then both merkle roots. */
static void bench_block(double seconds)
{
    struct wbuf txs, blk;
    wbuf_init(&txs);
    wbuf_init(&blk);
    size_t ntx = make_mix(&txs, 1u << 20);
    uint8_t hdr[BLOCK_HEADER_SIZE] = { 1 };
    wbuf_bytes(&blk, hdr, sizeof(hdr));
    wbuf_compact(&blk, ntx);
    wbuf_bytes(&blk, txs.data, txs.len);
    size_t rounds = 0;
    double t0 = cpu_now(), t;
    do {
        struct block *b = block_from_bytes(blk.data, blk.len, NULL);
        if (!b) {
            fprintf(stderr, "bench: generated block does not parse\n");
            exit(1);
        }
        struct hash256 root, wroot;
        bool mutated;
        block_merkle_root(b, &root, &mutated);
        block_witness_merkle_root(b, &wroot);
        block_free(b);
        rounds++;
        t = cpu_now() - t0;
    } while (t < seconds);
    printf("block parse + merkle roots: %zu txs, %zu bytes\n", ntx, blk.len);
    printf("  %.1f MB/s, %.2f ms per block\n\n", (double)blk.len * (double)rounds / t / 1e6,
           t * 1e3 / (double)rounds);
    wbuf_free(&txs);
    wbuf_free(&blk);
}

static const size_t sizes[] = { 64, 256, 1024, 8192, 16384 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* MB/s of hashing len-byte messages, one-shot (single or double). */
static double hash_rate(size_t len, bool twice, double seconds)
{
    uint8_t *buf = xmalloc(len);
    memset(buf, 0x5c, len);
    size_t n = 0;
    double t0 = cpu_now(), t;
    struct hash256 h;
    do {
        for (int i = 0; i < 1000; i++, n++) {
            if (twice)
                hash_sha256d(buf, len, &h);
            else
                hash_sha256(buf, len, h.b);
            buf[0] ^= h.b[0]; /* keep the calls dependent */
        }
        t = cpu_now() - t0;
    } while (t < seconds);
    free(buf);
    return (double)n * (double)len / t / 1e6;
}

/* OpenSSL's own figures for the same sizes, in MB/s; false if it cannot
 * be run. The last line reads "sha256  <16> <64> <256> <1024> <8192>
 * <16384>" in thousands of bytes per second. */
static bool openssl_rates(double out[NSIZES])
{
    FILE *p = popen("openssl speed -evp sha256 -seconds 1 2>/dev/null", "r");
    if (!p)
        return false;
    char line[512];
    bool found = false;
    while (fgets(line, sizeof(line), p)) {
        double v[6];
        if (sscanf(line, "sha256 %lfk %lfk %lfk %lfk %lfk %lfk", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5]) == 6) {
            for (size_t i = 0; i < NSIZES; i++)
                out[i] = v[i + 1] / 1000.0; /* skip the 16-byte column */
            found = true;
        }
    }
    pclose(p);
    return found;
}

static void bench_hash(double seconds, bool with_openssl)
{
    double ossl[NSIZES];
    bool have = with_openssl && openssl_rates(ossl);
    printf("SHA-256 throughput, MB/s (CPU time)\n");
    printf("%8s %12s %12s %14s %10s\n", "bytes", "sha256", "sha256d", "openssl speed",
           "sha256 vs");
    for (size_t i = 0; i < NSIZES; i++) {
        double single = hash_rate(sizes[i], false, seconds);
        double twice = hash_rate(sizes[i], true, seconds);
        if (have)
            printf("%8zu %12.1f %12.1f %14.1f %9.0f%%\n", sizes[i], single, twice, ossl[i],
                   100.0 * single / ossl[i]);
        else
            printf("%8zu %12.1f %12.1f %14s %10s\n", sizes[i], single, twice, "-", "-");
    }
    printf("(sha256d hashes the 32-byte digest again, one more compression per message:\n"
           " 3 instead of 2 for 64 bytes. The like-for-like comparison is sha256 vs openssl.)\n");
    if (!have)
        printf("Compare with: openssl speed -evp sha256 -seconds 1\n");
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    bool with_openssl = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--no-openssl")) {
            with_openssl = false;
        } else {
            fprintf(stderr, "usage: %s [--seconds S] [--no-openssl]\n", argv[0]);
            return 2;
        }
    }
    bench_parse(seconds);
    bench_block(seconds);
    bench_hash(seconds / 2, with_openssl);
    return 0;
}
