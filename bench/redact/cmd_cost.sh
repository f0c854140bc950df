#!/bin/bash
# cmd_cost.sh: callgrind instructions per MB of the whole `sluice redact --mode redact` command (one
# process, stdin -> /dev/null) on 4 MB of bench_anon clean and dense text made JSONL by tojsonl.pl,
# with the startup (the count for an empty input) taken out, and the part spent in sl_anon_text (the
# anonymize stage itself). Deterministic: the same binary and input give the same count.
# BUILD=build-dir (default build-rel, e.g. cmake -DCMAKE_BUILD_TYPE=Release); SLUICE=another binary.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build-rel}
SLUICE=${SLUICE:-$BUILD/sluice}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -I"$root/stages" "$here/bench_anon.c" "$BUILD/libsl_stages.a" \
   $(pkg-config --cflags --libs libhs openssl jansson) -lstdc++ -lm -o "$work/bench_anon"
total() { sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
start=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg.empty" "$SLUICE" redact --mode redact \
        < /dev/null 2>&1 >/dev/null | total)
echo "startup (empty input): $(awk -v s="$start" 'BEGIN { printf "%.1f M instructions", s / 1e6 }')"
for kind in clean dense; do
  "$work/bench_anon" gen $kind 4 | perl "$here/tojsonl.pl" > "$work/$kind.jsonl"
  bytes=$(stat -c %s "$work/$kind.jsonl")
  all=$(valgrind --tool=callgrind --callgrind-out-file="$work/cg.$kind" "$SLUICE" redact --mode redact \
        < "$work/$kind.jsonl" 2>&1 >/dev/null | total)
  stage=$(callgrind_annotate --inclusive=yes "$work/cg.$kind" 2>/dev/null |
          awk '!done && /:sl_anon_text / { gsub(",", "", $1); print $1; done = 1 }')
  awk -v a="$all" -v s="$start" -v g="${stage:-0}" -v b="$bytes" -v k="$kind" 'BEGIN {
    printf "sluice redact %s.jsonl: %.2f M instructions/MB (startup out; %.2f with it), of which sl_anon_text %.2f\n",
           k, (a - s) / b, a / b, g / b }'
done
