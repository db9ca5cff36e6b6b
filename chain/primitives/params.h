/* Chain parameters for main, testnet3, testnet4, signet and regtest. */
#ifndef HEARSAY_CHAIN_PARAMS_H
#define HEARSAY_CHAIN_PARAMS_H

#include "chain/primitives/block.h"
#include "chain/primitives/hash.h"

#include <stdbool.h>
#include <stdint.h>

enum chain_type { CHAIN_MAIN, CHAIN_TESTNET3, CHAIN_TESTNET4, CHAIN_SIGNET, CHAIN_REGTEST };

#define PARAMS_COINBASE_MATURITY 100

/* Version bits deployments (BIP9), as Core's Consensus::DeploymentPos. */
enum params_deployment_pos { PARAMS_DEP_TESTDUMMY, PARAMS_DEP_TAPROOT, PARAMS_DEP_COUNT };
/* Core's BIP9Deployment special start times and its "no timeout". */
#define PARAMS_VB_ALWAYS_ACTIVE (-1)
#define PARAMS_VB_NEVER_ACTIVE (-2)
#define PARAMS_VB_NO_TIMEOUT INT64_MAX

struct params_deployment {
    const char *name; /* Core's VersionBitsDeploymentInfo name */
    int bit;
    int64_t start_time, timeout; /* median time past, seconds */
    int min_activation_height;
};

struct chain_params {
    enum chain_type type;
    const char *name;   /* -chain= name: main, test, testnet4, signet, regtest */
    const char *subdir; /* datadir subdirectory: "" (main), testnet3, testnet4, signet, regtest */
    uint8_t magic[4];
    uint16_t default_port;
    uint16_t rpc_port;

    struct block_header genesis; /* built from its fields */
    struct hash256 genesis_hash;

    /* Proof of work. pow_limit is a 256-bit number stored little-endian
     * (the same byte order as a hash256, so it compares with block hashes
     * read as little-endian numbers). */
    struct hash256 pow_limit;
    uint32_t pow_limit_bits;
    int64_t pow_target_spacing;  /* 600 s */
    int64_t pow_target_timespan; /* two weeks (regtest: one day, as Core) */
    bool pow_no_retargeting;     /* regtest */
    bool pow_allow_min_difficulty; /* testnets: 20-minute rule */
    bool enforce_bip94;          /* testnet4: retarget from the first block's bits */

    int subsidy_halving_interval;
    int bip34_height, bip65_height, bip66_height, csv_height, segwit_height;
    /* BIP9: Core's nMinerConfirmationWindow and nRuleChangeActivationThreshold. */
    int vb_period, vb_threshold;
    struct params_deployment deployments[PARAMS_DEP_COUNT];
    /* Core's script_flag_exceptions: the one block that broke BIP16 (main
     * and testnet3: checked with no flags) and the one that broke taproot
     * (main: P2SH and WITNESS only). Zero when the chain has none. */
    struct hash256 bip16_exception, taproot_exception;
    /* Core's BIP34Hash: the block at bip34_height after which BIP34 made
     * BIP30 checks redundant; zero (testnet4, signet, regtest): none, and
     * BIP30 is always checked. */
    struct hash256 bip34_hash;

    /* Core's nMinimumChainWork (a 256-bit number stored little-endian, as
     * pow_limit) and defaultAssumeValid (zero: none). */
    struct hash256 min_chain_work;
    struct hash256 assumevalid;

    /* Core's HeadersSyncParams (low-work headers sync, net/sync/headerssync.h):
     * one 1-bit commitment every hss_commitment_period headers; headers
     * released only with hss_redownload_buffer more checked above them. */
    uint32_t hss_commitment_period, hss_redownload_buffer;

    uint8_t base58_pubkey, base58_script, base58_secret;
    const char *bech32_hrp;
};

const struct chain_params *params_get(enum chain_type type);
/* By -chain= name ("main", "test"/"testnet3", "testnet4", "signet", "regtest"); NULL if unknown. */
const struct chain_params *params_by_name(const char *name);
/* The full genesis block (with its coinbase), built from the parameters. */
struct block *params_genesis_block(const struct chain_params *p);
/* Block subsidy at a height, in satoshis. */
int64_t params_block_subsidy(const struct chain_params *p, int height);

#endif
