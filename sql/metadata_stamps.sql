-- triggers._stamp (C, used by every status change): timestamps.lastModified and
-- timestamps.<status> become now, as to_jsonb(now()) writes it; every other key,
-- nested values included, is kept; a timestamps entry that is not an object, or
-- metadata that is not an object, starts afresh.
SELECT triggers._stamp('{"a": 1, "b": [1, {"c": 2}], "timestamps": {"created": "x", "lastModified": "y"}}',
                       'running') - 'timestamps' AS other_keys_kept;
SELECT ARRAY(SELECT jsonb_object_keys(triggers._stamp('{"timestamps": {"created": "x", "lastModified": "y"}}',
                                                      'running') -> 'timestamps') ORDER BY 1) AS stamps;
SELECT s #>> '{timestamps,created}' AS created_kept,
       s #> '{timestamps,running}' = to_jsonb(now()) AS running_is_now,
       s #> '{timestamps,lastModified}' = to_jsonb(now()) AS last_modified_is_now
FROM (SELECT triggers._stamp('{"timestamps": {"created": "x", "running": "old"}}', 'running') AS s) AS t;
SELECT triggers._stamp('{"timestamps": "oops", "k": true}', 'failed') - 'timestamps' AS kept,
       ARRAY(SELECT jsonb_object_keys(triggers._stamp('{"timestamps": "oops"}', 'failed') -> 'timestamps')
             ORDER BY 1) AS replaced;
SELECT ARRAY(SELECT jsonb_object_keys(triggers._stamp('[1, 2]', 'skipped')) ORDER BY 1) AS from_non_object;
SELECT triggers._stamp(NULL, 'running') IS NULL AS null_in_null_out;
-- a new instance scheduled at once (built in C by the fire path) has the same shape,
-- its four timestamps the time of the fire's transaction
SELECT triggers_configure('ms1', '{"t": {"after": [], "andEvery": "go", "run": "r"}}');
BEGIN;
SELECT triggers_fire('ms1', 'go');
SELECT metadata - 'timestamps' AS metadata,
       ARRAY(SELECT jsonb_object_keys(metadata -> 'timestamps') ORDER BY 1) AS stamps,
       (SELECT bool_and(value = to_jsonb(now())) FROM jsonb_each(metadata -> 'timestamps')) AS all_now
FROM triggers.instances WHERE session = 'ms1';
COMMIT;
