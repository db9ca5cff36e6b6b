/* Small helpers shared by the simulator's modules. */
#ifndef HEARSAY_SIM_UTIL_H
#define HEARSAY_SIM_UTIL_H

#include <stddef.h>

/* Sets *err (if err is non-NULL) to a malloc'd formatted message. */
void sim_set_err(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
