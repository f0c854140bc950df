#!/usr/bin/env bash
# A 429 storm and a burst of 5xx, resets and truncated bodies end in results, not losses; a server
# that never succeeds ends every job in errors with a clear record, retries bounded.
source "$(dirname "$0")/lib/common.sh"
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"

start_mock storm --storm-429 40 --fail-rate 0.15 --html-rate 0.05 --reset-rate 0.05 \
  --truncate-rate 0.05 --nonjson-rate 0.05 --seed 11
run_sluice "$T/o1" --endpoint "$MOCK_URL" --concurrency 16 --max-attempts 12 "$IN"
[ "$RC" = 0 ] || { tail -20 "$T/o1.stderr" >&2; fail "exit $RC under faults, expected 0"; }
counts=$(account "$T/o1" "$IN") || fail "accounting: $counts"
[ "$counts" = "results=300 errors=0 rejects=0" ] || fail "counts under faults: $counts"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["retries"] > 0 and s["http_429"] >= 1, s' \
  "$T/o1/summary.json" || fail "summary shows no retries/429s"
pass "429 storm + 5xx + resets + truncation: all 300 results"
stop_mock

start_mock dead --fail-rate 1 --seed 3
run_sluice "$T/o2" --endpoint "$MOCK_URL" --concurrency 16 --max-attempts 2 "$IN"
[ "$RC" = 3 ] || fail "exit $RC when every request fails, expected 3"
counts=$(account "$T/o2" "$IN") || fail "accounting: $counts"
[ "$counts" = "results=0 errors=300 rejects=0" ] || fail "counts: $counts"
n=$(rec_lines dead)
[ "$n" = 600 ] || fail "expected 2 attempts x 300 jobs = 600 requests, mock saw $n"
zstd -dcq "$T/o2/errors.jsonl.zst" >"$T/o2.errors"
"$PY" -c '
import json,sys; r=json.loads(sys.stdin.readline())
assert r["error"]["attempts"] == 2 and r["error"]["code"] and r["error"]["message"], r
assert r["response"]["status_code"] == 500, r' <"$T/o2.errors" || fail "error record lacks code/message/attempts"
pass "always-failing server: 300 error records, 2 attempts each"
stop_mock

start_mock quota --quota-exhausted
run_sluice "$T/o3" --endpoint "$MOCK_URL" --concurrency 4 "$IN"
[ "$RC" = 4 ] || fail "exit $RC on insufficient_quota, expected 4 (resumable)"
grep -q "insufficient_quota" "$T/o3.stderr" || fail "no clear insufficient_quota message"
n=$(rec_lines quota)
[ "$n" -le 8 ] || fail "insufficient_quota was retried: $n requests"
pass "insufficient_quota stops the run at once (exit 4, $n requests)"
stop_mock

# Stalls past the per-request timeout: those attempts time out and are retried.
start_mock stall --stall-rate 0.1 --stall-ms 4000 --seed 5
run_sluice "$T/o4" --endpoint "$MOCK_URL" --concurrency 32 --timeout 1 --max-attempts 8 "$IN"
[ "$RC" = 0 ] || { tail "$T/o4.stderr" >&2; fail "stalls: exit $RC"; }
[ "$(account "$T/o4" "$IN")" = "results=300 errors=0 rejects=0" ] || fail "stall counts"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["network_errors"] > 0 and s["retries"] > 0, s' \
  "$T/o4/summary.json" || fail "no timeouts were seen"
pass "stalls past --timeout are retried: all 300 results"
