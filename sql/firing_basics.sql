-- firing_basics: one-shot tasks, complex "after" sets, redundant triggers,
-- kwargs, fires before any configuration, triggers_start and triggers_configure,
-- cascades, "using" queues, workflow versions and transactional firing.
-- Sessions "fb-*", workflows "fb_*", queue "fb".
\set SHOW_CONTEXT never

-- The instances of a session, in a stable order.
CREATE FUNCTION pg_temp.show(p_session text)
RETURNS TABLE (instance text, status text, kwargs jsonb, abandon_state text[])
LANGUAGE sql AS $$
  SELECT i.instance, i.status, i.kwargs, i.abandon_state FROM triggers.instances AS i
  WHERE i.session = p_session ORDER BY i.task, i.n
$$;
-- An array of names in a stable order (the order of scheduled names is not part of the contract).
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) AS x $$;
-- Claims every claimable task of a queue and finishes it with result r.
CREATE FUNCTION pg_temp.run_queue(q text, r jsonb DEFAULT '{}')
RETURNS TABLE (session text, instance text, run text, kwargs jsonb, cascaded text[])
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM triggers_claim('fb-worker', ARRAY[q], 1000) AS t ORDER BY t.session, t.instance LOOP
    session := c.session; instance := c.instance; run := c.run; kwargs := c.kwargs;
    cascaded := pg_temp.sorted(triggers_finish(c.task_id, r));
    RETURN NEXT;
  END LOOP;
END $$;

------------------------------------------------------------------------------
-- One-shot task with two "after" triggers (the seed's survey example).
------------------------------------------------------------------------------
INSERT INTO triggers.workflow (name, definition) VALUES ('fb_survey', '{
  "t_processStepData": {
    "after": ["module1Received", "module4Received"],
    "run": "my_app.tasks.ProcessStepData"
  }
}');
SELECT triggers_start('fb-1', 'fb_survey');
SELECT * FROM triggers_unresolved_tasks('fb-1');
SELECT * FROM triggers_unresolved_instances('fb-1');
-- module 4 arrives first: an unstarted instance waits for module 1
SELECT triggers_fire('fb-1', 'module4Received', '{"doc": 4}');
SELECT * FROM pg_temp.show('fb-1');
SELECT * FROM triggers_unresolved_tasks('fb-1');
SELECT * FROM triggers_unresolved_instances('fb-1');
-- a redundant fire of the same trigger keeps the kwargs already recorded
SELECT triggers_fire('fb-1', 'module4Received', '{"doc": 44}');
SELECT * FROM pg_temp.show('fb-1');
-- module 1 completes the "after" set: the instance is scheduled and queued
SELECT triggers_fire('fb-1', 'module1Received', '{"doc": 1}');
SELECT * FROM pg_temp.show('fb-1');
SELECT queue, run, kwargs, worker FROM triggers.queue WHERE session = 'fb-1';
SELECT * FROM triggers_unresolved_tasks('fb-1');
SELECT * FROM triggers_unresolved_instances('fb-1');
-- one-shot: firing everything again schedules nothing new
SELECT triggers_fire('fb-1', 'module1Received', '{"doc": 11}');
SELECT triggers_fire('fb-1', 'module4Received');
SELECT * FROM pg_temp.show('fb-1');
-- but the session's latest kwargs follow every fire
SELECT triggers_state('fb-1') -> 'metadata';
-- a trigger no task uses is recorded and schedules nothing
SELECT triggers_fire('fb-1', 'somethingElse', '{"x": 1}');
SELECT triggers_state('fb-1') -> 'metadata' -> 'latest_kwargs' -> 'somethingElse';

-- kwargs default to {}; NULL and JSON null mean {}
SELECT triggers_start('fb-1b', 'fb_survey');
SELECT triggers_fire('fb-1b', 'module1Received');
SELECT triggers_fire('fb-1b', 'module4Received', NULL);
SELECT * FROM pg_temp.show('fb-1b');
SELECT triggers_start('fb-1c', 'fb_survey');
SELECT triggers_fire('fb-1c', 'module1Received', 'null');
SELECT triggers_fire('fb-1c', 'module4Received', '{}');
SELECT * FROM pg_temp.show('fb-1c');

------------------------------------------------------------------------------
-- Complex "after" sets: several tasks sharing triggers, order does not matter.
------------------------------------------------------------------------------
SELECT triggers_configure('fb-2', '{
  "t_a":   {"after": ["a"], "run": "ra"},
  "t_ab":  {"after": ["a", "b"], "run": "rab"},
  "t_bc":  {"after": ["c", "b"], "run": "rbc"},
  "t_abc": {"after": ["b", "c", "a"], "run": "rabc"},
  "t_d":   {"after": ["d"], "run": "rd"}
}');
SELECT * FROM triggers_unresolved_tasks('fb-2');
SELECT pg_temp.sorted(triggers_fire('fb-2', 'c', '{"c": 1}')) AS scheduled;
SELECT * FROM pg_temp.show('fb-2');
SELECT pg_temp.sorted(triggers_fire('fb-2', 'a', '{"a": 1}')) AS scheduled;
SELECT * FROM pg_temp.show('fb-2');
SELECT * FROM triggers_unresolved_tasks('fb-2');
SELECT * FROM triggers_unresolved_instances('fb-2');
SELECT pg_temp.sorted(triggers_fire('fb-2', 'b', '{"b": 1}')) AS scheduled;
SELECT * FROM pg_temp.show('fb-2');
SELECT * FROM triggers_unresolved_tasks('fb-2');
SELECT * FROM triggers_unresolved_instances('fb-2');
SELECT pg_temp.sorted(triggers_fire('fb-2', 'b', '{"b": 2}')) AS scheduled;
SELECT count(*) FROM triggers.instances WHERE session = 'fb-2';

------------------------------------------------------------------------------
-- Cascades: a finished task fires its own name with its result.
------------------------------------------------------------------------------
SELECT triggers_configure('fb-3', '{
  "t_import":  {"after": ["start"], "run": "import", "using": "fb"},
  "t_process": {"after": ["t_import", "extra"], "run": "process", "using": "fb"},
  "t_report":  {"after": ["t_process"], "run": "report", "using": "fb"}
}');
SELECT triggers_fire('fb-3', 'extra', '{"e": true}');
SELECT triggers_fire('fb-3', 'start', '{"s": 1}');
SELECT * FROM triggers_unresolved_tasks('fb-3');
-- finishing t_import with a result fires "t_import" with that result
SELECT * FROM pg_temp.run_queue('fb', '{"rows": 10}');
SELECT * FROM pg_temp.show('fb-3');
SELECT * FROM triggers_unresolved_tasks('fb-3');
SELECT * FROM pg_temp.run_queue('fb');
SELECT * FROM pg_temp.run_queue('fb');
SELECT * FROM pg_temp.show('fb-3');
SELECT instance, metadata -> 'result' AS result FROM triggers.instances
WHERE session = 'fb-3' ORDER BY task, n;
SELECT * FROM triggers_unresolved_tasks('fb-3');
SELECT * FROM triggers_unresolved_instances('fb-3');
SELECT * FROM pg_temp.run_queue('fb');
SELECT triggers_state('fb-3') -> 'metadata' -> 'latest_kwargs';

------------------------------------------------------------------------------
-- Fires before any configuration are recorded and applied, in order, once the
-- session gets tasks.
------------------------------------------------------------------------------
SELECT triggers_fire('fb-4', 'a', '{"n": 1}');
SELECT triggers_fire('fb-4', 'b', '{"n": 2}');
SELECT triggers_fire('fb-4', 'a', '{"n": 3}');
SELECT triggers_fire('fb-4', 'x', '{"n": 4}');
SELECT * FROM pg_temp.show('fb-4');
SELECT * FROM triggers_unresolved_tasks('fb-4');
SELECT * FROM triggers_unresolved_instances('fb-4');
SELECT triggers_state('fb-4');
INSERT INTO triggers.workflow (name, definition) VALUES ('fb_late', '{
  "t_ab": {"after": ["a", "b"], "run": "rab"},
  "t_b":  {"after": ["b"], "run": "rb"},
  "t_c":  {"after": ["c"], "run": "rc"}
}');
-- t_ab was created by the first "a" (n 1) and completed by "b"; the second "a" came too late
SELECT pg_temp.sorted(triggers_start('fb-4', 'fb_late')) AS scheduled;
SELECT * FROM pg_temp.show('fb-4');
SELECT * FROM triggers_unresolved_tasks('fb-4');
-- a task added later by triggers_configure also catches up on the earlier fires,
-- in order: "a" (n 1) creates its instance, "a" (n 3) is redundant, "x" completes it
SELECT triggers_configure('fb-4', '{"t_xa": {"after": ["x", "a"], "run": "rxa"}}');
SELECT * FROM pg_temp.show('fb-4') WHERE instance LIKE 't_xa%';
-- the tasks of the workflow and the inline ones are all there
SELECT jsonb_object_keys(triggers_state('fb-4') -> 'tasks') ORDER BY 1;
SELECT triggers_fire('fb-4', 'c', '{"n": 5}');

-- cascades are fires too: a task added after another task finished catches up on it
SELECT triggers_configure('fb-4c', '{"t_first": {"after": ["go"], "run": "r", "using": "fb"}}');
SELECT triggers_fire('fb-4c', 'go');
SELECT * FROM pg_temp.run_queue('fb', '{"from": "first"}');
SELECT triggers_configure('fb-4c', '{"t_second": {"after": ["t_first"], "run": "r"}}');
SELECT * FROM pg_temp.show('fb-4c');

-- Inline configuration first, then a workflow: both sets of tasks apply.
SELECT triggers_fire('fb-4b', 'b', '{"n": 1}');
SELECT triggers_configure('fb-4b', '{"t_inline": {"after": ["b"], "run": "ri"}}');
SELECT pg_temp.sorted(triggers_start('fb-4b', 'fb_late')) AS scheduled;
SELECT * FROM pg_temp.show('fb-4b');

------------------------------------------------------------------------------
-- triggers_start again, triggers_configure replacing tasks.
------------------------------------------------------------------------------
SELECT triggers_start('fb-5', 'fb_survey');
SELECT triggers_fire('fb-5', 'module1Received');
-- the same workflow again: a no-op
SELECT triggers_start('fb-5', 'fb_survey');
SELECT * FROM pg_temp.show('fb-5');
-- another workflow: refused, and nothing changes
SELECT triggers_start('fb-5', 'fb_late');
\echo SQLSTATE: :SQLSTATE
SELECT jsonb_object_keys(triggers_state('fb-5') -> 'tasks') ORDER BY 1;
SELECT * FROM pg_temp.show('fb-5');

-- triggers_configure replaces a task by name; the others stay
SELECT triggers_configure('fb-6', '{
  "t_one": {"after": ["a", "b"], "run": "one_v1"},
  "t_two": {"after": ["z"], "run": "two"}
}');
SELECT triggers_fire('fb-6', 'a', '{"a": 1}');
SELECT * FROM pg_temp.show('fb-6');
-- t_one now needs "c" instead of "b"; its unstarted instance follows the new
-- configuration, and earlier fires are not re-applied to a task the session had
SELECT triggers_configure('fb-6', '{"t_one": {"after": ["a", "c"], "run": "one_v2"}}');
SELECT key, value FROM jsonb_each(triggers_state('fb-6') -> 'tasks') ORDER BY key;
SELECT triggers_fire('fb-6', 'b', '{"b": 1}');
SELECT triggers_fire('fb-6', 'c', '{"c": 1}');
SELECT * FROM pg_temp.show('fb-6');
SELECT run, kwargs FROM triggers.queue WHERE session = 'fb-6';
-- configuring exactly what is there already changes nothing
SELECT triggers_configure('fb-6', '{"t_two": {"after": ["z"], "run": "two"}}');
SELECT count(*) FROM triggers.instances WHERE session = 'fb-6';

-- a replaced task whose new "after" is already satisfied by earlier fires
-- is not scheduled until one of its triggers fires again
SELECT triggers_configure('fb-6b', '{"t": {"after": ["a"], "run": "r"}}');
SELECT triggers_fire('fb-6b', 'b');
SELECT triggers_configure('fb-6b', '{"t": {"after": ["b"], "run": "r"}}');
SELECT * FROM pg_temp.show('fb-6b');
SELECT triggers_fire('fb-6b', 'b', '{"again": true}');
SELECT * FROM pg_temp.show('fb-6b');

-- an unstarted instance whose task no longer needs a missing trigger is
-- scheduled by the next fire of one of its task's triggers, not before
SELECT triggers_configure('fb-6c', '{"t": {"after": ["a", "b"], "run": "r"}}');
SELECT triggers_fire('fb-6c', 'a', '{"n": 1}');
SELECT triggers_configure('fb-6c', '{"t": {"after": ["a"], "run": "r2"}}');
SELECT * FROM pg_temp.show('fb-6c');
SELECT triggers_fire('fb-6c', 'b');
SELECT * FROM pg_temp.show('fb-6c');
SELECT triggers_fire('fb-6c', 'a', '{"n": 2}');
SELECT * FROM pg_temp.show('fb-6c');
SELECT run, kwargs FROM triggers.queue WHERE session = 'fb-6c';

------------------------------------------------------------------------------
-- A session keeps the workflow version it started with.
------------------------------------------------------------------------------
INSERT INTO triggers.workflow (name, definition)
VALUES ('fb_versioned', '{"t": {"after": ["go"], "run": "v1", "using": "fb"}}');
SELECT triggers_start('fb-7', 'fb_versioned');
UPDATE triggers.workflow SET definition = '{"t": {"after": ["go"], "run": "v2", "using": "fb"}}'
WHERE name = 'fb_versioned';
SELECT name, definition -> 't' ->> 'run' AS run FROM triggers.workflow WHERE name = 'fb_versioned';
SELECT triggers_start('fb-7b', 'fb_versioned');
SELECT triggers_fire('fb-7', 'go');
SELECT triggers_fire('fb-7b', 'go');
SELECT * FROM pg_temp.run_queue('fb');
SELECT triggers_state('fb-7') -> 'tasks';
SELECT triggers_state('fb-7b') -> 'tasks';
-- starting the same workflow again keeps the version the session has
SELECT triggers_start('fb-7', 'fb_versioned');
SELECT triggers_state('fb-7') -> 'tasks';

------------------------------------------------------------------------------
-- "using": the queue named by the task (default "default").
------------------------------------------------------------------------------
SELECT triggers_configure('fb-8', '{
  "t_default": {"after": ["go"], "run": "r"},
  "t_special": {"after": ["go"], "run": "r", "using": "fb.special-Q_1"}
}');
SELECT pg_temp.sorted(triggers_fire('fb-8', 'go')) AS scheduled;
SELECT task, queue FROM triggers.queue WHERE session = 'fb-8' ORDER BY task;

------------------------------------------------------------------------------
-- Firing is part of the caller's transaction.
------------------------------------------------------------------------------
BEGIN;
SELECT triggers_configure('fb-9', '{"t": {"after": ["go"], "run": "r"}}');
SELECT triggers_fire('fb-9', 'go', '{"v": 1}');
SELECT * FROM pg_temp.show('fb-9');
ROLLBACK;
-- nothing remains: not the session, its instance, its queued task or its fire
SELECT * FROM triggers_unresolved_instances('fb-9');
\echo SQLSTATE: :SQLSTATE
SELECT count(*) FROM triggers.instances WHERE session = 'fb-9';
SELECT count(*) FROM triggers.queue WHERE session = 'fb-9';
-- in an existing session, a rolled back fire leaves no trace either
SELECT triggers_configure('fb-9', '{"t": {"after": ["go", "also"], "run": "r"}}');
BEGIN;
SELECT triggers_fire('fb-9', 'go', '{"v": 2}');
ROLLBACK;
SELECT * FROM pg_temp.show('fb-9');
SELECT triggers_state('fb-9') -> 'metadata';
SELECT triggers_fire('fb-9', 'also');
SELECT triggers_fire('fb-9', 'go', '{"v": 3}');
SELECT * FROM pg_temp.show('fb-9');
-- a savepoint rolled back undoes only its own fire
BEGIN;
SELECT triggers_configure('fb-9b', '{"t": {"after": ["a", "b"], "run": "r"}}');
SELECT triggers_fire('fb-9b', 'a', '{"v": 1}');
SAVEPOINT s;
SELECT triggers_fire('fb-9b', 'b', '{"v": 2}');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM pg_temp.show('fb-9b');
SELECT triggers_state('fb-9b') -> 'metadata';
