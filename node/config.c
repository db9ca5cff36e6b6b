/* Configuration: the command line and the conf file, Bitcoin Core style.
 *
 * Parsing stores every setting as an entry (where it came from, which
 * section, its text); resolving then picks, for each option, the value
 * the precedence rules give, once, so the getters are plain look-ups. */
#include "node/config.h"

#include "chain/util/log.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"
#include "chain/util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONF_FILENAME "hearsay.conf"
#define CONF_MAX_BYTES (1u << 20) /* a conf file is a few lines; refuse a huge one */

const struct config_option config_base_options[] = {
    { "regtest", CONFIG_BOOL, "0", 0, 0, 0,
      "Use the regression test chain (same as -chain=regtest)." },
    { "testnet", CONFIG_BOOL, "0", 0, 0, 0, "Use testnet3 (same as -chain=test)." },
    { "testnet4", CONFIG_BOOL, "0", 0, 0, 0, "Use testnet4 (same as -chain=testnet4)." },
    { "signet", CONFIG_BOOL, "0", 0, 0, 0, "Use the default signet (same as -chain=signet)." },
    { "chain", CONFIG_STRING, "main", 0, 0, 0,
      "Use the chain <name>: main, test, testnet4, signet or regtest." },
    { "datadir", CONFIG_STRING, NULL, 0, 0, 0,
      "Keep the data in <dir> (default: ~/.hearsay); each chain but main in a subdirectory." },
    { "conf", CONFIG_STRING, CONF_FILENAME, 0, 0, CONFIG_CLI_ONLY,
      "Read the configuration from <file>; a relative path is relative to the data directory." },
    { "help", CONFIG_BOOL, "0", 0, 0, CONFIG_CLI_ONLY, "Print this help and exit." },
    { "version", CONFIG_BOOL, "0", 0, 0, CONFIG_CLI_ONLY, "Print the version and exit." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

static const char *const chain_names[] = { "main", "test", "testnet4", "signet", "regtest" };
#define N_CHAINS (sizeof(chain_names) / sizeof(chain_names[0]))

enum source { SRC_CONF, SRC_CLI };

struct entry {
    const struct config_option *opt;
    enum source src;
    char *section; /* conf only; NULL at the top of the file */
    char *value;   /* NULL when negated */
};

struct resolved {
    const struct config_option *opt;
    const char *value; /* effective; NULL when negated or no default */
    bool set, negated;
    const char **multi; /* CONFIG_MULTI: every effective value */
    size_t n_multi;
};

struct config {
    struct entry *entries;
    size_t n_entries, cap_entries;
    struct resolved *res;
    size_t n_res;
    char *chain;
    char *datadir;
    char *conf_path; /* NULL when no file was read */
    char **warnings;
    size_t n_warnings;
};

static int add_warning(struct config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warning(struct config *cfg, const char *fmt, ...)
{
    char **w = xrealloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof(*w));
    cfg->warnings = w;
    va_list ap;
    va_start(ap, fmt);
    w[cfg->n_warnings] = xvasprintf(fmt, ap);
    va_end(ap);
    if (!w[cfg->n_warnings])
        return -1;
    cfg->n_warnings++;
    return 0;
}

static const struct config_option *find_option(const char *name, size_t len)
{
    for (const struct config_option *const *t = config_tables; *t; t++)
        for (const struct config_option *o = *t; o->name; o++)
            if (strlen(o->name) == len && !strncmp(o->name, name, len))
                return o;
    return NULL;
}

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool is_bool_text(const char *s)
{
    return !*s || !strcmp(s, "0") || !strcmp(s, "1");
}

/* Checks one value against its option's type; what is the setting as the
 * user wrote it, for the message. */
static int check_value(const struct config_option *o, const char *v, const char *loc,
                       const char *what, char **err)
{
    int64_t n;
    switch (o->type) {
    case CONFIG_BOOL:
        if (!is_bool_text(v))
            return err_set(err, "%s%s: not a boolean (use 0 or 1)", loc, what);
        return 0;
    case CONFIG_INT:
        if (!parse_int(v, &n))
            return err_set(err, "%s%s: not an integer", loc, what);
        if (n < o->min || n > o->max)
            return err_set(err, "%s%s: out of range (%lld to %lld)", loc, what, (long long)o->min,
                        (long long)o->max);
        return 0;
    case CONFIG_STRING:
        return 0;
    }
    return 0;
}

static int push_entry(struct config *cfg, const struct config_option *o, enum source src,
                      const char *section, const char *value)
{
    if (cfg->n_entries == cfg->cap_entries) {
        size_t cap = cfg->cap_entries ? cfg->cap_entries * 2 : 16;
        struct entry *e = xrealloc(cfg->entries, cap * sizeof(*e));
        cfg->entries = e;
        cfg->cap_entries = cap;
    }
    struct entry *e = &cfg->entries[cfg->n_entries];
    e->opt = o;
    e->src = src;
    e->section = section ? xstrdup(section) : NULL;
    e->value = value ? xstrdup(value) : NULL;
    if ((section && !e->section) || (value && !e->value)) {
        free(e->section);
        free(e->value);
        return -1;
    }
    cfg->n_entries++;
    return 0;
}

/* One setting, name (possibly "noname") and value (NULL when no '=' was
 * given). loc prefixes messages ("" or "file:line: "), what is the setting
 * as written. */
static int add_setting(struct config *cfg, enum source src, const char *section, const char *name,
                       size_t name_len, const char *val, const char *loc, const char *what,
                       char **err)
{
    bool negated = false;
    const struct config_option *o = find_option(name, name_len);
    if (!o && name_len > 2 && !strncmp(name, "no", 2)) {
        o = find_option(name + 2, name_len - 2);
        negated = o != NULL;
    }
    if (!o)
        return err_set(err, "%s%s: unknown option", loc, what);
    if (src == SRC_CONF && (o->flags & CONFIG_CLI_ONLY))
        return err_set(err, "%s%s: -%s can only be given on the command line", loc, what, o->name);
    if (negated) {
        if (val && !is_bool_text(val))
            return err_set(err, "%s%s: not a boolean (use 0 or 1)", loc, what);
        /* -nofoo=0 is a double negative: foo=1, as in Bitcoin Core. */
        if (val && !strcmp(val, "0")) {
            if (check_value(o, "1", loc, what, err) < 0)
                return -1;
            val = "1";
            negated = false;
        }
    } else if (!val) {
        if (o->type == CONFIG_INT)
            return err_set(err, "%s%s: needs a value (-%s=<n>)", loc, what, o->name);
        val = o->type == CONFIG_BOOL ? "1" : "";
    } else if (check_value(o, val, loc, what, err) < 0) {
        return -1;
    }
    if (push_entry(cfg, o, src, section, negated ? NULL : val) < 0)
        return err_set(err, "out of memory");
    return 0;
}

static int parse_args(struct config *cfg, int argc, char **argv, char **err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1])
            return err_set(err, "unexpected argument '%s' (options start with -; see -help)", a);
        const char *name = a + 1;
        if (*name == '-') /* --name is -name */
            name++;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (memchr(name, '.', len))
            return err_set(err, "%s: unknown option (sections are for the conf file)", a);
        if (add_setting(cfg, SRC_CLI, NULL, name, len, eq ? eq + 1 : NULL, "", a, err) < 0)
            return -1;
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static bool known_chain(const char *name)
{
    for (size_t i = 0; i < N_CHAINS; i++)
        if (!strcmp(name, chain_names[i]))
            return true;
    return false;
}

/* "[name]": switches the current section. */
static int conf_section(struct config *cfg, char *line, const char *loc, char **section,
                        char **err)
{
    size_t n = strlen(line);
    if (line[n - 1] != ']')
        return err_set(err, "%s%s: malformed section header", loc, line);
    line[n - 1] = '\0';
    char *name = trim(line + 1);
    if (!*name)
        return err_set(err, "%s[]: empty section name", loc);
    if (!known_chain(name) && add_warning(cfg, "%sSection [%s] is not recognized.", loc, name) < 0)
        return err_set(err, "out of memory");
    free(*section);
    *section = xstrdup(name);
    return *section ? 0 : err_set(err, "out of memory");
}

/* "name=value" or "section.name=value". */
static int conf_setting(struct config *cfg, char *line, const char *loc, const char *section,
                        char **err)
{
    if (line[0] == '-')
        return err_set(err, "%s%s: options in the conf file are written without the leading -", loc,
                    line);
    char *eq = strchr(line, '=');
    if (!eq)
        return err_set(err, "%s%s: expected name=value", loc, line);
    *eq = '\0';
    char *name = trim(line);
    char *val = trim(eq + 1);
    char what[256];
    snprintf(what, sizeof(what), "%s=%s", name, val);
    char *dot = strchr(name, '.');
    if (dot) {
        *dot = '\0';
        if (!known_chain(name))
            return err_set(err, "%s%s: unknown section '%s'", loc, what, name);
        section = name;
        name = dot + 1;
    }
    if (!*name)
        return err_set(err, "%s%s: missing option name", loc, what);
    return add_setting(cfg, SRC_CONF, section, name, strlen(name), val, loc, what, err);
}

static int parse_conf_line(struct config *cfg, char *line, const char *loc, char **section,
                           char **err)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    line = trim(line);
    if (!*line)
        return 0;
    if (line[0] == '[')
        return conf_section(cfg, line, loc, section, err);
    return conf_setting(cfg, line, loc, *section, err);
}

static int parse_conf(struct config *cfg, const char *text, size_t len, const char *path,
                      char **err)
{
    if (memchr(text, '\0', len))
        return err_set(err, "%s: contains a NUL byte; not a text file", path ? path : "conf");
    char *copy = xstrdup(text);
    char *section = NULL;
    int rc = 0, lineno = 0;
    for (char *line = copy; line && rc == 0; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char loc[512];
        if (path)
            snprintf(loc, sizeof(loc), "%s:%d: ", path, lineno + 1);
        else
            snprintf(loc, sizeof(loc), "line %d: ", lineno + 1);
        rc = parse_conf_line(cfg, line, loc, &section, err);
        line = nl ? nl + 1 : NULL;
    }
    free(section);
    free(copy);
    return rc;
}

/* The entries of one option that apply on this chain, split by source:
 * command line, this chain's section, the top of the file. */
enum layer { LAYER_TOP, LAYER_SECTION, LAYER_CLI, LAYER_NONE };

static enum layer entry_layer(const struct config *cfg, const struct entry *e)
{
    if (e->src == SRC_CLI)
        return LAYER_CLI;
    if (!e->section)
        return LAYER_TOP;
    return cfg->chain && !strcmp(e->section, cfg->chain) ? LAYER_SECTION : LAYER_NONE;
}

/* Command line: the last value wins; conf file: the first. */
static const struct entry *pick(const struct config *cfg, const struct config_option *o,
                                enum layer layer)
{
    const struct entry *found = NULL;
    for (size_t i = 0; i < cfg->n_entries; i++) {
        const struct entry *e = &cfg->entries[i];
        if (e->opt != o || entry_layer(cfg, e) != layer)
            continue;
        found = e;
        if (layer != LAYER_CLI)
            break;
    }
    return found;
}

static const struct entry *pick_by_name(const struct config *cfg, const char *name,
                                        bool with_section)
{
    const struct config_option *o = find_option(name, strlen(name));
    if (!o)
        return NULL;
    const struct entry *e = pick(cfg, o, LAYER_CLI);
    if (!e && with_section)
        e = pick(cfg, o, LAYER_SECTION);
    return e ? e : pick(cfg, o, LAYER_TOP);
}

/* The chain comes from the command line or the top of the conf file; at
 * most one of -regtest, -testnet, -testnet4, -signet and -chain. */
static int resolve_chain(struct config *cfg, char **err)
{
    static const struct {
        const char *flag, *chain;
    } flags[] = { { "regtest", "regtest" }, { "testnet", "test" }, { "testnet4", "testnet4" },
                  { "signet", "signet" } };
    const char *chain = "main";
    int count = 0;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        const struct entry *e = pick_by_name(cfg, flags[i].flag, false);
        if (e && e->value && strcmp(e->value, "0")) {
            chain = flags[i].chain;
            count++;
        }
    }
    const struct entry *e = pick_by_name(cfg, "chain", false);
    if (e && e->value) {
        if (!known_chain(e->value))
            return err_set(err, "-chain=%s: unknown chain (use main, test, testnet4, signet or regtest)",
                        e->value);
        chain = e->value;
        count++;
    }
    if (count > 1)
        return err_set(err, "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. "
                         "Can use at most one.");
    cfg->chain = xstrdup(chain);
    return 0;
}

static bool top_applies(const struct config *cfg, const struct config_option *o)
{
    return !(o->flags & CONFIG_NET_SPECIFIC) || !strcmp(cfg->chain, "main");
}

/* Multi values accumulate from the weakest layer to the strongest (top,
 * section, command line); a negation drops what came before it. */
static int resolve_multi(struct config *cfg, struct resolved *r)
{
    static const enum layer order[] = { LAYER_TOP, LAYER_SECTION, LAYER_CLI };
    for (size_t k = 0; k < 3; k++) {
        if (order[k] == LAYER_TOP && !top_applies(cfg, r->opt))
            continue;
        for (size_t i = 0; i < cfg->n_entries; i++) {
            const struct entry *e = &cfg->entries[i];
            if (e->opt != r->opt || entry_layer(cfg, e) != order[k])
                continue;
            r->set = true;
            r->negated = !e->value;
            if (!e->value) {
                r->n_multi = 0;
                continue;
            }
            const char **m = xrealloc(r->multi, (r->n_multi + 1) * sizeof(*m));
            r->multi = m;
            m[r->n_multi++] = e->value;
        }
    }
    if (!r->set && r->opt->def) {
        r->multi = xmalloc(sizeof(*r->multi));
        r->multi[r->n_multi++] = r->opt->def;
    }
    return 0;
}

static int resolve_option(struct config *cfg, struct resolved *r, char **err)
{
    const struct config_option *o = r->opt;
    const struct entry *cli = pick(cfg, o, LAYER_CLI);
    const struct entry *sec = pick(cfg, o, LAYER_SECTION);
    const struct entry *top = pick(cfg, o, LAYER_TOP);
    if (top && !top_applies(cfg, o)) {
        if (!cli && !sec)
            return err_set(err, "Config setting for -%s only applied on %s network when in [%s] "
                             "section.", o->name, cfg->chain, cfg->chain);
        top = NULL;
    }
    const struct entry *e = cli ? cli : sec ? sec : top;
    r->set = e != NULL;
    r->negated = e && !e->value;
    r->value = e ? e->value : o->def;
    if ((o->flags & CONFIG_MULTI) && resolve_multi(cfg, r) < 0)
        return err_set(err, "out of memory");
    return 0;
}

static int resolve_all(struct config *cfg, char **err)
{
    size_t n = 0;
    for (const struct config_option *const *t = config_tables; *t; t++)
        for (const struct config_option *o = *t; o->name; o++)
            n++;
    cfg->res = xcalloc(n ? n : 1, sizeof(*cfg->res));
    for (const struct config_option *const *t = config_tables; *t; t++)
        for (const struct config_option *o = *t; o->name; o++) {
            struct resolved *r = &cfg->res[cfg->n_res++];
            r->opt = o;
            if (resolve_option(cfg, r, err) < 0)
                return -1;
        }
    return 0;
}

static const struct resolved *lookup(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_res; i++)
        if (!strcmp(cfg->res[i].opt->name, name))
            return &cfg->res[i];
    /* A name no table declares is a bug in the caller, not user input. */
    LOG_ERROR("config: option -%s is not declared in any table", name);
    return NULL;
}

/* An absolute path: relative ones are taken from base (the working
 * directory when base is NULL). */
static char *absolute_path(const char *path, const char *base)
{
    char cwd[4096];
    if (path[0] == '/')
        return xstrdup(path);
    if (!base)
        base = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
    return util_path_join(base, path);
}

static char *default_datadir(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        home = "/";
    return xasprintf("%s%s.hearsay", home, home[strlen(home) - 1] == '/' ? "" : "/");
}

/* -datadir when given and not empty, else the default. */
static char *datadir_from(const struct entry *e)
{
    if (e && e->value && *e->value)
        return absolute_path(e->value, NULL);
    return default_datadir();
}

static int read_file(const char *path, char **text, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = xmalloc(CONF_MAX_BYTES + 1);
    size_t n = fread(buf, 1, CONF_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(err, "cannot read configuration file %s", path);
    }
    if (n > CONF_MAX_BYTES) {
        free(buf);
        return err_set(err, "configuration file %s is larger than %u bytes", path, CONF_MAX_BYTES);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Reads the conf file -conf names (relative to the datadir), or the
 * default one when it exists. */
static int read_conf(struct config *cfg, const char *datadir, char **err)
{
    const struct config_option *o = find_option("conf", 4);
    const struct entry *e = o ? pick(cfg, o, LAYER_CLI) : NULL;
    if (e && !e->value)
        return 0; /* -noconf */
    bool required = e != NULL;
    char *path = absolute_path(e && *e->value ? e->value : CONF_FILENAME, datadir);
    if (!path)
        return err_set(err, "out of memory");
    char *text = NULL;
    size_t len = 0;
    char *rerr = NULL;
    errno = 0;
    if (read_file(path, &text, &len, &rerr) < 0) {
        int rc = 0;
        if (rerr)
            rc = err_set(err, "%s", rerr);
        else if (required || errno != ENOENT)
            rc = err_set(err, "cannot read configuration file %s: %s", path, strerror(errno));
        free(rerr);
        free(path);
        return rc;
    }
    int rc = parse_conf(cfg, text, len, path, err);
    free(text);
    if (rc == 0)
        cfg->conf_path = path;
    else
        free(path);
    return rc;
}

static struct config *config_finish(struct config *cfg, char **err)
{
    if (!cfg->chain && resolve_chain(cfg, err) < 0)
        goto bad;
    if (resolve_all(cfg, err) < 0)
        goto bad;
    cfg->datadir = datadir_from(pick_by_name(cfg, "datadir", true));
    if (!cfg->datadir) {
        err_set(err, "out of memory");
        goto bad;
    }
    return cfg;
bad:
    config_free(cfg);
    return NULL;
}

static bool cli_flag(const struct config *cfg, const char *name)
{
    const struct config_option *o = find_option(name, strlen(name));
    const struct entry *e = o ? pick(cfg, o, LAYER_CLI) : NULL;
    return e && e->value && strcmp(e->value, "0");
}

struct config *config_parse(int argc, char **argv, char **err)
{
    struct config *cfg = xcalloc(1, sizeof(*cfg));
    if (parse_args(cfg, argc, argv, err) < 0) {
        config_free(cfg);
        return NULL;
    }
    /* -help and -version answer without reading (or failing on) the conf. */
    if (!cli_flag(cfg, "help") && !cli_flag(cfg, "version")) {
        char *datadir = datadir_from(pick_by_name(cfg, "datadir", false));
        int rc = datadir ? read_conf(cfg, datadir, err) : err_set(err, "out of memory");
        free(datadir);
        if (rc < 0) {
            config_free(cfg);
            return NULL;
        }
    }
    return config_finish(cfg, err);
}

struct config *config_parse_text(const char *text, const char *chain, char **err)
{
    struct config *cfg = xcalloc(1, sizeof(*cfg));
    if (chain && !known_chain(chain)) {
        err_set(err, "-chain=%s: unknown chain", chain);
        config_free(cfg);
        return NULL;
    }
    if (chain)
        cfg->chain = xstrdup(chain);
    if (parse_conf(cfg, text, strlen(text), NULL, err) < 0) {
        config_free(cfg);
        return NULL;
    }
    return config_finish(cfg, err);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_entries; i++) {
        free(cfg->entries[i].section);
        free(cfg->entries[i].value);
    }
    free(cfg->entries);
    for (size_t i = 0; i < cfg->n_res; i++)
        free(cfg->res[i].multi);
    free(cfg->res);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->chain);
    free(cfg->datadir);
    free(cfg->conf_path);
    free(cfg);
}

const char *config_chain(const struct config *cfg)
{
    return cfg->chain;
}

const char *config_datadir(const struct config *cfg)
{
    return cfg->datadir;
}

const char *config_conf_path(const struct config *cfg)
{
    return cfg->conf_path;
}

const char *const *config_warnings(const struct config *cfg, size_t *n)
{
    *n = cfg->n_warnings;
    return (const char *const *)cfg->warnings;
}

bool config_is_set(const struct config *cfg, const char *name)
{
    const struct resolved *r = lookup(cfg, name);
    return r && r->set;
}

bool config_is_negated(const struct config *cfg, const char *name)
{
    const struct resolved *r = lookup(cfg, name);
    return r && r->negated;
}

const char *config_get_str(const struct config *cfg, const char *name)
{
    const struct resolved *r = lookup(cfg, name);
    return r ? r->value : NULL;
}

int64_t config_get_int(const struct config *cfg, const char *name)
{
    const struct resolved *r = lookup(cfg, name);
    int64_t v = 0;
    if (r && r->value && !parse_int(r->value, &v))
        v = 0;
    return v;
}

bool config_get_bool(const struct config *cfg, const char *name)
{
    const struct resolved *r = lookup(cfg, name);
    return r && r->value && strcmp(r->value, "0") != 0;
}

const char *const *config_get_multi(const struct config *cfg, const char *name, size_t *n)
{
    const struct resolved *r = lookup(cfg, name);
    *n = r ? r->n_multi : 0;
    return r ? r->multi : NULL;
}

/* Writes text indented and wrapped to 79 columns. */
static void print_wrapped(const char *text, int indent)
{
    const int width = 79;
    int col = 0;
    bool line_start = true;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (!line_start && col + 1 + (int)word > width) {
            putchar('\n');
            line_start = true;
        }
        if (line_start)
            col = printf("%*s", indent, "");
        else
            col += printf(" ");
        col += printf("%.*s", (int)word, text);
        line_start = false;
        text += word;
        text += strspn(text, " ");
    }
    putchar('\n');
}

/* "-name=<what>": the first <what> of the help text names the value. */
static void print_option_name(const struct config_option *o)
{
    const char *lt = o->help ? strchr(o->help, '<') : NULL;
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (o->type == CONFIG_BOOL)
        printf("  -%s\n", o->name);
    else if (gt)
        printf("  -%s=%.*s\n", o->name, (int)(gt - lt + 1), lt);
    else
        printf("  -%s=%s\n", o->name, o->type == CONFIG_INT ? "<n>" : "<value>");
}

static void print_option(const struct config_option *o)
{
    print_option_name(o);
    char text[1024];
    int n = snprintf(text, sizeof(text), "%s", o->help ? o->help : "");
    if (o->type == CONFIG_INT && o->min < o->max && n >= 0 && (size_t)n < sizeof(text))
        n += snprintf(text + n, sizeof(text) - (size_t)n, " (%lld to %lld)", (long long)o->min,
                      (long long)o->max);
    /* Booleans are off unless said otherwise. */
    bool show_def = o->def && *o->def && !(o->type == CONFIG_BOOL && !strcmp(o->def, "0"));
    if (show_def && n >= 0 && (size_t)n < sizeof(text))
        n += snprintf(text + n, sizeof(text) - (size_t)n, " (default: %s)", o->def);
    if ((o->flags & CONFIG_MULTI) && n >= 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " May be given more than once.");
    print_wrapped(text, 7);
}

void config_print_help(const char *progname)
{
    printf("Usage: %s [options]\n\n"
           "Options on the command line are -name=value (or -name for 1, -noname for 0);\n"
           "in the conf file they are name=value lines, with [main] [test] [testnet4]\n"
           "[signet] [regtest] sections for one chain.\n",
           progname);
    for (const struct config_option *const *t = config_tables; *t; t++) {
        putchar('\n');
        for (const struct config_option *o = *t; o->name; o++)
            if (!(o->flags & CONFIG_HIDDEN))
                print_option(o);
    }
    char cats[512];
    snprintf(cats, sizeof(cats), "Debug categories (-debug, -debugexclude): %s; 1 or all for every one.",
             log_category_list());
    putchar('\n');
    print_wrapped(cats, 0);
}
