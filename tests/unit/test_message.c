/* chain/script/message against Bitcoin Core's util_tests.cpp
 * (message_verify, mainnet) and strict base64 decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "chain/primitives/params.h"
#include "chain/script/message.h"

#include <string.h>

static enum message_verify_result verify(const char *addr, const char *sig, const char *msg)
{
    return message_verify(params_get(CHAIN_MAIN), addr, sig, msg, strlen(msg));
}

static void test_core_vectors(void **state)
{
    (void)state;
    static const char sig[] =
        "IPojfrX2dfPnH26UegfbGQQLrdK844DlHq5157/P6h57WyuS/Qsl+h/WSVGDF4MUi4rWSswW38oimDYfNNUBUOk=";
    assert_int_equal(verify("invalid address", "signature should be irrelevant", "message too"),
                     MESSAGE_ERR_INVALID_ADDRESS);
    assert_int_equal(verify("3B5fQsEXEaV8v6U3ejYc8XaKXAkyQj2MjV", "signature should be irrelevant",
                            "message too"),
                     MESSAGE_ERR_ADDRESS_NO_KEY);
    assert_int_equal(verify("1KqbBpLy5FARmTPD4VZnDDpYjkUvkr82Pm",
                            "invalid signature, not in base64 encoding",
                            "message should be irrelevant"),
                     MESSAGE_ERR_MALFORMED_SIGNATURE);
    assert_int_equal(verify("1KqbBpLy5FARmTPD4VZnDDpYjkUvkr82Pm",
                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                            "AAAAAAAAAAAAAAAAA",
                            "message should be irrelevant"),
                     MESSAGE_ERR_PUBKEY_NOT_RECOVERED);
    assert_int_equal(verify("15CRxFdyRpGZLW9w8HnHvVduizdL5jKNbs", sig, "I never signed this"),
                     MESSAGE_ERR_NOT_SIGNED);
    assert_int_equal(verify("15CRxFdyRpGZLW9w8HnHvVduizdL5jKNbs", sig, "Trust no one"),
                     MESSAGE_OK);
    assert_int_equal(verify("11canuhp9X2NocwCq7xNrQYTmUgZAnLK3",
                            "IIcaIENoYW5jZWxsb3Igb24gYnJpbmsgb2Ygc2Vjb25kIGJhaWxvdXQgZm9yIGJhbmtzIA"
                            "aHRtbCeDZINyavx14=",
                            "Trust me"),
                     MESSAGE_OK);
}

static void test_base64(void **state)
{
    (void)state;
    uint8_t out[16];
    assert_int_equal(message_base64_decode("", out), 0);
    assert_int_equal(message_base64_decode("Zm9vYmFy", out), 6);
    assert_memory_equal(out, "foobar", 6);
    assert_int_equal(message_base64_decode("Zm9vYg==", out), 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(message_base64_decode("Zm9vYmE=", out), 5);
    assert_int_equal(message_base64_decode("Zm9vYg=", out), -1);   /* length */
    assert_int_equal(message_base64_decode("Zm9v=mFy", out), -1);  /* '=' inside */
    assert_int_equal(message_base64_decode("Zm9vYh==", out), -1);  /* nonzero padding bits */
    assert_int_equal(message_base64_decode("Zm9vY===", out), -1);  /* three '=' */
    assert_int_equal(message_base64_decode("Zm9 YmFy", out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_vectors),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
