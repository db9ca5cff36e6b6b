#include "net/conn/addrcache.h"

#include "chain/util/xmalloc.h"

#include <stdlib.h>

/* Keys are few (networks times local addresses): a small table, the
 * entry expiring first makes room. */
#define SLOTS 16

struct slot {
    uint64_t key;
    int64_t expires; /* 0: unused */
    struct proto_netaddr *addrs;
    size_t n;
};

struct addrcache {
    struct slot s[SLOTS];
};

struct addrcache *addrcache_new(void)
{
    return xcalloc(1, sizeof(struct addrcache));
}

void addrcache_free(struct addrcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        free(c->s[i].addrs);
    free(c);
}

static struct slot *slot_for(struct addrcache *c, uint64_t key)
{
    struct slot *victim = &c->s[0];
    for (size_t i = 0; i < SLOTS; i++) {
        if (c->s[i].expires && c->s[i].key == key)
            return &c->s[i];
        if (c->s[i].expires < victim->expires)
            victim = &c->s[i];
    }
    victim->key = key;
    victim->expires = 0;
    return victim;
}

const struct proto_netaddr *addrcache_get(struct addrcache *c, uint64_t key, int64_t now,
                                          uint64_t rnd, addrcache_fill_fn fill, void *ctx,
                                          size_t *n)
{
    struct slot *s = slot_for(c, key);
    *n = 0;
    if (s->expires < now || !s->addrs) {
        if (!s->addrs)
            s->addrs = xmalloc(PROTO_MAX_ADDR * sizeof(*s->addrs));
        s->n = fill(ctx, s->addrs, PROTO_MAX_ADDR);
        s->expires = now + ADDRCACHE_LIFETIME + (int64_t)(rnd % ADDRCACHE_JITTER);
    }
    *n = s->n;
    return s->addrs;
}
