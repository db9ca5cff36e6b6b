#include "net/conn/seeds.h"

#include "chain/primitives/hash.h"
#include "chain/primitives/serialize.h"
#include "chain/util/err.h"
#include "chain/util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bitcoin Core's vSeeds (chainparams.cpp). */
static const char *const main_seeds[] = {
    "seed.bitcoin.sipa.be", "dnsseed.bluematt.me",
    "dnsseed.bitcoin.dashjr-list-of-p2p-nodes.us", "seed.bitcoin.jonasschnelli.ch",
    "seed.btc.petertodd.net", "seed.bitcoin.sprovoost.nl", "dnsseed.emzy.de",
    "seed.bitcoin.wiz.biz", "seed.mainnet.achownodes.xyz",
};
static const char *const testnet3_seeds[] = {
    "testnet-seed.bitcoin.jonasschnelli.ch", "seed.tbtc.petertodd.net",
    "seed.testnet.bitcoin.sprovoost.nl", "testnet-seed.bluematt.me",
    "seed.testnet.achownodes.xyz",
};
static const char *const testnet4_seeds[] = {
    "seed.testnet4.bitcoin.sprovoost.nl", "seed.testnet4.wiz.biz",
};
static const char *const signet_seeds[] = {
    "seed.signet.bitcoin.sprovoost.nl", "seed.signet.achownodes.xyz",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *const *seeds_dns_hosts(enum chain_type chain, size_t *n)
{
    switch (chain) {
    case CHAIN_MAIN:
        *n = COUNT(main_seeds);
        return main_seeds;
    case CHAIN_TESTNET3:
        *n = COUNT(testnet3_seeds);
        return testnet3_seeds;
    case CHAIN_TESTNET4:
        *n = COUNT(testnet4_seeds);
        return testnet4_seeds;
    case CHAIN_SIGNET:
        *n = COUNT(signet_seeds);
        return signet_seeds;
    default:
        *n = 0;
        return NULL;
    }
}

int seeds_service_name(const char *host, char *out, size_t cap)
{
    int w = snprintf(out, cap, "x%llx.%s", (unsigned long long)SEEDS_SERVICES, host);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

int seeds_decode(const uint8_t *data, size_t len, struct proto_netaddr **out, size_t *n,
                 char **err)
{
    /* The smallest record (IPv4) is 8 bytes: an upper bound for the count. */
    struct proto_netaddr *v = xcalloc(len / 8 + 1, sizeof(*v));
    size_t k = 0;
    struct cursor c;
    cursor_init(&c, data, len);
    while (cursor_left(&c)) {
        bool keep;
        size_t at = len - cursor_left(&c);
        memset(&v[k], 0, sizeof(v[k]));
        if (!proto_bip155_addr_decode(&c, &v[k], &keep)) {
            free(v);
            return err_set(err, "malformed fixed seed record at byte %zu", at);
        }
        v[k].services = SEEDS_SERVICES;
        /* Core loads fixed seeds of reachable networks only: IP for us. */
        k += keep && proto_netaddr_is_ip(&v[k]);
    }
    *out = v;
    *n = k;
    return 0;
}

int seeds_fixed(enum chain_type chain, struct proto_netaddr **out, size_t *n, char **err)
{
    const struct seeds_table *t = &seeds_fixed_tables[chain];
    return seeds_decode(t->data, t->len, out, n, err);
}

void seeds_source(const char *name, struct proto_netaddr *out)
{
    static const uint8_t prefix[6] = {0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24};
    uint8_t h[32];
    hash_sha256(name, strlen(name), h);
    memset(out, 0, sizeof(*out));
    memcpy(out->ip, prefix, 6);
    memcpy(out->ip + 6, h, 10);
}
