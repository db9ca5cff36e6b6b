#include "chain/util/fileio.h"

#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, char **err)
{
    size_t tlen = strlen(path) + 5;
    char *tmp = xmalloc(tlen);
    snprintf(tmp, tlen, "%s.new", path);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
        rc = err_set(err, "cannot write %s: %s", tmp, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = err_set(err, "cannot close %s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = err_set(err, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

uint8_t *fileio_read_all(const char *path, size_t max, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, "cannot open %s: %s", path, strerror(errno)), NULL;
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > max) {
        err_set(err, "%s: unreadable or too large", path);
    } else {
        *len = (size_t)st.st_size;
        buf = xmalloc(*len ? *len : 1);
        if (fread(buf, 1, *len, f) != *len) {
            err_set(err, "%s: short read", path);
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}
