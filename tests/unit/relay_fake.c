/* The recording relay driver shared by the relay core's unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tests/unit/relay_fake.h"

struct fake *F;

static void record(struct fake *f, enum kind k, uint64_t peer, const struct relay_inv *inv,
                   size_t n)
{
    assert_true(f->n < MAXLOG);
    struct sent *s = &f->log[f->n++];
    s->kind = k;
    s->peer = peer;
    s->n = n;
    for (size_t i = 0; i < n && i < 64; i++)
        s->inv[i] = inv[i];
}

static void d_inv(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv, size_t n)
{
    record(ctx, K_INV, peer, inv, n);
}

static void d_getdata(void *ctx, struct relay *r, uint64_t peer, const struct relay_inv *inv,
                      size_t n)
{
    record(ctx, K_GETDATA, peer, inv, n);
}

static void d_headers(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *h, size_t n)
{
    struct relay_inv inv[64];
    for (size_t i = 0; i < n && i < 64; i++)
        inv[i] = (struct relay_inv){.type = RELAY_INV_BLOCK, .hash = h[i]};
    record(ctx, K_HEADERS, peer, inv, n);
}

static void d_removed(void *ctx, struct relay *r, const struct hash256 *h)
{
    ((struct fake *)ctx)->removed++;
}

static bool d_pick_seq(void *ctx, struct relay *r, const struct hash256 *h, const uint64_t *ex,
                       size_t n_ex, uint64_t *peer)
{
    *peer = ((struct fake *)ctx)->next_implicit++;
    return true;
}

const struct relay_driver explicit_drv = {
    .send_inv = d_inv, .send_getdata = d_getdata, .send_headers = d_headers,
    .rumor_removed = d_removed};
const struct relay_driver implicit_drv = {
    .send_inv = d_inv, .send_getdata = d_getdata, .rumor_removed = d_removed,
    .pick_peer = d_pick_seq};

static void d_pull(void *ctx, struct relay *r, uint64_t peer)
{
    struct relay_inv none = {0};
    record(ctx, K_PULL, peer, &none, 1);
}

const struct relay_driver pull_drv = {
    .send_inv = d_inv, .send_getdata = d_getdata, .send_pull = d_pull};

int setup(void **state)
{
    F = calloc(1, sizeof(*F));
    F->next_implicit = 1000;
    *state = F;
    return 0;
}

int teardown(void **state)
{
    free(*state);
    return 0;
}

struct relay *mk(const struct relay_policy *p, const struct relay_driver *d, uint64_t seed)
{
    char *err = NULL;
    struct relay *r = relay_new(p, d, F, 0, seed, &err);
    assert_non_null(r);
    assert_null(err);
    return r;
}

void add_peers(struct relay *r, int n_out, int n_in, bool wtxid)
{
    for (int i = 1; i <= n_out + n_in; i++) {
        struct relay_peer_props pp = {.outbound = i <= n_out, .wtxidrelay = wtxid};
        assert_int_equal(relay_peer_add(r, (uint64_t)i, &pp, 0), 0);
    }
}

size_t entries(enum kind k, uint64_t peer, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < F->n; i++)
        if (F->log[i].kind == k && (peer == 0 || F->log[i].peer == peer))
            n += F->log[i].n;
    return n;
}

static void d_recon(void *ctx, struct relay *r, uint64_t peer, const struct hash256 *wtxid)
{
    struct relay_inv inv = {.type = RELAY_INV_WTX, .hash = *wtxid};
    record(ctx, K_RECON, peer, &inv, 1);
}

const struct relay_driver recon_drv = {
    .send_inv = d_inv, .send_getdata = d_getdata, .recon_add = d_recon};