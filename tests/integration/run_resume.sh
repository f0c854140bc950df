#!/usr/bin/env bash
# Crash safety: a run SIGKILLed at random points and resumed each time ends with every custom_id
# exactly once across results/errors/rejects, results equal to an uninterrupted run's, and an audit
# chain that verifies. Also: a second run without --resume is refused, and two runs cannot share a
# directory. JOBS and KILLS scale it (the CI default is small; bench/crash.sh runs the full one).
source "$(dirname "$0")/lib/common.sh"
JOBS=${JOBS:-3000}
KILLS=${KILLS:-4}
SEED=${SEED:-$RANDOM}
echo "seed $SEED, $JOBS jobs, at least $KILLS kills"
RANDOM=$SEED
bash "$SL_SOURCE_DIR/bench/genjobs.sh" "$JOBS" 5 >"$T/jobs.jsonl"
start_mock resume --latency-ms 15 --jitter-ms 10 --fail-rate 0.02 --seed "$SEED"

# Reference: one uninterrupted run.
run_sluice "$T/ref" --endpoint "$MOCK_URL" --concurrency 64 --max-attempts 10 "$T/jobs.jsonl"
[ "$RC" = 0 ] || { tail "$T/ref.stderr" >&2; fail "reference run exit $RC"; }

# Refusals: a second run on a used directory without --resume.
run_sluice "$T/ref" --endpoint "$MOCK_URL" "$T/jobs.jsonl"
[ "$RC" = 2 ] || fail "a rerun without --resume on a used directory: exit $RC, expected 2"
grep -q -- "--resume" "$T/ref.stderr" || fail "the refusal does not mention --resume"
pass "rerun without --resume refused"

kills=0
first=1
for attempt in $(seq 1 60); do
  # Slow enough (about 3000 x 20 ms / 16) that every kill lands mid-run.
  args=(--endpoint "$MOCK_URL" --concurrency 16 --max-attempts 10 --cacert "$T/certs/ca.pem" -o "$T/out" "${ENGINE_ARGS[@]}")
  [ $first = 1 ] || args+=(--resume)
  "$SLUICE" run "${args[@]}" "$T/jobs.jsonl" 2>>"$T/out.stderr" &
  pid=$!
  first=0
  if [ $kills -lt "$KILLS" ]; then
    sleep "0.$((RANDOM % 5 + 1))"
    if kill -0 $pid 2>/dev/null; then
      # A second run on the same directory while the first holds the lock is refused.
      if [ $kills = 0 ]; then
        set +e
        "$SLUICE" run "${args[@]}" --resume "$T/jobs.jsonl" 2>"$T/lock.err"
        lrc=$?
        set -e
        [ "$lrc" = 2 ] || fail "a concurrent run on a locked directory: exit $lrc, expected 2"
      fi
      kill -9 $pid
      wait $pid 2>/dev/null || true
      kills=$((kills + 1))
      continue
    fi
  fi
  set +e
  wait $pid
  rc=$?
  set -e
  [ $rc = 0 ] && break
  [ $rc = 137 ] && continue
  tail "$T/out.stderr" >&2
  fail "resumed run exit $rc"
done
[ $kills -ge "$KILLS" ] || fail "only $kills kills happened (the run was too fast?)"
counts=$(account "$T/out" "$T/jobs.jsonl") || fail "accounting after $kills kills: $counts"
[ "$counts" = "results=$JOBS errors=0 rejects=0" ] || fail "counts after kills: $counts"
pass "$kills kills, resumed: $counts"

# Same answers as the uninterrupted run, per custom_id.
"$PY" - "$T/ref/results.jsonl.zst" "$T/out/results.jsonl.zst" <<'PYEOF' || fail "results differ from the reference run"
import json, subprocess, sys
def labels(p):
    out = subprocess.run(["zstd", "-dcq", p], capture_output=True, check=True).stdout
    return {r["custom_id"]: r["response"]["body"]["choices"][0]["message"]["content"]
            for r in map(json.loads, out.splitlines())}
a, b = labels(sys.argv[1]), labels(sys.argv[2])
assert a == b, [k for k in a if a[k] != b.get(k)][:5]
PYEOF
pass "results equal the uninterrupted run's"
"$SLUICE" audit verify "$T/out" >"$T/verify.out" 2>&1 || { cat "$T/verify.out" >&2; fail "audit verify after resume"; }
pass "audit chain verifies after $kills kills"
