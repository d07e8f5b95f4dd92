#!/usr/bin/env bash
# Backups (issue 4 item 4).  A database with workflows (one edited to a second
# version while a session still uses the first), sessions in every status
# (unstarted, scheduled, running, finished, failed, replayed, skipped,
# abandoned), queued, claimed and delayed tasks, a delivery whose lease was
# handed back and given out again, a session fired before it was configured,
# and names full of quotes, backslashes, semicolons, $$ and non-ASCII text, is
# dumped with pg_dump (custom format, restored with pg_restore; and plain
# format, restored with psql) into fresh databases.  In each copy:
#  - triggers_state(session) is the same for every session, and every row of
#    every table of the extension is the same (queue included: nothing in it
#    is volatile once stored);
#  - the grants of examples/roles.sql survive, and PUBLIC still has nothing;
#  - workers carry on: a queued task is claimed and finished with a cascade,
#    the task held by a worker at dump time is finished with its task_id, the
#    stale task_id is refused (55000), the delayed retry stays invisible, and
#    new task_ids never collide with old ones.
. "$(dirname "$0")/lib.sh"
tr_db reliability_backup
PGOPTIONS="-c client_min_messages=warning" \
  psql -XAtq -v ON_ERROR_STOP=1 -f "$TR_ROOT/examples/roles.sql" >/dev/null

odd=$'it\'s "odd"; \\x $$ é 日本'
psql -XAtq -v ON_ERROR_STOP=1 -v odd="$odd" >/dev/null <<'SQL'
SELECT triggers_load_workflow('bk', '{
  // every status, and queues default, q2 and q3
  "wait":  {"after": ["x", "y"], "run": "r_wait"},
  "sched": {"after": ["x"], "run": "r_sched", "using": "q2"},
  "run":   {"after": ["go"], "run": "r_run"},
  "fin":   {"after": ["go"], "run": "r_fin"},
  "next":  {"after": ["fin"], "run": "r_next", "using": "q3"},
  "last":  {"after": ["next"], "run": "r_last", "using": "q3", "withParams": {"next": {"p": 1}}},
  "bad":   {"after": ["go"], "run": "r_bad"},
  "bad2":  {"after": ["go"], "run": "r_bad2"},
  "delay": {"after": ["go"], "run": "r_delay"},
  "lost":  {"after": ["go"], "run": "r_lost"},
  "gone":  {"after": ["go", "z"], "run": "r_gone", "unless": ["cancel"]},
  "ticker": {"after": [], "andEvery": "tick", "run": "r_tick", "using": "q2", "x-owner": "ops"}
}');
INSERT INTO triggers.workflow (name, definition)
VALUES ('versioned', '{"v": {"after": ["go"], "run": "r_v1"}}');
SELECT triggers_start('bk-v1', 'versioned');
UPDATE triggers.workflow SET definition = '{"v": {"after": ["go"], "run": "r_v2"}}' WHERE name = 'versioned';
SELECT triggers_start('bk-v2', 'versioned');

SELECT triggers_start('bk-all', 'bk');
SELECT triggers_fire('bk-all', 'x', '{"n": 12345678901234567890.5, "s": "a\"b"}');
SELECT triggers_fire('bk-all', 'go', '{"deep": {"a": [1, {"b": null}]}}');
SELECT triggers_fire('bk-all', 'tick', '{"i": 1}');
SELECT triggers_fire('bk-all', 'tick', '{"i": 2}');
CREATE TEMP TABLE c1 AS SELECT * FROM triggers_claim('w1', '{default}', 10, '1 day');
SELECT triggers_finish((SELECT task_id FROM c1 WHERE instance = 'fin#0'), '{"fin": "ok"}');
SELECT triggers_fail((SELECT task_id FROM c1 WHERE instance = 'bad#0'), '{"type": "E", "message": "boom"}');
SELECT triggers_fail((SELECT task_id FROM c1 WHERE instance = 'bad2#0'), '{"type": "E2"}');
SELECT triggers_retry((SELECT task_id FROM c1 WHERE instance = 'delay#0'), '1 day');
SELECT triggers_heartbeat((SELECT task_id FROM c1 WHERE instance = 'lost#0'), '0');
CREATE TEMP TABLE c2 AS SELECT * FROM triggers_claim('w2', '{default}', 10, '1 day');
SELECT triggers_replay('bk-all', 'bad#0');
CREATE TEMP TABLE c3 AS SELECT * FROM triggers_claim('w3', '{default}', 10, '1 day');
SELECT triggers_fail((SELECT task_id FROM c3 WHERE instance = 'bad#1'));
SELECT triggers_skip('bk-all', 'bad#1', true, '{"skipped": true}');
SELECT triggers_fire('bk-all', 'cancel');
SELECT triggers_set_metadata('bk-all', 'bad2#0', '{"logLevel": "ERROR"}');

SELECT triggers_fire('bk-early', 'x', '{"before": "configuration"}');
SELECT triggers_start(:'odd', 'bk');
SELECT triggers_fire(:'odd', 'x', jsonb_build_object('name', :'odd'));

-- ids the test needs later
CREATE TABLE public.bk_ids AS
SELECT (SELECT task_id FROM c1 WHERE instance = 'run#0') AS run_id,
       (SELECT task_id FROM c1 WHERE instance = 'lost#0') AS lost_old,
       (SELECT task_id FROM c2 WHERE instance = 'lost#0') AS lost_new;
SQL

# every status is there, and the queue holds what it should
expect_eq "statuses" "$(q "SELECT string_agg(DISTINCT status, ',' ORDER BY status) FROM triggers.instances")" \
  "abandoned,failed,finished,replayed,running,scheduled,skipped,unstarted"
expect_eq "bk-all" "$(q "SELECT string_agg(instance || '=' || status, ' ' ORDER BY instance)
                         FROM triggers.instances WHERE session = 'bk-all'")" \
  "bad#0=replayed bad#1=skipped bad2#0=failed delay#0=replayed delay#1=scheduled fin#0=finished gone#0=abandoned lost#0=running next#0=scheduled run#0=running sched#0=scheduled ticker#0=scheduled ticker#1=scheduled wait#0=unstarted"
expect_eq "stale deliveries" "$(q "SELECT count(*) FROM triggers.stale_delivery")" 1
queue_rows=$(q "SELECT count(*) FROM triggers.queue")
[ "$queue_rows" -eq 8 ] || fail "$queue_rows queue rows, want 8"

# Everything that must survive, as text, one line per item.
snapshot() {   # snapshot DB
  psql -XAtq -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'state ' || s.session || ' ' || triggers_state(s.session)::text
FROM triggers.session AS s ORDER BY s.session;
SELECT 'workflow ' || w.name || ' v' || w.version || ' ' || w.definition::text
FROM triggers.workflow AS w ORDER BY w.name;
SELECT 'session ' || s.session || ' ' || coalesce(s.workflow, '-') || ' ' || s.fires
       || ' ' || (SELECT c.tasks::text FROM triggers.config AS c WHERE c.config_id = s.config_id)
FROM triggers.session AS s ORDER BY s.session;
-- every row of every table of the extension
SELECT format('SELECT %L || '' '' || to_jsonb(r)::text FROM %s AS r ORDER BY 1', c.oid::regclass, c.oid::regclass)
FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'triggers'
JOIN pg_class AS c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
WHERE d.deptype = 'e' AND c.relkind = 'r' ORDER BY c.relname \gexec
SELECT 'sequence ' || c.oid::regclass || ' ' || coalesce(pg_sequence_last_value(c.oid)::text, 'unused')
FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'triggers'
JOIN pg_class AS c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
WHERE d.deptype = 'e' AND c.relkind = 'S' ORDER BY 1;
SELECT 'grant ' || r || ' ' || f || ' ' || has_function_privilege(r, f, 'EXECUTE')
FROM unnest(ARRAY['triggers_application', 'triggers_worker', 'triggers_admin']) AS r,
     unnest(ARRAY['triggers_fire(text,text,jsonb)', 'triggers_claim(text,text[],integer,interval)',
                  'triggers_replay(text,text,jsonb)']) AS f ORDER BY 1;
SELECT 'public acl ' || count(*) FROM pg_proc AS p, aclexplode(p.proacl) AS a
WHERE p.proname LIKE 'triggers%' AND a.grantee = 0;
SELECT 'view select admin ' || has_table_privilege('triggers_admin', 'triggers.instances', 'SELECT');
SELECT 'workflow insert admin ' || has_table_privilege('triggers_admin', 'triggers.workflow', 'INSERT');
SQL
}
snapshot reliability_backup >"$TR_DIR/bk.before"
grep -q '^grant triggers_worker triggers_claim.* true$' "$TR_DIR/bk.before" || fail "roles not granted"
grep -qF "state $odd {" "$TR_DIR/bk.before" || fail "odd session missing from the snapshot"

# --- dump and restore, both formats -------------------------------------------------
pg_dump -Fc -d reliability_backup -f "$TR_DIR/bk.dump"
pg_dump -Fp -d reliability_backup -f "$TR_DIR/bk.sql"
for copy in bk_custom bk_plain; do
  q "SET client_min_messages = warning" "DROP DATABASE IF EXISTS $copy" "CREATE DATABASE $copy TEMPLATE template0"
done
# Restore the way people do (errors are reported, the restore goes on), and
# keep checking the copies after a failure so one run shows everything wrong.
problems=()
pg_restore -d bk_custom "$TR_DIR/bk.dump" 2>"$TR_DIR/bk_custom.err" \
  || problems+=("pg_restore failed: $(grep -m1 -A2 'error:' "$TR_DIR/bk_custom.err" | tr '\n' ' ' | cut -c1-400 || true)")
psql -XAtq -d bk_plain -f "$TR_DIR/bk.sql" >/dev/null 2>"$TR_DIR/bk_plain.err"
if grep -q ERROR "$TR_DIR/bk_plain.err"; then
  problems+=("psql restore of the plain dump failed: $(grep -m1 -A2 'ERROR' "$TR_DIR/bk_plain.err" | tr '\n' ' ' | cut -c1-400 || true)")
fi

ids=$(q "SELECT run_id || ' ' || lost_old || ' ' || lost_new FROM public.bk_ids")
read -r run_id lost_old lost_new <<<"$ids"
max_id=$(q "SELECT greatest((SELECT max(task_id) FROM triggers.queue), (SELECT max(task_id) FROM triggers.instance),
                            (SELECT max(task_id) FROM triggers.stale_delivery))")

for copy in bk_custom bk_plain; do
  snapshot "$copy" >"$TR_DIR/bk.$copy"
  if cmp -s "$TR_DIR/bk.before" "$TR_DIR/bk.$copy"; then
    echo "$copy: $(grep -c '^state ' "$TR_DIR/bk.$copy") sessions' states and $(grep -c . "$TR_DIR/bk.$copy") lines identical"
  else
    problems+=("$copy differs from the original (< original, > copy):
$({ diff "$TR_DIR/bk.before" "$TR_DIR/bk.$copy" || true; } | grep '^[<>]' | cut -c1-200 | head -n 12)")
    states_differ=$(diff <(grep '^state ' "$TR_DIR/bk.before") <(grep '^state ' "$TR_DIR/bk.$copy") | grep -c '^[<>]' || true)
    [ "$states_differ" = 0 ] && echo "$copy: triggers_state identical for every session (other differences below)"
  fi

  # workers carry on from the copy
  out=$(psql -XAtq -v ON_ERROR_STOP=1 -d "$copy" 2>"$TR_DIR/carry.err" <<SQL
\\set ON_ERROR_STOP 0
SELECT count(*) AS ready FROM triggers_claim('w9', '{default}', 10) \\gset
\\echo ready_default :ready
\\set ON_ERROR_STOP 1
SELECT task_id AS nid, instance AS ninst FROM triggers_claim('w9', '{q3}') \\gset
\\echo claimed :ninst
SELECT triggers_finish(:nid, '{"q": 2}') AS cascade \\gset
\\echo cascade :cascade
SELECT task_id AS lid, kwargs::text AS lkw FROM triggers_claim('w9', '{q3}') \\gset
\\echo last_kwargs :lkw
SELECT triggers_finish(:lid) AS r \\gset
SELECT triggers_finish($run_id, '{"held": "across the dump"}') AS r \\gset
\\echo held_finish :r
SELECT triggers_finish($lost_new) AS r \\gset
\\set ON_ERROR_STOP 0
SELECT triggers_finish($lost_old);
\\echo stale :SQLSTATE
\\set ON_ERROR_STOP 1
SELECT string_agg(instance || '=' || status, ' ' ORDER BY instance) AS st
FROM triggers.instances WHERE session = 'bk-all' \\gset
\\echo final :st
SQL
) || fail "$copy: worker could not carry on: $out $(cat "$TR_DIR/carry.err")"
  expect_eq "$copy default queue (delayed retry invisible)" "$(echo "$out" | sed -n 's/^ready_default //p')" 0
  expect_eq "$copy claim" "$(echo "$out" | sed -n 's/^claimed //p')" "next#0"
  expect_eq "$copy cascade" "$(echo "$out" | sed -n 's/^cascade //p')" "{last#0}"
  expect_eq "$copy cascade kwargs" "$(echo "$out" | sed -n 's/^last_kwargs //p')" '{"next": {"p": 1, "q": 2}}'
  expect_eq "$copy held task finished" "$(echo "$out" | sed -n 's/^held_finish //p')" "{}"
  expect_eq "$copy stale id refused" "$(echo "$out" | sed -n 's/^stale //p')" 55000
  expect_eq "$copy final" "$(echo "$out" | sed -n 's/^final //p')" \
    "bad#0=replayed bad#1=skipped bad2#0=failed delay#0=replayed delay#1=scheduled fin#0=finished gone#0=abandoned last#0=finished lost#0=finished next#0=finished run#0=finished sched#0=scheduled ticker#0=scheduled ticker#1=scheduled wait#0=unstarted"
  # new ids come after every id of the original (the sequence was restored)
  new_max=$(psql -XAtq -d "$copy" -c "SELECT max(task_id) FROM triggers.instance")
  [ "$new_max" -gt "$max_id" ] || fail "$copy: new task_id $new_max not above the old maximum $max_id"
  expect_eq "$copy new id unique" "$(psql -XAtq -d "$copy" -c "SELECT count(*) = count(DISTINCT task_id) FROM triggers.instance WHERE task_id IS NOT NULL")" t
done
echo "both copies carried on: queued, held and delayed tasks as before the dump"
if [ ${#problems[@]} -gt 0 ]; then
  printf '%s\n' "${problems[@]}" >&2
  fail "${#problems[@]} backup problems"
fi
