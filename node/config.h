/* Configuration: command line and <name>.conf, Bitcoin Core style.
 *
 * Options are declared in tables (one per area, in that area's node/ glue
 * file) and listed in node/options.c; the parser knows nothing of what
 * they mean. Syntax: -name=value, -name (= 1), -noname (= 0) on the
 * command line; name=value lines, # comments and [main] [test] [testnet4]
 * [signet] [regtest] sections in the conf file. Command line wins over
 * the conf file; a [chain] section wins over the top of the file.
 *
 * As in Bitcoin Core: on the command line the last value of an option
 * wins, in the conf file the first; "section.name=value" lines are the
 * same as name=value inside [section]; a CONFIG_NET_SPECIFIC option at the
 * top of the file applies to main only, and on another chain it is an
 * error unless that chain's section or the command line sets it too. A
 * name given without a value means 1 for a boolean, "" for a string, and
 * is an error for an integer. Booleans take 0 or 1 (or nothing). */
#ifndef HEARSAY_NODE_CONFIG_H
#define HEARSAY_NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum config_type { CONFIG_BOOL, CONFIG_INT, CONFIG_STRING };

#define CONFIG_MULTI 1u       /* may be given many times (-addnode, -debug) */
#define CONFIG_NET_SPECIFIC 2u /* outside a section, applies to main only (-port, -connect) */
#define CONFIG_CLI_ONLY 4u    /* command line only (-conf, -datadir is fine in conf) */
#define CONFIG_HIDDEN 8u      /* for tests: left out of -help (Core's debug-only options) */

struct config_option {
    const char *name; /* without the dash */
    enum config_type type;
    const char *def;  /* default as text, NULL for none */
    int64_t min, max; /* CONFIG_INT range (inclusive) */
    unsigned flags;
    const char *help;
};

/* Every option table, NULL-name terminated, listed in node/options.c. */
extern const struct config_option *const config_tables[];

/* The options config_parse itself interprets: -regtest, -testnet,
 * -testnet4, -signet, -chain, -datadir, -conf, -help, -version. Listed
 * first in config_tables. */
extern const struct config_option config_base_options[];

struct config;

/* Parses argv, finds the chain (-regtest, -testnet, -signet, -chain=) and
 * the datadir, then reads the conf file (-conf, default
 * <datadir>/hearsay.conf, a relative -conf is relative to the datadir;
 * missing is fine unless -conf was given; -noconf reads none). With -help
 * or -version on the command line the conf file is not read.
 * NULL with *err (malloc'd, one line naming the problem) on an unknown
 * option, a malformed value or an unreadable conf file. */
struct config *config_parse(int argc, char **argv, char **err);
/* Parses conf-file text directly (for tests); chain is the -chain name. */
struct config *config_parse_text(const char *text, const char *chain, char **err);
void config_free(struct config *cfg);

const char *config_chain(const struct config *cfg); /* "main", "regtest", ... */
bool config_is_set(const struct config *cfg, const char *name);
/* The effective value (last given, else the default). */
const char *config_get_str(const struct config *cfg, const char *name);
int64_t config_get_int(const struct config *cfg, const char *name);
bool config_get_bool(const struct config *cfg, const char *name);
/* All values of a CONFIG_MULTI option, in order; *n gets the count. */
const char *const *config_get_multi(const struct config *cfg, const char *name, size_t *n);

/* True when the effective setting is a negation (-noname). Then
 * config_get_str gives NULL, config_get_int 0, config_get_bool false and
 * config_get_multi nothing. */
bool config_is_negated(const struct config *cfg, const char *name);

/* The effective data directory as an absolute path (-datadir, from the
 * command line or the conf file, else $HOME/.hearsay). */
const char *config_datadir(const struct config *cfg);
/* The conf file that was read, NULL when none was. */
const char *config_conf_path(const struct config *cfg);
/* Problems worth a log line that are not errors (unknown sections). */
const char *const *config_warnings(const struct config *cfg, size_t *n);

/* Prints -help text built from the tables. */
void config_print_help(const char *progname);

#endif
