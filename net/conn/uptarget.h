/* Bitcoin Core's -maxuploadtarget: bytes sent in a 24-hour cycle against
 * a target (CConnman's RecordBytesSent, OutboundTargetReached,
 * GetOutboundTargetBytesLeft and GetMaxOutboundTimeLeftInCycle). Pure
 * accounting: the caller passes the time (unix seconds, the node's clock,
 * which setmocktime moves as Core's GetTime). */
#ifndef HEARSAY_NET_UPTARGET_H
#define HEARSAY_NET_UPTARGET_H

#include <stdbool.h>
#include <stdint.h>

#define UPTARGET_TIMEFRAME (24 * 3600) /* MAX_UPLOAD_TIMEFRAME, seconds */
/* Core's reserve for relaying new blocks: one MAX_BLOCK_SERIALIZED_SIZE
 * block per 10 minutes left in the cycle is kept from historical blocks. */
#define UPTARGET_BLOCK_BYTES 4000000
#define UPTARGET_BLOCK_INTERVAL 600

struct uptarget {
    uint64_t limit;       /* bytes per cycle; 0: no target */
    int64_t cycle_start;  /* unix seconds; 0: nothing sent yet */
    uint64_t sent;        /* bytes in the cycle */
};

void uptarget_init(struct uptarget *u, uint64_t limit);
/* Counts bytes sent; a cycle over for more than its timeframe starts
 * a new one at now. */
void uptarget_record(struct uptarget *u, uint64_t bytes, int64_t now);
/* The target is reached (historical: its part for historical blocks,
 * what is left once the reserve for new blocks is set aside). */
bool uptarget_reached(const struct uptarget *u, bool historical, int64_t now);
uint64_t uptarget_bytes_left(const struct uptarget *u);
/* Seconds to the end of the cycle (the whole timeframe before the first
 * byte, 0 without a target). */
int64_t uptarget_time_left(const struct uptarget *u, int64_t now);
/* Core's ParseByteUnits: digits and an optional unit, k/m/g/t powers of
 * 1000, K/M/G/T powers of 1024; no unit means MiB. -1 on anything else
 * or overflow. */
int uptarget_parse(const char *s, uint64_t *out);

#endif
