#!/usr/bin/env bash
# Wake-ups with shared_preload_libraries = 'triggers': the waker background
# worker notifies triggers_<queue> after a commit that queued work, when a
# worker may be waiting on it (it claimed from the queue since the last
# notification) — never for a rollback, never for a fire that queued nothing,
# never when nobody claimed.  (pg_regress's notify suite covers the
# direct-NOTIFY mode.)  Waits are bounded polls for an event.
set -uo pipefail
cd "$(dirname "$0")/../.."
PORT=${TRIGGERS_WAKEUP_PORT:-55405}
dir=$(mktemp -d /tmp/triggers-wakeup.XXXXXX); chmod 755 "$dir"
passed=0; failed=0
cleanup() {
  [ -n "${LISTENER_PID:-}" ] && kill "$LISTENER_PID" 2>/dev/null
  [ -n "${HELD_PID:-}" ] && kill "$HELD_PID" 2>/dev/null
  test/lib/cluster.sh stop "$dir/pg" immediate >/dev/null 2>&1; rm -rf "$dir"
}
trap cleanup EXIT
check() { if [ "$2" = 0 ]; then echo "ok $1"; passed=$((passed+1)); else echo "not ok $1"; failed=$((failed+1)); fi; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

test/lib/cluster.sh start "$dir/pg" "$PORT" "shared_preload_libraries = 'triggers'" "max_prepared_transactions = 2"
eval "$(test/lib/cluster.sh env "$dir/pg" "$PORT")"
export PGDATABASE=postgres
sql -c "CREATE EXTENSION triggers" -c "SELECT triggers_configure('w1', '{
  \"t\":  {\"after\": [], \"andEvery\": \"go\", \"run\": \"r\"},
  \"t2\": {\"after\": [], \"andEvery\": \"other\", \"run\": \"r\", \"using\": \"q2\"}}')" >/dev/null
[ "$(sql -c 'SELECT triggers._wake_mode()')" = waker ]; check wake_mode_is_waker $?

# A listening connection; every line it prints goes to $dir/heard.
coproc LISTENER { psql -X -q -At 2>&1; }
LISTENER_PID=$LISTENER_PID
echo "LISTEN triggers_default; LISTEN triggers_q2; SELECT 'listening';" >&"${LISTENER[1]}"
: > "$dir/heard"
until grep -q listening "$dir/heard"; do   # LISTEN must be in place before the first fire
  read -t 10 -r line <&"${LISTENER[0]}" || { echo "listener did not start"; exit 1; }
  echo "$line" >> "$dir/heard"
done
# The listener acts as an idle worker: it claims (taking whatever is queued) and
# finds nothing more, which marks both queues as waited on.
claims() {   # [QUEUES]: default,q2
  local line
  echo "SELECT 'claimed', count(*) FROM triggers_claim('listener', '{${1:-default,q2}}', 1000);" >&"${LISTENER[1]}"
  while read -t 10 -r line <&"${LISTENER[0]}"; do
    echo "$line" >> "$dir/heard"
    [[ "$line" == claimed* ]] && return 0
  done
  return 1
}
# Polls the listener (psql shows notifications after each command) until
# `pattern` has been heard `count` times, for at most 10 s.
heard() {
  local pattern=$1 count=$2 line
  for _ in $(seq 1 100); do
    echo "SELECT 'tick';" >&"${LISTENER[1]}"
    while read -t 0.1 -r line <&"${LISTENER[0]}"; do echo "$line" >> "$dir/heard"; done
    [ "$(grep -c "notification \"$pattern\"" "$dir/heard")" -ge "$count" ] && return 0
  done
  return 1
}

# Nobody has claimed yet: a commit that queues work is not worth a notification.
sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null
claims && sql -c "SELECT triggers_fire('w1', 'other')" >/dev/null
heard triggers_q2 1 && [ "$(grep -c 'notification "triggers_default"' "$dir/heard")" = 0 ]
check no_notification_while_nobody_waits $?

claims && sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null
heard triggers_default 1; check committed_fire_notifies $?
claims || exit 1

sql -c "BEGIN" -c "SELECT triggers_fire('w1', 'go')" -c "ROLLBACK" >/dev/null
sql -c "SELECT triggers_fire('w1', 'nothing-uses-this')" >/dev/null
sql -c "SELECT triggers_fire('w1', 'other')" >/dev/null
heard triggers_q2 2; check other_queue_notifies $?
[ "$(grep -c 'notification "triggers_default"' "$dir/heard")" = 1 ]
check no_notification_for_rollback_or_empty_fire $?

# Many commits at once: at least one notification, at most one per commit.
claims || exit 1
pids=()
for _ in $(seq 1 20); do sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null & pids+=($!); done
wait "${pids[@]}"   # not a bare wait: that would wait for the listener too
heard triggers_default 2; check concurrent_commits_notify $?
n=$(grep -c 'notification "triggers_default"' "$dir/heard")
[ "$n" -le 21 ]; check coalesced_at_most_one_per_commit $?

# A savepoint rolled back takes back its fire's wake-up; one released keeps it.
claims || exit 1
before_default=$(grep -c 'notification "triggers_default"' "$dir/heard")
before_q2=$(grep -c 'notification "triggers_q2"' "$dir/heard")
sql -c "BEGIN" -c "SAVEPOINT s" -c "SELECT triggers_fire('w1', 'go')" -c "ROLLBACK TO SAVEPOINT s" \
    -c "SELECT triggers_fire('w1', 'other')" -c "COMMIT" >/dev/null
heard triggers_q2 $((before_q2 + 1)) && [ "$(grep -c 'notification "triggers_default"' "$dir/heard")" = "$before_default" ]
check no_notification_for_rolled_back_savepoint $?
claims || exit 1
sql -c "BEGIN" -c "SAVEPOINT s" -c "SAVEPOINT s2" -c "SELECT triggers_fire('w1', 'go')" -c "RELEASE SAVEPOINT s2" \
    -c "RELEASE SAVEPOINT s" -c "COMMIT" >/dev/null
heard triggers_default $((before_default + 1)); check released_savepoint_notifies $?

# PREPARE TRANSACTION after a fire that queued a task is refused (0A000), as
# PostgreSQL refuses it after a NOTIFY; one that queued nothing can be prepared.
out=$(sql -v VERBOSITY=verbose -c "BEGIN" -c "SELECT triggers_fire('w1', 'go')" -c "PREPARE TRANSACTION 'p1'" 2>&1)
grep -q "0A000" <<<"$out" && [ "$(sql -c "SELECT count(*) FROM pg_prepared_xacts")" = 0 ]
check prepare_after_queueing_is_refused $?
sql -c "BEGIN" -c "SELECT triggers_fire('w1', 'nothing-uses-this')" -c "PREPARE TRANSACTION 'p2'" \
    -c "COMMIT PREPARED 'p2'" >/dev/null
check prepare_without_queueing_works $?

# The waker comes back after it is terminated.
sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'triggers waker'" >/dev/null
for _ in $(seq 1 50); do
  [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'triggers waker'")" = 0 ] && break
  sleep 0.1
done
before=$(grep -c 'notification "triggers_default"' "$dir/heard")
ok=1
for _ in $(seq 1 30); do   # the first fire after the waker died may start a new one
  claims && sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null
  if heard triggers_default $((before + 1)); then ok=0; break; fi
done
check waker_restarts_on_demand $ok

# The waker's table holds 64 queues at a time; more take the slots of the least
# recently used.  While 100 other queues churn through the table (claims, and
# transactions that hold every free slot and roll back, whole or to a
# savepoint, and must let go of them), three queues a worker waits on must
# still be woken by the waker (not by a direct NOTIFY from the firing backend):
# qa, whose slot an open transaction holds across the churn (its commit then
# wakes qa, not whichever queue took the slot); qc, which lost its slot while
# its worker waited; and qb, new to a full table.  (qa is fired in a session of
# its own: the held transaction keeps its session locked.)
sql -c "SELECT triggers_configure('wmany', (SELECT jsonb_object_agg('m' || g, jsonb_build_object(
          'after', '[]'::jsonb, 'andEvery', 'go' || g, 'run', 'r', 'using', 'qm' || g)) FROM generate_series(1, 100) g)
        || (SELECT jsonb_object_agg('t' || x, jsonb_build_object('after', '[]'::jsonb, 'andEvery', 'go' || x,
                                    'run', 'r', 'using', 'q' || x)) FROM unnest('{b,c}'::text[]) x))" \
    -c "SELECT triggers_configure('wheld', '{\"ta\": {\"after\": [], \"andEvery\": \"goa\", \"run\": \"r\", \"using\": \"qa\"}}')" >/dev/null
echo "LISTEN triggers_qa; LISTEN triggers_qb; LISTEN triggers_qc;" >&"${LISTENER[1]}"
mkfifo "$dir/held.in"
psql -X -q -At < "$dir/held.in" > "$dir/held.out" 2>&1 &
HELD_PID=$!
exec 7> "$dir/held.in"
held_open() {   # the held transaction has fired goa and waits
  for _ in $(seq 1 100); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%goa%'")" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}
ok=1
claims qa,qc && echo "BEGIN; SELECT triggers_fire('wheld', 'goa');" >&7 && held_open \
  && sql -c "SELECT count(*) FROM triggers_claim('w', (SELECT array_agg('qm' || g) FROM generate_series(1, 100) g), 1)" >/dev/null \
  && sql -c "BEGIN" -c "SELECT count(triggers_fire('wmany', 'go' || g)) FROM generate_series(1, 100) g" -c "ROLLBACK" \
         -c "BEGIN" -c "SAVEPOINT s" -c "SELECT count(triggers_fire('wmany', 'go' || g)) FROM generate_series(1, 100) g" \
         -c "ROLLBACK TO SAVEPOINT s" -c "COMMIT" >/dev/null \
  && echo "COMMIT;" >&7 && exec 7>&- && wait "$HELD_PID" \
  && sql -c "SELECT triggers_fire('wmany', 'gob')" -c "SELECT triggers_fire('wmany', 'goc')" >/dev/null \
  && heard triggers_qa 1 && heard triggers_qb 1 && heard triggers_qc 1 && {
  waker=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = 'postgres'")
  senders=$(grep -o 'notification "triggers_q[abc]" received from server process with PID [0-9]*' "$dir/heard" | awk '{ print $NF }' | sort -u)
  [ -n "$waker" ] && [ "$senders" = "$waker" ] && ok=0
}
exec 7>&-
check queues_beyond_the_table_are_woken_by_the_waker $ok

# The waker stays connected to its database; statements that need the database
# to themselves (DROP, RENAME, CREATE ... TEMPLATE) ask it to leave first instead
# of failing with "being accessed by other users".
waker_in() {   # DB: waits (at most 10 s) until a waker serves DB
  for _ in $(seq 1 100); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = '$1'")" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}
start_waker_in() {   # DB: a claim marks the queue waited on; a fire then starts the waker
  sql -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS triggers" \
    -c "SELECT triggers_configure('s', '{\"t\": {\"after\": [], \"andEvery\": \"go\", \"run\": \"r\"}}')" \
    -c "SELECT count(*) FROM triggers_claim('w', '{default}', 10)" -c "SELECT triggers_fire('s', 'go')" >/dev/null
  waker_in "$1"
}
ok=1
sql -c "CREATE DATABASE wk1" && start_waker_in wk1 && sql -c "ALTER DATABASE wk1 RENAME TO wk2" \
  && start_waker_in wk2 && sql -c "CREATE DATABASE wk3 TEMPLATE wk2" \
  && start_waker_in wk2 && sql -c "DROP DATABASE wk2" -c "DROP DATABASE wk3" && ok=0
check database_statements_stop_the_waker $ok

# Someone who may not drop (or copy: not its owner, and not a template) a
# database does not stop its waker by trying.
ok=1
sql -c "CREATE ROLE wk_nobody LOGIN" -c "CREATE DATABASE wk4" && start_waker_in wk4 && {
  pid=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = 'wk4'")
  ! sql -U wk_nobody -c "DROP DATABASE wk4" 2>/dev/null && sleep 0.5 \
    && [ "$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = 'wk4'")" = "$pid" ] \
    && sql -c "ALTER ROLE wk_nobody CREATEDB" && ! sql -U wk_nobody -c "CREATE DATABASE wk5 TEMPLATE wk4" 2>/dev/null \
    && sleep 0.5 \
    && [ "$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = 'wk4'")" = "$pid" ] \
    && sql -c "DROP DATABASE wk4" && ok=0
}
check failed_drop_or_copy_keeps_the_waker $ok

# A waker idle for triggers.waker_idle_timeout leaves (freeing its background
# worker slot), and the next fire that queues work for a waiting worker starts
# another, whose notification arrives.
wakers() { sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'triggers waker' AND datname = 'postgres'"; }
ok=1
claims && sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null && [ "$(wakers)" = 1 ] \
  && sql -c "ALTER SYSTEM SET triggers.waker_idle_timeout = 1" -c "SELECT pg_reload_conf()" >/dev/null && {
  for _ in $(seq 1 100); do [ "$(wakers)" = 0 ] && break; sleep 0.1; done
  before=$(grep -c 'notification "triggers_default"' "$dir/heard")
  [ "$(wakers)" = 0 ] && claims && sql -c "SELECT triggers_fire('w1', 'go')" >/dev/null \
    && heard triggers_default $((before + 1)) && ok=0
}
sql -c "ALTER SYSTEM RESET triggers.waker_idle_timeout" -c "SELECT pg_reload_conf()" >/dev/null
check idle_waker_leaves_and_comes_back $ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
