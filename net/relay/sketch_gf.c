/* GF(2^32) multipliers: a portable 4-bit window one and PCLMULQDQ. */
#include "net/relay/sketch_gf.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GF_HAVE_PCLMUL 1
#include <wmmintrin.h>
#endif

/* a * n for every 4-bit n: a 64-bit product is then 8 lookups. */
struct gf_window {
    uint64_t t[16];
};

static inline void gf_window_init(struct gf_window *w, uint32_t a)
{
    w->t[0] = 0;
    w->t[1] = a;
    for (int i = 2; i < 16; i += 2) {
        w->t[i] = w->t[i / 2] << 1;
        w->t[i + 1] = w->t[i] ^ a;
    }
}

static inline uint64_t gf_window_mul(const struct gf_window *w, uint32_t b)
{
    uint64_t r = 0;
    for (int s = 28; s >= 0; s -= 4)
        r = (r << 4) ^ w->t[(b >> s) & 15];
    return r;
}

static inline uint64_t gf_clmul_window(uint32_t a, uint32_t b)
{
    struct gf_window w;
    gf_window_init(&w, a);
    return gf_window_mul(&w, b);
}

#define GF_SUFFIX portable
#define GF_NAME "portable"
#define GF_ATTR
#define GF_CLMUL(a, b) gf_clmul_window((a), (b))
#define GF_PREP(name, c) struct gf_window name; gf_window_init(&name, (c))
#define GF_PMUL(name, x) gf_window_mul(&name, (x))
#include "net/relay/sketch_gf_impl.h"
#undef GF_SUFFIX
#undef GF_NAME
#undef GF_ATTR
#undef GF_CLMUL
#undef GF_PREP
#undef GF_PMUL

#ifdef GF_HAVE_PCLMUL
__attribute__((target("pclmul,sse2")))
static inline uint64_t gf_pclmul(uint32_t a, uint32_t b)
{
    __m128i p = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b), 0);
    return (uint64_t)_mm_cvtsi128_si64(p);
}

#define GF_SUFFIX pclmul
#define GF_NAME "pclmul"
#define GF_ATTR __attribute__((target("pclmul,sse2")))
#define GF_CLMUL(a, b) gf_pclmul((a), (b))
#define GF_PREP(name, c) uint32_t name = (c)
#define GF_PMUL(name, x) gf_pclmul(name, (x))
#include "net/relay/sketch_gf_impl.h"
#endif

const struct gf_ops *gf_ops_portable(void)
{
    return &gf_table_portable;
}

const struct gf_ops *gf_ops(void)
{
#ifdef GF_HAVE_PCLMUL
    if (__builtin_cpu_supports("pclmul"))
        return &gf_table_pclmul;
#endif
    return &gf_table_portable;
}
