/* BIP341 signature message (SigMsg) and BIP342's extension, hashed with
 * the TapSighash tag: Core's SignatureHashSchnorr. */
#include "chain/script/sighash.h"

#include "chain/primitives/serialize.h"

static struct hash_tag tag_sighash = HASH_TAG("TapSighash");

static bool valid_hash_type(uint8_t t)
{
    return t <= SIGHASH_SINGLE || (t >= (SIGHASH_ANYONECANPAY | SIGHASH_ALL) &&
                                   t <= (SIGHASH_ANYONECANPAY | SIGHASH_SINGLE));
}

/* The data about this input: its outpoint, spent output and sequence
 * under ANYONECANPAY, else only its position. */
static void put_input(struct wbuf *m, const struct sighash_txdata *d, size_t in, bool acp)
{
    const struct tx_in *txin = &d->tx->vin[in];
    if (!acp) {
        wbuf_u32(m, (uint32_t)in);
        return;
    }
    wbuf_bytes(m, txin->prevout.hash.b, 32);
    wbuf_u32(m, txin->prevout.n);
    wbuf_i64(m, d->spent[in].value);
    wbuf_varbytes(m, d->spent[in].script, d->spent[in].script_len);
    wbuf_u32(m, txin->sequence);
}

/* SHA256 of output `i` serialized (value, scriptPubKey): SIGHASH_SINGLE. */
static void single_output_hash(uint8_t out[32], const struct tx_out *o)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i64(&w, o->value);
    wbuf_varbytes(&w, o->script, o->script_len);
    hash_sha256(w.data, w.len, out);
    wbuf_free(&w);
}

/* Writes the signature message (without the tag prefix) into m; false
 * for SIGHASH_SINGLE without a matching output. */
static bool sig_msg(struct wbuf *m, const struct sighash_txdata *d, size_t in, uint8_t hash_type,
                    const struct sighash_taproot_exec *exec)
{
    const struct tx *tx = d->tx;
    uint8_t output_type = hash_type == SIGHASH_DEFAULT ? SIGHASH_ALL
                                                       : (hash_type & SIGHASH_OUTPUT_MASK);
    bool acp = (hash_type & SIGHASH_INPUT_MASK) == SIGHASH_ANYONECANPAY;

    wbuf_u8(m, 0); /* epoch */
    wbuf_u8(m, hash_type);
    wbuf_i32(m, tx->version);
    wbuf_u32(m, tx->locktime);
    if (!acp) {
        wbuf_bytes(m, d->sha_prevouts, 32);
        wbuf_bytes(m, d->sha_amounts, 32);
        wbuf_bytes(m, d->sha_scriptpubkeys, 32);
        wbuf_bytes(m, d->sha_sequences, 32);
    }
    if (output_type == SIGHASH_ALL)
        wbuf_bytes(m, d->sha_outputs, 32);
    wbuf_u8(m, (uint8_t)(exec->ext_flag * 2 + (exec->have_annex ? 1 : 0)));
    put_input(m, d, in, acp);
    if (exec->have_annex)
        wbuf_bytes(m, exec->annex_hash, 32);
    if (output_type == SIGHASH_SINGLE) {
        uint8_t h[32];
        if (in >= tx->vout_count)
            return false;
        single_output_hash(h, &tx->vout[in]);
        wbuf_bytes(m, h, 32);
    }
    if (exec->ext_flag == 1) {
        wbuf_bytes(m, exec->tapleaf_hash, 32);
        wbuf_u8(m, 0); /* key_version: BIP342's only one */
        wbuf_u32(m, exec->codesep_pos);
    }
    return true;
}

bool sighash_taproot(uint8_t out[32], const struct sighash_txdata *d, size_t in,
                     uint8_t hash_type, const struct sighash_taproot_exec *exec)
{
    if (!d->bip341_ready || !d->spent || in >= d->tx->vin_count || exec->ext_flag > 1 ||
        !valid_hash_type(hash_type))
        return false;
    /* The fixed part is at most 206 bytes; reserve it with room for an
     * ANYONECANPAY scriptPubKey so the common case allocates once. */
    struct wbuf m;
    wbuf_init(&m);
    wbuf_reserve(&m, 256);
    bool ok = sig_msg(&m, d, in, hash_type, exec);
    if (ok)
        hash_tagged(out, &tag_sighash, m.data, m.len);
    wbuf_free(&m);
    return ok;
}
