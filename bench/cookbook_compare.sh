#!/usr/bin/env bash
# cookbook_compare.sh: sluice vs a reimplementation of the OpenAI cookbook's
# api_request_parallel_processor pacing (bench/cookbook_like.py) on the same mock quota, one after
# the other, each against a fresh mock with the same options. Prints utilisation of the binding
# quota, 429s and wall time side by side.
#
# Env: SLUICE (default build/sluice), MOCKAPI (default: next to SLUICE), RPM/TPM (per scaled
# minute, default 3000/300000), SCALE (time scale, default 10), WINDOW (slice in scaled ms, default
# 1000 x SCALE = 1 s real), JOBS (default 6000). Needs Debian's python3-aiohttp (/usr/bin/python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SLUICE=${SLUICE:-$here/../build/sluice}
MOCKAPI=${MOCKAPI:-$(dirname "$SLUICE")/sluice-mockapi}
RPM=${RPM:-3000}
TPM=${TPM:-300000}
SCALE=${SCALE:-10}
WINDOW=${WINDOW:-$((1000 * SCALE))}
JOBS=${JOBS:-6000}
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cmp.XXXXXX")
MOCK=
cleanup() {
  if [ -n "$MOCK" ]; then kill "$MOCK" 2>/dev/null || true; wait "$MOCK" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

bash "$here/genjobs.sh" "$JOBS" >"$T/jobs.jsonl"
bash "$here/gen-certs.sh" "$T/certs" >/dev/null 2>&1

# 1. sluice (knows the quota), through `sluice bench` on the same jobs.
"$SLUICE" bench --mockapi "$MOCKAPI" --rpm "$RPM" --tpm "$TPM" --time-scale "$SCALE" \
  --window-ms "$WINDOW" --input "$T/jobs.jsonl" --max-seconds 300 --json "$T/sluice.json" \
  >"$T/sluice.out"

# 2. the cookbook approach against a fresh, identical mock.
"$MOCKAPI" --cert "$T/certs/server.pem" --key "$T/certs/server.key" --listen 127.0.0.1:0 \
  --port-file "$T/port" --rpm "$RPM" --tpm "$TPM" --time-scale "$SCALE" --window-ms "$WINDOW" \
  --max-seconds 330 --quiet >"$T/mock.log" 2>&1 &
MOCK=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL="https://127.0.0.1:$(cat "$T/port")"
timeout 320 "$PY" "$here/cookbook_like.py" --url "$URL" --cacert "$T/certs/ca.pem" \
  --input "$T/jobs.jsonl" --rpm "$RPM" --tpm "$TPM" --minute-s "$("$PY" -c "print(60/$SCALE)")" \
  --max-seconds 300 >"$T/cookbook.json"
curl -s --cacert "$T/certs/ca.pem" "$URL/mock/stats" >"$T/cookbook.stats"
kill "$MOCK"; wait "$MOCK" 2>/dev/null || true; MOCK=

"$PY" - "$T" "$RPM" "$TPM" "$SCALE" "$WINDOW" "$JOBS" <<'PY'
import json, sys
t, rpm, tpm, scale, window, jobs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
rr, tr = rpm * scale / 60, tpm * scale / 60  # per real second
s = json.load(open(f"{t}/sluice.json"))
c = json.load(open(f"{t}/cookbook.json"))
cs = json.load(open(f"{t}/cookbook.stats"))
def share(req, tok, wall):
    return max(req / (wall * rr) if rr else 0, tok / (wall * tr) if tr else 0)
def ideal(req, tok):
    return max(req / rr if rr else 0, tok / tr if tr else 0)
rows = [
    ("sluice", s["admitted"], s["requests"], s["http_429"], s["wall_s"],
     share(s["admitted"], s["tokens_charged"], s["wall_s"]), ideal(s["admitted"], s["tokens_charged"])),
    ("cookbook-like", cs["requests_charged"], cs["requests"], cs["429s"], c["wall_s"],
     share(cs["requests_charged"], cs["tokens_charged"], c["wall_s"]), ideal(cs["requests_charged"], cs["tokens_charged"])),
]
print(f"{jobs} jobs, quota {rpm:.0f} RPM / {tpm:.0f} TPM per scaled minute, time scale {scale:g}, slice {window} scaled ms")
print(f"{'':14} {'done':>6} {'requests':>9} {'429s':>6} {'wall s':>8} {'ideal s':>8} {'binding share':>14}")
for name, ok, req, n429, wall, sh, ide in rows:
    print(f"{name:14} {ok:6d} {req:9d} {n429:6d} {wall:8.2f} {ide:8.2f} {100 * sh:13.1f}%")
PY
