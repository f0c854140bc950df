#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run ctest; then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
echo "== build (RelWithDebInfo) =="
bash scripts/build.sh build
echo "== tests =="
(cd build && ctest --output-on-failure -j2 --timeout 600)
if [ "${SL_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan + UBSan) =="
  bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSL_SANITIZE=address,undefined
  echo "== tests under ASan + UBSan =="
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2 --timeout 900)
fi
