-- bad_definitions: malformed workflow definitions of every kind are refused
-- (22023, the message naming the task and the workflow, the detail the
-- directive or "cycle") by INSERT and UPDATE on triggers.workflow, by
-- triggers_configure and by triggers_load_workflow (which also refuses
-- duplicate keys, 22023, and unparsable JSON, 22P02); triggers_validate lists
-- the same problems without raising.  Nothing changes.
-- Sessions "bd-*", workflows "bd_*".
\set SHOW_CONTEXT never

-- Runs a statement that must fail; returns its SQLSTATE, message, detail and hint.
CREATE FUNCTION pg_temp.err(stmt text,
                            OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  state := 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END $$;

-- What this suite could have changed.
CREATE FUNCTION pg_temp.snapshot(OUT workflows bigint, OUT bd1_tasks jsonb, OUT bd1_instances bigint)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM triggers.workflow WHERE name LIKE 'bd\_%'),
         triggers_state('bd-1') -> 'tasks',
         (SELECT count(*) FROM triggers.instances WHERE session = 'bd-1')
$$;

CREATE TEMP TABLE cases (label text PRIMARY KEY, definition jsonb NOT NULL);
INSERT INTO cases VALUES
  -- the definition itself
  ('def_array',            '[]'),
  ('def_string',           '"t"'),
  ('def_number',           '1'),
  ('def_json_null',        'null'),
  -- a task configuration
  ('task_array',           '{"t": []}'),
  ('task_string',          '{"t": "r"}'),
  ('task_null',            '{"t": null}'),
  ('task_name_empty',      '{"": {"after": ["a"], "run": "r"}}'),
  ('task_name_control',    '{"t\u0001": {"after": ["a"], "run": "r"}}'),
  ('task_name_newline',    '{"t\n": {"after": ["a"], "run": "r"}}'),
  ('task_name_256',        jsonb_build_object(repeat('t', 256), '{"after": ["a"], "run": "r"}'::jsonb)),
  -- after
  ('after_missing',        '{"t": {"run": "r"}}'),
  ('after_string',         '{"t": {"after": "a", "run": "r"}}'),
  ('after_object',         '{"t": {"after": {"a": 1}, "run": "r"}}'),
  ('after_null',           '{"t": {"after": null, "run": "r"}}'),
  ('after_item_number',    '{"t": {"after": ["a", 1], "run": "r"}}'),
  ('after_item_null',      '{"t": {"after": [null], "run": "r"}}'),
  ('after_item_array',     '{"t": {"after": [["a"]], "run": "r"}}'),
  ('after_item_empty',     '{"t": {"after": [""], "run": "r"}}'),
  ('after_item_control',   '{"t": {"after": ["a\tb"], "run": "r"}}'),
  ('after_item_256',       jsonb_build_object('t', jsonb_build_object('after', jsonb_build_array(repeat('a', 256)),
                                                                      'run', 'r'))),
  ('after_empty',          '{"t": {"after": [], "run": "r"}}'),
  -- run
  ('run_missing',          '{"t": {"after": ["a"]}}'),
  ('run_empty',            '{"t": {"after": ["a"], "run": ""}}'),
  ('run_number',           '{"t": {"after": ["a"], "run": 1}}'),
  ('run_null',             '{"t": {"after": ["a"], "run": null}}'),
  ('run_array',            '{"t": {"after": ["a"], "run": ["r"]}}'),
  -- andEvery
  ('andEvery_array',       '{"t": {"after": [], "andEvery": ["e"], "run": "r"}}'),
  ('andEvery_empty',       '{"t": {"after": [], "andEvery": "", "run": "r"}}'),
  ('andEvery_number',      '{"t": {"after": ["a"], "andEvery": 1, "run": "r"}}'),
  ('andEvery_null',        '{"t": {"after": [], "andEvery": null, "run": "r"}}'),
  -- unless
  ('unless_string',        '{"t": {"after": ["a"], "unless": "x", "run": "r"}}'),
  ('unless_item_number',   '{"t": {"after": ["a"], "unless": ["x", 2], "run": "r"}}'),
  ('unless_item_empty',    '{"t": {"after": ["a"], "unless": [""], "run": "r"}}'),
  ('unless_null',          '{"t": {"after": ["a"], "unless": null, "run": "r"}}'),
  -- withParams
  ('withParams_array',     '{"t": {"after": ["a"], "withParams": [], "run": "r"}}'),
  ('withParams_string',    '{"t": {"after": ["a"], "withParams": "p", "run": "r"}}'),
  ('withParams_scalar',    '{"t": {"after": ["a"], "withParams": {"a": 1}, "run": "r"}}'),
  ('withParams_list',      '{"t": {"after": ["a"], "withParams": {"a": {}, "b": [1]}, "run": "r"}}'),
  ('withParams_null',      '{"t": {"after": ["a"], "withParams": {"a": null}, "run": "r"}}'),
  -- using
  ('using_empty',          '{"t": {"after": ["a"], "using": "", "run": "r"}}'),
  ('using_space',          '{"t": {"after": ["a"], "using": "my queue", "run": "r"}}'),
  ('using_55',             jsonb_build_object('t', jsonb_build_object('after', '["a"]'::jsonb, 'run', 'r',
                                                                      'using', repeat('q', 55)))),
  ('using_non_ascii',      '{"t": {"after": ["a"], "using": "qué", "run": "r"}}'),
  ('using_quote',          '{"t": {"after": ["a"], "using": "q\"", "run": "r"}}'),
  ('using_number',         '{"t": {"after": ["a"], "using": 1, "run": "r"}}'),
  -- maxRetries
  ('maxRetries_negative',  '{"t": {"after": ["a"], "maxRetries": -1, "run": "r"}}'),
  ('maxRetries_fraction',  '{"t": {"after": ["a"], "maxRetries": 1.5, "run": "r"}}'),
  ('maxRetries_string',    '{"t": {"after": ["a"], "maxRetries": "3", "run": "r"}}'),
  ('maxRetries_boolean',   '{"t": {"after": ["a"], "maxRetries": true, "run": "r"}}'),
  ('maxRetries_null',      '{"t": {"after": ["a"], "maxRetries": null, "run": "r"}}'),
  -- retryDelay
  ('retryDelay_zero',      '{"t": {"after": ["a"], "retryDelay": 0, "run": "r"}}'),
  ('retryDelay_negative',  '{"t": {"after": ["a"], "retryDelay": -1, "run": "r"}}'),
  ('retryDelay_string',    '{"t": {"after": ["a"], "retryDelay": "1", "run": "r"}}'),
  ('retryDelay_null',      '{"t": {"after": ["a"], "retryDelay": null, "run": "r"}}'),
  -- cycles of cascades
  ('cycle_self',           '{"t": {"after": ["t"], "run": "r"}}'),
  ('cycle_self_andEvery',  '{"t": {"after": [], "andEvery": "t", "run": "r"}}'),
  ('cycle_two',            '{"t1": {"after": ["t2"], "run": "r"}, "t2": {"after": ["a", "t1"], "run": "r"}}'),
  ('cycle_three',          '{"a1": {"after": ["go"], "run": "r"}, "t1": {"after": ["t3"], "run": "r"},
                             "t2": {"after": ["t1"], "run": "r"}, "t3": {"after": ["t2", "a1"], "run": "r"}}'),
  ('cycle_via_andEvery',   '{"t1": {"after": [], "andEvery": "t2", "run": "r"}, "t2": {"after": ["t1"], "run": "r"}}');

------------------------------------------------------------------------------
-- A session and a workflow that must stay as they are.
------------------------------------------------------------------------------
INSERT INTO triggers.workflow (name, definition) VALUES ('bd_good', '{"t": {"after": ["a"], "run": "r"}}');
SELECT triggers_configure('bd-1', '{"t_keep": {"after": ["a", "b"], "run": "r"}}');
SELECT triggers_fire('bd-1', 'a');
SELECT * FROM pg_temp.snapshot();

------------------------------------------------------------------------------
-- INSERT into triggers.workflow
------------------------------------------------------------------------------
SELECT c.label, e.*
FROM cases AS c, pg_temp.err(format('INSERT INTO triggers.workflow (name, definition) VALUES (%L, %L)',
                                    'bd_' || c.label, c.definition)) AS e
ORDER BY c.label;
SELECT * FROM pg_temp.snapshot();

-- a few of them as plain statements
INSERT INTO triggers.workflow (name, definition) VALUES ('bd_x', '{"t": {"after": ["a"], "run": ""}}');
\echo SQLSTATE: :SQLSTATE
INSERT INTO triggers.workflow (name, definition) VALUES ('bd_x', '{"t1": {"after": ["t2"], "run": "r"}, "t2": {"after": ["t1"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
INSERT INTO triggers.workflow (name, definition) VALUES ('bd_x', NULL);
\echo SQLSTATE: :SQLSTATE
INSERT INTO triggers.workflow (name, definition) VALUES ('bd_x', '{"t": {"after": ["a"], "run": "r"');
\echo SQLSTATE: :SQLSTATE
SELECT * FROM pg_temp.snapshot();

------------------------------------------------------------------------------
-- UPDATE of triggers.workflow
------------------------------------------------------------------------------
SELECT c.label, e.*
FROM cases AS c, pg_temp.err(format('UPDATE triggers.workflow SET definition = %L WHERE name = %L',
                                    c.definition, 'bd_good')) AS e
WHERE c.label IN ('def_array', 'after_missing', 'run_empty', 'withParams_scalar', 'cycle_two')
ORDER BY c.label;
UPDATE triggers.workflow SET definition = '{"t": {"after": ["t"], "run": "r"}}' WHERE name = 'bd_good';
\echo SQLSTATE: :SQLSTATE
SELECT name, definition FROM triggers.workflow WHERE name LIKE 'bd\_%';

------------------------------------------------------------------------------
-- triggers_configure (no workflow to name)
------------------------------------------------------------------------------
SELECT c.label, e.*
FROM cases AS c, pg_temp.err(format('SELECT triggers_configure(%L, %L)', 'bd-1', c.definition)) AS e
ORDER BY c.label;
SELECT triggers_configure('bd-1', '{"t": {"after": ["a"], "unless": "x", "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
-- a cycle made with a task the session already has
SELECT triggers_configure('bd-1', '{"t_other": {"after": ["t_keep"], "run": "r"},
                                    "t_keep": {"after": ["t_other"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_configure('bd-1', '{"t_keep2": {"after": ["t_keep"], "run": "r"}}');
SELECT triggers_configure('bd-1', '{"t_keep": {"after": ["t_keep2"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
-- nothing changed but t_keep2
SELECT * FROM pg_temp.snapshot();
-- a session not configured before gets nothing either
SELECT triggers_configure('bd-2', '{"t": {"after": [], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_state('bd-2');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- triggers_validate: the same problems, as rows, without raising
------------------------------------------------------------------------------
SELECT c.label, v.problem
FROM cases AS c, triggers_validate(c.definition) AS v(problem)
ORDER BY c.label, v.problem;
-- every case has at least one problem
SELECT c.label FROM cases AS c WHERE NOT EXISTS (SELECT FROM triggers_validate(c.definition));
-- valid: a cycle through "unless" only, and a task after a task that does not exist
SELECT count(*) FROM triggers_validate('{"t1": {"after": ["a"], "unless": ["t2"], "run": "r"},
                                         "t2": {"after": ["t1"], "run": "r"}}');
SELECT count(*) FROM triggers_validate('{"t": {"after": ["t_elsewhere"], "run": "r"}}');

------------------------------------------------------------------------------
-- triggers_load_workflow: everything above, plus duplicate keys (22023) and
-- unparsable JSON (22P02).
------------------------------------------------------------------------------
SELECT c.label, e.*
FROM cases AS c, pg_temp.err(format('SELECT triggers_load_workflow(%L, %L)', 'bd_' || c.label, c.definition::text)) AS e
WHERE c.label IN ('def_array', 'task_string', 'after_missing', 'run_number', 'andEvery_array', 'unless_string',
                  'withParams_scalar', 'using_space', 'maxRetries_negative', 'retryDelay_zero', 'cycle_three')
ORDER BY c.label;
-- duplicate keys, at any level
SELECT triggers_load_workflow('bd_dup', '{"t": {"after": ["a"], "run": "r"}, "t": {"after": ["b"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bd_dup', '{"t": {"after": ["a"], "run": "r", "run": "s"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bd_dup', '{"t": {"after": ["a"], "run": "r",
  "withParams": {"a": {"deep": {"k": 1, "k": 2}}}}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bd_dup', '{"t": {"after": ["a"], "run": "r", "extra": [{"k": 1, "k": 1}]}}');
\echo SQLSTATE: :SQLSTATE
-- the same key spelt with an escape is a duplicate too
SELECT triggers_load_workflow('bd_dup', '{"t": {"after": ["a"], "run": "r"}, "\u0074": {"after": ["a"], "run": "r"}}');
\echo SQLSTATE: :SQLSTATE
-- unparsable (only the SQLSTATE is shown: the parser's wording is not part of the contract)
\set VERBOSITY sqlstate
SELECT triggers_load_workflow('bd_bad', '');
SELECT triggers_load_workflow('bd_bad', '// only a comment');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": ["a"], "run": "r"}');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": ["a"], "run": "r"},}');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": [''a''], "run": "r"}}');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": ["a"], "run": "r"}} trailing');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": ["a"], "run": "r"}} /* unterminated');
SELECT triggers_load_workflow('bd_bad', '{"t": {"after": ["a"], # "run": "r"}}');
\set VERBOSITY default
-- replacing a good workflow with a bad definition keeps the good one
SELECT triggers_load_workflow('bd_good', '{"t": {"after": ["a"], "run": "r", "maxRetries": "x"}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bd_good', '{"t": {"after": ["a"], "run": "r"}, "t": {"after": ["a"], "run": "s"}}');
\echo SQLSTATE: :SQLSTATE
SELECT name, definition FROM triggers.workflow WHERE name LIKE 'bd\_%';
SELECT * FROM pg_temp.snapshot();

-- A number no double holds is valid JSON, refused (22023) by name, not as a
-- syntax error with the JSON library's internal tag.
SELECT triggers_configure('bd-big', '{"t": {"after": ["a"], "run": "r", "x": 1e400}}');
\echo SQLSTATE: :SQLSTATE
SELECT triggers_load_workflow('bd_big', '{"t": {"after": ["a"], "run": "r", "x": 1e400}}');
\echo SQLSTATE: :SQLSTATE
