# nginx-canned.sh: sourced by the bench scripts. The benchmark peer: nginx from Debian, one worker,
# TLS 1.2+ with HTTP/2 and HTTP/1.1 on loopback, answering every POST to /v1/chat/completions with
# one canned chat completion. Loopback only; the caller kills the PID it gets back.
#
# nginx_canned_start DIR PKI: writes DIR/nginx.conf and starts nginx with the certificates from
# gen-certs.sh in PKI. Sets NGINX_PID, NGINX_URL (the main server) and NGINX_URL_LOG (the same
# answer, each request logged with its wall-clock time in DIR/first.log: start-up measurements).
# nginx_canned_setup DIR: a private CA and certificates in DIR/pki (gen-certs.sh), nginx in
# DIR/nginx; appends nginx's PID to the caller's PIDS array (for its cleanup), and sets a random
# OPENAI_API_KEY for the benchmark.
# nginx_worker_ticks: CPU ticks (user+sys, 1/100 s) the worker process has used so far.

NGINX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # wait_port PORT: until something listens there (5 s at most)
  local i
  for i in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

NGINX_CANNED='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"positive"},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":1,"total_tokens":32}}'

nginx_canned_start() {
  local d=$1 pki=$2 port port2
  port=$(free_port)
  port2=$(free_port)
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  http2_max_concurrent_streams 256;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $pki/server.pem;
    ssl_certificate_key $pki/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '$NGINX_CANNED';
    }
  }
  log_format t '\$msec \$request';
  server {
    listen 127.0.0.1:$port2 ssl http2;
    ssl_certificate $pki/server.pem;
    ssl_certificate_key $pki/server.key;
    access_log $d/first.log t;
    location /v1/chat/completions {
      default_type application/json;
      return 200 '$NGINX_CANNED';
    }
  }
}
CONF
  nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" &
  NGINX_PID=$!
  wait_port "$port" || { cat "$d/error.log" >&2; echo "nginx did not start" >&2; return 1; }
  NGINX_URL="https://127.0.0.1:$port"
  NGINX_URL_LOG="https://127.0.0.1:$port2"
}

nginx_canned_setup() {
  export OPENAI_API_KEY="sk-bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  bash "$NGINX_LIB_DIR/../gen-certs.sh" "$1/pki" >/dev/null 2>&1
  if ! nginx_canned_start "$1/nginx" "$1/pki"; then PIDS+=("${NGINX_PID:-}"); return 1; fi
  PIDS+=("$NGINX_PID")
}

nginx_worker_ticks() {
  local w
  w=$(pgrep -P "$NGINX_PID" | head -1)
  awk '{print $14 + $15}' "/proc/$w/stat"
}
