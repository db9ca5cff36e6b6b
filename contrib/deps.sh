# Sourced by contrib/run-node and contrib/run-tests: installs the Debian
# packages hearsay needs, only those missing, saying what and why.

# "package:why" pairs.
HS_BUILD_DEPS="
build-essential:C compiler and make
autoconf:generates ./configure
automake:generates the Makefile
libtool:autoreconf support
pkg-config:finds the libraries below
libevent-dev:event loop, sockets and HTTP for P2P and RPC
libssl-dev:SHA-256 from OpenSSL libcrypto
libsecp256k1-dev:ECDSA and Schnorr signatures
libleveldb-dev:block and chainstate storage
libjansson-dev:JSON for RPC
libzmq3-dev:ZMQ notifications (-zmqpub*)
libcmocka-dev:unit test framework
python3:functional tests and tools
"
HS_TEST_DEPS="
gnuplot-nox:PNG plots from the simulator and regtest-net
man-db:renders the manual pages in the install test
python3-bitcoinlib:a Bitcoin client library tested against hearsayd
python3-zmq:the ZMQ subscriber in the notification test
chromium:renders regtest-net's HTML report headless in its test
"
# Optional, never installed by these scripts (heavy): "command:package:why".
HS_OPTIONAL_TEST_DEPS="
node:nodejs:runs the npm bitcoin-core client check against hearsayd
npm:npm:installs that client for the check from the npm registry
"

# Says which optional tools are missing and which test skips without them.
hs_note_optional() {
    printf '%s\n' "$@" | while IFS= read -r entry; do
        [ -n "$entry" ] || continue
        cmd=${entry%%:*}; rest=${entry#*:}
        command -v "$cmd" >/dev/null 2>&1 && continue
        echo "hearsay: optional, not installed (that test is skipped): ${rest%%:*} - ${rest#*:}"
    done
}

hs_missing() {
    for pair in $1; do
        pkg=${pair%%:*}
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

hs_ensure_deps() {
    list=$(printf '%s\n' "$@" | tr ' ' '_' | tr '\n' ' ')
    missing=$(hs_missing "$list")
    [ -z "$missing" ] && return 0
    echo "hearsay: installing missing Debian packages:"
    for pair in $list; do
        pkg=${pair%%:*}
        case " $(echo $missing) " in *" $pkg "*) echo "  $pkg - $(echo "${pair#*:}" | tr '_' ' ')";; esac
    done
    if [ "$(id -u)" -ne 0 ]; then
        echo "hearsay: not root; run: apt-get install $(echo $missing)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# Generates ./configure when missing or older than its inputs.
hs_bootstrap() {
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
        echo "hearsay: running autoreconf"
        autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
    fi
}

# hs_configure DIR [configure options]: configures in DIR once; re-runs
# configure when the options changed.
hs_configure() {
    dir=$1; shift
    mkdir -p "$dir"
    want="$*"
    if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.hs-options" 2>/dev/null)" != "$want" ]; then
        (cd "$dir" && ../configure -q "$@") || exit 1
        echo "$want" > "$dir/.hs-options"
    fi
}
