#!/usr/bin/env bash
# Operations: --dry-run (no network, no key; requests.jsonl.zst holds exactly the bodies a real run
# sends), --prices spend accounting (summary and audit cost_usd) and --budget-usd (stops, exit 4,
# resumable).
source "$(dirname "$0")/lib/common.sh"
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"
PRICES="$SL_SOURCE_DIR/samples/prices.json"

# --- dry run: no key in the environment, an endpoint nobody listens on ---
(
  unset OPENAI_API_KEY
  run_sluice "$T/dry" --dry-run --prices "$PRICES" --endpoint https://127.0.0.1:9 "$IN"
  echo "$RC" >"$T/dry.rc"
)
RC=$(cat "$T/dry.rc")
[ "$RC" = 0 ] || { cat "$T/dry.stderr" >&2; fail "dry run exit $RC, expected 0"; }
[ -f "$T/dry/requests.jsonl.zst" ] || fail "no requests.jsonl.zst"
[ -e "$T/dry/results.jsonl.zst" ] && fail "dry run wrote results.jsonl.zst"
grep -q "estimated [0-9]* tokens, estimated cost [$]" "$T/dry.stderr" || { cat "$T/dry.stderr" >&2; fail "no estimate on stderr"; }
pass "dry run without a key or a server: exit 0, requests.jsonl.zst, estimate on stderr"
"$SLUICE" audit verify "$T/dry" >"$T/dry.verify" 2>&1 || { cat "$T/dry.verify" >&2; fail "audit verify on a dry-run directory"; }
pass "audit verify accepts a dry-run directory (requests.jsonl.zst stands for results)"

# --- the same batch for real: the mock must receive exactly the dry run's bodies ---
start_mock ops
run_sluice "$T/real" --endpoint "$MOCK_URL" --prices "$PRICES" --concurrency 8 "$IN"
[ "$RC" = 0 ] || { cat "$T/real.stderr" >&2; fail "real run exit $RC"; }
n=$(rec_lines ops)
[ "$n" = 300 ] || fail "mock received $n requests, expected 300"
"$PY" - "$T/dry" "$T/real" "$T/ops.rec" <<'PYEOF' || fail "dry run vs real run"
import json, subprocess, sys
dry, real, rec = sys.argv[1:4]
def zlines(p):
    return subprocess.run(["zstd", "-dcq", p], capture_output=True, check=True).stdout.splitlines()
reqs = {}
for l in zlines(dry + "/requests.jsonl.zst"):
    r = json.loads(l)
    assert set(r) == {"custom_id", "method", "url", "body"}, r
    assert r["method"] == "POST" and r["url"] == "/v1/chat/completions", r
    # the raw body bytes, as written: re-extract them from the line text
    raw = l.decode()
    body = raw[raw.index(',"body":') + 8:-1]
    assert json.loads(body) == r["body"]
    reqs[r["custom_id"]] = body
assert len(reqs) == 300, len(reqs)
sent = sorted(json.loads(l)["body"] for l in open(rec, encoding="utf-8"))
assert sent == sorted(reqs.values()), "bodies differ between dry run and the wire"
assert not any("jane.doe@example.com" in b for b in reqs.values()), "PII in a dry-run request"
ds = json.load(open(dry + "/summary.json"))
rs = json.load(open(real + "/summary.json"))
assert ds["results"] == 300 and ds["requests"] == 0, ds
assert ds["estimated_tokens"] > 0 and ds["estimated_cost_usd"] > 0, ds
assert ds["estimated_cost_unknown_jobs"] == 0 and ds["spend_usd"] is None, ds
# the real spend from the mock's usage at gpt-4o-mini prices (0.15 / 0.60 per M)
pt, ct = rs["tokens"]["prompt"], rs["tokens"]["completion"]
want = (pt * 0.15 + ct * 0.60) / 1e6
assert pt > 0 and abs(rs["spend_usd"] - want) < 1e-6, (rs["spend_usd"], want)
assert rs["spend_by_model"]["gpt-4o-mini"]["jobs"] == 300, rs["spend_by_model"]
assert abs(rs["spend_by_model"]["gpt-4o-mini"]["usd"] - want) < 1e-6
# the estimate is an upper bound of the real spend (max_tokens assumed)
assert ds["estimated_cost_usd"] >= rs["spend_usd"] * 0.99, (ds["estimated_cost_usd"], rs["spend_usd"])
audit = [json.loads(l) for l in zlines(real + "/audit.jsonl.zst")]
tot = sum(a["cost_usd"] for a in audit)
assert all(a["cost_usd"] > 0 for a in audit) and abs(tot - want) < 1e-6, tot
PYEOF
pass "real run sends exactly the dry run's bodies; spend in summary and audit matches usage x prices"
"$SLUICE" audit verify "$T/real" >/dev/null 2>&1 || fail "audit verify of the priced run"
grep -q "spend [$]" "$T/real.stderr" || fail "no spend line on stderr"

# --- metrics.prom: valid exposition format, numbers agree with summary.json ---
"$PY" - "$T/real" <<'PYEOF' || fail "metrics.prom"
import json, re, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
text = open(d + "/metrics.prom").read()
assert text.endswith("\n")
types, vals, seen_samples = {}, {}, set()
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample_re = re.compile(r"^(%s)(\{(%s=\"(?:[^\"\\]|\\.)*\")(,%s=\"(?:[^\"\\]|\\.)*\")*\})? (\S+)$" % (name_re, name_re, name_re))
for line in text.splitlines():
    m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name_re, line)
    if m:
        assert m.group(2) not in seen_samples, "HELP/TYPE after samples: " + line
        if m.group(1) == "TYPE":
            assert m.group(2) not in types and m.group(3) in ("counter", "gauge", "histogram"), line
            types[m.group(2)] = m.group(3)
        continue
    m = sample_re.match(line)
    assert m, "bad line: " + line
    name = m.group(1)
    fam = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
    assert fam in types, "sample without TYPE: " + line
    seen_samples.add(fam)
    v = float(m.group(5))
    vals[name + (m.group(2) or "")] = v
g = lambda k: vals[k]
assert g('sluice_jobs_total{outcome="result"}') == s["results"] == 300
assert g('sluice_jobs_total{outcome="error"}') == 0 and g('sluice_jobs_total{outcome="reject"}') == 0
assert g("sluice_requests_total") == s["requests"] == 300
assert g('sluice_tokens_total{kind="prompt"}') == s["tokens"]["prompt"]
assert abs(g("sluice_spend_usd_total") - s["spend_usd"]) < 1e-9
assert g("sluice_request_duration_seconds_count") == 300 == g('sluice_request_duration_seconds_bucket{le="+Inf"}')
b = [v for k, v in vals.items() if k.startswith("sluice_request_duration_seconds_bucket")]
assert b == sorted(b), "buckets not cumulative"
assert g("sluice_run_exit_status") == 0 and g("sluice_last_success_timestamp_seconds") > 1.6e9
assert types["sluice_request_duration_seconds"] == "histogram"
PYEOF
pass "metrics.prom parses and agrees with summary.json"

# --- a model missing from the price table is unknown, not guessed ---
printf '{"models":{"gpt-4o":{"input":2.5,"output":10}}}\n' >"$T/p-other.json"
run_sluice "$T/unk" --endpoint "$MOCK_URL" --prices "$T/p-other.json" "$IN"
[ "$RC" = 0 ] || fail "unknown-model run exit $RC"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["spend_unknown_jobs"]==300 and s["spend_usd"]==0 and s["spend_by_model"]["gpt-4o-mini"]["usd"] is None, s' "$T/unk/summary.json" || fail "unknown model accounting"
grep -q "missing from --prices" "$T/unk.stderr" || fail "unknown model not said on stderr"
pass "models missing from the table are counted as unknown"

# --- budget: a tiny budget stops early with exit 4; --resume with a larger one finishes ---
run_sluice "$T/bud" "$IN" --endpoint "$MOCK_URL" --prices "$PRICES" --budget-usd 0.0005 --concurrency 4
[ "$RC" = 4 ] || { cat "$T/bud.stderr" >&2; fail "budget run exit $RC, expected 4"; }
grep -q "budget reached" "$T/bud.stderr" || fail "no budget message"
"$PY" - "$T/bud/summary.json" <<'PYEOF' || fail "budget summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "interrupted" and 0 < s["results"] < 300, s
assert s["spend_usd"] <= 0.0005, s
PYEOF
run_sluice "$T/bud" "$IN" --resume --endpoint "$MOCK_URL" --prices "$PRICES" --budget-usd 10
[ "$RC" = 0 ] || { cat "$T/bud.stderr" >&2; fail "resumed budget run exit $RC"; }
counts=$(account "$T/bud" "$IN") || fail "accounting after budget resume: $counts"
[ "$counts" = "results=300 errors=0 rejects=0" ] || fail "counts: $counts"
pass "--budget-usd stops with exit 4 below the budget, --resume finishes"

# --- templated jobs (JSONL and msgpack): JSON-correct substitution, then the usual stages ---
cat >"$T/tmpl.json" <<'JEOF'
{"body": {"model": "gpt-4o-mini", "max_tokens": 2,
  "messages": [{"role": "system", "content": "Classify the sentiment."},
               {"role": "user", "content": "Review: {{text}}"}]}}
JEOF
"$PY" - "$T" <<'PYEOF'
import json, msgpack, sys
t = sys.argv[1]
texts = ['plain text', 'quote " and backslash \\ and\nnewline', 'braces }]} and {{text}} literal',
         'mail me at jane.doe@example.com', 'caf\u00e9 \u2603']
with open(t + "/tm.jsonl", "w") as f:
    for i, x in enumerate(texts):
        f.write(json.dumps({"custom_id": "t-%d" % i, "text": x}) + "\n")
    f.write(json.dumps({"custom_id": "t-bad", "text": 5}) + "\n")
with open(t + "/tm.msgpack", "wb") as f:
    for i, x in enumerate(texts):
        f.write(msgpack.packb({"custom_id": "m-%d" % i, "text": x}))
json.dump(texts, open(t + "/tm.texts.json", "w"))
PYEOF
(
  unset OPENAI_API_KEY
  run_sluice "$T/tm" --dry-run --template "$T/tmpl.json" "$T/tm.jsonl" "$T/tm.msgpack"
  echo "$RC" >"$T/tm.rc"
)
[ "$(cat "$T/tm.rc")" = 3 ] || { cat "$T/tm.stderr" >&2; fail "templated dry run exit $(cat "$T/tm.rc"), expected 3 (one reject)"; }
"$PY" - "$T" <<'PYEOF' || fail "templated requests"
import json, subprocess, sys
t = sys.argv[1]
z = lambda p: [json.loads(l) for l in subprocess.run(["zstd", "-dcq", p], capture_output=True, check=True).stdout.splitlines()]
texts = json.load(open(t + "/tm.texts.json"))
reqs = {r["custom_id"]: r for r in z(t + "/tm/requests.jsonl.zst")}
assert sorted(reqs) == sorted(["t-%d" % i for i in range(5)] + ["m-%d" % i for i in range(5)]), sorted(reqs)
for p in "tm":
    for i, x in enumerate(texts):
        r = reqs["%s-%d" % (p, i)]
        assert r["method"] == "POST" and r["url"] == "/v1/chat/completions", r
        got = r["body"]["messages"][1]["content"]
        if "@" in x:
            assert got == "Review: mail me at [REDACTED_EMAIL]", got   # anonymized after templating
        else:
            assert got == "Review: " + x, (got, x)
        assert r["body"]["messages"][0]["content"] == "Classify the sentiment."
rj = z(t + "/tm/rejects.jsonl.zst")
assert len(rj) == 1 and rj[0]["custom_id"] == "t-bad" and rj[0]["field"] == "/text", rj
PYEOF
run_sluice "$T/tmr" --endpoint "$MOCK_URL" --template "$T/tmpl.json" "$T/tm.msgpack"
[ "$RC" = 0 ] || { cat "$T/tmr.stderr" >&2; fail "templated real run exit $RC"; }
[ "$(zstd -dcq "$T/tmr/results.jsonl.zst" | wc -l)" = 5 ] || fail "templated real run results"
printf '{"body":{"input":"no placeholder"}}' >"$T/badtmpl.json"
run_sluice "$T/tmbad" --dry-run --template "$T/badtmpl.json" "$T/tm.jsonl"
[ "$RC" = 2 ] || fail "a template without {{text}}: exit $RC"
pass "templated jobs from JSONL and msgpack: exact substitution, anonymized, bad records rejected"

# --- provider configs parse and prepare the sample batch (dry run: no server needed) ---
for conf in "$SL_SOURCE_DIR"/samples/providers/*.conf; do
  name=$(basename "$conf" .conf)
  (cd "$SL_SOURCE_DIR" && "$SLUICE" run --config "$conf" --dry-run --resume -o "$T/prov-$name" \
     samples/sentiment.jsonl 2>"$T/prov-$name.stderr") && rc=0 || rc=$?
  [ "$rc" = 0 ] || { cat "$T/prov-$name.stderr" >&2; fail "samples/providers/$name.conf: exit $rc"; }
done
pass "every samples/providers/*.conf is a valid config (with --resume on a fresh directory)"

# --- usage errors ---
run_sluice "$T/nb" --budget-usd 1 "$IN"
[ "$RC" = 2 ] || fail "--budget-usd without --prices: exit $RC"
run_sluice "$T/dry" --resume --endpoint "$MOCK_URL" "$IN"
[ "$RC" = 2 ] || fail "a real run resuming a dry-run directory: exit $RC"
pass "--budget-usd needs --prices; dry and real runs do not share a directory"
secret_free "$T"/real/* "$T"/dry/* "$T/real.stderr"
