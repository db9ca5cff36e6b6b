/* bench_conn: many handshaked connections to one node on loopback.
 *
 * Forks a node process running the connection manager (the same code
 * hearsayd runs, listening on an ephemeral 127.0.0.1 port), then opens N
 * connections to it (default 1000), completes the version handshake on
 * each, and prints:
 *   - the node's resident memory per connected idle peer,
 *   - the handshake rate (all N connecting at once),
 *   - ping round-trip p50/p99 with every peer pinging at once.
 * Figures only: it never passes or fails on timing.
 *
 * usage: bench_conn [connections] [ping rounds] [port pid]
 * With port and pid, it measures a running regtest hearsayd instead (start
 * it with -maxconnections above the connection count). */
#include "contrib/bench/bench_peer.h"
#include "net/conn/connman.h"
#include "chain/util/xmalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct client {
    struct bufferevent *bev;
    bool handshaked;
    int64_t ping_sent;
};

static struct event_base *base;
static struct client *clients;
static int nclients, nhandshaked, npongs, pongs_wanted;
static int64_t *rtts;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The node: a connection manager in its own process, as in hearsayd. */
static void run_node(int port_fd, int max_conn)
{
    struct event_base *nb = event_base_new();
    struct connman_options o;
    connman_options_default(&o);
    memcpy(o.magic, bench_peer_magic, 4);
    static const char *const bind[] = {"127.0.0.1"};
    o.bind = bind;
    o.nbind = 1;
    o.max_connections = max_conn;
    o.max_outbound = 0;
    o.allow_private = true;
    char *err = NULL;
    struct connman *cm = connman_new(nb, &o, &err);
    if (!cm || connman_start(cm, &err) < 0) {
        fprintf(stderr, "node: %s\n", err ? err : "cannot start");
        _exit(1);
    }
    uint16_t port = connman_listen_port(cm);
    if (write(port_fd, &port, sizeof(port)) != sizeof(port))
        _exit(1);
    close(port_fd);
    event_base_dispatch(nb);
    _exit(0);
}

/* Forks the node; returns its pid (port set), or -1. */
static pid_t start_node(uint16_t *port)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_node(fds[1], nclients + 50);
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], port, sizeof(*port)) != sizeof(*port)) {
        fprintf(stderr, "bench_conn: the node did not start\n");
        return -1;
    }
    close(fds[0]);
    return pid;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static void send_msg(struct client *c, const char *cmd, const void *payload, size_t len)
{
    bench_peer_send(c->bev, cmd, payload, len);
}

static void send_version(struct client *c)
{
    bench_peer_version(c->bev, (uint64_t)(c - clients) + 1, "/bench_conn/");
}

static void on_message(void *arg, const struct proto_header *h, const uint8_t *payload)
{
    struct client *c = arg;
    if (proto_command_is(h->command, "verack")) {
        send_msg(c, "verack", NULL, 0);
    } else if (proto_command_is(h->command, "sendcmpct") && !c->handshaked) {
        /* Sent by the node once it has our verack: handshake complete. */
        c->handshaked = true;
        if (++nhandshaked == nclients)
            event_base_loopbreak(base);
    } else if (proto_command_is(h->command, "ping") && h->length == 8) {
        send_msg(c, "pong", payload, 8);
    } else if (proto_command_is(h->command, "pong") && c->ping_sent) {
        rtts[npongs++] = now_us() - c->ping_sent;
        c->ping_sent = 0;
        if (npongs == pongs_wanted)
            event_base_loopbreak(base);
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    bench_peer_read(bev, on_message, arg);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        send_version(arg);
        return;
    }
    fprintf(stderr, "bench_conn: a connection failed or was closed (%s)\n",
            (what & BEV_EVENT_EOF) ? "closed by the node" : "error");
    exit(1);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(base);
}

/* Runs the loop until it is broken or seconds pass. */
static void run_for(int seconds)
{
    struct timeval tv = {seconds, 0};
    struct event *t = evtimer_new(base, timeout_cb, NULL);
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

static void send_ping(struct client *c)
{
    uint64_t nonce = (uint64_t)(c - clients) + 1;
    c->ping_sent = now_us();
    send_msg(c, "ping", &nonce, 8);
}

/* Every peer pings at once; p50 and p99 of the round trips. */
static void ping_burst(int64_t *p50, int64_t *p99)
{
    npongs = 0;
    pongs_wanted = nclients;
    for (int i = 0; i < nclients; i++)
        send_ping(&clients[i]);
    run_for(30);
    qsort(rtts, (size_t)npongs, sizeof(*rtts), cmp64);
    *p50 += rtts[npongs / 2];
    *p99 += rtts[npongs * 99 / 100];
}

/* One ping at a time from peers spread over the set, the others idle. */
static void ping_sequential(int count, int64_t *p50, int64_t *p99)
{
    int64_t *v = xcalloc((size_t)count, sizeof(*v));
    for (int k = 0; k < count; k++) {
        npongs = 0;
        pongs_wanted = 1;
        send_ping(&clients[(k * 7919) % nclients]);
        run_for(5);
        v[k] = rtts[0];
    }
    qsort(v, (size_t)count, sizeof(*v), cmp64);
    *p50 = v[count / 2];
    *p99 = v[count * 99 / 100];
    free(v);
}

/* Starts every connection at once; handshakes run in the loop. */
static int connect_all(uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < nclients; i++) {
        struct client *c = &clients[i];
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
            fprintf(stderr, "bench_conn: connect %d failed\n", i);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    nclients = argc > 1 ? atoi(argv[1]) : 1000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (nclients < 1 || rounds < 1)
        return 2;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((long)rl.rlim_cur < 2L * nclients + 100)
        fprintf(stderr, "bench_conn: warning: only %ld descriptors\n", (long)rl.rlim_cur);

    signal(SIGPIPE, SIG_IGN); /* as hearsayd does */
    uint16_t port;
    pid_t node;
    bool own_node = argc < 5;
    if (own_node) {
        node = start_node(&port);
        if (node < 0)
            return 1;
    } else {
        port = (uint16_t)atoi(argv[3]);
        node = (pid_t)atoi(argv[4]);
    }
    usleep(200000);
    long rss_before = rss_kb(node);

    base = event_base_new();
    clients = xcalloc((size_t)nclients, sizeof(*clients));
    rtts = xcalloc((size_t)nclients, sizeof(*rtts));
    int64_t t0 = now_us();
    if (connect_all(port) < 0)
        return 1;
    run_for(60);
    int64_t t1 = now_us();
    if (nhandshaked < nclients) {
        fprintf(stderr, "bench_conn: only %d of %d handshakes completed\n", nhandshaked, nclients);
        if (own_node)
            kill(node, SIGKILL);
        return 1;
    }
    run_for(1); /* let the node settle: idle peers */
    long rss_after = rss_kb(node);

    int64_t p50 = 0, p99 = 0, s50, s99;
    for (int r = 0; r < rounds; r++)
        ping_burst(&p50, &p99);
    ping_sequential(500, &s50, &s99);
    printf("connections:            %d handshaked\n", nclients);
    printf("handshake rate:         %.0f handshakes/s (%d in %.3f s, all at once)\n",
           nclients / ((t1 - t0) / 1e6), nclients, (t1 - t0) / 1e6);
    printf("node RSS:               %ld kB before, %ld kB with the peers connected\n",
           rss_before, rss_after);
    printf("memory per idle peer:   %.1f kB\n", (double)(rss_after - rss_before) / nclients);
    printf("ping RTT, one at a time (500 pings): p50 %.3f ms, p99 %.3f ms\n", s50 / 1e3,
           s99 / 1e3);
    printf("ping RTT, all peers at once (mean of %d rounds): p50 %.3f ms, p99 %.3f ms\n", rounds,
           p50 / 1e3 / rounds, p99 / 1e3 / rounds);

    if (own_node) {
        kill(node, SIGKILL);
        waitpid(node, NULL, 0);
    }
    for (int i = 0; i < nclients; i++)
        bufferevent_free(clients[i].bev);
    free(clients);
    free(rtts);
    event_base_free(base);
    return 0;
}
