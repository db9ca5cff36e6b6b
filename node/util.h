/* Small helpers shared by node/ files. */
#ifndef HEARSAY_NODE_UTIL_H
#define HEARSAY_NODE_UTIL_H

/* "dir/name", malloc'd. */
char *util_path_join(const char *dir, const char *name);

#endif
