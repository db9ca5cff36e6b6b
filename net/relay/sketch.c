/* PinSketch: sketches, Berlekamp-Massey and root finding over GF(2^32).
 *
 * Decoding: the 2c power sums S_1..S_2c (even ones are squares of
 * earlier ones) satisfy a linear recurrence whose connection polynomial
 * is prod(1 - x_i X); Berlekamp-Massey finds it, and its reversal
 * prod(X - x_i) must split into distinct linear factors, which holds iff
 * X^(2^32) = X modulo it. Roots come from the Berlekamp trace algorithm:
 * Tr(bX) = sum (bX)^(2^i) takes only the values 0 and 1 on the field, so
 * gcd(f, Tr(bX) mod f) separates the roots by the trace of b * root. The
 * X^(2^i) mod f computed by the splitting check give Tr(bX) mod f for any
 * b at O(32 deg f), and b = 2^k for k = 0..31 (a basis) always separates
 * two distinct roots, so the splitting needs no randomness. */
#include "net/relay/sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain/util/xmalloc.h"
#include "net/relay/sketch_gf.h"

struct sketch {
    size_t cap;
    uint32_t *odd; /* odd[i] = sum of x^(2i+1) */
};

static const struct gf_ops *sketch_gf_forced;

static const struct gf_ops *G(void)
{
    return sketch_gf_forced ? sketch_gf_forced : gf_ops();
}

void sketch_force_portable(bool on)
{
    sketch_gf_forced = on ? gf_ops_portable() : NULL;
}

const char *sketch_impl_name(void)
{
    return G()->name;
}

struct sketch *sketch_new(size_t capacity)
{
    if (capacity == 0 || capacity > SKETCH_MAX_CAPACITY)
        return NULL;
    struct sketch *s = xmalloc(sizeof(*s));
    s->cap = capacity;
    s->odd = xcalloc(capacity, sizeof(uint32_t));
    return s;
}

void sketch_free(struct sketch *s)
{
    if (!s)
        return;
    free(s->odd);
    free(s);
}

size_t sketch_capacity(const struct sketch *s)
{
    return s->cap;
}

void sketch_clear(struct sketch *s)
{
    memset(s->odd, 0, s->cap * sizeof(uint32_t));
}

void sketch_add(struct sketch *s, uint32_t id)
{
    const struct gf_ops *g = G();
    uint32_t sq = gf_mul(g, id, id);
    for (size_t i = 0; i < s->cap; i++) {
        s->odd[i] ^= id;
        id = gf_mul(g, id, sq);
    }
}

/* Column by column over a batch: the products of one power step are
 * independent, so they pipeline where sketch_add's chain cannot. */
#define SKETCH_BATCH 64
void sketch_add_many(struct sketch *s, const uint32_t *ids, size_t n)
{
    const struct gf_ops *g = G();
    uint32_t pw[SKETCH_BATCH], sq[SKETCH_BATCH];
    for (size_t done = 0; done < n; done += SKETCH_BATCH) {
        size_t m = n - done < SKETCH_BATCH ? n - done : SKETCH_BATCH;
        for (size_t j = 0; j < m; j++) {
            pw[j] = ids[done + j];
            sq[j] = gf_mul(g, pw[j], pw[j]);
        }
        for (size_t i = 0; i < s->cap; i++) {
            uint32_t sum = 0;
            for (size_t j = 0; j < m; j++) {
                sum ^= pw[j];
                pw[j] = gf_mul(g, pw[j], sq[j]);
            }
            s->odd[i] ^= sum;
        }
    }
}

void sketch_merge(struct sketch *s, const struct sketch *other)
{
    if (other->cap < s->cap)
        s->cap = other->cap;
    for (size_t i = 0; i < s->cap; i++)
        s->odd[i] ^= other->odd[i];
}

size_t sketch_serialized_size(const struct sketch *s)
{
    return s->cap * SKETCH_ELEM_BYTES;
}

void sketch_serialize(const struct sketch *s, uint8_t *out)
{
    for (size_t i = 0; i < s->cap; i++) {
        uint32_t v = s->odd[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}

void sketch_deserialize(struct sketch *s, const uint8_t *in)
{
    for (size_t i = 0; i < s->cap; i++)
        s->odd[i] = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
                    (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24;
}

size_t sketch_capacity_for(size_t max_elements, unsigned fpbits)
{
    /* A full sketch of random contents decodes (wrongly) when its locator
     * splits into distinct roots: about 1 in max_elements!. Each spare
     * element adds 32 bits of consistency a wrong set must also meet. */
    double have = lgamma((double)max_elements + 1.0) / log(2.0);
    if (have >= (double)fpbits)
        return max_elements;
    return max_elements + (size_t)ceil(((double)fpbits - have) / 32.0);
}

size_t sketch_max_elements(size_t capacity, unsigned fpbits)
{
    size_t m = capacity;
    while (m > 0 && sketch_capacity_for(m, fpbits) > capacity)
        m--;
    return m;
}

/* ---- polynomials: coefficient arrays, lowest degree first ---- */

/* Reduces the unreduced coefficients acc[0..n) modulo the monic f of
 * degree df (f[df] = 1 implied) into r[0..df); the quotient goes to q
 * (room for n - df) if q is not NULL. acc is clobbered. */
static void poly_reduce(const struct gf_ops *g, uint64_t *acc, size_t n, const uint32_t *f,
                        size_t df, uint32_t *r, uint32_t *q)
{
    for (size_t k = n; k-- > df;) {
        uint32_t c = gf_reduce(acc[k]);
        if (q)
            q[k - df] = c;
        g->addmul(acc + k - df, c, f, df);
    }
    for (size_t i = 0; i < df; i++)
        r[i] = i < n ? gf_reduce(acc[i]) : 0;
}

static size_t poly_len(const uint32_t *p, size_t n)
{
    while (n > 0 && p[n - 1] == 0)
        n--;
    return n;
}

/* Scales p (length n, nonzero lead) to monic. */
static void poly_monic(const struct gf_ops *g, uint32_t *p, size_t n)
{
    uint32_t inv = g->inv(p[n - 1]);
    for (size_t i = 0; i < n; i++)
        p[i] = gf_mul(g, p[i], inv);
}

struct poly_work {
    const struct gf_ops *g;
    uint64_t *acc;     /* 2 * deg + 1 */
    uint32_t *a, *b;   /* deg + 1 each, gcd scratch */
};

/* Monic gcd of the monic f (degree df) and t (length < df+1) into out;
 * returns its degree. */
static size_t poly_gcd(struct poly_work *w, const uint32_t *f, size_t df, const uint32_t *t,
                       size_t tn, uint32_t *out)
{
    uint32_t *a = w->a, *b = w->b;
    size_t an = df + 1, bn = poly_len(t, tn);
    memcpy(a, f, an * sizeof(uint32_t));
    memcpy(b, t, bn * sizeof(uint32_t));
    while (bn > 0) {
        poly_monic(w->g, b, bn);
        for (size_t i = 0; i < an; i++)
            w->acc[i] = a[i];
        poly_reduce(w->g, w->acc, an, b, bn - 1, a, NULL);
        uint32_t *tmp = a;
        a = b;
        an = bn;
        b = tmp;
        bn = poly_len(b, an - 1);
    }
    memcpy(out, a, an * sizeof(uint32_t));
    return an - 1;
}

/* Berlekamp-Massey over s[0..n): the shortest connection polynomial c
 * (room n + 1) with c[0] = 1; returns its length L, or -1 once L would
 * exceed max_l. rev, b, t: scratch of n + 1. */
static long sketch_bm(const struct gf_ops *g, const uint32_t *s, size_t n, size_t max_l,
                      uint32_t *c, uint32_t *b, uint32_t *t, uint32_t *rev)
{
    size_t l = 0, lb = 0, shift = 1;
    uint32_t bdisc = 1;
    for (size_t i = 0; i < n; i++)
        rev[i] = s[n - 1 - i];
    memset(c, 0, (n + 1) * sizeof(uint32_t));
    memset(b, 0, (n + 1) * sizeof(uint32_t));
    c[0] = b[0] = 1;
    for (size_t k = 0; k < n; k++) {
        /* s[k - i] for i = 0..l is rev[n - 1 - k + i]. */
        uint32_t d = gf_reduce(g->dot(c, rev + (n - 1 - k), l + 1));
        if (d == 0) {
            shift++;
            continue;
        }
        uint32_t coef = gf_mul(g, d, g->inv(bdisc));
        if (2 * l <= k) {
            size_t nl = k + 1 - l;
            if (nl > max_l)
                return -1;
            memcpy(t, c, (l + 1) * sizeof(uint32_t));
            g->axpy(c + shift, coef, b, lb + 1);
            uint32_t *tmp = b;
            b = t;
            t = tmp;
            lb = l;
            l = nl;
            bdisc = d;
            shift = 1;
        } else {
            g->axpy(c + shift, coef, b, lb + 1);
            shift++;
        }
    }
    return (long)l;
}

struct roots {
    struct poly_work w;
    const uint32_t *f;  /* monic locator, degree deg */
    size_t deg;
    uint32_t *frob;     /* 32 * deg: X^(2^i) mod f */
    uint32_t *trace;    /* 32 * deg: Tr(2^k X) mod f, computed on demand */
    bool have[32];
    uint32_t *out;
    size_t found;
};

/* Squaring modulo f is linear: p^2 = sum p_i^2 X^(2i), and only the
 * terms with 2i >= deg need reducing, by rows X^(2i) mod f computed once.
 * That halves the work of reducing p^2 term by term. */
#define ROOTS_ROWS_MAX_DEG 1024
static uint32_t *roots_square_rows(struct roots *r)
{
    size_t d = r->deg, h = (d + 1) / 2;
    uint32_t *rows = xmalloc((d - h + 1) * d * sizeof(uint32_t));
    /* Start from X^(2h - 2) (< d, a monomial), multiply by X^2 each row. */
    uint32_t *prev = rows + (d - h) * d;
    memset(prev, 0, d * sizeof(uint32_t));
    prev[2 * h - 2] = 1;
    for (size_t i = h; i < d; i++) {
        memset(r->w.acc, 0, 2 * sizeof(uint64_t));
        for (size_t j = 0; j < d; j++)
            r->w.acc[j + 2] = prev[j];
        prev = rows + (i - h) * d;
        poly_reduce(r->w.g, r->w.acc, d + 2, r->f, d, prev, NULL);
    }
    return rows;
}

static void roots_square(struct roots *r, const uint32_t *rows, const uint32_t *p, uint32_t *out)
{
    size_t d = r->deg, h = (d + 1) / 2;
    uint64_t *acc = r->w.acc;
    for (size_t j = 0; j < 2 * d - 1; j++)
        acc[j] = 0;
    for (size_t j = 0; j < d; j++) {
        uint64_t sq = r->w.g->clmul(p[j], p[j]);
        if (!rows || j < h)
            acc[2 * j] = sq;
        else
            r->w.g->addmul(acc, gf_reduce(sq), rows + (j - h) * d, d);
    }
    poly_reduce(r->w.g, acc, rows ? d : 2 * d - 1, r->f, d, out, NULL);
}

/* X^(2^i) mod f for i < 32; false unless X^(2^32) = X mod f, i.e. unless
 * f splits into distinct linear factors. */
static bool roots_frobenius(struct roots *r)
{
    size_t d = r->deg;
    uint32_t *rows = d <= ROOTS_ROWS_MAX_DEG ? roots_square_rows(r) : NULL;
    memset(r->frob, 0, d * sizeof(uint32_t));
    r->frob[1] = 1;
    for (int i = 1; i < 32; i++)
        roots_square(r, rows, r->frob + (size_t)(i - 1) * d, r->frob + (size_t)i * d);
    uint32_t *last = r->w.a;
    roots_square(r, rows, r->frob + (size_t)31 * d, last);
    free(rows);
    return last[0] == 0 && last[1] == 1 && poly_len(last, d) == 2;
}

static const uint32_t *roots_trace(struct roots *r, int k)
{
    size_t d = r->deg;
    uint32_t *t = r->trace + (size_t)k * d;
    if (r->have[k])
        return t;
    memset(r->w.acc, 0, d * sizeof(uint64_t));
    uint32_t b = (uint32_t)1 << k;
    for (int i = 0; i < 32; i++) {
        r->w.g->addmul(r->w.acc, b, r->frob + (size_t)i * d, d);
        b = gf_mul(r->w.g, b, b);
    }
    for (size_t j = 0; j < d; j++)
        t[j] = gf_reduce(r->w.acc[j]);
    r->have[k] = true;
    return t;
}

/* Splits the monic h (degree m, a divisor of f) into its roots. */
static int roots_split(struct roots *r, const uint32_t *h, size_t m, int k)
{
    if (m == 1) {
        r->out[r->found++] = h[0];
        return 0;
    }
    uint32_t *buf = xmalloc((3 * m + 2) * sizeof(uint32_t));
    uint32_t *tm = buf, *gcd = buf + m, *quot = buf + 2 * m + 1;
    int ret = -1;
    for (int tries = 0; tries < 32; tries++, k = (k + 1) & 31) {
        const uint32_t *t = roots_trace(r, k);
        for (size_t j = 0; j < r->deg; j++)
            r->w.acc[j] = t[j];
        poly_reduce(r->w.g, r->w.acc, r->deg, h, m, tm, NULL);
        size_t dg = poly_gcd(&r->w, h, m, tm, m, gcd);
        if (dg == 0 || dg == m)
            continue;
        for (size_t j = 0; j <= m; j++)
            r->w.acc[j] = h[j];
        poly_reduce(r->w.g, r->w.acc, m + 1, gcd, dg, tm, quot);
        int next = (k + 1) & 31;
        ret = roots_split(r, gcd, dg, next) == 0 && roots_split(r, quot, m - dg, next) == 0 ? 0 : -1;
        break;
    }
    free(buf);
    return ret;
}

/* The distinct roots of the monic f of degree d >= 2 into out, or -1. */
static int sketch_find_roots(const struct gf_ops *g, const uint32_t *f, size_t d, uint32_t *out)
{
    struct roots r = {.w.g = g, .f = f, .deg = d, .out = out};
    r.w.acc = xmalloc((2 * d + 1) * sizeof(uint64_t));
    r.w.a = xmalloc((d + 1) * sizeof(uint32_t));
    r.w.b = xmalloc((d + 1) * sizeof(uint32_t));
    r.frob = xmalloc(32 * d * sizeof(uint32_t));
    r.trace = xmalloc(32 * d * sizeof(uint32_t));
    int ret = -1;
    if (roots_frobenius(&r))
        ret = roots_split(&r, f, d, 0) == 0 && r.found == d ? 0 : -1;
    free(r.w.acc);
    free(r.w.a);
    free(r.w.b);
    free(r.frob);
    free(r.trace);
    return ret;
}

/* True if the ids reproduce s exactly. */
static bool sketch_matches(const struct sketch *s, const uint32_t *ids, size_t n)
{
    struct sketch *chk = sketch_new(s->cap);
    sketch_add_many(chk, ids, n);
    bool same = memcmp(chk->odd, s->odd, s->cap * sizeof(uint32_t)) == 0;
    sketch_free(chk);
    return same;
}

int sketch_decode(const struct sketch *s, size_t max_count, uint32_t *out)
{
    const struct gf_ops *g = G();
    size_t n = 2 * s->cap;
    if (max_count > s->cap)
        max_count = s->cap;
    uint32_t *buf = xmalloc((6 * n + 6) * sizeof(uint32_t));
    uint32_t *syn = buf, *c = buf + n, *b = c + n + 1, *t = b + n + 1, *rev = t + n + 1;
    uint32_t *f = rev + n + 1;
    /* S_(2i+1) is stored; S_(2i) = S_i^2. */
    for (size_t i = 0; i < s->cap; i++) {
        syn[2 * i] = s->odd[i];
        syn[2 * i + 1] = gf_mul(g, syn[i], syn[i]);
    }
    long l = sketch_bm(g, syn, n, max_count, c, b, t, rev);
    int ret = -1;
    if (l == 0) {
        ret = 0;
    } else if (l > 0 && c[l] != 0) {
        /* Reversing prod(1 - x_i X) gives prod(X - x_i), monic. */
        for (long k = 0; k <= l; k++)
            f[k] = c[l - k];
        if (l == 1)
            out[0] = f[0];
        if ((l == 1 || sketch_find_roots(g, f, (size_t)l, out) == 0) &&
            sketch_matches(s, out, (size_t)l))
            ret = (int)l;
    }
    free(buf);
    return ret;
}
