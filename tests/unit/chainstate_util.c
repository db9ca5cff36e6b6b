#define _GNU_SOURCE
#include "tests/unit/chainstate_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *testutil_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/hearsay-%s-XXXXXX", base && *base ? base : "/tmp", tag) < 0)
        abort();
    if (!mkdtemp(path))
        abort();
    return path;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

void testutil_rmtree(char *path)
{
    if (!path)
        return;
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}
