/* hearsay-sim: the node's relay core on 1,000 to 1,000,000 simulated nodes.
 * See contrib/sim/README.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/sim/experiments.h"
#include "contrib/sim/report.h"
#include "contrib/sim/txload.h"
#include "chain/util/err.h"
#include "net/relay/txrecon.h"

struct opts {
    struct sim_config cfg;
    struct sim_txload_config load; /* its base is cfg, filled after parsing */
    uint32_t runs;
    bool json, csv, table1, table3, spread, explicit_set;
    const char *plot;
    uint32_t spread_max;
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hearsay-sim [options]\n"
        "  --nodes N                 simulated nodes (1000)\n"
        "  --topology T              complete | regular:K | bitcoin[:OUT:CAP] (complete)\n"
        "  --mode M                  push | pull | pushpull | recon (push); recon (or\n"
        "                            --txreconciliation): Erlay, --fanout outbound peers\n"
        "                            flooded, the rest by reconciliation (needs --txs)\n"
        "  --feedback | --blind      count useless pushes, or all pushes (feedback)\n"
        "  --counter K | --coin K | --once   stop rule (counter 1)\n"
        "  --fanout F                peers per round; 0 = flood every peer (1)\n"
        "  --cycles                  synchronous cycles, the papers' model (default)\n"
        "  --trickle MS[:OUT]        Poisson trickle, inbound/outbound means (OUT = 0.4 MS)\n"
        "  --round MS                between push rounds of a rumor (trickle; = MS)\n"
        "  --window MS               feedback window: no getdata by then = useless (MS)\n"
        "  --latency L               const:MS | uniform:MS:MS | lognormal:MEDIAN:SIGMA\n"
        "                            (lognormal:50:0.5; cycles: every hop within a cycle)\n"
        "  --loss P                  message loss probability (0)\n"
        "  --antientropy S           anti-entropy round every S seconds/cycles (0 = off)\n"
        "  --down F                  fraction of nodes down (0)\n"
        "  --churn S                 mean up-session seconds; nodes come and go (0 = off)\n"
        "  --paper-feedback          cycles: every push to a node that lacked the rumor at\n"
        "                            the cycle's start is requested (Demers et al.)\n"
        "  --peers implicit|explicit core peer tables (implicit on complete, else explicit)\n"
        "  --known N --recent N      per-peer known set, node-wide seen set sizes (64, 16)\n"
        "  --txsize B                transaction payload bytes (250)\n"
        "  --max-time T              end of a run, cycles or seconds (10000)\n"
        "  --sample MS               S/I/R sampling step in trickle mode (100)\n"
        "  --until-all               end a run once every up node is informed\n"
        "  --txs T --rate R          a stream of T transactions, R per second (Poisson),\n"
        "                            random origins; explicit topology, event time (7/s)\n"
        "  --recon-interval MS       one reconciliation per node this often (2000)\n"
        "  --recon-q Q               q of the capacity estimate in reqrecon (0.25)\n"
        "  --req-delay MS            with --txs: request delay for announcements from\n"
        "                            inbound peers (the node's: 2000 when flooding or\n"
        "                            reconciling without flooding, 0 with a fanout);\n"
        "                            a reconciliation round's answers go at once\n"
        "  --runs R --seed S         runs to average and the base seed (1, 1)\n"
        "  --json | --csv            one JSON object of averages | a CSV row per run\n"
        "  --plot FILE.png           S/I/R fractions over time of the first run (gnuplot)\n"
        "  --table1 [--runs R]       Demers et al. Table 1 beside ours (R = 200)\n"
        "  --table3 [--runs R]       their Table 3 (pull) beside ours, and push-pull (R = 200)\n"
        "  --spread [--nodes MAX]    rounds to inform all vs log_f N, N = 10^3..MAX\n");
}

static void set_defaults(struct opts *o)
{
    memset(o, 0, sizeof(*o));
    sim_config_paper(&o->cfg, 1000, 1);
    sim_netmodel_parse("lognormal:50:0.5", &o->cfg.net, NULL);
    o->cfg.proto.trickle_ms = 0;
    o->cfg.proto.paper_feedback = false;
    o->cfg.proto.known_entries = 64;
    o->cfg.sample_ms = 100;
    o->runs = 1;
    o->load.rate = 7;
    o->load.recon_interval_ms = 2000;
    o->load.recon_q = TXRECON_DEFAULT_Q;
    o->load.req_delay_ms = -1;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *s != '\0' && *end == '\0' && *out >= 0;
}

static int parse_trickle(struct opts *o, const char *arg)
{
    double in, out;
    char tail;
    int n = sscanf(arg, "%lf:%lf%c", &in, &out, &tail);
    if (n < 1 || n > 2 || in <= 0 || (n == 2 && out <= 0))
        return -1;
    struct sim_proto *p = &o->cfg.proto;
    p->cycles = false;
    p->trickle_ms = in;
    p->trickle_out_ms = n == 2 ? out : in * 0.4;
    return 0;
}

enum { O_NODES = 256, O_TOPO, O_MODE, O_FEEDBACK, O_BLIND, O_COUNTER, O_COIN, O_ONCE,
       O_FANOUT, O_CYCLES, O_TRICKLE, O_ROUND, O_WINDOW, O_LATENCY, O_LOSS, O_AE, O_DOWN,
       O_CHURN, O_PEERS, O_KNOWN, O_RECENT, O_TXSIZE, O_MAXTIME, O_SAMPLE, O_RUNS, O_SEED,
       O_JSON, O_CSV, O_PLOT, O_TABLE1, O_TABLE3, O_SPREAD, O_PAPER, O_UNTIL, O_TXS, O_RATE,
       O_RECON, O_RECON_IV, O_RECON_Q, O_REQ_DELAY, O_HELP };

static const struct option long_opts[] = {
    {"nodes", 1, 0, O_NODES}, {"topology", 1, 0, O_TOPO}, {"mode", 1, 0, O_MODE},
    {"feedback", 0, 0, O_FEEDBACK}, {"blind", 0, 0, O_BLIND}, {"counter", 1, 0, O_COUNTER},
    {"coin", 1, 0, O_COIN}, {"once", 0, 0, O_ONCE}, {"fanout", 1, 0, O_FANOUT},
    {"cycles", 0, 0, O_CYCLES}, {"trickle", 1, 0, O_TRICKLE}, {"round", 1, 0, O_ROUND},
    {"window", 1, 0, O_WINDOW}, {"latency", 1, 0, O_LATENCY}, {"loss", 1, 0, O_LOSS},
    {"antientropy", 1, 0, O_AE}, {"down", 1, 0, O_DOWN}, {"churn", 1, 0, O_CHURN},
    {"peers", 1, 0, O_PEERS}, {"known", 1, 0, O_KNOWN}, {"recent", 1, 0, O_RECENT},
    {"txsize", 1, 0, O_TXSIZE}, {"max-time", 1, 0, O_MAXTIME}, {"sample", 1, 0, O_SAMPLE},
    {"runs", 1, 0, O_RUNS}, {"seed", 1, 0, O_SEED}, {"json", 0, 0, O_JSON},
    {"csv", 0, 0, O_CSV}, {"plot", 1, 0, O_PLOT}, {"table1", 0, 0, O_TABLE1},
    {"table3", 0, 0, O_TABLE3},
    {"spread", 0, 0, O_SPREAD}, {"paper-feedback", 0, 0, O_PAPER}, {"until-all", 0, 0, O_UNTIL},
    {"txs", 1, 0, O_TXS}, {"rate", 1, 0, O_RATE}, {"txreconciliation", 0, 0, O_RECON},
    {"recon-interval", 1, 0, O_RECON_IV}, {"recon-q", 1, 0, O_RECON_Q},
    {"req-delay", 1, 0, O_REQ_DELAY},
    {"help", 0, 0, O_HELP},
    {0, 0, 0, 0},
};

static int parse_mode(struct sim_proto *p, const char *arg)
{
    if (strcmp(arg, "push") == 0)
        p->mode = SIM_MODE_PUSH;
    else if (strcmp(arg, "pull") == 0)
        p->mode = SIM_MODE_PULL;
    else if (strcmp(arg, "pushpull") == 0)
        p->mode = SIM_MODE_PUSHPULL;
    else
        return -1;
    return 0;
}

/* One option; 0, or -1 with *err. */
static int parse_one(struct opts *o, int c, const char *arg, char **err)
{
    struct sim_config *cfg = &o->cfg;
    struct sim_proto *p = &cfg->proto;
    uint64_t seed;
    bool ok = true;
    switch (c) {
    case O_NODES: ok = parse_u32(arg, &cfg->nodes) && cfg->nodes >= 2; break;
    case O_TOPO: return sim_topo_parse(arg, &cfg->topo, err);
    case O_MODE:
        o->load.recon = strcmp(arg, "recon") == 0;
        ok = o->load.recon || parse_mode(p, arg) == 0;
        break;
    case O_RECON: o->load.recon = true; break;
    case O_TXS: ok = parse_u32(arg, &o->load.txs) && o->load.txs; break;
    case O_RATE: ok = parse_double(arg, &o->load.rate) && o->load.rate > 0; break;
    case O_RECON_IV:
        ok = parse_double(arg, &o->load.recon_interval_ms) && o->load.recon_interval_ms > 0;
        break;
    case O_REQ_DELAY: ok = parse_double(arg, &o->load.req_delay_ms); break;
    case O_RECON_Q:
        ok = parse_double(arg, &o->load.recon_q) && o->load.recon_q <= TXRECON_MAX_Q;
        break;
    case O_FEEDBACK: p->feedback = true; break;
    case O_BLIND: p->feedback = false; break;
    case O_COUNTER: p->stop = SIM_STOP_COUNTER; ok = parse_u32(arg, &p->k) && p->k; break;
    case O_COIN: p->stop = SIM_STOP_COIN; ok = parse_u32(arg, &p->k) && p->k; break;
    case O_ONCE: p->stop = SIM_STOP_ONCE; p->k = 1; break;
    case O_FANOUT: ok = parse_u32(arg, &p->fanout); break;
    case O_CYCLES: p->cycles = true; break;
    case O_TRICKLE: ok = parse_trickle(o, arg) == 0; break;
    case O_ROUND: ok = parse_double(arg, &p->round_ms) && p->round_ms > 0; break;
    case O_WINDOW: ok = parse_double(arg, &p->window_ms); break;
    case O_LATENCY: return sim_netmodel_parse(arg, &cfg->net, err);
    case O_LOSS: ok = parse_double(arg, &cfg->net.loss) && cfg->net.loss < 1; break;
    case O_AE: ok = parse_double(arg, &cfg->antientropy_s); break;
    case O_DOWN: ok = parse_double(arg, &cfg->down) && cfg->down < 1; break;
    case O_CHURN: ok = parse_double(arg, &cfg->churn_s); break;
    case O_PEERS:
        o->explicit_set = true;
        ok = strcmp(arg, "implicit") == 0 || strcmp(arg, "explicit") == 0;
        p->implicit_peers = strcmp(arg, "implicit") == 0;
        break;
    case O_KNOWN: ok = parse_u32(arg, &p->known_entries); break;
    case O_RECENT: ok = parse_u32(arg, &p->recent_entries) && p->recent_entries; break;
    case O_TXSIZE: ok = parse_u32(arg, &cfg->tx_size); break;
    case O_MAXTIME: ok = parse_double(arg, &cfg->max_time_s); break;
    case O_SAMPLE: ok = parse_double(arg, &cfg->sample_ms) && cfg->sample_ms > 0; break;
    case O_RUNS: ok = parse_u32(arg, &o->runs) && o->runs; break;
    case O_SEED: ok = sscanf(arg, "%llu", (unsigned long long *)&seed) == 1; cfg->seed = seed; break;
    case O_JSON: o->json = true; break;
    case O_CSV: o->csv = true; break;
    case O_PLOT: o->plot = arg; cfg->series = true; break;
    case O_TABLE1: o->table1 = true; break;
    case O_TABLE3: o->table3 = true; break;
    case O_SPREAD: o->spread = true; break;
    case O_PAPER: p->paper_feedback = true; break;
    case O_UNTIL: cfg->until_informed = true; break;
    default: ok = false; break;
    }
    if (!ok)
        err_set(err, "bad value for an option: %s", arg ? arg : "(none)");
    return ok ? 0 : -1;
}

static int parse_args(struct opts *o, int argc, char **argv, char **err)
{
    int c;
    bool runs_set = false;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == O_HELP) {
            usage(stdout);
            exit(0);
        }
        if (c == '?' || parse_one(o, c, optarg, err) != 0) {
            if (!*err)
                err_set(err, "unknown option (see --help)");
            return -1;
        }
        runs_set |= c == O_RUNS;
    }
    if (optind < argc) {
        err_set(err, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    struct sim_proto *p = &o->cfg.proto;
    if (!o->explicit_set)
        p->implicit_peers = o->cfg.topo.kind == SIM_TOPO_COMPLETE;
    if (!p->cycles) {
        if (p->round_ms == 0)
            p->round_ms = p->trickle_ms;
        if (p->window_ms == 0)
            p->window_ms = p->round_ms;
    }
    if (p->paper_feedback && !p->cycles) {
        err_set(err, "--paper-feedback is a rule of synchronous cycles (--cycles)");
        return -1;
    }
    if ((o->table1 || o->table3) && !runs_set)
        o->runs = 200;
    if (o->load.recon && o->load.txs == 0) {
        err_set(err, "reconciliation is measured on a stream of transactions: give --txs");
        return -1;
    }
    o->load.base = o->cfg;
    return 0;
}

static int run_batch(const struct opts *o, char **err)
{
    const char *unit = o->cfg.proto.cycles ? "cycles" : "s";
    struct sim_summary sum;
    struct sim_result first;
    memset(&first, 0, sizeof(first));
    if (o->csv)
        sim_report_csv_header(stdout);
    if (sim_batch(&o->cfg, o->runs, &sum, o->csv ? stdout : NULL, &first, err) != 0)
        return -1;
    int rc = 0;
    if (o->plot)
        rc = sim_report_plot(o->plot, &first, o->cfg.nodes, unit, err);
    sim_result_clear(&first);
    if (o->json)
        sim_report_json(stdout, &sum, &o->cfg, unit);
    else if (!o->csv)
        sim_report_table(stdout, &sum, unit);
    return rc;
}

/* One run of the transaction stream (runs and CSV are for single rumors). */
static int run_txload(const struct opts *o, char **err)
{
    struct sim_txload_result r;
    if (sim_txload_run(&o->load, &r, err) != 0)
        return -1;
    if (o->json)
        sim_txload_report_json(stdout, &o->load, &r);
    else
        sim_txload_report_table(stdout, &o->load, &r);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    char *err = NULL;
    set_defaults(&o);
    int rc;
    if (parse_args(&o, argc, argv, &err) != 0)
        rc = -1;
    else if (o.table1 || o.table3)
        rc = sim_paper_table(stdout, o.table1 ? 1 : 3, o.cfg.seed, o.runs, &err);
    else if (o.spread)
        rc = sim_spread(stdout, o.cfg.seed, o.cfg.nodes < 1000 ? 1000 : o.cfg.nodes, &err);
    else if (o.load.txs > 0)
        rc = run_txload(&o, &err);
    else
        rc = run_batch(&o, &err);
    if (rc < 0) {
        fprintf(stderr, "hearsay-sim: %s\n", err ? err : "failed");
        free(err);
        return 2;
    }
    return rc;
}
