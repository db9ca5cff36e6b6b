/* bench_relay_node: one real hearsayd under transaction load from a
 * load-generating peer program over loopback.
 *
 * Starts ./hearsayd (or argv[2]) on regtest in a temporary datadir with
 * immediate announcements (-trickle=0 -trickleout=0), connects P peers
 * (default 8), funds itself by sending the node 111 blocks (the last
 * splitting ten coinbases into 2000 P2WSH(OP_TRUE) outputs each), then has
 * every peer announce (inv by wtxid) its share of N distinct valid
 * transactions (default 20000) and answer the node's getdata. Prints:
 *   - accepted-and-announced transactions per second (until each tx was
 *     announced back to at least one peer),
 *   - the node's CPU microseconds per transaction (/proc utime + stime),
 *   - announcement (inv) bytes per transaction per link,
 *   - duplicates: payloads the node requested twice, announcements of a
 *     transaction to the peer that gave it.
 * Figures only: it never passes or fails on timing.
 *
 * usage: bench_relay_node [transactions] [hearsayd path] [peers] */
#include "chain/primitives/params.h"
#include "contrib/bench/bench_peer.h"
#include "net/wire/protocol.h"
#include "tests/unit/chainstate_util.h"
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

#define FANOUTS 10
#define OUTS_PER_FANOUT 2000
#define MAX_PEERS 64

static const uint8_t P2WSH_TRUE_PREFIX[2] = {0x00, 0x20};

struct client {
    struct bufferevent *bev;
    int idx;
    bool ready;
};

static struct event_base *base;
static struct client clients[MAX_PEERS];
static int npeers, nready;
static struct tx **txs;
static size_t ntx;
static struct hash256 *sorted_wtxid; /* wtxids, sorted, for lookups */
static size_t *sorted_idx;
static uint8_t *requested, *announced_to; /* per tx: getdata count, peers told */
static size_t first_announced;
static uint64_t inv_bytes, inv_entries, dup_requests, echo_announcements;
static int64_t t_start, t_first, t_last_first;
static pid_t node_pid;
static long cpu_start;
static bool loading;
static uint8_t p2wsh_true[34];

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long cpu_us(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    unsigned long ut = 0, st = 0;
    /* Fields 14 and 15 (utime, stime) after the command in parentheses. */
    int rc = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                    &st);
    fclose(f);
    return rc == 2 ? (long)((ut + st) * (1000000 / sysconf(_SC_CLK_TCK))) : -1;
}

/* ---- transactions and blocks ---- */

static struct tx *parse(struct wbuf *w)
{
    struct tx *tx = tx_from_bytes(w->data, w->len, NULL);
    wbuf_free(w);
    if (!tx) {
        fprintf(stderr, "bench_relay_node: built an unparsable transaction\n");
        exit(1);
    }
    return tx;
}

/* Splits a bare OP_TRUE coinbase output into P2WSH(OP_TRUE) outputs. */
static struct tx *fan_out(const struct hash256 *coinbase, int64_t value, int64_t *each)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, coinbase->b, 32);
    wbuf_u32(&w, 0);
    wbuf_varbytes(&w, NULL, 0);
    wbuf_u32(&w, 0xffffffff);
    *each = (value - 1000000) / OUTS_PER_FANOUT;
    wbuf_compact(&w, OUTS_PER_FANOUT);
    for (int i = 0; i < OUTS_PER_FANOUT; i++) {
        wbuf_i64(&w, *each);
        wbuf_varbytes(&w, p2wsh_true, sizeof(p2wsh_true));
    }
    wbuf_u32(&w, 0);
    return parse(&w);
}

/* A segwit spend of one P2WSH(OP_TRUE) output: witness [0x51]. */
static struct tx *spend(const struct hash256 *txid, uint32_t n, int64_t value)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, 2);
    wbuf_u8(&w, 0); /* marker, flag */
    wbuf_u8(&w, 1);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, txid->b, 32);
    wbuf_u32(&w, n);
    wbuf_varbytes(&w, NULL, 0);
    wbuf_u32(&w, 0xfffffffd);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, value - 1000);
    wbuf_varbytes(&w, p2wsh_true, sizeof(p2wsh_true));
    wbuf_compact(&w, 1);
    wbuf_varbytes(&w, (uint8_t[]){0x51}, 1);
    wbuf_u32(&w, 0);
    return parse(&w);
}

static void send_msg(struct client *c, const char *cmd, const void *payload, size_t len)
{
    bench_peer_send(c->bev, cmd, payload, len);
}

static void send_block(struct client *c, struct block *b)
{
    struct wbuf w;
    wbuf_init(&w);
    block_serialize(b, &w, true);
    send_msg(c, "block", w.data, w.len);
    wbuf_free(&w);
}

static void index_txs(void);

/* Sends 110 blocks of coinbases, then one spending ten of them into the
 * outputs the load spends; builds the load. */
static void fund(struct client *c)
{
    const struct chain_params *p = params_get(CHAIN_REGTEST);
    struct hash256 prev = p->genesis_hash, coinbases[FANOUTS];
    /* Recent times: a tip older than a day would keep the node in initial
     * download, where it fetches no announced transaction. */
    uint32_t t = (uint32_t)time(NULL) - 112 * 600;
    for (int h = 1; h <= 110; h++) {
        struct tx *cb = testutil_coinbase(h, 50 * 100000000LL, (uint32_t)h);
        if (h <= FANOUTS)
            coinbases[h - 1] = cb->txid;
        struct block *b = testutil_block(&prev, t += 600, &cb, 1);
        send_block(c, b);
        prev = b->hash;
        block_free(b);
    }
    struct tx *in_block[FANOUTS + 1];
    in_block[0] = testutil_coinbase(111, 50 * 100000000LL, 111);
    int64_t each = 0;
    size_t k = 0;
    for (int f = 0; f < FANOUTS; f++) {
        in_block[f + 1] = fan_out(&coinbases[f], 50 * 100000000LL, &each);
        for (uint32_t i = 0; i < OUTS_PER_FANOUT && k < ntx; i++)
            txs[k++] = spend(&in_block[f + 1]->txid, i, each);
    }
    index_txs();
    struct block *b = testutil_block(&prev, t + 600, in_block, FANOUTS + 1);
    send_block(c, b);
    block_free(b);
    send_msg(c, "ping", (uint8_t[8]){1}, 8); /* the pong says: all processed */
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void index_txs(void)
{
    sorted_wtxid = xmalloc(ntx * sizeof(*sorted_wtxid));
    sorted_idx = xmalloc(ntx * sizeof(*sorted_idx));
    struct { struct hash256 h; size_t i; } *tmp = xmalloc(ntx * sizeof(*tmp));
    for (size_t i = 0; i < ntx; i++) {
        tmp[i].h = txs[i]->wtxid;
        tmp[i].i = i;
    }
    qsort(tmp, ntx, sizeof(*tmp), cmp_hash);
    for (size_t i = 0; i < ntx; i++) {
        sorted_wtxid[i] = tmp[i].h;
        sorted_idx[i] = tmp[i].i;
    }
    free(tmp);
}

static long find_tx(const struct hash256 *h)
{
    struct hash256 *p = bsearch(h, sorted_wtxid, ntx, sizeof(*h), cmp_hash);
    return p ? (long)sorted_idx[p - sorted_wtxid] : -1;
}

/* ---- the load ---- */

static void announce_share(struct client *c)
{
    size_t n = 0;
    struct proto_inv *items = xmalloc((ntx / (size_t)npeers + 1) * sizeof(*items));
    for (size_t i = (size_t)c->idx; i < ntx; i += (size_t)npeers)
        items[n++] = (struct proto_inv){PROTO_INV_WTX, txs[i]->wtxid};
    for (size_t off = 0; off < n; off += 1000) {
        struct wbuf w;
        wbuf_init(&w);
        proto_inv_encode(&w, items + off, n - off < 1000 ? n - off : 1000);
        send_msg(c, "inv", w.data, w.len);
        wbuf_free(&w);
    }
    free(items);
}

static void on_getdata(struct client *c, const struct proto_inv *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        long k = find_tx(&items[i].hash);
        if (k < 0)
            continue;
        if (requested[k]++)
            dup_requests++;
        send_msg(c, "tx", txs[k]->raw, txs[k]->size);
    }
}

static void on_inv(struct client *c, const struct proto_inv *items, size_t n, size_t len)
{
    inv_bytes += PROTO_HEADER_SIZE + len;
    for (size_t i = 0; i < n; i++) {
        long k = find_tx(&items[i].hash);
        if (k < 0)
            continue;
        inv_entries++;
        if ((size_t)k % (size_t)npeers == (size_t)c->idx)
            echo_announcements++;
        if (announced_to[k]++ == 0) {
            first_announced++;
            t_last_first = now_us();
            if (!t_first)
                t_first = t_last_first;
        }
    }
}

/* getdata and inv, decoded once. */
static void on_inventory(struct client *c, const struct proto_header *h, const uint8_t *payload)
{
    struct cursor cur;
    struct proto_inv *items = NULL;
    size_t n = 0;
    cursor_init(&cur, payload, h->length);
    if (!proto_inv_decode(&cur, &items, &n))
        return;
    if (proto_command_is(h->command, "getdata"))
        on_getdata(c, items, n);
    else if (loading)
        on_inv(c, items, n, h->length);
    free(items);
}

static void on_message(void *arg, const struct proto_header *h, const uint8_t *payload)
{
    struct client *c = arg;
    if (proto_command_is(h->command, "verack")) {
        send_msg(c, "verack", NULL, 0);
    } else if (proto_command_is(h->command, "version")) {
        send_msg(c, "wtxidrelay", NULL, 0);
    } else if (proto_command_is(h->command, "sendcmpct") && !c->ready) {
        c->ready = true; /* sent once the node has our verack */
        if (++nready == npeers)
            fund(&clients[0]);
    } else if (proto_command_is(h->command, "ping") && h->length == 8) {
        send_msg(c, "pong", payload, 8);
    } else if (proto_command_is(h->command, "pong") && !loading) {
        loading = true;
        t_start = now_us();
        cpu_start = cpu_us(node_pid);
        for (int i = 0; i < npeers; i++)
            announce_share(&clients[i]);
    } else if (proto_command_is(h->command, "getdata") || proto_command_is(h->command, "inv")) {
        on_inventory(c, h, payload);
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    bench_peer_read(bev, on_message, arg);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1; /* as the node does: no Nagle delay on small replies */
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        bench_peer_version(bev, (uint64_t)((struct client *)arg)->idx + 77, "/bench_relay_node/");
        return;
    }
    fprintf(stderr, "bench_relay_node: a connection failed or was closed\n");
    event_base_loopbreak(base);
}

/* Ends the run once every transaction was announced to every other peer,
 * or nothing new came for 10 s. */
static void check_cb(evutil_socket_t fd, short what, void *arg)
{
    if (!loading)
        return;
    int64_t now = now_us();
    static int64_t last_print;
    if (getenv("BENCH_TRACE") && now - last_print > 500000) {
        uint64_t req = 0;
        for (size_t i = 0; i < ntx; i++)
            req += requested[i];
        fprintf(stderr, "t=%.1f requested=%llu announced=%zu\n", (now - t_start) / 1e6,
                (unsigned long long)req, first_announced);
        last_print = now;
    }
    bool all = inv_entries >= ntx * (size_t)(npeers - 1);
    if (all || (t_last_first && now - t_last_first > 10000000) ||
        (!t_last_first && now - t_start > 30000000))
        event_base_loopbreak(base);
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("bench_relay_node: free port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t spawn_node(const char *path, const char *dir, uint16_t port)
{
    char datadir[512], portarg[32], rpcport[32];
    snprintf(datadir, sizeof(datadir), "-datadir=%s", dir);
    snprintf(portarg, sizeof(portarg), "-port=%u", port);
    snprintf(rpcport, sizeof(rpcport), "-rpcport=%u", free_port());
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, path, "-regtest", datadir, portarg, rpcport, "-bind=127.0.0.1",
              "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-listen=1", "-maxoutbound=0",
              "-trickle=0", "-trickleout=0", "-antientropy=0", "-persistmempool=0",
              "-maxconnections=200", (char *)NULL);
        perror("bench_relay_node: exec hearsayd");
        _exit(127);
    }
    return pid;
}

/* Connects every peer, retrying while the node starts up (10 s). */
static int connect_all(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int tries = 0; tries < 100; tries++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        if (ok)
            break;
        usleep(100000);
    }
    for (int i = 0; i < npeers; i++) {
        struct client *c = &clients[i];
        c->idx = i;
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&a, sizeof(a)) != 0)
            return -1;
    }
    return 0;
}

static void report(void)
{
    long cpu1 = cpu_us(node_pid);
    long cpu0 = cpu_start;
    double secs = (double)(t_last_first - t_start) / 1e6;
    printf("bench_relay_node: %d peers, %zu transactions\n", npeers, ntx);
    printf("  accepted and announced: %zu of %zu in %.2f s = %.0f tx/s\n", first_announced, ntx,
           secs, secs > 0 ? (double)first_announced / secs : 0.0);
    /* The node waits 2 s before requesting from inbound (non-preferred)
     * announcers, as Bitcoin Core does: the rate after that too. */
    double flow = (double)(t_last_first - t_first) / 1e6;
    printf("  from the first announcement back: %.0f tx/s\n",
           flow > 0 ? (double)first_announced / flow : 0.0);
    printf("  node CPU: %.1f us per transaction\n",
           first_announced ? (double)(cpu1 - cpu0) / (double)first_announced : 0.0);
    printf("  announcements: %.1f inv bytes per transaction per link (%.2f entries per tx "
           "over %d links)\n", first_announced ? (double)inv_bytes / (double)first_announced /
           npeers : 0.0, first_announced ? (double)inv_entries / (double)first_announced : 0.0,
           npeers);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  load program CPU: %.1f s (the node's: %.1f s)\n",
           (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
           (double)(cpu1 - cpu0) / 1e6);
    printf("  duplicates: %llu payloads requested twice, %llu announced back to their source\n",
           (unsigned long long)dup_requests, (unsigned long long)echo_announcements);
}

int main(int argc, char **argv)
{
    ntx = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
    const char *path = argc > 2 ? argv[2] : "./hearsayd";
    npeers = argc > 3 ? atoi(argv[3]) : 8;
    if (ntx == 0 || ntx > FANOUTS * OUTS_PER_FANOUT || npeers < 2 || npeers > MAX_PEERS) {
        fprintf(stderr, "usage: bench_relay_node [1..%d transactions] [hearsayd] [2..%d peers]\n",
                FANOUTS * OUTS_PER_FANOUT, MAX_PEERS);
        return 2;
    }
    memcpy(p2wsh_true, P2WSH_TRUE_PREFIX, 2);
    hash_sha256((uint8_t[]){0x51}, 1, p2wsh_true + 2);
    txs = xcalloc(ntx, sizeof(*txs));
    requested = xcalloc(ntx, 1);
    announced_to = xcalloc(ntx, 1);
    signal(SIGPIPE, SIG_IGN);
    char *dir = testutil_tmpdir("bench_relay_node");
    uint16_t port = free_port();
    node_pid = spawn_node(path, dir, port);
    base = event_base_new();
    struct event *check = event_new(base, -1, EV_PERSIST, check_cb, NULL);
    struct timeval tv = {0, 100000};
    event_add(check, &tv);
    int rc = 1;
    if (connect_all(port) == 0) {
        event_base_dispatch(base); /* funding, then the load (from the pong) */
        if (loading) {
            report();
            rc = 0;
        }
    }
    kill(node_pid, SIGTERM);
    waitpid(node_pid, NULL, 0);
    for (int i = 0; i < npeers; i++)
        if (clients[i].bev)
            bufferevent_free(clients[i].bev);
    event_free(check);
    event_base_free(base);
    testutil_rmtree(dir);
    for (size_t i = 0; i < ntx; i++)
        tx_free(txs[i]);
    free(txs);
    free(requested);
    free(announced_to);
    free(sorted_wtxid);
    free(sorted_idx);
    return rc;
}
