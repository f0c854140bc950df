#!/bin/sh
# sanitize_bench.sh: build (Release) and run bench/sanitize_bench.c against the stages library.
# Usage: bench/sanitize_bench.sh   (from the repository root; uses ./build-bench)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build-bench" -j2 --target sl_stages >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$root/stages" \
    "$root/bench/sanitize_bench.c" "$root/build-bench/libsl_stages.a" \
    $(pkg-config --cflags --libs jansson openssl) -o "$root/build-bench/sanitize_bench"
"$root/build-bench/sanitize_bench"
