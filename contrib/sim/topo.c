#include "contrib/sim/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

/* Restarts of the configuration model before giving up: a dead end (the
 * last stubs can only pair into a loop or a double link) is rare. */
#define REGULAR_RETRIES 100
#define PICK_ATTEMPTS 1000

struct sim_topo {
    struct sim_topo_spec spec;
    uint32_t n;
    uint32_t *off;  /* n + 1 offsets into adj (NULL: complete graph) */
    uint32_t *adj;
    uint32_t *nout; /* outbound links per node (bitcoin), first in adj */
};

int sim_topo_parse(const char *text, struct sim_topo_spec *out, char **err)
{
    memset(out, 0, sizeof(*out));
    unsigned a = 0, b = 0;
    char tail;
    if (strcmp(text, "complete") == 0) {
        out->kind = SIM_TOPO_COMPLETE;
    } else if (sscanf(text, "regular:%u%c", &a, &tail) == 1 && a >= 1 && a <= 1000) {
        out->kind = SIM_TOPO_REGULAR;
        out->degree = a;
    } else if (strcmp(text, "bitcoin") == 0) {
        out->kind = SIM_TOPO_BITCOIN;
        out->degree = 8;
        out->inbound_cap = 125;
    } else if (sscanf(text, "bitcoin:%u:%u%c", &a, &b, &tail) == 2 && a >= 1 && b > a) {
        out->kind = SIM_TOPO_BITCOIN;
        out->degree = a;
        out->inbound_cap = b;
    } else {
        err_set(err, "bad topology '%s' (complete, regular:K, bitcoin, bitcoin:OUT:CAP)", text);
        return -1;
    }
    return 0;
}

static bool has_link(const uint32_t *list, uint32_t len, uint32_t x)
{
    for (uint32_t i = 0; i < len; i++)
        if (list[i] == x)
            return true;
    return false;
}

/* One attempt at pairing n*k stubs uniformly at random into a simple
 * graph; slots[v*k ..] receives v's neighbours. False on a dead end. */
static bool regular_attempt(uint32_t n, uint32_t k, uint32_t *stubs,
                            uint32_t *slots, uint32_t *fill, struct sim_rng *rng)
{
    uint64_t left = (uint64_t)n * k;
    for (uint64_t i = 0; i < left; i++)
        stubs[i] = (uint32_t)(i / k);
    memset(fill, 0, n * sizeof(*fill));
    while (left > 0) {
        int tries = 0;
        for (;;) {
            if (++tries > PICK_ATTEMPTS)
                return false;
            uint64_t i = sim_rng_below(rng, left), j = sim_rng_below(rng, left);
            uint32_t a = stubs[i], b = stubs[j];
            if (i == j || a == b || has_link(slots + (size_t)a * k, fill[a], b))
                continue;
            slots[(size_t)a * k + fill[a]++] = b;
            slots[(size_t)b * k + fill[b]++] = a;
            /* Remove both stubs, the higher index first. */
            uint64_t hi = i > j ? i : j, lo = i > j ? j : i;
            stubs[hi] = stubs[--left];
            stubs[lo] = stubs[--left];
            break;
        }
    }
    return true;
}

static int build_regular(struct sim_topo *t, struct sim_rng *rng, char **err)
{
    uint32_t n = t->n, k = t->spec.degree;
    if (k >= n || ((uint64_t)n * k) % 2 != 0) {
        err_set(err, "no %u-regular graph on %u nodes (need K < N and N*K even)", k, n);
        return -1;
    }
    uint32_t *stubs = xcalloc((size_t)n * k, sizeof(*stubs));
    uint32_t *fill = xcalloc(n, sizeof(*fill));
    t->adj = xcalloc((size_t)n * k, sizeof(*t->adj));
    bool ok = false;
    for (int r = 0; r < REGULAR_RETRIES && !ok; r++)
        ok = regular_attempt(n, k, stubs, t->adj, fill, rng);
    free(stubs);
    free(fill);
    if (!ok) {
        err_set(err, "could not pair a %u-regular graph on %u nodes", k, n);
        return -1;
    }
    t->off = xcalloc((size_t)n + 1, sizeof(*t->off));
    t->nout = xcalloc(n, sizeof(*t->nout));
    for (uint32_t v = 0; v <= n; v++)
        t->off[v] = v * k;
    for (uint32_t v = 0; v < n; v++)
        t->nout[v] = k; /* no direction: every link is as good as outbound */
    return 0;
}

/* Each node opens `out` links to random nodes that still accept inbound
 * ones (total links below the cap), like Bitcoin Core's 8 full-relay
 * outbound connections against a 125-connection limit. */
static int build_bitcoin(struct sim_topo *t, struct sim_rng *rng, char **err)
{
    uint32_t n = t->n, k = t->spec.degree, cap = t->spec.inbound_cap;
    if (k >= n) {
        err_set(err, "bitcoin topology needs more than %u nodes", k);
        return -1;
    }
    uint32_t *out = xcalloc((size_t)n * k, sizeof(*out));
    uint32_t *links = xcalloc(n, sizeof(*links));
    for (uint32_t v = 0; v < n; v++) {
        for (uint32_t j = 0; j < k; j++) {
            uint32_t w;
            int tries = 0;
            do {
                if (++tries > PICK_ATTEMPTS) {
                    free(out);
                    free(links);
                    err_set(err, "node %u found no peer accepting inbound links", v);
                    return -1;
                }
                w = (uint32_t)sim_rng_below(rng, n);
            } while (w == v || links[w] >= cap || has_link(out + (size_t)v * k, j, w) ||
                     has_link(out + (size_t)w * k, w < v ? k : 0, v));
            out[(size_t)v * k + j] = w;
            links[v]++;
            links[w]++;
        }
    }
    t->off = xcalloc((size_t)n + 1, sizeof(*t->off));
    t->nout = xcalloc(n, sizeof(*t->nout));
    for (uint32_t v = 0; v < n; v++)
        t->off[v + 1] = t->off[v] + links[v];
    t->adj = xcalloc(t->off[n] ? t->off[n] : 1, sizeof(*t->adj));
    uint32_t *pos = links; /* reused as each node's fill count */
    for (uint32_t v = 0; v < n; v++) {
        memcpy(t->adj + t->off[v], out + (size_t)v * k, k * sizeof(*out));
        pos[v] = k;
        t->nout[v] = k;
    }
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t j = 0; j < k; j++) {
            uint32_t w = out[(size_t)v * k + j];
            t->adj[t->off[w] + pos[w]++] = v;
        }
    free(out);
    free(links);
    return 0;
}

struct sim_topo *sim_topo_new(const struct sim_topo_spec *spec, uint32_t n,
                              struct sim_rng *rng, char **err)
{
    if (n < 2) {
        err_set(err, "need at least 2 nodes");
        return NULL;
    }
    struct sim_topo *t = xcalloc(1, sizeof(*t));
    t->spec = *spec;
    t->n = n;
    int rc = 0;
    if (spec->kind == SIM_TOPO_REGULAR)
        rc = build_regular(t, rng, err);
    else if (spec->kind == SIM_TOPO_BITCOIN)
        rc = build_bitcoin(t, rng, err);
    if (rc != 0) {
        sim_topo_free(t);
        return NULL;
    }
    return t;
}

void sim_topo_free(struct sim_topo *t)
{
    if (!t)
        return;
    free(t->off);
    free(t->adj);
    free(t->nout);
    free(t);
}

bool sim_topo_is_complete(const struct sim_topo *t)
{
    return t->off == NULL;
}

uint32_t sim_topo_nodes(const struct sim_topo *t)
{
    return t->n;
}

uint32_t sim_topo_degree(const struct sim_topo *t, uint32_t node)
{
    return t->off ? t->off[node + 1] - t->off[node] : t->n - 1;
}

uint32_t sim_topo_neighbor(const struct sim_topo *t, uint32_t node, uint32_t i)
{
    if (t->off)
        return t->adj[t->off[node] + i];
    return i < node ? i : i + 1;
}

uint32_t sim_topo_outbound(const struct sim_topo *t, uint32_t node)
{
    return t->off ? t->nout[node] : t->n - 1;
}

uint32_t sim_topo_random_peer(const struct sim_topo *t, uint32_t node, struct sim_rng *rng)
{
    uint32_t d = sim_topo_degree(t, node);
    return sim_topo_neighbor(t, node, (uint32_t)sim_rng_below(rng, d));
}

bool sim_topo_linked(const struct sim_topo *t, uint32_t a, uint32_t b)
{
    if (!t->off)
        return a != b;
    return has_link(t->adj + t->off[a], t->off[a + 1] - t->off[a], b);
}

size_t sim_topo_memory(const struct sim_topo *t)
{
    size_t m = sizeof(*t);
    if (t->off)
        m += ((size_t)t->n * 2 + 1 + t->off[t->n]) * sizeof(uint32_t);
    return m;
}
