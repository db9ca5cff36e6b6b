#!/bin/sh
# Prints Demers et al.'s Table 1 beside our figures (push, feedback +
# counter, n = 1000, k = 1..5), their Table 3 (pull, k = 1..3, with our
# push-pull), then the ideal-spread table, from the simulator running the
# node's relay core. Usage: table1.sh [RUNS] [MAX_N]
set -eu
SIM=${HEARSAY_SIM:-$(dirname "$0")/hearsay-sim}
[ -x "$SIM" ] || SIM=./contrib/sim/hearsay-sim
"$SIM" --table1 --runs "${1:-200}" || true
echo
"$SIM" --table3 --runs "${1:-200}" || true
echo
"$SIM" --spread --nodes "${2:-100000}"
