-- a fire that schedules nothing: "once" is the trigger of a one-shot task that already ran
\set sid random(1, :nsessions)
SELECT triggers_fire('s' || :sid, 'once');
