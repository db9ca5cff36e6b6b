#include "node/rpc/rpc_auth.h"

#include "chain/primitives/hash.h"
#include "chain/util/hex.h"
#include "node/util.h"
#include "chain/util/xmalloc.h"
#include "chain/util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest Authorization header we decode; real ones are < 200 bytes. */
#define AUTH_HEADER_MAX 1024

/* A password credential is kept as SHA-256("user:password") so comparing
 * it costs the same whatever the lengths; an rpcauth one as SHA-256 of the
 * user name, the salt and the HMAC the password must produce. */
struct cred {
    uint8_t user_pass[32]; /* password kind */
    uint8_t user[32];      /* rpcauth kind */
    char *salt;
    uint8_t hmac[32];
    bool rpcauth;
};

struct rpc_auth {
    struct cred *c;
    size_t n;
    char *cookie_path;
};

struct rpc_auth *rpc_auth_new(void)
{
    return xcalloc(1, sizeof(struct rpc_auth));
}

void rpc_auth_free(struct rpc_auth *a)
{
    if (!a)
        return;
    if (a->cookie_path)
        unlink(a->cookie_path);
    free(a->cookie_path);
    for (size_t i = 0; i < a->n; i++)
        free(a->c[i].salt);
    OPENSSL_cleanse(a->c, a->n * sizeof(*a->c));
    free(a->c);
    free(a);
}

static struct cred *new_cred(struct rpc_auth *a)
{
    struct cred *c = xrealloc(a->c, (a->n + 1) * sizeof(*c));
    a->c = c;
    memset(&c[a->n], 0, sizeof(*c));
    return &c[a->n++];
}

int rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password, char **err)
{
    if (strchr(user, ':'))
        return err_set(err, "-rpcuser must not contain a colon: %s", user);
    struct cred *c = new_cred(a);
    size_t ul = strlen(user), pl = strlen(password);
    char *up = xmalloc(ul + pl + 2);
    memcpy(up, user, ul);
    up[ul] = ':';
    memcpy(up + ul + 1, password, pl + 1);
    hash_sha256(up, ul + pl + 1, c->user_pass);
    OPENSSL_cleanse(up, ul + pl + 1);
    free(up);
    return 0;
}

int rpc_auth_add_rpcauth(struct rpc_auth *a, const char *spec, char **err)
{
    const char *colon = strchr(spec, ':');
    const char *dollar = colon ? strchr(colon + 1, '$') : NULL;
    if (!colon || !dollar || colon == spec || dollar == colon + 1 || strchr(dollar + 1, '$') ||
        strchr(dollar + 1, ':') || memchr(colon + 1, ':', (size_t)(dollar - colon - 1)))
        return err_set(err, "Invalid -rpcauth argument (want user:salt$hash): %s", spec);
    uint8_t mac[32];
    if (hex_decode(dollar + 1, mac, sizeof(mac)) != 32)
        return err_set(err, "Invalid -rpcauth hash (want 64 hex digits): %s", spec);
    struct cred *c = new_cred(a);
    c->rpcauth = true;
    hash_sha256(spec, (size_t)(colon - spec), c->user);
    c->salt = xstrndup(colon + 1, (size_t)(dollar - colon - 1));
    memcpy(c->hmac, mac, 32);
    return 0;
}

static bool cred_matches(const struct cred *c, const char *up, size_t len)
{
    uint8_t h[32];
    if (!c->rpcauth) {
        hash_sha256(up, len, h);
        return CRYPTO_memcmp(h, c->user_pass, 32) == 0;
    }
    const char *colon = memchr(up, ':', len);
    if (!colon)
        return false;
    hash_sha256(up, (size_t)(colon - up), h);
    bool user_ok = CRYPTO_memcmp(h, c->user, 32) == 0;
    const char *pass = colon + 1;
    hash_hmac_sha256(c->salt, strlen(c->salt), pass, len - (size_t)(pass - up), h);
    bool pass_ok = CRYPTO_memcmp(h, c->hmac, 32) == 0;
    return user_ok & pass_ok;
}

/* Decodes base64 into a NUL-terminated string; NULL if malformed. */
static char *b64_decode(const char *in, size_t *out_len)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 || n > AUTH_HEADER_MAX)
        return NULL;
    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    int r = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (r < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the bytes that padding stands for. */
    size_t len = (size_t)r - (in[n - 1] == '=') - (in[n - 2] == '=');
    out[len] = 0;
    *out_len = len;
    return (char *)out;
}

bool rpc_auth_check(const struct rpc_auth *a, const char *header)
{
    if (!header || strncmp(header, "Basic ", 6))
        return false;
    const char *b64 = header + 6;
    while (*b64 == ' ')
        b64++;
    size_t len;
    char *up = b64_decode(b64, &len);
    if (!up)
        return false;
    bool ok = false;
    for (size_t i = 0; i < a->n; i++)
        ok |= cred_matches(&a->c[i], up, len);
    OPENSSL_cleanse(up, len);
    free(up);
    return ok;
}

static int write_file_0600(const char *path, const char *data, size_t len, char **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(err, "Unable to open cookie authentication file %s for writing", path);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len;
    if (close(fd) != 0 || !ok) {
        unlink(path);
        return err_set(err, "Unable to write cookie authentication file %s", path);
    }
    return 0;
}

int rpc_auth_write_cookie(struct rpc_auth *a, const char *dir, char **err)
{
    uint8_t rnd[32];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return err_set(err, "no randomness for the RPC cookie");
    char pass[65], line[sizeof(RPC_COOKIE_USER) + 65];
    hex_encode(rnd, sizeof(rnd), pass);
    snprintf(line, sizeof(line), "%s:%s", RPC_COOKIE_USER, pass);
    char *tmp = util_path_join(dir, RPC_COOKIE_FILE ".tmp"), *path = util_path_join(dir, RPC_COOKIE_FILE);
    int r = -1;
    if (write_file_0600(tmp, line, strlen(line), err) == 0) {
        if (rename(tmp, path) != 0) {
            unlink(tmp);
            err_set(err, "Unable to rename cookie authentication file to %s", path);
        } else {
            r = rpc_auth_add_password(a, RPC_COOKIE_USER, pass, err);
        }
    }
    OPENSSL_cleanse(pass, sizeof(pass));
    OPENSSL_cleanse(line, sizeof(line));
    free(tmp);
    if (r == 0) {
        free(a->cookie_path);
        a->cookie_path = path;
    } else {
        free(path);
    }
    return r;
}

char *rpc_auth_read_cookie(const char *dir, char **err)
{
    char *path = util_path_join(dir, RPC_COOKIE_FILE);
    FILE *f = fopen(path, "r");
    char buf[256];
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    if (!f || n == 0) {
        err_set(err, "Could not read the cookie file %s", path);
        free(path);
        return NULL;
    }
    free(path);
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return xstrdup(buf);
}

char *rpc_auth_basic_header(const char *user_colon_pass)
{
    size_t n = strlen(user_colon_pass);
    char *out = xmalloc(6 + (n + 2) / 3 * 4 + 1);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)user_colon_pass, (int)n);
    return out;
}
