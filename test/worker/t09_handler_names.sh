#!/usr/bin/env bash
# Handler names never resolve outside the handler directory: '/', '..' and a
# leading '.' are refused without running anything (even when the target
# exists), symbolic links, directories, non-executable files and missing
# handlers fail the task; the worker keeps going.
. "$(dirname "$0")/lib.sh"
tw_setup "${TW_PORT:-55518}"

# $TW_DIR/h is the handler directory; $TW_DIR/escape would betray an escape.
mkdir -p "$TW_DIR/h/subdir" "$TW_DIR/h/.hidden_dir"
cp "$TW_HANDLERS/t.record" "$TW_DIR/h/ok"
printf '#!/bin/sh\ntouch "$TW_DIR/escaped"\necho "{}"\n' > "$TW_DIR/escape"
cp "$TW_DIR/escape" "$TW_DIR/h/.hidden"
cp "$TW_DIR/escape" "$TW_DIR/h/subdir/inner"
cp "$TW_DIR/escape" "$TW_DIR/h/noexec"
chmod +x "$TW_DIR/escape" "$TW_DIR/h/ok" "$TW_DIR/h/.hidden" "$TW_DIR/h/subdir/inner"
chmod -x "$TW_DIR/h/noexec"
ln -s "$TW_DIR/escape" "$TW_DIR/h/link"

i=0
tasks=""
for name in '../escape' "$TW_DIR/escape" 'subdir/inner' '.hidden' '..' '.' 'x..y' 'link' 'subdir' \
            'noexec' 'missing' ' ' 'ok/'; do
  tasks="$tasks, \"bad$i\": {\"after\": [\"go\"], \"run\": $(printf '%s' "$name" | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/')}"
  i=$((i + 1))
done
q "SELECT triggers_configure('n1', '{\"good\": {\"after\": [\"go\"], \"run\": \"ok\"} $tasks}')" >/dev/null
q "SELECT triggers_fire('n1', 'go')" >/dev/null

"$TW_WORKER" --handlers "$TW_DIR/h" --name w --once --concurrency 2 2>"$TW_DIR/w.log" || fail "worker exit $?"
[ ! -e "$TW_DIR/escaped" ] || fail "a handler outside the handler directory ran"
[ "$(status_of n1 'good#0')" = finished ] || fail "the good handler did not finish"
[ "$(q "SELECT count(*) FROM triggers.instances WHERE session = 'n1' AND status = 'failed'")" = "$i" ] \
  || fail "not all bad names failed: $(q "SELECT instance, status FROM triggers.instances WHERE session = 'n1' AND status <> 'failed'")"
for k in 0 1 2 3 4 5 6 12; do   # refused by name alone
  [ "$(meta_of n1 "bad$k#0" exceptionType)" = InvalidHandlerName ] \
    || fail "bad$k: $(meta_of n1 "bad$k#0" exceptionType) $(meta_of n1 "bad$k#0" exceptionInfo)"
done
for k in 7 8 9 10 11; do        # looked up, not a usable handler
  [ "$(meta_of n1 "bad$k#0" exceptionType)" = HandlerNotFound ] \
    || fail "bad$k: $(meta_of n1 "bad$k#0" exceptionType) $(meta_of n1 "bad$k#0" exceptionInfo)"
done
meta_of n1 'bad10#0' exceptionInfo | grep -q 'no handler "missing"' || fail "missing: unclear message"
meta_of n1 'bad7#0' exceptionInfo | grep -q 'symbolic link' || fail "link: unclear message"
