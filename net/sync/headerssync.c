/* Low-work headers sync (see headerssync.h). */
#include "net/sync/headerssync.h"

#include "chain/primitives/siphash.h"
#include "chain/util/log.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/validation.h"
#include "net/wire/protocol.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A buffered header without its parent's hash (the previous entry's):
 * 48 bytes, as Core's CompressedHeader, which its buffer sizes assume. */
struct hss_packed {
    int32_t version;
    struct hash256 merkle;
    uint32_t time, bits, nonce;
};

struct hss {
    const struct chain_params *p;
    uint64_t peer;
    const struct bindex_node *start;
    struct u256 min_work;
    uint64_t k0, k1;
    uint32_t offset;
    enum hss_state state;
    /* Commitment bits: pushed at the back in PRESYNC, popped from the
     * front in REDOWNLOAD. */
    uint8_t *bits;
    size_t bits_cap, c_head, c_tail, max_commitments;
    /* PRESYNC: the last header received. */
    struct hash256 last_hash;
    uint32_t last_bits, last_time;
    int height;
    struct u256 work;
    /* REDOWNLOAD: the checked headers not released yet (a ring), the hash
     * before the first and of the last, the last's height, the work up to
     * it, and whether it reached min_work (then everything goes). */
    struct hss_packed *buf;
    size_t buf_cap, buf_head, buf_len;
    struct hash256 first_prev, redl_hash;
    uint32_t redl_bits;
    int redl_height;
    struct u256 redl_work;
    bool release_all;
};

struct hss *hss_new(const struct chain_params *p, uint64_t peer, const struct bindex_node *start,
                    const struct u256 *min_work, const struct hss_salt *salt, int64_t now)
{
    struct hss *s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->peer = peer;
    s->start = start;
    s->min_work = *min_work;
    s->k0 = salt->k0;
    s->k1 = salt->k1;
    s->offset = (uint32_t)(salt->offset % p->hss_commitment_period);
    s->state = HSS_PRESYNC;
    s->last_hash = start->hash;
    s->last_bits = start->hdr.bits;
    s->last_time = start->hdr.time;
    s->height = start->height;
    s->work = start->work;
    /* No valid chain can hold more than 6 blocks a second (the median
     * time past must rise) from the start's to the latest time allowed. */
    int64_t secs = now - (int64_t)bindex_median_time_past(start) + VALIDATION_MAX_FUTURE_SECS;
    s->max_commitments = secs > 0 ? (size_t)(6 * secs) / p->hss_commitment_period : 0;
    LOG_DEBUG(LOG_NET,
              "initial headers sync started with peer=%" PRIu64 ": height=%d, max_commitments=%zu",
              peer, s->height, s->max_commitments);
    return s;
}

static void hss_finalize(struct hss *s)
{
    free(s->bits);
    free(s->buf);
    s->bits = NULL;
    s->buf = NULL;
    s->bits_cap = s->c_head = s->c_tail = 0;
    s->buf_cap = s->buf_head = s->buf_len = 0;
    s->release_all = false;
    s->state = HSS_FINAL;
}

void hss_free(struct hss *s)
{
    if (!s)
        return;
    hss_finalize(s);
    free(s);
}

static bool commitment_of(const struct hss *s, const struct hash256 *h)
{
    return siphash24(s->k0, s->k1, h->b, sizeof(h->b)) & 1;
}

static void commitment_push(struct hss *s, bool bit)
{
    if (s->c_tail / 8 == s->bits_cap) {
        size_t cap = s->bits_cap ? s->bits_cap * 2 : 16;
        s->bits = xrealloc(s->bits, cap);
        memset(s->bits + s->bits_cap, 0, cap - s->bits_cap);
        s->bits_cap = cap;
    }
    if (bit)
        s->bits[s->c_tail / 8] |= (uint8_t)(1u << (s->c_tail % 8));
    s->c_tail++;
}

static bool commitment_pop(struct hss *s)
{
    bool bit = (s->bits[s->c_head / 8] >> (s->c_head % 8)) & 1;
    s->c_head++;
    return bit;
}

static bool commitment_height(const struct hss *s, int height)
{
    return (uint32_t)height % s->p->hss_commitment_period == s->offset;
}

static void add_work(struct u256 *acc, uint32_t bits)
{
    struct u256 w;
    pow_work(bits, &w);
    u256_add(acc, &w);
}

/* One PRESYNC header after the last (Core's ValidateAndProcessSingleHeader). */
static bool presync_one(struct hss *s, const struct block_header *h)
{
    int next = s->height + 1;
    /* Difficulty may not move faster than the retarget allows: an
     * attacker's work is cheapest packed in few hard blocks. */
    if (!pow_transition_permitted(s->p, next, s->last_bits, h->bits)) {
        LOG_DEBUG(LOG_NET,
                  "initial headers sync aborted with peer=%" PRIu64
                  ": invalid difficulty transition at height=%d (presync phase)",
                  s->peer, next);
        return false;
    }
    struct hash256 hash;
    block_header_hash(h, &hash);
    if (commitment_height(s, next)) {
        commitment_push(s, commitment_of(s, &hash));
        if (s->c_tail - s->c_head > s->max_commitments) {
            LOG_DEBUG(LOG_NET,
                      "initial headers sync aborted with peer=%" PRIu64
                      ": exceeded max commitments at height=%d (presync phase)",
                      s->peer, next);
            return false;
        }
    }
    add_work(&s->work, h->bits);
    s->last_hash = hash;
    s->last_bits = h->bits;
    s->last_time = h->time;
    s->height = next;
    return true;
}

static bool presync_take(struct hss *s, const struct block_header *hdrs, size_t n)
{
    if (!hash_eq(&hdrs[0].prev, &s->last_hash)) {
        /* Perhaps the peer moved to another chain: start again later. */
        LOG_DEBUG(LOG_NET,
                  "initial headers sync aborted with peer=%" PRIu64
                  ": non-continuous headers at height=%d (presync phase)",
                  s->peer, s->height);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!presync_one(s, &hdrs[i]))
            return false;
    if (u256_cmp(&s->work, &s->min_work) >= 0) {
        s->state = HSS_REDOWNLOAD;
        s->redl_height = s->start->height;
        s->first_prev = s->redl_hash = s->start->hash;
        s->redl_bits = s->start->hdr.bits;
        s->redl_work = s->start->work;
        LOG_DEBUG(LOG_NET,
                  "initial headers sync transition with peer=%" PRIu64
                  ": reached sufficient work at height=%d, redownloading from height=%d",
                  s->peer, s->height, s->redl_height);
    }
    return true;
}

static void buffer_push(struct hss *s, const struct block_header *h)
{
    if (s->buf_len == s->buf_cap) { /* grow, unwrapping the ring */
        /* Never past the buffer and one message: all it can hold. */
        size_t most = s->p->hss_redownload_buffer + PROTO_MAX_HEADERS;
        size_t cap = s->buf_cap ? s->buf_cap * 2 : 256;
        cap = cap < most ? cap : most;
        struct hss_packed *v = xmalloc(cap * sizeof(*v));
        for (size_t i = 0; i < s->buf_len; i++)
            v[i] = s->buf[(s->buf_head + i) % s->buf_cap];
        free(s->buf);
        s->buf = v;
        s->buf_cap = cap;
        s->buf_head = 0;
    }
    s->buf[(s->buf_head + s->buf_len++) % s->buf_cap] = (struct hss_packed){
        .version = h->version, .merkle = h->merkle, .time = h->time, .bits = h->bits,
        .nonce = h->nonce};
}

/* Core's ValidateAndStoreRedownloadedHeader. */
static bool redownload_one(struct hss *s, const struct block_header *h)
{
    int next = s->redl_height + 1;
    const char *why = NULL;
    struct hash256 hash;
    block_header_hash(h, &hash);
    if (!hash_eq(&h->prev, &s->redl_hash))
        why = "non-continuous headers";
    else if (!pow_transition_permitted(s->p, next, s->redl_bits, h->bits))
        why = "invalid difficulty transition";
    if (!why) {
        add_work(&s->redl_work, h->bits);
        if (u256_cmp(&s->redl_work, &s->min_work) >= 0)
            s->release_all = true;
        /* Past the work first seen the chain may have grown since: no
         * commitments are left to check there. */
        if (!s->release_all && commitment_height(s, next)) {
            if (s->c_head == s->c_tail)
                why = "commitment overrun";
            else if (commitment_pop(s) != commitment_of(s, &hash))
                why = "commitment mismatch";
        }
    }
    if (why) {
        LOG_DEBUG(LOG_NET,
                  "initial headers sync aborted with peer=%" PRIu64
                  ": %s at height=%d (redownload phase)",
                  s->peer, why, next);
        return false;
    }
    buffer_push(s, h);
    s->redl_height = next;
    s->redl_hash = hash;
    s->redl_bits = h->bits;
    return true;
}

/* Core's PopHeadersReadyForAcceptance. */
static void release(struct hss *s, struct hss_result *out)
{
    size_t n = 0;
    while (s->buf_len > s->p->hss_redownload_buffer || (s->buf_len > 0 && s->release_all)) {
        if (!out->ready)
            out->ready = xmalloc(s->buf_len * sizeof(*out->ready));
        const struct hss_packed *c = &s->buf[s->buf_head];
        struct block_header *h = &out->ready[n++];
        *h = (struct block_header){.version = c->version, .prev = s->first_prev,
                                   .merkle = c->merkle, .time = c->time, .bits = c->bits,
                                   .nonce = c->nonce};
        block_header_hash(h, &s->first_prev);
        s->buf_head = (s->buf_head + 1) % s->buf_cap;
        s->buf_len--;
    }
    out->nready = n;
}

static void redownload_take(struct hss *s, const struct block_header *hdrs, size_t n, bool full,
                            struct hss_result *out)
{
    for (size_t i = 0; i < n; i++)
        if (!redownload_one(s, &hdrs[i]))
            return;
    out->success = true;
    release(s, out);
    if (s->buf_len == 0 && s->release_all)
        LOG_DEBUG(LOG_NET,
                  "initial headers sync complete with peer=%" PRIu64
                  ": releasing all at height=%d (redownload phase)",
                  s->peer, s->redl_height);
    else if (full)
        out->request_more = true;
    else /* it showed a chain with the work, and now will not serve it */
        LOG_DEBUG(LOG_NET,
                  "initial headers sync aborted with peer=%" PRIu64
                  ": incomplete headers message at height=%d (redownload phase)",
                  s->peer, s->redl_height);
}

int hss_process(struct hss *s, const struct block_header *hdrs, size_t n, bool full,
                struct hss_result *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0 || n > PROTO_MAX_HEADERS || s->state == HSS_FINAL)
        return -1;
    if (s->state == HSS_PRESYNC) {
        out->success = presync_take(s, hdrs, n);
        if (out->success && (full || s->state == HSS_REDOWNLOAD))
            out->request_more = true; /* more to come, or from the start again */
        else if (out->success) /* its chain ended short of the work */
            LOG_DEBUG(LOG_NET,
                      "initial headers sync aborted with peer=%" PRIu64
                      ": incomplete headers message at height=%d (presync phase)",
                      s->peer, s->height);
    } else {
        redownload_take(s, hdrs, n, full, out);
    }
    if (!out->success || !out->request_more)
        hss_finalize(s);
    return 0;
}

enum hss_state hss_state(const struct hss *s)
{
    return s->state;
}

const struct bindex_node *hss_start(const struct hss *s)
{
    return s->start;
}

void hss_next_from(const struct hss *s, struct hash256 *out)
{
    *out = s->state == HSS_REDOWNLOAD ? s->redl_hash : s->last_hash;
}

int hss_presync_height(const struct hss *s)
{
    return s->height;
}

uint32_t hss_presync_time(const struct hss *s)
{
    return s->last_time;
}

const struct u256 *hss_presync_work(const struct hss *s)
{
    return &s->work;
}

size_t hss_commitments(const struct hss *s)
{
    return s->c_tail - s->c_head;
}

size_t hss_max_commitments(const struct hss *s)
{
    return s->max_commitments;
}

size_t hss_buffered(const struct hss *s)
{
    return s->buf_len;
}

size_t hss_memory(const struct hss *s)
{
    return sizeof(*s) + s->bits_cap + s->buf_cap * sizeof(struct hss_packed);
}
