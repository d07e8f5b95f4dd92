-- Instance stamps (instance.stamps, status_stamps.cpp): triggers._stamp sets
-- lastModified (slot 2) and the status's slot to now and keeps the others; the
-- view triggers.instances shows the slots that are set as metadata.timestamps,
-- written as to_jsonb(now()) writes them.
SELECT triggers._stamp('{}', 'unstarted') = ARRAY[NULL, now(), now()]::timestamptz[] AS from_empty;
SELECT s[1] = '2020-01-01' AS created_kept, s[2] = now() AS last_modified_is_now,
       s[3] = '2020-01-02' AS unstarted_kept, s[4] IS NULL AS scheduled_never, s[5] = now() AS running_is_now,
       cardinality(s) AS slots
FROM (SELECT triggers._stamp('{2020-01-01, 2020-01-01, 2020-01-02}', 'running') AS s) AS t;
SELECT cardinality(triggers._stamp('{2020-01-01}', 'abandoned')) AS last_slot,
       cardinality(triggers._stamp(array_fill('2020-01-01'::timestamptz, ARRAY[12]), 'failed')) AS at_most_ten;
SELECT triggers._stamp('{}', 'done');
SELECT triggers._stamp('{{2020-01-01}}', 'running');
SELECT triggers._stamp(NULL, 'running') IS NULL AS null_in_null_out;
-- a new instance scheduled at once (built in C by the fire path) shows its four
-- timestamps, the time of the fire's transaction, with {"depth": 0}
SELECT triggers_configure('ms1', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "ms"}}');
BEGIN;
SELECT triggers_fire('ms1', 'go');
SELECT metadata - 'timestamps' AS metadata,
       ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps,
       (SELECT bool_and(value = to_jsonb(now())) FROM jsonb_each(metadata -> 'timestamps')) AS all_now
FROM triggers.instances WHERE session = 'ms1';
COMMIT;
-- each status change adds its stamp; triggers_state shows the same metadata
SELECT instance FROM triggers_claim('w', '{ms}', 5);
SELECT ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps
FROM triggers.instances WHERE session = 'ms1';
SELECT triggers_state('ms1') #> '{instances,t#0,metadata}' = metadata AS state_agrees
FROM triggers.instances WHERE session = 'ms1';
-- the engine keeps the timestamps: metadata given by hand may not set them (22023, nothing changed)
SELECT triggers_set_metadata('ms1', 't#0', '{"timestamps": {}, "k": 1}');
SELECT triggers_set_status('ms1', 't#0', 'failed', '{"timestamps": 1}');
-- nor "parent" and "depth", which replays and retries rely on
SELECT triggers_set_metadata('ms1', 't#0', '{"depth": "abc"}');
SELECT triggers_set_status('ms1', 't#0', 'failed', '{"parent": "t#0"}');
SELECT status, metadata ? 'k' AS k_set FROM triggers.instances WHERE session = 'ms1';
SELECT triggers_set_metadata('ms1', 't#0', '{"k": 1}');
SELECT metadata -> 'k' AS k, metadata ? 'timestamps' AS stamps_shown FROM triggers.instances WHERE session = 'ms1';
-- the fire path's statements (with withParams) stamp the same way
SELECT triggers_configure('ms2', '{"t": {"after": ["a", "b"], "run": "r", "using": "ms", "withParams": {"a": {"p": 1}}}}');
SELECT triggers_fire('ms2', 'a');
SELECT status, ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps
FROM triggers.instances WHERE session = 'ms2';
SELECT triggers_fire('ms2', 'b');
SELECT status, ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps
FROM triggers.instances WHERE session = 'ms2';
-- every status has its own slot, named as the status in the view
SELECT triggers_configure('ms3', '{"t": {"after": ["x", "z"], "run": "r", "using": "ms3"}}');
BEGIN;
SELECT triggers_fire('ms3', 'x');
SELECT count(triggers_set_status('ms3', 't#0', s))
FROM unnest(ARRAY['abandoned', 'skipped', 'replayed', 'failed', 'finished', 'running', 'scheduled']) AS s;
SELECT ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps,
       (SELECT bool_and(value = to_jsonb(now())) FROM jsonb_each(metadata -> 'timestamps')) AS all_now
FROM triggers.instances WHERE session = 'ms3';
COMMIT;
-- A claim writes only the queue row: the stored status stays 'scheduled' and the
-- view shows 'running', with the claim's time as running and lastModified.  The
-- answer stores that time in the instance (finish, fail, a status set by hand),
-- and a delivery under a new task_id after a lost lease moves the instance's task_id.
SELECT triggers_configure('ms4', '{"t": {"after": ["go"], "andEvery": "go", "run": "r", "using": "ms4"}}');
SELECT triggers_fire('ms4', 'go'), triggers_fire('ms4', 'go'), triggers_fire('ms4', 'go');
BEGIN;
CREATE TEMP TABLE ms4_claim AS SELECT task_id, instance FROM triggers_claim('w', '{ms4}', 3, '1 hour');
-- the claim's time (the clock at the claim), as its queue row keeps it
ALTER TABLE ms4_claim ADD COLUMN claimed timestamptz;
UPDATE ms4_claim AS c SET claimed = q.claimed_at FROM triggers.queue AS q WHERE q.task_id = c.task_id;
SELECT i.task || '#' || i.n AS instance, i.status AS stored, v.status AS shown,
       v.metadata #>> '{timestamps,running}' = to_jsonb(c.claimed) #>> '{}' AS running_is_claim,
       v.metadata #>> '{timestamps,lastModified}' = to_jsonb(c.claimed) #>> '{}' AS modified_is_claim
FROM triggers.instance AS i JOIN triggers.instances AS v USING (session, task, n)
JOIN ms4_claim AS c ON c.instance = v.instance WHERE i.session = 'ms4' ORDER BY 1;
COMMIT;
SELECT triggers_finish((SELECT task_id FROM ms4_claim WHERE instance = 't#0'));
SELECT triggers_fail((SELECT task_id FROM ms4_claim WHERE instance = 't#1'));
SELECT triggers_set_status('ms4', 't#2', 'finished');
SELECT v.instance, v.status, i.stamps[5] = c.claimed AS running_kept,
       v.metadata #>> '{timestamps,running}' = to_jsonb(c.claimed) #>> '{}' AS running_shown
FROM triggers.instances AS v JOIN triggers.instance AS i USING (session, task, n)
JOIN ms4_claim AS c ON c.instance = v.instance WHERE v.session = 'ms4' ORDER BY 1;
-- lease lost: delivered again under a new task_id, which the instance follows
SELECT triggers_fire('ms4', 'go');
SELECT count(*) AS claimed FROM triggers_claim('w', '{ms4}', 1, '1 hour');
UPDATE triggers.queue SET visible_at = now() - interval '1 second' WHERE session = 'ms4';
CREATE TEMP TABLE ms4_again AS SELECT task_id, instance, attempt FROM triggers_claim('w2', '{ms4}', 1);
SELECT a.instance, a.attempt, v.status, v.task_id = a.task_id AS instance_follows, i.answer IS NULL AS no_answer
FROM ms4_again AS a JOIN triggers.instances AS v ON v.session = 'ms4' AND v.instance = a.instance
JOIN triggers.instance AS i USING (session, task, n);
SELECT triggers_finish((SELECT task_id FROM ms4_again)) AS finished_under_new_id;
SELECT instance, status FROM triggers.instances WHERE session = 'ms4' ORDER BY 1;
