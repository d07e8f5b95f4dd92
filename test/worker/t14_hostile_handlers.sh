#!/usr/bin/env bash
# Handlers that misbehave in ways the worker must still survive exactly once:
#  - a NUL byte on standard error: the task still fails (jsonb cannot store
#    \u0000, so it is replaced), instead of its failure being refused and the
#    task delivered again and again;
#  - a handler that leaves its process group: --timeout still kills it;
#  - a handler directory renamed and replaced by one holding a symbolic link:
#    the link is refused, never followed out of the directory.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55524}"

q "SELECT triggers_configure('hh', '{
  \"nul\":    {\"after\": [\"go\"], \"run\": \"t.nulerr\", \"maxRetries\": 1},
  \"escape\": {\"after\": [\"go\"], \"run\": \"t.pgescape\"}}')" >/dev/null
q "SELECT triggers_fire('hh', 'go')" >/dev/null
start_worker w --timeout 2 --poll 0.2 --lease 5 --concurrency 2
# nul#0 fails, is retried once as nul#1, which fails and stays failed
wait_for 60 "SELECT count(*) FILTER (WHERE status = 'failed') = 1 AND count(*) FILTER (WHERE status = 'replayed') = 1
             FROM triggers.instances WHERE session = 'hh' AND task = 'nul'" \
  || fail "the NUL handler's failures were not recorded: $(q "SELECT instance, status FROM triggers.instances WHERE session = 'hh'")"
meta_of hh 'nul#1' exceptionInfo | grep -q "bin.ary" || fail "stderr tail not kept: $(meta_of hh 'nul#1' exceptionInfo)"
wait_for 60 "SELECT status = 'failed' FROM triggers.instances WHERE session = 'hh' AND instance = 'escape#0'" \
  || fail "the handler that left its group was not killed at its timeout"
[ "$(meta_of hh 'escape#0' exceptionType)" = HandlerTimeout ] || fail "escape#0: $(meta_of hh 'escape#0' exceptionType)"
pid=$(cat "$TW_DIR/pgescape.pid")
gone() { local st; st=$(ps -o stat= -p "$pid" 2>/dev/null) || return 0; [[ $st == Z* ]]; }
wait_until 10 gone || fail "the handler that left its group survived"
kill "$TW_LAST_PID"; wait_exit 30 "$TW_LAST_PID" || fail "worker did not stop"

# The directory swap: a worker resolved its handler directory at start; the
# directory is renamed and a new one holds a symbolic link named like a handler.
mkdir "$TW_DIR/h" "$TW_DIR/outside"
cp "$TW_HANDLERS/t.record" "$TW_DIR/h/job"
printf '#!/bin/sh\ncat >/dev/null\ntouch "$TW_DIR/outside.ran"\necho "{}"\n' > "$TW_DIR/outside/job"
chmod +x "$TW_DIR/outside/job"
"$TW_WORKER" --handlers "$TW_DIR/h" --name swap --poll 0.2 2>"$TW_DIR/swap.log" &
TW_PIDS+=($!)
sleep 0.5
mv "$TW_DIR/h" "$TW_DIR/h.old" && mkdir "$TW_DIR/h" && ln -s "$TW_DIR/outside/job" "$TW_DIR/h/job"
q "SELECT triggers_configure('sw', '{\"a\": {\"after\": [\"go\"], \"run\": \"job\"}}')" >/dev/null
q "SELECT triggers_fire('sw', 'go')" >/dev/null
wait_for 30 "SELECT status = 'failed' FROM triggers.instances WHERE session = 'sw' AND instance = 'a#0'" \
  || fail "the symbolic link was not refused: $(status_of sw 'a#0')"
[ ! -e "$TW_DIR/outside.ran" ] || fail "a handler outside the directory ran"
meta_of sw 'a#0' exceptionInfo | grep -q "symbolic link" || fail "message: $(meta_of sw 'a#0' exceptionInfo)"
