#include "node/db.h"

#include "chain/log.h"
#include "node/util.h"

#include <leveldb/c.h>
#include <stdlib.h>

/* One database per process, like the single chain store it stands for. */
static leveldb_t *db;

static int db_start(struct node *node, char **err)
{
    char *path = util_path_join(node->chaindir, "index");
    if (!path)
        return util_fail(err, "out of memory");
    leveldb_options_t *opt = leveldb_options_create();
    leveldb_options_set_create_if_missing(opt, 1);
    char *lerr = NULL;
    db = leveldb_open(opt, path, &lerr);
    leveldb_options_destroy(opt);
    if (!db) {
        util_fail(err, "cannot open database %s: %s", path, lerr ? lerr : "unknown error");
        leveldb_free(lerr);
        free(path);
        return -1;
    }
    LOG_INFO("Opened LevelDB database %s", path);
    free(path);
    return 0;
}

static void db_stop(struct node *node)
{
    if (db)
        leveldb_close(db);
    db = NULL;
}

const struct node_subsystem node_db_subsystem = { "index", db_start, db_stop };
