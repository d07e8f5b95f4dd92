#!/usr/bin/env bash
# SIGTERM with a running handler. (1) The handler ends within --grace: the
# worker claims nothing more, reports the result and exits 0. (2) It does
# not: the worker kills it after the grace period, hands the task back (not
# failed) and exits 0; another worker then runs it as attempt 2.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55515}"

q "SELECT triggers_configure('g1', '{\"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"}}')" >/dev/null
q "SELECT triggers_configure('g2', '{\"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"}}')" >/dev/null
q "SELECT triggers_configure('g3', '{\"rec\": {\"after\": [\"go\"], \"run\": \"t.record\"}}')" >/dev/null

# (1) graceful: the handler finishes during the grace period
q "SELECT triggers_fire('g1', 'go')" >/dev/null
start_worker w1 --grace 60 --poll 0.2
w1=$TW_LAST_PID
wait_until 30 test -s "$TW_DIR/started.g1.slow#0.1" || fail "handler did not start"
kill -TERM "$w1"
wait_until 30 log_has w1 "stop requested" || fail "stop not logged"
q "SELECT triggers_fire('g3', 'go')" >/dev/null     # must not be claimed any more
sleep 1
kill -0 "$w1" || fail "worker exited before its handler finished"
touch "$TW_DIR/release"
wait_exit 60 "$w1" || fail "worker did not exit after its handler finished"
[ "$TW_EXIT" -eq 0 ] || fail "exit status $TW_EXIT"
[ "$(status_of g1 'slow#0')" = finished ] || fail "g1 result not reported: $(status_of g1 'slow#0')"
[ "$(status_of g3 'rec#0')" = scheduled ] || fail "a stopping worker claimed new work"
rm -f "$TW_DIR/release"

# (2) grace period over: killed and handed back, not failed
q "SELECT triggers_fire('g2', 'go')" >/dev/null
start_worker w2 --grace 1 --poll 0.2 --queue nothing   # does not take g2 yet
w2=$TW_LAST_PID
start_worker w3 --grace 1 --poll 0.2
w3=$TW_LAST_PID
wait_for 30 "SELECT status = 'running' FROM triggers.instances WHERE session = 'g2'" || fail "g2 not claimed"
wait_until 30 log_has w3 'claimed .*session="g2"' || fail "w3 did not claim g2"
wait_until 30 test -s "$TW_DIR/started.g2.slow#0.1" || fail "g2 handler did not start"
kill -TERM "$w3" "$w2"
wait_exit 60 "$w3" || fail "worker did not exit after the grace period"
[ "$TW_EXIT" -eq 0 ] || fail "exit status $TW_EXIT after the grace period"
log_has w3 "grace period over" || fail "no grace message"
log_has w3 'handed back .*session="g2"' || fail "task not handed back"
wait_exit 30 "$w2" || fail "w2 did not stop"
[ "$(q "SELECT metadata ? 'exceptionType' FROM triggers.instances WHERE session = 'g2'")" = f ] \
  || fail "handed-back task was failed"
gpid=$(cat "$TW_DIR/started.g2.slow#0.1")
! kill -0 "$gpid" 2>/dev/null || fail "the handler still runs after the grace period"

# another worker gets it at once (the lease was handed back), as attempt 2
touch "$TW_DIR/release"
start_worker w4 --poll 0.2 --lease 600
wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'g2' AND instance = 'slow#0'" \
  || fail "handed-back task not re-delivered: $(q "SELECT status FROM triggers.instances WHERE session = 'g2'")"
[ "$(q "SELECT metadata -> 'result' ->> 'attempt' FROM triggers.instances WHERE session = 'g2'")" = 2 ] \
  || fail "re-delivery was not attempt 2"
