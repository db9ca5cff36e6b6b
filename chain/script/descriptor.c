#include "chain/script/descriptor.h"

#include "chain/primitives/address.h"
#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/script/bip32.h"
#include "chain/script/pubkey.h"
#include "chain/script/script.h"
#include "chain/script/taproot.h"
#include "chain/util/err.h"
#include "chain/util/hex.h"
#include "chain/util/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char desc_charset[] = "0123456789()[],'/*abcdefgh@:$%{}"
                                   "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                                   "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
static const char checksum_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* BIP380's BCH code over GF(32): the remainder of the symbols (a degree-8
 * generator, 40-bit state). */
static uint64_t desc_polymod(uint64_t c, unsigned val)
{
    static const uint64_t gen[5] = { 0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a,
                                     0x644d626ffd };
    unsigned top = (unsigned)(c >> 35);
    c = ((c & 0x7ffffffffULL) << 5) ^ val;
    for (int i = 0; i < 5; i++)
        if (top >> i & 1)
            c ^= gen[i];
    return c;
}

int descriptor_checksum(const char *desc, size_t len, char out[9])
{
    uint64_t c = 1;
    unsigned group = 0, in_group = 0;
    for (size_t i = 0; i < len; i++) {
        const char *at = desc[i] ? strchr(desc_charset, desc[i]) : NULL;
        if (!at)
            return -1;
        unsigned pos = (unsigned)(at - desc_charset);
        c = desc_polymod(c, pos & 31);
        /* Every three characters, their upper bits (the charset group)
         * form one more symbol. */
        group = group * 3 + (pos >> 5);
        if (++in_group == 3) {
            c = desc_polymod(c, group);
            group = in_group = 0;
        }
    }
    if (in_group)
        c = desc_polymod(c, group);
    for (int j = 0; j < 8; j++)
        c = desc_polymod(c, 0);
    c ^= 1;
    for (int j = 0; j < 8; j++)
        out[j] = checksum_charset[(c >> (5 * (7 - j))) & 31];
    out[8] = '\0';
    return 0;
}

enum ctx { CTX_TOP, CTX_P2SH, CTX_P2WPKH, CTX_P2WSH, CTX_P2TR };
enum dtype { D_PK, D_PKH, D_WPKH, D_COMBO, D_SH, D_WSH, D_MULTI, D_SORTEDMULTI, D_ADDR, D_RAW,
             D_TR, D_RAWTR, D_BRANCH /* {A,B} of a tr() script tree */ };
#define MAX_TREE_DEPTH 128

#define MAX_PATH 256

struct dkey {
    bool extended, has_priv, xonly;
    uint8_t pub[65]; /* a fixed key: 33 or 65 bytes, or 32 when xonly */
    size_t pub_len;
    struct bip32_key root;
    uint32_t *path;
    size_t npath;
    int range; /* 0 none, 1 "/ *", 2 hardened */
    /* The key at the end of path, derived once at parse time (as Core
     * caches it); false when a hardened step lacks the private key. */
    bool parent_ok;
    struct bip32_key parent;
};

struct dnode {
    enum dtype t;
    int k;
    struct dkey *keys;
    size_t nkeys;
    struct dnode *sub, *sub2; /* sh/wsh: sub; tr: sub, the tree; a branch: both */
    uint8_t *raw; /* raw() bytes, addr()'s script */
    size_t raw_len;
};

struct descriptor {
    struct dnode *root;
    char *text;
    bool range, priv;
};

/* The parse state: the text, the error, and the public form being built. */
struct parser {
    const struct chain_params *p;
    const char *s;
    char *err;
    struct wbuf out;
    bool range, priv;
};

/* Records the first error; false, so that callers can return it. */
__attribute__((format(printf, 2, 3))) static bool fail(struct parser *ps, const char *fmt, ...)
{
    if (!ps->err) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        ps->err = xstrdup(buf);
    }
    return false;
}

/* Core's Expr: the end of the expression at b (stops at ',', ')' or '}'
 * outside brackets). */
static size_t expr_end(const char *s, size_t b, size_t e)
{
    int level = 0;
    for (; b < e; b++) {
        char c = s[b];
        if (c == '(' || c == '{')
            level++;
        else if (level == 0 && (c == ')' || c == '}' || c == ','))
            break;
        else if (c == ')' || c == '}')
            level--;
    }
    return b;
}

/* Whether [*b, *e) is name(...); then narrows it to the arguments. */
static bool func(const char *name, const char *s, size_t *b, size_t *e)
{
    size_t n = strlen(name);
    if (*e - *b < n + 2 || memcmp(s + *b, name, n) != 0 || s[*b + n] != '(' || s[*e - 1] != ')')
        return false;
    *b += n + 1;
    *e -= 1;
    return true;
}

static void put(struct parser *ps, const char *str)
{
    wbuf_bytes(&ps->out, str, strlen(str));
}

static void put_hex(struct parser *ps, const uint8_t *d, size_t n)
{
    char *h = xmalloc(n * 2 + 1);
    hex_encode(d, n, h);
    put(ps, h);
    free(h);
}

/* One key path element ("44", "0'", "1h"). apostrophe follows the last
 * hardened marker, as Core's ParseKeyPath. */
static bool path_elem(struct parser *ps, const char *s, size_t n, uint32_t *out, bool *apostrophe)
{
    char tmp[16];
    bool hard = n > 0 && (s[n - 1] == '\'' || s[n - 1] == 'h');
    if (hard) {
        *apostrophe = s[n - 1] == '\'';
        n--;
    }
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(n < 12 ? n : 12), s);
    uint64_t v = 0;
    bool ok = n > 0 && n <= 10;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (!ok || v > UINT32_MAX)
        return fail(ps, "Key path value '%s' is not a valid uint32", tmp);
    if (v >= BIP32_HARDENED) {
        snprintf(tmp, sizeof(tmp), "%u", (unsigned)v);
        return fail(ps, "Key path value %s is out of range", tmp);
    }
    *out = (uint32_t)v | (hard ? BIP32_HARDENED : 0);
    return true;
}

/* The elements between '/'s in [b, e) (which starts with '/'). */
static bool parse_path(struct parser *ps, size_t b, size_t e, uint32_t *path, size_t *n,
                       bool *apostrophe)
{
    *n = 0;
    while (b < e) {
        size_t end = b + 1;
        while (end < e && ps->s[end] != '/')
            end++;
        if (*n == MAX_PATH)
            return fail(ps, "Key path is too long");
        if (!path_elem(ps, ps->s + b + 1, end - b - 1, &path[(*n)++], apostrophe))
            return false;
        b = end;
    }
    return true;
}

static void put_path(struct parser *ps, const uint32_t *path, size_t n, bool apostrophe)
{
    char num[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "/%u", path[i] & ~BIP32_HARDENED);
        put(ps, num);
        if (path[i] & BIP32_HARDENED)
            put(ps, apostrophe ? "'" : "h");
    }
}

/* A hex public key (x-only too in tr()). 1: done, -1: error. */
static int hex_key(struct parser *ps, const char *str, size_t n, enum ctx ctx, struct dkey *k)
{
    bool permit_uncompressed = ctx == CTX_TOP || ctx == CTX_P2SH;
    ssize_t hl = n / 2 <= sizeof(k->pub) ? hex_decode(str, k->pub, sizeof(k->pub)) : -1;
    k->pub_len = hl < 0 ? 0 : (size_t)hl;
    uint8_t full[33] = { 0x02 };
    if (k->pub_len == 32)
        memcpy(full + 1, k->pub, 32);
    if (k->pub_len == 65 && (k->pub[0] == 6 || k->pub[0] == 7) && pubkey_is_valid(k->pub, 65))
        return fail(ps, "Hybrid public keys are not allowed") - 1;
    if (pubkey_is_valid(k->pub, k->pub_len)) {
        if (!permit_uncompressed && k->pub_len != 33)
            return fail(ps, "Uncompressed keys are not allowed") - 1;
    } else if (k->pub_len == 32 && ctx == CTX_P2TR && pubkey_is_valid(full, 33)) {
        k->xonly = true;
    } else {
        return fail(ps, "Pubkey '%s' is invalid", str) - 1;
    }
    put_hex(ps, k->pub, k->pub_len);
    return 1;
}

/* A WIF secret: shown as its public key, compressed as WIF says. 0: not
 * one, 1: done, -1: error. */
static int wif_key(struct parser *ps, const char *str, enum ctx ctx, struct dkey *k)
{
    uint8_t d[BASE58_MAX_DATA];
    int dl = base58check_decode(str, d, sizeof(d));
    if (!(dl == 33 || (dl == 34 && d[33] == 1)) || d[0] != ps->p->base58_secret ||
        !bip32_pub_of_secret(d + 1, k->pub))
        return 0;
    if (dl == 33 && ctx != CTX_TOP && ctx != CTX_P2SH)
        return fail(ps, "Uncompressed keys are not allowed") - 1;
    k->pub_len = 33;
    if (dl == 33) {
        uint8_t full[65];
        pubkey_decompress(k->pub, full);
        memcpy(k->pub, full, 65);
        k->pub_len = 65;
    }
    k->has_priv = ps->priv = true;
    put_hex(ps, k->pub, k->pub_len);
    return 1;
}

/* A hex public key or a WIF secret. 0: neither (try an extended key). */
static int simple_key(struct parser *ps, size_t b, size_t e, enum ctx ctx, struct dkey *k)
{
    size_t n = e - b;
    char *str = xstrndup(ps->s + b, n);
    bool is_hex = n > 0 && n % 2 == 0 && strspn(str, "0123456789abcdefABCDEF") == n;
    int r = is_hex ? hex_key(ps, str, n, ctx, k) : wif_key(ps, str, ctx, k);
    free(str);
    return r;
}

/* An extended key with its path and range: xpub/xprv/... "/1/2h/ *". */
static bool ext_key(struct parser *ps, size_t b, size_t e, struct dkey *k)
{
    size_t slash = b;
    while (slash < e && ps->s[slash] != '/')
        slash++;
    char *str = xstrndup(ps->s + b, slash - b);
    bool ok = bip32_decode(ps->p, str, &k->root);
    if (!ok) {
        char *all = xstrndup(ps->s + b, e - b);
        fail(ps, "key '%s' is not valid", all);
        free(all);
        free(str);
        return false;
    }
    free(str);
    bool apostrophe = false;
    size_t pe = e;
    if (e - slash >= 2 && ps->s[e - 2] == '/' && ps->s[e - 1] == '*') {
        k->range = 1;
        pe = e - 2;
    } else if (e - slash >= 3 && ps->s[e - 3] == '/' && ps->s[e - 2] == '*' &&
               (ps->s[e - 1] == '\'' || ps->s[e - 1] == 'h')) {
        k->range = 2;
        apostrophe = ps->s[e - 1] == '\'';
        pe = e - 3;
    }
    uint32_t path[MAX_PATH];
    if (!parse_path(ps, slash, pe, path, &k->npath, &apostrophe))
        return false;
    k->path = xmalloc((k->npath ? k->npath : 1) * sizeof(*path));
    memcpy(k->path, path, k->npath * sizeof(*path));
    k->extended = true;
    k->parent = k->root;
    k->parent_ok = true;
    for (size_t i = 0; i < k->npath && k->parent_ok; i++)
        k->parent_ok = bip32_derive(&k->parent, k->path[i], &k->parent);
    k->has_priv = k->root.has_priv;
    ps->priv |= k->has_priv;
    ps->range |= k->range != 0;
    char text[BIP32_TEXT_MAX];
    bip32_encode_pub(ps->p, &k->root, text);
    put(ps, text);
    put_path(ps, k->path, k->npath, apostrophe);
    if (k->range)
        put(ps, k->range == 2 ? (apostrophe ? "/*'" : "/*h") : "/*");
    return true;
}

/* A key expression with an optional [fingerprint/path] origin. */
static bool parse_key(struct parser *ps, size_t b, size_t e, enum ctx ctx, struct dkey *k)
{
    memset(k, 0, sizeof(*k));
    size_t close = b;
    while (close < e && ps->s[close] != ']')
        close++;
    if (close < e) {
        if (memchr(ps->s + close + 1, ']', e - close - 1))
            return fail(ps, "Multiple ']' characters found for a single pubkey");
        if (ps->s[b] != '[') {
            char c[2] = { ps->s[b], 0 };
            return fail(ps, "Key origin start '[ character expected but not found, got '%s' "
                        "instead", c);
        }
        size_t fe = b + 1;
        while (fe < close && ps->s[fe] != '/')
            fe++;
        char fp[9], num[24];
        uint8_t fpb[4];
        if (fe - b - 1 != 8) {
            snprintf(num, sizeof(num), "%zu", fe - b - 1);
            return fail(ps, "Fingerprint is not 4 bytes (%s characters instead of 8 characters)",
                        num);
        }
        snprintf(fp, sizeof(fp), "%.8s", ps->s + b + 1);
        if (hex_decode(fp, fpb, 4) != 4)
            return fail(ps, "Fingerprint '%s' is not hex", fp);
        uint32_t path[MAX_PATH];
        size_t n;
        bool apostrophe = false;
        if (!parse_path(ps, fe, close, path, &n, &apostrophe))
            return false;
        put(ps, "[");
        put_hex(ps, fpb, 4);
        put_path(ps, path, n, apostrophe);
        put(ps, "]");
        b = close + 1;
    }
    int r = memchr(ps->s + b, '/', e - b) ? 0 : simple_key(ps, b, e, ctx, k);
    if (r < 0)
        return false;
    return r == 1 || ext_key(ps, b, e, k);
}

static struct dnode *parse_script(struct parser *ps, size_t b, size_t e, enum ctx ctx);

static void node_free(struct dnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkeys; i++)
        free(n->keys[i].path);
    free(n->keys);
    node_free(n->sub);
    node_free(n->sub2);
    free(n->raw);
    free(n);
}

static struct dnode *node_new(enum dtype t, size_t nkeys)
{
    struct dnode *n = xcalloc(1, sizeof(*n));
    n->t = t;
    n->nkeys = nkeys;
    n->keys = nkeys ? xcalloc(nkeys, sizeof(*n->keys)) : NULL;
    return n;
}

/* name(KEY): pk, pkh, wpkh, combo, rawtr. */
static struct dnode *one_key(struct parser *ps, enum dtype t, size_t b, size_t e, enum ctx kctx)
{
    struct dnode *n = node_new(t, 1);
    if (expr_end(ps->s, b, e) != e) {
        fail(ps, "Expected a key expression, not '%.*s'", (int)(e - b), ps->s + b);
        node_free(n);
        return NULL;
    }
    if (!parse_key(ps, b, e, kctx, &n->keys[0])) {
        node_free(n);
        return NULL;
    }
    put(ps, ")");
    return n;
}

/* A script tree: pk(KEY) leaves (BIP386) and {A,B} branches. */
static struct dnode *parse_tree(struct parser *ps, size_t b, size_t e, int depth)
{
    if (b == e || ps->s[b] != '{') {
        struct dnode *leaf = parse_script(ps, b, e, CTX_P2TR);
        if (leaf && leaf->t != D_PK) {
            fail(ps, "Only pk() leaves are supported in tr() script trees");
            node_free(leaf);
            return NULL;
        }
        return leaf;
    }
    if (depth == MAX_TREE_DEPTH) {
        fail(ps, "tr() supports at most %d nesting levels", MAX_TREE_DEPTH);
        return NULL;
    }
    size_t mid = expr_end(ps->s, b + 1, e);
    if (mid >= e || ps->s[mid] != ',' || ps->s[e - 1] != '}' ||
        expr_end(ps->s, mid + 1, e) != e - 1) {
        fail(ps, "Invalid script tree '%.*s'", (int)(e - b), ps->s + b);
        return NULL;
    }
    struct dnode *n = node_new(D_BRANCH, 0);
    put(ps, "{");
    n->sub = parse_tree(ps, b + 1, mid, depth + 1);
    put(ps, ",");
    n->sub2 = n->sub ? parse_tree(ps, mid + 1, e - 1, depth + 1) : NULL;
    put(ps, "}");
    if (!n->sub2) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* tr(KEY) or tr(KEY,TREE). */
static struct dnode *taproot(struct parser *ps, size_t b, size_t e)
{
    size_t key_end = expr_end(ps->s, b, e);
    struct dnode *n = node_new(D_TR, 1);
    bool ok = parse_key(ps, b, key_end, CTX_P2TR, &n->keys[0]);
    if (ok && key_end < e) {
        put(ps, ",");
        ok = (n->sub = parse_tree(ps, key_end + 1, e, 0)) != NULL;
    }
    if (!ok) {
        node_free(n);
        return NULL;
    }
    put(ps, ")");
    return n;
}

static bool parse_threshold(struct parser *ps, size_t b, size_t e, int *k)
{
    char num[16];
    snprintf(num, sizeof(num), "%.*s", (int)(e - b < 12 ? e - b : 12), ps->s + b);
    bool ok = e > b && e - b <= 9;
    int v = 0;
    for (size_t i = b; ok && i < e; i++) {
        ok = ps->s[i] >= '0' && ps->s[i] <= '9';
        v = v * 10 + (ps->s[i] - '0');
    }
    if (!ok)
        return fail(ps, "Multi threshold '%s' is not valid", num);
    *k = v;
    snprintf(num, sizeof(num), "%d,", v);
    put(ps, num);
    return true;
}

/* multi(k,KEY,...) and sortedmulti(): Core's key count and threshold
 * rules (at most 3 keys bare, 15 in P2SH, 20 in P2WSH). */
static struct dnode *multi(struct parser *ps, enum dtype t, size_t b, size_t e, enum ctx ctx)
{
    size_t end = expr_end(ps->s, b, e);
    int k = 0;
    if (!parse_threshold(ps, b, end, &k))
        return NULL;
    struct dnode *n = node_new(t, 0);
    n->k = k;
    n->keys = xcalloc(20 + 1, sizeof(*n->keys));
    for (b = end; b < e && ps->s[b] == ',';) {
        end = expr_end(ps->s, b + 1, e);
        if (n->nkeys == 20) {
            fail(ps, "Cannot have more than 20 keys in multisig");
            node_free(n);
            return NULL;
        }
        if (n->nkeys)
            put(ps, ",");
        if (!parse_key(ps, b + 1, end, ctx, &n->keys[n->nkeys++])) {
            node_free(n);
            return NULL;
        }
        b = end;
    }
    char a[16], c[16];
    snprintf(a, sizeof(a), "%zu", n->nkeys);
    snprintf(c, sizeof(c), "%d", k);
    size_t max = ctx == CTX_TOP ? 3 : ctx == CTX_P2SH ? 15 : 20;
    if (n->nkeys < 1 || n->nkeys > 20)
        fail(ps, "Cannot have %s keys in multisig; must have between 1 and 20 keys, inclusive", a);
    else if (k < 1)
        fail(ps, "Multisig threshold cannot be %s, must be at least 1", c);
    else if ((size_t)k > n->nkeys)
        fail(ps, "Multisig threshold cannot be larger than the number of keys; threshold is %s "
             "but only %s keys specified", c, a);
    else if (n->nkeys > max && ctx == CTX_TOP)
        fail(ps, "Cannot have %s pubkeys in bare multisig; only at most 3 pubkeys", a);
    else if (n->nkeys > max)
        fail(ps, "Cannot have %s keys in a multisig; must have at most 15 keys in P2SH", a);
    if (ps->err) {
        node_free(n);
        return NULL;
    }
    put(ps, ")");
    return n;
}

/* sh(X) and wsh(X). */
static struct dnode *wrap(struct parser *ps, enum dtype t, size_t b, size_t e, enum ctx inner)
{
    struct dnode *sub = parse_script(ps, b, e, inner);
    if (!sub)
        return NULL;
    struct dnode *n = node_new(t, 0);
    n->sub = sub;
    put(ps, ")");
    return n;
}

/* addr(A) and raw(HEX): a fixed script. */
static struct dnode *fixed(struct parser *ps, enum dtype t, size_t b, size_t e)
{
    char *str = xstrndup(ps->s + b, e - b);
    uint8_t spk[ADDRESS_MAX_SCRIPT];
    size_t len = 0;
    struct dnode *n = NULL;
    uint8_t *raw = NULL;
    ssize_t rl = t == D_RAW ? hex_decode_alloc(str, &raw) : -1;
    if (t == D_ADDR && address_decode(ps->p, str, spk, &len, NULL) != ADDRESS_OK) {
        fail(ps, "Address is not valid");
    } else if (t == D_RAW && rl < 0) {
        fail(ps, "Raw script is not hex");
    } else {
        n = node_new(t, 0);
        n->raw_len = t == D_RAW ? (size_t)rl : len;
        n->raw = t == D_RAW ? raw : xmalloc(len);
        if (t == D_ADDR) {
            memcpy(n->raw, spk, len);
            char addr[ADDRESS_MAX_LEN];
            address_encode(ps->p, spk, len, addr);
            put(ps, addr);
        } else {
            put_hex(ps, raw, (size_t)rl);
        }
        put(ps, ")");
        raw = NULL;
    }
    free(raw);
    free(str);
    return n;
}

/* Core's context rules for each function. */
static const char *misplaced(enum dtype t, enum ctx ctx)
{
    switch (t) {
    case D_COMBO: return ctx != CTX_TOP ? "Can only have combo() at top level" : NULL;
    case D_SH: return ctx != CTX_TOP ? "Can only have sh() at top level" : NULL;
    case D_ADDR: return ctx != CTX_TOP ? "Can only have addr() at top level" : NULL;
    case D_RAW: return ctx != CTX_TOP ? "Can only have raw() at top level" : NULL;
    case D_TR: return ctx != CTX_TOP ? "Can only have tr at top level" : NULL;
    case D_RAWTR: return ctx != CTX_TOP ? "Can only have rawtr at top level" : NULL;
    case D_PKH:
    case D_MULTI:
    case D_SORTEDMULTI:
        return ctx == CTX_P2TR ? "Only pk() leaves are supported in tr() script trees" : NULL;
    case D_WPKH:
        return ctx != CTX_TOP && ctx != CTX_P2SH ? "Can only have wpkh() at top level or inside "
                                                   "sh()" : NULL;
    case D_WSH:
        return ctx != CTX_TOP && ctx != CTX_P2SH ? "Can only have wsh() at top level or inside "
                                                   "sh()" : NULL;
    default: return NULL;
    }
}

static const char *const dnames[] = { [D_PK] = "pk", [D_PKH] = "pkh", [D_WPKH] = "wpkh",
                                      [D_COMBO] = "combo", [D_SH] = "sh", [D_WSH] = "wsh",
                                      [D_MULTI] = "multi", [D_SORTEDMULTI] = "sortedmulti",
                                      [D_ADDR] = "addr", [D_RAW] = "raw", [D_TR] = "tr",
                                      [D_RAWTR] = "rawtr" };

static struct dnode *parse_script(struct parser *ps, size_t b, size_t e, enum ctx ctx)
{
    size_t end = expr_end(ps->s, b, e);
    for (unsigned t = 0; t < sizeof(dnames) / sizeof(*dnames); t++) {
        size_t ib = b, ie = end;
        if (!func(dnames[t], ps->s, &ib, &ie))
            continue;
        const char *bad = misplaced((enum dtype)t, ctx);
        if (bad) {
            fail(ps, "%s", bad);
            return NULL;
        }
        put(ps, dnames[t]);
        put(ps, "(");
        switch ((enum dtype)t) {
        case D_WPKH: return one_key(ps, D_WPKH, ib, ie, CTX_P2WPKH);
        case D_TR: return taproot(ps, ib, ie);
        case D_RAWTR: return one_key(ps, D_RAWTR, ib, ie, CTX_P2TR);
        case D_PK:
        case D_PKH:
        case D_COMBO: return one_key(ps, (enum dtype)t, ib, ie, ctx);
        case D_SH: return wrap(ps, D_SH, ib, ie, CTX_P2SH);
        case D_WSH: return wrap(ps, D_WSH, ib, ie, CTX_P2WSH);
        case D_MULTI:
        case D_SORTEDMULTI: return multi(ps, (enum dtype)t, ib, ie, ctx);
        default: return fixed(ps, (enum dtype)t, ib, ie);
        }
    }
    char *what = xstrndup(ps->s + b, end - b);
    if (ctx == CTX_P2SH || ctx == CTX_P2WSH)
        fail(ps, ctx == CTX_P2SH ? "A function is needed within P2SH"
                                 : "A function is needed within P2WSH");
    else
        fail(ps, "'%s' is not a valid descriptor function", what);
    free(what);
    return NULL;
}

/* Core's CheckChecksum: *len becomes the length without "#checksum". */
static bool check_checksum(struct parser *ps, size_t *len, bool require)
{
    const char *hash = strchr(ps->s, '#');
    if (hash && strchr(hash + 1, '#'))
        return fail(ps, "Multiple '#' symbols");
    if (!hash && require)
        return fail(ps, "Missing checksum");
    char num[24], sum[9];
    size_t body = hash ? (size_t)(hash - ps->s) : *len;
    if (hash && strlen(hash + 1) != 8) {
        snprintf(num, sizeof(num), "%zu", strlen(hash + 1));
        return fail(ps, "Expected 8 character checksum, not %s characters", num);
    }
    if (descriptor_checksum(ps->s, body, sum) < 0)
        return fail(ps, "Invalid characters in payload");
    if (hash && memcmp(hash + 1, sum, 8) != 0)
        return fail(ps, "Provided checksum '%s' does not match computed checksum '%s'", hash + 1,
                    sum);
    *len = body;
    return true;
}

struct descriptor *descriptor_parse(const struct chain_params *p, const char *text,
                                    bool require_checksum, char **err)
{
    struct parser ps = { .p = p, .s = text };
    wbuf_init(&ps.out);
    size_t len = strlen(text);
    struct dnode *root = NULL;
    if (check_checksum(&ps, &len, require_checksum)) {
        root = parse_script(&ps, 0, len, CTX_TOP);
        if (root && expr_end(text, 0, len) != len) {
            node_free(root);
            root = NULL;
            fail(&ps, "Invalid descriptor");
        }
    }
    if (!root) {
        wbuf_free(&ps.out);
        if (err)
            *err = ps.err ? ps.err : xstrdup("Invalid descriptor");
        else
            free(ps.err);
        return NULL;
    }
    char sum[9];
    descriptor_checksum((const char *)ps.out.data, ps.out.len, sum);
    put(&ps, "#");
    put(&ps, sum);
    wbuf_u8(&ps.out, 0);
    struct descriptor *d = xcalloc(1, sizeof(*d));
    d->root = root;
    d->text = (char *)wbuf_detach(&ps.out, NULL);
    d->range = ps.range;
    d->priv = ps.priv;
    return d;
}

void descriptor_free(struct descriptor *d)
{
    if (!d)
        return;
    node_free(d->root);
    free(d->text);
    free(d);
}

const char *descriptor_string(const struct descriptor *d)
{
    return d->text;
}

bool descriptor_is_range(const struct descriptor *d)
{
    return d->range;
}

bool descriptor_is_solvable(const struct descriptor *d)
{
    return d->root->t != D_ADDR && d->root->t != D_RAW;
}

bool descriptor_has_private_keys(const struct descriptor *d)
{
    return d->priv;
}

/* The key at position pos: 33 or 65 bytes (32 for an x-only key). */
static bool derive_key(const struct dkey *k, uint32_t pos, uint8_t out[65], size_t *len)
{
    if (!k->extended) {
        memcpy(out, k->pub, k->pub_len);
        *len = k->pub_len;
        return true;
    }
    struct bip32_key child = k->parent;
    if (!k->parent_ok ||
        (k->range && !bip32_derive(&k->parent, pos | (k->range == 2 ? BIP32_HARDENED : 0),
                                   &child)))
        return false;
    memcpy(out, child.pub, 33);
    *len = 33;
    return true;
}

static void push(struct wbuf *w, const uint8_t *d, size_t n)
{
    script_append_push(w, d, n);
}

static void p2pkh(struct wbuf *w, const uint8_t *key, size_t len)
{
    uint8_t h[20];
    hash_hash160(key, len, h);
    wbuf_u8(w, OP_DUP);
    wbuf_u8(w, OP_HASH160);
    push(w, h, 20);
    wbuf_u8(w, OP_EQUALVERIFY);
    wbuf_u8(w, OP_CHECKSIG);
}

static void wrapped(struct wbuf *w, enum dtype t, const uint8_t *inner, size_t len)
{
    uint8_t h[32];
    if (t == D_SH) {
        hash_hash160(inner, len, h);
        wbuf_u8(w, OP_HASH160);
        push(w, h, 20);
        wbuf_u8(w, OP_EQUAL);
    } else {
        hash_sha256(inner, len, h);
        wbuf_u8(w, OP_0);
        push(w, h, 32);
    }
}

static int cmp_key(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    size_t lx = x[0], ly = y[0];
    int c = memcmp(x + 1, y + 1, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

/* CScript << n: OP_1..OP_16, else a number push. */
static void push_int(struct wbuf *w, int64_t n)
{
    uint8_t num[9];
    if (n >= 1 && n <= 16)
        wbuf_u8(w, (uint8_t)(OP_1 + n - 1));
    else
        push(w, num, scriptnum_encode(n, num));
}

void descriptor_multisig_script(struct wbuf *w, int k, const uint8_t *const *keys,
                                const size_t *lens, size_t n)
{
    push_int(w, k);
    for (size_t i = 0; i < n; i++)
        push(w, keys[i], lens[i]);
    push_int(w, (int64_t)n);
    wbuf_u8(w, OP_CHECKMULTISIG);
}

static bool multisig(struct wbuf *w, const struct dnode *n, uint32_t pos)
{
    uint8_t keys[20][66];
    for (size_t i = 0; i < n->nkeys; i++) {
        size_t len;
        if (!derive_key(&n->keys[i], pos, keys[i] + 1, &len))
            return false;
        keys[i][0] = (uint8_t)len;
    }
    if (n->t == D_SORTEDMULTI)
        qsort(keys, n->nkeys, sizeof(keys[0]), cmp_key);
    const uint8_t *ptrs[20];
    size_t lens[20];
    for (size_t i = 0; i < n->nkeys; i++) {
        ptrs[i] = keys[i] + 1;
        lens[i] = keys[i][0];
    }
    descriptor_multisig_script(w, n->k, ptrs, lens, n->nkeys);
    return true;
}

/* The merkle root of a script tree: tapleaf hashes of <x-only key>
 * OP_CHECKSIG, tapbranch hashes of the pairs. */
static bool tree_hash(const struct dnode *n, uint32_t pos, uint8_t out[32])
{
    if (n->t == D_BRANCH) {
        uint8_t a[32], b[32];
        if (!tree_hash(n->sub, pos, a) || !tree_hash(n->sub2, pos, b))
            return false;
        taproot_branch_hash(out, a, b);
        return true;
    }
    uint8_t key[65], leaf[34];
    size_t len;
    if (!derive_key(&n->keys[0], pos, key, &len))
        return false;
    leaf[0] = 32;
    memcpy(leaf + 1, len == 32 ? key : key + 1, 32);
    leaf[33] = OP_CHECKSIG;
    taproot_leaf_hash(out, TAPROOT_LEAF_TAPSCRIPT, leaf, sizeof(leaf));
    return true;
}

/* The one script of a node other than combo(). */
static bool node_script(const struct dnode *n, uint32_t pos, struct wbuf *w)
{
    uint8_t key[65], out[32];
    size_t len = 0;
    if (n->nkeys && n->t != D_MULTI && n->t != D_SORTEDMULTI &&
        !derive_key(&n->keys[0], pos, key, &len))
        return false;
    switch (n->t) {
    case D_PK:
        push(w, key, len);
        wbuf_u8(w, OP_CHECKSIG);
        return true;
    case D_PKH:
        p2pkh(w, key, len);
        return true;
    case D_WPKH:
        hash_hash160(key, len, out);
        wbuf_u8(w, OP_0);
        push(w, out, 20);
        return true;
    case D_SH:
    case D_WSH: {
        struct wbuf in;
        wbuf_init(&in);
        bool ok = node_script(n->sub, pos, &in);
        if (ok)
            wrapped(w, n->t, in.data, in.len);
        wbuf_free(&in);
        return ok;
    }
    case D_MULTI:
    case D_SORTEDMULTI: return multisig(w, n, pos);
    case D_TR:
    case D_RAWTR: {
        const uint8_t *x = len == 32 ? key : key + 1;
        uint8_t root[32];
        int parity;
        if (n->sub && !tree_hash(n->sub, pos, root))
            return false;
        if (n->t == D_TR && !pubkey_taproot_output(out, &parity, x, n->sub ? root : NULL))
            return false;
        wbuf_u8(w, OP_1);
        push(w, n->t == D_TR ? out : x, 32);
        return true;
    }
    default:
        wbuf_bytes(w, n->raw, n->raw_len);
        return true;
    }
}

static void emit(struct descriptor_script *out, int *n, struct wbuf *w)
{
    out[*n].data = wbuf_detach(w, &out[*n].len);
    (*n)++;
    wbuf_init(w);
}

int descriptor_expand(const struct descriptor *d, uint32_t pos,
                      struct descriptor_script out[DESCRIPTOR_MAX_SCRIPTS])
{
    const struct dnode *n = d->root;
    struct wbuf w;
    wbuf_init(&w);
    int count = 0;
    if (n->t != D_COMBO) {
        if (!node_script(n, pos, &w)) {
            wbuf_free(&w);
            return -1;
        }
        emit(out, &count, &w);
        return count;
    }
    /* combo(): P2PK, P2PKH and, for a compressed key, P2WPKH and
     * P2SH-P2WPKH. */
    uint8_t key[65], h[20];
    size_t len;
    if (!derive_key(&n->keys[0], pos, key, &len))
        return -1;
    push(&w, key, len);
    wbuf_u8(&w, OP_CHECKSIG);
    emit(out, &count, &w);
    p2pkh(&w, key, len);
    emit(out, &count, &w);
    if (len == 33) {
        hash_hash160(key, len, h);
        uint8_t wpkh[22] = { OP_0, 20 };
        memcpy(wpkh + 2, h, 20);
        wbuf_bytes(&w, wpkh, 22);
        emit(out, &count, &w);
        wrapped(&w, D_SH, wpkh, 22);
        emit(out, &count, &w);
    }
    wbuf_free(&w);
    return count;
}
