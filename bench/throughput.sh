#!/usr/bin/env bash
# throughput.sh [BUILD_DIR]: how close `sluice run` gets to the wire, against the ceiling that h2load
# measures on the same server with the same request, in the same run (the machine is shared, so
# only ratios taken within one run mean much). A benchmark, not a test: builds nothing (expects
# BUILD_DIR from scripts/build.sh, RelWithDebInfo or Release), bounded in time, loopback only, and
# kills only the PIDs it started.
#
# Env: N (jobs per run, default 100000), SCALE_N (stdin scale test, default 10000000; 0 skips it),
#      H2_N (h2load requests, default = N), SL_ARGS (extra sluice options, e.g. "--no-fsync"),
#      SKIP_MOCK=1 (skip the bundled-mock run), KEEP_TMP=1 (keep the temp dir).
# Figures: req/s (requests / wall seconds), ratio to h2load's req/s, CPU seconds of sluice per
# 1,000 jobs (user+sys from /usr/bin/time), peak RSS (/usr/bin/time %M), start-up to first request.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
N=${N:-100000}
SCALE_N=${SCALE_N:-10000000}
H2_N=${H2_N:-$N}
SL_ARGS=${SL_ARGS:-}
SLUICE=$build/sluice
MOCKAPI=$build/sluice-mockapi
for b in "$SLUICE" "$MOCKAPI"; do
  [ -x "$b" ] || { echo "throughput.sh: $b missing: run scripts/build.sh first" >&2; exit 2; }
done
for t in nginx h2load /usr/bin/time python3 cc; do
  command -v "$t" >/dev/null || { echo "throughput.sh: $t missing: run scripts/deps.sh" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
chmod 755 "$T"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
export OPENAI_API_KEY="sk-bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # wait_port PORT: until something listens there (5 s at most)
  local i
  for i in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

bash "$here/gen-certs.sh" "$T/pki" >/dev/null 2>&1

# ---- nginx: one worker, h2 + h1 over TLS, a canned chat completion for every POST ----
NPORT=$(free_port)
NPORT2=$(free_port)
mkdir -p "$T/nginx"
CANNED='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"positive"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":1,"total_tokens":32}}'
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  http2_max_concurrent_streams 256;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$NPORT ssl http2;
    ssl_certificate $T/pki/server.pem;
    ssl_certificate_key $T/pki/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '$CANNED';
    }
  }
  # Same answer, logged with the wall-clock time: the start-up measurement's server.
  log_format t '\$msec \$request';
  server {
    listen 127.0.0.1:$NPORT2 ssl http2;
    ssl_certificate $T/pki/server.pem;
    ssl_certificate_key $T/pki/server.key;
    access_log $T/nginx/first.log t;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '$CANNED';
    }
  }
}
EOF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -e "$T/nginx/error.log" &
PIDS+=($!)
wait_port "$NPORT" || { cat "$T/nginx/error.log" >&2; echo "nginx did not start" >&2; exit 1; }
NGINX_URL="https://127.0.0.1:$NPORT"

# ---- the bundled mock ----
"$MOCKAPI" --cert "$T/pki/server.pem" --key "$T/pki/server.key" --listen 127.0.0.1:0 \
  --port-file "$T/mock.port" --record "$T/mock.rec" --max-seconds 1200 --quiet >"$T/mock.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/mock.port" ] && break; sleep 0.05; done
MOCK_URL="https://127.0.0.1:$(cat "$T/mock.port")"

# ---- inputs ----
bash "$here/genjobs.sh" "$N" >"$T/jobs.jsonl"
python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.readline())["body"]),end="")' \
  <"$T/jobs.jsonl" >"$T/body.json"
# POST must work on nginx (return answers POST; check it once).
curl -sS --cacert "$T/pki/ca.pem" -d @"$T/body.json" -H 'content-type: application/json' \
  "$NGINX_URL/v1/chat/completions" | grep -q '"usage"' || { echo "nginx does not answer POST" >&2; exit 1; }

# ---- ceilings ----
h2rate() { # h2rate LABEL URL h2load-args...: prints req/s
  local label=$1 url=$2; shift 2
  timeout 120 h2load "$@" -d "$T/body.json" -H 'content-type: application/json' \
    -H "authorization: Bearer $OPENAI_API_KEY" "$url/v1/chat/completions" >"$T/h2load.$label.out" 2>&1 || true
  awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$T/h2load.$label.out"
}
# h2load's own rate moves a lot from run to run here (34k-49k req/s over h2 on the same nginx), so
# each ceiling is the best of three runs, and the ratio is taken against the best h2load figure of
# the whole run, HTTP/2 or HTTP/1.1 (the stricter comparison).
best3() { # best3 LABEL URL args...: the largest req/s of three runs
  local i r best=0
  for i in 1 2 3; do
    r=$(h2rate "$1.$i" "${@:2}")
    best=$(python3 -c "print(max(float('${r:-0}' or 0), float('$best')))")
  done
  echo "$best"
}
H2=$(best3 h2 "$NGINX_URL" -n "$H2_N" -c 2 -m 64)
H1=$(best3 h1 "$NGINX_URL" --h1 -n "$H2_N" -c 64)
H2M=$(best3 h2mock "$MOCK_URL" -n "$H2_N" -c 2 -m 64)
CEIL=$(python3 -c "print(max($H2, $H1))")

# ---- sluice runs ----
# srun LABEL URL INPUT [args...]: runs sluice under /usr/bin/time; sets RPS CPU1K RSS_MB.
srun() {
  local label=$1 url=$2 input=$3; shift 3
  local out="$T/out.$label" rc=0
  rm -rf "$out"
  /usr/bin/time -f '%e %U %S %M' -o "$T/time.$label" timeout 900 "$SLUICE" run -o "$out" \
    --endpoint "$url" --cacert "$T/pki/ca.pem" --quiet $SL_ARGS "$@" "$input" \
    2>"$T/err.$label" || rc=$?
  [ "$rc" = 0 ] || { echo "sluice ($label) exited $rc:" >&2; tail -5 "$T/err.$label" >&2; }
  read -r _ user sys rss_kb < <(tail -1 "$T/time.$label")
  RPS=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["requests_per_second"])' "$out/summary.json")
  JOBS=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["jobs_accounted"])' "$out/summary.json")
  CPU1K=$(python3 -c "print('%.3f' % (($user+$sys)/max(1,$JOBS)*1000))")
  RSS_MB=$(python3 -c "print('%.1f' % ($rss_kb/1024))")
  rm -rf "$out"
}
ratio() { python3 -c "print('%.2f' % ($1/$2))" 2>/dev/null || echo "?"; }

printf '%-40s %9s %8s %10s %8s\n' "run ($N jobs unless said)" "req/s" "ratio" "cpu-s/1k" "RSS MB"
printf '%-40s %9.0f\n' "h2load h2 -c2 -m64 (nginx), best of 3" "$H2"
printf '%-40s %9.0f\n' "h2load h1 -c64 (nginx), best of 3" "$H1"
printf '%-40s %9.0f\n' "h2load h2 -c2 -m64 (mock), best of 3" "$H2M"
srun all "$NGINX_URL" "$T/jobs.jsonl"
printf '%-40s %9s %8s %10s %8s\n' "sluice all stages (nginx)" "$RPS" "$(ratio "$RPS" "$CEIL")" "$CPU1K" "$RSS_MB"
RPS100=$RPS
srun anonoff "$NGINX_URL" "$T/jobs.jsonl" --anonymize off
printf '%-40s %9s %8s %10s %8s\n' "sluice --anonymize off (nginx)" "$RPS" "$(ratio "$RPS" "$CEIL")" "$CPU1K" "$RSS_MB"
if [ "${SKIP_MOCK:-0}" != 1 ]; then
  srun mock "$MOCK_URL" "$T/jobs.jsonl"
  printf '%-40s %9s %8s %10s %8s\n' "sluice all stages (mock)" "$RPS" "$(ratio "$RPS" "$H2M")" "$CPU1K" "$RSS_MB"
fi

# ---- start-up to first request: exec (wall clock) -> nginx's log time of the request ----
head -1 "$T/jobs.jsonl" >"$T/one.jsonl"
startup() { # startup LABEL [args]: prints "exec->request ms, whole run s"
  : >"$T/nginx/first.log"
  rm -rf "$T/out.one"
  local t0
  t0=$(date +%s%3N)
  /usr/bin/time -f '%e' -o "$T/time.one" "$SLUICE" run -o "$T/out.one" --endpoint "https://127.0.0.1:$NPORT2" \
    --cacert "$T/pki/ca.pem" --quiet "$@" "$T/one.jsonl" 2>"$T/err.one" || true
  sleep 0.2 # nginx writes its log line at the end of the request
  python3 -c 'import sys; t=float(open(sys.argv[1]).readline().split()[0]); print("%.0f ms" % (t*1000-int(sys.argv[2])), end="")' \
    "$T/nginx/first.log" "$t0"
  printf ' (whole 1-job run %s s)\n' "$(cat "$T/time.one")"
}
printf 'start-up, exec -> first request at the server, all stages:     %s\n' "$(startup)"
printf 'start-up, exec -> first request at the server, --anonymize off: %s\n' "$(startup --anonymize off)"

# ---- scale: SCALE_N jobs through stdin against nginx ----
if [ "$SCALE_N" -gt 0 ]; then
  cc -O2 -o "$T/genjobs" "$here/genjobs.c"
  out="$T/out.scale"
  /usr/bin/time -f '%e %U %S %M' -o "$T/time.scale" sh -c \
    "'$T/genjobs' $SCALE_N | timeout 1800 '$SLUICE' run -o '$out' --endpoint '$NGINX_URL' \
       --cacert '$T/pki/ca.pem' --quiet $SL_ARGS - 2>'$T/err.scale'" || echo "scale run failed" >&2
  # /usr/bin/time's %M is the largest of the children: sluice (genjobs is a few hundred KB).
  read -r _ _ _ rss_kb < <(tail -1 "$T/time.scale")
  RPS=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["requests_per_second"])' "$out/summary.json")
  JOBS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs_accounted"])' "$out/summary.json")
  printf 'scale: %s jobs from stdin (nginx): %s done, %s req/s (%s of the %s-job run), peak RSS %.1f MB\n' \
    "$SCALE_N" "$JOBS" "$RPS" "$(ratio "$RPS" "$RPS100")" "$N" "$(python3 -c "print($rss_kb/1024)")"
  rm -rf "$out"
fi
