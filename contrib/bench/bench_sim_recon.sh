#!/bin/sh
# Flood, a fanout policy and BIP330 reconciliation on hearsay-sim's
# transaction stream: one markdown row per policy (announcement bytes per
# transaction per node, latency to 50/99/100% of nodes, residue, ...,
# reconciliation answers requested at once, wall time, peak RSS).
#   contrib/bench/bench_sim_recon.sh [NODES [TXS [SEED]]]
# Run from the build directory (HEARSAY_SIM overrides the binary).
set -eu
N=${1:-1000}
T=${2:-200}
SEED=${3:-1}
SIM=${HEARSAY_SIM:-./contrib/sim/hearsay-sim}
PY=${PYTHON3:-python3}
COMMON="--nodes $N --topology bitcoin --trickle 5000:2000 --txs $T --rate 7 --seed $SEED --json"

echo "| policy | announce B/tx/node | vs flood | inv | recon msgs | total B/tx/node | p50 | p99 | p100 (mean) | p99 worst | p100 worst | residue | dup/tx/node | rounds | decode fail | ext | fallbacks | answers | wall s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
FLOOD=
row() {
    name=$1
    shift
    # shellcheck disable=SC2086
    out=$("$SIM" $COMMON "$@")
    FLOOD=${FLOOD:-$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["announce_bytes_per_tx_per_node"])')}
    echo "$out" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
name, flood = sys.argv[1], float(sys.argv[2])
b, l, r = d["bytes_per_tx_per_node"], d["latency"], d["recon"]
f = lambda x: "inf" if x is None else "%.2f" % x
recon = sum(b[k] for k in ("reqrecon", "sketch", "reqsketchext", "reconcildiff"))
a = d["announce_bytes_per_tx_per_node"]
print("| %s | %.1f | %+.1f%% | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s | %.5f | %.4f | %d | %d | %d | %d | %d | %.0f | %.0f |" % (
    name, a, 100 * (a / flood - 1), b["inv"], recon, d["total_bytes_per_tx_per_node"],
    f(l["p50"]["mean"]), f(l["p99"]["mean"]), f(l["p100"]["mean"]), f(l["p99"]["worst"]),
    f(l["p100"]["worst"]), d["residue"], d["duplicates_per_tx_per_node"], r["rounds"],
    r["decode_failures"], r["extensions"], r["fallbacks"], r["answers"], d["wall_s"],
    d["memory"]["maxrss_kb"] / 1024))
' "$name" "$FLOOD"
}
row "flood (Core trickle)" --fanout 0 --once
row "fanout 3 counter:2" --fanout 3 --counter 2
# The node's request rule: a round's answers at once, other invs from
# inbound peers after 2 s (none with a fanout).
row "recon fanout 0, 2 s" --mode recon --fanout 0 --once
row "recon fanout 1, 2 s" --mode recon --fanout 1 --once
row "recon fanout 0, 1.5 s" --mode recon --fanout 0 --once --recon-interval 1500
row "recon fanout 0, 1.25 s" --mode recon --fanout 0 --once --recon-interval 1250
row "recon fanout 0, 1 s" --mode recon --fanout 0 --once --recon-interval 1000
row "recon fanout 1, 1 s" --mode recon --fanout 1 --once --recon-interval 1000
# No request delay at all: what the delay still costs besides answers.
row "recon fanout 0, 1 s, req delay 0" --mode recon --fanout 0 --once --req-delay 0 \
    --recon-interval 1000
