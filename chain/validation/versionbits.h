/* Version bits (BIP9) deployment states, as Bitcoin Core's
 * src/versionbits.cpp: a deployment is DEFINED, then STARTED once the
 * median time past reaches its start time, LOCKED_IN after a period in
 * which threshold blocks signalled its bit, ACTIVE one period later (not
 * before its minimum activation height), or FAILED when the timeout
 * passes first. Every block of a period shares one state, so states are
 * cached by the last block of the period before (block index nodes never
 * move, so their addresses are the keys). */
#ifndef HEARSAY_CHAIN_VERSIONBITS_H
#define HEARSAY_CHAIN_VERSIONBITS_H

#include "chain/primitives/params.h"
#include "chain/validation/blockindex.h"

#include <stdbool.h>
#include <stdint.h>

#define VERSIONBITS_TOP_BITS 0x20000000
#define VERSIONBITS_TOP_MASK 0xE0000000u

enum versionbits_state {
    VERSIONBITS_DEFINED,
    VERSIONBITS_STARTED,
    VERSIONBITS_LOCKED_IN,
    VERSIONBITS_ACTIVE,
    VERSIONBITS_FAILED,
};

/* One deployment with its chain's window: what the state machine reads. */
struct versionbits_rule {
    int bit;
    int64_t start_time, timeout;
    int min_activation_height;
    int period, threshold;
};

/* Core's BIP9Stats for the period of a block, up to and including it. */
struct versionbits_stats {
    int period, threshold, elapsed, count;
    bool possible; /* the threshold can still be reached in this period */
};

/* "defined", "started", "locked_in", "active", "failed". */
const char *versionbits_state_name(enum versionbits_state s);
/* Whether block n signals the rule's bit (top bits 001). */
bool versionbits_signals(const struct versionbits_rule *r, const struct bindex_node *n);

/* The per-deployment state cache. */
struct versionbits_cache;
struct versionbits_cache *versionbits_cache_new(void);
void versionbits_cache_free(struct versionbits_cache *c); /* accepts NULL */

/* State of the block after prev (NULL: the genesis block). */
enum versionbits_state versionbits_state_for(const struct versionbits_rule *r,
                                             struct versionbits_cache *c,
                                             const struct bindex_node *prev);
/* Height of the first block with the state of the block after prev. */
int versionbits_since_for(const struct versionbits_rule *r, struct versionbits_cache *c,
                          const struct bindex_node *prev);
/* Statistics of n's period, up to n (zeroed counts for NULL). signalling,
 * when not NULL, gets one '#' or '-' per block of the period up to n and a
 * NUL (room for r->period + 1 bytes). */
void versionbits_statistics(const struct versionbits_rule *r, const struct bindex_node *n,
                            struct versionbits_stats *out, char *signalling);

/* A chain's deployments with their caches (Core's VersionBitsCache). */
struct versionbits;
struct versionbits *versionbits_new(const struct chain_params *p);
void versionbits_free(struct versionbits *vb); /* accepts NULL */
/* Core's -vbparams=deployment:start:end[:min_activation_height]: the
 * deployment's position, or -1 and *err (malloc'd) with Core's message.
 * Clears that deployment's cache. */
int versionbits_override(struct versionbits *vb, const char *spec, char **err);

/* The deployment at pos (enum params_deployment_pos) and its rule. */
const struct params_deployment *versionbits_deployment(const struct versionbits *vb, int pos);
const struct versionbits_rule *versionbits_rule(const struct versionbits *vb, int pos);
/* Core's DeploymentEnabled: false when it can never activate. */
bool versionbits_enabled(const struct versionbits *vb, int pos);
enum versionbits_state versionbits_state(struct versionbits *vb, int pos,
                                         const struct bindex_node *prev);
int versionbits_since(struct versionbits *vb, int pos, const struct bindex_node *prev);
/* Core's ComputeBlockVersion: the top bits and the bit of every
 * deployment STARTED or LOCKED_IN for the block after prev. */
int32_t versionbits_block_version(struct versionbits *vb, const struct bindex_node *prev);

#endif
