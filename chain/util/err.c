#include "chain/util/err.h"

#include <stdarg.h>

#include "chain/util/xmalloc.h"

int err_set(char **err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    *err = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}
