#!/bin/sh
# The layering rule node -> net -> chain, checked over the #include lines
# (in the spirit of Tor's .may_include): a file under chain/ includes only
# chain/ headers, a file under net/ only chain/ and net/ ones; node/ may
# include anything; tests/ and contrib/ are exempt. Project headers are
# named from the repository root ("chain/util/log.h"), never relatively.
# An angle-bracket include is checked when it names a file of the tree
# (the include path has the root, so <net/...> would reach one); other
# system headers are not. Usage: check_layers.sh [ROOT]
root=${1:-${HEARSAY_SRCDIR:-$(dirname "$0")/..}}
cd "$root" || exit 99

allowed() {
    case "$1" in
    chain/*) echo "chain/" ;;
    net/*) echo "chain/ net/" ;;
    node/*) echo "chain/ net/ node/" ;;
    esac
}

bad=0
out=$(mktemp) || exit 99
for f in $(find chain net node -name '*.[ch]' | sort); do
    ok=$(allowed "$f")
    # Includes, whatever the spacing after '#': "x" as "x, <x> as <x.
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\(["<][^">]*\)[">].*/\1/p' "$f" |
        while read -r inc; do
            case "$inc" in
            '<'*) inc=${inc#<}; [ -f "$inc" ] || continue ;;
            *) inc=${inc#\"} ;;
            esac
            hit=
            for prefix in $ok; do
                case "$inc" in "$prefix"*) hit=1 ;; esac
            done
            if [ -z "$hit" ]; then
                echo "$f: includes \"$inc\" (a ${f%%/*}/ file may include only: $ok)"
            fi
        done
done >"$out"
if [ -s "$out" ]; then
    cat "$out" >&2
    echo "check_layers: $(wc -l <"$out") include(s) against node -> net -> chain" >&2
    bad=1
fi
rm -f "$out"
[ $bad -eq 0 ] && echo "check_layers: every include of chain/, net/ and node/ follows node -> net -> chain"
exit $bad
