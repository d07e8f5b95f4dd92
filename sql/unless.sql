-- unless: instances abandoned once all their "unless" triggers have fired,
-- before they start (not after), with andEvery, through cascades, and on a
-- replayed clone.  Sessions "ul-*", queue "ul".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.show(p_session text)
RETURNS TABLE (instance text, status text, kwargs jsonb, abandon_state text[], is_resolved boolean)
LANGUAGE sql AS $$
  SELECT i.instance, i.status, i.kwargs,
         ARRAY(SELECT x FROM unnest(i.abandon_state) AS x ORDER BY x), i.is_resolved
  FROM triggers.instances AS i
  WHERE i.session = p_session ORDER BY i.task, i.n
$$;

------------------------------------------------------------------------------
-- unless before the instance starts: abandoned.
------------------------------------------------------------------------------
SELECT triggers_configure('ul-1', '{"t": {"after": ["a", "b"], "unless": ["x"], "run": "r"}}');
SELECT triggers_fire('ul-1', 'a', '{"a": 1}');
SELECT * FROM pg_temp.show('ul-1');
SELECT triggers_fire('ul-1', 'x', '{"x": 1}');
SELECT * FROM pg_temp.show('ul-1');
SELECT * FROM triggers_unresolved_tasks('ul-1');
SELECT * FROM triggers_unresolved_instances('ul-1');
-- the "after" set completes too late: nothing is scheduled, nothing is created
SELECT triggers_fire('ul-1', 'b', '{"b": 1}');
SELECT triggers_fire('ul-1', 'a', '{"a": 2}');
SELECT * FROM pg_temp.show('ul-1');
SELECT count(*) FROM triggers.queue WHERE session = 'ul-1';

-- an "unless" trigger fired first creates the task's instance, abandoned at once
SELECT triggers_configure('ul-2', '{"t": {"after": ["a"], "unless": ["x"], "run": "r"}}');
SELECT triggers_fire('ul-2', 'x');
SELECT * FROM pg_temp.show('ul-2');
SELECT * FROM triggers_unresolved_tasks('ul-2');
SELECT triggers_fire('ul-2', 'a');
SELECT * FROM pg_temp.show('ul-2');

------------------------------------------------------------------------------
-- unless after the instance started (scheduled, then running): no effect.
------------------------------------------------------------------------------
SELECT triggers_configure('ul-3', '{"t": {"after": ["a"], "unless": ["x"], "run": "r", "using": "ul"}}');
SELECT triggers_fire('ul-3', 'a');
SELECT triggers_fire('ul-3', 'x');
SELECT * FROM pg_temp.show('ul-3');
SELECT count(*) FROM triggers.queue WHERE session = 'ul-3';
SELECT instance FROM triggers_claim('ul-worker', '{ul}', 10);
SELECT triggers_fire('ul-3', 'x');
SELECT * FROM pg_temp.show('ul-3');
SELECT * FROM triggers_unresolved_instances('ul-3');

------------------------------------------------------------------------------
-- All of several "unless" triggers must fire; each is recorded once.
------------------------------------------------------------------------------
SELECT triggers_configure('ul-4', '{"t": {"after": ["a", "b"], "unless": ["x", "y"], "run": "r"}}');
SELECT triggers_fire('ul-4', 'a');
SELECT triggers_fire('ul-4', 'x');
SELECT triggers_fire('ul-4', 'x');
SELECT * FROM pg_temp.show('ul-4');
SELECT triggers_fire('ul-4', 'y');
SELECT * FROM pg_temp.show('ul-4');
SELECT triggers_fire('ul-4', 'b');
SELECT * FROM pg_temp.show('ul-4');

-- some of them only: the instance still runs when its "after" set completes
SELECT triggers_configure('ul-4b', '{"t": {"after": ["a", "b"], "unless": ["x", "y"], "run": "r"}}');
SELECT triggers_fire('ul-4b', 'y');
SELECT triggers_fire('ul-4b', 'a');
SELECT * FROM pg_temp.show('ul-4b');
SELECT triggers_fire('ul-4b', 'b');
SELECT * FROM pg_temp.show('ul-4b');
SELECT triggers_fire('ul-4b', 'x');
SELECT * FROM pg_temp.show('ul-4b');

------------------------------------------------------------------------------
-- unless with andEvery: a new instance starts with the "unless" triggers
-- already fired in the session.
------------------------------------------------------------------------------
SELECT triggers_configure('ul-5', '{"t": {"after": [], "andEvery": "e", "unless": ["x"], "run": "r"}}');
SELECT triggers_fire('ul-5', 'e', '{"n": 1}');
SELECT triggers_fire('ul-5', 'x');
SELECT triggers_fire('ul-5', 'e', '{"n": 2}');
SELECT triggers_fire('ul-5', 'e', '{"n": 3}');
SELECT * FROM pg_temp.show('ul-5');
SELECT * FROM triggers_unresolved_instances('ul-5');

SELECT triggers_configure('ul-6', '{"t": {"after": ["a"], "andEvery": "e", "unless": ["x", "y"], "run": "r"}}');
SELECT triggers_fire('ul-6', 'e', '{"n": 1}');
SELECT triggers_fire('ul-6', 'x');
SELECT triggers_fire('ul-6', 'e', '{"n": 2}');
SELECT * FROM pg_temp.show('ul-6');
SELECT triggers_fire('ul-6', 'y');
SELECT * FROM pg_temp.show('ul-6');
SELECT triggers_fire('ul-6', 'a');
SELECT triggers_fire('ul-6', 'e', '{"n": 3}');
SELECT * FROM pg_temp.show('ul-6');
SELECT * FROM triggers_unresolved_tasks('ul-6');
SELECT * FROM triggers_unresolved_instances('ul-6');

------------------------------------------------------------------------------
-- unless through a cascade: t_cancel finishing fires "t_cancel".
------------------------------------------------------------------------------
SELECT triggers_configure('ul-7', '{
  "t_cancel": {"after": ["cancel"], "run": "cancel", "using": "ul"},
  "t_work":   {"after": ["a", "b"], "unless": ["t_cancel"], "run": "work", "using": "ul"}
}');
SELECT triggers_fire('ul-7', 'a');
SELECT triggers_fire('ul-7', 'cancel');
SELECT * FROM pg_temp.show('ul-7');
SELECT triggers_finish(task_id) FROM triggers_claim('ul-worker', '{ul}', 10);
SELECT * FROM pg_temp.show('ul-7');
SELECT triggers_fire('ul-7', 'b');
SELECT * FROM pg_temp.show('ul-7');

------------------------------------------------------------------------------
-- unless on a replayed clone: the clone keeps its parent's abandon state.
------------------------------------------------------------------------------
SELECT triggers_configure('ul-8', '{"t": {"after": ["a"], "unless": ["x", "y"], "run": "r", "using": "ul"}}');
SELECT triggers_fire('ul-8', 'x', '{"x": 1}');
SELECT triggers_fire('ul-8', 'a', '{"a": 1}');
SELECT * FROM pg_temp.show('ul-8');
SELECT triggers_fail(task_id, '{"type": "Boom"}') FROM triggers_claim('ul-worker', '{ul}', 10);
SELECT triggers_replay('ul-8', 't#0');
SELECT * FROM pg_temp.show('ul-8');
-- the clone is scheduled (started): "y" does not abandon it
SELECT triggers_fire('ul-8', 'y');
SELECT * FROM pg_temp.show('ul-8');
-- put back to unstarted by hand, the clone is abandoned by the next "unless" fire
SELECT triggers_set_status('ul-8', 't#1', 'unstarted');
SELECT count(*) FROM triggers.queue WHERE session = 'ul-8';
SELECT * FROM pg_temp.show('ul-8');
SELECT triggers_fire('ul-8', 'y');
SELECT * FROM pg_temp.show('ul-8');
SELECT * FROM triggers_unresolved_instances('ul-8');

-- a clone whose parent had recorded no "unless" trigger is abandoned only
-- when all of them fire while it is unstarted
SELECT triggers_configure('ul-9', '{"t": {"after": ["a"], "unless": ["x"], "run": "r", "using": "ul"}}');
SELECT triggers_fire('ul-9', 'a');
SELECT triggers_fail(task_id) FROM triggers_claim('ul-worker', '{ul}', 10);
SELECT triggers_replay('ul-9', 't#0');
SELECT triggers_set_status('ul-9', 't#1', 'unstarted');
SELECT * FROM pg_temp.show('ul-9');
SELECT triggers_fire('ul-9', 'x');
SELECT * FROM pg_temp.show('ul-9');

------------------------------------------------------------------------------
-- Fires made before the task was configured are applied in the order they
-- happened: "a" then "x" runs the task, "x" then "a" abandons it.
------------------------------------------------------------------------------
SELECT triggers_fire('ul-10a', 'a');
SELECT triggers_fire('ul-10a', 'x');
SELECT triggers_fire('ul-10b', 'x');
SELECT triggers_fire('ul-10b', 'a');
SELECT triggers_configure('ul-10a', '{"t": {"after": ["a"], "unless": ["x"], "run": "r"}}');
SELECT triggers_configure('ul-10b', '{"t": {"after": ["a"], "unless": ["x"], "run": "r"}}');
SELECT * FROM pg_temp.show('ul-10a');
SELECT * FROM pg_temp.show('ul-10b');
