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

# The node's driver: the objects of libnet.a/libnode.a outside the core
# that call relay_* functions (it may span several files). Once it ticks
# the core, it must feed it through the same event functions as the
# simulator; what only one side uses (blocks in the node, pull in the
# simulator) is listed.
DRIVER_CALLS=
for lib in "$B/libnet.a" "$B/libnode.a"; do
    [ -f "$lib" ] || continue
    for obj in $(ar t "$lib"); do
        case "$obj" in *relay.o|*relay_push.o|*txrequest.o|*seenset.o|*hashtab.o) continue ;; esac
        calls=$(cd "$TMP" && ar x "$lib" "$obj" && undef "$obj"; rm -f "$TMP/$obj")
        [ -n "$calls" ] && DRIVER_CALLS=$(printf '%s\n%s\n' "$DRIVER_CALLS" "$calls" | sed '/^$/d' | sort -u)
    done
done
echo "simulator calls: $(echo $SIM_CALLS)"
if ! echo "$DRIVER_CALLS" | grep -qx relay_tick; then
    echo "note: no node driver in libnet.a/libnode.a yet"
    exit 0
fi
for f in $EVENTS; do
    echo "$DRIVER_CALLS" | grep -qx "$f" || fail "the simulator calls $f; the node's driver does not"
done
echo "node driver: the same relay event functions as the simulator"
echo "  driver only: $(echo "$DRIVER_CALLS" | grep -vxF "$SIM_CALLS" | tr '\n' ' ')"
echo "  simulator only: $(echo "$SIM_CALLS" | grep -vxF "$DRIVER_CALLS" | tr '\n' ' ')"
exit 0
