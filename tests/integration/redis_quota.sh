#!/usr/bin/env bash
# Three sluice processes, each --shard i/3 of one input, share one quota through a private
# redis-server (--quota-redis) against one mock that enforces it over 1 s slices: together they
# reach >= 95% of the quota with no 429, and the three output directories account for every line
# exactly once (audit verify over the three). Then Redis is killed mid-run and restarted on the
# same port: the processes go on at their local share, reconnect, lose no job, and draw at most a
# handful of 429s.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/redis.sh"
Q=${REDIS_QUOTA_RPM:-9000}   # requests per minute for the whole fleet (150/s)
N=${REDIS_QUOTA_JOBS:-1200}  # about 8 s of quota
start_redis
start_mock quota --rpm "$Q" --window-ms 1000
bash "$SL_SOURCE_DIR/bench/genjobs.sh" "$N" 7 >"$T/in.jsonl"

run3() { # run3 TAG [RPM]: three shards in parallel; fails unless all exit 0
  local tag=$1 rpm=${2:-$Q} i pids=() rc=0
  for i in 0 1 2; do
    "$SLUICE" run -o "$T/$tag$i" --cacert "$T/certs/ca.pem" --endpoint "$MOCK_URL" --quiet \
      --rpm "$rpm" --concurrency 32 --quota-redis "redis://127.0.0.1:$REDIS_PORT/it$tag" \
      --quota-processes 3 --shard "$i/3" "$T/in.jsonl" 2>"$T/$tag$i.stderr" &
    pids+=($!)
  done
  if [ "$tag" = b ]; then # Redis dies once all three are connected and 300 jobs went through,
    for i in $(seq 1 200); do   # and comes back 1.5 s later
      [ "$(wc -l <"$T/quota.rec")" -ge $((before + 300)) ] &&
        [ "$(redis-cli -p "$REDIS_PORT" client list | grep -vc 'cmd=client')" -ge 3 ] && break
      sleep 0.1
    done
    kill_redis
    sleep 1.5
    start_redis "$REDIS_PORT"
  fi
  for i in 0 1 2; do
    wait "${pids[$i]}" || { rc=$?; cat "$T/$tag$i.stderr" >&2; fail "shard $i exit status $rc"; }
  done
}

run3 a
u=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/util.py" "$T/quota.rec" "$Q")
echo "shared quota: $u"
counts=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/shards.py" "$T/in.jsonl" "$T/a0" "$T/a1" "$T/a2") \
  || fail "accounting: $counts"
[ "$counts" = "results=$N errors=0 rejects=0 other=$((2 * N))" ] || fail "counts: $counts"
"$SLUICE" audit verify "$T/a0" "$T/a1" "$T/a2" >/dev/null || fail "audit verify over the shards"
n429=$(echo "$u" | sed 's/.*n429=\([0-9]*\).*/\1/')
util=$(echo "$u" | sed 's/util=\([0-9.]*\).*/\1/')
[ "$n429" = 0 ] || fail "$n429 429s with a shared quota"
"$PY" -c "import sys; sys.exit(0 if $util >= 0.95 else 1)" || fail "utilisation $util < 0.95"
for i in 0 1 2; do
  grep -q '"jobs_other_shards"' "$T/a$i/summary.json" || fail "no jobs_other_shards in summary"
  grep -q '"quota_redis"' "$T/a$i/summary.json" || fail "no quota_redis in summary"
done
pass "three shards: utilisation $util of the quota, no 429, every job once"

# Redis killed and restarted mid-run.
sleep 0.3 # the mock flushes its record every 100 ms
before=$(wc -l <"$T/quota.rec")
run3 b
sleep 0.3
tail -n +"$((before + 1))" "$T/quota.rec" >"$T/b.rec"
u=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/util.py" "$T/b.rec" "$Q")
echo "with a Redis outage: $u"
counts=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/shards.py" "$T/in.jsonl" "$T/b0" "$T/b1" "$T/b2") \
  || fail "accounting after the outage: $counts"
[ "$counts" = "results=$N errors=0 rejects=0 other=$((2 * N))" ] || fail "counts: $counts"
"$SLUICE" audit verify "$T/b0" "$T/b1" "$T/b2" >/dev/null || fail "audit verify after the outage"
n429=$(echo "$u" | sed 's/.*n429=\([0-9]*\).*/\1/')
[ "$n429" -le 10 ] || fail "$n429 429s around the Redis outage (at most 10 expected)"
grep -q "quota: Redis unreachable, running on a local share of 1/3 until it is back" "$T"/b?.stderr \
  || fail "no outage message"
"$PY" - "$T"/b?/summary.json <<'PYEOF' || fail "quota_redis counters"
import json, sys
s = [json.load(open(p))["quota_redis"] for p in sys.argv[1:]]
# A process whose connection was reset (not closed) only notices at its next lease call's
# watchdog (SL_QREDIS_STALL_MS), by which time Redis may be back: degraded time can then be short.
assert all(x["degraded_seconds"] > 0 for x in s), s
assert all(x["reconnects"] >= 1 for x in s), s
PYEOF
pass "Redis outage: no job lost, $n429 429s, every process reconnected"

# --rpm twice the real quota: every process learns the real one from x-ratelimit-limit-requests
# and leases at that rate, so the fleet settles on it within a few 429s (474 without sharing it).
sleep 0.3
before=$(wc -l <"$T/quota.rec")
run3 d $((2 * Q))
sleep 0.3
tail -n +"$((before + 1))" "$T/quota.rec" >"$T/d.rec"
u=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/util.py" "$T/d.rec" "$Q")
echo "configured at twice the quota: $u"
counts=$("$PY" "$SL_SOURCE_DIR/tests/integration/lib/shards.py" "$T/in.jsonl" "$T/d0" "$T/d1" "$T/d2") \
  || fail "accounting with a learned quota: $counts"
[ "$counts" = "results=$N errors=0 rejects=0 other=$((2 * N))" ] || fail "counts: $counts"
n429=$(echo "$u" | sed 's/.*n429=\([0-9]*\).*/\1/')
[ "$n429" -le 20 ] || fail "$n429 429s with --rpm above the real quota (at most 20 expected)"
pass "--rpm above the real quota: learned from the headers, $n429 429s"

# Redis unreachable from the start: one process runs on its local share (1/3 here), says so once,
# and finishes every job; the connection attempts never hold the exit back.
head -n 100 "$T/in.jsonl" >"$T/in100.jsonl"
kill_redis
t0=$(date +%s%N)
run_sluice "$T/c" --endpoint "$MOCK_URL" --rpm "$Q" --quota-redis "redis://127.0.0.1:$REDIS_PORT/itc" \
  --quota-processes 3 "$T/in100.jsonl"
t1=$(date +%s%N)
[ "$RC" = 0 ] || { cat "$T/c.stderr" >&2; fail "without Redis: exit status $RC"; }
counts=$(account "$T/c" "$T/in100.jsonl") || fail "accounting without Redis: $counts"
[ "$counts" = "results=100 errors=0 rejects=0" ] || fail "counts without Redis: $counts"
[ "$(grep -c 'quota: Redis unreachable' "$T/c.stderr")" = 1 ] || fail "outage not logged exactly once"
# 100 jobs at a third of Q per minute take 100 / (Q / 180) s; far faster would mean no share.
"$PY" - "$T/c/summary.json" "$(( (t1 - t0) / 1000000 ))" "$Q" <<'PYEOF' || fail "local share"
import json, sys
s = json.load(open(sys.argv[1]))
wall_ms, q = int(sys.argv[2]), float(sys.argv[3])
assert s["quota_redis"]["degraded_seconds"] > 0.5, s["quota_redis"]
assert wall_ms >= 0.8 * 100 / (q / 180) * 1000, wall_ms
PYEOF
pass "Redis unreachable at start: local share, logged once, every job done"
