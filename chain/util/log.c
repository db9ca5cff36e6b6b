#include "chain/util/log.h"
#include "chain/util/xmalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

uint32_t log_categories_on;

static FILE *log_file;
static char *log_path;
static bool log_console;

static const struct {
    uint32_t cat;
    const char *name;
} categories[] = {
    { LOG_NET, "net" },           { LOG_MEMPOOL, "mempool" },
    { LOG_MEMPOOLREJ, "mempoolrej" }, { LOG_HTTP, "http" },
    { LOG_RPC, "rpc" },           { LOG_ADDRMAN, "addrman" },
    { LOG_VALIDATION, "validation" }, { LOG_BLOCKSTORAGE, "blockstorage" },
    { LOG_LEVELDB, "leveldb" },   { LOG_LIBEVENT, "libevent" },
    { LOG_RELAY, "relay" },       { LOG_BENCH, "bench" },
};
#define N_CATEGORIES (sizeof(categories) / sizeof(categories[0]))

static char *dup_error(const char *what, const char *path)
{
    size_t n = strlen(what) + strlen(path) + strlen(strerror(errno)) + 8;
    char *s = xmalloc(n);
    snprintf(s, n, "%s %s: %s", what, path, strerror(errno));
    return s;
}

int log_open_file(const char *path, char **err)
{
    log_close();
    if (!path)
        return 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        if (err)
            *err = dup_error("cannot open log file", path);
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_file = f;
    log_path = xstrdup(path);
    return 0;
}

int log_reopen(char **err)
{
    if (!log_path)
        return 0;
    char *path = xstrdup(log_path);
    int r = log_open_file(path, err);
    free(path);
    return r;
}

void log_close(void)
{
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    free(log_path);
    log_path = NULL;
}

void log_set_console(bool on)
{
    log_console = on;
}

void log_enable(uint32_t c)
{
    log_categories_on |= c;
}

void log_disable(uint32_t c)
{
    log_categories_on &= ~c;
}

uint32_t log_enabled_categories(void)
{
    return log_categories_on;
}

uint32_t log_category_from_name(const char *name)
{
    if (!strcmp(name, "all") || !strcmp(name, "1"))
        return LOG_ALL;
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (!strcmp(name, categories[i].name))
            return categories[i].cat;
    return 0;
}

const char *log_category_name(uint32_t cat)
{
    for (size_t i = 0; i < N_CATEGORIES; i++)
        if (categories[i].cat == cat)
            return categories[i].name;
    return NULL;
}

const char *log_category_list(void)
{
    static char list[256];
    if (!list[0]) {
        size_t off = 0;
        for (size_t i = 0; i < N_CATEGORIES; i++)
            off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
                                    categories[i].name);
    }
    return list;
}

void log_printf(enum log_level lvl, uint32_t category, const char *fmt, ...)
{
    if (!log_file && !log_console)
        return;
    char stamp[40];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = tv.tv_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof(stamp) - n, ".%06ldZ", (long)tv.tv_usec);

    char prefix[48] = "";
    const char *cname = category ? log_category_name(category) : NULL;
    if (cname)
        snprintf(prefix, sizeof(prefix), "[%s] ", cname);
    else if (lvl == LOG_LVL_WARN)
        snprintf(prefix, sizeof(prefix), "[warning] ");
    else if (lvl == LOG_LVL_ERROR)
        snprintf(prefix, sizeof(prefix), "[error] ");

    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t ml = strlen(msg);
    const char *nl = (ml && msg[ml - 1] == '\n') ? "" : "\n";

    if (log_file)
        fprintf(log_file, "%s %s%s%s", stamp, prefix, msg, nl);
    if (log_console) {
        fprintf(stdout, "%s %s%s%s", stamp, prefix, msg, nl);
        fflush(stdout);
    }
}
