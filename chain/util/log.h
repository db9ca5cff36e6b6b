/* Logging with timestamps and debug categories, used by every layer.
 *
 * It lives in chain/ (the lowest layer) so that net/ and chain/ can log;
 * node/ decides where lines go (debug.log, the console) and which debug
 * categories are on, like Bitcoin Core's -debug=<category>. */
#ifndef HEARSAY_CHAIN_LOG_H
#define HEARSAY_CHAIN_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_category {
    LOG_NONE = 0,
    LOG_NET = 1u << 0,
    LOG_MEMPOOL = 1u << 1,
    LOG_MEMPOOLREJ = 1u << 2,
    LOG_HTTP = 1u << 3,
    LOG_RPC = 1u << 4,
    LOG_ADDRMAN = 1u << 5,
    LOG_VALIDATION = 1u << 6,
    LOG_BLOCKSTORAGE = 1u << 7,
    LOG_LEVELDB = 1u << 8,
    LOG_LIBEVENT = 1u << 9,
    LOG_RELAY = 1u << 10, /* gossip decisions: pushes, pulls, stop rules */
    LOG_BENCH = 1u << 11,
    LOG_ALL = 0xffffffffu,
};

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Opens (appending) the log file; NULL closes it. -1 and *err on failure
 * (*err is malloc'd; free it). */
int log_open_file(const char *path, char **err);
void log_set_console(bool on);
/* Reopens the file after rotation (SIGHUP, like Bitcoin Core). */
int log_reopen(char **err);
void log_close(void);

void log_enable(uint32_t categories);
void log_disable(uint32_t categories);
uint32_t log_enabled_categories(void);
static inline bool log_accept(uint32_t cat);
/* "net" -> LOG_NET; "all" or "1" -> LOG_ALL; 0 if unknown. */
uint32_t log_category_from_name(const char *name);
const char *log_category_name(uint32_t single_category);
/* Comma-separated list of all category names (for -help). */
const char *log_category_list(void);

void log_printf(enum log_level lvl, uint32_t category, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

extern uint32_t log_categories_on;
static inline bool log_accept(uint32_t cat)
{
    return (log_categories_on & cat) != 0;
}

#define LOG_INFO(...) do { log_printf(LOG_LVL_INFO, LOG_NONE, __VA_ARGS__); } while (0)
#define LOG_WARN(...) do { log_printf(LOG_LVL_WARN, LOG_NONE, __VA_ARGS__); } while (0)
#define LOG_ERROR(...) do { log_printf(LOG_LVL_ERROR, LOG_NONE, __VA_ARGS__); } while (0)
/* Debug lines cost one branch when their category is off. */
#define LOG_DEBUG(cat, ...)                                  \
    do {                                                     \
        if (log_accept(cat))                                 \
            log_printf(LOG_LVL_DEBUG, (cat), __VA_ARGS__);   \
    } while (0)

#endif
