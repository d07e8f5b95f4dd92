#!/usr/bin/env bash
# Reliability and security tests (issue 4): privileges, search_path shadowing,
# dump/restore, hostile input.  Starts one throwaway cluster (port TR_PORT,
# default 55520); each test works in a database of its own.  After every test
# the driver also checks that the server never crash-restarted.
# Prints "ok NAME" / "not ok NAME" per test, then "N passed, M failed".
#   bash test/reliability/run.sh [NAME...]      (e.g. t04_backup)
#   TR_VERBOSE=1 also shows what passing tests printed (the figures).
# The extension must be installed (make install).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${TR_PORT:-55520}
cluster=$root/test/lib/cluster.sh

if [ $# -gt 0 ]; then
  tests=()
  for name in "$@"; do tests+=("$here/${name%.sh}.sh"); done
else
  tests=("$here"/t[0-9]*.sh)
fi

TR_DIR=$(mktemp -d /tmp/triggers-rel.XXXXXX)
chmod 755 "$TR_DIR"
export TR_DIR
cleanup() {
  "$cluster" stop "$TR_DIR/pg" immediate >/dev/null 2>&1
  rm -rf "$TR_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# lz4 keeps the 50 MB case fast (pglz spends ~10 s on each copy of such a value).
if ! "$cluster" start "$TR_DIR/pg" "$port" "default_toast_compression = lz4" \
     "max_wal_size = 1GB" >"$TR_DIR/start.log" 2>&1; then
  cat "$TR_DIR/start.log"
  echo "not ok cluster"
  echo "0 passed, 1 failed"
  exit 1
fi
eval "$("$cluster" env "$TR_DIR/pg" "$port")"
export PGDATABASE=postgres
start_time=$(psql -XAtqc "SELECT pg_postmaster_start_time()")

passed=0
failed=0
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  out=$TR_DIR/$name.out
  t0=$SECONDS
  if timeout 300 bash "$t" >"$out" 2>&1; then rc=0; else rc=$?; fi
  # a crash of any backend makes the postmaster restart all of them
  now=$(psql -XAtqc "SELECT pg_postmaster_start_time()" 2>&1)
  if [ "$now" != "$start_time" ]; then
    echo "FAIL: the server crashed or restarted during $name (start time $start_time -> $now)" >>"$out"
    grep -E 'terminated by signal|was terminated|PANIC' "$TR_DIR/pg/server.log" | tail -n 5 >>"$out"
    rc=1
    start_time=$now
  fi
  if [ "$rc" -eq 0 ]; then
    echo "ok $name"
    echo "    # $((SECONDS - t0))s"
    passed=$((passed + 1))
  else
    echo "not ok $name"
    echo "    # $((SECONDS - t0))s"
    sed 's/^/    /' "$out" | tail -n 60
    failed=$((failed + 1))
  fi
  [ -n "${TR_VERBOSE:-}" ] && sed 's/^/    # /' "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
