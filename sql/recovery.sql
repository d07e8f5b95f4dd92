-- recovery: triggers_replay (with and without replacement kwargs), triggers_skip
-- (with and without cascade), refusals for instances that are not failed,
-- triggers_set_status, triggers_set_metadata, triggers_resolve_logs.
-- Sessions "rc-*", queue "rc".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.show(p_session text)
RETURNS TABLE (instance text, status text, kwargs jsonb, metadata jsonb)
LANGUAGE sql AS $$
  SELECT i.instance, i.status, i.kwargs, i.metadata - 'timestamps' FROM triggers.instances AS i
  WHERE i.session = p_session ORDER BY i.task, i.n
$$;
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) AS x $$;
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
-- Claims every claimable task of queue "rc" and fails it with error e.
CREATE FUNCTION pg_temp.fail_all(e jsonb DEFAULT '{}')
RETURNS TABLE (session text, instance text, run text, kwargs jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM triggers_claim('rc-worker', '{rc}', 1000) AS t ORDER BY t.session, t.instance LOOP
    session := c.session; instance := c.instance; run := c.run; kwargs := c.kwargs;
    PERFORM triggers_fail(c.task_id, e);
    RETURN NEXT;
  END LOOP;
END $$;
-- Claims every claimable task of queue "rc" and finishes it with result r.
CREATE FUNCTION pg_temp.finish_all(r jsonb DEFAULT '{}')
RETURNS TABLE (session text, instance text, run text, kwargs jsonb, cascaded text[])
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM triggers_claim('rc-worker', '{rc}', 1000) AS t ORDER BY t.session, t.instance LOOP
    session := c.session; instance := c.instance; run := c.run; kwargs := c.kwargs;
    cascaded := pg_temp.sorted(triggers_finish(c.task_id, r));
    RETURN NEXT;
  END LOOP;
END $$;

------------------------------------------------------------------------------
-- Replay without replacement kwargs.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-1', '{
  "t_main": {"after": ["a"], "run": "main", "using": "rc"},
  "t_next": {"after": ["t_main"], "run": "next", "using": "rc"}
}');
SELECT triggers_fire('rc-1', 'a', '{"v": 1}');
SELECT * FROM pg_temp.fail_all('{"type": "ValueError", "message": "bad value", "traceback": "line 1"}');
SELECT * FROM pg_temp.show('rc-1');
SELECT * FROM triggers_unresolved_tasks('rc-1');
SELECT * FROM triggers_unresolved_instances('rc-1');
SELECT triggers_replay('rc-1', 't_main#0');
SELECT * FROM pg_temp.show('rc-1');
SELECT * FROM triggers_unresolved_instances('rc-1');
SELECT session, task, n, run, kwargs FROM triggers.queue WHERE session = 'rc-1';
-- the clone runs like any instance and cascades
SELECT * FROM pg_temp.finish_all('{"ok": true}');
SELECT * FROM pg_temp.finish_all();
SELECT instance, status FROM triggers.instances WHERE session = 'rc-1' ORDER BY task, n;
SELECT * FROM triggers_unresolved_tasks('rc-1');
SELECT * FROM triggers_unresolved_instances('rc-1');

------------------------------------------------------------------------------
-- Replay with replacement kwargs; a clone of a clone has depth 2.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-2', '{"t": {"after": ["a", "b"], "run": "r", "using": "rc"}}');
SELECT triggers_fire('rc-2', 'a', '{"v": 1}');
SELECT triggers_fire('rc-2', 'b', '{"v": 2}');
SELECT * FROM pg_temp.fail_all();
SELECT triggers_replay('rc-2', 't#0', '{"a": {"v": 10}, "c": {"new": true}}');
SELECT * FROM pg_temp.fail_all();
SELECT triggers_replay('rc-2', 't#1');
SELECT * FROM pg_temp.show('rc-2');
-- JSON null replacement kwargs mean {}, SQL NULL (the default) keeps the kwargs
SELECT * FROM pg_temp.fail_all();
SELECT triggers_replay('rc-2', 't#2', NULL);
SELECT * FROM pg_temp.fail_all();
SELECT triggers_replay('rc-2', 't#3', 'null');
SELECT * FROM pg_temp.show('rc-2') WHERE instance IN ('t#3', 't#4');
SELECT * FROM pg_temp.finish_all();

------------------------------------------------------------------------------
-- Instances follow the current configuration of their task: those scheduled
-- before a reconfiguration and the replayed clone run the new "run"; the clone
-- takes the next free number of its task.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-3', '{"t": {"after": [], "andEvery": "e", "run": "v1", "using": "rc"}}');
SELECT triggers_fire('rc-3', 'e', '{"n": 0}');
SELECT * FROM pg_temp.fail_all();
SELECT triggers_fire('rc-3', 'e', '{"n": 1}');
SELECT triggers_fire('rc-3', 'e', '{"n": 2}');
SELECT triggers_configure('rc-3', '{"t": {"after": [], "andEvery": "e", "run": "v2", "using": "rc"}}');
SELECT triggers_replay('rc-3', 't#0');
SELECT * FROM pg_temp.finish_all();
SELECT instance, status, metadata -> 'parent' AS parent FROM triggers.instances
WHERE session = 'rc-3' ORDER BY n;

------------------------------------------------------------------------------
-- Skip without and with cascade.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-4', '{
  "t_a":  {"after": ["go"], "run": "a", "using": "rc"},
  "t_b":  {"after": ["go"], "run": "b", "using": "rc"},
  "t_c":  {"after": ["go"], "run": "c", "using": "rc"},
  "t_after_a": {"after": ["t_a"], "run": "after_a", "using": "rc"},
  "t_after_b": {"after": ["t_b"], "run": "after_b", "using": "rc"},
  "t_after_c": {"after": ["t_c"], "run": "after_c", "using": "rc"}
}');
SELECT pg_temp.sorted(triggers_fire('rc-4', 'go')) AS scheduled;
SELECT instance FROM pg_temp.fail_all();
-- without cascade: skipped, and nothing fires
SELECT triggers_skip('rc-4', 't_a#0');
-- with cascade and a result: the task's name fires with the result
SELECT triggers_skip('rc-4', 't_b#0', true, '{"skipped": "yes"}');
-- with cascade and the default result {}
SELECT triggers_skip('rc-4', 't_c#0', true);
SELECT * FROM pg_temp.show('rc-4');
SELECT * FROM triggers_unresolved_tasks('rc-4');
SELECT * FROM triggers_unresolved_instances('rc-4');
SELECT triggers_state('rc-4') -> 'metadata' -> 'latest_kwargs';
SELECT instance, kwargs FROM pg_temp.finish_all();
-- explicit false, and a NULL cascade (the default, false)
SELECT triggers_configure('rc-4b', '{"t": {"after": [], "andEvery": "e", "run": "r", "using": "rc"},
                                     "t_after": {"after": ["t"], "run": "r", "using": "rc"}}');
SELECT triggers_fire('rc-4b', 'e');
SELECT triggers_fire('rc-4b', 'e');
SELECT instance FROM pg_temp.fail_all();
SELECT triggers_skip('rc-4b', 't#0', false, '{"ignored": true}');
SELECT triggers_skip('rc-4b', 't#1', NULL);
SELECT * FROM pg_temp.show('rc-4b');

------------------------------------------------------------------------------
-- Only failed instances can be replayed or skipped (55000), and nothing changes.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-5', '{
  "t_unstarted": {"after": ["a", "never"], "run": "r", "using": "rc"},
  "t_scheduled": {"after": ["a"], "run": "r"},
  "t_running":   {"after": ["a"], "run": "r", "using": "rc"},
  "t_abandoned": {"after": ["never"], "unless": ["a"], "run": "r"}
}');
SELECT pg_temp.sorted(triggers_fire('rc-5', 'a')) AS scheduled;
SELECT instance FROM triggers_claim('rc-worker', '{rc}', 10);
SELECT triggers_configure('rc-5', '{"t_done": {"after": ["b"], "run": "r", "using": "rc"}}');
SELECT triggers_fire('rc-5', 'b');
SELECT * FROM pg_temp.finish_all();
SELECT instance, status FROM triggers.instances WHERE session = 'rc-5' ORDER BY task, n;
SELECT triggers_replay('rc-5', 't_unstarted#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('rc-5', 't_scheduled#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('rc-5', 't_running#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('rc-5', 't_done#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('rc-5', 't_abandoned#0', '{"x": {}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-5', 't_unstarted#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-5', 't_scheduled#0', true);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-5', 't_running#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-5', 't_done#0', true, '{}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-5', 't_abandoned#0');
\echo SQLSTATE: :SQLSTATE
-- replayed and skipped instances are not failed either
SELECT triggers_replay('rc-1', 't_main#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-1', 't_main#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_replay('rc-4', 't_a#0');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_skip('rc-4', 't_a#0', true);
\echo SQLSTATE: :SQLSTATE
-- nothing changed
SELECT instance, status FROM triggers.instances WHERE session = 'rc-5' ORDER BY task, n;
SELECT task, worker IS NOT NULL AS claimed FROM triggers.queue WHERE session = 'rc-5' ORDER BY task;
SELECT instance, status FROM triggers.instances WHERE session IN ('rc-1', 'rc-4') AND task IN ('t_main', 't_a')
ORDER BY session, task, n;
SELECT triggers_state('rc-4') -> 'metadata' -> 'latest_kwargs';

------------------------------------------------------------------------------
-- triggers_set_status
------------------------------------------------------------------------------
SELECT triggers_configure('rc-6', '{
  "t":      {"after": ["a"], "run": "r", "using": "rc"},
  "t_next": {"after": ["t"], "run": "n", "using": "rc"}
}');
SELECT triggers_fire('rc-6', 'a', '{"v": 1}');
SELECT task_id AS rc6_task FROM triggers_claim('rc-worker', '{rc}', 10) \gset
-- a running instance set to failed by hand, with metadata: off the queue
SELECT triggers_set_status('rc-6', 't#0', 'failed', '{"exceptionType": "Manual", "note": "by hand"}');
SELECT * FROM pg_temp.show('rc-6');
SELECT count(*) FROM triggers.queue WHERE session = 'rc-6';
-- the worker that held it can no longer answer
SELECT pg_temp.err(format('SELECT triggers_finish(%s)', :rc6_task));
SELECT triggers_heartbeat(:rc6_task);
SELECT * FROM pg_temp.show('rc-6');
-- a failed instance set to scheduled is queued again, with its kwargs
SELECT triggers_set_status('rc-6', 't#0', 'scheduled');
SELECT run, kwargs, worker FROM triggers.queue WHERE session = 'rc-6';
SELECT instance, kwargs FROM pg_temp.finish_all('{"r": 1}');
SELECT * FROM pg_temp.show('rc-6');
-- finished by hand, with a cascade and its kwargs
SELECT triggers_configure('rc-6', '{"t_other": {"after": ["t_next"], "run": "o", "using": "rc"}}');
SELECT triggers_set_status('rc-6', 't_next#0', 'finished', NULL, true, '{"manual": true}');
SELECT * FROM pg_temp.show('rc-6');
SELECT count(*) FROM triggers.queue WHERE session = 'rc-6' AND task = 't_next';
-- without cascade (the default), nothing fires
SELECT triggers_set_status('rc-6', 't_other#0', 'skipped');
SELECT triggers_set_status('rc-6', 't_other#0', 'abandoned', '{}', false, '{"ignored": 1}');
SELECT * FROM pg_temp.show('rc-6') WHERE instance = 't_other#0';
SELECT count(*) FROM triggers.queue WHERE session = 'rc-6';
-- every status can be set, and each one reached gets a timestamp
SELECT triggers_set_status('rc-6', 't_other#0', s) FROM unnest(ARRAY['unstarted', 'running',
  'finished', 'failed', 'replayed', 'skipped', 'abandoned']) AS s;
SELECT status, ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS timestamps
FROM triggers.instances WHERE session = 'rc-6' AND instance = 't_other#0';
SELECT * FROM triggers_unresolved_instances('rc-6');

------------------------------------------------------------------------------
-- triggers_set_metadata merges keys; triggers_resolve_logs marks logs resolved.
------------------------------------------------------------------------------
SELECT triggers_configure('rc-7', '{"t": {"after": ["a"], "run": "r", "using": "rc"}}');
SELECT triggers_fire('rc-7', 'a');
SELECT instance FROM pg_temp.fail_all('{"type": "E", "message": "m", "context": {"line": 3}}');
SELECT metadata - 'timestamps' FROM triggers.instances WHERE session = 'rc-7';
SELECT triggers_set_metadata('rc-7', 't#0', '{"logLevel": "ERROR", "exceptionType": "Changed", "extra": [1]}');
SELECT metadata - 'timestamps' FROM triggers.instances WHERE session = 'rc-7';
SELECT triggers_set_metadata('rc-7', 't#0', '{}');
SELECT metadata - 'timestamps' FROM triggers.instances WHERE session = 'rc-7';
SELECT triggers_resolve_logs('rc-7', 't#0');
SELECT triggers_resolve_logs('rc-7', 't#0');
SELECT metadata - 'timestamps' FROM triggers.instances WHERE session = 'rc-7';
SELECT status FROM triggers.instances WHERE session = 'rc-7';
