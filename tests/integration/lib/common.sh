# common.sh: helpers for integration tests (sourced). Every server started here is on loopback,
# bounded in time (--max-seconds) and killed by PID on exit.
set -euo pipefail
: "${SLUICE:?SLUICE must point to the sluice binary}"
: "${MOCKAPI:?MOCKAPI must point to sluice-mockapi}"
: "${SL_SOURCE_DIR:?}"
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-it.XXXXXX")
MOCK_PIDS=()
cleanup() {
  local p
  for p in "${MOCK_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${MOCK_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

certs() {
  [ -f "$T/certs/ca.pem" ] || bash "$SL_SOURCE_DIR/bench/gen-certs.sh" "$T/certs" >/dev/null 2>&1 \
    || fail "gen-certs.sh failed"
}

# start_mock NAME [mock options...]: starts the mock with the test CA's server cert on a free
# port; sets MOCK_PORT and MOCK_URL; records requests to $T/NAME.rec.
start_mock() {
  local name=$1; shift
  local cert=${MOCK_CERT:-server}
  certs
  rm -f "$T/$name.port"
  "$MOCKAPI" --cert "$T/certs/$cert.pem" --key "$T/certs/$cert.key" --listen 127.0.0.1:0 \
    --port-file "$T/$name.port" --record "$T/$name.rec" --max-seconds 300 --quiet "$@" \
    >"$T/$name.mock.log" 2>&1 &
  MOCK_PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    [ -s "$T/$name.port" ] && break
    sleep 0.05
  done
  [ -s "$T/$name.port" ] || { cat "$T/$name.mock.log" >&2; fail "mock $name did not start"; }
  MOCK_PORT=$(cat "$T/$name.port")
  MOCK_URL="https://127.0.0.1:$MOCK_PORT"
}

stop_mock() { # stop the last mock started
  local p=${MOCK_PIDS[-1]}
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

export OPENAI_API_KEY="sk-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TEST_KEY=$OPENAI_API_KEY

# SL_HTTP_ENGINE=curl|h2 picks the HTTP engine (--http-engine); unset: sluice's default. Scripts
# that start sluice themselves pass "${ENGINE_ARGS[@]}".
ENGINE_ARGS=()
[ -n "${SL_HTTP_ENGINE:-}" ] && ENGINE_ARGS=(--http-engine "$SL_HTTP_ENGINE")

# run_sluice OUTDIR [args...]: runs sluice run with stderr to OUTDIR.stderr; sets RC.
run_sluice() {
  local out=$1; shift
  set +e
  "$SLUICE" run -o "$out" --cacert "$T/certs/ca.pem" "${ENGINE_ARGS[@]}" "$@" 2>"$out.stderr"
  RC=$?
  set -e
}

# account DIR INPUT...: every custom_id of the inputs is in exactly one of results/errors/rejects,
# summary.json counts match the files. Prints the three counts.
account() {
  local dir=$1; shift
  "$PY" "$SL_SOURCE_DIR/tests/integration/lib/account.py" "$dir" "$@"
}

# secret_free FILE...: the test key appears in none of them (zstd files are decompressed).
secret_free() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    if [[ $f == *.zst ]]; then
      zstd -dcq "$f" | grep -qF "$TEST_KEY" && fail "API key found in $f"
    else
      grep -qF "$TEST_KEY" "$f" && fail "API key found in $f"
    fi
  done
  return 0
}

# rec_lines NAME: lines in the mock's record once it has flushed (it flushes every 100 ms).
rec_lines() {
  sleep 0.3
  wc -l <"$T/$1.rec" 2>/dev/null || echo 0
}
