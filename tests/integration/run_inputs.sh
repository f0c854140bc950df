#!/usr/bin/env bash
# Inputs: msgpack and JSONL from stdin and files, and hostile lines: each bad record becomes a
# reject with its file:line (or msgpack index) and a reason, and the run goes on.
source "$(dirname "$0")/lib/common.sh"
start_mock inputs
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"

# JSONL on stdin.
set +e
head -50 "$IN" | "$SLUICE" run -o "$T/o1" --cacert "$T/certs/ca.pem" --endpoint "$MOCK_URL" - 2>"$T/o1.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/o1.err" >&2; fail "stdin JSONL: exit $rc"; }
head -50 "$IN" >"$T/fifty.jsonl"
[ "$(account "$T/o1" "$T/fifty.jsonl")" = "results=50 errors=0 rejects=0" ] || fail "stdin counts"
pass "JSONL from stdin"

# msgpack file and msgpack on stdin.
"$PY" - "$IN" "$T/jobs.msgpack" <<'PYEOF'
import json, msgpack, sys
with open(sys.argv[2], "wb") as f:
    for l in open(sys.argv[1]).read().splitlines()[:40]:
        f.write(msgpack.packb(json.loads(l)))
PYEOF
run_sluice "$T/o2" --endpoint "$MOCK_URL" "$T/jobs.msgpack"
[ "$RC" = 0 ] || { cat "$T/o2.stderr" >&2; fail "msgpack file: exit $RC"; }
[ "$(account "$T/o2" "$T/jobs.msgpack")" = "results=40 errors=0 rejects=0" ] || fail "msgpack counts"
set +e
"$SLUICE" run -o "$T/o3" --cacert "$T/certs/ca.pem" --endpoint "$MOCK_URL" --format msgpack - <"$T/jobs.msgpack" 2>"$T/o3.err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "msgpack stdin: exit $rc"
pass "msgpack from a file and from stdin"

# Hostile JSONL: every line below must become a reject naming its line; good lines still run.
"$PY" - "$T/hostile.jsonl" <<'PYEOF'
import json, sys
good = lambda cid, text="fine": json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], "max_tokens": 2}})
lines = [
    good("ok-1"),
    b'{"custom_id": "bad-json", "method": "POST",',                       # truncated
    b'not json at all',
    b'{"custom_id":"utf8","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"\xff\xfe"}]}}',
    b'{"custom_id":"nul","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"a\x00b"}]}}',
    b'[' * 10000 + b']' * 10000,
    good("ok-1"),                                                          # duplicate custom_id
    json.dumps({"custom_id": 42, "method": "POST", "url": "/v1/chat/completions", "body": {}}),
    json.dumps({"custom_id": "ep", "method": "POST", "url": "/v1/unknown", "body": {"model": "m"}}),
    json.dumps({"custom_id": "get", "method": "GET", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "x"}]}}),
    b'{"custom_id":"huge","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":1' + b'0' * 400 + b',"messages":[{"role":"user","content":"x"}]}}',
    json.dumps({"custom_id": "big", "method": "POST", "url": "/v1/chat/completions",
                "body": {"model": "m", "messages": [{"role": "user", "content": "y" * (3 << 20)}]}}),
    good("ok-2"),
]
with open(sys.argv[1], "wb") as f:
    for l in lines:
        f.write((l if isinstance(l, bytes) else l.encode()) + b"\n")
PYEOF
run_sluice "$T/o4" --endpoint "$MOCK_URL" "$T/hostile.jsonl"
[ "$RC" = 3 ] || { cat "$T/o4.stderr" >&2; fail "hostile input: exit $RC, expected 3"; }
counts=$(account "$T/o4") || fail "accounting: $counts"
[ "$counts" = "results=2 errors=0 rejects=11" ] || fail "hostile counts: $counts"
zstd -dcq "$T/o4/rejects.jsonl.zst" >"$T/rejects"
"$PY" - "$T/rejects" "$T/hostile.jsonl" <<'PYEOF' || fail "reject records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
lines = sorted(int(r["source"].rsplit(":", 1)[1]) for r in recs)
assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], lines
for r in recs:
    assert r["source"].startswith("hostile.jsonl:") or "/hostile.jsonl:" in r["source"], r
    assert r["reason"] and r["code"], r
    assert "\xff" not in r["reason"] and "yyyy" not in json.dumps(r), r
dup = [r for r in recs if r["source"].endswith(":7")][0]
assert dup["code"] == "duplicate.custom_id", dup
codes = sorted(r["code"] for r in recs)
assert "utf8" in codes and "parse.json" in codes and "size.record" in codes, codes
PYEOF
pass "hostile JSONL: 11 rejects with file:line and reason, 2 results"

# msgpack with a lying length: a reject, and the run ends cleanly.
printf '\x81\xa9custom_id\xdb\xff\xff\xff\xf0abc' >"$T/lying.msgpack"
run_sluice "$T/o5" --endpoint "$MOCK_URL" "$T/lying.msgpack"
[ "$RC" = 3 ] || fail "lying msgpack: exit $RC, expected 3"
[ "$(account "$T/o5")" = "results=0 errors=0 rejects=1" ] || fail "lying msgpack counts"
pass "msgpack with a lying length: one reject"
"$SLUICE" audit verify "$T/o4" >"$T/v4" 2>&1 || { cat "$T/v4" >&2; fail "audit verify on the hostile run"; }
pass "audit verify accepts the hostile run (duplicate ids keyed by source)"
