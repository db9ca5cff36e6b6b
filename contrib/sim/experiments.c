#include "contrib/sim/experiments.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "contrib/sim/relay_adapter.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sim_batch(const struct sim_config *cfg, uint32_t runs, struct sim_summary *sum,
              FILE *csv, struct sim_result *first, char **err)
{
    memset(sum, 0, sizeof(*sum));
    double t0 = wall_now();
    for (uint32_t i = 0; i < runs; i++) {
        struct sim_config c = *cfg;
        c.seed = sim_mix64(cfg->seed * 0x100000001b3ULL + i);
        c.series = cfg->series && i == 0;
        struct sim *s = sim_new(&c, &sim_relay_adapter, err);
        if (!s)
            return -1;
        struct sim_result r;
        sim_run(s, (uint32_t)(sim_mix64(c.seed) % c.nodes), &r);
        sim_free(s);
        sim_summary_add(sum, &r);
        if (csv)
            sim_report_csv_row(csv, (int)i, &r);
        if (first && i == 0)
            *first = r;
        else
            sim_result_clear(&r);
    }
    sim_summary_finish(sum);
    sum->wall_s = wall_now() - t0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        sum->maxrss_kb = ru.ru_maxrss;
    return 0;
}

void sim_config_paper(struct sim_config *cfg, uint32_t nodes, uint32_t k)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nodes = nodes;
    cfg->topo.kind = SIM_TOPO_COMPLETE;
    cfg->net.kind = SIM_LAT_CONSTANT;
    cfg->proto = (struct sim_proto){
        .mode = SIM_MODE_PUSH, .feedback = true, .stop = SIM_STOP_COUNTER, .k = k,
        .fanout = 1, .cycles = true, .implicit_peers = true, .known_entries = 0,
        .recent_entries = 16, .paper_feedback = true,
    };
    cfg->tx_size = 250;
    cfg->max_time_s = 10000;
    cfg->seed = 1;
}

/* A row of one of Demers et al.'s tables (n = 1000). */
struct paper_row {
    double s, m, t_ave, t_last;
};

/* Table 1 (push, feedback + counter), k = 1..5. */
static const struct paper_row paper_table1[5] = {
    {0.18, 1.7, 11.0, 16.8}, {0.037, 3.3, 12.1, 16.9}, {0.011, 4.5, 12.5, 17.4},
    {0.0036, 5.6, 12.7, 17.5}, {0.0012, 6.7, 12.8, 17.7},
};

/* Table 3 (pull, feedback + counter), k = 1..3. */
static const struct paper_row paper_table3[3] = {
    {0.031, 2.7, 9.97, 17.6}, {0.00058, 4.5, 10.07, 15.4}, {0.000004, 6.1, 10.08, 14.0},
};

static bool close_enough(double ours, double paper)
{
    double tol = fmax(0.10 * paper, 0.002);
    return fabs(ours - paper) <= tol;
}

/* Runs cfg and prints one row beside the paper's (NULL: the paper has
 * none). 1 if within tolerance (or not judged), 0 if not, -1 on error. */
static int table_row(FILE *out, const struct sim_config *cfg, const char *label,
                     const struct paper_row *paper, bool judged, uint32_t runs, char **err)
{
    struct sim_summary s;
    if (sim_batch(cfg, runs, &s, NULL, NULL, err) != 0)
        return -1;
    judged = judged && paper;
    bool ok = !judged || (close_enough(s.residue, paper->s) && close_enough(s.traffic, paper->m) &&
                          fabs(s.t_last - paper->t_last) <= 1.0);
    char ps[16] = "-", pm[16] = "-", pa[16] = "-", pt[16] = "-";
    if (paper) {
        snprintf(ps, sizeof(ps), "%.6f", paper->s);
        snprintf(pm, sizeof(pm), "%.1f", paper->m);
        snprintf(pa, sizeof(pa), "%.2f", paper->t_ave);
        snprintf(pt, sizeof(pt), "%.2f", paper->t_last);
    }
    fprintf(out, " %u | %-8s | %.6f | %-8s | %.2f | %-3s | %5.2f | %5s | %5.2f | %5s | %s\n",
            cfg->proto.k, label, s.residue, ps, s.traffic, pm, s.t_ave, pa, s.t_last, pt,
            !judged ? "-" : ok ? "yes" : "NO");
    fflush(out);
    return ok ? 1 : 0;
}

static const char table_head[] =
    " k | rule     | residue s (ours | paper) | traffic m   | t_ave (ours | paper) | "
    "t_last (ours | paper) | ok\n";

/* One kind of row of a table: the rule it runs and the paper's figures
 * (NULL: the paper has none); only judged rows count against it. */
struct table_rule {
    const char *label;
    enum sim_mode mode;
    bool paper_feedback;
    const struct paper_row *paper; /* indexed by k - 1 */
    bool judged;
    uint64_t seed_offset;
};

struct paper_table {
    int number;
    const char *intro; /* after "Table N: " */
    const char *notes; /* the lines before the column heads */
    uint32_t kmax;
    const struct table_rule *rules;
    size_t nrules;
    bool k_outer; /* rows by k, each rule within; else by rule, each k */
    const char *footer;
};

static const struct table_rule table1_rules[] = {
    {"paper", SIM_MODE_PUSH, true, paper_table1, true, 0},
    {"bitcoin", SIM_MODE_PUSH, false, paper_table1, false, 0},
};

static const struct table_rule table3_rules[] = {
    {"pull", SIM_MODE_PULL, true, paper_table3, true, 10 * SIM_MODE_PULL},
    {"pushpull", SIM_MODE_PUSHPULL, true, NULL, true, 10 * SIM_MODE_PUSHPULL},
};

static const struct paper_table paper_tables[] = {
    {.number = 1, .intro = "push, feedback + counter",
     .notes = "feedback 'paper': every push to a node that lacked the rumor when the cycle\n"
              "began is useful; 'bitcoin': one getdata in flight per hash, so a second push\n"
              "in the same cycle goes unrequested (useless). Tolerance: 10% or 0.002 on s\n"
              "and m, one cycle on t_last; it applies to the 'paper' rows.\n",
     .kmax = 5, .rules = table1_rules, .nrules = 2, .k_outer = true,
     .footer = "(push spreading obeys s = e^-m)\n"},
    {.number = 3, .intro = "pull, feedback + counter",
     .notes = "Every node asks one random node for news each cycle; the answers a node gives\n"
              "in one cycle are one contact, useless if no asker lacked the rumor. Push-pull\n"
              "(a push and the answers each cycle; the paper has no such table) is ours only.\n"
              "Tolerance: 10% or 0.002 on s and m, one cycle on t_last.\n",
     .kmax = 3, .rules = table3_rules, .nrules = 2, .k_outer = false, .footer = ""},
};

int sim_paper_table(FILE *out, int number, uint64_t seed, uint32_t runs, char **err)
{
    const struct paper_table *t = &paper_tables[number == 1 ? 0 : 1];
    int bad = 0;
    fprintf(out, "Demers et al. 1987, Table %d: %s, n = 1000, "
            "%u runs each (our figures | the paper's)\n", t->number, t->intro, runs);
    fputs(t->notes, out);
    fputs(table_head, out);
    for (size_t r = 0; r < t->kmax * t->nrules; r++) {
        uint32_t k = t->k_outer ? (uint32_t)(r / t->nrules) + 1 : (uint32_t)(r % t->kmax) + 1;
        const struct table_rule *rule = &t->rules[t->k_outer ? r % t->nrules : r / t->kmax];
        struct sim_config cfg;
        sim_config_paper(&cfg, 1000, k);
        cfg.proto.mode = rule->mode;
        cfg.proto.paper_feedback = rule->paper_feedback;
        cfg.seed = seed + rule->seed_offset + k;
        int ok = table_row(out, &cfg, rule->label, rule->paper ? &rule->paper[k - 1] : NULL,
                           rule->judged, runs, err);
        if (ok < 0)
            return -1;
        bad += !ok;
    }
    fputs(t->footer, out);
    return bad ? 1 : 0;
}

int sim_spread(FILE *out, uint64_t seed, uint32_t max_n, char **err)
{
    fprintf(out, "Ideal spread on the complete graph: rounds until every node is informed "
            "(mean of runs) | log_f N | log_(f+1) N (lower bound)\n");
    fprintf(out, "%9s", "N \\ f");
    for (uint32_t f = 2; f <= 8; f++)
        fprintf(out, " | %-17u", f);
    fprintf(out, "\n");
    for (uint32_t n = 1000; n <= max_n && n >= 1000; n *= 10) {
        fprintf(out, "%9u", n);
        for (uint32_t f = 2; f <= 8; f++) {
            struct sim_config cfg;
            /* Nobody stops while the rumor is still news: a blind counter
             * far above the pushes a spread takes (and no verdicts to
             * keep). The run ends once everyone knows. */
            sim_config_paper(&cfg, n, 100000);
            cfg.proto.feedback = false;
            cfg.proto.paper_feedback = false;
            cfg.proto.fanout = f;
            cfg.until_informed = true;
            cfg.seed = seed + n + f;
            uint32_t runs = n <= 10000 ? 20 : n <= 100000 ? 5 : 1;
            struct sim_summary s;
            if (sim_batch(&cfg, runs, &s, NULL, NULL, err) != 0)
                return -1;
            fprintf(out, " | %5.2f %5.2f %5.2f", s.t_last, log(n) / log(f), log(n) / log(f + 1));
            fflush(out);
        }
        fprintf(out, "\n");
    }
    return 0;
}
