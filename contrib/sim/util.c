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

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "hearsay-sim: out of memory (%zu x %zu bytes)\n", n, size);
        exit(2);
    }
    return p;
}

void *sim_xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size) {
        fprintf(stderr, "hearsay-sim: allocation overflow\n");
        exit(2);
    }
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) {
        fprintf(stderr, "hearsay-sim: out of memory (%zu x %zu bytes)\n", n, size);
        exit(2);
    }
    return q;
}
