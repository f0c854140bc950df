#!/usr/bin/env bash
# The HTTP/2 engine (--http-engine h2): the basic, fault and TLS-security suites pass with it (and
# with curl, the other engine, which the rest of the suite no longer uses by default);
# connections lost mid-run are retried to full results; a GOAWAY after N requests per connection
# (nginx keepalive_requests) is absorbed without a single visible retry (refused streams go again
# on a new connection); a connection gone silent is found by PING and replaced; an HTTP/1.1-only
# server (no ALPN h2) falls back to libcurl.
source "$(dirname "$0")/lib/common.sh"
here=$(dirname "$0")
# H2_SUITES: the suites run again with each engine (default below; empty skips them).
IN="$SL_SOURCE_DIR/samples/sentiment.jsonl"

for eng in h2 curl; do
  for t in ${H2_SUITES-run_basic run_faults run_security}; do
    SL_HTTP_ENGINE=$eng bash "$here/$t.sh" >"$T/$t.$eng.log" 2>&1 \
      || { tail -20 "$T/$t.$eng.log" >&2; fail "$t with --http-engine $eng"; }
    pass "$t passes with --http-engine $eng"
  done
done
ENGINE_ARGS=(--http-engine h2)

# Connection loss: the mock resets 30% of connections before answering (every stream on them).
start_mock resets --reset-rate 0.3 --seed 7
run_sluice "$T/o1" --endpoint "$MOCK_URL" --concurrency 32 --max-attempts 20 "$IN"
[ "$RC" = 0 ] || { tail "$T/o1.stderr" >&2; fail "resets: exit $RC"; }
[ "$(account "$T/o1" "$IN")" = "results=300 errors=0 rejects=0" ] || fail "resets: counts"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["network_errors"] > 0 and s["retries"] > 0, s' \
  "$T/o1/summary.json" || fail "resets: no connection loss was seen"
grep -q "connection closed with responses outstanding" "$T/o1.stderr" || fail "resets: no clear message"
stop_mock
pass "connections reset mid-run: retried, all 300 results"

# A connection that goes silent (no FIN, no RST: a dead NAT or peer): its requests time out, an
# unanswered PING drops it, and the jobs finish on a new connection. The proxy black-holes the
# first connection 0.3 s after it opened.
start_mock slow --latency-ms 20
"$PY" - "$MOCK_PORT" "$T/proxy.port" <<'PYEOF' >"$T/proxy.log" 2>&1 &
import asyncio, sys
up = int(sys.argv[1]); first = [True]
async def pipe(r, w, dead):
    try:
        while data := await r.read(65536):
            if not dead[0]:
                w.write(data)
                await w.drain()
    except Exception:
        pass
async def handle(cr, cw):
    sr, sw = await asyncio.open_connection("127.0.0.1", up)
    dead = [False]
    if first[0]:
        first[0] = False
        asyncio.get_running_loop().call_later(0.3, lambda: dead.__setitem__(0, True))
    await asyncio.gather(pipe(cr, sw, dead), pipe(sr, cw, dead))
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    open(sys.argv[2], "w").write(str(srv.sockets[0].getsockname()[1]))
    await asyncio.sleep(120)
asyncio.run(main())
PYEOF
MOCK_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
run_sluice "$T/o5" --endpoint "https://127.0.0.1:$(cat "$T/proxy.port")" --concurrency 8 --timeout 1 \
  --max-attempts 20 "$IN"
[ "$RC" = 0 ] || { tail "$T/o5.stderr" >&2; fail "silent connection: exit $RC"; }
[ "$(account "$T/o5" "$IN")" = "results=300 errors=0 rejects=0" ] || fail "silent connection: counts"
grep -q "no answer to a PING" "$T/o5.stderr" || fail "silent connection: not detected by PING"
pass "a connection gone silent is dropped after an unanswered PING: all 300 results"

if ! command -v nginx >/dev/null; then
  echo "nginx missing (scripts/deps.sh): GOAWAY and ALPN fallback not tested" >&2
  exit 0
fi
certs
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P2=$(free_port)
P1=$(free_port)
mkdir -p "$T/nginx"
CANNED='{"id":"chatcmpl-it","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"positive"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":1,"total_tokens":32}}'
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  log_format c '\$connection \$server_protocol \$status \$ssl_session_reused';
  keepalive_requests 40;
  server {
    listen 127.0.0.1:$P2 ssl http2;
    ssl_certificate $T/certs/server.pem;
    ssl_certificate_key $T/certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log $T/nginx/h2.log c;
    location / { default_type application/json; return 200 '$CANNED'; }
  }
  server {
    listen 127.0.0.1:$P1 ssl;
    ssl_certificate $T/certs/server.pem;
    ssl_certificate_key $T/certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log $T/nginx/h1.log c;
    location / { default_type application/json; return 200 '$CANNED'; }
  }
}
EOF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -e "$T/nginx/error.log" >"$T/nginx/out.log" 2>&1 &
MOCK_PIDS+=($!)
for _ in $(seq 1 100); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$P1),0.2); socket.create_connection(('127.0.0.1',$P2),0.2)" 2>/dev/null && break
  sleep 0.05
done

# GOAWAY: nginx ends each connection after 40 requests; streams it did not take are refused.
run_sluice "$T/o2" --endpoint "https://127.0.0.1:$P2" --concurrency 64 "$IN"
[ "$RC" = 0 ] || { tail "$T/o2.stderr" >&2; fail "GOAWAY: exit $RC"; }
[ "$(account "$T/o2" "$IN")" = "results=300 errors=0 rejects=0" ] || fail "GOAWAY: counts"
"$PY" - "$T/o2/summary.json" "$T/nginx/h2.log" <<'PYEOF' || fail "GOAWAY: not absorbed"
import json, sys
s = json.load(open(sys.argv[1]))
# Streams the GOAWAY refused are resent without counting as a retry, also those still queued when
# nginx closes right after its 40th answer (the close arriving with the GOAWAY) and those refused
# again by another connection at its own limit (450 runs of this scenario: no retry).
assert s["retries"] == 0 and s["network_errors"] == 0, s
lines = [l.split() for l in open(sys.argv[2])]
conns = {l[0] for l in lines}
assert all(l[1] == "HTTP/2.0" and l[2] == "200" for l in lines), lines[:3]
assert len(lines) == 300 and len(conns) >= 8, (len(lines), len(conns))
# TLS session resumption is attempted (the newest ticket is offered) but these servers do not
# resume it yet: reported, not asserted.
reused = {l[0] for l in lines if l[3] == "r"}
print(len(conns), "connections,", len(reused), "with a resumed TLS session")
PYEOF
pass "GOAWAY every 40 requests: 300 results over new connections, no retry seen"

# No ALPN h2: the jobs go through libcurl over HTTP/1.1.
run_sluice "$T/o3" --endpoint "https://127.0.0.1:$P1" --concurrency 16 "$IN"
[ "$RC" = 0 ] || { tail "$T/o3.stderr" >&2; fail "HTTP/1.1 server: exit $RC"; }
[ "$(account "$T/o3" "$IN")" = "results=300 errors=0 rejects=0" ] || fail "HTTP/1.1 server: counts"
grep -q "does not offer HTTP/2" "$T/o3.stderr" || fail "HTTP/1.1 server: no fallback message"
[ "$(grep -c 'HTTP/1.1 200' "$T/nginx/h1.log")" = 300 ] || fail "HTTP/1.1 server: not 300 HTTP/1.1 requests"
pass "HTTP/1.1-only server: fell back to libcurl, all 300 results"
