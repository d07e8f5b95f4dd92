#!/usr/bin/env bash
# --noop (benchmark mode): finishes every task with {} without running a
# handler, claiming and finishing in batches; cascades still happen.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55520}"

q "SELECT triggers_load_workflow('pair', '{
  \"x\": {\"after\": [\"go\"], \"run\": \"no.such.handler\"},
  \"y\": {\"after\": [\"x\"], \"run\": \"no.such.handler\"}
}')" >/dev/null
q "SELECT count(triggers_start('s' || i, 'pair')) FROM generate_series(1, 300) AS i" >/dev/null
q "SELECT count(triggers_fire('s' || i, 'go')) FROM generate_series(1, 300) AS i" >/dev/null

start_worker n1 --noop --concurrency 50 --once --log-level debug
a=$TW_LAST_PID
start_worker n2 --noop --concurrency 50 --once
b=$TW_LAST_PID
wait_exit 120 "$a" || fail "noop worker 1 did not finish"
[ "$TW_EXIT" -eq 0 ] || fail "noop worker 1 exit $TW_EXIT"
wait_exit 120 "$b" || fail "noop worker 2 did not finish"
[ "$TW_EXIT" -eq 0 ] || fail "noop worker 2 exit $TW_EXIT"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE status = 'finished' AND metadata -> 'result' = '{}'")" = 600 ] \
  || fail "not all finished with {}: $(q "SELECT status, count(*) FROM triggers.instances GROUP BY 1")"
grep -Eq "claim of up to (50|[1-4][0-9]) task" "$TW_DIR/n1.log" || fail "no batch claims"
grep -Eq "noop finish of ([2-9]|[1-9][0-9]+) task" "$TW_DIR/n1.log" || fail "no batch finishes"
