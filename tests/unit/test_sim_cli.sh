#!/bin/sh
# hearsay-sim's command line: JSON with the averaged figures, CSV rows per
# run, a PNG plot through gnuplot, and errors for bad options. Small runs.
set -eu
B=$(cd "${HEARSAY_BUILDDIR:-.}" && pwd)
SIM="$B/contrib/sim/hearsay-sim"
PY=${PYTHON3:-python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SIM" --nodes 300 --runs 3 --counter 2 --seed 4 --json >"$TMP/a.json"
"$SIM" --nodes 300 --runs 3 --counter 2 --seed 4 --json >"$TMP/b.json"
"$PY" - "$TMP/a.json" "$TMP/b.json" <<'PYEOF' || fail "bad JSON"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("residue", "traffic", "t_ave", "t_last", "latency", "bytes_per_node",
          "msgs_per_node", "duplicates_per_node", "memory"):
    assert k in a, k
assert a["runs"] == 3 and a["nodes"] == 300 and a["unit"] == "cycles"
assert 0 <= a["residue"] < 0.2 and 1 < a["traffic"] < 10 and a["t_last"] > a["t_ave"] > 0
for k in ("residue", "traffic", "t_ave", "t_last", "events"):
    assert a[k] == b[k], k  # the same seed, the same figures
PYEOF

"$SIM" --nodes 300 --runs 4 --topology regular:6 --fanout 2 --coin 2 --trickle 1000 \
    --antientropy 5 --csv >"$TMP/runs.csv"
[ "$(wc -l <"$TMP/runs.csv")" -eq 5 ] || fail "CSV: want a header and 4 rows"
head -1 "$TMP/runs.csv" | grep -q '^run,nodes,up,informed,residue,traffic,t_ave,t_last' ||
    fail "CSV header"

if command -v gnuplot >/dev/null; then
    "$SIM" --nodes 300 --counter 2 --plot "$TMP/sir.png" >/dev/null
    head -c 8 "$TMP/sir.png" | od -An -c | grep -q 'P   N   G' || fail "no PNG written"
fi

# A transaction stream with reconciliation: its JSON figures.
"$SIM" --nodes 150 --topology bitcoin --trickle 5000:2000 --txs 20 --mode recon --fanout 1 \
    --once --seed 2 --json >"$TMP/recon.json"
"$PY" - "$TMP/recon.json" <<'PYEOF' || fail "bad reconciliation JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mode"] == "recon" and d["nodes"] == 150 and d["txs"] == 20
assert d["residue"] == 0 and d["latency"]["p100"]["worst"] is not None
b = d["bytes_per_tx_per_node"]
for k in ("inv", "getdata", "tx", "reqrecon", "sketch", "reqsketchext", "reconcildiff"):
    assert k in b, k
assert b["sketch"] > 0 and d["recon"]["rounds"] > 0 and d["recon"]["errors"] == 0
assert abs(d["announce_bytes_per_tx_per_node"] - b["inv"] - b["reqrecon"] - b["sketch"]
           - b["reqsketchext"] - b["reconcildiff"]) < 0.01
PYEOF

for bad in "--fanout 0" "--topology ring" "--nodes 1" "--mode gossip" \
           "--trickle 100 --paper-feedback" "--latency lognormal:0:1" "--mode recon" \
           "--txs 10 --trickle 100" "--txs 10 --topology bitcoin" "--txs 0"; do
    # shellcheck disable=SC2086
    if "$SIM" $bad >/dev/null 2>&1; then fail "accepted: $bad"; fi
done
echo "ok"
