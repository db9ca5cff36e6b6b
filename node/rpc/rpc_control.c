/* Control methods: help, uptime, stop, logging, echo, echojson, getrpcinfo,
 * getmemoryinfo, getindexinfo
 * (Bitcoin Core's src/rpc/server.cpp, src/rpc/node.cpp, src/rpc/misc.cpp). */
#include "node/rpc/rpc.h"

#include "chain/util/log.h"
#include "node/clock.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *rpc_help(struct rpc_request *req)
{
    json_t *cmd = rpc_param(req, 0);
    char *text = rpc_table_help(req->table, cmd ? json_string_value(cmd) : NULL);
    json_t *r = json_string(text ? text : "");
    free(text);
    return r;
}

static json_t *rpc_uptime(struct rpc_request *req)
{
    const struct rpc_control_info *info = req->ctx;
    return json_integer((json_int_t)(node_now() - info->start_time));
}

static json_t *rpc_stop(struct rpc_request *req)
{
    const struct rpc_control_info *info = req->ctx;
    /* The loop stops after this reply has been queued; the server sends
     * pending replies before it closes. */
    if (info->shutdown)
        info->shutdown(info->shutdown_arg);
    return json_string("hearsay stopping");
}

/* Applies a list of category names; unknown names are -8 (Core's
 * "unknown logging category"). Checks every name before changing any. */
static int apply_categories(struct rpc_request *req, json_t *list, bool enable)
{
    size_t i;
    json_t *v;
    uint32_t mask = 0;
    json_array_foreach(list, i, v) {
        const char *name = json_string_value(v);
        if (!name) {
            rpc_fail(req, RPC_TYPE_ERROR, "logging categories must be strings");
            return -1;
        }
        if (!strcmp(name, "none") || !strcmp(name, "0"))
            continue;
        uint32_t c = log_category_from_name(name);
        if (!c) {
            rpc_fail(req, RPC_INVALID_PARAMETER, "unknown logging category %s", name);
            return -1;
        }
        mask |= c;
    }
    if (enable)
        log_enable(mask);
    else
        log_disable(mask);
    return 0;
}

static json_t *rpc_logging(struct rpc_request *req)
{
    json_t *inc = rpc_param(req, 0), *exc = rpc_param(req, 1);
    uint32_t before = log_enabled_categories();
    if ((inc && apply_categories(req, inc, true) < 0) ||
        (exc && apply_categories(req, exc, false) < 0)) {
        log_disable(~before);
        log_enable(before);
        return NULL;
    }
    json_t *r = json_object();
    uint32_t on = log_enabled_categories();
    for (unsigned b = 0; b < 32; b++) {
        const char *name = log_category_name(1u << b);
        if (name)
            json_object_set_new(r, name, json_boolean(on & (1u << b)));
    }
    return r;
}

/* Returns its arguments (Core trims trailing omitted ones the same way). */
static json_t *rpc_echo(struct rpc_request *req)
{
    return json_deep_copy(req->params);
}

static json_t *rpc_getrpcinfo(struct rpc_request *req)
{
    const struct rpc_control_info *info = req->ctx;
    int64_t since;
    const char *active = rpc_table_active(req->table, &since);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    json_t *cmds = json_array();
    if (active)
        json_array_append_new(cmds, json_pack("{s:s,s:I}", "method", active, "duration",
                                              (json_int_t)(now - since)));
    json_t *r = json_pack("{s:o}", "active_commands", cmds);
    if (info->log_path)
        json_object_set_new(r, "logpath", json_string(info->log_path));
    return r;
}

/* Core's "stats" mode reports its pool of locked (never swapped) memory,
 * which holds wallet keys; we hold no secrets and lock nothing, so the
 * pool is empty. "mallocinfo" is glibc's malloc_info XML, as Core's. */
static json_t *rpc_getmemoryinfo(struct rpc_request *req)
{
    const char *mode = json_string_value(rpc_param(req, 0));
    if (!mode || !strcmp(mode, "stats"))
        return json_pack("{s:{s:i,s:i,s:i,s:i,s:i,s:i}}", "locked", "used", 0, "free", 0,
                         "total", 0, "locked", 0, "chunks_used", 0, "chunks_free", 0);
    if (strcmp(mode, "mallocinfo"))
        return rpc_fail(req, RPC_INVALID_PARAMETER, "unknown mode %s", mode);
#ifndef __GLIBC__
    return rpc_fail(req, RPC_INVALID_PARAMETER, "mallocinfo mode not available");
#else
    char *xml = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&xml, &len);
    if (!f)
        return rpc_fail(req, RPC_INTERNAL_ERROR, "mallocinfo: out of memory");
    int rc = malloc_info(0, f);
    fclose(f);
    json_t *r = rc == 0 && xml ? json_stringn(xml, len) : NULL;
    free(xml); /* open_memstream's buffer comes from malloc */
    return r ? r : rpc_fail(req, RPC_INTERNAL_ERROR, "malloc_info failed");
#endif
}

/* Core's optional indexes (txindex, coinstatsindex, block filters): none
 * are kept here, so the answer is always the empty object. */
static json_t *rpc_getindexinfo(struct rpc_request *req)
{
    return json_object();
}

#define ECHO_ARG(n) { "arg" #n, RPC_ARG_ANY, true, "any value, returned as given", NULL }
#define ECHO_ARGS                                                                      \
    { ECHO_ARG(0), ECHO_ARG(1), ECHO_ARG(2), ECHO_ARG(3), ECHO_ARG(4), ECHO_ARG(5),    \
      ECHO_ARG(6), ECHO_ARG(7), ECHO_ARG(8), ECHO_ARG(9) }

static const struct rpc_method control_methods[] = {
    { "help", "control", rpc_help,
      "List all commands, or get help for a specified command.",
      { { "command", RPC_ARG_STR, true, "The command to get help on", "all commands" } } },
    { "uptime", "control", rpc_uptime,
      "Returns the total uptime of the server, in seconds.", { { 0 } } },
    { "stop", "control", rpc_stop, "Request a graceful shutdown of hearsay.", { { 0 } } },
    { "logging", "control", rpc_logging,
      "Gets and sets the logging configuration. With no arguments, returns the debug "
      "categories and whether each is on. \"all\" and \"1\" mean every category.",
      { { "include", RPC_ARG_ARR, true, "The categories to add to debug logging", NULL },
        { "exclude", RPC_ARG_ARR, true, "The categories to remove from debug logging", NULL } } },
    { "getrpcinfo", "control", rpc_getrpcinfo,
      "Returns details of the RPC server: the active commands and the log file.", { { 0 } } },
    { "getmemoryinfo", "control", rpc_getmemoryinfo,
      "Returns an object containing information about memory usage.",
      { { "mode", RPC_ARG_STR, true,
          "determines what kind of information is returned.\n"
          "  - \"stats\" returns general statistics about memory usage in the daemon.\n"
          "  - \"mallocinfo\" returns an XML string describing low-level heap state "
          "(only available if compiled with glibc).", "\"stats\"" } } },
    { "getindexinfo", "util", rpc_getindexinfo,
      "Returns the status of one or all available indices currently running in the node.",
      { { "index_name", RPC_ARG_STR, true, "Filter results for an index with a specific name.",
          NULL } } },
    { "echo", "hidden", rpc_echo,
      "Simply echo back the input arguments. This command is for testing.", ECHO_ARGS },
    { "echojson", "hidden", rpc_echo,
      "Simply echo back the input arguments, parsed as JSON by the client. For testing.",
      ECHO_ARGS },
};

static void info_free(void *p)
{
    struct rpc_control_info *info = p;
    free((char *)info->log_path);
    free(info);
}

int rpc_control_register(struct rpc_table *t, const struct rpc_control_info *info, char **err)
{
    struct rpc_control_info *copy = xmalloc(sizeof(*copy));
    *copy = *info;
    copy->log_path = info->log_path ? xstrdup(info->log_path) : NULL;
    return rpc_table_add(t, control_methods, sizeof(control_methods) / sizeof(*control_methods),
                         copy, info_free, err);
}
