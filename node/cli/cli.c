/* hearsay-cli: sends one JSON-RPC request to hearsayd and prints the
 * answer as bitcoin-cli does (strings raw, other results indented by two
 * spaces, errors as "error code: N" / "error message:" on stderr with
 * exit status |code|). Arguments are JSON where they parse as JSON and
 * strings otherwise. */
#define _GNU_SOURCE
#include <config.h> /* autoconf's: PACKAGE_VERSION */

#include "chain/primitives/params.h"
#include "node/cli/cli_format.h"
#include "node/config.h"
#include "node/rpc/rpc_auth.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_CLIENT_TIMEOUT 900 /* -rpcclienttimeout, as Bitcoin Core */
#define MAX_STDIN_LINE (4u << 20)

/* Options hearsay-cli handles itself; the rest (-regtest, -datadir, -conf,
 * -rpcport, -rpcuser, -rpcpassword...) go through node/config.c so the
 * conf file is read the way hearsayd reads it. */
struct cli {
    bool named, use_stdin, wait;
    long wait_timeout, client_timeout;
    const char *connect;
    struct config *cfg;
    const struct chain_params *params;
    char *host;
    uint16_t port;
};

/* One HTTP exchange. */
struct reply {
    int status; /* 0: could not connect */
    char *body;
    size_t len;
};

static void usage(void)
{
    printf("hearsay RPC client version v%s\n\n"
           "Usage: hearsay-cli [options] <command> [params]\n"
           "       hearsay-cli [options] -named <command> [name=value]...\n"
           "       hearsay-cli [options] help            List commands\n"
           "       hearsay-cli [options] help <command>  Get help for a command\n\n"
           "Options:\n"
           "  -regtest, -testnet, -signet, -chain=<chain>  Chain to talk to\n"
           "  -datadir=<dir>       Data directory (where the .cookie is)\n"
           "  -conf=<file>         Configuration file (default: <datadir>/hearsay.conf)\n"
           "  -rpcconnect=<ip>     Send commands to the node at <ip>[:port] (default: %s)\n"
           "  -rpcport=<port>      Connect to JSON-RPC on <port> (default: the chain's)\n"
           "  -rpcuser=<user>      Username for JSON-RPC connections\n"
           "  -rpcpassword=<pw>    Password (default: read the .cookie)\n"
           "  -named               Pass named instead of positional arguments\n"
           "  -stdin               Read extra arguments from standard input, one per line\n"
           "  -rpcwait             Wait for the RPC server to start\n"
           "  -rpcwaittimeout=<n>  Seconds to wait with -rpcwait (default: 0, forever)\n"
           "  -rpcclienttimeout=<n>  Seconds to wait for a reply (default: %d, 0: forever)\n",
           PACKAGE_VERSION, DEFAULT_HOST, DEFAULT_CLIENT_TIMEOUT);
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Takes the options hearsay-cli handles itself out of argv. Returns 1 if
 * the option was one of them, 0 if not, -1 when its value is bad. */
static int own_option(struct cli *c, const char *arg)
{
    const char *a = arg[1] == '-' ? arg + 2 : arg + 1;
    if (!strcmp(a, "named"))
        c->named = true;
    else if (!strcmp(a, "stdin"))
        c->use_stdin = true;
    else if (!strcmp(a, "rpcwait"))
        c->wait = true;
    else if (!strncmp(a, "rpcwaittimeout=", 15))
        return parse_long(a + 15, &c->wait_timeout) ? 1 : -1;
    else if (!strncmp(a, "rpcclienttimeout=", 17))
        return parse_long(a + 17, &c->client_timeout) ? 1 : -1;
    else if (!strncmp(a, "rpcconnect=", 11))
        c->connect = a + 11;
    else
        return 0;
    return 1;
}

/* -rpcconnect=host[:port] or [v6]:port; -rpcport wins over its port. */
static int set_endpoint(struct cli *c)
{
    const char *spec = c->connect ? c->connect : DEFAULT_HOST;
    const char *port = NULL;
    size_t hl = strlen(spec);
    if (spec[0] == '[' && strchr(spec, ']')) {
        const char *close = strchr(spec, ']');
        hl = (size_t)(close - spec - 1);
        spec++;
        port = close[1] == ':' ? close + 2 : NULL;
    } else if (strchr(spec, ':') && strchr(spec, ':') == strrchr(spec, ':')) {
        port = strchr(spec, ':') + 1;
        hl = (size_t)(port - 1 - spec);
    }
    c->host = xstrndup(spec, hl);
    c->port = c->params->rpc_port;
    long v;
    if (port && (!parse_long(port, &v) || v < 1 || v > 65535))
        return die("Invalid port provided in -rpcconnect: %s", c->connect);
    if (port)
        c->port = (uint16_t)v;
    if (config_is_set(c->cfg, "rpcport"))
        c->port = (uint16_t)config_get_int(c->cfg, "rpcport");
    return 0;
}

/* "user:password", from -rpcpassword or the cookie (read on every try, as
 * the node writes it only once it has started). NULL if neither. */
static char *credentials(const struct cli *c)
{
    const char *pass = config_get_str(c->cfg, "rpcpassword");
    if (pass && *pass) {
        const char *user = config_get_str(c->cfg, "rpcuser");
        return xasprintf("%s:%s", user ? user : "", pass);
    }
    const char *sub = c->params->subdir;
    char *dir = *sub ? util_path_join(config_datadir(c->cfg), sub) : xstrdup(config_datadir(c->cfg));
    char *err = NULL;
    char *up = dir ? rpc_auth_read_cookie(dir, &err) : NULL;
    free(err);
    free(dir);
    return up;
}

static json_t *arg_value(const char *s)
{
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(s);
}

static int add_arg(const struct cli *c, json_t *params, const char *arg)
{
    if (!c->named) {
        json_t *v = arg_value(arg);
        if (!v)
            return die("argument is not valid UTF-8: %s", arg);
        json_array_append_new(params, v);
        return 0;
    }
    const char *eq = strchr(arg, '=');
    if (!eq)
        return die("No '=' in named argument '%s', this may be because you forgot to specify "
                   "a value", arg);
    char *name = xstrndup(arg, (size_t)(eq - arg));
    json_t *v = arg_value(eq + 1);
    int rc = v ? 0 : die("argument is not valid UTF-8: %s", arg);
    if (v && !json_object_get(params, name)) /* the first value of a name wins */
        json_object_set_new(params, name, v);
    else
        json_decref(v);
    free(name);
    return rc;
}

static int read_stdin_args(const struct cli *c, json_t *params)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
        if ((size_t)n > MAX_STDIN_LINE) {
            rc = die("a line of standard input is too long");
            break;
        }
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        rc = add_arg(c, params, line);
    }
    free(line);
    return rc;
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct reply *r = arg;
    if (!req || evhttp_request_get_response_code(req) == 0)
        return;
    r->status = evhttp_request_get_response_code(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    r->len = evbuffer_get_length(in);
    r->body = xmalloc(r->len + 1);
    evbuffer_remove(in, r->body, r->len);
    r->body[r->len] = 0;
}

static void http_post(const struct cli *c, const char *auth, const char *body, struct reply *r)
{
    memset(r, 0, sizeof(*r));
    struct event_base *base = event_base_new();
    struct evhttp_connection *conn =
        base ? evhttp_connection_base_new(base, NULL, c->host, c->port) : NULL;
    struct evhttp_request *req = conn ? evhttp_request_new(on_reply, r) : NULL;
    if (req) {
        if (c->client_timeout > 0)
            evhttp_connection_set_timeout(conn, (int)c->client_timeout);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Host", c->host);
        evhttp_add_header(h, "Connection", "close");
        evhttp_add_header(h, "Content-Type", "application/json");
        if (auth)
            evhttp_add_header(h, "Authorization", auth);
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
        if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/") == 0)
            event_base_dispatch(base);
    }
    if (conn)
        evhttp_connection_free(conn);
    if (base)
        event_base_free(base);
}

/* Prints the reply the way bitcoin-cli does; returns the exit status. */
static int print_reply(const struct reply *r)
{
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    json_t *err = json_object_get(doc, "error");
    json_t *res = json_object_get(doc, "result");
    int rc = 0;
    if (!json_is_object(doc)) {
        rc = die("couldn't parse reply from server");
    } else if (err && !json_is_null(err)) {
        json_t *code = json_object_get(err, "code");
        json_t *msg = json_object_get(err, "message");
        if (json_is_integer(code))
            fprintf(stderr, "error code: %" JSON_INTEGER_FORMAT "\n", json_integer_value(code));
        if (json_is_string(msg))
            fprintf(stderr, "error message:\n%s\n", json_string_value(msg));
        json_int_t n = json_integer_value(code);
        rc = n < 0 ? (int)(-n & 0xff) : (int)(n & 0xff);
        if (rc == 0)
            rc = 1;
    } else if (json_is_string(res)) {
        printf("%s\n", json_string_value(res));
    } else if (res && !json_is_null(res)) {
        char *text = cli_format_result(r->body, r->len);
        if (text)
            printf("%s\n", text);
        free(text);
    }
    json_decref(doc);
    return rc;
}

static json_int_t reply_error_code(const struct reply *r)
{
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    json_int_t code = json_integer_value(json_object_get(json_object_get(doc, "error"), "code"));
    json_decref(doc);
    return code;
}

/* Sends the request, waiting (-rpcwait) while the node is not up yet or
 * warming up. Returns the exit status. */
static int call(const struct cli *c, const char *body)
{
    time_t deadline = c->wait_timeout > 0 ? time(NULL) + c->wait_timeout : 0;
    for (;;) {
        char *up = credentials(c);
        bool had_credentials = up != NULL;
        char *auth = up ? rpc_auth_basic_header(up) : rpc_auth_basic_header(":");
        struct reply r;
        http_post(c, auth, body, &r);
        free(up);
        free(auth);
        bool warmup = r.status && r.body && reply_error_code(&r) == -28;
        bool retry = c->wait && (r.status == 0 || warmup) &&
                     (!deadline || time(NULL) < deadline);
        if (retry) {
            free(r.body);
            sleep(1);
            continue;
        }
        int rc;
        if (r.status == 0)
            rc = die("%sCould not connect to the server %s:%u\n\nMake sure the hearsayd server "
                     "is running and that you are connecting to the correct RPC port.\n"
                     "Use \"hearsay-cli -help\" for more info.",
                     c->wait ? "timeout on transient error: " : "", c->host, c->port);
        else if (r.status == 401)
            rc = die(had_credentials ? "Authorization failed: Incorrect rpcuser or rpcpassword"
                        : "Could not locate RPC credentials. No authentication cookie could be "
                          "found, and RPC password is not set.");
        else if (r.status >= 400 && r.status != 400 && r.status != 404 && r.status != 500)
            rc = die("server returned HTTP error %d", r.status);
        else if (!r.body || r.len == 0)
            rc = die("no response from server");
        else
            rc = print_reply(&r);
        free(r.body);
        return rc;
    }
}

static char *build_request(const struct cli *c, int argc, char **argv)
{
    json_t *params = c->named ? json_object() : json_array();
    for (int i = 1; i < argc; i++)
        if (add_arg(c, params, argv[i]) != 0)
            goto fail;
    if (c->use_stdin && read_stdin_args(c, params) != 0)
        goto fail;
    json_t *req = json_pack("{s:s,s:s,s:o,s:i}", "jsonrpc", "1.0", "method", argv[0], "params",
                            params, "id", 1);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return body;
fail:
    json_decref(params);
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli c = { .client_timeout = DEFAULT_CLIENT_TIMEOUT };
    char **cfg_argv = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_cfg = 1, first = 1, rc = 1;
    cfg_argv[0] = argv[0];
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        const char *a = argv[first] + (argv[first][1] == '-' ? 2 : 1);
        if (!strcmp(a, "help") || !strcmp(a, "?") || !strcmp(a, "h")) {
            usage();
            free(cfg_argv);
            return 0;
        }
        if (!strcmp(a, "version")) {
            printf("hearsay RPC client version v%s\n", PACKAGE_VERSION);
            free(cfg_argv);
            return 0;
        }
        int own = own_option(&c, argv[first]);
        if (own < 0) {
            free(cfg_argv);
            return die("Invalid value in %s", argv[first]);
        }
        if (!own)
            cfg_argv[n_cfg++] = argv[first];
    }
    char *err = NULL, *body = NULL;
    c.cfg = config_parse(n_cfg, cfg_argv, &err);
    if (!c.cfg) {
        rc = die("Error parsing command line arguments: %s", err ? err : "?");
    } else if (first >= argc) {
        rc = die("too few parameters (need at least command)");
    } else if (!(c.params = params_by_name(config_chain(c.cfg)))) {
        rc = die("unknown chain %s", config_chain(c.cfg));
    } else if (set_endpoint(&c) == 0 && (body = build_request(&c, argc - first, argv + first))) {
        rc = call(&c, body);
    }
    free(body);
    free(err);
    free(c.host);
    free(cfg_argv);
    config_free(c.cfg);
    return rc;
}
