#!/bin/sh
# Issue 7's measurement (not a test): 50 nodes on a random 8-regular graph,
# -trickle=0, 100 transactions with the default policy, then with
# -fanout=3 -gossipstop=counter:2. Reports and plots go to OUT_DIR.
#   [SEED=8] [RATE=4] [COUNT=100] [NODES=50] [RUNS="flood counter2"] \
#     contrib/regtest-net/measure-issue7.sh BUILD_DIR [OUT_DIR] [BASE_PORT]
# RUNS picks the policies, in order: flood (the default policy), and with
# -fanout=3: counter2 (-gossipstop=counter:2), coin2 (coin:2), once.
# Extra hearsayd options for every run go in EXTRA (e.g. "-antientropy=5").
# TRICKLE sets -trickle for every run (default 0; empty: hearsayd's default,
# Bitcoin Core's 5 s inbound / 2 s outbound Poisson trickle).
# COUNTERS= (empty) takes traffic from getpeerinfo instead of restarting the
# nodes, so that messages outside the known list (reconciliation's) show,
# as *other*.
# The reconciliation counters printed after a load are the load's share.
# Issue 13's runs: erlay (-txreconciliation=1, flooding to ERLAY_FANOUT
# outbound reconciling peers, default 8, a round every TXRECON_MS ms).
set -eu
build=$(cd "${1:?usage: measure-issue7.sh BUILD_DIR [OUT_DIR] [BASE_PORT]}" && pwd)
out=${2:-issue7-$(date -u +%Y%m%dT%H%M%SZ)}
port=${3:-24000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
net="$out/net"
trickle=${TRICKLE-0}
trap '"$here/regtest-net" down --dir "$net" >/dev/null 2>&1 || true' EXIT INT TERM

run() { # name, then regtest-net up options
    name=$1; shift
    # shellcheck disable=SC2086 # EXTRA is a list of options
    extra="${EXTRA:-} ${RUN_EXTRA:-}"
    # shellcheck disable=SC2086 # the options are lists
    "$here/regtest-net" up "${NODES:-50}" --topology random:8 --seed "${SEED:-8}" \
        ${trickle:+--trickle "$trickle"} \
        --coinbases 1 --base-port "$port" --build "$build" --dir "$net" "$@" \
        -- $extra > "$out/$name.up"
    head -1 "$out/$name.up"
    "$here/rnrecon.py" "$net" --save "$out/$name.recon0"
    # shellcheck disable=SC2086 # COUNTERS is an option or nothing
    "$here/regtest-net" load --rate "${RATE:-4}" --count "${COUNT:-100}" ${COUNTERS---counters-by-restart} \
        --dir "$net" --json "$out/$name.json" --csv "$out/$name.csv" \
        --plot "$out/$name.png" | tee "$out/$name.txt"
    "$here/rnrecon.py" "$net" --since "$out/$name.recon0" | tee -a "$out/$name.txt"
    "$here/regtest-net" down --dir "$net" --clean >/dev/null
}

for r in ${RUNS:-flood counter2}; do
    case $r in
    flood) echo "== default policy (flood once), -trickle=0"; run flood ;;
    counter2) echo "== -fanout=3 -gossipstop=counter:2, -trickle=0"
        run fanout3 --fanout 3 --gossipstop counter:2 ;;
    coin2) echo "== -fanout=3 -gossipstop=coin:2, -trickle=0"
        run fanout3-coin2 --fanout 3 --gossipstop coin:2 ;;
    once) echo "== -fanout=3 -gossipstop=once, -trickle=0"
        run fanout3-once --fanout 3 --gossipstop once ;;
    erlay) echo "== -txreconciliation=1, flood to ${ERLAY_FANOUT:-8} outbound"
        RUN_EXTRA="-txreconciliation=1 -txreconinterval=${TXRECON_MS:-1000}" \
            run "erlay-f${ERLAY_FANOUT:-8}-i${TXRECON_MS:-1000}" --fanout "${ERLAY_FANOUT:-8}" ;;
    *) echo "unknown run '$r' (flood, counter2, coin2, once, erlay)" >&2; exit 2 ;;
    esac
done
# One page comparing the runs (plots need gnuplot).
"$here/regtest-net" report --last 10 --out "$out/report.html" "$out"/*.json
