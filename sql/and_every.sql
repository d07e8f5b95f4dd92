-- and_every: tasks that run again each time a trigger fires, with and without
-- "after", with kwargs, with cascades, and added to a session after its fires.
-- Sessions "ae-*", queue "ae".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.show(p_session text)
RETURNS TABLE (instance text, status text, kwargs jsonb)
LANGUAGE sql AS $$
  SELECT i.instance, i.status, i.kwargs FROM triggers.instances AS i
  WHERE i.session = p_session ORDER BY i.task, i.n
$$;
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) AS x $$;
-- Claims every claimable task of queue "ae" and finishes each with result = its kwargs' "tick".
CREATE FUNCTION pg_temp.run_ae()
RETURNS TABLE (session text, instance text, kwargs jsonb, result jsonb, cascaded text[])
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM triggers_claim('ae-worker', '{ae}', 1000) AS t ORDER BY t.session, t.instance LOOP
    session := c.session; instance := c.instance; kwargs := c.kwargs;
    result := jsonb_build_object('from', c.instance) || coalesce(c.kwargs -> 'tick', '{}');
    cascaded := pg_temp.sorted(triggers_finish(c.task_id, result));
    RETURN NEXT;
  END LOOP;
END $$;

------------------------------------------------------------------------------
-- andEvery without "after": one instance per fire.
------------------------------------------------------------------------------
SELECT triggers_configure('ae-1', '{"t_tick": {"after": [], "andEvery": "tick", "run": "r"}}');
SELECT * FROM triggers_unresolved_tasks('ae-1');
SELECT triggers_fire('ae-1', 'tick', '{"n": 1}');
SELECT triggers_fire('ae-1', 'tick', '{"n": 2}');
SELECT triggers_fire('ae-1', 'tick');
SELECT * FROM pg_temp.show('ae-1');
SELECT * FROM triggers_unresolved_instances('ae-1');
SELECT run, kwargs FROM triggers.queue WHERE session = 'ae-1' ORDER BY n;

------------------------------------------------------------------------------
-- andEvery with "after": each "every" fire gets its own instance, which waits
-- for the "after" triggers; later instances are seeded with their latest kwargs.
------------------------------------------------------------------------------
SELECT triggers_configure('ae-2', '{"t": {"after": ["a"], "andEvery": "e", "run": "r"}}');
SELECT triggers_fire('ae-2', 'e', '{"e": 1}');
SELECT triggers_fire('ae-2', 'e', '{"e": 2}');
SELECT * FROM pg_temp.show('ae-2');
SELECT * FROM triggers_unresolved_instances('ae-2');
SELECT pg_temp.sorted(triggers_fire('ae-2', 'a', '{"a": 1}')) AS scheduled;
SELECT * FROM pg_temp.show('ae-2');
SELECT triggers_fire('ae-2', 'e', '{"e": 3}');
-- "a" is not the andEvery trigger: firing it again creates nothing
SELECT triggers_fire('ae-2', 'a', '{"a": 2}');
SELECT triggers_fire('ae-2', 'e', '{"e": 4}');
SELECT * FROM pg_temp.show('ae-2');
SELECT * FROM triggers_unresolved_tasks('ae-2');

-- the first fire of an "after" trigger creates the first instance; the andEvery
-- trigger completes it instead of creating another
SELECT triggers_configure('ae-3', '{"t": {"after": ["a", "b"], "andEvery": "e", "run": "r"}}');
SELECT triggers_fire('ae-3', 'a', '{"a": 1}');
SELECT triggers_fire('ae-3', 'e', '{"e": 1}');
SELECT * FROM pg_temp.show('ae-3');
-- "e" already recorded for t#0, which still waits for "b": a new instance
SELECT triggers_fire('ae-3', 'e', '{"e": 2}');
SELECT * FROM pg_temp.show('ae-3');
SELECT pg_temp.sorted(triggers_fire('ae-3', 'b', '{"b": 1}')) AS scheduled;
SELECT * FROM pg_temp.show('ae-3');
SELECT * FROM triggers_unresolved_instances('ae-3');

-- the andEvery trigger may also be listed in "after"
SELECT triggers_configure('ae-3b', '{"t": {"after": ["e"], "andEvery": "e", "run": "r"}}');
SELECT triggers_fire('ae-3b', 'e', '{"e": 1}');
SELECT triggers_fire('ae-3b', 'e', '{"e": 2}');
SELECT * FROM pg_temp.show('ae-3b');

------------------------------------------------------------------------------
-- andEvery with cascades: every finished t_source instance fires "t_source",
-- so t_sink runs once per t_source instance, and the one-shot t_once only once.
------------------------------------------------------------------------------
SELECT triggers_configure('ae-4', '{
  "t_source": {"after": [], "andEvery": "tick", "run": "source", "using": "ae"},
  "t_sink":   {"after": [], "andEvery": "t_source", "run": "sink", "using": "ae"},
  "t_once":   {"after": ["t_source"], "run": "once", "using": "ae"}
}');
SELECT triggers_fire('ae-4', 'tick', '{"tick": {"t": 1}}');
SELECT triggers_fire('ae-4', 'tick', '{"tick": {"t": 2}}');
SELECT * FROM pg_temp.run_ae();
SELECT * FROM pg_temp.show('ae-4');
SELECT * FROM triggers_unresolved_instances('ae-4');
SELECT * FROM pg_temp.run_ae();
SELECT * FROM pg_temp.run_ae();
SELECT * FROM pg_temp.show('ae-4');
SELECT * FROM triggers_unresolved_tasks('ae-4');
SELECT * FROM triggers_unresolved_instances('ae-4');
-- one more tick: one more t_source, then one more t_sink; t_once stays done
SELECT triggers_fire('ae-4', 'tick', '{"tick": {"t": 3}}');
SELECT * FROM pg_temp.run_ae();
SELECT * FROM pg_temp.run_ae();
SELECT instance, status FROM triggers.instances WHERE session = 'ae-4' ORDER BY task, n;

------------------------------------------------------------------------------
-- An andEvery task added to a session after its fires gets one instance per
-- earlier fire, in order, as if it had been there from the start.
------------------------------------------------------------------------------
SELECT triggers_fire('ae-5', 'tick', '{"n": 1}');
SELECT triggers_fire('ae-5', 'a', '{"a": 1}');
SELECT triggers_fire('ae-5', 'tick', '{"n": 2}');
SELECT triggers_fire('ae-5', 'tick', '{"n": 3}');
SELECT pg_temp.sorted(triggers_configure('ae-5', '{
  "t_every": {"after": [], "andEvery": "tick", "run": "r"},
  "t_after": {"after": ["a"], "andEvery": "tick", "run": "r"}
}')) AS scheduled;
SELECT * FROM pg_temp.show('ae-5');
SELECT pg_temp.sorted(triggers_fire('ae-5', 'tick', '{"n": 4}')) AS scheduled;
SELECT * FROM pg_temp.show('ae-5') WHERE instance LIKE '%#3';

------------------------------------------------------------------------------
-- The next instance number is the highest visible one + 1: entries of rolled
-- back instances are skipped, and after VACUUM (all-visible pages) the number
-- is read from the index alone.
------------------------------------------------------------------------------
SELECT triggers_configure('ae-6', '{"t": {"after": [], "andEvery": "tick", "run": "r"}}');
SELECT triggers_fire('ae-6', 'tick') AS scheduled;
BEGIN;
SELECT triggers_fire('ae-6', 'tick') AS rolled_back;
SELECT triggers_fire('ae-6', 'tick') AS rolled_back;
ROLLBACK;
SELECT triggers_fire('ae-6', 'tick') AS scheduled;
VACUUM triggers.history;
SELECT relallvisible > 0 AS some_pages_all_visible FROM pg_class WHERE oid = 'triggers.history'::regclass;
SELECT triggers_fire('ae-6', 'tick') AS scheduled;
BEGIN;
SELECT triggers_fire('ae-6', 'tick') AS scheduled;
SELECT triggers_fire('ae-6', 'tick') AS scheduled;
COMMIT;
SELECT instance, status FROM triggers.instances WHERE session = 'ae-6' ORDER BY n;
