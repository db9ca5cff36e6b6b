#!/bin/sh
# Every harness tests/fuzz/fuzz_NAME.c is in FUZZ_HARNESSES (set by make
# check from the .mk fragments), so `make fuzz` builds it and a libFuzzer
# campaign can run it; make check alone would not notice a missing one.
root=${HEARSAY_SRCDIR:-$(dirname "$0")/..}
[ -n "$FUZZ_HARNESSES" ] || { echo "FUZZ_HARNESSES not set (run through make check)"; exit 77; }
list=" $(echo $FUZZ_HARNESSES) " # one space between names
bad=0
for f in "$root"/tests/fuzz/fuzz_*.c; do
    name=tests/fuzz/$(basename "$f" .c)
    case "$list" in
    *" $name "*) ;;
    *) echo "$name: not in FUZZ_HARNESSES (add it in its area's .mk)"; bad=1 ;;
    esac
done
[ "$bad" = 0 ] && echo "every fuzz harness is built by make fuzz"
exit "$bad"
