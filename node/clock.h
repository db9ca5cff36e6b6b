/* The node's clock, which setmocktime can freeze (regtest only), as
 * Bitcoin Core's GetTime/NodeClock: while a mock time is set, node_now()
 * returns it, and node_now_mono_us() stands still at the matching point of
 * the monotonic clock, so timers driven by it move only when the mock time
 * is moved. Process-wide, like Core's. */
#ifndef HEARSAY_NODE_CLOCK_H
#define HEARSAY_NODE_CLOCK_H

#include <stdint.h>

/* Unix seconds: the mock time when set, else the system clock. */
int64_t node_now(void);
/* Monotonic microseconds, never going backwards: while a mock time is set,
 * the monotonic time at which it was set plus how far the mock time has
 * been moved since. */
int64_t node_now_mono_us(void);
/* 0 turns mocking off. */
void node_set_mocktime(int64_t t);
/* The mock time, or 0. */
int64_t node_mocktime(void);

/* Arms a libevent timer delay_us from the real now. libevent counts from
 * the time it read when the loop's turn began: after a long callback, a
 * timer armed "now" would be due before timers that fell due during the
 * callback and would run ahead of them, the loop's pause growing by one
 * more callback. */
struct event;
void node_timer_add(struct event *ev, int64_t delay_us);

#endif
