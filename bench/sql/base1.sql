-- baseline of a fire that schedules one task (pgbench -D nsessions=N)
\set sid random(1, :nsessions)
SELECT fire_base1('s' || :sid);
