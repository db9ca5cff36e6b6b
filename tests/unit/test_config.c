/* node/config: command line, conf text and files, precedence, errors. */
#include "node/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options of every shape the parser has to handle. */
static const struct config_option test_options[] = {
    { "flag", CONFIG_BOOL, "0", 0, 0, 0, "A boolean." },
    { "count", CONFIG_INT, "8", 1, 100, 0, "An integer from 1 to 100." },
    { "name", CONFIG_STRING, "anon", 0, 0, 0, "A string." },
    { "port", CONFIG_INT, "8333", 1, 65535, CONFIG_NET_SPECIFIC, "Net-specific." },
    { "connect", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC, "Multi, net." },
    { "add", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI, "Multi." },
    { "secret", CONFIG_STRING, NULL, 0, 0, CONFIG_CLI_ONLY, "Command line only." },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

const struct config_option *const config_tables[] = { config_base_options, test_options, NULL };

/* Parses a NULL-terminated list of arguments (after the program name),
 * never reading a conf file unless the arguments name one. */
static struct config *parse_argsv(char **err, const char *first, va_list ap)
{
    char *argv[32] = { "prog" };
    int argc = 1;
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    return config_parse(argc, argv, err);
}

static struct config *parse(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    char *err = NULL;
    struct config *cfg = parse_argsv(&err, first, ap);
    va_end(ap);
    if (!cfg)
        fail_msg("unexpected error: %s", err);
    return cfg;
}

/* Expects a parse error whose message contains want. */
static void parse_fails(const char *want, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    char *err = NULL;
    struct config *cfg = parse_argsv(&err, first, ap);
    va_end(ap);
    if (cfg)
        fail_msg("expected an error containing '%s'", want);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
    assert_null(strchr(err, '\n'));
    free(err);
}

static struct config *text(const char *conf, const char *chain)
{
    char *err = NULL;
    struct config *cfg = config_parse_text(conf, chain, &err);
    if (!cfg)
        fail_msg("unexpected error: %s", err);
    return cfg;
}

static void text_fails(const char *conf, const char *chain, const char *want)
{
    char *err = NULL;
    struct config *cfg = config_parse_text(conf, chain, &err);
    if (cfg)
        fail_msg("'%s' should fail with '%s'", conf, want);
    if (!err || !strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err ? err : "(none)", want);
    free(err);
}

static void test_defaults(void **state)
{
    struct config *cfg = parse("-noconf", NULL);
    assert_string_equal(config_chain(cfg), "main");
    assert_false(config_get_bool(cfg, "flag"));
    assert_int_equal(config_get_int(cfg, "count"), 8);
    assert_string_equal(config_get_str(cfg, "name"), "anon");
    assert_false(config_is_set(cfg, "count"));
    assert_false(config_is_set(cfg, "name"));
    size_t n = 99;
    config_get_multi(cfg, "add", &n);
    assert_int_equal(n, 0);
    assert_null(config_conf_path(cfg));
    config_free(cfg);
    config_free(NULL);
}

static void test_argv_values(void **state)
{
    struct config *cfg = parse("-noconf", "-flag", "-count=42", "-name=bob", "--name=eve", NULL);
    assert_true(config_get_bool(cfg, "flag"));
    assert_true(config_is_set(cfg, "flag"));
    assert_int_equal(config_get_int(cfg, "count"), 42);
    assert_string_equal(config_get_str(cfg, "name"), "eve"); /* last wins */
    config_free(cfg);

    cfg = parse("-noconf", "-name", "-count=+7", NULL);
    assert_string_equal(config_get_str(cfg, "name"), "");
    assert_int_equal(config_get_int(cfg, "count"), 7);
    config_free(cfg);
}

static void test_negation(void **state)
{
    struct config *cfg = parse("-noconf", "-flag", "-noflag", "-noname", NULL);
    assert_false(config_get_bool(cfg, "flag"));
    assert_true(config_is_set(cfg, "flag"));
    assert_true(config_is_negated(cfg, "flag"));
    assert_null(config_get_str(cfg, "name"));
    assert_true(config_is_negated(cfg, "name"));
    config_free(cfg);

    /* Double negative: -noflag=0 is -flag. */
    cfg = parse("-noconf", "-noflag=0", NULL);
    assert_true(config_get_bool(cfg, "flag"));
    assert_false(config_is_negated(cfg, "flag"));
    config_free(cfg);

    cfg = parse("-noconf", "-noflag=1", "-flag=1", NULL);
    assert_true(config_get_bool(cfg, "flag"));
    config_free(cfg);

    parse_fails("not a boolean", "-noconf", "-noflag=yes", NULL);
}

/* One bad argument each: the message names it and the problem. */
static void test_unknown_and_malformed(void **state)
{
    static const struct {
        const char *arg, *want;
    } cases[] = {
        { "-bogus", "-bogus: unknown option" },
        { "-nobogus=1", "-nobogus=1: unknown option" },
        { "stray", "unexpected argument 'stray'" },
        { "-", "unexpected argument '-'" },
        { "-regtest.count=3", "-regtest.count=3: unknown option" },
        { "-count=abc", "-count=abc: not an integer" },
        { "-count=12x", "-count=12x: not an integer" },
        { "-count=", "-count=: not an integer" },
        { "-count= 5", "-count= 5: not an integer" },
        { "-count", "-count: needs a value" },
        { "-count=0", "-count=0: out of range (1 to 100)" },
        { "-count=101", "-count=101: out of range (1 to 100)" },
        { "-count=-3", "out of range" },
        { "-count=99999999999999999999", "not an integer" },
        { "-flag=yes", "-flag=yes: not a boolean" },
        { "-flag=2", "-flag=2: not a boolean" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        parse_fails(cases[i].want, "-noconf", cases[i].arg, NULL);
}

static void test_int_range_edges(void **state)
{
    struct config *cfg = parse("-noconf", "-count=1", "-port=65535", NULL);
    assert_int_equal(config_get_int(cfg, "count"), 1);
    assert_int_equal(config_get_int(cfg, "port"), 65535);
    config_free(cfg);
    cfg = parse("-noconf", "-count=100", NULL);
    assert_int_equal(config_get_int(cfg, "count"), 100);
    config_free(cfg);
}

static void test_chain_selection(void **state)
{
    static const struct {
        const char *arg, *chain;
    } cases[] = {
        { "-regtest", "regtest" },   { "-testnet", "test" },      { "-testnet4", "testnet4" },
        { "-signet", "signet" },     { "-chain=regtest", "regtest" }, { "-chain=main", "main" },
        { "-regtest=0", "main" },    { "-noregtest", "main" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct config *cfg = parse("-noconf", cases[i].arg, NULL);
        assert_string_equal(config_chain(cfg), cases[i].chain);
        config_free(cfg);
    }
    parse_fails("Can use at most one", "-noconf", "-regtest", "-testnet", NULL);
    parse_fails("Can use at most one", "-noconf", "-signet", "-chain=regtest", NULL);
    parse_fails("-chain=nonet: unknown chain", "-noconf", "-chain=nonet", NULL);
}

static void test_sections(void **state)
{
    const char *conf = "# comment\n"
                       "  count = 5   # trailing comment\r\n"
                       "name=top\n"
                       "\n"
                       "[regtest]\n"
                       "count=7\n"
                       "[ signet ]\n"
                       "count=9\n"
                       "[main]\n"
                       "name=mainname\n";
    struct config *cfg = text(conf, "regtest");
    assert_int_equal(config_get_int(cfg, "count"), 7);
    assert_string_equal(config_get_str(cfg, "name"), "top");
    config_free(cfg);
    cfg = text(conf, "signet");
    assert_int_equal(config_get_int(cfg, "count"), 9);
    config_free(cfg);
    cfg = text(conf, "main");
    assert_int_equal(config_get_int(cfg, "count"), 5);
    assert_string_equal(config_get_str(cfg, "name"), "mainname"); /* [main] beats the top */
    config_free(cfg);

    /* section.name=value is name=value inside [section]. */
    cfg = text("count=5\nregtest.count=6\n", "regtest");
    assert_int_equal(config_get_int(cfg, "count"), 6);
    config_free(cfg);

    /* In the conf file the first value wins, as in Bitcoin Core. */
    cfg = text("count=5\ncount=6\n", "main");
    assert_int_equal(config_get_int(cfg, "count"), 5);
    config_free(cfg);

    /* The chain may come from the top of the file. */
    cfg = text("regtest=1\ncount=3\n[regtest]\ncount=4\n", NULL);
    assert_string_equal(config_chain(cfg), "regtest");
    assert_int_equal(config_get_int(cfg, "count"), 4);
    config_free(cfg);
}

static void test_unknown_section_warns(void **state)
{
    struct config *cfg = text("[moon]\ncount=3\n[regtest]\n", "regtest");
    size_t n;
    const char *const *w = config_warnings(cfg, &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(w[0], "Section [moon] is not recognized"));
    assert_non_null(strstr(w[0], "line 1"));
    assert_int_equal(config_get_int(cfg, "count"), 8); /* [moon] applies nowhere */
    config_free(cfg);
}

static void test_net_specific(void **state)
{
    struct config *cfg = text("port=1234\n", "main");
    assert_int_equal(config_get_int(cfg, "port"), 1234);
    config_free(cfg);

    text_fails("port=1234\n", "regtest",
               "Config setting for -port only applied on regtest network when in [regtest] section.");
    text_fails("connect=a\n", "signet", "-connect only applied on signet");

    cfg = text("port=1234\n[regtest]\nport=5678\n", "regtest");
    assert_int_equal(config_get_int(cfg, "port"), 5678);
    config_free(cfg);

    /* Not net-specific: the top applies everywhere. */
    cfg = text("count=12\n", "testnet4");
    assert_int_equal(config_get_int(cfg, "count"), 12);
    config_free(cfg);
}

static void test_multi(void **state)
{
    struct config *cfg = text("add=a\nadd=b\n[regtest]\nadd=c\n", "regtest");
    size_t n;
    const char *const *v = config_get_multi(cfg, "add", &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "b");
    assert_string_equal(v[2], "c");
    config_free(cfg);

    /* A negation drops the values before it. */
    cfg = text("add=a\nnoadd=1\nadd=b\n", "main");
    v = config_get_multi(cfg, "add", &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0], "b");
    config_free(cfg);

    cfg = parse("-noconf", "-add=x", "-add=y", "-noadd", NULL);
    config_get_multi(cfg, "add", &n);
    assert_int_equal(n, 0);
    assert_true(config_is_negated(cfg, "add"));
    config_free(cfg);

    cfg = parse("-noconf", "-connect=p", "-connect=q", NULL);
    v = config_get_multi(cfg, "connect", &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[1], "q");
    config_free(cfg);
}

static void test_conf_text_errors(void **state)
{
    text_fails("-count=5\n", "main", "line 1: -count=5: options in the conf file are written without");
    text_fails("\ncount\n", "main", "line 2: count: expected name=value");
    text_fails("[regtest\n", "main", "malformed section header");
    text_fails("[]\n", "main", "empty section name");
    text_fails("bogus=1\n", "main", "line 1: bogus=1: unknown option");
    text_fails("secret=x\n", "main", "-secret can only be given on the command line");
    text_fails("conf=other.conf\n", "main", "-conf can only be given on the command line");
    text_fails("count=abc\n", "main", "line 1: count=abc: not an integer");
    text_fails("count=1000\n", "main", "out of range");
    text_fails("flag=yes\n", "main", "not a boolean");
    text_fails("moon.count=1\n", "main", "unknown section 'moon'");
    text_fails("=5\n", "main", "missing option name");
    text_fails("regtest=1\ntestnet=1\n", NULL, "Can use at most one");
    text_fails("chain=nonet\n", NULL, "unknown chain");
    text_fails("", "nonet", "unknown chain");
}

/* A temporary datadir holding hearsay.conf with the given text. */
static char *make_datadir(const char *conf)
{
    char tmpl[] = "/tmp/hearsay-test-config-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    if (conf) {
        char path[512];
        snprintf(path, sizeof(path), "%s/hearsay.conf", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(conf, f);
        fclose(f);
    }
    return strdup(dir);
}

static void remove_datadir(char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/hearsay.conf", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

static void test_conf_file(void **state)
{
    char *dir = make_datadir("count=5\nname=fromconf\nregtest=1\n[regtest]\nadd=r\n");
    char arg[600], conf_arg[600];
    snprintf(arg, sizeof(arg), "-datadir=%s", dir);

    struct config *cfg = parse(arg, "-name=cli", NULL);
    assert_string_equal(config_chain(cfg), "regtest");
    assert_int_equal(config_get_int(cfg, "count"), 5);
    assert_string_equal(config_get_str(cfg, "name"), "cli"); /* command line wins */
    size_t n;
    assert_string_equal(config_get_multi(cfg, "add", &n)[0], "r");
    assert_string_equal(config_datadir(cfg), dir);
    assert_non_null(strstr(config_conf_path(cfg), "/hearsay.conf"));
    config_free(cfg);

    /* -conf relative to the datadir; -noconf reads nothing. */
    cfg = parse(arg, "-conf=hearsay.conf", NULL);
    assert_int_equal(config_get_int(cfg, "count"), 5);
    config_free(cfg);
    cfg = parse(arg, "-noconf", NULL);
    assert_int_equal(config_get_int(cfg, "count"), 8);
    assert_null(config_conf_path(cfg));
    config_free(cfg);

    snprintf(conf_arg, sizeof(conf_arg), "-conf=%s/missing.conf", dir);
    parse_fails("cannot read configuration file", arg, conf_arg, NULL);
    parse_fails("missing.conf", arg, conf_arg, NULL);
    /* A directory is not a conf file. */
    snprintf(conf_arg, sizeof(conf_arg), "-conf=%s", dir);
    parse_fails("cannot read configuration file", arg, conf_arg, NULL);
    remove_datadir(dir);
}

static void test_conf_file_errors(void **state)
{
    char *dir = make_datadir("count=5\n\nbogus=1\n");
    char arg[600];
    snprintf(arg, sizeof(arg), "-datadir=%s", dir);
    parse_fails("/hearsay.conf:3: bogus=1: unknown option", arg, NULL);

    /* -help and -version do not read the conf file. */
    struct config *cfg = parse(arg, "-help", NULL);
    assert_true(config_get_bool(cfg, "help"));
    config_free(cfg);
    cfg = parse(arg, "-version", NULL);
    assert_true(config_get_bool(cfg, "version"));
    config_free(cfg);
    remove_datadir(dir);

    /* A missing default conf file is fine. */
    dir = make_datadir(NULL);
    snprintf(arg, sizeof(arg), "-datadir=%s", dir);
    cfg = parse(arg, NULL);
    assert_null(config_conf_path(cfg));
    config_free(cfg);
    remove_datadir(dir);
}

static void test_datadir(void **state)
{
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/nonexistent-home", 1);
    struct config *cfg = parse("-noconf", NULL);
    assert_string_equal(config_datadir(cfg), "/nonexistent-home/.hearsay");
    config_free(cfg);

    cfg = parse("-noconf", "-datadir=rel/dir", NULL);
    char cwd[4096], want[4200];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(want, sizeof(want), "%s/rel/dir", cwd);
    assert_string_equal(config_datadir(cfg), want);
    config_free(cfg);

    /* The datadir may also come from the conf file. */
    cfg = text("datadir=/srv/hs\n", "main");
    assert_string_equal(config_datadir(cfg), "/srv/hs");
    config_free(cfg);

    if (old_home)
        setenv("HOME", old_home, 1);
    else
        unsetenv("HOME");
    free(old_home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_argv_values),
        cmocka_unit_test(test_negation),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_int_range_edges),
        cmocka_unit_test(test_chain_selection),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_unknown_section_warns),
        cmocka_unit_test(test_net_specific),
        cmocka_unit_test(test_multi),
        cmocka_unit_test(test_conf_text_errors),
        cmocka_unit_test(test_conf_file),
        cmocka_unit_test(test_conf_file_errors),
        cmocka_unit_test(test_datadir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
