#!/usr/bin/env bash
# kill -9 of a worker mid-task (its handler dies with it): once
# the short lease expires the task is delivered again to another worker, with
# attempt 2 under a new task_id; the dead worker's task_id is refused.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55513}"

q "SELECT triggers_configure('k1', '{\"slow\": {\"after\": [\"go\"], \"run\": \"t.slow\"}}')" >/dev/null
q "SELECT triggers_fire('k1', 'go')" >/dev/null

start_worker victim --lease 2 --poll 0.2
victim=$TW_LAST_PID
wait_until 30 test -s "$TW_DIR/started.k1.slow#0.1" || fail "handler did not start"
old_id=$(q "SELECT task_id FROM triggers.queue WHERE session = 'k1'" 2>/dev/null || true)
kill -9 "$victim"
# the handler dies with its worker (it would otherwise run on, unanswered)
hpid=$(cat "$TW_DIR/started.k1.slow#0.1")
handler_gone() {
  local st
  st=$(ps -o stat= -p "$hpid" 2>/dev/null) || return 0
  [[ $st == Z* ]]
}
wait_until 10 handler_gone || fail "the handler outlived its killed worker"
[ "$(status_of k1 'slow#0')" = running ] || fail "instance not running after the crash"

touch "$TW_DIR/release"
start_worker rescuer --lease 30 --poll 0.2
wait_for 60 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'k1' AND instance = 'slow#0'" \
  || fail "task not re-delivered: $(q "SELECT status, metadata FROM triggers.instances WHERE session = 'k1'")"
[ "$(q "SELECT metadata -> 'result' ->> 'attempt' FROM triggers.instances WHERE session = 'k1' AND instance = 'slow#0'")" = 2 ] \
  || fail "second delivery did not have attempt 2"
log_has rescuer 'claimed .*instance="slow#0".* attempt=2' || fail "rescuer did not log attempt 2"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE session = 'k1'")" = 1 ] || fail "unexpected clone"
if [ -n "$old_id" ]; then
  err=$(psql -XAtq -v VERBOSITY=verbose -c "SELECT triggers_finish($old_id)" 2>&1) \
    && fail "the dead worker's task_id was accepted"
  grep -q "55000" <<<"$err" || fail "stale answer not refused with 55000: $err"
fi
