-- bench/sql/setup_fire.sql — sessions s1..sN on workflow "one" (bench/lib.sh WF_ONE),
-- through the API only.  psql -v nsessions=N -v wf=JSON
SELECT triggers_load_workflow('one', :'wf');
SELECT count(triggers_start('s' || g, 'one')) FROM generate_series(1, :nsessions) g;
-- the one-shot task d runs once in every session: afterwards "once" schedules nothing
SELECT count(triggers_fire('s' || g, 'once')) FROM generate_series(1, :nsessions) g;
DO $$
DECLARE
  n bigint;
BEGIN
  LOOP
    SELECT count(triggers_finish(c.task_id, '{}')) INTO n
    FROM triggers_claim('bench-setup', '{default}', 10000) AS c;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
VACUUM ANALYZE;
