#!/bin/bash
# scan_cost.sh [[-]ID,ID,...|loo]: callgrind instructions per MB of the anonymizer's Vectorscan scan
# alone (all trigger patterns; only the listed indexes of anon_patterns[]; with a leading '-', all
# but them; "loo": each pattern left out in turn, clean text only) and of sl_anon_text, on 4 MB of
# bench_anon clean and dense text; then what one hs_scan call costs on a 9-byte text; then (full
# run only) the stage on dense text with no rescan (SL_ANON_PASSES=1), and the scan alone in wall
# time (MB/s, natively, the database compiled for this CPU as sluice does).
# Deterministic: the same binary and input give the same count.
# The patterns compile natively; only the scan runs under valgrind. Needs a built libsl_stages.a:
# BUILD=build-dir (default build-rel, e.g. cmake -DCMAKE_BUILD_TYPE=Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build-rel}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
libs="$BUILD/libsl_stages.a $(pkg-config --cflags --libs libhs openssl jansson) -lstdc++ -lm"
cc -O2 -Wall -Wextra -Werror -I"$root/stages" "$here/scan_cost.c" $libs -o "$work/scan_cost"
cc -O2 -I"$root/stages" "$here/bench_anon.c" $libs -o "$work/bench_anon"
cg() { # FUNCTION CMD... -> millions of instructions per MB (4 MB inputs)
  local fn=$1; shift
  valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file=/dev/null "$@" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{printf "%.2f M instructions/MB\n", $1 / 4e6}'
}
for kind in clean dense; do "$work/bench_anon" gen $kind 4 > "$work/$kind.txt"; done
if [ "${1:-}" = loo ]; then
  n=$("$work/scan_cost" build "$work/all.db" | awk '{print $1}')
  echo "all $n patterns, clean: $(cg scan_all "$work/scan_cost" scan "$work/all.db" "$work/clean.txt")"
  for ((k = 0; k < n; k++)); do
    "$work/scan_cost" build "$work/x.db" "-$k" > /dev/null
    echo "without $k, clean: $(cg scan_all "$work/scan_cost" scan "$work/x.db" "$work/clean.txt")"
  done
  exit 0
fi
"$work/scan_cost" build "$work/sel.db" ${1:-} > /dev/null
for kind in clean dense; do
  echo "scan alone   $kind: $(cg scan_all "$work/scan_cost" scan "$work/sel.db" "$work/$kind.txt")"
  [ -n "${1:-}" ] || echo "sl_anon_text $kind: $(cg sl_anon_text "$work/bench_anon" run "$work/$kind.txt")"
done
# The set-up each hs_scan call pays however short the text: 100,000 calls on 9-byte lines.
awk 'BEGIN { for (i = 0; i < 100000; i++) print "abc def g" }' > "$work/short.txt"
valgrind --tool=callgrind --toggle-collect=scan_all --callgrind-out-file=/dev/null \
  "$work/scan_cost" scan "$work/sel.db" "$work/short.txt" 2>&1 |
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' |
  awk '{ printf "per hs_scan call (100,000 calls on 9-byte lines): %.0f instructions\n", $1 / 1e5 }'
# What the rescan costs (anonymize.c: every replaced value's neighbourhood scanned again): the
# stage built with one pass only, on the same dense text.
cc -O2 -D_GNU_SOURCE -DSL_ANON_PASSES=1 -I"$root/stages" "$root"/stages/*.c "$here/bench_anon.c" \
   $(pkg-config --cflags --libs libhs openssl jansson libutf8proc) -lstdc++ -lm -lpthread -o "$work/bench_anon_1pass"
if [ -z "${1:-}" ]; then
  one=$(cg sl_anon_text "$work/bench_anon_1pass" run "$work/dense.txt")
  echo "sl_anon_text dense, first pass only (no rescan): $one"
  # The scan alone in wall time, natively (noisy on a shared machine; the counts above are exact).
  for kind in clean dense; do echo "scan alone   $kind, wall clock: $("$work/scan_cost" time "$work/$kind.txt")"; done
fi
