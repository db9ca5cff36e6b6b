/* RPC credentials: the .cookie file, -rpcuser/-rpcpassword and -rpcauth
 * (Bitcoin Core's src/httprpc.cpp and share/rpcauth/rpcauth.py). */
#ifndef HEARSAY_NODE_RPC_AUTH_H
#define HEARSAY_NODE_RPC_AUTH_H

#include <stdbool.h>

#define RPC_COOKIE_USER "__cookie__"
#define RPC_COOKIE_FILE ".cookie"

struct rpc_auth;
struct rpc_auth *rpc_auth_new(void);
/* Deletes the cookie file this object wrote, if any. */
void rpc_auth_free(struct rpc_auth *a);

/* Accepts user:password (-rpcuser/-rpcpassword). */
int rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password, char **err);
/* Accepts an -rpcauth line: user:salt$hex(HMAC-SHA256(key=salt, msg=password)),
 * the salt used as its text. -1 and *err if malformed. */
int rpc_auth_add_rpcauth(struct rpc_auth *a, const char *spec, char **err);
/* Generates __cookie__:<64 hex>, writes it to dir/.cookie (mode 0600,
 * through .cookie.tmp and a rename) and accepts it. */
int rpc_auth_write_cookie(struct rpc_auth *a, const char *dir, char **err);
/* Checks an Authorization header value ("Basic <base64>") in time that
 * does not depend on how much of a secret matched. */
bool rpc_auth_check(const struct rpc_auth *a, const char *header);

/* Client side: reads dir/.cookie into "user:password" (malloc'd). */
char *rpc_auth_read_cookie(const char *dir, char **err);
/* "Basic <base64(user_colon_pass)>", malloc'd. */
char *rpc_auth_basic_header(const char *user_colon_pass);

#endif
