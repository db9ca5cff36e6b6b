/* Chain parameters, from Bitcoin Core's src/kernel/chainparams.cpp.
 *
 * The genesis blocks are built from their fields (coinbase message, output
 * key, time, nonce, bits) the way Core's CreateGenesisBlock does, and the
 * derived values (genesis header and hash, proof-of-work limits, the
 * signet magic) are computed once, on first use. */
#include "chain/primitives/params.h"

#include "chain/util/hex.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_PUSHDATA1 0x4c
#define OP_CHECKSIG 0xac

struct genesis_spec {
    const char *message;    /* pushed in the coinbase script */
    const char *pubkey_hex; /* output: <pubkey> OP_CHECKSIG */
    uint32_t time, nonce, bits;
    int32_t version;
    int64_t reward;
};

static const char satoshi_message[] =
    "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks";
static const char satoshi_pubkey[] =
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e5"
    "1ec112de5c384df7ba0b8d578a4c702b6bf11d5f";
static const char testnet4_message[] =
    "03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e";
static const char testnet4_pubkey[] =
    "000000000000000000000000000000000000000000000000000000000000000000";
/* BIP325 default signet challenge: a 1-of-2 multisig. */
static const char signet_challenge[] =
    "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d"
    "6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";

static const char pow_limit_main[] =
    "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
static const char pow_limit_signet[] =
    "00000377ae000000000000000000000000000000000000000000000000000000";
static const char pow_limit_regtest[] =
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

#define TWO_WEEKS (14 * 24 * 60 * 60)

/* Core's deployments: testdummy never active outside regtest; taproot a
 * BIP9 deployment on main and testnet3, always active on later chains. */
#define TESTDUMMY(start) { "testdummy", 28, (start), PARAMS_VB_NO_TIMEOUT, 0 }
#define TAPROOT_2021(min_height) { "taproot", 2, 1619222400, 1628640000, (min_height) }
#define TAPROOT_ALWAYS { "taproot", 2, PARAMS_VB_ALWAYS_ACTIVE, PARAMS_VB_NO_TIMEOUT, 0 }

/* Core v29's chainparams, indexed by enum chain_type: minimum chain work,
 * default assumed-valid block (with its height), script flag exceptions
 * and the BIP34 block. NULL: none. */
struct trust_spec {
    const char *min_chain_work, *assumevalid, *bip16_exception, *taproot_exception, *bip34_hash;
};

static const struct trust_spec trust[] = {
    [CHAIN_MAIN] = {"0000000000000000000000000000000000000000b1f3b93b65b16d035a82be84",
                    "00000000000000000001b658dd1120e82e66d2790811f89ede9742ada3ed6d77", /* 886157 */
                    "00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22",
                    "0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad",
                    "000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8"},
    [CHAIN_TESTNET3] = {"0000000000000000000000000000000000000000000015f5e0c9f13455b0eb17",
                        "00000000000003fc7967410ba2d0a8a8d50daedc318d43e8baf1a9782c236a57", /* 3974606 */
                        "00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105", NULL,
                        "0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8"},
    [CHAIN_TESTNET4] = {"0000000000000000000000000000000000000000000001d6dce8651b6094e4c1",
                        "0000000000003ed4f08dbdf6f7d6b271a6bcffce25675cb40aa9fa43179a89f3", /* 72600 */
                        NULL, NULL, NULL},
    [CHAIN_SIGNET] = {"000000000000000000000000000000000000000000000000000002b517f3d1a1",
                      "000000895a110f46e59eb82bbc5bfb67fa314656009c295509c21b4999f5180a", /* 237722 */
                      NULL, NULL, NULL},
    [CHAIN_REGTEST] = {NULL, NULL, NULL, NULL, NULL},
};

/* Indexed by enum chain_type. */
static const struct genesis_spec genesis_specs[] = {
    [CHAIN_MAIN] = { satoshi_message, satoshi_pubkey, 1231006505, 2083236893, 0x1d00ffff, 1,
                     50 * TX_COIN },
    [CHAIN_TESTNET3] = { satoshi_message, satoshi_pubkey, 1296688602, 414098458, 0x1d00ffff, 1,
                         50 * TX_COIN },
    [CHAIN_TESTNET4] = { testnet4_message, testnet4_pubkey, 1714777860, 393743547, 0x1d00ffff,
                         1, 50 * TX_COIN },
    [CHAIN_SIGNET] = { satoshi_message, satoshi_pubkey, 1598918400, 52613770, 0x1e0377ae, 1,
                       50 * TX_COIN },
    [CHAIN_REGTEST] = { satoshi_message, satoshi_pubkey, 1296688602, 2, 0x207fffff, 1,
                        50 * TX_COIN },
};

static const char *const pow_limit_hex[] = {
    [CHAIN_MAIN] = pow_limit_main,     [CHAIN_TESTNET3] = pow_limit_main,
    [CHAIN_TESTNET4] = pow_limit_main, [CHAIN_SIGNET] = pow_limit_signet,
    [CHAIN_REGTEST] = pow_limit_regtest,
};

/* The genesis header, its hash, pow_limit and the signet magic are filled
 * in by init_params. */
static struct chain_params chains[] = {
    [CHAIN_MAIN] = {
        .type = CHAIN_MAIN, .name = "main", .subdir = "",
        .magic = { 0xf9, 0xbe, 0xb4, 0xd9 }, .default_port = 8333, .rpc_port = 8332,
        .pow_limit_bits = 0x1d00ffff, .pow_target_spacing = 600,
        .pow_target_timespan = TWO_WEEKS,
        .subsidy_halving_interval = 210000,
        .bip34_height = 227931, .bip65_height = 388381, .bip66_height = 363725,
        .csv_height = 419328, .segwit_height = 481824,
        .vb_period = 2016, .vb_threshold = 1815,
        .deployments = { TESTDUMMY(PARAMS_VB_NEVER_ACTIVE), TAPROOT_2021(709632) },
        .hss_commitment_period = 632, .hss_redownload_buffer = 15009,
        .base58_pubkey = 0, .base58_script = 5, .base58_secret = 128, .bech32_hrp = "bc",
    },
    [CHAIN_TESTNET3] = {
        .type = CHAIN_TESTNET3, .name = "test", .subdir = "testnet3",
        .magic = { 0x0b, 0x11, 0x09, 0x07 }, .default_port = 18333, .rpc_port = 18332,
        .pow_limit_bits = 0x1d00ffff, .pow_target_spacing = 600,
        .pow_target_timespan = TWO_WEEKS, .pow_allow_min_difficulty = true,
        .subsidy_halving_interval = 210000,
        .bip34_height = 21111, .bip65_height = 581885, .bip66_height = 330776,
        .csv_height = 770112, .segwit_height = 834624,
        .vb_period = 2016, .vb_threshold = 1512,
        .deployments = { TESTDUMMY(PARAMS_VB_NEVER_ACTIVE), TAPROOT_2021(0) },
        .hss_commitment_period = 628, .hss_redownload_buffer = 13460,
        .base58_pubkey = 111, .base58_script = 196, .base58_secret = 239, .bech32_hrp = "tb",
    },
    /* Checked against Core's src/kernel/chainparams.cpp (CTestNet4Params)
     * at commit 284c42a3ceb98587895935139984c52e9958005d: heights, BIP94,
     * deployments (75% of 2016), magic, port and genesis all as there. */
    [CHAIN_TESTNET4] = {
        .type = CHAIN_TESTNET4, .name = "testnet4", .subdir = "testnet4",
        .magic = { 0x1c, 0x16, 0x3f, 0x28 }, .default_port = 48333, .rpc_port = 48332,
        .pow_limit_bits = 0x1d00ffff, .pow_target_spacing = 600,
        .pow_target_timespan = TWO_WEEKS, .pow_allow_min_difficulty = true,
        .enforce_bip94 = true,
        .subsidy_halving_interval = 210000,
        .bip34_height = 1, .bip65_height = 1, .bip66_height = 1, .csv_height = 1,
        .segwit_height = 1,
        .vb_period = 2016, .vb_threshold = 1512,
        .deployments = { TESTDUMMY(PARAMS_VB_NEVER_ACTIVE), TAPROOT_ALWAYS },
        .hss_commitment_period = 275, .hss_redownload_buffer = 7017,
        .base58_pubkey = 111, .base58_script = 196, .base58_secret = 239, .bech32_hrp = "tb",
    },
    [CHAIN_SIGNET] = {
        .type = CHAIN_SIGNET, .name = "signet", .subdir = "signet",
        .default_port = 38333, .rpc_port = 38332,
        .pow_limit_bits = 0x1e0377ae, .pow_target_spacing = 600,
        .pow_target_timespan = TWO_WEEKS,
        .subsidy_halving_interval = 210000,
        .bip34_height = 1, .bip65_height = 1, .bip66_height = 1, .csv_height = 1,
        .segwit_height = 1,
        .vb_period = 2016, .vb_threshold = 1815,
        .deployments = { TESTDUMMY(PARAMS_VB_NEVER_ACTIVE), TAPROOT_ALWAYS },
        .hss_commitment_period = 390, .hss_redownload_buffer = 9584,
        .base58_pubkey = 111, .base58_script = 196, .base58_secret = 239, .bech32_hrp = "tb",
    },
    [CHAIN_REGTEST] = {
        .type = CHAIN_REGTEST, .name = "regtest", .subdir = "regtest",
        .magic = { 0xfa, 0xbf, 0xb5, 0xda }, .default_port = 18444, .rpc_port = 18443,
        .pow_limit_bits = 0x207fffff, .pow_target_spacing = 600,
        .pow_target_timespan = 24 * 60 * 60, /* Core: one day on regtest */
        .pow_no_retargeting = true, .pow_allow_min_difficulty = true,
        .subsidy_halving_interval = 150,
        .bip34_height = 1, .bip65_height = 1, .bip66_height = 1, .csv_height = 1,
        .segwit_height = 0,
        .vb_period = 144, .vb_threshold = 108, /* Core: 75% of a faster window */
        .deployments = { TESTDUMMY(0), TAPROOT_ALWAYS },
        .hss_commitment_period = 275, .hss_redownload_buffer = 7017,
        .base58_pubkey = 111, .base58_script = 196, .base58_secret = 239,
        .bech32_hrp = "bcrt",
    },
};

#define NCHAINS (sizeof(chains) / sizeof(chains[0]))

/* A script push of data as CScript's operator<< encodes it. */
static void push_data(struct wbuf *w, const uint8_t *p, size_t n)
{
    if (n < OP_PUSHDATA1) {
        wbuf_u8(w, (uint8_t)n);
    } else {
        wbuf_u8(w, OP_PUSHDATA1);
        wbuf_u8(w, (uint8_t)n);
    }
    wbuf_bytes(w, p, n);
}

/* Core's CreateGenesisBlock: one coinbase whose script is
 * <486604799> <4> <message>, paying reward to <pubkey> OP_CHECKSIG. */
static void genesis_coinbase(const struct genesis_spec *g, struct wbuf *tx)
{
    static const uint8_t bits_push[] = { 0xff, 0xff, 0x00, 0x1d }, four = 4;
    uint8_t pubkey[65];
    ssize_t keylen = hex_decode(g->pubkey_hex, pubkey, sizeof(pubkey));
    struct wbuf script;
    wbuf_init(&script);
    push_data(&script, bits_push, sizeof(bits_push));
    push_data(&script, &four, 1);
    push_data(&script, (const uint8_t *)g->message, strlen(g->message));

    static const uint8_t null_prevout[32];
    wbuf_i32(tx, 1);
    wbuf_compact(tx, 1);
    wbuf_bytes(tx, null_prevout, 32);
    wbuf_u32(tx, 0xffffffffu);
    wbuf_varbytes(tx, script.data, script.len);
    wbuf_u32(tx, 0xffffffffu);
    wbuf_compact(tx, 1);
    wbuf_i64(tx, g->reward);
    wbuf_compact(tx, (size_t)keylen + 2);
    push_data(tx, pubkey, (size_t)keylen);
    wbuf_u8(tx, OP_CHECKSIG);
    wbuf_u32(tx, 0); /* locktime */
    wbuf_free(&script);
}

struct block *params_genesis_block(const struct chain_params *p)
{
    const struct genesis_spec *g = &genesis_specs[p->type];
    struct wbuf cb, blk;
    wbuf_init(&cb);
    wbuf_init(&blk);
    genesis_coinbase(g, &cb);

    struct block_header h = { .version = g->version, .time = g->time, .bits = g->bits,
                              .nonce = g->nonce };
    /* A single transaction: the merkle root is its txid. */
    hash_sha256d(cb.data, cb.len, &h.merkle);
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_serialize(&h, hdr);
    wbuf_bytes(&blk, hdr, sizeof(hdr));
    wbuf_compact(&blk, 1);
    wbuf_bytes(&blk, cb.data, cb.len);

    const char *why = NULL;
    struct block *b = block_from_bytes(blk.data, blk.len, &why);
    if (!b) {
        fprintf(stderr, "params: genesis block does not parse: %s\n", why);
        abort();
    }
    wbuf_free(&cb);
    wbuf_free(&blk);
    return b;
}

/* BIP325: the magic is the first 4 bytes of sha256d of the challenge
 * serialized as a vector (CompactSize length, then the bytes). */
static void signet_magic(uint8_t magic[4])
{
    uint8_t challenge[sizeof(signet_challenge) / 2];
    ssize_t n = hex_decode(signet_challenge, challenge, sizeof(challenge));
    struct wbuf w;
    wbuf_init(&w);
    wbuf_varbytes(&w, challenge, (size_t)n);
    struct hash256 h;
    hash_sha256d(w.data, w.len, &h);
    memcpy(magic, h.b, 4);
    wbuf_free(&w);
}

static void set_hash(const char *hex, struct hash256 *out)
{
    memset(out, 0, sizeof(*out));
    if (hex && !hash_from_hex(hex, out))
        abort(); /* our own constant */
}

static void init_params(void)
{
    for (size_t i = 0; i < NCHAINS; i++) {
        struct chain_params *p = &chains[i];
        struct block *b = params_genesis_block(p);
        p->genesis = b->hdr;
        p->genesis_hash = b->hash;
        block_free(b);
        if (!hash_from_hex(pow_limit_hex[i], &p->pow_limit))
            abort(); /* our own constant */
        set_hash(trust[i].min_chain_work, &p->min_chain_work);
        set_hash(trust[i].assumevalid, &p->assumevalid);
        set_hash(trust[i].bip16_exception, &p->bip16_exception);
        set_hash(trust[i].taproot_exception, &p->taproot_exception);
        set_hash(trust[i].bip34_hash, &p->bip34_hash);
    }
    signet_magic(chains[CHAIN_SIGNET].magic);
}

static const struct chain_params *ready(enum chain_type type)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_params);
    return &chains[type];
}

const struct chain_params *params_get(enum chain_type type)
{
    if ((unsigned)type >= NCHAINS)
        return NULL;
    return ready(type);
}

const struct chain_params *params_by_name(const char *name)
{
    if (!name)
        return NULL;
    if (!strcmp(name, "testnet3"))
        return ready(CHAIN_TESTNET3);
    for (size_t i = 0; i < NCHAINS; i++)
        if (!strcmp(name, chains[i].name))
            return ready((enum chain_type)i);
    return NULL;
}

int64_t params_block_subsidy(const struct chain_params *p, int height)
{
    if (height < 0)
        return 0;
    int halvings = height / p->subsidy_halving_interval;
    /* Core: a shift of 64 or more is undefined; the subsidy is zero. */
    if (halvings >= 64)
        return 0;
    return (50 * TX_COIN) >> halvings;
}
