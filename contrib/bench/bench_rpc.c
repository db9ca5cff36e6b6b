/* RPC throughput: N concurrent keep-alive clients on loopback sending one
 * small request each time the previous answer arrives.
 *
 *   bench_rpc [clients (8)] [seconds (3)] [method (uptime)] [reals (0)]
 *
 * reals > 0 sends that many decimal numbers in one array parameter: the
 * request body a method pays to parse ("sink" takes anything, does
 * nothing). *
 * Method "bigblock" stands in for getblock at verbosity 2 until the chain
 * area registers it: a reply shaped like a block of 2,000 transactions
 * (one input, two outputs, amounts and hex each), built on every call, so
 * its latency is what the RPC layer adds to a real getblock.
 *
 * The server runs in a child process on its own event loop (as in
 * hearsayd), with HTTP Basic auth on every request; the clients share one
 * poll loop in the parent. Prints requests per second and latencies. */
#define _GNU_SOURCE
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_auth.h"
#include "node/rpc/rpc_server.h"
#include "chain/util/xmalloc.h"
#include "chain/primitives/serialize.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define MAX_SAMPLES (1u << 22)

struct client {
    int fd;
    char *buf;
    size_t cap;
    size_t have;
    int64_t sent_at;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_parent_gone(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static json_t *tx_like(int i)
{
    char txid[65], hex[451];
    snprintf(txid, sizeof(txid), "%064x", i);
    memset(hex, 'a', 450);
    hex[450] = 0;
    json_t *vout = json_array();
    for (int n = 0; n < 2; n++)
        json_array_append_new(
            vout, json_pack("{s:o,s:i,s:{s:s,s:s,s:s,s:s,s:s}}", "value", rpc_amount(123456789 + n),
                            "n", n, "scriptPubKey", "asm", "0 751e76e8199196d454941c45d1b3a323f1433bd6",
                            "desc", "addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)#8zl0zxma",
                            "hex", "0014751e76e8199196d454941c45d1b3a323f1433bd6", "address",
                            "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "type", "witness_v0_keyhash"));
    json_t *vin = json_pack("[{s:s,s:i,s:{s:s,s:s},s:[s,s],s:I}]", "txid", txid, "vout", 0,
                            "scriptSig", "asm", "", "hex", "", "txinwitness",
                            "3044022000000000000000000000000000000000000000000000000000000000000000000220000000000000000000000000000000000000000000000000000000000000000001",
                            "02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sequence",
                            (json_int_t)4294967293u);
    return json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:s}", "txid", txid, "hash", txid,
                     "version", 2, "size", 225, "vsize", 144, "weight", 573, "locktime", 0, "vin",
                     vin, "vout", vout, "fee", rpc_amount(1410), "hex", hex);
}

static json_t *bigblock(struct rpc_request *req)
{
    json_t *txs = json_array();
    for (int i = 0; i < 2000; i++)
        json_array_append_new(txs, tx_like(i));
    return json_pack("{s:s,s:i,s:i,s:o}", "hash",
                     "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
                     "confirmations", 1, "height", 1, "tx", txs);
}

static json_t *sink(struct rpc_request *req)
{
    (void)req;
    return json_null();
}

static const struct rpc_method bench_methods[] = {
    { "bigblock", "hidden", bigblock, "A getblock-verbosity-2-shaped reply of 2,000 txs.",
      { { 0 } } },
    { "sink", "hidden", sink, "Takes any parameter, returns null.",
      { { "any", RPC_ARG_ANY, true, "Ignored.", NULL } } },
};

/* The child: a server until the parent closes the pipe. */
static int serve(int port_pipe, int quit_pipe)
{
    struct event_base *base = event_base_new();
    struct rpc_table *t = rpc_table_new();
    struct rpc_auth *a = rpc_auth_new();
    struct rpc_control_info info = { time(NULL), NULL, NULL, NULL };
    char *err = NULL;
    if (!base || rpc_control_register(t, &info, &err) < 0 ||
        rpc_table_add(t, bench_methods, 2, NULL, NULL, &err) < 0 ||
        rpc_auth_add_password(a, "bench", "bench", &err) < 0)
        return 1;
    struct rpc_server_config cfg = { .bind = (const char *const[]){ "127.0.0.1" },
                                     .n_bind = 1,
                                     .allow = (const char *const[]){ "127.0.0.1" },
                                     .n_allow = 1 };
    struct rpc_server *s = rpc_server_new(base, t, a, &cfg, &err);
    if (!s) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    uint16_t port = rpc_server_port(s);
    if (write(port_pipe, &port, sizeof(port)) != sizeof(port))
        return 1;
    close(port_pipe);
    struct event *quit = event_new(base, quit_pipe, EV_READ, on_parent_gone, base);
    event_add(quit, NULL);
    event_base_dispatch(base);
    event_free(quit);
    rpc_server_free(s);
    event_base_free(base);
    return 0;
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        exit(1);
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* True when buf holds one whole response (headers + Content-Length). */
static bool complete(struct client *c)
{
    c->buf[c->have] = 0;
    char *eoh = strstr(c->buf, "\r\n\r\n");
    if (!eoh)
        return false;
    const char *cl = strcasestr(c->buf, "Content-Length:");
    size_t body = cl && cl < eoh ? strtoul(cl + 15, NULL, 10) : 0;
    return c->have >= (size_t)(eoh + 4 - c->buf) + body;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t run_clients(uint16_t port, int n, double seconds, const char *method, int reals)
{
    struct wbuf body;
    wbuf_init(&body);
    char head[256];
    int hl = snprintf(head, sizeof(head),
                      "{\"jsonrpc\":\"1.0\",\"id\":\"bench\",\"method\":\"%s\",\"params\":[",
                      method);
    wbuf_bytes(&body, head, (size_t)hl);
    for (int i = 0; i < reals; i++)
        wbuf_bytes(&body, i ? ",0.00001000" : "[0.00001000", 11);
    if (reals > 0)
        wbuf_bytes(&body, "]", 1);
    wbuf_bytes(&body, "]}", 2);
    char *auth = rpc_auth_basic_header("bench:bench");
    size_t cap = body.len + 512;
    char *req = xmalloc(cap);
    int rl = snprintf(req, cap,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%.*s",
                      auth, body.len, (int)body.len, (const char *)body.data);
    free(auth);
    wbuf_free(&body);
    struct client cl[MAX_CLIENTS];
    struct pollfd pf[MAX_CLIENTS];
    int64_t *lat = xmalloc(MAX_SAMPLES * sizeof(*lat));
    size_t n_lat = 0, errors = 0, last_len = 0;
    int64_t start = now_ns(), warm = start + 500000000LL;
    int64_t end = warm + (int64_t)(seconds * 1e9);
    for (int i = 0; i < n; i++) {
        cl[i] = (struct client){ .fd = connect_to(port), .cap = 65536 };
        cl[i].buf = xmalloc(cl[i].cap);
        pf[i] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
        cl[i].sent_at = now_ns();
        if (send(cl[i].fd, req, (size_t)rl, MSG_NOSIGNAL) != rl)
            errors++;
    }
    while (now_ns() < end) {
        if (poll(pf, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            struct client *c = &cl[i];
            if (c->cap - c->have < 65536) {
                c->cap = c->cap * 2 + 65536;
                c->buf = xrealloc(c->buf, c->cap);
            }
            ssize_t r = recv(c->fd, c->buf + c->have, c->cap - c->have - 1, 0);
            if (r <= 0) {
                fprintf(stderr, "connection %d closed\n", i);
                exit(1);
            }
            c->have += (size_t)r;
            if (!complete(c))
                continue;
            int64_t t = now_ns();
            if (strncmp(c->buf, "HTTP/1.1 200", 12))
                errors++;
            if (t >= warm && n_lat < MAX_SAMPLES)
                lat[n_lat++] = t - c->sent_at;
            last_len = c->have;
            c->have = 0;
            c->sent_at = t;
            if (send(c->fd, req, (size_t)rl, MSG_NOSIGNAL) != rl)
                errors++;
        }
    }
    qsort(lat, n_lat, sizeof(*lat), cmp_i64);
    double sum = 0;
    for (size_t i = 0; i < n_lat; i++)
        sum += (double)lat[i];
    printf("method %s, %d keep-alive clients, %.1f s\n", method, n, seconds);
    printf("  requests/s     %.0f\n", (double)n_lat / seconds);
    if (n_lat)
        printf("  latency us     mean %.1f  p50 %.1f  p99 %.1f  max %.1f\n",
               sum / (double)n_lat / 1e3, (double)lat[n_lat / 2] / 1e3,
               (double)lat[n_lat * 99 / 100] / 1e3, (double)lat[n_lat - 1] / 1e3);
    printf("  non-200 or short sends: %zu\n", errors);
    printf("  reply bytes    %zu\n", last_len);
    for (int i = 0; i < n; i++) {
        close(cl[i].fd);
        free(cl[i].buf);
    }
    free(lat);
    free(req);
    return n_lat;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    const char *method = argc > 3 ? argv[3] : "uptime";
    int reals = argc > 4 ? atoi(argv[4]) : 0;
    if (n < 1 || n > MAX_CLIENTS || seconds <= 0 || reals < 0 || reals > 1000000) {
        fprintf(stderr, "usage: bench_rpc [clients 1..%d] [seconds] [method] [reals]\n",
                MAX_CLIENTS);
        return 2;
    }
    int port_pipe[2], quit_pipe[2];
    if (pipe(port_pipe) || pipe(quit_pipe))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(port_pipe[0]);
        close(quit_pipe[1]);
        _exit(serve(port_pipe[1], quit_pipe[0]));
    }
    close(port_pipe[1]);
    close(quit_pipe[0]);
    uint16_t port = 0;
    if (read(port_pipe[0], &port, sizeof(port)) != sizeof(port)) {
        fprintf(stderr, "the server did not start\n");
        waitpid(pid, NULL, 0);
        return 1;
    }
    size_t done = run_clients(port, n, seconds, method, reals);
    close(quit_pipe[1]); /* the child's loop ends */
    /* The server's CPU time per request does not depend on what else the
     * machine runs (the warm-up's requests count too: about 0.5 s more). */
    struct rusage ru;
    if (wait4(pid, NULL, 0, &ru) == pid && done) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                     ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
        double total = (double)done * (seconds + 0.5) / seconds;
        printf("  server CPU     %.1f us per request (%.0f requests/s per core)\n",
               cpu / total * 1e6, total / cpu);
    }
    return 0;
}
