/* The workload's figures: a table and one JSON object. */
#include "contrib/sim/txload.h"

#include <math.h>

static const char *const pct_names[SIM_TL_NPCT] = {"p50", "p99", "p100"};

const char *sim_tl_msg_name(enum sim_tl_msg t)
{
    static const char *const names[SIM_TL_COUNT] = {
        "inv", "getdata", "tx", "notfound", "reqrecon", "sketch", "reqsketchext",
        "reconcildiff",
    };
    return (unsigned)t < SIM_TL_COUNT ? names[t] : "?";
}

double sim_txload_per_tx_node(const struct sim_txload_result *r, uint64_t bytes)
{
    return r->txs && r->nodes ? (double)bytes / ((double)r->txs * r->nodes) : 0;
}

uint64_t sim_txload_announce_bytes(const struct sim_txload_result *r)
{
    uint64_t b = r->bytes[SIM_TL_INV];
    for (int t = SIM_TL_REQRECON; t < SIM_TL_COUNT; t++)
        b += r->bytes[t];
    return b;
}

uint64_t sim_txload_total_bytes(const struct sim_txload_result *r)
{
    uint64_t b = 0;
    for (int t = 0; t < SIM_TL_COUNT; t++)
        b += r->bytes[t];
    return b;
}

static const char *mode_name(const struct sim_txload_config *c)
{
    return c->recon ? "recon" : c->base.proto.fanout == 0 ? "flood" : "fanout";
}

void sim_txload_report_table(FILE *f, const struct sim_txload_config *c,
                             const struct sim_txload_result *r)
{
    fprintf(f, "workload  %u txs at %.2f/s on %u nodes, %s (fanout %u", r->txs, c->rate,
            r->nodes, mode_name(c), c->base.proto.fanout);
    if (c->recon)
        fprintf(f, ", interval %.0f ms, q %.3f", c->recon_interval_ms, c->recon_q);
    fprintf(f, ")\nresidue   %.6f (%llu node-transaction pairs never informed)\n", r->residue,
            (unsigned long long)r->missing);
    fprintf(f, "latency   to");
    for (int p = 0; p < SIM_TL_NPCT; p++)
        fprintf(f, " %s %.3f", pct_names[p], r->lat_mean[p]);
    fprintf(f, " s (mean over txs); worst");
    for (int p = 0; p < SIM_TL_NPCT; p++)
        fprintf(f, " %.3f", r->lat_worst[p]);
    fprintf(f, " s\nbytes per tx per node (messages per tx per node):\n");
    for (int t = 0; t < SIM_TL_COUNT; t++)
        if (r->msgs[t])
            fprintf(f, "  %-13s %9.1f (%.3f)\n", sim_tl_msg_name((enum sim_tl_msg)t),
                    sim_txload_per_tx_node(r, r->bytes[t]),
                    sim_txload_per_tx_node(r, r->msgs[t]));
    fprintf(f, "  announcements %9.1f (inv + reconciliation)\n",
            sim_txload_per_tx_node(r, sim_txload_announce_bytes(r)));
    fprintf(f, "  total         %9.1f\n", sim_txload_per_tx_node(r, sim_txload_total_bytes(r)));
    fprintf(f, "duplicate payloads %.4f per tx per node\n",
            sim_txload_per_tx_node(r, r->duplicates));
    if (c->recon)
        fprintf(f, "recon     %llu rounds, %llu sketches, %llu decode failures, %llu "
                "extensions, %llu fallbacks, %.2f differences per round, %llu answers "
                "requested at once, %llu errors\n",
                (unsigned long long)r->recon_rounds, (unsigned long long)r->sketches,
                (unsigned long long)r->decode_failures, (unsigned long long)r->extensions,
                (unsigned long long)r->fallbacks,
                r->recon_rounds ? (double)r->differences / r->recon_rounds : 0,
                (unsigned long long)r->answers, (unsigned long long)r->recon_errors);
    fprintf(f, "run       %.1f s virtual, %llu events, %.1f s wall; relay cores %.1f MB, "
            "engine %.1f MB, peak RSS %.1f MB\n", r->end_time, (unsigned long long)r->events,
            r->wall_s, r->mem_relay / 1e6, r->mem_engine / 1e6, r->maxrss_kb / 1024.0);
}

/* JSON has no infinity: a fraction never reached is null. */
static void json_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.4f", x);
    else
        fputs("null", f);
}

void sim_txload_report_json(FILE *f, const struct sim_txload_config *c,
                            const struct sim_txload_result *r)
{
    fprintf(f, "{\"mode\": \"%s\", \"nodes\": %u, \"txs\": %u, \"rate\": %.3f, "
            "\"fanout\": %u, \"recon_interval_ms\": %.1f, \"residue\": %.6f, "
            "\"missing\": %llu, \"latency\": {", mode_name(c), r->nodes, r->txs, c->rate,
            c->base.proto.fanout, c->recon ? c->recon_interval_ms : 0.0, r->residue,
            (unsigned long long)r->missing);
    for (int p = 0; p < SIM_TL_NPCT; p++) {
        fprintf(f, "%s\"%s\": {\"mean\": ", p ? ", " : "", pct_names[p]);
        json_num(f, r->lat_mean[p]);
        fputs(", \"worst\": ", f);
        json_num(f, r->lat_worst[p]);
        fputs("}", f);
    }
    fputs("}, \"bytes_per_tx_per_node\": {", f);
    for (int t = 0; t < SIM_TL_COUNT; t++)
        fprintf(f, "%s\"%s\": %.3f", t ? ", " : "", sim_tl_msg_name((enum sim_tl_msg)t),
                sim_txload_per_tx_node(r, r->bytes[t]));
    fputs("}, \"msgs\": {", f);
    for (int t = 0; t < SIM_TL_COUNT; t++)
        fprintf(f, "%s\"%s\": %llu", t ? ", " : "", sim_tl_msg_name((enum sim_tl_msg)t),
                (unsigned long long)r->msgs[t]);
    fprintf(f, "}, \"announce_bytes_per_tx_per_node\": %.3f, "
            "\"total_bytes_per_tx_per_node\": %.3f, \"duplicates_per_tx_per_node\": %.5f, "
            "\"recon\": {\"rounds\": %llu, \"sketches\": %llu, \"decode_failures\": %llu, "
            "\"extensions\": %llu, \"fallbacks\": %llu, \"differences\": %llu, "
            "\"answers\": %llu, \"errors\": %llu}, \"end_time\": %.3f, \"events\": %llu, \"memory\": "
            "{\"relay\": %zu, \"engine\": %zu, \"maxrss_kb\": %ld}, \"wall_s\": %.3f}\n",
            sim_txload_per_tx_node(r, sim_txload_announce_bytes(r)),
            sim_txload_per_tx_node(r, sim_txload_total_bytes(r)),
            sim_txload_per_tx_node(r, r->duplicates), (unsigned long long)r->recon_rounds,
            (unsigned long long)r->sketches, (unsigned long long)r->decode_failures,
            (unsigned long long)r->extensions, (unsigned long long)r->fallbacks,
            (unsigned long long)r->differences, (unsigned long long)r->answers,
            (unsigned long long)r->recon_errors,
            r->end_time, (unsigned long long)r->events, r->mem_relay, r->mem_engine,
            r->maxrss_kb, r->wall_s);
}
