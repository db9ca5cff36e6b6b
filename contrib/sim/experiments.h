/* Batches of runs, and the experiments that check the simulator against
 * the epidemic papers. */
#ifndef HEARSAY_SIM_EXPERIMENTS_H
#define HEARSAY_SIM_EXPERIMENTS_H

#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/engine.h"
#include "contrib/sim/report.h"

/* Runs `runs` independent runs (seeds derived from cfg->seed and the run
 * number; a random origin each), summing into *sum (finished). Each run's
 * row goes to csv when non-NULL; the first run's result (with its S/I/R
 * series when cfg->series) is moved to *first when non-NULL. */
int sim_batch(const struct sim_config *cfg, uint32_t runs, struct sim_summary *sum,
              FILE *csv, struct sim_result *first, char **err);

/* Demers et al. 1987, printed beside the paper's figures (n = 1000).
 * number 1: Table 1, push, feedback + counter, k = 1..5; 3: Table 3,
 * pull, feedback + counter, k = 1..3, then push-pull (ours only).
 * Returns 0 when every judged row is within tolerance (10% or 0.002 on
 * s and m, one cycle on t_last), 1 if not, -1 on error. */
int sim_paper_table(FILE *out, int number, uint64_t seed, uint32_t runs, char **err);

/* Ideal spread: rounds to inform every node of the complete graph with
 * fanout f (nobody stops early), beside log_f N, for N = 10^3..max_n and
 * f = 2..8. */
int sim_spread(FILE *out, uint64_t seed, uint32_t max_n, char **err);

/* The paper's own parameters for a cycle-mode complete-graph push run. */
void sim_config_paper(struct sim_config *cfg, uint32_t nodes, uint32_t k);

#endif
