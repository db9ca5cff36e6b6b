#include "node/rpc/rpc_server.h"

#include "chain/util/log.h"
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_auth.h"
#include "node/rpc/rest.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"
#include "chain/util/err.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_HEADERS_SIZE 8192 /* as Bitcoin Core */
#define AFTER_REPLY_FALLBACK_SECS 1

struct subnet {
    int family;
    uint8_t addr[16];
    unsigned bits;
};

/* A wrong password answered later: Bitcoin Core sleeps 250 ms in a worker
 * thread; we have one loop, so a timer holds the request instead. */
struct delayed_401 {
    struct rpc_server *s;
    struct evhttp_request *req;
    struct event *ev;
    struct delayed_401 *prev, *next;
};

/* A request whose method waits (waitfornewblock...): answered when a
 * wake-up finds it ready or at its deadline, never by blocking the loop. */
struct parked {
    struct rpc_server *s;
    struct evhttp_request *req;
    struct rpc_pending *p;
    struct event *deadline; /* NULL: no deadline */
    struct parked *prev, *next;
};

struct rpc_server {
    struct event_base *base;
    struct evhttp *http;
    struct rpc_table *table;
    struct rpc_auth *auth;
    struct subnet *allow;
    size_t n_allow;
    int fail_delay_ms;
    bool rest;
    uint64_t requests; /* HTTP requests received, for the metrics */
    uint16_t port;
    struct evhttp_request *current; /* the request being dispatched */
    struct delayed_401 *delayed;
    struct parked *parked;
    struct event *wake_ev; /* polls the parked requests on the next loop turn */
    struct event *recheck_ev; /* polls them every RPC_RECHECK_SECS too */
    bool stopping; /* rpc_server_release_waiting ran */
    /* rpc_server_after_reply and rpc_server_release_waiting: after_fn runs
     * once after_replies answers are written, or after a fallback delay. */
    void (*after_fn)(void *);
    void *after_arg;
    struct event *after_ev;
    size_t after_replies;
};

/* "1.2.3.0/24", "1.2.3.0/255.255.255.0", "2001:db8::/32", "1.2.3.4". */
static int parse_subnet(const char *spec, struct subnet *out)
{
    char host[64];
    const char *slash = strchr(spec, '/');
    size_t hl = slash ? (size_t)(slash - spec) : strlen(spec);
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, host, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->bits = max;
    if (!slash)
        return 0;
    uint8_t mask[4];
    char *end;
    unsigned long b = strtoul(slash + 1, &end, 10);
    if (slash[1] && !*end && b <= max) {
        out->bits = (unsigned)b;
        return 0;
    }
    if (out->family != AF_INET || inet_pton(AF_INET, slash + 1, mask) != 1)
        return -1;
    /* A dotted netmask must be contiguous ones. */
    uint32_t m = (uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 | (uint32_t)mask[2] << 8 | mask[3];
    unsigned ones = 0;
    while (ones < 32 && (m & (0x80000000u >> ones)))
        ones++;
    if (ones < 32 && (m << ones) != 0)
        return -1;
    out->bits = ones;
    return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full))
        return false;
    if (!rest)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

static bool client_allowed(const struct rpc_server *s, const struct sockaddr *sa)
{
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    uint8_t addr[16];
    int family;
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const uint8_t *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        family = memcmp(a6, v4mapped, 12) ? AF_INET6 : AF_INET;
        memcpy(addr, family == AF_INET ? a6 + 12 : a6, family == AF_INET ? 4 : 16);
    } else {
        return false;
    }
    if (family == AF_INET && addr[0] == 127)
        return true;
    if (family == AF_INET6 && !memcmp(addr, &in6addr_loopback, 16))
        return true;
    for (size_t i = 0; i < s->n_allow; i++)
        if (s->allow[i].family == family && prefix_match(addr, s->allow[i].addr, s->allow[i].bits))
            return true;
    return false;
}

static void send_401(struct evhttp_request *req)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Basic realm=\"jsonrpc\"");
    evhttp_send_reply(req, 401, "Unauthorized", NULL);
}

static void delayed_unlink(struct delayed_401 *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        d->s->delayed = d->next;
    if (d->next)
        d->next->prev = d->prev;
    event_free(d->ev);
    free(d);
}

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
    struct delayed_401 *d = arg;
    send_401(d->req);
    delayed_unlink(d);
}

static void reply_401_later(struct rpc_server *s, struct evhttp_request *req)
{
    struct delayed_401 *d = xcalloc(1, sizeof(*d));
    d->ev = evtimer_new(s->base, delayed_fire, d);
    if (!d->ev) {
        free(d);
        send_401(req);
        return;
    }
    d->s = s;
    d->req = req;
    d->next = s->delayed;
    if (s->delayed)
        s->delayed->prev = d;
    s->delayed = d;
    struct timeval tv = { s->fail_delay_ms / 1000, (s->fail_delay_ms % 1000) * 1000 };
    evtimer_add(d->ev, &tv);
}

static const char *peer_text(struct evhttp_request *req, char *buf, size_t cap)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    if (c)
        evhttp_connection_get_peer(c, &host, &port);
    snprintf(buf, cap, "%s:%u", host ? host : "?", port);
    return buf;
}

static bool path_ok(struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    return !strcmp(uri, "/") || !strncmp(uri, "/wallet/", 8);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    default: return "Internal Server Error";
    }
}

static void free_body(const void *data, size_t len, void *arg)
{
    free((void *)data);
}

static void send_body(struct evhttp_request *req, int status, char *out, size_t out_len)
{
    if (!out) {
        evhttp_send_reply(req, 204, "No Content", NULL);
        return;
    }
    struct evbuffer *reply = evbuffer_new();
    if (!reply || evbuffer_add_reference(reply, out, out_len, free_body, NULL) < 0) {
        free(out);
        if (reply)
            evbuffer_free(reply);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, reason(status), reply);
    evbuffer_free(reply);
}

static void unpark(struct parked *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        k->s->parked = k->next;
    if (k->next)
        k->next->prev = k->prev;
    if (k->deadline)
        event_free(k->deadline);
    if (!k->s->parked && k->s->recheck_ev)
        event_del(k->s->recheck_ev);
    free(k);
}

static void after_run(struct rpc_server *s)
{
    void (*fn)(void *) = s->after_fn;
    s->after_fn = NULL;
    s->after_replies = 0;
    if (s->after_ev)
        event_del(s->after_ev);
    if (fn)
        fn(s->after_arg);
}

static void after_timer(evutil_socket_t fd, short what, void *arg)
{
    after_run(arg);
}

static void after_complete(struct evhttp_request *req, void *arg)
{
    struct rpc_server *s = arg;
    if (s->after_replies && --s->after_replies == 0)
        after_run(s);
}

/* fn(arg) once the answers counted in after_replies are written; a client
 * gone before its answer is written never completes, hence the timer. */
static void after_arm(struct rpc_server *s, void (*fn)(void *), void *arg)
{
    if (!s->after_ev)
        s->after_ev = evtimer_new(s->base, after_timer, s);
    s->after_fn = fn;
    s->after_arg = arg;
    struct timeval tv = { AFTER_REPLY_FALLBACK_SECS, 0 };
    if (s->after_ev)
        evtimer_add(s->after_ev, &tv);
}

/* Answers k if its method is ready (or must answer, timed_out). */
static void poll_parked(struct parked *k, bool timed_out)
{
    int status;
    char *out;
    size_t out_len;
    if (rpc_pending_poll(k->p, timed_out, &status, &out, &out_len)) {
        if (k->s->after_fn) {
            evhttp_request_set_on_complete_cb(k->req, after_complete, k->s);
            k->s->after_replies++;
        }
        send_body(k->req, status, out, out_len);
        unpark(k);
    }
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    poll_parked(arg, true);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_server *s = arg;
    for (struct parked *k = s->parked, *next; k; k = next) {
        next = k->next;
        poll_parked(k, false);
    }
}

void rpc_server_wake(struct rpc_server *s)
{
    if (s && s->parked && s->wake_ev)
        event_active(s->wake_ev, 0, 0);
}

void rpc_server_release_waiting(struct rpc_server *s, void (*done)(void *), void *arg)
{
    s->stopping = true;
    if (done && s->after_fn) { /* one pending already (a second signal) */
        done(arg);
        done = NULL;
    }
    if (done)
        after_arm(s, done, arg);
    while (s->parked)
        poll_parked(s->parked, true);
    if (done && !s->after_replies)
        after_run(s);
}

bool rpc_server_stopping(const struct rpc_server *s)
{
    return s && s->stopping;
}

static void park(struct rpc_server *s, struct evhttp_request *req, struct rpc_pending *p)
{
    struct parked *k = xcalloc(1, sizeof(*k));
    *k = (struct parked){ s, req, p, NULL, NULL, s->parked };
    int64_t ms = rpc_pending_timeout_ms(p);
    if (ms > 0) {
        struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
        k->deadline = evtimer_new(s->base, on_deadline, k);
        if (k->deadline)
            evtimer_add(k->deadline, &tv);
    }
    if (s->parked)
        s->parked->prev = k;
    s->parked = k;
    if (s->recheck_ev && !event_pending(s->recheck_ev, EV_TIMEOUT, NULL)) {
        struct timeval every = { RPC_RECHECK_SECS, 0 };
        event_add(s->recheck_ev, &every);
    }
}

static void dispatch(struct rpc_server *s, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, -1);
    int status;
    size_t out_len;
    struct rpc_pending *pending = NULL;
    s->current = req;
    char *out = rpc_table_dispatch_wait(s->table, body ? body : "", body ? len : 0, &status,
                                        &out_len, &pending);
    s->current = NULL;
    if (pending)
        park(s, req, pending);
    else
        send_body(req, status, out, out_len);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct rpc_server *s = arg;
    char peer[80];
    s->requests++;
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    if (!client_allowed(s, c ? evhttp_connection_get_addr(c) : NULL)) {
        LOG_WARN("RPC request from %s refused: not in -rpcallowip", peer_text(req, peer, sizeof(peer)));
        evhttp_send_error(req, 403, "Forbidden");
        return;
    }
    /* As Bitcoin Core: an unknown path is 404 for the methods it knows
     * (REST clients read "not found" for /rest/... when REST is off, and
     * show the body as the message), and only then is anything but POST
     * refused with 405. */
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool known = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_HEAD ||
                 cmd == EVHTTP_REQ_PUT;
    if (known && s->rest && !strncmp(evhttp_request_get_uri(req), REST_PREFIX, strlen(REST_PREFIX))) {
        LOG_DEBUG(LOG_HTTP, "REST request for %s from %s", evhttp_request_get_uri(req),
                  peer_text(req, peer, sizeof(peer)));
        rest_handle(s->table, req);
        return;
    }
    if (known && !path_ok(req)) {
        evhttp_send_reply(req, 404, "Not Found", NULL); /* no body, as Core: no HTML page */
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        struct evbuffer *b = evbuffer_new();
        if (b)
            evbuffer_add_printf(b, "JSONRPC server handles only POST requests");
        evhttp_send_reply(req, 405, "Method Not Allowed", b);
        if (b)
            evbuffer_free(b);
        return;
    }
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!auth) {
        send_401(req);
        return;
    }
    if (!rpc_auth_check(s->auth, auth)) {
        LOG_WARN("RPC: incorrect password attempt from %s", peer_text(req, peer, sizeof(peer)));
        reply_401_later(s, req);
        return;
    }
    LOG_DEBUG(LOG_HTTP, "Received a POST request for %s from %s", evhttp_request_get_uri(req),
              peer_text(req, peer, sizeof(peer)));
    dispatch(s, req);
}

int rpc_server_split_host_port(const char *spec, char *host, size_t cap, uint16_t *port)
{
    const char *p = NULL;
    size_t hl;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || (close[1] && close[1] != ':'))
            return -1;
        hl = (size_t)(close - spec - 1);
        spec++;
        p = close[1] ? close + 2 : NULL;
    } else {
        const char *colon = strchr(spec, ':');
        p = colon && !strchr(colon + 1, ':') ? colon + 1 : NULL;
        hl = p ? (size_t)(colon - spec) : strlen(spec);
    }
    if (hl == 0 || hl >= cap)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    if (p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (!*p || *end || v > 65535)
            return -1;
        *port = (uint16_t)v;
    }
    return 0;
}

void rpc_server_http_limits(struct evhttp *http, size_t max_body, int timeout_secs)
{
    evhttp_set_max_body_size(http, (ev_ssize_t)max_body);
    evhttp_set_max_headers_size(http, MAX_HEADERS_SIZE);
    evhttp_set_timeout(http, timeout_secs);
}

uint64_t rpc_server_requests(const struct rpc_server *s)
{
    return s->requests;
}

uint16_t rpc_server_bound_port(struct evhttp_bound_socket *h)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int bind_all(struct rpc_server *s, const struct rpc_server_config *cfg, char **err)
{
    static const char *const loopback[] = { "127.0.0.1", "::1" };
    const char *const *list = loopback;
    size_t n = 2, bound = 0;
    if (cfg->n_bind && cfg->n_allow) {
        list = cfg->bind;
        n = cfg->n_bind;
    } else if (cfg->n_bind) {
        LOG_WARN("option -rpcbind was ignored because -rpcallowip was not specified, refusing "
                 "to allow everyone to connect");
    }
    for (size_t i = 0; i < n; i++) {
        char host[64];
        uint16_t port = cfg->port;
        if (rpc_server_split_host_port(list[i], host, sizeof(host), &port) < 0)
            return err_set(err, "Invalid -rpcbind address: %s", list[i]);
        struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(s->http, host, port);
        if (!h) {
            LOG_WARN("Binding RPC on address %s port %u failed.", host, port);
            continue;
        }
        if (!bound++)
            s->port = rpc_server_bound_port(h);
        LOG_INFO("Binding RPC on address %s port %u", host, rpc_server_bound_port(h));
    }
    if (!bound)
        return err_set(err, "Unable to bind any endpoint for RPC server");
    return 0;
}

struct rpc_server *rpc_server_new(struct event_base *base, struct rpc_table *table,
                                  struct rpc_auth *auth, const struct rpc_server_config *cfg,
                                  char **err)
{
    struct rpc_server *s = xcalloc(1, sizeof(*s));
    s->base = base;
    s->table = table;
    s->rest = cfg->rest;
    s->auth = auth;
    s->fail_delay_ms = cfg->auth_fail_delay_ms > 0 ? cfg->auth_fail_delay_ms
                                                   : RPC_DEFAULT_AUTH_FAIL_DELAY_MS;
    s->allow = xcalloc(cfg->n_allow ? cfg->n_allow : 1, sizeof(*s->allow));
    s->http = evhttp_new(base);
    if (!s->http) {
        err_set(err, "cannot create the HTTP server");
        goto fail;
    }
    for (; s->n_allow < cfg->n_allow; s->n_allow++) {
        if (parse_subnet(cfg->allow[s->n_allow], &s->allow[s->n_allow]) < 0) {
            err_set(err, "Invalid -rpcallowip subnet specification: %s",
                      cfg->allow[s->n_allow]);
            goto fail;
        }
    }
    rpc_server_http_limits(s->http, cfg->max_body ? cfg->max_body : RPC_DEFAULT_MAX_BODY,
                           cfg->timeout_secs > 0 ? cfg->timeout_secs : RPC_DEFAULT_TIMEOUT);
    evhttp_set_gencb(s->http, on_request, s);
    s->wake_ev = event_new(base, -1, 0, on_wake, s);
    s->recheck_ev = event_new(base, -1, EV_PERSIST, on_wake, s);
    if (bind_all(s, cfg, err) < 0)
        goto fail;
    return s;
fail:
    rpc_server_free(s);
    return NULL;
}

void rpc_server_after_reply(struct rpc_server *s, void (*fn)(void *), void *arg)
{
    if (!s->current || s->after_fn) {
        fn(arg);
        return;
    }
    after_arm(s, fn, arg);
    s->after_replies = 1;
    evhttp_request_set_on_complete_cb(s->current, after_complete, s);
}

uint16_t rpc_server_port(const struct rpc_server *s)
{
    return s->port;
}

void rpc_server_free(struct rpc_server *s)
{
    if (!s)
        return;
    while (s->delayed) {
        send_401(s->delayed->req);
        delayed_unlink(s->delayed);
    }
    /* Still waiting (a signal stopped the node): answered, and freed with
     * their connections. */
    rpc_server_release_waiting(s, NULL, NULL);
    if (s->wake_ev)
        event_free(s->wake_ev);
    if (s->recheck_ev)
        event_free(s->recheck_ev);
    if (s->after_fn)
        after_run(s);
    if (s->after_ev)
        event_free(s->after_ev);
    if (s->http)
        evhttp_free(s->http);
    rpc_table_free(s->table);
    rpc_auth_free(s->auth);
    free(s->allow);
    free(s);
}
