/* The RPC HTTP server in-process on 127.0.0.1 with an ephemeral port; the
 * client is a plain socket, and the test spins the event loop while it
 * waits, so server and client share one thread. */
#define _GNU_SOURCE
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_auth.h"
#include "node/rpc/rpc_server.h"

#include "chain/primitives/hash.h"
#include "chain/util/hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define DEADLINE_MS 5000

struct fixture {
    struct event_base *base;
    struct rpc_table *table;
    struct rpc_auth *auth;
    struct rpc_server *server;
    char dir[64];
    char *cookie;     /* "__cookie__:hex" read back from the file */
    char *good;       /* Authorization header for rpcuser/rpcpassword */
    int shutdowns;
};


static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_shutdown(void *arg)
{
    struct fixture *f = arg;
    f->shutdowns++;
}

/* stop's hook, as the node's glue does it: after the reply is sent. */
static void stop_after_reply(void *arg)
{
    struct fixture *f = arg;
    rpc_server_after_reply(f->server, on_shutdown, f);
}

static void start_server(struct fixture *f, const struct rpc_server_config *cfg)
{
    char *err = NULL;
    f->server = rpc_server_new(f->base, f->table, f->auth, cfg, &err);
    if (!f->server)
        fail_msg("rpc_server_new: %s", err);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *err = NULL;
    f->base = event_base_new();
    f->table = rpc_table_new();
    struct rpc_control_info info = { time(NULL), NULL, stop_after_reply, f };
    assert_int_equal(rpc_control_register(f->table, &info, &err), 0);
    f->auth = rpc_auth_new();
    strcpy(f->dir, "/tmp/hs_rpc_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(rpc_auth_write_cookie(f->auth, f->dir, &err), 0);
    f->cookie = rpc_auth_read_cookie(f->dir, &err);
    assert_non_null(f->cookie);
    assert_int_equal(rpc_auth_add_password(f->auth, "alice", "s3cret", &err), 0);
    f->good = rpc_auth_basic_header("alice:s3cret");
    struct rpc_server_config cfg = { .bind = (const char *const[]){ "127.0.0.1" },
                                     .n_bind = 1,
                                     .allow = (const char *const[]){ "127.0.0.1" },
                                     .n_allow = 1,
                                     .max_body = 4096,
                                     .timeout_secs = 1 };
    start_server(f, &cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rpc_server_free(f->server); /* deletes the cookie */
    char path[128];
    snprintf(path, sizeof(path), "%s/.cookie", f->dir);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(f->dir);
    event_base_free(f->base);
    free(f->cookie);
    free(f->good);
    free(f);
    return 0;
}

static int connect_server(struct fixture *f)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(rpc_server_port(f->server)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    /* A non-blocking connect to loopback completes while the loop spins. */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    assert_true(r == 0 || errno == EINPROGRESS);
    return fd;
}

static void spin(struct fixture *f)
{
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    poll(NULL, 0, 1);
}

static void send_all(struct fixture *f, int fd, const char *data, size_t len)
{
    int64_t end = now_ms() + DEADLINE_MS;
    while (len > 0) {
        assert_true(now_ms() < end);
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else {
            assert_true(errno == EAGAIN || errno == ENOTCONN || errno == EINPROGRESS);
            spin(f);
        }
    }
}

struct response {
    int status;
    char head[2048];
    char *body;
    size_t body_len;
    bool closed;
};

static void response_free(struct response *r)
{
    free(r->body);
}

/* Reads one response (by Content-Length); -1 if the server closed first. */
static int read_response(struct fixture *f, int fd, struct response *r)
{
    char buf[65536];
    size_t have = 0, need = SIZE_MAX, head_len = 0;
    int64_t end = now_ms() + DEADLINE_MS;
    memset(r, 0, sizeof(*r));
    while (have < need) {
        assert_true(now_ms() < end);
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
        if (n == 0) {
            r->closed = true;
            if (!head_len)
                return -1;
            break;
        }
        if (n < 0) {
            spin(f);
            continue;
        }
        have += (size_t)n;
        buf[have] = 0;
        char *eoh = head_len ? NULL : strstr(buf, "\r\n\r\n");
        if (eoh) {
            head_len = (size_t)(eoh - buf) + 4;
            memcpy(r->head, buf, head_len < sizeof(r->head) ? head_len : sizeof(r->head) - 1);
            r->status = atoi(buf + 9);
            const char *cl = strcasestr(r->head, "Content-Length:");
            need = head_len + (cl ? strtoul(cl + 15, NULL, 10) : 0);
        }
    }
    r->body_len = have - head_len;
    r->body = strndup(buf + head_len, r->body_len);
    return 0;
}

static void request(struct fixture *f, int fd, const char *method, const char *auth,
                    const char *body, struct response *r)
{
    char *req = NULL;
    int n = asprintf(&req, "%s / HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Type: "
                           "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "",
                     strlen(body), body);
    assert_true(n > 0);
    send_all(f, fd, req, (size_t)n);
    free(req);
    assert_int_equal(read_response(f, fd, r), 0);
}

/* One request on a fresh connection. */
static void post(struct fixture *f, const char *auth, const char *body, struct response *r)
{
    int fd = connect_server(f);
    request(f, fd, "POST", auth, body, r);
    close(fd);
}

static void test_keepalive_and_envelope(void **state)
{
    struct fixture *f = *state;
    struct response r;
    int fd = connect_server(f);
    for (int i = 0; i < 3; i++) {
        request(f, fd, "POST", f->good, "{\"method\":\"echo\",\"params\":[\"hi\"],\"id\":1}", &r);
        assert_int_equal(r.status, 200);
        assert_false(r.closed);
        assert_non_null(strcasestr(r.head, "Content-Type: application/json"));
        assert_string_equal(r.body, "{\"result\":[\"hi\"],\"error\":null,\"id\":1}\n");
        response_free(&r);
    }
    request(f, fd, "POST", f->good, "{\"method\":\"nosuch\",\"id\":2}", &r);
    assert_int_equal(r.status, 404);
    response_free(&r);
    request(f, fd, "POST", f->good, "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\"}", &r);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body_len, 0);
    response_free(&r);
    request(f, fd, "POST", f->good, "{oops", &r);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body, "-32700"));
    response_free(&r);
    close(fd);
}

static void test_auth_cookie_and_rpcauth(void **state)
{
    struct fixture *f = *state;
    struct response r;
    char path[128];
    struct stat st;
    snprintf(path, sizeof(path), "%s/.cookie", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(strlen(f->cookie), strlen("__cookie__:") + 64);
    assert_int_equal(strncmp(f->cookie, "__cookie__:", 11), 0);
    snprintf(path, sizeof(path), "%s/.cookie.tmp", f->dir);
    assert_int_equal(access(path, F_OK), -1);

    char *hdr = rpc_auth_basic_header(f->cookie);
    post(f, hdr, "{\"method\":\"uptime\",\"id\":1}", &r);
    free(hdr);
    assert_int_equal(r.status, 200);
    response_free(&r);

    /* rpcauth=bob:<salt>$<hex HMAC-SHA256(key=salt, msg=password)> */
    const char *salt = "cb77f0957de88ff388cf817ddbc7273";
    uint8_t mac[32];
    char hex[65], line[160];
    hash_hmac_sha256(salt, strlen(salt), "pa55", 4, mac);
    hex_encode(mac, 32, hex);
    snprintf(line, sizeof(line), "bob:%s$%s", salt, hex);
    char *err = NULL;
    assert_int_equal(rpc_auth_add_rpcauth(f->auth, line, &err), 0);
    hdr = rpc_auth_basic_header("bob:pa55");
    post(f, hdr, "{\"method\":\"uptime\",\"id\":1}", &r);
    free(hdr);
    assert_int_equal(r.status, 200);
    response_free(&r);

    assert_int_equal(rpc_auth_add_rpcauth(f->auth, "bob:nosalthash", &err), -1);
    free(err);
    assert_int_equal(rpc_auth_add_rpcauth(f->auth, "bob:salt$abcd", &err), -1);
    free(err);
}

static void test_auth_failures(void **state)
{
    struct fixture *f = *state;
    struct response r;
    post(f, NULL, "{\"method\":\"uptime\",\"id\":1}", &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strcasestr(r.head, "WWW-Authenticate: Basic realm=\"jsonrpc\""));
    response_free(&r);

    const char *bad[] = { "alice:wrong", "alice:s3cre", "alice:s3cret ", "bob:s3cret" };
    for (size_t i = 0; i < 4; i++) {
        char *hdr = rpc_auth_basic_header(bad[i]);
        int64_t t0 = now_ms();
        post(f, hdr, "{\"method\":\"uptime\",\"id\":1}", &r);
        free(hdr);
        assert_int_equal(r.status, 401);
        assert_true(now_ms() - t0 >= 200);
        assert_non_null(strcasestr(r.head, "WWW-Authenticate: Basic realm=\"jsonrpc\""));
        response_free(&r);
    }
    post(f, "Basic !!!!", "{}", &r);
    assert_int_equal(r.status, 401);
    response_free(&r);
    post(f, "Bearer abc", "{}", &r);
    assert_int_equal(r.status, 401);
    response_free(&r);
}

/* While a wrong password waits for its 401, the loop keeps answering. */
static void test_auth_delay_does_not_block(void **state)
{
    struct fixture *f = *state;
    struct response r;
    char *hdr = rpc_auth_basic_header("alice:wrong");
    int slow = connect_server(f);
    const char *body = "{}";
    char *req = NULL;
    int n = asprintf(&req, "POST / HTTP/1.1\r\nAuthorization: %s\r\nContent-Length: %zu\r\n\r\n%s",
                     hdr, strlen(body), body);
    send_all(f, slow, req, (size_t)n);
    free(req);
    free(hdr);
    int64_t t0 = now_ms();
    post(f, f->good, "{\"method\":\"uptime\",\"id\":1}", &r);
    assert_true(now_ms() - t0 < 200);
    assert_int_equal(r.status, 200);
    response_free(&r);
    assert_int_equal(read_response(f, slow, &r), 0);
    assert_int_equal(r.status, 401);
    response_free(&r);
    close(slow);
}

/* A client that leaves before its delayed 401: the reply goes nowhere,
 * nothing is touched after it is freed (the sanitizers watch). */
static void test_auth_delay_client_gone(void **state)
{
    struct fixture *f = *state;
    struct response r;
    char *hdr = rpc_auth_basic_header("alice:wrong");
    char *req = NULL;
    int n = asprintf(&req, "POST / HTTP/1.1\r\nAuthorization: %s\r\nContent-Length: 2\r\n\r\n{}",
                     hdr);
    free(hdr);
    for (int i = 0; i < 3; i++) {
        int fd = connect_server(f);
        send_all(f, fd, req, (size_t)n);
        int64_t until = now_ms() + 50;
        while (now_ms() < until)
            spin(f);
        close(fd);
    }
    int64_t until = now_ms() + 400;
    while (now_ms() < until)
        spin(f);
    post(f, f->good, "{\"method\":\"uptime\",\"id\":1}", &r);
    assert_int_equal(r.status, 200);
    response_free(&r);
    /* One still waiting when the server is freed (teardown). */
    int fd = connect_server(f);
    send_all(f, fd, req, (size_t)n);
    until = now_ms() + 50;
    while (now_ms() < until)
        spin(f);
    close(fd);
    free(req);
}

static void test_http_errors(void **state)
{
    struct fixture *f = *state;
    struct response r;
    int fd = connect_server(f);
    request(f, fd, "GET", f->good, "", &r);
    assert_int_equal(r.status, 405);
    response_free(&r);
    close(fd);

    char *big = malloc(8000);
    memset(big, ' ', 7999);
    big[7999] = 0;
    big[0] = '[';
    big[7998] = ']';
    fd = connect_server(f);
    char *req = NULL;
    int n = asprintf(&req, "POST / HTTP/1.1\r\nAuthorization: %s\r\nContent-Length: %zu\r\n\r\n",
                     f->good, strlen(big));
    send_all(f, fd, req, (size_t)n);
    free(req);
    /* The server may answer before reading the whole body. */
    send(fd, big, strlen(big), MSG_NOSIGNAL);
    assert_int_equal(read_response(f, fd, &r), 0);
    assert_int_equal(r.status, 413);
    response_free(&r);
    close(fd);
    free(big);

    fd = connect_server(f);
    const char *other = "POST /other HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    send_all(f, fd, other, strlen(other));
    assert_int_equal(read_response(f, fd, &r), 0);
    assert_int_equal(r.status, 404);
    response_free(&r);
    close(fd);

    /* The server still works afterwards. */
    post(f, f->good, "{\"method\":\"uptime\",\"id\":1}", &r);
    assert_int_equal(r.status, 200);
    response_free(&r);
}

static void test_slow_client_times_out(void **state)
{
    struct fixture *f = *state;
    struct response r;
    int fd = connect_server(f);
    const char *partial = "POST / HTTP/1.1\r\nContent-Len";
    send_all(f, fd, partial, strlen(partial));
    int64_t t0 = now_ms();
    /* No answer: the connection is dropped after the 1 s timeout. */
    int got = read_response(f, fd, &r);
    int64_t waited = now_ms() - t0;
    if (got == 0) {
        assert_true(r.closed || r.status >= 400);
        response_free(&r);
    }
    assert_true(waited >= 500 && waited < 4000);
    close(fd);
}

static void test_stop_reply_then_shutdown(void **state)
{
    struct fixture *f = *state;
    struct response r;
    post(f, f->good, "{\"method\":\"stop\",\"id\":1}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"result\":\"hearsay stopping\",\"error\":null,\"id\":1}\n");
    response_free(&r);
    int64_t end = now_ms() + 2000;
    while (!f->shutdowns && now_ms() < end)
        spin(f);
    assert_int_equal(f->shutdowns, 1);
}

static void test_bad_config(void **state)
{
    struct fixture *f = *state;
    char *err = NULL;
    const char *bad_allow[] = { "1.2.3.4/33", "1.2.3.0/255.0.255.0", "nonsense", "::1/129" };
    for (size_t i = 0; i < 4; i++) {
        struct rpc_server_config cfg = { .allow = &bad_allow[i], .n_allow = 1 };
        assert_null(rpc_server_new(f->base, rpc_table_new(), rpc_auth_new(), &cfg, &err));
        assert_non_null(strstr(err, "rpcallowip"));
        free(err);
        err = NULL;
    }
    const char *good_allow[] = { "10.0.0.0/8", "192.168.1.0/255.255.255.0", "2001:db8::/32" };
    const char *bind[] = { "127.0.0.1:0" };
    struct rpc_server_config cfg = { .bind = bind, .n_bind = 1, .allow = good_allow, .n_allow = 3 };
    struct rpc_server *s = rpc_server_new(f->base, rpc_table_new(), rpc_auth_new(), &cfg, &err);
    assert_non_null(s);
    assert_true(rpc_server_port(s) > 0 && rpc_server_port(s) != rpc_server_port(f->server));
    rpc_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keepalive_and_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_cookie_and_rpcauth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_delay_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_delay_client_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_client_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_reply_then_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
