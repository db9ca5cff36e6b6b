#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int err_set(char **err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 1 : (size_t)n + 1;
    *err = xmalloc(len);
    if (!*err)
        abort(); /* out of memory, as everywhere in chain/ */
    **err = '\0';
    va_start(ap, fmt);
    vsnprintf(*err, len, fmt, ap);
    va_end(ap);
    return -1;
}
