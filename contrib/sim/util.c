#define _GNU_SOURCE /* vasprintf */
#include "contrib/sim/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void sim_set_err(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
}

