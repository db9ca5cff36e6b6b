/* Averages over runs and their output: a table, JSON, CSV, gnuplot PNG. */
#ifndef HEARSAY_SIM_REPORT_H
#define HEARSAY_SIM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/engine.h"

/* Figures averaged over runs (per node where it says so). */
struct sim_summary {
    uint32_t runs;
    uint32_t nodes;
    double residue, traffic, t_ave, t_last;
    double t_last_max;          /* the worst run */
    double complete_runs;       /* fraction of runs that informed every up node */
    double pct[5];
    double msgs[SIM_MSG_COUNT];  /* messages per node */
    double bytes[SIM_MSG_COUNT]; /* bytes per node */
    double bytes_per_node;
    double duplicates;          /* per node */
    double lost;                /* per node */
    double events;
    double end_time;
    double mem_topology, mem_protocol, mem_engine; /* bytes, per run */
    double wall_s;              /* total wall time of all runs */
    long maxrss_kb;             /* peak resident memory of the process */
};

void sim_summary_add(struct sim_summary *sum, const struct sim_result *r);
/* Divides the sums by the run count (call once, after the last run). */
void sim_summary_finish(struct sim_summary *sum);

/* unit: "cycles" or "s". */
void sim_report_table(FILE *f, const struct sim_summary *s, const char *unit);
void sim_report_json(FILE *f, const struct sim_summary *s, const struct sim_config *cfg,
                     const char *unit);
void sim_report_csv_header(FILE *f);
void sim_report_csv_row(FILE *f, int run, const struct sim_result *r);
/* Plots the S/I/R fractions of one run with gnuplot. 0, or -1 and *err. */
int sim_report_plot(const char *png, const struct sim_result *r, uint32_t nodes,
                    const char *unit, char **err);

#endif
