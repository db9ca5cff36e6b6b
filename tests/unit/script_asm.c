/* Core's ParseScript and flag names, for the script test vectors. */
#include "tests/unit/script_asm.h"
#include "chain/script/interpreter.h"
#include "chain/util/hex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_number(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool parse_word(const char *word, struct wbuf *w)
{
    size_t len = strlen(word);
    if (is_number(word)) {
        errno = 0;
        long long n = strtoll(word, NULL, 10);
        if (errno) /* the vectors use numbers beyond 32 bits: no other limit */
            return false;
        if (n == 0)
            wbuf_u8(w, OP_0);
        else if (n == -1 || (n >= 1 && n <= 16))
            wbuf_u8(w, (uint8_t)(OP_1 + n - 1));
        else {
            uint8_t b[9];
            size_t bl = scriptnum_encode(n, b);
            script_append_push(w, b, bl);
        }
        return true;
    }
    if (len > 2 && word[0] == '0' && word[1] == 'x') {
        uint8_t *raw;
        ssize_t n = hex_decode_alloc(word + 2, &raw);
        if (n < 0)
            return false;
        wbuf_bytes(w, raw, (size_t)n);
        free(raw);
        return true;
    }
    if (len >= 2 && word[0] == '\'' && word[len - 1] == '\'') {
        script_append_push(w, (const uint8_t *)word + 1, len - 2);
        return true;
    }
    for (int op = 0; op < 256; op++) {
        const char *name = script_opcode_name((uint8_t)op);
        if (!name || strncmp(name, "OP_", 3) != 0 || op == OP_INVALIDOPCODE)
            continue;
        if (strcmp(word, name) == 0 || strcmp(word, name + 3) == 0) {
            wbuf_u8(w, (uint8_t)op);
            return true;
        }
    }
    return false;
}

bool script_asm_parse(const char *text, struct wbuf *w)
{
    char *copy = strdup(text), *save = NULL;
    bool ok = copy != NULL;
    for (char *word = ok ? strtok_r(copy, " \t\n", &save) : NULL; ok && word;
         word = strtok_r(NULL, " \t\n", &save))
        ok = parse_word(word, w);
    free(copy);
    return ok;
}

static const struct {
    const char *name;
    uint32_t bit;
} flag_names[] = {
    {"NONE", SCRIPT_VERIFY_NONE},
    {"P2SH", SCRIPT_VERIFY_P2SH},
    {"STRICTENC", SCRIPT_VERIFY_STRICTENC},
    {"DERSIG", SCRIPT_VERIFY_DERSIG},
    {"LOW_S", SCRIPT_VERIFY_LOW_S},
    {"NULLDUMMY", SCRIPT_VERIFY_NULLDUMMY},
    {"SIGPUSHONLY", SCRIPT_VERIFY_SIGPUSHONLY},
    {"MINIMALDATA", SCRIPT_VERIFY_MINIMALDATA},
    {"DISCOURAGE_UPGRADABLE_NOPS", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS},
    {"CLEANSTACK", SCRIPT_VERIFY_CLEANSTACK},
    {"CHECKLOCKTIMEVERIFY", SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY},
    {"CHECKSEQUENCEVERIFY", SCRIPT_VERIFY_CHECKSEQUENCEVERIFY},
    {"WITNESS", SCRIPT_VERIFY_WITNESS},
    {"DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM},
    {"MINIMALIF", SCRIPT_VERIFY_MINIMALIF},
    {"NULLFAIL", SCRIPT_VERIFY_NULLFAIL},
    {"WITNESS_PUBKEYTYPE", SCRIPT_VERIFY_WITNESS_PUBKEYTYPE},
    {"CONST_SCRIPTCODE", SCRIPT_VERIFY_CONST_SCRIPTCODE},
    {"TAPROOT", SCRIPT_VERIFY_TAPROOT},
    {"DISCOURAGE_UPGRADABLE_TAPROOT_VERSION", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION},
    {"DISCOURAGE_OP_SUCCESS", SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS},
    {"DISCOURAGE_UPGRADABLE_PUBKEYTYPE", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE},
};

bool script_asm_flags(const char *names, uint32_t *flags)
{
    char *copy = strdup(names), *save = NULL;
    bool ok = copy != NULL;
    *flags = 0;
    for (char *n = ok ? strtok_r(copy, ",", &save) : NULL; ok && n; n = strtok_r(NULL, ",", &save)) {
        ok = false;
        for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
            if (strcmp(n, flag_names[i].name) == 0) {
                *flags |= flag_names[i].bit;
                ok = true;
            }
        }
    }
    free(copy);
    return ok;
}
