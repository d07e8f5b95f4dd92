#!/usr/bin/env bash
# Helpers for the worker integration tests; each test sources this file and
# calls tw_setup PORT, which starts a throwaway cluster with the extension and
# arranges for everything the test started to be stopped on exit.
set -euo pipefail

TW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TW_WORKER=${TW_WORKER:-$TW_ROOT/src/worker/triggers-worker}
TW_HANDLERS=$TW_ROOT/test/worker/handlers
TW_CLUSTER=$TW_ROOT/test/lib/cluster.sh
TW_PIDS=()

# Prints a failure reason and ends the test (the EXIT trap cleans up).
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Starts a cluster on PORT in a fresh directory and creates the extension.
tw_setup() {
  TW_PORT=$1
  TW_DIR=$(mktemp -d /tmp/tw.XXXXXX)
  chmod 755 "$TW_DIR"
  export TW_DIR
  trap tw_cleanup EXIT
  "$TW_CLUSTER" start "$TW_DIR/pg" "$TW_PORT" >/dev/null
  eval "$("$TW_CLUSTER" env "$TW_DIR/pg" "$TW_PORT")"
  q "CREATE EXTENSION triggers"
}

# Kills the workers and handler process groups this test started, stops the
# cluster, shows the worker logs if the test failed, removes the directory.
tw_cleanup() {
  local rc=$?
  set +e
  local pid f
  for pid in "${TW_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for f in "$TW_DIR"/started.* "$TW_DIR"/hang.child; do
    [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && kill -9 -- "-$pid" "$pid" 2>/dev/null
  done
  "$TW_CLUSTER" stop "$TW_DIR/pg" immediate >/dev/null 2>&1
  if [ "$rc" -ne 0 ] || [ -n "${TW_SHOW_LOGS:-}" ]; then
    for f in "$TW_DIR"/*.log; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 40 lines)" >&2
      tail -n 40 "$f" >&2
    done
  fi
  rm -rf "$TW_DIR"
  exit "$rc"
}

# Runs one SQL statement, printing unaligned tuples.
q() {
  psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

# wait_for SECONDS SQL: polls until SQL returns "t"; false after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1)) sql=$2
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(q "$sql" 2>/dev/null)" = t ] && return 0
    sleep 0.1
  done
  return 1
}

# wait_until SECONDS COMMAND...: polls until COMMAND succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# start_worker NAME [OPTIONS...]: runs a worker in the background with the
# test handlers, stderr to $TW_DIR/NAME.log; its pid is in $TW_LAST_PID.
start_worker() {
  local name=$1
  shift
  "$TW_WORKER" --handlers "$TW_HANDLERS" --name "$name" "$@" 2>"$TW_DIR/$name.log" &
  TW_LAST_PID=$!
  TW_PIDS+=("$TW_LAST_PID")
}

# wait_exit SECONDS PID: waits for a background worker to exit and sets
# TW_EXIT to its status; false if it is still running after SECONDS.
wait_exit() {
  local deadline=$((SECONDS + $1)) pid=$2
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    # a zombie child still answers kill -0: wait reaps it
    if ! ps -o stat= -p "$pid" 2>/dev/null | grep -qv Z; then break; fi
    sleep 0.1
  done
  TW_EXIT=0
  wait "$pid" || TW_EXIT=$?
  return 0
}

# status_of SESSION INSTANCE
status_of() {
  q "SELECT status FROM triggers.instances WHERE session = '$1' AND instance = '$2'"
}

# meta_of SESSION INSTANCE KEY: one metadata key as text
meta_of() {
  q "SELECT metadata ->> '$3' FROM triggers.instances WHERE session = '$1' AND instance = '$2'"
}

# log_has NAME PATTERN: the worker log NAME contains the extended regex
log_has() {
  grep -Eq -- "$2" "$TW_DIR/$1.log"
}
