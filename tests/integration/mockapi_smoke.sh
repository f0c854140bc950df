#!/usr/bin/env bash
# mockapi_smoke.sh: sluice-mockapi answers like an OpenAI-compatible API over HTTPS (HTTP/1.1 and
# HTTP/2), refuses bad auth and unknown paths, meters a quota with OpenAI-style 429s, records
# requests with the credential hashed, injects faults, and honours --tls-max. Uses the curl CLI.
# Env: MOCKAPI (binary), SL_SOURCE_DIR (repo root); both have defaults for a manual run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${SL_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
mock=${MOCKAPI:-${SL_BUILD_DIR:-$src/build}/sluice-mockapi}
[[ -x $mock ]] || { echo "FAIL: no mock binary at $mock"; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

bash "$src/bench/gen-certs.sh" "$tmp/certs" >/dev/null 2>&1 || { echo "FAIL: gen-certs.sh"; exit 1; }
ca=$tmp/certs/ca.pem

# start NAME ARGS...: run the mock on port 0 and set $port (waits at most 10 s for the port file).
start() {
    local name=$1 i
    shift
    rm -f "$tmp/$name.port"
    "$mock" --cert "$tmp/certs/server.pem" --key "$tmp/certs/server.key" --listen 127.0.0.1:0 \
        --port-file "$tmp/$name.port" --max-seconds 120 --quiet "$@" >/dev/null 2>"$tmp/$name.err" &
    pids+=($!)
    for ((i = 0; i < 100; i++)); do
        [[ -s $tmp/$name.port ]] && break
        kill -0 "${pids[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    port=$(cat "$tmp/$name.port" 2>/dev/null)
    [[ -n $port ]] || { echo "FAIL: mock '$name' did not start: $(cat "$tmp/$name.err")"; exit 1; }
}

json_ok() { # FILE EXPR: python3 evaluates EXPR with d = parsed JSON; exit 0 if true
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

key="sk-smoke-secret-$$"
body='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Classify."},{"role":"user","content":"I love it, great stuff"}]}'
post() { # URL_PATH OUT [curl args...]: prints "code version"
    local path=$1 out=$2
    shift 2
    curl -sS --max-time 10 --cacert "$ca" -o "$out" -w '%{http_code} %{http_version}' \
        -H 'content-type: application/json' "$@" "https://127.0.0.1:$port$path"
}

# --- basic answers, with the record on ---
start basic --record "$tmp/rec.jsonl"
r=$(post /v1/chat/completions "$tmp/h1.json" --http1.1 -H "Authorization: Bearer $key" \
    -H 'Idempotency-Key: idem-1' -d "$body")
if [[ $r == "200 1.1" ]] && json_ok "$tmp/h1.json" \
    'd["object"]=="chat.completion" and d["choices"][0]["message"]["content"]=="positive" and d["usage"]["total_tokens"]==d["usage"]["prompt_tokens"]+1 and d["usage"]["prompt_tokens"]==(32+3)//4+9'; then
    pass "HTTP/1.1 chat completion"
else
    fail "HTTP/1.1 chat completion: $r $(head -c 300 "$tmp/h1.json")"
fi
r=$(post /v1/chat/completions "$tmp/h2.json" --http2 -H "Authorization: Bearer $key" -d "$body")
if [[ $r == "200 2" ]] && json_ok "$tmp/h2.json" '"usage" in d and d["model"]=="gpt-4o-mini"'; then
    pass "HTTP/2 chat completion"
else
    fail "HTTP/2 chat completion: $r"
fi
r=$(post /v1/embeddings "$tmp/emb.json" -H "api-key: $key" -d '{"model":"e","input":["a","b"]}')
if [[ $r == "200 2" ]] && json_ok "$tmp/emb.json" 'len(d["data"])==2 and len(d["data"][1]["embedding"])==8'; then
    pass "embeddings with api-key"
else
    fail "embeddings: $r"
fi
r=$(post /v1/chat/completions "$tmp/401.json" -d "$body")
if [[ $r == 401* ]] && json_ok "$tmp/401.json" 'd["error"]["code"]=="invalid_api_key"'; then
    pass "401 without auth"
else
    fail "401 without auth: $r"
fi
r=$(post /v1/nothing "$tmp/404.json" -H "Authorization: Bearer $key" -d "$body")
if [[ $r == 404* ]] && json_ok "$tmp/404.json" 'd["error"]["code"]=="unknown_url" and d["error"]["type"]=="invalid_request_error"'; then
    pass "404 unknown path"
else
    fail "404 unknown path: $r"
fi
r=$(post /v1/chat/completions "$tmp/400.json" -H "Authorization: Bearer $key" -d '{"model":')
if [[ $r == 400* ]] && json_ok "$tmp/400.json" 'd["error"]["type"]=="invalid_request_error"'; then
    pass "400 bad JSON"
else
    fail "400 bad JSON: $r"
fi
kill -TERM "${pids[-1]}"
wait "${pids[-1]}"
rc=$?
[[ $rc == 0 ]] && pass "clean exit on SIGTERM" || fail "exit status $rc on SIGTERM"
hash="sha256:$(printf '%s' "Bearer $key" | sha256sum | cut -d' ' -f1)"
if [[ $(wc -l <"$tmp/rec.jsonl") == 6 ]] && ! grep -q "$key" "$tmp/rec.jsonl" &&
    python3 - "$tmp/rec.jsonl" "$hash" <<'PY'; then
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
a = lines[0]
assert a["auth"] == sys.argv[2], a["auth"]
assert a["http"] == "1.1" and lines[1]["http"] == "2"
assert a["idempotency_key"] == "idem-1" and lines[1]["idempotency_key"] is None
assert a["method"] == "POST" and a["path"] == "/v1/chat/completions" and a["status"] == 200
assert json.loads(a["body"])["model"] == "gpt-4o-mini"
assert a["headers"]["content-type"] == "application/json"
assert "authorization" not in a["headers"] and "api-key" not in lines[2]["headers"]
assert [l["status"] for l in lines] == [200, 200, 200, 401, 404, 400]
assert lines[3]["auth"] is None
PY
    pass "record file (auth hashed, statuses, versions)"
else
    fail "record file: $(head -c 600 "$tmp/rec.jsonl")"
fi

# --- quota: 60 RPM over 1 s slices lets one request a second through ---
start quota --rpm 60 --tpm 100000 --window-ms 1000 --time-scale 1
got429=0 ok429=0
for i in 1 2 3 4 5; do
    r=$(post /v1/chat/completions "$tmp/q$i.json" -D "$tmp/q$i.hdr" -H "Authorization: Bearer $key" -d "$body")
    if [[ $r == 429* ]]; then
        got429=$((got429 + 1))
        if grep -qi '^retry-after: [0-9]' "$tmp/q$i.hdr" && grep -qi '^retry-after-ms: [0-9]' "$tmp/q$i.hdr" &&
            grep -qiE '^x-ratelimit-reset-requests: [0-9.]+(ms|s)' "$tmp/q$i.hdr" &&
            json_ok "$tmp/q$i.json" 'd["error"]["code"]=="rate_limit_exceeded" and d["error"]["type"]=="requests" and d["error"]["param"] is None and "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): Limit 60" in d["error"]["message"] and "Please try again in" in d["error"]["message"]'; then
            ok429=$((ok429 + 1))
        fi
    fi
done
if ((got429 >= 1 && ok429 == got429)) && grep -qi '^x-ratelimit-remaining-requests: 59' "$tmp/q1.hdr"; then
    pass "quota burst: $got429 of 5 refused with OpenAI-style 429s"
else
    fail "quota burst: $got429 429s, $ok429 well-formed; first headers: $(tr '\r\n' '  ' <"$tmp/q1.hdr")"
fi
r=$(post /v1/chat/completions "$tmp/big.json" -H "Authorization: Bearer $key" \
    -d '{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":200000}')
if [[ $r == 429* ]] && json_ok "$tmp/big.json" 'd["error"]["message"].startswith("Request too large for m") and "Limit 100000, Requested 200007" in d["error"]["message"]'; then
    pass "request larger than the TPM"
else
    fail "request too large: $r $(cat "$tmp/big.json")"
fi
curl -sS --cacert "$ca" -o "$tmp/stats.json" "https://127.0.0.1:$port/mock/stats"
if json_ok "$tmp/stats.json" 'd["requests"]==6 and d["429s"]==d["by_status"].get("429") and d["429s"]>=2'; then
    pass "/mock/stats"
else
    fail "/mock/stats: $(cat "$tmp/stats.json")"
fi

# --- faults ---
start faults --storm-429 1 --truncate-rate 0.5 --reset-rate 0.5 --seed 7
r=$(post /v1/chat/completions "$tmp/s.json" -D "$tmp/s.hdr" -H "Authorization: Bearer $key" -d "$body")
[[ $r == 429* ]] && grep -qi '^retry-after: 1' "$tmp/s.hdr" && pass "--storm-429" || fail "--storm-429: $r"
codes=""
for i in 1 2 3 4 5 6; do
    post /v1/chat/completions /dev/null --http1.1 -H "Authorization: Bearer $key" -d "$body" >/dev/null 2>&1
    codes="$codes $?"
done
[[ $codes == *" 18"* && $codes == *" 52"* ]] && pass "truncate and reset faults (curl exits:$codes)" ||
    fail "truncate/reset faults: curl exits$codes"

# --- same --seed, same arrival order: same fault sequence; --no-ratelimit-headers drops them ---
# Not run in $(...): the mock must be started by this shell so that cleanup knows its PID.
seq_of() { # N: sets $seq
    local i
    seq=""
    start "seed$1" --seed 42 --fail-rate 0.3 --html-rate 0.3 --rpm 1000000 --no-ratelimit-headers
    for i in 1 2 3 4 5 6 7 8; do
        seq="$seq $(post /v1/chat/completions /dev/null -D "$tmp/seed.hdr" -H "Authorization: Bearer $key" -d "$body")"
        grep -qi '^x-ratelimit-' "$tmp/seed.hdr" && seq="$seq(rl-headers!)"
    done
}
seq_of 1
s1=$seq
seq_of 2
s2=$seq
if [[ $s1 == "$s2" && $s1 == *500* && $s1 == *200* && $s1 != *rl-headers* ]]; then
    pass "--seed is deterministic:$s1"
else
    fail "--seed sequences differ or headers present:$s1 /$s2"
fi

# --- TLS capped at 1.1: a TLS 1.2+ client must fail ---
start tls11 --tls-max 1.1
if curl -sS --max-time 10 --tlsv1.2 --cacert "$ca" -o /dev/null "https://127.0.0.1:$port/v1/chat/completions" \
    -H "Authorization: Bearer $key" -d "$body" 2>/dev/null; then
    fail "--tls-max 1.1 accepted a TLS 1.2 client"
else
    pass "--tls-max 1.1 refused by curl --tlsv1.2"
fi

if ((fails)); then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all mockapi smoke checks passed"
