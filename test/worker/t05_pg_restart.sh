#!/usr/bin/env bash
# PostgreSQL stopped and restarted while the worker runs: a handler that ends
# while the database is down keeps its result in memory; after the restart
# the worker reconnects, reports it exactly once (the cascade runs once), and
# LISTEN works again on the new connection (long --poll).
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55514}"

q "SELECT triggers_configure('r1', '{
  \"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"},
  \"next\": {\"after\": [\"slow\"], \"run\": \"t.record\"}}')" >/dev/null
q "SELECT triggers_fire('r1', 'go')" >/dev/null

start_worker w --poll 600 --lease 600
w=$TW_LAST_PID
wait_until 30 test -s "$TW_DIR/started.r1.slow#0.1" || fail "handler did not start"

"$TW_CLUSTER" stop "$TW_DIR/pg" fast
wait_until 30 log_has w "connection lost|terminating connection" || fail "worker did not notice the shutdown"
touch "$TW_DIR/release"                       # the handler ends while the database is down
wait_until 30 log_has w "cannot connect" || fail "no reconnection attempt logged"
hpid=$(cat "$TW_DIR/started.r1.slow#0.1")
handler_gone() { ! kill -0 "$hpid" 2>/dev/null; }
wait_until 30 handler_gone || fail "handler did not end"
kill -0 "$w" || fail "worker died while the database was down"

"$TW_CLUSTER" restart "$TW_DIR/pg"
wait_until 60 log_has w "reconnected" || fail "worker did not reconnect"
wait_for 60 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'r1' AND instance = 'next#0'" \
  || fail "result lost across the restart: $(q "SELECT instance, status FROM triggers.instances WHERE session = 'r1'")"
[ "$(status_of r1 'slow#0')" = finished ] || fail "slow#0 not finished"
[ "$(q "SELECT metadata -> 'result' ->> 'attempt' FROM triggers.instances WHERE session = 'r1' AND instance = 'slow#0'")" = 1 ] \
  || fail "the task was delivered again instead of its result being kept"
[ "$(grep -c ' next#0 ' "$TW_DIR/record.log")" = 1 ] || fail "cascade ran more than once"
[ "$(grep -c ' slow#0 ' "$TW_DIR/record.log")" = 1 ] || fail "slow ran more than once"

# notifications on the new connection wake the worker (its poll is 600 s)
q "SELECT triggers_configure('r2', '{\"t\": {\"after\": [\"go\"], \"run\": \"t.record\"}}')" >/dev/null
q "SELECT triggers_fire('r2', 'go')" >/dev/null
wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'r2' AND instance = 't#0'" \
  || fail "LISTEN not re-established after reconnect"

kill -TERM "$w"
wait_exit 30 "$w" || fail "worker did not stop"
[ "$TW_EXIT" -eq 0 ] || fail "exit status $TW_EXIT"
