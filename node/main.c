/* hearsayd: the hearsay daemon. */
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "node/config.h"
#include "node/init.h"

#include <stdio.h>
#include <stdlib.h>

/* Errors are one line on stderr and exit code 1, like Bitcoin Core's
 * "Error: ..." from InitError. */
static int die(char *err)
{
    fprintf(stderr, "Error: %s\n", err ? err : "out of memory");
    free(err);
    return 1;
}

int main(int argc, char **argv)
{
    xmalloc_tune();
    char *err = NULL;
    struct config *cfg = config_parse(argc, argv, &err);
    if (!cfg)
        return die(err);
    if (config_get_bool(cfg, "help") || config_get_bool(cfg, "version")) {
        if (config_get_bool(cfg, "help"))
            config_print_help("hearsayd");
        else
            printf("%s\n", node_version_string());
        config_free(cfg);
        return 0;
    }
    struct node *node = node_new(cfg);
    int rc = 0;
    if (node_start(node, &err) < 0)
        rc = die(err);
    else
        node_run(node);
    node_stop(node);
    node_free(node);
    return rc;
}
