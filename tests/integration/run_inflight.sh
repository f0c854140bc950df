#!/usr/bin/env bash
# Requests in flight (run.c inflight_limit): by default 1024 over the multiplexed HTTP/2 engine,
# 256 when requests do not share connections (libcurl), never more than half the window, and
# --concurrency N exactly. The mock answers every request after a fixed delay, so the requests that
# arrive within less than that delay of each other were all in flight together: the most of them
# in any such stretch is a lower bound of the limit that was in force, and never above it.
source "$(dirname "$0")/lib/common.sh"
LAT=1500
start_mock inflight --latency-ms "$LAT" --jitter-ms 0
# A quota far above what the run needs: no probing, the bucket never holds a request back.
Q=(--rpm 100000000 --tpm 100000000000)

peak() { # peak FIRST_LINE: the most requests of the record (from that line on) within LAT-500 ms
  "$PY" - "$T/inflight.rec" "$1" "$((LAT - 500))" <<'PYEOF'
import json, sys
ts = [json.loads(l)["t_ms"] for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]]
ts.sort()
w, best, j = int(sys.argv[3]), 0, 0
for i, t in enumerate(ts):
    while ts[j] <= t - w:
        j += 1
    best = max(best, i - j + 1)
print(best)
PYEOF
}

# run_case LABEL JOBS LOW HIGH [sluice options]: the peak must be in [LOW, HIGH].
run_case() {
  local label=$1 jobs=$2 low=$3 high=$4 first p; shift 4
  bash "$SL_SOURCE_DIR/bench/genjobs.sh" "$jobs" >"$T/$label.jsonl"
  first=$(rec_lines inflight)
  run_sluice "$T/out.$label" --endpoint "$MOCK_URL" --anonymize off "${Q[@]}" "$@" "$T/$label.jsonl"
  [ "$RC" = 0 ] || { cat "$T/out.$label.stderr" >&2; fail "$label: exit status $RC"; }
  rec_lines inflight >/dev/null # waits for the mock to flush its record
  p=$(peak "$first")
  [ "$p" -ge "$low" ] && [ "$p" -le "$high" ] || fail "$label: $p requests in flight, expected $low..$high"
  pass "$label: $p requests in flight ($low..$high)"
}

run_case h2-default 600 257 1024
run_case curl-default 400 129 256 --http-engine curl
run_case explicit 100 20 40 --concurrency 40
run_case small-window 80 16 32 --window 64
