#!/bin/sh
# Scale runs of hearsay-sim (the node's relay core on simulated networks):
# wall time and peak memory (ru_maxrss) for one rumor on the complete graph
# at 10^4..10^6 nodes, and a Bitcoin-like network of 10,000 nodes with the
# flood policy against fanout 2..8 under each stop rule, anti-entropy on.
# Prints figures; never pass/fail. Build without sanitizers for real figures.
# Usage: bench_sim.sh [MAX_NODES]   (default 1000000)
set -eu
SIM=${HEARSAY_SIM:-./contrib/sim/hearsay-sim}
MAX=${1:-1000000}
echo "== scale: complete graph, push, feedback + counter 4, fanout 1, cycles"
n=10000
while [ "$n" -le "$MAX" ]; do
    /usr/bin/time -f "   %e s wall, %M KB peak (time -f)" "$SIM" --nodes "$n" --counter 4 --json
    n=$((n * 10))
done
echo "== Bitcoin-like, N = 10000, trickle 5 s in / 2 s out, log-normal 50 ms links,"
echo "   anti-entropy every 10 s; 3 runs each (latency in seconds, bytes per node)"
bitcoin() {
    "$SIM" --nodes 10000 --topology bitcoin --trickle 5000:2000 --round 2000 --window 2000 \
        --antientropy 10 --runs 3 --json "$@"
}
printf '%-22s %s\n' "policy" "json"
printf '%-22s ' "flood once"; bitcoin --fanout 0 --once
for f in 2 3 4 5 6 7 8; do
    for stop in "--once" "--counter 2" "--coin 2"; do
        printf '%-22s ' "fanout $f $stop"
        # shellcheck disable=SC2086
        bitcoin --fanout "$f" $stop
    done
done
