#!/usr/bin/env bash
# redis_quota.sh: P sluice processes (--shard i/P) share one quota through a private redis-server
# against one mock enforcing it over 1 s slices; prints the combined utilisation of the quota (rate
# of 200s over the busy span / quota) and the 429s, without and with a Redis outage mid-run.
# Usage: bench/redis_quota.sh [BUILD_DIR]   env: P=3 Q=12000 (rpm) JOBS=2000 OUTAGE=1
# SLUICE_RPM=N gives sluice a --rpm other than the real quota Q (to learn it from the headers).
# Loopback only; every server it starts is killed by PID at the end. Keep it short (2 shared cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
export SLUICE=$build/sluice MOCKAPI=$build/sluice-mockapi SL_SOURCE_DIR=$root
source "$root/tests/integration/lib/common.sh"
source "$root/tests/integration/lib/redis.sh"
P=${P:-3}
Q=${Q:-12000}
JOBS=${JOBS:-2000}
start_redis
start_mock bench --rpm "$Q" --window-ms 1000
bash "$root/bench/genjobs.sh" "$JOBS" 11 >"$T/in.jsonl"

run_fleet() { # run_fleet TAG OUTAGE
  local tag=$1 outage=$2 i pids=() before
  sleep 0.3
  before=$(wc -l <"$T/bench.rec")
  for ((i = 0; i < P; i++)); do
    "$SLUICE" run -o "$T/$tag$i" --cacert "$T/certs/ca.pem" --endpoint "$MOCK_URL" --quiet \
      --rpm "${SLUICE_RPM:-$Q}" --concurrency 32 --quota-redis "redis://127.0.0.1:$REDIS_PORT/bench$tag" \
      --quota-processes "$P" --shard "$i/$P" "$T/in.jsonl" 2>"$T/$tag$i.stderr" &
    pids+=($!)
  done
  if [ "$outage" = 1 ]; then
    for i in $(seq 1 300); do
      [ "$(wc -l <"$T/bench.rec")" -ge $((before + JOBS / 3)) ] && break
      sleep 0.1
    done
    kill_redis
    sleep 1.5
    start_redis "$REDIS_PORT"
  fi
  for i in "${pids[@]}"; do wait "$i" || echo "a process exited with $?" >&2; done
  sleep 0.3
  tail -n +"$((before + 1))" "$T/bench.rec" >"$T/$tag.rec"
  echo "$P processes, quota $Q rpm, $JOBS jobs, Redis outage: $([ "$outage" = 1 ] && echo 1.5 s || echo none)"
  echo "  $("$PY" "$root/tests/integration/lib/util.py" "$T/$tag.rec" "$Q")"
  "$PY" - "$T/$tag"*/summary.json <<'PYEOF'
import json, sys
s = [json.load(open(p)) for p in sys.argv[1:]]
q = [x.get("quota_redis", {}) for x in s]
print("  lease calls %d (%.0f/s per process), degraded %.1f s, reconnects %d" % (
    sum(x.get("lease_calls", 0) for x in q),
    sum(x.get("lease_calls", 0) / max(y["wall_seconds"], 0.001) for x, y in zip(q, s)) / len(s),
    sum(x.get("degraded_seconds", 0) for x in q), sum(x.get("reconnects", 0) for x in q)))
PYEOF
}

run_fleet a 0
[ "${OUTAGE:-1}" = 1 ] && run_fleet b 1
exit 0
