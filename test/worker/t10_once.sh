#!/usr/bin/env bash
# --once: processes everything claimable now, cascades included, then exits 0
# even though a task failed; leaves other queues and delayed retries alone;
# --queue selects queues; exits 1 when it cannot work (no extension).
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55519}"

q "SELECT triggers_load_workflow('chain', '{
  \"a\": {\"after\": [\"go\"], \"run\": \"t.record\"},
  \"b\": {\"after\": [\"a\"], \"run\": \"t.record\"},
  \"c\": {\"after\": [\"b\"], \"run\": \"t.record\"},
  \"elsewhere\": {\"after\": [\"go\"], \"run\": \"t.record\", \"using\": \"other.queue\"},
  \"flaky\": {\"after\": [\"go\"], \"run\": \"t.exit3\", \"maxRetries\": 1, \"retryDelay\": 3600}
}')" >/dev/null
q "SELECT count(triggers_start('s' || i, 'chain')) FROM generate_series(1, 20) AS i" >/dev/null
q "SELECT count(triggers_fire('s' || i, 'go')) FROM generate_series(1, 20) AS i" >/dev/null

rc=0
"$TW_WORKER" --handlers "$TW_HANDLERS" --name once --once --concurrency 3 2>"$TW_DIR/once.log" || rc=$?
[ "$rc" -eq 0 ] || fail "--once exit status $rc"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE task IN ('a', 'b', 'c') AND status = 'finished'")" = 60 ] \
  || fail "chain not complete: $(q "SELECT task, status, count(*) FROM triggers.instances GROUP BY 1, 2")"
[ "$(wc -l < "$TW_DIR/record.log")" -eq 60 ] || fail "chain handlers ran $(wc -l < "$TW_DIR/record.log") times"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE task = 'elsewhere' AND status = 'scheduled'")" = 20 ] \
  || fail "tasks of another queue were touched"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE task = 'flaky' AND status = 'replayed'")" = 20 ] \
  || fail "flaky tasks not failed and replayed"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE task = 'flaky' AND status = 'scheduled'")" = 20 ] \
  || fail "retries not waiting"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE status = 'running'")" = 0 ] || fail "--once left tasks running"
grep -q "nothing left to claim" "$TW_DIR/once.log" || fail "no exit message"

# the other queue, with two --queue options
rc=0
"$TW_WORKER" --handlers "$TW_HANDLERS" --name once2 --once --queue default --queue other.queue 2>"$TW_DIR/once2.log" || rc=$?
[ "$rc" -eq 0 ] || fail "second --once exit status $rc"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE task = 'elsewhere' AND status = 'finished'")" = 20 ] \
  || fail "--queue other.queue not processed"

# a database without the extension: the worker cannot work
q "CREATE DATABASE noext" >/dev/null
rc=0
"$TW_WORKER" --handlers "$TW_HANDLERS" --once --dsn "dbname=noext" 2>"$TW_DIR/noext.log" || rc=$?
[ "$rc" -eq 1 ] || fail "--once without the extension: exit status $rc, expected 1"
grep -q "claim failed" "$TW_DIR/noext.log" || fail "claim failure not logged"
