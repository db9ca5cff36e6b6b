#!/bin/sh
# Scale runs of hearsay-sim (the node's relay core on simulated networks):
# CPU and wall time and peak memory (ru_maxrss) for one rumor on the
# complete graph at 10^4..MAX nodes, and a Bitcoin-like network of 10,000
# nodes with the flood policy against fanout 2..8 under each stop rule,
# without and with anti-entropy. Prints figures; never pass/fail. Build
# without sanitizers for real figures.
# Usage: bench_sim.sh [MAX_NODES [RUNS]]   (defaults 1000000, 3)
set -eu
SIM=${HEARSAY_SIM:-./contrib/sim/hearsay-sim}
MAX=${1:-1000000}
RUNS=${2:-3}
PY=${PYTHON3:-python3}

echo "== scale: complete graph, push, feedback + counter 4, fanout 1, cycles, one rumor"
n=10000
while [ "$n" -le "$MAX" ]; do
    /usr/bin/time -f "   N=$n: %U s user, %S s sys, %e s wall, %M KB peak RSS" \
        "$SIM" --nodes "$n" --counter 4 --json |
        "$PY" -c 'import json,sys; j=json.load(sys.stdin); print("   N=%d: residue %.5f, traffic %.2f, t_last %d cycles, %d events, relay cores %.0f B/node" % (j["nodes"], j["residue"], j["traffic"], j["t_last"], j["events"], j["memory"]["relay"]/j["nodes"]))'
    n=$((n * 10))
done

echo
echo "== Bitcoin-like topology (8 outbound, 125 max), N = 10000, $RUNS runs each:"
echo "   trickle 5 s inbound / 2 s outbound, rounds 2 s, feedback window 2 s,"
echo "   log-normal links (median 50 ms, sigma 0.5); latency in seconds;"
echo "   residue without anti-entropy, then with anti-entropy every 10 s"
row() {
    label=$1
    shift
    base="--nodes 10000 --topology bitcoin --trickle 5000:2000 --round 2000 --window 2000 --runs $RUNS --json"
    # shellcheck disable=SC2086
    plain=$("$SIM" $base "$@")
    # shellcheck disable=SC2086
    ae=$("$SIM" $base --antientropy 10 "$@")
    printf '%s\n%s\n' "$plain" "$ae" | "$PY" -c '
import json, sys
label = sys.argv[1]
p, a = [json.loads(l) for l in sys.stdin]
L = p["latency"]
print("%-18s %8.4f %8.4f | %6.2f %6.2f %6.2f %6.2f %7.2f | %6.2f %7.0f | %7.2f %7.0f" % (
    label, p["residue"], a["residue"], L["p50"], L["p90"], L["p95"], L["p99"], p["t_last"],
    p["traffic"], p["bytes_per_node"], a["t_last"], a["bytes_per_node"]))' "$label"
}
printf '%-18s %8s %8s | %6s %6s %6s %6s %7s | %6s %7s | %7s %7s\n' policy residue "res+AE" \
    p50 p90 p95 p99 t_last "inv/n" "B/node" "AE t_last" "AE B/n"
row "flood once" --fanout 0 --once
for f in 2 3 4 5 6 7 8; do
    row "f=$f once" --fanout "$f" --once
    row "f=$f counter:2" --fanout "$f" --counter 2
    row "f=$f coin:2" --fanout "$f" --coin 2
done
