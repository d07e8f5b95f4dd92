#!/usr/bin/env bash
# Objects a user creates are never used by the extension (issue 4 item 3).
#
# A non-superuser (holding the three roles of examples/roles.sql and CREATE on
# schema public) plants, in public, functions, aggregates and operators with
# the names of those the engine calls — many with signatures that would beat
# the built-ins in overload resolution (jsonb_build_object(text, jsonb) over
# VARIADIC "any", nextval(text) over nextval(regclass), ||(text, integer)
# over ||(text, anynonarray), ...) — plus temporary functions and temporary
# tables named like the engine's tables.  Each shadow records its call (and
# the role it ran as) in public.shadow_calls and then does the real work.
# The same role then runs every API function through a whole workflow
# (load and plain-SQL workflow edits, validate, start, configure, fire with
# unless/andEvery/withParams, claim on two queues, heartbeat, finish (one and
# many) with a
# cascade, fail with an automatic retry, retry, replay, skip with a cascade,
# set status and metadata, resolve logs, state, inspection, purge), once with
# search_path = public and once with search_path = public, pg_catalog (so
# public is searched before the built-ins).  Nothing may be recorded.
# Also checked statically: every function of the extension pins search_path.
. "$(dirname "$0")/lib.sh"
tr_db reliability_search_path

# --- static: every function pins search_path; the API runs as its owner ------------
unpinned=$(q "SELECT string_agg(p.oid::regprocedure::text, ', ')
  FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
  JOIN pg_proc AS p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  WHERE x.extname = 'triggers' AND d.deptype = 'e'
    AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)")
[ -z "$unpinned" ] || fail "functions without SET search_path = pg_catalog, pg_temp: $unpinned"
invoker=$(q "SELECT string_agg(p.proname, ', ')
  FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
  JOIN pg_proc AS p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  WHERE x.extname = 'triggers' AND d.deptype = 'e' AND p.proname LIKE 'triggers\_%' AND NOT p.prosecdef")
[ -z "$invoker" ] || fail "API functions that are not SECURITY DEFINER: $invoker"

# --- the user and the shadows ----------------------------------------------------
PGOPTIONS="-c client_min_messages=warning" \
  psql -XAtq -v ON_ERROR_STOP=1 -f "$TR_ROOT/examples/roles.sql" >/dev/null
q "SET client_min_messages = warning" "DROP ROLE IF EXISTS rel_mallory" \
  "CREATE ROLE rel_mallory LOGIN" \
  "GRANT triggers_application, triggers_worker, triggers_admin TO rel_mallory" \
  "GRANT CREATE ON SCHEMA public TO rel_mallory"

psql -XAtq -U rel_mallory -v ON_ERROR_STOP=1 -f "$TR_HERE/shadows.sql"
# (from here on the superuser's own queries must not see public: shadows catch them too)
n_shadows=$(q "SET search_path = pg_catalog" "SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                       AND proowner = 'rel_mallory'::regrole)
                    || ' functions, ' ||
                      (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'public'::regnamespace)
                    || ' operators'")
echo "shadows planted in public: $n_shadows"

# A shadow really is preferred by a query that sees public first: the trap works.
qas rel_mallory "SET search_path = public, pg_catalog" \
  "SELECT jsonb_typeof('{}'), jsonb_build_object('a', '{}'::jsonb), 'x'::text || 1" >/dev/null
expect_eq "shadows catch unqualified calls" \
  "$(q "SET search_path = pg_catalog" "SELECT string_agg(shadow, ', ' ORDER BY shadow) FROM public.shadow_calls")" \
  "jsonb_build_object(a text, b jsonb), jsonb_typeof(a jsonb), text || integer"
q "TRUNCATE public.shadow_calls"

# --- the whole workflow, as the user, in one session per search_path ------------
cycle() {   # cycle SEARCH_PATH SESSION-PREFIX
  local path=$1 s=$2
  psql -XAtq -U rel_mallory -v ON_ERROR_STOP=1 -v s="$s" <<SQL
SET search_path = $path;
-- temporary shadows, searched last by the engine's functions (pg_catalog, pg_temp)
CREATE FUNCTION pg_temp.jsonb_typeof(a jsonb) RETURNS text LANGUAGE sql AS \$\$ SELECT 'object' \$\$;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS \$\$ SELECT 'epoch'::timestamptz \$\$;
CREATE TEMP TABLE workflow (x int CHECK (false));
CREATE TEMP TABLE config (x int CHECK (false));
CREATE TEMP TABLE config_task (x int CHECK (false));
CREATE TEMP TABLE config_trigger (x int CHECK (false));
CREATE TEMP TABLE session (x int CHECK (false));
CREATE TEMP TABLE event (x int CHECK (false));
CREATE TEMP TABLE instance (x int CHECK (false));
CREATE TEMP TABLE queue (x int CHECK (false));
CREATE TEMP TABLE stale_delivery (x int CHECK (false));
CREATE TEMP TABLE instances (x int CHECK (false));
\set QUIET on
\set wf :s wf
\set wf2 :s wf2
SELECT triggers_load_workflow(:'wf', '{
  // a then c (a cascade on queue other.q) then d (retried automatically, an hour later)
  "a": {"after": ["go"], "run": "ra", "withParams": {"go": {"p": {"q": 1}}}},
  "b": {"after": ["go", "more"], "run": "rb", "unless": ["stop"]},
  "c": {"after": ["a"], "run": "rc", "using": "other.q"},
  "d": {"after": ["c"], "run": "rd", "maxRetries": 1, "retryDelay": 3600},
  "e": {"after": ["never"], "run": "re", "unless": ["stop"]},
  "g": {"after": [], "andEvery": "again", "run": "rg"}
}');
INSERT INTO triggers.workflow (name, definition) VALUES (:'wf2', '{"z": {"after": ["go"], "run": "rz"}}');
UPDATE triggers.workflow SET definition = '{"z": {"after": ["go2"], "run": "rz"}}'
  WHERE name OPERATOR(pg_catalog.=) :'wf2';
SELECT pg_catalog.count(*) AS problems FROM triggers_validate('{"t": {"after": "x", "run": 1}}') \gset
SELECT triggers_start(:'s', :'wf');
SELECT triggers_configure(:'s', '{"f": {"after": ["go"], "run": "rf"}}');
SELECT triggers_fire(:'s', 'go', '{"p": {"r": 2}}');
SELECT triggers_fire(:'s', 'more');
SELECT triggers_fire(:'s', 'stop');
CREATE TEMP TABLE claim1 AS SELECT * FROM triggers_claim('m', '{default}', 10);
SELECT task_id AS a FROM claim1 WHERE instance OPERATOR(pg_catalog.=) 'a#0' \gset
SELECT task_id AS b0 FROM claim1 WHERE instance OPERATOR(pg_catalog.=) 'b#0' \gset
SELECT task_id AS f FROM claim1 WHERE instance OPERATOR(pg_catalog.=) 'f#0' \gset
SELECT triggers_heartbeat(:a, '1 minute');
SELECT triggers_finish(:a, '{"done": true}');
SELECT triggers_finish_many(ARRAY[:f]::bigint[], ARRAY['{"many": 1}']::jsonb[]);
SELECT triggers_retry(:b0, '0', '{"replaced": 1}');
SELECT task_id AS c FROM triggers_claim('m', '{other.q}') \gset
SELECT triggers_finish(:c);
CREATE TEMP TABLE claim2 AS SELECT * FROM triggers_claim('m', '{default}', 10);
SELECT task_id AS d FROM claim2 WHERE instance OPERATOR(pg_catalog.=) 'd#0' \gset
SELECT task_id AS b1 FROM claim2 WHERE instance OPERATOR(pg_catalog.=) 'b#1' \gset
SELECT triggers_fail(:d, '{"type": "E", "message": "m", "traceback": "t", "context": {"k": 1}}');
SELECT triggers_fail(:b1);
SELECT triggers_replay(:'s', 'b#1', '{"again": true}');
SELECT task_id AS b2 FROM triggers_claim('m', '{default}', 10) \gset
SELECT triggers_fail(:b2);
SELECT triggers_skip(:'s', 'b#2', true, '{"skipped": 1}');
SELECT triggers_fire(:'s', 'again', '{"n": 2}');
SELECT triggers_set_status(:'s', 'g#0', 'unstarted');
SELECT triggers_set_status(:'s', 'g#0', 'scheduled');
SELECT triggers_set_status(:'s', 'g#0', 'finished', '{"by": "hand"}', true, '{"x": 1}');
SELECT triggers_set_metadata(:'s', 'g#0', '{"note": 1}');
SELECT triggers_resolve_logs(:'s', 'g#0');
SELECT triggers_unresolved_tasks(:'s');
SELECT triggers_unresolved_instances(:'s');
SELECT * FROM triggers.instances WHERE session OPERATOR(pg_catalog.=) :'s';
SELECT triggers_state(:'s') AS state \gset
SELECT triggers_purge('100 years');
DELETE FROM triggers.workflow WHERE name OPERATOR(pg_catalog.=) :'wf2';
\set QUIET off
\echo problems :problems
SQL
}
for path in "public" "public, pg_catalog"; do
  s="sp-${path//[, ]/}"
  out=$(cycle "$path" "$s") || fail "the workflow failed with search_path $path: $out"
  expect_eq "validate under $path" "$(echo "$out" | grep '^problems')" "problems 2"
  # the workflow did what it should (checked as the superuser, shadows aside)
  got=$(q "SET search_path = pg_catalog" "SELECT string_agg(instance || '=' || status, ' ' ORDER BY instance)
           FROM triggers.instances WHERE session = '$s'")
  expect_eq "instances under $path" "$got" \
    "a#0=finished b#0=replayed b#1=replayed b#2=skipped c#0=finished d#0=replayed d#1=scheduled e#0=abandoned f#0=finished g#0=finished"
done

calls=$(q "SET search_path = pg_catalog" "SELECT count(*) FROM public.shadow_calls")
if [ "$calls" != 0 ]; then
  q "SET search_path = pg_catalog" "SELECT shadow || ' (as ' || ran_as || '): ' || replace(context, E'\n', ' <- ')
     FROM public.shadow_calls GROUP BY 1 ORDER BY 1" >&2
  fail "the extension called $calls user-created objects"
fi
echo "no shadow was called"
