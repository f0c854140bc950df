#!/usr/bin/env bash
# docs/sluice.1: renders without groff warnings, and names every long option of `sluice run`
# (taken from pipeline/cli.c's option table), so the manual cannot silently fall behind.
set -euo pipefail
: "${SL_SOURCE_DIR:?}"
MAN="$SL_SOURCE_DIR/docs/sluice.1"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$MAN" ] || fail "no docs/sluice.1"
if command -v groff >/dev/null 2>&1; then
  out=$(groff -man -ww -z "$MAN" 2>&1) || fail "groff failed: $out"
  [ -z "$out" ] || fail "groff warnings: $out"
  echo "ok: groff -man -ww renders docs/sluice.1 without warnings"
else
  echo "skip: groff not installed, rendering not checked"
fi
opts=$(grep -oE '^\s*\{"[a-z0-9-]+", (required|no)_argument' "$SL_SOURCE_DIR/pipeline/cli.c" \
  | sed -E 's/^\s*\{"([a-z0-9-]+)".*/\1/')
[ "$(echo "$opts" | wc -l)" -gt 20 ] || fail "could not read the option table of cli.c"
# The page escapes hyphens (\-); compare against its text with those escapes removed.
text=$(sed 's/\\-/-/g' "$MAN")
for o in $opts; do
  grep -qE -- "--$o([^a-z-]|\$)" <<<"$text" || fail "option --$o is not in docs/sluice.1"
done
for s in "sluice run" "sluice redact" "sluice audit verify" "sluice version" "EXIT STATUS" "ENVIRONMENT" "SECURITY" "EXAMPLES" "FILES"; do
  grep -qF -- "$s" <<<"$text" || fail "docs/sluice.1 lacks '$s'"
done
echo "ok: every run option, subcommand and section is in docs/sluice.1"
