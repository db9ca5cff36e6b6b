/* Number texts of a request body (see rpc_numtext.h). */
#include "node/rpc/rpc_numtext.h"

#include "chain/util/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static void push(struct rpc_numtext *nt, const json_t *v, const char *text, size_t len)
{
    if (nt->n == nt->cap) {
        nt->cap = nt->cap ? 2 * nt->cap : 16;
        nt->val = xreallocarray(nt->val, nt->cap, sizeof(*nt->val));
        nt->text = xreallocarray(nt->text, nt->cap, sizeof(*nt->text));
        nt->len = xreallocarray(nt->len, nt->cap, sizeof(*nt->len));
    }
    nt->val[nt->n] = v;
    nt->text[nt->n] = text;
    nt->len[nt->n] = len;
    nt->n++;
}

/* Records every number token with a fraction or an exponent (jansson's
 * reals), skipping strings. val is NULL until bound. */
static void scan(struct rpc_numtext *nt, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            continue;
        }
        if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
            continue;
        size_t start = i;
        bool real = false;
        for (; i < len && strchr("+-0123456789.eE", s[i]) && s[i]; i++)
            real |= s[i] == '.' || s[i] == 'e' || s[i] == 'E';
        if (real)
            push(nt, NULL, s + start, i - start);
        i--; /* the loop steps past the token's end */
    }
}

/* Binds the reals of v in document order from *next; false when there
 * are more reals than texts. */
static bool bind(struct rpc_numtext *nt, const json_t *v, size_t *next)
{
    if (json_is_real(v)) {
        if (*next == nt->n)
            return false;
        nt->val[(*next)++] = v;
        return true;
    }
    size_t i;
    const char *key;
    json_t *child;
    if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            if (!bind(nt, child, next))
                return false;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
            if (!bind(nt, child, next))
                return false;
    }
    return true;
}

void rpc_numtext_set(struct rpc_numtext *nt, const char *body, size_t len, const json_t *root)
{
    nt->body = body;
    nt->body_len = len;
    nt->root = root;
    nt->scanned = false;
    nt->n = 0;
}

void rpc_numtext_clear(struct rpc_numtext *nt)
{
    rpc_numtext_set(nt, NULL, 0, NULL);
}

void rpc_numtext_free(struct rpc_numtext *nt)
{
    free(nt->val);
    free(nt->text);
    free(nt->len);
    memset(nt, 0, sizeof(*nt));
}

bool rpc_numtext_find(struct rpc_numtext *nt, const json_t *v, const char **text, size_t *len)
{
    if (!nt->scanned && nt->root) {
        nt->scanned = true;
        scan(nt, nt->body, nt->body_len);
        size_t next = 0;
        if (!bind(nt, nt->root, &next) || next != nt->n)
            nt->n = 0;
    }
    for (size_t i = 0; i < nt->n; i++)
        if (nt->val[i] == v) {
            *text = nt->text[i];
            *len = nt->len[i];
            return true;
        }
    return false;
}
