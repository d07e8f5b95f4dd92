-- worker_api: triggers_claim, triggers_finish, triggers_fail, triggers_retry and
-- triggers_heartbeat; maxRetries and retryDelay; repeated answers; unknown ids.
-- Sessions "wa-*", queues "wa*" and "default".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.show(p_session text)
RETURNS TABLE (instance text, status text, kwargs jsonb, metadata jsonb)
LANGUAGE sql AS $$
  SELECT i.instance, i.status, i.kwargs, i.metadata - 'timestamps' FROM triggers.instances AS i
  WHERE i.session = p_session ORDER BY i.task, i.n
$$;
-- Runs a statement that must fail; shows its SQLSTATE and message, with task ids
-- (which depend on the sequence) masked.
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_detail text;
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'task [0-9]+', 'task <id>', 'g')
         || coalesce(' (' || nullif(v_detail, '') || ')', '');
END $$;

-- Earlier suites leave tasks on the default queue: take them out of the way.
SELECT count(*) >= 0 AS drained FROM triggers_claim('wa-drain', '{default}', 10000);

------------------------------------------------------------------------------
-- triggers_claim
------------------------------------------------------------------------------
SELECT triggers_configure('wa-1', '{
  "t_default": {"after": ["go"], "run": "run.default"},
  "t_wa":      {"after": ["go"], "run": "run.wa", "using": "wa1", "withParams": {"go": {"p": 1}}},
  "t_wa2":     {"after": ["go"], "run": "run.wa2", "using": "wa1.x"}
}');
SELECT array_length(triggers_fire('wa-1', 'go', '{"k": "v"}'), 1) AS scheduled;
-- the defaults: queue "default", one task, a five minute lease
BEGIN;
SELECT task_id IS NOT NULL AS has_id, session, instance, task, run, queue, kwargs, attempt
FROM triggers_claim('wa-worker-1');
SELECT task, worker, visible_at - claimed_at AS lease FROM triggers.queue WHERE session = 'wa-1' AND worker IS NOT NULL;
COMMIT;
SELECT * FROM triggers_claim('wa-worker-1');
-- several queues at once, and kwargs merged with withParams
SELECT session, instance, task, run, queue, kwargs, attempt
FROM triggers_claim('wa-worker-2', ARRAY['wa1', 'wa1.x'], 10, '1 hour') ORDER BY instance;
SELECT instance, status FROM triggers.instances WHERE session = 'wa-1' ORDER BY task;
SELECT count(*) FROM triggers_claim('wa-worker-2', ARRAY['wa1', 'wa1.x', 'default', 'nothing-here'], 10);
-- max_tasks
SELECT triggers_configure('wa-1b', '{"t": {"after": [], "andEvery": "e", "run": "r", "using": "wa1b"}}');
SELECT triggers_fire('wa-1b', 'e') FROM generate_series(1, 3);
SELECT count(*) FROM triggers_claim('wa-worker-3', '{wa1b}', 2);
SELECT count(*) FROM triggers_claim('wa-worker-3', '{wa1b}', 2);
SELECT count(*) FROM triggers_claim('wa-worker-3', '{wa1b}', 2);
SELECT status, count(*) FROM triggers.instances WHERE session = 'wa-1b' GROUP BY status;
-- NULL arguments with defaults mean the defaults (queue "default", one task, five minutes)
SELECT triggers_configure('wa-1c', '{"t": {"after": [], "andEvery": "go", "run": "r"}}');
SELECT triggers_fire('wa-1c', 'go');
SELECT triggers_fire('wa-1c', 'go');
BEGIN;
SELECT instance, queue, attempt FROM triggers_claim('wa-worker-3', NULL, NULL, NULL);
SELECT n, worker, visible_at - claimed_at AS lease FROM triggers.queue WHERE session = 'wa-1c' AND worker IS NOT NULL;
COMMIT;
SELECT instance, status FROM triggers.instances WHERE session = 'wa-1c' ORDER BY n;

------------------------------------------------------------------------------
-- triggers_finish: result, cascade, repeated answers
------------------------------------------------------------------------------
SELECT triggers_configure('wa-2', '{
  "t":      {"after": ["go"], "run": "r", "using": "wa2"},
  "t_sink": {"after": [], "andEvery": "t", "run": "sink", "using": "wa2.sink"}
}');
SELECT triggers_fire('wa-2', 'go');
SELECT task_id AS wa2_task FROM triggers_claim('wa-w', '{wa2}') \gset
SELECT triggers_finish(:wa2_task, '{"out": [1, 2]}');
SELECT * FROM pg_temp.show('wa-2');
-- the same answer again: a no-op that cascades nothing
SELECT triggers_finish(:wa2_task, '{"out": [1, 2]}');
SELECT triggers_finish(:wa2_task);
SELECT * FROM pg_temp.show('wa-2');
SELECT triggers_state('wa-2') #> '{metadata,latest_kwargs}';
-- another verb for an answered task is refused
SELECT pg_temp.err(format('SELECT triggers_fail(%s)', :wa2_task));
SELECT pg_temp.err(format('SELECT triggers_retry(%s)', :wa2_task));
SELECT triggers_heartbeat(:wa2_task);
SELECT * FROM pg_temp.show('wa-2');
-- result defaults to {}; SQL NULL and JSON null mean {}
SELECT triggers_configure('wa-2b', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "wa2b"}}');
SELECT triggers_fire('wa-2b', 'go') FROM generate_series(1, 3);
CREATE TEMP TABLE held2 AS SELECT * FROM triggers_claim('wa-w', '{wa2b}', 10);
SELECT instance FROM held2 ORDER BY instance;
SELECT triggers_finish(task_id) FROM held2 WHERE instance = 't#0';
SELECT triggers_finish(task_id, NULL) FROM held2 WHERE instance = 't#1';
SELECT triggers_finish(task_id, 'null') FROM held2 WHERE instance = 't#2';
SELECT instance, status, metadata -> 'result' AS result FROM triggers.instances
WHERE session = 'wa-2b' ORDER BY n;
-- an answer for a task nobody claimed is refused
SELECT triggers_fire('wa-2b', 'go');
SELECT pg_temp.err(format('SELECT triggers_finish(%s)', task_id)) FROM triggers.instances
WHERE session = 'wa-2b' AND instance = 't#3';
SELECT instance, status FROM triggers.instances WHERE session = 'wa-2b' AND instance = 't#3';

------------------------------------------------------------------------------
-- triggers_fail: error metadata, repeated answers
------------------------------------------------------------------------------
SELECT triggers_configure('wa-3', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "wa3"}}');
SELECT triggers_fire('wa-3', 'go') FROM generate_series(1, 5);
CREATE TEMP TABLE held3 AS SELECT * FROM triggers_claim('wa-w', '{wa3}', 10);
SELECT instance FROM held3 ORDER BY instance;
SELECT triggers_fail(task_id, '{"type": "KeyError", "message": "no key", "traceback": "File x, line 1",
                               "context": {"k": "v"}, "other": 1}') FROM held3 WHERE instance = 't#0';
SELECT triggers_fail(task_id, '{"message": "only a message"}') FROM held3 WHERE instance = 't#1';
SELECT triggers_fail(task_id, '{"traceback": "only a traceback"}') FROM held3 WHERE instance = 't#2';
SELECT triggers_fail(task_id) FROM held3 WHERE instance = 't#3';
SELECT triggers_fail(task_id, 'null') FROM held3 WHERE instance = 't#4';
SELECT * FROM pg_temp.show('wa-3');
SELECT count(*) FROM triggers.queue WHERE session = 'wa-3';
-- the same answer again: a no-op; another verb: refused
SELECT triggers_fail(task_id, '{"type": "Other"}') FROM held3 WHERE instance = 't#4';
SELECT pg_temp.err(format('SELECT triggers_finish(%s)', task_id)) FROM held3 WHERE instance = 't#4';
SELECT * FROM pg_temp.show('wa-3') WHERE instance = 't#4';
-- without maxRetries a failed instance stays failed until replayed or skipped
SELECT * FROM triggers_unresolved_instances('wa-3');

------------------------------------------------------------------------------
-- triggers_retry: cooldown, replacement kwargs, maxRetries
------------------------------------------------------------------------------
SELECT triggers_configure('wa-4', '{
  "t_free":  {"after": ["go"], "run": "free", "using": "wa4.free"},
  "t_max2":  {"after": ["go"], "run": "max2", "using": "wa4.max2", "maxRetries": 2},
  "t_max0":  {"after": ["go"], "run": "max0", "using": "wa4.max0", "maxRetries": 0}
}');
SELECT array_length(triggers_fire('wa-4', 'go', '{"v": 0}'), 1) AS scheduled;
-- default cooldown: the clone is claimable at once
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.free}');
SELECT * FROM pg_temp.show('wa-4') WHERE instance LIKE 't_free%';
-- the retried instance was failed, then replayed
SELECT instance, ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS timestamps
FROM triggers.instances WHERE session = 'wa-4' AND task = 't_free' ORDER BY n;
-- a cooldown and replacement kwargs: the clone is scheduled but not claimable
-- before the cooldown ends
BEGIN;
SELECT triggers_retry(task_id, '1 hour', '{"go": {"v": 1}}') FROM triggers_claim('wa-w', '{wa4.free}');
SELECT task, n, visible_at - now() AS wait, worker FROM triggers.queue WHERE session = 'wa-4' AND task = 't_free';
COMMIT;
SELECT count(*) FROM triggers_claim('wa-w', '{wa4.free}');
SELECT count(*) FROM triggers.queue WHERE session = 'wa-4' AND task = 't_free' AND visible_at > now();
SELECT * FROM pg_temp.show('wa-4') WHERE instance LIKE 't_free%';
-- repeated: no new clone
SELECT task_id AS wa4_task FROM triggers.instances WHERE session = 'wa-4' AND instance = 't_free#1' \gset
SELECT triggers_retry(:wa4_task, '1 hour', '{"go": {"v": 1}}');
SELECT count(*) FROM triggers.instances WHERE session = 'wa-4' AND task = 't_free';
-- explicit retries without maxRetries are unlimited
SELECT triggers_set_status('wa-4', 't_free#2', 'scheduled');
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.free}');
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.free}');
SELECT instance, status, metadata -> 'depth' AS depth FROM triggers.instances
WHERE session = 'wa-4' AND task = 't_free' ORDER BY n;
-- maxRetries 2: two retries, then the instance stays failed
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.max2}');
SELECT triggers_retry(task_id, NULL, NULL) FROM triggers_claim('wa-w', '{wa4.max2}');
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.max2}');
SELECT * FROM pg_temp.show('wa-4') WHERE instance LIKE 't_max2%';
-- maxRetries 0 forbids retries
SELECT triggers_retry(task_id) FROM triggers_claim('wa-w', '{wa4.max0}');
SELECT * FROM pg_temp.show('wa-4') WHERE instance LIKE 't_max0%';
SELECT * FROM triggers_unresolved_instances('wa-4');
SELECT task, n FROM triggers.queue WHERE session = 'wa-4' ORDER BY task, n;

------------------------------------------------------------------------------
-- triggers_fail with maxRetries: automatic replays after retryDelay, doubling,
-- capped at one hour.  (The delay is read in the failing transaction; a clone
-- is made claimable at once with triggers_set_status instead of waiting.)
------------------------------------------------------------------------------
SELECT triggers_configure('wa-5', '{
  "t":    {"after": ["go"], "run": "r", "using": "wa5", "maxRetries": 3, "retryDelay": 1000},
  "t_d":  {"after": ["go"], "run": "r", "using": "wa5.d", "maxRetries": 1}
}');
SELECT array_length(triggers_fire('wa-5', 'go', '{"v": 1}'), 1) AS scheduled;
BEGIN;
SELECT triggers_fail(task_id, '{"type": "E1"}') FROM triggers_claim('wa-w', '{wa5}');
SELECT task, n, visible_at - now() AS delay FROM triggers.queue WHERE session = 'wa-5' AND task = 't';
COMMIT;
SELECT * FROM pg_temp.show('wa-5') WHERE instance LIKE 't#%';
SELECT count(*) FROM triggers_claim('wa-w', '{wa5}');
SELECT triggers_set_status('wa-5', 't#1', 'scheduled');
BEGIN;
SELECT triggers_fail(task_id, '{"type": "E2"}') FROM triggers_claim('wa-w', '{wa5}');
SELECT task, n, visible_at - now() AS delay FROM triggers.queue WHERE session = 'wa-5' AND task = 't';
COMMIT;
SELECT triggers_set_status('wa-5', 't#2', 'scheduled');
BEGIN;
SELECT triggers_fail(task_id, '{"type": "E3"}') FROM triggers_claim('wa-w', '{wa5}');
SELECT task, n, visible_at - now() AS delay FROM triggers.queue WHERE session = 'wa-5' AND task = 't';
COMMIT;
SELECT triggers_set_status('wa-5', 't#3', 'scheduled');
SELECT triggers_fail(task_id, '{"type": "E4"}') FROM triggers_claim('wa-w', '{wa5}');
SELECT instance, status, kwargs, metadata - 'exceptionType' AS metadata FROM pg_temp.show('wa-5')
WHERE instance LIKE 't#%';
SELECT metadata ->> 'exceptionType' IN ('E4', 'MaxRetriesExceeded') AS failed_as_expected
FROM pg_temp.show('wa-5') WHERE instance = 't#3';
SELECT count(*) FROM triggers.queue WHERE session = 'wa-5' AND task = 't';
-- the default retryDelay is one second
BEGIN;
SELECT triggers_fail(task_id) FROM triggers_claim('wa-w', '{wa5.d}');
SELECT task, n, visible_at - now() AS delay FROM triggers.queue WHERE session = 'wa-5' AND task = 't_d';
COMMIT;
SELECT * FROM pg_temp.show('wa-5') WHERE instance LIKE 't_d#%';
SELECT * FROM triggers_unresolved_instances('wa-5');

------------------------------------------------------------------------------
-- triggers_heartbeat
------------------------------------------------------------------------------
SELECT triggers_configure('wa-6', '{"t": {"after": ["go"], "run": "r", "using": "wa6"}}');
SELECT triggers_fire('wa-6', 'go');
SELECT task_id AS wa6_task FROM triggers_claim('wa-w', '{wa6}', 1, '10 seconds') \gset
BEGIN;
-- (the lease counts from the heartbeat's statement, a little after now(): to the second)
SELECT triggers_heartbeat(:wa6_task, '2 hours');
SELECT date_trunc('second', visible_at - now()) AS lease FROM triggers.queue WHERE session = 'wa-6';
SELECT triggers_heartbeat(:wa6_task);
SELECT date_trunc('second', visible_at - now()) AS lease FROM triggers.queue WHERE session = 'wa-6';
SELECT triggers_heartbeat(:wa6_task, NULL);
SELECT date_trunc('second', visible_at - now()) AS lease FROM triggers.queue WHERE session = 'wa-6';
COMMIT;
SELECT triggers_finish(:wa6_task);
-- no longer held
SELECT triggers_heartbeat(:wa6_task);

------------------------------------------------------------------------------
-- A task_id that never existed: 42704, for every verb.
------------------------------------------------------------------------------
SELECT triggers_finish(999999999);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fail(999999999, '{"type": "X"}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(999999999);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_heartbeat(999999999);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(-1);
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- A retry delay doubles with the depth up to an hour, however deep the
-- instance: at depth 1100 a failure is still retried an hour later (the
-- doubling used to overflow at 1024, and the task could never be failed).
------------------------------------------------------------------------------
SELECT triggers_configure('wa-deep', '{"t": {"after": ["go"], "run": "r", "using": "wa.deep", "maxRetries": 1000000}}');
SELECT triggers_fire('wa-deep', 'go');
DO $$
BEGIN
  FOR i IN 1..1100 LOOP
    PERFORM triggers_retry(c.task_id) FROM triggers_claim('wa-w', '{wa.deep}') AS c;
  END LOOP;
END $$;
SELECT triggers_fail(task_id) FROM triggers_claim('wa-w', '{wa.deep}');
SELECT i.metadata -> 'depth' AS depth, round(extract(epoch FROM q.visible_at - now())) AS retry_in_seconds
FROM triggers.queue AS q JOIN triggers.instance AS i USING (session, task, n) WHERE q.session = 'wa-deep';

------------------------------------------------------------------------------
-- A retry repeated after its parent was also replayed by hand still returns
-- the retry's own clone (not "more than one row").
------------------------------------------------------------------------------
SELECT triggers_configure('wa-rr', '{"t": {"after": ["go"], "run": "r", "using": "wa.rr"}}');
SELECT triggers_fire('wa-rr', 'go');
SELECT task_id AS rr_task FROM triggers_claim('wa-w', '{wa.rr}') \gset
SELECT triggers_retry(:rr_task);
SELECT triggers_set_status('wa-rr', 't#0', 'failed');
SELECT triggers_replay('wa-rr', 't#0');
SELECT triggers_retry(:rr_task) AS repeated;
