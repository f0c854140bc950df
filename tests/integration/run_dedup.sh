#!/usr/bin/env bash
# Duplicate custom_ids across a crash: 1500 unique jobs then the same 1500 ids again. The run is
# SIGKILLed mid-way and resumed (twice): the first occurrences end as results, every second one
# as a duplicate reject, including duplicates of ids done before the crash, and no job is
# rejected for its own id from the interrupted run. The scratch index leaves no file behind.
source "$(dirname "$0")/lib/common.sh"
bash "$SL_SOURCE_DIR/bench/genjobs.sh" 1500 3 >"$T/uniq.jsonl"
cat "$T/uniq.jsonl" "$T/uniq.jsonl" >"$T/jobs.jsonl"
start_mock dedup --latency-ms 20

args=(--endpoint "$MOCK_URL" --concurrency 8 --dedup-memory 1 --cacert "$T/certs/ca.pem" -o "$T/out")
kills=0
for attempt in 1 2 3; do
  [ $attempt = 1 ] || args+=(--resume)
  "$SLUICE" run "${args[@]}" "$T/jobs.jsonl" 2>>"$T/out.stderr" &
  pid=$!
  if [ $attempt -lt 3 ]; then
    sleep 1.5
    if kill -0 $pid 2>/dev/null; then
      kill -9 $pid
      kills=$((kills + 1))
    fi
    wait $pid 2>/dev/null || true
  else
    set +e
    wait $pid
    rc=$?
    set -e
    [ "$rc" = 3 ] || { tail "$T/out.stderr" >&2; fail "final run exit $rc, expected 3 (rejects)"; }
  fi
done
echo "$kills kill(s) landed mid-run"

"$PY" - "$T/out" <<'EOF' || fail "wrong outcome for some ids"
import json, subprocess, sys
d = sys.argv[1]
def lines(f):
    out = subprocess.run(["zstd", "-dcq", f"{d}/{f}"], check=True, stdout=subprocess.PIPE).stdout
    return [json.loads(l) for l in out.decode().splitlines()]
res = lines("results.jsonl.zst")
rej = lines("rejects.jsonl.zst")
ids = sorted(r["custom_id"] for r in res)
assert ids == sorted(f"job-{i}" for i in range(1500)), f"{len(ids)} results, not job-0..1499 once each"
assert len(rej) == 1500, f"{len(rej)} rejects"
for r in rej:
    assert r["code"] == "duplicate.custom_id", r
    n = int(r["source"].rsplit(":", 1)[1])
    assert n > 1500, f"line {n} (a first occurrence) was rejected as a duplicate"
s = json.load(open(f"{d}/summary.json"))
assert s["dedup"]["duplicates"] >= 1500 and s["dedup"]["suspects"] >= 1500, s["dedup"]
EOF
pass "3000 jobs over $kills crash(es): 1500 results, 1500 duplicate rejects, first occurrence wins"
"$SLUICE" audit verify "$T/out" >/dev/null || fail "audit verify"
left=$(ls -A "$T/out" | grep -v -E '^(results|errors|rejects|audit)\.jsonl\.zst$|^(journal|lock|audit\.key|summary\.json|metrics\.prom|series\.bin)$' || true)
[ -z "$left" ] || fail "unexpected files in the output directory: $left"
pass "audit verify; no scratch file left"

# A copy of an id that fails a check before duplicate detection keeps its custom_id in its reject
# (it never took the id): "a" invalid then valid, "b" valid then invalid, "c" invalid twice. Every
# line ends in exactly one output and audit verify accepts the directory.
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
{
  echo "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}"
  echo "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":$body}"
  echo "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":$body}"
  echo "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}"
  echo "{\"custom_id\":\"c\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":$body}"
  echo "{\"custom_id\":\"c\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":$body}"
} >"$T/mixed.jsonl"
set +e
"$SLUICE" run --endpoint "$MOCK_URL" --cacert "$T/certs/ca.pem" -o "$T/mixed" --quiet "$T/mixed.jsonl" 2>"$T/mixed.stderr"
rc=$?
set -e
[ "$rc" = 3 ] || { cat "$T/mixed.stderr" >&2; fail "mixed run exit $rc, expected 3"; }
"$PY" - "$T/mixed" <<'EOF2' || fail "mixed duplicates: wrong outcomes"
import json, subprocess, sys
d = sys.argv[1]
def lines(f):
    out = subprocess.run(["zstd", "-dcq", f"{d}/{f}"], check=True, stdout=subprocess.PIPE).stdout
    return [json.loads(l) for l in out.decode().splitlines()]
res = sorted(r["custom_id"] for r in lines("results.jsonl.zst"))
rej = sorted(int(r["source"].rsplit(":", 1)[1]) for r in lines("rejects.jsonl.zst"))
assert res == ["a", "b"], res
assert rej == [1, 4, 5, 6], rej
EOF2
"$SLUICE" audit verify "$T/mixed" >"$T/mixed.verify" 2>&1 || { cat "$T/mixed.verify" >&2; fail "audit verify on copies that failed a check"; }
pass "a copy that fails a check keeps its id in its reject; audit verify accepts it"
