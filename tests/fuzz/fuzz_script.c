/* Fuzz harness: the script interpreter. The input picks a flag set and a
 * spend type (bare script, P2SH, P2WSH, P2SH-P2WSH, taproot script path
 * with a real commitment, raw witness program) and supplies the scripts
 * and witness items. Verification must never crash or leak, its error
 * must agree with its result, and a spend valid under some flags must
 * stay valid with any flag removed (every flag only restricts).
 *
 * Layout: flags (4 bytes LE), mode, leaf version, then chunks of a 2-byte
 * LE length and bytes: scriptSig, script, witness items. */
#include "chain/primitives/tx.h"
#include "chain/script/interpreter.h"
#include "chain/script/pubkey.h"
#include "chain/script/taproot.h"
#include "tests/unit/script_asm.h"
#include "tests/unit/script_testutil.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define MAX_ITEMS 64
#define ALL_FLAGS ((SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE << 1) - 1)

struct chunk {
    const uint8_t *p;
    size_t len;
};

struct spend {
    struct wbuf sig, spk;
    struct chunk wit[MAX_ITEMS + 2];
    size_t nwit;
    uint8_t extra[2][TAPROOT_CONTROL_BASE_SIZE + 40]; /* built items (control block) */
};

static const uint8_t internal_key[32] = { /* the generator's x: a valid key */
    0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
    0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};

static void build_scripts(struct spend *s, int mode, uint8_t leaf, struct chunk sig,
                          struct chunk script)
{
    uint8_t h[32];
    wbuf_bytes(&s->sig, sig.p, sig.len);
    switch (mode) {
    case 0: /* bare */
        wbuf_bytes(&s->spk, script.p, script.len);
        break;
    case 1: /* P2SH */
        hash_hash160(script.p, script.len, h);
        wbuf_bytes(&s->spk, (const uint8_t[]){OP_HASH160, 20}, 2);
        wbuf_bytes(&s->spk, h, 20);
        wbuf_u8(&s->spk, OP_EQUAL);
        script_append_push(&s->sig, script.p, script.len);
        break;
    case 2: /* P2WSH */
    case 3: { /* P2SH-P2WSH */
        uint8_t prog[34] = {OP_0, 32};
        hash_sha256(script.p, script.len, prog + 2);
        s->wit[s->nwit++] = script;
        if (mode == 2) {
            wbuf_bytes(&s->spk, prog, 34);
            break;
        }
        hash_hash160(prog, 34, h);
        wbuf_bytes(&s->spk, (const uint8_t[]){OP_HASH160, 20}, 2);
        wbuf_bytes(&s->spk, h, 20);
        wbuf_u8(&s->spk, OP_EQUAL);
        script_append_push(&s->sig, prog, 34);
        break;
    }
    case 4: { /* taproot script path, one leaf */
        uint8_t out[32];
        int parity;
        taproot_leaf_hash(h, leaf, script.p, script.len);
        CHECK(pubkey_taproot_output(out, &parity, internal_key, h));
        s->extra[0][0] = (uint8_t)(leaf | parity);
        memcpy(s->extra[0] + 1, internal_key, 32);
        s->wit[s->nwit++] = script;
        s->wit[s->nwit++] = (struct chunk){s->extra[0], TAPROOT_CONTROL_BASE_SIZE};
        wbuf_bytes(&s->spk, (const uint8_t[]){OP_1, 32}, 2);
        wbuf_bytes(&s->spk, out, 32);
        break;
    }
    default: /* any output script, e.g. a witness program of any version */
        wbuf_bytes(&s->spk, script.p, script.len);
    }
}

static struct tx *make_tx(const struct wbuf *body_in, const struct wbuf *spk, int64_t amount,
                          const struct spend *s, bool credit)
{
    struct wbuf w;
    wbuf_init(&w);
    wbuf_i32(&w, credit ? 1 : 2);
    bool wit = !credit && s->nwit > 0;
    if (wit)
        wbuf_bytes(&w, (const uint8_t[]){0, 1}, 2);
    wbuf_compact(&w, 1);
    wbuf_bytes(&w, body_in->data, 36);
    if (credit)
        wbuf_varbytes(&w, (const uint8_t[]){OP_0, OP_0}, 2);
    else
        wbuf_varbytes(&w, s->sig.data, s->sig.len);
    wbuf_u32(&w, credit ? 0xffffffffu : 0xfffffffeu);
    wbuf_compact(&w, 1);
    wbuf_i64(&w, amount);
    wbuf_varbytes(&w, spk->data, spk->len);
    if (wit) {
        wbuf_compact(&w, s->nwit);
        for (size_t i = 0; i < s->nwit; i++)
            wbuf_varbytes(&w, s->wit[i].p, s->wit[i].len);
    }
    wbuf_u32(&w, 0);
    struct tx *tx = tx_from_bytes(w.data, w.len, NULL);
    wbuf_free(&w);
    return tx;
}

static bool read_chunk(const uint8_t **p, const uint8_t *end, struct chunk *c)
{
    if (end - *p < 2)
        return false;
    size_t len = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
    *p += 2;
    if ((size_t)(end - *p) < len)
        len = (size_t)(end - *p);
    c->p = *p;
    c->len = len;
    *p += len;
    return true;
}

static bool verify(const struct tx *spend, const struct tx *credit, uint32_t flags)
{
    struct sighash_txdata d;
    sighash_txdata_init(&d, spend, credit->vout);
    enum script_error err = SCRIPT_ERR_ERROR_COUNT;
    bool ok = script_verify_input(&d, 0, flags, NULL, &err);
    CHECK(ok == (err == SCRIPT_ERR_OK));
    CHECK(script_error_name(err) && script_error_string(err));
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    const uint8_t *p = data + 6, *end = data + size;
    uint32_t flags = script_test_fill_flags((data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24) &
                                ALL_FLAGS);
    int mode = data[4] % 6;
    uint8_t leaf = data[5] & TAPROOT_LEAF_MASK;
    struct chunk sig = {p, 0}, script = {p, 0};
    struct spend s = {.nwit = 0};
    read_chunk(&p, end, &sig);
    read_chunk(&p, end, &script);
    struct chunk items[MAX_ITEMS];
    size_t nitems = 0;
    while (nitems < MAX_ITEMS && read_chunk(&p, end, &items[nitems]))
        nitems++;
    for (size_t i = 0; i < nitems; i++)
        s.wit[s.nwit++] = items[i];
    wbuf_init(&s.sig);
    wbuf_init(&s.spk);
    build_scripts(&s, mode, leaf, sig, script);
    struct wbuf in;
    wbuf_init(&in);
    uint8_t null_in[36];
    memset(null_in, 0, 32);
    memset(null_in + 32, 0xff, 4);
    wbuf_bytes(&in, null_in, 36);
    struct tx *credit = make_tx(&in, &s.spk, 50000, &s, true);
    struct tx *spend = NULL;
    if (credit) {
        wbuf_reset(&in);
        wbuf_bytes(&in, credit->txid.b, 32);
        wbuf_u32(&in, 0);
        spend = make_tx(&in, &s.spk, 40000, &s, false);
    }
    if (credit && spend && verify(spend, credit, flags)) {
        for (uint32_t bit = 1; bit <= SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE; bit <<= 1) {
            if (flags & bit)
                CHECK(verify(spend, credit, script_test_remove_flag(flags, bit)));
        }
    }
    tx_free(spend);
    tx_free(credit);
    wbuf_free(&in);
    wbuf_free(&s.sig);
    wbuf_free(&s.spk);
    return 0;
}
