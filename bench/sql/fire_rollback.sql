-- cost of one fire that schedules one task, rolled back so the tables do not change
-- during the run (scaling, item 4): pgbench -D lo=.. -D hi=.. picks the session
\set sid random(:lo, :hi)
BEGIN;
SELECT triggers_fire('s' || :sid, 'go');
ROLLBACK;
