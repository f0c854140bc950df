#!/usr/bin/env bash
# The full crash test: 20,000 jobs against the mock, SIGKILLed at random points at least 25 times,
# resumed each time; then every custom_id must be in exactly one output, results must equal an
# uninterrupted run's and the audit chain must verify. The CI runs the same script smaller
# (tests/integration/run_resume.sh). Usage: bench/crash.sh [JOBS] [KILLS] [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export SLUICE=${SLUICE:-$here/build/sluice} MOCKAPI=${MOCKAPI:-$here/build/sluice-mockapi}
export SL_SOURCE_DIR=$here JOBS=${1:-20000} KILLS=${2:-25}
[ -n "${3:-}" ] && export SEED=$3
exec bash "$here/tests/integration/run_resume.sh"
