/* The JSON-RPC HTTP server: libevent's evhttp on the node's event loop.
 *
 * POST only (else 405), HTTP Basic auth (401 with WWW-Authenticate; a
 * wrong password is answered after a delay kept on a timer, never by
 * blocking the loop), bodies over the cap get 413, idle or slow clients
 * time out, non-loopback clients need an -rpcallowip entry (else 403). */
#ifndef HEARSAY_NODE_RPC_SERVER_H
#define HEARSAY_NODE_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct rpc_table;
struct rpc_auth;

#define RPC_DEFAULT_MAX_BODY (32u << 20)   /* Bitcoin Core's MAX_SIZE */
#define RPC_DEFAULT_TIMEOUT 30             /* -rpcservertimeout, seconds */
#define RPC_DEFAULT_AUTH_FAIL_DELAY_MS 250 /* as Bitcoin Core */

struct rpc_server_config {
    /* -rpcbind: "addr", "addr:port", "[v6addr]:port", "v6addr". They are
     * used only together with -rpcallowip (as Bitcoin Core); otherwise the
     * server binds 127.0.0.1 and ::1. */
    const char *const *bind;
    size_t n_bind;
    uint16_t port; /* 0: an ephemeral port (tests) */
    /* -rpcallowip: "1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0",
     * "2001:db8::/32". Loopback clients are always allowed. */
    const char *const *allow;
    size_t n_allow;
    size_t max_body;       /* 0: RPC_DEFAULT_MAX_BODY */
    int timeout_secs;      /* 0: RPC_DEFAULT_TIMEOUT */
    int auth_fail_delay_ms; /* 0: RPC_DEFAULT_AUTH_FAIL_DELAY_MS */
    bool rest; /* -rest: answer /rest/ paths, without authentication (node/rpc/rest.h) */
};

struct rpc_server;
/* Binds and starts answering on base. Takes ownership of table and auth
 * (even when it fails). NULL and *err if nothing could be bound or an
 * -rpcallowip entry is malformed. */
struct rpc_server *rpc_server_new(struct event_base *base, struct rpc_table *table,
                                  struct rpc_auth *auth, const struct rpc_server_config *cfg,
                                  char **err);
/* Closes the listeners and connections (answering any delayed 401 first),
 * then frees the table and the credentials (which deletes the cookie). */
void rpc_server_free(struct rpc_server *s);
/* The port the first listener is bound to (the ephemeral one if port 0). */
uint16_t rpc_server_port(const struct rpc_server *s);
/* Runs fn(arg) once the reply being built now has been sent (or after a
 * second, whichever comes first); at once if no request is running. Used
 * by `stop` so that its answer reaches the client before the loop ends. */
void rpc_server_after_reply(struct rpc_server *s, void (*fn)(void *), void *arg);

/* Checks the requests whose methods wait (rpc_wait) on the next turn of
 * the loop: called when the chain tip changes. Accepts NULL. */
void rpc_server_wake(struct rpc_server *s);
/* Shutdown: answers every waiting request now, as Core's do when the
 * node stops (the waitfor* methods with the current block, interrupted
 * work with -9 "Shutting down": see rpc_server_stopping), then runs
 * done(arg) (may be NULL) once those answers are written, or after a
 * second if a client is gone; at once when none waited. `stop` calls it
 * before its own reply; a stop signal before ending the loop. */
void rpc_server_release_waiting(struct rpc_server *s, void (*done)(void *), void *arg);
/* True once rpc_server_release_waiting ran: a waiting method polled then
 * answers as Core's does at shutdown. Accepts NULL. */
bool rpc_server_stopping(const struct rpc_server *s);

/* Helpers for other HTTP listeners of the node (metrics). "addr",
 * "addr:port", "[v6]:port", "[v6]", "v6" into host (cap bytes) and *port
 * (left alone when the spec has none); -1 when malformed. */
int rpc_server_split_host_port(const char *spec, char *host, size_t cap, uint16_t *port);
struct evhttp;
/* The limits every HTTP listener of the node sets: body bytes, header
 * bytes (as Core) and seconds a request may take. */
void rpc_server_http_limits(struct evhttp *http, size_t max_body, int timeout_secs);
struct evhttp_bound_socket;
/* The local port of a bound listener, 0 if unknown. */
uint16_t rpc_server_bound_port(struct evhttp_bound_socket *h);
/* HTTP requests received so far (every path and method). */
uint64_t rpc_server_requests(const struct rpc_server *s);

#endif
