#!/usr/bin/env bash
# Crash safety (issue 4, item 1).
#
# With fsync on and shared_preload_libraries = 'triggers', a mixed load runs:
#   - CLIENTS fire_client processes (test/stress/fire_client.cpp) fire a, b and c
#     into SESSIONS sessions in small transactions (1-3 fires, sometimes two
#     sessions, 5% rolled back on purpose, odd sessions started lazily by the
#     clients), each logging every fire whose COMMIT it saw succeed;
#   - two handler workers (queue "h": tasks t1 and t2, the handlers record every
#     run and return {"done": TASK}) and two --noop workers (queue "default":
#     t3), all with a 2 s lease;
#   - a "ghost" that claims a task or two every 0.3 s and never answers.
# The workflow:  t1 after [a, b];  t2 after [t1];  t3 after [t2] andEvery c.
# CYCLES times: after LOAD seconds, one worker is killed with SIGKILL (its
# leases are orphaned) and PostgreSQL is stopped with pg_ctl -m immediate, then
# restarted while clients and workers reconnect.  After each restart:
#   - every fire a client saw committed is in triggers.event (session, trigger, kwargs);
#   - no cascade ran twice: per session at most one t1 and one t2 event, and as
#     many events of each task as finished instances of it;
#   - every instance that was running at the crash is answered late by its
#     worker or delivered again once its lease expired, within a bounded wait
#     (checked while the load goes on, before the next crash): none is stuck.
# At the end: the load stops, every session is started, everything drains
# (bounded wait), and besides the checks above
#   - every a/b/c event was attempted by a client, none was rolled back;
#   - every finished t1/t2 ran its handler (at least once);
#   - the final state matches a direct model of the workflow computed from the
#     committed fires, and equals a single-threaded replay of them (in event
#     order, into a fresh database, each fire's tasks and cascades answered
#     before the next fire): statuses, kwargs, abandon states, results and
#     latest_kwargs of every session;
#   - a worker that polls every 600 s is woken by NOTIFY (the waker survived).
# Prints the figures; exits non-zero on any violation.
#   STRESS_CYCLES STRESS_CLIENTS STRESS_SESSIONS STRESS_RATE STRESS_LOAD_SECONDS
#   STRESS_SEED STRESS_CRASH_PORT (55561) change the defaults below.
. "$(dirname "$0")/lib.sh"

CYCLES=${STRESS_CYCLES:-5}
SESSIONS=${STRESS_SESSIONS:-500}
CLIENTS=${STRESS_CLIENTS:-4}
RATE=${STRESS_RATE:-100}            # transactions per second per client (at most)
LOAD=${STRESS_LOAD_SECONDS:-5}      # seconds of load before each crash
SEED=${STRESS_SEED:-$$}
LEASE=2

st_setup "${STRESS_CRASH_PORT:-55561}" "shared_preload_libraries = 'triggers'" "max_wal_size = 1GB" \
  "log_min_messages = warning" "checkpoint_timeout = 30s"
build_client
log "crash test: $CYCLES crashes, $CLIENTS clients (at most $RATE transactions/s each), $SESSIONS sessions, seed $SEED"

WORKFLOW='{
  "t1": {"after": ["a", "b"], "run": "stress.t1", "using": "h"},
  "t2": {"after": ["t1"], "run": "stress.t2", "using": "h"},
  "t3": {"after": ["t2"], "andEvery": "c", "run": "stress.t3"}
}'
DB=stress
q "CREATE DATABASE $DB"
export PGDATABASE=$DB
q "CREATE EXTENSION triggers" "CREATE SCHEMA stress_check"
q "SELECT triggers_load_workflow('stress', \$\$${WORKFLOW}\$\$)"
# even sessions are configured now; odd ones later, by the clients or at the end
q "SELECT count(triggers_start('s' || i, 'stress')) FROM generate_series(0, $SESSIONS - 1, 2) AS i" >/dev/null

# handlers for t1 and t2: record the run, return {"done": TASK}
mkdir -p "$ST_DIR/handlers" "$ST_DIR/fires"
for t in t1 t2; do
  cat >"$ST_DIR/handlers/stress.$t" <<'EOF'
#!/bin/sh
cat >/dev/null
printf '%s\t%s\t%s\t%s\n' "$TRIGGERS_SESSION" "$TRIGGERS_INSTANCE" "$TRIGGERS_ATTEMPT" "$TRIGGERS_TASK_ID" >>"$STRESS_RUNS"
printf '{"done": "%s"}\n' "$TRIGGERS_TASK"
EOF
  chmod 755 "$ST_DIR/handlers/stress.$t"
done
export STRESS_RUNS=$ST_DIR/runs.tsv
: >"$STRESS_RUNS"

declare -A WPID
start_worker() {   # start_worker SLOT (h1, h2: handlers on queue h; n1, n2: --noop on default)
  local slot=$1 gen=${2:-0}
  case $slot in
    h*) "$ST_WORKER" --name "$slot.$gen" --handlers "$ST_DIR/handlers" --queue h --concurrency 2 \
          --lease $LEASE --poll 0.5 --timeout 60 2>>"$ST_DIR/worker-$slot.log" & ;;
    n*) "$ST_WORKER" --name "$slot.$gen" --noop --concurrency 10 \
          --lease $LEASE --poll 0.5 2>>"$ST_DIR/worker-$slot.log" & ;;
  esac
  WPID[$slot]=$!
  ST_PIDS+=("$!")
}
for s in h1 h2 n1 n2; do start_worker $s; done

CPIDS=()
for i in $(seq 1 "$CLIENTS"); do
  "$ST_DIR/fire_client" --dsn "dbname=$DB" --id "$i" --sessions "$SESSIONS" --prefix s --out "$ST_DIR/fires" \
    --seed "$SEED" --rate "$RATE" >"$ST_DIR/client.$i.out" 2>"$ST_DIR/client.$i.log" &
  CPIDS+=("$!")
  ST_PIDS+=("$!")
done
# a "ghost" worker that claims a task or two every 0.3 s and never answers, as a
# worker that dies right after its claim: its leases must expire and the tasks
# be delivered again
(
  while :; do
    psql -XAtq -c "SELECT count(*) FROM triggers_claim('ghost', '{default,h}', 2, '$LEASE s')" 2>/dev/null
    sleep 0.3
  done
) >"$ST_DIR/ghost.out" &
GHOST=$!
ST_PIDS+=("$GHOST")
t_load=$SECONDS

# --- checks -----------------------------------------------------------------
# Every fire whose COMMIT a client saw is in triggers.event.  Sets COMMITTED.
check_committed() {
  complete_lines "$ST_DIR"/fires/committed.* >"$ST_DIR/committed.tsv"
  local out
  out=$(q "CREATE TEMP TABLE c (session text, trigger text, kwargs jsonb)" \
          "\\copy c FROM '$ST_DIR/committed.tsv'" \
          "SELECT count(*), count(*) FILTER (WHERE e.session IS NULL) FROM c
           LEFT JOIN triggers.event AS e USING (session, trigger, kwargs)")
  local n=${out%%$'\t'*} missing=${out##*$'\t'}
  if [ "$missing" != 0 ]; then
    q "CREATE TEMP TABLE c (session text, trigger text, kwargs jsonb)" \
      "\\copy c FROM '$ST_DIR/committed.tsv'" \
      "SELECT c.* FROM c LEFT JOIN triggers.event AS e USING (session, trigger, kwargs)
       WHERE e.session IS NULL LIMIT 20" >&2
    fail "$missing of $n committed fires are missing from triggers.event"
  fi
  COMMITTED=$n
}

# No cascade ran twice.
check_cascades() {
  local bad
  bad=$(q "WITH ev AS (SELECT session, trigger AS task, count(*) AS n FROM triggers.event
                       WHERE trigger IN ('t1', 't2', 't3') GROUP BY 1, 2),
                fin AS (SELECT session, task, count(*) AS n FROM triggers.instance
                        WHERE status = 'finished' GROUP BY 1, 2)
           SELECT session, task, ev.n AS events, fin.n AS finished FROM ev FULL JOIN fin USING (session, task)
           WHERE coalesce(ev.n, 0) <> coalesce(fin.n, 0) OR (task IN ('t1', 't2') AND ev.n > 1)
           UNION ALL
           SELECT session, task || '#' || n, NULL, NULL FROM triggers.instance
           WHERE task IN ('t1', 't2') AND n > 0
           LIMIT 20")
  [ -z "$bad" ] || fail "a cascade ran twice (session, task, events, finished instances):
$bad"
}

# Right after a restart: remember the instances that were running at the crash.
snapshot_running() {
  q "SET client_min_messages = warning" "DROP TABLE IF EXISTS stress_check.running" \
    "CREATE TABLE stress_check.running AS
     SELECT q.task_id, q.session, q.task, q.n, q.visible_at AS lease_end FROM triggers.queue AS q
     WHERE q.worker IS NOT NULL"
}
# Later (the load goes on meanwhile): each of them must have been answered or
# delivered again, within a bounded wait.  Adds to TOTAL_RUNNING, TOTAL_REDELIVERED.
check_not_stuck() {
  local stuck="SELECT count(*) FROM stress_check.running AS r
               JOIN triggers.instances AS i USING (session, task, n)
               WHERE i.status = 'running' AND i.task_id = r.task_id"
  local t0=$SECONDS
  if ! wait_for 90 "SELECT ($stuck) = 0"; then
    q "SELECT r.*, now() FROM stress_check.running AS r JOIN triggers.instances AS i USING (session, task, n)
       WHERE i.status = 'running' AND i.task_id = r.task_id LIMIT 10" >&2
    fail "$(q "$stuck") instances running at the crash were neither answered nor delivered again within 90 s"
  fi
  local counts
  counts=$(q "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT FROM triggers.stale_delivery AS d
                                                             WHERE d.task_id = r.task_id))
             FROM stress_check.running AS r")
  RUNNING=${counts%%$'\t'*}
  REDELIVERED=${counts##*$'\t'}
  TOTAL_RUNNING=$((TOTAL_RUNNING + RUNNING))
  TOTAL_REDELIVERED=$((TOTAL_REDELIVERED + REDELIVERED))
  WAITED=$((SECONDS - t0))
}

# --- the crash cycles ---------------------------------------------------------
kill_order=(n1 h1 n2 h2)
TOTAL_RUNNING=0
TOTAL_REDELIVERED=0
downtime=0
for cycle in $(seq 1 "$CYCLES"); do
  sleep "$LOAD"
  if [ "$cycle" -gt 1 ]; then
    check_not_stuck
    log "  of the $RUNNING instances running at crash $((cycle - 1)), $REDELIVERED were delivered again" \
        "after their lease expired, the others answered late by their worker; none stuck (waited ${WAITED}s)"
  fi
  slot=${kill_order[$(((cycle - 1) % 4))]}
  kill -9 "${WPID[$slot]}" 2>/dev/null || true
  wait "${WPID[$slot]}" 2>/dev/null || true
  start_worker "$slot" "$cycle"
  sleep 0.3
  t0=$SECONDS
  "$ST_CLUSTER" stop "$ST_DIR/pg" immediate
  sleep 1
  "$ST_CLUSTER" restart "$ST_DIR/pg"
  downtime=$((downtime + SECONDS - t0))
  snapshot_running
  check_committed
  check_cascades
  log "crash $cycle/$CYCLES (worker $slot killed -9 too): the $COMMITTED fires committed so far are all" \
      "there; no double cascade; $(q "SELECT count(*) FROM stress_check.running") instances running"
done

# --- the end: stop the load, configure every session, drain -------------------
sleep "$LOAD"
check_not_stuck
log "  of the $RUNNING instances running at crash $CYCLES, $REDELIVERED were delivered again" \
    "after their lease expired, the others answered late by their worker; none stuck"
for pid in "${CPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
kill "$GHOST" 2>/dev/null || true
for pid in "${CPIDS[@]}"; do wait "$pid" || fail "a client exited with an error"; done
load_seconds=$((SECONDS - t_load))
wait "$GHOST" 2>/dev/null || true
log "load stopped after ${load_seconds}s:"
cat "$ST_DIR"/client.*.out | sed 's/^/    /'
# every session gets its workflow (a no-op for the started ones)
for i in $(seq 0 $((SESSIONS - 1))); do echo "SELECT triggers_start('s$i', 'stress');"; done \
  | psql -XAtq -v ON_ERROR_STOP=1 >/dev/null || fail "triggers_start failed"
drained="SELECT NOT EXISTS (SELECT FROM triggers.queue)
            AND NOT EXISTS (SELECT FROM triggers.instance WHERE status IN ('scheduled', 'running'))"
t_drain=$SECONDS
wait_for 240 "$drained" || fail "not drained after 240 s: $(q "SELECT status, count(*) FROM triggers.instance GROUP BY 1")"
log "drained in $((SECONDS - t_drain))s"
total_seconds=$((SECONDS - t_load))
for s in h1 h2 n1 n2; do kill -TERM "${WPID[$s]}" 2>/dev/null || true; done
for s in h1 h2 n1 n2; do
  wait "${WPID[$s]}" || fail "worker $s exited with status $?"
done

# --- final checks ---------------------------------------------------------------
log "final checks"
check_committed
committed=$COMMITTED
check_cascades
complete_lines "$ST_DIR"/fires/attempted.* >"$ST_DIR/attempted.tsv"
complete_lines "$ST_DIR"/fires/rolledback.* >"$ST_DIR/rolledback.tsv"
complete_lines "$ST_DIR"/fires/unknown.* >"$ST_DIR/unknown.tsv"
out=$(q \
  "CREATE TEMP TABLE a (session text, trigger text, kwargs jsonb)" \
  "CREATE TEMP TABLE r (LIKE a)" "CREATE TEMP TABLE u (LIKE a)" \
  "\\copy a FROM '$ST_DIR/attempted.tsv'" \
  "\\copy r FROM '$ST_DIR/rolledback.tsv'" \
  "\\copy u FROM '$ST_DIR/unknown.tsv'" \
  "SELECT (SELECT count(*) FROM triggers.event AS e WHERE trigger IN ('a', 'b', 'c')
             AND NOT EXISTS (SELECT FROM a WHERE (a.session, a.trigger, a.kwargs) = (e.session, e.trigger, e.kwargs))),
          (SELECT count(*) FROM r JOIN triggers.event AS e USING (session, trigger, kwargs)),
          (SELECT count(*) FROM u),
          (SELECT count(*) FROM u JOIN triggers.event AS e USING (session, trigger, kwargs))")
read -r phantom rolled unknown unknown_in <<<"$out"
[ "$phantom" = 0 ] || fail "$phantom events were never fired by a client"
[ "$rolled" = 0 ] || fail "$rolled fires of rolled-back transactions are in triggers.event"
bad=$(q "SELECT status, count(*) FROM triggers.instance WHERE status NOT IN ('finished', 'unstarted') GROUP BY 1")
[ -z "$bad" ] || fail "unexpected statuses: $bad"

# every finished t1/t2 ran its handler at least once; count the extra runs
out=$(q "CREATE TEMP TABLE runs (session text, instance text, attempt int, task_id bigint)" \
  "\\copy runs FROM '$STRESS_RUNS'" \
  "SELECT (SELECT count(*) FROM triggers.instance WHERE task IN ('t1', 't2') AND status = 'finished'),
          (SELECT count(*) FROM triggers.instance AS i WHERE i.task IN ('t1', 't2') AND i.status = 'finished'
             AND NOT EXISTS (SELECT FROM runs WHERE runs.session = i.session AND runs.instance = i.task || '#' || i.n)),
          (SELECT count(*) - count(DISTINCT (session, instance)) FROM runs)")
read -r handled missing_runs extra_runs <<<"$out"
[ "$missing_runs" = 0 ] || fail "$missing_runs finished t1/t2 instances have no recorded handler run"

# A direct model of this workflow, from the committed a/b/c fires in event order:
#   t1 exists iff a or b fired; finished iff both, with kwargs {a: first a, b: first b};
#   t2 finished iff t1 finished;  t3 has one instance per c fire (one if t2 ran and no c),
#   finished iff t2 finished, t3#k with kwargs {t2: {"done": "t2"}, c: k-th c}.
model_bad=$(q "
  WITH f AS (SELECT session, trigger, kwargs, row_number() OVER (PARTITION BY session, trigger ORDER BY seq) AS k
             FROM triggers.event WHERE trigger IN ('a', 'b', 'c')),
  s AS (SELECT x.session,
               min(f.kwargs::text) FILTER (WHERE f.trigger = 'a' AND f.k = 1)::jsonb AS a1,
               min(f.kwargs::text) FILTER (WHERE f.trigger = 'b' AND f.k = 1)::jsonb AS b1,
               count(*) FILTER (WHERE f.trigger = 'c') AS nc
        FROM triggers.session AS x LEFT JOIN f USING (session) GROUP BY x.session),
  want AS (
    SELECT session, 't1' AS task, 0::bigint AS n,
           CASE WHEN a1 IS NOT NULL AND b1 IS NOT NULL THEN 'finished' ELSE 'unstarted' END AS status,
           jsonb_strip_nulls(jsonb_build_object('a', a1, 'b', b1)) AS kwargs
    FROM s WHERE a1 IS NOT NULL OR b1 IS NOT NULL
    UNION ALL
    SELECT session, 't2', 0, 'finished', '{\"t1\": {\"done\": \"t1\"}}' FROM s WHERE a1 IS NOT NULL AND b1 IS NOT NULL
    UNION ALL
    SELECT s.session, 't3', f.k - 1, CASE WHEN a1 IS NOT NULL AND b1 IS NOT NULL THEN 'finished' ELSE 'unstarted' END,
           CASE WHEN a1 IS NOT NULL AND b1 IS NOT NULL THEN '{\"t2\": {\"done\": \"t2\"}}' ELSE '{}' END::jsonb
             || jsonb_build_object('c', f.kwargs)
    FROM s JOIN f ON f.session = s.session AND f.trigger = 'c'
    UNION ALL
    SELECT session, 't3', 0, 'unstarted', '{\"t2\": {\"done\": \"t2\"}}' FROM s
    WHERE a1 IS NOT NULL AND b1 IS NOT NULL AND nc = 0),
  got AS (SELECT session, task, n::bigint, status, kwargs FROM triggers.instance)
  SELECT 'want', * FROM (TABLE want EXCEPT TABLE got) AS w
  UNION ALL SELECT 'got', * FROM (TABLE got EXCEPT TABLE want) AS g
  LIMIT 20")
[ -z "$model_bad" ] || fail "the final state differs from the model of the workflow:
$model_bad"

# Single-threaded replay into a fresh database on the same cluster.
log "replay"
q -d postgres "CREATE DATABASE replay"
q -d replay "CREATE EXTENSION triggers" "SELECT triggers_load_workflow('stress', \$\$${WORKFLOW}\$\$)"
q "\\copy (SELECT session, trigger, seq, kwargs FROM triggers.event WHERE trigger IN ('a', 'b', 'c') ORDER BY session, seq) TO '$ST_DIR/events.tsv'"
t_replay=$SECONDS
q -d replay "CREATE TEMP TABLE ev (session text, trigger text, seq bigint, kwargs jsonb)" \
  "\\copy ev FROM '$ST_DIR/events.tsv'" \
  "SELECT count(triggers_start('s' || i, 'stress')) FROM generate_series(0, $SESSIONS - 1) AS i" \
  "DO \$\$ DECLARE r record; t record; prev text; BEGIN
     FOR r IN SELECT * FROM ev ORDER BY session, seq LOOP
       IF r.session IS DISTINCT FROM prev THEN COMMIT; prev := r.session; END IF;
       PERFORM triggers_fire(r.session, r.trigger, r.kwargs);
       LOOP   -- a single worker answers every task before the next fire, as the workers answer
         SELECT * INTO t FROM triggers_claim('replay', '{default,h}', 1, '1 hour');
         EXIT WHEN NOT FOUND;
         PERFORM triggers_finish(t.task_id, CASE WHEN t.queue = 'h' THEN jsonb_build_object('done', t.task)
                                                 ELSE '{}' END);
       END LOOP;
     END LOOP;
   END \$\$" >/dev/null
replay_seconds=$((SECONDS - t_replay))
log "replayed in ${replay_seconds}s; comparing"
normalized="SELECT s.session,
  coalesce((SELECT jsonb_object_agg(e.key, jsonb_build_object(
             'status', e.value -> 'status', 'kwargs', e.value -> 'kwargs',
             'abandonState', e.value -> 'abandonState', 'result', e.value -> 'metadata' -> 'result',
             'depth', e.value -> 'metadata' -> 'depth', 'parent', e.value -> 'metadata' -> 'parent'))
            FROM jsonb_each(st -> 'instances') AS e), '{}'),
  st -> 'metadata' -> 'latest_kwargs'
  FROM triggers.session AS s, LATERAL triggers_state(s.session) AS st ORDER BY s.session"
q "$normalized" >"$ST_DIR/state.stress"
q -d replay "$normalized" >"$ST_DIR/state.replay"
if ! cmp -s "$ST_DIR/state.stress" "$ST_DIR/state.replay"; then
  diff "$ST_DIR/state.stress" "$ST_DIR/state.replay" | head -n 20 >&2
  fail "$(diff "$ST_DIR/state.stress" "$ST_DIR/state.replay" | grep -c '^<') sessions differ from the replay"
fi
nsessions=$(wc -l <"$ST_DIR/state.stress")

# After the crashes, LISTEN/NOTIFY still wakes workers (through the waker
# background worker): a worker that polls only every 10 minutes gets a task
# within seconds of its fire.  (After the comparisons: this adds a session.)
[ "$(q "SELECT triggers._wake_mode()")" = waker ] || fail "the waker is not in use after the restarts"
"$ST_WORKER" --name wake --noop --queue wake --poll 600 --lease 60 2>"$ST_DIR/worker-wake.log" &
wake_pid=$!
ST_PIDS+=("$wake_pid")
for _ in $(seq 1 40); do grep -q "connected" "$ST_DIR/worker-wake.log" && break; sleep 0.5; done
sleep 1   # the worker has made its first claim and waits for a notification
q "SELECT triggers_configure('wake-check', '{\"w\": {\"after\": [\"go\"], \"run\": \"r\", \"using\": \"wake\"}}')" \
  "SELECT triggers_fire('wake-check', 'go')" >/dev/null
wait_for 20 "SELECT status = 'finished' FROM triggers.instances WHERE session = 'wake-check'" \
  || fail "a worker listening on triggers_wake was not woken after the crashes"
kill -TERM "$wake_pid"
wait "$wake_pid" || fail "the wake worker exited with status $?"

# --- figures --------------------------------------------------------------------
out=$(q "SELECT (SELECT count(*) FROM triggers.event WHERE trigger IN ('a', 'b', 'c')),
                                            (SELECT count(*) FROM triggers.event),
                                            (SELECT count(*) FROM triggers.instance WHERE status = 'finished' AND session <> 'wake-check')")
read -r nfires nevents ntasks <<<"$out"
ghost=$(awk '{s += $1} END {print s + 0}' "$ST_DIR/ghost.out")
ghost_stale=$(q "SELECT count(*) FROM triggers.stale_delivery")
[ "$ghost_stale" -gt 0 ] || fail "no task was delivered again: the lease expiry path was not exercised"
txns=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^txns=/) {split($i, a, "="); s += a[2]}} END {print s}' "$ST_DIR"/client.*.out)
echo
echo "crash test figures (seed $SEED):"
echo "  load: $CLIENTS clients, $SESSIONS sessions, ${load_seconds}s including ${downtime}s of downtime;"
echo "        $committed fires committed in $txns transactions ($((committed / load_seconds)) fires/s overall,"
echo "        $((committed / (load_seconds - downtime))) fires/s while the server was up);"
echo "        $ntasks tasks finished in ${total_seconds}s ($((ntasks / total_seconds)) tasks/s), $nevents events"
echo "  crashes survived: $CYCLES (pg_ctl stop -m immediate, a worker killed -9 each time)"
echo "  instances running at the crashes: $TOTAL_RUNNING, delivered again after their lease: $TOTAL_REDELIVERED;"
echo "        handler runs repeated (at least once delivery): $extra_runs; cascades repeated: 0"
echo "  tasks claimed by a worker that never answers: $ghost, all delivered again ($ghost_stale deliveries in all replaced after their lease expired)"
echo "  commits with a lost outcome: $unknown fires, $unknown_in of them committed (both are fine)"
echo "  lost: 0 of $committed committed fires; phantom events: 0; rolled-back fires present: 0"
echo "  after the crashes a worker polling every 600 s was woken by NOTIFY (waker background worker)"
echo "  final state = model = single-threaded replay ($nfires fires replayed in ${replay_seconds}s) for all $nsessions sessions"
echo "FIGURES crash fires=$committed fires_per_s=$((committed / load_seconds)) tasks=$ntasks tasks_per_s=$((ntasks / total_seconds)) crashes=$CYCLES running_at_crash=$TOTAL_RUNNING redelivered=$TOTAL_REDELIVERED lost=0"
