-- bad_input: SQL NULL for every argument of every function (22004, or the
-- default where the argument has one), non-object kwargs/results/errors/metadata
-- (22023), unparsable JSON (22P02), unknown sessions, instances and workflows
-- (42704), invalid statuses and other bad values (22023).  After each group, a
-- snapshot shows that nothing changed.
-- (Names: see names; malformed definitions: bad_definitions; unknown task ids:
-- worker_api.)  Sessions "bi-*", workflows "bi_*", queue "bi".
\set SHOW_CONTEXT never

-- What this suite could change, in one row: the number of instances of the
-- "bi-*" sessions and a digest of them (statuses, kwargs, metadata but
-- timestamps), the latest kwargs of bi-1, the queued tasks, the workflows.
CREATE FUNCTION pg_temp.snapshot(OUT instances bigint, OUT digest text, OUT latest_kwargs jsonb,
                                 OUT queued bigint, OUT workflows bigint)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM triggers.instances AS i WHERE i.session LIKE 'bi-%'),
         (SELECT md5(string_agg(i.session || ' ' || i.instance || ' ' || i.status || ' ' || i.kwargs::text || ' '
                                || (i.metadata - 'timestamps')::text, '; ' ORDER BY i.session, i.instance))
          FROM triggers.instances AS i WHERE i.session LIKE 'bi-%'),
         triggers_state('bi-1') -> 'metadata' -> 'latest_kwargs',
         (SELECT count(*) FROM triggers.queue AS q WHERE q.session LIKE 'bi-%'),
         (SELECT count(*) FROM triggers.workflow AS w WHERE w.name LIKE 'bi\_%')
$$;
CREATE FUNCTION pg_temp.instances()
RETURNS TABLE (session text, instance text, status text, kwargs jsonb, metadata jsonb)
LANGUAGE sql AS $$
  SELECT i.session, i.instance, i.status, i.kwargs, i.metadata - 'timestamps' FROM triggers.instances AS i
  WHERE i.session LIKE 'bi-%' ORDER BY i.session, i.task, i.n
$$;

INSERT INTO triggers.workflow (name, definition) VALUES ('bi_wf', '{"t": {"after": ["a"], "run": "r"}}');
SELECT triggers_configure('bi-1', '{
  "t":  {"after": ["a"], "run": "r", "using": "bi"},
  "tf": {"after": ["a"], "run": "r", "using": "bi.f"},
  "tn": {"after": ["never"], "run": "r"}
}');
SELECT triggers_fire('bi-1', 'a', '{"v": 1}');
SELECT triggers_fail(task_id) FROM triggers_claim('bi-w', '{bi.f}');
SELECT task_id AS bi_task FROM triggers_claim('bi-w', '{bi}') \gset
SELECT * FROM pg_temp.instances();
SELECT * FROM pg_temp.snapshot();

------------------------------------------------------------------------------
-- SQL NULL for arguments without a default: 22004
------------------------------------------------------------------------------
SELECT triggers_load_workflow(NULL, '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bi_x', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_validate(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start(NULL, 'bi_wf');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start('bi-2', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure(NULL, '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure('bi-2', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire(NULL, 'a');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', NULL, '{"v": 2}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim(NULL, '{bi}', 1, '1 minute');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(NULL, '{}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fail(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fail(NULL, '{"type": "E"}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(NULL, '1 minute', '{}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_heartbeat(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_heartbeat(NULL, '1 minute');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay(NULL, 'tf#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip(NULL, 'tf#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-1', NULL, true);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status(NULL, 't#0', 'failed');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', NULL, 'failed');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata(NULL, 't#0', '{"k": 1}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata('bi-1', NULL, '{"k": 1}');
\echo SQLSTATE: :SQLSTATE
-- (metadata has no default: NULL is refused like the other arguments without one)
\set VERBOSITY sqlstate
SELECT triggers_set_metadata('bi-1', 't#0', NULL);
\set VERBOSITY default
SELECT triggers_resolve_logs(NULL, 't#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_resolve_logs('bi-1', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_unresolved_tasks(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_unresolved_instances(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_purge(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM pg_temp.snapshot();
SELECT triggers_state('bi-2');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- SQL NULL for arguments with a default means the default (those not covered
-- by the other suites).
------------------------------------------------------------------------------
SELECT triggers_configure('bi-3', '{
  "t":    {"after": [], "andEvery": "go", "run": "r", "using": "bi.3"},
  "next": {"after": [], "andEvery": "t", "run": "r", "using": "bi.3n"}
}');
SELECT triggers_fire('bi-3', 'go') FROM generate_series(1, 3);
CREATE TEMP TABLE held AS SELECT * FROM triggers_claim('bi-w', '{bi.3}', 10);
SELECT triggers_fail(task_id, NULL) FROM held WHERE instance = 't#0';
SELECT triggers_fail(task_id, 'null') FROM held WHERE instance = 't#1';
SELECT triggers_fail(task_id) FROM held WHERE instance = 't#2';
-- skip: cascade NULL = false; result NULL = {}
SELECT triggers_skip('bi-3', 't#0', NULL, NULL);
SELECT triggers_skip('bi-3', 't#1', true, NULL);
-- set_status: metadata NULL = no change, cascade NULL = false, cascade_kwargs NULL = {}
SELECT triggers_set_status('bi-3', 't#2', 'finished', NULL, NULL, NULL);
SELECT triggers_set_status('bi-3', 't#2', 'finished', NULL, true, NULL);
SELECT instance, status, kwargs, metadata - 'timestamps' AS metadata FROM triggers.instances
WHERE session = 'bi-3' ORDER BY task, n;
SELECT * FROM pg_temp.snapshot();

------------------------------------------------------------------------------
-- kwargs, results, errors, metadata that are not JSON objects: 22023
------------------------------------------------------------------------------
SELECT triggers_fire('bi-1', 'a', '[]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', 'a', '"text"');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', 'a', '1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', 'a', 'true');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-new', 'a', '[1]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(:bi_task, '[1]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(:bi_task, '"done"');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fail(:bi_task, '"boom"');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fail(:bi_task, '[{"type": "E"}]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(:bi_task, '0', '[]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(:bi_task, '0', '2');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#0', '1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#0', '["a"]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-1', 'tf#0', true, '[]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-1', 'tf#0', false, 'false');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', 'failed', '[]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', 'finished', NULL, true, '1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata('bi-1', 't#0', '"x"');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata('bi-1', 't#0', '[{"k": 1}]');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure('bi-1', '[]');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM pg_temp.snapshot();
SELECT triggers_state('bi-new');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- Unparsable JSON: 22P02
------------------------------------------------------------------------------
SELECT triggers_fire('bi-1', 'a', '{"v": ');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('bi-1', 'a', '{v: 1}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish(999999999, '{"unclosed": "');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure('bi-1', '{"t": {"after": ["a"], "run": "r"},}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_validate('not json');
\echo SQLSTATE: :SQLSTATE
-- (only the SQLSTATE: the parser's wording is not part of the contract)
\set VERBOSITY sqlstate
SELECT triggers_load_workflow('bi_x', '{"t": {"after": ["a"], "run": "r"');
SELECT triggers_load_workflow('bi_x', 'not json');
\set VERBOSITY default
SELECT * FROM pg_temp.snapshot();

------------------------------------------------------------------------------
-- Unknown sessions, instances and workflows: 42704
------------------------------------------------------------------------------
SELECT triggers_start('bi-1b', 'bi_none');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_unresolved_tasks('bi-none');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_unresolved_instances('bi-none');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('bi-none');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-none', 'tf#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-none', 'tf#0', true);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-none', 't#0', 'failed');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata('bi-none', 't#0', '{}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_resolve_logs('bi-none', 't#0');
\echo SQLSTATE: :SQLSTATE
-- session names are exact: no case folding, no trimming
SELECT triggers_state('BI-1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('bi-1 ');
\echo SQLSTATE: :SQLSTATE
-- instances that do not exist in the session
SELECT triggers_replay('bi-1', 'tf#1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'nosuch#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#x');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#-1');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#0 ');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', 'tf#99999999999999999999');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('bi-1', '#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-1', 'tn#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 'tn#0', 'scheduled');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_metadata('bi-1', 'TF#0', '{"k": 1}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_resolve_logs('bi-1', 't#1');
\echo SQLSTATE: :SQLSTATE
-- an instance of another session
SELECT triggers_replay('bi-3', 'tf#0');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM pg_temp.snapshot();
SELECT triggers_state('bi-1b');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- Invalid statuses and other bad values: 22023
------------------------------------------------------------------------------
SELECT triggers_set_status('bi-1', 't#0', 'done');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', '');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', 'Failed');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', ' failed');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#0', 'resolved');
\echo SQLSTATE: :SQLSTATE
-- an invalid status is refused before the instance is looked up
SELECT triggers_set_status('bi-none', 'x#0', 'done');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{"bad queue"}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{bi,NULL}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{""}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{bi}', 0);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{bi}', -1);
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{bi}', 1, '0');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('bi-w', '{bi}', 1, '-1 minute');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(:bi_task, '-1 second');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_heartbeat(:bi_task, '-1 second');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_purge('-1 day');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM pg_temp.snapshot();
-- the held task is still held and can still be answered
SELECT triggers_heartbeat(:bi_task);
SELECT triggers_finish(:bi_task, '{"ok": true}');
SELECT * FROM pg_temp.instances();

------------------------------------------------------------------------------
-- An instance name is exact: "tf#00" is not "tf#0".
------------------------------------------------------------------------------
SELECT triggers_replay('bi-1', 'tf#00');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('bi-1', 'tf#00');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_set_status('bi-1', 't#00', 'unstarted');
\echo SQLSTATE: :SQLSTATE
SELECT instance, status FROM triggers.instances WHERE session = 'bi-1' ORDER BY task, n;

------------------------------------------------------------------------------
-- Objects: a wide document is not a deep one; 1000 levels are accepted, 1001
-- are not (22023).
------------------------------------------------------------------------------
SELECT triggers_fire('bi-wide', 'a', jsonb_build_object('rows',
  (SELECT jsonb_agg(jsonb_build_object('id', i)) FROM generate_series(1, 5000) AS i))) AS scheduled;
SELECT jsonb_array_length(kwargs -> 'rows') AS rows FROM triggers.event WHERE session = 'bi-wide';
SELECT triggers_fire('bi-wide', 'a', (repeat('{"a":', 1000) || '1' || repeat('}', 1000))::jsonb) AS scheduled;
SELECT triggers_fire('bi-wide', 'a', (repeat('{"a":', 1001) || '1' || repeat('}', 1001))::jsonb) AS scheduled;
\echo SQLSTATE: :SQLSTATE
SELECT count(*) AS fires FROM triggers.event WHERE session = 'bi-wide';

------------------------------------------------------------------------------
-- Durations: more than 1000 years is refused (22023) naming the argument, not
-- a timestamp overflow (22008).
------------------------------------------------------------------------------
SELECT * FROM triggers_claim('bi-w', '{bi}', 1, '1000000 years');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_heartbeat(:bi_task, '1000000 years');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_retry(:bi_task, '1001 years');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_purge('300000 years');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- A read-only transaction: the direct writes are refused as an INSERT would be
-- (25006), and nothing changed.
------------------------------------------------------------------------------
SELECT triggers_configure('bi-ro', '{"t": {"after": ["go"], "run": "r", "using": "bi.ro"}}');
BEGIN READ ONLY;
SELECT triggers_fire('bi-ro', 'other');
\echo SQLSTATE: :SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT triggers_fire('bi-ro', 'go');
\echo SQLSTATE: :SQLSTATE
ROLLBACK;
SELECT triggers_fire('bi-ro', 'go');
BEGIN READ ONLY;
SELECT * FROM triggers_claim('bi-w', '{bi.ro}');
\echo SQLSTATE: :SQLSTATE
ROLLBACK;
SELECT count(*) AS fires FROM triggers.event WHERE session = 'bi-ro';
SELECT worker, attempt FROM triggers.queue WHERE session = 'bi-ro';

------------------------------------------------------------------------------
-- The internal C functions that accept some NULL arguments refuse the others
-- (22004) instead of crashing (only their owner can call them).
------------------------------------------------------------------------------
SELECT triggers._check_definition('w', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers._check_name(NULL, 'x');
\echo SQLSTATE: :SQLSTATE
SELECT triggers._object('{}', NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers._apply(NULL, 1, 'a', '{}', 1, NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers._apply('bi-1', 1, 'a', '{}', NULL, NULL);
\echo SQLSTATE: :SQLSTATE
