#include "node/banlist.h"

#include "chain/util/log.h"
#include "net/conn/netadmin.h"
#include "node/clock.h"
#include "node/util.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BANLIST_FILE "banlist.json"
#define BANLIST_MAX_BYTES (4 << 20) /* far above BANMAN_MAX entries */

static json_t *entry_json(const struct banman_entry *e)
{
    char s[BANMAN_SUBNET_STRLEN];
    banman_format_subnet(&e->subnet, s);
    return json_pack("{s:i,s:I,s:I,s:s}", "version", 1, "ban_created", (json_int_t)e->created,
                     "banned_until", (json_int_t)e->until, "address", s);
}

int banlist_save(struct node *node, char **err)
{
    if (!node->connman)
        return 0;
    struct banman *bm = connman_bans(node->connman, node_now);
    if (!bm)
        return err_set(err, "out of memory");
    size_t n;
    const struct banman_entry *v = banman_list(bm, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, entry_json(&v[i]));
    json_t *doc = json_pack("{s:o}", "banned_nets", list);
    char *path = util_path_join(node->chaindir, BANLIST_FILE);
    char *tmp = xasprintf("%s.new", path);
    int rc = -1;
    if (!doc)
        err_set(err, "cannot encode the ban list");
    else if (json_dump_file(doc, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0)
        err_set(err, "cannot write %s: %s", path, strerror(errno));
    else
        rc = 0;
    json_decref(doc);
    free(path);
    free(tmp);
    return rc;
}

/* Entries that do not parse or have ended are skipped, as Core does. */
static size_t load_entries(struct connman *cm, json_t *list)
{
    size_t i, loaded = 0;
    json_t *e;
    int64_t now = node_now();
    json_array_foreach(list, i, e) {
        const char *addr = json_string_value(json_object_get(e, "address"));
        json_t *created = json_object_get(e, "ban_created");
        json_t *until = json_object_get(e, "banned_until");
        struct banman_subnet s;
        if (!addr || !json_is_integer(created) || !json_is_integer(until) ||
            !banman_parse_subnet(addr, &s) || json_integer_value(until) <= now)
            continue;
        struct banman *bm = connman_bans(cm, node_now);
        if (bm && banman_add(bm, &s, json_integer_value(created), json_integer_value(until)) == 0)
            loaded++;
    }
    return loaded;
}

static int banlist_start(struct node *node, char **err)
{
    if (!node->connman)
        return 0;
    char *path = util_path_join(node->chaindir, BANLIST_FILE);
    struct stat st;
    FILE *f = stat(path, &st) == 0 && st.st_size <= BANLIST_MAX_BYTES ? fopen(path, "rb") : NULL;
    if (!f) { /* none yet (or absurdly large: ignored) */
        free(path);
        return 0;
    }
    json_error_t je;
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    json_t *list = doc ? json_object_get(doc, "banned_nets") : NULL;
    if (!json_is_array(list) || json_array_size(list) > BANMAN_MAX)
        LOG_WARN("Invalid %s, ignored: %s", path, doc ? "no banned_nets list" : je.text);
    else
        LOG_INFO("Loaded %zu banned addresses from %s", load_entries(node->connman, list), path);
    json_decref(doc);
    free(path);
    return 0;
}

static void banlist_stop(struct node *node)
{
    char *err = NULL;
    if (node->connman && banlist_save(node, &err) != 0) {
        LOG_WARN("Ban list not saved: %s", err ? err : "unknown error");
        free(err);
    }
}

const struct node_subsystem banlist_subsystem = { "banlist", banlist_start, banlist_stop };
