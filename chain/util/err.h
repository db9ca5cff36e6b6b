/* Error messages for the `char **err` convention: every layer reports a
 * failure at its boundary as a malloc'd, formatted string the caller
 * frees. */
#ifndef HEARSAY_CHAIN_ERR_H
#define HEARSAY_CHAIN_ERR_H

/* Sets *err (when err is not NULL) to the formatted message and returns
 * -1, so that a failing path can end with `return err_set(err, ...)`. */
int err_set(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
