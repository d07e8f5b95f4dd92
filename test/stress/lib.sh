#!/usr/bin/env bash
# Helpers shared by the stress tests (test/stress/*.sh).  A test sources this
# file, calls st_setup PORT [extra postgresql.conf lines...] for a throwaway
# cluster of its own, and fails with fail MESSAGE.  Everything the test started
# (the cluster, background processes listed in ST_PIDS) is stopped on exit.
set -euo pipefail

ST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ST_HERE=$ST_ROOT/test/stress
ST_CLUSTER=$ST_ROOT/test/lib/cluster.sh
PGBIN=${PGBIN:-$(pg_config --bindir)}
# the installed worker (make -C src/worker install), else the one built in the tree
if [ -z "${ST_WORKER:-}" ]; then
  if [ -x "$PGBIN/triggers-worker" ]; then ST_WORKER=$PGBIN/triggers-worker
  else ST_WORKER=$ST_ROOT/src/worker/triggers-worker; fi
fi
ST_PIDS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

log() { echo "[$(date +%T)] $*"; }

# st_setup PORT [conf lines...]: a fresh cluster in a fresh directory $ST_DIR.
st_setup() {
  ST_PORT=$1
  shift
  ST_DIR=$(mktemp -d /tmp/triggers-stress.XXXXXX)
  chmod 755 "$ST_DIR"
  export ST_DIR
  trap st_cleanup EXIT
  trap 'exit 130' INT TERM
  "$ST_CLUSTER" start "$ST_DIR/pg" "$ST_PORT" "$@" >/dev/null
  eval "$("$ST_CLUSTER" env "$ST_DIR/pg" "$ST_PORT")"
  export PGDATABASE=postgres
}

st_cleanup() {
  local rc=$?
  set +e
  local pid
  for pid in "${ST_PIDS[@]}"; do { kill -9 "$pid"; wait "$pid"; } 2>/dev/null; done
  "$ST_CLUSTER" stop "$ST_DIR/pg" immediate >/dev/null 2>&1
  if [ "$rc" -ne 0 ]; then
    for f in "$ST_DIR"/*.log "$ST_DIR/pg/server.log"; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 30 lines)" >&2
      tail -n 30 "$f" >&2
    done
  fi
  [ -n "${ST_KEEP:-}" ] && echo "kept $ST_DIR" >&2 || rm -rf "$ST_DIR"
  exit "$rc"
}

# q [-d DB] SQL...: statements, unaligned tuples, tab-separated, stop at an error.
q() {
  local db=${PGDATABASE:-postgres}
  if [ "$1" = -d ]; then db=$2; shift 2; fi
  local args=() s
  for s in "$@"; do args+=(-c "$s"); done
  psql -XAtq -F $'\t' -v ON_ERROR_STOP=1 -d "$db" "${args[@]}"
}

# wait_for SECONDS [-d DB] SQL: polls until SQL returns "t"; false after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(q "$@" 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  return 1
}

# complete_lines FILE...: the files' complete lines (a line still being
# written by a running client, without its newline, is left out).
complete_lines() {
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    head -n "$(tr -dc '\n' <"$f" | wc -c)" "$f"
  done
}

# build_client: compiles fire_client.cpp into $ST_DIR (not into the tree).
build_client() {
  local inc libdir
  inc=$(pg_config --includedir)
  libdir=$(pg_config --libdir)
  g++ -std=c++17 -O2 -Wall -Wextra -Werror -I"$inc" -o "$ST_DIR/fire_client" "$ST_HERE/fire_client.cpp" \
    -L"$libdir" -lpq || fail "cannot build fire_client"
}
