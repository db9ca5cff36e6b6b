#include "contrib/sim/netmodel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chain/util/err.h"

int sim_netmodel_parse(const char *text, struct sim_netmodel *out, char **err)
{
    double a = 0, b = 0;
    char tail;
    double loss = out->loss;
    uint64_t salt = out->salt;
    memset(out, 0, sizeof(*out));
    out->loss = loss;
    out->salt = salt;
    if (sscanf(text, "const:%lf%c", &a, &tail) == 1 && a >= 0) {
        out->kind = SIM_LAT_CONSTANT;
        out->a = a * 1000;
    } else if (sscanf(text, "uniform:%lf:%lf%c", &a, &b, &tail) == 2 && a >= 0 && b >= a) {
        out->kind = SIM_LAT_UNIFORM;
        out->a = a * 1000;
        out->b = b * 1000;
    } else if (sscanf(text, "lognormal:%lf:%lf%c", &a, &b, &tail) == 2 && a > 0 && b >= 0) {
        out->kind = SIM_LAT_LOGNORMAL;
        out->a = a * 1000;
        out->b = b;
    } else {
        err_set(err, "bad latency '%s' (const:MS, uniform:MS:MS, lognormal:MEDIAN_MS:SIGMA)", text);
        return -1;
    }
    return 0;
}

/* A standard normal drawn from the link's hash (order-independent: the
 * link a-b has one latency both ways). */
static double link_normal(uint64_t salt, uint32_t a, uint32_t b)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    struct sim_rng r;
    sim_rng_seed(&r, sim_mix64(salt ^ (lo << 32 | hi)));
    return sim_rng_normal(&r);
}

uint64_t sim_netmodel_latency(const struct sim_netmodel *m, uint32_t a, uint32_t b,
                              struct sim_rng *rng)
{
    double us;
    switch (m->kind) {
    case SIM_LAT_UNIFORM:
        us = m->a + (m->b - m->a) * sim_rng_double(rng);
        break;
    case SIM_LAT_LOGNORMAL:
        us = m->a * exp(m->b * link_normal(m->salt, a, b));
        break;
    default:
        us = m->a;
        break;
    }
    return us < 1 ? 1 : (uint64_t)us;
}

bool sim_netmodel_drop(const struct sim_netmodel *m, struct sim_rng *rng)
{
    return m->loss > 0 && sim_rng_double(rng) < m->loss;
}
