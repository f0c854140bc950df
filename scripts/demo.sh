#!/usr/bin/env bash
# README command one: install what is missing, build, start the bundled mock API on loopback with a
# freshly generated private CA, send samples/sentiment.jsonl through `sluice run`, print the summary
# and where the outputs are, and stop the mock.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
demo=.demo
rm -rf "$demo"
mkdir -p "$demo"
bash bench/gen-certs.sh "$demo/certs" >/dev/null
./build/sluice-mockapi --cert "$demo/certs/server.pem" --key "$demo/certs/server.key" \
  --listen 127.0.0.1:0 --port-file "$demo/port" --latency-ms 20 --jitter-ms 20 \
  --max-seconds 300 --quiet &
mock=$!
trap 'kill $mock 2>/dev/null || true; wait $mock 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$demo/port" ] && break; sleep 0.05; done
[ -s "$demo/port" ] || { echo "demo: the mock API did not start" >&2; exit 1; }
port=$(cat "$demo/port")
echo "demo: mock API on https://127.0.0.1:$port (private CA $demo/certs/ca.pem)"
# A throw-away key for the mock; a real run reads OPENAI_API_KEY or --api-key-file.
export OPENAI_API_KEY="sk-demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
set +e
./build/sluice run --endpoint "https://127.0.0.1:$port" --cacert "$demo/certs/ca.pem" \
  --rpm 6000 --tpm 1000000 -o "$demo/out" samples/sentiment.jsonl
rc=$?
set -e
echo
echo "demo: summary ($demo/out/summary.json):"
cat "$demo/out/summary.json"
echo
echo "demo: outputs in $demo/out: $(cd "$demo/out" && ls | tr '\n' ' ')"
echo "demo: first result:  zstdcat $demo/out/results.jsonl.zst | head -1"
# head closes the pipe after one line: zstd then dies of SIGPIPE, which pipefail would report.
(zstd -dcq "$demo/out/results.jsonl.zst" || true) | head -1
echo "demo: sluice exit status $rc"
exit $rc
