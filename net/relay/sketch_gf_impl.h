/* Template for one implementation of struct gf_ops: sketch_gf.c includes
 * it once per multiplier, with GF_SUFFIX, GF_ATTR, GF_CLMUL(a, b),
 * GF_PREP(name, c) (declares a multiplier fixed to c) and GF_PMUL(name, x)
 * defined. */
#define GF_CAT_(a, b) a##b
#define GF_CAT(a, b) GF_CAT_(a, b)
#define GF_FN(name) GF_CAT(name, GF_SUFFIX)

GF_ATTR static uint64_t GF_FN(gf_clmul_)(uint32_t a, uint32_t b)
{
    return GF_CLMUL(a, b);
}

GF_ATTR static void GF_FN(gf_addmul_)(uint64_t *acc, uint32_t c, const uint32_t *src, size_t n)
{
    if (c == 0)
        return;
    GF_PREP(m, c);
    for (size_t i = 0; i < n; i++)
        acc[i] ^= GF_PMUL(m, src[i]);
}

GF_ATTR static void GF_FN(gf_axpy_)(uint32_t *dst, uint32_t c, const uint32_t *src, size_t n)
{
    if (c == 0)
        return;
    GF_PREP(m, c);
    for (size_t i = 0; i < n; i++)
        dst[i] ^= gf_reduce(GF_PMUL(m, src[i]));
}

GF_ATTR static uint64_t GF_FN(gf_dot_)(const uint32_t *a, const uint32_t *b, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s ^= GF_CLMUL(a[i], b[i]);
    return s;
}

/* a^(2^32 - 2) by an addition chain on the exponents 2^k - 1:
 * 31 squarings and 7 multiplications. */
GF_ATTR static uint32_t GF_FN(gf_sqr_n_)(uint32_t a, int n)
{
    while (n-- > 0)
        a = gf_reduce(GF_CLMUL(a, a));
    return a;
}

GF_ATTR static uint32_t GF_FN(gf_inv_)(uint32_t a)
{
#define GF_M(x, y) gf_reduce(GF_CLMUL((x), (y)))
    uint32_t x2 = GF_M(GF_FN(gf_sqr_n_)(a, 1), a);    /* 2^2 - 1 */
    uint32_t x3 = GF_M(GF_FN(gf_sqr_n_)(x2, 1), a);   /* 2^3 - 1 */
    uint32_t x6 = GF_M(GF_FN(gf_sqr_n_)(x3, 3), x3);
    uint32_t x12 = GF_M(GF_FN(gf_sqr_n_)(x6, 6), x6);
    uint32_t x24 = GF_M(GF_FN(gf_sqr_n_)(x12, 12), x12);
    uint32_t x30 = GF_M(GF_FN(gf_sqr_n_)(x24, 6), x6);
    uint32_t x31 = GF_M(GF_FN(gf_sqr_n_)(x30, 1), a);
#undef GF_M
    return GF_FN(gf_sqr_n_)(x31, 1);                  /* 2^32 - 2 */
}

static const struct gf_ops GF_FN(gf_table_) = {
    .name = GF_NAME,
    .clmul = GF_FN(gf_clmul_),
    .addmul = GF_FN(gf_addmul_),
    .axpy = GF_FN(gf_axpy_),
    .dot = GF_FN(gf_dot_),
    .inv = GF_FN(gf_inv_),
};

#undef GF_FN
#undef GF_CAT
#undef GF_CAT_
