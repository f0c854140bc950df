#!/usr/bin/env bash
# The sample batch end to end over TLS against the mock: every job accounted for, outputs are
# zstd JSONL, results are the mock's answers, and no email, secret or API key crossed the wire or
# reached an output, the audit log or stderr.
source "$(dirname "$0")/lib/common.sh"
start_mock basic
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"
run_sluice "$T/out" --endpoint "$MOCK_URL" --concurrency 16 "$IN"
[ "$RC" = 0 ] || { cat "$T/out.stderr" >&2; fail "exit status $RC, expected 0"; }
counts=$(account "$T/out" "$IN") || fail "accounting: $counts"
[ "$counts" = "results=300 errors=0 rejects=0" ] || fail "counts: $counts"
pass "300 jobs, all results"

# Results carry the mock's deterministic labels and usage, in the Batch output shape.
"$PY" - "$T/out/results.jsonl.zst" <<'PYEOF' || fail "result shape"
import json, subprocess, sys
for l in subprocess.run(["zstd", "-dcq", sys.argv[1]], capture_output=True, check=True).stdout.splitlines():
    r = json.loads(l)
    assert r["id"].startswith("batch_req_") and r["error"] is None, r
    resp = r["response"]
    assert resp["status_code"] == 200 and resp["request_id"], r
    b = resp["body"]
    assert b["choices"][0]["message"]["content"] in ("positive", "negative", "neutral"), b
    assert b["usage"]["total_tokens"] > 0
PYEOF
pass "results have the Batch output shape"

# The mock saw one request per job, each with an Idempotency-Key, auth hashed in its record.
n=$(rec_lines basic)
[ "$n" = 300 ] || fail "mock received $n requests, expected 300"
grep -q '"idempotency_key":null' "$T/basic.rec" && fail "a request had no Idempotency-Key"
# Nothing the anonymizer must catch crossed the wire.
for needle in "jane.doe@example.com" "billing@acme-corp.example" "sk-proj-AbCdEf" "4111 1111 1111 1111" "415 555 0132"; do
  grep -qF "$needle" "$T/basic.rec" && fail "'$needle' reached the server"
  zstd -dcq "$T/out/audit.jsonl.zst" | grep -qF "$needle" && fail "'$needle' in the audit log"
  grep -qF "$needle" "$T/out.stderr" && fail "'$needle' in stderr"
done
grep -q 'REDACTED_EMAIL' "$T/basic.rec" || fail "no redaction placeholder reached the server"
pass "no PII or secret on the wire, in the audit log or stderr"
secret_free "$T/basic.rec" "$T/out.stderr" "$T"/out/*
pass "API key absent from every output, record and stderr"
"$SLUICE" audit verify "$T/out" >"$T/verify" 2>&1 || { cat "$T/verify" >&2; fail "audit verify"; }
for f in errors rejects; do
  [ "$(zstd -dcq "$T/out/$f.jsonl.zst" | wc -l)" = 0 ] || fail "$f.jsonl.zst is not an empty zstd file"
done
pass "audit verify; empty outputs are valid empty zstd files"
# The audit log holds nothing the anonymizer would flag, and it did count what it redacted.
zstd -dcq "$T/out/audit.jsonl.zst" | "$SLUICE" redact --stats >/dev/null 2>"$T/audit.stats"
"$PY" - "$T/audit.stats" "$T/out/summary.json" <<'PYEOF' || fail "audit log not clean, or no redactions counted"
import json, sys
st = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert st["lines"] == 300, st
assert all(v == 0 for k, v in st.items() if k not in ("lines", "invalid")), st
s = json.load(open(sys.argv[2]))
for t in ("EMAIL", "PHONE", "CREDIT_CARD", "SECRET"):
    assert s["redactions"].get(t, 0) >= 1, s["redactions"]
PYEOF
pass "audit log: nothing the anonymizer flags; redactions counted by type"

# A server that indents its answers over several lines (OpenAI does): each result is still one
# JSONL line holding the same value, and usage is still counted.
start_mock pretty --pretty
head -20 "$IN" >"$T/p.jsonl"
run_sluice "$T/pr" --endpoint "$MOCK_URL" "$T/p.jsonl"
[ "$RC" = 0 ] || { cat "$T/pr.stderr" >&2; fail "pretty: exit $RC"; }
"$PY" - "$T/pr/results.jsonl.zst" "$T/pr/summary.json" <<'PYEOF' || fail "pretty answers: not one line each, or usage lost"
import json, subprocess, sys
lines = subprocess.run(["zstd", "-dcq", sys.argv[1]], capture_output=True, check=True).stdout.split(b"\n")
assert lines[-1] == b"" and len(lines) == 21, len(lines)
for l in lines[:-1]:
    assert b"\r" not in l, l
    b = json.loads(l)["response"]["body"]
    assert b["choices"][0]["message"]["content"] in ("positive", "negative", "neutral"), b
    assert b["usage"]["total_tokens"] > 0, b
s = json.load(open(sys.argv[2]))
assert s["tokens"]["prompt"] > 0 and s["tokens"]["completion"] > 0, s["tokens"]
PYEOF
pass "pretty-printed answers: one result line each, same values, usage counted"
