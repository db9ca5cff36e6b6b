/* err_set: the formatted, malloc'd message of the char **err convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chain/util/err.h"

#include <stdlib.h>
#include <string.h>

static void test_formats_and_returns(void **state)
{
    (void)state;
    char *err = NULL;
    assert_int_equal(err_set(&err, "block %d: %s", 7, "bad"), -1);
    assert_string_equal(err, "block 7: bad");
    free(err);
    /* Longer than any fixed buffer the old helpers used. */
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(err_set(&err, "%s!", big), -1);
    assert_int_equal(strlen(err), sizeof(big));
    assert_int_equal(err[sizeof(big) - 1], '!');
    free(err);
}

static void test_null_err(void **state)
{
    (void)state;
    assert_int_equal(err_set(NULL, "ignored %d", 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_and_returns),
        cmocka_unit_test(test_null_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
