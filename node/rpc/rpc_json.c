/* Reply serialization. jansson prints reals with up to 17 significant
 * digits (0.00001 becomes 1.0000000000000001e-05), but Bitcoin clients
 * expect amounts as 0.00001000 and other reals as Bitcoin Core's UniValue
 * prints them (16 significant digits). So replies go through this writer,
 * and amounts are reals remembered (with a reference, so their address
 * cannot be reused) from rpc_amount until the reply has been written. */
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_internal.h"

#include "chain/primitives/serialize.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t **amounts;
static size_t n_amounts, cap_amounts;
static bool amounts_sorted = true;

json_t *rpc_amount(int64_t sats)
{
    json_t *v = json_real((double)sats / 1e8);
    if (!v)
        return NULL;
    if (n_amounts == cap_amounts) {
        size_t cap = cap_amounts ? cap_amounts * 2 : 64;
        amounts = xrealloc(amounts, cap * sizeof(*amounts));
        cap_amounts = cap;
    }
    amounts[n_amounts++] = json_incref(v);
    amounts_sorted = false;
    return v;
}

void rpc_amounts_release(void)
{
    for (size_t i = 0; i < n_amounts; i++)
        json_decref(amounts[i]);
    free(amounts);
    amounts = NULL;
    n_amounts = cap_amounts = 0;
    amounts_sorted = true;
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (json_t *const *)a, y = (uintptr_t) * (json_t *const *)b;
    return x < y ? -1 : x > y;
}

static bool is_amount(const json_t *v)
{
    if (!n_amounts)
        return false;
    return bsearch(&v, amounts, n_amounts, sizeof(*amounts), ptr_cmp) != NULL;
}

static void put(struct wbuf *w, const char *s)
{
    wbuf_bytes(w, s, strlen(s));
}

static void write_string(struct wbuf *w, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    wbuf_reserve(w, len + 2);
    wbuf_u8(w, '"');
    size_t run = 0; /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            run++;
            continue;
        }
        wbuf_bytes(w, s + i - run, run);
        run = 0;
        char esc[7] = { '\\', 0 };
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
        }
        put(w, esc);
    }
    wbuf_bytes(w, s + len - run, run);
    wbuf_u8(w, '"');
}

/* Integers are most of a block's numbers; snprintf is slow for them. */
static void write_integer(struct wbuf *w, json_int_t n)
{
    char buf[24], *p = buf + sizeof(buf);
    unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        *--p = '-';
    wbuf_bytes(w, p, (size_t)(buf + sizeof(buf) - p));
}

static void write_real(struct wbuf *w, const json_t *v)
{
    char buf[48];
    double d = json_real_value(v);
    if (is_amount(v)) {
        long long sats = llround(d * 1e8);
        unsigned long long a = sats < 0 ? 0ull - (unsigned long long)sats : (unsigned long long)sats;
        snprintf(buf, sizeof(buf), "%s%llu.%08llu", sats < 0 ? "-" : "", a / 100000000ull,
                 a % 100000000ull);
    } else {
        snprintf(buf, sizeof(buf), "%.16g", d);
    }
    put(w, buf);
}

static void write_value(struct wbuf *w, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        wbuf_u8(w, '{');
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            if (it != json_object_iter((json_t *)v))
                wbuf_u8(w, ',');
            write_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
            wbuf_u8(w, ':');
            write_value(w, json_object_iter_value(it));
        }
        wbuf_u8(w, '}');
        break;
    }
    case JSON_ARRAY:
        wbuf_u8(w, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                wbuf_u8(w, ',');
            write_value(w, json_array_get(v, i));
        }
        wbuf_u8(w, ']');
        break;
    case JSON_STRING:
        write_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        write_integer(w, json_integer_value(v));
        break;
    case JSON_REAL:
        write_real(w, v);
        break;
    case JSON_TRUE: put(w, "true"); break;
    case JSON_FALSE: put(w, "false"); break;
    case JSON_NULL: put(w, "null"); break;
    }
}

void rpc_json_write(struct wbuf *w, const json_t *v)
{
    if (!amounts_sorted) {
        qsort(amounts, n_amounts, sizeof(*amounts), ptr_cmp);
        amounts_sorted = true;
    }
    write_value(w, v);
}

char *rpc_json_dumps(const json_t *v, size_t *len)
{
    struct wbuf w;
    wbuf_init(&w);
    rpc_json_write(&w, v);
    wbuf_u8(&w, 0);
    size_t n;
    char *s = (char *)wbuf_detach(&w, &n);
    if (len)
        *len = n - 1;
    return s;
}
