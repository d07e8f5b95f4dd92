#!/usr/bin/env bash
# Options without a database: --help documents every option, bad options and
# a bad handler directory exit 2, --once without a database exits 1.
. "$(dirname "$0")/lib.sh"
TW_DIR=$(mktemp -d /tmp/tw.XXXXXX)
export TW_DIR
trap 'rm -rf "$TW_DIR"' EXIT

help=$("$TW_WORKER" --help)
for opt in --dsn --queue --concurrency --handlers --lease --heartbeat --timeout --poll --grace \
           --once --log-level --name --noop --help; do
  grep -q -- "$opt" <<<"$help" || fail "--help does not document $opt"
done
"$TW_WORKER" --version | grep -q '^triggers-worker ' || fail "--version"

expect_usage_error() {   # ARGS...: exit status 2 and a message on stderr
  local rc=0
  "$TW_WORKER" "$@" >/dev/null 2>"$TW_DIR/err" || rc=$?
  [ "$rc" -eq 2 ] || fail "expected exit 2 for: $* (got $rc)"
  [ -s "$TW_DIR/err" ] || fail "no message for: $*"
}
expect_usage_error --bogus
expect_usage_error --handlers "$TW_HANDLERS" --concurrency 0
expect_usage_error --handlers "$TW_HANDLERS" --concurrency x
expect_usage_error --handlers "$TW_HANDLERS" --lease -1
expect_usage_error --handlers "$TW_HANDLERS" --lease 10 --heartbeat 10
expect_usage_error --handlers "$TW_HANDLERS" --timeout 1s
expect_usage_error --handlers "$TW_HANDLERS" --queue 'bad queue'
expect_usage_error --handlers "$TW_HANDLERS" --queue "$(printf 'q%.0s' {1..55})"
expect_usage_error --handlers "$TW_HANDLERS" --log-level loud
expect_usage_error --handlers "$TW_HANDLERS" --poll
expect_usage_error --handlers "$TW_HANDLERS" --once=yes
expect_usage_error --handlers "$TW_HANDLERS" extra-argument
expect_usage_error --handlers "$TW_DIR/does-not-exist"
expect_usage_error --handlers "$TW_HANDLERS" --dsn "host='unterminated"
expect_usage_error
# --name follows the server's rule: characters, not bytes; no C1 controls, valid UTF-8
expect_usage_error --handlers "$TW_HANDLERS" --name $'a\xc2\x85b'
expect_usage_error --handlers "$TW_HANDLERS" --name $'\xff'
expect_usage_error --handlers "$TW_HANDLERS" --name "$(printf 'x%.0s' {1..256})"
"$TW_WORKER" --handlers "$TW_HANDLERS" --name "$(printf 'é%.0s' {1..255})" --help >/dev/null \
  || fail "a name of 255 two-byte characters was refused"
# --concurrency beyond what the hard limit on open files allows: exit 2 at once
rc=0
(ulimit -n 64; "$TW_WORKER" --handlers "$TW_HANDLERS" --concurrency 40 --once --dsn "host=$TW_DIR port=1" \
   >/dev/null 2>"$TW_DIR/err") || rc=$?
[ "$rc" -eq 2 ] && grep -q "open files" "$TW_DIR/err" || fail "--concurrency 40 under ulimit -n 64: rc $rc, $(cat "$TW_DIR/err")"
# ... while a low soft limit is raised (the --once run then fails to connect: exit 1)
rc=0
(ulimit -Sn 64; "$TW_WORKER" --handlers "$TW_HANDLERS" --concurrency 40 --once \
   --dsn "host=$TW_DIR port=1 connect_timeout=5" >/dev/null 2>"$TW_DIR/err") || rc=$?
[ "$rc" -eq 1 ] || fail "--concurrency 40 under a soft limit of 64: rc $rc, $(cat "$TW_DIR/err")"

# Fractions and the --opt=value form are accepted; --once with no server
# listening at the given socket directory cannot work: exit 1.
rc=0
"$TW_WORKER" --handlers="$TW_HANDLERS" --lease=0.5 --heartbeat 0.1 --poll 0.25 --grace 0 --timeout 0 \
  --once --dsn "host=$TW_DIR port=1 connect_timeout=5" 2>"$TW_DIR/err" || rc=$?
[ "$rc" -eq 1 ] || fail "--once without a database should exit 1, got $rc"
grep -q "cannot connect" "$TW_DIR/err" || fail "no connection error logged"
