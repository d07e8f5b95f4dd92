-- a fire that schedules one task: "go" is the andEvery trigger of task t (pgbench -D nsessions=N)
\set sid random(1, :nsessions)
SELECT triggers_fire('s' || :sid, 'go');
