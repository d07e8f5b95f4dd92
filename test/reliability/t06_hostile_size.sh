#!/usr/bin/env bash
# Hostile input: sizes (issue 4 item 2).
#  - kwargs of 50 MB (one 52,428,800-character string): fired into a session
#    where it schedules a task, claimed intact by a worker, finished with a
#    cascade; fired into an unconfigured session that is configured later.
#    It works, or is refused cleanly; the connection survives either way.
#  - names of 10,000 characters for every name argument of every function,
#    and inside definitions (task, trigger, run, andEvery, unless, using):
#    refused with 22023 and nothing changes; the limits are exact (255
#    characters, counted as characters: 255 x 'é' works, 256 does not).
#  - a definition of 10,000 tasks (text and plain SQL): accepted; a session
#    using it fires 5,000 tasks at once, cascades, and reports its state; a
#    10,000-task cascade chain is accepted and a 10,000-task cycle refused.
. "$(dirname "$0")/lib.sh"
tr_db reliability_size
bad=()

# --- 50 MB kwargs -----------------------------------------------------------------------
out=$(psql -XAtq 2>&1 <<'SQL'
\set ON_ERROR_STOP 0
SELECT pg_backend_pid() AS pid0, pg_postmaster_start_time() AS start0 \gset
SELECT triggers_configure('big', '{"t": {"after": ["huge"], "run": "r"}, "u": {"after": ["t"], "run": "r"}}') \g /dev/null
\o /dev/null
SELECT triggers_fire('big', 'huge', jsonb_build_object('blob', repeat('x', 52428800))) AS scheduled \gset
\o
\echo fire :SQLSTATE :scheduled
SELECT task_id, length(kwargs #>> '{huge,blob}') AS len FROM triggers_claim('w', '{default}', 1) \gset
\echo claim :SQLSTATE :len
\o /dev/null
SELECT triggers_finish(:task_id, '{"done": true}') AS cascade \gset
\o
\echo finish :SQLSTATE :cascade
SELECT length(triggers_state('big') #>> '{metadata,latest_kwargs,huge,blob}') AS len \gset
\echo state :SQLSTATE :len
\o /dev/null
SELECT triggers_fire('late', 'huge', jsonb_build_object('blob', repeat('y', 52428800))) \gset
SELECT triggers_configure('late', '{"t": {"after": ["huge"], "run": "r"}}') AS scheduled \gset
\o
\echo late_configure :SQLSTATE :scheduled
SELECT pg_backend_pid() = :pid0 AND pg_postmaster_start_time() = :'start0' AS alive \gset
\echo alive :alive
SQL
)
echo "$out" | grep -E '^(fire|claim|finish|state|late_configure|alive) ' | sed 's/^/50 MB kwargs: /'
expect_eq "connection after 50 MB" "$(echo "$out" | sed -n 's/^alive //p')" t
case "$(echo "$out" | sed -n 's/^fire //p')" in
  "00000 {t#0}")
    expect_eq "50 MB claimed intact" "$(echo "$out" | sed -n 's/^claim //p')" "00000 52428800"
    expect_eq "50 MB finished" "$(echo "$out" | sed -n 's/^finish //p')" "00000 {u#0}"
    expect_eq "50 MB in the state" "$(echo "$out" | sed -n 's/^state //p')" "00000 52428800"
    expect_eq "50 MB fired early" "$(echo "$out" | sed -n 's/^late_configure //p')" "00000 {t#0}" ;;
  54000*|22023*|54001*) echo "50 MB kwargs refused cleanly" ;;
  *) bad+=("50 MB fire: $(echo "$out" | grep -v '^[a-z_]* ' | head -n 3)") ;;
esac
q "DELETE FROM triggers.queue" "DELETE FROM triggers.instance" "DELETE FROM triggers.event" \
  "DELETE FROM triggers.session" "VACUUM" >/dev/null 2>&1

# --- names of 10,000 characters --------------------------------------------------------
q "SELECT triggers_load_workflow('wf', '{\"t\": {\"after\": [\"a\"], \"run\": \"r\"}}')" \
  "SELECT triggers_start('s', 'wf')" "SELECT triggers_fire('s', 'a')" >/dev/null
long="repeat('n', 10000)"
steps=$(cat <<EOF
fire_session\`SELECT triggers_fire($long, 'a')
fire_trigger\`SELECT triggers_fire('s', $long)
start_session\`SELECT triggers_start($long, 'wf')
start_workflow\`SELECT triggers_start('s2', $long)
configure_session\`SELECT triggers_configure($long, '{"t": {"after": ["a"], "run": "r"}}')
state\`SELECT triggers_state($long)
unresolved_tasks\`SELECT triggers_unresolved_tasks($long)
unresolved_instances\`SELECT triggers_unresolved_instances($long)
claim_worker\`SELECT * FROM triggers_claim($long)
claim_queue\`SELECT * FROM triggers_claim('w', ARRAY[$long])
replay_session\`SELECT triggers_replay($long, 't#0')
replay_instance\`SELECT triggers_replay('s', $long)
skip_session\`SELECT triggers_skip($long, 't#0')
skip_instance\`SELECT triggers_skip('s', $long)
set_status_session\`SELECT triggers_set_status($long, 't#0', 'failed')
set_status_instance\`SELECT triggers_set_status('s', $long, 'failed')
set_status_status\`SELECT triggers_set_status('s', 't#0', $long)
set_metadata_session\`SELECT triggers_set_metadata($long, 't#0', '{}')
set_metadata_instance\`SELECT triggers_set_metadata('s', $long, '{}')
resolve_logs_session\`SELECT triggers_resolve_logs($long, 't#0')
resolve_logs_instance\`SELECT triggers_resolve_logs('s', $long)
load_workflow_name\`SELECT triggers_load_workflow($long, '{"t": {"after": ["a"], "run": "r"}}')
insert_workflow_name\`INSERT INTO triggers.workflow (name, definition) VALUES ($long, '{"t": {"after": ["a"], "run": "r"}}')
update_workflow_name\`UPDATE triggers.workflow SET name = $long WHERE name = 'wf'
task_name\`SELECT triggers_configure('s', jsonb_build_object($long, '{"after": ["a"], "run": "r"}'::jsonb))
after_name\`SELECT triggers_configure('s', jsonb_build_object('t2', jsonb_build_object('after', jsonb_build_array($long), 'run', 'r')))
run_name\`SELECT triggers_configure('s', jsonb_build_object('t2', jsonb_build_object('after', '["a"]'::jsonb, 'run', $long)))
and_every_name\`SELECT triggers_configure('s', jsonb_build_object('t2', jsonb_build_object('after', '[]'::jsonb, 'andEvery', $long, 'run', 'r')))
unless_name\`SELECT triggers_configure('s', jsonb_build_object('t2', jsonb_build_object('after', '["a"]'::jsonb, 'unless', jsonb_build_array($long), 'run', 'r')))
using_name\`SELECT triggers_configure('s', jsonb_build_object('t2', jsonb_build_object('after', '["a"]'::jsonb, 'using', $long, 'run', 'r')))
session_256\`SELECT triggers_fire(repeat('é', 256), 'a')
trigger_256\`SELECT triggers_fire('s', repeat('é', 256))
workflow_256\`SELECT triggers_load_workflow(repeat('w', 256), '{"t": {"after": ["a"], "run": "r"}}')
EOF
)
sum="SELECT md5(string_agg(t, ',' ORDER BY t)) AS sum FROM (
  SELECT to_jsonb(x)::text AS t FROM triggers.workflow AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.session AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.event AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.instance AS x UNION ALL
  SELECT to_jsonb(x)::text FROM triggers.queue AS x) AS s"
out=$({
  echo '\set ON_ERROR_STOP 0'
  echo "$sum \\gset before_"
  while IFS='`' read -r name sql; do
    printf '\\o /dev/null\n%s;\n\\o\n\\echo STEP %s :SQLSTATE\n' "$sql" "$name"
  done <<<"$steps"
  echo "$sum \\gset after_"
  echo '\echo SUM :before_sum :after_sum'
  # the limits are exact: 255 characters work
  echo "\\o /dev/null"
  echo "SELECT triggers_fire(repeat('é', 255), repeat('é', 255), jsonb_build_object(repeat('é', 255), 1));"
  echo "SELECT triggers_load_workflow(repeat('w', 255), '{\"t\": {\"after\": [\"a\"], \"run\": \"r\"}}');"
  echo "SELECT triggers_start(repeat('é', 255), repeat('w', 255));"
  echo "\\o"
  echo "SELECT count(*) AS n FROM triggers.event WHERE session = repeat('é', 255) AND trigger = repeat('é', 255) \\gset"
  echo '\echo LIMIT255 :n'
} | psql -XAtq 2>/dev/null)
refused=0
while IFS='`' read -r name sql; do
  st=$(echo "$out" | sed -n "s/^STEP $name //p")
  if [ "$st" = 22023 ]; then refused=$((refused + 1)); else bad+=("long name $name: SQLSTATE '$st', want 22023"); fi
done <<<"$steps"
echo "names of 10,000 (and 256) characters: $refused statements refused with 22023"
read -r b a <<<"$(echo "$out" | sed -n 's/^SUM //p')"
[ -n "$b" ] && [ "$b" = "$a" ] || bad+=("refused long names changed stored data")
[ "$(echo "$out" | sed -n 's/^LIMIT255 //p')" = 1 ] || bad+=("names of exactly 255 characters were not accepted")

# --- 10,000 tasks -------------------------------------------------------------------------
# t0 after go; odd tasks after fan; even tasks after the odd task before them (a cascade).
out=$(psql -XAtq -v ON_ERROR_STOP=1 2>&1 <<'SQL'
CREATE TEMP TABLE def AS
SELECT jsonb_object_agg('t' || i, CASE WHEN i = 0 THEN '{"after": ["go"], "run": "r"}'::jsonb
         WHEN i % 2 = 1 THEN jsonb_build_object('after', '["fan"]'::jsonb, 'run', 'r' || i, 'using', 'q' || (i % 7))
         ELSE jsonb_build_object('after', jsonb_build_array('t' || (i - 1)), 'run', 'r' || i) END) AS d
FROM generate_series(0, 9999) AS i;
SELECT count(*) AS problems FROM def, triggers_validate(def.d) \gset
\echo problems :problems
SELECT triggers_load_workflow('w10k', d::text) FROM def \g /dev/null
INSERT INTO triggers.workflow (name, definition) SELECT 'w10k_sql', d FROM def;
SELECT triggers_start('s10k', 'w10k') \g /dev/null
SELECT cardinality(triggers_fire('s10k', 'fan')) AS n \gset
\echo fan :n
SELECT array_to_string(triggers_fire('s10k', 'go'), ',') AS s \gset
\echo go :s
SELECT count(*) AS n FROM triggers_claim('w', ARRAY['q0','q1','q2','q3','q4','q5','q6'], 10000) \gset
\echo claimed :n
SELECT array_to_string(triggers_finish((SELECT task_id FROM triggers.queue WHERE session = 's10k' AND task = 't1')), ',') AS s \gset
\echo cascade :s
SELECT count(*) AS n FROM triggers_unresolved_tasks('s10k') \gset
\echo unresolved :n
SELECT (SELECT count(*) FROM jsonb_object_keys(triggers_state('s10k') -> 'tasks')) || ' '
    || (SELECT count(*) FROM jsonb_object_keys(triggers_state('s10k') -> 'instances')) AS s \gset
\echo state :s
-- a 10,000-task cascade chain is fine; closing it into a cycle is not
SELECT triggers_load_workflow('chain', (SELECT jsonb_object_agg('c' || i, jsonb_build_object(
         'after', jsonb_build_array(CASE WHEN i = 0 THEN 'go' ELSE 'c' || (i - 1) END), 'run', 'r'))
       FROM generate_series(0, 9999) AS i)::text) \g /dev/null
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
SELECT triggers_load_workflow('cycle', (SELECT jsonb_object_agg('c' || i, jsonb_build_object(
         'after', jsonb_build_array('c' || ((i + 1) % 10000)), 'run', 'r'))
       FROM generate_series(0, 9999) AS i)::text) \g /dev/null
\echo cycle :SQLSTATE
SQL
)
echo "$out" | grep -E '^(problems|fan|go|claimed|cascade|unresolved|state|cycle) ' | sed 's/^/10,000 tasks: /'
expect_eq "10k problems" "$(echo "$out" | sed -n 's/^problems //p')" 0
expect_eq "10k fan" "$(echo "$out" | sed -n 's/^fan //p')" 5000
expect_eq "10k go" "$(echo "$out" | sed -n 's/^go //p')" "t0#0"
expect_eq "10k claimed" "$(echo "$out" | sed -n 's/^claimed //p')" 5000
expect_eq "10k cascade" "$(echo "$out" | sed -n 's/^cascade //p')" "t2#0"
expect_eq "10k unresolved" "$(echo "$out" | sed -n 's/^unresolved //p')" 9999
expect_eq "10k state" "$(echo "$out" | sed -n 's/^state //p')" "10000 5002"
expect_eq "10k cycle" "$(echo "$out" | sed -n 's/^cycle //p')" 22023
echo "$out" | grep -qi 'cycle of cascades' || bad+=("the 10,000-task cycle was not reported as a cycle")

if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}" >&2
  fail "${#bad[@]} problems with large input"
fi
