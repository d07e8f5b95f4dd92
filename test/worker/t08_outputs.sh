#!/usr/bin/env bash
# Handler outputs: non-JSON and non-object output fail with InvalidOutput;
# a non-zero exit fails with the status and the bounded tail of stderr; a
# signal fails; empty output finishes with {}; a result of 600 KB arrives
# whole; a handler that never reads a 1 MB input does not break the worker
# (SIGPIPE); a result jsonb refuses (\u0000) fails the task.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55517}"

q "SELECT triggers_configure('o1', '{
  \"notjson\": {\"after\": [\"go\"], \"run\": \"t.notjson\"},
  \"array\":   {\"after\": [\"go\"], \"run\": \"t.array\"},
  \"exit3\":   {\"after\": [\"go\"], \"run\": \"t.exit3\"},
  \"segv\":    {\"after\": [\"go\"], \"run\": \"t.segv\"},
  \"empty\":   {\"after\": [\"go\"], \"run\": \"t.empty\"},
  \"big\":     {\"after\": [\"go\"], \"run\": \"t.big\"},
  \"noread\":  {\"after\": [\"go\"], \"run\": \"t.noread\"},
  \"nul\":     {\"after\": [\"go\"], \"run\": \"t.nul\"}}')" >/dev/null
q "SELECT triggers_fire('o1', 'go', jsonb_build_object('pad', repeat('p', 1048576)))" >/dev/null

start_worker w --concurrency 3 --poll 0.2 --once
w=$TW_LAST_PID
wait_exit 120 "$w" || fail "--once worker did not finish"
[ "$TW_EXIT" -eq 0 ] || fail "--once exit status $TW_EXIT (failed tasks are not an exit status)"

expect() {   # INSTANCE STATUS [EXCEPTIONTYPE]
  local st
  st=$(status_of o1 "$1")
  [ "$st" = "$2" ] || fail "$1: status $st, expected $2 ($(meta_of o1 "$1" exceptionInfo | head -c 300))"
  if [ $# -ge 3 ]; then
    [ "$(meta_of o1 "$1" exceptionType)" = "$3" ] || fail "$1: exceptionType $(meta_of o1 "$1" exceptionType), expected $3"
  fi
}
expect 'notjson#0' failed InvalidOutput
meta_of o1 'notjson#0' exceptionInfo | grep -q "not a JSON object" || fail "notjson: unclear message"
expect 'array#0' failed InvalidOutput
meta_of o1 'array#0' exceptionInfo | grep -q "not an object" || fail "array: unclear message"
expect 'exit3#0' failed HandlerExit
info=$(meta_of o1 'exit3#0' exceptionInfo)
grep -q "exited with status 3" <<<"$info" || fail "exit3: status not in the message"
grep -q "Traceback: the last line of stderr" <<<"$info" || fail "exit3: stderr tail missing"
[ "${#info}" -lt 6000 ] || fail "exit3: stderr not bounded (${#info} bytes)"
[ "$(q "SELECT metadata #>> '{exceptionContext,exit_status}' FROM triggers.instances WHERE session = 'o1' AND instance = 'exit3#0'")" = 3 ] \
  || fail "exit3: exit_status not in exceptionContext"
expect 'segv#0' failed HandlerExit
meta_of o1 'segv#0' exceptionInfo | grep -q "SIGSEGV" || fail "segv: signal not named"
expect 'empty#0' finished
[ "$(q "SELECT metadata -> 'result' FROM triggers.instances WHERE session = 'o1' AND instance = 'empty#0'")" = "{}" ] \
  || fail "empty output is not {}"
expect 'big#0' finished
[ "$(q "SELECT length(metadata #>> '{result,blob}') || ' ' || (metadata #>> '{result,end}') FROM triggers.instances WHERE session = 'o1' AND instance = 'big#0'")" = "600000 true" ] \
  || fail "big result truncated"
expect 'noread#0' finished
expect 'nul#0' failed InvalidOutput
meta_of o1 'nul#0' exceptionInfo | grep -q "database refused" || fail "nul: unclear message"
