#!/usr/bin/env bash
# --output-format msgpack: the same 300-job sample (results, errors, rejects; chat and embeddings)
# run as JSONL and as msgpack gives, record for record, the same values once per-run fields are
# removed; the body is a nested map; audit verify passes on the msgpack directory and catches a
# deleted record; a resume in the other format is refused (exit 2).
source "$(dirname "$0")/lib/common.sh"
"$PY" -c 'import msgpack' 2>/dev/null || fail "python3-msgpack is missing for $PY"

bash "$SL_SOURCE_DIR/bench/genjobs.sh" 281 7 >"$T/jobs.jsonl"
{
  for i in 1 2 3 4 5; do # embeddings: float arrays in the body
    printf '{"custom_id":"emb-%d","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"h\\u00e9llo %d \\u4e2d"}}\n' "$i" "$i"
  done
  for i in 1 2 3 4 5; do # 404 from the mock: error records
    printf '{"custom_id":"err-%d","method":"POST","url":"/v1/moderations","body":{"model":"m","input":"x"}}\n' "$i"
  done
  for i in 1 2 3 4; do echo "not json $i"; done                    # rejects without custom_id
  echo '{"custom_id":"rej-3","method":"POST","url":"/v1/chat/completions","body":"not an object"}'
  printf '{"custom_id":"uni-\\u00e9\\ud83d\\ude00","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"great"}]}}\n'
  printf '{"custom_id":"big-1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":9007199254740993,"messages":[{"role":"user","content":"bad"}]}}\n'
  echo '{"custom_id":"rej-1","method":"GET","url":"/v1/chat/completions","body":{}}'
  echo '{"custom_id":"rej-2","method":"POST","url":"/v1/chat/completions"}'
} >>"$T/jobs.jsonl"
[ "$(wc -l <"$T/jobs.jsonl")" = 300 ] || fail "sample is not 300 lines"
start_mock mp --latency-ms 2

run_sluice "$T/j" --endpoint "$MOCK_URL" --max-attempts 2 "$T/jobs.jsonl"
[ "$RC" = 3 ] || { tail "$T/j.stderr" >&2; fail "jsonl run exit $RC, expected 3"; }
run_sluice "$T/m" --endpoint "$MOCK_URL" --max-attempts 2 --output-format msgpack "$T/jobs.jsonl"
[ "$RC" = 3 ] || { tail "$T/m.stderr" >&2; fail "msgpack run exit $RC, expected 3"; }
for f in results errors rejects; do
  [ -f "$T/m/$f.msgpack.zst" ] || fail "$f.msgpack.zst missing"
  [ ! -e "$T/m/$f.jsonl.zst" ] || fail "$f.jsonl.zst written by a msgpack run"
done
[ -f "$T/m/audit.jsonl.zst" ] || fail "audit.jsonl.zst missing"
"$PY" - "$T/m/summary.json" <<'EOF' || fail "summary.json does not record output_format msgpack"
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["settings"]["output_format"] == "msgpack" else 1)
EOF

"$PY" - "$T/j" "$T/m" <<'EOF' || fail "msgpack records differ from the JSONL records"
import json, subprocess, sys
import msgpack

def unz(path):
    return subprocess.run(["zstd", "-dcq", path], check=True, stdout=subprocess.PIPE).stdout

def strip(kind, r):
    r = dict(r)
    if kind == "rejects":
        return r
    r.pop("id")  # batch_req_<keyed digest>: the audit key differs per directory
    resp = r.get("response")
    if isinstance(resp, dict):
        resp = dict(resp)
        resp.pop("request_id", None)
        if isinstance(resp.get("body"), dict):
            body = dict(resp["body"])
            for k in ("id", "created"):  # per-response id and timestamp
                body.pop(k, None)
            resp["body"] = body
        r["response"] = resp
    return r

def key(kind, r):
    return r.get("custom_id") if r.get("custom_id") is not None else "source:" + r["source"]

def has_float(v):
    if isinstance(v, float): return True
    if isinstance(v, dict): return any(has_float(x) for x in v.values())
    if isinstance(v, list): return any(has_float(x) for x in v)
    return False

jdir, mdir = sys.argv[1], sys.argv[2]
total = 0
floats = 0
for kind in ("results", "errors", "rejects"):
    jl = [json.loads(l) for l in unz(f"{jdir}/{kind}.jsonl.zst").decode().splitlines()]
    ml = list(msgpack.Unpacker(__import__("io").BytesIO(unz(f"{mdir}/{kind}.msgpack.zst")),
                               raw=False, strict_map_key=True))
    J = {key(kind, r): strip(kind, r) for r in jl}
    M = {key(kind, r): strip(kind, r) for r in ml}
    assert len(J) == len(jl) and len(M) == len(ml), f"{kind}: repeated keys"
    assert J.keys() == M.keys(), f"{kind}: ids differ: {sorted(J.keys() ^ M.keys())[:5]}"
    for k in J:
        assert J[k] == M[k], f"{kind} {k}:\n json {J[k]}\n mpk  {M[k]}"
        # json.loads == msgpack also checks int vs float: 1 == 1.0 would pass, so compare types
        assert json.dumps(J[k], sort_keys=True) == json.dumps(M[k], sort_keys=True), f"{kind} {k}: types differ"
    for r in ml:
        if kind != "rejects" and isinstance(r.get("response"), dict):
            b = r["response"].get("body")
            assert b is None or isinstance(b, dict), f"{kind}: body is {type(b)}, not a map"
        floats += has_float(r)
    total += len(ml)
    if kind == "results":
        assert "uni-\u00e9\U0001F600" in M, "the unicode custom_id is not among the results"
    print(f"{kind}: {len(ml)} records equal")
    assert len(ml) >= 5, f"only {len(ml)} {kind}: the sample must exercise every kind"
assert total == 300, f"{total} records, expected 300"
assert floats >= 5, "no float survived (embeddings)"
EOF
pass "300 msgpack records equal the JSONL records"

"$SLUICE" audit verify "$T/m" >/dev/null || fail "audit verify fails on the msgpack directory"
pass "audit verify on msgpack"

# Resume in the other format is refused, both ways; the directory is left as it was.
run_sluice "$T/m" --endpoint "$MOCK_URL" --resume "$T/jobs.jsonl"
[ "$RC" = 2 ] || fail "jsonl resume of a msgpack run: exit $RC, expected 2"
grep -q "output-format" "$T/m.stderr" || fail "the refusal does not name --output-format"
run_sluice "$T/j" --endpoint "$MOCK_URL" --resume --output-format msgpack "$T/jobs.jsonl"
[ "$RC" = 2 ] || fail "msgpack resume of a jsonl run: exit $RC, expected 2"
[ ! -e "$T/j/results.msgpack.zst" ] || fail "the refused resume created msgpack files"
"$SLUICE" audit verify "$T/m" >/dev/null || fail "a refused resume changed the msgpack directory"
pass "resume across formats refused"

# A same-format resume of a finished run is accepted and changes nothing.
run_sluice "$T/m" --endpoint "$MOCK_URL" --resume --output-format msgpack "$T/jobs.jsonl"
[ "$RC" = 3 ] || { tail "$T/m.stderr" >&2; fail "msgpack resume exit $RC"; }
"$SLUICE" audit verify "$T/m" >/dev/null || fail "audit verify after a msgpack resume"

# Delete one result record: verify must fail (counts and the audit multiset).
cp -r "$T/m" "$T/m2"
"$PY" - "$T/m2/results.msgpack.zst" <<'EOF'
import subprocess, sys, io
import msgpack
p = sys.argv[1]
raw = subprocess.run(["zstd", "-dcq", p], check=True, stdout=subprocess.PIPE).stdout
recs = list(msgpack.Unpacker(io.BytesIO(raw), raw=False))
out = b"".join(msgpack.packb(r) for r in recs[:10] + recs[11:])
subprocess.run(["zstd", "-qf", "-o", p], input=out, check=True)
EOF
set +e
"$SLUICE" audit verify "$T/m2" >"$T/v2.out" 2>"$T/v2.err"
vrc=$?
set -e
[ "$vrc" = 5 ] || fail "audit verify after deleting a record: exit $vrc, expected 5"
grep -q "lack\|have no line\|records of outcome" "$T/v2.err" || { cat "$T/v2.err" >&2; fail "no missing-record problem reported"; }
pass "audit verify detects a deleted msgpack record"

# A directory holding both formats is refused by audit verify.
cp "$T/j/results.jsonl.zst" "$T/m2/"
set +e
"$SLUICE" audit verify "$T/m2" >/dev/null 2>"$T/v3.err"
vrc=$?
set -e
[ "$vrc" = 5 ] && grep -q "both" "$T/v3.err" || fail "audit verify accepted a directory with both formats (exit $vrc)"
pass "mixed directory refused"
