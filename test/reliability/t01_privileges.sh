#!/usr/bin/env bash
# Privileges (issue 4 item 3).
#  1. Nothing of the extension is granted to PUBLIC: every function, relation,
#     sequence and schema that belongs to it (pg_depend deptype 'e') has an
#     ACL (or a default ACL) without a PUBLIC entry.
#  2. The three recipes of examples/roles.sql: a login role holding
#     triggers_application, triggers_worker or triggers_admin may call exactly
#     its functions and touch exactly its relations; everything else is
#     refused with 42501.  A login role with no grant is refused everything.
#     Every API function and every relation of the extension is tried.
#  3. Each role does its part of a whole workflow: the administrator loads
#     workflows (function and plain SQL), the application starts and fires,
#     the worker claims and answers, the administrator repairs and purges.
. "$(dirname "$0")/lib.sh"
tr_db reliability_privileges

# --- 1. nothing for PUBLIC ------------------------------------------------------
members=$(q "SELECT count(*) FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
             WHERE x.extname = 'triggers' AND d.deptype = 'e'")
[ "$members" -gt 20 ] || fail "only $members extension members found"
public_grants=$(q "
  WITH m AS (
    SELECT d.classid, d.objid FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
    WHERE x.extname = 'triggers' AND d.deptype = 'e'),
  acl AS (
    SELECT p.oid::regprocedure::text AS obj, coalesce(p.proacl, acldefault('f', p.proowner)) AS acl
    FROM m JOIN pg_proc AS p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT c.oid::regclass::text, coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", c.relowner))
    FROM m JOIN pg_class AS c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'schema ' || n.nspname, coalesce(n.nspacl, acldefault('n', n.nspowner))
    FROM m JOIN pg_namespace AS n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid)
  SELECT string_agg(obj || ' ' || a.privilege_type, ', ' ORDER BY obj)
  FROM acl, aclexplode(acl.acl) AS a WHERE a.grantee = 0")
[ -z "$public_grants" ] || fail "granted to PUBLIC: $public_grants"
# the members this check does not look at (types and the like have no EXECUTE/SELECT)
other=$(q "SELECT string_agg(DISTINCT d.classid::regclass::text, ', ') FROM pg_depend AS d
           JOIN pg_extension AS x ON x.oid = d.refobjid
           WHERE x.extname = 'triggers' AND d.deptype = 'e'
             AND d.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_namespace'::regclass)")
[ -z "$other" ] || echo "note: extension members of other catalogs, not checked: $other"

# --- 2. the recipes ------------------------------------------------------------------
psql -XAtq -v ON_ERROR_STOP=1 -f "$TR_ROOT/examples/roles.sql" >/dev/null
PGOPTIONS="-c client_min_messages=warning" \
  psql -XAtq -v ON_ERROR_STOP=1 -f "$TR_ROOT/examples/roles.sql" >/dev/null   # idempotent
q "DROP ROLE IF EXISTS rel_app; DROP ROLE IF EXISTS rel_worker; DROP ROLE IF EXISTS rel_admin;
   DROP ROLE IF EXISTS rel_nobody" 2>/dev/null || true
q "CREATE ROLE rel_app LOGIN; GRANT triggers_application TO rel_app;
   CREATE ROLE rel_worker LOGIN; GRANT triggers_worker TO rel_worker;
   CREATE ROLE rel_admin LOGIN; GRANT triggers_admin TO rel_admin;
   CREATE ROLE rel_nobody LOGIN"
for r in triggers_application triggers_worker triggers_admin; do
  [ "$(q "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$r'")" = f ] || fail "$r must be NOLOGIN"
done

# Fixtures, made by the superuser: a workflow and a session with instances.
q "SELECT triggers_load_workflow('pw', '{\"a\": {\"after\": [\"go\"], \"run\": \"r\"}}')" \
  "SELECT triggers_start('p-s1', 'pw')" >/dev/null

# Every action: name | SQL | the roles that may do it (app, worker, admin) [| another
# SQLSTATE that refuses it too].  An allowed action may fail for other reasons (an
# unknown task_id is 42704); a refused one must fail with 42501 (or that SQLSTATE).
actions=$(cat <<'EOF'
fire|SELECT triggers_fire('p-s1', 'other')|app admin
start|SELECT triggers_start('p-s2', 'pw')|app admin
configure|SELECT triggers_configure('p-s3', '{"c": {"after": ["x"], "run": "r"}}')|app admin
state|SELECT triggers_state('p-s1')|app admin
unresolved_tasks|SELECT triggers_unresolved_tasks('p-s1')|app admin
unresolved_instances|SELECT triggers_unresolved_instances('p-s1')|app admin
view_select|SELECT * FROM triggers.instances|app admin
view_update|UPDATE triggers.instances SET status = status||55000
view_delete|DELETE FROM triggers.instances||55000
queues_select|SELECT * FROM triggers.queues|app admin
queues_update|UPDATE triggers.queues SET queue = queue||55000
claim|SELECT * FROM triggers_claim('w', '{nothing}')|worker
finish|SELECT triggers_finish(0)|worker
finish_many|SELECT triggers_finish_many('{0}')|worker
fail|SELECT triggers_fail(0)|worker
retry|SELECT triggers_retry(0)|worker
heartbeat|SELECT triggers_heartbeat(0)|worker
load_workflow|SELECT triggers_load_workflow('pw2', '{"a": {"after": ["go"], "run": "r"}}')|admin
validate|SELECT triggers_validate('{}')|admin
replay|SELECT triggers_replay('p-s1', 'a#7')|admin
skip|SELECT triggers_skip('p-s1', 'a#7')|admin
set_status|SELECT triggers_set_status('p-s1', 'a#7', 'finished')|admin
set_metadata|SELECT triggers_set_metadata('p-s1', 'a#7', '{}')|admin
resolve_logs|SELECT triggers_resolve_logs('p-s1', 'a#7')|admin
purge|SELECT triggers_purge('100 years')|admin
workflow_select|SELECT * FROM triggers.workflow|admin
workflow_insert|INSERT INTO triggers.workflow (name, definition) VALUES ('pw3', '{"a": {"after": ["go"], "run": "r"}}')|admin
workflow_update|UPDATE triggers.workflow SET definition = definition WHERE name = 'pw3'|admin
workflow_delete|DELETE FROM triggers.workflow WHERE name = 'pw3'|admin
workflow_truncate|TRUNCATE triggers.workflow|
create_in_schema|CREATE TABLE triggers.mine (x int)|
EOF
)
# Every other relation of the extension: read, write, update, delete, truncate;
# every sequence: nextval, setval; every internal function: a call.
generated=$(q "
  WITH m AS (SELECT d.classid, d.objid FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
             WHERE x.extname = 'triggers' AND d.deptype = 'e')
  SELECT format('%s_%s|%s|', c.relname, v.verb, v.sql)
  FROM m JOIN pg_class AS c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid,
  LATERAL (SELECT a.attname FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attnum > 0
           AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1) AS col,
  LATERAL (VALUES ('select', format('SELECT * FROM %s', c.oid::regclass)),
                  ('insert', format('INSERT INTO %s DEFAULT VALUES', c.oid::regclass)),
                  ('update', format('UPDATE %s SET %I = %I', c.oid::regclass, col.attname, col.attname)),
                  ('delete', format('DELETE FROM %s', c.oid::regclass)),
                  ('truncate', format('TRUNCATE %s', c.oid::regclass))) AS v(verb, sql)
  WHERE c.relkind = 'r' AND c.relname <> 'workflow'
  UNION ALL
  SELECT format('%s_%s|%s|', c.relname, v.verb, v.sql)
  FROM m JOIN pg_class AS c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid,
  LATERAL (VALUES ('nextval', format('SELECT nextval(%L)', c.oid::regclass)),
                  ('setval', format('SELECT setval(%L, 1000)', c.oid::regclass)),
                  ('select', format('SELECT * FROM %s', c.oid::regclass))) AS v(verb, sql)
  WHERE c.relkind = 'S'
  UNION ALL
  SELECT format('%s|SELECT %s(%s)|', p.proname, p.oid::regproc,
                (SELECT string_agg(format('(SELECT NULL::%s)', format_type(t, NULL)), ', ')
                 FROM unnest(p.proargtypes) AS t))
  FROM m JOIN pg_proc AS p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  WHERE p.pronamespace = 'triggers'::regnamespace AND p.prorettype <> 'trigger'::regtype
  ORDER BY 1")
[ "$(echo "$generated" | wc -l)" -gt 40 ] || fail "too few generated actions: $generated"
all_actions=$(printf '%s\n%s\n' "$actions" "$generated")

# Every API function of the extension must appear in the hand-written list.
for f in $(q "SELECT p.proname FROM pg_depend AS d JOIN pg_extension AS x ON x.oid = d.refobjid
              JOIN pg_proc AS p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
              WHERE x.extname = 'triggers' AND d.deptype = 'e'
                AND p.pronamespace <> 'triggers'::regnamespace ORDER BY 1"); do
  echo "$actions" | grep -q "SELECT \(\* FROM \)\?$f(" || fail "API function $f is not tried by this test"
done

# Runs every action as ROLE, one connection, and prints "name sqlstate" lines.
run_actions() {
  local role=$1 script=$TR_DIR/priv.$1.sql name sql who
  {
    echo '\set ON_ERROR_STOP 0'
    echo '\o /dev/null'
    while IFS='|' read -r name sql who; do
      [ -n "$name" ] || continue
      echo "BEGIN;"
      echo "$sql;"
      echo "\\o"
      echo "\\echo RESULT $name :SQLSTATE"
      echo "\\o /dev/null"
      echo "ROLLBACK;"
    done <<<"$all_actions"
  } >"$script"
  psql -XAtq -U "$role" -f "$script" 2>/dev/null | grep '^RESULT '
}

# One awk compares every result with the expectation (forks are slow here).
all_results=$(for role in rel_nobody rel_app rel_worker rel_admin; do
  run_actions "$role" | sed "s/^RESULT /$role /"
done)
mismatches=$(awk -F'|' -v results="$all_results" '
  BEGIN {
    split("rel_nobody=nobody rel_app=app rel_worker=worker rel_admin=admin", pairs, " ")
    for (i in pairs) { split(pairs[i], kv, "="); short[kv[1]] = kv[2] }
    n = split(results, lines, "\n")
    for (i = 1; i <= n; i++) { split(lines[i], f, " "); state[f[1] " " f[2]] = f[3] }
  }
  $1 != "" {
    for (role in short) {
      key = role " " $1
      if (!(key in state)) { print role ": no result for " $1; continue }
      allowed = index(" " $3 " ", " " short[role] " ") > 0
      if (allowed && state[key] == "42501") print role " was refused " $1 " (" $2 ")"
      if (!allowed && state[key] != "42501" && state[key] != $4)
        print role ": " $1 " gave " state[key] ", want 42501" ($4 != "" ? " or " $4 : "") " (" $2 ")"
    }
  }' <<<"$all_actions")
[ -z "$mismatches" ] || { echo "$mismatches" >&2; fail "privilege mismatches"; }
echo "privilege matrix: $(echo "$all_actions" | grep -c .) actions x 4 roles as expected"

# --- 3. each role does its part ------------------------------------------------------
qas rel_admin "SELECT triggers_load_workflow('flow', '{
  // a then b; b may not be retried automatically
  \"a\": {\"after\": [\"go\"], \"run\": \"run_a\"},
  \"b\": {\"after\": [\"a\"], \"run\": \"run_b\", \"maxRetries\": 0}}')"
qas rel_admin "INSERT INTO triggers.workflow (name, definition)
               VALUES ('flow2', '{\"x\": {\"after\": [\"go\"], \"run\": \"rx\"}}')" \
              "UPDATE triggers.workflow SET definition = '{\"x\": {\"after\": [\"go2\"], \"run\": \"rx\"}}'
               WHERE name = 'flow2'" \
              "DELETE FROM triggers.workflow WHERE name = 'flow2'"
expect_eq "admin validates" "$(qas rel_admin "SELECT count(*) FROM triggers_validate('{\"t\": {\"run\": \"\"}}')")" 2
expect_eq "application starts" "$(qas rel_app "SELECT triggers_start('flow-1', 'flow')")" "{}"
expect_eq "application fires" "$(qas rel_app "SELECT triggers_fire('flow-1', 'go', '{\"n\": 1}')")" "{a#0}"
expect_eq "application inspects" \
  "$(qas rel_app "SELECT status FROM triggers.instances WHERE session = 'flow-1' AND instance = 'a#0'")" scheduled
read -r tid inst < <(qas rel_worker "SELECT task_id || ' ' || instance FROM triggers_claim('w1')")
expect_eq "worker claims" "$inst" "a#0"
expect_eq "worker heartbeats" "$(qas rel_worker "SELECT triggers_heartbeat($tid)")" t
expect_eq "worker finishes" "$(qas rel_worker "SELECT triggers_finish($tid, '{\"ok\": true}')")" "{b#0}"
read -r tid inst < <(qas rel_worker "SELECT task_id || ' ' || instance FROM triggers_claim('w1')")
expect_eq "worker claims the cascade" "$inst" "b#0"
qas rel_worker "SELECT triggers_fail($tid, '{\"type\": \"Boom\", \"message\": \"no\"}')" >/dev/null
expect_eq "application sees the failure" "$(qas rel_app "SELECT triggers_unresolved_instances('flow-1')")" "b#0"
expect_eq "admin replays" "$(qas rel_admin "SELECT triggers_replay('flow-1', 'b#0')")" "b#1"
read -r tid inst < <(qas rel_worker "SELECT task_id || ' ' || instance FROM triggers_claim('w1')")
expect_eq "worker claims the replay" "$inst" "b#1"
expect_eq "worker retries (maxRetries 0: refused, stays failed)" \
  "$(qas rel_worker "SELECT coalesce(triggers_retry($tid), 'NULL')")" NULL
expect_eq "admin skips" "$(qas rel_admin "SELECT triggers_skip('flow-1', 'b#1')")" "{}"
qas rel_admin "SELECT triggers_set_metadata('flow-1', 'b#1', '{\"note\": \"by hand\"}')" \
              "SELECT triggers_resolve_logs('flow-1', 'b#1')" \
              "SELECT triggers_set_status('flow-1', 'b#0', 'finished')" >/dev/null
expect_eq "admin is also an application" "$(qas rel_admin "SELECT triggers_state('flow-1') #>> '{instances,b#1,metadata,note}'")" "by hand"
expect_eq "application sees everything resolved" "$(qas rel_app "SELECT count(*) FROM triggers_unresolved_instances('flow-1')")" 0
purgeable=$(q "SELECT count(*) FROM triggers.session AS s WHERE NOT EXISTS (SELECT FROM triggers.instance AS i
                WHERE i.session = s.session AND i.status IN ('unstarted', 'scheduled', 'running', 'failed'))")
expect_eq "admin purges" "$(qas rel_admin "SELECT triggers_purge('0')")" "$purgeable"
expect_eq "purged session is gone" "$(q "SELECT count(*) FROM triggers.session WHERE session = 'flow-1'")" 0
# the worker sees nothing of the data, the application cannot load workflows
[ "$(sqlstate_as rel_worker "SELECT * FROM triggers.instances")" = 42501 ] || fail "worker read instances"
[ "$(sqlstate_as rel_app "SELECT triggers_load_workflow('x', '{}')")" = 42501 ] || fail "application loaded a workflow"
echo "each role did its part"
