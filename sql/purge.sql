-- purge: triggers_purge(older_than) deletes the sessions with no unresolved
-- instance and no activity (fire, answer, configuration) for older_than, with
-- all their rows, and returns how many.  Sessions "pg-*", queue "pg".
--
-- Other suites' sessions may be purged too, so the count is checked as a lower
-- bound, and each of this suite's sessions is checked by name.  Time passes
-- with one pg_sleep; the "recent" activity happens in the purging transaction
-- itself, so no assertion depends on how long anything takes.
\set SHOW_CONTEXT never

-- Whether a session exists (triggers_state raises 42704 for an unknown one).
CREATE FUNCTION pg_temp.session_exists(p_session text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM triggers_state(p_session);
  RETURN true;
EXCEPTION WHEN undefined_object THEN
  RETURN false;
END $$;
CREATE FUNCTION pg_temp.sessions()
RETURNS TABLE (session text, present boolean)
LANGUAGE sql AS $$
  SELECT s, pg_temp.session_exists(s) FROM unnest(ARRAY['pg-done', 'pg-fires-only', 'pg-unstarted',
    'pg-failed', 'pg-running', 'pg-recent-fire', 'pg-recent-config', 'pg-recent-answer']) AS s ORDER BY s
$$;

-- all resolved
SELECT triggers_configure('pg-done', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_fire('pg-done', 'go');
SELECT triggers_finish(task_id) FROM triggers_claim('pg-w', '{pg}');
-- no configuration, no instance: nothing unresolved
SELECT triggers_fire('pg-fires-only', 'x', '{"k": 1}');
-- unresolved instances: unstarted, failed, running
SELECT triggers_configure('pg-unstarted', '{"t": {"after": ["go", "never"], "run": "r"}}');
SELECT triggers_fire('pg-unstarted', 'go');
SELECT triggers_configure('pg-failed', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_fire('pg-failed', 'go');
SELECT triggers_fail(task_id) FROM triggers_claim('pg-w', '{pg}');
SELECT triggers_configure('pg-running', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_fire('pg-running', 'go');
SELECT count(*) FROM triggers_claim('pg-w', '{pg}', 1, '1 hour');
-- resolved, but active again just before the purge
SELECT triggers_configure('pg-recent-fire', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_fire('pg-recent-fire', 'go');
SELECT triggers_finish(task_id) FROM triggers_claim('pg-w', '{pg}');
SELECT triggers_configure('pg-recent-config', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_fire('pg-recent-config', 'go');
SELECT triggers_finish(task_id) FROM triggers_claim('pg-w', '{pg}');
SELECT triggers_configure('pg-recent-answer', '{"t": {"after": ["go"], "run": "r", "using": "pg.answer"}}');
SELECT triggers_fire('pg-recent-answer', 'go');
SELECT task_id AS answer_task FROM triggers_claim('pg-w', '{pg.answer}', 1, '1 hour') \gset

-- nothing is an hour old
SELECT triggers_purge('1 hour');
SELECT * FROM pg_temp.sessions();

SELECT pg_sleep(1.1);
BEGIN;
SELECT triggers_fire('pg-recent-fire', 'again');
SELECT triggers_configure('pg-recent-config', '{"t2": {"after": ["never"], "run": "r"}}');
SELECT triggers_finish(:answer_task);
SELECT * FROM triggers_unresolved_instances('pg-recent-answer');
SELECT triggers_purge('1 second') >= 2 AS purged;
-- a second call in the same transaction finds nothing more
SELECT triggers_purge('1 second');
COMMIT;
SELECT * FROM pg_temp.sessions();
-- all of a purged session's rows are gone
SELECT count(*) FROM triggers.instances WHERE session IN ('pg-done', 'pg-fires-only');
SELECT count(*) FROM triggers.queue WHERE session IN ('pg-done', 'pg-fires-only');
-- a purged session's id starts afresh: no configuration, no earlier fires
SELECT triggers_fire('pg-fires-only', 'y');
SELECT triggers_state('pg-fires-only');
SELECT triggers_configure('pg-done', '{"t": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_state('pg-done') -> 'instances';
SELECT triggers_fire('pg-done', 'go');
-- the kept sessions are untouched
SELECT session, instance, status FROM triggers.instances
WHERE session IN ('pg-unstarted', 'pg-failed', 'pg-running', 'pg-recent-fire', 'pg-recent-config',
                  'pg-recent-answer')
ORDER BY session, instance;
SELECT triggers_state('pg-recent-fire') -> 'metadata';

-- Sessions configured with the same tasks share one configuration, which a
-- purge removes with the last session (or workflow) that uses it.
SELECT triggers_configure('pg-share-1', '{"shared": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_configure('pg-share-2', '{"shared": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT triggers_configure('pg-share-3', '{"shared": {"after": ["go"], "run": "other", "using": "pg"}}');
SELECT count(DISTINCT config_id) AS configurations FROM triggers.session WHERE session LIKE 'pg-share-%';
SELECT count(*) AS configurations FROM triggers.config WHERE tasks -> 'shared' ->> 'run' IN ('r', 'other');
-- a workflow with the same tasks shares it too
SELECT triggers_load_workflow('pg-share', '{"shared": {"after": ["go"], "run": "r", "using": "pg"}}');
SELECT w.config_id = s.config_id AS workflow_shares FROM triggers.workflow AS w, triggers.session AS s
WHERE w.name = 'pg-share' AND s.session = 'pg-share-1';
UPDATE triggers.session SET last_activity = now() - interval '1 day' WHERE session LIKE 'pg-share-%';
SELECT triggers_purge('1 hour') >= 3 AS purged;
SELECT tasks -> 'shared' ->> 'run' AS run FROM triggers.config WHERE tasks -> 'shared' ->> 'run' IN ('r', 'other');
DELETE FROM triggers.workflow WHERE name = 'pg-share';
SELECT triggers_purge('1 hour') >= 0 AS purged;
SELECT count(*) AS configurations FROM triggers.config WHERE tasks -> 'shared' ->> 'run' IN ('r', 'other');
