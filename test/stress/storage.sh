#!/usr/bin/env bash
# Bounded storage (issue 4, item 5).
#
# A "1-hour equivalent" load, compressed: ROUNDS rounds (each standing for
# 5 minutes of traffic).  In each round SESSIONS new sessions start a workflow
# and fire their triggers while two --noop workers run the tasks; a "flaky"
# task fails on its first attempt and is retried automatically (maxRetries);
# a worker that never answers claims a few tasks (their leases expire and they
# are delivered again); one session in ten waits for its trigger b until the
# next round (it stays unresolved across one purge).  Then, once everything
# has drained:
#   - triggers.queue holds no row of finished work (it is empty);
#   - triggers_purge('0') removes every resolved session, keeps the waiting ones;
#   - after VACUUM, the size of every triggers.* table (pg_total_relation_size:
#     heap, indexes, TOAST) is recorded with its rows and dead tuples.
# Storage must stay flat: the same number of rows is left after every purge,
# and from round 5 on (after the warm-up rounds) no table (give or take
# 64 kB), nor their total, is more than 1.2 times its largest size in rounds 2-4.
#   STRESS_ROUNDS (12), STRESS_ROUND_SESSIONS (300), STRESS_STORAGE_PORT (55562).
# A table of the figures is printed.  Then, separately, triggers_purge keeps
# sessions with unresolved instances (unstarted, scheduled, running, failed)
# and sessions with recent activity (a fire, an answer, a configuration), and
# removes an idle resolved session with every row it had.
. "$(dirname "$0")/lib.sh"

ROUNDS=${STRESS_ROUNDS:-12}
SESSIONS=${STRESS_ROUND_SESSIONS:-300}
[ "$ROUNDS" -ge 6 ] || { echo "STRESS_ROUNDS must be at least 6" >&2; exit 2; }

st_setup "${STRESS_STORAGE_PORT:-55562}" "shared_preload_libraries = 'triggers'" "max_wal_size = 1GB" \
  "autovacuum_naptime = 5s"
log "storage test: $ROUNDS rounds of $SESSIONS new sessions"
q "CREATE DATABASE storage"
export PGDATABASE=storage
q "CREATE EXTENSION triggers"
q "SELECT triggers_load_workflow('st', \$\$
{
  \"t1\": {\"after\": [\"a\", \"b\"], \"run\": \"st.t1\"},
  \"t2\": {\"after\": [\"t1\"], \"run\": \"st.t2\", \"withParams\": {\"cfg\": {\"depth\": 1}}},
  \"t3\": {\"after\": [\"t2\"], \"andEvery\": \"c\", \"run\": \"st.t3\"},
  \"flaky\": {\"after\": [\"t1\"], \"run\": \"st.flaky\", \"using\": \"flaky\", \"maxRetries\": 1, \"retryDelay\": 0.1},
  \"cancelled\": {\"after\": [\"never\"], \"unless\": [\"b\"], \"run\": \"st.never\"}
}\$\$)"

for i in 1 2; do
  "$ST_WORKER" --name "noop$i" --noop --concurrency 20 --lease 5 --poll 0.5 2>>"$ST_DIR/worker-noop$i.log" &
  ST_PIDS+=("$!")
done

# the flaky queue, answered in SQL: the first instance fails (its automatic
# retry is scheduled 0.1 s later), the retry finishes
FLAKY="SELECT count(CASE WHEN instance LIKE '%#0' THEN triggers_fail(task_id, '{\"type\": \"Flaky\"}')::text
                         ELSE triggers_finish(task_id)::text END)
       FROM triggers_claim('flaky-worker', '{flaky}', 1000)"
DRAINED="SELECT NOT EXISTS (SELECT FROM triggers.instance WHERE status IN ('scheduled', 'running', 'failed'))"

# per-table figures: name, total size, rows, dead tuples
TABLES="SELECT c.relname, pg_total_relation_size(c.oid),
               (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass),
                                                    false, true, '')))[1]::text::bigint,
               s.n_dead_tup
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = 'triggers'
        JOIN pg_stat_user_tables AS s ON s.relid = c.oid
        WHERE c.relkind = 'r' ORDER BY c.relname"
tables=$(q "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname = 'triggers'")
vacuum_list=$(q "SELECT string_agg('triggers.' || relname, ', ' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname = 'triggers'")

fires_total=0
tasks_total=0
t_start=$SECONDS
: >"$ST_DIR/figures.tsv"
for r in $(seq 1 "$ROUNDS"); do
  t0=$SECONDS
  # the round's sessions (one transaction each), then the previous round's stragglers
  q "DO \$\$
     DECLARE s text;
     BEGIN
       FOR i IN 0 .. $SESSIONS - 1 LOOP
         s := 'r$r-' || i;
         PERFORM triggers_start(s, 'st');
         PERFORM triggers_fire(s, 'a', jsonb_build_object('i', i, 'note', repeat('a', 200)));
         IF i % 10 <> 0 THEN
           PERFORM triggers_fire(s, 'b', jsonb_build_object('i', i));
         END IF;
         FOR k IN 1 .. 1 + i % 3 LOOP
           PERFORM triggers_fire(s, 'c', jsonb_build_object('k', k, 'doc', repeat('c', 300)));
         END LOOP;
         COMMIT;
         IF i = $SESSIONS / 2 THEN   -- a worker that claims and dies
           PERFORM count(*) FROM triggers_claim('ghost', '{default}', 10, '1 s');
           COMMIT;
         END IF;
       END LOOP;
       FOR i IN 0 .. $SESSIONS - 1 BY 10 LOOP
         EXIT WHEN $r = 1;
         PERFORM triggers_fire('r$((r - 1))-' || i, 'b', jsonb_build_object('i', i, 'late', true));
         COMMIT;
       END LOOP;
     END \$\$"
  t_fired=$SECONDS
  # drain: the noop workers run in the background; answer the flaky queue here
  deadline=$((SECONDS + 180))
  while [ "$(q "$DRAINED")" != t ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "round $r did not drain: $(q "SELECT status, count(*) FROM triggers.instance GROUP BY 1")"
    q "$FLAKY" >/dev/null
    sleep 0.2
  done
  queue_rows=$(q "SELECT count(*) FROM triggers.queue")
  [ "$queue_rows" = 0 ] || fail "round $r: $queue_rows rows left in triggers.queue after everything was answered"
  counts=$(q "SELECT (SELECT count(*) FROM triggers.event), (SELECT count(*) FROM triggers.instance WHERE status = 'finished')")
  fires_total=$((fires_total + ${counts%%$'\t'*}))
  tasks_total=$((tasks_total + ${counts##*$'\t'}))
  sessions_before=$(q "SELECT count(*) FROM triggers.session")
  purged=$(q "SELECT triggers_purge('0')")
  kept=$(q "SELECT count(*) FROM triggers.session")
  # the kept sessions are exactly this round's stragglers (t1 waits for b)
  wrong=$(q "SELECT count(*) FROM triggers.session AS s
             WHERE NOT (s.session LIKE 'r$r-%' AND split_part(s.session, '-', 2)::int % 10 = 0)
                OR NOT EXISTS (SELECT FROM triggers.instance AS i
                               WHERE i.session = s.session AND i.task = 't1' AND i.status = 'unstarted')")
  [ "$wrong" = 0 ] || fail "round $r: triggers_purge kept $wrong sessions it should have removed"
  [ "$kept" = $(((SESSIONS + 9) / 10)) ] || fail "round $r: $kept sessions kept, want $(((SESSIONS + 9) / 10))"
  t_drained=$SECONDS
  # (the purging backend has exited: its statistics are in the shared counters)
  dead_before=$(q "SELECT sum(n_dead_tup) FROM pg_stat_user_tables WHERE schemaname = 'triggers'")
  q "VACUUM (ANALYZE) $vacuum_list"   # every table of the schema (a view would only be skipped)
  q "$TABLES" | awk -v r="$r" -v p="$purged" -v k="$kept" -v d="$dead_before" -v qr="$queue_rows" -v s="$((SECONDS - t0))" \
    'BEGIN {OFS = "\t"} {print r, p, k, d, qr, s, $1, $2, $3, $4}' >>"$ST_DIR/figures.tsv"
  log "round $r: ${counts%%$'\t'*} events, ${counts##*$'\t'} tasks finished; purged $purged of $sessions_before sessions," \
      "kept $kept; $dead_before dead tuples before VACUUM; $((SECONDS - t0))s" \
      "(fire $((t_fired - t0))s, drain+purge $((t_drained - t_fired))s)"
done
elapsed=$((SECONDS - t_start))

# --- the table -----------------------------------------------------------------
echo
echo "storage figures: $ROUNDS rounds, $((ROUNDS * SESSIONS)) sessions, $fires_total fires (events), $tasks_total tasks finished, ${elapsed}s"
echo "per round: sessions purged and kept, queue rows once drained, dead tuples left by the purge;"
echo "then after VACUUM: each table's size in kB (pg_total_relation_size), their total, rows and dead tuples"
{
  printf 'round\tpurged\tkept\tqueue\tdead_before_vacuum'
  for t in $tables; do printf '\t%s' "$t"; done
  printf '\ttotal_kB\trows\tdead\n'
  awk -F'\t' '
    { key = $1; if (!(key in seen)) { seen[key] = 1; order[++n] = key; head[key] = $2 "\t" $3 "\t" $5 "\t" $4 }
      size[key] = size[key] "\t" int($8 / 1024); total[key] += $8; live[key] += $9; dead[key] += $10 }
    END { for (i = 1; i <= n; i++) { k = order[i]; print k "\t" head[k] size[k] "\t" int(total[k] / 1024) "\t" live[k] "\t" dead[k] } }
  ' "$ST_DIR/figures.tsv"
} | column -t -s $'\t' | sed 's/^/  /'

# Flat.  The first rounds bring the tables to their working size (VACUUM frees
# space for reuse, and recycles emptied btree pages a VACUUM later); from then
# on nothing may grow:
#  - the rows left after each purge are the same in number in every round from round 2;
#  - every table's size in every round from round 5 is at most 1.2 times its
#    largest size in rounds 2-4, plus 64 kB (a small table gains 32 kB when VACUUM first
#    creates its free space and visibility maps, and moves by a page or two);
#  - the same for the total of all the tables, without the 64 kB.
bad=$(awk -F'\t' '
  $1 == 2 { rows2[$7] = $9 }
  $1 >= 2 && $9 != rows2[$7] { printf "%s: %d rows left in round %d, %d in round 2\n", $7, $9, $1, rows2[$7] }
  $1 >= 2 && $1 <= 4 && $8 > base[$7] { base[$7] = $8 }
  $1 >= 5 && $8 > 1.2 * base[$7] + 65536 { printf "%s: %d bytes in round %d, at most %d in rounds 2-4\n", $7, $8, $1, base[$7] }
  { total[$1] += $8 }
  END {
    for (r in total) if (r + 0 >= 2 && r + 0 <= 4 && total[r] > tb) tb = total[r]
    for (r in total) if (r + 0 >= 5 && total[r] > 1.2 * tb) printf "total: %d bytes in round %d, at most %d in rounds 2-4\n", total[r], r, tb
  }
' "$ST_DIR/figures.tsv")
[ -z "$bad" ] || fail "storage is not flat:
$bad"
sizes=$(awk -F'\t' '{ total[$1] += $8 }
  END { for (r in total) { if (r + 0 >= 2 && r + 0 <= 4 && total[r] > a) a = total[r]; if (r + 0 >= 5 && total[r] > b) b = total[r] }
        print int(a / 1024), int(b / 1024) }' "$ST_DIR/figures.tsv")
read -r warm steady <<<"$sizes"
echo "  largest total: rounds 2-4 $warm kB, rounds 5-$ROUNDS $steady kB; queue rows once drained: 0 in every round"
echo "FIGURES storage rounds=$ROUNDS sessions=$((ROUNDS * SESSIONS)) fires=$fires_total tasks=$tasks_total warmup_kB=$warm steady_kB=$steady"

# --- what triggers_purge keeps ------------------------------------------------------
log "purge keeps unresolved and recently active sessions"
T='{"t": {"after": ["go"], "run": "k.t", "using": "keep"}}'
q "SELECT count(triggers_configure(s, '$T'))
   FROM unnest(ARRAY['k-scheduled', 'k-running', 'k-failed', 'k-old', 'k-old-fire', 'k-old-answer',
                     'k-old-config']) AS s" \
  "SELECT triggers_configure('k-unstarted', '{\"t\": {\"after\": [\"go\", \"later\"], \"run\": \"k.t\", \"using\": \"keep\"}}')" \
  "SELECT count(triggers_fire(s, 'go', jsonb_build_object('s', s)))
   FROM unnest(ARRAY['k-unstarted', 'k-scheduled', 'k-running', 'k-failed', 'k-old', 'k-old-fire',
                     'k-old-answer', 'k-old-config']) AS s" >/dev/null
claim() {   # claim SESSION LEASE: claims the queued task of SESSION (queue "keep"); prints its task_id
  q "UPDATE triggers.queue SET visible_at = now() - interval '1 day' WHERE session = '$1'" \
    "SELECT task_id FROM triggers_claim('keeper', '{keep}', 1, '$2')"
}
id=$(claim k-old '0.2 s')   # claimed by a worker that dies: the lease expires ...
sleep 0.3
id=$(claim k-old '1 hour')  # ... and the task is delivered again (a stale delivery row)
q "SELECT triggers_finish($id)" >/dev/null
for s in k-old-fire k-old-config; do q "SELECT triggers_finish($(claim "$s" '1 hour'))" >/dev/null; done
id_answer=$(claim k-old-answer '1 hour')
claim k-running '1 hour' >/dev/null
q "SELECT triggers_fail($(claim k-failed '1 hour'), '{\"type\": \"Boom\"}')" >/dev/null
[ "$(q "SELECT count(*) FROM triggers.stale_delivery WHERE session = 'k-old'")" = 1 ] \
  || fail "no stale delivery recorded for k-old"
# two hours pass ...
q "UPDATE triggers.session SET last_activity = now() - interval '2 hours' WHERE session LIKE 'k-%'"
# ... then activity: a fire, an answer, a configuration
q "SELECT triggers_fire('k-old-fire', 'other')" "SELECT triggers_finish($id_answer)" \
  "SELECT triggers_configure('k-old-config', '{\"v\": {\"after\": [\"never\"], \"run\": \"k.v\"}}')" >/dev/null
state=$(q "SELECT session || ': ' || string_agg(instance || '=' || status, ',' ORDER BY instance)
           FROM triggers.instances WHERE session LIKE 'k-%' GROUP BY session ORDER BY session")
purged=$(q "SELECT triggers_purge('1 hour')")
left=$(q "SELECT string_agg(session, ' ' ORDER BY session) FROM triggers.session WHERE session LIKE 'k-%'")
want="k-failed k-old-answer k-old-config k-old-fire k-running k-scheduled k-unstarted"
[ "$left" = "$want" ] || fail "after triggers_purge('1 hour'): sessions $left, want $want; before:
$state"
[ "$purged" = 1 ] || fail "triggers_purge('1 hour') returned $purged, want 1 (k-old)"
rows=$(q "SELECT (SELECT count(*) FROM triggers.event WHERE session = 'k-old')
               + (SELECT count(*) FROM triggers.instance WHERE session = 'k-old')
               + (SELECT count(*) FROM triggers.queue WHERE session = 'k-old')
               + (SELECT count(*) FROM triggers.stale_delivery WHERE session = 'k-old')")
[ "$rows" = 0 ] || fail "$rows rows of the purged session k-old are left"
purged=$(q "SELECT triggers_purge('0')")
left=$(q "SELECT string_agg(session, ' ' ORDER BY session) FROM triggers.session WHERE session LIKE 'k-%'")
want="k-failed k-running k-scheduled k-unstarted"
[ "$left" = "$want" ] || fail "after triggers_purge('0'): sessions $left, want $want (the unresolved ones)"
[ "$purged" = 3 ] || fail "triggers_purge('0') returned $purged, want 3"
echo "  triggers_purge('1 hour') removed only the idle resolved session, with its events, instances and"
echo "  stale deliveries; it kept those with a recent fire, answer or configuration, and the unresolved"
echo "  ones; triggers_purge('0') then removed the recently active ones and kept: $left"
