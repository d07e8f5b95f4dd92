#!/usr/bin/env bash
# Runs the worker's integration tests (test/worker/t*.sh), each on its own
# throwaway cluster (ports from TW_PORT_BASE, default 55510, one per test).
# Prints "ok NAME" / "not ok NAME" per test, then "N passed, M failed".
#   bash test/worker/run.sh [NAME...]      (e.g. t05_pg_restart)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${TW_PORT_BASE:-55510}

# Build the worker; the extension must be installed (make install) for the
# tests that use a database.
if ! make -s -C "$root/src/worker" >/tmp/tw-build.$$ 2>&1; then
  cat /tmp/tw-build.$$; rm -f /tmp/tw-build.$$
  echo "not ok build"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f /tmp/tw-build.$$

if [ $# -gt 0 ]; then
  tests=()
  for name in "$@"; do tests+=("$here/${name%.sh}.sh"); done
else
  tests=("$here"/t[0-9]*.sh)
fi

passed=0
failed=0
i=0
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  out=$(mktemp /tmp/tw-out.XXXXXX)
  if TW_PORT=$((base + i)) timeout 300 bash "$t" >"$out" 2>&1; then
    echo "ok $name"
    passed=$((passed + 1))
  else
    echo "not ok $name"
    sed 's/^/    /' "$out" | tail -n 80
    failed=$((failed + 1))
  fi
  rm -f "$out"
  i=$((i + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
