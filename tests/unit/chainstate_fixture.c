#include "tests/unit/chainstate_fixture.h"
#include "tests/unit/chainstate_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

static void on_connected(void *ctx, const struct block *b, int height)
{
    struct csfix *f = ctx;
    (void)b;
    f->connected++;
    f->last_connected = height;
}

static void on_disconnected(void *ctx, const struct block *b, int height)
{
    struct csfix *f = ctx;
    (void)b;
    f->disconnected++;
    f->last_disconnected = height;
}

static void on_settled(void *ctx)
{
    struct csfix *f = ctx;
    f->settled++;
}

void csfix_reopen(struct csfix *f)
{
    chainstate_close(f->cs);
    char *err = NULL;
    struct chainstate_options o;
    chainstate_default_options(&o);
    o.dbcache_bytes = f->dbcache_bytes ? f->dbcache_bytes : 8u << 20;
    if (f->check_slice_us)
        o.check_slice_us = f->check_slice_us;
    f->cs = chainstate_open(f->p, f->dir, &o, &err);
    if (!f->cs)
        fail_msg("open: %s", err);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, f, on_settled};
    chainstate_add_callbacks(f->cs, &cb);
}

int csfix_setup(void **state, const char *tag)
{
    struct csfix *f = calloc(1, sizeof(*f));
    f->dir = testutil_tmpdir(tag);
    f->p = params_get(CHAIN_REGTEST);
    csfix_reopen(f);
    *state = f;
    return 0;
}

int csfix_teardown(void **state)
{
    struct csfix *f = *state;
    chainstate_close(f->cs);
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}
