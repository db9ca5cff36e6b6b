/* Core's ParseFixedPoint: the digits go into a mantissa (trailing zeros
 * counted apart, so "1.10000000000000000" does not overflow) and a decimal
 * exponent; the value must land on a whole multiple of 10^-decimals. */
#include "chain/util/fixedpoint.h"

#define FIXEDPOINT_UPPER_BOUND (1000000000000000000LL - 1)

struct fp_state {
    const char *p, *end;
    int64_t mantissa;
    int tzeros; /* zeros not yet multiplied into the mantissa */
};

static bool is_digit(const struct fp_state *st)
{
    return st->p < st->end && *st->p >= '0' && *st->p <= '9';
}

static bool take_digit(struct fp_state *st)
{
    char c = *st->p++;
    if (c == '0') {
        st->tzeros++;
        return true;
    }
    for (int i = 0; i <= st->tzeros; i++) {
        if (st->mantissa > FIXEDPOINT_UPPER_BOUND / 10)
            return false;
        st->mantissa *= 10;
    }
    st->mantissa += c - '0';
    st->tzeros = 0;
    return true;
}

/* The exponent after 'e' or 'E'; false when digits are missing or it
 * overflows. */
static bool take_exponent(struct fp_state *st, int64_t *exp)
{
    bool neg = false;
    if (st->p < st->end && (*st->p == '+' || *st->p == '-'))
        neg = *st->p++ == '-';
    if (!is_digit(st))
        return false;
    for (*exp = 0; is_digit(st); st->p++) {
        if (*exp > FIXEDPOINT_UPPER_BOUND / 10)
            return false;
        *exp = *exp * 10 + (*st->p - '0');
    }
    if (neg)
        *exp = -*exp;
    return true;
}

bool fixedpoint_parse(const char *s, size_t len, int decimals, int64_t *out)
{
    struct fp_state st = { s, s + len, 0, 0 };
    bool neg = st.p < st.end && *st.p == '-';
    int64_t point_ofs = 0, exp = 0;
    st.p += neg;
    if (!is_digit(&st))
        return false; /* empty, a lone '-', or no leading digit */
    if (*st.p == '0')
        st.p++; /* a single leading zero */
    else
        while (is_digit(&st))
            if (!take_digit(&st))
                return false;
    if (st.p < st.end && *st.p == '.') {
        st.p++;
        if (!is_digit(&st))
            return false;
        for (; is_digit(&st); point_ofs++)
            if (!take_digit(&st))
                return false;
    }
    if (st.p < st.end && (*st.p == 'e' || *st.p == 'E')) {
        st.p++;
        if (!take_exponent(&st, &exp))
            return false;
    }
    if (st.p != st.end)
        return false; /* trailing garbage */
    exp += st.tzeros - point_ofs + decimals;
    if (exp < 0 || exp >= 18)
        return false; /* below 10^-decimals, or at least 10^(18-decimals) */
    int64_t m = st.mantissa;
    for (int64_t i = 0; i < exp; i++) {
        if (m > FIXEDPOINT_UPPER_BOUND / 10)
            return false;
        m *= 10;
    }
    if (m > FIXEDPOINT_UPPER_BOUND)
        return false;
    if (out)
        *out = neg ? -m : m;
    return true;
}
