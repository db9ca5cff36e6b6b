/* Fuzzes the conf-file parser: any text either parses, and then every
 * getter answers, or fails with a one-line message. Never a crash. */
#include "node/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every type and flag the parser treats differently. */
static const struct config_option fuzz_options[] = {
    { "flag", CONFIG_BOOL, "0", 0, 0, 0, "" },
    { "count", CONFIG_INT, "8", -5, 100, 0, "" },
    { "name", CONFIG_STRING, "anon", 0, 0, 0, "" },
    { "port", CONFIG_INT, NULL, 1, 65535, CONFIG_NET_SPECIFIC, "" },
    { "connect", CONFIG_STRING, NULL, 0, 0, CONFIG_MULTI | CONFIG_NET_SPECIFIC, "" },
    { "add", CONFIG_STRING, "x", 0, 0, CONFIG_MULTI, "" },
    { "secret", CONFIG_STRING, NULL, 0, 0, CONFIG_CLI_ONLY, "" },
    { NULL, CONFIG_BOOL, NULL, 0, 0, 0, NULL },
};

const struct config_option *const config_tables[] = { config_base_options, fuzz_options, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const chains[] = { NULL, "main", "test", "testnet4", "signet", "regtest" };
    if (size < 1 || size > 64 * 1024)
        return 0;
    const char *chain = chains[data[0] % 6];
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    char *err = NULL;
    struct config *cfg = config_parse_text(text, chain, &err);
    if (!cfg) {
        if (!err || strchr(err, '\n'))
            abort(); /* an error must come with one line */
        free(err);
        free(text);
        return 0;
    }
    for (const struct config_option *const *t = config_tables; *t; t++)
        for (const struct config_option *o = *t; o->name; o++) {
            size_t n;
            const char *const *v = config_get_multi(cfg, o->name, &n);
            for (size_t i = 0; i < n; i++)
                if (!v[i])
                    abort();
            if (o->type == CONFIG_INT) {
                int64_t x = config_get_int(cfg, o->name);
                if (config_get_str(cfg, o->name) && (x < o->min || x > o->max))
                    abort(); /* a value out of range got through */
            }
            (void)config_get_bool(cfg, o->name);
            (void)config_is_set(cfg, o->name);
        }
    if (!config_chain(cfg) || !config_datadir(cfg))
        abort();
    config_free(cfg);
    free(text);
    return 0;
}
