-- lease: a task whose lease expired without an answer is handed out again under
-- a new task_id with attempt + 1; answers with the old id are refused (55000);
-- an answer that arrives after the lease expired and before anyone else claimed
-- the task is accepted.  Sessions "ls-*", queues "ls*".
\set SHOW_CONTEXT never

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

------------------------------------------------------------------------------
-- Expiry and re-delivery.
------------------------------------------------------------------------------
SELECT triggers_configure('ls-1', '{
  "t":      {"after": ["go"], "run": "r", "using": "ls1"},
  "t_next": {"after": ["t"], "run": "n", "using": "ls1.next"}
}');
SELECT triggers_fire('ls-1', 'go', '{"v": 1}');
SELECT task_id AS first_id, instance, kwargs, attempt FROM triggers_claim('ls-w1', '{ls1}', 1, '1 millisecond') \gset
SELECT :'instance' AS instance, :'kwargs' AS kwargs, :attempt AS attempt;
SELECT pg_sleep(0.05);
-- expired: claimable again, by another worker, under a new id
SELECT task_id AS second_id FROM triggers_claim('ls-w2', '{ls1}', 1, '1 millisecond') \gset
SELECT :second_id <> :first_id AS new_id;
SELECT instance, status FROM triggers.instances WHERE session = 'ls-1';
SELECT worker, attempt FROM triggers.queue WHERE session = 'ls-1';
SELECT pg_sleep(0.05);
SELECT task_id AS third_id, instance, kwargs, attempt FROM triggers_claim('ls-w3', '{ls1}') \gset
SELECT :third_id NOT IN (:first_id, :second_id) AS new_id, :'instance' AS instance, :'kwargs' AS kwargs,
       :attempt AS attempt;
-- the old ids are refused, whatever the verb, and change nothing
SELECT pg_temp.err(format('SELECT triggers_finish(%s, %L)', :first_id, '{"stale": 1}'));
SELECT pg_temp.err(format('SELECT triggers_fail(%s)', :first_id));
SELECT pg_temp.err(format('SELECT triggers_retry(%s)', :second_id));
SELECT pg_temp.err(format('SELECT triggers_finish(%s)', :second_id));
SELECT triggers_heartbeat(:first_id);
SELECT triggers_heartbeat(:second_id);
SELECT instance, status, metadata -> 'result' AS result FROM triggers.instances WHERE session = 'ls-1';
SELECT worker, attempt FROM triggers.queue WHERE session = 'ls-1';
-- the current holder answers
SELECT triggers_heartbeat(:third_id);
SELECT triggers_finish(:third_id, '{"ok": 3}');
SELECT instance, status, kwargs, metadata -> 'result' AS result FROM triggers.instances
WHERE session = 'ls-1' ORDER BY task, n;
-- and may repeat its answer; the stale ids are still refused
SELECT triggers_finish(:third_id, '{"ok": 3}');
SELECT pg_temp.err(format('SELECT triggers_finish(%s)', :first_id));
SELECT count(*) FROM triggers.instances WHERE session = 'ls-1';

------------------------------------------------------------------------------
-- An answer after the lease expired, before anyone else claimed: accepted.
------------------------------------------------------------------------------
SELECT triggers_configure('ls-2', '{
  "t_finish": {"after": ["go"], "run": "r", "using": "ls2.finish"},
  "t_fail":   {"after": ["go"], "run": "r", "using": "ls2.fail"},
  "t_retry":  {"after": ["go"], "run": "r", "using": "ls2.retry"},
  "t_beat":   {"after": ["go"], "run": "r", "using": "ls2.beat"}
}');
SELECT array_length(triggers_fire('ls-2', 'go'), 1) AS scheduled;
CREATE TEMP TABLE held AS
SELECT * FROM triggers_claim('ls-w1', '{ls2.finish,ls2.fail,ls2.retry,ls2.beat}', 10, '1 millisecond');
SELECT instance, attempt FROM held ORDER BY instance;
SELECT pg_sleep(0.05);
SELECT triggers_finish(task_id, '{"late": true}') FROM held WHERE task = 't_finish';
SELECT triggers_fail(task_id, '{"type": "Late"}') FROM held WHERE task = 't_fail';
SELECT triggers_retry(task_id) FROM held WHERE task = 't_retry';
-- a heartbeat in that window renews the lease
SELECT triggers_heartbeat(task_id, '1 hour') FROM held WHERE task = 't_beat';
SELECT count(*) FROM triggers_claim('ls-w2', '{ls2.beat}');
SELECT triggers_finish(task_id) FROM held WHERE task = 't_beat';
SELECT instance, status, metadata - 'timestamps' AS metadata FROM triggers.instances
WHERE session = 'ls-2' ORDER BY task, n;
-- the retried clone is a new instance, delivered with attempt 1
SELECT instance, attempt FROM triggers_claim('ls-w2', '{ls2.finish,ls2.fail,ls2.retry,ls2.beat}', 10);

------------------------------------------------------------------------------
-- An instance queued again by hand (triggers_set_status 'scheduled'): the
-- deliveries it had are refused (55000, heartbeat false), not unknown (42704),
-- and its next delivery counts on (attempt 2 after one delivery).
------------------------------------------------------------------------------
SELECT triggers_configure('ls-3', '{
  "done": {"after": ["go"], "run": "r", "using": "ls3"},
  "held": {"after": ["go"], "run": "r", "using": "ls3"}
}');
SELECT array_length(triggers_fire('ls-3', 'go'), 1) AS scheduled;
CREATE TEMP TABLE first_delivery AS SELECT task, task_id FROM triggers_claim('ls-w1', '{ls3}', 10);
SELECT triggers_finish(task_id) FROM first_delivery WHERE task = 'done';
SELECT triggers_set_status('ls-3', 'done#0', 'scheduled');
SELECT triggers_set_status('ls-3', 'held#0', 'scheduled');
SELECT task, pg_temp.err(format('SELECT triggers_finish(%s)', task_id)) AS finish_again,
       triggers_heartbeat(task_id) AS heartbeat
FROM first_delivery ORDER BY task;
SELECT instance, attempt FROM triggers_claim('ls-w2', '{ls3}', 10) ORDER BY instance;

------------------------------------------------------------------------------
-- A lease counts from the claim's statement, not from the start of a longer
-- transaction (which would hand out a lease already partly, or wholly, spent).
------------------------------------------------------------------------------
SELECT triggers_configure('ls-4', '{"t": {"after": ["go"], "run": "r", "using": "ls4"}}');
SELECT triggers_fire('ls-4', 'go');
BEGIN;
SELECT pg_sleep(0.3);
SELECT count(*) FROM triggers_claim('ls-w1', '{ls4}', 1, '1 second');
SELECT visible_at - now() > interval '1 second' AS lease_from_the_claim,
       claimed_at > now() AS claimed_after_the_transaction_began
FROM triggers.queue WHERE session = 'ls-4';
COMMIT;
-- a claim in a procedure, in a transaction begun after its statement: the task
-- a fire of that transaction queued (visible at that transaction's now()) is
-- claimable at once
SELECT triggers_configure('ls-5', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "ls5"}}');
DO $$
DECLARE
  v_claimed integer;
BEGIN
  PERFORM pg_sleep(0.05);
  COMMIT;
  PERFORM triggers_fire('ls-5', 'go');
  SELECT count(*) INTO v_claimed FROM triggers_claim('ls-w1', '{ls5}');
  RAISE NOTICE 'claimed in the procedure: %', v_claimed;
END $$;
