#!/usr/bin/env bash
# cpu_threads.sh [BUILD_DIR] [sluice options...]: where sluice's CPU goes, thread by thread, on the
# throughput benchmark's setup (nginx, one worker, canned answer, loopback). A benchmark, not a test.
#
# For each mode (env MODES, default "all off": every stage on, then --anonymize off):
#  - native: one `sluice run` on N jobs (default 100000); every thread's time on CPU is read from
#    /proc/PID/task/TID/schedstat every 20 ms (the last reading of a thread is within 20 ms of its
#    end). Printed per role: the loop (main thread), the workers (sl-work*), the writer (sl-writer),
#    other (libuv's file-read pool): CPU microseconds per job and share; nginx's CPU microseconds per
#    request in the same run; h2load's own per-request CPU on the same server for comparison.
#  - CALLGRIND=1 (default): the same run under valgrind --tool=callgrind --separate-threads=yes on
#    CG_N jobs (default 20000): instructions per job per role (exact counts, no kernel time;
#    valgrind runs OpenSSL's generic SHA-256 even where the CPU has SHA extensions).
# Loopback only, bounded (timeouts), kills only the PIDs it started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
[ $# -gt 0 ] && shift
N=${N:-100000}
CG_N=${CG_N:-20000}
MODES=${MODES:-all off}
CALLGRIND=${CALLGRIND:-1}
SLUICE=$build/sluice
[ -x "$SLUICE" ] || { echo "cpu_threads.sh: $SLUICE missing: run scripts/build.sh first" >&2; exit 2; }
for t in nginx h2load python3; do
  command -v "$t" >/dev/null || { echo "cpu_threads.sh: $t missing: run scripts/deps.sh" >&2; exit 2; }
done
[ "$CALLGRIND" != 1 ] || command -v valgrind >/dev/null || { echo "cpu_threads.sh: valgrind missing (or CALLGRIND=0)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cpu.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
. "$here/lib/nginx-canned.sh"
# ---- nginx: one worker, h2 + h1 over TLS, a canned chat completion for every POST ----
nginx_canned_setup "$T" || exit 1

bash "$here/genjobs.sh" "$N" >"$T/jobs.jsonl"
head -n "$CG_N" "$T/jobs.jsonl" >"$T/jobs-cg.jsonl"
python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.readline())["body"]),end="")' \
  <"$T/jobs.jsonl" >"$T/body.json"

# Sampler: PID -> at the end, one line per thread: "comm ns_on_cpu" (threads of the same name summed
# by role later). schedstat's first field is the thread's time on CPU in ns, user and kernel.
cat >"$T/sample.py" <<'PY'
import os, sys, time
pid, out = sys.argv[1], sys.argv[2]
last = {}
deadline = time.time() + 600
while os.path.exists("/proc/%s/stat" % pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            if f.read().split(") ")[-1].startswith("Z"):
                break
        for tid in os.listdir("/proc/%s/task" % pid):
            try:
                comm = open("/proc/%s/task/%s/comm" % (pid, tid)).read().strip()
                ns = int(open("/proc/%s/task/%s/schedstat" % (pid, tid)).read().split()[0])
                last[tid] = ("loop" if tid == pid else comm, ns)
            except (OSError, ValueError):
                pass
    except OSError:
        break
    if time.time() > deadline:
        os.kill(int(pid), 15)
        break
    time.sleep(0.02)
with open(out, "w") as f:
    for tid, (comm, ns) in sorted(last.items()):
        f.write("%s %d\n" % (comm, ns))
PY

role() { case "$1" in loop) echo loop ;; sl-work*) echo workers ;; sl-writer) echo writer ;; *) echo other ;; esac; }

# h2load's own CPU per request and nginx's per request under it, for scale.
t0=$(nginx_worker_ticks)
/usr/bin/time -f '%U %S' -o "$T/h2load.time" timeout 120 h2load -n "$N" -c 2 -m 64 -d "$T/body.json" \
  -H 'content-type: application/json' -H "authorization: Bearer $OPENAI_API_KEY" \
  "$NGINX_URL/v1/chat/completions" >"$T/h2load.out" 2>&1 || true
t1=$(nginx_worker_ticks)
read -r u s < <(tail -1 "$T/h2load.time")
printf 'h2load -c2 -m64, %s requests: %s req/s, client %.1f us CPU/request, nginx %.1f us/request\n' "$N" \
  "$(awk '/^finished in/ { gsub(",", "", $4); printf "%.0f", $4 }' "$T/h2load.out")" \
  "$(python3 -c "print(($u+$s)*1e6/$N)")" "$(python3 -c "print(($t1-$t0)*1e4/$N)")"

for mode in $MODES; do
  args=("$@")
  [ "$mode" = off ] && args+=(--anonymize off)
  label="sluice ${args[*]:-(all stages)}"
  # ---- native ----
  rm -rf "$T/out"
  t0=$(nginx_worker_ticks)
  # Started directly (not under timeout(1)): the sampler must read sluice's own threads; the
  # sampler bounds the run instead (SIGTERM after 600 s).
  "$SLUICE" run -o "$T/out" --endpoint "$NGINX_URL" --cacert "$T/pki/ca.pem" --quiet \
    "${args[@]}" "$T/jobs.jsonl" 2>"$T/err" &
  sp=$!
  PIDS+=("$sp")
  python3 "$T/sample.py" "$sp" "$T/threads" &
  smp=$!
  wait "$sp" || { echo "sluice exited $?:" >&2; tail -5 "$T/err" >&2; }
  wait "$smp"
  t1=$(nginx_worker_ticks)
  rps=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["requests_per_second"])' "$T/out/summary.json")
  echo
  echo "$label, $N jobs: $rps req/s; nginx $(python3 -c "print('%.1f' % (($t1-$t0)*1e4/$N))") us/request"
  while read -r comm ns; do echo "$(role "$comm") $ns"; done <"$T/threads" |
    awk -v n="$N" '{ r[$1] += $2; t += $2 }
      END { printf "  %-8s %12s %8s\n", "thread", "us CPU/job", "share"
            split("loop workers writer other", o, " ")
            for (i = 1; i <= 4; i++) if (o[i] in r) printf "  %-8s %12.2f %7.1f%%\n", o[i], r[o[i]] / n / 1000, 100 * r[o[i]] / t
            printf "  %-8s %12.2f\n", "total", t / n / 1000 }'
  # ---- callgrind ----
  if [ "$CALLGRIND" = 1 ]; then
    rm -rf "$T/out" "$T"/cg.out*
    timeout 900 valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$T/cg.out" \
      "$SLUICE" run -o "$T/out" --endpoint "$NGINX_URL" --cacert "$T/pki/ca.pem" --quiet \
      "${args[@]}" "$T/jobs-cg.jsonl" 2>"$T/vg.log" || true
    for f in "$T"/cg.out-*; do
      tot=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
      if [ "${f##*-}" = 01 ]; then r=loop
      elif grep -q 'worker_main' "$f"; then r=workers
      elif grep -q 'writer_main' "$f"; then r=writer
      else r=other; fi
      echo "$r ${tot:-0}"
    done | awk -v n="$CG_N" '{ r[$1] += $2; t += $2 }
      END { printf "  callgrind, %d jobs: instructions per job\n", n
            split("loop workers writer other", o, " ")
            for (i = 1; i <= 4; i++) if (o[i] in r) printf "  %-8s %12.0f\n", o[i], r[o[i]] / n
            printf "  %-8s %12.0f\n", "total", t / n }'
  fi
done
