/* regtest-txgen: P2WSH(OP_TRUE) transactions in bulk for contrib/regtest-net.
 *
 *   regtest-txgen [-outputs=K] [-chain=L] [-feerate=F] < coins
 *
 * Reads one coin per line, "txid vout value" (value in satoshis), and for
 * each writes L lines (a chain: each spends output 0 of the one before),
 * one per transaction: "txid hex value_0 ... value_{K-1}". K = 1, L = 1,
 * F = 1000 sat/kvB by default. A coin that cannot pay for its
 * transactions is reported on stderr and skipped; the exit code is 1 if
 * any was. */
#include "chain/primitives/hash.h"
#include "chain/primitives/optrue.h"
#include "chain/primitives/tx.h"
#include "chain/util/xmalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 1000

struct opts {
    size_t outputs, chain;
    int64_t feerate;
};

static int parse_num(const char *arg, const char *name, long long lo, long long hi,
                     long long *out)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || arg[n] != '=')
        return 0;
    char *end;
    long long v = strtoll(arg + n + 1, &end, 10);
    if (*end || end == arg + n + 1 || v < lo || v > hi) {
        fprintf(stderr, "regtest-txgen: %s must be %lld..%lld\n", name, lo, hi);
        exit(2);
    }
    *out = v;
    return 1;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    o->outputs = 1;
    o->chain = 1;
    o->feerate = OPTRUE_FEERATE_DEFAULT;
    for (int i = 1; i < argc; i++) {
        long long v;
        if (parse_num(argv[i], "-outputs", 1, OPTRUE_MAX_OUTPUTS, &v))
            o->outputs = (size_t)v;
        else if (parse_num(argv[i], "-chain", 1, MAX_CHAIN, &v))
            o->chain = (size_t)v;
        else if (parse_num(argv[i], "-feerate", 0, TX_COIN, &v))
            o->feerate = v;
        else {
            fprintf(stderr, "usage: regtest-txgen [-outputs=K] [-chain=L] [-feerate=F] "
                            "< \"txid vout value\" lines\n");
            exit(2);
        }
    }
}

static void print_tx(const struct tx *tx)
{
    char txid[HASH_HEX_LEN + 1];
    hash_to_hex(&tx->txid, txid);
    char *hex = optrue_hex(tx);
    printf("%s %s", txid, hex);
    for (size_t i = 0; i < tx->vout_count; i++)
        printf(" %" PRId64, tx->vout[i].value);
    putchar('\n');
    free(hex);
}

/* One input line: 0 done, -1 skipped (reported). */
static int one_coin(const char *line, const struct opts *o, struct tx **txs)
{
    char txid[65];
    unsigned vout;
    long long value;
    struct optrue_coin c;
    if (sscanf(line, "%64s %u %lld", txid, &vout, &value) != 3 ||
        !hash_from_hex(txid, &c.op.hash)) {
        fprintf(stderr, "regtest-txgen: bad coin line: %s", line);
        return -1;
    }
    c.op.n = vout;
    c.value = value;
    char *err = NULL;
    if (optrue_chain(&c, o->chain, o->outputs, o->feerate, txs, &err) != 0) {
        fprintf(stderr, "regtest-txgen: %s:%u: %s\n", txid, vout, err);
        free(err);
        return -1;
    }
    for (size_t i = 0; i < o->chain; i++) {
        print_tx(txs[i]);
        tx_free(txs[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    parse_args(argc, argv, &o);
    struct tx **txs = xcalloc(o.chain, sizeof(*txs));
    char line[256];
    int rc = 0;
    while (fgets(line, sizeof(line), stdin)) {
        if (line[0] == '\n')
            continue;
        if (one_coin(line, &o, txs) != 0)
            rc = 1;
    }
    free(txs);
    return rc;
}
