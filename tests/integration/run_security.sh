#!/usr/bin/env bash
# TLS and key handling: untrusted, expired, wrong-host and old-TLS servers are refused; plain
# http only to loopback with --allow-http; the key never comes from argv or a loose key file.
source "$(dirname "$0")/lib/common.sh"
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"
head -5 "$IN" >"$T/five.jsonl"

for c in unknown expired wronghost; do
  MOCK_CERT=$c start_mock "$c"
  run_sluice "$T/o-$c" --endpoint "$MOCK_URL" "$T/five.jsonl"
  [ "$RC" = 4 ] || fail "$c certificate: exit $RC, expected 4"
  grep -qi "certificate\|SSL" "$T/o-$c.stderr" || fail "$c certificate: no clear message"
  n=$(rec_lines $c)
  [ "$n" = 0 ] || fail "$c certificate: $n requests reached the server"
  stop_mock
  pass "$c certificate refused"
done

start_mock old --tls-max 1.1
run_sluice "$T/o-old" --endpoint "$MOCK_URL" --max-attempts 2 "$T/five.jsonl"
[ "$RC" != 0 ] || fail "a TLS 1.1 server was accepted"
n=$(rec_lines old)
[ "$n" = 0 ] || fail "TLS 1.1: $n requests reached the server"
stop_mock
pass "TLS 1.1-only server refused"

start_mock plain --plain
run_sluice "$T/o-p1" --endpoint "http://127.0.0.1:$MOCK_PORT" "$T/five.jsonl"
[ "$RC" = 2 ] || fail "plain http without --allow-http: exit $RC, expected 2"
run_sluice "$T/o-p2" --endpoint "http://127.0.0.1:$MOCK_PORT" --allow-http "$T/five.jsonl"
[ "$RC" = 0 ] || { cat "$T/o-p2.stderr" >&2; fail "plain http to loopback with --allow-http: exit $RC"; }
stop_mock
run_sluice "$T/o-p3" --endpoint "http://192.0.2.1:80" --allow-http "$T/five.jsonl"
[ "$RC" = 2 ] || fail "plain http to a non-loopback host: exit $RC, expected 2"
pass "plain http: refused, except to loopback with --allow-http"

start_mock keys
set +e
"$SLUICE" run -o "$T/o-k1" --api-key sk-should-not-be-here --endpoint "$MOCK_URL" "$T/five.jsonl" 2>"$T/k1.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "--api-key on argv accepted (exit $rc)"
grep -q "sk-should-not-be-here" "$T/k1.err" && fail "argv key echoed"
printf '%s\n' "$TEST_KEY" >"$T/key"
chmod 644 "$T/key"
run_sluice "$T/o-k2" --endpoint "$MOCK_URL" --api-key-file "$T/key" "$T/five.jsonl"
[ "$RC" = 2 ] || fail "world-readable key file accepted (exit $RC)"
chmod 600 "$T/key"
( unset OPENAI_API_KEY; run_sluice "$T/o-k3" --endpoint "$MOCK_URL" --api-key-file "$T/key" "$T/five.jsonl"
  [ "$RC" = 0 ] || fail "owner-only key file refused (exit $RC)" )
stop_mock # the mock flushes its record every 100 ms and at exit: a 5-job run can be faster
"$PY" - "$T/keys.rec" "$TEST_KEY" <<'PYEOF' || fail "key file: the server did not get the key"
import hashlib, json, sys
want = "sha256:" + hashlib.sha256(("Bearer " + sys.argv[2]).encode()).hexdigest()
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs and all(r["auth"] == want for r in recs), (recs[:1], want)
PYEOF
secret_free "$T"/o-k3/* "$T/o-k3.stderr"
pass "key: argv refused, loose key file refused, owner-only key file used"
