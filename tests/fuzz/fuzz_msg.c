/* Fuzzes every payload decoder of net/wire/protocol.c. The first byte picks the
 * decoder; a successful decode must re-encode into something that decodes
 * to the same values. */
#include "net/wire/protocol.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void fuzz_addr(const uint8_t *d, size_t n, bool v2)
{
    struct cursor c;
    struct proto_netaddr *a, *b;
    size_t na, nb, skipped;
    cursor_init(&c, d, n);
    if (!proto_addr_decode(&c, v2, &a, &na, &skipped))
        return;
    struct wbuf w;
    wbuf_init(&w);
    proto_addr_encode(&w, v2, a, na);
    cursor_init(&c, w.data, w.len);
    check(proto_addr_decode(&c, v2, &b, &nb, &skipped) && nb == na && skipped == 0);
    for (size_t i = 0; i < na; i++)
        check(memcmp(a[i].ip, b[i].ip, 16) == 0 && a[i].port == b[i].port &&
              a[i].time == b[i].time && a[i].services == b[i].services);
    free(a);
    free(b);
    wbuf_free(&w);
}

static void fuzz_version(const uint8_t *d, size_t n)
{
    struct cursor c;
    struct proto_version v, u;
    cursor_init(&c, d, n);
    if (!proto_version_decode(&c, &v))
        return;
    struct wbuf w;
    wbuf_init(&w);
    proto_version_encode(&w, &v);
    cursor_init(&c, w.data, w.len);
    check(proto_version_decode(&c, &u));
    check(u.version == v.version && u.nonce == v.nonce && u.start_height == v.start_height &&
          u.relay == v.relay && strcmp(u.user_agent, v.user_agent) == 0);
    wbuf_free(&w);
}

static void fuzz_inv(const uint8_t *d, size_t n)
{
    struct cursor c;
    struct proto_inv *items, *again;
    size_t count, count2;
    cursor_init(&c, d, n);
    if (!proto_inv_decode(&c, &items, &count))
        return;
    struct wbuf w;
    wbuf_init(&w);
    proto_inv_encode(&w, items, count);
    cursor_init(&c, w.data, w.len);
    check(proto_inv_decode(&c, &again, &count2) && count2 == count);
    check(count == 0 || memcmp(items, again, count * sizeof(*items)) == 0);
    free(items);
    free(again);
    wbuf_free(&w);
}

static void fuzz_rest(uint8_t which, const uint8_t *d, size_t n)
{
    struct cursor c;
    cursor_init(&c, d, n);
    if (which == 0) {
        struct proto_locator loc;
        if (proto_locator_decode(&c, &loc))
            proto_locator_clear(&loc);
    } else if (which == 1) {
        const uint8_t **h;
        size_t count;
        if (proto_headers_decode(&c, &h, &count))
            free(h);
    } else if (which == 2) {
        struct proto_sendcmpct m;
        proto_sendcmpct_decode(&c, &m);
    } else if (n >= PROTO_HEADER_SIZE) {
        struct proto_header h;
        static const uint8_t magic[4] = {0xfa, 0xbf, 0xb5, 0xda};
        proto_header_decode(d, &h);
        if (!proto_header_check(&h, magic) && h.length <= n - PROTO_HEADER_SIZE)
            proto_checksum_ok(&h, d + PROTO_HEADER_SIZE);
        proto_cmd_lookup(h.command);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t which = data[0] % 8;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    if (which == 0)
        fuzz_version(d, n);
    else if (which == 1 || which == 2)
        fuzz_addr(d, n, which == 2);
    else if (which == 3)
        fuzz_inv(d, n);
    else
        fuzz_rest((uint8_t)(which - 4), d, n);
    return 0;
}
