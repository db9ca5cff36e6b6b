/* Fuzzes what the RPC server does with a request body (the envelope,
 * batches, named parameters, type checks, control methods), hearsay-cli's
 * result layout and the Authorization header check. Every reply must be
 * JSON with a known HTTP status; never a crash. */
#include "node/cli/cli_format.h"
#include "node/rpc/rpc.h"
#include "node/rpc/rpc_auth.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct rpc_table *table;
static struct rpc_auth *auth;

static void setup(void)
{
    struct rpc_control_info info = { 0, "/dev/null", NULL, NULL };
    table = rpc_table_new();
    auth = rpc_auth_new();
    if (rpc_control_register(table, &info, NULL) < 0 ||
        rpc_auth_add_password(auth, "u", "p", NULL) < 0 ||
        rpc_auth_add_rpcauth(auth, "v:salt$0000000000000000000000000000000000000000000000000000000000000000", NULL) < 0)
        abort();
}

static void check_reply(const char *out, size_t len, int status)
{
    if (status != 200 && status != 204 && status != 400 && status != 404 && status != 500)
        abort();
    if (!out) {
        if (status != 204)
            abort();
        return;
    }
    json_t *v = json_loadb(out, len, 0, NULL);
    if (!v)
        abort();
    json_decref(v);
    free(cli_format_result(out, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table)
        setup();
    if (size > 256 * 1024)
        return 0;
    int status;
    size_t len;
    char *out = rpc_table_dispatch(table, (const char *)data, size, &status, &len);
    check_reply(out, len, status);
    free(out);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    json_t *v = json_loadb(text, size, JSON_DECODE_ANY, NULL);
    if (v)
        free(cli_format_value(text, size));
    json_decref(v);
    rpc_auth_check(auth, text);
    free(text);
    return 0;
}
