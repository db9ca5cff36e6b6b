/* -maxuploadtarget accounting (see uptarget.h). */
#include "net/conn/uptarget.h"

#include <string.h>

void uptarget_init(struct uptarget *u, uint64_t limit)
{
    memset(u, 0, sizeof(*u));
    u->limit = limit;
}

void uptarget_record(struct uptarget *u, uint64_t bytes, int64_t now)
{
    if (u->cycle_start + UPTARGET_TIMEFRAME < now) {
        u->cycle_start = now;
        u->sent = 0;
    }
    u->sent += bytes;
}

int64_t uptarget_time_left(const struct uptarget *u, int64_t now)
{
    if (u->limit == 0)
        return 0;
    if (u->cycle_start == 0)
        return UPTARGET_TIMEFRAME;
    int64_t end = u->cycle_start + UPTARGET_TIMEFRAME;
    return end < now ? 0 : end - now;
}

bool uptarget_reached(const struct uptarget *u, bool historical, int64_t now)
{
    if (u->limit == 0)
        return false;
    if (!historical)
        return u->sent >= u->limit;
    uint64_t reserve = (uint64_t)(uptarget_time_left(u, now) / UPTARGET_BLOCK_INTERVAL) *
                       UPTARGET_BLOCK_BYTES;
    return reserve >= u->limit || u->sent >= u->limit - reserve;
}

uint64_t uptarget_bytes_left(const struct uptarget *u)
{
    if (u->limit == 0 || u->sent >= u->limit)
        return 0;
    return u->limit - u->sent;
}

int uptarget_parse(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    uint64_t unit = 1u << 20;
    static const char units[] = "kKmMgGtT";
    const char *u = n ? strchr(units, s[n - 1]) : NULL;
    if (u && *u) {
        int power = (int)(u - units) / 2 + 1;
        bool binary = (u - units) % 2;
        unit = 1;
        for (int i = 0; i < power; i++)
            unit *= binary ? 1024 : 1000;
        n--;
    }
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    /* Past INT64_MAX bytes the RPC's signed figures would turn negative. */
    if (v > (uint64_t)INT64_MAX / unit)
        return -1;
    *out = v * unit;
    return 0;
}
