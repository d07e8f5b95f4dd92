-- triggers_finish_many: several answers in one call, same rules as triggers_finish.
\set SHOW_CONTEXT never
SELECT triggers_configure('fm-1', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "fm"},
                                   "u": {"after": ["t"], "andEvery": "t", "run": "r2", "using": "fm"}}');
SELECT triggers_configure('fm-2', '{"t": {"after": [], "andEvery": "go", "run": "r", "using": "fm"}}');
SELECT triggers_fire('fm-1', 'go', '{"i": 1}'), triggers_fire('fm-2', 'go', '{"i": 2}'),
       triggers_fire('fm-1', 'go', '{"i": 3}');
CREATE TEMP TABLE fm_claimed AS SELECT * FROM triggers_claim('w', '{fm}', 10);
SELECT session, instance FROM fm_claimed ORDER BY task_id;
-- results by position; the cascades of all three come back together
SELECT triggers_finish_many(array_agg(task_id ORDER BY task_id),
                            array_agg(jsonb_build_object('for', instance) ORDER BY task_id)) AS scheduled
FROM fm_claimed;
SELECT session, instance, status, metadata -> 'result' AS result FROM triggers.instances
WHERE session LIKE 'fm-%' ORDER BY session, task, n;
-- repeating the same answers is a harmless no-op
SELECT triggers_finish_many(array_agg(task_id)) FROM fm_claimed;
-- results default to {}
CREATE TEMP TABLE fm_next AS SELECT * FROM triggers_claim('w', '{fm}', 10);
SELECT cardinality(triggers_finish_many(array_agg(task_id))) FROM fm_next;
SELECT instance, metadata -> 'result' AS result FROM triggers.instances
WHERE session = 'fm-1' AND task = 'u' ORDER BY n;
-- bad input changes nothing: NULL ids, mismatched lengths, an unknown id in the middle
SELECT triggers_fire('fm-2', 'go');
CREATE TEMP TABLE fm_last AS SELECT * FROM triggers_claim('w', '{fm}', 10);
SELECT triggers_finish_many(NULL);
\echo SQLSTATE: :SQLSTATE
SELECT triggers_finish_many(ARRAY[(SELECT task_id FROM fm_last)], '{}'::jsonb[]);
\echo SQLSTATE: :SQLSTATE
DO $$ BEGIN
  PERFORM triggers_finish_many(ARRAY[(SELECT task_id FROM fm_last), -1]);
EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
SELECT instance, status FROM triggers.instances WHERE session = 'fm-2' ORDER BY n;
-- answers are committed with synchronous_commit on, whatever the session says
SELECT triggers_fire('fm-2', 'go');
CREATE TEMP TABLE fm_sync AS SELECT * FROM triggers_claim('w', '{fm}', 10);
BEGIN;
SET LOCAL synchronous_commit = off;
SELECT cardinality(triggers_finish(task_id)) FROM fm_sync;
SHOW synchronous_commit;
COMMIT;
-- ids in any order, a repeated id answered once (its first result): each result
-- lands on its own instance
SELECT triggers_fire('fm-2', 'go'), triggers_fire('fm-2', 'go'), triggers_fire('fm-2', 'go');
CREATE TEMP TABLE fm_order AS SELECT * FROM triggers_claim('w', '{fm}', 10);
SELECT cardinality(triggers_finish_many(
         array_agg(task_id ORDER BY task_id DESC) || min(task_id),
         array_agg(jsonb_build_object('for', instance) ORDER BY task_id DESC) || '{"for": "repeat"}'::jsonb))
FROM fm_order;
SELECT o.instance, i.metadata -> 'result' ->> 'for' = o.instance AS own_result
FROM fm_order AS o JOIN triggers.instances AS i ON i.session = o.session AND i.instance = o.instance
ORDER BY o.task_id;
-- results too big for the instance's page: the new versions go to other pages
-- (not HOT updates), with their index entries
SELECT count(triggers_fire('fm-2', 'go')) FROM generate_series(1, 20);
CREATE TEMP TABLE fm_big AS SELECT * FROM triggers_claim('w', '{fm}', 20);
BEGIN;
SELECT cardinality(triggers_finish_many(array_agg(task_id),
         array_agg(jsonb_build_object('pad', (SELECT string_agg(md5(g::text || instance), '') FROM generate_series(1, 45) AS g)))))
FROM fm_big;
SELECT n_tup_upd > n_tup_hot_upd AS some_not_hot FROM pg_stat_xact_user_tables WHERE relid = 'triggers.history'::regclass;
COMMIT;
SELECT count(*) AS finished_with_result FROM fm_big AS b
JOIN triggers.instances AS i ON i.session = b.session AND i.instance = b.instance
WHERE i.status = 'finished' AND length(i.metadata -> 'result' ->> 'pad') = 45 * 32;
SELECT count(*) AS found_by_task_id FROM fm_big AS b JOIN triggers.instance AS i ON i.task_id = b.task_id;
