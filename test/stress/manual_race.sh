#!/usr/bin/env bash
# Configuration and manual changes racing claims that re-deliver (the lookups
# of triggers._lock_queued): 6 pgbench clients on 200 sessions of an andEvery
# task mix fires, claims with 20 ms leases (so tasks are handed out again all
# the time, each time under a new task_id), finishes, triggers_configure
# switching the task's run and queue, and triggers_set_status on queued and
# running instances.  Then the queue must still mirror the instances: every
# scheduled instance has its queue row (same task_id), every queue row has its
# scheduled instance, and every queue row follows its session's current
# configuration.  No transaction may fail (deadlocks would).
. "$(dirname "$0")/lib.sh"

SECONDS_RUN=${STRESS_MANUAL_SECONDS:-60}
st_setup "${STRESS_MANUAL_PORT:-55564}"
q "CREATE EXTENSION triggers" \
  "SELECT count(triggers_configure('s' || g, '{\"t\": {\"after\": [], \"andEvery\": \"go\", \"run\": \"r1\"}}'))
   FROM generate_series(1, 200) AS g" >/dev/null
# answers and changes by hand may lose their race (a lease lost, an instance
# answered meanwhile): those refusals are counted, not failures
q "CREATE TABLE soak_log (what text, state text)" \
  "CREATE FUNCTION soak_finish(p_session text) RETURNS text LANGUAGE plpgsql AS \$\$
   DECLARE v bigint;
   BEGIN
     SELECT q.task_id INTO v FROM triggers.queue AS q WHERE q.session = p_session AND q.worker IS NOT NULL LIMIT 1;
     IF v IS NULL THEN RETURN 'none'; END IF;
     PERFORM triggers_finish(v);
     RETURN 'ok';
   EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
   END \$\$" \
  "CREATE FUNCTION soak_manual(p_session text) RETURNS text LANGUAGE plpgsql AS \$\$
   DECLARE r record;
   BEGIN
     SELECT v.instance, v.status INTO r FROM triggers.instances AS v
     WHERE v.session = p_session AND v.status IN ('scheduled', 'running') LIMIT 1;
     IF NOT FOUND THEN RETURN 'none'; END IF;
     PERFORM triggers_set_status(p_session, r.instance,
                                 CASE WHEN r.status = 'running' THEN 'scheduled' ELSE 'failed' END);
     RETURN 'ok';
   EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
   END \$\$" >/dev/null

cat >"$ST_DIR/fire.sql" <<'SQL'
\set s random(1, 200)
SELECT triggers_fire('s' || :s, 'go');
SQL
cat >"$ST_DIR/claim.sql" <<'SQL'
SELECT count(*) FROM triggers_claim('w' || :client_id, '{default,other}', 5, interval '20 milliseconds');
SQL
cat >"$ST_DIR/finish.sql" <<'SQL'
\set s random(1, 200)
INSERT INTO soak_log SELECT 'finish', soak_finish('s' || :s);
SQL
cat >"$ST_DIR/configure.sql" <<'SQL'
\set s random(1, 200)
\set r random(1, 3)
\set q random(0, 1)
SELECT triggers_configure('s' || :s, jsonb_build_object('t', jsonb_build_object('after', jsonb_build_array(),
  'andEvery', 'go', 'run', 'r' || :r, 'using', CASE WHEN :q = 0 THEN 'default' ELSE 'other' END)));
INSERT INTO soak_log VALUES ('configure', 'ok');
SQL
cat >"$ST_DIR/manual.sql" <<'SQL'
\set s random(1, 200)
INSERT INTO soak_log SELECT 'manual', soak_manual('s' || :s);
SQL

log "load: 6 clients for ${SECONDS_RUN}s"
(cd "$ST_DIR" && "$PGBIN/pgbench" -n -c 6 -j 2 -T "$SECONDS_RUN" -f fire.sql@4 -f claim.sql@4 -f finish.sql@2 \
   -f configure.sql@2 -f manual.sql@1) >"$ST_DIR/pgbench.out" 2>&1 \
  || { tail -n 20 "$ST_DIR/pgbench.out"; fail "pgbench failed (a client aborted)"; }
grep -E '^number of (transactions actually processed|failed transactions)' "$ST_DIR/pgbench.out" | sed 's/^/  /'
grep -q '^number of failed transactions: 0 ' "$ST_DIR/pgbench.out" || fail "failed transactions"

check() {   # LABEL SQL: the count SQL returns must be 0
  local n
  n=$(q "$2")
  log "$1: $n"
  [ "$n" = 0 ] || fail "$1"
}
check "scheduled instances without their queue row" \
  "SELECT count(*) FROM triggers.instance AS i WHERE i.status = 'scheduled'
   AND NOT EXISTS (SELECT FROM triggers.queue AS q WHERE q.task_id = i.task_id)"
check "queue rows without their scheduled instance" \
  "SELECT count(*) FROM triggers.queue AS q WHERE NOT EXISTS (
     SELECT FROM triggers.instance AS i WHERE i.task_id = q.task_id AND i.status = 'scheduled'
       AND i.session = q.session AND i.task = q.task AND i.n = q.n)"
check "queue rows not following their session's configuration" \
  "SELECT count(*) FROM triggers.queue AS q JOIN triggers.session AS s USING (session)
   JOIN triggers.config_task AS c ON c.config_id = s.config_id AND c.task = q.task
   WHERE q.run <> c.run OR q.queue <> c.queue"
redelivered=$(q "SELECT count(*) FROM triggers.stale_delivery")
counts=$(q "SELECT string_agg(what || ' ' || state || ': ' || n, ', ' ORDER BY what, state)
            FROM (SELECT what, state, count(*) AS n FROM soak_log GROUP BY 1, 2) AS l")
log "deliveries replaced: $redelivered; $counts"
# the race must have happened: tasks handed out again, configurations and manual changes done
[ "$redelivered" -gt 100 ] || fail "too few re-deliveries ($redelivered) to exercise the race"
for what in configure manual; do
  n=$(q "SELECT count(*) FROM soak_log WHERE what = '$what' AND state = 'ok'")
  [ "$n" -gt 100 ] || fail "too few successful $what calls ($n)"
done
