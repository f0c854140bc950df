#!/bin/bash
# anon_equiv.sh: one hash per corpus of sl_anon_text's output (redact, mask, tokenize; text and
# counts) over the dev and hard corpora, the fuzz corpus and 4 MB of bench text. A scanner change
# meant to be a pure speed-up must print the same hashes before and after. BUILD=build-dir
# (default build-rel) holds libsl_stages.a.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build-rel}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
libs="$BUILD/libsl_stages.a $(pkg-config --cflags --libs libhs openssl jansson) -lstdc++ -lm"
cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$root/stages" "$here/anon_dump.c" $libs -o "$work/dump"
cc -O2 -I"$root/stages" "$here/bench_anon.c" $libs -o "$work/bench_anon"
h() { md5sum | cut -c1-32; }
echo "dev   $(zstd -dc "$root/tests/data/pii-dev.jsonl.zst" | "$work/dump" jsonl | h)"
echo "hard  $("$work/dump" jsonl < "$root/tests/data/pii-hard.jsonl" | h)"
echo "fuzz  $("$work/dump" raw "$root"/tests/fuzz/corpus/anonymize/* | h)"
for kind in clean dense; do echo "$kind $("$work/bench_anon" gen $kind 2 | "$work/dump" lines | h)"; done
