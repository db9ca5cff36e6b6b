/* Bitcoin Core's script, transaction and signature-hash test vectors
 * (tests/data/core, from Core's src/test/data): every case must give
 * Core's result, with Core's error name for script cases. */
#include "chain/validation/validation.h"
#include "chain/primitives/tx.h"
#include "chain/script/interpreter.h"
#include "chain/script/sighash.h"
#include "tests/unit/script_asm.h"
#include "tests/unit/script_testutil.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/chain_testutil.h"

static json_t *load_vectors(const char *name)
{
    const char *src = getenv("HEARSAY_SRCDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/core/%s", src ? src : ".", name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fail_msg("%s: %s (line %d)", path, e.text, e.line);
    assert_true(json_is_array(j));
    return j;
}

/* The case's comment, for failure messages. */
static const char *case_text(json_t *t)
{
    static char buf[2048];
    char *s = json_dumps(t, JSON_COMPACT);
    snprintf(buf, sizeof(buf), "%s", s ? s : "?");
    free(s);
    return buf;
}

/* One script-tests.json case; returns whether it gave the expected error. */
static bool run_script_case(json_t *t)
{
    size_t at = 0, nwit = 0;
    int64_t amount = 0;
    json_t *wit = NULL;
    if (json_is_array(json_array_get(t, 0))) {
        wit = json_array_get(t, 0);
        nwit = json_array_size(wit) - 1;
        amount = llround(json_number_value(json_array_get(wit, nwit)) * 1e8);
        at = 1;
    }
    const char *sig_asm = json_string_value(json_array_get(t, at));
    const char *spk_asm = json_string_value(json_array_get(t, at + 1));
    const char *flag_names = json_string_value(json_array_get(t, at + 2));
    const char *expect = json_string_value(json_array_get(t, at + 3));
    assert_non_null(expect);
    struct wbuf sig, spk;
    wbuf_init(&sig);
    wbuf_init(&spk);
    uint32_t flags;
    if (!script_asm_parse(sig_asm, &sig) || !script_asm_parse(spk_asm, &spk) ||
        !script_asm_flags(flag_names, &flags))
        fail_msg("bad test case: %s", case_text(t));
    struct tx_witem items[64];
    assert_true(nwit <= 64);
    uint8_t *bufs[64];
    for (size_t i = 0; i < nwit; i++) {
        bufs[i] = test_unhex(json_string_value(json_array_get(wit, i)), &items[i].len);
        items[i].data = bufs[i];
    }
    struct script_test_spend sp;
    if (!script_test_build(&sp, sig.data, sig.len, spk.data, spk.len, items, nwit, amount))
        fail_msg("test transaction does not parse: %s", case_text(t));
    enum script_error err = script_test_verify(&sp, flags, NULL, false);
    bool ok = strcmp(script_error_name(err), expect) == 0;
    if (!ok)
        print_error("script case: got %s, want %s: %s\n", script_error_name(err), expect,
                    case_text(t));
    script_test_free(&sp);
    for (size_t i = 0; i < nwit; i++)
        free(bufs[i]);
    wbuf_free(&sig);
    wbuf_free(&spk);
    return ok;
}

static void test_script_tests(void **state)
{
    (void)state;
    json_t *all = load_vectors("script-tests.json");
    size_t total = 0, passed = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        if (json_array_size(t) < 4)
            continue; /* comment row */
        total++;
        passed += run_script_case(t);
    }
    printf("script-tests.json: %zu/%zu passed\n", passed, total);
    json_decref(all);
    assert_int_equal(passed, total);
}

/* The outputs a tx-valid/tx-invalid case spends, in input order. */
struct spent_set {
    struct tx_out *outs;
    struct wbuf *scripts;
    size_t n;
};

static bool spent_lookup(json_t *prevs, const struct outpoint *op, struct wbuf *script,
                         int64_t *amount)
{
    for (size_t i = 0; i < json_array_size(prevs); i++) {
        json_t *p = json_array_get(prevs, i);
        struct hash256 h;
        json_int_t n = json_integer_value(json_array_get(p, 1));
        if (!hash_from_hex(json_string_value(json_array_get(p, 0)), &h) || !hash_eq(&h, &op->hash) ||
            (uint32_t)n != op->n)
            continue;
        *amount = json_array_size(p) > 3 ? json_integer_value(json_array_get(p, 3)) : 0;
        return script_asm_parse(json_string_value(json_array_get(p, 2)), script);
    }
    return false;
}

static void spent_free(struct spent_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        wbuf_free(&s->scripts[i]);
    free(s->scripts);
    free(s->outs);
}

static void spent_init(struct spent_set *s, json_t *t, const struct tx *tx)
{
    s->n = tx->vin_count;
    s->outs = calloc(s->n + 1, sizeof(*s->outs));
    s->scripts = calloc(s->n + 1, sizeof(*s->scripts));
    assert_true(s->outs && s->scripts);
    for (size_t i = 0; i < s->n; i++) {
        wbuf_init(&s->scripts[i]);
        if (!spent_lookup(json_array_get(t, 0), &tx->vin[i].prevout, &s->scripts[i],
                          &s->outs[i].value))
            fail_msg("bad test case (prevout missing): %s", case_text(t));
        s->outs[i].script = s->scripts[i].data;
        s->outs[i].script_len = s->scripts[i].len;
    }
}

/* Whether the transaction passes CheckTransaction and every input's
 * scripts under flags; *why names the first failure. */
static bool tx_case_valid(json_t *t, uint32_t flags, char *why, size_t why_len)
{
    size_t len;
    uint8_t *raw = test_unhex(json_string_value(json_array_get(t, 1)), &len);
    const char *reason = NULL;
    struct tx *tx = tx_from_bytes(raw, len, &reason);
    free(raw);
    if (!tx) {
        snprintf(why, why_len, "does not parse: %s", reason);
        return false;
    }
    bool ok = validation_check_transaction(tx, &reason);
    if (!ok)
        snprintf(why, why_len, "CheckTransaction: %s", reason);
    struct spent_set s = {0};
    if (ok)
        spent_init(&s, t, tx);
    struct sighash_txdata d;
    if (ok)
        sighash_txdata_init(&d, tx, s.outs);
    for (size_t i = 0; ok && i < tx->vin_count; i++) {
        enum script_error err;
        ok = script_verify_input(&d, i, flags, NULL, &err);
        if (!ok)
            snprintf(why, why_len, "input %zu: %s", i, script_error_name(err));
    }
    spent_free(&s);
    tx_free(tx);
    return ok;
}

/* Removing a flag (and what needs it) must never invalidate a valid
 * transaction; adding one must never validate an invalid one: every flag
 * is a soft fork or a policy restriction. Returns the failing variant. */
static bool tx_case_variants(json_t *t, uint32_t flags, bool expect_valid, uint32_t *bad)
{
    char why[256];
    for (uint32_t bit = 1; bit <= SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE; bit <<= 1) {
        uint32_t f;
        if (expect_valid && (flags & bit))
            f = script_test_remove_flag(flags, bit);
        else if (!expect_valid && !(flags & bit))
            f = script_test_fill_flags(flags | bit);
        else
            continue;
        if (tx_case_valid(t, f, why, sizeof(why)) != expect_valid) {
            *bad = f;
            return false;
        }
    }
    return true;
}

static void run_tx_file(const char *name, bool expect_valid)
{
    json_t *all = load_vectors(name);
    size_t total = 0, passed = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        if (!json_is_array(json_array_get(t, 0)))
            continue; /* comment row */
        total++;
        uint32_t flags, bad;
        if (!script_asm_flags(json_string_value(json_array_get(t, 2)), &flags))
            fail_msg("bad flags: %s", case_text(t));
        char why[256] = "all inputs verify";
        bool valid = tx_case_valid(t, flags, why, sizeof(why));
        if (valid != expect_valid)
            print_error("%s case: %s (%s)\n", name, why, case_text(t));
        else if (!tx_case_variants(t, flags, expect_valid, &bad))
            print_error("%s case: flags 0x%x give the other result (%s)\n", name, bad,
                        case_text(t));
        else
            passed++;
    }
    printf("%s: %zu/%zu passed (each also with every flag removed/added)\n", name, passed,
           total);
    json_decref(all);
    assert_int_equal(passed, total);
}

static void test_tx_valid(void **state)
{
    (void)state;
    run_tx_file("tx-valid.json", true);
}

static void test_tx_invalid(void **state)
{
    (void)state;
    run_tx_file("tx-invalid.json", false);
}

static void test_sighash(void **state)
{
    (void)state;
    json_t *all = load_vectors("sighash-tests.json");
    size_t total = 0, passed = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        if (json_array_size(t) != 5)
            continue; /* comment row */
        total++;
        size_t len, code_len;
        uint8_t *raw = test_unhex(json_string_value(json_array_get(t, 0)), &len);
        uint8_t *code = test_unhex(json_string_value(json_array_get(t, 1)), &code_len);
        const char *reason = NULL;
        struct tx *tx = tx_from_bytes(raw, len, &reason);
        if (!tx)
            fail_msg("sighash case does not parse (%s): %s", reason, case_text(t));
        struct hash256 h, want;
        sighash_legacy(h.b, tx, (size_t)json_integer_value(json_array_get(t, 2)), code,
                       code_len, (int32_t)json_integer_value(json_array_get(t, 3)));
        assert_true(hash_from_hex(json_string_value(json_array_get(t, 4)), &want));
        if (hash_eq(&h, &want))
            passed++;
        else
            print_error("sighash case: %s\n", case_text(t));
        tx_free(tx);
        free(raw);
        free(code);
    }
    printf("sighash-tests.json: %zu/%zu passed\n", passed, total);
    json_decref(all);
    assert_int_equal(passed, total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_tests),
        cmocka_unit_test(test_tx_valid),
        cmocka_unit_test(test_tx_invalid),
        cmocka_unit_test(test_sighash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
