/* Prometheus text format over the RPC methods' results (see metrics.h). */
#include "node/rpc/metrics.h"

#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_server.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct metrics_server {
    struct evhttp *http;
    struct rpc_table *table;
    const struct rpc_server *rpc;
    uint16_t port;
};

/* The text being built: each metric's HELP and TYPE come once, before its
 * first sample. */
struct out {
    struct wbuf b;
    char last[128];
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    wbuf_bytes(&o->b, line, strlen(line));
    free(line);
}

static void declare(struct out *o, const char *name, const char *type, const char *help)
{
    if (!strcmp(o->last, name))
        return;
    snprintf(o->last, sizeof(o->last), "%s", name);
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct out *o, const char *name, const char *labels, double v)
{
    if (labels && *labels)
        put(o, "%s{%s} %.17g\n", name, labels, v);
    else
        put(o, "%s %.17g\n", name, v);
}

static void metric(struct out *o, const char *name, const char *type, const char *help, double v)
{
    declare(o, name, type, help);
    sample(o, name, NULL, v);
}

static json_t *call(struct rpc_table *t, const char *method)
{
    int code;
    char *msg = NULL;
    json_t *params = json_array();
    json_t *v = rpc_table_call(t, method, params, &code, &msg);
    json_decref(params);
    if (!v)
        LOG_DEBUG(LOG_HTTP, "metrics: %s failed: %s", method, msg ? msg : "?");
    free(msg);
    return v;
}

static double num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

/* Peers by direction and their traffic by message type, summed. */
static void peers(struct out *o, struct rpc_table *t)
{
    json_t *list = call(t, "getpeerinfo"), *sent = json_object(), *recv = json_object();
    double in = 0, outb = 0;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        json_is_true(json_object_get(p, "inbound")) ? in++ : outb++;
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(p, "bytessent_per_msg"), k, v)
            json_object_set_new(sent, k, json_real(num(sent, k) + json_number_value(v)));
        json_object_foreach(json_object_get(p, "bytesrecv_per_msg"), k, v)
            json_object_set_new(recv, k, json_real(num(recv, k) + json_number_value(v)));
    }
    declare(o, "hearsay_peers", "gauge", "Connected peers by direction.");
    sample(o, "hearsay_peers", "direction=\"inbound\"", in);
    sample(o, "hearsay_peers", "direction=\"outbound\"", outb);
    const char *names[2] = { "hearsay_peer_bytes_sent", "hearsay_peer_bytes_received" };
    json_t *maps[2] = { sent, recv };
    for (int d = 0; d < 2; d++) {
        declare(o, names[d], "gauge",
                d ? "Bytes received from the connected peers, by message type."
                  : "Bytes sent to the connected peers, by message type.");
        const char *k;
        json_t *v;
        json_object_foreach(maps[d], k, v) {
            char label[96];
            snprintf(label, sizeof(label), "msg=\"%s\"", k);
            sample(o, names[d], label, json_number_value(v));
        }
    }
    json_decref(sent);
    json_decref(recv);
    json_decref(list);
}

static void chain_and_mempool(struct out *o, struct rpc_table *t)
{
    json_t *c = call(t, "getblockchaininfo"), *m = call(t, "getmempoolinfo");
    json_t *n = call(t, "getnettotals");
    metric(o, "hearsay_chain_blocks", "gauge", "Height of the active chain's tip.", num(c, "blocks"));
    metric(o, "hearsay_chain_headers", "gauge", "Height of the best known header.",
           num(c, "headers"));
    metric(o, "hearsay_chain_tip_age_seconds", "gauge", "Seconds since the tip's timestamp.",
           c ? (double)time(NULL) - num(c, "time") : 0);
    metric(o, "hearsay_mempool_transactions", "gauge", "Transactions in the mempool.",
           num(m, "size"));
    metric(o, "hearsay_mempool_vbytes", "gauge", "Virtual size of the mempool's transactions.",
           num(m, "bytes"));
    metric(o, "hearsay_mempool_usage_bytes", "gauge", "Memory the mempool uses.", num(m, "usage"));
    metric(o, "hearsay_mempool_min_fee_btc_per_kvb", "gauge",
           "Lowest fee rate the mempool accepts now.", num(m, "mempoolminfee"));
    metric(o, "hearsay_net_bytes_sent_total", "counter", "Bytes sent to peers.",
           num(n, "totalbytessent"));
    metric(o, "hearsay_net_bytes_received_total", "counter", "Bytes received from peers.",
           num(n, "totalbytesrecv"));
    json_decref(c);
    json_decref(m);
    json_decref(n);
}

/* Relay figures that are levels, not running counts. */
static bool is_gauge(const char *section, const char *key)
{
    static const char *const gauges[] = { "infective", "queued", "recent_entries",
                                          "recent_memory", "known_memory", "capacity",
                                          "tracked", "in_flight", "hashes", "orphans",
                                          "blocks_in_flight", "stalling_timeout", NULL };
    if (strstr(key, "ratio") || strstr(key, "per_"))
        return true;
    for (int i = 0; gauges[i]; i++)
        if (!strcmp(key, gauges[i]))
            return true;
    return !strcmp(section, "seen");
}

/* Every number of getgossipinfo (but its policy and per-peer list), as
 * hearsay_gossip_<section>_<name>; nested objects add their name. */
static void flatten(struct out *o, const char *prefix, const char *section, json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        char name[128];
        snprintf(name, sizeof(name), "%s_%s", prefix, k);
        if (json_is_object(v)) {
            flatten(o, name, section, v);
        } else if (json_is_number(v)) {
            bool gauge = is_gauge(section, k);
            if (!gauge)
                strncat(name, "_total", sizeof(name) - strlen(name) - 1);
            metric(o, name, gauge ? "gauge" : "counter", "Relay figure from getgossipinfo.",
                   json_number_value(v));
        }
    }
}

static void gossip(struct out *o, struct rpc_table *t)
{
    json_t *g = call(t, "getgossipinfo");
    const char *k;
    json_t *v;
    json_object_foreach(g, k, v) {
        if (!strcmp(k, "policy") || !strcmp(k, "peer_counters"))
            continue;
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "hearsay_gossip_%s", k);
        if (json_is_object(v))
            flatten(o, prefix, k, v);
        else if (json_is_number(v))
            metric(o, prefix, "gauge", "Relay figure from getgossipinfo.", json_number_value(v));
    }
    json_decref(g);
}

/* getlooplag as a histogram of the loop's pauses (its buckets from the
 * counts over each bound) and the time spent in each timed section. */
static void loop(struct out *o, struct rpc_table *t)
{
    json_t *g = call(t, "getlooplag");
    if (!g)
        return;
    const char *name = "hearsay_event_loop_pause_seconds";
    double ticks = num(g, "ticks");
    declare(o, name, "histogram", "How late a short periodic timer fired: the event loop's pauses.");
    json_t *over = json_object_get(g, "pauses_over_ms");
    const char *k;
    json_t *v;
    json_object_foreach(over, k, v) {
        char label[48];
        snprintf(label, sizeof(label), "le=\"%g\"", atof(k) / 1000.0);
        sample(o, "hearsay_event_loop_pause_seconds_bucket", label, ticks - json_number_value(v));
    }
    sample(o, "hearsay_event_loop_pause_seconds_bucket", "le=\"+Inf\"", ticks);
    sample(o, "hearsay_event_loop_pause_seconds_sum", NULL, num(g, "pause_total_ms") / 1000.0);
    sample(o, "hearsay_event_loop_pause_seconds_count", NULL, ticks);
    metric(o, "hearsay_event_loop_pause_max_seconds", "gauge", "Longest pause of the event loop.",
           num(g, "pause_max_ms") / 1000.0);
    static const char *const names[3] = { "hearsay_event_loop_section_seconds_total",
                                          "hearsay_event_loop_section_max_seconds",
                                          "hearsay_event_loop_sections_total" };
    static const char *const types[3] = { "counter", "gauge", "counter" };
    static const char *const helps[3] = { "Time the event loop spent in each timed section.",
                                          "Longest single run of each timed section.",
                                          "Runs of each timed section." };
    static const char *const keys[3] = { "total_ms", "max_ms", "count" };
    for (int m = 0; m < 3; m++) {
        declare(o, names[m], types[m], helps[m]);
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(g, "sections"), i, s) {
            char label[96];
            snprintf(label, sizeof(label), "section=\"%s\"",
                     json_string_value(json_object_get(s, "name")));
            sample(o, names[m], label, num(s, keys[m]) / (m < 2 ? 1000.0 : 1.0));
        }
    }
    json_decref(g);
}

char *metrics_render(struct rpc_table *table, const struct rpc_server *rpc)
{
    struct out o = { .last = "" };
    wbuf_init(&o.b);
    metric(&o, "hearsay_up", "gauge", "1 while the node answers.", 1);
    peers(&o, table);
    chain_and_mempool(&o, table);
    gossip(&o, table);
    loop(&o, table);
    if (rpc)
        metric(&o, "hearsay_rpc_requests_total", "counter", "HTTP requests to the RPC server.",
               (double)rpc_server_requests(rpc));
    wbuf_u8(&o.b, 0);
    size_t len;
    return (char *)wbuf_detach(&o.b, &len);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct metrics_server *m = arg;
    const char *uri = evhttp_request_get_uri(req);
    if (strncmp(uri, "/metrics", 8) || (uri[8] && uri[8] != '?')) {
        evhttp_send_reply(req, 404, "Not Found", NULL);
        return;
    }
    char *text = metrics_render(m->table, m->rpc);
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add(b, text, strlen(text));
    free(text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, b ? 200 : 500, b ? "OK" : "Internal Server Error", b);
    if (b)
        evbuffer_free(b);
}

struct metrics_server *metrics_server_new(struct event_base *base, struct rpc_table *table,
                                          const struct rpc_server *rpc, const char *bind,
                                          char **err)
{
    char host[256];
    uint16_t port = 0;
    if (rpc_server_split_host_port(bind, host, sizeof(host), &port) < 0 || !port) {
        rpc_table_free(table);
        err_set(err, "Invalid -metricsbind '%s': give <addr>:<port>", bind);
        return NULL;
    }
    struct metrics_server *m = xcalloc(1, sizeof(*m));
    m->table = table;
    m->rpc = rpc;
    m->http = evhttp_new(base);
    if (!m->http) {
        metrics_server_free(m);
        err_set(err, "-metricsbind: cannot create the HTTP listener");
        return NULL;
    }
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    rpc_server_http_limits(m->http, 0, RPC_DEFAULT_TIMEOUT); /* a scrape has no body */
    evhttp_set_gencb(m->http, on_request, m);
    struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(m->http, host, port);
    if (!h) {
        metrics_server_free(m);
        err_set(err, "Unable to bind -metricsbind %s", bind);
        return NULL;
    }
    m->port = rpc_server_bound_port(h);
    LOG_INFO("Metrics on http://%s:%u/metrics", host, m->port);
    return m;
}

void metrics_server_free(struct metrics_server *m)
{
    if (!m)
        return;
    if (m->http)
        evhttp_free(m->http);
    rpc_table_free(m->table);
    free(m);
}

uint16_t metrics_server_port(const struct metrics_server *m)
{
    return m->port;
}
