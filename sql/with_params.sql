-- with_params: static kwargs merged recursively under the trigger kwargs when a
-- task runs (trigger kwargs win; nested objects merge; arrays and scalars are
-- replaced); the instance keeps the unmerged trigger kwargs.
-- Sessions "wp-*", queue "wp".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) AS x $$;
-- Claims every claimable task of queue "wp", finishes it, and shows those of one session.
CREATE FUNCTION pg_temp.claimed(p_session text)
RETURNS TABLE (instance text, kwargs jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM triggers_claim('wp-worker', '{wp}', 1000) AS t ORDER BY t.instance LOOP
    IF c.session = p_session THEN
      instance := c.instance; kwargs := c.kwargs;
      RETURN NEXT;
    END IF;
    PERFORM triggers_finish(c.task_id);
  END LOOP;
END $$;

SELECT triggers_configure('wp-1', '{
  "t": {
    "after": ["a", "b"],
    "run": "r",
    "using": "wp",
    "withParams": {
      "a": {"x": 1, "keep": "static", "nested": {"p": 1, "q": 2, "deep": {"m": 1}},
            "list": [1, 2, 3], "obj_to_scalar": {"k": 1}, "scalar_to_obj": 5},
      "static": {"only": "withParams"}
    }
  }
}');
SELECT triggers_fire('wp-1', 'a', '{"x": 10, "nested": {"q": 20, "r": 30, "deep": {"n": 2}},
                                   "list": [9], "obj_to_scalar": "s", "scalar_to_obj": {"o": 1},
                                   "extra": null}');
SELECT triggers_fire('wp-1', 'b', '{"y": true}');
-- the instance records the trigger kwargs only
SELECT instance, kwargs FROM triggers.instances WHERE session = 'wp-1';
SELECT triggers_state('wp-1') #> '{instances,t#0,kwargs}';
-- the queued task carries the merge
SELECT jsonb_pretty(kwargs) FROM pg_temp.claimed('wp-1');
-- withParams is shown with the task's configuration
SELECT triggers_state('wp-1') #> '{tasks,t,withParams,static}';

-- withParams for a trigger that fired with no kwargs
SELECT triggers_configure('wp-2', '{
  "t": {"after": ["a"], "run": "r", "using": "wp", "withParams": {"a": {"x": 1}, "b": {"y": 2}}}
}');
SELECT triggers_fire('wp-2', 'a');
SELECT * FROM pg_temp.claimed('wp-2');

-- an empty withParams, and withParams with andEvery instances
SELECT triggers_configure('wp-3', '{
  "t_empty": {"after": ["a"], "run": "r", "using": "wp", "withParams": {}},
  "t_every": {"after": [], "andEvery": "a", "run": "r", "using": "wp", "withParams": {"a": {"d": 0, "n": 0}}}
}');
SELECT pg_temp.sorted(triggers_fire('wp-3', 'a', '{"n": 1}')) AS scheduled;
SELECT triggers_fire('wp-3', 'a', '{"n": 2}');
SELECT * FROM pg_temp.claimed('wp-3');

-- a replay with replacement kwargs is merged with withParams too
SELECT triggers_configure('wp-4', '{
  "t": {"after": ["a"], "run": "r", "using": "wp", "withParams": {"a": {"x": 1, "y": 1}}}
}');
SELECT triggers_fire('wp-4', 'a', '{"y": 2}');
SELECT triggers_fail(task_id) FROM triggers_claim('wp-worker', '{wp}', 10);
SELECT triggers_replay('wp-4', 't#0', '{"a": {"y": 3, "z": 3}}');
SELECT instance, kwargs FROM triggers.instances WHERE session = 'wp-4' ORDER BY n;
SELECT * FROM pg_temp.claimed('wp-4');

-- a task queued but not yet claimed follows its task's new configuration: a
-- reconfiguration moves it to the new queue, merges the new withParams under
-- its kwargs, and hands out the new run (the wake-up: see notify)
SELECT triggers_configure('wp-5', '{
  "t": {"after": ["a"], "run": "old", "using": "wp.old", "withParams": {"p": {"v": "old"}}}
}');
SELECT triggers_fire('wp-5', 'a', '{"k": 1}');
SELECT triggers_configure('wp-5', '{
  "t": {"after": ["a"], "run": "new", "using": "wp", "withParams": {"p": {"v": "new"}}}
}');
SELECT count(*) AS left_on_old_queue FROM triggers_claim('wp-worker', '{wp.old}');
SELECT instance, run, queue, kwargs FROM triggers_claim('wp-worker', '{wp}');
UN-- the instance itself keeps the kwargs its triggers gave it
SELECT instance, kwargs FROM triggers.instances WHERE session = 'wp-5';
