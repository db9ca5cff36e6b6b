#include "node/cli/cli_format.h"

#include "chain/primitives/serialize.h"

#include <stdbool.h>
#include <string.h>

/* Nesting deeper than this is refused (the server's parser allows 2048). */
#define MAX_DEPTH 4096

struct scan {
    const char *p, *end;
    struct wbuf *out; /* NULL: only skip */
    bool bad;
};

static void ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static void emit(struct scan *s, const char *text, size_t n)
{
    if (s->out)
        wbuf_bytes(s->out, text, n);
}

static void indent(struct scan *s, unsigned level)
{
    for (unsigned i = 0; i < level && s->out; i++)
        wbuf_bytes(s->out, "  ", 2);
}

/* Copies a string token as it is, escapes included. */
static void string(struct scan *s)
{
    const char *start = s->p++;
    while (s->p < s->end && *s->p != '"')
        s->p += *s->p == '\\' ? 2 : 1;
    if (s->p >= s->end) {
        s->bad = true;
        return;
    }
    s->p++;
    emit(s, start, (size_t)(s->p - start));
}

static void value(struct scan *s, unsigned level);

/* UniValue's layout: items one per line at `level`, the closing bracket
 * one level out; an empty container still gets its line break. */
static void container(struct scan *s, unsigned level, char close)
{
    emit(s, s->p, 1);
    emit(s, "\n", 1);
    s->p++;
    ws(s);
    bool first = true;
    while (!s->bad && s->p < s->end && *s->p != close) {
        if (!first) {
            if (*s->p != ',') {
                s->bad = true;
                return;
            }
            s->p++;
            ws(s);
            emit(s, ",\n", 2);
        }
        first = false;
        indent(s, level);
        if (close == '}') {
            if (*s->p != '"') {
                s->bad = true;
                return;
            }
            string(s);
            ws(s);
            if (s->p >= s->end || *s->p != ':') {
                s->bad = true;
                return;
            }
            s->p++;
            emit(s, ": ", 2);
        }
        value(s, level + 1);
        ws(s);
    }
    if (s->bad || s->p >= s->end) {
        s->bad = true;
        return;
    }
    if (!first)
        emit(s, "\n", 1);
    indent(s, level - 1);
    emit(s, &close, 1);
    s->p++;
}

static void value(struct scan *s, unsigned level)
{
    ws(s);
    if (s->p >= s->end || level > MAX_DEPTH) {
        s->bad = true;
        return;
    }
    if (*s->p == '{' || *s->p == '[') {
        container(s, level, *s->p == '{' ? '}' : ']');
    } else if (*s->p == '"') {
        string(s);
    } else {
        const char *start = s->p;
        while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
            s->p++;
        if (s->p == start)
            s->bad = true;
        emit(s, start, (size_t)(s->p - start));
    }
}

static char *finish(struct wbuf *w, bool bad)
{
    if (bad) {
        wbuf_free(w);
        return NULL;
    }
    wbuf_u8(w, 0);
    return (char *)wbuf_detach(w, NULL);
}

char *cli_format_value(const char *json, size_t len)
{
    struct wbuf w;
    wbuf_init(&w);
    struct scan s = { json, json + len, &w, false };
    value(&s, 1);
    return finish(&w, s.bad);
}

char *cli_format_result(const char *reply, size_t len)
{
    struct scan s = { reply, reply + len, NULL, false };
    ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return NULL;
    s.p++;
    while (!s.bad) {
        ws(&s);
        if (s.p >= s.end || *s.p != '"')
            return NULL;
        const char *key = s.p;
        string(&s);
        bool is_result = s.p - key == 8 && !memcmp(key, "\"result\"", 8);
        ws(&s);
        if (s.p >= s.end || *s.p != ':')
            return NULL;
        s.p++;
        ws(&s);
        if (is_result) {
            const char *v = s.p;
            value(&s, 1);
            return s.bad ? NULL : cli_format_value(v, (size_t)(s.p - v));
        }
        value(&s, 1);
        ws(&s);
        if (s.p >= s.end || *s.p != ',')
            return NULL;
        s.p++;
    }
    return NULL;
}
