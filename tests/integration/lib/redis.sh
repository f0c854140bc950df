# redis.sh: start and stop a private redis-server on loopback for a test (sourced after common.sh).
# Redis needs a fixed port: one is picked at random in 20000..39999 and retried if taken. The
# server keeps nothing on disk and is killed by PID at the end.
REDIS_PID=
REDIS_PORT=

start_redis() { # start_redis [PORT]: on PORT (restart) or a free random one; sets REDIS_PORT
  local want=${1:-} try i
  command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/deps.sh)"
  for try in 1 2 3 4 5 6 7 8; do
    REDIS_PORT=${want:-$((20000 + RANDOM % 20000))}
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no --dir "$T" >"$T/redis.$try.log" 2>&1 &
    REDIS_PID=$!
    MOCK_PIDS+=("$REDIS_PID")
    for i in $(seq 1 100); do
      if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then return 0; fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    [ -n "$want" ] && sleep 0.2
  done
  fail "redis-server did not start"
}

kill_redis() {
  kill -9 "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" 2>/dev/null || true
}
