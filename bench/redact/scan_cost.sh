#!/bin/bash
# scan_cost.sh [ID,ID,...]: callgrind instructions per MB of the anonymizer's Vectorscan scan alone
# (all trigger patterns, or the listed indexes) and of sl_anon_text, on 4 MB of bench_anon clean and
# dense text. Deterministic: the same binary and input give the same count. Needs a built
# libsl_stages.a: BUILD=build-dir (default build-rel, e.g. cmake -DCMAKE_BUILD_TYPE=Release).
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
for kind in clean dense; do
  "$work/bench_anon" gen $kind 4 > "$work/$kind.txt"
  echo "scan alone   $kind: $(cg scan_all "$work/scan_cost" "$work/$kind.txt" ${1:-})"
  [ -n "${1:-}" ] || echo "sl_anon_text $kind: $(cg sl_anon_text "$work/bench_anon" run "$work/$kind.txt")"
done
