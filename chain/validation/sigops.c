#include "chain/validation/sigops.h"

#include "chain/script/interpreter.h"
#include "chain/script/script.h"

unsigned sigops_count(const uint8_t *s, size_t len, bool accurate)
{
    unsigned n = 0;
    uint8_t last = OP_INVALIDOPCODE;
    const uint8_t *pc = s, *end = s + len;
    struct script_op op;
    while (script_get_op(&pc, end, &op)) {
        if (op.opcode == OP_CHECKSIG || op.opcode == OP_CHECKSIGVERIFY)
            n++;
        else if (op.opcode == OP_CHECKMULTISIG || op.opcode == OP_CHECKMULTISIGVERIFY)
            n += accurate && last >= OP_1 && last <= OP_16 ? (unsigned)(last - OP_1 + 1)
                                                             : SCRIPT_MAX_PUBKEYS_PER_MULTISIG;
        last = op.opcode;
    }
    return n;
}

const uint8_t *sigops_redeem_script(const uint8_t *s, size_t len, size_t *out_len)
{
    const uint8_t *item = NULL, *pc = s, *end = s + len;
    struct script_op op;
    while (pc < end) {
        if (!script_get_op(&pc, end, &op) || op.opcode > OP_16)
            return NULL;
        /* OP_1..OP_16 carry no push data: as in Core, an empty script. */
        item = op.data ? op.data : pc;
        *out_len = op.len;
    }
    return item;
}

/* Core's WitnessSigOps: version 0 only; taproot and unknown versions count
 * nothing. */
static unsigned witness_sigops(const uint8_t *s, size_t len, const struct tx_in *in)
{
    int version;
    const uint8_t *prog;
    size_t plen;
    if (!script_is_witness_program(s, len, &version, &prog, &plen) || version != 0)
        return 0;
    if (plen == 20)
        return 1;
    if (plen == 32 && in->wit_count > 0) {
        const struct tx_witem *ws = &in->wit[in->wit_count - 1];
        return sigops_count(ws->data, ws->len, true);
    }
    return 0;
}

unsigned sigops_legacy(const struct tx *tx)
{
    unsigned n = 0;
    for (size_t i = 0; i < tx->vin_count; i++)
        n += sigops_count(tx->vin[i].script, tx->vin[i].script_len, false);
    for (size_t i = 0; i < tx->vout_count; i++)
        n += sigops_count(tx->vout[i].script, tx->vout[i].script_len, false);
    return n;
}

unsigned sigops_tx_cost(const struct tx *tx, const struct tx_out *spent, uint32_t flags)
{
    unsigned cost = sigops_legacy(tx) * TX_WITNESS_SCALE;
    if (tx_is_coinbase(tx))
        return cost;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        const uint8_t *ps = spent[i].script;
        size_t plen = spent[i].script_len, rlen = 0;
        const uint8_t *redeem = script_is_p2sh(ps, plen)
                                    ? sigops_redeem_script(in->script, in->script_len, &rlen)
                                    : NULL;
        if ((flags & SCRIPT_VERIFY_P2SH) && redeem)
            cost += sigops_count(redeem, rlen, true) * TX_WITNESS_SCALE;
        if (!(flags & SCRIPT_VERIFY_WITNESS))
            continue;
        if (redeem)
            cost += witness_sigops(redeem, rlen, in); /* P2SH-wrapped segwit */
        else
            cost += witness_sigops(ps, plen, in);
    }
    return cost;
}
