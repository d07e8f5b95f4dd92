#!/usr/bin/env bash
# Heartbeats keep a running task's lease alive: with a 3 s lease, a handler
# running for more than three leases is never handed to a competing worker,
# and finishes as attempt 1.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55521}"

q "SELECT triggers_configure('hb', '{\"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"}}')" >/dev/null
q "SELECT triggers_fire('hb', 'go')" >/dev/null
start_worker holder --lease 3 --poll 0.2 --log-level debug
wait_until 30 test -s "$TW_DIR/started.hb.slow#0.1" || fail "handler did not start"
start_worker thief --lease 3 --poll 0.2
sleep 10     # more than three leases
touch "$TW_DIR/release"
wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'hb'" || fail "task not finished"
[ "$(q "SELECT metadata -> 'result' ->> 'attempt' FROM triggers.instances WHERE session = 'hb'")" = 1 ] \
  || fail "the lease expired: task delivered again"
[ "$(wc -l < "$TW_DIR/record.log")" -eq 1 ] || fail "handler ran more than once"
! log_has thief "claimed" || fail "the competing worker claimed the task"
[ "$(grep -c "heartbeat task_id" "$TW_DIR/holder.log")" -ge 3 ] || fail "too few heartbeats"
