#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run ctest; then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
echo "== build (RelWithDebInfo) =="
bash scripts/build.sh build
echo "== tests =="
(cd build && ctest --output-on-failure -j2 --timeout 600 --repeat until-pass:2)
if [ "${SL_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan + UBSan) =="
  bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSL_SANITIZE=address,undefined
  echo "== tests under ASan + UBSan =="
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2 --timeout 900 --repeat until-pass:2)
fi
if [ "${SL_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null; then
  # A fixed seed and a fixed number of runs make the smoke run reproducible: CI fuzzes exactly what
  # was fuzzed before the commit, so a finding is a regression, never a coin toss. Long runs with
  # fresh seeds are done by hand (README, "Building and testing by hand").
  runs=${SL_FUZZ_RUNS:-20000}
  echo "== fuzz smoke run (libFuzzer, seed 1, $runs runs per target) =="
  CC=clang bash scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSL_FUZZ=ON
  for f in build-fuzz/fuzz_*; do
    name=${f##*/fuzz_}
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$name/." "$work/"
    (cd "$work" && "$OLDPWD/$f" -seed=1 -runs="$runs" -rss_limit_mb=2048 -max_len=65536 . \
      >"$work.log" 2>&1) || { tail -40 "$work.log"; echo "fuzz: $name found a problem"; exit 1; }
    echo "fuzz $name: $(grep -o 'Done [0-9]* runs' "$work.log" || echo done), no finding"
    rm -rf "$work" "$work.log"
  done
fi
