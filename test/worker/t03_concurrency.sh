#!/usr/bin/env bash
# Concurrency: two workers with --concurrency 4 over 200 sessions of a
# two-step workflow (400 tasks). Every task runs exactly once, every instance
# finishes, and no worker ever runs more than 4 handlers at once.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55512}"

q "SELECT triggers_load_workflow('two', '{
  \"step1\": {\"after\": [\"go\"], \"run\": \"t.record\"},
  \"step2\": {\"after\": [\"step1\"], \"run\": \"t.record\"}
}')" >/dev/null
q "SELECT count(triggers_start('s' || i, 'two')) FROM generate_series(1, 200) AS i" >/dev/null

start_worker w1 --concurrency 4 --poll 1 --log-level debug
w1=$TW_LAST_PID
start_worker w2 --concurrency 4 --poll 1 --log-level debug
w2=$TW_LAST_PID
# fire from several transactions while the workers run
for chunk in 0 1 2 3; do
  q "SELECT count(triggers_fire('s' || i, 'go', jsonb_build_object('i', i)))
     FROM generate_series($((chunk * 50 + 1)), $((chunk * 50 + 50))) AS i" >/dev/null
done

wait_for 120 "SELECT count(*) = 400 FROM triggers.instances WHERE status = 'finished'" \
  || fail "not all finished: $(q "SELECT status, count(*) FROM triggers.instances GROUP BY 1")"

lines=$(wc -l < "$TW_DIR/record.log")
unique=$(cut -d' ' -f1,2 "$TW_DIR/record.log" | sort -u | wc -l)
[ "$lines" -eq 400 ] || fail "handlers ran $lines times for 400 tasks"
[ "$unique" -eq 400 ] || fail "$unique distinct instances ran"
[ "$(q "SELECT count(*) FROM triggers.instances")" = 400 ] || fail "unexpected instance count"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE (metadata ->> 'depth')::int <> 0 OR status <> 'finished'")" = 0 ] \
  || fail "retries or unfinished instances"
# both workers took part
log_has w1 "finished task_id" || fail "w1 finished nothing"
log_has w2 "finished task_id" || fail "w2 finished nothing"
# every claim asked for at most the free slots (4)
grep -q "claim of up to" "$TW_DIR/w1.log" || fail "no claim logged at debug level"
if grep -hE "claim of up to ([5-9]|[1-9][0-9]+) task" "$TW_DIR"/w*.log; then fail "claimed beyond --concurrency"; fi

kill -TERM "$w1" "$w2"
wait_exit 30 "$w1" || fail "w1 did not stop"
[ "$TW_EXIT" -eq 0 ] || fail "w1 exit $TW_EXIT"
wait_exit 30 "$w2" || fail "w2 did not stop"
[ "$TW_EXIT" -eq 0 ] || fail "w2 exit $TW_EXIT"
