#include "chain/validation/validation.h"

#include "chain/util/err.h"
#include "chain/util/log.h"
#include "chain/util/looplag.h"
#include "chain/validation/locktime.h"
#include "chain/validation/pow.h"
#include "chain/util/xmalloc.h"
#include "chain/validation/sigops.h"

#include <stdlib.h>
#include <string.h>

/* BIP94 (testnet4): a period's first block may not be more than this much
 * older than its parent. */
#define MAX_TIMEWARP 600

bool validation_header_pow(const struct chain_params *p, const struct block_header *h,
                           const struct hash256 *hash, const char **reason)
{
    if (!pow_check(hash, h->bits, p)) {
        *reason = "high-hash";
        return false;
    }
    return true;
}

/* Ancestor lookups for the difficulty rules. The testnet walk goes back
 * one block at a time, so a step to the parent of the last answer is
 * served from its prev pointer. */
struct pow_walk {
    const struct bindex_node *from;
    const struct bindex_node *last;
};

static bool ancestor_for_pow(void *ctx, int height, struct pow_block *out)
{
    struct pow_walk *w = ctx;
    const struct bindex_node *n = w->last && w->last->height == height + 1
                                      ? w->last->prev
                                      : bindex_ancestor(w->from, height);
    if (!n)
        return false;
    w->last = n;
    out->height = n->height;
    out->time = n->hdr.time;
    out->bits = n->hdr.bits;
    return true;
}

bool validation_header_context(const struct chain_params *p, const struct bindex_node *prev,
                               const struct block_header *h, int64_t now, const char **reason)
{
    int height = prev->height + 1;
    struct pow_block last = {prev->height, prev->hdr.time, prev->hdr.bits};
    struct pow_walk walk = {prev, prev};
    if (h->bits != pow_next_bits(p, &last, h->time, ancestor_for_pow, &walk)) {
        *reason = "bad-diffbits";
        return false;
    }
    if (h->time <= bindex_median_time_past(prev)) {
        *reason = "time-too-old";
        return false;
    }
    int64_t interval = p->pow_target_timespan / p->pow_target_spacing;
    if (p->enforce_bip94 && height % interval == 0 &&
        (int64_t)h->time < (int64_t)prev->hdr.time - MAX_TIMEWARP) {
        *reason = "time-timewarp-attack";
        return false;
    }
    if ((int64_t)h->time > now + VALIDATION_MAX_FUTURE_SECS) {
        *reason = "time-too-new";
        return false;
    }
    if ((h->version < 2 && height >= p->bip34_height) ||
        (h->version < 3 && height >= p->bip66_height) ||
        (h->version < 4 && height >= p->bip65_height)) {
        *reason = "bad-version";
        return false;
    }
    return true;
}

static int cmp_outpoint(const void *a, const void *b)
{
    const struct outpoint *x = a, *y = b;
    int c = memcmp(x->hash.b, y->hash.b, 32);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static bool has_duplicate_inputs(const struct tx *tx)
{
    if (tx->vin_count < 2)
        return false;
    if (tx->vin_count == 2)
        return cmp_outpoint(&tx->vin[0].prevout, &tx->vin[1].prevout) == 0;
    /* Sorting finds duplicates in O(n log n) for large transactions. */
    struct outpoint *ops = xmalloc(tx->vin_count * sizeof(*ops));
    for (size_t i = 0; i < tx->vin_count; i++)
        ops[i] = tx->vin[i].prevout;
    qsort(ops, tx->vin_count, sizeof(*ops), cmp_outpoint);
    bool dup = false;
    for (size_t i = 1; i < tx->vin_count && !dup; i++)
        dup = cmp_outpoint(&ops[i - 1], &ops[i]) == 0;
    free(ops);
    return dup;
}

static bool fail(const char **reason, const char *why)
{
    *reason = why;
    return false;
}

bool validation_check_transaction(const struct tx *tx, const char **reason)
{
    if (tx->vin_count == 0)
        return fail(reason, "bad-txns-vin-empty");
    if (tx->vout_count == 0)
        return fail(reason, "bad-txns-vout-empty");
    if (tx->base_size * TX_WITNESS_SCALE > BLOCK_MAX_WEIGHT)
        return fail(reason, "bad-txns-oversize");
    int64_t total = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        int64_t v = tx->vout[i].value;
        if (v < 0)
            return fail(reason, "bad-txns-vout-negative");
        if (v > TX_MAX_MONEY)
            return fail(reason, "bad-txns-vout-toolarge");
        total += v;
        if (total > TX_MAX_MONEY)
            return fail(reason, "bad-txns-txouttotal-toolarge");
    }
    if (has_duplicate_inputs(tx))
        return fail(reason, "bad-txns-inputs-duplicate");
    if (tx_is_coinbase(tx)) {
        if (tx->vin[0].script_len < 2 || tx->vin[0].script_len > 100)
            return fail(reason, "bad-cb-length");
    } else {
        for (size_t i = 0; i < tx->vin_count; i++) {
            const struct outpoint *op = &tx->vin[i].prevout;
            if (op->n == 0xffffffffu && hash_is_zero(&op->hash))
                return fail(reason, "bad-txns-prevout-null");
        }
    }
    return true;
}

bool validation_block_basic(const struct block *b, const char **reason)
{
    if (b->prechecked)
        return b->precheck_reason ? fail(reason, b->precheck_reason) : true;
    struct hash256 root;
    bool mutated = false;
    if (b->tx_count == 0)
        return fail(reason, "bad-blk-length");
    block_merkle_root(b, &root, &mutated);
    if (!hash_eq(&root, &b->hdr.merkle))
        return fail(reason, "bad-txnmrklroot");
    /* CVE-2012-2459: a duplicated tail gives the same root as the honest
     * block, so a mutated copy must not get the honest block marked bad. */
    if (mutated)
        return fail(reason, "bad-txns-duplicate");
    if (b->tx_count * TX_WITNESS_SCALE > BLOCK_MAX_WEIGHT ||
        b->base_size * TX_WITNESS_SCALE > BLOCK_MAX_WEIGHT)
        return fail(reason, "bad-blk-length");
    if (!tx_is_coinbase(b->txs[0]))
        return fail(reason, "bad-cb-missing");
    for (size_t i = 1; i < b->tx_count; i++)
        if (tx_is_coinbase(b->txs[i]))
            return fail(reason, "bad-cb-multiple");
    for (size_t i = 0; i < b->tx_count; i++)
        if (!validation_check_transaction(b->txs[i], reason))
            return false;
    unsigned sigops = 0;
    for (size_t i = 0; i < b->tx_count; i++)
        sigops += sigops_legacy(b->txs[i]);
    if ((uint64_t)sigops * TX_WITNESS_SCALE > SIGOPS_MAX_BLOCK_COST)
        return fail(reason, "bad-blk-sigops");
    return true;
}

size_t validation_bip34_prefix(int height, uint8_t out[5])
{
    /* CScript() << height: small numbers are opcodes, others a minimal
     * little-endian push with room for the sign bit. */
    if (height == 0) {
        out[0] = 0x00;
        return 1;
    }
    if (height >= 1 && height <= 16) {
        out[0] = (uint8_t)(0x50 + height);
        return 1;
    }
    uint32_t v = (uint32_t)height;
    size_t n = 0;
    while (v) {
        out[1 + n++] = (uint8_t)v;
        v >>= 8;
    }
    if (out[n] & 0x80)
        out[1 + n++] = 0;
    out[0] = (uint8_t)n;
    return n + 1;
}

/* BIP141: the last coinbase output starting with OP_RETURN, push 36,
 * aa21a9ed, or -1. */
static long witness_commitment_index(const struct tx *cb)
{
    static const uint8_t magic[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    long found = -1;
    for (size_t i = 0; i < cb->vout_count; i++) {
        const struct tx_out *o = &cb->vout[i];
        if (o->script_len >= 38 && memcmp(o->script, magic, sizeof(magic)) == 0)
            found = (long)i;
    }
    return found;
}

static bool check_witness(const struct chain_params *p, int height, const struct block *b,
                          const char **reason)
{
    const struct tx *cb = b->txs[0];
    long idx = height >= p->segwit_height ? witness_commitment_index(cb) : -1;
    if (idx >= 0) {
        const struct tx_in *in = &cb->vin[0];
        if (in->wit_count != 1 || in->wit[0].len != 32)
            return fail(reason, "bad-witness-nonce-size");
        uint8_t buf[64];
        struct hash256 root, commit;
        if (b->wroot_known)
            root = b->wroot;
        else
            block_witness_merkle_root(b, &root);
        memcpy(buf, root.b, 32);
        memcpy(buf + 32, in->wit[0].data, 32);
        hash_sha256d(buf, sizeof(buf), &commit);
        if (memcmp(commit.b, cb->vout[idx].script + 6, 32) != 0)
            return fail(reason, "bad-witness-merkle-match");
        return true;
    }
    for (size_t i = 0; i < b->tx_count; i++)
        if (b->txs[i]->has_witness)
            return fail(reason, "unexpected-witness");
    return true;
}

void validation_block_precheck(struct block *b)
{
    const char *reason = NULL;
    b->precheck_reason = validation_block_basic(b, &reason) ? NULL : reason;
    b->prechecked = true;
    if (b->tx_count > 0 && witness_commitment_index(b->txs[0]) >= 0) {
        block_witness_merkle_root(b, &b->wroot);
        b->wroot_known = true;
    }
}

bool validation_block_context(const struct chain_params *p, const struct bindex_node *prev,
                              const struct block *b, const char **reason)
{
    int height = prev ? prev->height + 1 : 0;
    /* BIP113: once CSV is active, lock times are judged against the
     * parent's median time past rather than the block's own time. */
    int64_t cutoff = prev && height >= p->csv_height ? (int64_t)bindex_median_time_past(prev)
                                                     : (int64_t)b->hdr.time;
    for (size_t i = 0; i < b->tx_count; i++)
        if (!locktime_tx_final(b->txs[i], height, cutoff))
            return fail(reason, "bad-txns-nonfinal");
    if (height >= p->bip34_height) {
        uint8_t want[5];
        size_t n = validation_bip34_prefix(height, want);
        const struct tx_in *in = &b->txs[0]->vin[0];
        if (in->script_len < n || memcmp(in->script, want, n) != 0)
            return fail(reason, "bad-cb-height");
    }
    if (!check_witness(p, height, b, reason))
        return false;
    if (block_weight(b) > BLOCK_MAX_WEIGHT)
        return fail(reason, "bad-blk-weight");
    return true;
}

/* Outputs nobody can spend never enter the UTXO set (Core's IsUnspendable). */
static bool unspendable(const struct tx_out *o)
{
    return (o->script_len > 0 && o->script[0] == 0x6a) || o->script_len > 10000;
}

/* Undoes a prefix of a block: transactions [0, full) entirely, then the
 * first `partial` inputs of transaction `full` (whose outputs were not
 * added yet). undo holds one coin record per spent input, in order. */
static int rewind_block(struct utxo *u, const struct block *b, size_t full, size_t partial,
                        const uint8_t *undo, size_t undo_len, char **err)
{
    size_t nrec = partial;
    for (size_t t = 1; t < full; t++)
        nrec += b->txs[t]->vin_count;
    struct coin *coins = xcalloc(nrec ? nrec : 1, sizeof(*coins));
    struct cursor c;
    cursor_init(&c, undo, undo_len);
    size_t got = 0;
    while (got < nrec && store_coin_decode(&c, &coins[got]))
        got++;
    int rc = 0;
    if (got != nrec || (full == b->tx_count && cursor_left(&c) != 0)) {
        err_set(err, "undo data does not match the block");
        rc = -1;
        goto out;
    }
    size_t k = nrec;
    for (size_t i = partial; i-- > 0;) {
        k--;
        utxo_add(u, &b->txs[full]->vin[i].prevout, coins[k].value, coins[k].script,
                 coins[k].script_len, coins[k].height, coins[k].coinbase);
    }
    for (size_t t = full; t-- > 0;) {
        const struct tx *tx = b->txs[t];
        for (uint32_t o = 0; o < tx->vout_count; o++) {
            struct outpoint op = {tx->txid, o};
            struct utxo_spent s;
            if (!unspendable(&tx->vout[o]) && utxo_spend(u, &op, &s, NULL, err) < 0) {
                rc = -1;
                goto out;
            }
        }
        for (size_t i = t > 0 ? tx->vin_count : 0; i-- > 0;) {
            k--;
            utxo_add(u, &tx->vin[i].prevout, coins[k].value, coins[k].script, coins[k].script_len,
                     coins[k].height, coins[k].coinbase);
        }
    }
out:
    for (size_t i = 0; i < got; i++)
        coin_clear(&coins[i]);
    free(coins);
    return rc;
}

int validation_disconnect(struct utxo *u, const struct block *b, const uint8_t *undo,
                          size_t undo_len, char **err)
{
    return rewind_block(u, b, b->tx_count, 0, undo, undo_len, err);
}

/* The coins a block's inputs see while it is checked, without touching
 * the UTXO set (Core's view over the coins cache): an output of an
 * earlier transaction of the block, unless an earlier input spent it, or
 * else the set's. Lookups are sorted arrays, so a block's shape cannot
 * make them slow. */
struct txpos {
    struct hash256 txid;
    size_t t;
};

struct inpos {
    struct outpoint op;
    size_t k; /* the input's place in the block */
};

struct block_view {
    const struct block *b;
    struct txpos *byid;   /* sorted by txid */
    bool *respent;        /* per input: an earlier input spends the same output */
    size_t *first;        /* per transaction: its first input's place */
};

static int cmp_txpos(const void *a, const void *b)
{
    return memcmp(((const struct txpos *)a)->txid.b, ((const struct txpos *)b)->txid.b, 32);
}

static int cmp_inpos(const void *a, const void *b)
{
    const struct inpos *x = a, *y = b;
    int c = memcmp(x->op.hash.b, y->op.hash.b, 32);
    if (c == 0)
        c = (x->op.n > y->op.n) - (x->op.n < y->op.n);
    return c ? c : (x->k > y->k) - (x->k < y->k);
}

static void view_init(struct block_view *v, const struct block *b)
{
    size_t nin = 0;
    v->b = b;
    v->byid = xcalloc(b->tx_count, sizeof(*v->byid));
    v->first = xcalloc(b->tx_count, sizeof(*v->first));
    for (size_t t = 0; t < b->tx_count; t++) {
        v->byid[t] = (struct txpos){b->txs[t]->txid, t};
        v->first[t] = nin;
        nin += t > 0 ? b->txs[t]->vin_count : 0;
    }
    qsort(v->byid, b->tx_count, sizeof(*v->byid), cmp_txpos);
    struct inpos *ins = xcalloc(nin ? nin : 1, sizeof(*ins));
    for (size_t t = 1; t < b->tx_count; t++)
        for (size_t i = 0; i < b->txs[t]->vin_count; i++)
            ins[v->first[t] + i] = (struct inpos){b->txs[t]->vin[i].prevout, v->first[t] + i};
    qsort(ins, nin, sizeof(*ins), cmp_inpos);
    v->respent = xcalloc(nin ? nin : 1, sizeof(*v->respent));
    for (size_t j = 1; j < nin; j++)
        if (hash_eq(&ins[j].op.hash, &ins[j - 1].op.hash) && ins[j].op.n == ins[j - 1].op.n)
            v->respent[ins[j].k] = true;
    free(ins);
}

static void view_free(struct block_view *v)
{
    free(v->byid);
    free(v->respent);
    free(v->first);
}

/* The coin input i of transaction t spends: 1 and *c, 0 when missing or
 * spent, -1 and *err on a storage error. */
static int view_get(struct block_view *v, struct utxo *u, size_t t, size_t i, int height,
                    struct coin *c, char **err)
{
    const struct outpoint *op = &v->b->txs[t]->vin[i].prevout;
    if (v->respent[v->first[t] + i])
        return 0;
    struct txpos key = {.txid = op->hash};
    const struct txpos *hit = bsearch(&key, v->byid, v->b->tx_count, sizeof(key), cmp_txpos);
    if (hit && hit->t < t && op->n < v->b->txs[hit->t]->vout_count &&
        !unspendable(&v->b->txs[hit->t]->vout[op->n])) {
        const struct tx_out *o = &v->b->txs[hit->t]->vout[op->n];
        c->value = o->value;
        c->script_len = o->script_len;
        c->script = xmalloc(o->script_len ? o->script_len : 1);
        memcpy(c->script, o->script, o->script_len);
        c->height = height;
        c->coinbase = hit->t == 0;
        return 1;
    }
    return utxo_get(u, op, c, err);
}

/* Input i of transaction t found in the view (Core's HaveInputs, one
 * input): what it spends into spent[i], owning the script, heights[i]
 * and coinbase[i]. Returns 0, 1 with *reason, or -1. */
static int gather_input(struct block_view *v, struct utxo *u, size_t t, size_t i, int height,
                        struct tx_out *spent, int32_t *heights, bool *coinbase,
                        const char **reason, char **err)
{
    struct coin c = {0};
    int r = view_get(v, u, t, i, height, &c, err);
    spent[i] = (struct tx_out){c.value, c.script, c.script_len};
    heights[i] = c.height;
    coinbase[i] = c.coinbase;
    if (r < 0)
        return -1;
    if (r == 0)
        return *reason = "bad-txns-inputs-missingorspent", 1;
    return 0;
}

/* The rest of Core's CheckTxInputs, once every input of tx was found (a
 * missing input outranks the faults of the others): maturity and values.
 * Returns 0 or 1 with *reason. */
static int check_input_values(const struct tx *tx, int height, const struct tx_out *spent,
                              const int32_t *heights, const bool *coinbase, int64_t *fees,
                              const char **reason)
{
    int64_t in_sum = 0, out_sum = 0;
    for (size_t i = 0; i < tx->vin_count; i++) {
        if (coinbase[i] && height - heights[i] < PARAMS_COINBASE_MATURITY)
            return *reason = "bad-txns-premature-spend-of-coinbase", 1;
        in_sum += spent[i].value;
        if (spent[i].value < 0 || spent[i].value > TX_MAX_MONEY || in_sum > TX_MAX_MONEY)
            return *reason = "bad-txns-inputvalues-outofrange", 1;
    }
    tx_output_sum(tx, &out_sum);
    if (in_sum < out_sum)
        return *reason = "bad-txns-in-belowout", 1;
    *fees += in_sum - out_sum;
    if (*fees > TX_MAX_MONEY)
        return *reason = "bad-txns-accumulated-fee-outofrange", 1;
    return 0;
}

/* Core's IsBIP30Repeat: the two mainnet blocks whose coinbases repeated
 * earlier ones before BIP30, exempt from it. */
static bool bip30_repeat(const struct bindex_node *n)
{
    static const struct {
        int height;
        const char *hash;
    } repeats[] = {
        {91842, "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec"},
        {91880, "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721"},
    };
    for (size_t i = 0; i < sizeof(repeats) / sizeof(repeats[0]); i++) {
        struct hash256 h;
        if (n->height == repeats[i].height && hash_from_hex(repeats[i].hash, &h) &&
            hash_eq(&n->hash, &h))
            return true;
    }
    return false;
}

/* From this height on, coinbases of blocks mined before BIP34 could be
 * repeated (their scripts start with pushes reading as these heights),
 * so BIP30 is checked again (Core's BIP34_IMPLIES_BIP30_LIMIT). */
#define BIP34_IMPLIES_BIP30_LIMIT 1983702

/* Core's ConnectBlock: BIP30 (no transaction may overwrite unspent
 * outputs of an earlier one with its txid) is checked unless the block is
 * a repeat, or BIP34 made coinbases unique on this chain: its block at
 * the BIP34 height is the chain's bip34_hash (never on chains without
 * one, regtest included). */
static bool bip30_enforced(const struct chain_params *p, const struct bindex_node *n)
{
    if (n->height >= BIP34_IMPLIES_BIP30_LIMIT)
        return true;
    if (bip30_repeat(n))
        return false;
    const struct bindex_node *b34 = bindex_ancestor(n->prev, p->bip34_height);
    return !b34 || hash_is_zero(&p->bip34_hash) || !hash_eq(&b34->hash, &p->bip34_hash);
}

/* Whether output o of the transaction is already unspent (BIP30; the
 * whole block is checked before any of it is applied, as Core does). 1,
 * 0, or -1 and *err. absent: the outpoints the store is known not to
 * hold, for which the cache alone answers. */
static int overwrites_coin(struct utxo *u, const struct outpoint *absent, size_t n_absent,
                           const struct tx *tx, uint32_t o, char **err)
{
    struct outpoint op = {tx->txid, o};
    if (n_absent && bsearch(&op, absent, n_absent, sizeof(op), cmp_outpoint))
        return utxo_have_cached(u, &op);
    struct coin c = {0};
    int r = utxo_get(u, &op, &c, err);
    coin_clear(&c);
    return r;
}

static void add_outputs(struct utxo *u, const struct tx *tx, int height)
{
    bool cb = tx_is_coinbase(tx);
    for (uint32_t o = 0; o < tx->vout_count; o++) {
        const struct tx_out *out = &tx->vout[o];
        if (unspendable(out))
            continue;
        struct outpoint op = {tx->txid, o};
        utxo_add(u, &op, out->value, out->script, out->script_len, height, cb);
    }
}

/* A transaction's sigop cost (Core's GetTransactionSigOpCost) added to
 * the block's; false once over MAX_BLOCK_SIGOPS_COST. */
static bool add_sigops(const struct tx *tx, const struct tx_out *spent, uint32_t flags,
                       uint64_t *cost)
{
    *cost += sigops_tx_cost(tx, spent, flags);
    return *cost <= SIGOPS_MAX_BLOCK_COST;
}

uint32_t validation_script_flags(const struct chain_params *p, int height,
                                 const struct hash256 *hash)
{
    /* Core's GetBlockScriptFlags: P2SH, WITNESS and TAPROOT always, but
     * for the two historic blocks that broke them. */
    uint32_t flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;
    if (!hash_is_zero(&p->bip16_exception) && hash_eq(hash, &p->bip16_exception))
        flags = SCRIPT_VERIFY_NONE;
    if (!hash_is_zero(&p->taproot_exception) && hash_eq(hash, &p->taproot_exception))
        flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS;
    if (height >= p->bip66_height)
        flags |= SCRIPT_VERIFY_DERSIG;
    if (height >= p->bip65_height)
        flags |= SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
    if (height >= p->csv_height)
        flags |= SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
    if (height >= p->segwit_height)
        flags |= SCRIPT_VERIFY_NULLDUMMY;
    return flags;
}

static int64_t ancestor_mtp(void *ctx, int32_t height)
{
    return bindex_median_time_past(bindex_ancestor(ctx, height));
}

/* BIP68 (Core's SequenceLocks in ConnectBlock): a coin's time lock counts
 * from the median time past of the block before the coin's, all of them
 * ancestors of the block n. */
static bool sequence_locks_ok(const struct chain_params *p, const struct bindex_node *n,
                              const struct tx *tx, const int32_t *heights)
{
    if (n->height < p->csv_height || !n->prev)
        return true;
    struct locktime_seq l;
    locktime_sequence_locks(tx, heights, ancestor_mtp, (void *)n->prev, &l);
    return locktime_sequence_passed(&l, n->height, bindex_median_time_past(n->prev));
}

/* A block checked but for its scripts: what they spend, per transaction
 * (owned), and the run checking them. While checked, where the checks
 * stand: they go one output or input at a time, BIP30's over the whole
 * block first, then each transaction's inputs and the checks of the
 * transaction as a whole, so that they may stop between two and resume
 * (a transaction may have thousands of inputs). */
struct validation_plan {
    const struct block *b;
    const struct bindex_node *n;
    int height;
    uint32_t flags;
    struct tx_out **spent;         /* [t][i], t >= 1 */
    struct sighash_txdata *txdata; /* per transaction but the coinbase */
    struct scriptcheck_job *job;
    size_t bip30_next; /* tx_count when BIP30 is done or not enforced */
    uint32_t bip30_out; /* its next output */
    size_t next;       /* the transaction whose inputs are checked */
    size_t next_in;    /* its next input */
    int32_t *heights;  /* its inputs' coins' heights */
    bool *coinbase;    /* and whether they are coinbase outputs */
    struct block_view v;
    struct outpoint *absent; /* known not in the store, sorted */
    size_t n_absent;
    int64_t fees;
    uint64_t sigops;
};

void validation_plan_free(struct validation_plan *pl)
{
    if (!pl)
        return;
    if (pl->job) { /* the workers must be done with the data */
        struct scriptcheck_failure f;
        scriptcheck_finish(pl->job, &f);
    }
    for (size_t t = 1; t < pl->b->tx_count && pl->spent[t]; t++) {
        for (size_t i = 0; i < pl->b->txs[t]->vin_count; i++)
            free((uint8_t *)pl->spent[t][i].script);
        free(pl->spent[t]);
    }
    free(pl->spent);
    free(pl->heights);
    free(pl->coinbase);
    free(pl->txdata);
    free(pl->absent);
    view_free(&pl->v);
    free(pl);
}

struct validation_plan *validation_connect_new(const struct chain_params *p,
                                               const struct block *b,
                                               const struct bindex_node *n)
{
    struct validation_plan *pl = xcalloc(1, sizeof(*pl));
    pl->b = b;
    pl->n = n;
    pl->height = n->height;
    pl->flags = validation_script_flags(p, n->height, &b->hash);
    pl->spent = xcalloc(b->tx_count, sizeof(*pl->spent));
    pl->bip30_next = bip30_enforced(p, n) ? 0 : b->tx_count;
    view_init(&pl->v, b);
    return pl;
}

struct outpoint *validation_plan_reads(const struct validation_plan *pl, size_t *n)
{
    const struct block *b = pl->b;
    bool bip30 = pl->bip30_next == 0;
    size_t cap = 0;
    for (size_t t = 0; t < b->tx_count; t++)
        cap += (t > 0 ? b->txs[t]->vin_count : 0) + (bip30 ? b->txs[t]->vout_count : 0);
    struct outpoint *ops = xcalloc(cap ? cap : 1, sizeof(*ops));
    *n = 0;
    for (size_t t = 0; t < b->tx_count && bip30; t++)
        for (uint32_t o = 0; o < b->txs[t]->vout_count; o++)
            ops[(*n)++] = (struct outpoint){b->txs[t]->txid, o};
    for (size_t t = 1; t < b->tx_count; t++) {
        for (size_t i = 0; i < b->txs[t]->vin_count; i++) {
            const struct outpoint *op = &b->txs[t]->vin[i].prevout;
            struct txpos key = {.txid = op->hash};
            if (!bsearch(&key, pl->v.byid, b->tx_count, sizeof(key), cmp_txpos))
                ops[(*n)++] = *op;
        }
    }
    return ops;
}

void validation_plan_absent(struct validation_plan *pl, struct outpoint *ops, size_t n)
{
    qsort(ops, n, sizeof(*ops), cmp_outpoint);
    free(pl->absent);
    pl->absent = ops;
    pl->n_absent = n;
}

/* The current transaction's next input, or once all are found its
 * values, sequence locks and sigops, in Core's order. */
static int check_tx_step(const struct chain_params *p, struct utxo *u,
                         struct validation_plan *pl, const char **reason, char **err)
{
    size_t t = pl->next;
    const struct tx *tx = pl->b->txs[t];
    if (t > 0 && !pl->spent[t]) {
        size_t n = tx->vin_count ? tx->vin_count : 1;
        pl->spent[t] = xcalloc(n, sizeof(**pl->spent));
        pl->heights = xcalloc(n, sizeof(*pl->heights));
        pl->coinbase = xcalloc(n, sizeof(*pl->coinbase));
    }
    if (t > 0 && pl->next_in < tx->vin_count) {
        size_t i = pl->next_in++;
        return gather_input(&pl->v, u, t, i, pl->height, pl->spent[t], pl->heights,
                            pl->coinbase, reason, err);
    }
    pl->next++;
    pl->next_in = 0;
    int rc = 0;
    if (t > 0) {
        rc = check_input_values(tx, pl->height, pl->spent[t], pl->heights, pl->coinbase,
                                &pl->fees, reason);
        if (rc == 0 && !sequence_locks_ok(p, pl->n, tx, pl->heights))
            *reason = "bad-txns-nonfinal", rc = 1;
        free(pl->heights);
        free(pl->coinbase);
        pl->heights = NULL;
        pl->coinbase = NULL;
    }
    if (rc == 0 && !add_sigops(tx, pl->spent[t], pl->flags, &pl->sigops))
        *reason = "bad-blk-sigops", rc = 1;
    return rc;
}

/* One output's or one input's worth of the checks. */
static int check_one(const struct chain_params *p, struct utxo *u, struct validation_plan *pl,
                     const char **reason, char **err)
{
    if (pl->bip30_next < pl->b->tx_count) {
        const struct tx *tx = pl->b->txs[pl->bip30_next];
        if (pl->bip30_out == tx->vout_count) {
            pl->bip30_next++;
            pl->bip30_out = 0;
            return 0;
        }
        int rc = overwrites_coin(u, pl->absent, pl->n_absent, tx, pl->bip30_out++, err);
        if (rc > 0)
            *reason = "bad-txns-BIP30";
        return rc;
    }
    return check_tx_step(p, u, pl, reason, err);
}

int validation_connect_more(const struct chain_params *p, struct utxo *u,
                            struct validation_plan *pl, int64_t deadline_us,
                            const char **reason, char **err)
{
    int rc;
    do
        rc = check_one(p, u, pl, reason, err);
    while (rc == 0 && pl->next < pl->b->tx_count &&
           (deadline_us == 0 || looplag_now(looplag_default()) < deadline_us));
    if (rc != 0)
        return rc;
    if (pl->next < pl->b->tx_count)
        return VALIDATION_MORE;
    int64_t cb_out = 0;
    tx_output_sum(pl->b->txs[0], &cb_out);
    if (cb_out > pl->fees + params_block_subsidy(p, pl->height))
        return *reason = "bad-cb-amount", 1;
    return 0;
}

int validation_connect_check(const struct chain_params *p, struct utxo *u,
                             const struct block *b, const struct bindex_node *n,
                             struct validation_plan **out, const char **reason, char **err)
{
    struct validation_plan *pl = validation_connect_new(p, b, n);
    int rc = validation_connect_more(p, u, pl, 0, reason, err);
    if (rc != 0) {
        validation_plan_free(pl);
        pl = NULL;
    }
    *out = pl;
    return rc;
}

void validation_plan_start(struct validation_plan *pl, const struct scriptcheck_env *env,
                           scriptcheck_done_fn done, void *done_ctx)
{
    size_t n = pl->b->tx_count - 1;
    pl->txdata = xcalloc(n ? n : 1, sizeof(*pl->txdata));
    for (size_t t = 0; t < n; t++) {
        pl->txdata[t].tx = pl->b->txs[t + 1];
        pl->txdata[t].spent = pl->spent[t + 1];
    }
    pl->job = scriptcheck_start(env, pl->txdata, n, pl->flags, SCRIPTCHECK_ERASE_HITS, done,
                                done_ctx);
}

bool validation_plan_ready(const struct validation_plan *pl)
{
    return !pl->job || scriptcheck_ready(pl->job);
}

int validation_plan_finish(struct validation_plan *pl, const char **reason)
{
    struct scriptcheck_failure f;
    if (!pl->job)
        return 0;
    bool ok = scriptcheck_finish(pl->job, &f);
    pl->job = NULL;
    if (ok)
        return 0;
    *reason = scriptcheck_block_reason(f.err);
    char where[SCRIPTCHECK_DESCRIBE_LEN];
    scriptcheck_describe(pl->b->txs[f.tx + 1], f.in, where);
    LOG_INFO("Block validation error at height %d: %s, %s", pl->height, *reason, where);
    return 1;
}

int validation_connect_apply(struct utxo *u, const struct block *b, int height,
                             struct wbuf *undo, char **err)
{
    for (size_t t = 0; t < b->tx_count; t++) {
        const struct tx *tx = b->txs[t];
        for (size_t i = 0; t > 0 && i < tx->vin_count; i++) {
            struct utxo_spent s;
            int r = utxo_spend(u, &tx->vin[i].prevout, &s, undo, err);
            if (r < 0)
                return -1;
            if (r == 0)
                return err_set(err, "a coin checked for block %d vanished", height);
        }
        add_outputs(u, tx, height);
    }
    return 0;
}
