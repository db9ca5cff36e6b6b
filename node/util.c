#include "node/util.h"

#include "chain/util/xmalloc.h"

char *util_path_join(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}
