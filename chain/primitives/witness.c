#include "chain/primitives/witness.h"

#include "chain/primitives/hash.h"

#include <string.h>

#define OP_0 0x00
#define OP_1 0x51
#define OP_16 0x60
#define OP_HASH160 0xa9
#define OP_EQUAL 0x87
#define MAX_P2WSH_SCRIPT 10000

#define FAILED(what) "mandatory-script-verify-flag-failed (" what ")"

/* A witness program: a version opcode then one direct push of 2..40
 * bytes, and nothing else (BIP141). */
static bool parse_program(const uint8_t *s, size_t len, int *version, const uint8_t **prog,
                          size_t *prog_len)
{
    if (len < 4 || len > 42)
        return false;
    if (s[0] != OP_0 && (s[0] < OP_1 || s[0] > OP_16))
        return false;
    if ((size_t)s[1] + 2 != len)
        return false;
    *version = s[0] == OP_0 ? 0 : s[0] - OP_1 + 1;
    *prog = s + 2;
    *prog_len = s[1];
    return true;
}

static bool is_p2sh(const uint8_t *s, size_t len)
{
    return len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL;
}

static bool fail(const char **reason, const char *why)
{
    *reason = why;
    return false;
}

/* The witness against its program, for the versions whose rules are known. */
static bool check_program(const struct tx_in *in, int version, const uint8_t *prog,
                          size_t prog_len, const char **reason, bool *stripped)
{
    if (in->wit_count == 0 && (version == 0 || (version == 1 && prog_len == 32))) {
        *stripped = true;
        return fail(reason, FAILED("Witness program was passed an empty witness"));
    }
    if (version != 0)
        return true; /* taproot and later: signature rules only */
    if (prog_len == 32) {
        const struct tx_witem *script = &in->wit[in->wit_count - 1];
        uint8_t h[32];
        if (script->len > MAX_P2WSH_SCRIPT)
            return fail(reason, FAILED("Script is too big"));
        hash_sha256(script->data, script->len, h);
        if (memcmp(h, prog, 32) != 0)
            return fail(reason, FAILED("Witness program hash mismatch"));
        return true;
    }
    if (prog_len == 20) {
        uint8_t h[20];
        if (in->wit_count != 2)
            return fail(reason, FAILED("Witness program hash mismatch"));
        hash_hash160(in->wit[1].data, in->wit[1].len, h);
        if (memcmp(h, prog, 20) != 0)
            return fail(reason, FAILED("Witness program hash mismatch"));
        return true;
    }
    return fail(reason, FAILED("Witness program has incorrect length"));
}

bool witness_check_input(const struct tx_in *in, const uint8_t *prev_script, size_t prev_len,
                         const char **reason, bool *stripped)
{
    int version;
    const uint8_t *prog;
    size_t prog_len;
    *stripped = false;
    if (parse_program(prev_script, prev_len, &version, &prog, &prog_len)) {
        if (in->script_len != 0)
            return fail(reason, FAILED("Witness requires empty scriptSig"));
        return check_program(in, version, prog, prog_len, reason, stripped);
    }
    /* P2SH-wrapped: the scriptSig is exactly one push of the program. */
    if (is_p2sh(prev_script, prev_len) && in->script_len >= 5 &&
        (size_t)in->script[0] + 1 == in->script_len &&
        parse_program(in->script + 1, in->script_len - 1, &version, &prog, &prog_len))
        return check_program(in, version, prog, prog_len, reason, stripped);
    if (in->wit_count != 0)
        return fail(reason, FAILED("Witness provided for non-witness script"));
    return true;
}

bool witness_check_tx(const struct tx *tx, const uint8_t *const *prev_script,
                      const size_t *prev_len, const char **reason, bool *stripped)
{
    *stripped = false;
    if (tx_is_coinbase(tx))
        return true;
    for (size_t i = 0; i < tx->vin_count; i++)
        if (!witness_check_input(&tx->vin[i], prev_script[i], prev_len[i], reason, stripped))
            return false;
    return true;
}
