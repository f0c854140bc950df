#!/usr/bin/env bash
# Stopping and the key at run time: SIGTERM drains and exits 4 (resumable), a second signal exits
# at once, a full disk (RLIMIT_FSIZE) stops with a clear error and exit 4; each resumes to a
# complete, verified directory. The key is in neither /proc/PID/cmdline nor /proc/PID/environ.
source "$(dirname "$0")/lib/common.sh"
bash "$SL_SOURCE_DIR/bench/genjobs.sh" 2000 9 >"$T/jobs.jsonl"
start_mock sig --latency-ms 30 --jitter-ms 20
common=(--endpoint "$MOCK_URL" --cacert "$T/certs/ca.pem" --concurrency 32 "${ENGINE_ARGS[@]}")

finish() { # finish DIR: resume to the end and prove the directory
  run_sluice "$1" "${common[@]:2}" --endpoint "$MOCK_URL" --resume "$T/jobs.jsonl"
  [ "$RC" = 0 ] || { tail "$1.stderr" >&2; fail "resume of $1: exit $RC"; }
  [ "$(account "$1" "$T/jobs.jsonl")" = "results=2000 errors=0 rejects=0" ] || fail "$1 counts"
  "$SLUICE" audit verify "$1" >/dev/null 2>&1 || fail "audit verify $1"
}

# 1. SIGTERM: drain, exit 4; the key is not visible in /proc meanwhile.
"$SLUICE" run "${common[@]}" -o "$T/o1" "$T/jobs.jsonl" 2>"$T/o1.stderr" &
pid=$!
for _ in $(seq 1 100); do [ -s "$T/sig.rec" ] && break; sleep 0.05; done   # sending has begun
sleep 0.2
tr '\0' '\n' </proc/$pid/cmdline | grep -qF "$TEST_KEY" && fail "key in /proc/PID/cmdline"
tr '\0' '\n' </proc/$pid/environ | grep -qF "$TEST_KEY" && fail "key in /proc/PID/environ"
pass "key absent from /proc/PID/cmdline and /proc/PID/environ"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ $rc = 4 ] || { cat "$T/o1.stderr" >&2; fail "SIGTERM: exit $rc, expected 4"; }
grep -q '"status": "interrupted"' "$T/o1/summary.json" || fail "summary does not say interrupted"
"$SLUICE" audit verify "$T/o1" >/dev/null 2>&1 || fail "audit verify after SIGTERM"
finish "$T/o1"
pass "SIGTERM: drained, exit 4, resumed to 2000 results"
stop_mock

# 2. A second signal exits at once even while requests hang.
start_mock stall --stall-rate 1 --stall-ms 20000
"$SLUICE" run "${ENGINE_ARGS[@]}" --endpoint "$MOCK_URL" --cacert "$T/certs/ca.pem" --drain-timeout 60 -o "$T/o2" "$T/jobs.jsonl" 2>"$T/o2.stderr" &
pid=$!
for _ in $(seq 1 100); do [ -s "$T/stall.rec" ] && break; sleep 0.05; done   # requests are hanging
sleep 0.2
kill -INT $pid
sleep 0.3
kill -0 $pid 2>/dev/null || fail "the first SIGINT did not drain (the process is gone)"
t0=$(date +%s%N)
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 4 ] || fail "second SIGINT: exit $rc, expected 4"
[ $ms -lt 2000 ] || fail "second SIGINT took $ms ms"
stop_mock
start_mock sig2 --latency-ms 5
finish "$T/o2"
pass "second signal: exit 4 in $ms ms, resumed to 2000 results"

# 3. Disk full: the output files cannot grow past 64 KiB.
common=(--endpoint "$MOCK_URL" --cacert "$T/certs/ca.pem" --concurrency 32 "${ENGINE_ARGS[@]}")
set +e
( ulimit -f 64; exec "$SLUICE" run "${common[@]}" -o "$T/o3" "$T/jobs.jsonl" ) 2>"$T/o3.stderr"
rc=$?
set -e
[ $rc = 4 ] || { tail "$T/o3.stderr" >&2; fail "disk full: exit $rc, expected 4"; }
grep -qi "cannot write\|too large\|no space" "$T/o3.stderr" || fail "disk full: no clear error"
finish "$T/o3"
pass "disk full: exit 4 with a clear error, resumed to 2000 results once space is back"
