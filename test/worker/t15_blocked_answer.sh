#!/usr/bin/env bash
# One connection carries a worker's answers and heartbeats: an answer that
# waits for a session lock (an application transaction holding it) must not
# hold up the heartbeats of the worker's other tasks until their leases expire,
# and the task whose answer waits must keep its own lease too.
# Task "slow" runs for more than three leases while the answers of four tasks
# of another session (done after 2 s) wait ~6 s for that session, longer than a
# lease: a competing worker must get none of them, and the four are finished
# once, when the lock is released.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55525}"

q "SELECT triggers_configure('ba-slow', '{\"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"}}')" >/dev/null
q "SELECT triggers_configure('ba-quick', '{
  \"q1\": {\"after\": [\"go\"], \"run\": \"t.pause\"}, \"q2\": {\"after\": [\"go\"], \"run\": \"t.pause\"},
  \"q3\": {\"after\": [\"go\"], \"run\": \"t.pause\"}, \"q4\": {\"after\": [\"go\"], \"run\": \"t.pause\"}}')" >/dev/null
q "SELECT triggers_fire('ba-slow', 'go')" >/dev/null
q "SELECT triggers_fire('ba-quick', 'go')" >/dev/null
start_worker holder --lease 3 --poll 0.2 --concurrency 5
wait_until 30 test -s "$TW_DIR/started.ba-slow.slow#0.1" || fail "slow handler did not start"
wait_for 30 "SELECT count(*) = 5 FROM triggers.queue WHERE worker = 'holder'" || fail "the tasks were not all claimed"
# the application transaction: holds session ba-quick for 8 s, while its four
# tasks (2 s handlers) finish and answer
psql -XAtq -c "BEGIN" -c "SELECT triggers_fire('ba-quick', 'unrelated')" -c "SELECT pg_sleep(8)" -c "COMMIT" \
  >/dev/null 2>&1 &
TW_PIDS+=($!)
start_worker thief --lease 3 --poll 0.2
wait_for 30 "SELECT count(*) = 4 FROM triggers.instances WHERE session = 'ba-quick' AND status = 'finished'" \
  || fail "the four tasks were not finished after the lock was released"
touch "$TW_DIR/release"
wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'ba-slow'" || fail "slow#0 not finished"
[ "$(q "SELECT metadata -> 'result' ->> 'attempt' FROM triggers.instances WHERE session = 'ba-slow'")" = 1 ] \
  || fail "slow#0's lease expired while the other answers waited: delivered again"
! log_has thief "claimed" || fail "the competing worker claimed a task"
log_has holder "55P03" || fail "the blocked answer was not retried after lock_timeout"
[ "$(q "SELECT count(*) FROM triggers.stale_delivery WHERE session = 'ba-quick'")" = 0 ] \
  || fail "a lease expired while its task's answer waited: delivered again"
