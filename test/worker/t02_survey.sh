#!/usr/bin/env bash
# The survey workflow end to end with the example handlers: the task runs only
# once both modules arrived (fired out of order from two connections), its
# result cascades to the follow-up task, and SIGTERM stops an idle worker
# with exit 0. --poll is long, so LISTEN/NOTIFY is what wakes the worker.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55511}"

q "SELECT triggers_load_workflow('survey', \$json\$
{
  // Give your task a name.
  \"t_processStepData\": {
    // This task runs after these two triggers are fired, in any order.
    \"after\": [\"module1Received\", \"module4Received\"],
    \"run\": \"app.tasks.ProcessStepData\"
  },
  /* cascade: runs when t_processStepData finishes */
  \"t_notifyResearcher\": {
    \"after\": [\"t_processStepData\"],
    \"run\": \"app.tasks.NotifyResearcher\",
    \"withParams\": {\"channel\": {\"name\": \"email\"}}
  }
}
\$json\$)" >/dev/null
q "SELECT triggers_start('survey-42', 'survey')" >/dev/null

"$TW_WORKER" --handlers "$TW_ROOT/examples/handlers" --name survey --poll 600 2>"$TW_DIR/survey.log" &
pid=$!
TW_PIDS+=("$pid")
wait_until 20 log_has survey "connected to the database" || fail "worker did not connect"

# module 4 first, from one connection: nothing is scheduled yet
[ "$(q "SELECT triggers_fire('survey-42', 'module4Received', '{\"answers\": [4, 4]}')")" = "{}" ] \
  || fail "module4Received alone scheduled something"
[ "$(status_of survey-42 't_processStepData#0')" = unstarted ] || fail "task not waiting after one module"
# module 1 from another connection (another application server)
[ "$(q "SELECT triggers_fire('survey-42', 'module1Received', '{\"answers\": [1, 12345678901234567890]}')")" = "{t_processStepData#0}" ] \
  || fail "module1Received did not schedule t_processStepData"

wait_for 30 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'survey-42' AND instance = 't_notifyResearcher#0'" \
  || fail "cascade did not finish: $(q "SELECT instance, status FROM triggers.instances WHERE session = 'survey-42'")"
[ "$(status_of survey-42 't_processStepData#0')" = finished ] || fail "t_processStepData not finished"
# the handler saw both modules' kwargs, numbers intact
q "SELECT metadata -> 'result' FROM triggers.instances WHERE session = 'survey-42' AND instance = 't_processStepData#0'" \
  | grep -q '12345678901234567890' || fail "kwargs did not reach the handler intact"
# the follow-up got the result as kwargs, merged over withParams
[ "$(q "SELECT metadata #>> '{result,input,kwargs,channel,name}' FROM triggers.instances WHERE session = 'survey-42' AND instance = 't_notifyResearcher#0'")" = email ] \
  || fail "follow-up did not see withParams"
[ "$(q "SELECT metadata #>> '{result,input,kwargs,t_processStepData,processed}' FROM triggers.instances WHERE session = 'survey-42' AND instance = 't_notifyResearcher#0'")" = "survey-42" ] \
  || fail "follow-up did not get the cascaded result"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE session = 'survey-42'")" = 2 ] || fail "unexpected instances"

kill -TERM "$pid"
wait_exit 30 "$pid" || fail "worker did not stop on SIGTERM"
[ "$TW_EXIT" -eq 0 ] || fail "worker exit status $TW_EXIT after SIGTERM"
log_has survey "claimed .*t_processStepData#0" || fail "no claimed line"
log_has survey "finished .*t_processStepData#0.*scheduled \{t_notifyResearcher#0\}" || fail "no finished line with cascade"
