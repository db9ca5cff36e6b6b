/* Small helpers shared by node/ files: formatted, malloc'd strings for
 * the char **err convention. */
#ifndef HEARSAY_NODE_UTIL_H
#define HEARSAY_NODE_UTIL_H

#include <stdarg.h>

/* A malloc'd formatted string; never NULL (allocation aborts). */
char *util_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *util_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sets *err (when err is not NULL) to a malloc'd message; returns -1 so
 * a failing path can end with `return util_fail(err, ...)`. */
int util_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "dir/name", malloc'd. */
char *util_path_join(const char *dir, const char *name);

#endif
