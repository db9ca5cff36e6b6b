#include "chain/mempool/feeest.h"

#include "chain/mempool/mempool_map.h"
#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/fileio.h"
#include "chain/util/xmalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Core's constants (policy/fees/block_policy_estimator.h). */
#define MIN_BUCKET_FEERATE 100.0
#define MAX_BUCKET_FEERATE 1e7
#define FEE_SPACING 1.05
#define INF_FEERATE 1e99
#define SUFFICIENT_FEETXS 0.1
#define SUFFICIENT_TXS_SHORT 0.5
#define OLDEST_ESTIMATE_HISTORY (6 * 1008)
#define MAX_BUCKETS 1000
#define MAX_CONFIRMS (6 * 24 * 7)

static const struct {
    unsigned periods, scale;
    double decay;
} horizon_def[FEEEST_HORIZONS] = {
    { 12, 1, .962 },    /* short: 12 blocks */
    { 24, 2, .9952 },   /* medium: 48 blocks */
    { 42, 24, .99931 }, /* long: 1008 blocks */
};

/* One horizon (Core's TxConfirmStats). Arrays by bucket; conf and fail are
 * [period][bucket], unconf [block % max_confirms][bucket]. */
struct stats {
    double decay;
    unsigned scale, periods;
    double *tx_ct, *feerate_sum, *conf, *fail;
    int *unconf, *old_unconf;
};

struct tracked {
    struct hash256 txid;
    double rate; /* sat/kvB */
    unsigned height, bucket;
};

struct feeest {
    double *buckets; /* upper bounds, inclusive; the last is INF_FEERATE */
    size_t nb;
    struct stats st[FEEEST_HORIZONS];
    struct mpmap txs; /* txid -> struct tracked */
    size_t n_tracked;
    unsigned best_seen, first_recorded, hist_first, hist_best;
};

const char *feeest_horizon_name(enum feeest_horizon h)
{
    return h == FEEEST_SHORT ? "short" : h == FEEEST_MEDIUM ? "medium" : "long";
}

static unsigned max_confirms(const struct stats *s)
{
    return s->scale * s->periods;
}

static void stats_init(struct stats *s, size_t nb, unsigned periods, unsigned scale, double decay)
{
    s->decay = decay;
    s->scale = scale;
    s->periods = periods;
    s->tx_ct = xcalloc(nb, sizeof(double));
    s->feerate_sum = xcalloc(nb, sizeof(double));
    s->conf = xcalloc((size_t)periods * nb, sizeof(double));
    s->fail = xcalloc((size_t)periods * nb, sizeof(double));
    s->unconf = xcalloc((size_t)scale * periods * nb, sizeof(int));
    s->old_unconf = xcalloc(nb, sizeof(int));
}

static void stats_clear(struct stats *s)
{
    free(s->tx_ct);
    free(s->feerate_sum);
    free(s->conf);
    free(s->fail);
    free(s->unconf);
    free(s->old_unconf);
}

/* The first bucket whose bound is >= feerate (Core's bucketMap.lower_bound). */
static unsigned bucket_of(const struct feeest *fe, double feerate)
{
    size_t lo = 0, hi = fe->nb - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fe->buckets[mid] < feerate)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (unsigned)lo;
}

struct feeest *feeest_new(void)
{
    struct feeest *fe = xcalloc(1, sizeof(*fe));
    size_t n = 1; /* the infinite bucket */
    for (double b = MIN_BUCKET_FEERATE; b <= MAX_BUCKET_FEERATE; b *= FEE_SPACING)
        n++;
    fe->buckets = xcalloc(n, sizeof(double));
    for (double b = MIN_BUCKET_FEERATE; b <= MAX_BUCKET_FEERATE; b *= FEE_SPACING)
        fe->buckets[fe->nb++] = b;
    fe->buckets[fe->nb++] = INF_FEERATE;
    for (int h = 0; h < FEEEST_HORIZONS; h++)
        stats_init(&fe->st[h], fe->nb, horizon_def[h].periods, horizon_def[h].scale,
                   horizon_def[h].decay);
    mpmap_init(&fe->txs);
    return fe;
}

static void drop_tracked(struct feeest *fe)
{
    for (size_t i = 0; i <= fe->txs.mask && fe->txs.slots; i++)
        free(fe->txs.slots[i].val);
    mpmap_free(&fe->txs);
    mpmap_init(&fe->txs);
    fe->n_tracked = 0;
}

void feeest_free(struct feeest *fe)
{
    if (!fe)
        return;
    drop_tracked(fe);
    mpmap_free(&fe->txs);
    for (int h = 0; h < FEEEST_HORIZONS; h++)
        stats_clear(&fe->st[h]);
    free(fe->buckets);
    free(fe);
}

static struct tracked *find(const struct feeest *fe, const struct hash256 *txid)
{
    uint64_t key = hash_cheap(txid);
    size_t it = mpmap_start(&fe->txs, key);
    const struct mpmap_slot *slot;
    while ((slot = mpmap_next(&fe->txs, key, &it))) {
        struct tracked *t = slot->val;
        if (hash_eq(&t->txid, txid))
            return t;
    }
    return NULL;
}

void feeest_tx_added(struct feeest *fe, const struct hash256 *txid, int64_t fee, size_t vsize,
                     unsigned height, bool valid)
{
    if (height != fe->best_seen || !valid || vsize == 0 || find(fe, txid))
        return;
    /* Core's CFeeRate: sat per 1000 vB, truncated. */
    double rate = (double)(fee * 1000 / (int64_t)vsize);
    struct tracked *t = xmalloc(sizeof(*t));
    t->txid = *txid;
    t->rate = rate;
    t->height = height;
    t->bucket = bucket_of(fe, rate);
    for (int h = 0; h < FEEEST_HORIZONS; h++) {
        struct stats *s = &fe->st[h];
        s->unconf[(size_t)(height % max_confirms(s)) * fe->nb + t->bucket]++;
    }
    mpmap_put(&fe->txs, hash_cheap(txid), t, 0);
    fe->n_tracked++;
}

/* Core's TxConfirmStats::removeTx. */
static void stats_remove(struct stats *s, size_t nb, unsigned entry, unsigned best,
                         unsigned bucket, bool in_block)
{
    long ago = best == 0 ? 0 : (long)best - (long)entry;
    if (ago < 0)
        return;
    int *slot = ago >= (long)max_confirms(s)
                    ? &s->old_unconf[bucket]
                    : &s->unconf[(size_t)(entry % max_confirms(s)) * nb + bucket];
    if (*slot > 0)
        (*slot)--;
    if (!in_block && ago >= (long)s->scale)
        for (size_t i = 0; i < (size_t)ago / s->scale && i < s->periods; i++)
            s->fail[i * nb + bucket]++;
}

/* Untracks txid; its entry (copied to *out when found) or false. */
static bool untrack(struct feeest *fe, const struct hash256 *txid, bool in_block,
                    struct tracked *out)
{
    struct tracked *t = find(fe, txid);
    if (!t)
        return false;
    for (int h = 0; h < FEEEST_HORIZONS; h++)
        stats_remove(&fe->st[h], fe->nb, t->height, fe->best_seen, t->bucket, in_block);
    *out = *t;
    mpmap_del(&fe->txs, hash_cheap(txid), t, 0);
    free(t);
    fe->n_tracked--;
    return true;
}

bool feeest_tx_removed(struct feeest *fe, const struct hash256 *txid)
{
    struct tracked t;
    return untrack(fe, txid, false, &t);
}

/* Core's TxConfirmStats::Record. */
static void stats_record(struct stats *s, size_t nb, unsigned blocks, unsigned bucket,
                         double feerate)
{
    unsigned periods = (blocks + s->scale - 1) / s->scale;
    for (unsigned i = periods; i <= s->periods; i++)
        s->conf[(size_t)(i - 1) * nb + bucket]++;
    s->tx_ct[bucket]++;
    s->feerate_sum[bucket] += feerate;
}

/* Rolls the unconfirmed ring past height and decays every average. */
static void stats_new_block(struct stats *s, size_t nb, unsigned height)
{
    int *row = &s->unconf[(size_t)(height % max_confirms(s)) * nb];
    for (size_t j = 0; j < nb; j++) {
        s->old_unconf[j] += row[j];
        row[j] = 0;
        for (unsigned i = 0; i < s->periods; i++) {
            s->conf[i * nb + j] *= s->decay;
            s->fail[i * nb + j] *= s->decay;
        }
        s->feerate_sum[j] *= s->decay;
        s->tx_ct[j] *= s->decay;
    }
}

void feeest_block(struct feeest *fe, unsigned height, const struct hash256 *txids, size_t n)
{
    if (height <= fe->best_seen)
        return; /* a reorg or a side chain: assumed not to bias the history */
    fe->best_seen = height;
    for (int h = 0; h < FEEEST_HORIZONS; h++)
        stats_new_block(&fe->st[h], fe->nb, height);
    size_t counted = 0;
    for (size_t i = 0; i < n; i++) {
        struct tracked t;
        if (!untrack(fe, &txids[i], true, &t) || height <= t.height)
            continue;
        for (int h = 0; h < FEEEST_HORIZONS; h++)
            stats_record(&fe->st[h], fe->nb, height - t.height, t.bucket, t.rate);
        counted++;
    }
    if (fe->first_recorded == 0 && counted > 0)
        fe->first_recorded = height;
}

/* Counters of a range of buckets while EstimateMedianVal walks down. */
struct range {
    double conf, total, fail;
    long extra;
};

static void set_bucket(const struct feeest *fe, struct feeest_bucket *b, unsigned near,
                       unsigned far, const struct range *r)
{
    unsigned lo = near < far ? near : far, hi = near < far ? far : near;
    b->start = lo ? fe->buckets[lo - 1] : 0;
    b->end = fe->buckets[hi];
    b->within_target = r->conf;
    b->total_confirmed = r->total;
    b->in_mempool = (double)r->extra;
    b->left_mempool = r->fail;
}

/* The average feerate of the bucket holding the median transaction of the
 * range [lo, hi], or -1. */
static double median_of(const struct stats *s, unsigned lo, unsigned hi)
{
    double sum = 0;
    for (unsigned j = lo; j <= hi; j++)
        sum += s->tx_ct[j];
    if (sum == 0)
        return -1;
    sum /= 2;
    for (unsigned j = lo; j <= hi; j++) {
        if (s->tx_ct[j] < sum)
            sum -= s->tx_ct[j];
        else
            return s->feerate_sum[j] / s->tx_ct[j];
    }
    return -1;
}

/* Core's TxConfirmStats::EstimateMedianVal: from the highest feerates
 * down, groups buckets until each group has enough data, and keeps the
 * lowest group still confirming within target at the success rate. */
static double estimate_median(const struct feeest *fe, const struct stats *s, unsigned target,
                              double sufficient, double success, struct feeest_result *res)
{
    const size_t nb = fe->nb;
    unsigned period = (target + s->scale - 1) / s->scale, bins = max_confirms(s);
    unsigned top = (unsigned)nb - 1, cur_near = top, cur_far = top, best_near = top,
             best_far = top;
    struct range r = { 0 };
    struct feeest_bucket pass = { -1, -1, 0, 0, 0, 0 }, fail = pass;
    double partial = 0;
    bool found = false, new_range = true, passing = true;
    for (long b = (long)top; b >= 0; b--) {
        if (new_range) {
            cur_near = (unsigned)b;
            new_range = false;
        }
        cur_far = (unsigned)b;
        r.conf += s->conf[(size_t)(period - 1) * nb + b];
        partial += s->tx_ct[b];
        r.total += s->tx_ct[b];
        r.fail += s->fail[(size_t)(period - 1) * nb + b];
        /* Unsigned as Core's: below height bins the index wraps modulo 2^32
         * first, so some recent rows are counted too (regtest only). */
        for (unsigned c = target; c < bins; c++)
            r.extra += s->unconf[(size_t)((fe->best_seen - c) % bins) * nb + b];
        r.extra += s->old_unconf[b];
        if (partial < sufficient / (1 - s->decay))
            continue;
        partial = 0;
        if (r.conf / (r.total + r.fail + (double)r.extra) < success) {
            if (passing)
                set_bucket(fe, &fail, cur_near, cur_far, &r);
            passing = false;
            continue;
        }
        fail = (struct feeest_bucket){ -1, -1, 0, 0, 0, 0 };
        found = passing = new_range = true;
        set_bucket(fe, &pass, cur_near, cur_far, &r);
        r = (struct range){ 0 };
        best_near = cur_near;
        best_far = cur_far;
    }
    unsigned lo = best_near < best_far ? best_near : best_far;
    unsigned hi = best_near < best_far ? best_far : best_near;
    double median = found ? median_of(s, lo, hi) : -1;
    if (median < 0)
        pass.start = pass.end = -1; /* Core fills the range only with an answer */
    if (passing && !new_range)
        set_bucket(fe, &fail, cur_near, cur_far, &r);
    if (res)
        *res = (struct feeest_result){ pass, fail, s->decay, s->scale };
    return median;
}

unsigned feeest_max_target(const struct feeest *fe, enum feeest_horizon h)
{
    return max_confirms(&fe->st[h]);
}

static double sufficient_for(enum feeest_horizon h)
{
    return h == FEEEST_SHORT ? SUFFICIENT_TXS_SHORT : SUFFICIENT_FEETXS;
}

int64_t feeest_raw(const struct feeest *fe, int target, double threshold,
                   enum feeest_horizon h, struct feeest_result *result)
{
    const struct stats *s = &fe->st[h];
    if (target <= 0 || (unsigned)target > max_confirms(s) || threshold > 1)
        return 0;
    double m = estimate_median(fe, s, (unsigned)target, sufficient_for(h), threshold, result);
    return m < 0 ? 0 : llround(m);
}

/* Core's estimateCombinedFee: the shortest horizon tracking target; with
 * check_shorter, a lower answer at the longest target of a shorter
 * horizon wins (keeps estimates monotonic). */
static double combined(const struct feeest *fe, unsigned target, double success,
                       bool check_shorter)
{
    double est = -1;
    if (target < 1 || target > max_confirms(&fe->st[FEEEST_LONG]))
        return -1;
    enum feeest_horizon h = target <= max_confirms(&fe->st[FEEEST_SHORT])    ? FEEEST_SHORT
                            : target <= max_confirms(&fe->st[FEEEST_MEDIUM]) ? FEEEST_MEDIUM
                                                                             : FEEEST_LONG;
    est = estimate_median(fe, &fe->st[h], target, sufficient_for(h), success, NULL);
    if (!check_shorter)
        return est;
    for (int k = FEEEST_MEDIUM; k >= FEEEST_SHORT; k--) {
        unsigned max = max_confirms(&fe->st[k]);
        if (target <= max)
            continue;
        double m = estimate_median(fe, &fe->st[k], max, sufficient_for(k), success, NULL);
        if (m > 0 && (est == -1 || m < est))
            est = m;
    }
    return est;
}

/* Core's estimateConservativeFee: 95% at double_target on the medium and
 * long horizons too. */
static double conservative_est(const struct feeest *fe, unsigned double_target)
{
    double est = -1;
    if (double_target <= max_confirms(&fe->st[FEEEST_SHORT]))
        est = estimate_median(fe, &fe->st[FEEEST_MEDIUM], double_target, SUFFICIENT_FEETXS,
                              FEEEST_DOUBLE_SUCCESS, NULL);
    if (double_target <= max_confirms(&fe->st[FEEEST_MEDIUM])) {
        double l = estimate_median(fe, &fe->st[FEEEST_LONG], double_target, SUFFICIENT_FEETXS,
                                   FEEEST_DOUBLE_SUCCESS, NULL);
        if (l > est)
            est = l;
    }
    return est;
}

/* Blocks of history: since the first recorded confirmation, or the span
 * read from the file while it is recent. */
static unsigned max_usable(const struct feeest *fe)
{
    unsigned span = fe->first_recorded ? fe->best_seen - fe->first_recorded : 0;
    unsigned hist = 0;
    if (fe->hist_first && fe->best_seen - fe->hist_best <= OLDEST_ESTIMATE_HISTORY)
        hist = fe->hist_best - fe->hist_first;
    unsigned usable = (span > hist ? span : hist) / 2;
    unsigned lmax = max_confirms(&fe->st[FEEEST_LONG]);
    return usable < lmax ? usable : lmax;
}

int64_t feeest_smart(const struct feeest *fe, int target, bool conservative, int *returned)
{
    *returned = target;
    if (target <= 0 || (unsigned)target > max_confirms(&fe->st[FEEEST_LONG]))
        return 0;
    if (target == 1)
        target = 2; /* one block cannot be estimated */
    unsigned usable = max_usable(fe);
    if ((unsigned)target > usable)
        target = (int)usable;
    *returned = target;
    if (target <= 1)
        return 0;
    unsigned t = (unsigned)target;
    double m = combined(fe, t / 2, FEEEST_HALF_SUCCESS, true);
    double full = combined(fe, t, FEEEST_SUCCESS, true);
    double dbl = combined(fe, 2 * t, FEEEST_DOUBLE_SUCCESS, !conservative);
    m = full > m ? full : m;
    m = dbl > m ? dbl : m;
    if (conservative || m == -1) {
        double c = conservative_est(fe, 2 * t);
        m = c > m ? c : m;
    }
    return m < 0 ? 0 : llround(m);
}

unsigned feeest_best_height(const struct feeest *fe)
{
    return fe->best_seen;
}

size_t feeest_tracked(const struct feeest *fe)
{
    return fe->n_tracked;
}

void feeest_flush_unconfirmed(struct feeest *fe)
{
    for (size_t i = 0; fe->txs.slots && i <= fe->txs.mask; i++) {
        struct tracked *t = fe->txs.slots[i].val;
        if (t)
            for (int h = 0; h < FEEEST_HORIZONS; h++)
                stats_remove(&fe->st[h], fe->nb, t->height, fe->best_seen, t->bucket, false);
    }
    drop_tracked(fe);
}

/* ---- fee_estimates.dat: "HSFE", version, heights, buckets, then per
 * horizon its decay, scale and averages; a sha256d of it all at the end.
 * Doubles as their IEEE-754 bits, little-endian. ---- */

#define FILE_MAGIC "HSFE"
#define FILE_VERSION 1
#define FILE_MAX ((size_t)16 << 20)

static void put_double(struct wbuf *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    wbuf_u64(w, u);
}

static void put_doubles(struct wbuf *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_double(w, v[i]);
}

int feeest_write(const struct feeest *fe, const char *path, char **err)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_bytes(&w, FILE_MAGIC, 4);
    wbuf_u32(&w, FILE_VERSION);
    wbuf_u32(&w, fe->best_seen);
    unsigned span = fe->first_recorded ? fe->best_seen - fe->first_recorded : 0;
    unsigned hist = fe->hist_first && fe->best_seen - fe->hist_best <= OLDEST_ESTIMATE_HISTORY
                        ? fe->hist_best - fe->hist_first : 0;
    bool recent = span > hist / 2; /* Core keeps the longer of the two spans */
    wbuf_u32(&w, recent ? fe->first_recorded : fe->hist_first);
    wbuf_u32(&w, recent ? fe->best_seen : fe->hist_best);
    wbuf_u32(&w, (uint32_t)fe->nb);
    put_doubles(&w, fe->buckets, fe->nb);
    for (int h = 0; h < FEEEST_HORIZONS; h++) {
        const struct stats *s = &fe->st[h];
        put_double(&w, s->decay);
        wbuf_u32(&w, s->scale);
        wbuf_u32(&w, s->periods);
        put_doubles(&w, s->tx_ct, fe->nb);
        put_doubles(&w, s->feerate_sum, fe->nb);
        put_doubles(&w, s->conf, (size_t)s->periods * fe->nb);
        put_doubles(&w, s->fail, (size_t)s->periods * fe->nb);
    }
    struct hash256 sum;
    hash_sha256d(w.data, w.len, &sum);
    wbuf_bytes(&w, sum.b, 32);
    int rc = fileio_write_atomic(path, w.data, w.len, err);
    wbuf_free(&w);
    return rc;
}

static bool get_doubles(struct cursor *c, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        if (!cursor_u64(c, &u))
            return false;
        memcpy(&v[i], &u, sizeof(u));
    }
    return true;
}

/* One horizon from the file into s (allocated for nb buckets). */
static bool read_stats(struct cursor *c, struct stats *s, size_t nb)
{
    double decay;
    uint32_t scale, periods;
    if (!get_doubles(c, &decay, 1) || !cursor_u32(c, &scale) || !cursor_u32(c, &periods))
        return false;
    if (!(decay > 0 && decay < 1) || scale == 0 || periods == 0 ||
        (uint64_t)scale * periods > MAX_CONFIRMS)
        return false;
    stats_init(s, nb, periods, scale, decay);
    return get_doubles(c, s->tx_ct, nb) && get_doubles(c, s->feerate_sum, nb) &&
           get_doubles(c, s->conf, (size_t)periods * nb) &&
           get_doubles(c, s->fail, (size_t)periods * nb);
}

static bool read_buckets(struct cursor *c, double **out, size_t *nb)
{
    uint32_t n;
    if (!cursor_u32(c, &n) || n < 2 || n > MAX_BUCKETS)
        return false;
    *out = xcalloc(n, sizeof(double));
    *nb = n;
    if (!get_doubles(c, *out, n))
        return false;
    for (uint32_t i = 1; i < n; i++)
        if (!((*out)[i] > (*out)[i - 1])) /* the lookup needs them increasing */
            return false;
    return true;
}

/* Parses the body after the magic into a fresh estimator state. */
static bool parse_file(struct cursor *c, struct feeest *tmp)
{
    uint32_t version, best, first, last;
    if (!cursor_u32(c, &version) || version != FILE_VERSION || !cursor_u32(c, &best) ||
        !cursor_u32(c, &first) || !cursor_u32(c, &last) || first > last || last > best)
        return false;
    tmp->best_seen = best;
    tmp->hist_first = first;
    tmp->hist_best = last;
    if (!read_buckets(c, &tmp->buckets, &tmp->nb))
        return false;
    for (int h = 0; h < FEEEST_HORIZONS; h++)
        if (!read_stats(c, &tmp->st[h], tmp->nb))
            return false;
    return cursor_left(c) == 0;
}

int feeest_read(struct feeest *fe, const char *path, char **err)
{
    size_t len = 0;
    uint8_t *buf = fileio_read_all(path, FILE_MAX, &len, err);
    if (!buf)
        return -1;
    struct hash256 sum;
    bool ok = len >= 4 + 32 && memcmp(buf, FILE_MAGIC, 4) == 0;
    if (ok) {
        hash_sha256d(buf, len - 32, &sum);
        ok = memcmp(sum.b, buf + len - 32, 32) == 0;
    }
    struct feeest tmp = { 0 };
    struct cursor c;
    cursor_init(&c, buf + 4, ok ? len - 4 - 32 : 0);
    ok = ok && parse_file(&c, &tmp);
    free(buf);
    if (!ok) {
        for (int h = 0; h < FEEEST_HORIZONS; h++)
            stats_clear(&tmp.st[h]);
        free(tmp.buckets);
        return err_set(err, "%s: not a valid fee estimates file", path);
    }
    drop_tracked(fe); /* tracked buckets index the old bucket list */
    for (int h = 0; h < FEEEST_HORIZONS; h++) {
        stats_clear(&fe->st[h]);
        fe->st[h] = tmp.st[h];
    }
    free(fe->buckets);
    fe->buckets = tmp.buckets;
    fe->nb = tmp.nb;
    fe->best_seen = tmp.best_seen;
    fe->hist_first = tmp.hist_first;
    fe->hist_best = tmp.hist_best;
    fe->first_recorded = 0;
    return 0;
}
