-- baseline of a fire that schedules nothing (pgbench -D nsessions=N)
\set sid random(1, :nsessions)
SELECT fire_base0('s' || :sid);
