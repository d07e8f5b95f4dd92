-- the scaling figure's baseline: fire_base1 rolled back (pgbench -D lo=.. -D hi=..)
\set sid random(:lo, :hi)
BEGIN;
SELECT fire_base1('s' || :sid);
ROLLBACK;
