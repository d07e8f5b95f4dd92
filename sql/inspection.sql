-- inspection: the SQL interface (names, signatures, comments), the view
-- triggers.instances, triggers_unresolved_tasks, triggers_unresolved_instances,
-- triggers_state, the instance metadata keys and the view triggers.queues.
-- Sessions "in-*", queues "in*".
\set SHOW_CONTEXT never

------------------------------------------------------------------------------
-- The interface: every function, its signature, callable without a schema
-- prefix, and commented.
------------------------------------------------------------------------------
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, pg_get_function_result(p.oid) AS result
FROM pg_proc AS p
WHERE p.proname LIKE 'triggers\_%' AND pg_function_is_visible(p.oid)
ORDER BY p.proname;
SELECT p.proname FROM pg_proc AS p
WHERE p.proname LIKE 'triggers\_%' AND pg_function_is_visible(p.oid)
  AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
ORDER BY 1;
-- the view and the workflow table have the documented columns
SELECT c.column_name, c.data_type FROM information_schema.columns AS c
WHERE c.table_schema = 'triggers' AND c.table_name = 'instances'
  AND c.column_name IN ('session', 'instance', 'task', 'status', 'kwargs', 'abandon_state', 'metadata',
                        'is_resolved')
ORDER BY c.column_name;
SELECT c.column_name, c.data_type, c.is_nullable FROM information_schema.columns AS c
WHERE c.table_schema = 'triggers' AND c.table_name = 'workflow' AND c.column_name IN ('name', 'definition')
ORDER BY c.column_name;
SELECT obj_description('triggers.instances'::regclass, 'pg_class') IS NOT NULL AS view_commented,
       obj_description('triggers.workflow'::regclass, 'pg_class') IS NOT NULL AS table_commented;

------------------------------------------------------------------------------
-- A session with instances in every status.
------------------------------------------------------------------------------
SELECT triggers_configure('in-1', '{
  "t_unstarted": {"after": ["a", "never"], "run": "r", "using": "in"},
  "t_scheduled": {"after": ["a"], "run": "r", "using": "in.idle"},
  "t_running":   {"after": ["a"], "run": "r", "using": "in"},
  "t_finished":  {"after": ["a"], "run": "r", "using": "in"},
  "t_failed":    {"after": ["a"], "run": "r", "using": "in"},
  "t_replayed":  {"after": ["a"], "run": "r", "using": "in"},
  "t_skipped":   {"after": ["a"], "run": "r", "using": "in"},
  "t_abandoned": {"after": ["never"], "unless": ["a"], "run": "r", "using": "in"},
  "t_waiting":   {"after": ["t_finished", "never"], "run": "r", "using": "in",
                  "description": "an extra directive", "owner": {"team": "x", "tags": [1, "two"]}},
  "t_no_instance": {"after": ["never"], "run": "r"}
}');
SELECT * FROM triggers_unresolved_tasks('in-1');
SELECT array_length(triggers_fire('in-1', 'a', '{"k": 1}'), 1) AS scheduled;
CREATE TEMP TABLE held AS SELECT * FROM triggers_claim('in-w', '{in}', 100);
SELECT instance FROM held ORDER BY instance;
SELECT triggers_finish(task_id, '{"res": true}') FROM held WHERE task = 't_finished';
SELECT triggers_fail(task_id, '{"type": "T", "message": "M"}') FROM held WHERE task IN ('t_failed', 't_replayed', 't_skipped');
SELECT triggers_replay('in-1', 't_replayed#0');
SELECT triggers_skip('in-1', 't_skipped#0');
SELECT session, instance, task, status, kwargs, abandon_state, is_resolved
FROM triggers.instances WHERE session = 'in-1' ORDER BY task, instance;
-- resolved = finished, skipped, replayed, abandoned
SELECT status, bool_and(is_resolved) AS resolved FROM triggers.instances WHERE session = 'in-1'
GROUP BY status ORDER BY status;
SELECT * FROM triggers_unresolved_tasks('in-1');
SELECT * FROM triggers_unresolved_instances('in-1');

------------------------------------------------------------------------------
-- triggers_state: tasks (with extras), instances, latest kwargs.
------------------------------------------------------------------------------
SELECT jsonb_object_keys(triggers_state('in-1')) AS key ORDER BY 1;
SELECT key, value FROM jsonb_each(triggers_state('in-1') -> 'tasks') ORDER BY key;
SELECT key, jsonb_set(value, '{metadata}', (value -> 'metadata') - 'timestamps') AS value
FROM jsonb_each(triggers_state('in-1') -> 'instances') ORDER BY key;
SELECT triggers_state('in-1') -> 'metadata';
-- the same content as the view
SELECT count(*) FROM jsonb_each(triggers_state('in-1') -> 'instances') AS s
JOIN triggers.instances AS i ON i.session = 'in-1' AND i.instance = s.key
WHERE s.value ->> 'task' = i.task AND s.value ->> 'status' = i.status AND s.value -> 'kwargs' = i.kwargs
  AND s.value -> 'metadata' = i.metadata AND s.value -> 'abandonState' = to_jsonb(i.abandon_state);

------------------------------------------------------------------------------
-- Metadata keys: timestamps (created, lastModified and one per status reached).
------------------------------------------------------------------------------
SELECT instance, ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS timestamps
FROM triggers.instances WHERE session = 'in-1' ORDER BY task, instance;
-- timestamps are ISO 8601 strings, in order
SELECT instance,
       (metadata #>> '{timestamps,created}')::timestamptz <= (metadata #>> '{timestamps,lastModified}')::timestamptz
         AS ordered
FROM triggers.instances WHERE session = 'in-1' ORDER BY task, instance;

------------------------------------------------------------------------------
-- Unresolved tasks and instances through a session's life.
------------------------------------------------------------------------------
SELECT triggers_configure('in-2', '{
  "t_one":   {"after": ["a"], "run": "r", "using": "in2"},
  "t_every": {"after": [], "andEvery": "e", "run": "r", "using": "in2"}
}');
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_fire('in-2', 'e');
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_finish(task_id) FROM triggers_claim('in-w', '{in2}');
-- t_every has only resolved instances: resolved (until the next "e")
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_fire('in-2', 'a');
SELECT triggers_fire('in-2', 'e');
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_fail(task_id) FROM triggers_claim('in-w', '{in2}', 10);
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_skip('in-2', 't_one#0');
SELECT triggers_replay('in-2', 't_every#1');
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT triggers_finish(task_id) FROM triggers_claim('in-w', '{in2}', 10);
SELECT * FROM triggers_unresolved_tasks('in-2');
SELECT * FROM triggers_unresolved_instances('in-2');
SELECT instance, status FROM triggers.instances WHERE session = 'in-2' ORDER BY task, n;

-- a session known only by its fires
SELECT triggers_fire('in-3', 'x', '{"only": "fired"}');
SELECT * FROM triggers_unresolved_tasks('in-3');
SELECT * FROM triggers_unresolved_instances('in-3');
SELECT triggers_state('in-3');

-- unknown sessions: 42704
SELECT * FROM triggers_unresolved_tasks('in-none');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_unresolved_instances('in-none');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('in-none');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- triggers.queues: per queue, what is claimable, delayed and leased.
------------------------------------------------------------------------------
SELECT c.column_name, c.data_type FROM information_schema.columns AS c
WHERE c.table_schema = 'triggers' AND c.table_name = 'queues' ORDER BY c.ordinal_position;
SELECT obj_description('triggers.queues'::regclass, 'pg_class') IS NOT NULL AS queues_commented;
SELECT triggers_configure('in-q', '{
  "q1": {"after": ["a"], "run": "r", "using": "inq"},
  "q2": {"after": ["a"], "run": "r", "using": "inq"},
  "q3": {"after": ["a"], "run": "r", "using": "inq"},
  "q4": {"after": ["a"], "run": "r", "using": "inq"},
  "q5": {"after": ["a"], "run": "r", "using": "inq"},
  "o1": {"after": ["a"], "run": "r", "using": "inq.other"}
}');
-- nothing queued yet: no row
SELECT * FROM triggers.queues WHERE queue LIKE 'inq%';
SELECT array_length(triggers_fire('in-q', 'a'), 1) AS scheduled;
SELECT queue, ready, delayed, running, lease_expired, workers,
       oldest_ready_at = (SELECT min(visible_at) FROM triggers.queue AS q WHERE q.queue = v.queue) AS oldest
FROM triggers.queues AS v WHERE queue LIKE 'inq%' ORDER BY queue;
-- three leased to two workers; one of them retried after an hour; one lease runs out
CREATE TEMP TABLE inq_a AS SELECT * FROM triggers_claim('inq-a', '{inq}', 2);
CREATE TEMP TABLE inq_b AS SELECT * FROM triggers_claim('inq-b', '{inq}', 1);
SELECT triggers_retry(task_id, '1 hour') IS NOT NULL AS retried FROM inq_b;
UPDATE triggers.queue SET visible_at = clock_timestamp() - interval '1 minute'
WHERE task_id = (SELECT min(task_id) FROM inq_a);
SELECT queue, ready, delayed, running, lease_expired, workers,
       oldest_ready_at < clock_timestamp() - interval '50 seconds' AS oldest_is_the_expired_lease
FROM triggers.queues AS v WHERE queue LIKE 'inq%' ORDER BY queue;
-- answered and claimed again: the counts follow
SELECT triggers_finish(task_id) FROM inq_a WHERE task_id = (SELECT max(task_id) FROM inq_a);
SELECT count(*) AS reclaimed FROM triggers_claim('inq-c', '{inq}', 10);
SELECT queue, ready, delayed, running, lease_expired, workers, oldest_ready_at IS NULL AS none_ready
FROM triggers.queues AS v WHERE queue LIKE 'inq%' ORDER BY queue;
