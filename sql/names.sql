-- names: session ids and trigger, task, workflow and worker names are 1 to 255
-- characters without control characters (else 22023); quotes, semicolons,
-- backslashes, $$, non-ASCII and any other printable characters work and
-- round-trip exactly.  Sessions "nm*", workflows "nm*".
\set SHOW_CONTEXT never

-- Runs a statement that must fail; shows its SQLSTATE and message, control
-- characters in the message shown as "?".
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '[\x01-\x1f\x7f\u0080-\u009f]', '?', 'g');
END $$;

CREATE TEMP TABLE nm (label text PRIMARY KEY, v text NOT NULL);
INSERT INTO nm VALUES
  ('session',  'nm it''s "quoted"; DROP TABLE x; -- \ \\ $$ $q$ %s %% é ü 漢字 🎉 \n'),
  ('trigger',  'trig ''q'' "dq"; \x $$ /* c */ // ñ 🎉'),
  ('task',     't#1 ''x'' "y"; \ $$ ü'),
  ('workflow', 'wf ''x'' "y"; \ $$ 漢'),
  ('worker',   'worker ''w'' "w"; \ $$ ø'),
  ('s255',     'nm' || repeat('s', 253)),
  ('s255mb',   'nm' || repeat('é', 253)),
  ('s255emoji','nm' || repeat('🎉', 253)),
  ('s256',     'nm' || repeat('s', 254)),
  ('s256mb',   'nm' || repeat('é', 254));
SELECT label, length(v) AS chars, octet_length(v) AS bytes FROM nm ORDER BY label;

------------------------------------------------------------------------------
-- Printable names round-trip exactly.
------------------------------------------------------------------------------
SELECT triggers_load_workflow((SELECT v FROM nm WHERE label = 'workflow'),
  jsonb_build_object((SELECT v FROM nm WHERE label = 'task'),
                     jsonb_build_object('after', jsonb_build_array((SELECT v FROM nm WHERE label = 'trigger'), 'b'),
                                        'run', 'run ''r'' $$ \ é', 'using', 'nm'))::text);
SELECT name = (SELECT v FROM nm WHERE label = 'workflow') AS same, name FROM triggers.workflow
WHERE name LIKE 'wf %';
SELECT triggers_start((SELECT v FROM nm WHERE label = 'session'), (SELECT v FROM nm WHERE label = 'workflow'));
SELECT triggers_fire((SELECT v FROM nm WHERE label = 'session'), (SELECT v FROM nm WHERE label = 'trigger'),
                     '{"k": "v"}');
SELECT triggers_fire((SELECT v FROM nm WHERE label = 'session'), 'b') AS scheduled;
SELECT session = (SELECT v FROM nm WHERE label = 'session') AS same_session,
       task = (SELECT v FROM nm WHERE label = 'task') AS same_task,
       instance = (SELECT v FROM nm WHERE label = 'task') || '#0' AS same_instance,
       kwargs ? (SELECT v FROM nm WHERE label = 'trigger') AS same_trigger,
       session, instance, kwargs
FROM triggers.instances WHERE session LIKE 'nm it%';
SELECT jsonb_object_keys(triggers_state((SELECT v FROM nm WHERE label = 'session')) -> 'tasks') AS task;
SELECT jsonb_object_keys(triggers_state((SELECT v FROM nm WHERE label = 'session')) -> 'instances') AS instance;
SELECT jsonb_object_keys(triggers_state((SELECT v FROM nm WHERE label = 'session')) #> '{metadata,latest_kwargs}')
  AS trigger ORDER BY 1;
SELECT * FROM triggers_unresolved_instances((SELECT v FROM nm WHERE label = 'session'));
-- the worker sees the same names, and its own name is kept exactly
CREATE TEMP TABLE held AS SELECT * FROM triggers_claim((SELECT v FROM nm WHERE label = 'worker'), '{nm}');
SELECT session = (SELECT v FROM nm WHERE label = 'session') AS same_session,
       task = (SELECT v FROM nm WHERE label = 'task') AS same_task,
       instance, run, kwargs FROM held;
SELECT worker = (SELECT v FROM nm WHERE label = 'worker') AS same_worker, worker FROM triggers.queue
WHERE session LIKE 'nm it%';
SELECT triggers_fail(task_id) FROM held;
-- an instance name whose task name holds "#" and quotes
SELECT triggers_replay((SELECT v FROM nm WHERE label = 'session'), (SELECT v FROM nm WHERE label = 'task') || '#0');
SELECT triggers_set_metadata((SELECT v FROM nm WHERE label = 'session'),
                             (SELECT v FROM nm WHERE label = 'task') || '#1', '{"note": "x"}');
SELECT instance, status, metadata - 'timestamps' AS metadata FROM triggers.instances
WHERE session LIKE 'nm it%' ORDER BY n;
-- names are exact: case and spaces matter
SELECT triggers_fire('nm-Case', 'T');
SELECT triggers_fire('nm-case', ' T ');
SELECT triggers_state('nm-Case') #> '{metadata,latest_kwargs}' AS upper_case,
       triggers_state('nm-case') #> '{metadata,latest_kwargs}' AS lower_case;

------------------------------------------------------------------------------
-- 255 characters (whatever their byte length) are fine, 256 are not.
------------------------------------------------------------------------------
SELECT label, triggers_fire(v, v) FROM nm WHERE label LIKE 's255%' ORDER BY label;
-- a task named like that, and a task waiting for a trigger named like that
SELECT label, triggers_configure(v, jsonb_build_object(v, jsonb_build_object('after', '["go"]'::jsonb, 'run', v),
                                                       't', jsonb_build_object('after', jsonb_build_array(v),
                                                                               'run', 'r')))
FROM nm WHERE label LIKE 's255%' ORDER BY label;
SELECT label, triggers_fire(v, 'go') = ARRAY[v || '#0'] AS scheduled FROM nm WHERE label LIKE 's255%' ORDER BY label;
SELECT label, length(i.session) AS session, length(i.task) AS task, length(i.instance) AS instance, i.status,
       ARRAY(SELECT length(k) FROM jsonb_object_keys(i.kwargs) AS k) AS triggers
FROM nm JOIN triggers.instances AS i ON i.session = nm.v
WHERE label LIKE 's255%' ORDER BY label, i.task;
SELECT label, triggers_load_workflow(v, '{"t": {"after": ["a"], "run": "r"}}') FROM nm WHERE label LIKE 's255%'
ORDER BY label;
SELECT count(*) FROM triggers_claim((SELECT v FROM nm WHERE label = 's255mb'), '{nm.none}');
SELECT triggers_fire((SELECT v FROM nm WHERE label = 's256'), 'a');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire((SELECT v FROM nm WHERE label = 's256mb'), 'a');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('nm-long', (SELECT v FROM nm WHERE label = 's256'));
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start((SELECT v FROM nm WHERE label = 's256'), 'nm_none');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure((SELECT v FROM nm WHERE label = 's256mb'), '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow((SELECT v FROM nm WHERE label = 's256'), '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
INSERT INTO triggers.workflow (name, definition)
VALUES ((SELECT v FROM nm WHERE label = 's256mb'), '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start('nm-long', (SELECT v FROM nm WHERE label = 's256'));
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim((SELECT v FROM nm WHERE label = 's256'));
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state((SELECT v FROM nm WHERE label = 's256'));
\echo SQLSTATE: :SQLSTATE
UPDATE triggers.workflow SET name = (SELECT v FROM nm WHERE label = 's256') WHERE name = (SELECT v FROM nm WHERE label = 's255');
\echo SQLSTATE: :SQLSTATE
UPDATE triggers.workflow SET name = '' WHERE name = (SELECT v FROM nm WHERE label = 's255');
\echo SQLSTATE: :SQLSTATE
SELECT count(*) FROM triggers.instances WHERE length(session) > 255;
SELECT count(*) FROM triggers.workflow WHERE length(name) > 255;
SELECT triggers_state('nm-long');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- Empty names and names with control characters: 22023.
------------------------------------------------------------------------------
SELECT triggers_fire('', 'a');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_fire('nm-empty', '');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure('', '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start('', 'nm_none');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_start('nm-empty', '');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('', '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
INSERT INTO triggers.workflow (name, definition) VALUES ('', '{"t": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM triggers_claim('');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('');
\echo SQLSTATE: :SQLSTATE
-- (their messages would print the control characters: shown through pg_temp.err)
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\ttab', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\nnewline', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\rreturn', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\x01', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\x7f', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\u0085', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire(E'nm\u009f', 'a')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire('nm-ctl', E'a\tb')$q$);
SELECT pg_temp.err($q$SELECT triggers_fire('nm-ctl', E'\x1b[31m')$q$);
SELECT pg_temp.err($q$SELECT triggers_configure(E'nm\x02', '{"t": {"after": ["a"], "run": "r"}}')$q$);
SELECT pg_temp.err($q$SELECT triggers_start(E'nm\n', 'nm_none')$q$);
SELECT pg_temp.err($q$SELECT triggers_start('nm-ctl', E'wf\n')$q$);
SELECT pg_temp.err($q$SELECT triggers_load_workflow(E'wf\t', '{"t": {"after": ["a"], "run": "r"}}')$q$);
SELECT pg_temp.err($q$INSERT INTO triggers.workflow (name, definition) VALUES (E'wf\x7f', '{"t": {"after": ["a"], "run": "r"}}')$q$);
SELECT pg_temp.err($q$SELECT * FROM triggers_claim(E'worker\n')$q$);
SELECT pg_temp.err($q$SELECT triggers_configure('nm-ctl', E'{"t\\n": {"after": ["a"], "run": "r"}}')$q$);
SELECT pg_temp.err($q$SELECT triggers_configure('nm-ctl', E'{"t": {"after": ["a\\u0085"], "run": "r"}}')$q$);
-- nothing was created
SELECT count(*) FROM triggers.instances WHERE session ~ '[[:cntrl:]]' OR session = '';
SELECT count(*) FROM triggers.workflow WHERE name ~ '[[:cntrl:]]' OR name = '';
SELECT triggers_state('nm-ctl');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('nm-empty');
\echo SQLSTATE: :SQLSTATE

-- An instance of a task with a 255-character name is longer than 255 characters
-- ("#n" added): the manual-control functions still find it.
SELECT triggers_configure('nm-long', jsonb_build_object(repeat('t', 255),
  jsonb_build_object('after', jsonb_build_array('go'), 'run', 'r', 'using', 'nm.long')));
SELECT length(unnest(triggers_fire('nm-long', 'go'))) AS instance_length;
SELECT triggers_fail(task_id) FROM triggers_claim('nm-w', '{nm.long}');
SELECT length(triggers_replay('nm-long', repeat('t', 255) || '#0')) AS clone_length;
SELECT triggers_set_metadata('nm-long', repeat('t', 255) || '#1', '{"k": 1}');
SELECT length(instance), status, metadata -> 'k' AS k FROM triggers.instances WHERE session = 'nm-long' ORDER BY n;
-- a longer task part is still refused (22023), and a bad one is named
SELECT pg_temp.err(format('SELECT triggers_replay(%L, %L)', 'nm-long', repeat('t', 256) || '#0'));
SELECT pg_temp.err(format('SELECT triggers_replay(%L, %L)', 'nm-long', E'\x01#0'));
