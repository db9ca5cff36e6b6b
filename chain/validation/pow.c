#include "chain/validation/pow.h"

#include <stdio.h>
#include <string.h>

void u256_zero(struct u256 *a)
{
    memset(a, 0, sizeof(*a));
}

void u256_set_u64(struct u256 *a, uint64_t v)
{
    u256_zero(a);
    a->w[0] = (uint32_t)v;
    a->w[1] = (uint32_t)(v >> 32);
}

bool u256_is_zero(const struct u256 *a)
{
    for (int i = 0; i < 8; i++)
        if (a->w[i])
            return false;
    return true;
}

int u256_cmp(const struct u256 *a, const struct u256 *b)
{
    for (int i = 7; i >= 0; i--) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

void u256_add(struct u256 *a, const struct u256 *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t s = (uint64_t)a->w[i] + b->w[i] + carry;
        a->w[i] = (uint32_t)s;
        carry = s >> 32;
    }
}

void u256_sub(struct u256 *a, const struct u256 *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
        a->w[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
}

void u256_shl(struct u256 *a, unsigned n)
{
    struct u256 r;
    u256_zero(&r);
    unsigned words = n / 32, bits = n % 32;
    for (int i = 7; i >= 0 && n < 256; i--) {
        int src = i - (int)words;
        if (src < 0)
            break;
        r.w[i] = a->w[src] << bits;
        if (bits && src > 0)
            r.w[i] |= a->w[src - 1] >> (32 - bits);
    }
    *a = r;
}

void u256_shr(struct u256 *a, unsigned n)
{
    struct u256 r;
    u256_zero(&r);
    unsigned words = n / 32, bits = n % 32;
    for (unsigned i = 0; i < 8 && n < 256; i++) {
        unsigned src = i + words;
        if (src > 7)
            break;
        r.w[i] = a->w[src] >> bits;
        if (bits && src < 7)
            r.w[i] |= a->w[src + 1] << (32 - bits);
    }
    *a = r;
}

void u256_mul_u32(struct u256 *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t p = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)p;
        carry = p >> 32;
    }
}

unsigned u256_bits(const struct u256 *a)
{
    for (int i = 7; i >= 0; i--) {
        if (a->w[i])
            return (unsigned)(32 * i + 32 - __builtin_clz(a->w[i]));
    }
    return 0;
}

/* Shift-and-subtract long division: only used for work (cached by bits)
 * and retargeting, so simplicity beats speed. */
void u256_div(const struct u256 *a, const struct u256 *b, struct u256 *q)
{
    struct u256 num = *a, div = *b;
    u256_zero(q);
    unsigned nb = u256_bits(&num), db = u256_bits(&div);
    if (db == 0 || nb < db)
        return;
    int shift = (int)(nb - db);
    u256_shl(&div, (unsigned)shift);
    for (; shift >= 0; shift--) {
        if (u256_cmp(&num, &div) >= 0) {
            u256_sub(&num, &div);
            q->w[shift / 32] |= 1u << (shift % 32);
        }
        u256_shr(&div, 1);
    }
}

void u256_from_hash(struct u256 *a, const struct hash256 *h)
{
    for (int i = 0; i < 8; i++)
        a->w[i] = ser_le32(h->b + 4 * i);
}

void u256_to_hash(const struct u256 *a, struct hash256 *h)
{
    for (int i = 0; i < 8; i++)
        ser_put_le32(h->b + 4 * i, a->w[i]);
}

void u256_to_hex(const struct u256 *a, char out[65])
{
    char *p = out;
    bool started = false;
    for (int i = 7; i >= 0; i--) {
        if (!started && a->w[i] == 0)
            continue;
        p += sprintf(p, started ? "%08x" : "%x", a->w[i]);
        started = true;
    }
    if (!started)
        strcpy(out, "0");
}

void pow_bits_to_target(uint32_t bits, struct u256 *target, bool *negative, bool *overflow)
{
    unsigned size = bits >> 24;
    uint32_t word = bits & 0x007fffff;
    if (size <= 3) {
        /* The shifted word also decides sign and overflow, as in Core. */
        word >>= 8 * (3 - size);
        u256_set_u64(target, word);
    } else {
        u256_set_u64(target, word);
        u256_shl(target, 8 * (size - 3));
    }
    if (negative)
        *negative = word != 0 && (bits & 0x00800000) != 0;
    if (overflow)
        *overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) ||
                                  (word > 0xffff && size > 32));
}

uint32_t pow_target_to_bits(const struct u256 *target)
{
    unsigned size = (u256_bits(target) + 7) / 8;
    uint32_t compact;
    struct u256 t = *target;
    if (size <= 3) {
        compact = t.w[0] << (8 * (3 - size));
    } else {
        u256_shr(&t, 8 * (size - 3));
        compact = t.w[0];
    }
    /* The mantissa's top bit is the sign: move it into the exponent. */
    if (compact & 0x00800000) {
        compact >>= 8;
        size++;
    }
    return compact | (uint32_t)size << 24;
}

void pow_work(uint32_t bits, struct u256 *work)
{
    struct u256 target, one, num;
    bool neg, ovf;
    pow_bits_to_target(bits, &target, &neg, &ovf);
    u256_zero(work);
    if (neg || ovf || u256_is_zero(&target))
        return;
    /* 2^256 / (t + 1) == ~t / (t + 1) + 1, which fits in 256 bits. */
    for (int i = 0; i < 8; i++)
        num.w[i] = ~target.w[i];
    u256_set_u64(&one, 1);
    u256_add(&target, &one);
    u256_div(&num, &target, work);
    u256_add(work, &one);
}

bool pow_check(const struct hash256 *hash, uint32_t bits, const struct chain_params *p)
{
    struct u256 target, limit, h;
    bool neg, ovf;
    pow_bits_to_target(bits, &target, &neg, &ovf);
    u256_from_hash(&limit, &p->pow_limit);
    if (neg || ovf || u256_is_zero(&target) || u256_cmp(&target, &limit) > 0)
        return false;
    u256_from_hash(&h, hash);
    return u256_cmp(&h, &target) <= 0;
}

static int64_t pow_interval(const struct chain_params *p)
{
    return p->pow_target_timespan / p->pow_target_spacing;
}

/* bits scaled by span / timespan, capped at the limit, in compact form. */
static uint32_t pow_scaled_bits(const struct chain_params *p, uint32_t bits, int64_t span)
{
    struct u256 target, limit, q, tspan;
    pow_bits_to_target(bits, &target, NULL, NULL);
    u256_mul_u32(&target, (uint32_t)span);
    u256_set_u64(&tspan, (uint64_t)p->pow_target_timespan);
    u256_div(&target, &tspan, &q);
    u256_from_hash(&limit, &p->pow_limit);
    if (u256_cmp(&q, &limit) > 0)
        q = limit;
    return pow_target_to_bits(&q);
}

/* Retarget at a period boundary from the period's first block time. */
static uint32_t pow_retarget(const struct chain_params *p, const struct pow_block *last,
                             const struct pow_block *first)
{
    int64_t span = (int64_t)last->time - (int64_t)first->time;
    if (span < p->pow_target_timespan / 4)
        span = p->pow_target_timespan / 4;
    if (span > p->pow_target_timespan * 4)
        span = p->pow_target_timespan * 4;
    /* BIP94: the first block of a period never uses the min-difficulty
     * exception, so its bits carry the real difficulty. */
    return pow_scaled_bits(p, p->enforce_bip94 ? first->bits : last->bits, span);
}

bool pow_transition_permitted(const struct chain_params *p, int height, uint32_t old_bits,
                              uint32_t new_bits)
{
    if (p->pow_allow_min_difficulty)
        return true;
    if (height % pow_interval(p) != 0)
        return old_bits == new_bits;
    struct u256 observed, easiest, hardest;
    pow_bits_to_target(new_bits, &observed, NULL, NULL);
    pow_bits_to_target(pow_scaled_bits(p, old_bits, p->pow_target_timespan * 4), &easiest, NULL,
                       NULL);
    pow_bits_to_target(pow_scaled_bits(p, old_bits, p->pow_target_timespan / 4), &hardest, NULL,
                       NULL);
    return u256_cmp(&observed, &easiest) <= 0 && u256_cmp(&observed, &hardest) >= 0;
}

uint32_t pow_next_bits(const struct chain_params *p, const struct pow_block *last, uint32_t new_time,
                       pow_ancestor_fn ancestor, void *ctx)
{
    int64_t interval = pow_interval(p);
    /* Without retargeting every valid block carries the limit's bits, so
     * the min-difficulty rules below could only ever give these. */
    if (p->pow_no_retargeting)
        return last->bits;
    if ((last->height + 1) % interval != 0) {
        if (!p->pow_allow_min_difficulty)
            return last->bits;
        if ((int64_t)new_time > (int64_t)last->time + p->pow_target_spacing * 2)
            return p->pow_limit_bits;
        /* The bits of the last block not mined under the 20-minute rule. */
        struct pow_block walk = *last;
        while (walk.height > 0 && walk.height % interval != 0 && walk.bits == p->pow_limit_bits) {
            if (!ancestor(ctx, walk.height - 1, &walk))
                break;
        }
        return walk.bits;
    }
    struct pow_block first;
    int first_height = last->height - (int)(interval - 1);
    if (first_height < 0 || !ancestor(ctx, first_height, &first))
        return last->bits;
    return pow_retarget(p, last, &first);
}
