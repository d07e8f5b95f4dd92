#!/usr/bin/env bash
# The worker's connection is killed (pg_terminate_backend) again and again
# while it works through 150 two-step sessions: it reconnects every time,
# answers that were in flight are sent again, and every task finishes with
# its handler run exactly once.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55522}"

q "SELECT triggers_load_workflow('two', '{
  \"step1\": {\"after\": [\"go\"], \"run\": \"t.record\"},
  \"step2\": {\"after\": [\"step1\"], \"run\": \"t.record\"}
}')" >/dev/null
q "SELECT count(triggers_start('s' || i, 'two')) FROM generate_series(1, 150) AS i" >/dev/null
q "SELECT count(triggers_fire('s' || i, 'go')) FROM generate_series(1, 150) AS i" >/dev/null

start_worker w --concurrency 4 --poll 0.5 --lease 5
w=$TW_LAST_PID
wait_until 30 log_has w "connected to the database" || fail "worker did not connect"
kills=0
for n in $(seq 1 40); do
  k=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name = 'triggers-worker' AND pid <> pg_backend_pid()")
  kills=$((kills + k))
  [ "$(q "SELECT count(*) < 300 FROM triggers.instances WHERE status = 'finished'")" = t ] || break
  sleep 0.15
done
[ "$kills" -ge 3 ] || fail "only $kills connections were terminated"
wait_for 120 "SELECT count(*) = 300 FROM triggers.instances WHERE status = 'finished'" \
  || fail "not all finished: $(q "SELECT status, count(*) FROM triggers.instances GROUP BY 1")"
log_has w "reconnected" || fail "no reconnection logged"
lines=$(wc -l < "$TW_DIR/record.log")
unique=$(cut -d' ' -f1,2 "$TW_DIR/record.log" | sort -u | wc -l)
[ "$unique" -eq 300 ] || fail "$unique distinct instances ran"
[ "$lines" -eq 300 ] || fail "handlers ran $lines times for 300 tasks"
kill -0 "$w" || fail "worker died"
