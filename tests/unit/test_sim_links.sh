#!/bin/sh
# The simulator must run the node's own relay core, not a model of it:
# its adapter calls the core's event API, takes every relay_* symbol from
# libnet.a (the library the daemon links), and, once the node's driver is
# in libnet.a/libnode.a, calls the same transaction-relay functions it does.
set -eu
B=$(cd "${HEARSAY_BUILDDIR:-.}" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v nm >/dev/null || { echo "SKIP: nm not found"; exit 77; }

# The core's entry points a driver uses to relay transactions.
EVENTS="relay_new relay_peer_add relay_on_inv relay_on_getdata relay_on_notfound \
relay_on_tx_accepted relay_tick relay_next_wakeup"

undef() { nm -u "$@" 2>/dev/null | awk 'NF && $NF !~ /:$/ {print $NF}' | grep '^relay_' | sort -u; }
defined() { nm --defined-only "$@" 2>/dev/null | awk 'NF==3 && $2 ~ /[TD]/ {print $3}' | sort -u; }

SIM_CALLS=$(undef "$B/contrib/sim/libsim.a")
for f in $EVENTS; do
    echo "$SIM_CALLS" | grep -qx "$f" || fail "the simulator's adapter does not call $f"
done
defined "$B/contrib/sim/libsim.a" | grep -q '^relay_' &&
    fail "libsim.a defines relay_* symbols: a private copy of the core"
NET_DEFS=$(defined "$B/libnet.a")
for f in $SIM_CALLS; do
    echo "$NET_DEFS" | grep -qx "$f" || fail "$f is not defined by libnet.a"
done
defined "$B/contrib/sim/hearsay-sim" | grep -qx relay_tick ||
    fail "hearsay-sim does not contain the core's relay_tick"

# The node's driver: objects of libnet.a/libnode.a outside the core that
# call relay_tick. Whatever event functions it uses, the simulator uses.
drivers=0
for lib in "$B/libnet.a" "$B/libnode.a"; do
    [ -f "$lib" ] || continue
    for obj in $(ar t "$lib"); do
        case "$obj" in *relay.o|*relay_push.o|*txrequest.o|*seenset.o|*hashtab.o) continue ;; esac
        calls=$(cd "$TMP" && ar x "$lib" "$obj" && undef "$obj" && rm -f "$obj")
        echo "$calls" | grep -qx relay_tick || continue
        drivers=$((drivers + 1))
        for f in $EVENTS; do
            if echo "$calls" | grep -qx "$f" && ! echo "$SIM_CALLS" | grep -qx "$f"; then
                fail "the node's driver ($obj) calls $f; the simulator does not"
            fi
        done
        echo "driver $obj: same relay event functions as the simulator"
    done
done
echo "simulator calls: $(echo $SIM_CALLS)"
[ "$drivers" -gt 0 ] || echo "note: no node driver in libnet.a/libnode.a yet"
exit 0
