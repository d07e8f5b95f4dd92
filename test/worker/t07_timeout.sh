#!/usr/bin/env bash
# --timeout: a handler that runs too long is killed with its whole process
# group (its background child too) and the task fails with HandlerTimeout;
# the worker carries on with the next task.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55516}"

q "SELECT triggers_configure('h1', '{
  \"hang\": {\"after\": [\"go\"], \"run\": \"t.hang\"},
  \"after_hang\": {\"after\": [\"go\"], \"run\": \"t.record\"}}')" >/dev/null
q "SELECT triggers_fire('h1', 'go')" >/dev/null

start_worker w --timeout 1.5 --poll 0.2
wait_for 60 "SELECT status = 'failed' FROM triggers.instances WHERE session = 'h1' AND instance = 'hang#0'" \
  || fail "hanging handler not failed: $(q "SELECT instance, status FROM triggers.instances WHERE session = 'h1'")"
[ "$(meta_of h1 'hang#0' exceptionType)" = HandlerTimeout ] || fail "wrong exceptionType: $(meta_of h1 'hang#0' exceptionType)"
meta_of h1 'hang#0' exceptionInfo | grep -q "timeout" || fail "message does not mention the timeout"
meta_of h1 'hang#0' exceptionInfo | grep -q "hanging" || fail "stderr of the handler not kept"
child=$(cat "$TW_DIR/hang.child")
gone() {   # exited (a zombie awaiting its reaper counts as gone)
  local st
  st=$(ps -o stat= -p "$child" 2>/dev/null) || return 0
  [[ $st == Z* ]]
}
wait_until 10 gone || fail "the handler's background child survived the timeout"
wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'h1' AND instance = 'after_hang#0'" \
  || fail "worker did not carry on"
log_has w "timeout: .*hang#0" || fail "timeout not logged"
