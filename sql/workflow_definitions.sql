-- workflow_definitions: valid definitions with every directive, triggers.workflow
-- inserts/updates/deletes, triggers_load_workflow with comments, triggers_validate.
-- (Malformed definitions: bad_definitions.)  Sessions "wd-*", workflows "wd_*", queue "wd".
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) AS x $$;

------------------------------------------------------------------------------
-- Every directive, and extras kept verbatim.
------------------------------------------------------------------------------
SELECT * FROM triggers_validate('{
  "t_full": {
    "after": ["a", "b"],
    "run": "app.tasks.Full",
    "andEvery": "e",
    "unless": ["x", "y"],
    "withParams": {"a": {"p": 1}, "static": {"nested": {"q": [1, 2]}}},
    "using": "Queue_1.x-Y",
    "maxRetries": 3,
    "retryDelay": 0.5,
    "description": "extras are kept",
    "weight": 1.50,
    "tags": ["t", 1, null, {"k": false}]
  },
  "t_every_only": {"after": [], "andEvery": "e", "run": "r"},
  "t_minimal": {"after": ["t_full"], "run": "r"},
  "t_zero": {"after": ["a"], "run": "r", "maxRetries": 0, "retryDelay": 3600, "unless": [], "withParams": {}}
}');
INSERT INTO triggers.workflow (name, definition) VALUES ('wd_full', '{
  "t_full": {
    "after": ["a", "b"],
    "run": "app.tasks.Full",
    "andEvery": "e",
    "unless": ["x", "y"],
    "withParams": {"a": {"p": 1}, "static": {"nested": {"q": [1, 2]}}},
    "using": "Queue_1.x-Y",
    "maxRetries": 3,
    "retryDelay": 0.5,
    "description": "extras are kept",
    "weight": 1.50,
    "tags": ["t", 1, null, {"k": false}]
  },
  "t_every_only": {"after": [], "andEvery": "e", "run": "r"},
  "t_minimal": {"after": ["t_full"], "run": "r"}
}');
SELECT name, jsonb_pretty(definition) FROM triggers.workflow WHERE name = 'wd_full';
SELECT triggers_start('wd-1', 'wd_full');
SELECT triggers_state('wd-1') #> '{tasks,t_full}' = (SELECT definition -> 't_full' FROM triggers.workflow
                                                     WHERE name = 'wd_full') AS same_configuration;
SELECT triggers_state('wd-1') #> '{tasks,t_full,weight}' AS weight;
SELECT triggers_fire('wd-1', 'a', '{"p": 2}');
SELECT triggers_fire('wd-1', 'b');
SELECT pg_temp.sorted(triggers_fire('wd-1', 'e')) AS scheduled;
SELECT queue, run, kwargs FROM triggers.queue WHERE session = 'wd-1' ORDER BY task, n;

------------------------------------------------------------------------------
-- UPDATE makes a new version; sessions keep theirs; DELETE leaves sessions working.
------------------------------------------------------------------------------
UPDATE triggers.workflow SET definition = '{"t_minimal": {"after": ["go"], "run": "v2", "using": "wd"}}'
WHERE name = 'wd_full';
SELECT name, definition FROM triggers.workflow WHERE name = 'wd_full';
SELECT jsonb_object_keys(triggers_state('wd-1') -> 'tasks') ORDER BY 1;
SELECT triggers_start('wd-2', 'wd_full');
SELECT triggers_state('wd-2') -> 'tasks';
DELETE FROM triggers.workflow WHERE name = 'wd_full';
SELECT triggers_fire('wd-2', 'go');
SELECT instance, status FROM triggers.instances WHERE session = 'wd-2';
SELECT triggers_start('wd-3', 'wd_full');
\echo SQLSTATE: :SQLSTATE

------------------------------------------------------------------------------
-- triggers_load_workflow: JSON with // and /* */ comments, as in the documentation.
------------------------------------------------------------------------------
SELECT triggers_load_workflow('wd_survey', $json$
   {
     // Give your task a name.
     "t_processStepData": {

       // This task runs after these two triggers are fired.
       // Note that order doesn't matter here.
       "after": ["module1Received", "module4Received"],

       // Specify the celery task to run when the above conditions are
       // met.
       "run": "my_app.tasks.ProcessStepData"
     }
   }
$json$);
SELECT name, definition FROM triggers.workflow WHERE name = 'wd_survey';
SELECT triggers_start('wd-4', 'wd_survey');
SELECT triggers_fire('wd-4', 'module4Received');
SELECT triggers_fire('wd-4', 'module1Received');
-- comment markers inside strings are text; block comments may span lines; a
-- line comment may end the source; escapes are decoded
SELECT triggers_load_workflow('wd_survey', $json$/* leading
   block comment */ {"t_processStepData": {"after": ["module1Received"], /* inline */ "run": "http://x/*y*/z",
   "note": "a // b /* c */ d", "esc": "caf\u00e9 \"q\" \\ \/"}, // trailing
   "t_second": {"after": ["t_processStepData"], "run": "r"}} // the end$json$);
SELECT name, definition FROM triggers.workflow WHERE name = 'wd_survey';
SELECT definition #>> '{t_processStepData,esc}' FROM triggers.workflow WHERE name = 'wd_survey';
-- the running session keeps the first version
SELECT triggers_state('wd-4') -> 'tasks';

------------------------------------------------------------------------------
-- triggers_validate lists problems without raising.
------------------------------------------------------------------------------
SELECT count(*) FROM triggers_validate('{}');
SELECT count(*) FROM triggers_validate('{"t": {"after": ["a"], "run": "r"}}');
SELECT * FROM triggers_validate('{
  "t_ok": {"after": ["a"], "run": "r"},
  "t_bad": {"after": "a", "run": "", "using": "no spaces", "maxRetries": -1},
  "t_also_bad": {"run": "r", "withParams": {"a": 1}, "retryDelay": 0}
}') AS problem ORDER BY 1;
