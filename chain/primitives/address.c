#include "chain/primitives/address.h"

#include "chain/primitives/hash.h"

#include <pthread.h>
#include <string.h>

#define BECH32_MAX_LEN 90
#define BECH32_CHECKSUM_LEN 6
#define BECH32M_CONST 0x2bc830a3u

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
static const char base58_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

const char *address_error_str(enum address_error e)
{
    switch (e) {
    case ADDRESS_OK:
        return "ok";
    case ADDRESS_ERR_ENCODING:
        return "Invalid or unsupported Segwit (Bech32) or Base58 encoding.";
    case ADDRESS_ERR_BECH32_CHECKSUM:
        return "Invalid Bech32 checksum";
    case ADDRESS_ERR_BASE58_CHECKSUM:
        return "Invalid checksum or length of Base58 address (P2PKH or P2SH)";
    case ADDRESS_ERR_WRONG_NETWORK:
        return "Invalid chain prefix (address of another network)";
    case ADDRESS_ERR_BASE58_LENGTH:
        return "Invalid length for Base58 address (P2PKH or P2SH)";
    case ADDRESS_ERR_WITNESS_VERSION:
        return "Invalid Bech32 address witness version";
    case ADDRESS_ERR_PROGRAM_SIZE:
        return "Invalid Bech32 address program size";
    case ADDRESS_ERR_CHECKSUM_VARIANT:
        return "Version 0 witness address must use Bech32 checksum, version 1+ Bech32m";
    case ADDRESS_ERR_PADDING:
        return "Invalid padding in Bech32 data section";
    }
    return "unknown address error";
}

/* ---- bech32 ---- */

static uint32_t bech32_polymod_step(uint32_t pre)
{
    uint8_t b = (uint8_t)(pre >> 25);
    return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2u) ^
           (-((b >> 1) & 1) & 0x26508e6du) ^ (-((b >> 2) & 1) & 0x1ea119fau) ^
           (-((b >> 3) & 1) & 0x3d4233ddu) ^ (-((b >> 4) & 1) & 0x2a1462b3u);
}

/* The checksum polymod over the expanded hrp and the data values. */
static uint32_t bech32_polymod(const char *hrp, size_t hrp_len, const uint8_t *data, size_t n)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = bech32_polymod_step(chk) ^ ((uint8_t)hrp[i] >> 5);
    chk = bech32_polymod_step(chk);
    for (size_t i = 0; i < hrp_len; i++)
        chk = bech32_polymod_step(chk) ^ ((uint8_t)hrp[i] & 0x1f);
    for (size_t i = 0; i < n; i++)
        chk = bech32_polymod_step(chk) ^ data[i];
    return chk;
}

static int bech32_char_value(char c)
{
    const char *p = c ? strchr(bech32_charset, c) : NULL;
    return p ? (int)(p - bech32_charset) : -1;
}

enum bech32_encoding bech32_decode(const char *str, char *hrp, uint8_t *data, size_t *data_len,
                                   bool *checksum_bad)
{
    *checksum_bad = false;
    size_t len = strnlen(str, BECH32_MAX_LEN + 1);
    if (len > BECH32_MAX_LEN)
        return BECH32_INVALID;
    bool lower = false, upper = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (c < 33 || c > 126)
            return BECH32_INVALID;
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper)
        return BECH32_INVALID;
    const char *sep = strrchr(str, '1');
    if (!sep || sep == str || (size_t)(str + len - sep - 1) < BECH32_CHECKSUM_LEN)
        return BECH32_INVALID;
    size_t hrp_len = (size_t)(sep - str);
    for (size_t i = 0; i < hrp_len; i++) {
        char c = str[i];
        hrp[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    hrp[hrp_len] = '\0';
    size_t n = len - hrp_len - 1;
    for (size_t i = 0; i < n; i++) {
        char c = sep[1 + i];
        c = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        int v = bech32_char_value(c);
        if (v < 0)
            return BECH32_INVALID;
        data[i] = (uint8_t)v;
    }
    uint32_t chk = bech32_polymod(hrp, hrp_len, data, n);
    *data_len = n - BECH32_CHECKSUM_LEN;
    if (chk == 1)
        return BECH32_BECH32;
    if (chk == BECH32M_CONST)
        return BECH32_BECH32M;
    *checksum_bad = true;
    return BECH32_INVALID;
}

/* GF(1024) as GF(32)[e]/(e^2 + 9e + 23), GF(32) as GF(2)[x]/(x^5 + x^3 + 1):
 * the field of the BCH code behind bech32, whose generator has roots
 * e^997, e^998 and e^999. Tables of e^k and the discrete log, built once. */
static int16_t gf1024_exp[1023], gf1024_log[1024];
static uint32_t syndrome_consts[25];

static void gf_tables_build(void)
{
    int8_t exp32[31], log32[32];
    int v = 1;
    exp32[0] = 1;
    log32[0] = -1;
    log32[1] = 0;
    for (int i = 1; i < 31; i++) {
        v <<= 1;
        if (v & 32)
            v ^= 41;
        exp32[i] = (int8_t)v;
        log32[v] = (int8_t)i;
    }
    gf1024_exp[0] = 1;
    gf1024_log[0] = -1;
    gf1024_log[1] = 0;
    v = 1;
    for (int i = 1; i < 1023; i++) {
        /* e * (v1 e + v0) = (9 v1 + v0) e + 23 v1 */
        int v0 = v & 31, v1 = v >> 5;
        int n0 = v1 ? exp32[(log32[v1] + log32[23]) % 31] : 0;
        int n1 = (v1 ? exp32[(log32[v1] + log32[9]) % 31] : 0) ^ v0;
        v = n1 << 5 | n0;
        gf1024_exp[i] = (int16_t)v;
        gf1024_log[v] = (int16_t)i;
    }
    /* Bit `shift` of the residue's coefficient of x^k contributes
     * 2^shift * e^(j*k) to the syndrome s_j, for j = 997, 998, 999. */
    for (int k = 1; k < 6; k++)
        for (int shift = 0; shift < 5; shift++) {
            int b = gf1024_log[1 << shift];
            uint32_t c0 = (uint32_t)gf1024_exp[(997 * k + b) % 1023];
            uint32_t c1 = (uint32_t)gf1024_exp[(998 * k + b) % 1023];
            uint32_t c2 = (uint32_t)gf1024_exp[(999 * k + b) % 1023];
            syndrome_consts[5 * (k - 1) + shift] = c2 << 20 | c1 << 10 | c0;
        }
}

static uint32_t syndrome(uint32_t residue)
{
    uint32_t low = residue & 0x1f, r = low ^ (low << 10) ^ (low << 20);
    for (int i = 0; i < 25; i++)
        if ((residue >> (5 + i)) & 1)
            r ^= syndrome_consts[i];
    return r;
}

static int gf_exp_or_zero(int s, int log_add)
{
    return s == 0 ? 0 : gf1024_exp[(gf1024_log[s] + log_add) % 1023];
}

/* Positions (from the end of the data part) of one or two substitution
 * errors that explain the residue; the count found (0 when none). */
static size_t locate(uint32_t residue, size_t length, size_t pos[2])
{
    uint32_t syn = syndrome(residue);
    int s0 = syn & 1023, s1 = (syn >> 10) & 1023, s2 = (int)(syn >> 20);
    int l0 = gf1024_log[s0], l1 = gf1024_log[s1], l2 = gf1024_log[s2];
    if (l0 != -1 && l1 != -1 && l2 != -1 && (2 * l1 - l2 - l0 + 2046) % 1023 == 0) {
        size_t p1 = (size_t)((l1 - l0 + 1023) % 1023);
        int le1 = l0 + (1023 - 997) * (int)p1;
        if (p1 >= length || le1 % 33)
            return 0;
        pos[0] = p1;
        return 1;
    }
    for (size_t p1 = 0; p1 < length; p1++) {
        int a = s2 ^ gf_exp_or_zero(s1, (int)p1), b = s1 ^ gf_exp_or_zero(s0, (int)p1);
        if (a == 0 || b == 0)
            continue;
        size_t p2 = (size_t)((gf1024_log[a] - gf1024_log[b] + 1023) % 1023);
        if (p2 >= length || p1 == p2)
            continue;
        int c = s1 ^ gf_exp_or_zero(s0, (int)p2);
        if (c == 0)
            continue;
        int inv = 1023 - gf1024_log[gf1024_exp[p1] ^ gf1024_exp[p2]];
        if ((gf1024_log[b] + inv + (1023 - 997) * (int)p2) % 33 ||
            (gf1024_log[c] + inv + (1023 - 997) * (int)p1) % 33)
            continue;
        pos[0] = p1 > p2 ? p1 : p2;
        pos[1] = p1 > p2 ? p2 : p1;
        return 2;
    }
    return 0;
}

/* Characters outside 33..126, and letters of the case not used first. */
static size_t bad_characters(const char *str, size_t len, int *locs)
{
    bool lower = false, upper = false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        bool lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z';
        if ((lo && upper) || (up && lower) || (!lo && !up && (c < 33 || c > 126)))
            locs[n++] = (int)i;
        lower |= lo && !upper;
        upper |= up && !lower;
    }
    return n;
}

const char *bech32_locate_errors(const char *str, int *locs, size_t *n_locs)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gf_tables_build);
    size_t len = strlen(str);
    *n_locs = 0;
    if (len > BECH32_MAX_LEN) {
        for (size_t i = BECH32_MAX_LEN; i < len; i++)
            locs[(*n_locs)++] = (int)i;
        return "Bech32 string too long";
    }
    if ((*n_locs = bad_characters(str, len, locs)) > 0)
        return "Invalid character or mixed case";
    const char *sep = strrchr(str, '1');
    if (!sep)
        return "Missing separator";
    size_t pos = (size_t)(sep - str);
    if (pos == 0 || pos + BECH32_CHECKSUM_LEN >= len) {
        locs[(*n_locs)++] = (int)pos;
        return "Invalid separator position";
    }
    char hrp[BECH32_MAX_LEN + 1];
    uint8_t vals[BECH32_MAX_LEN];
    for (size_t i = 0; i < pos; i++)
        hrp[i] = (str[i] >= 'A' && str[i] <= 'Z') ? (char)(str[i] - 'A' + 'a') : str[i];
    size_t length = len - 1 - pos;
    for (size_t i = 0; i < length; i++) {
        char c = str[pos + 1 + i];
        int v = bech32_char_value((c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
        if (v < 0) {
            locs[(*n_locs)++] = (int)(pos + 1 + i);
            return "Invalid Base 32 character";
        }
        vals[i] = (uint8_t)v;
    }
    uint32_t check = bech32_polymod(hrp, pos, vals, length);
    /* Try both checksums; keep the one that explains the errors with
     * fewer changes. */
    const char *msg = "Invalid checksum";
    static const uint32_t consts[2] = { 1, BECH32M_CONST };
    static const char *const names[2] = { "Invalid Bech32 checksum", "Invalid Bech32m checksum" };
    for (int e = 0; e < 2; e++) {
        if ((check ^ consts[e]) == 0) {
            *n_locs = 0;
            return NULL;
        }
        size_t p[2], found = locate(check ^ consts[e], length, p);
        if (found && (*n_locs == 0 || found < *n_locs)) {
            for (size_t i = 0; i < found; i++)
                locs[i] = (int)(len - p[i] - 1);
            *n_locs = found;
            msg = names[e];
        }
    }
    return msg;
}

int bech32_encode(enum bech32_encoding enc, const char *hrp, const uint8_t *data, size_t data_len,
                  char *out)
{
    size_t hrp_len = strlen(hrp);
    if (hrp_len == 0 || hrp_len + 1 + data_len + BECH32_CHECKSUM_LEN > BECH32_MAX_LEN)
        return -1;
    uint8_t vals[BECH32_MAX_LEN];
    memcpy(vals, data, data_len);
    memset(vals + data_len, 0, BECH32_CHECKSUM_LEN);
    uint32_t target = enc == BECH32_BECH32M ? BECH32M_CONST : 1;
    uint32_t mod = bech32_polymod(hrp, hrp_len, vals, data_len + BECH32_CHECKSUM_LEN) ^ target;
    for (size_t i = 0; i < BECH32_CHECKSUM_LEN; i++)
        vals[data_len + i] = (uint8_t)((mod >> (5 * (5 - i))) & 31);
    memcpy(out, hrp, hrp_len);
    out[hrp_len] = '1';
    for (size_t i = 0; i < data_len + BECH32_CHECKSUM_LEN; i++)
        out[hrp_len + 1 + i] = bech32_charset[vals[i] & 31];
    out[hrp_len + 1 + data_len + BECH32_CHECKSUM_LEN] = '\0';
    return 0;
}

/* Regroups bits (8 to 5 with padding, or 5 to 8 without). Returns the
 * output count or -1 when the leftover padding is too long or non-zero. */
static int convert_bits(const uint8_t *in, size_t n, int from, int to, bool pad, uint8_t *out)
{
    uint32_t acc = 0, maxv = (1u << to) - 1;
    int bits = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << from) | in[i];
        bits += from;
        while (bits >= to) {
            bits -= to;
            out[k++] = (uint8_t)((acc >> bits) & maxv);
        }
    }
    if (pad) {
        if (bits)
            out[k++] = (uint8_t)((acc << (to - bits)) & maxv);
    } else if (bits >= from || ((acc << (to - bits)) & maxv)) {
        return -1;
    }
    return k;
}

/* ---- base58 ---- */

int base58_decode(const char *str, uint8_t *out, size_t max)
{
    size_t len = strnlen(str, BASE58_MAX_TEXT + 1);
    if (len > BASE58_MAX_TEXT)
        return -1;
    size_t zeros = 0;
    while (zeros < len && str[zeros] == '1')
        zeros++;
    /* log(58)/log(256) < 0.733: room for the big number in base 256. */
    uint8_t b256[BASE58_MAX_TEXT];
    size_t size = (len - zeros) * 733 / 1000 + 1, used = 0;
    memset(b256, 0, size);
    for (size_t i = zeros; i < len; i++) {
        const char *p = str[i] ? strchr(base58_alphabet, str[i]) : NULL;
        if (!p)
            return -1;
        uint32_t carry = (uint32_t)(p - base58_alphabet);
        size_t j = 0;
        for (; j < size && (carry || j < used); j++) {
            carry += 58u * b256[size - 1 - j];
            b256[size - 1 - j] = (uint8_t)carry;
            carry >>= 8;
        }
        used = j;
    }
    if (zeros + used > max)
        return -1;
    memset(out, 0, zeros);
    memcpy(out + zeros, b256 + size - used, used);
    return (int)(zeros + used);
}

void base58_encode(const uint8_t *data, size_t len, char *out)
{
    if (len > BASE58_MAX_DATA)
        len = BASE58_MAX_DATA;
    size_t zeros = 0;
    while (zeros < len && data[zeros] == 0)
        zeros++;
    /* log(256)/log(58) < 1.38 */
    uint8_t b58[BASE58_MAX_DATA * 138 / 100 + 1];
    size_t size = (len - zeros) * 138 / 100 + 1, used = 0;
    memset(b58, 0, size);
    for (size_t i = zeros; i < len; i++) {
        uint32_t carry = data[i];
        size_t j = 0;
        for (; j < size && (carry || j < used); j++) {
            carry += 256u * b58[size - 1 - j];
            b58[size - 1 - j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        used = j;
    }
    size_t k = 0;
    for (; k < zeros; k++)
        out[k] = '1';
    for (size_t i = size - used; i < size; i++)
        out[k++] = base58_alphabet[b58[i]];
    out[k] = '\0';
}

int base58check_decode(const char *str, uint8_t *out, size_t max)
{
    uint8_t buf[BASE58_MAX_TEXT];
    int n = base58_decode(str, buf, sizeof(buf));
    if (n < 4 || (size_t)n - 4 > max)
        return -1;
    struct hash256 h;
    hash_sha256d(buf, (size_t)n - 4, &h);
    if (memcmp(h.b, buf + n - 4, 4) != 0)
        return -2;
    memcpy(out, buf, (size_t)n - 4);
    return n - 4;
}

void base58check_encode(const uint8_t *payload, size_t len, char *out)
{
    uint8_t buf[BASE58_MAX_DATA];
    if (len > BASE58_MAX_DATA - 4)
        len = BASE58_MAX_DATA - 4;
    memcpy(buf, payload, len);
    struct hash256 h;
    hash_sha256d(payload, len, &h);
    memcpy(buf + len, h.b, 4);
    base58_encode(buf, len + 4, out);
}

/* ---- scripts ---- */

#define OP_0 0x00
#define OP_1 0x51
#define OP_16 0x60
#define OP_DUP 0x76
#define OP_HASH160 0xa9
#define OP_EQUAL 0x87
#define OP_EQUALVERIFY 0x88
#define OP_CHECKSIG 0xac

/* Witness version and program of a witness-program script, or -1. */
static int witness_program(const uint8_t *s, size_t len, const uint8_t **prog, size_t *prog_len)
{
    if (len < 4 || len > 42 || (size_t)s[1] + 2 != len)
        return -1;
    if (s[0] != OP_0 && (s[0] < OP_1 || s[0] > OP_16))
        return -1;
    *prog = s + 2;
    *prog_len = len - 2;
    return s[0] == OP_0 ? 0 : s[0] - OP_1 + 1;
}

enum address_type address_script_type(const uint8_t *s, size_t len)
{
    if (len == 25 && s[0] == OP_DUP && s[1] == OP_HASH160 && s[2] == 20 &&
        s[23] == OP_EQUALVERIFY && s[24] == OP_CHECKSIG)
        return ADDRESS_P2PKH;
    if (len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL)
        return ADDRESS_P2SH;
    const uint8_t *prog;
    size_t plen;
    int v = witness_program(s, len, &prog, &plen);
    if (v == 0)
        return plen == 20 ? ADDRESS_P2WPKH : plen == 32 ? ADDRESS_P2WSH : ADDRESS_NONE;
    if (v == 1 && plen == 32)
        return ADDRESS_P2TR;
    return v > 0 ? ADDRESS_WITNESS_UNKNOWN : ADDRESS_NONE;
}

int address_encode(const struct chain_params *p, const uint8_t *s, size_t len, char *out)
{
    enum address_type t = address_script_type(s, len);
    uint8_t payload[21];
    switch (t) {
    case ADDRESS_NONE:
        return -1;
    case ADDRESS_P2PKH:
    case ADDRESS_P2SH:
        payload[0] = t == ADDRESS_P2PKH ? p->base58_pubkey : p->base58_script;
        memcpy(payload + 1, t == ADDRESS_P2PKH ? s + 3 : s + 2, 20);
        base58check_encode(payload, sizeof(payload), out);
        return 0;
    default:
        break;
    }
    const uint8_t *prog = NULL;
    size_t plen = 0;
    int v = witness_program(s, len, &prog, &plen);
    uint8_t data[1 + 64];
    data[0] = (uint8_t)v;
    int n = convert_bits(prog, plen, 8, 5, true, data + 1);
    return bech32_encode(v == 0 ? BECH32_BECH32 : BECH32_BECH32M, p->bech32_hrp, data,
                         (size_t)n + 1, out);
}

static enum address_error decode_segwit(const uint8_t *data, size_t n, enum bech32_encoding enc,
                                        uint8_t *script, size_t *script_len)
{
    if (n < 1 || data[0] > 16)
        return ADDRESS_ERR_WITNESS_VERSION;
    int v = data[0];
    uint8_t prog[64];
    int plen = convert_bits(data + 1, n - 1, 5, 8, false, prog);
    if (plen < 0)
        return ADDRESS_ERR_PADDING;
    if (plen < 2 || plen > 40 || (v == 0 && plen != 20 && plen != 32))
        return ADDRESS_ERR_PROGRAM_SIZE;
    if ((v == 0) != (enc == BECH32_BECH32))
        return ADDRESS_ERR_CHECKSUM_VARIANT;
    script[0] = v == 0 ? OP_0 : (uint8_t)(OP_1 + v - 1);
    script[1] = (uint8_t)plen;
    memcpy(script + 2, prog, (size_t)plen);
    *script_len = (size_t)plen + 2;
    return ADDRESS_OK;
}

static enum address_error decode_base58(const struct chain_params *p, const char *addr,
                                        uint8_t *script, size_t *script_len)
{
    uint8_t payload[64];
    int n = base58check_decode(addr, payload, sizeof(payload));
    if (n == -2)
        return ADDRESS_ERR_BASE58_CHECKSUM;
    if (n < 0)
        return ADDRESS_ERR_ENCODING;
    if (n != 21)
        return ADDRESS_ERR_BASE58_LENGTH;
    if (payload[0] == p->base58_pubkey) {
        static const uint8_t pre[] = {OP_DUP, OP_HASH160, 20};
        memcpy(script, pre, 3);
        memcpy(script + 3, payload + 1, 20);
        script[23] = OP_EQUALVERIFY;
        script[24] = OP_CHECKSIG;
        *script_len = 25;
    } else if (payload[0] == p->base58_script) {
        script[0] = OP_HASH160;
        script[1] = 20;
        memcpy(script + 2, payload + 1, 20);
        script[22] = OP_EQUAL;
        *script_len = 23;
    } else {
        return ADDRESS_ERR_WRONG_NETWORK;
    }
    return ADDRESS_OK;
}

/* Whether addr starts with hrp followed by '1', in either case. */
static bool has_hrp(const char *addr, const char *hrp)
{
    size_t n = strlen(hrp);
    for (size_t i = 0; i < n; i++) {
        char c = addr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != hrp[i])
            return false;
    }
    return addr[n] == '1';
}

enum address_error address_decode(const struct chain_params *p, const char *addr,
                                  uint8_t *script, size_t *script_len,
                                  enum address_type *type)
{
    char hrp[BECH32_MAX_LEN];
    uint8_t data[BECH32_MAX_LEN];
    size_t n = 0;
    bool bad_sum;
    enum address_error e;
    if (has_hrp(addr, p->bech32_hrp)) {
        enum bech32_encoding enc = bech32_decode(addr, hrp, data, &n, &bad_sum);
        if (enc == BECH32_INVALID)
            return bad_sum ? ADDRESS_ERR_BECH32_CHECKSUM : ADDRESS_ERR_ENCODING;
        e = decode_segwit(data, n, enc, script, script_len);
    } else if (bech32_decode(addr, hrp, data, &n, &bad_sum) != BECH32_INVALID) {
        /* A sound bech32 string with another hrp: say so rather than
         * "bad encoding". */
        return ADDRESS_ERR_WRONG_NETWORK;
    } else {
        e = decode_base58(p, addr, script, script_len);
    }
    if (e == ADDRESS_OK && type)
        *type = address_script_type(script, *script_len);
    return e;
}
