#!/usr/bin/env bash
# make stress: the long reliability tests of issue 4, each on a throwaway
# cluster of its own (ports 55561, 55562, 55563 and 55564 unless STRESS_CRASH_PORT,
# STRESS_STORAGE_PORT, STRESS_RACE_PORT and STRESS_MANUAL_PORT say otherwise):
#   crash    crash safety: mixed load, pg_ctl stop -m immediate five times (crash.sh)
#   storage  bounded storage: a 1-hour equivalent load purged round after round (storage.sh)
#   purge_race  triggers_purge concurrent with a fire keeps the fire's session (purge_race.sh)
#   manual_race  configuration and manual changes racing re-deliveries keep the queue true (manual_race.sh)
# Builds and installs the extension and the worker first (STRESS_NO_BUILD=1 to
# skip).  Prints each test's report, "ok NAME" / "not ok NAME", and ends with
# "N passed, M failed"; exits non-zero when anything failed.
#   bash test/stress/run.sh [crash] [storage] [purge_race] [manual_race]
# Knobs (environment): STRESS_CYCLES, STRESS_CLIENTS, STRESS_SESSIONS, STRESS_RATE,
# STRESS_LOAD_SECONDS, STRESS_SEED (crash.sh); STRESS_ROUNDS, STRESS_ROUND_SESSIONS
# (storage.sh); STRESS_RACE_ATTEMPTS, STRESS_RACE_SESSIONS (purge_race.sh); STRESS_MANUAL_SECONDS
# (manual_race.sh);
# ST_KEEP=1 keeps the test directories.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

if [ $# -gt 0 ]; then tests=("$@"); else tests=(crash storage purge_race manual_race); fi
declare -A limit=([crash]=420 [storage]=300 [purge_race]=180 [manual_race]=240)

passed=0
failed=0
if [ -z "${STRESS_NO_BUILD:-}" ]; then
  if ! { make -s all && make -s install && make -s -C src/worker && make -s -C src/worker install; } >/tmp/stress-build.$$ 2>&1; then
    cat /tmp/stress-build.$$
    rm -f /tmp/stress-build.$$
    echo "not ok build"
    echo "0 passed, 1 failed"
    exit 1
  fi
  rm -f /tmp/stress-build.$$
fi

for name in "${tests[@]}"; do
  name=${name%.sh}
  if [ ! -f "$here/$name.sh" ]; then
    echo "not ok $name (no such test)"
    failed=$((failed + 1))
    continue
  fi
  echo "== $name"
  t0=$SECONDS
  timeout --kill-after=10 "${limit[$name]:-600}" bash "$here/$name.sh" 2>&1 | sed -u 's/^/  /'
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then
    echo "ok $name ($((SECONDS - t0))s)"
    passed=$((passed + 1))
  else
    [ "$rc" -eq 124 ] && echo "  (timed out after ${limit[$name]:-600}s)"
    echo "not ok $name ($((SECONDS - t0))s)"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
