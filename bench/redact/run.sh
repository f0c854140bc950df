#!/usr/bin/env bash
# run.sh: single-thread throughput of the anonymize stage vs. a plain-regex baseline (perl, same
# run) and, if it installs, the npm package redact-pii. Generates >= 100 MB of synthetic text
# (mostly clean, and PII-dense), so it takes a minute or two. Usage: BUILD=build-rel bench/redact/run.sh
# (BUILD defaults to build; use a Release build for meaningful numbers). Env: CLEAN_MB, DENSE_MB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
CLEAN_MB=${CLEAN_MB:-100}
DENSE_MB=${DENSE_MB:-30}
work=$BUILD/bench-redact
mkdir -p "$work"
[ -f "$BUILD/libsl_stages.a" ] || { echo "build $BUILD first (cmake --build $BUILD)"; exit 1; }
cc -O2 -I"$root/stages" "$here/bench_anon.c" "$BUILD/libsl_stages.a" \
   $(pkg-config --cflags --libs libhs openssl jansson) -lstdc++ -lm -o "$work/bench_anon"
[ -s "$work/clean.txt" ] || "$work/bench_anon" gen clean "$CLEAN_MB" > "$work/clean.txt"
[ -s "$work/dense.txt" ] || "$work/bench_anon" gen dense "$DENSE_MB" > "$work/dense.txt"

mbs() { sed -n 's/.*= \([0-9.]*\) MB\/s.*/\1/p'; }
declare -A R
for kind in clean dense; do
  f=$work/$kind.txt
  line=$("$work/bench_anon" run "$f" redact); echo "sluice  $kind: $line"; R[s_$kind]=$(echo "$line" | mbs)
  line=$(perl "$here/baseline.pl" "$f"); echo "perl    $kind: $line"; R[p_$kind]=$(echo "$line" | mbs)
done
for mode in mask hash tokenize; do echo "sluice  dense/$mode: $("$work/bench_anon" run "$work/dense.txt" $mode)"; done

npmdir=$work/npm
if [ ! -d "$npmdir/node_modules/redact-pii" ] && command -v npm >/dev/null; then
  mkdir -p "$npmdir"
  (cd "$npmdir" && timeout 300 npm install --no-audit --no-fund redact-pii@3.4.0 >/dev/null 2>&1) || true
fi
if [ -d "$npmdir/node_modules/redact-pii" ]; then
  head -c 5000000 "$work/clean.txt" > "$work/clean5.txt"; head -c 2000000 "$work/dense.txt" > "$work/dense2.txt"
  line=$(node "$here/redact_pii.js" "$work/clean5.txt" "$npmdir"); echo "redact-pii clean (5 MB): $line"; R[n_clean]=$(echo "$line" | mbs)
  line=$(node "$here/redact_pii.js" "$work/dense2.txt" "$npmdir"); echo "redact-pii dense (2 MB): $line"; R[n_dense]=$(echo "$line" | mbs)
else
  echo "redact-pii: not installable here; skipped"
fi
for kind in clean dense; do
  awk -v s="${R[s_$kind]}" -v p="${R[p_$kind]}" -v n="${R[n_$kind]:-}" -v k="$kind" 'BEGIN {
    printf "%s: sluice %.1f MB/s = %.2fx perl", k, s, s / p;
    if (n != "") printf ", %.1fx redact-pii", s / n;
    printf "\n" }'
done
