#include "contrib/sim/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/util/err.h"

static const char *const pct_names[5] = {"p50", "p75", "p90", "p95", "p99"};

void sim_summary_add(struct sim_summary *sum, const struct sim_result *r)
{
    double n = r->nodes;
    sum->runs++;
    sum->nodes = r->nodes;
    sum->residue += r->residue;
    sum->traffic += r->traffic;
    sum->t_ave += r->t_ave;
    sum->t_last += r->t_last;
    if (r->t_last > sum->t_last_max)
        sum->t_last_max = r->t_last;
    sum->complete_runs += r->informed == r->up;
    for (int i = 0; i < 5; i++)
        sum->pct[i] += r->pct[i];
    for (int i = 0; i < SIM_MSG_COUNT; i++) {
        sum->msgs[i] += r->msgs[i] / n;
        sum->bytes[i] += r->bytes[i] / n;
    }
    sum->bytes_per_node += r->bytes_per_node;
    sum->duplicates += r->duplicates / n;
    sum->lost += r->lost / n;
    sum->events += r->events;
    sum->end_time += r->end_time;
    sum->mem_topology += r->mem_topology;
    sum->mem_protocol += r->mem_protocol;
    sum->mem_engine += r->mem_engine;
}

void sim_summary_finish(struct sim_summary *sum)
{
    if (sum->runs == 0)
        return;
    double k = 1.0 / sum->runs;
    double *scalars[] = {
        &sum->residue, &sum->traffic, &sum->t_ave, &sum->t_last, &sum->complete_runs,
        &sum->bytes_per_node, &sum->duplicates, &sum->lost, &sum->events, &sum->end_time,
        &sum->mem_topology, &sum->mem_protocol, &sum->mem_engine,
    };
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
        *scalars[i] *= k;
    for (int i = 0; i < 5; i++)
        sum->pct[i] *= k;
    for (int i = 0; i < SIM_MSG_COUNT; i++) {
        sum->msgs[i] *= k;
        sum->bytes[i] *= k;
    }
}

void sim_report_table(FILE *f, const struct sim_summary *s, const char *unit)
{
    fprintf(f, "nodes %u, runs %u (%.0f%% complete)\n", s->nodes, s->runs,
            100 * s->complete_runs);
    fprintf(f, "residue   %.5f\n", s->residue);
    fprintf(f, "traffic   %.3f inv per node\n", s->traffic);
    fprintf(f, "t_ave     %.3f %s\n", s->t_ave, unit);
    fprintf(f, "t_last    %.3f %s (worst run %.3f)\n", s->t_last, unit, s->t_last_max);
    fprintf(f, "latency  ");
    for (int i = 0; i < 5; i++)
        fprintf(f, " %s %.3f", pct_names[i], s->pct[i]);
    fprintf(f, " %s\n", unit);
    fprintf(f, "per node  %.1f bytes, %.3f duplicate payloads, %.3f lost\n",
            s->bytes_per_node, s->duplicates, s->lost);
    for (int i = 0; i < SIM_MSG_COUNT; i++)
        if (s->msgs[i] > 0)
            fprintf(f, "  %-9s %8.3f msgs %10.1f bytes per node\n",
                    sim_msg_name((enum sim_msg_type)i), s->msgs[i], s->bytes[i]);
    fprintf(f, "memory    topology %.1f MB, relay cores %.1f MB, engine %.1f MB; "
            "peak RSS %.1f MB\n", s->mem_topology / 1e6, s->mem_protocol / 1e6,
            s->mem_engine / 1e6, s->maxrss_kb / 1024.0);
    fprintf(f, "time      %.3f s wall, %.0f events per run\n", s->wall_s, s->events);
}

void sim_report_json(FILE *f, const struct sim_summary *s, const struct sim_config *cfg,
                     const char *unit)
{
    fprintf(f, "{\"nodes\": %u, \"runs\": %u, \"unit\": \"%s\", \"residue\": %.6g, "
            "\"traffic\": %.6g, \"t_ave\": %.6g, \"t_last\": %.6g, \"t_last_max\": %.6g, "
            "\"complete_runs\": %.6g, ", s->nodes, s->runs, unit, s->residue, s->traffic,
            s->t_ave, s->t_last, s->t_last_max, s->complete_runs);
    fprintf(f, "\"latency\": {");
    for (int i = 0; i < 5; i++)
        fprintf(f, "%s\"%s\": %.6g", i ? ", " : "", pct_names[i], s->pct[i]);
    fprintf(f, "}, \"msgs_per_node\": {");
    for (int i = 0; i < SIM_MSG_COUNT; i++)
        fprintf(f, "%s\"%s\": %.6g", i ? ", " : "", sim_msg_name((enum sim_msg_type)i),
                s->msgs[i]);
    fprintf(f, "}, \"bytes_per_node_by_type\": {");
    for (int i = 0; i < SIM_MSG_COUNT; i++)
        fprintf(f, "%s\"%s\": %.6g", i ? ", " : "", sim_msg_name((enum sim_msg_type)i),
                s->bytes[i]);
    fprintf(f, "}, \"bytes_per_node\": %.6g, \"duplicates_per_node\": %.6g, "
            "\"lost_per_node\": %.6g, \"events\": %.6g, \"seed\": %llu, "
            "\"memory\": {\"topology\": %.0f, \"relay\": %.0f, \"engine\": %.0f, "
            "\"maxrss_kb\": %ld}, \"wall_s\": %.3f}\n",
            s->bytes_per_node, s->duplicates, s->lost, s->events,
            (unsigned long long)cfg->seed, s->mem_topology, s->mem_protocol, s->mem_engine,
            s->maxrss_kb, s->wall_s);
}

void sim_report_csv_header(FILE *f)
{
    fprintf(f, "run,nodes,up,informed,residue,traffic,t_ave,t_last,p50,p90,p99,"
            "bytes_per_node,duplicates,lost,events\n");
}

void sim_report_csv_row(FILE *f, int run, const struct sim_result *r)
{
    fprintf(f, "%d,%u,%u,%u,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%llu,%llu,%llu\n", run,
            r->nodes, r->up, r->informed, r->residue, r->traffic, r->t_ave, r->t_last,
            r->pct[0], r->pct[2], r->pct[4], r->bytes_per_node,
            (unsigned long long)r->duplicates, (unsigned long long)r->lost,
            (unsigned long long)r->events);
}

int sim_report_plot(const char *png, const struct sim_result *r, uint32_t nodes,
                    const char *unit, char **err)
{
    char data[] = "/tmp/hearsay-sim-XXXXXX";
    int fd = mkstemp(data);
    if (fd < 0) {
        err_set(err, "cannot create a temporary file for gnuplot");
        return -1;
    }
    /* Leave out the flat tail after the last change (timers that only
     * expire), keeping a tenth of the run for context. */
    size_t last = 0;
    for (size_t i = 1; i < r->nseries; i++) {
        const struct sim_sample *a = &r->series[i], *b = &r->series[i - 1];
        if (a->s != b->s || a->i != b->i || a->r != b->r)
            last = i;
    }
    size_t end = last + last / 10 + 2;
    if (end > r->nseries)
        end = r->nseries;
    FILE *df = fdopen(fd, "w");
    for (size_t i = 0; i < end; i++) {
        const struct sim_sample *x = &r->series[i];
        fprintf(df, "%g %g %g %g\n", x->t, (double)x->s / nodes, (double)x->i / nodes,
                (double)x->r / nodes);
    }
    fclose(df);
    int rc = -1;
    FILE *gp = popen("gnuplot", "w");
    if (gp) {
        fprintf(gp, "set terminal pngcairo size 900,560\nset output '%s'\n"
                "set xlabel 'time (%s)'\nset ylabel 'fraction of nodes'\n"
                "set yrange [0:1]\nset key center right\nset grid\n"
                "plot '%s' u 1:2 w l lw 2 t 'susceptible', '' u 1:3 w l lw 2 t 'infective', "
                "'' u 1:4 w l lw 2 t 'removed'\n", png, unit, data);
        rc = pclose(gp) == 0 ? 0 : -1;
    }
    unlink(data);
    if (rc != 0)
        err_set(err, "gnuplot failed to write %s", png);
    return rc;
}
