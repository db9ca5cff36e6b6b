#include "node/util.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>

char *util_vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    size_t len = n < 0 ? 1 : (size_t)n + 1;
    char *s = xmalloc(len);
    *s = '\0';
    vsnprintf(s, len, fmt, ap);
    return s;
}

char *util_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = util_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

int util_fail(char **err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        *err = util_vasprintf(fmt, ap);
        va_end(ap);
    }
    return -1;
}

char *util_path_join(const char *dir, const char *name)
{
    return util_asprintf("%s/%s", dir, name);
}
