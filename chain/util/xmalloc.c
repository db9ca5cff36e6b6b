#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__) /* known once a C library header is in */
#include <malloc.h>
#endif

/* Written without allocating: the logger itself may need memory. */
static void __attribute__((noreturn)) oom(const char *what, size_t n)
{
    char line[96];
    int len = snprintf(line, sizeof(line), "Error: out of memory in %s (%zu bytes); aborting\n", what, n);
    if (len > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
        (void)w;
    }
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom("malloc", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        oom("calloc", (size_t)-1);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom("calloc", n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom("realloc", n);
    return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        oom("realloc", (size_t)-1);
    return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *xvasprintf(const char *fmt, va_list ap)
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

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void xmalloc_tune(void)
{
#if defined(__GLIBC__) && defined(M_MXFAST)
    mallopt(M_MXFAST, 0);
    /* A heap grows and shrinks at its top in steps of 128 KiB by default,
     * each a brk or mprotect call holding the process's memory map lock
     * for writing, behind any other thread's page fault, mmap or madvise:
     * the event loop made one 12 times per 1 MB block in a sync (60,000
     * in 5,000 blocks), plus the page faults of memory given back and
     * taken again. Grow by 16 MiB and give back only past 64 MiB free. */
    mallopt(M_TOP_PAD, XMALLOC_TOP_PAD);
    mallopt(M_TRIM_THRESHOLD, XMALLOC_TRIM_THRESHOLD);
    /* Either setting freezes glibc's self-raising mmap threshold at
     * 128 KiB, which would map and unmap every block buffer: blocks of a
     * valid block's size come from the heap. */
    mallopt(M_MMAP_THRESHOLD, XMALLOC_MMAP_THRESHOLD);
#endif
}
