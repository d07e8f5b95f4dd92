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
