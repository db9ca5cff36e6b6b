#include "node/clock.h"

#include <event2/event.h>
#include <time.h>

#define SEC 1000000LL

static int64_t mock;         /* unix seconds; 0: off */
static int64_t mock_base;    /* the first mock time of this run of mocking */
static int64_t mono_base;    /* the monotonic time when it was set (us) */
static int64_t mono_last;    /* the last value handed out (us) */

static int64_t real_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

int64_t node_now(void)
{
    return mock ? mock : (int64_t)time(NULL);
}

int64_t node_now_mono_us(void)
{
    int64_t t = mock ? mono_base + (mock - mock_base) * SEC : real_mono_us();
    /* Timers must not run backwards when the mock time is moved back or
     * turned off after being moved ahead: hold until real time catches up. */
    if (t < mono_last)
        t = mono_last;
    mono_last = t;
    return t;
}

void node_set_mocktime(int64_t t)
{
    if (t && !mock) {
        mock_base = t;
        mono_base = node_now_mono_us();
    }
    mock = t;
}

int64_t node_mocktime(void)
{
    return mock;
}

void node_timer_add(struct event *ev, int64_t delay_us)
{
    struct timeval tv = {.tv_sec = delay_us / SEC, .tv_usec = delay_us % SEC};
    event_base_update_cache_time(event_get_base(ev));
    evtimer_add(ev, &tv);
}
