#!/usr/bin/env bash
# Builds and installs the extension and the worker, then runs every test suite
# on throwaway clusters: C++ unit tests, pg_regress, pg_isolation_regress, and
# every test/*/run.sh (worker, wake-ups, reliability) except test/stress (make stress).  Ends with "N passed, M failed"; exits non-zero
# when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PORT=${TRIGGERS_TEST_PORT:-55401}
work=$(mktemp -d /tmp/triggers-test.XXXXXX)
chmod 755 "$work"
passed=0; failed=0
cleanup() { test/lib/cluster.sh stop "$work/pg" immediate >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

count_pg_regress() {   # reads pg_regress output: "ok N - name" / "test name ... ok"
  local out=$1
  local ok bad
  ok=$(grep -cE '^(ok [0-9]+|test .* \.\.\. ok|     [a-z_0-9-]+ +\.\.\. ok| +[a-z_0-9-]+ +\.\.\. ok)' "$out")
  bad=$(grep -cE '(\.\.\. FAILED|^not ok)' "$out")
  passed=$((passed + ok)); failed=$((failed + bad))
  echo "  $ok passed, $bad failed"
}

echo "== build"
make -s all >/dev/null && make -s install >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
if [ -f src/worker/Makefile ]; then
  make -s -C src/worker >/dev/null && make -s -C src/worker install >/dev/null \
    || { echo "worker build failed"; echo "0 passed, 1 failed"; exit 1; }
fi

echo "== unit tests (C++ core)"
if make -s unit-test > "$work/unit.out" 2>&1; then
  tail -n 1 "$work/unit.out"
  u_ok=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$work/unit.out" | tail -1)
  passed=$((passed + ${u_ok:-0}))
else
  cat "$work/unit.out"; failed=$((failed + 1))
fi

echo "== pg_regress and pg_isolation_regress"
test/lib/cluster.sh start "$work/pg" "$PORT" "max_prepared_transactions = 10"
eval "$(test/lib/cluster.sh env "$work/pg" "$PORT")"
rm -rf test/results && mkdir -p test/results/isolation
# pg_regress and pg_isolation_regress separately: PGXS stops at the first failing suite.
make -s installcheck ISOLATION= > "$work/regress.out" 2>&1; rc_regress=$?
make -s installcheck REGRESS= >> "$work/regress.out" 2>&1; rc_isolation=$?
cat "$work/regress.out" | grep -vE '^(\(using postmaster|============== )' | sed 's/^/  /'
count_pg_regress "$work/regress.out"
# a run that stopped without a FAILED line (a missing expected file, a crash) still failed
if { [ "$rc_regress" != 0 ] || [ "$rc_isolation" != 0 ]; } && ! grep -qE '(\.\.\. FAILED|^not ok)' "$work/regress.out"; then
  echo "  pg_regress or pg_isolation_regress stopped early"; failed=$((failed + 1))
fi
if grep -qE 'FAILED|not ok' "$work/regress.out"; then
  for d in test/results/regression.diffs test/results/isolation/regression.diffs; do
    [ -f "$d" ] && head -n 200 "$d"
  done
fi
test/lib/cluster.sh stop "$work/pg"

for suite in test/*/run.sh; do
  [ -f "$suite" ] || continue
  [ "$suite" = test/stress/run.sh ] && continue   # the long tests: make stress
  echo "== $suite"
  bash "$suite" > "$work/suite.out" 2>&1
  sed 's/^/  /' "$work/suite.out" | tail -n 60
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/suite.out" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); continue; fi
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
