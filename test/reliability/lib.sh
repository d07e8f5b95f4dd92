#!/usr/bin/env bash
# Helpers for the reliability tests.  run.sh has started the cluster and
# exported PGHOST/PGPORT/PGUSER; a test sources this file, calls tr_db NAME
# for a fresh database with the extension, and fails with fail MESSAGE.
set -euo pipefail

TR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TR_HERE=$TR_ROOT/test/reliability

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# tr_db NAME: (re)creates database NAME with the extension and makes it the
# default for q/psql.
tr_db() {
  export PGDATABASE=$1
  psql -XAtq -d postgres -v ON_ERROR_STOP=1 \
    -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\""
  q "CREATE EXTENSION triggers"
}

# q SQL...: runs statements as the superuser, unaligned tuples, stops at an error.
q() {
  local args=()
  for s in "$@"; do args+=(-c "$s"); done
  psql -XAtq -v ON_ERROR_STOP=1 "${args[@]}"
}

# qas ROLE SQL...: the same as a login role.
qas() {
  local role=$1 args=()
  shift
  for s in "$@"; do args+=(-c "$s"); done
  psql -XAtq -v ON_ERROR_STOP=1 -U "$role" "${args[@]}"
}

# sqlstate_as ROLE SQL: runs one statement as ROLE and prints its SQLSTATE
# (00000 on success).
sqlstate_as() {
  psql -XAtq -U "$1" -v "stmt=$2" <<'SQL' 2>/dev/null | tail -n 1
\set ON_ERROR_STOP 0
\o /dev/null
:stmt;
\o
\echo :SQLSTATE
SQL
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
